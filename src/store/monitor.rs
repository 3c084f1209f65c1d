//! The health monitor's memory in the store: which unresolved incident it opened, and what
//! its last check of it saw.

use super::{StoreError, Txn, rows};
use crate::domain::model::{Incident, Severity};
use crate::domain::time::{self, Timestamp};
use rusqlite::{OptionalExtension, params};

/// What the monitor's last check of its incident saw.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorState {
    pub last_check_at: Timestamp,
    pub last_score: f64,
    pub last_severity: Option<Severity>,
    pub healthy_streak: u32,
    pub recovered_at: Option<Timestamp>,
}

impl Txn<'_> {
    /// The newest incident the monitor opened that nobody has resolved yet, with its state.
    pub fn monitor_incident(&self) -> Result<Option<(Incident, MonitorState)>, StoreError> {
        self.newest_monitor_incident("incidents.status IN ('OPEN', 'INVESTIGATING')")
    }

    /// The newest incident the monitor opened, if it was cancelled (as noise), with its state:
    /// while health has not recovered since, the monitor opens no other.
    pub fn cancelled_monitor_incident(
        &self,
    ) -> Result<Option<(Incident, MonitorState)>, StoreError> {
        Ok(self
            .newest_monitor_incident("1")?
            .filter(|(i, _)| i.status == crate::domain::model::Status::Cancelled))
    }

    fn newest_monitor_incident(
        &self,
        filter: &str,
    ) -> Result<Option<(Incident, MonitorState)>, StoreError> {
        let sql = format!(
            "SELECT {}, m.last_check_at, m.last_score, m.last_severity,
                    m.healthy_streak, m.recovered_at
             FROM monitor m JOIN incidents ON incidents.pk = m.incident_pk
             WHERE {filter}
             ORDER BY incidents.number DESC LIMIT 1",
            rows::INCIDENT_COLUMNS
        );
        let n = rows::INCIDENT_COLUMNS.split(',').count();
        let found = self
            .tx
            .prepare_cached(&sql)?
            .query_row([], |r| {
                let ts = |i: usize| -> rusqlite::Result<Option<Timestamp>> {
                    Ok(r.get::<_, Option<String>>(i)?
                        .as_deref()
                        .and_then(time::from_rfc3339))
                };
                let severity: Option<String> = r.get(n + 2)?;
                let state = MonitorState {
                    last_check_at: ts(n)?.unwrap_or_default(),
                    last_score: r.get(n + 1)?,
                    last_severity: severity.and_then(|s| s.parse().ok()),
                    healthy_streak: r.get::<_, i64>(n + 3)?.max(0) as u32,
                    recovered_at: ts(n + 4)?,
                };
                Ok((rows::incident(r)?, state))
            })
            .optional()?;
        Ok(found)
    }

    /// Records the monitor's state of incident `pk` (inserting it when the monitor opened it).
    pub fn save_monitor(&self, incident_pk: i64, s: &MonitorState) -> Result<(), StoreError> {
        let at = |t: Option<Timestamp>| t.map(time::to_rfc3339);
        self.tx
            .prepare_cached(
                "INSERT INTO monitor (incident_pk, last_check_at, last_score, last_severity,
                                      healthy_streak, recovered_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (incident_pk) DO UPDATE SET
                    last_check_at = excluded.last_check_at, last_score = excluded.last_score,
                    last_severity = excluded.last_severity,
                    healthy_streak = excluded.healthy_streak,
                    recovered_at = excluded.recovered_at",
            )?
            .execute(params![
                incident_pk,
                time::to_rfc3339(s.last_check_at),
                s.last_score,
                s.last_severity.map(Severity::as_str),
                s.healthy_streak,
                at(s.recovered_at),
            ])?;
        Ok(())
    }
}
