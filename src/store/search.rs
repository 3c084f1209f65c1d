//! Full-text search (SQLite FTS5) over everything recorded: incident fields, notes, snapshot
//! texts, command lines, and the chunks of attached logs and command output.
//!
//! `search` is a contentless FTS5 index whose rowid is a `search_docs` row. Small texts keep
//! their (already redacted) text in `search_docs.body`; a stored chunk is indexed once, however
//! many attachments or command runs share its blob, and is joined to them when searched. The
//! index is written in the same transaction as what it indexes, by the store methods that
//! write it; snippets are cut afterwards from the few results shown, by running the query again
//! over just their text in a temporary FTS5 table (a chunk line by line, for the line number).

use super::{StoreError, Txn};
use crate::time::{self, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

/// The tokenizer of `search` (schema.sql), repeated for the temporary table snippets use.
const TOKENIZE: &str = "unicode61 remove_diacritics 2";

/// Incident fields indexed, by their column names (also `Field::key`).
const FIELDS: [&str; 6] = [
    "title",
    "description",
    "root_cause",
    "resolution",
    "prevention",
    "lessons_learned",
];

/// Lines of a chunk tried for its snippet: bounds the work for a common word.
const CANDIDATE_LINES: usize = 200;

/// Characters of a long line kept around the first highlighted hit.
const LINE_WINDOW: usize = 160;

fn io_error(e: std::io::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

pub(super) fn add_doc(
    conn: &Connection,
    kind: &str,
    incident_pk: Option<i64>,
    reference: &str,
    at: &str,
    chunk_id: Option<i64>,
    text: &str,
) -> rusqlite::Result<()> {
    if text.trim().is_empty() {
        return Ok(());
    }
    // A chunk's text is its compressed data; anything else keeps it here.
    let body = chunk_id.is_none().then_some(text);
    conn.prepare_cached(
        "INSERT INTO search_docs (kind, incident_pk, ref, at, body, chunk_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![kind, incident_pk, reference, at, body, chunk_id])?;
    let id = conn.last_insert_rowid();
    conn.prepare_cached("INSERT INTO search (rowid, text) VALUES (?1, ?2)")?
        .execute(params![id, text])?;
    Ok(())
}

fn remove_doc(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM search WHERE rowid = ?1")?
        .execute([id])?;
    conn.prepare_cached("DELETE FROM search_docs WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Re-indexes the incident's fields whose text differs from what is indexed.
pub(super) fn index_fields(conn: &Connection, incident_pk: i64) -> rusqlite::Result<()> {
    let row: Vec<String> = conn
        .prepare_cached(
            "SELECT title, description, root_cause, resolution, prevention, lessons_learned,
                    updated_at
             FROM incidents WHERE pk = ?1",
        )?
        .query_row([incident_pk], |r| (0..7).map(|i| r.get(i)).collect())?;
    let at = &row[6];
    for (field, text) in FIELDS.iter().zip(&row) {
        let indexed: Option<(i64, Option<String>)> = conn
            .prepare_cached(
                "SELECT id, body FROM search_docs
                 WHERE incident_pk = ?1 AND kind = 'field' AND ref = ?2",
            )?
            .query_row(params![incident_pk, field], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match indexed {
            Some((_, Some(body))) if body == *text => continue,
            Some((id, _)) => remove_doc(conn, id)?,
            None => {}
        }
        add_doc(conn, "field", Some(incident_pk), field, at, None, text)?;
    }
    Ok(())
}

/// Indexes the notes written since the last time, and moves the mark past them.
pub(super) fn index_pending_notes(conn: &Connection) -> rusqlite::Result<usize> {
    let through: i64 = conn.query_row(
        "SELECT notes_through FROM search_state WHERE id = 1",
        [],
        |r| r.get(0),
    )?;
    let notes: Vec<(i64, i64, String, String)> = conn
        .prepare("SELECT id, incident_pk, at, text FROM events WHERE id > ?1 AND kind = 'note' ORDER BY id")?
        .query_map([through], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (_, pk, at, text) in &notes {
        index_note(conn, *pk, at, text)?;
    }
    conn.execute(
        "UPDATE search_state SET notes_through = (SELECT coalesce(max(id), 0) FROM events) WHERE id = 1",
        [],
    )?;
    Ok(notes.len())
}

pub(super) fn index_note(
    conn: &Connection,
    incident_pk: i64,
    at: &str,
    text: &str,
) -> rusqlite::Result<()> {
    add_doc(conn, "note", Some(incident_pk), "", at, None, text)
}

/// A snapshot's summary and findings, and each item's error and raw text (log tails, command
/// output); a snapshot taken without an incident is not indexed.
pub(super) fn index_snapshot(conn: &Connection, snapshot_id: i64) -> rusqlite::Result<()> {
    let Some((incident_pk, seq, at, summary, findings)) = conn
        .prepare_cached(
            "SELECT incident_pk, seq, taken_at, summary, findings FROM snapshots
             WHERE id = ?1 AND incident_pk IS NOT NULL",
        )?
        .query_row([snapshot_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .optional()?
    else {
        return Ok(());
    };
    let mut text = summary;
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&findings) {
        strings(&value, &mut text);
    }
    let reference = format!("snapshot {seq}");
    add_doc(
        conn,
        "snapshot",
        Some(incident_pk),
        &reference,
        &at,
        None,
        &text,
    )?;
    let items: Vec<(String, String, String)> = conn
        .prepare_cached(
            "SELECT collector, name, coalesce(error, '') || char(10) || raw
             FROM snapshot_items WHERE snapshot_id = ?1 ORDER BY id",
        )?
        .query_map([snapshot_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (collector, name, text) in items {
        let text = text.trim_start_matches('\n');
        add_doc(
            conn,
            "snapshot",
            Some(incident_pk),
            &format!("{reference} {collector}/{name}"),
            &at,
            None,
            text,
        )?;
    }
    Ok(())
}

/// Every string in a JSON value, a line each.
fn strings(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::String(s) => {
            out.push('\n');
            out.push_str(s);
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(o) => o.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// A command run's command line, and its output's chunks.
pub(super) fn index_command_run(conn: &Connection, run_id: i64) -> rusqlite::Result<()> {
    let (incident_pk, seq, command, at, blob_id): (i64, i64, String, String, i64) = conn
        .prepare_cached(
            "SELECT incident_pk, seq, command, started_at, output_blob_id
             FROM command_runs WHERE id = ?1",
        )?
        .query_row([run_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
    add_doc(
        conn,
        "command",
        Some(incident_pk),
        &format!("command {seq}"),
        &at,
        None,
        &command,
    )?;
    index_blob(conn, blob_id)
}

/// Indexes a blob's chunks, unless they are already: content is indexed once per blob.
pub(super) fn index_blob(conn: &Connection, blob_id: i64) -> rusqlite::Result<()> {
    let indexed: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM search_docs d JOIN blob_chunks c ON c.id = d.chunk_id
                            WHERE c.blob_id = ?1)",
        )?
        .query_row([blob_id], |r| r.get(0))?;
    if indexed {
        return Ok(());
    }
    let mut decompressor = zstd::bulk::Decompressor::new().map_err(io_error)?;
    let mut stmt = conn
        .prepare_cached("SELECT id, size, data FROM blob_chunks WHERE blob_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([blob_id])?;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let size: i64 = row.get(1)?;
        let data = row.get_ref(2)?.as_blob()?;
        let plain = decompressor
            .decompress(data, size.max(0) as usize)
            .map_err(io_error)?;
        let text = String::from_utf8_lossy(&plain);
        add_doc(conn, "chunk", None, "", "", Some(id), &text)?;
    }
    Ok(())
}

/// Drops the index entries of the chunks of the blobs `blobs_sql` selects (ids), before `gc`
/// deletes them.
pub(super) fn forget_blobs(conn: &Connection, blobs_sql: &str) -> rusqlite::Result<()> {
    let docs = format!(
        "SELECT d.id FROM search_docs d JOIN blob_chunks c ON c.id = d.chunk_id
         WHERE c.blob_id IN ({blobs_sql})"
    );
    conn.execute(&format!("DELETE FROM search WHERE rowid IN ({docs})"), [])?;
    conn.execute(&format!("DELETE FROM search_docs WHERE id IN ({docs})"), [])?;
    Ok(())
}

/// Version 6: indexes everything recorded before search existed.
pub(super) fn backfill(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let ids = |sql: &str| -> rusqlite::Result<Vec<i64>> {
        tx.prepare(sql)?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()
    };
    for pk in ids("SELECT pk FROM incidents ORDER BY pk")? {
        index_fields(tx, pk)?;
    }
    index_pending_notes(tx)?;
    for id in ids("SELECT id FROM snapshots WHERE incident_pk IS NOT NULL ORDER BY id")? {
        index_snapshot(tx, id)?;
    }
    for id in ids("SELECT id FROM command_runs ORDER BY id")? {
        index_command_run(tx, id)?;
    }
    for id in ids("SELECT DISTINCT blob_id FROM attachments ORDER BY blob_id")? {
        index_blob(tx, id)?;
    }
    Ok(())
}

/// What to search for, and where.
#[derive(Debug, Clone)]
pub struct SearchQuery<'q> {
    /// FTS5 query syntax: words, "phrases", prefix*, AND/OR/NOT, NEAR(…).
    pub query: &'q str,
    /// Only this incident (its number).
    pub incident: Option<i64>,
    pub since: Option<Timestamp>,
    /// field, note, snapshot, command, log.
    pub kind: Option<&'q str>,
    pub limit: usize,
    /// What goes around each hit in the snippets.
    pub mark: (&'q str, &'q str),
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub number: i64,
    /// field, note, snapshot, command, log.
    pub kind: String,
    /// Which one within the incident: 'root_cause', 'snapshot 1 logs/app=updater',
    /// 'attachment 2', 'command 3'.
    pub reference: String,
    /// The line of a log or command output the snippet is from.
    pub line: Option<u64>,
    pub at: Timestamp,
    /// bm25: lower is better.
    pub score: f64,
    /// Whether the words occur as the exact phrase typed.
    pub exact: bool,
    pub snippet: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query is not FTS5 syntax; the text says why, in plain words.
    #[error("{0}")]
    Query(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for SearchError {
    fn from(e: rusqlite::Error) -> Self {
        SearchError::Store(e.into())
    }
}

/// A query's plain words as the phrase they make, when the query is two or more plain words:
/// results holding the exact phrase rank first.
fn phrase_of(query: &str) -> Option<String> {
    let words: Vec<&str> = query.split_whitespace().collect();
    let plain = words.len() >= 2
        && words.iter().all(|w| {
            w.chars().all(char::is_alphanumeric) && !matches!(*w, "AND" | "OR" | "NOT" | "NEAR")
        });
    plain.then(|| format!("\"{}\"", words.join(" ")))
}

/// The words of a query, lowercased, to find a chunk's candidate lines cheaply.
fn terms_of(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !matches!(*w, "AND" | "OR" | "NOT" | "NEAR"))
        .map(str::to_lowercase)
        .collect()
}

/// An FTS5 error in plain words, or None for an error that is not about the query.
fn plain_query_error(e: &rusqlite::Error) -> Option<String> {
    let msg = e.to_string();
    let why = if msg.contains("unterminated string") {
        "a double quote is not closed".to_string()
    } else if let Some(rest) = msg.split("syntax error near ").nth(1) {
        match rest.trim_matches('"') {
            "" => "it ends where more was expected".to_string(),
            near => format!("it is malformed near {near}"),
        }
    } else if let Some(column) = msg.strip_prefix("no such column: ") {
        format!("'{column}:' looks like a column filter, and there is no such column")
    } else if msg.starts_with("fts5:") {
        msg.trim_start_matches("fts5:").trim().to_string()
    } else {
        return None;
    };
    Some(why)
}

impl Txn<'_> {
    /// Ranked matches: exact phrase first, then bm25, then newest.
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<Hit>, SearchError> {
        let phrase = phrase_of(q.query);
        let exact = if phrase.is_some() {
            "h.id IN (SELECT rowid FROM search WHERE search MATCH ?6)"
        } else {
            "(?6 IS NOT NULL)"
        };
        let sql = format!(
            "WITH hits AS MATERIALIZED (
                 SELECT rowid AS id, bm25(search) AS score FROM search WHERE search MATCH ?1
             ),
             found AS (
                 SELECT h.id, h.score, d.kind, d.incident_pk, d.ref, d.at, NULL AS chunk_id,
                        {exact} AS exact
                 FROM hits h JOIN search_docs d ON d.id = h.id WHERE d.chunk_id IS NULL
                 UNION ALL
                 SELECT h.id, h.score, 'log', a.incident_pk, 'attachment ' || a.seq, a.added_at,
                        d.chunk_id, {exact}
                 FROM hits h JOIN search_docs d ON d.id = h.id
                      JOIN blob_chunks c ON c.id = d.chunk_id
                      JOIN attachments a ON a.blob_id = c.blob_id
                 UNION ALL
                 SELECT h.id, h.score, 'command', r.incident_pk, 'command ' || r.seq,
                        r.started_at, d.chunk_id, {exact}
                 FROM hits h JOIN search_docs d ON d.id = h.id
                      JOIN blob_chunks c ON c.id = d.chunk_id
                      JOIN command_runs r ON r.output_blob_id = c.blob_id
             )
             SELECT f.id, f.score, f.kind, i.number, f.ref, f.at, f.chunk_id, f.exact
             FROM found f JOIN incidents i ON i.pk = f.incident_pk
             WHERE (?2 IS NULL OR i.number = ?2) AND (?3 IS NULL OR f.at >= ?3)
               AND (?4 IS NULL OR f.kind = ?4)
             ORDER BY f.exact DESC, f.score, f.at DESC, i.number DESC
             LIMIT ?5"
        );
        let since = q.since.map(time::to_rfc3339);
        type Row = (i64, f64, String, i64, String, String, Option<i64>, bool);
        let rows: Result<Vec<Row>, rusqlite::Error> = self
            .tx
            .prepare(&sql)?
            .query_map(
                params![
                    q.query,
                    q.incident,
                    since,
                    q.kind,
                    q.limit as i64,
                    phrase.as_deref()
                ],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                },
            )?
            .collect();
        let rows = rows.map_err(|e| match plain_query_error(&e) {
            Some(why) => SearchError::Query(why),
            None => e.into(),
        })?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        self.tx.execute_batch(&format!(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_hit USING fts5(text, tokenize = '{TOKENIZE}')"
        ))?;
        let mut hits = Vec::with_capacity(rows.len());
        for (id, score, kind, number, reference, at, chunk_id, exact) in rows {
            let (line, snippet) = match chunk_id {
                Some(chunk) => self.chunk_snippet(chunk, q)?,
                None => (None, self.body_snippet(id, q)?),
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
        self.tx.execute_batch("DROP TABLE temp.search_hit")?;
        Ok(hits)
    }

    /// The best-matching few words of a stored text, on one line.
    fn body_snippet(&self, id: i64, q: &SearchQuery) -> rusqlite::Result<String> {
        let body: String = self
            .tx
            .prepare_cached("SELECT coalesce(body, '') FROM search_docs WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?;
        self.tx.execute("DELETE FROM temp.search_hit", [])?;
        self.tx
            .execute("INSERT INTO temp.search_hit (text) VALUES (?1)", [&body])?;
        let snippet: Option<String> = self
            .tx
            .query_row(
                "SELECT snippet(search_hit, 0, ?2, ?3, '…', 24) FROM temp.search_hit
                 WHERE search_hit MATCH ?1",
                params![q.query, q.mark.0, q.mark.1],
                |r| r.get(0),
            )
            .optional()?;
        let snippet = snippet.unwrap_or_else(|| body.chars().take(LINE_WINDOW).collect());
        Ok(snippet.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// The line of a chunk the query matches best, and its number in the log.
    fn chunk_snippet(
        &self,
        chunk: i64,
        q: &SearchQuery,
    ) -> rusqlite::Result<(Option<u64>, String)> {
        let (first_line, size, data): (i64, i64, Vec<u8>) = self
            .tx
            .prepare_cached("SELECT first_line, size, data FROM blob_chunks WHERE id = ?1")?
            .query_row([chunk], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let plain = zstd::bulk::decompress(&data, size.max(0) as usize).map_err(io_error)?;
        let text = String::from_utf8_lossy(&plain);
        let terms = terms_of(q.query);
        self.tx.execute("DELETE FROM temp.search_hit", [])?;
        let mut insert = self
            .tx
            .prepare_cached("INSERT INTO temp.search_hit (rowid, text) VALUES (?1, ?2)")?;
        let mut first_candidate = None;
        let mut candidates = 0;
        for (i, line) in text.split('\n').enumerate() {
            let lower = line.to_lowercase();
            if !terms.is_empty() && !terms.iter().any(|t| lower.contains(t.as_str())) {
                continue;
            }
            first_candidate.get_or_insert((i, line));
            insert.execute(params![i as i64, line])?;
            candidates += 1;
            if candidates == CANDIDATE_LINES {
                break;
            }
        }
        // The exact phrase, else the query itself, else any of its words (its terms may fall
        // on different lines).
        let phrase = phrase_of(q.query).unwrap_or_default();
        let any = terms
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(" OR ");
        for query in [phrase.as_str(), q.query, any.as_str()] {
            if query.is_empty() {
                continue;
            }
            let best: Option<(i64, String)> = self
                .tx
                .query_row(
                    "SELECT rowid, highlight(search_hit, 0, ?2, ?3) FROM temp.search_hit
                     WHERE search_hit MATCH ?1 ORDER BY rank LIMIT 1",
                    params![query, q.mark.0, q.mark.1],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .unwrap_or(None);
            if let Some((i, line)) = best {
                return Ok((Some(first_line as u64 + i as u64), window(&line, q.mark.0)));
            }
        }
        Ok(match first_candidate {
            Some((i, line)) => (Some(first_line as u64 + i as u64), window(line, "")),
            None => (Some(first_line as u64), String::new()),
        })
    }
}

/// A line cut to about LINE_WINDOW characters around its first `mark`, trimmed.
fn window(line: &str, mark: &str) -> String {
    let line = line.trim();
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= LINE_WINDOW {
        return line.to_string();
    }
    let at = match mark {
        "" => 0,
        m => line.find(m).map_or(0, |b| line[..b].chars().count()),
    };
    let start = at.saturating_sub(LINE_WINDOW / 3);
    let end = (start + LINE_WINDOW).min(chars.len());
    let mut out: String = chars[start..end].iter().collect();
    if start > 0 {
        out.insert(0, '…');
    }
    if end < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_make_a_phrase_and_operators_do_not() {
        assert_eq!(
            phrase_of("connection refused").as_deref(),
            Some("\"connection refused\"")
        );
        assert_eq!(phrase_of("refused"), None);
        assert_eq!(phrase_of("a OR b"), None);
        assert_eq!(phrase_of("crypto* prices"), None);
    }

    #[test]
    fn a_long_line_is_cut_around_its_hit() {
        let line = format!("{}[hit]{}", "a".repeat(300), "b".repeat(300));
        let w = window(&line, "[");
        assert!(
            w.contains("[hit]") && w.starts_with('…') && w.ends_with('…'),
            "{w}"
        );
    }
}
