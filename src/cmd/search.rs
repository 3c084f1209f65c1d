//! `incident search`: full-text search over everything recorded, best match first.

use super::args::incident_number;
use crate::app::App;
use crate::domain::time;
use crate::store::{Hit, Mode, SearchError, SearchQuery};
use crate::ui::error::CommandError;
use crate::ui::output::{self, Paint};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Words (all must occur), "an exact phrase", a prefix* , or AND / OR / NOT between them;
    /// a word with punctuation (updater-5c, 10.0.0.5) is searched as typed
    pub query: String,
    /// Only this incident
    #[arg(long, value_parser = incident_number, value_name = "N")]
    pub incident: Option<i64>,
    /// Only what was recorded at or after TIME
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Only one kind of text
    #[arg(long, value_parser = ["note", "log", "snapshot", "command", "field", "action"])]
    pub kind: Option<String>,
    /// At most this many results
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Print the results as JSON
    #[arg(long)]
    pub json: bool,
}

const HINT: &str = "put a phrase in double quotes (\"connection refused\"), end a prefix with * (crypto*), and quote AND, OR, NOT to search for them as words";

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    if args.query.trim().is_empty() {
        return Err(CommandError::new("the search query is empty").with_hint(HINT));
    }
    let since = app.time(args.since.as_deref())?;
    let paint = if args.json {
        Paint::plain()
    } else {
        Paint::stdout()
    };
    let red = paint.red("\u{1}");
    let mark = match red.split_once('\u{1}') {
        Some((open, close)) if !open.is_empty() => (open.to_string(), close.to_string()),
        _ => ("[".to_string(), "]".to_string()),
    };
    let query = SearchQuery {
        query: &args.query,
        incident: args.incident,
        since,
        kind: args.kind.as_deref(),
        limit: args.limit,
        mark: (&mark.0, &mark.1),
    };
    // Notes are indexed here rather than when written, so that `note` stays one insert. No
    // database, nothing to catch up on (and a search creates none).
    let mut store = if app.settings.db.exists() {
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
        store
    } else {
        app.store(Mode::Read)?
    };
    let txn = store.read()?;
    let hits = txn.search(&query).map_err(|e| match e {
        SearchError::Query(why) => {
            CommandError::new(format!("cannot search for '{}': {why}", args.query)).with_hint(HINT)
        }
        SearchError::Store(e) => e.into(),
    })?;
    if args.json {
        let results: Vec<serde_json::Value> = hits
            .iter()
            .map(|h| {
                serde_json::json!({
                    "incident": h.number,
                    "kind": h.kind,
                    "where": place(h),
                    "line": h.line,
                    "at": time::to_rfc3339(h.at),
                    "score": h.score,
                    "exact": h.exact,
                    "snippet": h.snippet,
                })
            })
            .collect();
        return output::out_json(&serde_json::json!({
            "query": args.query,
            "results": results,
        }));
    }
    if hits.is_empty() {
        output::status(&format!("nothing matches '{}'", args.query));
        return Ok(());
    }
    let mut text = String::new();
    for h in &hits {
        text.push_str(&format!(
            "{}  {}  {}  {}\n    {}\n",
            paint.bold(&format!("incident {}", h.number)),
            h.kind,
            place(h),
            paint.dim(&time::display(h.at)),
            h.snippet
        ));
    }
    output::out(&text)?;
    if hits.len() == args.limit {
        // What was written comes first: a common word can fill the limit before any log line.
        output::status(&format!(
            "showing the first {}; --limit {} shows more, --kind log only log lines",
            args.limit,
            args.limit * 5
        ));
    }
    Ok(())
}

/// Where in the incident the hit is: "attachment 2 line 1234", "note at 2026-11-29 10:05".
fn place(h: &Hit) -> String {
    match (h.kind.as_str(), h.line) {
        ("note", _) => format!("note at {}", time::display(h.at)),
        ("field", _) => format!("field {}", h.reference),
        ("command", Some(line)) => format!("{} output line {line}", h.reference),
        (_, Some(line)) => format!("{} line {line}", h.reference),
        _ => h.reference.clone(),
    }
}
