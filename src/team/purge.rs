//! Purges in the team log: finding the event to purge by its UUID or a prefix of it, replacing
//! its words with a tombstone (the owner's one exception to append-only events), and the
//! purges a working copy has not applied yet, with the words the team log now holds.

use super::{Team, TeamError, schema};
use sqlx::{AssertSqlSafe, Connection, Row};

/// An event of the team log a purge may name: what the candidates of an ambiguous prefix show
/// (never the words, which may be the secret).
#[derive(Debug, Clone, PartialEq)]
pub struct EventRef {
    pub uuid: String,
    pub kind: String,
    pub author: String,
    pub at: String,
    /// The team number of its incident.
    pub incident: Option<i64>,
}

/// One purge as a working copy applies it: who, when and why, and the event's words as the
/// team log holds them now (its tombstone).
#[derive(Debug, Clone, PartialEq)]
pub struct SharedPurge {
    pub seq: i64,
    pub event_uuid: String,
    pub purged_by: String,
    /// RFC 3339, UTC.
    pub purged_at: String,
    pub reason: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub text: String,
}

/// Why the team log refused a purge.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    /// The role lacks the right (the working copies' role): SQLSTATE 42501.
    NotOwner,
    /// The event was purged before.
    Already,
}

/// At most this many candidates of a prefix are listed.
pub const CANDIDATES: usize = 10;

impl Team {
    /// The events whose UUID starts with `prefix` (lower-case hex, no hyphens, 1 to 32
    /// digits), at most `CANDIDATES` + 1 of them; by UUID range, so the unique index answers.
    pub fn events_with_prefix(&mut self, prefix: &str) -> Result<Vec<EventRef>, TeamError> {
        let s = self.schema.clone();
        let (low, high) = (uuid_padded(prefix, '0'), uuid_padded(prefix, 'f'));
        let sql = format!(
            "SELECT e.uuid::text, e.kind, e.author, e.at, i.number
             FROM {s}.events e JOIN {s}.incidents i ON i.uuid = e.incident_uuid
             WHERE e.uuid BETWEEN $1::uuid AND $2::uuid ORDER BY e.uuid LIMIT $3"
        );
        let limit = CANDIDATES as i64 + 1;
        self.round(async |c| {
            let rows = sqlx::query(AssertSqlSafe(sql))
                .bind(low)
                .bind(high)
                .bind(limit)
                .fetch_all(c)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(EventRef {
                        uuid: r.try_get(0)?,
                        kind: r.try_get(1)?,
                        author: r.try_get(2)?,
                        at: r.try_get(3)?,
                        incident: r.try_get(4)?,
                    })
                })
                .collect()
        })
    }

    /// Purges one event in one transaction: records who, when (`at`, RFC 3339) and why, then
    /// replaces its words (a field change's old and new values too) with the tombstone the
    /// team log makes of that record. Serialised with pushes (`PUSH_LOCK`), so `purges.seq`
    /// is commit order for the copies' cursors.
    pub fn purge(
        &mut self,
        event_uuid: &str,
        by: &str,
        at: &str,
        reason: &str,
    ) -> Result<Result<(), Refused>, TeamError> {
        // The newest purge read with the version is stale from here: this copy applies its own
        // purge at once, by asking.
        self.purges_head = None;
        let s = self.schema.clone();
        let (event, by, at, reason) = (event_uuid.to_string(), by.to_string(), at, reason);
        let insert = format!(
            "INSERT INTO {s}.purges (event_uuid, purged_by, purged_at, reason)
             VALUES ($1::uuid, $2, $3::timestamptz, $4) ON CONFLICT (event_uuid) DO NOTHING"
        );
        // Only words: a field change's values (when it had them), and every event's text.
        let update = format!(
            "UPDATE {s}.events e
             SET text = t.tomb,
                 old = CASE WHEN e.kind = 'field' AND e.old <> '' THEN t.tomb ELSE e.old END,
                 new = CASE WHEN e.kind = 'field' AND e.new <> '' THEN t.tomb ELSE e.new END
             FROM (SELECT event_uuid, {s}.tombstone(purged_by, purged_at, reason) AS tomb
                   FROM {s}.purges WHERE event_uuid = $1::uuid) t
             WHERE e.uuid = t.event_uuid"
        );
        self.round(async |c| {
            let mut tx = c.begin().await?;
            sqlx::query(schema::PUSH_LOCK)
                .bind(&s)
                .execute(&mut *tx)
                .await?;
            let added = match sqlx::query(AssertSqlSafe(insert))
                .bind(&event)
                .bind(&by)
                .bind(at)
                .bind(reason)
                .execute(&mut *tx)
                .await
            {
                Ok(done) => done.rows_affected(),
                Err(e) if denied(&e) => return Ok(Err(Refused::NotOwner)),
                Err(e) => return Err(e),
            };
            if added == 0 {
                return Ok(Err(Refused::Already));
            }
            match sqlx::query(AssertSqlSafe(update))
                .bind(&event)
                .execute(&mut *tx)
                .await
            {
                Ok(_) => {}
                Err(e) if denied(&e) => return Ok(Err(Refused::NotOwner)),
                Err(e) => return Err(e),
            }
            tx.commit().await.map(Ok)
        })
    }

    /// Up to `limit` purges after `cursor`, in commit order, with the words their events hold
    /// now. A team log from before purges (version 1) has none.
    pub fn purges_after(
        &mut self,
        cursor: i64,
        limit: usize,
    ) -> Result<Vec<SharedPurge>, TeamError> {
        // Nothing after the cursor when the version was read: nothing to ask.
        if self.purges_head.is_some_and(|head| cursor >= head) {
            return Ok(Vec::new());
        }
        let s = self.schema.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT p.seq, p.event_uuid::text, p.purged_by,
                    to_char(p.purged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    p.reason, e.old, e.new, e.text
             FROM {s}.purges p JOIN {s}.events e ON e.uuid = p.event_uuid
             WHERE p.seq > $1 ORDER BY p.seq LIMIT $2"
        );
        self.round(async |c| {
            let rows = match sqlx::query(AssertSqlSafe(sql))
                .bind(cursor)
                .bind(limit)
                .fetch_all(c)
                .await
            {
                Ok(rows) => rows,
                // undefined_table: the team log is older than version 3.
                Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P01") => {
                    return Ok(Vec::new());
                }
                Err(e) => return Err(e),
            };
            rows.iter()
                .map(|r| {
                    Ok(SharedPurge {
                        seq: r.try_get(0)?,
                        event_uuid: r.try_get(1)?,
                        purged_by: r.try_get(2)?,
                        purged_at: r.try_get(3)?,
                        reason: r.try_get(4)?,
                        old: r.try_get(5)?,
                        new: r.try_get(6)?,
                        text: r.try_get(7)?,
                    })
                })
                .collect()
        })
    }
}

/// insufficient_privilege: a grant the role lacks, or the trigger that keeps purging to the
/// owner.
fn denied(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|db| db.code().as_deref() == Some("42501"))
}

/// A UUID whose hex digits start with `prefix` and continue with `fill`: the low or high end
/// of the UUIDs with that prefix.
fn uuid_padded(prefix: &str, fill: char) -> String {
    let mut hex: String = prefix.chars().take(32).collect();
    while hex.len() < 32 {
        hex.push(fill);
    }
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::uuid_padded;

    #[test]
    fn a_prefix_spans_the_uuids_that_start_with_it() {
        assert_eq!(
            uuid_padded("0190abcd", '0'),
            "0190abcd-0000-0000-0000-000000000000"
        );
        assert_eq!(
            uuid_padded("0190abcd1", 'f'),
            "0190abcd-1fff-ffff-ffff-ffffffffffff"
        );
        let full = "0190abcd12345678abcdef0123456789";
        assert_eq!(uuid_padded(full, '0'), uuid_padded(full, 'f'));
    }
}
