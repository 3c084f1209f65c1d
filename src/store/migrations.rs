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
            crate::similar::key(&title),
            crate::similar::key(&root_cause)
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
