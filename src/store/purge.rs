//! Purges in the working copy: the team log's purges applied here (the event's words become
//! its tombstone, in the timeline, the search index and, for a command, its run), how far this
//! copy has applied them, and which events of an incident were purged. The one change the
//! append-only timeline allows: the `events_no_update` trigger lets an UPDATE through only for
//! an event listed in `purges`, so the purge is recorded first.

use super::{Store, StoreError, Txn, search};
use rusqlite::{OptionalExtension, params};

/// Who purged an event's words, when and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Purge {
    #[serde(skip)]
    pub event_uuid: String,
    pub by: String,
    /// RFC 3339, UTC, as the team log gives it.
    pub at: String,
    pub reason: String,
}

/// The words an event holds after its purge, as the team log holds them.
#[derive(Debug, Clone, PartialEq)]
pub struct Words {
    pub old: Option<String>,
    pub new: Option<String>,
    pub text: String,
}

/// A purge applied to an event this copy has: its incident and kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Purged {
    pub incident_pk: i64,
    pub kind: String,
}

impl Txn<'_> {
    /// How far this copy has applied the team log's purges (its `purges.seq`).
    pub fn purged_seq(&self) -> Result<i64, StoreError> {
        Ok(self
            .tx
            .query_row("SELECT purged_seq FROM sync_state", [], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    /// Records that the team log's purges up to `seq` are applied here.
    pub fn mark_purged(&self, seq: i64) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE sync_state SET purged_seq = max(purged_seq, ?1)")?
            .execute([seq])?;
        Ok(())
    }

    /// Records a purge and, when this copy has the event, gives it `words` and takes its old
    /// words out of the search index. The purge is recorded even for an event not here yet:
    /// the event comes with its tombstone when pulled, and is shown as purged like everywhere.
    pub fn apply_purge(&self, purge: &Purge, words: &Words) -> Result<Option<Purged>, StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO purges (event_uuid, purged_by, purged_at, reason)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![purge.event_uuid, purge.by, purge.at, purge.reason])?;
        type Row = (i64, i64, String, String, Option<String>);
        let found: Option<Row> = self
            .tx
            .prepare_cached(
                "SELECT id, incident_pk, kind, text, field FROM events WHERE uuid = ?1",
            )?
            .query_row([&purge.event_uuid], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?;
        let Some((id, pk, kind, old_text, field)) = found else {
            return Ok(None);
        };
        self.tx
            .prepare_cached(
                "UPDATE events SET old_value = ?2, new_value = ?3, text = ?4 WHERE id = ?1",
            )?
            .execute(params![id, words.old, words.new, words.text])?;
        match kind.as_str() {
            // Notes are indexed in batches: one past the mark is indexed with its new words.
            "note" => {
                search::replace_doc(&self.tx, "note", pk, "", &old_text, &words.text)?;
            }
            // The run keeps the command line too (`logs`, `search`): it goes the same way.
            "command" => {
                if let Some(seq) = field.and_then(|f| f.parse::<i64>().ok()) {
                    self.purge_command_line(pk, seq, &words.text)?;
                }
            }
            _ => {}
        }
        Ok(Some(Purged {
            incident_pk: pk,
            kind,
        }))
    }

    /// Replaces run `seq`'s command line in the incident with `tombstone`, indexed as such.
    fn purge_command_line(&self, pk: i64, seq: i64, tombstone: &str) -> Result<(), StoreError> {
        let line: Option<String> = self
            .tx
            .prepare_cached("SELECT command FROM command_runs WHERE incident_pk = ?1 AND seq = ?2")?
            .query_row(params![pk, seq], |r| r.get(0))
            .optional()?;
        let Some(line) = line else {
            return Ok(());
        };
        self.tx
            .prepare_cached(
                "UPDATE command_runs SET command = ?3 WHERE incident_pk = ?1 AND seq = ?2",
            )?
            .execute(params![pk, seq, tombstone])?;
        search::replace_doc(
            &self.tx,
            "command",
            pk,
            &format!("command {seq}"),
            &line,
            tombstone,
        )?;
        Ok(())
    }

    /// Takes the words of the texts deleted from the search index out of its pages.
    pub fn drop_deleted_words(&self) -> Result<(), StoreError> {
        Ok(search::drop_deleted_words(&self.tx)?)
    }

    /// The purges of an incident's events.
    pub fn purges_of(&self, incident_pk: i64) -> Result<Vec<Purge>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT p.event_uuid, p.purged_by, p.purged_at, p.reason
             FROM purges p JOIN events e ON e.uuid = p.event_uuid
             WHERE e.incident_pk = ?1 ORDER BY p.event_uuid",
        )?;
        let found = stmt
            .query_map([incident_pk], |r| {
                Ok(Purge {
                    event_uuid: r.get(0)?,
                    by: r.get(1)?,
                    at: r.get(2)?,
                    reason: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(found)
    }
}

impl Store {
    /// Turns `secure_delete` on for this connection: what a purge deletes or overwrites is
    /// zeroed in the file, not left in free space where a byte scan would find it.
    pub fn secure_delete(&mut self) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "secure_delete", true)?;
        Ok(())
    }

    /// Copies the WAL into the database and empties it, so that no earlier version of a
    /// purged page stays in the WAL. Best effort: a reader in the way leaves it for later.
    pub fn empty_wal(&mut self) -> bool {
        let _ = self.conn.busy_timeout(std::time::Duration::ZERO);
        let done = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            })
            .is_ok_and(|busy| busy == 0);
        let _ = self.conn.busy_timeout(super::BUSY_TIMEOUT);
        done
    }
}
