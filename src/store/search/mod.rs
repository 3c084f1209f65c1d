//! Full-text search (SQLite FTS5) over everything recorded: incident fields (the post-mortem's
//! prose among them), notes, post-mortem lessons and links, snapshot texts, command lines and
//! action items (`search`, one row per text, ranked by bm25), and
//! every line of attached logs and command output (`search_line`, one row per line, in file
//! order), so that a query's AND, NOT, phrases and NEAR hold within one text or one line.
//!
//! `search_docs` says what each text of `search` is (its already redacted text kept in
//! `body`); a line's rowid says its blob and line number (`lines::LINE_BITS`), and a blob is
//! joined to its attachments and command runs when searched: content attached twice is
//! indexed once. The indexes are written in the same transaction as what they index, by the
//! store methods that write it.
//!
//! By job: `index` writes the indexes as things are recorded, `migrate` holds the schema steps
//! that (re)build them, `query` parses what the user typed into an FTS5 query, `run` runs it
//! (ranking, filters, totals, the logs newest first), `lines` reads a blob's lines back and
//! marks the query's words, `snippet` cuts a text's snippet, and `similar` finds past
//! incidents like one (`phrases`: which of a query's phrases a row holds).

mod index;
mod lines;
mod migrate;
mod phrases;
mod query;
mod run;
mod similar;
mod snippet;

#[cfg(test)]
mod growth;
#[cfg(test)]
mod reference;

pub(super) use index::{
    FIELDS, TIMELINE_KINDS, drop_deleted_words, forget_blobs, index_action, index_blob,
    index_command_run, index_fields, index_fields_later, index_fields_since, index_pending_notes,
    index_snapshot, last_doc, replace_doc, timeline_doc,
};
pub use lines::Highlighter;
pub(super) use migrate::{backfill, index_lines, index_logs_apart, index_postmortem};
pub use run::{Found, LogMatches, LogRef};
pub use similar::Similar;

use super::StoreError;
use crate::domain::time::Timestamp;

/// Adds what the past-incidents lookup needs to a new connection: FTS5's `incident_phrases`
/// and rusqlite's `rarray`, so any statement may use them. Every command pays for it: about
/// 20,000 instructions (callgrind, `list`: 5.75 million before, 5.77 million after), where
/// registering on first use cost a failed prepare of the statement.
pub(super) fn extend(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    phrases::register(conn)?;
    rusqlite::vtab::array::load_module(conn)
}

/// The tokenizer of `search` and `search_line` (schema.sql), repeated for the temporary table
/// snippets use.
const TOKENIZE: &str = "unicode61 remove_diacritics 2";

/// Matching log lines counted exactly for a page of results; beyond, the total is "more
/// than" this (`--count` counts them all).
pub const COUNTED_LINES: u64 = 10_000;

/// Bytes of logs version 10 indexes per second, line by line (BENCHMARKS.md, "logs": the
/// ingest rate of `attach`, indexing included, on the benchmark machine).
const INDEX_BYTES_PER_SECOND: u64 = 17_000_000;

/// How much version 10 will index, and about how long it takes, for a database at `version`.
pub(super) fn reindex_estimate(
    conn: &rusqlite::Connection,
    version: i64,
) -> Result<Option<(u64, std::time::Duration)>, StoreError> {
    // Blobs exist from version 5; version 10 indexes lines.
    if !(5..10).contains(&version) {
        return Ok(None);
    }
    let bytes = migrate::bytes_to_index(conn)?;
    Ok((bytes > 0).then(|| {
        (
            bytes,
            std::time::Duration::from_secs_f64(bytes as f64 / INDEX_BYTES_PER_SECOND as f64),
        )
    }))
}

fn io_error(e: std::io::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

/// What to search for, and where.
#[derive(Debug, Clone)]
pub struct SearchQuery<'q> {
    /// The query language (`query.rs`, the README): words, "phrases", prefix*, ^start,
    /// AND/OR/NOT, NEAR(…).
    pub query: &'q str,
    /// Only this incident (its number).
    pub incident: Option<i64>,
    pub since: Option<Timestamp>,
    /// field, note, lesson, link, snapshot, command, log, action.
    pub kind: Option<&'q str>,
    /// At most this many results (texts and lines); None for all.
    pub limit: Option<usize>,
    /// Only the totals, counted exactly: no texts or lines.
    pub count: bool,
    /// What goes around each hit in the snippets.
    pub mark: (&'q str, &'q str),
}

/// One text found (the lines of logs are `LogMatches`).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub number: i64,
    /// field, note, lesson, link, snapshot, command, log, action.
    pub kind: String,
    /// Which one within the incident: 'root_cause', 'snapshot 1 logs/app=updater',
    /// 'attachment 2', 'command 3', 'action 7', 'went wrong' (a lesson's list), 'action 7 bug'
    /// or 'supporting information' (a link).
    pub reference: String,
    pub at: Timestamp,
    /// bm25 (lower is better).
    pub score: f64,
    /// Whether the words occur as the exact phrase typed.
    pub exact: bool,
    pub snippet: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query is malformed or has no word; the text says why, in plain words, with an
    /// example.
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
