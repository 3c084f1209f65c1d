//! The SQL of `export` and `import` beyond the inserts every command shares: an incident's rows
//! as stored, the content they refer to, and the look-ups an import decides by. The file format
//! itself is `crate::transfer`'s.

use super::{
    ActionRow, AttachmentRow, BlobInfo, ChunkRow, CommandRunRow, ItemRow, SnapshotRow, StoreError,
    Txn, rows,
};
use crate::domain::model::Incident;
use crate::domain::time::{self, Timestamp};
use rusqlite::{OptionalExtension, params};

type Result<T> = std::result::Result<T, StoreError>;

impl Txn<'_> {
    /// Every incident's row key, by number.
    pub fn all_incident_pks(&self) -> Result<Vec<i64>> {
        let pks = self
            .tx
            .prepare("SELECT pk FROM incidents ORDER BY number")?
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        Ok(pks)
    }

    /// The incident with row key `pk`.
    pub fn incident_at(&self, pk: i64) -> Result<Incident> {
        let sql = format!(
            "SELECT {} FROM incidents WHERE pk = ?1",
            rows::INCIDENT_COLUMNS
        );
        Ok(self
            .tx
            .prepare_cached(&sql)?
            .query_row([pk], rows::incident)?)
    }

    /// The incident's number if an incident with this UUID is here.
    pub fn number_of_uuid(&self, uuid: &str) -> Result<Option<i64>> {
        Ok(self
            .tx
            .prepare_cached("SELECT number FROM incidents WHERE uuid = ?1")?
            .query_row([uuid], |r| r.get(0))
            .optional()?)
    }

    /// An incident's snapshots with their items, as stored.
    pub fn snapshot_rows(&self, incident_pk: i64) -> Result<Vec<SnapshotRow>> {
        let snapshots: Vec<(i64, SnapshotRow)> = self
            .tx
            .prepare_cached(
                "SELECT id, seq, taken_at, duration_ms, summary, findings, uuid FROM snapshots
                 WHERE incident_pk = ?1 ORDER BY seq",
            )?
            .query_map([incident_pk], |r| {
                Ok((
                    r.get(0)?,
                    SnapshotRow {
                        seq: r.get(1)?,
                        taken_at: rows::ts(r, 2)?,
                        duration_ms: r.get(3)?,
                        summary: r.get(4)?,
                        findings: rows::json(r, 5, "JSON")?,
                        items: Vec::new(),
                        uuid: r.get(6)?,
                    },
                ))
            })?
            .collect::<std::result::Result<_, _>>()?;
        let mut items = self.tx.prepare_cached(
            "SELECT collector, name, status, duration_ms, error, data, raw FROM snapshot_items
             WHERE snapshot_id = ?1 ORDER BY id",
        )?;
        let mut out = Vec::with_capacity(snapshots.len());
        for (id, mut snapshot) in snapshots {
            snapshot.items = items
                .query_map([id], |r| {
                    Ok(ItemRow {
                        collector: r.get(0)?,
                        name: r.get(1)?,
                        status: rows::item_status(r, 2)?,
                        duration_ms: r.get(3)?,
                        error: r.get(4)?,
                        data: rows::json(r, 5, "JSON")?,
                        raw: r.get(6)?,
                    })
                })?
                .collect::<std::result::Result<_, _>>()?;
            out.push(snapshot);
        }
        Ok(out)
    }

    /// An incident's action items, by id.
    pub fn action_rows(&self, incident_pk: i64) -> Result<Vec<ActionRow>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT id, text, kind, owner, due_at, created_at, created_by, done_at, done_by,
                        uuid
                 FROM action_items WHERE incident_pk = ?1 ORDER BY id",
            )?
            .query_map([incident_pk], super::actions::action_row)?
            .collect::<std::result::Result<_, _>>()?)
    }

    /// An incident's attachments, each with the SHA-256 of its content.
    pub fn attachment_rows(&self, incident_pk: i64) -> Result<Vec<(AttachmentRow, String)>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT a.seq, a.name, a.blob_id, a.redactions, a.added_at, a.added_by, b.hash,
                        a.uuid
                 FROM attachments a JOIN blobs b ON b.id = a.blob_id
                 WHERE a.incident_pk = ?1 ORDER BY a.seq",
            )?
            .query_map([incident_pk], |r| {
                Ok((
                    AttachmentRow {
                        seq: r.get(0)?,
                        name: r.get(1)?,
                        blob_id: r.get(2)?,
                        redactions: r.get(3)?,
                        added_at: rows::ts(r, 4)?,
                        added_by: r.get(5)?,
                        uuid: r.get(7)?,
                    },
                    r.get(6)?,
                ))
            })?
            .collect::<std::result::Result<_, _>>()?)
    }

    /// An incident's command runs, each with the SHA-256 of its output.
    pub fn command_run_rows(&self, incident_pk: i64) -> Result<Vec<(CommandRunRow, String)>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT c.seq, c.command, c.started_at, c.duration_ms, c.exit_code, c.signal,
                        c.output_blob_id, c.output_bytes, c.output_cap, c.run_by, b.hash, c.uuid
                 FROM command_runs c JOIN blobs b ON b.id = c.output_blob_id
                 WHERE c.incident_pk = ?1 ORDER BY c.seq",
            )?
            .query_map([incident_pk], |r| {
                Ok((
                    CommandRunRow {
                        seq: r.get(0)?,
                        command: r.get(1)?,
                        started_at: rows::ts(r, 2)?,
                        duration_ms: r.get(3)?,
                        exit_code: r.get(4)?,
                        signal: r.get(5)?,
                        output_blob_id: r.get(6)?,
                        output_bytes: r.get(7)?,
                        output_cap: r.get(8)?,
                        run_by: r.get(9)?,
                        uuid: r.get(11)?,
                    },
                    r.get(10)?,
                ))
            })?
            .collect::<std::result::Result<_, _>>()?)
    }

    /// The blobs the incidents' attachments and command runs refer to, each once, in the
    /// order the incidents are given.
    pub fn blobs_of(&self, pks: &[i64]) -> Result<Vec<BlobInfo>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, hash, size, lines, stored FROM blobs WHERE id IN (
                 SELECT blob_id FROM attachments WHERE incident_pk = ?1
                 UNION SELECT output_blob_id FROM command_runs WHERE incident_pk = ?1)
             ORDER BY id",
        )?;
        let mut blobs: Vec<BlobInfo> = Vec::new();
        for pk in pks {
            let rows = stmt.query_map([pk], |r| {
                Ok(BlobInfo {
                    id: r.get(0)?,
                    hash: r.get(1)?,
                    size: r.get::<_, i64>(2)? as u64,
                    lines: r.get::<_, i64>(3)? as u64,
                    stored: r.get::<_, i64>(4)? as u64,
                    existed: true,
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

    /// Hands blob `id`'s chunks to `f` in order, as stored (compressed), one at a time.
    pub fn stored_chunks<E: From<StoreError>>(
        &self,
        id: i64,
        mut f: impl FnMut(ChunkRow) -> std::result::Result<(), E>,
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
                Ok::<_, rusqlite::Error>(ChunkRow {
                    seq: row.get(0)?,
                    first_line: row.get(1)?,
                    lines: row.get(2)?,
                    size: row.get(3)?,
                    data: row.get(4)?,
                })
            })()
            .map_err(StoreError::from)?;
            f(chunk)?;
        }
        Ok(())
    }

    /// The largest action item id of the incidents.
    pub fn max_action_id(&self, pks: &[i64]) -> Result<i64> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT coalesce(max(id), 0) FROM action_items WHERE incident_pk = ?1",
        )?;
        let mut max = 0;
        for pk in pks {
            max = max.max(stmt.query_row([pk], |r| r.get::<_, i64>(0))?);
        }
        Ok(max)
    }

    /// `wanted` if it is a free action item id; else the next id past every one here and
    /// `past`.
    pub fn free_action_id(&self, wanted: i64, past: i64) -> Result<i64> {
        let free: bool = self
            .tx
            .prepare_cached("SELECT NOT EXISTS (SELECT 1 FROM action_items WHERE id = ?1)")?
            .query_row([wanted], |r| r.get(0))?;
        if free && wanted > 0 {
            return Ok(wanted);
        }
        Ok(self
            .tx
            .prepare_cached("SELECT max(coalesce(max(id), 0), ?1) + 1 FROM action_items")?
            .query_row([past], |r| r.get(0))?)
    }

    /// Dates the search index's entries of an incident's fields: each `(field key, time)` at
    /// the time it was last set, not the time it was written here.
    pub fn date_indexed_fields(&self, incident_pk: i64, times: &[(&str, Timestamp)]) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(
            "UPDATE search_docs SET at = ?3 WHERE incident_pk = ?1 AND kind = 'field' AND ref = ?2",
        )?;
        for (field, at) in times {
            stmt.execute(params![incident_pk, field, time::to_rfc3339(*at)])?;
        }
        Ok(())
    }

    /// Removes the blobs among `ids` that no attachment or command run refers to; returns
    /// those removed.
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
                self.delete_blob(*id)?;
                dropped.push(*id);
            }
        }
        Ok(dropped)
    }
}
