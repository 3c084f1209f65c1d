//! Each hit's snippet: the best few words of a stored text, or the best line of a chunk by
//! FTS5's own rules (the query run again over the chunk's candidate lines in a temporary
//! table), cut around its first hit.

use super::query::phrase_of;
use super::{CANDIDATE_LINES, SearchQuery};
use crate::store::Txn;
use rusqlite::{OptionalExtension, params};

/// Characters of a long line kept around the first highlighted hit.
const LINE_WINDOW: usize = 160;

/// The words of a query, lowercased, to find a chunk's candidate lines cheaply.
fn terms_of(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !matches!(*w, "AND" | "OR" | "NOT" | "NEAR"))
        .map(str::to_lowercase)
        .collect()
}

impl Txn<'_> {
    /// The best-matching few words of a stored text, on one line.
    pub(super) fn body_snippet(&self, id: i64, q: &SearchQuery) -> rusqlite::Result<String> {
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
    pub(super) fn fts_line_snippet(
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

/// A line cut to about LINE_WINDOW characters around its first `mark`, trimmed.
fn window(line: &str, mark: &str) -> String {
    let at = match mark {
        "" => None,
        m => line.find(m),
    };
    window_at(line, at)
}

/// A line cut to about LINE_WINDOW characters around byte `at` (its first hit), trimmed.
pub(super) fn window_at(line: &str, at: Option<usize>) -> String {
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
    fn a_long_line_is_cut_around_its_hit() {
        let line = format!("{}[hit]{}", "a".repeat(300), "b".repeat(300));
        let w = window(&line, "[");
        assert!(
            w.contains("[hit]") && w.starts_with('…') && w.ends_with('…'),
            "{w}"
        );
    }
}
