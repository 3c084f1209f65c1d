//! What sharing with a team log keeps in the working copy: its identity, how far it pushed and
//! pulled, and the team numbers its incidents were given. The team log itself is `team`'s.

use super::{StoreError, Txn, rows};
use crate::domain::event::Event;
use crate::domain::model::Incident;
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

    /// Records that the events up to `event_id` reached the team log at `at`.
    pub fn mark_pushed(&self, event_id: i64, at: Timestamp) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE sync_state SET pushed_event_id = max(pushed_event_id, ?1), last_sync = ?2",
            )?
            .execute(params![event_id, time::to_rfc3339(at)])?;
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

    /// Makes this working copy one that shares with a team log (once; later calls change
    /// nothing): it gets its identity, and every incident the team has not numbered gets a
    /// provisional number (`L14`, stored as -14) that cannot collide with a team number.
    /// Returns how many incidents it renumbered.
    pub fn join_team(&self, new_client_id: &str) -> Result<usize, StoreError> {
        self.sync_state(new_client_id)?;
        let unnumbered: Vec<(i64, i64)> = self
            .tx
            .prepare_cached(
                "SELECT pk, number FROM incidents WHERE team_number IS NULL AND number > 0
                 ORDER BY number",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut taken = self
            .tx
            .prepare_cached("SELECT 1 FROM incidents WHERE local_number = ?1")?;
        let mut renumber = self
            .tx
            .prepare_cached("UPDATE incidents SET local_number = ?2, number = -?2 WHERE pk = ?1")?;
        for (pk, number) in &unnumbered {
            // Its own number as its L number, unless this copy gave that one already (an
            // incident imported into a copy that shares): then the next free one.
            let local = if taken.exists([number])? {
                self.next_local_number()?
            } else {
                *number
            };
            renumber.execute(params![pk, local])?;
        }
        Ok(unnumbered.len())
    }

    /// Whether this working copy shares with a team log (it has joined one).
    pub fn shares(&self) -> Result<bool, StoreError> {
        Ok(self.sync_seen()?.is_some())
    }

    /// The next provisional number: one past every number this copy gave.
    pub fn next_local_number(&self) -> Result<i64, StoreError> {
        Ok(self.tx.query_row(
            "SELECT max(coalesce((SELECT max(local_number) FROM incidents), 0),
                        coalesce((SELECT max(number) FROM incidents WHERE team_number IS NULL), 0)) + 1",
            [],
            |r| r.get(0),
        )?)
    }

    /// Records the number this copy gave an incident (`L14` names it here for good).
    pub fn set_local_number(&self, pk: i64, local: i64) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE incidents SET local_number = ?2 WHERE pk = ?1")?
            .execute(params![pk, local])?;
        Ok(())
    }

    /// The number people type for the incident this copy numbered `local` (`L14`); on a copy
    /// that has not joined its team log yet, its incident `local`.
    pub fn number_of_local(
        &self,
        local: i64,
    ) -> Result<Option<crate::domain::model::Number>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT number FROM incidents
                 WHERE local_number = ?1 OR (number = ?1 AND team_number IS NULL) LIMIT 1",
            )?
            .query_row([local], |r| r.get(0))
            .optional()?)
    }

    /// When the incident this copy numbered `local` (`L14`) was opened, as recorded.
    pub fn opened_recorded_at(&self, local: i64) -> Result<Option<Timestamp>, StoreError> {
        let at: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT e.recorded_at FROM events e JOIN incidents i ON i.pk = e.incident_pk
                 WHERE i.local_number = ?1 AND e.kind = 'opened'",
            )?
            .query_row([local], |r| r.get(0))
            .optional()?;
        Ok(at.and_then(|s| time::from_rfc3339(&s)))
    }

    /// The row key of the incident with this UUID, if this copy has it.
    pub fn pk_of_uuid(&self, uuid: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT pk FROM incidents WHERE uuid = ?1")?
            .query_row([uuid], |r| r.get(0))
            .optional()?)
    }

    /// Marks a pulled incident as numbered by the team (its `number` is the team's).
    pub fn set_team_numbered(&self, pk: i64) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE incidents SET team_number = number WHERE pk = ?1")?
            .execute([pk])?;
        Ok(())
    }

    /// When the incident's status last changed (in event time), if it ever did.
    pub fn last_status_at(&self, incident_pk: i64) -> Result<Option<Timestamp>, StoreError> {
        let at: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT max(at) FROM events WHERE incident_pk = ?1 AND kind = 'status'",
            )?
            .query_row([incident_pk], |r| r.get(0))?;
        Ok(at.and_then(|s| time::from_rfc3339(&s)))
    }

    /// Adds a pulled event to an incident's timeline unless an event with its identity is here
    /// already: one statement where a look-up and `append_event` would be two (a pull adds
    /// millions). Whether it was added.
    pub fn add_pulled_event(&self, incident_pk: i64, e: &Event) -> Result<bool, StoreError> {
        self.insert_event(incident_pk, e, true)
    }

    /// `save_incident` for a pull, which saves thousands in one transaction: the incident's
    /// texts reach the full-text index when the batch calls `index_pulled(mark)`, with `mark`
    /// from `search_mark` at the batch's start, all in one statement.
    pub fn save_pulled_incident(&self, i: &Incident, mark: i64) -> Result<i64, StoreError> {
        let pk = self.upsert_incident(i)?;
        super::search::index_fields_later(&self.tx, pk, mark)?;
        Ok(pk)
    }

    /// Where the search documents stand before a pull's batch (see `save_pulled_incident`).
    pub fn search_mark(&self) -> Result<i64, StoreError> {
        Ok(super::search::last_doc(&self.tx)?)
    }

    /// Puts the texts of the incidents a pull's batch saved into the full-text index.
    pub fn index_pulled(&self, mark: i64) -> Result<usize, StoreError> {
        Ok(super::search::index_fields_since(&self.tx, mark)?)
    }

    /// The largest `events.id`: what a pull compares with how far this copy pushed.
    pub fn last_event_id(&self) -> Result<i64, StoreError> {
        Ok(self
            .tx
            .query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0))?)
    }

    /// Records that the team log's events up to `seq` are here, and, when nothing of this
    /// copy's own was waiting before them, that the events up to `event_id` (those pulled)
    /// need no push.
    pub fn mark_pulled(
        &self,
        seq: i64,
        at: Timestamp,
        pushed_before: Option<i64>,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE sync_state SET pulled_seq = max(pulled_seq, ?1), last_sync = ?2",
            )?
            .execute(params![seq, time::to_rfc3339(at)])?;
        if let Some(id) = pushed_before {
            self.tx
                .prepare_cached("UPDATE sync_state SET pushed_event_id = max(pushed_event_id, ?1)")?
                .execute([id])?;
        }
        Ok(())
    }

    /// Takes the team's numbers for incidents this copy had numbered provisionally; returns
    /// (provisional number, team number) of each.
    pub fn take_team_numbers(
        &self,
        numbers: &[(String, i64)],
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let mut taken = Vec::new();
        for (uuid, n) in numbers {
            let before: Option<i64> = self
                .tx
                .prepare_cached(
                    "SELECT number FROM incidents WHERE uuid = ?1 AND team_number IS NULL",
                )?
                .query_row([uuid], |r| r.get(0))
                .optional()?;
            if let Some(before) = before {
                self.tx
                    .prepare_cached(
                        "UPDATE incidents SET team_number = ?2, number = ?2 WHERE uuid = ?1",
                    )?
                    .execute(params![uuid, n])?;
                taken.push((before, *n));
            }
        }
        Ok(taken)
    }
}

impl super::Store {
    /// Sets this connection up for a pull of many events. A page cache that holds the indexes
    /// a pull inserts into all over: SQLite's default of 2 MB spills pages to the WAL in the
    /// middle of every batch and reads them back. Statement journals in memory: each save of
    /// an incident (an upsert) keeps one, and the default spills it to a temporary file past
    /// 64 KiB. The WAL checkpointed every 256 MiB rather than every 4: each checkpoint copies
    /// index pages that the next batch writes again (the pull bounds the WAL when it is done).
    /// And commits not synced to disk one by one: what a crash loses of a pull is pulled
    /// again, the cursor going back with it (WAL keeps each batch whole or absent).
    pub fn prepare_for_pull(&mut self) {
        // Each only tunes; a pull that cannot set one is slower, not wrong.
        let _ = self.conn.pragma_update(None, "cache_size", -80 * 1024);
        let _ = self.conn.pragma_update(None, "temp_store", "MEMORY");
        let _ = self
            .conn
            .pragma_update(None, "wal_autocheckpoint", 64 * 1024);
        let _ = self.conn.pragma_update(None, "synchronous", "NORMAL");
    }
}
