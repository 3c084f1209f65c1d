//! Schema versions: `schema.sql` for new databases, append-only migrations for existing ones.

use rusqlite::{Connection, TransactionBehavior};

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
        Some(fill_similarity_keys),
    ),
    (include_str!("migrations/0004_reminders.sql"), None),
    (include_str!("migrations/0005_blobs.sql"), None),
    (
        include_str!("migrations/0006_search.sql"),
        Some(super::search::backfill),
    ),
    (include_str!("migrations/0007_monitor.sql"), None),
    (
        include_str!("migrations/0008_search_log.sql"),
        Some(super::search::index_logs_apart),
    ),
    (include_str!("migrations/0009_event_detail.sql"), None),
    (
        include_str!("migrations/0010_search_lines.sql"),
        Some(super::search::index_lines),
    ),
];

type Step = fn(&rusqlite::Transaction) -> rusqlite::Result<()>;

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
/// Returns false, changing nothing, for a database with tables of someone else's.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<bool> {
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
                step(&tx)?;
            }
        }
    }
    if version < LATEST_VERSION {
        tx.pragma_update(None, "user_version", LATEST_VERSION)?;
    }
    tx.commit()?;
    Ok(true)
}

/// Applies migrations one by one from an empty database up to `to`: what an old database
/// goes through over the releases.
#[cfg(test)]
fn migrate_stepwise(conn: &mut Connection, to: i64) -> rusqlite::Result<()> {
    for (i, (sql, step)) in MIGRATIONS.iter().enumerate().take(to as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        if let Some(step) = step {
            step(&tx)?;
        }
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        migrate(&mut stepwise).unwrap();
        let mut fresh = Connection::open_in_memory().unwrap();
        migrate(&mut fresh).unwrap();
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
             VALUES ('u', 1, 'Data collection stopped again', 'Updater stuck', 'P1', 'OPEN', 'x', 'x', 'a', 'x');",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
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
             VALUES (1, '2026-11-29T09:05:00Z', 'x', 'a', 'note', 'restarted the scheduler');
             INSERT INTO snapshots (incident_pk, seq, taken_at, duration_ms, summary)
             VALUES (1, 1, '2026-11-29T09:01:00Z', 5, 'kubernetes ok');
             INSERT INTO snapshot_items (snapshot_id, collector, name, status, duration_ms, raw)
             VALUES (1, 'logs', 'app=updater', 'ok', 5, 'panic: deadlock detected');",
        )
        .unwrap();
        log_and_command_run(&conn);
        migrate(&mut conn).unwrap();
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
        migrate(&mut conn).unwrap();
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
    fn the_timeline_refuses_updates_and_deletes() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
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
}
