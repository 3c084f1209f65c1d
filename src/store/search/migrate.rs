//! The schema steps that build the indexes over what was recorded before (see migrations.rs).

use super::index::{
    FIELDS_OF_V6, FIELDS_OF_V20, fields_to_docs, index_blob, index_command_line, index_entries,
    index_new_notes, index_snapshot,
};

/// Version 6: indexes everything recorded before search existed, but for the chunks of logs
/// and command output, which version 8 indexes apart.
pub(in crate::store) fn backfill(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let ids = |sql: &str| -> rusqlite::Result<Vec<i64>> {
        tx.prepare(sql)?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()
    };
    for pk in ids("SELECT pk FROM incidents ORDER BY pk")? {
        fields_to_docs(tx, pk, FIELDS_OF_V6, None)?;
    }
    index_new_notes(tx)?;
    for id in ids("SELECT id FROM snapshots WHERE incident_pk IS NOT NULL ORDER BY id")? {
        index_snapshot(tx, id)?;
    }
    for id in ids("SELECT id FROM command_runs ORDER BY id")? {
        index_command_line(tx, id)?;
    }
    Ok(())
}

/// Version 20: what versions 18 and 19 recorded for the post-mortem without indexing it: the
/// incidents' impact, trigger and detection, and the lessons and links up to the index's mark
/// (those after it are indexed by the next search, with the notes).
pub(in crate::store) fn index_postmortem(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let incidents: Vec<i64> = tx
        .prepare(
            "SELECT pk FROM incidents WHERE impact <> '' OR \"trigger\" <> '' OR detection <> ''
             ORDER BY pk",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for pk in incidents {
        fields_to_docs(tx, pk, FIELDS_OF_V20, None)?;
    }
    index_entries(
        tx,
        "id <= (SELECT notes_through FROM search_state WHERE id = 1)
         AND kind IN ('lesson', 'link')",
    )?;
    Ok(())
}

/// Version 8: the chunks of logs and command output went to their own index, `search_log`.
/// Since version 10 indexes every line in `search_line` and drops `search_log`, this step
/// only takes the chunks a version 6 or 7 indexed out of `search`; filling `search_log` for
/// a database on its way to version 10 would be work thrown away.
pub(in crate::store) fn index_logs_apart(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let chunks: Vec<i64> = tx
        .prepare("SELECT id FROM search_docs WHERE chunk_id IS NOT NULL ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &chunks {
        tx.prepare_cached("DELETE FROM search WHERE rowid = ?1")?
            .execute([id])?;
    }
    if !chunks.is_empty() {
        // What was deleted stays in the index's segments until they are merged: merge now,
        // or every search would still read past the chunks' positions.
        tx.execute("INSERT INTO search (search) VALUES ('optimize')", [])?;
    }
    Ok(())
}

/// Version 10: every line of every stored log and command output, a row each in
/// `search_line` (search by line).
pub(in crate::store) fn index_lines(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let blobs: Vec<i64> = tx
        .prepare(
            "SELECT blob_id FROM attachments UNION SELECT output_blob_id FROM command_runs
             ORDER BY 1",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for blob in blobs {
        index_blob(tx, blob)?;
    }
    Ok(())
}

/// Bytes of logs and command output version 10 indexes: what its time depends on.
pub(in crate::store) fn bytes_to_index(conn: &rusqlite::Connection) -> rusqlite::Result<u64> {
    conn.query_row(
        "SELECT coalesce(sum(size), 0) FROM blobs WHERE id IN (
             SELECT blob_id FROM attachments UNION SELECT output_blob_id FROM command_runs)",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n.max(0) as u64)
}
