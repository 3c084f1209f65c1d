//! Pushing to and pulling from the team log: incidents and their events, by UUID, so that a
//! push retried after any failure adds nothing twice, and by `seq`, so that a pull resumes
//! where the last one stopped. Pushes are serialised by `schema::PUSH_LOCK`, which makes `seq`
//! commit order: a pull never moves its cursor past a push that commits later.

use super::{Team, TeamError, schema};
use serde::{Deserialize, Serialize};
use sqlx::{AssertSqlSafe, Connection, Row};

/// An incident as the team log knows it: its identity, and the number the team gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedIncident {
    pub uuid: String,
    pub created_by: String,
}

/// One timeline event as the team log stores it: the working copy's columns, by UUID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedEvent {
    pub uuid: String,
    pub incident_uuid: String,
    pub at: String,
    pub recorded_at: String,
    pub author: String,
    pub kind: String,
    pub field: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub text: String,
    pub detail: Option<String>,
}

/// What one push added, and the team numbers of the incidents it named.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pushed {
    pub incidents: usize,
    pub events: usize,
    /// (incident UUID, team number), in the order the incidents were given.
    pub numbers: Vec<(String, i64)>,
    /// Records (the rows behind the timeline) the team log did not have before.
    pub records: usize,
    /// (action item UUID, team number) of every action item given.
    pub action_numbers: Vec<(String, i64)>,
}

/// What one pull brought: events in `seq` order after the cursor, the team numbers of their
/// incidents, the new cursor, and whether more are waiting.
#[derive(Debug, Clone, PartialEq)]
pub struct Pulled {
    pub events: Vec<SharedEvent>,
    pub numbers: Vec<(String, i64, String)>,
    pub cursor: i64,
    pub more: bool,
}

/// Rows per INSERT: large enough that a push of thousands of events is a few round trips,
/// small enough that each stays well within the timeout.
const BATCH: usize = 1000;

impl Team {
    /// Records this working copy (its id and author) once; later calls change nothing.
    pub fn register(&mut self, client_id: &str, author: &str) -> Result<(), TeamError> {
        let sql = format!(
            "INSERT INTO {}.clients (client_id, author) VALUES ($1::uuid, $2) ON CONFLICT DO NOTHING",
            self.schema
        );
        let (client_id, author) = (client_id.to_string(), author.to_string());
        self.round(async |c| {
            sqlx::query(AssertSqlSafe(sql))
                .bind(client_id)
                .bind(author)
                .execute(c)
                .await
                .map(drop)
        })
    }

    /// Pushes incidents and events in one transaction. What the team log already holds (by
    /// UUID) is skipped, so a push cut off at any point and retried adds nothing twice. A new
    /// incident gets the next team number.
    pub fn push(
        &mut self,
        client_id: &str,
        incidents: &[SharedIncident],
        events: &[SharedEvent],
    ) -> Result<Pushed, TeamError> {
        self.push_all(
            client_id,
            incidents,
            events,
            &[],
            &mut |_, _| Ok(Vec::new()),
        )
    }

    /// Pushes incidents, events and the records behind them in one transaction
    /// (`artifacts::push_records`: records, and the content of the logs they file, read a few
    /// chunks at a time through `chunks`).
    pub fn push_all(
        &mut self,
        client_id: &str,
        incidents: &[SharedIncident],
        events: &[SharedEvent],
        records: &[super::SharedRecord],
        chunks: super::ChunkSource<'_>,
    ) -> Result<Pushed, TeamError> {
        let s = self.schema.clone();
        let client = client_id.to_string();
        let timeout = self.timeout;
        // A team log before version 2 has nowhere to keep them: they wait for its migration.
        let records = if self.shares_rows() { records } else { &[] };
        let conn = &mut self.conn;
        self.runtime.block_on(async move {
            let mut tx = super::bounded(timeout, conn.begin()).await?;
            super::bounded(
                timeout,
                sqlx::query(schema::PUSH_LOCK).bind(&s).execute(&mut *tx),
            )
            .await?;
            let mut pushed = Pushed {
                incidents: 0,
                events: 0,
                numbers: Vec::new(),
                records: 0,
                action_numbers: Vec::new(),
            };
            for incident in incidents {
                let (number, new) =
                    super::bounded(timeout, number_of(&mut tx, &s, &client, incident)).await?;
                pushed.incidents += usize::from(new);
                pushed.numbers.push((incident.uuid.clone(), number));
            }
            for batch in events.chunks(BATCH) {
                pushed.events +=
                    super::bounded(timeout, insert_events(&mut tx, &s, &client, batch)).await?;
            }
            if !records.is_empty() {
                let (added, numbers) =
                    super::artifacts::push_records(&mut tx, &s, &client, timeout, records, chunks)
                        .await?;
                pushed.records = added;
                pushed.action_numbers = numbers;
            }
            super::bounded(timeout, tx.commit()).await?;
            Ok(pushed)
        })
    }

    /// Up to `limit` events after `cursor`, in commit order, with their incidents' numbers.
    /// Rows are turned into events as they arrive, so a batch is held once, not twice. With
    /// nothing after the cursor when the version was read (`check_version`), nothing is asked;
    /// with nothing after it now, one round trip.
    pub fn pull(&mut self, cursor: i64, limit: usize) -> Result<Pulled, TeamError> {
        use futures::TryStreamExt;
        if self.head.is_some_and(|head| cursor >= head) {
            return Ok(Pulled {
                events: Vec::new(),
                numbers: Vec::new(),
                cursor,
                more: false,
            });
        }
        let s = self.schema.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT seq, uuid::text, incident_uuid::text, at, recorded_at, author, kind, field, old,
                    new, text, detail
             FROM {s}.events WHERE seq > $1 ORDER BY seq LIMIT $2"
        );
        let (events, last, more) = self.round(async |c| {
            let mut rows = sqlx::query(AssertSqlSafe(sql))
                .bind(cursor)
                .bind(limit.saturating_add(1))
                .fetch(c);
            let (mut events, mut last, mut more) = (Vec::new(), cursor, false);
            while let Some(row) = rows.try_next().await? {
                if events.len() as i64 == limit {
                    more = true;
                    continue;
                }
                last = row.try_get(0)?;
                events.push(shared_event(&row)?);
            }
            Ok((events, last, more))
        })?;
        if events.is_empty() {
            return Ok(Pulled {
                events,
                numbers: Vec::new(),
                cursor: last,
                more,
            });
        }
        let numbers = self.incident_numbers(&events)?;
        Ok(Pulled {
            events,
            numbers,
            cursor: last,
            more,
        })
    }
}

impl Team {
    /// How many events the team log holds after `cursor` (what a pull stopped early leaves).
    pub fn count_after(&mut self, cursor: i64) -> Result<i64, TeamError> {
        let sql = format!("SELECT count(*) FROM {}.events WHERE seq > $1", self.schema);
        self.round(async |c| {
            sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
                .bind(cursor)
                .fetch_one(c)
                .await
        })
    }
}

pub(super) fn query(e: sqlx::Error) -> TeamError {
    TeamError::Query(super::one_line(&e.to_string()))
}

/// The incident's team number, giving it the next one if the team log does not know it yet.
async fn number_of(
    tx: &mut sqlx::PgConnection,
    s: &str,
    client: &str,
    incident: &SharedIncident,
) -> Result<(i64, bool), sqlx::Error> {
    // One round trip: its number if the team log has it, else the next one, given here (the
    // INSERT's SELECT yields no row, so takes no number, when the incident is known).
    let (number, new): (i64, bool) = sqlx::query_as(AssertSqlSafe(format!(
        "WITH old AS (SELECT number FROM {s}.incidents WHERE uuid = $1::uuid),
         new AS (
             INSERT INTO {s}.incidents (uuid, number, created_by, client_id)
             SELECT $1::uuid, nextval('{s}.incident_numbers'), $2, $3::uuid
             WHERE NOT EXISTS (SELECT 1 FROM old)
             RETURNING number)
         SELECT number, false FROM old UNION ALL SELECT number, true FROM new"
    )))
    .bind(&incident.uuid)
    .bind(&incident.created_by)
    .bind(client)
    .fetch_one(&mut *tx)
    .await?;
    Ok((number, new))
}

/// One INSERT for a batch of events; those the team log already has are skipped.
async fn insert_events(
    tx: &mut sqlx::PgConnection,
    s: &str,
    client: &str,
    batch: &[SharedEvent],
) -> Result<usize, sqlx::Error> {
    let col = |f: fn(&SharedEvent) -> String| batch.iter().map(f).collect::<Vec<String>>();
    let opt = |f: fn(&SharedEvent) -> Option<String>| {
        batch.iter().map(f).collect::<Vec<Option<String>>>()
    };
    let done = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO {s}.events (uuid, incident_uuid, at, recorded_at, author, kind, field, old,
                                 new, text, detail, client_id)
         SELECT u, i, a, r, au, k, f, o, n, t, d, $12::uuid
         FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
              WITH ORDINALITY AS x(u, i, a, r, au, k, f, o, n, t, d, ord)
         ORDER BY ord
         ON CONFLICT (uuid) DO NOTHING"
    )))
    .bind(col(|e| e.uuid.clone()))
    .bind(col(|e| e.incident_uuid.clone()))
    .bind(col(|e| e.at.clone()))
    .bind(col(|e| e.recorded_at.clone()))
    .bind(col(|e| e.author.clone()))
    .bind(col(|e| e.kind.clone()))
    .bind(opt(|e| e.field.clone()))
    .bind(opt(|e| e.old.clone()))
    .bind(opt(|e| e.new.clone()))
    .bind(col(|e| e.text.clone()))
    .bind(opt(|e| e.detail.clone()))
    .bind(client)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() as usize)
}

pub(super) fn shared_event(row: &sqlx::postgres::PgRow) -> Result<SharedEvent, sqlx::Error> {
    Ok(SharedEvent {
        uuid: row.try_get(1)?,
        incident_uuid: row.try_get(2)?,
        at: row.try_get(3)?,
        recorded_at: row.try_get(4)?,
        author: row.try_get(5)?,
        kind: row.try_get(6)?,
        field: row.try_get(7)?,
        old: row.try_get(8)?,
        new: row.try_get(9)?,
        text: row.try_get(10)?,
        detail: row.try_get(11)?,
    })
}

impl Team {
    /// The team numbers and openers of the incidents `events` belong to, by incident UUID,
    /// in number order: what a pull needs to number what it brings.
    pub(super) fn incident_numbers(
        &mut self,
        events: &[SharedEvent],
    ) -> Result<Vec<(String, i64, String)>, TeamError> {
        let mut uuids: Vec<String> = events.iter().map(|e| e.incident_uuid.clone()).collect();
        uuids.sort();
        uuids.dedup();
        if uuids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT uuid::text, number, created_by FROM {}.incidents WHERE uuid = ANY($1::uuid[])
             ORDER BY number",
            self.schema
        );
        self.round(async |c| {
            let rows = sqlx::query(AssertSqlSafe(sql))
                .bind(uuids)
                .fetch_all(c)
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
        })
    }
}
