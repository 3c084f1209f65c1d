//! Diagnostic snapshots in the store: each stored with its items in one insert path, numbered
//! within its incident, and indexed for search as it is written.

use super::{StoreError, Txn, rows, search};
use crate::domain::time::{self, Timestamp};
use crate::evidence::snapshot::{ItemStatus, Snapshot};
use rusqlite::{OptionalExtension, params};

/// A snapshot as stored: its number within the incident, and its items once loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSnapshot {
    pub id: i64,
    pub seq: i64,
    pub snapshot: Snapshot,
}

/// A snapshot as written: its number within the incident, and its JSON columns as JSON, so
/// that what is read is written back unchanged (an import stores the findings its file holds).
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRow {
    pub seq: i64,
    pub taken_at: Timestamp,
    pub duration_ms: i64,
    pub summary: String,
    pub findings: serde_json::Value,
    pub items: Vec<ItemRow>,
    /// Its identity on every working copy and in the team log; None gives it a new one.
    pub uuid: Option<String>,
}

/// A snapshot item as written.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRow {
    pub collector: String,
    pub name: String,
    pub status: ItemStatus,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub data: serde_json::Value,
    pub raw: String,
}

impl SnapshotRow {
    /// A collected snapshot as snapshot `seq`.
    fn of(seq: i64, snap: &Snapshot) -> SnapshotRow {
        // Findings that cannot be JSON (none can) are stored as `[]` rather than lose the
        // snapshot.
        let findings = serde_json::to_value(&snap.findings)
            .unwrap_or_else(|_| serde_json::Value::Array(Vec::new()));
        SnapshotRow {
            seq,
            taken_at: snap.taken_at,
            duration_ms: snap.duration_ms as i64,
            summary: snap.summary.clone(),
            findings,
            items: snap
                .items
                .iter()
                .map(|i| ItemRow {
                    collector: i.collector.clone(),
                    name: i.name.clone(),
                    status: i.status,
                    duration_ms: i.duration_ms as i64,
                    error: i.error.clone(),
                    data: i.data.clone(),
                    raw: i.raw.clone(),
                })
                .collect(),
            uuid: None,
        }
    }
}

impl Txn<'_> {
    /// Stores a snapshot (already redacted) as the incident's next one, with its items; returns
    /// its number within the incident. `incident_pk` None keeps one taken without an incident.
    pub fn insert_snapshot(
        &self,
        incident_pk: Option<i64>,
        snap: &Snapshot,
    ) -> Result<i64, StoreError> {
        let seq: i64 = self.tx.query_row(
            "SELECT coalesce(max(seq), 0) + 1 FROM snapshots WHERE incident_pk IS ?1",
            [incident_pk],
            |r| r.get(0),
        )?;
        self.insert_snapshot_row(incident_pk, &SnapshotRow::of(seq, snap))?;
        Ok(seq)
    }

    /// Writes a snapshot row and its items' rows, and indexes them: the one write of
    /// `snapshots` and `snapshot_items`, for every command that takes a snapshot and `import`.
    pub fn insert_snapshot_row(
        &self,
        incident_pk: Option<i64>,
        snap: &SnapshotRow,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO snapshots (incident_pk, seq, taken_at, duration_ms, summary, findings,
                     uuid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                incident_pk,
                snap.seq,
                time::to_rfc3339(snap.taken_at),
                snap.duration_ms,
                snap.summary,
                snap.findings.to_string(),
                snap.uuid
                    .clone()
                    .unwrap_or_else(crate::domain::event::new_uuid),
            ])?;
        let id = self.tx.last_insert_rowid();
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO snapshot_items (snapshot_id, collector, name, status, duration_ms, error, data, raw)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for item in &snap.items {
            stmt.execute(params![
                id,
                item.collector,
                item.name,
                item.status.as_str(),
                item.duration_ms,
                item.error,
                item.data.to_string(),
                item.raw,
            ])?;
        }
        search::index_snapshot(&self.tx, id)?;
        Ok(())
    }

    /// An incident's snapshots without their items, oldest first.
    pub fn snapshots(&self, incident_pk: i64) -> Result<Vec<StoredSnapshot>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, seq, taken_at, duration_ms, summary, findings FROM snapshots
             WHERE incident_pk = ?1 ORDER BY seq",
        )?;
        let rows = stmt
            .query_map([incident_pk], rows::snapshot)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Snapshot `seq` of an incident with its items; `seq` None is the latest.
    pub fn snapshot(
        &self,
        incident_pk: i64,
        seq: Option<i64>,
    ) -> Result<Option<StoredSnapshot>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, seq, taken_at, duration_ms, summary, findings FROM snapshots
             WHERE incident_pk = ?1 AND (?2 IS NULL OR seq = ?2) ORDER BY seq DESC LIMIT 1",
        )?;
        let Some(mut snap) = stmt
            .query_row(params![incident_pk, seq], rows::snapshot)
            .optional()?
        else {
            return Ok(None);
        };
        let mut items = self.tx.prepare_cached(
            "SELECT collector, name, status, duration_ms, error, data, raw FROM snapshot_items
             WHERE snapshot_id = ?1 ORDER BY id",
        )?;
        snap.snapshot.items = items
            .query_map([snap.id], rows::item)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(snap))
    }
}
