//! The schema steps that build the indexes over what was recorded before (see migrations.rs).

use super::index::{
    chunk_text, index_blob, index_command_line, index_fields, index_new_notes, index_snapshot,
};
use super::io_error;
use rusqlite::params;

/// Version 6: indexes everything recorded before search existed, but for the chunks of logs
/// and command output, which version 8 indexes apart.
pub(in crate::store) fn backfill(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let ids = |sql: &str| -> rusqlite::Result<Vec<i64>> {
        tx.prepare(sql)?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()
    };
    for pk in ids("SELECT pk FROM incidents ORDER BY pk")? {
        index_fields(tx, pk)?;
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

/// Version 8: the chunks of logs and command output go to their own index, `search_log`.
/// Those a version 6 or 7 indexed in `search` move there (their text read back from the
/// chunk); a database that comes from before version 6 has its logs indexed here.
pub(in crate::store) fn index_logs_apart(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let chunks: Vec<i64> = tx
        .prepare("SELECT id FROM search_docs WHERE chunk_id IS NOT NULL ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut decompressor = zstd::bulk::Decompressor::new().map_err(io_error)?;
    for id in &chunks {
        let (size, data): (i64, Vec<u8>) = tx
            .prepare_cached(
                "SELECT c.size, c.data FROM search_docs d JOIN blob_chunks c ON c.id = d.chunk_id
                 WHERE d.id = ?1",
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let text = chunk_text(&mut decompressor, size, &data)?;
        tx.prepare_cached("DELETE FROM search WHERE rowid = ?1")?
            .execute([id])?;
        tx.prepare_cached("INSERT INTO search_log (rowid, text) VALUES (?1, ?2)")?
            .execute(params![id, text])?;
    }
    if !chunks.is_empty() {
        // What was deleted stays in the index's segments until they are merged: merge now,
        // or every search would still read past the chunks' positions.
        tx.execute("INSERT INTO search (search) VALUES ('optimize')", [])?;
    }
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
