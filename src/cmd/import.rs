//! `incident import`: incidents from an `incident export` file, in one transaction. One whose
//! UUID is already here is skipped, so importing twice changes nothing; one whose number is
//! taken here gets the next free number. The file is read as a stream: a log's content passes
//! through a chunk at a time, checked against its SHA-256, and is stored once per hash.

use crate::app::App;
use crate::app::transfer::{self, Imported};
use crate::domain::model::Number;
use crate::transfer::{ImportError, VERSION};
use crate::ui::error::CommandError;
use crate::ui::output;
use std::io::Read;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file `incident export` wrote; `-` reads stdin
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Print what was imported, skipped and renumbered as JSON
    #[arg(long)]
    pub json: bool,
}

const NOTHING: &str = "nothing was imported";

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let name = if args.file == "-" {
        "stdin".to_string()
    } else {
        args.file.clone()
    };
    let mut spool = None;
    let reader: Box<dyn Read> = if args.file == "-" {
        // Read whole before the database is locked: an import holds the write lock while it
        // reads, and stdin may be a slow pipe from another machine.
        let spooled = Spool::of_stdin()?;
        let file = spooled.open()?;
        spool = Some(spooled);
        Box::new(file)
    } else {
        let path = std::path::Path::new(&args.file);
        let cannot = |e: String| {
            CommandError::new(format!("cannot read {name}: {e}"))
                .with_hint(format!("check the path; {NOTHING}"))
        };
        if path.is_dir() {
            return Err(cannot("it is a directory".into()));
        }
        Box::new(std::fs::File::open(path).map_err(|e| cannot(e.to_string()))?)
    };
    let reader = std::io::BufReader::with_capacity(256 * 1024, reader);
    let imported = transfer::import(app, reader).map_err(|e| error(&name, e))?;
    drop(spool);
    report(&args, &name, &imported)
}

/// Stdin copied to a private temporary file, removed when dropped.
struct Spool {
    path: std::path::PathBuf,
}

impl Spool {
    fn of_stdin() -> Result<Spool, CommandError> {
        let path =
            std::env::temp_dir().join(format!("incident-import-{}.json", uuid::Uuid::new_v4()));
        let cannot = |e: std::io::Error| {
            CommandError::new(format!("cannot read stdin into {}: {e}", path.display()))
                .with_hint("set TMPDIR to a writable directory with room, or import from a file; nothing was imported")
        };
        let mut file = crate::store::files::create_new(&path).map_err(cannot)?;
        let spool = Spool { path: path.clone() };
        std::io::copy(&mut std::io::stdin().lock(), &mut file).map_err(cannot)?;
        Ok(spool)
    }

    fn open(&self) -> Result<std::fs::File, CommandError> {
        std::fs::File::open(&self.path).map_err(|e| {
            CommandError::new(format!("cannot read {}: {e}", self.path.display()))
                .with_hint("nothing was imported")
        })
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn error(name: &str, e: ImportError) -> CommandError {
    let again = format!("export it again from the source database; {NOTHING}");
    let not_export = format!("give a file `incident export` wrote; {NOTHING}");
    match e {
        ImportError::Read(e) => {
            CommandError::new(format!("cannot read {name}: {e}")).with_hint(NOTHING)
        }
        ImportError::Empty => {
            CommandError::new(format!("{name} is empty: not an incident export"))
                .with_hint(not_export)
        }
        ImportError::Markdown => CommandError::new(format!(
            "{name} is a Markdown export, which is for reading; import reads the JSON export"
        ))
        .with_hint(format!(
            "export with `incident export … --format json` (the default); {NOTHING}"
        )),
        ImportError::NotAnExport(what) => {
            CommandError::new(format!("{name} is not an incident export ({what})"))
                .with_hint(not_export)
        }
        ImportError::Newer(version) => CommandError::new(format!(
            "{name} is an export of version {version}, newer than this incident binary reads ({VERSION})"
        ))
        .with_hint(format!(
            "import it with a newer incident binary (`cargo install --path .` from an up-to-date checkout); {NOTHING}"
        )),
        ImportError::Invalid(why) => CommandError::new(format!("{name}: {why}")).with_hint(again),
        ImportError::Store(e) => e.into(),
        ImportError::Json(e) => json_error(name, &e),
    }
}

fn json_error(name: &str, e: &serde_json::Error) -> CommandError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Io => CommandError::new(format!("cannot read {name}: {e}")).with_hint(NOTHING),
        Category::Syntax => {
            CommandError::new(format!("{name} is not valid JSON: {e}")).with_hint(NOTHING)
        }
        Category::Eof => CommandError::new(format!("{name} ends early (cut short?): {e}"))
            .with_hint(format!("export it again; {NOTHING}")),
        Category::Data => CommandError::new(format!("{name} is not a valid incident export: {e}"))
            .with_hint(NOTHING),
    }
}

fn report(args: &Args, name: &str, i: &Imported) -> Result<(), CommandError> {
    let stored = i.stored;
    let number_of = |pk: i64| number_here(i, pk);
    for d in &i.imported {
        if d.number == d.from {
            output::status(&format!("incident {} imported: {}", d.number, d.title));
        } else if d.number < 0 {
            // A copy that shares with a team log: the team will number it at its push.
            output::status(&format!(
                "incident {} imported as {} until the team numbers it: {}",
                d.from,
                Number(d.number),
                d.title
            ));
        } else {
            output::status(&format!(
                "incident {} imported as {} ({} is taken here): {}",
                d.from, d.number, d.from, d.title
            ));
        }
    }
    for m in &i.actions_renumbered {
        output::status(&format!(
            "action item {from} of incident {} imported as {to} ({from} is taken here)",
            number_of(m.incident_pk),
            from = m.from,
            to = m.to
        ));
    }
    for s in &i.skipped {
        output::status(&format!(
            "incident {} skipped: already here as incident {} (same id)",
            s.from, s.number
        ));
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let renumbered = i.imported.iter().filter(|d| d.number != d.from).count();
    if i.imported.is_empty() {
        output::status(&format!(
            "nothing to import from {name}: {} incident{} already here, the database is unchanged",
            i.skipped.len(),
            plural(i.skipped.len())
        ));
    } else {
        output::status(&format!(
            "imported {} incident{} from {name}{}, skipped {} already here; logs and output: {stored} stored ({} bytes compressed), {} already here",
            i.imported.len(),
            plural(i.imported.len()),
            if renumbered > 0 {
                format!(" ({renumbered} renumbered)")
            } else {
                String::new()
            },
            i.skipped.len(),
            i.bytes_stored,
            i.blobs_existing
        ));
    }
    if args.json {
        output::out_json(&json(name, i))?;
    }
    Ok(())
}

/// The number here of the imported incident with row key `pk`.
fn number_here(i: &Imported, pk: i64) -> i64 {
    i.imported
        .iter()
        .find(|d| d.pk == pk)
        .map_or(0, |d| d.number)
}

/// The report as JSON.
fn json(name: &str, i: &Imported) -> serde_json::Value {
    let number_of = |pk: i64| number_here(i, pk);
    let imported: Vec<_> = i
        .imported
        .iter()
        .map(|d| {
            serde_json::json!({
                "number": Number(d.number),
                "file_number": d.from,
                "id": d.uuid,
                "title": d.title,
                "renumbered": d.number != d.from,
            })
        })
        .collect();
    let skipped: Vec<_> = i
        .skipped
        .iter()
        .map(|s| {
            serde_json::json!({"number": s.number, "file_number": s.from, "id": s.uuid, "title": s.title})
        })
        .collect();
    let actions: Vec<_> = i
        .actions_renumbered
        .iter()
        .map(|m| {
            serde_json::json!({"incident": number_of(m.incident_pk), "file_id": m.from, "id": m.to})
        })
        .collect();
    serde_json::json!({
        "file": name,
        "imported": imported,
        "skipped": skipped,
        "renumbered": i
            .imported
            .iter()
            .filter(|d| d.number != d.from)
            .map(|d| serde_json::json!({"id": d.uuid, "file_number": d.from, "number": d.number}))
            .collect::<Vec<_>>(),
        "actions_renumbered": actions,
        "content": {
            "stored": i.stored,
            "already_stored": i.blobs_existing,
            "stored_bytes": i.bytes_stored,
        },
    })
}
