//! Past incidents like one (`open` and `show` list them): the incidents whose title,
//! description, root cause or resolution match a query of its significant words, by bm25.

use crate::domain::time::{self, Timestamp};
use crate::store::{StoreError, Txn};
use rusqlite::params;

/// A past incident like the one asked about.
#[derive(Debug, Clone, PartialEq)]
pub struct Similar {
    pub number: i64,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub opened_at: Timestamp,
    pub root_cause: String,
    pub resolution: String,
}

/// The newest texts matching a query that are ranked: bm25 costs a lookup per text, and a
/// query of common words matches tens of thousands (200 ms at 100,000 incidents,
/// BENCHMARKS.md "Past incidents"), while FTS5 hands the newest first and stops at the bound.
const CANDIDATES: i64 = 200;

impl Txn<'_> {
    /// Up to `limit` incidents opened before `incident_pk` (at `opened_at`; recorded before it
    /// within the same second) whose title, description, root cause or resolution are among
    /// the CANDIDATES newest texts matching `fts` (a query of quoted words,
    /// `domain::similar::fts_query`): first those resolved or closed with a root cause or a
    /// resolution (what fixed it is what the responder needs), then by the sum of their
    /// fields' bm25 (an incident matching in several fields is more alike), the newest first
    /// on a tie.
    pub fn similar(
        &self,
        incident_pk: i64,
        opened_at: Timestamp,
        fts: &str,
        limit: usize,
    ) -> Result<Vec<Similar>, StoreError> {
        // CROSS JOIN: driven from the hits, as `search` is.
        let mut stmt = self.tx.prepare_cached(
            "SELECT i.number, i.title, i.severity, i.status, i.opened_at, i.root_cause,
                    i.resolution
             FROM (SELECT d.incident_pk AS pk, sum(c.score) AS score
                   FROM (SELECT rowid AS id, bm25(search) AS score FROM search
                         WHERE search MATCH ?1 ORDER BY rowid DESC LIMIT ?5) c
                        CROSS JOIN search_docs d ON d.id = c.id
                   WHERE d.kind = 'field'
                     AND d.ref IN ('title', 'description', 'root_cause', 'resolution')
                     AND d.incident_pk <> ?2
                   GROUP BY d.incident_pk) m
                  CROSS JOIN incidents i ON i.pk = m.pk
             WHERE i.opened_at < ?3 OR (i.opened_at = ?3 AND i.pk < ?2)
             ORDER BY i.status IN ('RESOLVED', 'CLOSED')
                          AND (i.root_cause <> '' OR i.resolution <> '') DESC,
                      m.score, i.number DESC
             LIMIT ?4",
        )?;
        let rows = stmt
            .query_map(
                params![
                    fts,
                    incident_pk,
                    time::to_rfc3339(opened_at),
                    limit as i64,
                    CANDIDATES
                ],
                |r| {
                    let opened: String = r.get(4)?;
                    Ok(Similar {
                        number: r.get(0)?,
                        title: r.get(1)?,
                        severity: r.get(2)?,
                        status: r.get(3)?,
                        opened_at: time::from_rfc3339(&opened).unwrap_or_default(),
                        root_cause: r.get(5)?,
                        resolution: r.get(6)?,
                    })
                },
            )?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}
