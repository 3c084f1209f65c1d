//! Each text's snippet: its best few words by FTS5's own rules (the query run again over just
//! that text in a temporary table), and a log line cut around its first hit.

use crate::store::Txn;
use rusqlite::{OptionalExtension, params};

/// Characters of a long line kept around the first highlighted hit.
const LINE_WINDOW: usize = 160;

impl Txn<'_> {
    /// The best-matching few words of a stored text, on one line.
    pub(super) fn body_snippet(
        &self,
        id: i64,
        fts: &str,
        mark: (&str, &str),
    ) -> rusqlite::Result<String> {
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
            .query_row(params![fts, mark.0, mark.1], |r| r.get(0))
            .optional()?;
        let snippet = snippet.unwrap_or_else(|| body.chars().take(LINE_WINDOW).collect());
        Ok(snippet.split_whitespace().collect::<Vec<_>>().join(" "))
    }
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

    /// A line cut to about LINE_WINDOW characters around its first `mark`, trimmed.
    fn window(line: &str, mark: &str) -> String {
        let at = match mark {
            "" => None,
            m => line.find(m),
        };
        window_at(line, at)
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
