//! The rows behind the timeline as a team log shares them: action items, snapshots, attached
//! logs, command runs and reminder deliveries, each known by a UUID that is the same on every
//! working copy. Which rows have not reached the team log (`shared`), the team numbers of
//! action items, and what a pull needs to file others' rows here. The exchange itself is
//! `team`'s and `app`'s.

use super::{
    ActionRow, AttachmentRow, BlobInfo, CommandRunRow, SnapshotRow, StoreError, Txn, rows,
};
use crate::domain::time::{self, Timestamp};
use rusqlite::{OptionalExtension, params};

type Result<T> = std::result::Result<T, StoreError>;

/// The namespace of identities derived from a row's content.
const ROW_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x3f0a_9c1e_52b7_4e8d_a6c4_7d21_e09b_5a13);

/// An identity derived from `parts` (the incident's UUID, what the row is, what it holds): the
/// same wherever it is computed, so that rows written before identities existed, or imported
/// from a file that carries none, agree on every copy.
pub fn derived_uuid(parts: &[&str]) -> String {
    uuid::Uuid::new_v5(&ROW_NAMESPACE, parts.join("\u{1f}").as_bytes()).to_string()
}

/// Which of a row's states has reached the team log.
pub mod level {
    /// The row as written (for action items: open).
    pub const ROW: i64 = 1;
    /// An action item's completion too.
    pub const DONE: i64 = 2;
}

/// A row not yet in the team log, with its incident's identity.
#[derive(Debug, Clone, PartialEq)]
pub enum Unshared {
    /// An action item; `row_shared` says whether its creation went already (only the
    /// completion waits).
    Action {
        row: ActionRow,
        row_shared: bool,
    },
    Snapshot(SnapshotRow),
    Attachment {
        row: AttachmentRow,
        blob: BlobInfo,
    },
    Command {
        row: CommandRunRow,
        blob: BlobInfo,
    },
    /// A reminder delivered on this copy: (kind, level, channel, due, sent).
    Delivery {
        key: (String, String, String),
        due_at: Timestamp,
        sent_at: Option<Timestamp>,
    },
}

/// One unshared row: its incident's UUID and creator, and the row.
#[derive(Debug, Clone, PartialEq)]
pub struct UnsharedRow {
    pub incident_uuid: String,
    pub incident_created_by: String,
    pub row: Unshared,
}

/// Version 15 (the sharing step): identities for the rows written before, derived from their
/// content; then the indexes that need them.
pub(super) fn fill_row_uuids(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let fills: [(&str, &str); 4] = [
        (
            "action_items",
            "'action', t.created_at, t.created_by, t.text, t.id",
        ),
        ("snapshots", "'snapshot', t.seq, t.taken_at, t.summary"),
        (
            "attachments",
            "'attachment', t.seq, t.added_at, t.added_by, t.name, \
             (SELECT hash FROM blobs WHERE id = t.blob_id)",
        ),
        (
            "command_runs",
            "'command', t.seq, t.started_at, t.run_by, t.command, \
             (SELECT hash FROM blobs WHERE id = t.output_blob_id)",
        ),
    ];
    for (table, parts) in fills {
        // A snapshot taken without an incident (`check`) is never shared: its own id names it.
        let rows: Vec<(i64, Vec<String>)> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT t.id, coalesce(i.uuid, 'none:' || t.id), {parts}
                 FROM {table} t LEFT JOIN incidents i ON i.pk = t.incident_pk"
            ))?;
            let n = stmt.column_count();
            stmt.query_map([], |r| {
                let mut v = Vec::with_capacity(n - 1);
                for i in 1..n {
                    let value: rusqlite::types::Value = r.get(i)?;
                    v.push(match value {
                        rusqlite::types::Value::Text(s) => s,
                        rusqlite::types::Value::Integer(n) => n.to_string(),
                        _ => String::new(),
                    });
                }
                Ok((r.get(0)?, v))
            })?
            .collect::<rusqlite::Result<_>>()?
        };
        let mut update = tx.prepare(&format!("UPDATE {table} SET uuid = ?2 WHERE id = ?1"))?;
        for (id, parts) in rows {
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            update.execute(params![id, derived_uuid(&parts)])?;
        }
    }
    tx.execute_batch(
        "CREATE UNIQUE INDEX action_items_uuid ON action_items (uuid);
         CREATE UNIQUE INDEX snapshots_uuid ON snapshots (uuid);
         CREATE UNIQUE INDEX attachments_uuid ON attachments (uuid);
         CREATE UNIQUE INDEX command_runs_uuid ON command_runs (uuid);
         CREATE INDEX action_items_unshared ON action_items (shared) WHERE shared < 2;
         CREATE INDEX snapshots_unshared ON snapshots (shared) WHERE shared = 0;
         CREATE INDEX attachments_unshared ON attachments (shared) WHERE shared = 0;
         CREATE INDEX command_runs_unshared ON command_runs (shared) WHERE shared = 0;
         CREATE INDEX deliveries_unshared ON deliveries (shared) WHERE shared = 0;",
    )
}

const INCIDENT: &str = "JOIN incidents i ON i.pk = t.incident_pk";

impl Txn<'_> {
    /// Up to `limit` rows of each kind that have not reached the team log, oldest first: action
    /// items not shared (or done and their completion not shared), snapshots of incidents,
    /// attachments, command runs, and deliveries that went out.
    pub fn unshared(&self, limit: usize) -> Result<Vec<UnsharedRow>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut out = Vec::new();
        self.unshared_actions(limit, &mut out)?;
        self.unshared_snapshots(limit, &mut out)?;
        self.unshared_logs(limit, &mut out)?;
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT i.uuid, i.created_by, t.kind, t.level, t.channel, t.due_at, t.sent_at
             FROM deliveries t {INCIDENT} WHERE t.shared = 0 AND t.state = 'sent'
             ORDER BY t.id LIMIT ?1"
        ))?;
        let found = stmt.query_map([limit], |r| {
            Ok(UnsharedRow {
                incident_uuid: r.get(0)?,
                incident_created_by: r.get(1)?,
                row: Unshared::Delivery {
                    key: (r.get(2)?, r.get(3)?, r.get(4)?),
                    due_at: rows::ts(r, 5)?,
                    sent_at: rows::opt_ts(r, 6)?,
                },
            })
        })?;
        for row in found {
            out.push(row?);
        }
        Ok(out)
    }

    fn unshared_actions(&self, limit: i64, out: &mut Vec<UnsharedRow>) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT t.id, t.text, t.kind, t.owner, t.due_at, t.created_at, t.created_by,
                    t.done_at, t.done_by, t.uuid, i.uuid, i.created_by, t.shared
             FROM action_items t {INCIDENT}
             WHERE t.shared = 0 OR (t.shared = 1 AND t.done_at IS NOT NULL)
             ORDER BY t.id LIMIT ?1"
        ))?;
        let found = stmt.query_map([limit], |r| {
            Ok(UnsharedRow {
                incident_uuid: r.get(10)?,
                incident_created_by: r.get(11)?,
                row: Unshared::Action {
                    row: super::actions::action_row(r)?,
                    row_shared: r.get::<_, i64>(12)? >= level::ROW,
                },
            })
        })?;
        for row in found {
            out.push(row?);
        }
        Ok(())
    }

    fn unshared_snapshots(&self, limit: i64, out: &mut Vec<UnsharedRow>) -> Result<()> {
        let found: Vec<(i64, i64, String, String)> = self
            .tx
            .prepare_cached(&format!(
                "SELECT t.incident_pk, t.seq, i.uuid, i.created_by FROM snapshots t {INCIDENT}
                 WHERE t.shared = 0 ORDER BY t.id LIMIT ?1"
            ))?
            .query_map([limit], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (pk, seq, incident_uuid, created_by) in found {
            let row = self
                .snapshot_rows(pk)?
                .into_iter()
                .find(|s| s.seq == seq)
                .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            out.push(UnsharedRow {
                incident_uuid,
                incident_created_by: created_by,
                row: Unshared::Snapshot(row),
            });
        }
        Ok(())
    }

    fn unshared_logs(&self, limit: i64, out: &mut Vec<UnsharedRow>) -> Result<()> {
        let found: Vec<(i64, i64, String, String, bool)> = self
            .tx
            .prepare_cached(&format!(
                "SELECT * FROM (
                     SELECT t.incident_pk, t.seq, i.uuid, i.created_by, 1 FROM attachments t
                     {INCIDENT} WHERE t.shared = 0 ORDER BY t.id LIMIT ?1)
                 UNION ALL SELECT * FROM (
                     SELECT t.incident_pk, t.seq, i.uuid, i.created_by, 0 FROM command_runs t
                     {INCIDENT} WHERE t.shared = 0 ORDER BY t.id LIMIT ?1)"
            ))?
            .query_map([limit], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (pk, seq, incident_uuid, created_by, attachment) in found {
            let row = if attachment {
                let (row, hash) = self
                    .attachment_rows(pk)?
                    .into_iter()
                    .find(|(a, _)| a.seq == seq)
                    .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                let blob = self
                    .blob(&hash)?
                    .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                Unshared::Attachment { row, blob }
            } else {
                let (row, hash) = self
                    .command_run_rows(pk)?
                    .into_iter()
                    .find(|(c, _)| c.seq == seq)
                    .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                let blob = self
                    .blob(&hash)?
                    .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                Unshared::Command { row, blob }
            };
            out.push(UnsharedRow {
                incident_uuid,
                incident_created_by: created_by,
                row,
            });
        }
        Ok(())
    }

    /// Records that these rows reached the team log (as far as each was given).
    pub fn mark_shared(&self, rows: &[UnsharedRow]) -> Result<()> {
        for u in rows {
            match &u.row {
                Unshared::Action { row, .. } => {
                    let level = if row.done_at.is_some() {
                        level::DONE
                    } else {
                        level::ROW
                    };
                    self.tx
                        .prepare_cached(
                            "UPDATE action_items SET shared = max(shared, ?2) WHERE uuid = ?1",
                        )?
                        .execute(params![row.uuid, level])?;
                }
                Unshared::Snapshot(s) => self.set_shared("snapshots", s.uuid.as_deref())?,
                Unshared::Attachment { row, .. } => {
                    self.set_shared("attachments", row.uuid.as_deref())?;
                }
                Unshared::Command { row, .. } => {
                    self.set_shared("command_runs", row.uuid.as_deref())?;
                }
                Unshared::Delivery { key, .. } => {
                    self.tx
                        .prepare_cached(
                            "UPDATE deliveries SET shared = 1 WHERE kind = ?2 AND level = ?3
                             AND channel = ?4 AND incident_pk = (SELECT pk FROM incidents
                             WHERE uuid = ?1)",
                        )?
                        .execute(params![u.incident_uuid, key.0, key.1, key.2])?;
                }
            }
        }
        Ok(())
    }

    fn set_shared(&self, table: &str, uuid: Option<&str>) -> Result<()> {
        self.tx
            .prepare_cached(&format!("UPDATE {table} SET shared = 1 WHERE uuid = ?1"))?
            .execute([uuid])?;
        Ok(())
    }

    /// Whether a row with this identity is in `table` (one of the shared tables).
    pub fn has_row(&self, table: SharedTable, uuid: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT 1 FROM {} WHERE uuid = ?1", table.name()))?
            .query_row([uuid], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Takes the team's numbers for action items: (uuid, team number).
    pub fn take_action_numbers(&self, numbers: &[(String, i64)]) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(
            "UPDATE action_items SET team_number = ?2 WHERE uuid = ?1 AND team_number IS NULL",
        )?;
        for (uuid, n) in numbers {
            stmt.execute(params![uuid, n])?;
        }
        Ok(())
    }

    /// Files an action item pulled from the team log (shared already), under the team's
    /// number; returns its row id.
    pub fn insert_pulled_action(
        &self,
        incident_pk: i64,
        row: &ActionRow,
        team_number: Option<i64>,
    ) -> Result<i64> {
        let id = self.insert_action_row(
            incident_pk,
            &ActionRow {
                id: 0,
                ..row.clone()
            },
        )?;
        self.tx
            .prepare_cached("UPDATE action_items SET team_number = ?2, shared = ?3 WHERE id = ?1")?
            .execute(params![
                id,
                team_number,
                if row.done_at.is_some() {
                    level::DONE
                } else {
                    level::ROW
                }
            ])?;
        super::search::index_action(&self.tx, id)?;
        Ok(id)
    }

    /// Marks the action item with this identity done as the team log says, unless it is done
    /// here already; says whether it changed.
    pub fn pulled_action_done(&self, uuid: &str, at: Timestamp, by: &str) -> Result<bool> {
        let n = self
            .tx
            .prepare_cached(
                "UPDATE action_items SET done_at = ?2, done_by = ?3, shared = 2
                 WHERE uuid = ?1 AND done_at IS NULL",
            )?
            .execute(params![uuid, time::to_rfc3339(at), by])?;
        self.tx
            .prepare_cached("UPDATE action_items SET shared = 2 WHERE uuid = ?1")?
            .execute([uuid])?;
        Ok(n > 0)
    }

    /// `wanted` if no row of `table` of the incident has that number, else the next free one:
    /// two copies that attached a log to the same incident apart both called theirs 1.
    pub fn free_seq(&self, table: SharedTable, incident_pk: i64, wanted: i64) -> Result<i64> {
        let name = table.name();
        Ok(self.tx.query_row(
            &format!(
                "SELECT CASE WHEN EXISTS (SELECT 1 FROM {name} WHERE incident_pk = ?1 AND seq = ?2)
                        THEN (SELECT max(seq) + 1 FROM {name} WHERE incident_pk = ?1)
                        ELSE ?2 END"
            ),
            params![incident_pk, wanted],
            |r| r.get(0),
        )?)
    }

    /// Marks rows pulled from the team log as shared (they came from there).
    pub fn mark_pulled_row(&self, table: SharedTable, uuid: &str) -> Result<()> {
        self.set_shared(table.name(), Some(uuid))
    }

    /// Records a reminder delivery another copy made, unless this copy has one for the key.
    pub fn insert_pulled_delivery(
        &self,
        incident_pk: i64,
        (kind, level, channel): (&str, &str, &str),
        due_at: Timestamp,
        sent_at: Option<Timestamp>,
    ) -> Result<bool> {
        let sent = sent_at.map(time::to_rfc3339);
        let n = self
            .tx
            .prepare_cached(
                "INSERT INTO deliveries (incident_pk, kind, level, channel, due_at, state,
                     claimed_at, sent_at, shared)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'sent', coalesce(?6, ?5), ?6, 1)
                 ON CONFLICT (incident_pk, kind, level, channel) DO UPDATE
                 SET state = 'sent', sent_at = excluded.sent_at, shared = 1
                 WHERE deliveries.state <> 'sent'",
            )?
            .execute(params![
                incident_pk,
                kind,
                level,
                channel,
                time::to_rfc3339(due_at),
                sent
            ])?;
        Ok(n > 0)
    }

    /// Records the cursor of the team log's records this copy has filed.
    pub fn mark_records_pulled(&self, seq: i64) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE sync_state SET records_seq = max(records_seq, ?1)")?
            .execute([seq])?;
        Ok(())
    }

    /// How far this copy has filed the team log's records.
    pub fn records_seq(&self) -> Result<i64> {
        Ok(self
            .tx
            .query_row("SELECT records_seq FROM sync_state", [], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    /// Files a blob whose content stays on the team log: its hash and sizes, no chunks.
    pub fn insert_remote_blob(
        &self,
        hash: &str,
        size: u64,
        lines: u64,
        stored: u64,
    ) -> Result<i64> {
        let id = self.insert_blob(hash)?;
        self.set_blob(id, hash, size, lines, stored)?;
        self.tx
            .prepare_cached("UPDATE blobs SET remote = 1 WHERE id = ?1")?
            .execute([id])?;
        Ok(id)
    }

    /// Whether blob `id`'s content is on the team log only.
    pub fn blob_is_remote(&self, id: i64) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached("SELECT remote FROM blobs WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?
            .unwrap_or(false))
    }

    /// The blobs whose content stayed on the team log, and how many logs and command outputs
    /// file them.
    pub fn remote_blobs(&self) -> Result<(Vec<BlobInfo>, i64)> {
        let blobs = self
            .tx
            .prepare_cached("SELECT hash FROM blobs WHERE remote = 1 ORDER BY id")?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::with_capacity(blobs.len());
        for hash in blobs {
            out.extend(self.blob(&hash)?);
        }
        let logs: i64 = self.tx.query_row(
            "SELECT (SELECT count(*) FROM attachments a JOIN blobs b ON b.id = a.blob_id
                     WHERE b.remote = 1)
                  + (SELECT count(*) FROM command_runs c JOIN blobs b ON b.id = c.output_blob_id
                     WHERE b.remote = 1)",
            [],
            |r| r.get(0),
        )?;
        Ok((out, logs))
    }

    /// The content of remote blob `id` has been stored (its chunks written): it is local now,
    /// and indexed for search.
    pub fn blob_fetched(&self, id: i64) -> Result<()> {
        self.tx
            // While remote it had no chunks, so its filing indexed no line: index it now.
            .prepare_cached("UPDATE blobs SET remote = 0, indexed = 0 WHERE id = ?1")?
            .execute([id])?;
        super::search::index_blob(&self.tx, id)?;
        Ok(())
    }
}

/// The tables whose rows the team log shares by identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedTable {
    Actions,
    Snapshots,
    Attachments,
    CommandRuns,
}

impl SharedTable {
    fn name(self) -> &'static str {
        match self {
            SharedTable::Actions => "action_items",
            SharedTable::Snapshots => "snapshots",
            SharedTable::Attachments => "attachments",
            SharedTable::CommandRuns => "command_runs",
        }
    }
}

impl Txn<'_> {
    /// Up to `limit` stored chunks of blob `blob_id` after chunk `after`, compressed as stored:
    /// what a push streams to the team log a page at a time.
    pub fn chunk_page(
        &self,
        blob_id: i64,
        after: i64,
        limit: usize,
    ) -> Result<Vec<super::ChunkRow>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(self
            .tx
            .prepare_cached(
                "SELECT seq, first_line, lines, size, data FROM blob_chunks
                 WHERE blob_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )?
            .query_map(params![blob_id, after, limit], |r| {
                Ok(super::ChunkRow {
                    seq: r.get(0)?,
                    first_line: r.get(1)?,
                    lines: r.get(2)?,
                    size: r.get(3)?,
                    data: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
    }
}
