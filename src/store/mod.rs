//! The SQLite file behind a small transaction API: commands read and write through `Txn`, never SQL.

mod actions;
mod blobs;
mod clocks;
mod deliveries;
mod doctor;
pub mod files;
pub mod intake;
mod migrations;
mod monitor;
mod purge;
pub mod review;
mod rows;
mod search;
mod settings;
mod share;
mod snapshots;
mod sync;
pub mod transfer;
mod wal;

pub use doctor::{BadTime, IndexProblem, Inspected, Unopened};
pub use monitor::MonitorState;
pub use purge::{Purge, Purged, Words};
pub use rows::stored_time;
pub use sync::{SyncState, Unpushed};

use crate::domain::event::Event;
use crate::domain::model::{Incident, Number, Severity, Status};
use crate::domain::sla::Policy;
use crate::domain::time::{self, Timestamp};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use actions::{ActionFilter, ActionRow};
pub use blobs::{
    Attachment, AttachmentRow, BlobInfo, BlobWriter, CHUNK_SIZE, ChunkRow, Chunker, Collected,
    CommandRun, CommandRunRow, NewCommandRun,
};
pub use migrations::{LATEST_VERSION, Rejudged, Rejudging, SCHEMA};
pub use search::{
    COUNTED_LINES, Found, Highlighter, Hit, LogMatches, LogRef, SearchError, SearchQuery, Similar,
};
pub use share::{SharedTable, Unshared, UnsharedRow, derived_uuid};
pub use snapshots::{ItemRow, SnapshotRow, StoredSnapshot};

/// Long enough to ride out another responder's write (a commit takes milliseconds) and a
/// WAL checkpoint, short enough that a stuck process is reported rather than waited on forever.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is not an SQLite database")]
    NotSqlite(PathBuf),
    #[error("{0} is an SQLite database, but not an incident database")]
    Foreign(PathBuf),
    #[error(
        "{path} has schema version {found}, newer than this incident binary knows ({supported})"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("the database {0} is locked by another process")]
    Locked(PathBuf),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl StoreError {
    /// A row refused because one with the same unique key (an identity) is there already.
    pub fn is_duplicate(&self) -> bool {
        matches!(self, StoreError::Sqlite(e)
            if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation))
    }

    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            StoreError::Io { .. } => {
                "check the path and its permissions, or choose another with --db or INCIDENT_DB"
            }
            StoreError::NotSqlite(_) | StoreError::Foreign(_) => {
                "point --db or INCIDENT_DB at an incident database; this file was left as it is"
            }
            StoreError::TooNew { .. } => {
                "use a newer incident binary (`cargo install --path .` from an up-to-date checkout); this one left the file as it is"
            }
            StoreError::Locked(_) => {
                "another incident command is still writing; try again in a moment"
            }
            StoreError::Sqlite(_) => "nothing was written; `incident --help` lists the commands",
        }
    }
}

/// The incident database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// Whether a missing database file should be created (writes) or read as empty (reads, which
/// never leave a file behind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    ReadWrite,
    Read,
}

/// An existing database about to be migrated to this binary's schema: once per release at
/// most, but it can take a while on a large database (version 10 indexes every line of every
/// attached log), so whoever opens the store is told first, with how long it should take.
#[derive(Debug, Clone, Copy)]
pub struct Migrating<'a> {
    pub path: &'a Path,
    pub from: i64,
    pub to: i64,
    /// Bytes of logs and command output the migration indexes line by line, and about how
    /// long that takes (at the rate measured in BENCHMARKS.md); None when it indexes none.
    pub reindex: Option<(u64, std::time::Duration)>,
}

/// What a migration says while the store opens: that it starts, and what version 11 found.
#[derive(Debug, Clone, Copy)]
pub enum Notice<'a> {
    Migrating(Migrating<'a>),
    /// Version 11 judged every incident's clocks again.
    Rejudged(Rejudged),
}

/// What opening a store needs beyond its path: the SLA policy and the moment version 11
/// judges existing incidents' clocks with, and who hears of a migration.
pub struct Opening<'a> {
    pub policy: &'a Policy,
    pub now: Timestamp,
    pub notice: &'a dyn Fn(Notice),
}

impl Store {
    /// Opens the store under the default policy, now, telling nobody of a migration.
    pub fn open(path: &Path, mode: Mode) -> Result<Store, StoreError> {
        let policy = Policy::default();
        let now = time::now().unwrap_or_else(|_| time::latest().min(chrono::Utc::now()));
        let opening = Opening {
            policy: &policy,
            now,
            notice: &|_| {},
        };
        Store::open_with(path, mode, &opening)
    }

    /// Opens the store; `opening.notice` hears of a migration before it starts.
    pub fn open_with(path: &Path, mode: Mode, opening: &Opening) -> Result<Store, StoreError> {
        let meta = std::fs::metadata(path).ok();
        let exists = meta.is_some();
        if let Some(m) = meta.as_ref().filter(|m| !m.is_file()) {
            // A directory, a FIFO (SQLite would wait on it for ever), a device: not a database.
            let what = if m.is_dir() {
                "it is a directory"
            } else {
                "it is not a regular file"
            };
            return Err(StoreError::Io {
                action: "open",
                path: path.to_path_buf(),
                source: std::io::Error::other(what),
            });
        }
        // An empty file holds no incidents: a read shows none and leaves it as it is (only a
        // write makes it a database).
        let empty = meta.as_ref().is_some_and(|m| m.len() == 0);
        if (!exists || empty) && mode == Mode::Read {
            let conn = Connection::open_in_memory()?;
            conn.execute_batch(SCHEMA)?;
            search::extend(&conn)?;
            return Ok(Store {
                conn,
                path: path.to_path_buf(),
            });
        }
        if !exists {
            create_private_file(path)?;
        } else {
            // Surface a permission problem as an IO error naming the path, not as SQLite's
            // "unable to open database file".
            std::fs::File::open(path).map_err(|source| StoreError::Io {
                action: "read",
                path: path.to_path_buf(),
                source,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(e, path))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.prepare(opening).map_err(|e| match e {
            StoreError::Sqlite(e) => classify(e, path),
            other => other,
        })?;
        Ok(store)
    }

    fn prepare(&mut self, opening: &Opening) -> Result<(), StoreError> {
        settings::apply(&self.conn, BUSY_TIMEOUT)?;
        // One statement, so the version and the tables are seen at one moment: another
        // process may be creating this database right now.
        let (version, objects, ours): (i64, i64, bool) = self.conn.query_row(
            "SELECT (SELECT user_version FROM pragma_user_version),
                    (SELECT count(*) FROM sqlite_master),
                    (SELECT count(*) = 2 FROM sqlite_master
                     WHERE type = 'table' AND name IN ('incidents', 'events'))",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        // Another program's file: tables but no version, or a version (other programs use
        // user_version too) without the two tables every version of this schema has. Refused
        // before any migration touches it.
        if (version == 0 && objects > 0) || (version > 0 && !ours) {
            return Err(StoreError::Foreign(self.path.clone()));
        }
        if version > LATEST_VERSION {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                supported: LATEST_VERSION,
            });
        }
        if version == 0 {
            self.enable_wal()?;
        }
        if version < LATEST_VERSION {
            if version > 0 {
                (opening.notice)(Notice::Migrating(Migrating {
                    path: &self.path,
                    from: version,
                    to: LATEST_VERSION,
                    reindex: search::reindex_estimate(&self.conn, version)?,
                }));
            }
            let judging = migrations::Judging {
                policy: opening.policy,
                now: opening.now,
                rejudged: std::cell::Cell::new(None),
            };
            if !migrations::migrate_with(&mut self.conn, &judging)? {
                return Err(StoreError::Foreign(self.path.clone()));
            }
            if let Some(rejudged) = judging.rejudged.get().filter(|r| r.incidents > 0) {
                (opening.notice)(Notice::Rejudged(rejudged));
            }
            // A migration that rewrote much (version 8 re-indexes every log) leaves a WAL that
            // every later command would read at start.
            self.bound_wal();
        }
        self.judge_under(opening)?;
        self.conn.pragma_update(None, "foreign_keys", true)?;
        Ok(())
    }

    /// Judges every incident's SLA deadlines again when they were judged under a policy other
    /// than `opening.policy` (the settings changed), in one transaction, and says so when it
    /// changed an existing database. One small read when the policy is the same.
    fn judge_under(&mut self, opening: &Opening) -> Result<(), StoreError> {
        let wanted = opening.policy.fingerprint();
        let judged_under = |conn: &Connection| -> rusqlite::Result<Option<String>> {
            conn.query_row("SELECT fingerprint FROM sla_policy", [], |r| r.get(0))
                .optional()
        };
        if judged_under(&self.conn)?.as_deref() == Some(wanted.as_str()) {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have judged them while this one waited for the lock.
        let before = judged_under(&tx)?;
        if before.as_deref() == Some(wanted.as_str()) {
            return Ok(());
        }
        let judging = migrations::Judging {
            policy: opening.policy,
            now: opening.now,
            rejudged: std::cell::Cell::new(None),
        };
        let rejudged = migrations::judge_all(&tx, &judging, Rejudging::PolicyChanged)?;
        tx.commit()?;
        if before.is_some() && rejudged.incidents > 0 {
            (opening.notice)(Notice::Rejudged(rejudged));
        }
        Ok(())
    }

    /// Switches a new database to WAL. The switch needs the database to itself, and answers
    /// "busy" at once rather than waiting when another process is creating it too, so it is
    /// retried for as long as the busy timeout.
    fn enable_wal(&mut self) -> Result<(), StoreError> {
        let give_up = time::instant_after(std::time::Instant::now(), BUSY_TIMEOUT);
        loop {
            let mode = self
                .conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0));
            match mode {
                Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
                Ok(_) | Err(_) if std::time::Instant::now() < give_up => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(_) => return Err(StoreError::Locked(self.path.clone())),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// A read transaction: a consistent view for the whole command.
    pub fn read(&mut self) -> Result<Txn<'_>, StoreError> {
        let path = &self.path;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(|e| classify(e, path))?;
        Ok(Txn { tx, path })
    }

    /// A write transaction, begun IMMEDIATE: the write lock is taken up front, so concurrent
    /// writers queue on the busy timeout instead of failing with "database is locked" when a
    /// read lock would have to be upgraded.
    pub fn write(&mut self) -> Result<Txn<'_>, StoreError> {
        let path = &self.path;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| classify(e, path))?;
        Ok(Txn { tx, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checkpoints and empties the WAL once it passes WAL_LIMIT; called after a write.
    ///
    /// SQLite's own automatic checkpoint does not bound the WAL of short-lived processes: each
    /// new process rebuilds the WAL index by reading the whole WAL and cannot tell which
    /// frames were already copied back, so the WAL is never reset and grows (measured: 9.6 MiB
    /// after 1000 notes, with every command 3 ms slower). A TRUNCATE checkpoint resets it.
    /// It does not wait for readers: if one is in the way, a later write does it.
    pub fn bound_wal(&mut self) {
        if self.wal_size() <= WAL_LIMIT {
            return;
        }
        let _ = self.conn.busy_timeout(Duration::ZERO);
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        let _ = self.conn.busy_timeout(BUSY_TIMEOUT);
    }
}

/// The WAL size past which a write checkpoints: each command reads the whole WAL when it
/// opens the database, so it must stay small (256 KiB is about 25 notes).
pub const WAL_LIMIT: u64 = 256 * 1024;

/// Creates the database file readable by its owner only: it holds what was said in an outage.
fn create_private_file(path: &Path) -> Result<(), StoreError> {
    if let Some(dir) = path.parent() {
        files::create_dir_all(dir).map_err(|source| StoreError::Io {
            action: "create the directory",
            path: dir.to_path_buf(),
            source,
        })?;
    }
    match files::create_new(path) {
        Ok(_) => Ok(()),
        // Another responder created it a moment ago: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::Io {
            action: "create",
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn classify(e: rusqlite::Error, path: &Path) -> StoreError {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::NotSqlite(path.to_path_buf()),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Locked(path.to_path_buf())
        }
        _ => StoreError::Sqlite(e),
    }
}

/// Binds each of the statement's parameters by its name (`:since`, `:p1_respond`) from `params`,
/// which may hold more than the statement uses.
fn bind_named<N: AsRef<str>>(
    stmt: &mut rusqlite::Statement<'_>,
    params: &[(N, Value)],
) -> rusqlite::Result<()> {
    for i in 1..=stmt.parameter_count() {
        let name = stmt.parameter_name(i).unwrap_or("?");
        let value = params
            .iter()
            .find(|(n, _)| n.as_ref() == name)
            .map(|(_, v)| v)
            .ok_or_else(|| rusqlite::Error::InvalidParameterName(name.to_string()))?;
        stmt.raw_bind_parameter(i, value)?;
    }
    Ok(())
}

/// Which incidents `list` shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub statuses: Vec<Status>,
    pub severities: Vec<Severity>,
    pub since: Option<Timestamp>,
    /// Only incidents whose respond or fix clock is breached, or whose post-mortem is overdue,
    /// at this moment, by their stored deadlines (`sla::Clocks::late`).
    pub breached: Option<Timestamp>,
    /// At most this many, newest first; `None` for all.
    pub limit: Option<u64>,
    /// Only incidents affecting any of these services.
    pub services: Vec<String>,
    /// Cancelled incidents too (`list --all`); without it they are left out unless
    /// `statuses` names CANCELLED.
    pub include_cancelled: bool,
}

pub struct Txn<'a> {
    tx: rusqlite::Transaction<'a>,
    path: &'a Path,
}

impl Txn<'_> {
    pub fn commit(self) -> Result<(), StoreError> {
        let path = self.path;
        self.tx.commit().map_err(|e| classify(e, path))
    }

    /// The database file, for errors that name it.
    pub fn path(&self) -> &Path {
        self.path
    }

    pub fn incident(&self, number: Number) -> Result<Option<Incident>, StoreError> {
        let sql = format!(
            "SELECT {} FROM incidents WHERE number = ?1",
            rows::INCIDENT_COLUMNS
        );
        Ok(self
            .tx
            .prepare_cached(&sql)?
            .query_row([number], rows::incident)
            .optional()?)
    }

    pub fn next_number(&self) -> Result<i64, StoreError> {
        Ok(self.tx.query_row(
            "SELECT coalesce(max(number), 0) + 1 FROM incidents",
            [],
            |r| r.get(0),
        )?)
    }

    /// Writes an incident, new (`pk` 0) or changed, and returns its row key. Callers append
    /// the events that explain the change in the same transaction.
    pub fn save_incident(&self, i: &Incident) -> Result<i64, StoreError> {
        let pk = self.upsert_incident(i)?;
        search::index_fields(&self.tx, pk)?;
        Ok(pk)
    }

    /// The one INSERT (or UPDATE) of an incident's row; returns its row key. Its texts reach
    /// the search index through the caller (`save_incident`, or a pull's batch).
    fn upsert_incident(&self, i: &Incident) -> Result<i64, StoreError> {
        Ok(self
            .tx
            .prepare_cached(&rows::SAVE_INCIDENT)?
            .query_row(rusqlite::params_from_iter(rows::incident_values(i)), |r| {
                r.get(0)
            })?)
    }

    /// Appends an event to an incident's timeline: the one INSERT into `events`. An event
    /// without an identity (a new one) gets a random one here; an imported or pulled event
    /// keeps its own.
    pub fn append_event(&self, incident_pk: i64, e: &Event) -> Result<(), StoreError> {
        self.insert_event(incident_pk, e, false).map(drop)
    }

    /// The one INSERT into `events`, for `append_event` and for a pull (`skip_known`: an event
    /// whose identity is here already is left out, in the same statement). Whether it added it.
    fn insert_event(
        &self,
        incident_pk: i64,
        e: &Event,
        skip_known: bool,
    ) -> Result<bool, StoreError> {
        let uuid = e
            .uuid
            .clone()
            .unwrap_or_else(crate::domain::event::new_uuid);
        let detail = e
            .detail
            .as_ref()
            .map(|d| serde_json::to_string(d).unwrap_or_else(|_| "{}".into()));
        macro_rules! insert {
            () => {
                "INSERT INTO events (incident_pk, at, recorded_at, author, kind, field, old_value,
                     new_value, text, detail, uuid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            };
        }
        let sql = if skip_known {
            concat!(insert!(), " ON CONFLICT (uuid) DO NOTHING")
        } else {
            insert!()
        };
        let added = self.tx.prepare_cached(sql)?.execute(params![
            incident_pk,
            time::to_rfc3339(e.at),
            time::to_rfc3339(e.recorded_at),
            e.author,
            e.kind.as_str(),
            e.field,
            e.old,
            e.new,
            e.text,
            detail,
            uuid,
        ])?;
        // Notes reach the search index in batches (`index_pending_notes`), keeping `note` one
        // insert.
        Ok(added > 0)
    }

    /// Brings the search index up to date with the notes written since the last search.
    pub fn index_pending_notes(&self) -> Result<usize, StoreError> {
        Ok(search::index_pending_notes(&self.tx)?)
    }

    /// An incident's whole timeline in the order things happened.
    pub fn timeline(&self, incident_pk: i64) -> Result<Vec<Event>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT at, recorded_at, author, kind, field, old_value, new_value, text, detail, uuid
             FROM events WHERE incident_pk = ?1 ORDER BY at, recorded_at, uuid",
        )?;
        let events = stmt
            .query_map([incident_pk], rows::event)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(events)
    }

    /// An incident's timeline in the order it was recorded: the order `projection::replay`
    /// applies it in.
    pub fn events_as_recorded(&self, incident_pk: i64) -> Result<Vec<Event>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT at, recorded_at, author, kind, field, old_value, new_value, text, detail, uuid
             FROM events WHERE incident_pk = ?1 ORDER BY id",
        )?;
        let events = stmt
            .query_map([incident_pk], rows::event)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(events)
    }

    /// Incidents matching the filter, newest first, and whether the limit left some out.
    pub fn list(&self, filter: &ListFilter) -> Result<(Vec<Incident>, bool), StoreError> {
        let mut params: Vec<(String, Value)> = Vec::new();
        // Named parameters, so one bound value can be used several times.
        let mut bind = |name: String, v: String| {
            params.push((name.clone(), Value::Text(v)));
            name
        };
        let mut clauses: Vec<String> = Vec::new();
        if !filter.statuses.is_empty() {
            let marks: Vec<String> = filter
                .statuses
                .iter()
                .enumerate()
                .map(|(i, s)| bind(format!(":status{i}"), s.as_str().into()))
                .collect();
            clauses.push(format!("status IN ({})", marks.join(", ")));
        } else if !filter.include_cancelled {
            clauses.push(format!("status <> '{}'", Status::Cancelled.as_str()));
        }
        if !filter.severities.is_empty() {
            let marks: Vec<String> = filter
                .severities
                .iter()
                .enumerate()
                .map(|(i, s)| bind(format!(":severity{i}"), s.as_str().into()))
                .collect();
            clauses.push(format!("severity IN ({})", marks.join(", ")));
        }
        if !filter.services.is_empty() {
            let marks: Vec<String> = filter
                .services
                .iter()
                .enumerate()
                .map(|(i, s)| bind(format!(":service{i}"), s.clone()))
                .collect();
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM json_each(incidents.services) WHERE value IN ({}))",
                marks.join(", ")
            ));
        }
        if let Some(since) = filter.since {
            let since = bind(":since".into(), time::to_rfc3339(since));
            clauses.push(format!("opened_at >= {since}"));
        }
        if let Some(now) = filter.breached {
            // `sla::Clocks::late` over the stored deadlines (store::clocks), so that the
            // filter loads no row it will not print.
            let now = clocks::Moment::At(&bind(":now".into(), time::to_rfc3339(now)));
            // A cancelled incident's clocks are neither met nor breached.
            clauses.push(format!(
                "status <> '{}' AND ({} OR {} OR ({}))",
                Status::Cancelled.as_str(),
                clocks::Clock::Respond.at(now).breached(),
                clocks::Clock::Resolve.at(now).breached(),
                clocks::Clock::Postmortem.overdue(now)
            ));
        }
        // One row past the limit tells whether there are more, without counting them all.
        let limit = filter
            .limit
            .map(|n| format!("LIMIT {}", n + 1))
            .unwrap_or_default();
        // Newest first: the provisional numbers (L14, stored -14) of a copy that shares are
        // its newest incidents, so they come first, newest first; then the numbers, highest
        // first. Two statements, each an index range, rather than one sort of every row.
        let mut incidents = Vec::new();
        for (range, order) in [("number < 0", "number"), ("number > 0", "number DESC")] {
            let mut all = clauses.clone();
            all.push(range.to_string());
            let sql = format!(
                "SELECT {} FROM incidents WHERE {} ORDER BY {order} {limit}",
                rows::INCIDENT_COLUMNS,
                all.join(" AND ")
            );
            let mut stmt = self.tx.prepare(&sql)?;
            bind_named(&mut stmt, &params)?;
            incidents.extend(
                stmt.raw_query()
                    .mapped(rows::incident)
                    .collect::<Result<Vec<_>, _>>()?,
            );
            if filter.limit.is_some_and(|n| incidents.len() as u64 > n) {
                break;
            }
        }
        if let Some(n) = filter.limit {
            incidents.truncate(usize::try_from(n + 1).unwrap_or(usize::MAX));
        }
        let more = filter.limit.is_some_and(|n| incidents.len() as u64 > n);
        if more {
            incidents.pop();
        }
        Ok((incidents, more))
    }

    /// Every incident whose fix clock had not stopped at `at` and that was open by then; not
    /// the cancelled ones, whose clocks are neither met nor breached.
    pub fn unresolved_at(&self, at: Timestamp) -> Result<Vec<Incident>, StoreError> {
        let sql = format!(
            "SELECT {} FROM incidents
             WHERE opened_at <= ?1 AND (resolved_at IS NULL OR resolved_at > ?1)
               AND status <> 'CANCELLED'
             ORDER BY number",
            rows::INCIDENT_COLUMNS
        );
        let mut stmt = self.tx.prepare(&sql)?;
        let incidents = stmt
            .query_map([time::to_rfc3339(at)], rows::incident)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(incidents)
    }
}
