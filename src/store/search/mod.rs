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
//!
//! By job: `index` writes the indexes as things are recorded, `migrate` holds the two schema
//! steps that (re)build them, `query` turns what the user typed into an FTS5 query, `run`
//! runs it (ranking, filters, the logs' newest first), and `lines` and `snippet` find each
//! hit's line and cut its snippet.

mod index;
mod lines;
mod migrate;
mod query;
mod run;
mod snippet;

pub(super) use index::{
    forget_blobs, index_action, index_blob, index_command_run, index_fields, index_pending_notes,
    index_snapshot,
};
pub(super) use migrate::{backfill, index_logs_apart};

use super::StoreError;
use crate::domain::time::Timestamp;

/// The tokenizer of `search` (schema.sql), repeated for the temporary table snippets use.
const TOKENIZE: &str = "unicode61 remove_diacritics 2";

/// Lines of a chunk tried for its snippet: bounds the work for a common word.
const CANDIDATE_LINES: usize = 200;

fn io_error(e: std::io::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
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
