//! `incident attach`: keep logs with the incident, streamed in, redacted, compressed, and stored
//! once however often the same content is attached.

use super::args::incident_number;
use crate::app::App;
use crate::app::record;
use crate::store::{Chunker, Mode};
use crate::ui::error::CommandError;
use crate::ui::output;
use std::io::Read;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident number
    #[arg(value_parser = incident_number)]
    pub number: i64,
    /// Log files; `-` reads stdin (`kubectl logs … | incident attach 12 -`)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// The name it is listed under (one FILE only) [default: the file's name, or "stdin"]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// A log to read, opened before the database so that a wrong path leaves nothing behind.
struct Source {
    name: String,
    reader: Box<dyn Read>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let sources = open_sources(&args)?;
    let actor = app.actor();
    let redactor = crate::app::redaction::redactor(app);
    let mut store = app.store(Mode::ReadWrite)?;
    // One transaction for every file: all are attached or, on an error or Ctrl-C, none.
    let txn = store.write()?;
    let mut change = record::begin(&txn, &actor, "the attachment", args.number, None)?;
    let mut reports = Vec::new();
    for source in sources {
        let read_error = |e: std::io::Error| {
            CommandError::new(format!("cannot read {}: {e}", source.name))
                .with_hint("nothing was attached")
        };
        let mut writer = txn.blob_writer()?;
        let mut chunker = Chunker::new(source.reader);
        let mut redactions = 0;
        while let Some(chunk) = chunker.next_chunk().map_err(read_error)? {
            let (clean, n) = redactor.redact_bytes(chunk);
            redactions += n;
            writer.push(&clean)?;
        }
        let blob = writer.finish()?;
        let seq = txn.insert_attachment(
            change.incident.pk,
            &source.name,
            blob.id,
            redactions,
            &actor.author,
            actor.now,
        )?;
        change.attachment(seq, &source.name, blob.size, blob.lines, &blob.hash);
        let mut line = format!(
            "attached {} to incident {} as log {seq}: {} bytes, {} line{}, sha256 {}",
            source.name,
            args.number,
            blob.size,
            blob.lines,
            if blob.lines == 1 { "" } else { "s" },
            blob.hash
        );
        if blob.existed {
            line.push_str(" (already stored; kept once)");
        }
        if redactions > 0 {
            line.push_str(&format!(" ({redactions} secrets redacted)"));
        }
        reports.push(line);
    }
    record::save(&txn, &actor, change)?;
    txn.commit()?;
    store.bound_wal();
    for line in reports {
        output::status(&line);
    }
    Ok(())
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
