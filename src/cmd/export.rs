//! `incident export`: incidents with everything recorded about them, as JSON for `incident
//! import` on another machine, or as Markdown to read. Streamed a chunk of log at a time.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::app::transfer::{self, Destination, ExportError, Exported, Which};
use crate::transfer::Format;
use crate::ui::error::CommandError;
use crate::ui::output;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incidents: numbers, or 6+ hex digits of their UUIDs
    #[arg(value_parser = incident_ref, required_unless_present = "all", conflicts_with = "all")]
    pub numbers: Vec<IncidentRef>,
    /// Every incident
    #[arg(long)]
    pub all: bool,
    /// json (everything, for `incident import`) or md (to read)
    #[arg(long, value_name = "FORMAT", default_value = "json")]
    pub format: String,
    /// Write to FILE (all of it or, on error, nothing) instead of stdout; `-` is stdout
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    // What teammates recorded first (within the team timeout; never fails the command).
    app.refresh();
    let format = match args.format.as_str() {
        "json" => Format::Json,
        "md" | "markdown" => Format::Markdown,
        other => {
            return Err(
                CommandError::new(format!("unknown format '{other}': use json or md"))
                    .with_hint("json is what `incident import` reads; md is for people"),
            );
        }
    };
    let numbers = args
        .numbers
        .iter()
        .map(|r| app.number(r))
        .collect::<Result<Vec<_>, _>>()?;
    let which = if args.all {
        Which::All
    } else {
        Which::Numbers(&numbers)
    };
    let target = match args.out.as_deref() {
        None | Some("-") => None,
        Some(path) => Some(Path::new(path)),
    };
    let exported = match target {
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
            match transfer::export(app, which, format, Destination::Stream(&mut out)) {
                Ok(exported) => exported,
                // A closed pipe (`incident export --all | head`) is the reader's choice.
                Err(ExportError::Stream(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    return Ok(());
                }
                Err(e) => return Err(error(e, "stdout")),
            }
        }
        Some(path) => transfer::export(app, which, format, Destination::File(path))
            .map_err(|e| error(e, &path.display().to_string()))?,
    };
    output::status(&status(&exported, format, target));
    Ok(())
}

fn error(e: ExportError, to: &str) -> CommandError {
    match e {
        ExportError::App(e) => e.into(),
        ExportError::Stream(e) => CommandError::new(format!("cannot write to {to}: {e}")),
        ExportError::File { action, source } => {
            CommandError::new(format!("cannot {action} {to}: {source}"))
                .with_hint("check the directory exists and is writable; nothing was written")
        }
    }
}

/// What went out, and where.
fn status(exported: &Exported, format: Format, target: Option<&Path>) -> String {
    let Exported { counts, bytes } = exported;
    let to = target
        .map(|p| format!(" to {}", p.display()))
        .unwrap_or_default();
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    // The Markdown lists logs and command runs without their content.
    let content = match format {
        Format::Json => format!(
            "; {} of log and output content",
            plural(counts.content, "byte", "bytes")
        ),
        Format::Markdown => String::new(),
    };
    format!(
        "exported {} ({}, {}, {}, {}, {}{content}){to}: {bytes} bytes",
        plural(counts.incidents, "incident", "incidents"),
        plural(counts.events, "event", "events"),
        plural(counts.snapshots, "snapshot", "snapshots"),
        plural(counts.actions, "action item", "action items"),
        plural(counts.logs, "log", "logs"),
        plural(counts.commands, "command run", "command runs"),
    )
}
