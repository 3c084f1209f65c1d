//! What sharing with a team log keeps in the working copy: its identity, how far it pushed and
//! pulled, and the team numbers its incidents were given. The team log itself is `team`'s.

use super::{StoreError, Txn, rows};
use crate::domain::event::Event;
use crate::domain::time::{self, Timestamp};
use rusqlite::{OptionalExtension, params};

/// This working copy's place in the sharing.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncState {
    pub client_id: String,
    /// Events with a larger `events.id` have not reached the team log yet.
    pub pushed_event_id: i64,
    /// The team log's events up to this `seq` are here.
    pub pulled_seq: i64,
    pub last_sync: Option<Timestamp>,
}

/// An event not pushed yet, with what the team log needs to know of its incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Unpushed {
    pub id: i64,
    pub incident_uuid: String,
    pub incident_created_by: String,
    pub event: Event,
}

impl Txn<'_> {
    /// The working copy's sync state, created with `new_client_id` the first time.
    pub fn sync_state(&self, new_client_id: &str) -> Result<SyncState, StoreError> {
        self.tx
            .prepare_cached("INSERT OR IGNORE INTO sync_state (id, client_id) VALUES (1, ?1)")?
            .execute([new_client_id])?;
        self.sync_seen()?
            .ok_or_else(|| rusqlite::Error::QueryReturnedNoRows.into())
    }

    /// The sync state as it is, without creating it: None before the first push.
    pub fn sync_seen(&self) -> Result<Option<SyncState>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT client_id, pushed_event_id, pulled_seq, last_sync FROM sync_state",
            )?
            .query_row([], |r| {
                Ok(SyncState {
                    client_id: r.get(0)?,
                    pushed_event_id: r.get(1)?,
                    pulled_seq: r.get(2)?,
                    last_sync: rows::opt_ts(r, 3)?,
                })
            })
            .optional()?)
    }

    /// How many events have not reached the team log (all of them before the first push).
    pub fn events_waiting(&self) -> Result<i64, StoreError> {
        let pushed: i64 = self
            .tx
            .query_row("SELECT pushed_event_id FROM sync_state", [], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        Ok(self
            .tx
            .query_row("SELECT count(*) FROM events WHERE id > ?1", [pushed], |r| {
                r.get(0)
            })?)
    }

    /// Up to `limit` events after `after` (an `events.id`), in the order they were written.
    pub fn unpushed(&self, after: i64, limit: usize) -> Result<Vec<Unpushed>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(
            "SELECT e.at, e.recorded_at, e.author, e.kind, e.field, e.old_value, e.new_value,
                    e.text, e.detail, e.uuid, e.id, i.uuid, i.created_by
             FROM events e JOIN incidents i ON i.pk = e.incident_pk
             WHERE e.id > ?1 ORDER BY e.id LIMIT ?2",
        )?;
        let found = stmt
            .query_map(params![after, limit], |r| {
                Ok(Unpushed {
                    event: rows::event(r)?,
                    id: r.get(10)?,
                    incident_uuid: r.get(11)?,
                    incident_created_by: r.get(12)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(found)
    }

    /// Records that the events up to `event_id` reached the team log at `at`, and the team
    /// numbers it gave their incidents.
    pub fn mark_pushed(
        &self,
        event_id: i64,
        at: Timestamp,
        numbers: &[(String, i64)],
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE sync_state SET pushed_event_id = max(pushed_event_id, ?1), last_sync = ?2",
            )?
            .execute(params![event_id, time::to_rfc3339(at)])?;
        let mut number = self
            .tx
            .prepare_cached("UPDATE incidents SET team_number = ?2 WHERE uuid = ?1")?;
        for (uuid, n) in numbers {
            number.execute(params![uuid, n])?;
        }
        Ok(())
    }

    /// Up to `limit` incidents whose UUID, without hyphens, starts with `prefix` (lower-case
    /// hex): (number, uuid, title), by number.
    pub fn incidents_with_uuid_prefix(
        &self,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<(i64, String, String)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(
            "SELECT number, uuid, title FROM incidents
             WHERE substr(replace(uuid, '-', ''), 1, length(?1)) = ?1
             ORDER BY number LIMIT ?2",
        )?;
        let found = stmt
            .query_map(params![prefix, limit], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(found)
    }

    /// The number the team gave the incident, once pushed.
    pub fn team_number(&self, incident_uuid: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT team_number FROM incidents WHERE uuid = ?1")?
            .query_row([incident_uuid], |r| r.get(0))
            .optional()?
            .flatten())
    }
}
