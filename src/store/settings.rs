//! How the store's connection is set up before its first statement: what every command needs
//! of it, whatever it does.

use rusqlite::Connection;
use rusqlite::config::DbConfig;
use std::time::Duration;

/// Sets `conn` up: waits up to `busy` for another process's lock, and the settings and
/// functions below.
pub(super) fn apply(conn: &Connection, busy: Duration) -> rusqlite::Result<()> {
    conn.busy_timeout(busy)?;
    super::search::extend(conn)?;
    // Every command is a new process, so the checkpoint SQLite runs when the last connection
    // closes would be paid by every note (two more fsyncs and deleting and recreating the
    // WAL). It is off; `bound_wal` keeps the WAL small instead.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    // The planner does not look at bound values: without this, a statement whose plan could
    // depend on one (a `LIMIT ?`; FTS5's own look-up of a segment, when its id goes from 1 to
    // another) is prepared again when it is bound, 27 times in one `open` listing past
    // incidents, a tenth of its cost (callgrind, BENCHMARKS.md "Past incidents at open").
    // Nothing here plans better from a value: no `LIKE ?`, no ANALYZE statistics.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}
