//! `incident search`: full-text search over everything recorded: the texts best match first,
//! then every matching line of logs and command output, with the totals.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::domain::text::escape_control_bytes;
use crate::domain::time;
use crate::store::{Found, Hit, LogMatches, LogRef, Mode, SearchError, SearchQuery, Txn};
use crate::ui::error::{CommandError, exit};
use crate::ui::output::{self, Paint};
use serde::Serialize;
use std::io::Write;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Words (all must occur), "an exact phrase", a prefix*, ^start (of the line), NEAR(a b, 5),
    /// or AND / OR / NOT between them, with parentheses; within one line of a log, within one
    /// text otherwise. A word with punctuation (jk2_init(), 10.0.0.5:3306) is the phrase of
    /// its parts
    pub query: String,
    /// Only this incident
    #[arg(long, value_parser = incident_ref, value_name = "N")]
    pub incident: Option<IncidentRef>,
    /// Only what was recorded at or after TIME
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Only one kind of text
    #[arg(long, value_parser = ["note", "log", "snapshot", "command", "field", "action", "lesson", "link"])]
    pub kind: Option<String>,
    /// At most this many results (texts and log lines); 0 for all
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Show N lines of context around each matching log line
    #[arg(long, short = 'C', value_name = "N", default_value_t = 0)]
    pub context: u64,
    /// Print only the totals: texts per incident, lines per log (exact)
    #[arg(long)]
    pub count: bool,
    /// Print the results as JSON
    #[arg(long)]
    pub json: bool,
}

const HINT: &str = "the query language is in docs/search.md; when in doubt, put what you look for in double quotes";

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    if args.query.trim().is_empty() {
        return Err(CommandError::new("the search query is empty").with_hint(HINT));
    }
    // What teammates recorded first (within the team timeout; never fails the command).
    app.refresh();
    let since = app.time(args.since.as_deref())?;
    let paint = if args.json {
        Paint::plain()
    } else {
        Paint::stdout()
    };
    let red = paint.red("\u{1}");
    let (mark, coloured) = match red.split_once('\u{1}') {
        Some((open, close)) if !open.is_empty() => ((open.to_string(), close.to_string()), true),
        _ => (("[".to_string(), "]".to_string()), false),
    };
    let query = SearchQuery {
        query: &args.query,
        incident: args
            .incident
            .as_ref()
            .map(|r| app.number(r).map(|n| n.0))
            .transpose()?,
        since,
        kind: args.kind.as_deref(),
        limit: (args.limit > 0).then_some(args.limit),
        count: args.count,
        mark: (&mark.0, &mark.1),
    };
    let mut store = open(app)?;
    let txn = store.read()?;
    let found = txn.search(&query).map_err(|e| match e {
        SearchError::Query(why) => {
            CommandError::new(format!("cannot search for '{}': {why}", args.query)).with_hint(HINT)
        }
        SearchError::Store(e) => e.into(),
    })?;
    let marks = (mark.0.as_str(), mark.1.as_str());
    // Teammates' logs left on the team log (`[team] pull_logs = false`) were not searched.
    let missing = txn.remote_blobs().map_or(0, |(_, logs)| logs);
    if missing > 0 {
        output::status(&format!(
            "{missing} log{} of others not searched; incident sync --logs",
            if missing == 1 { "" } else { "s" }
        ));
    }
    match (args.count, args.json) {
        (true, true) => {
            output::out_json(&serde_json::to_value(counts(&args, &found)).unwrap_or_default())
        }
        (true, false) => count_text(&found),
        (false, true) => json(&txn, &args, &found),
        (false, false) => {
            if found.texts.is_empty() && found.logs.is_empty() {
                output::status(&format!("nothing matches '{}'", args.query));
                return Ok(());
            }
            text(&txn, &args, &found, paint, coloured.then_some(marks))?;
            output::status(&totals(&found, true));
            Ok(())
        }
    }
}

/// The store, with the notes written since the last search indexed. Notes are indexed here
/// rather than when written, so that `note` stays one insert. No database, nothing to catch
/// up on (and a search creates none).
fn open(app: &App) -> Result<crate::store::Store, CommandError> {
    if !app.settings.db.exists() {
        return Ok(app.store(Mode::Read)?);
    }
    let mut store = app.store(Mode::ReadWrite)?;
    let pending = store.read()?.notes_pending()?;
    if pending {
        let txn = store.write()?;
        txn.index_pending_notes()?;
        txn.commit()?;
        // A first search over many notes writes a large WAL; left there, every later
        // command would read all of it when it starts.
        store.bound_wal();
    }
    Ok(store)
}

/// "2 texts and 603 lines in 3 logs; showing 20; `--limit 0` shows all".
fn totals(found: &Found, page: bool) -> String {
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let logs = found.logs.len() as u64;
    let lines = if found.lines_exact {
        plural(found.line_total, "line", "lines")
    } else {
        format!("more than {} lines", crate::store::COUNTED_LINES)
    };
    let mut parts = Vec::new();
    if found.text_total > 0 || logs == 0 {
        parts.push(plural(found.text_total, "text", "texts"));
    }
    if logs > 0 {
        parts.push(format!("{lines} in {}", plural(logs, "log", "logs")));
    }
    let mut said = parts.join(" and ");
    let shown =
        found.texts.len() as u64 + found.logs.iter().map(|l| l.shown.len() as u64).sum::<u64>();
    let all = found.text_total + found.line_total;
    if page && (shown < all || !found.lines_exact) {
        said.push_str(&format!("; showing {shown}; `--limit 0` shows all"));
        if !found.lines_exact {
            said.push_str(", `--count` counts them");
        }
    }
    said
}

/// Texts as before (a header and a snippet each), then each log's lines as grep prints them:
/// `N:line`, context `N-line`, `--` between groups that do not touch.
fn text(
    txn: &Txn,
    args: &Args,
    found: &Found,
    paint: Paint,
    marks: Option<(&str, &str)>,
) -> Result<(), CommandError> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut head = String::new();
    for h in &found.texts {
        head.push_str(&format!(
            "{}  {}  {}\n    {}\n",
            paint.bold(&format!("incident {}", h.number)),
            what(h),
            paint.dim(&time::display(h.at)),
            h.snippet
        ));
    }
    out.write_all(output::terminal(&head, &paint).as_bytes())
        .map_err(write_error)?;
    for m in found.logs.iter().filter(|m| !m.shown.is_empty()) {
        let header = format!(
            "{}  {}  {} {}  {}  {}\n",
            paint.bold(&format!("incident {}", m.log.number)),
            m.log.kind,
            m.log.reference,
            one_line(&m.log.name),
            paint.dim(&time::display(m.log.at)),
            matching(m)
        );
        out.write_all(output::terminal(&header, &paint).as_bytes())
            .map_err(write_error)?;
        let mut last = None;
        txn.shown_lines(
            m.log.blob_id,
            &m.shown,
            args.context,
            |number, line, hit| {
                if args.context > 0 && last.is_some_and(|l: u64| l + 1 < number) {
                    out.write_all(b"--\n").map_err(write_error)?;
                }
                last = Some(number);
                write!(out, "{number}{}", if hit { ':' } else { '-' }).map_err(write_error)?;
                // A CRLF log's line keeps its CR before the newline written below.
                let (line, cr) = match line.strip_suffix(b"\r") {
                    Some(line) => (line, &b"\r"[..]),
                    None => (line, &b""[..]),
                };
                match marks {
                    Some(marks) if hit => out
                        .write_all(
                            output::terminal(&found.highlighter.mark(line, marks).0, &paint)
                                .as_bytes(),
                        )
                        .map_err(write_error)?,
                    _ => out
                        .write_all(&escape_control_bytes(line))
                        .map_err(write_error)?,
                }
                out.write_all(cr).map_err(write_error)?;
                out.write_all(b"\n").map_err(write_error)
            },
        )?;
    }
    out.flush().map_err(write_error)
}

/// "603 lines match", "more than 10000 match".
fn matching(m: &LogMatches) -> String {
    match (m.exact, m.total) {
        (true, 1) => "1 line matches".to_string(),
        (true, n) => format!("{n} lines match"),
        (false, _) => format!("{}+ lines match", m.total),
    }
}

/// A closed pipe (`incident search x --limit 0 | head`) ends the output quietly.
fn write_error(e: std::io::Error) -> CommandError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CommandError::exit(exit::OK)
    } else {
        CommandError::new(format!("cannot write to stdout: {e}"))
    }
}

/// A log's name or command line on one line, cut to fit a header.
fn one_line(name: &str) -> String {
    const WIDTH: usize = 60;
    let flat = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= WIDTH {
        return flat;
    }
    let mut cut: String = flat.chars().take(WIDTH - 1).collect();
    cut.push('…');
    cut
}

#[derive(Serialize)]
struct Totals {
    texts: u64,
    lines: u64,
    /// False when `lines` is a lower bound (more than 10,000 matching lines on a page).
    lines_exact: bool,
    logs: usize,
}

#[derive(Serialize)]
struct Counts<'a> {
    query: &'a str,
    totals: Totals,
    incidents: Vec<IncidentCount>,
    logs: Vec<LogCount<'a>>,
}

#[derive(Serialize)]
struct IncidentCount {
    incident: i64,
    texts: u64,
}

#[derive(Serialize)]
struct LogCount<'a> {
    incident: i64,
    kind: &'a str,
    #[serde(rename = "where")]
    reference: &'a str,
    name: &'a str,
    lines: u64,
}

fn totals_of(found: &Found) -> Totals {
    Totals {
        texts: found.text_total,
        lines: found.line_total,
        lines_exact: found.lines_exact,
        logs: found.logs.len(),
    }
}

fn counts<'a>(args: &'a Args, found: &'a Found) -> Counts<'a> {
    Counts {
        query: &args.query,
        totals: totals_of(found),
        incidents: found
            .text_counts
            .iter()
            .map(|&(incident, texts)| IncidentCount { incident, texts })
            .collect(),
        logs: found
            .logs
            .iter()
            .map(|m| LogCount {
                incident: m.log.number,
                kind: &m.log.kind,
                reference: &m.log.reference,
                name: &m.log.name,
                lines: m.total,
            })
            .collect(),
    }
}

/// `--count`: a row per incident's texts and per log, then the totals.
fn count_text(found: &Found) -> Result<(), CommandError> {
    let mut rows = vec![
        ["INCIDENT", "WHERE", "NAME", "MATCHES"]
            .map(String::from)
            .to_vec(),
    ];
    for (number, texts) in &found.text_counts {
        rows.push(vec![
            number.to_string(),
            "texts".into(),
            String::new(),
            texts.to_string(),
        ]);
    }
    for m in &found.logs {
        rows.push(vec![
            m.log.number.to_string(),
            m.log.reference.clone(),
            one_line(&m.log.name),
            m.total.to_string(),
        ]);
    }
    let mut text = output::table(&rows, |_, _, cell| cell.to_string());
    text.push_str(&format!("total: {}\n", totals(found, false)));
    output::out(&text)
}

#[derive(Serialize)]
struct Results<'a> {
    query: &'a str,
    totals: Totals,
    results: Vec<Result1>,
}

/// One result: a text, or a log line.
#[derive(Serialize)]
struct Result1 {
    incident: i64,
    kind: String,
    #[serde(rename = "where")]
    place: String,
    /// The log's name or command line (log lines only).
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    line: Option<u64>,
    at: String,
    /// bm25 of a text; null for log lines, which are in file order.
    score: Option<f64>,
    exact: bool,
    snippet: String,
    /// The whole line (log lines only).
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    /// The lines around it, with -C.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    context: Vec<ContextLine>,
}

#[derive(Serialize, Clone)]
struct ContextLine {
    line: u64,
    text: String,
}

fn json(txn: &Txn, args: &Args, found: &Found) -> Result<(), CommandError> {
    let mut results: Vec<Result1> = found
        .texts
        .iter()
        .map(|h| Result1 {
            incident: h.number,
            kind: h.kind.clone(),
            place: place(h),
            name: None,
            line: None,
            at: time::to_rfc3339(h.at),
            score: Some(h.score),
            exact: h.exact,
            snippet: h.snippet.clone(),
            text: None,
            context: Vec::new(),
        })
        .collect();
    for m in found.logs.iter().filter(|m| !m.shown.is_empty()) {
        json_lines(txn, args, found, m, &mut results)?;
    }
    let doc = Results {
        query: &args.query,
        totals: totals_of(found),
        results,
    };
    output::out_json(&serde_json::to_value(doc).unwrap_or_default())
}

/// A log's lines shown, each with the lines around it within -C.
fn json_lines(
    txn: &Txn,
    args: &Args,
    found: &Found,
    m: &LogMatches,
    results: &mut Vec<Result1>,
) -> Result<(), CommandError> {
    let mut lines: Vec<(u64, Vec<u8>, bool)> = Vec::new();
    txn.shown_lines::<CommandError>(m.log.blob_id, &m.shown, args.context, |n, line, hit| {
        lines.push((n, line.to_vec(), hit));
        Ok(())
    })?;
    let log: &LogRef = &m.log;
    for (n, line, _) in lines.iter().filter(|l| l.2) {
        let context = lines
            .iter()
            .filter(|(c, _, _)| *c != *n && c.abs_diff(*n) <= args.context)
            .map(|(c, text, _)| ContextLine {
                line: *c,
                text: String::from_utf8_lossy(text).into_owned(),
            })
            .collect();
        results.push(Result1 {
            incident: log.number,
            kind: log.kind.clone(),
            place: line_place(log, *n),
            name: Some(log.name.clone()),
            line: Some(*n),
            at: time::to_rfc3339(log.at),
            score: None,
            exact: false,
            snippet: found.highlighter.snippet(line, ("[", "]")),
            text: Some(String::from_utf8_lossy(line).into_owned()),
            context,
        });
    }
    Ok(())
}

/// Where in the incident a text is: "note at 2026-11-29 10:05", "field root_cause"; else the
/// document's own: "went wrong" (a lesson's list), "action 7 bug" (a link).
fn place(h: &Hit) -> String {
    match h.kind.as_str() {
        "note" => format!("note at {}", time::display(h.at)),
        "field" => format!("field {}", h.reference),
        _ => h.reference.clone(),
    }
}

/// The kind and place of a text as one column, each word once: "note" (its time follows),
/// "field root_cause", "lesson  went wrong", "link  action 7 bug".
fn what(h: &Hit) -> String {
    match h.kind.as_str() {
        "note" => "note".to_string(),
        "field" => format!("field {}", h.reference),
        kind => format!("{kind}  {}", h.reference),
    }
}

/// "attachment 2 line 1234", "command 3 output line 7".
fn line_place(log: &LogRef, line: u64) -> String {
    match log.kind.as_str() {
        "command" => format!("{} output line {line}", log.reference),
        _ => format!("{} line {line}", log.reference),
    }
}
