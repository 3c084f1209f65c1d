//! `incident import`: incidents from an `incident export` file, in one transaction. One whose
//! UUID is already here is skipped, so importing twice changes nothing; one whose number is
//! taken here gets the next free number. The file is read as a stream: a log's content passes
//! through a chunk at a time, checked against its SHA-256, and is stored once per hash.

use crate::app::App;
use crate::store::transfer::{
    self, BlobRecord, ChunkRecord, Imported, IncidentRecord, TransferError,
};
use crate::store::{Mode, Txn};
use crate::ui::error::CommandError;
use crate::ui::output;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::io::{BufRead, Read};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file `incident export` wrote; `-` reads stdin
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Print what was imported, skipped and renumbered as JSON
    #[arg(long)]
    pub json: bool,
}

/// Why reading the file stopped, kept aside while serde unwinds with a placeholder error.
enum Problem {
    NotAnExport(String),
    Newer(u64),
    Transfer(TransferError),
}

/// An incident written by this import.
struct Done {
    uuid: String,
    title: String,
    /// Its number in the file, and here.
    from: i64,
    number: i64,
    pk: i64,
}

/// The import as it goes: the transaction it writes in, and what it did so far.
struct Importer<'t, 'a> {
    txn: &'t Txn<'a>,
    format: bool,
    version: bool,
    /// The largest action item id in the file: ids taken here move past it.
    max_action_id: i64,
    problem: Option<Problem>,
    imported: Vec<Done>,
    /// Those imported under a placeholder number, numbered once all are in.
    deferred: Vec<usize>,
    /// (uuid, number in the file, number here, title)
    skipped: Vec<(String, i64, i64, String)>,
    /// (incident pk, id in the file, id here)
    actions_renumbered: Vec<(i64, i64, i64)>,
    /// Blobs stored by this import: (id, compressed bytes).
    new_blobs: Vec<(i64, u64)>,
    blobs_existing: u64,
    bytes_stored: u64,
}

fn stop<E: de::Error>(slot: &mut Option<Problem>, problem: Problem) -> E {
    *slot = Some(problem);
    E::custom("import stopped")
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let name = if args.file == "-" {
        "stdin".to_string()
    } else {
        args.file.clone()
    };
    let nothing = "nothing was imported";
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
                .with_hint(format!("check the path; {nothing}"))
        };
        if path.is_dir() {
            return Err(cannot("it is a directory".into()));
        }
        Box::new(std::fs::File::open(path).map_err(|e| cannot(e.to_string()))?)
    };
    let mut reader = std::io::BufReader::with_capacity(256 * 1024, reader);
    sniff(&name, &mut reader)?;

    let mut store = app.store(Mode::ReadWrite)?;
    let txn = store.write()?;
    let mut importer = Importer {
        txn: &txn,
        format: false,
        version: false,
        max_action_id: 0,
        problem: None,
        imported: Vec::new(),
        deferred: Vec::new(),
        skipped: Vec::new(),
        actions_renumbered: Vec::new(),
        new_blobs: Vec::new(),
        blobs_existing: 0,
        bytes_stored: 0,
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let parsed = (&mut importer).deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = parsed {
        // The transaction is dropped unfinished: nothing the file held so far is kept.
        return Err(match importer.problem.take() {
            Some(problem) => problem_error(&name, problem),
            None => json_error(&name, &e),
        });
    }
    if !importer.format || !importer.version {
        return Err(problem_error(
            &name,
            Problem::NotAnExport("no format".into()),
        ));
    }
    let renumbered = {
        let pks: Vec<i64> = importer
            .deferred
            .iter()
            .map(|i| importer.imported[*i].pk)
            .collect();
        txn.number_deferred(&pks)
            .map_err(|e| problem_error(&name, Problem::Transfer(e)))?
    };
    for (i, number) in importer.deferred.iter().zip(&renumbered) {
        importer.imported[*i].number = *number;
    }
    let new_blobs: Vec<i64> = importer.new_blobs.iter().map(|(id, _)| *id).collect();
    let dropped = txn
        .drop_unused_blobs(&new_blobs)
        .map_err(|e| problem_error(&name, Problem::Transfer(e)))?;
    importer.new_blobs.retain(|(id, _)| !dropped.contains(id));
    let stored = importer.new_blobs.len() as u64;
    importer.bytes_stored = importer.new_blobs.iter().map(|(_, bytes)| bytes).sum();
    let outcome = Outcome::from(importer);
    if !outcome.imported.is_empty() {
        // Notes are indexed in batches (see store::search); the imported ones are indexed now,
        // so that they are found as soon as the import is in.
        txn.index_pending_notes()?;
        txn.commit()?;
        store.bound_wal();
    }
    // Nothing imported: the transaction is dropped, and the database stays as it was.
    drop(spool);
    report(&args, &name, &outcome, stored)
}

/// Stdin copied to a private temporary file, removed when dropped.
struct Spool {
    path: std::path::PathBuf,
}

impl Spool {
    fn of_stdin() -> Result<Spool, CommandError> {
        use std::os::unix::fs::OpenOptionsExt;
        let path =
            std::env::temp_dir().join(format!("incident-import-{}.json", uuid::Uuid::new_v4()));
        let cannot = |e: std::io::Error| {
            CommandError::new(format!("cannot read stdin into {}: {e}", path.display()))
                .with_hint("set TMPDIR to a writable directory with room, or import from a file; nothing was imported")
        };
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(cannot)?;
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

/// What the import did, once the file is read.
struct Outcome {
    imported: Vec<Done>,
    skipped: Vec<(String, i64, i64, String)>,
    actions_renumbered: Vec<(i64, i64, i64)>,
    blobs_existing: u64,
    bytes_stored: u64,
}

impl From<Importer<'_, '_>> for Outcome {
    fn from(i: Importer) -> Self {
        Outcome {
            imported: i.imported,
            skipped: i.skipped,
            actions_renumbered: i.actions_renumbered,
            blobs_existing: i.blobs_existing,
            bytes_stored: i.bytes_stored,
        }
    }
}

/// Refuses early what is plainly not a JSON export, before the database is opened.
fn sniff(name: &str, reader: &mut impl BufRead) -> Result<(), CommandError> {
    let buf = reader.fill_buf().map_err(|e| {
        CommandError::new(format!("cannot read {name}: {e}")).with_hint("nothing was imported")
    })?;
    let first = buf.iter().copied().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'{') => Ok(()),
        None => Err(
            CommandError::new(format!("{name} is empty: not an incident export"))
                .with_hint("give a file `incident export` wrote; nothing was imported"),
        ),
        Some(b'#') => Err(CommandError::new(format!(
            "{name} is a Markdown export, which is for reading; import reads the JSON export"
        ))
        .with_hint(
            "export with `incident export … --format json` (the default); nothing was imported",
        )),
        Some(_) => Err(problem_error(name, Problem::NotAnExport("not JSON".into()))),
    }
}

fn problem_error(name: &str, problem: Problem) -> CommandError {
    let nothing = "nothing was imported";
    match problem {
        Problem::NotAnExport(what) => CommandError::new(format!(
            "{name} is not an incident export ({what})"
        ))
        .with_hint(format!("give a file `incident export` wrote; {nothing}")),
        Problem::Newer(version) => CommandError::new(format!(
            "{name} is an export of version {version}, newer than this incident binary reads ({})",
            transfer::VERSION
        ))
        .with_hint(format!(
            "import it with a newer incident binary (`cargo install --path .` from an up-to-date checkout); {nothing}"
        )),
        Problem::Transfer(TransferError::Invalid(why)) => {
            CommandError::new(format!("{name}: {why}")).with_hint(format!(
                "export it again from the source database; {nothing}"
            ))
        }
        Problem::Transfer(TransferError::Store(e)) => e.into(),
    }
}

fn json_error(name: &str, e: &serde_json::Error) -> CommandError {
    use serde_json::error::Category;
    let hint = "nothing was imported";
    match e.classify() {
        Category::Io => CommandError::new(format!("cannot read {name}: {e}")).with_hint(hint),
        Category::Syntax => {
            CommandError::new(format!("{name} is not valid JSON: {e}")).with_hint(hint)
        }
        Category::Eof => CommandError::new(format!("{name} ends early (cut short?): {e}"))
            .with_hint(format!("export it again; {hint}")),
        Category::Data => {
            CommandError::new(format!("{name} is not a valid incident export: {e}")).with_hint(hint)
        }
    }
}

impl Importer<'_, '_> {
    fn header<E: de::Error>(&mut self) -> Result<(), E> {
        if self.format && self.version {
            Ok(())
        } else {
            Err(stop(
                &mut self.problem,
                Problem::NotAnExport("it does not start with its format and version".into()),
            ))
        }
    }

    fn incident(&mut self, record: IncidentRecord) -> Result<(), TransferError> {
        let placeholder = -(self.deferred.len() as i64 + 1);
        match self
            .txn
            .import_incident(&record, placeholder, self.max_action_id)?
        {
            Imported::Skipped { number } => {
                self.skipped
                    .push((record.uuid, record.number, number, record.title));
            }
            Imported::New {
                pk,
                deferred,
                actions_renumbered,
            } => {
                if deferred {
                    self.deferred.push(self.imported.len());
                }
                for (from, to) in actions_renumbered {
                    self.actions_renumbered.push((pk, from, to));
                }
                self.imported.push(Done {
                    uuid: record.uuid,
                    title: record.title,
                    from: record.number,
                    number: record.number,
                    pk,
                });
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for &mut Importer<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for &mut Importer<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an incident export (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => {
                    let format: String = map.next_value()?;
                    if format != transfer::FORMAT {
                        let what = format!("its format is '{format}'");
                        return Err(stop(&mut self.problem, Problem::NotAnExport(what)));
                    }
                    self.format = true;
                }
                "version" => {
                    if !self.format {
                        return self.header();
                    }
                    let version: u64 = map.next_value()?;
                    if version > transfer::VERSION {
                        return Err(stop(&mut self.problem, Problem::Newer(version)));
                    }
                    if version == 0 {
                        let what = "version 0".to_string();
                        return Err(stop(&mut self.problem, Problem::NotAnExport(what)));
                    }
                    self.version = true;
                }
                "max_action_id" => self.max_action_id = map.next_value()?,
                "blobs" => {
                    self.header()?;
                    map.next_value_seed(Blobs(&mut *self))?;
                }
                "incidents" => {
                    self.header()?;
                    map.next_value_seed(Incidents(&mut *self))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The file's `blobs`: the content of logs and command output, each stored as it is read.
struct Blobs<'i, 't, 'a>(&'i mut Importer<'t, 'a>);

impl<'de> DeserializeSeed<'de> for Blobs<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Blobs<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of stored contents")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        while seq.next_element_seed(Blob(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

struct Blob<'i, 't, 'a>(&'i mut Importer<'t, 'a>);

impl<'de> DeserializeSeed<'de> for Blob<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Blob<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a stored content: its sha256, sizes and chunks")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let importer = self.0;
        let mut sha256: Option<String> = None;
        let (mut size, mut lines, mut stored) = (None, None, None);
        let mut done = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "sha256" => sha256 = Some(map.next_value()?),
                "size" => size = Some(map.next_value()?),
                "lines" => lines = Some(map.next_value()?),
                "stored" => stored = Some(map.next_value()?),
                "chunks" => {
                    let (Some(sha256), Some(size), Some(lines), Some(stored)) =
                        (sha256.clone(), size, lines, stored)
                    else {
                        return Err(de::Error::custom(
                            "a content's sha256, size, lines and stored must come before its chunks",
                        ));
                    };
                    let declared = BlobRecord {
                        id: 0,
                        sha256,
                        size,
                        lines,
                        stored,
                    };
                    let txn = importer.txn;
                    let mut blob = txn
                        .import_blob(declared)
                        .map_err(|e| stop(&mut importer.problem, Problem::Transfer(e)))?;
                    map.next_value_seed(Chunks {
                        blob: &mut blob,
                        problem: &mut importer.problem,
                    })?;
                    let blob = blob
                        .finish()
                        .map_err(|e| stop(&mut importer.problem, Problem::Transfer(e)))?;
                    done = Some(blob);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Some(blob) = done else {
            return Err(de::Error::missing_field("chunks"));
        };
        if blob.existed {
            importer.blobs_existing += 1;
        } else {
            importer.new_blobs.push((blob.id, blob.stored));
        }
        Ok(())
    }
}

/// A content's chunks, each checked and stored before the next is read.
struct Chunks<'b, 't, 'a> {
    blob: &'b mut transfer::BlobImport<'t, 'a>,
    problem: &'b mut Option<Problem>,
}

impl<'de> DeserializeSeed<'de> for Chunks<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Chunks<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of chunks")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        while let Some(chunk) = seq.next_element::<ChunkRecord>()? {
            self.blob
                .push(&chunk)
                .map_err(|e| stop(self.problem, Problem::Transfer(e)))?;
        }
        Ok(())
    }
}

/// The file's `incidents`, each written as it is read.
struct Incidents<'i, 't, 'a>(&'i mut Importer<'t, 'a>);

impl<'de> DeserializeSeed<'de> for Incidents<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Incidents<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of incidents")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        while let Some(record) = seq.next_element::<IncidentRecord>()? {
            self.0
                .incident(record)
                .map_err(|e| stop(&mut self.0.problem, Problem::Transfer(e)))?;
        }
        Ok(())
    }
}

fn report(args: &Args, name: &str, i: &Outcome, stored: u64) -> Result<(), CommandError> {
    let number_of = |pk: i64| {
        i.imported
            .iter()
            .find(|d| d.pk == pk)
            .map_or(0, |d| d.number)
    };
    for d in &i.imported {
        if d.number == d.from {
            output::status(&format!("incident {} imported: {}", d.number, d.title));
        } else {
            output::status(&format!(
                "incident {} imported as {} ({} is taken here): {}",
                d.from, d.number, d.from, d.title
            ));
        }
    }
    for (pk, from, to) in &i.actions_renumbered {
        output::status(&format!(
            "action item {from} of incident {} imported as {to} ({from} is taken here)",
            number_of(*pk)
        ));
    }
    for (_, from, here, _) in &i.skipped {
        output::status(&format!(
            "incident {from} skipped: already here as incident {here} (same id)"
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
    if !args.json {
        return Ok(());
    }
    let imported: Vec<_> = i
        .imported
        .iter()
        .map(|d| {
            serde_json::json!({
                "number": d.number,
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
        .map(|(uuid, from, here, title)| {
            serde_json::json!({"number": here, "file_number": from, "id": uuid, "title": title})
        })
        .collect();
    let actions: Vec<_> = i
        .actions_renumbered
        .iter()
        .map(|(pk, from, to)| {
            serde_json::json!({"incident": number_of(*pk), "file_id": from, "id": to})
        })
        .collect();
    output::out_json(&serde_json::json!({
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
            "stored": stored,
            "already_stored": i.blobs_existing,
            "stored_bytes": i.bytes_stored,
        },
    }))
}
