//! Reminder deliveries in the store: what `incident remind` reads to plan, and the claim rows
//! that make each reminder go out once per channel.

use super::{BUSY_TIMEOUT, Store, StoreError, Txn, rows};
use crate::domain::model::Incident;
use crate::domain::remind::ledger::{Key, Recorded, State};
use crate::domain::time::{self, Timestamp};
use rusqlite::params;
use std::collections::HashMap;
use std::time::Duration;

impl Store {
    /// How long the next transactions wait for another writer's lock; `None` restores the
    /// default. `remind --watch` waits briefly and tries again at its next tick instead.
    pub fn set_lock_wait(&self, wait: Option<Duration>) -> Result<(), StoreError> {
        self.conn.busy_timeout(wait.unwrap_or(BUSY_TIMEOUT))?;
        Ok(())
    }
}

impl Txn<'_> {
    /// Every incident opened by `at` and not closed by then: all that SLA reminders can be about.
    /// A cancelled incident has none: its clocks are neither met nor breached.
    pub fn remindable_incidents(&self, at: Timestamp) -> Result<Vec<Incident>, StoreError> {
        let sql = format!(
            "SELECT {} FROM incidents
             WHERE opened_at <= ?1 AND (closed_at IS NULL OR closed_at > ?1)
               AND status <> 'CANCELLED'
             ORDER BY number",
            rows::INCIDENT_COLUMNS
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let incidents = stmt
            .query_map([time::to_rfc3339(at)], rows::incident)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(incidents)
    }

    /// When someone last touched the incident, as known at `at`: the latest of its timeline
    /// entries, each at the later of when it happened and when it was written (a note backdated
    /// an hour is still someone at work now). The reminders' own `sla` entries do not count.
    pub fn last_activity(
        &self,
        incident_pk: i64,
        at: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let latest: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT max(max(at, recorded_at)) FROM events
                 WHERE incident_pk = ?1 AND kind <> 'sla' AND max(at, recorded_at) <= ?2",
            )?
            .query_row(params![incident_pk, time::to_rfc3339(at)], |r| r.get(0))?;
        Ok(latest.as_deref().and_then(time::from_rfc3339))
    }

    /// When a person last updated the incident, as known at `at`: its latest note, status or
    /// field change by an author not among `machines`, or else its opening, each at the later
    /// of when it happened and when it was written (as in [`Txn::last_activity`]).
    pub fn last_update(
        &self,
        incident_pk: i64,
        at: Timestamp,
        machines: &[&str],
    ) -> Result<Option<Timestamp>, StoreError> {
        let machines = serde_json::to_string(machines).unwrap_or_else(|_| "[]".into());
        let latest: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT max(max(at, recorded_at)) FROM events
                 WHERE incident_pk = ?1 AND max(at, recorded_at) <= ?2
                   AND (kind = 'opened' OR (kind IN ('note', 'status', 'field')
                        AND author NOT IN (SELECT value FROM json_each(?3))))",
            )?
            .query_row(params![incident_pk, time::to_rfc3339(at), machines], |r| {
                r.get(0)
            })?;
        Ok(latest.as_deref().and_then(time::from_rfc3339))
    }

    /// Whether the timeline already records the breach of `clock` against `deadline`.
    pub fn sla_breach_recorded(
        &self,
        incident_pk: i64,
        clock: &str,
        deadline: Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM events
                 WHERE incident_pk = ?1 AND kind = 'sla' AND field = ?2 AND new_value = ?3)",
            )?
            .query_row(
                params![incident_pk, clock, time::to_rfc3339(deadline)],
                |r| r.get(0),
            )?)
    }

    /// Every delivery row of an incident, by kind, level and channel.
    pub fn deliveries(&self, incident_pk: i64) -> Result<HashMap<Key, Recorded>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT kind, level, channel, state, claimed_at, due_at FROM deliveries
             WHERE incident_pk = ?1",
        )?;
        let rows = stmt.query_map([incident_pk], |r| {
            let key: Key = (r.get(0)?, r.get(1)?, r.get(2)?);
            let state: String = r.get(3)?;
            let claimed_at: String = r.get(4)?;
            let due_at: String = r.get(5)?;
            Ok((key, state, claimed_at, due_at))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (key, state, claimed_at, due_at) = row?;
            // The CHECK constraint and to_rfc3339 wrote these; anything else reads as a claim
            // long expired, which a run may take over.
            let recorded = Recorded {
                state: State::from_key(&state).unwrap_or(State::Sending),
                claimed_at: time::from_rfc3339(&claimed_at).unwrap_or(Timestamp::MIN_UTC),
                // Unreadable: as early as can be, which covers no reminder it does not name.
                due_at: time::from_rfc3339(&due_at).unwrap_or(Timestamp::MIN_UTC),
            };
            out.insert(key, recorded);
        }
        Ok(out)
    }

    /// Writes a delivery row in `state`, over whatever row the key had; returns its id.
    /// 'sending' claims it for this run (stamped `now`); 'sent' records a superseded level as
    /// delivered without sending it, which the missing `sent_at` tells. Decide with
    /// `ledger::decide` first, in this transaction.
    pub fn put_delivery(
        &self,
        incident_pk: i64,
        (kind, level, channel): (&str, &str, &str),
        due_at: Timestamp,
        state: State,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "INSERT INTO deliveries (incident_pk, kind, level, channel, due_at, state, claimed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (incident_pk, kind, level, channel) DO UPDATE
                 SET state = excluded.state, claimed_at = excluded.claimed_at, sent_at = NULL,
                     due_at = excluded.due_at, claimed_by = NULL
                 RETURNING id",
            )?
            .query_row(
                params![
                    incident_pk,
                    kind,
                    level,
                    channel,
                    time::to_rfc3339(due_at),
                    state.as_str(),
                    time::to_rfc3339(now)
                ],
                |r| r.get(0),
            )?)
    }

    /// Marks this run's claim delivered. The claim time identifies the claim: a row claimed
    /// again by another run after it expired is that run's to mark.
    pub fn mark_delivered(
        &self,
        id: i64,
        claimed_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE deliveries SET state = 'sent', sent_at = ?3
                 WHERE id = ?1 AND state = 'sending' AND claimed_at = ?2",
            )?
            .execute(params![
                id,
                time::to_rfc3339(claimed_at),
                time::to_rfc3339(now)
            ])?;
        Ok(())
    }

    /// Records that another working copy holds the team log's claim on this run's delivery
    /// `id`: the row stays 'sending', so this copy does not send it while the claim holds, and
    /// names `author`; once it expires a run claims it again and the team log decides anew.
    pub fn claimed_elsewhere(
        &self,
        id: i64,
        claimed_at: Timestamp,
        author: &str,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE deliveries SET claimed_by = ?3
                 WHERE id = ?1 AND state = 'sending' AND claimed_at = ?2",
            )?
            .execute(params![id, time::to_rfc3339(claimed_at), author])?;
        Ok(())
    }

    /// Gives up this run's claim after a failed delivery, so that the next run tries again.
    pub fn release_delivery(&self, id: i64, claimed_at: Timestamp) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "DELETE FROM deliveries WHERE id = ?1 AND state = 'sending' AND claimed_at = ?2",
            )?
            .execute(params![id, time::to_rfc3339(claimed_at)])?;
        Ok(())
    }
}
