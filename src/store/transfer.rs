//! Moving incidents between databases: each incident's rows as plain records for `export`, and
//! the same records written back by `import`, with logs and command output carried as their
//! stored compressed chunks and verified against their SHA-256 on the way in.
//!
//! Records hold times and texts exactly as stored, so an incident imported into another database
//! reads back the same. Local row keys are not carried: incidents are known by their UUID, logs
//! and command output by their content hash.

use super::{StoreError, Txn, search};
use crate::domain::model::{ActionKind, EventKind, Severity, Status};
use crate::domain::time;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `format` of an export file, and the version this binary writes and reads.
pub const FORMAT: &str = "incident-export";
pub const VERSION: u64 = 1;

/// The largest chunk a file may declare. This binary cuts 64 KiB chunks (earlier ones cut
/// 256 KiB or 1 MiB, which import just as well); the bound keeps a damaged or hostile file from making
/// import allocate without limit.
const MAX_CHUNK: i64 = 64 << 20;

/// An incident and everything recorded about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentRecord {
    pub uuid: String,
    pub number: i64,
    pub title: String,
    pub description: String,
    pub severity: String,
    pub status: String,
    pub root_cause: String,
    pub resolution: String,
    pub prevention: String,
    pub lessons_learned: String,
    pub detected_at: String,
    pub opened_at: String,
    pub acknowledged_at: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub created_by: String,
    pub updated_at: String,
    /// In the order they were recorded, which breaks ties between equal times.
    #[serde(default)]
    pub events: Vec<EventRecord>,
    #[serde(default)]
    pub snapshots: Vec<SnapshotRecord>,
    #[serde(default)]
    pub actions: Vec<ActionRecord>,
    #[serde(default)]
    pub attachments: Vec<AttachmentRecord>,
    #[serde(default)]
    pub command_runs: Vec<CommandRunRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub at: String,
    pub recorded_at: String,
    pub author: String,
    pub kind: String,
    pub field: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotRecord {
    pub seq: i64,
    pub taken_at: String,
    pub duration_ms: i64,
    pub summary: String,
    /// The stored JSON, as JSON rather than a string, so that `jq` can read into it.
    pub findings: serde_json::Value,
    #[serde(default)]
    pub items: Vec<ItemRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRecord {
    pub collector: String,
    pub name: String,
    pub status: String,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub data: serde_json::Value,
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    /// The number users type; kept on import when it is free there.
    pub id: i64,
    pub text: String,
    pub kind: String,
    pub owner: Option<String>,
    pub due_at: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub done_at: Option<String>,
    pub done_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentRecord {
    pub seq: i64,
    pub name: String,
    /// Its content: one of the file's blobs, or one already stored.
    pub sha256: String,
    pub redactions: i64,
    pub added_at: String,
    pub added_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandRunRecord {
    pub seq: i64,
    pub command: String,
    pub started_at: String,
    pub duration_ms: i64,
    pub exit_code: Option<i64>,
    pub signal: Option<i64>,
    pub sha256: String,
    pub output_bytes: i64,
    pub output_cap: i64,
    pub run_by: String,
}

/// A stored blob as the export lists it, before its chunks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlobRecord {
    #[serde(skip)]
    pub id: i64,
    pub sha256: String,
    /// Uncompressed bytes, lines, compressed bytes.
    pub size: i64,
    pub lines: i64,
    pub stored: i64,
}

/// One stored chunk: zstd-compressed, carried as stored (base64 in JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkRecord {
    pub seq: i64,
    pub first_line: i64,
    pub lines: i64,
    pub size: i64,
    #[serde(with = "base64")]
    pub zstd: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// A record that does not hold what it should; the text says which and why.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for TransferError {
    fn from(e: rusqlite::Error) -> Self {
        TransferError::Store(e.into())
    }
}

type Result<T> = std::result::Result<T, TransferError>;

/// What became of one imported incident.
#[derive(Debug, Clone, PartialEq)]
pub enum Imported {
    /// Its UUID is already here (as this number): nothing was written.
    Skipped { number: i64 },
    /// Written under its own number, or (`deferred`) under a placeholder until
    /// [`Txn::number_deferred`] gives it the next free one.
    New {
        pk: i64,
        deferred: bool,
        /// Action items whose id was taken here: (id in the file, id here).
        actions_renumbered: Vec<(i64, i64)>,
    },
}

/// A blob being read from a file: stored chunk by chunk, or only checked when its content is
/// already here.
pub struct BlobImport<'t, 'a> {
    txn: &'t Txn<'a>,
    declared: BlobRecord,
    /// The new blob's row; None when the content is already stored.
    id: Option<i64>,
    existing: Option<i64>,
    hasher: Sha256,
    seq: i64,
    size: i64,
    newlines: i64,
    ends_with_newline: bool,
    stored: i64,
    decompressor: zstd::bulk::Decompressor<'static>,
}

/// A blob imported, or found already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportedBlob {
    pub id: i64,
    pub existed: bool,
    /// Uncompressed and compressed bytes.
    pub size: u64,
    pub stored: u64,
}

fn invalid(what: impl Into<String>) -> TransferError {
    TransferError::Invalid(what.into())
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A time as the store writes them (RFC 3339 UTC, whole seconds), so that times compare as text.
fn check_time(what: &str, s: &str) -> Result<()> {
    match time::from_rfc3339(s) {
        Some(t) if time::to_rfc3339(t) == s => Ok(()),
        _ => Err(invalid(format!(
            "{what} '{s}' is not a stored time (RFC 3339 UTC, like 2026-11-29T04:48:51Z)"
        ))),
    }
}

fn check_opt_time(what: &str, s: &Option<String>) -> Result<()> {
    s.as_deref().map_or(Ok(()), |s| check_time(what, s))
}

impl IncidentRecord {
    /// Refuses what the store would not have written, naming the incident and the value.
    pub fn validate(&self) -> Result<()> {
        let me = format!("incident {} ({})", self.number, self.uuid);
        let bad = |why: String| invalid(format!("{me}: {why}"));
        if uuid::Uuid::parse_str(&self.uuid).is_err() {
            return Err(bad("its id is not a UUID".into()));
        }
        if self.number < 1 {
            return Err(bad("its number is not positive".into()));
        }
        if self.title.trim().is_empty() {
            return Err(bad("its title is empty".into()));
        }
        self.severity
            .parse::<Severity>()
            .ok()
            .filter(|s| s.as_str() == self.severity)
            .ok_or_else(|| bad(format!("unknown severity '{}'", self.severity)))?;
        self.status
            .parse::<Status>()
            .ok()
            .filter(|s| s.as_str() == self.status)
            .ok_or_else(|| bad(format!("unknown status '{}'", self.status)))?;
        let times = || -> Result<()> {
            check_time("detected_at", &self.detected_at)?;
            check_time("opened_at", &self.opened_at)?;
            check_opt_time("acknowledged_at", &self.acknowledged_at)?;
            check_opt_time("resolved_at", &self.resolved_at)?;
            check_opt_time("closed_at", &self.closed_at)?;
            check_time("updated_at", &self.updated_at)?;
            for e in &self.events {
                check_time("an event's time", &e.at)?;
                check_time("an event's recorded_at", &e.recorded_at)?;
                if EventKind::from_key(&e.kind).is_none() {
                    return Err(invalid(format!("unknown event kind '{}'", e.kind)));
                }
            }
            for s in &self.snapshots {
                check_time("a snapshot's taken_at", &s.taken_at)?;
                for i in &s.items {
                    if !matches!(i.status.as_str(), "ok" | "failed" | "timeout") {
                        return Err(invalid(format!(
                            "unknown snapshot item status '{}'",
                            i.status
                        )));
                    }
                }
            }
            for a in &self.actions {
                check_time("an action item's created_at", &a.created_at)?;
                check_opt_time("an action item's due_at", &a.due_at)?;
                check_opt_time("an action item's done_at", &a.done_at)?;
                if a.kind.parse::<ActionKind>().ok().map(ActionKind::as_str) != Some(&a.kind) {
                    return Err(invalid(format!("unknown action kind '{}'", a.kind)));
                }
            }
            for a in &self.attachments {
                check_time("an attachment's added_at", &a.added_at)?;
                if !is_sha256(&a.sha256) {
                    return Err(invalid(format!("attachment {} has no SHA-256", a.seq)));
                }
            }
            for r in &self.command_runs {
                check_time("a command run's started_at", &r.started_at)?;
                if !is_sha256(&r.sha256) {
                    return Err(invalid(format!("command run {} has no SHA-256", r.seq)));
                }
            }
            Ok(())
        };
        times().map_err(|e| match e {
            TransferError::Invalid(why) => bad(why),
            other => other,
        })
    }
}

impl<'a> Txn<'a> {
    /// Every incident's row key, by number.
    pub fn all_incident_pks(&self) -> std::result::Result<Vec<i64>, StoreError> {
        let pks = self
            .tx
            .prepare("SELECT pk FROM incidents ORDER BY number")?
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        Ok(pks)
    }

    /// An incident with everything recorded about it, as stored.
    pub fn incident_record(&self, pk: i64) -> std::result::Result<IncidentRecord, StoreError> {
        let tx = &self.tx;
        let mut record = tx.query_row(
            "SELECT uuid, number, title, description, severity, status, root_cause, resolution,
                    prevention, lessons_learned, detected_at, opened_at, acknowledged_at,
                    resolved_at, closed_at, created_by, updated_at
             FROM incidents WHERE pk = ?1",
            [pk],
            |r| {
                Ok(IncidentRecord {
                    uuid: r.get(0)?,
                    number: r.get(1)?,
                    title: r.get(2)?,
                    description: r.get(3)?,
                    severity: r.get(4)?,
                    status: r.get(5)?,
                    root_cause: r.get(6)?,
                    resolution: r.get(7)?,
                    prevention: r.get(8)?,
                    lessons_learned: r.get(9)?,
                    detected_at: r.get(10)?,
                    opened_at: r.get(11)?,
                    acknowledged_at: r.get(12)?,
                    resolved_at: r.get(13)?,
                    closed_at: r.get(14)?,
                    created_by: r.get(15)?,
                    updated_at: r.get(16)?,
                    events: Vec::new(),
                    snapshots: Vec::new(),
                    actions: Vec::new(),
                    attachments: Vec::new(),
                    command_runs: Vec::new(),
                })
            },
        )?;
        record.events = tx
            .prepare_cached(
                "SELECT at, recorded_at, author, kind, field, old_value, new_value, text
                 FROM events WHERE incident_pk = ?1 ORDER BY id",
            )?
            .query_map([pk], |r| {
                Ok(EventRecord {
                    at: r.get(0)?,
                    recorded_at: r.get(1)?,
                    author: r.get(2)?,
                    kind: r.get(3)?,
                    field: r.get(4)?,
                    old: r.get(5)?,
                    new: r.get(6)?,
                    text: r.get(7)?,
                })
            })?
            .collect::<std::result::Result<_, _>>()?;
        let snapshots: Vec<(i64, SnapshotRecord)> = tx
            .prepare_cached(
                "SELECT id, seq, taken_at, duration_ms, summary, findings FROM snapshots
                 WHERE incident_pk = ?1 ORDER BY seq",
            )?
            .query_map([pk], |r| {
                Ok((
                    r.get(0)?,
                    SnapshotRecord {
                        seq: r.get(1)?,
                        taken_at: r.get(2)?,
                        duration_ms: r.get(3)?,
                        summary: r.get(4)?,
                        findings: json_column(r, 5)?,
                        items: Vec::new(),
                    },
                ))
            })?
            .collect::<std::result::Result<_, _>>()?;
        let mut items = tx.prepare_cached(
            "SELECT collector, name, status, duration_ms, error, data, raw FROM snapshot_items
             WHERE snapshot_id = ?1 ORDER BY id",
        )?;
        for (id, mut snapshot) in snapshots {
            snapshot.items = items
                .query_map([id], |r| {
                    Ok(ItemRecord {
                        collector: r.get(0)?,
                        name: r.get(1)?,
                        status: r.get(2)?,
                        duration_ms: r.get(3)?,
                        error: r.get(4)?,
                        data: json_column(r, 5)?,
                        raw: r.get(6)?,
                    })
                })?
                .collect::<std::result::Result<_, _>>()?;
            record.snapshots.push(snapshot);
        }
        record.actions = tx
            .prepare_cached(
                "SELECT id, text, kind, owner, due_at, created_at, created_by, done_at, done_by
                 FROM action_items WHERE incident_pk = ?1 ORDER BY id",
            )?
            .query_map([pk], |r| {
                Ok(ActionRecord {
                    id: r.get(0)?,
                    text: r.get(1)?,
                    kind: r.get(2)?,
                    owner: r.get(3)?,
                    due_at: r.get(4)?,
                    created_at: r.get(5)?,
                    created_by: r.get(6)?,
                    done_at: r.get(7)?,
                    done_by: r.get(8)?,
                })
            })?
            .collect::<std::result::Result<_, _>>()?;
        record.attachments = tx
            .prepare_cached(
                "SELECT a.seq, a.name, b.hash, a.redactions, a.added_at, a.added_by
                 FROM attachments a JOIN blobs b ON b.id = a.blob_id
                 WHERE a.incident_pk = ?1 ORDER BY a.seq",
            )?
            .query_map([pk], |r| {
                Ok(AttachmentRecord {
                    seq: r.get(0)?,
                    name: r.get(1)?,
                    sha256: r.get(2)?,
                    redactions: r.get(3)?,
                    added_at: r.get(4)?,
                    added_by: r.get(5)?,
                })
            })?
            .collect::<std::result::Result<_, _>>()?;
        record.command_runs = tx
            .prepare_cached(
                "SELECT c.seq, c.command, c.started_at, c.duration_ms, c.exit_code, c.signal,
                        b.hash, c.output_bytes, c.output_cap, c.run_by
                 FROM command_runs c JOIN blobs b ON b.id = c.output_blob_id
                 WHERE c.incident_pk = ?1 ORDER BY c.seq",
            )?
            .query_map([pk], |r| {
                Ok(CommandRunRecord {
                    seq: r.get(0)?,
                    command: r.get(1)?,
                    started_at: r.get(2)?,
                    duration_ms: r.get(3)?,
                    exit_code: r.get(4)?,
                    signal: r.get(5)?,
                    sha256: r.get(6)?,
                    output_bytes: r.get(7)?,
                    output_cap: r.get(8)?,
                    run_by: r.get(9)?,
                })
            })?
            .collect::<std::result::Result<_, _>>()?;
        Ok(record)
    }

    /// The blobs the incidents' attachments and command runs refer to, each once.
    pub fn blobs_of(&self, pks: &[i64]) -> std::result::Result<Vec<BlobRecord>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, hash, size, lines, stored FROM blobs WHERE id IN (
                 SELECT blob_id FROM attachments WHERE incident_pk = ?1
                 UNION SELECT output_blob_id FROM command_runs WHERE incident_pk = ?1)
             ORDER BY id",
        )?;
        let mut blobs: Vec<BlobRecord> = Vec::new();
        for pk in pks {
            let rows = stmt.query_map([pk], |r| {
                Ok(BlobRecord {
                    id: r.get(0)?,
                    sha256: r.get(1)?,
                    size: r.get(2)?,
                    lines: r.get(3)?,
                    stored: r.get(4)?,
                })
            })?;
            for blob in rows {
                let blob = blob?;
                if !blobs.iter().any(|b| b.id == blob.id) {
                    blobs.push(blob);
                }
            }
        }
        Ok(blobs)
    }

    /// The largest action item id of the incidents.
    pub fn max_action_id(&self, pks: &[i64]) -> std::result::Result<i64, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT coalesce(max(id), 0) FROM action_items WHERE incident_pk = ?1",
        )?;
        let mut max = 0;
        for pk in pks {
            max = max.max(stmt.query_row([pk], |r| r.get::<_, i64>(0))?);
        }
        Ok(max)
    }

    /// Hands blob `id`'s chunks to `f` in order, as stored (compressed), one at a time.
    pub fn stored_chunks<E: From<StoreError>>(
        &self,
        id: i64,
        mut f: impl FnMut(&ChunkRecord) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT seq, first_line, lines, size, data FROM blob_chunks
                 WHERE blob_id = ?1 ORDER BY seq",
            )
            .map_err(StoreError::from)?;
        let mut rows = stmt.query([id]).map_err(StoreError::from)?;
        while let Some(row) = rows.next().map_err(StoreError::from)? {
            let chunk = (|| {
                Ok::<_, rusqlite::Error>(ChunkRecord {
                    seq: row.get(0)?,
                    first_line: row.get(1)?,
                    lines: row.get(2)?,
                    size: row.get(3)?,
                    zstd: row.get(4)?,
                })
            })()
            .map_err(StoreError::from)?;
            f(&chunk)?;
        }
        Ok(())
    }

    /// Starts importing a blob the file declares; its content is checked against the declared
    /// hash as it arrives, and stored only if no blob here has that hash.
    pub fn import_blob<'t>(&'t self, declared: BlobRecord) -> Result<BlobImport<'t, 'a>> {
        if !is_sha256(&declared.sha256) {
            return Err(invalid(format!(
                "'{}' is not a SHA-256 of content",
                declared.sha256
            )));
        }
        let existing = self.blob_id(&declared.sha256)?;
        let id = match existing {
            Some(_) => None,
            None => {
                self.tx
                    .prepare_cached("INSERT INTO blobs (hash) VALUES (?1)")?
                    .execute([&declared.sha256])?;
                Some(self.tx.last_insert_rowid())
            }
        };
        let decompressor = zstd::bulk::Decompressor::new().map_err(|e| StoreError::Io {
            action: "start decompressing for",
            path: self.path.to_path_buf(),
            source: e,
        })?;
        Ok(BlobImport {
            txn: self,
            declared,
            id,
            existing,
            hasher: Sha256::new(),
            seq: 0,
            size: 0,
            newlines: 0,
            ends_with_newline: false,
            stored: 0,
            decompressor,
        })
    }

    fn blob_id(&self, hash: &str) -> Result<Option<i64>> {
        Ok(self
            .tx
            .prepare_cached("SELECT id FROM blobs WHERE hash = ?1")?
            .query_row([hash], |r| r.get(0))
            .optional()?)
    }

    /// Writes an incident from a file, unless its UUID is already here. Its number is kept when
    /// free; otherwise it waits under a placeholder for [`Txn::number_deferred`]. Its logs and
    /// command output must be stored already (the file carries them first). Everything written
    /// reaches the search index in this transaction.
    /// `max_action_id` is the largest action item id in the file (0 when it does not say).
    pub fn import_incident(
        &self,
        rec: &IncidentRecord,
        placeholder: i64,
        max_action_id: i64,
    ) -> Result<Imported> {
        rec.validate()?;
        let tx = &self.tx;
        let here: Option<i64> = tx
            .prepare_cached("SELECT number FROM incidents WHERE uuid = ?1")?
            .query_row([&rec.uuid], |r| r.get(0))
            .optional()?;
        if let Some(number) = here {
            return Ok(Imported::Skipped { number });
        }
        let taken: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM incidents WHERE number = ?1)")?
            .query_row([rec.number], |r| r.get(0))?;
        let number = if taken { placeholder } else { rec.number };
        let pk: i64 = tx
            .prepare_cached(
                "INSERT INTO incidents (uuid, number, title, description, severity, status,
                     root_cause, resolution, prevention, lessons_learned, detected_at, opened_at,
                     acknowledged_at, resolved_at, closed_at, created_by, updated_at, title_key,
                     root_cause_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19)
                 RETURNING pk",
            )?
            .query_row(
                params![
                    rec.uuid,
                    number,
                    rec.title,
                    rec.description,
                    rec.severity,
                    rec.status,
                    rec.root_cause,
                    rec.resolution,
                    rec.prevention,
                    rec.lessons_learned,
                    rec.detected_at,
                    rec.opened_at,
                    rec.acknowledged_at,
                    rec.resolved_at,
                    rec.closed_at,
                    rec.created_by,
                    rec.updated_at,
                    crate::domain::similar::key(&rec.title),
                    crate::domain::similar::key(&rec.root_cause),
                ],
                |r| r.get(0),
            )?;
        index_fields(tx, pk, rec)?;

        // Action ids are global: one taken here gets a new one past every id here and in the
        // file (so that it takes none a later incident of the file keeps), and the timeline
        // follows it.
        let mut actions_renumbered = Vec::new();
        for a in &rec.actions {
            let free: bool = tx
                .prepare_cached("SELECT NOT EXISTS (SELECT 1 FROM action_items WHERE id = ?1)")?
                .query_row([a.id], |r| r.get(0))?;
            let id = if free && a.id > 0 {
                a.id
            } else {
                tx.prepare_cached("SELECT max(coalesce(max(id), 0), ?1) + 1 FROM action_items")?
                    .query_row([max_action_id], |r| r.get(0))?
            };
            tx.prepare_cached(
                "INSERT INTO action_items (id, incident_pk, text, kind, owner, due_at, created_at,
                     created_by, done_at, done_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                id,
                pk,
                a.text,
                a.kind,
                a.owner,
                a.due_at,
                a.created_at,
                a.created_by,
                a.done_at,
                a.done_by
            ])?;
            if id != a.id {
                actions_renumbered.push((a.id, id));
            }
        }
        let mut insert_event = tx.prepare_cached(
            "INSERT INTO events (incident_pk, at, recorded_at, author, kind, field, old_value,
                 new_value, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for e in &rec.events {
            let field = match (e.kind.as_str(), e.field.as_deref()) {
                ("action", Some(old)) => actions_renumbered
                    .iter()
                    .find(|(from, _)| from.to_string() == old)
                    .map(|(_, to)| to.to_string())
                    .or_else(|| e.field.clone()),
                _ => e.field.clone(),
            };
            insert_event.execute(params![
                pk,
                e.at,
                e.recorded_at,
                e.author,
                e.kind,
                field,
                e.old,
                e.new,
                e.text
            ])?;
        }

        for s in &rec.snapshots {
            tx.prepare_cached(
                "INSERT INTO snapshots (incident_pk, seq, taken_at, duration_ms, summary, findings)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                pk,
                s.seq,
                s.taken_at,
                s.duration_ms,
                s.summary,
                s.findings.to_string()
            ])?;
            let id = tx.last_insert_rowid();
            let mut item = tx.prepare_cached(
                "INSERT INTO snapshot_items (snapshot_id, collector, name, status, duration_ms,
                     error, data, raw)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for i in &s.items {
                item.execute(params![
                    id,
                    i.collector,
                    i.name,
                    i.status,
                    i.duration_ms,
                    i.error,
                    i.data.to_string(),
                    i.raw
                ])?;
            }
            search::index_snapshot(tx, id)?;
        }

        let blob = |what: &str, seq: i64, hash: &str| -> Result<i64> {
            self.blob_id(hash)?.ok_or_else(|| {
                invalid(format!(
                    "incident {} ({}): {what} {seq} refers to content sha256 {hash}, which the file does not carry",
                    rec.number, rec.uuid
                ))
            })
        };
        for a in &rec.attachments {
            let blob_id = blob("attachment", a.seq, &a.sha256)?;
            tx.prepare_cached(
                "INSERT INTO attachments (incident_pk, seq, name, blob_id, redactions, added_at,
                     added_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                pk,
                a.seq,
                a.name,
                blob_id,
                a.redactions,
                a.added_at,
                a.added_by
            ])?;
            search::index_blob(tx, blob_id)?;
        }
        for r in &rec.command_runs {
            let blob_id = blob("command run", r.seq, &r.sha256)?;
            tx.prepare_cached(
                "INSERT INTO command_runs (incident_pk, seq, command, started_at, duration_ms,
                     exit_code, signal, output_blob_id, output_bytes, output_cap, run_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                pk,
                r.seq,
                r.command,
                r.started_at,
                r.duration_ms,
                r.exit_code,
                r.signal,
                blob_id,
                r.output_bytes,
                r.output_cap,
                r.run_by
            ])?;
            search::index_command_run(tx, tx.last_insert_rowid())?;
        }
        Ok(Imported::New {
            pk,
            deferred: taken,
            actions_renumbered,
        })
    }

    /// Gives each incident imported under a placeholder the next free number, in the order
    /// given, once every incident that kept its own number is in; returns the numbers.
    pub fn number_deferred(&self, pks: &[i64]) -> Result<Vec<i64>> {
        let mut numbers = Vec::with_capacity(pks.len());
        for pk in pks {
            let number = self.next_number()?;
            self.tx
                .prepare_cached("UPDATE incidents SET number = ?2 WHERE pk = ?1")?
                .execute(params![pk, number])?;
            numbers.push(number);
        }
        Ok(numbers)
    }

    /// Removes blobs this import stored that no imported attachment or command run used (a
    /// file may carry content only skipped incidents refer to); returns those removed.
    pub fn drop_unused_blobs(&self, ids: &[i64]) -> Result<Vec<i64>> {
        let mut dropped = Vec::new();
        for id in ids {
            let used: bool = self
                .tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM attachments WHERE blob_id = ?1)
                         OR EXISTS (SELECT 1 FROM command_runs WHERE output_blob_id = ?1)",
                )?
                .query_row([id], |r| r.get(0))?;
            if !used {
                self.tx
                    .prepare_cached("DELETE FROM blob_chunks WHERE blob_id = ?1")?
                    .execute([id])?;
                self.tx
                    .prepare_cached("DELETE FROM blobs WHERE id = ?1")?
                    .execute([id])?;
                dropped.push(*id);
            }
        }
        Ok(dropped)
    }
}

/// Indexes an imported incident's fields, each at the time it was last set (as the writes that
/// set them did): the last `field` event that changed it, else the opening.
fn index_fields(tx: &rusqlite::Connection, pk: i64, rec: &IncidentRecord) -> Result<()> {
    let opened = rec
        .events
        .iter()
        .find(|e| e.kind == "opened")
        .map_or(rec.updated_at.as_str(), |e| e.recorded_at.as_str());
    for field in crate::domain::model::Field::ALL {
        let key = field.key();
        let at = rec
            .events
            .iter()
            .rev()
            .find(|e| e.kind == "field" && e.field.as_deref() == Some(key))
            .map_or(opened, |e| e.recorded_at.as_str());
        let text = match field {
            crate::domain::model::Field::Title => &rec.title,
            crate::domain::model::Field::Description => &rec.description,
            crate::domain::model::Field::RootCause => &rec.root_cause,
            crate::domain::model::Field::Resolution => &rec.resolution,
            crate::domain::model::Field::Prevention => &rec.prevention,
            crate::domain::model::Field::LessonsLearned => &rec.lessons_learned,
        };
        search::add_doc(tx, "field", Some(pk), key, at, None, text)?;
    }
    Ok(())
}

fn json_column(r: &rusqlite::Row, idx: usize) -> rusqlite::Result<serde_json::Value> {
    let text: String = r.get(idx)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

impl BlobImport<'_, '_> {
    /// Checks the next chunk (its order, line count, size and that it decompresses) and stores
    /// it unless the content is already here.
    pub fn push(&mut self, chunk: &ChunkRecord) -> Result<()> {
        let hash = &self.declared.sha256;
        let bad =
            |why: String| invalid(format!("content sha256 {hash}: chunk {}: {why}", chunk.seq));
        if chunk.seq != self.seq {
            return Err(bad(format!("expected chunk {} here", self.seq)));
        }
        if chunk.first_line != self.newlines + 1 {
            return Err(bad(format!(
                "it starts at line {}, not {}",
                chunk.first_line,
                self.newlines + 1
            )));
        }
        if !(1..=MAX_CHUNK).contains(&chunk.size) {
            return Err(bad(format!("its size {} is out of range", chunk.size)));
        }
        let plain = self
            .decompressor
            .decompress(&chunk.zstd, chunk.size as usize)
            .map_err(|e| bad(format!("it does not decompress: {e}")))?;
        if plain.len() as i64 != chunk.size {
            return Err(bad(format!(
                "it holds {} bytes, not the {} it declares",
                plain.len(),
                chunk.size
            )));
        }
        let lines = plain.iter().filter(|b| **b == b'\n').count() as i64;
        if lines != chunk.lines {
            return Err(bad(format!(
                "it holds {lines} lines, not the {} it declares",
                chunk.lines
            )));
        }
        if let Some(id) = self.id {
            self.txn
                .tx
                .prepare_cached(
                    "INSERT INTO blob_chunks (blob_id, seq, first_line, lines, size, data)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    id,
                    chunk.seq,
                    chunk.first_line,
                    chunk.lines,
                    chunk.size,
                    chunk.zstd
                ])?;
        }
        self.hasher.update(&plain);
        self.seq += 1;
        self.size += chunk.size;
        self.newlines += lines;
        self.ends_with_newline = plain.last() == Some(&b'\n');
        self.stored += chunk.zstd.len() as i64;
        Ok(())
    }

    /// Checks the whole content against its declared hash and sizes.
    pub fn finish(self) -> Result<ImportedBlob> {
        let hash: String = self
            .hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let declared = &self.declared;
        if hash != declared.sha256 {
            return Err(invalid(format!(
                "content sha256 {} does not match its data (sha256 {hash}): the file is damaged",
                declared.sha256
            )));
        }
        let lines = self.newlines + i64::from(self.size > 0 && !self.ends_with_newline);
        if (self.size, lines, self.stored) != (declared.size, declared.lines, declared.stored) {
            return Err(invalid(format!(
                "content sha256 {}: declares {} bytes, {} lines, {} stored, but holds {}, {}, {}",
                declared.sha256,
                declared.size,
                declared.lines,
                declared.stored,
                self.size,
                lines,
                self.stored
            )));
        }
        let id = match (self.id, self.existing) {
            (Some(id), _) => {
                self.txn
                    .tx
                    .prepare_cached(
                        "UPDATE blobs SET size = ?2, lines = ?3, stored = ?4 WHERE id = ?1",
                    )?
                    .execute(params![id, self.size, lines, self.stored])?;
                id
            }
            (None, Some(id)) => id,
            (None, None) => unreachable!("a blob import is either new or already stored"),
        };
        Ok(ImportedBlob {
            id,
            existed: self.existing.is_some(),
            size: self.size as u64,
            stored: self.stored as u64,
        })
    }
}

/// Standard base64 with padding, for chunk data in JSON.
mod base64 {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(data: &[u8]) -> String {
        let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
        for group in data.chunks(3) {
            let b = |i: usize| u32::from(group.get(i).copied().unwrap_or(0));
            let n = (b(0) << 16) | (b(1) << 8) | b(2);
            for i in 0..4 {
                if i <= group.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    pub fn decode(text: &str) -> Option<Vec<u8>> {
        let bytes = text.as_bytes();
        if !bytes.len().is_multiple_of(4) {
            return None;
        }
        let quads = bytes.len() / 4;
        let mut out = Vec::with_capacity(quads * 3);
        for (q, quad) in bytes.chunks(4).enumerate() {
            let pad = quad.iter().rev().take_while(|b| **b == b'=').count();
            if pad > 2 || (pad > 0 && q + 1 != quads) {
                return None;
            }
            let mut n = 0u32;
            for (i, b) in quad.iter().enumerate() {
                let v = if i >= 4 - pad { 0 } else { value(*b)? };
                n = (n << 6) | v;
            }
            let group = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&group[..3 - pad]);
        }
        Some(out)
    }

    fn value(b: u8) -> Option<u32> {
        Some(u32::from(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    }

    pub fn serialize<S: serde::Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(data))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        decode(&text).ok_or_else(|| serde::de::Error::custom("chunk data is not base64"))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn round_trips_every_length_and_refuses_garbage() {
            let data: Vec<u8> = (0..=255u8).collect();
            for n in 0..20 {
                assert_eq!(decode(&encode(&data[..n])).unwrap(), &data[..n]);
            }
            assert_eq!(encode(b"foobar"), "Zm9vYmFy");
            assert_eq!(encode(b"fo"), "Zm8=");
            assert_eq!(decode("Zg==").unwrap(), b"f");
            for bad in ["Zg=", "Z===", "Zg==Zg==", "Zm9v!mFy", "A=B="] {
                assert_eq!(decode(bad), None, "{bad}");
            }
        }
    }
}
