//! The alert intake's memory: each alert group (receiver + groupKey), the incident it feeds
//! and its alerts as last notified (`domain::intake` decides what changed against them).

use super::{StoreError, Txn};
use crate::domain::intake::{Alert, AlertStatus};
use crate::domain::time::{self, Timestamp};
use rusqlite::{OptionalExtension, params};
use std::collections::BTreeMap;

/// An alert group's newest row: the incident it feeds and how it was last notified.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertGroup {
    pub id: i64,
    pub incident_pk: i64,
    pub status: AlertStatus,
    pub truncated: u64,
}

/// One alert as stored with its incident.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAlert {
    pub fingerprint: String,
    pub status: AlertStatus,
    /// JSON objects, as received.
    pub labels: String,
    pub annotations: String,
    pub generator_url: String,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
}

impl Txn<'_> {
    /// The newest row of the group `receiver` + `group_key`, if it was ever notified.
    pub fn alert_group(
        &self,
        receiver: &str,
        group_key: &str,
    ) -> Result<Option<AlertGroup>, StoreError> {
        let found = self
            .tx
            .prepare_cached(
                "SELECT id, incident_pk, status, truncated FROM alert_groups
                 WHERE receiver = ?1 AND group_key = ?2 ORDER BY id DESC LIMIT 1",
            )?
            .query_row(params![receiver, group_key], |r| {
                let status: String = r.get(2)?;
                Ok(AlertGroup {
                    id: r.get(0)?,
                    incident_pk: r.get(1)?,
                    status: AlertStatus::parse(&status).unwrap_or(AlertStatus::Firing),
                    truncated: r.get::<_, i64>(3)?.max(0).unsigned_abs(),
                })
            })
            .optional()?;
        Ok(found)
    }

    /// The last status of each alert of group row `id`, by fingerprint.
    pub fn alert_states(&self, id: i64) -> Result<BTreeMap<String, AlertStatus>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT fingerprint, status FROM alerts WHERE group_id = ?1")?;
        let rows = stmt.query_map([id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (fp, status) = row?;
            out.insert(
                fp,
                AlertStatus::parse(&status).unwrap_or(AlertStatus::Firing),
            );
        }
        Ok(out)
    }

    /// Starts a row for the group feeding incident `incident_pk`; returns its id.
    pub fn insert_alert_group(
        &self,
        receiver: &str,
        group_key: &str,
        incident_pk: i64,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO alert_groups (receiver, group_key, incident_pk, status, truncated,
                                           updated_at)
                 VALUES (?1, ?2, ?3, 'firing', 0, ?4)",
            )?
            .execute(params![
                receiver,
                group_key,
                incident_pk,
                time::to_rfc3339(at)
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Records how group row `id` was last notified, and its alerts.
    pub fn save_alert_group(
        &self,
        id: i64,
        status: AlertStatus,
        truncated: u64,
        alerts: &[Alert],
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE alert_groups SET status = ?2, truncated = ?3, updated_at = ?4 WHERE id = ?1",
            )?
            .execute(params![
                id,
                status.as_str(),
                i64::try_from(truncated).unwrap_or(i64::MAX),
                time::to_rfc3339(at)
            ])?;
        let mut upsert = self.tx.prepare_cached(
            "INSERT INTO alerts (group_id, fingerprint, status, labels, annotations, generator_url,
                                 starts_at, ends_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (group_id, fingerprint) DO UPDATE SET
                 status = excluded.status, labels = excluded.labels,
                 annotations = excluded.annotations, generator_url = excluded.generator_url,
                 starts_at = excluded.starts_at, ends_at = excluded.ends_at",
        )?;
        for a in alerts {
            upsert.execute(params![
                id,
                a.key(),
                a.status.as_str(),
                serde_json::to_string(&a.labels).unwrap_or_default(),
                serde_json::to_string(&a.annotations).unwrap_or_default(),
                a.generator_url,
                time::to_rfc3339(a.starts_at),
                a.ended().map(time::to_rfc3339),
            ])?;
        }
        Ok(())
    }

    /// The alerts kept with incident `incident_pk`, oldest group first.
    pub fn alerts_of_incident(&self, incident_pk: i64) -> Result<Vec<StoredAlert>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT a.fingerprint, a.status, a.labels, a.annotations, a.generator_url,
                    a.starts_at, a.ends_at
             FROM alerts a JOIN alert_groups g ON g.id = a.group_id
             WHERE g.incident_pk = ?1 ORDER BY g.id, a.starts_at, a.fingerprint",
        )?;
        let rows = stmt.query_map([incident_pk], |r| {
            let status: String = r.get(1)?;
            let starts: String = r.get(5)?;
            let ends: Option<String> = r.get(6)?;
            Ok(StoredAlert {
                fingerprint: r.get(0)?,
                status: AlertStatus::parse(&status).unwrap_or(AlertStatus::Firing),
                labels: r.get(2)?,
                annotations: r.get(3)?,
                generator_url: r.get(4)?,
                starts_at: time::from_rfc3339(&starts).unwrap_or_default(),
                ends_at: ends.as_deref().and_then(time::from_rfc3339),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
