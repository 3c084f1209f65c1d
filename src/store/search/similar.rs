//! Past incidents like one (`open` and `show` list them): the newest texts (titles,
//! descriptions, root causes, resolutions) matching a query of its words, which of its terms
//! each holds, and the incidents they belong to, ranked.

use super::phrases;
use crate::domain::time::{self, Timestamp};
use crate::store::rows::json_text;
use crate::store::{StoreError, Txn};
use rusqlite::params;
use rusqlite::types::Value;
use std::collections::HashMap;
use std::rc::Rc;

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
        // `incident_phrases` is registered when the connection opens (`search::extend`).
        let mut stmt = self.tx.prepare_cached(
            "SELECT rowid, incident_phrases(search) FROM search WHERE search MATCH ?1
             ORDER BY rowid DESC LIMIT ?2",
        )?;
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
    /// within the same second), not cancelled (a mistake or noise teaches nothing), whose
    /// title, description, root cause or resolution is among `texts` (ids in the index and
    /// their weights, `domain::similar::weigh`), ranked by `rank`. The services are compared
    /// on these few incidents only: the index does not hold them.
    pub fn similar(
        &self,
        incident_pk: i64,
        opened_at: Timestamp,
        texts: &[(i64, f64)],
        services: &[String],
        limit: usize,
    ) -> Result<Vec<Similar>, StoreError> {
        if texts.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        // The incident each text is a field of, with only what ranks it; the chosen few are
        // read whole after. The ids go in as a bound list (`rarray`): a JSON list was parsed
        // again for every element read from it. CROSS JOIN: driven from the texts.
        let weight_of: HashMap<i64, f64> = texts.iter().copied().collect();
        let ids: Vec<Value> = texts.iter().map(|&(id, _)| Value::Integer(id)).collect();
        let mut stmt = self.tx.prepare_cached(
            "SELECT d.id, i.pk, i.number,
                    i.status IN ('RESOLVED', 'CLOSED')
                        AND (i.root_cause <> '' OR i.resolution <> ''),
                    i.services
             FROM search_docs d CROSS JOIN incidents i ON i.pk = d.incident_pk
             WHERE d.id IN rarray(?1) AND d.kind = 'field'
               AND d.ref IN ('title', 'description', 'root_cause', 'resolution')
               AND d.incident_pk <> ?2
               AND (i.opened_at < ?3 OR (i.opened_at = ?3 AND i.pk < ?2))
               AND i.status <> 'CANCELLED'",
        )?;
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut rows = stmt.query(params![
            Rc::new(ids),
            incident_pk,
            time::to_rfc3339(opened_at)
        ])?;
        while let Some(r) = rows.next()? {
            let (id, pk): (i64, i64) = (r.get(0)?, r.get(1)?);
            let weight = weight_of.get(&id).copied().unwrap_or_default();
            if let Some(c) = candidates.iter_mut().find(|c| c.pk == pk) {
                c.weight += weight;
                continue;
            }
            // A service's name has no character JSON escapes (`domain::roles::service_name`):
            // an incident whose array does not hold the name as written does not share it.
            let text = r.get_ref(4)?.as_str().map_err(rusqlite::Error::from)?;
            let shared = if services.iter().any(|s| text.contains(s.as_str())) {
                let theirs: Vec<String> = json_text(r, 4, "services")?;
                theirs.iter().filter(|s| services.contains(s)).count()
            } else {
                0
            };
            candidates.push(Candidate {
                pk,
                number: r.get(2)?,
                fixed: r.get(3)?,
                shared,
                weight,
            });
        }
        let mut stmt = self.tx.prepare_cached(
            "SELECT number, title, severity, status, opened_at, root_cause, resolution
             FROM incidents WHERE pk = ?1",
        )?;
        let mut found = Vec::new();
        for pk in rank(candidates, limit) {
            found.push(stmt.query_row(params![pk], |r| {
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
            })?);
        }
        Ok(found)
    }
}

/// An incident `similar` may list, with what ranks it.
struct Candidate {
    pk: i64,
    number: i64,
    /// Resolved or closed with a root cause or a resolution.
    fixed: bool,
    /// How many of the services asked about it affects too.
    shared: usize,
    /// Its texts' weights summed.
    weight: f64,
}

/// The first `limit` of `candidates`: first those resolved or closed with a root cause or a
/// resolution (what fixed it is what the responder needs), then the heaviest (an incident
/// matching in several fields, or sharing services, is more alike), the newest first on a
/// tie.
fn rank(mut candidates: Vec<Candidate>, limit: usize) -> Vec<i64> {
    let score = |c: &Candidate| c.weight * (1.0 + 0.5 * c.shared as f64);
    candidates.sort_by(|a, b| {
        (b.fixed.cmp(&a.fixed))
            .then(score(b).total_cmp(&score(a)))
            .then(b.number.cmp(&a.number))
    });
    candidates.iter().take(limit).map(|c| c.pk).collect()
}

#[cfg(test)]
mod tests {
    use super::{Candidate, rank};
    use crate::domain::similar::fts_terms;
    use crate::store::Txn;
    use rusqlite::Connection;

    /// The store's connection prepares a statement once however it is bound. SQLite prepares
    /// again one whose plan could depend on a bound value (a `LIMIT ?`; FTS5's own segment
    /// look-up) when the value is bound, as a plain connection shows: 27 times in one `open`
    /// listing past incidents.
    #[test]
    fn a_statement_is_prepared_once_however_it_is_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("incidents.db");
        let store = crate::store::Store::open(&path, crate::store::Mode::ReadWrite).unwrap();
        let plain = Connection::open(&path).unwrap();
        let sql = "SELECT number FROM incidents WHERE pk = ?1 LIMIT ?2";
        for (conn, prepared_again) in [(&store.conn, false), (&plain, true)] {
            let mut stmt = conn.prepare(sql).unwrap();
            for (pk, limit) in [(1, 1), (0, 5), (7, 0), (1, 200)] {
                stmt.query(rusqlite::params![pk, limit])
                    .unwrap()
                    .next()
                    .unwrap();
            }
            let again = stmt.get_status(rusqlite::StatementStatus::RePrepare);
            assert_eq!(again > 0, prepared_again, "{again}");
        }
    }

    /// What fixed it comes first, however light; then weight, a shared service counting half as
    /// much again; then the newest on a tie.
    #[test]
    fn the_fixed_come_first_then_the_heaviest_then_the_newest() {
        let c = |pk, number, fixed, shared, weight| Candidate {
            pk,
            number,
            fixed,
            shared,
            weight,
        };
        let candidates = vec![
            c(1, 10, false, 0, 9.0),
            c(2, 11, true, 0, 0.5),
            c(3, 12, false, 1, 2.0), // 3.0 with its service
            c(4, 13, false, 0, 3.0), // the same, and newer
            c(5, 14, false, 0, 2.9),
            c(6, 15, true, 2, 0.3), // 0.6 with its two services: before 2
        ];
        assert_eq!(rank(candidates, 5), [6, 2, 1, 4, 3]);
        assert!(rank(Vec::new(), 3).is_empty());
    }

    /// Which terms each of the newest texts holds, from the phrases of one query, equals what a
    /// query per term finds from the oldest of them on (the way it was computed before), on an
    /// index of a few thousand real-shaped texts: windows of 200 cut into each term's matches.
    #[test]
    fn one_query_finds_the_same_hits_as_a_query_per_term() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::migrations::migrate(&mut conn).unwrap();
        crate::store::search::extend(&conn).unwrap();
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
