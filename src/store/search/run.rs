//! Running a search: the texts ranked by bm25, then the logs' chunks newest first, the exact
//! phrase's before the rest, within the filters and the limit; then each hit's line and
//! snippet.

use super::index::actions_pending;
use super::lines::{LineFinder, find_lines};
use super::query::{phrase_of, plain_query_error, quote_punctuated};
use super::{Hit, SearchError, SearchQuery, TOKENIZE, io_error};
use crate::domain::time;
use crate::store::{StoreError, Txn};
use rusqlite::{OptionalExtension, params};

impl Txn<'_> {
    /// Whether notes (or action items, see `index_unindexed_actions`) were written since the
    /// index last caught up: a search that finds none writes nothing (and so waits for no lock
    /// and syncs nothing).
    pub fn notes_pending(&self) -> Result<bool, StoreError> {
        let notes: bool = self.tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM events WHERE kind = 'note'
                 AND id > (SELECT notes_through FROM search_state WHERE id = 1))",
            [],
            |r| r.get(0),
        )?;
        Ok(notes || actions_pending(&self.tx)?)
    }

    /// Ranked matches. What was written (fields, notes, snapshot texts, command lines, action
    /// items) comes first, by bm25, ties to the most recently recorded; then the lines of logs
    /// and command output, newest first. For a query of plain words, whatever holds them as
    /// the exact phrase comes before the rest, in the same order.
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<Hit>, SearchError> {
        let quoted = quote_punctuated(q.query);
        let q = &SearchQuery {
            query: &quoted,
            ..q.clone()
        };
        let incident_pk: Option<i64> = match q.incident {
            Some(number) => {
                let pk = self
                    .tx
                    .prepare_cached("SELECT pk FROM incidents WHERE number = ?1")?
                    .query_row([number], |r| r.get(0))
                    .optional()?;
                if pk.is_none() {
                    return Ok(Vec::new());
                }
                pk
            }
            None => None,
        };
        let scope = Scope {
            incident_pk,
            since: q.since.map(time::to_rfc3339),
            kind: q.kind,
            limit: q.limit,
        };
        let texts = q.kind != Some("log");
        let logs = matches!(q.kind, None | Some("log" | "command"));
        let phrase = phrase_of(q.query);
        let mut rows = Vec::new();
        for (query, exact) in phrase
            .iter()
            .map(|p| (p.as_str(), true))
            .chain([(q.query, false)])
        {
            if texts {
                self.text_rows(query, exact, &scope, &mut rows)?;
            }
            if logs {
                self.log_rows(query, exact, &scope, &mut rows)?;
            }
        }
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // The lines of the logs' hits first, on every core: decompressing a chunk and finding
        // its line is most of a search's time once the index has answered.
        let finder = LineFinder::of(q.query);
        let chunks = rows
            .iter()
            .map(|r| r.6.map(|chunk| self.stored_chunk(chunk)).transpose())
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let lines = find_lines(&chunks, finder.as_ref(), q.mark);
        // The temporary table snippets are cut in, made when the first one needs it.
        let mut scratch = false;
        let mut hits = Vec::with_capacity(rows.len());
        for ((row, chunk), line) in rows.into_iter().zip(chunks).zip(lines) {
            let (id, score, kind, number, reference, at, _, exact) = row;
            if !scratch && !matches!((&chunk, &line), (Some(_), Some(_))) {
                self.tx.execute_batch(&format!(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_hit
                     USING fts5(text, tokenize = '{TOKENIZE}')"
                ))?;
                scratch = true;
            }
            let (line, snippet) = match (chunk, line) {
                (Some(_), Some((line, snippet))) => (Some(line), snippet),
                (Some(chunk), None) => {
                    let plain =
                        zstd::bulk::decompress(&chunk.data, chunk.size).map_err(io_error)?;
                    self.fts_line_snippet(chunk.first_line, &plain, q)?
                }
                (None, _) => (None, self.body_snippet(id, q)?),
            };
            hits.push(Hit {
                number,
                kind,
                reference,
                line,
                at: time::from_rfc3339(&at).unwrap_or_default(),
                score,
                exact,
                snippet,
            });
        }
        if scratch {
            self.tx.execute_batch("DROP TABLE temp.search_hit")?;
        }
        Ok(hits)
    }

    /// Appends the best texts matching `query` to `rows`, up to the limit, skipping those
    /// already there: by score, then the newest. Without filters, FTS5 picks the best few
    /// before anything is joined to them (a common word matches tens of thousands of texts,
    /// and a lookup each is most of what it would cost), taking the most recently recorded
    /// where more texts tie on score than are shown.
    fn text_rows(
        &self,
        query: &str,
        exact: bool,
        scope: &Scope,
        rows: &mut Vec<Row>,
    ) -> Result<(), SearchError> {
        let Some(fetch) = scope.fetch(rows) else {
            return Ok(());
        };
        let best_first = if scope.filtered() {
            ""
        } else {
            "ORDER BY score, rowid DESC LIMIT ?5"
        };
        // CROSS JOIN: the planner would rather scan search_docs than drive from the hits.
        let sql = format!(
            "SELECT h.id, h.score, d.kind, i.number, d.ref, d.at, NULL
             FROM (SELECT rowid AS id, bm25(search) AS score FROM search WHERE search MATCH ?1
                   {best_first}) h
                  CROSS JOIN search_docs d ON d.id = h.id
                  CROSS JOIN incidents i ON i.pk = d.incident_pk
             WHERE (?2 IS NULL OR d.incident_pk = ?2) AND (?3 IS NULL OR d.at >= ?3)
               AND (?4 IS NULL OR d.kind = ?4)
             ORDER BY h.score, d.at DESC, i.number DESC, h.id DESC
             LIMIT ?5"
        );
        self.collect_rows(&sql, query, exact, scope, Some(fetch), rows)
    }

    /// Appends the newest log and command output chunks matching `query` to `rows`, up to the
    /// limit, skipping those already there. FTS5 walks `search_log` from its newest entry and
    /// the walk stops once enough are found; nothing is scored.
    fn log_rows(
        &self,
        query: &str,
        exact: bool,
        scope: &Scope,
        rows: &mut Vec<Row>,
    ) -> Result<(), SearchError> {
        if rows.len() >= scope.limit {
            return Ok(());
        }
        let expanded = self.expand_prefixes(query)?;
        let query = expanded.as_deref().unwrap_or(query);
        let sql = "WITH owners AS MATERIALIZED (
                 SELECT blob_id, 'log' AS kind, incident_pk, 'attachment ' || seq AS ref,
                        added_at AS at
                 FROM attachments
                 UNION ALL
                 SELECT output_blob_id, 'command', incident_pk, 'command ' || seq, started_at
                 FROM command_runs
             )
             SELECT search_log.rowid, NULL, o.kind, i.number, o.ref, o.at, d.chunk_id
             FROM search_log
                  CROSS JOIN search_docs d ON d.id = search_log.rowid
                  CROSS JOIN blob_chunks c ON c.id = d.chunk_id
                  CROSS JOIN owners o ON o.blob_id = c.blob_id
                  CROSS JOIN incidents i ON i.pk = o.incident_pk
             WHERE search_log MATCH ?1
               AND (?2 IS NULL OR o.incident_pk = ?2) AND (?3 IS NULL OR o.at >= ?3)
               AND (?4 IS NULL OR o.kind = ?4)
             ORDER BY search_log.rowid DESC
             LIMIT ?5";
        // No limit in SQL: the walk is stopped here, after the last chunk's every owner (a
        // second sort key would make SQLite sort every match before returning the first).
        self.collect_rows(sql, query, exact, scope, None, rows)
    }

    /// Runs a search statement (parameters: query, incident pk, since, kind, how many) and
    /// appends the rows not already in `rows`, up to the limit. Without `fetch` the statement
    /// returns log chunks newest first, a row per owner: the chunk the limit falls in is read
    /// whole and its owners put newest first, so which are shown does not depend on the order
    /// they were stored in.
    fn collect_rows(
        &self,
        sql: &str,
        query: &str,
        exact: bool,
        scope: &Scope,
        fetch: Option<usize>,
        rows: &mut Vec<Row>,
    ) -> Result<(), SearchError> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        let mut found = stmt.query(params![
            query,
            scope.incident_pk,
            scope.since,
            scope.kind,
            fetch.map_or(-1, |n| n as i64)
        ])?;
        let seen = rows.len();
        loop {
            let row = match found.next() {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(e) => {
                    return Err(match plain_query_error(&e) {
                        Some(why) => SearchError::Query(why),
                        None => e.into(),
                    });
                }
            };
            let id: i64 = row.get(0)?;
            if rows.len() >= scope.limit && rows.last().is_none_or(|r| r.0 != id) {
                break;
            }
            // A chunk shared by several logs is a row for each: (id, incident, where) is one
            // result.
            let number: i64 = row.get(3)?;
            let reference: String = row.get(4)?;
            if rows[..seen]
                .iter()
                .any(|r| r.0 == id && r.3 == number && r.4 == reference)
            {
                continue;
            }
            rows.push((
                id,
                row.get(1)?,
                row.get(2)?,
                number,
                reference,
                row.get(5)?,
                row.get(6)?,
                exact,
            ));
            if fetch.is_some() && rows.len() == scope.limit {
                break;
            }
        }
        if fetch.is_none() {
            rows[seen..].sort_by(|a, b| b.0.cmp(&a.0).then(b.5.cmp(&a.5)).then(b.3.cmp(&a.3)));
            rows.truncate(scope.limit);
        }
        Ok(())
    }

    fn stored_chunk(&self, chunk: i64) -> rusqlite::Result<StoredChunk> {
        self.tx
            .prepare_cached("SELECT first_line, size, data FROM blob_chunks WHERE id = ?1")?
            .query_row([chunk], |r| {
                Ok(StoredChunk {
                    first_line: r.get::<_, i64>(0)?.max(0) as u64,
                    size: r.get::<_, i64>(1)?.max(0) as usize,
                    data: r.get(2)?,
                })
            })
    }
}

/// A result before its snippet: doc id, score, kind, incident number, reference, time, chunk,
/// exact.
type Row = (
    i64,
    Option<f64>,
    String,
    i64,
    String,
    String,
    Option<i64>,
    bool,
);

/// The filters and limit of a search, as its statements take them.
struct Scope<'q> {
    incident_pk: Option<i64>,
    since: Option<String>,
    kind: Option<&'q str>,
    limit: usize,
}

impl Scope<'_> {
    fn filtered(&self) -> bool {
        self.incident_pk.is_some() || self.since.is_some() || self.kind.is_some()
    }

    /// How many rows to ask for to fill the rest of the limit, as some may already be in
    /// `rows` (the exact phrase's); None when it is full.
    fn fetch(&self, rows: &[Row]) -> Option<usize> {
        (rows.len() < self.limit).then(|| self.limit - rows.len() + rows.len().min(self.limit))
    }
}

/// A chunk of a log or command output as stored: compressed.
pub(super) struct StoredChunk {
    pub(super) first_line: u64,
    pub(super) size: usize,
    pub(super) data: Vec<u8>,
}
