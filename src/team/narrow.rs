//! The narrow pull: only what an unattended process needs (the unresolved incidents and their
//! whole timelines, or one incident), for a working copy that is empty or far behind, such as
//! a CronJob's fresh SQLite file, instead of the whole team log.

use super::{Pulled, Team, TeamError};
use sqlx::AssertSqlSafe;

impl Team {
    /// Every event of every incident whose newest status change (by time, then commit order)
    /// is not RESOLVED, CLOSED or CANCELLED, in commit order, with their incidents' numbers.
    /// The cursor returned is `cursor`, unchanged: what was left out is still to pull.
    pub fn pull_unresolved(&mut self, cursor: i64) -> Result<Pulled, TeamError> {
        let s = self.schema.clone();
        let filter = format!(
            "incident_uuid IN (
                 SELECT i.uuid FROM {s}.incidents i
                 LEFT JOIN LATERAL (
                     SELECT e.new FROM {s}.events e
                     WHERE e.incident_uuid = i.uuid AND e.kind = 'status'
                     ORDER BY e.at DESC, e.seq DESC LIMIT 1
                 ) l ON true
                 WHERE l.new IS NULL OR l.new NOT IN ('RESOLVED', 'CLOSED', 'CANCELLED'))"
        );
        self.pull_where(&filter, None, cursor)
    }

    /// Every event of incident `uuid`, in commit order, with its number.
    pub fn pull_incident(&mut self, uuid: &str, cursor: i64) -> Result<Pulled, TeamError> {
        self.pull_where("incident_uuid = $1::uuid", Some(uuid.to_string()), cursor)
    }

    fn pull_where(
        &mut self,
        filter: &str,
        arg: Option<String>,
        cursor: i64,
    ) -> Result<Pulled, TeamError> {
        let s = self.schema.clone();
        let sql = format!(
            "SELECT seq, uuid::text, incident_uuid::text, at, recorded_at, author, kind, field, old,
                    new, text, detail
             FROM {s}.events WHERE {filter} ORDER BY seq"
        );
        let events = self.round(async |c| {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            if let Some(arg) = arg {
                q = q.bind(arg);
            }
            let rows = q.fetch_all(c).await?;
            rows.iter()
                .map(super::exchange::shared_event)
                .collect::<Result<Vec<_>, _>>()
        })?;
        let numbers = self.incident_numbers(&events)?;
        Ok(Pulled {
            events,
            numbers,
            cursor,
            more: false,
        })
    }

    /// The newest event's `seq` as read with the version (`check_version`), if it was.
    pub fn head(&self) -> Option<i64> {
        self.head
    }
}
