//! Full-text search (SQLite FTS5) over everything recorded: incident fields, notes, snapshot
//! texts, command lines, and the chunks of attached logs and command output.
//!
//! Two contentless FTS5 indexes whose rowids are `search_docs` rows: `search` for what was
//! written (its already redacted text kept in `search_docs.body`), ranked by bm25, and
//! `search_log` for the chunks of logs and command output, shown newest first. A chunk is
//! indexed once, however many attachments or command runs share its blob, and is joined to
//! them when searched. The indexes are written in the same transaction as what they index, by
//! the store methods that write it; a hit's line and snippet are found afterwards in the few
//! results shown (byte patterns over the decompressed chunk, or the query run again over just
//! their text in a temporary FTS5 table).

use super::{StoreError, Txn};
use crate::domain::time::{self, Timestamp};
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
    let index = match chunk_id {
        Some(_) => "INSERT INTO search_log (rowid, text) VALUES (?1, ?2)",
        None => "INSERT INTO search (rowid, text) VALUES (?1, ?2)",
    };
    conn.prepare_cached(index)?.execute(params![id, text])?;
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

/// An action item's text, under `action ID` (the id `incident action done` takes), counted in
/// the mark (see `ACTIONS_MARK`).
pub(super) fn index_action(conn: &Connection, action_id: i64) -> rusqlite::Result<()> {
    add_action_doc(conn, action_id)?;
    conn.prepare_cached(
        "UPDATE search_docs SET body = CAST(body AS INTEGER) + 1
         WHERE incident_pk IS NULL AND kind = 'mark' AND ref = 'action_items'",
    )?
    .execute([])?;
    Ok(())
}

fn add_action_doc(conn: &Connection, action_id: i64) -> rusqlite::Result<()> {
    let (incident_pk, text, at): (i64, String, String) = conn
        .prepare_cached("SELECT incident_pk, text, created_at FROM action_items WHERE id = ?1")?
        .query_row([action_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let reference = format!("action {action_id}");
    add_doc(
        conn,
        "action",
        Some(incident_pk),
        &reference,
        &at,
        None,
        &text,
    )
}

/// How many action items are in the index: a `search_docs` row of kind `mark` (never in the
/// index itself, so never a result) whose body is the count. `action add` indexes its item and
/// counts it; an item written any other way (by a version before action items were
/// searchable, or by `import`, which keeps ids from the file) leaves the count behind the
/// table's, and the next search indexes what is missing. No migration needed; ids are no
/// high-water mark here, as an import can add ids below the highest.
const ACTIONS_MARK: &str = "SELECT id, CAST(body AS INTEGER) FROM search_docs
     WHERE incident_pk IS NULL AND kind = 'mark' AND ref = 'action_items'";

/// Whether some action items are not counted in the index: the count triggers keep (version
/// 8) against the mark's.
fn actions_pending(conn: &Connection) -> rusqlite::Result<bool> {
    let counted: i64 = conn
        .prepare_cached(ACTIONS_MARK)?
        .query_row([], |r| r.get(1))
        .optional()?
        .unwrap_or(0);
    conn.prepare_cached("SELECT actions_written <> ?1 FROM search_state WHERE id = 1")?
        .query_row([counted], |r| r.get(0))
}

/// Indexes the action items that are not, and sets the count.
fn index_unindexed_actions(conn: &Connection) -> rusqlite::Result<()> {
    let unindexed: Vec<i64> = conn
        .prepare_cached(
            "SELECT a.id FROM action_items a WHERE NOT EXISTS (
                 SELECT 1 FROM search_docs d
                 WHERE d.incident_pk = a.incident_pk AND d.kind = 'action'
                   AND d.ref = 'action ' || a.id)
             ORDER BY a.id",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in unindexed {
        add_action_doc(conn, id)?;
    }
    let count: i64 = conn.query_row("SELECT count(*) FROM action_items", [], |r| r.get(0))?;
    let mark: Option<i64> = conn
        .prepare_cached(ACTIONS_MARK)?
        .query_row([], |r| r.get(0))
        .optional()?;
    match mark {
        Some(id) => conn.execute(
            "UPDATE search_docs SET body = ?2 WHERE id = ?1",
            params![id, count.to_string()],
        )?,
        None => conn.execute(
            "INSERT INTO search_docs (kind, ref, body) VALUES ('mark', 'action_items', ?1)",
            [count.to_string()],
        )?,
    };
    Ok(())
}

/// Indexes the notes written since the last time, and moves the mark past them (and the
/// action items written without being indexed, likewise).
pub(super) fn index_pending_notes(conn: &Connection) -> rusqlite::Result<usize> {
    if actions_pending(conn)? {
        index_unindexed_actions(conn)?;
    }
    index_new_notes(conn)
}

/// Indexes the notes written since the last time and moves the mark past them.
fn index_new_notes(conn: &Connection) -> rusqlite::Result<usize> {
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
    let blob_id = index_command_line(conn, run_id)?;
    index_blob(conn, blob_id)
}

/// A command run's command line; returns its output's blob.
fn index_command_line(conn: &Connection, run_id: i64) -> rusqlite::Result<i64> {
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
    Ok(blob_id)
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
        let plain = chunk_text(&mut decompressor, row.get(1)?, row.get_ref(2)?.as_blob()?)?;
        add_doc(conn, "chunk", None, "", "", Some(row.get(0)?), &plain)?;
    }
    Ok(())
}

/// A stored chunk's text, as indexed: its decompressed bytes, invalid UTF-8 replaced.
fn chunk_text(
    decompressor: &mut zstd::bulk::Decompressor,
    size: i64,
    data: &[u8],
) -> rusqlite::Result<String> {
    let plain = decompressor
        .decompress(data, size.max(0) as usize)
        .map_err(io_error)?;
    Ok(String::from_utf8_lossy(&plain).into_owned())
}

/// Drops the index entries of the chunks of the blobs `blobs_sql` selects (ids), before `gc`
/// deletes them.
pub(super) fn forget_blobs(conn: &Connection, blobs_sql: &str) -> rusqlite::Result<()> {
    let docs = format!(
        "SELECT d.id FROM search_docs d JOIN blob_chunks c ON c.id = d.chunk_id
         WHERE c.blob_id IN ({blobs_sql})"
    );
    conn.execute(
        &format!("DELETE FROM search_log WHERE rowid IN ({docs})"),
        [],
    )?;
    conn.execute(&format!("DELETE FROM search_docs WHERE id IN ({docs})"), [])?;
    Ok(())
}

/// Version 6: indexes everything recorded before search existed, but for the chunks of logs
/// and command output, which version 8 indexes apart.
pub(super) fn backfill(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let ids = |sql: &str| -> rusqlite::Result<Vec<i64>> {
        tx.prepare(sql)?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()
    };
    for pk in ids("SELECT pk FROM incidents ORDER BY pk")? {
        index_fields(tx, pk)?;
    }
    index_new_notes(tx)?;
    for id in ids("SELECT id FROM snapshots WHERE incident_pk IS NOT NULL ORDER BY id")? {
        index_snapshot(tx, id)?;
    }
    for id in ids("SELECT id FROM command_runs ORDER BY id")? {
        index_command_line(tx, id)?;
    }
    Ok(())
}

/// Version 8: the chunks of logs and command output go to their own index, `search_log`.
/// Those a version 6 or 7 indexed in `search` move there (their text read back from the
/// chunk); a database that comes from before version 6 has its logs indexed here.
pub(super) fn index_logs_apart(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let chunks: Vec<i64> = tx
        .prepare("SELECT id FROM search_docs WHERE chunk_id IS NOT NULL ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut decompressor = zstd::bulk::Decompressor::new().map_err(io_error)?;
    for id in &chunks {
        let (size, data): (i64, Vec<u8>) = tx
            .prepare_cached(
                "SELECT c.size, c.data FROM search_docs d JOIN blob_chunks c ON c.id = d.chunk_id
                 WHERE d.id = ?1",
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let text = chunk_text(&mut decompressor, size, &data)?;
        tx.prepare_cached("DELETE FROM search WHERE rowid = ?1")?
            .execute([id])?;
        tx.prepare_cached("INSERT INTO search_log (rowid, text) VALUES (?1, ?2)")?
            .execute(params![id, text])?;
    }
    if !chunks.is_empty() {
        // What was deleted stays in the index's segments until they are merged: merge now,
        // or every search would still read past the chunks' positions.
        tx.execute("INSERT INTO search (search) VALUES ('optimize')", [])?;
    }
    let blobs: Vec<i64> = tx
        .prepare(
            "SELECT blob_id FROM attachments UNION SELECT output_blob_id FROM command_runs
             ORDER BY 1",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for blob in blobs {
        index_blob(tx, blob)?;
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
    /// field, note, snapshot, command, log, action.
    pub kind: Option<&'q str>,
    pub limit: usize,
    /// What goes around each hit in the snippets.
    pub mark: (&'q str, &'q str),
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub number: i64,
    /// field, note, snapshot, command, log, action.
    pub kind: String,
    /// Which one within the incident: 'root_cause', 'snapshot 1 logs/app=updater',
    /// 'attachment 2', 'command 3', 'action 7'.
    pub reference: String,
    /// The line of a log or command output the snippet is from.
    pub line: Option<u64>,
    pub at: Timestamp,
    /// bm25 (lower is better) of what was written; None for the lines of logs and command
    /// output, which are shown newest first.
    pub score: Option<f64>,
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

/// The query with every word that holds punctuation put in double quotes: what responders
/// search for is full of it (`updater-5c`, `10.0.0.5`, `req=cb892ffb`), and FTS5 would read
/// the `-` of a pod name as a column filter and refuse a `.` outright. Quoted, such a word is
/// the phrase of its parts, as the tokenizer splits the text it matches. Left alone: words of
/// letters, digits and `_` (a trailing `*` kept outside the quotes), the operators, `^word`,
/// and any query with NEAR(…), `{…}` or a double quote of its own left open.
fn quote_punctuated(query: &str) -> String {
    let plain = |w: &str| {
        w.trim_start_matches('^')
            .trim_end_matches('*')
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_')
    };
    if query.contains("NEAR") || query.contains(['{', '}']) || query.matches('"').count() % 2 == 1 {
        return query.to_string();
    }
    let mut out = String::with_capacity(query.len() + 8);
    for (i, part) in query.split('"').enumerate() {
        if i > 0 {
            out.push('"');
        }
        if i % 2 == 1 {
            out.push_str(part);
            continue;
        }
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String| {
            if !word.is_empty() && !plain(word) && word.chars().any(char::is_alphanumeric) {
                let stem = word.trim_end_matches('*');
                let star = &word[stem.len()..];
                out.push_str(&format!("\"{stem}\"{star}"));
            } else {
                out.push_str(word);
            }
            word.clear();
        };
        for c in part.chars() {
            if c.is_whitespace() || c == '(' || c == ')' {
                flush(&mut word, &mut out);
                out.push(c);
            } else {
                word.push(c);
            }
        }
        flush(&mut word, &mut out);
    }
    out
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

    /// The query with each `word*` replaced by the words of `search_log` it stands for,
    /// `("replica" OR "replicas" OR "replication")`, or None to run it as it is.
    ///
    /// FTS5 answers a prefix by merging the position lists of every word it expands to before
    /// it returns the first row: 8–10 ms for `replica*` in the 1 GB benchmark, where reading
    /// the three words from the index's vocabulary and walking their OR newest first takes
    /// about 1 ms. Left as it is: a prefix of more than MAX_EXPANSION words (the OR would cost
    /// more than the merge), one that is not plain ASCII letters and digits (the tokenizer
    /// would fold it), and queries with syntax a group cannot stand in (NEAR, column filters).
    fn expand_prefixes(&self, query: &str) -> Result<Option<String>, SearchError> {
        const MAX_EXPANSION: usize = 64;
        if !query.contains('*') || query.contains([':', '^', '+', '{', '}']) {
            return Ok(None);
        }
        let mut out = String::with_capacity(query.len());
        for (i, part) in query.split('"').enumerate() {
            if i > 0 {
                out.push('"');
            }
            if i % 2 == 1 {
                out.push_str(part);
                continue;
            }
            let mut rest = part;
            while let Some(star) = rest.find('*') {
                let (before, after) = rest.split_at(star);
                let start = before
                    .rfind(|c: char| !c.is_ascii_alphanumeric())
                    .map_or(0, |i| i + 1);
                let stem = &before[start..];
                // A word of its own: `crypto_pri*` is the phrase "crypto pri*" to FTS5.
                let boundary = before[..start].chars().next_back();
                let plain = !stem.is_empty()
                    && boundary.is_none_or(|c| c.is_whitespace() || c == '(' || c == ')');
                if !plain || query.contains("NEAR") {
                    return Ok(None);
                }
                let words = self.words_starting(&stem.to_ascii_lowercase(), MAX_EXPANSION + 1)?;
                if words.is_empty() || words.len() > MAX_EXPANSION {
                    return Ok(None);
                }
                out.push_str(&before[..start]);
                let any: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
                out.push_str(&format!("({})", any.join(" OR ")));
                rest = &after[1..];
            }
            out.push_str(rest);
        }
        Ok(Some(out))
    }

    /// Up to `max` words of `search_log` that start with `prefix` (lowercase ASCII).
    fn words_starting(&self, prefix: &str, max: usize) -> rusqlite::Result<Vec<String>> {
        self.tx.execute_batch(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_log_words
             USING fts5vocab(main, search_log, row)",
        )?;
        // The first string after every one that starts with the prefix.
        let mut end = prefix.to_string();
        let last = end.pop().map_or('\0', |c| (c as u8 + 1) as char);
        end.push(last);
        self.tx
            .prepare_cached(
                "SELECT term FROM temp.search_log_words WHERE term >= ?1 AND term < ?2 LIMIT ?3",
            )?
            .query_map(params![prefix, end, max as i64], |r| r.get(0))?
            .collect()
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

    /// The best-matching few words of a stored text, on one line.
    fn body_snippet(&self, id: i64, q: &SearchQuery) -> rusqlite::Result<String> {
        let body: String = self
            .tx
            .prepare_cached("SELECT coalesce(body, '') FROM search_docs WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?;
        // Cached statements: a search cuts up to its limit of snippets.
        self.tx
            .prepare_cached("DELETE FROM temp.search_hit")?
            .execute([])?;
        self.tx
            .prepare_cached("INSERT INTO temp.search_hit (text) VALUES (?1)")?
            .execute([&body])?;
        let snippet: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT snippet(search_hit, 0, ?2, ?3, '…', 24) FROM temp.search_hit
                 WHERE search_hit MATCH ?1",
            )?
            .query_row(params![q.query, q.mark.0, q.mark.1], |r| r.get(0))
            .optional()?;
        let snippet = snippet.unwrap_or_else(|| body.chars().take(LINE_WINDOW).collect());
        Ok(snippet.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// The line of a chunk the query matches best by FTS5's own rules: the candidate lines go
    /// into a temporary FTS5 table and the query runs over them.
    fn fts_line_snippet(
        &self,
        first_line: u64,
        plain: &[u8],
        q: &SearchQuery,
    ) -> rusqlite::Result<(Option<u64>, String)> {
        let text = String::from_utf8_lossy(plain);
        let terms = terms_of(q.query);
        self.tx
            .prepare_cached("DELETE FROM temp.search_hit")?
            .execute([])?;
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
                return Ok((Some(first_line + i as u64), window(&line, q.mark.0)));
            }
        }
        Ok(match first_candidate {
            Some((i, line)) => (Some(first_line + i as u64), window(line, "")),
            None => (Some(first_line), String::new()),
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
struct StoredChunk {
    first_line: u64,
    size: usize,
    data: Vec<u8>,
}

/// Each chunk's matching line and its number, with the line cut and highlighted for the
/// snippet; None where the finder cannot say (the caller asks FTS5 then). Split over the
/// cores, as the chunks are independent.
fn find_lines(
    chunks: &[Option<StoredChunk>],
    finder: Option<&LineFinder>,
    mark: (&str, &str),
) -> Vec<Option<(u64, String)>> {
    let Some(finder) = finder else {
        return chunks.iter().map(|_| None).collect();
    };
    // One decompressor and one buffer per thread, reused: a fresh buffer per chunk
    // cost more in page faults than finding the line in it.
    let one = |dctx: &mut zstd::bulk::Decompressor, plain: &mut Vec<u8>, chunk: &StoredChunk| {
        plain.clear();
        plain.reserve(chunk.size);
        dctx.decompress_to_buffer(&chunk.data, plain).ok()?;
        let (start, end) = finder.best_line(plain)?;
        let before = plain[..start].iter().filter(|b| **b == b'\n').count() as u64;
        let (line, first) = finder.highlight(&plain[start..end], mark);
        Some((chunk.first_line + before, window_at(&line, first)))
    };
    let run = |part: &[Option<StoredChunk>]| -> Vec<Option<(u64, String)>> {
        let mut dctx = zstd::bulk::Decompressor::new().ok();
        let mut plain = Vec::new();
        part.iter()
            .map(|c| match (c, dctx.as_mut()) {
                (Some(chunk), Some(dctx)) => one(dctx, &mut plain, chunk),
                _ => None,
            })
            .collect()
    };
    let work = chunks.iter().filter(|c| c.is_some()).count();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    if work < 2 || threads < 2 {
        return run(chunks);
    }
    let per_thread = chunks.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = chunks
            .chunks(per_thread)
            .map(|part| scope.spawn(move || run(part)))
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// One thing a query looks for, as FTS5 would tokenize it: a word, a prefix (`crypto*`) or a
/// phrase of several (lowercase, letters and digits only).
#[derive(Debug)]
struct Term {
    re: regex::bytes::Regex,
    /// The last word may be followed by more letters (`crypto*`).
    prefix: bool,
}

impl Term {
    fn new(words: &[String], prefix: bool) -> Option<Term> {
        if words.is_empty() {
            return None;
        }
        let pattern = words
            .iter()
            .map(|w| regex::escape(w))
            .collect::<Vec<_>>()
            .join(r"(?-u:[^0-9A-Za-z\x80-\xFF])+");
        // The words are ASCII (LineFinder::of): ASCII case folding is enough, and compiling
        // Unicode's case classes cost a third of a millisecond per search.
        let re = regex::bytes::RegexBuilder::new(&pattern)
            .case_insensitive(true)
            .unicode(false)
            .build()
            .ok()?;
        Some(Term { re, prefix })
    }

    /// Where the term occurs in `hay` as whole tokens, a prefix's token taken whole.
    fn find_iter<'h>(&'h self, hay: &'h [u8]) -> impl Iterator<Item = (usize, usize)> + 'h {
        let token = |b: u8| b.is_ascii_alphanumeric() || b >= 0x80;
        self.re.find_iter(hay).filter_map(move |m| {
            if m.start() > 0 && token(hay[m.start() - 1]) {
                return None;
            }
            let mut end = m.end();
            if self.prefix {
                while end < hay.len() && token(hay[end]) {
                    end += 1;
                }
            } else if end < hay.len() && token(hay[end]) {
                return None;
            }
            Some((m.start(), end))
        })
    }
}

/// The terms of a query of plain words, phrases and prefixes (and AND, OR, NOT, NEAR between
/// them), to find the line of a chunk they match without tokenizing the chunk's lines.
#[derive(Debug)]
struct LineFinder {
    /// The exact phrase: one in quotes, or the query's plain words in their order.
    phrase: Option<Term>,
    /// Every term that must occur (those after NOT are left out).
    terms: Vec<Term>,
}

impl LineFinder {
    /// None for a query whose syntax this does not cover (column filters, `^`, `+`, `{…}`)
    /// or whose words are not ASCII (FTS5 folds diacritics, a byte pattern does not).
    fn of(query: &str) -> Option<LineFinder> {
        if !query.is_ascii() || query.contains([':', '^', '+', '{', '}']) {
            return None;
        }
        let words = |text: &str| -> Vec<String> {
            text.split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_ascii_lowercase)
                .collect()
        };
        let mut terms = Vec::new();
        let mut quoted = None;
        let mut negated = false;
        for (i, part) in query.split('"').enumerate() {
            if i % 2 == 1 {
                let phrase = part.trim_end();
                let term = Term::new(&words(phrase), false)?;
                if !std::mem::take(&mut negated) {
                    if quoted.is_none() {
                        quoted = Term::new(&words(phrase), false);
                    }
                    terms.push(term);
                }
                continue;
            }
            for bare in part.split(|c: char| c.is_whitespace() || "(),".contains(c)) {
                match bare {
                    "" | "AND" | "OR" | "NEAR" => continue,
                    "NOT" => {
                        negated = true;
                        continue;
                    }
                    _ => {}
                }
                let prefix = bare.ends_with('*');
                let ws = words(bare.trim_end_matches('*'));
                if ws.is_empty() || std::mem::take(&mut negated) {
                    continue;
                }
                terms.push(Term::new(&ws, prefix)?);
            }
        }
        if terms.is_empty() {
            return None;
        }
        let phrase = match quoted {
            Some(p) => Some(p),
            None => phrase_of(query).and_then(|p| Term::new(&words(&p), false)),
        };
        Some(LineFinder { phrase, terms })
    }

    /// The byte range of the best line of `text` (without its newline).
    fn best_line(&self, text: &[u8]) -> Option<(usize, usize)> {
        let line_of = |at: usize| {
            let start = text[..at]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1);
            let end = text[at..]
                .iter()
                .position(|b| *b == b'\n')
                .map_or(text.len(), |i| at + i);
            (start, end)
        };
        if let Some(phrase) = &self.phrase
            && let Some((at, _)) = phrase.find_iter(text).next()
        {
            return Some(line_of(at));
        }
        // The first line holding every term, among the first few lines holding the first.
        let mut last = None;
        for (at, _) in self.terms[0].find_iter(text).take(CANDIDATE_LINES) {
            let (start, end) = line_of(at);
            if last == Some(start) {
                continue;
            }
            last = Some(start);
            let line = &text[start..end];
            if self.terms[1..]
                .iter()
                .all(|t| t.find_iter(line).next().is_some())
            {
                return Some((start, end));
            }
        }
        self.terms
            .iter()
            .filter_map(|t| t.find_iter(text).next())
            .map(|(at, _)| at)
            .min()
            .map(line_of)
    }

    /// The line with every occurrence of a term (or the phrase) between the marks, and where
    /// the first mark is (the text may hold the marks' characters too: `[` in JSON).
    fn highlight(&self, line: &[u8], mark: (&str, &str)) -> (String, Option<usize>) {
        let mut spans: Vec<(usize, usize)> = self
            .phrase
            .iter()
            .chain(&self.terms)
            .flat_map(|t| t.find_iter(line))
            .collect();
        spans.sort_unstable();
        let mut out = String::with_capacity(line.len() + 16);
        let mut first = None;
        let mut done = 0;
        for (start, end) in spans {
            if start < done {
                continue;
            }
            out.push_str(&String::from_utf8_lossy(&line[done..start]));
            first.get_or_insert(out.len());
            out.push_str(mark.0);
            out.push_str(&String::from_utf8_lossy(&line[start..end]));
            out.push_str(mark.1);
            done = end;
        }
        out.push_str(&String::from_utf8_lossy(&line[done..]));
        (out, first)
    }
}

/// A line cut to about LINE_WINDOW characters around its first `mark`, trimmed.
fn window(line: &str, mark: &str) -> String {
    let at = match mark {
        "" => None,
        m => line.find(m),
    };
    window_at(line, at)
}

/// A line cut to about LINE_WINDOW characters around byte `at` (its first hit), trimmed.
fn window_at(line: &str, at: Option<usize>) -> String {
    let lead = line.len() - line.trim_start().len();
    let line = line.trim();
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= LINE_WINDOW {
        return line.to_string();
    }
    let at = at
        .map(|b| b.saturating_sub(lead).min(line.len()))
        .filter(|b| line.is_char_boundary(*b))
        .map_or(0, |b| line[..b].chars().count());
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
    fn prefixes_become_the_log_words_they_stand_for() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrations::migrate(&mut conn).unwrap();
        let mut many = String::new();
        for i in 0..65 {
            many.push_str(&format!(" w{i}"));
        }
        conn.execute(
            "INSERT INTO search_log (rowid, text) VALUES
                 (1, 'replica lag on replicas'), (2, 'Replication stopped; REPLAY'), (3, ?1)",
            [&many],
        )
        .unwrap();
        let txn = Txn {
            tx: conn.transaction().unwrap(),
            path: std::path::Path::new(":memory:"),
        };
        let expand = |q: &str| txn.expand_prefixes(q).unwrap();
        let replica = r#"("replica" OR "replicas" OR "replication")"#;
        assert_eq!(expand("replica*"), Some(replica.to_string()));
        assert_eq!(expand("Replica*"), Some(replica.to_string()));
        assert_eq!(
            expand(r#"lag AND (replica* OR "repl*") NOT repla*"#),
            Some(format!(r#"lag AND ({replica} OR "repl*") NOT ("replay")"#))
        );
        assert_eq!(expand("lag"), None, "no prefix");
        assert_eq!(
            expand("zz*"),
            None,
            "no such word: FTS5 answers that at once"
        );
        assert_eq!(expand("w*"), None, "65 words: more than an OR is worth");
        assert_eq!(expand("crypto_repl*"), None, "a phrase to FTS5");
        assert_eq!(expand("NEAR(repl* lag)"), None);
        assert_eq!(expand("text:repl*"), None);
    }

    #[test]
    fn words_with_punctuation_are_quoted() {
        for (query, quoted) in [
            ("updater-5c", r#""updater-5c""#),
            ("dial 10.0.0.5 refused", r#"dial "10.0.0.5" refused"#),
            (
                "req=cb89* OR (pod-a AND lag)",
                r#""req=cb89"* OR ("pod-a" AND lag)"#,
            ),
            (
                r#""connection refused" crypto_prices"#,
                r#""connection refused" crypto_prices"#,
            ),
            ("replica* NOT ^start", "replica* NOT ^start"),
            ("NEAR(pod-a lag, 5)", "NEAR(pod-a lag, 5)"),
            (r#"open "quote-d"#, r#"open "quote-d"#),
            ("a - b", "a - b"),
        ] {
            assert_eq!(quote_punctuated(query), quoted, "{query}");
        }
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
