//! `incident logs`: list an incident's attached logs and recorded command output, or stream one
//! back, grepped or tailed, a chunk at a time so that a 1 GB log prints with bounded memory.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::app::logs::{self, Filter, Log};
use crate::app::record;
use crate::domain::model::Number;
use crate::store::{Attachment, CommandRun, Mode};
use crate::ui::error::{CommandError, exit};
use crate::ui::output;
use std::io::{IsTerminal, Write};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// The log to print, K as listed by `incident logs N` [default: the only one]
    #[arg(long, short = 'a', value_name = "K")]
    pub attachment: Option<i64>,
    /// The recorded output of command K (`incident exec`), as listed by `incident logs N`
    #[arg(long, value_name = "K")]
    pub command: Option<i64>,
    /// Only lines matching this regular expression
    #[arg(long, value_name = "PATTERN")]
    pub grep: Option<String>,
    /// Only the last N lines (of those matching --grep, with it)
    #[arg(long, value_name = "N")]
    pub tail: Option<usize>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let number = app.number(&args.number)?;
    let grep = args.grep.as_deref().map(regex).transpose()?;
    let mut store = app.store(Mode::Read)?;
    let mut txn = store.read()?;
    let incident = record::load(&txn, number)?;
    let attachments = txn.attachments(incident.pk)?;
    let runs = txn.command_runs(incident.pk)?;
    let filtering = grep.is_some() || args.tail.is_some();
    let Some(log) = chosen(&args, number, &attachments, &runs, filtering)? else {
        return list(number, &attachments, &runs);
    };
    if txn.blob_is_remote(log.blob_id)? {
        // A teammate's log left on the team log (`[team] pull_logs = false`): fetched now.
        let blob = attachments
            .iter()
            .map(|a| &a.blob)
            .chain(runs.iter().map(|r| &r.output))
            .find(|b| b.id == log.blob_id)
            .cloned();
        drop(txn);
        drop(store);
        if let Some(blob) = blob {
            app.fetch_log(&blob)?;
        }
        store = app.store(Mode::Read)?;
        txn = store.read()?;
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let filter = Filter {
        grep: grep.as_ref(),
        tail: args.tail,
    };
    // On a terminal a log's control characters are shown escaped, as all text is; into a
    // pipe or a file it is the log as recorded, byte for byte.
    let escape = std::io::stdout().is_terminal();
    logs::read(&txn, log, filter, |bytes| {
        if escape {
            out.write_all(&crate::domain::text::escape_control_bytes(bytes))
        } else {
            out.write_all(bytes)
        }
        .map_err(write_error)
    })?;
    out.flush().map_err(write_error)
}

/// The --grep pattern, or an error saying on one line why it is not a regular expression.
fn regex(pattern: &str) -> Result<regex::bytes::Regex, CommandError> {
    regex::bytes::Regex::new(pattern).map_err(|e| {
        // The regex crate explains over several lines with a caret; its last line says it.
        let why = e.to_string();
        let why = why.lines().last().unwrap_or("").trim();
        let why = why.strip_prefix("error: ").unwrap_or(why);
        CommandError::new(format!(
            "--grep '{pattern}' is not a valid regular expression: {why}"
        ))
        .with_hint("it is a Rust regex; escape special characters with \\")
    })
}

/// The log to print, or None to list them all.
fn chosen(
    args: &Args,
    number: Number,
    attachments: &[Attachment],
    runs: &[CommandRun],
    filtering: bool,
) -> Result<Option<Log>, CommandError> {
    let listed = |what: &str| {
        CommandError::new(format!("incident {} has no {what}", number))
            .with_hint(format!("`incident logs {}` lists them", number))
    };
    let attachment = |a: &Attachment| Log {
        blob_id: a.blob.id,
        lines: a.blob.lines,
    };
    match (args.attachment, args.command) {
        (Some(_), Some(_)) => Err(CommandError::new(
            "--attachment and --command each name what to print",
        )
        .with_hint("give one of them")),
        (Some(k), None) => attachments
            .iter()
            .find(|a| a.seq == k)
            .map(|a| Some(attachment(a)))
            .ok_or_else(|| listed(&format!("log {k}"))),
        (None, Some(k)) => runs
            .iter()
            .find(|r| r.seq == k)
            .map(|r| {
                Some(Log {
                    blob_id: r.output.id,
                    lines: r.output.lines,
                })
            })
            .ok_or_else(|| listed(&format!("command {k}"))),
        (None, None) if filtering && attachments.len() == 1 => {
            Ok(attachments.first().map(attachment))
        }
        (None, None) if filtering => Err(CommandError::new(format!(
            "incident {} has {} logs; --grep and --tail read one",
            number,
            attachments.len()
        ))
        .with_hint(format!(
            "pick one with --attachment K (`incident logs {}` lists them)",
            number
        ))),
        (None, None) => Ok(None),
    }
}

/// A closed pipe (`incident logs 3 -a 1 | head`) ends the output quietly, like `cat`.
fn write_error(e: std::io::Error) -> CommandError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CommandError::exit(exit::OK)
    } else {
        CommandError::new(format!("cannot write to stdout: {e}"))
    }
}

/// The attached logs, then the commands run.
fn list(
    number: Number,
    attachments: &[Attachment],
    runs: &[CommandRun],
) -> Result<(), CommandError> {
    if attachments.is_empty() && runs.is_empty() {
        output::status(&format!(
            "incident {number} has no attached logs or command output; `incident attach {number} FILE` adds a log, `incident exec {number} -- COMMAND` records a command"
        ));
        return Ok(());
    }
    let mut text = String::new();
    if !attachments.is_empty() {
        text.push_str(&attachment_table(attachments));
    }
    if !runs.is_empty() {
        if !text.is_empty() {
            text.push('\n');
        }
        let mut rows = vec![
            ["CMD", "COMMAND", "OUTPUT", "LINES", "EXIT", "RAN", "BY"]
                .map(String::from)
                .to_vec(),
        ];
        rows.extend(runs.iter().map(run_row));
        text.push_str(&output::table(&rows, |_, _, cell| cell.to_string()));
    }
    output::out(&text)
}

fn run_row(r: &CommandRun) -> Vec<String> {
    let exit = match (r.exit_code, r.signal) {
        (Some(code), _) => code.to_string(),
        (None, Some(sig)) => format!("signal {sig}"),
        _ => "?".into(),
    };
    let cut = if r.output_bytes > r.output_cap {
        " (cut)"
    } else {
        ""
    };
    vec![
        r.seq.to_string(),
        one_line(&r.command),
        format!("{}{cut}", human_bytes(r.output.size)),
        r.output.lines.to_string(),
        exit,
        crate::domain::time::display(r.started_at),
        r.run_by.clone(),
    ]
}

/// A command line on one line, cut to fit a table row.
fn one_line(command: &str) -> String {
    const WIDTH: usize = 60;
    let flat = command.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= WIDTH {
        return flat;
    }
    let mut cut: String = flat.chars().take(WIDTH - 1).collect();
    cut.push('…');
    cut
}

fn attachment_table(attachments: &[Attachment]) -> String {
    let mut rows = vec![
        ["K", "NAME", "SIZE", "LINES", "ADDED", "BY"]
            .map(String::from)
            .to_vec(),
    ];
    for a in attachments {
        rows.push(vec![
            a.seq.to_string(),
            a.name.clone(),
            human_bytes(a.blob.size),
            a.blob.lines.to_string(),
            crate::domain::time::display(a.added_at),
            a.added_by.clone(),
        ]);
    }
    output::table(&rows, |_, _, cell| cell.to_string())
}

/// `512 B`, `1.5 KiB`, `12.0 MiB`.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}
