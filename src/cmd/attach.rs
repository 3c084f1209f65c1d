//! `incident attach`: keep logs with the incident, streamed in, redacted, compressed, and stored
//! once however often the same content is attached.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::app::attach::{self, AttachError, Attached, Source};
use crate::domain::model::Number;
use crate::ui::error::CommandError;
use crate::ui::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// Log files; `-` reads stdin (`kubectl logs … | incident attach 12 -`)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// The name it is listed under (one FILE only) [default: the file's name, or "stdin"]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let number = app.number(&args.number)?;
    // Opened before the database, so that a wrong path leaves nothing behind.
    let sources = open_sources(&args)?;
    let attached = attach::attach(app, number, sources).map_err(|e| match e {
        AttachError::App(e) => CommandError::from(e),
        e => CommandError {
            hint: e.hint(),
            ..CommandError::new(e.to_string())
        },
    })?;
    for a in &attached {
        output::status(&report(number, a));
    }
    Ok(())
}

/// "attached app.log to incident 3 as log 1: 120 bytes, 2 lines, sha256 …", and when redaction
/// changed it, which lines by which rules and the hash of the log as read: the stored copy's
/// hash then no longer matches `sha256sum` of the file.
fn report(number: Number, a: &Attached) -> String {
    let blob = &a.blob;
    let mut line = format!(
        "attached {} to incident {number} as log {}: {} bytes, {} line{}, sha256 {}",
        a.name,
        a.seq,
        blob.size,
        blob.lines,
        plural(blob.lines),
        blob.hash
    );
    if blob.existed {
        line.push_str(" (already stored; kept once)");
    }
    let redacted = &a.redacted;
    if redacted.lines > 0 {
        let rules: Vec<String> = redacted
            .rules
            .iter()
            .map(|(rule, n)| format!("{rule} {n}"))
            .collect();
        line.push_str(&format!(
            "; redacted {} secret{} on {} line{} ({}): sha256 {} as read, {} as stored",
            redacted.secrets(),
            plural(redacted.secrets()),
            redacted.lines,
            plural(redacted.lines),
            rules.join(", "),
            a.original_hash,
            blob.hash
        ));
    }
    line
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn open_sources(args: &Args) -> Result<Vec<Source>, CommandError> {
    if args.name.is_some() && args.files.len() > 1 {
        return Err(CommandError::new(format!(
            "--name names one FILE, but {} were given",
            args.files.len()
        ))
        .with_hint("attach them one at a time to name each"));
    }
    if args.files.iter().filter(|f| *f == "-").count() > 1 {
        return Err(CommandError::new("stdin (`-`) was given more than once")
            .with_hint("stdin can be read once; give it once"));
    }
    if let Some(name) = &args.name
        && name.trim().is_empty()
    {
        return Err(CommandError::new("the --name is empty")
            .with_hint("give a name, or leave --name out to use the file's"));
    }
    let mut sources = Vec::new();
    for file in &args.files {
        let source = if file == "-" {
            Source {
                name: "stdin".into(),
                reader: Box::new(std::io::stdin()),
            }
        } else {
            let path = std::path::Path::new(file);
            let cannot = |e: String| {
                CommandError::new(format!("cannot read {file}: {e}"))
                    .with_hint("check the path; nothing was attached")
            };
            if path.is_dir() {
                return Err(cannot("it is a directory".into()));
            }
            let f = std::fs::File::open(path).map_err(|e| cannot(e.to_string()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.clone());
            Source {
                name,
                reader: Box::new(f),
            }
        };
        sources.push(source);
    }
    if let (Some(name), Some(source)) = (&args.name, sources.first_mut()) {
        source.name = name.trim().to_string();
    }
    Ok(sources)
}
