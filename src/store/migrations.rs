//! Schema versions: `schema.sql` for new databases, append-only migrations for existing ones.

use crate::domain::model::Incident;
use crate::domain::projection::{self, Seed};
use crate::domain::sla::{self, Clocks, Policy};
use crate::domain::time::{self, Timestamp};
use rusqlite::{Connection, TransactionBehavior};
use std::cell::Cell;

/// The current schema, applied whole to a new database.
pub const SCHEMA: &str = include_str!("../../schema.sql");

/// Migration N (1-based) takes a database from user_version N-1 to N: SQL, then, where rows
/// need values only Rust computes, a step run in the same transaction. Never edit one that has
/// shipped: append a new one and make the same change in schema.sql.
const MIGRATIONS: &[(&str, Option<Step>)] = &[
    (include_str!("migrations/0001_initial.sql"), None),
    (include_str!("migrations/0002_snapshots.sql"), None),
    (
        include_str!("migrations/0003_actions.sql"),
        Some(Step::Rows(fill_similarity_keys)),
    ),
    (include_str!("migrations/0004_reminders.sql"), None),
    (include_str!("migrations/0005_blobs.sql"), None),
    (
        include_str!("migrations/0006_search.sql"),
        Some(Step::Rows(super::search::backfill)),
    ),
    (include_str!("migrations/0007_monitor.sql"), None),
    (
        include_str!("migrations/0008_search_log.sql"),
        Some(Step::Rows(super::search::index_logs_apart)),
    ),
    (include_str!("migrations/0009_event_detail.sql"), None),
    (
        include_str!("migrations/0010_search_lines.sql"),
        Some(Step::Rows(super::search::index_lines)),
    ),
    (
        include_str!("migrations/0011_clocks.sql"),
        Some(Step::Clocks),
    ),
    (
        include_str!("migrations/0012_event_uuid.sql"),
        Some(Step::Rows(fill_event_uuids)),
    ),
    (include_str!("migrations/0013_sync.sql"), None),
    (include_str!("migrations/0014_team_numbers.sql"), None),
    // The sharing helper's migration: the lead renumbers it (16) after the purge helper's.
    (
        include_str!("migrations/0015_share.sql"),
        Some(Step::Rows(super::share::fill_row_uuids)),
    ),
    (include_str!("migrations/0016_claims.sql"), None),
    // The SLA pause (issue 16, helper S): version 17.
    (include_str!("migrations/0017_pause.sql"), None),
    // The post-mortem helper's migration (issue 16 item 1): version 18.
    (include_str!("migrations/0018_postmortem.sql"), None),
    // The roles helper's migration (issue 16 item 2): version 19.
    (include_str!("migrations/0019_roles.sql"), None),
    // Calendars (issue 16 item 4): the rule of each stored deadline.
    (include_str!("migrations/0020_clock_rules.sql"), None),
    // The post-mortem's prose, lessons and links in full-text search: version 21.
    (
        include_str!("migrations/0021_search_postmortem.sql"),
        Some(Step::Rows(super::search::index_postmortem)),
    ),
    // The alert intake (issue 17 item 2): alert groups and their alerts: version 22.
    (include_str!("migrations/0022_alert_groups.sql"), None),
    // Undo without deleting history (issue 18): the CANCELLED status: version 23.
    (
        include_str!("migrations/0023_cancelled.sql"),
        Some(Step::Rows(allow_cancelled)),
    ),
];

/// Version 22: `incidents.status` may be CANCELLED. The CHECK is edited in the stored
/// definition (the same text schema.sql has), and the schema cookie moved on so that every
/// connection, this one included, reads the new definition.
fn allow_cancelled(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let cookie: i64 = tx.pragma_query_value(None, "schema_version", |r| r.get(0))?;
    tx.pragma_update(None, "writable_schema", true)?;
    let edited = tx.execute(
        "UPDATE sqlite_master
         SET sql = replace(sql,
             'CHECK (status IN (''OPEN'', ''INVESTIGATING'', ''RESOLVED'', ''CLOSED''))',
             'CHECK (status IN (''OPEN'', ''INVESTIGATING'', ''RESOLVED'', ''CLOSED'', ''CANCELLED''))')
         WHERE type = 'table' AND name = 'incidents'",
        [],
    )?;
    tx.pragma_update(None, "schema_version", cookie.saturating_add(1))?;
    tx.pragma_update(None, "writable_schema", false)?;
    debug_assert_eq!(edited, 1);
    Ok(())
}

/// Version 12: the identities of the events written before, derived from their content in
/// each incident's recorded order; then the append-only trigger is back, as schema.sql has it.
fn fill_event_uuids(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let incidents: Vec<(i64, String)> = tx
        .prepare("SELECT pk, uuid FROM incidents")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut events = tx.prepare(
        "SELECT at, recorded_at, author, kind, field, old_value, new_value, text, detail, NULL, id
         FROM events WHERE incident_pk = ?1 ORDER BY id",
    )?;
    let mut update = tx.prepare("UPDATE events SET uuid = ?2 WHERE id = ?1")?;
    for (pk, incident_uuid) in incidents {
        let rows: Vec<(crate::domain::event::Event, i64)> = events
            .query_map([pk], |r| Ok((super::rows::event(r)?, r.get(10)?)))?
            .collect::<Result<_, _>>()?;
        let uuids =
            crate::domain::event::content_uuids(&incident_uuid, rows.iter().map(|(e, _)| e));
        for ((_, id), uuid) in rows.iter().zip(uuids) {
            update.execute(rusqlite::params![id, uuid])?;
        }
    }
    tx.execute_batch(
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'timeline events are append-only');
END;
CREATE UNIQUE INDEX events_uuid ON events (uuid);",
    )
}

/// What a migration computes in Rust after its SQL.
#[derive(Clone, Copy)]
enum Step {
    Rows(fn(&rusqlite::Transaction) -> rusqlite::Result<()>),
    /// Version 11: every incident's clocks judged from its timeline.
    Clocks,
}

impl Step {
    fn run(self, tx: &rusqlite::Transaction, judging: &Judging) -> rusqlite::Result<()> {
        match self {
            Step::Rows(f) => f(tx),
            Step::Clocks => judge_clocks(tx, judging),
        }
    }
}

/// What version 11 judges existing incidents' clocks with (the settings' SLA policy, and the
/// moment the command runs, at which verdicts before and after are compared), and what it
/// found.
pub struct Judging<'a> {
    pub policy: &'a Policy,
    pub now: Timestamp,
    pub rejudged: Cell<Option<Rejudged>>,
}

/// Every incident judged again: at version 11's migration, or because the store is opened under
/// a policy other than the one its deadlines were judged under. How many incidents, and how
/// many of them have a respond, fix or post-mortem verdict (met, breached, running, overdue at
/// that moment) different from before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejudged {
    pub why: Rejudging,
    pub incidents: usize,
    pub changed: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejudging {
    /// Version 11: clocks from the detection, stored; before, version 10's rule (clocks from
    /// the declaration, deadlines by the current severity).
    Migration,
    /// The settings' SLA policy is not the one the stored deadlines were judged under.
    PolicyChanged,
}

/// Version 11: the impact start (the detection: nothing earlier was recorded) and the deadlines
/// of every incident, replayed from its timeline.
fn judge_clocks(tx: &rusqlite::Transaction, judging: &Judging) -> rusqlite::Result<()> {
    let outcome = judge_all(tx, judging, Rejudging::Migration)?;
    judging.rejudged.set(Some(outcome));
    Ok(())
}

/// Judges every incident's deadlines again from its timeline under `judging.policy`, and
/// records that policy as the one they were judged under.
pub(super) fn judge_all(
    tx: &rusqlite::Transaction,
    judging: &Judging,
    why: Rejudging,
) -> rusqlite::Result<Rejudged> {
    let columns = match why {
        Rejudging::Migration => super::rows::LEGACY_INCIDENT_COLUMNS,
        Rejudging::PolicyChanged => super::rows::INCIDENT_COLUMNS,
    };
    let rows: Vec<Incident> = tx
        .prepare(&format!("SELECT {columns} FROM incidents"))?
        .query_map([], super::rows::incident)?
        .collect::<Result<_, _>>()?;
    // No `uuid`: version 11 runs before version 12 adds it, and judging needs none.
    let mut events = tx.prepare(
        "SELECT at, recorded_at, author, kind, field, old_value, new_value, text, detail, NULL
         FROM events WHERE incident_pk = ?1 ORDER BY id",
    )?;
    // Version 11 runs before version 20 adds the rules' column; before it every clock was
    // 24x7, which its default means.
    let mut update = tx.prepare(match why {
        Rejudging::Migration => {
            "UPDATE incidents SET started_at = ?2, respond_due_at = ?3, resolve_due_at = ?4,
                 postmortem_due_at = ?5 WHERE pk = ?1 AND ?6 IS NOT NULL"
        }
        Rejudging::PolicyChanged => {
            "UPDATE incidents SET started_at = ?2, respond_due_at = ?3, resolve_due_at = ?4,
                 postmortem_due_at = ?5, clock_rules = ?6 WHERE pk = ?1"
        }
    })?;
    let mut outcome = Rejudged {
        why,
        incidents: 0,
        changed: 0,
    };
    for row in rows {
        let timeline = events
            .query_map([row.pk], super::rows::event)?
            .collect::<Result<Vec<_>, _>>()?;
        // The replay is the incident; a timeline it cannot read (none was written so, but a
        // hand-edited file could be) keeps the row's stops, judged against its events.
        let judged = projection::replay(&Seed::of(&row, &timeline), &timeline, judging.policy)
            .unwrap_or_else(|_| Incident {
                due: sla::due(&row, &timeline, judging.policy),
                ..row.clone()
            });
        let before = match why {
            Rejudging::Migration => version_10_verdicts(&row, judging.policy, judging.now),
            Rejudging::PolicyChanged => verdicts(&sla::clocks(&row, judging.now)),
        };
        let after = verdicts(&sla::clocks(&judged, judging.now));
        outcome.incidents += 1;
        outcome.changed += usize::from(before != after);
        let ts = |t: Timestamp| time::to_rfc3339(t);
        update.execute(rusqlite::params![
            row.pk,
            ts(judged.started_at),
            ts(judged.due.respond),
            ts(judged.due.resolve),
            judged.due.postmortem.map(ts),
            super::rows::rules_json(&judged.due.rules),
        ])?;
    }
    tx.execute(
        "INSERT OR REPLACE INTO sla_policy (id, fingerprint) VALUES (1, ?1)",
        [judging.policy.fingerprint()],
    )?;
    Ok(outcome)
}

/// The respond, fix and post-mortem states.
fn verdicts(c: &Clocks) -> [Option<sla::ClockState>; 3] {
    [
        Some(c.respond.state),
        Some(c.resolve.state),
        c.postmortem.map(|p| p.state),
    ]
}

/// The verdicts version 10 gave: respond and fix clocks from the declaration, both against
/// the current severity's targets.
fn version_10_verdicts(
    i: &Incident,
    policy: &Policy,
    now: Timestamp,
) -> [Option<sla::ClockState>; 3] {
    let target = policy.target(i.severity);
    let resolved = i.resolved_at.filter(|t| *t <= now);
    let clock = |allowed, stop| sla::clock(time::add_capped(i.opened_at, allowed), stop, now);
    verdicts(&Clocks {
        respond: clock(target.respond, i.acknowledged_at),
        resolve: clock(target.resolve, i.resolved_at),
        postmortem: resolved
            .map(|r| sla::clock(time::add_capped(r, policy.postmortem), i.closed_at, now)),
    })
}

/// Version 3: the similarity keys of incidents written before they existed.
fn fill_similarity_keys(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let rows: Vec<(i64, String, String)> = tx
        .prepare("SELECT pk, title, root_cause FROM incidents")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut update =
        tx.prepare("UPDATE incidents SET title_key = ?2, root_cause_key = ?3 WHERE pk = ?1")?;
    for (pk, title, root_cause) in rows {
        update.execute(rusqlite::params![
            pk,
            crate::domain::similar::key(&title),
            crate::domain::similar::key(&root_cause)
        ])?;
    }
    Ok(())
}

pub const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database to LATEST_VERSION in one transaction. A new database gets schema.sql;
/// an older one the migrations it lacks. Safe to race: the version is re-read under the lock.
/// Returns false, changing nothing, for a database with tables of someone else's. Version
/// 11's step judges clocks as `judging` says, and leaves its count there.
pub fn migrate_with(conn: &mut Connection, judging: &Judging) -> rusqlite::Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version == 0 {
        let objects: i64 = tx.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        if objects > 0 {
            return Ok(false);
        }
        tx.execute_batch(SCHEMA)?;
    } else {
        for (sql, step) in MIGRATIONS.iter().skip(version as usize) {
            tx.execute_batch(sql)?;
            if let Some(step) = step {
                step.run(&tx, judging)?;
            }
        }
    }
    if version < LATEST_VERSION {
        tx.pragma_update(None, "user_version", LATEST_VERSION)?;
    }
    tx.commit()?;
    Ok(true)
}

/// [`migrate_with`] under the default policy, for tests of other parts of the store.
#[cfg(test)]
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<bool> {
    migrate_with(conn, &tests::judging())
}

/// Applies migrations one by one from an empty database up to `to`: what an old database
/// goes through over the releases.
#[cfg(test)]
fn migrate_stepwise(conn: &mut Connection, to: i64) -> rusqlite::Result<()> {
    for (i, (sql, step)) in MIGRATIONS.iter().enumerate().take(to as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        if let Some(step) = step {
            step.run(&tx, &tests::judging())?;
        }
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default policy at a fixed moment.
    pub(super) fn judging() -> Judging<'static> {
        static POLICY: std::sync::LazyLock<Policy> = std::sync::LazyLock::new(Policy::default);
        Judging {
            policy: &POLICY,
            now: time::from_rfc3339("2026-12-01T00:00:00Z").unwrap(),
            rejudged: Cell::new(None),
        }
    }

    fn schema_of(conn: &Connection) -> Vec<(String, String, String)> {
        let mut stmt = conn
            .prepare("SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name")
            .unwrap();
        stmt.query_map([], |r| {
            let sql: String = r.get(2)?;
            // Comments and layout differ between a migration (ALTER TABLE appends " , col") and
            // schema.sql without being schema changes.
            let sql = sql
                .lines()
                .map(|l| l.split("--").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .replace(" ,", ",")
                .replace("( ", "(")
                .replace(" )", ")");
            Ok((r.get(0)?, r.get(1)?, sql))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    #[test]
    fn migrating_from_v1_equals_schema_sql() {
        let mut stepwise = Connection::open_in_memory().unwrap();
        migrate_stepwise(&mut stepwise, 1).unwrap();
        migrate_with(&mut stepwise, &judging()).unwrap();
        let mut fresh = Connection::open_in_memory().unwrap();
        migrate_with(&mut fresh, &judging()).unwrap();
        assert_eq!(schema_of(&stepwise), schema_of(&fresh));
        let v: i64 = stepwise
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, LATEST_VERSION);
    }

    #[test]
    fn version_3_fills_the_similarity_keys_of_existing_incidents() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_stepwise(&mut conn, 2).unwrap();
        conn.execute_batch(
            "INSERT INTO incidents (uuid, number, title, root_cause, severity, status, detected_at, opened_at,
                 created_by, updated_at)
             VALUES ('u', 1, 'Data collection stopped again', 'Updater stuck', 'P1', 'OPEN',
                 '2026-11-29T09:00:00Z', '2026-11-29T09:00:00Z', 'a', '2026-11-29T09:00:00Z');",
        )
        .unwrap();
        migrate_with(&mut conn, &judging()).unwrap();
        let keys: (String, String) = conn
            .query_row("SELECT title_key, root_cause_key FROM incidents", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(
            keys,
            ("collection data stopped".into(), "stuck updater".into())
        );
    }

    /// An attached log (blob 1) and a command run's output (blob 2) of incident pk 1, stored
    /// as version 5 and later store them.
    fn log_and_command_run(conn: &Connection) {
        let log = "line one\nline two\nERROR upstream binance timeout\n";
        let chunk = zstd::bulk::compress(log.as_bytes(), 3).unwrap();
        let output = zstd::bulk::compress(b"pod/updater-5c deleted\n", 3).unwrap();
        conn.execute_batch(
            "INSERT INTO blobs (hash, size, lines, stored) VALUES ('h1', 44, 3, 10), ('h2', 23, 1, 10);",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO blob_chunks (blob_id, seq, first_line, lines, size, data)
             VALUES (1, 0, 1, 3, ?1, ?2), (2, 0, 1, 1, ?3, ?4)",
            rusqlite::params![log.len() as i64, chunk, 23, output],
        )
        .unwrap();
        conn.execute_batch(
            "INSERT INTO attachments (incident_pk, seq, name, blob_id, added_at, added_by)
             VALUES (1, 1, 'app.log', 1, '2026-11-29T09:10:00Z', 'a');
             INSERT INTO command_runs (incident_pk, seq, command, started_at, duration_ms, exit_code,
                 output_blob_id, output_bytes, output_cap, run_by)
             VALUES (1, 1, 'kubectl delete pod updater-5c', '2026-11-29T09:20:00Z', 9, 0, 2, 23,
                 1048576, 'a');",
        )
        .unwrap();
    }

    /// What `search` finds for `query` after the migrations: "incident kind where line
    /// snippet", texts first, then log lines.
    fn found(conn: &mut Connection, query: &str) -> Vec<String> {
        let txn = crate::store::Txn {
            tx: conn.transaction().unwrap(),
            path: std::path::Path::new(":memory:"),
        };
        txn.index_pending_notes().unwrap();
        let found = txn
            .search(&crate::store::SearchQuery {
                query,
                incident: None,
                since: None,
                kind: None,
                limit: Some(10),
                count: false,
                mark: ("[", "]"),
            })
            .unwrap();
        let mut out: Vec<String> = found
            .texts
            .iter()
            .map(|h| format!("{} {} {} None {}", h.number, h.kind, h.reference, h.snippet))
            .collect();
        for m in &found.logs {
            txn.shown_lines::<crate::store::StoreError>(
                m.log.blob_id,
                &m.shown,
                0,
                |n, line, _| {
                    let snippet = found.highlighter.snippet(line, ("[", "]"));
                    out.push(format!(
                        "{} {} {} Some({n}) {snippet}",
                        m.log.number, m.log.kind, m.log.reference
                    ));
                    Ok(())
                },
            )
            .unwrap();
        }
        out
    }

    #[test]
    fn version_6_indexes_everything_recorded_before_it() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_stepwise(&mut conn, 5).unwrap();
        conn.execute_batch(
            "INSERT INTO incidents (uuid, number, title, description, severity, status, detected_at,
                 opened_at, created_by, updated_at)
             VALUES ('u', 7, 'Updater stuck', 'prices stale', 'P1', 'OPEN', '2026-11-29T09:00:00Z',
                 '2026-11-29T09:00:00Z', 'a', '2026-11-29T09:00:00Z');
             INSERT INTO events (incident_pk, at, recorded_at, author, kind, text)
             VALUES (1, '2026-11-29T09:05:00Z', '2026-11-29T09:05:00Z', 'a', 'note',
                 'restarted the scheduler');
             INSERT INTO snapshots (incident_pk, seq, taken_at, duration_ms, summary)
             VALUES (1, 1, '2026-11-29T09:01:00Z', 5, 'kubernetes ok');
             INSERT INTO snapshot_items (snapshot_id, collector, name, status, duration_ms, raw)
             VALUES (1, 'logs', 'app=updater', 'ok', 5, 'panic: deadlock detected');",
        )
        .unwrap();
        log_and_command_run(&conn);
        migrate_with(&mut conn, &judging()).unwrap();
        let mut search = |query: &str| found(&mut conn, query);
        assert_eq!(
            search("binance"),
            ["7 log attachment 1 Some(3) ERROR upstream [binance] timeout"]
        );
        assert_eq!(
            search("scheduler"),
            ["7 note  None restarted the [scheduler]"]
        );
        assert_eq!(search("stale"), ["7 field description None prices [stale]"]);
        assert_eq!(
            search("deadlock"),
            ["7 snapshot snapshot 1 logs/app=updater None panic: [deadlock] detected"]
        );
        assert_eq!(
            search("updater*"),
            [
                "7 field title None [Updater] stuck",
                "7 command command 1 None kubectl delete pod [updater]-5c",
                "7 command command 1 Some(1) pod/[updater]-5c deleted",
            ]
        );
    }

    #[test]
    fn version_22_lets_an_incident_be_cancelled_on_the_connection_that_migrated() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_stepwise(&mut conn, 21).unwrap();
        conn.execute_batch(
            "INSERT INTO incidents (uuid, number, title, severity, status, detected_at,
                 opened_at, created_by, updated_at)
             VALUES ('u', 1, 'Demo: checkout slow', 'P2', 'OPEN', '2026-11-20T14:00:00Z',
                 '2026-11-20T14:00:00Z', 'alice', '2026-11-20T14:00:00Z');",
        )
        .unwrap();
        let set = |conn: &Connection, status: &str| {
            conn.execute("UPDATE incidents SET status = ?1", [status])
        };
        assert!(set(&conn, "CANCELLED").is_err(), "version 21 refuses it");
        migrate_with(&mut conn, &judging()).unwrap();
        set(&conn, "CANCELLED").unwrap();
        assert!(set(&conn, "WITHDRAWN").is_err(), "the CHECK still holds");
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
    }

    #[test]
    fn version_21_indexes_the_post_mortem_recorded_before_it() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_stepwise(&mut conn, 19).unwrap();
        // As version 19 left them: the guide's fields indexed, the post-mortem's prose, the
        // lessons and links not, the notes' mark past the first three entries.
        conn.execute_batch(
            r#"INSERT INTO incidents (uuid, number, title, severity, status, detected_at,
                 opened_at, created_by, updated_at, impact, "trigger", detection)
             VALUES ('u', 4, 'Search returns 500s', 'P1', 'RESOLVED', '2026-11-20T14:00:00Z',
                 '2026-11-20T14:00:00Z', 'alice', '2026-11-20T15:30:00Z',
                 'Queries failed for 66 minutes in tokyo', 'A config push doubled the fanout',
                 '');
             INSERT INTO search_docs (id, kind, incident_pk, ref, at, body)
             VALUES (1, 'field', 1, 'title', '2026-11-20T15:30:00Z', 'Search returns 500s');
             INSERT INTO search (rowid, text) VALUES (1, 'Search returns 500s');
             INSERT INTO events (incident_pk, at, recorded_at, author, kind, field, new_value,
                 text, uuid)
             VALUES (1, '2026-11-20T15:31:00Z', '2026-11-20T15:31:00Z', 'alice', 'lesson',
                    'went_wrong', NULL, 'The canary skipped the overloaded region', 'e-1'),
                (1, '2026-11-20T15:32:00Z', '2026-11-20T15:32:00Z', 'alice', 'link', NULL,
                    'https://status.example.com/incidents/812', 'Public status page', 'e-2'),
                (1, '2026-11-20T15:33:00Z', '2026-11-20T15:33:00Z', 'alice', 'link', '3',
                    'https://bugs.example.com/OPS-4410', '', 'e-3'),
                (1, '2026-11-20T15:34:00Z', '2026-11-20T15:34:00Z', 'alice', 'lesson', 'lucky',
                    NULL, 'The surge came after the rollback', 'e-4');
             UPDATE search_state SET notes_through = 3;"#,
        )
        .unwrap();
        migrate_with(&mut conn, &judging()).unwrap();
        let mut search = |query: &str| found(&mut conn, query);
        assert_eq!(
            search("tokyo"),
            ["4 field impact None Queries failed for 66 minutes in [tokyo]"]
        );
        assert_eq!(
            search("fanout"),
            ["4 field trigger None A config push doubled the [fanout]"]
        );
        assert_eq!(
            search("canary"),
            ["4 lesson went wrong None The [canary] skipped the overloaded region"]
        );
        assert_eq!(
            search("ops"),
            ["4 link action 3 bug None https://bugs.example.com/[OPS]-4410"]
        );
        assert_eq!(search("public").len(), 1);
        assert_eq!(
            search("incidents").len(),
            1,
            "the title and URL are one text"
        );
        // After the mark: indexed by the next search, once.
        assert_eq!(
            search("surge"),
            ["4 lesson lucky None The [surge] came after the rollback"]
        );
        assert_eq!(search("500s").len(), 1, "the title stays indexed once");
    }

    #[test]
    fn versions_8_to_10_move_log_chunks_to_an_index_of_lines() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_stepwise(&mut conn, 7).unwrap();
        conn.execute_batch(
            "INSERT INTO incidents (uuid, number, title, severity, status, detected_at,
                 opened_at, created_by, updated_at)
             VALUES ('u', 7, 'Binance prices stale', 'P1', 'OPEN', '2026-11-29T09:00:00Z',
                 '2026-11-29T09:00:00Z', 'a', '2026-11-29T09:00:00Z');",
        )
        .unwrap();
        log_and_command_run(&conn);
        // As versions 6 and 7 wrote them: the title and the log's chunk in `search`; the
        // command run's output never indexed, and an action item (from an import) not yet.
        conn.execute_batch(
            "INSERT INTO action_items (incident_pk, text, kind, created_at, created_by)
             VALUES (1, 'alert on binance staleness', 'detect', '2026-11-29T09:30:00Z', 'a');
             INSERT INTO search_docs (id, kind, incident_pk, ref, at, body)
             VALUES (1, 'field', 1, 'title', '2026-11-29T09:00:00Z', 'Binance prices stale');
             INSERT INTO search (rowid, text) VALUES (1, 'Binance prices stale');
             INSERT INTO search_docs (id, kind, chunk_id) VALUES (2, 'chunk', 1);
             INSERT INTO search (rowid, text) VALUES (2, 'line one line two ERROR upstream binance timeout');",
        )
        .unwrap();
        migrate_with(&mut conn, &judging()).unwrap();
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(
            count("SELECT count(*) FROM search('binance')"),
            1,
            "the title only"
        );
        assert_eq!(count("SELECT count(*) FROM search_line('binance')"), 1);
        assert_eq!(count("SELECT count(*) FROM search_line('updater')"), 1);
        assert_eq!(
            count("SELECT count(*) FROM search_line('line')"),
            2,
            "a row per line"
        );
        assert_eq!(
            count("SELECT count(*) FROM search_docs WHERE chunk_id IS NOT NULL"),
            0
        );
        assert_eq!(count("SELECT actions_written FROM search_state"), 1);
        assert_eq!(
            count("SELECT count(*) FROM search_docs WHERE kind = 'action'"),
            0,
            "the action item waits for the next search"
        );
        assert_eq!(
            found(&mut conn, "binance"),
            [
                "7 field title None [Binance] prices stale",
                "7 action action 1 None alert on [binance] staleness",
                "7 log attachment 1 Some(3) ERROR upstream [binance] timeout"
            ]
        );
    }

    #[test]
    fn version_11_judges_every_clock_from_the_detection_and_counts_the_changed_verdicts() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_stepwise(&mut conn, 9).unwrap();
        // #1: a P3 paged at 09:50, opened 10:00, acknowledged 12:00 and raised to P1 at 13:00.
        // Version 10 judged its response from the open against the P1's 15 minutes: breached.
        // From the page, against the P3's 24 hours in force when it stopped: met.
        // #2: a P2 opened when paged, nothing since: its verdicts stay.
        conn.execute_batch(
            r#"INSERT INTO incidents (uuid, number, title, severity, status, detected_at, opened_at,
                 acknowledged_at, created_by, updated_at)
             VALUES ('u-1', 1, 'Prices stale (materialized-updater)', 'P1', 'INVESTIGATING',
                 '2026-11-29T09:50:00Z', '2026-11-29T10:00:00Z', '2026-11-29T12:00:00Z', 'alice',
                 '2026-11-29T13:00:00Z'),
                ('u-2', 2, 'Redis latency p99=1.2s', 'P2', 'OPEN', '2026-11-29T10:00:00Z',
                 '2026-11-29T10:00:00Z', NULL, 'bob', '2026-11-29T10:00:00Z');
             INSERT INTO events (incident_pk, at, recorded_at, author, kind, old_value, new_value,
                 text, detail)
             VALUES (1, '2026-11-29T10:00:00Z', '2026-11-29T10:00:00Z', 'alice', 'opened', NULL,
                    'P3', 'Prices stale (materialized-updater)',
                    '{"description":"","detected_at":"2026-11-29T09:50:00Z"}'),
                (1, '2026-11-29T12:00:00Z', '2026-11-29T12:00:00Z', 'alice', 'status', 'OPEN',
                    'INVESTIGATING', '', NULL),
                (1, '2026-11-29T13:00:00Z', '2026-11-29T13:00:00Z', 'alice', 'severity', 'P3',
                    'P1', '', NULL),
                (2, '2026-11-29T10:00:00Z', '2026-11-29T10:00:00Z', 'bob', 'opened', NULL, 'P2',
                    'Redis latency p99=1.2s', NULL);
             INSERT INTO action_items (incident_pk, text, kind, created_at, created_by)
             VALUES (1, 'alert on updater lag > 10m', 'detect', '2026-11-29T13:05:00Z', 'alice');"#,
        )
        .unwrap();
        let mut j = judging();
        j.now = time::from_rfc3339("2026-11-29T14:00:00Z").unwrap();
        migrate_with(&mut conn, &j).unwrap();
        assert_eq!(
            j.rejudged.get(),
            Some(Rejudged {
                why: Rejudging::Migration,
                incidents: 2,
                changed: 1,
            })
        );
        let row = |n: i64| -> [Option<String>; 4] {
            conn.query_row(
                "SELECT started_at, respond_due_at, resolve_due_at, postmortem_due_at
                 FROM incidents WHERE number = ?1",
                [n],
                |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]),
            )
            .unwrap()
        };
        let some = |s: &str| Some(s.to_string());
        assert_eq!(
            row(1),
            [
                some("2026-11-29T09:50:00Z"),
                some("2026-11-30T09:50:00Z"),
                some("2026-11-29T10:50:00Z"),
                None
            ]
        );
        assert_eq!(
            row(2),
            [
                some("2026-11-29T10:00:00Z"),
                some("2026-11-29T14:00:00Z"),
                some("2026-11-30T10:00:00Z"),
                None
            ]
        );
        // The rebuilt action items keep their rows and their count, and take the new kind.
        conn.execute(
            "INSERT INTO action_items (incident_pk, text, kind, created_at, created_by)
             VALUES (1, 'thank the DBA on call', 'other', '2026-11-29T13:10:00Z', 'alice')",
            [],
        )
        .unwrap();
        let (items, written, kinds): (i64, i64, String) = conn
            .query_row(
                "SELECT (SELECT count(*) FROM action_items),
                    (SELECT actions_written FROM search_state),
                    (SELECT group_concat(kind, ',') FROM action_items)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((items, written, kinds.as_str()), (2, 2, "detect,other"));
        let fingerprint: String = conn
            .query_row("SELECT fingerprint FROM sla_policy", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fingerprint, Policy::default().fingerprint());
    }

    #[test]
    fn the_timeline_refuses_updates_and_deletes() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_with(&mut conn, &judging()).unwrap();
        conn.execute_batch(
            "INSERT INTO incidents (uuid, number, title, severity, status, detected_at, opened_at,
                 created_by, updated_at)
             VALUES ('u', 1, 't', 'P1', 'OPEN', 'x', 'x', 'a', 'x');
             INSERT INTO events (incident_pk, at, recorded_at, author, kind, text)
             VALUES (1, 'x', 'x', 'a', 'note', 'said');",
        )
        .unwrap();
        let upd = conn
            .execute("UPDATE events SET text = 'unsaid'", [])
            .unwrap_err();
        assert!(upd.to_string().contains("append-only"), "{upd}");
        let del = conn.execute("DELETE FROM events", []).unwrap_err();
        assert!(del.to_string().contains("append-only"), "{del}");
    }

    #[test]
    fn version_12_derives_event_identities_from_content_and_keeps_the_timeline_append_only() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_stepwise(&mut conn, 11).unwrap();
        // Two identical notes in the same second (a double paste) must not share an identity.
        conn.execute_batch(
            r#"INSERT INTO incidents (uuid, number, title, severity, status, detected_at, opened_at,
                 created_by, updated_at, started_at, respond_due_at, resolve_due_at)
             VALUES ('5d8f8f5e-6a8e-4c55-9d7e-0b8f3c2a1e01', 1, 'Checkout 502s', 'P1', 'OPEN',
                 '2026-11-29T10:00:00Z', '2026-11-29T10:00:00Z', 'alice', '2026-11-29T10:00:00Z',
                 '2026-11-29T10:00:00Z', '2026-11-29T10:15:00Z', '2026-11-29T11:00:00Z');
             INSERT INTO events (incident_pk, at, recorded_at, author, kind, new_value, text)
             VALUES (1, '2026-11-29T10:00:00Z', '2026-11-29T10:00:00Z', 'alice', 'opened', 'P1',
                    'Checkout 502s'),
                (1, '2026-11-29T10:03:00Z', '2026-11-29T10:03:00Z', 'alice', 'note', NULL,
                    'upstream=10.0.0.5:8080 (ingress-nginx) → 502'),
                (1, '2026-11-29T10:03:00Z', '2026-11-29T10:03:00Z', 'alice', 'note', NULL,
                    'upstream=10.0.0.5:8080 (ingress-nginx) → 502');"#,
        )
        .unwrap();
        migrate_with(&mut conn, &judging()).unwrap();
        let uuids: Vec<String> = conn
            .prepare("SELECT uuid FROM events ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut distinct = uuids.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 3, "{uuids:?}");
        // The same identities a copy of this incident, imported from an older file, derives.
        let tx = conn.transaction().unwrap();
        let events: Vec<crate::domain::event::Event> = tx
            .prepare(
                "SELECT at, recorded_at, author, kind, field, old_value, new_value, text, detail,
                        NULL FROM events ORDER BY id",
            )
            .unwrap()
            .query_map([], super::super::rows::event)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let derived =
            crate::domain::event::content_uuids("5d8f8f5e-6a8e-4c55-9d7e-0b8f3c2a1e01", &events);
        assert_eq!(derived, uuids);
        let err = tx
            .execute("UPDATE events SET uuid = 'x' WHERE id = 1", [])
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
        let dup = tx.execute(
            "INSERT INTO events (incident_pk, at, recorded_at, author, kind, text, uuid)
             VALUES (1, '2026-11-29T10:05:00Z', '2026-11-29T10:05:00Z', 'bob', 'note', 'x', ?1)",
            [&uuids[0]],
        );
        assert!(dup.is_err(), "an identity is unique");
    }
}
