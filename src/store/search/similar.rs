//! Past incidents like one (`open` and `show` list them): the newest texts (titles,
//! descriptions, root causes, resolutions) matching a query of its words, which of its terms
//! each holds, and the incidents they belong to, ranked.

use super::phrases;
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

    /// Whether any text in the index but incident `incident_pk`'s own fields matches `fts`
    /// (one term of a probe).
    pub fn any_text_matching(&self, fts: &str, incident_pk: i64) -> Result<bool, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT 1 FROM search WHERE search MATCH ?1
               AND rowid NOT IN (SELECT id FROM search_docs
                                 WHERE incident_pk = ?2 AND kind = 'field')
             LIMIT 1",
        )?;
        Ok(stmt.exists(params![fts, incident_pk])?)
    }

    /// The ids in the index of incident `incident_pk`'s own fields (title, description, …).
    pub fn own_texts(&self, incident_pk: i64) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id FROM search_docs WHERE incident_pk = ?1 AND kind = 'field'",
        )?;
        let ids = stmt
            .query_map(params![incident_pk], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// The ids of the CANDIDATES newest texts matching any of `terms` (one FTS5 query each,
    /// the terms of a probe, `domain::similar::fts_terms`), newest first, and for each term
    /// those of them holding it: the query says which of its phrases each row holds
    /// (`phrases`). Every text from the oldest of them on that holds a term matches the query,
    /// so these are all the texts from there on holding it, as `texts_matching_each_from`
    /// finds them with a query per term.
    pub fn similar_texts_holding(
        &self,
        terms: &[String],
    ) -> Result<(Vec<i64>, Vec<Vec<i64>>), StoreError> {
        let sql = "SELECT rowid, incident_phrases(search) FROM search WHERE search MATCH ?1
                   ORDER BY rowid DESC LIMIT ?2";
        // Registered on the connection's first use: the statement cannot be prepared before.
        let mut stmt = match self.tx.prepare_cached(sql) {
            Ok(stmt) => stmt,
            Err(_) => {
                phrases::register(&self.tx)?;
                self.tx.prepare_cached(sql)?
            }
        };
        // The term each phrase of the query belongs to, in the query's order.
        let owner: Vec<usize> = terms
            .iter()
            .enumerate()
            .flat_map(|(t, term)| std::iter::repeat_n(t, phrases::phrase_count(term)))
            .take(phrases::MAX_PHRASES)
            .collect();
        let mut texts = Vec::new();
        let mut hits = vec![Vec::new(); terms.len()];
        let mut rows = stmt.query(params![terms.join(" OR "), CANDIDATES])?;
        while let Some(row) = rows.next()? {
            let (id, mask): (i64, i64) = (row.get(0)?, row.get(1)?);
            texts.push(id);
            for (phrase, &t) in owner.iter().enumerate() {
                let held = u32::try_from(phrase)
                    .ok()
                    .and_then(|p| mask.checked_shr(p))
                    .is_some_and(|m| m & 1 == 1);
                let hit = hits.get_mut(t);
                if let Some(hit) = hit.filter(|h: &&mut Vec<i64>| held && h.last() != Some(&id)) {
                    hit.push(id);
                }
            }
        }
        Ok((texts, hits))
    }

    /// For each of `terms` (one FTS5 query each, the terms of a probe), the ids of the texts
    /// from `from` on matching it (the reference `similar_texts_holding` is checked against): of the `similar_texts` of the query ORing them, those that
    /// hold it. FTS5 seeks to `from`, so only each term's newest matches are read; one
    /// statement for them all (a statement whose MATCH is bound anew is prepared anew).
    #[cfg(test)]
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

#[cfg(test)]
mod tests {
    use crate::domain::similar::fts_terms;
    use crate::store::Txn;
    use rusqlite::Connection;

    /// Which terms each of the newest texts holds, from the phrases of one query, equals what a
    /// query per term finds from the oldest of them on (the way it was computed before), on an
    /// index of a few thousand real-shaped texts: windows of 200 cut into each term's matches.
    #[test]
    fn one_query_finds_the_same_hits_as_a_query_per_term() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::migrations::migrate(&mut conn).unwrap();
        let words = [
            "checkout",
            "api",
            "5xx",
            "spike",
            "eu",
            "customers",
            "customer",
            "lb-eu-1",
            "redis",
            "connections",
            "connection",
            "refused",
            "cache-01",
            "ORA-00060",
            "deadlock",
            "db_02/orders",
            "café",
            "<script>",
            "(payments-gateway)",
            "10.0.4.17",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed.wrapping_shl(13);
            seed ^= seed.wrapping_shr(7);
            seed ^= seed.wrapping_shl(17);
            seed
        };
        {
            let tx = conn.transaction().unwrap();
            for id in 1..=3000_i64 {
                let n = next().wrapping_rem(6).wrapping_add(1);
                let text: Vec<&str> = (0..n)
                    .map(|_| words[usize::try_from(next().wrapping_rem(20)).unwrap()])
                    .collect();
                tx.execute(
                    "INSERT INTO search (rowid, text) VALUES (?1, ?2)",
                    rusqlite::params![id, text.join(" ")],
                )
                .unwrap();
            }
            tx.commit().unwrap();
        }
        let txn = Txn {
            tx: conn.transaction().unwrap(),
            path: std::path::Path::new(":memory:"),
        };
        for probe in [
            "checkout API: 5xx spike for EU customers (lb-eu-1, 10.0.4.17)",
            "Redis connections refused on cache-01",
            "ORA-00060 deadlock on db_02/orders <script> café",
            "nothing like it: zqxj",
        ] {
            let terms = fts_terms(&[probe]);
            let (texts, mut hits) = txn.similar_texts_holding(&terms).unwrap();
            assert_eq!(
                texts,
                txn.similar_texts(&terms.join(" OR ")).unwrap(),
                "{probe}"
            );
            let Some(&oldest) = texts.last() else {
                assert!(probe.contains("zqxj"));
                continue;
            };
            assert_eq!(texts.len(), 200, "{probe}");
            let mut reference = txn.texts_matching_each_from(&terms, oldest).unwrap();
            for h in hits.iter_mut().chain(reference.iter_mut()) {
                h.sort_unstable();
            }
            assert_eq!(hits, reference, "{probe}");
            assert!(hits.iter().filter(|h| !h.is_empty()).count() > 2, "{probe}");
        }
    }
}
