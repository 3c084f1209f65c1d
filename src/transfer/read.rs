//! Reading an export file as a stream, writing as it reads: a log's content passes through a
//! chunk at a time, and each incident is written as soon as it is read. serde's visitors drive
//! the reading; what stops it is kept aside while serde unwinds with a placeholder error.

use super::blob::BlobImport;
use super::import::{self, Imported};
use super::record::{BlobRecord, ChunkRecord, IncidentRecord};
use super::{FORMAT, TransferError, VERSION};
use crate::domain::sla::Policy;
use crate::domain::time::Timestamp;
use crate::store::{StoreError, Txn};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::io::{BufRead, Read};

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read the file: {0}")]
    Read(#[source] std::io::Error),
    #[error("the file is empty")]
    Empty,
    #[error("the file is a Markdown export")]
    Markdown,
    /// Not an export: the text says what it is instead.
    #[error("not an incident export ({0})")]
    NotAnExport(String),
    #[error("an export of version {0}, newer than this binary reads ({VERSION})")]
    Newer(u64),
    /// An export holding something it should not; the text says which and why.
    #[error("{0}")]
    Invalid(String),
    /// Not JSON, cut short, or not shaped like an export.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<TransferError> for ImportError {
    fn from(e: TransferError) -> Self {
        match e {
            TransferError::Invalid(why) => ImportError::Invalid(why),
            TransferError::Store(e) => ImportError::Store(e),
        }
    }
}

/// An incident written by the import.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    pub uuid: String,
    pub title: String,
    /// Its number in the file, and here (a placeholder until the deferred are numbered).
    pub from: i64,
    pub number: i64,
    pub pk: i64,
}

/// An incident already here.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub uuid: String,
    pub title: String,
    /// Its number in the file, and here.
    pub from: i64,
    pub number: i64,
}

/// An action item whose id was taken here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionMoved {
    pub incident_pk: i64,
    pub from: i64,
    pub to: i64,
}

/// What reading the file wrote.
#[derive(Debug, Default)]
pub struct FileRead {
    pub imported: Vec<Done>,
    /// Indexes into `imported` of those written under a placeholder number, in file order.
    pub deferred: Vec<usize>,
    pub skipped: Vec<Skipped>,
    pub actions_renumbered: Vec<ActionMoved>,
    /// Blobs stored: (id, compressed bytes).
    pub new_blobs: Vec<(i64, u64)>,
    /// Blobs whose content was already here.
    pub blobs_existing: u64,
}

/// Refuses early what is plainly not a JSON export, before the database is opened.
pub fn sniff(reader: &mut impl BufRead) -> Result<(), ImportError> {
    let buf = reader.fill_buf().map_err(ImportError::Read)?;
    match buf.iter().copied().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(()),
        None => Err(ImportError::Empty),
        Some(b'#') => Err(ImportError::Markdown),
        Some(_) => Err(ImportError::NotAnExport("not JSON".into())),
    }
}

/// Reads a whole export file, writing what it holds in `txn` as it goes.
/// Incidents' SLA deadlines are judged under `policy`; no time recorded in it may be after
/// `now`.
pub fn read(
    txn: &Txn,
    policy: &Policy,
    now: Timestamp,
    reader: impl Read,
) -> Result<FileRead, ImportError> {
    let mut importer = Importer {
        txn,
        policy,
        now,
        format: false,
        version: false,
        max_action_id: 0,
        problem: None,
        read: FileRead::default(),
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let parsed = (&mut importer).deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = parsed {
        return Err(importer.problem.take().unwrap_or(ImportError::Json(e)));
    }
    if !importer.format || !importer.version {
        return Err(ImportError::NotAnExport("no format".into()));
    }
    Ok(importer.read)
}

/// The import as it goes: the transaction it writes in, and what it did so far.
struct Importer<'t, 'a> {
    txn: &'t Txn<'a>,
    policy: &'t Policy,
    now: Timestamp,
    format: bool,
    version: bool,
    /// The largest action item id in the file: ids taken here move past it.
    max_action_id: i64,
    problem: Option<ImportError>,
    read: FileRead,
}

fn stop<E: de::Error>(slot: &mut Option<ImportError>, problem: impl Into<ImportError>) -> E {
    *slot = Some(problem.into());
    E::custom("import stopped")
}

impl Importer<'_, '_> {
    fn header<E: de::Error>(&mut self) -> Result<(), E> {
        if self.format && self.version {
            Ok(())
        } else {
            Err(stop(
                &mut self.problem,
                ImportError::NotAnExport("it does not start with its format and version".into()),
            ))
        }
    }

    fn incident(&mut self, record: IncidentRecord) -> Result<(), TransferError> {
        let read = &mut self.read;
        let placeholder = -(read.deferred.len() as i64 + 1);
        match import::incident(
            self.txn,
            &record,
            placeholder,
            self.max_action_id,
            self.policy,
            self.now,
        )? {
            Imported::Skipped { number } => read.skipped.push(Skipped {
                uuid: record.uuid,
                title: record.title,
                from: record.number,
                number,
            }),
            Imported::New {
                pk,
                deferred,
                actions_renumbered,
            } => {
                if deferred {
                    read.deferred.push(read.imported.len());
                }
                for (from, to) in actions_renumbered {
                    read.actions_renumbered.push(ActionMoved {
                        incident_pk: pk,
                        from,
                        to,
                    });
                }
                read.imported.push(Done {
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

    /// Checks the header's format and version as they come.
    fn format<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<(), A::Error> {
        let format: String = map.next_value()?;
        if format != FORMAT {
            let what = format!("its format is '{format}'");
            return Err(stop(&mut self.problem, ImportError::NotAnExport(what)));
        }
        self.format = true;
        Ok(())
    }

    fn version<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<(), A::Error> {
        if !self.format {
            return self.header();
        }
        let version: u64 = map.next_value()?;
        if version > VERSION {
            return Err(stop(&mut self.problem, ImportError::Newer(version)));
        }
        if version == 0 {
            let what = "version 0".to_string();
            return Err(stop(&mut self.problem, ImportError::NotAnExport(what)));
        }
        self.version = true;
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
                "format" => self.format(&mut map)?,
                "version" => self.version(&mut map)?,
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
                        sha256,
                        size,
                        lines,
                        stored,
                    };
                    let problem = &mut importer.problem;
                    let mut blob =
                        BlobImport::start(importer.txn, declared).map_err(|e| stop(problem, e))?;
                    map.next_value_seed(Chunks {
                        blob: &mut blob,
                        problem,
                    })?;
                    done = Some(blob.finish().map_err(|e| stop(problem, e))?);
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
            importer.read.blobs_existing += 1;
        } else {
            importer.read.new_blobs.push((blob.id, blob.stored));
        }
        Ok(())
    }
}

/// A content's chunks, each checked and stored before the next is read.
struct Chunks<'b, 't, 'a> {
    blob: &'b mut BlobImport<'t, 'a>,
    problem: &'b mut Option<ImportError>,
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
            self.blob.push(chunk).map_err(|e| stop(self.problem, e))?;
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
                .map_err(|e| stop(&mut self.0.problem, e))?;
        }
        Ok(())
    }
}
