//! The lines of a stored blob (an attached log or command output): read in order from its
//! chunks, a line split between chunks put back together, only the chunks that hold the lines
//! asked for decompressed; and the highlighting of a query's terms in a line.

use super::io_error;
use super::query::Expr;
use super::snippet::window_at;
use rusqlite::{Connection, params};

/// A blob's lines are rows `blob_id << LINE_BITS | line` of `search_line`: a blob is one range
/// of rowids, in file order, and a hit's rowid says its log and line without a lookup. 2^36
/// lines per blob, 2^27 blobs.
pub(super) const LINE_BITS: u32 = 36;

pub(super) fn line_rowid(blob_id: i64, line: u64) -> i64 {
    (blob_id << LINE_BITS) | line as i64
}

/// The rowids of blob `blob_id`'s lines: from, to (inclusive).
pub(super) fn blob_range(blob_id: i64) -> (i64, i64) {
    (line_rowid(blob_id, 0), line_rowid(blob_id + 1, 0) - 1)
}

/// A chunk as listed: which lines it holds part of.
struct ChunkMeta {
    id: i64,
    first_line: u64,
    /// Newlines in it: it holds lines first_line ..= first_line + newlines (the last one may
    /// go on in the next chunk, or be empty).
    newlines: u64,
    size: usize,
}

/// Hands `f` each line (without its newline) of blob `blob_id` whose number `want` accepts,
/// in order; `wants_chunk(first, last)` says whether a chunk holding lines first..=last can
/// hold one (the others are not read). `f` returns false to stop.
pub(super) fn blob_lines<E: From<rusqlite::Error>>(
    conn: &Connection,
    blob_id: i64,
    wants_chunk: impl Fn(u64, u64) -> bool,
    mut f: impl FnMut(u64, &[u8]) -> Result<bool, E>,
) -> Result<(), E> {
    let chunks: Vec<ChunkMeta> = conn
        .prepare_cached(
            "SELECT id, first_line, lines, size FROM blob_chunks INDEXED BY blob_chunks_lines
             WHERE blob_id = ?1 ORDER BY first_line, seq",
        )?
        .query_map([blob_id], |r| {
            Ok(ChunkMeta {
                id: r.get(0)?,
                first_line: r.get::<_, i64>(1)?.max(0) as u64,
                newlines: r.get::<_, i64>(2)?.max(0) as u64,
                size: r.get::<_, i64>(3)?.max(0) as usize,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut dctx = zstd::bulk::Decompressor::new().map_err(io_error)?;
    let mut plain = Vec::new();
    // The start of a line that goes on in the next chunk.
    let mut carry: Vec<u8> = Vec::new();
    // After a chunk not read: the bytes up to the next newline end a line not asked for.
    let mut skipping = false;
    let mut number = 1;
    let mut data_stmt = conn.prepare_cached("SELECT data FROM blob_chunks WHERE id = ?1")?;
    for chunk in &chunks {
        if !wants_chunk(chunk.first_line, chunk.first_line + chunk.newlines) {
            carry.clear();
            skipping = true;
            continue;
        }
        let data: Vec<u8> = data_stmt.query_row(params![chunk.id], |r| r.get(0))?;
        plain.clear();
        plain.reserve(chunk.size);
        dctx.decompress_to_buffer(&data, &mut plain)
            .map_err(io_error)?;
        number = chunk.first_line;
        let mut rest = &plain[..];
        while let Some(i) = memchr::memchr(b'\n', rest) {
            let line = &rest[..i];
            rest = &rest[i + 1..];
            let go_on = if skipping {
                skipping = false;
                true
            } else if carry.is_empty() {
                f(number, line)?
            } else {
                carry.extend_from_slice(line);
                let go_on = f(number, &carry)?;
                carry.clear();
                go_on
            };
            if !go_on {
                return Ok(());
            }
            number += 1;
        }
        if !skipping {
            carry.extend_from_slice(rest);
        }
    }
    if !carry.is_empty() && !skipping {
        f(number, &carry)?;
    }
    Ok(())
}

/// Where a query's terms are in a line, to show them marked. For display only: which lines
/// match is FTS5's answer; this finds the words of the terms (ASCII case folded), as whole
/// tokens, a prefix's last word taken whole.
#[derive(Debug)]
pub struct Highlighter {
    terms: Vec<Term>,
}

#[derive(Debug)]
struct Term {
    re: regex::bytes::Regex,
    prefix: bool,
}

impl Highlighter {
    pub(super) fn of(expr: &Expr) -> Highlighter {
        let terms = expr
            .positive_terms()
            .into_iter()
            .filter_map(|(text, prefix)| {
                let words: Vec<String> = text
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(regex::escape)
                    .collect();
                if words.is_empty() || !text.is_ascii() {
                    return None;
                }
                let pattern = words.join(r"(?-u:[^0-9A-Za-z\x80-\xFF])+");
                let re = regex::bytes::RegexBuilder::new(&pattern)
                    .case_insensitive(true)
                    .unicode(false)
                    .build()
                    .ok()?;
                Some(Term { re, prefix })
            })
            .collect();
        Highlighter { terms }
    }

    /// The line marked, cut to about 160 characters around its first hit.
    pub fn snippet(&self, line: &[u8], mark: (&str, &str)) -> String {
        let (marked, first) = self.mark(line, mark);
        window_at(&marked, first)
    }

    /// The line with every occurrence of a term between the marks, and where the first mark
    /// is (the line may hold the marks' characters too: `[` in JSON).
    pub fn mark(&self, line: &[u8], mark: (&str, &str)) -> (String, Option<usize>) {
        let token = |b: u8| b.is_ascii_alphanumeric() || b >= 0x80;
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for t in &self.terms {
            for m in t.re.find_iter(line) {
                if m.start() > 0 && token(line[m.start() - 1]) {
                    continue;
                }
                let mut end = m.end();
                if t.prefix {
                    while end < line.len() && token(line[end]) {
                        end += 1;
                    }
                } else if end < line.len() && token(line[end]) {
                    continue;
                }
                spans.push((m.start(), end));
            }
        }
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
