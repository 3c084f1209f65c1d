//! Past incidents like one (`open` and `show` list them): the newest texts (titles,
//! descriptions, root causes, resolutions) matching a query of its words, which of its terms
//! each holds, and the incidents they belong to, ranked.

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

/// The newest texts matching a query that are ranked: a query of common words matches tens of
/// thousands (ranking them all took 200 ms at 100,000 incidents, BENCHMARKS.md "Past
/// incidents"), while FTS5 hands the newest first and stops at the bound.
const CANDIDATES: i64 = 200;

impl Txn<'_> {
    /// The ids of the CANDIDATES newest texts in the index matching `fts` (a query of quoted
    /// words, `domain::similar::fts_query`), newest first.
    pub fn similar_texts(&self, fts: &str) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT rowid FROM search WHERE search MATCH ?1 ORDER BY rowid DESC LIMIT ?2",
        )?;
        let ids = stmt
            .query_map(params![fts, CANDIDATES], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// For each of `terms` (one FTS5 query each, the terms of a probe), the ids of the texts
    /// from `from` on matching it: of the `similar_texts` of the query ORing them, those that
    /// hold it. FTS5 seeks to `from`, so only each term's newest matches are read; one
    /// statement for them all (a statement whose MATCH is bound anew is prepared anew).
    pub fn texts_matching_each_from(
        &self,
        terms: &[String],
        from: i64,
    ) -> Result<Vec<Vec<i64>>, StoreError> {
        // CROSS JOIN: a MATCH per term.
        let mut stmt = self.tx.prepare_cached(
            "SELECT t.key, s.rowid FROM json_each(?1) t CROSS JOIN search s
             WHERE s.search MATCH t.value AND s.rowid >= ?2",
        )?;
        let json = serde_json::to_string(terms).unwrap_or_else(|_| "[]".into());
        let mut hits = vec![Vec::new(); terms.len()];
        let mut rows = stmt.query(params![json, from])?;
        while let Some(row) = rows.next()? {
            let term: i64 = row.get(0)?;
            let hit = usize::try_from(term).ok().and_then(|t| hits.get_mut(t));
            if let Some(hit) = hit {
                hit.push(row.get(1)?);
            }
        }
        Ok(hits)
    }

    /// Up to `limit` incidents opened before `incident_pk` (at `opened_at`; recorded before it
    /// within the same second), not cancelled (a mistake or noise teaches nothing), whose title, description, root cause or resolution is among
    /// `texts` (ids in the index and their weights, `domain::similar::weigh`): first those
    /// resolved or closed with a root cause or a resolution (what fixed it is what the
    /// responder needs), then by the sum of their texts' weights (an incident matching in
    /// several fields is more alike), half as much again for each of `services` it affects
    /// too, the newest first on a tie. The services are compared on these few incidents only:
    /// the index does not hold them.
    pub fn similar(
        &self,
        incident_pk: i64,
        opened_at: Timestamp,
        texts: &[(i64, f64)],
        services: &[String],
        limit: usize,
    ) -> Result<Vec<Similar>, StoreError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        // CROSS JOIN: driven from the texts, as `search` is.
        let mut stmt = self.tx.prepare_cached(
            "SELECT i.number, i.title, i.severity, i.status, i.opened_at, i.root_cause,
                    i.resolution
             FROM (SELECT d.incident_pk AS pk, sum(c.weight) AS weight
                   FROM (SELECT value ->> 0 AS id, value ->> 1 AS weight FROM json_each(?1)) c
                        CROSS JOIN search_docs d ON d.id = c.id
                   WHERE d.kind = 'field'
                     AND d.ref IN ('title', 'description', 'root_cause', 'resolution')
                     AND d.incident_pk <> ?2
                   GROUP BY d.incident_pk) m
                  CROSS JOIN incidents i ON i.pk = m.pk
             WHERE (i.opened_at < ?3 OR (i.opened_at = ?3 AND i.pk < ?2))
               AND i.status <> 'CANCELLED'
             ORDER BY i.status IN ('RESOLVED', 'CLOSED')
                          AND (i.root_cause <> '' OR i.resolution <> '') DESC,
                      m.weight * (1.0 + 0.5 * (SELECT count(*) FROM json_each(i.services) s
                                               WHERE s.value IN (SELECT value FROM json_each(?5))))
                          DESC,
                      i.number DESC
             LIMIT ?4",
        )?;
        let texts = serde_json::to_string(texts).unwrap_or_else(|_| "[]".into());
        let services = serde_json::to_string(services).unwrap_or_else(|_| "[]".into());
        let rows = stmt
            .query_map(
                params![
                    texts,
                    incident_pk,
                    time::to_rfc3339(opened_at),
                    limit as i64,
                    services
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
