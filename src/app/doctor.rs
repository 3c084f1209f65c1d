//! `incident doctor`: what is wrong with the database and the config, and how to fix it.
//! Read only: the database is opened read only (no migration, no judging, nothing created),
//! collectors are run as a snapshot runs them but nothing is stored, and a channel is only
//! connected to, never sent anything.

use super::App;
use crate::collect::Progress;
use crate::domain::time::{self, human_millis};
use crate::evidence::snapshot::ItemStatus;
use crate::store::{BadTime, IndexProblem, Inspected, Store, StoreError, Txn, Unopened, WAL_LIMIT};
use std::time::Duration;

/// A WAL this large means the write path's checkpoint has not run for a while: a reader held
/// it, or another tool wrote (a write checkpoints past WAL_LIMIT).
pub const LARGE_WAL: u64 = 4 * WAL_LIMIT;

/// Which check a finding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Database,
    Integrity,
    ForeignKeys,
    Opened,
    Times,
    SearchIndex,
    Wal,
    Collector,
    Channel,
}

impl Check {
    pub fn label(self) -> &'static str {
        match self {
            Check::Database => "database",
            Check::Integrity => "integrity",
            Check::ForeignKeys => "foreign keys",
            Check::Opened => "openings",
            Check::Times => "times",
            Check::SearchIndex => "search index",
            Check::Wal => "wal",
            Check::Collector => "collector",
            Check::Channel => "channel",
        }
    }
}

/// One thing checked: fine, or what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub check: Check,
    pub ok: bool,
    pub what: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    fn ok(check: Check, what: impl Into<String>) -> Finding {
        Finding {
            check,
            ok: true,
            what: what.into(),
            fix: None,
        }
    }

    fn wrong(check: Check, what: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            check,
            ok: false,
            what: what.into(),
            fix: Some(fix.into()),
        }
    }
}

/// A collector's target or a notify channel, tried under its timeout.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reach {
    /// "collector" or "channel".
    pub kind: &'static str,
    /// `database/crypto_prices`, `webhook-1`.
    pub name: String,
    pub ok: bool,
    pub took_ms: u64,
    pub timeout_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Everything `incident doctor` found; `healthy` when no finding is wrong.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Diagnosis {
    pub healthy: bool,
    pub database: String,
    /// None when there is no database (or it could not be opened).
    pub schema_version: Option<i64>,
    pub wal_bytes: u64,
    pub integrity: Vec<String>,
    pub foreign_keys: Vec<String>,
    pub unopened: Vec<Unopened>,
    pub bad_times: Vec<BadTime>,
    pub search_index: Vec<IndexProblem>,
    pub reachable: Vec<Reach>,
    pub findings: Vec<Finding>,
}

/// Checks the database and the config. Fails only when reading the database fails midway;
/// a database that cannot be opened is a finding.
pub fn diagnose(app: &App, progress: &mut dyn FnMut(Progress)) -> Result<Diagnosis, StoreError> {
    let db = &app.settings.db;
    let mut d = Diagnosis {
        healthy: true,
        database: db.display().to_string(),
        schema_version: None,
        wal_bytes: 0,
        integrity: Vec::new(),
        foreign_keys: Vec::new(),
        unopened: Vec::new(),
        bad_times: Vec::new(),
        search_index: Vec::new(),
        reachable: Vec::new(),
        findings: Vec::new(),
    };
    match Store::inspect(db) {
        Ok(Inspected::Absent) => d.findings.push(Finding::ok(
            Check::Database,
            format!(
                "no database at {} yet: the first write creates it",
                d.database
            ),
        )),
        Ok(Inspected::Older { mut store, version }) => {
            d.schema_version = Some(version);
            d.findings.push(Finding::ok(
                Check::Database,
                format!(
                    "{} has schema version {version}: the next command updates it to {}, then doctor checks its content",
                    d.database,
                    crate::store::LATEST_VERSION
                ),
            ));
            d.wal_bytes = store.wal_size();
            sqlite_checks(&store.read()?, &mut d)?;
        }
        Ok(Inspected::Current(mut store)) => {
            d.schema_version = Some(crate::store::LATEST_VERSION);
            d.wal_bytes = store.wal_size();
            let txn = store.read()?;
            sqlite_checks(&txn, &mut d)?;
            content_checks(&txn, &mut d)?;
        }
        Err(e) => d
            .findings
            .push(Finding::wrong(Check::Database, e.to_string(), e.hint())),
    }
    if d.schema_version.is_some() {
        d.findings.push(wal_finding(d.wal_bytes));
    }
    d.reachable = reach(app, progress);
    d.findings.extend(d.reachable.iter().map(reach_finding));
    d.healthy = d.findings.iter().all(|f| f.ok);
    Ok(d)
}

/// SQLite's own checks: the file's structure, and every reference between rows.
fn sqlite_checks(txn: &Txn, d: &mut Diagnosis) -> Result<(), StoreError> {
    d.integrity = txn.integrity_problems()?;
    d.foreign_keys = txn.foreign_key_problems()?;
    let restore = "the file is damaged: restore it from a backup, or `incident export --all` what still reads into a new database (--db) and import it there";
    if d.integrity.is_empty() {
        d.findings
            .push(Finding::ok(Check::Integrity, "PRAGMA integrity_check: ok"));
    }
    for problem in &d.integrity {
        d.findings
            .push(Finding::wrong(Check::Integrity, problem.clone(), restore));
    }
    if d.foreign_keys.is_empty() {
        d.findings.push(Finding::ok(
            Check::ForeignKeys,
            "every row refers to rows that exist",
        ));
    }
    for problem in &d.foreign_keys {
        d.findings.push(Finding::wrong(
            Check::ForeignKeys,
            problem.clone(),
            "another program changed the file: `incident export --all` into a new database (--db) and import it there",
        ));
    }
    Ok(())
}

/// What the write path keeps true: openings first, times in range, the index in step.
fn content_checks(txn: &Txn, d: &mut Diagnosis) -> Result<(), StoreError> {
    d.unopened = txn.unopened()?;
    d.bad_times = txn.bad_times()?;
    d.search_index = txn.index_problems()?;
    if d.unopened.is_empty() {
        d.findings.push(Finding::ok(
            Check::Opened,
            "every incident's timeline begins with its opening",
        ));
    }
    for u in &d.unopened {
        d.findings.push(Finding::wrong(
            Check::Opened,
            format!("incident {} ({}): {}", u.incident, u.uuid, u.why),
            "the timeline is append-only: import the incident again from a copy that has its opening (`incident export N` there), or leave it and know its fields cannot be rebuilt",
        ));
    }
    if d.bad_times.is_empty() {
        d.findings.push(Finding::ok(
            Check::Times,
            "every stored time lies between 1970-01-01 and 9999-12-31",
        ));
    }
    for b in &d.bad_times {
        let whose = b
            .incident
            .map_or(String::new(), |n| format!("incident {n}: "));
        d.findings.push(Finding::wrong(
            Check::Times,
            format!(
                "{whose}{}.{} (row {}) is '{}', outside 1970-01-01..9999-12-31",
                b.table,
                b.column,
                b.rowid,
                // Whatever another program stored there: control characters shown escaped.
                b.value.escape_debug()
            ),
            format!(
                "an earlier version stored it; commands read it as {} — add a note with the right time",
                time::to_rfc3339(crate::store::stored_time(&b.value))
            ),
        ));
    }
    if d.search_index.is_empty() {
        d.findings.push(Finding::ok(
            Check::SearchIndex,
            "the search index matches what it indexes",
        ));
    }
    for p in &d.search_index {
        d.findings.push(Finding::wrong(
            Check::SearchIndex,
            index_problem(p),
            "searches may miss or show stale text: `incident export --all` into a new database (--db) and import it there, which indexes everything again",
        ));
    }
    Ok(())
}

fn index_problem(p: &IndexProblem) -> String {
    match p {
        IndexProblem::Field { incident, field } => {
            format!("incident {incident}: its {field} is not indexed as it reads")
        }
        IndexProblem::Notes {
            incident,
            notes,
            indexed,
        } => format!("incident {incident}: {notes} note(s), {indexed} indexed"),
        IndexProblem::Entries {
            incident,
            entry,
            entries,
            indexed,
        } => format!("incident {incident}: {entries} {entry}(s), {indexed} indexed"),
        IndexProblem::MissingWords { documents } => {
            format!("{documents} indexed text(s) have no words in the full-text index")
        }
        IndexProblem::StrayWords { entries } => {
            format!("{entries} full-text entries belong to no indexed text")
        }
        IndexProblem::ActionCount { counted, items } => {
            format!("{items} action item(s), but {counted} counted for the index")
        }
        IndexProblem::Lines { sha256 } => {
            format!("the lines of stored content sha256 {sha256} are not indexed")
        }
    }
}

fn wal_finding(bytes: u64) -> Finding {
    let what = format!("the WAL holds {bytes} bytes");
    if bytes > LARGE_WAL {
        Finding::wrong(
            Check::Wal,
            format!("{what} (more than {LARGE_WAL}): every command reads it when it starts"),
            "run `incident gc`, which checkpoints and empties it; if it stays large, a process holds the database open (`fuser` on the file)",
        )
    } else {
        Finding::ok(Check::Wal, what)
    }
}

/// Every collector run once as a snapshot runs it (nothing stored), and every notify channel
/// connected to (nothing sent), each under its own timeout.
fn reach(app: &App, progress: &mut dyn FnMut(Progress)) -> Vec<Reach> {
    let collectors = &app.settings.collectors;
    let mut found = Vec::new();
    if !collectors.is_empty() {
        let (items, _) =
            crate::collect::collect(collectors, &|k| std::env::var(k).ok(), app.now, progress);
        for item in items {
            let timeout = collector_timeout(collectors, &item.collector, &item.name);
            found.push(Reach {
                kind: "collector",
                name: format!("{}/{}", item.collector, item.name),
                ok: item.status == ItemStatus::Ok,
                took_ms: item.duration_ms,
                timeout_ms: millis(timeout),
                error: match item.status {
                    ItemStatus::Ok => None,
                    ItemStatus::Timeout => Some(format!(
                        "no answer within {}",
                        human_millis(millis(timeout))
                    )),
                    ItemStatus::Failed => Some(item.error.unwrap_or_else(|| "failed".into())),
                },
            });
        }
    }
    for channel in &app.settings.channels {
        let (ok, took, error) = match crate::notify::reach(channel) {
            Ok(took) => (true, took, None),
            Err(e) => (false, Duration::ZERO, Some(e)),
        };
        found.push(Reach {
            kind: "channel",
            name: channel.name.clone(),
            ok,
            took_ms: millis(took),
            timeout_ms: millis(channel.timeout),
            error,
        });
    }
    found
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The timeout a collector's item ran under: its own entry's, else the snapshot's deadline.
fn collector_timeout(
    c: &crate::evidence::settings::Collectors,
    collector: &str,
    name: &str,
) -> Duration {
    let own = match collector {
        "kubernetes" => c.kubernetes.as_ref().map(|k| k.timeout),
        "database" => c
            .databases
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.timeout),
        "redis" => c.redis.iter().find(|r| r.name == name).map(|r| r.timeout),
        "command" => c
            .commands
            .iter()
            .find(|x| x.name == name)
            .map(|x| x.timeout),
        _ => None,
    };
    own.unwrap_or(c.deadline)
}

fn reach_finding(r: &Reach) -> Finding {
    let check = if r.kind == "channel" {
        Check::Channel
    } else {
        Check::Collector
    };
    let limit = human_millis(r.timeout_ms);
    match &r.error {
        None => Finding::ok(
            check,
            format!(
                "{}: reachable in {} (timeout {limit})",
                r.name,
                human_millis(r.took_ms)
            ),
        ),
        Some(e) => Finding::wrong(
            check,
            format!("{}: {e} (timeout {limit})", r.name),
            if r.kind == "channel" {
                "check its url or run in the config's [[notify]] entry, and that the receiver is up; `incident config show` prints the settings"
            } else {
                "check the target is up and its entry in the config (url, credentials, timeout); `incident check` shows what it collects"
            },
        ),
    }
}
