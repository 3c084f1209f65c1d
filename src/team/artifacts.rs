//! The rows behind the timeline in the team log: action items (and their completions),
//! snapshots, attached logs, command runs and reminder deliveries, as records by UUID, and the
//! content of logs and command output as blobs of zstd chunks by SHA-256. Pushed in the
//! transaction of the events that mention them; pulled by `records.seq`, which `PUSH_LOCK`
//! makes commit order, as it does for events. Content moves a few chunks at a time, so a
//! 1 GB log never sits in memory on either side.

use super::{Team, TeamError};
use sqlx::{AssertSqlSafe, Row};
use std::time::Duration;

/// One shared row: its identity, its incident, what it is (`action`, `action_done`,
/// `snapshot`, `attachment`, `command`, `delivery`), and its content as the export format's
/// record in JSON. `numbered` asks the team for a number (an action item's, the one people
/// type); `blob` is the content it files, pushed with it.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedRecord {
    pub uuid: String,
    pub incident_uuid: String,
    pub kind: String,
    pub body: String,
    pub numbered: bool,
    pub blob: Option<SharedBlob>,
}

/// A record as pulled: its place in the team log, and the number the team gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct PulledRecord {
    pub seq: i64,
    pub uuid: String,
    pub incident_uuid: String,
    pub kind: String,
    pub number: Option<i64>,
    pub body: String,
}

/// Stored content: its SHA-256 (lowercase hex) and sizes (uncompressed, lines, compressed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedBlob {
    pub sha256: String,
    pub size: i64,
    pub lines: i64,
    pub stored: i64,
}

/// One zstd chunk of a blob, as the working copies store it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedChunk {
    pub seq: i64,
    pub first_line: i64,
    pub lines: i64,
    pub size: i64,
    pub data: Vec<u8>,
}

/// Where a push reads content from: the chunks of blob `sha256` after chunk `after` (-1 for
/// the first), a few at a time; an empty page is the end.
pub type ChunkSource<'a> = &'a mut dyn FnMut(&str, i64) -> Result<Vec<SharedChunk>, String>;

/// Chunks per round trip: at most a few MiB in memory, whatever the log's size.
pub const CHUNK_PAGE: usize = 16;

/// Inserts the records the team log lacks (by UUID; an action item takes the next team number)
/// and the content they file that it lacks (by SHA-256; the blob row after its chunks).
/// Returns how many records were new and the team numbers of the action items given.
pub(super) async fn push_records(
    tx: &mut sqlx::PgConnection,
    s: &str,
    client: &str,
    timeout: Duration,
    records: &[SharedRecord],
    chunks: ChunkSource<'_>,
) -> Result<(usize, Vec<(String, i64)>), TeamError> {
    let mut hashes: Vec<&SharedBlob> = Vec::new();
    for blob in records.iter().filter_map(|r| r.blob.as_ref()) {
        if !hashes.iter().any(|b| b.sha256 == blob.sha256) {
            hashes.push(blob);
        }
    }
    let wanted: Vec<String> = hashes.iter().map(|b| b.sha256.clone()).collect();
    let have: Vec<String> = super::bounded(
        timeout,
        sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT sha256 FROM {s}.blobs WHERE sha256 = ANY($1)"
        )))
        .bind(&wanted)
        .fetch_all(&mut *tx),
    )
    .await?;
    for blob in hashes.into_iter().filter(|b| !have.contains(&b.sha256)) {
        push_blob(tx, s, client, timeout, blob, chunks).await?;
    }
    // Under the push lock nobody else inserts: the records already there are skipped before
    // they take a number, so a retried push leaves no gaps in the action numbers.
    let col = |f: fn(&SharedRecord) -> String| records.iter().map(f).collect::<Vec<String>>();
    let added = super::bounded(
        timeout,
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {s}.records (uuid, incident_uuid, kind, number, body, client_id)
             SELECT u, i, k, CASE WHEN n THEN nextval('{s}.action_numbers') END, b, $6::uuid
             FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::bool[], $5::text[])
                  WITH ORDINALITY AS x(u, i, k, n, b, ord)
             WHERE NOT EXISTS (SELECT 1 FROM {s}.records r WHERE r.uuid = x.u)
             ORDER BY ord"
        )))
        .bind(col(|r| r.uuid.clone()))
        .bind(col(|r| r.incident_uuid.clone()))
        .bind(col(|r| r.kind.clone()))
        .bind(records.iter().map(|r| r.numbered).collect::<Vec<bool>>())
        .bind(col(|r| r.body.clone()))
        .bind(client)
        .execute(&mut *tx),
    )
    .await?
    .rows_affected() as usize;
    let numbered: Vec<String> = records
        .iter()
        .filter(|r| r.numbered)
        .map(|r| r.uuid.clone())
        .collect();
    let numbers = if numbered.is_empty() {
        Vec::new()
    } else {
        super::bounded(
            timeout,
            sqlx::query_as::<_, (String, i64)>(AssertSqlSafe(format!(
                "SELECT uuid::text, number FROM {s}.records
                 WHERE uuid = ANY($1::uuid[]) AND number IS NOT NULL"
            )))
            .bind(numbered)
            .fetch_all(&mut *tx),
        )
        .await?
    };
    Ok((added, numbers))
}

/// Streams one blob's chunks into the team log a page at a time, then its row.
async fn push_blob(
    tx: &mut sqlx::PgConnection,
    s: &str,
    client: &str,
    timeout: Duration,
    blob: &SharedBlob,
    chunks: ChunkSource<'_>,
) -> Result<(), TeamError> {
    let mut after = -1;
    loop {
        let page = chunks(&blob.sha256, after).map_err(TeamError::Query)?;
        let Some(last) = page.last().map(|c| c.seq) else {
            break;
        };
        let col = |f: fn(&SharedChunk) -> i64| page.iter().map(f).collect::<Vec<i64>>();
        super::bounded(
            timeout,
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO {s}.chunks (sha256, seq, first_line, lines, size, data)
                 SELECT $1, q, f, l, z, d
                 FROM UNNEST($2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bytea[])
                      AS x(q, f, l, z, d)
                 ON CONFLICT DO NOTHING"
            )))
            .bind(&blob.sha256)
            .bind(page.iter().map(|c| c.seq as i32).collect::<Vec<i32>>())
            .bind(col(|c| c.first_line))
            .bind(col(|c| c.lines))
            .bind(col(|c| c.size))
            .bind(
                page.iter()
                    .map(|c| c.data.clone())
                    .collect::<Vec<Vec<u8>>>(),
            )
            .execute(&mut *tx),
        )
        .await?;
        after = last;
    }
    super::bounded(
        timeout,
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {s}.blobs (sha256, size, lines, stored, client_id)
             VALUES ($1, $2, $3, $4, $5::uuid) ON CONFLICT DO NOTHING"
        )))
        .bind(&blob.sha256)
        .bind(blob.size)
        .bind(blob.lines)
        .bind(blob.stored)
        .bind(client)
        .execute(&mut *tx),
    )
    .await?;
    Ok(())
}

impl Team {
    /// Up to `limit` records after `cursor`, in commit order; and whether more are waiting.
    pub fn pull_records(
        &mut self,
        cursor: i64,
        limit: usize,
    ) -> Result<(Vec<PulledRecord>, bool), TeamError> {
        // Nothing after the cursor when the version was read, or no records at all (a team
        // log before version 2): nothing to ask.
        if !self.shares_rows() || self.records_head.is_some_and(|head| cursor >= head) {
            return Ok((Vec::new(), false));
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT seq, uuid::text, incident_uuid::text, kind, number, body FROM {}.records
             WHERE seq > $1 ORDER BY seq LIMIT $2",
            self.schema
        );
        let rows = self.round(async |c| {
            sqlx::query(AssertSqlSafe(sql))
                .bind(cursor)
                .bind(limit.saturating_add(1))
                .fetch_all(c)
                .await
        })?;
        let more = rows.len() as i64 > limit;
        let records = rows
            .iter()
            .take(limit as usize)
            .map(|r| {
                Ok(PulledRecord {
                    seq: r.try_get(0)?,
                    uuid: r.try_get(1)?,
                    incident_uuid: r.try_get(2)?,
                    kind: r.try_get(3)?,
                    number: r.try_get(4)?,
                    body: r.try_get(5)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(super::exchange::query)?;
        Ok((records, more))
    }

    /// The team log's sizes of blob `sha256`, if it has it.
    pub fn blob_info(&mut self, sha256: &str) -> Result<Option<SharedBlob>, TeamError> {
        let sql = format!(
            "SELECT size, lines, stored FROM {}.blobs WHERE sha256 = $1",
            self.schema
        );
        let sha = sha256.to_string();
        let row: Option<(i64, i64, i64)> = self.round(async |c| {
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(sha)
                .fetch_optional(c)
                .await
        })?;
        Ok(row.map(|(size, lines, stored)| SharedBlob {
            sha256: sha256.to_string(),
            size,
            lines,
            stored,
        }))
    }

    /// The chunks of blob `sha256` after chunk `after` (-1 for the first), `CHUNK_PAGE` at a
    /// time; an empty page is the end.
    pub fn chunks(&mut self, sha256: &str, after: i64) -> Result<Vec<SharedChunk>, TeamError> {
        let sql = format!(
            "SELECT seq, first_line, lines, size, data FROM {}.chunks
             WHERE sha256 = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            self.schema
        );
        let sha = sha256.to_string();
        let rows = self.round(async |c| {
            sqlx::query(AssertSqlSafe(sql))
                .bind(sha)
                .bind(after as i32)
                .bind(CHUNK_PAGE as i64)
                .fetch_all(c)
                .await
        })?;
        rows.iter()
            .map(|r| {
                Ok(SharedChunk {
                    seq: i64::from(r.try_get::<i32, _>(0)?),
                    first_line: r.try_get(1)?,
                    lines: r.try_get(2)?,
                    size: r.try_get(3)?,
                    data: r.try_get(4)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(super::exchange::query)
    }
}
