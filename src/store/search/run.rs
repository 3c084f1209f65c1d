//! Running a search: the texts ranked by bm25 (the exact phrase's first), then the lines of
//! logs and command output, logs newest-attached first and lines in file order, within the
//! filters and the limit, with the totals.

use super::index::actions_pending;
use super::lines::{Highlighter, blob_lines, blob_range};
use super::query::{Expr, parse};
use super::{COUNTED_LINES, Hit, SearchError, SearchQuery, TOKENIZE};
use crate::domain::time::{self, Timestamp};
use crate::store::{StoreError, Txn};
use rusqlite::{OptionalExtension, params};

/// A log or command output in a search's scope.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRef {
    pub number: i64,
    /// log or command.
    pub kind: String,
    /// Which one within the incident: 'attachment 2', 'command 3'.
    pub reference: String,
    /// The log's name, or the command line.
    pub name: String,
    pub at: Timestamp,
    pub blob_id: i64,
}

/// The lines of one log that match.
#[derive(Debug, Clone, PartialEq)]
pub struct LogMatches {
    pub log: LogRef,
    /// How many lines match: all of them when `exact`, else at least this many.
    pub total: u64,
    pub exact: bool,
    /// The numbers of the lines to show, in file order.
    pub shown: Vec<u64>,
}

/// What a search found.
#[derive(Debug)]
pub struct Found {
    /// The texts to show, best first.
    pub texts: Vec<Hit>,
    /// How many texts match, and in each incident (by number, highest first).
    pub text_total: u64,
    pub text_counts: Vec<(i64, u64)>,
    /// The logs with a matching line, newest first.
    pub logs: Vec<LogMatches>,
    /// How many lines match in all: exact when `lines_exact`, else more than COUNTED_LINES.
    pub line_total: u64,
    pub lines_exact: bool,
    /// Marks the query's words in a line shown.
    pub highlighter: Highlighter,
}

/// The filters of a search, as its statements take them.
struct Scope<'q> {
    incident_pk: Option<i64>,
    since: Option<String>,
    kind: Option<&'q str>,
}

impl Txn<'_> {
    /// Whether notes, lessons, links or retractions of them (or action items, see
    /// `index_unindexed_actions`) were written since the index last caught up: a search that
    /// finds none writes nothing (and so waits for no lock and syncs nothing).
    pub fn notes_pending(&self) -> Result<bool, StoreError> {
        let notes: bool = self.tx.query_row(
            &format!(
                "SELECT EXISTS (SELECT 1 FROM events WHERE kind IN ({}, 'retraction')
                     AND id > (SELECT notes_through FROM search_state WHERE id = 1))",
                super::TIMELINE_KINDS
            ),
            [],
            |r| r.get(0),
        )?;
        Ok(notes || actions_pending(&self.tx)?)
    }

    /// What matches: the texts (fields, notes, snapshot texts, command lines, action items)
    /// by bm25, ties to the most recently recorded, whatever holds a query of plain words as
    /// the exact phrase first; then the lines of logs and command output, the newest log
    /// first and its lines in file order. Up to the limit in all, with the totals (exact for
    /// texts, and for lines up to COUNTED_LINES, or all of them with `count` or no limit).
    pub fn search(&self, q: &SearchQuery) -> Result<Found, SearchError> {
        let expr = parse(q.query).map_err(SearchError::Query)?;
        let mut found = Found {
            texts: Vec::new(),
            text_total: 0,
            text_counts: Vec::new(),
            logs: Vec::new(),
            line_total: 0,
            lines_exact: true,
            highlighter: Highlighter::of(&expr),
        };
        let incident_pk: Option<i64> = match q.incident {
            Some(number) => {
                let pk = self
                    .tx
                    .prepare_cached("SELECT pk FROM incidents WHERE number = ?1")?
                    .query_row([number], |r| r.get(0))
                    .optional()?;
                if pk.is_none() {
                    return Ok(found);
                }
                pk
            }
            None => None,
        };
        let scope = Scope {
            incident_pk,
            since: q.since.map(time::to_rfc3339),
            kind: q.kind,
        };
        if q.kind != Some("log") {
            found.text_counts = self.count_texts(&expr.fts(), &scope)?;
            found.text_total = found.text_counts.iter().map(|c| c.1).sum();
            if !q.count && found.text_total > 0 {
                found.texts = self.texts(&expr, &scope, q)?;
            }
        }
        if matches!(q.kind, None | Some("log" | "command")) {
            let lines = self.expand_line_prefixes(&expr)?;
            self.log_lines(&lines.fts(), &scope, q, &mut found)?;
        }
        Ok(found)
    }

    /// How many texts match in each incident, highest number first.
    fn count_texts(&self, fts: &str, scope: &Scope) -> Result<Vec<(i64, u64)>, SearchError> {
        self.tx
            .prepare_cached(
                "SELECT i.number, count(*) FROM search s
                      CROSS JOIN search_docs d ON d.id = s.rowid
                      CROSS JOIN incidents i ON i.pk = d.incident_pk
                 WHERE search MATCH ?1
                   AND (?2 IS NULL OR d.incident_pk = ?2) AND (?3 IS NULL OR d.at >= ?3)
                   AND (?4 IS NULL OR d.kind = ?4)
                 GROUP BY i.number ORDER BY i.number DESC",
            )?
            .query_map(
                params![fts, scope.incident_pk, scope.since, scope.kind],
                |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64)),
            )
            .map_err(query_error)?
            .collect::<Result<_, _>>()
            .map_err(query_error)
    }

    /// The best texts, up to the limit: the exact phrase's first, then the query's.
    fn texts(&self, expr: &Expr, scope: &Scope, q: &SearchQuery) -> Result<Vec<Hit>, SearchError> {
        let limit = q.limit.map_or(-1, |n| n as i64);
        let mut rows: Vec<(i64, f64, String, i64, String, String, bool)> = Vec::new();
        let phrase = expr.phrase().map(|p| p.fts());
        for (fts, exact) in phrase
            .iter()
            .map(|p| (p.clone(), true))
            .chain([(expr.fts(), false)])
        {
            // CROSS JOIN: the planner would rather scan search_docs than drive from the hits.
            let mut stmt = self.tx.prepare_cached(
                "SELECT s.rowid, bm25(search), d.kind, i.number, d.ref, d.at
                 FROM search s
                      CROSS JOIN search_docs d ON d.id = s.rowid
                      CROSS JOIN incidents i ON i.pk = d.incident_pk
                 WHERE search MATCH ?1
                   AND (?2 IS NULL OR d.incident_pk = ?2) AND (?3 IS NULL OR d.at >= ?3)
                   AND (?4 IS NULL OR d.kind = ?4)
                 ORDER BY bm25(search), d.at DESC, i.number DESC, s.rowid DESC
                 LIMIT ?5",
            )?;
            let found = stmt
                .query_map(
                    params![fts, scope.incident_pk, scope.since, scope.kind, limit],
                    |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                            exact,
                        ))
                    },
                )
                .map_err(query_error)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(query_error)?;
            for row in found {
                if q.limit.is_some_and(|n| rows.len() >= n) {
                    break;
                }
                if !rows.iter().any(|r| r.0 == row.0) {
                    rows.push(row);
                }
            }
        }
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // No merging of its segments: a long text's pieces would be merged again and again
        // as they go in (FTS5's automerge), work that grows faster than the text.
        self.tx.execute_batch(&format!(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_hit
             USING fts5(text, tokenize = '{TOKENIZE}');
             INSERT INTO temp.search_hit (search_hit, rank) VALUES ('automerge', 0);
             INSERT INTO temp.search_hit (search_hit, rank) VALUES ('crisismerge', 2000);"
        ))?;
        let queries = (expr.fts(), expr.any_term().fts());
        let mut hits = Vec::with_capacity(rows.len());
        for (id, score, kind, number, reference, at, exact) in rows {
            hits.push(Hit {
                number,
                kind,
                reference,
                at: time::from_rfc3339(&at).unwrap_or_default(),
                score,
                exact,
                snippet: self.body_snippet(id, &queries, q.mark)?,
            });
        }
        self.tx.execute_batch("DROP TABLE temp.search_hit")?;
        Ok(hits)
    }

    /// The query for `search_line`, its prefixes of plain words expanded to the words of the
    /// index they stand for when there are at most MAX_EXPANSION (`Expr::expand_prefixes`).
    fn expand_line_prefixes(&self, expr: &Expr) -> Result<Expr, SearchError> {
        const MAX_EXPANSION: usize = 64;
        if !expr.fts().contains('*') {
            return Ok(expr.clone());
        }
        self.tx.execute_batch(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_line_words
             USING fts5vocab(main, search_line, row)",
        )?;
        let mut stmt = self.tx.prepare_cached(
            "SELECT term FROM temp.search_line_words WHERE term >= ?1 AND term < ?2 LIMIT ?3",
        )?;
        let mut failed = None;
        let expanded = expr.expand_prefixes(&mut |prefix: &str| {
            // The first string after every one that starts with the prefix (ASCII).
            let mut end = prefix.to_string();
            let last = end.pop().map_or('\0', |c| (c as u8 + 1) as char);
            end.push(last);
            let found: rusqlite::Result<Vec<String>> = stmt
                .query_map(params![prefix, end, MAX_EXPANSION as i64 + 1], |r| r.get(0))
                .and_then(|rows| rows.collect());
            match found {
                Ok(words) if words.len() <= MAX_EXPANSION => Some(words),
                Ok(_) => None,
                Err(e) => {
                    failed = Some(e);
                    None
                }
            }
        });
        match failed {
            Some(e) => Err(e.into()),
            None => Ok(expanded),
        }
    }

    /// The logs and command outputs in scope, newest first.
    fn log_owners(&self, scope: &Scope) -> Result<Vec<LogRef>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT o.kind, i.number, o.ref, o.name, o.at, o.blob_id
             FROM (SELECT 'log' AS kind, incident_pk, 'attachment ' || seq AS ref, name,
                          added_at AS at, blob_id, seq
                   FROM attachments
                   UNION ALL
                   SELECT 'command', incident_pk, 'command ' || seq, command, started_at,
                          output_blob_id, seq
                   FROM command_runs) o
                  JOIN incidents i ON i.pk = o.incident_pk
             WHERE (?1 IS NULL OR o.incident_pk = ?1) AND (?2 IS NULL OR o.at >= ?2)
               AND (?3 IS NULL OR o.kind = ?3)
             ORDER BY o.at DESC, i.number DESC, o.kind DESC, o.seq DESC",
        )?;
        let kind = scope.kind.filter(|k| *k == "log" || *k == "command");
        let rows = stmt
            .query_map(params![scope.incident_pk, scope.since, kind], |r| {
                let at: String = r.get(4)?;
                Ok(LogRef {
                    kind: r.get(0)?,
                    number: r.get(1)?,
                    reference: r.get(2)?,
                    name: r.get(3)?,
                    at: time::from_rfc3339(&at).unwrap_or_default(),
                    blob_id: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The matching lines of each log in scope: those to show (in the room the texts left)
    /// and how many there are.
    fn log_lines(
        &self,
        fts: &str,
        scope: &Scope,
        q: &SearchQuery,
        found: &mut Found,
    ) -> Result<(), SearchError> {
        let mut room = q.limit.map(|n| n.saturating_sub(found.texts.len()) as u64);
        // Counted so far toward the bound of an inexact total.
        let mut counted = 0u64;
        for log in self.log_owners(scope)? {
            let range = blob_range(log.blob_id);
            let (total, exact, shown) = match room {
                _ if q.count => (self.count_lines(fts, range, None)?, true, Vec::new()),
                None => {
                    let all = self.matching(fts, range, None)?;
                    (all.len() as u64, true, all)
                }
                // One walk for the lines shown and the count, up to the bound of an exact
                // total: a query per log costs FTS5's setup each time.
                Some(room) => {
                    let left = (COUNTED_LINES + 1).saturating_sub(counted).max(1);
                    let fetch = room.max(left);
                    let mut lines = self.matching(fts, range, Some(fetch))?;
                    let n = lines.len() as u64;
                    lines.truncate(room as usize);
                    (n, n < fetch, lines)
                }
            };
            if total == 0 {
                continue;
            }
            counted += total;
            found.line_total += total;
            found.lines_exact &= exact;
            if let Some(room) = room.as_mut() {
                *room -= shown.len() as u64;
            }
            found.logs.push(LogMatches {
                log,
                total,
                exact,
                shown,
            });
        }
        // A page states a total exactly up to COUNTED_LINES only, however far it counted.
        if q.limit.is_some() && !q.count && found.line_total > COUNTED_LINES {
            found.lines_exact = false;
        }
        Ok(())
    }

    /// The numbers of the first `limit` lines (all, with None) in `range` that match.
    fn matching(
        &self,
        fts: &str,
        (from, to): (i64, i64),
        limit: Option<u64>,
    ) -> Result<Vec<u64>, SearchError> {
        let mask = (1i64 << super::lines::LINE_BITS) - 1;
        let mut stmt = self.tx.prepare_cached(
            "SELECT rowid FROM search_line
             WHERE search_line MATCH ?1 AND rowid BETWEEN ?2 AND ?3 ORDER BY rowid LIMIT ?4",
        )?;
        let limit = limit.map_or(-1, |n| n as i64);
        let mut rows = stmt
            .query(params![fts, from, to, limit])
            .map_err(query_error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(query_error)? {
            out.push((row.get::<_, i64>(0)? & mask) as u64);
        }
        Ok(out)
    }

    /// How many lines in `range` match, counting up to `bound` (all, with None).
    fn count_lines(
        &self,
        fts: &str,
        (from, to): (i64, i64),
        bound: Option<u64>,
    ) -> Result<u64, SearchError> {
        let n: i64 = self
            .tx
            .prepare_cached(
                "SELECT count(*) FROM (SELECT 1 FROM search_line
                     WHERE search_line MATCH ?1 AND rowid BETWEEN ?2 AND ?3 LIMIT ?4)",
            )?
            .query_row(
                params![fts, from, to, bound.map_or(-1, |n| n as i64)],
                |r| r.get(0),
            )
            .map_err(query_error)?;
        Ok(n.max(0) as u64)
    }

    /// Hands `f` lines `shown` (in file order) of blob `blob_id` with `context` lines around
    /// each: the line's number, its bytes (without the newline), and whether it is one of
    /// `shown` rather than context. Only the chunks holding them are read.
    pub fn shown_lines<E: From<StoreError>>(
        &self,
        blob_id: i64,
        shown: &[u64],
        context: u64,
        mut f: impl FnMut(u64, &[u8], bool) -> Result<(), E>,
    ) -> Result<(), E> {
        // The windows around the lines, merged where they touch.
        let mut windows: Vec<(u64, u64)> = Vec::new();
        for &n in shown {
            let (from, to) = (n.saturating_sub(context).max(1), n + context);
            match windows.last_mut() {
                Some(last) if from <= last.1 + 1 => last.1 = last.1.max(to),
                _ => windows.push((from, to)),
            }
        }
        if windows.is_empty() {
            return Ok(());
        }
        let wants_chunk = |first: u64, last: u64| {
            let i = windows.partition_point(|w| w.1 < first);
            windows.get(i).is_some_and(|w| w.0 <= last)
        };
        let (mut window, mut next_hit) = (0, 0);
        let mut failed = None;
        blob_lines::<rusqlite::Error>(&self.tx, blob_id, wants_chunk, |number, line| {
            while windows.get(window).is_some_and(|w| w.1 < number) {
                window += 1;
            }
            let Some(&(from, _)) = windows.get(window) else {
                return Ok(false);
            };
            if number < from {
                return Ok(true);
            }
            while shown.get(next_hit).is_some_and(|h| *h < number) {
                next_hit += 1;
            }
            let hit = shown.get(next_hit) == Some(&number);
            match f(number, line, hit) {
                Ok(()) => Ok(true),
                Err(e) => {
                    failed = Some(e);
                    Ok(false)
                }
            }
        })
        .map_err(|e| E::from(e.into()))?;
        match failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// An error running a MATCH: the query is parsed and every term quoted, so FTS5 should take
/// any; should it refuse one all the same, it is still the query's fault, said in its words.
fn query_error(e: rusqlite::Error) -> SearchError {
    let msg = e.to_string();
    if msg.starts_with("fts5:") || msg.contains("syntax error") {
        SearchError::Query(format!(
            "the search engine refused it ({msg}); put the words in double quotes, as in \"connection refused\""
        ))
    } else {
        e.into()
    }
}
