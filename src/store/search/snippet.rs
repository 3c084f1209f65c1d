//! Each text's snippet: its best few words by FTS5's own rules (the query run again over just
//! that text in a temporary table), and a log line cut around its first hit.

use crate::store::Txn;
use rusqlite::{OptionalExtension, params};

/// Characters of a long line kept around the first highlighted hit.
const LINE_WINDOW: usize = 160;

/// Bytes of a text FTS5's snippet() is given at once. It scores the window around each hit by
/// going over every other hit and every sentence start, so its work grows with the square of
/// the hits: a 1 MB note of log lines took 6.7 s per search, 10 MB more than a minute. A longer
/// text is cut into pieces of about this size (at a line's end where one is near, else at a
/// space) and the snippet is taken from the first piece that holds the whole query, else the
/// first that holds any of its terms: the snippet's work per result is bounded by this, and
/// the rest is reading the text once. A text this short gets the snippet it always got.
const PIECE: usize = 4 << 10;

impl Txn<'_> {
    /// The best-matching few words of a stored text, on one line. `queries` are the query
    /// and the query's terms ORed (`Expr::any_term`), both in FTS5's form.
    pub(super) fn body_snippet(
        &self,
        id: i64,
        (fts, any): &(String, String),
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
        let pieces = pieces(&body);
        let mut insert = self
            .tx
            .prepare_cached("INSERT INTO temp.search_hit (rowid, text) VALUES (?1, ?2)")?;
        // In batches of 1, 2, 4, … pieces, until one holds the whole query: a hit near the
        // start is found without indexing the rest, and all of it is indexed at most once.
        let (mut inserted, mut batch, mut found) = (0, 1, None);
        while found.is_none() && inserted < pieces.len() {
            let end = (inserted + batch).min(pieces.len());
            for (i, piece) in pieces.iter().enumerate().take(end).skip(inserted) {
                insert.execute(params![i as i64, piece])?;
            }
            (inserted, batch) = (end, batch * 2);
            found = self.first_snippet(fts, mark)?;
        }
        if found.is_none() && pieces.len() > 1 {
            found = self.first_snippet(any, mark)?;
        }
        let snippet = match found {
            // FTS5 says where its piece's text goes on; the pieces around say where the text does.
            Some((i, mut snippet)) => {
                if i > 0 && !snippet.starts_with('…') {
                    snippet.insert(0, '…');
                }
                if i + 1 < pieces.len() && !snippet.ends_with('…') {
                    snippet.push('…');
                }
                snippet
            }
            None => body.chars().take(LINE_WINDOW).collect(),
        };
        Ok(snippet.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// The snippet of the first piece in temp.search_hit that `fts` matches, and its number.
    fn first_snippet(
        &self,
        fts: &str,
        mark: (&str, &str),
    ) -> rusqlite::Result<Option<(usize, String)>> {
        // In rowid order, FTS5's own: the snippet is cut for the first piece only.
        self.tx
            .prepare_cached(
                "SELECT rowid, snippet(search_hit, 0, ?2, ?3, '…', 24) FROM temp.search_hit
                 WHERE search_hit MATCH ?1 ORDER BY rowid LIMIT 1",
            )?
            .query_row(params![fts, mark.0, mark.1], |r| {
                Ok((r.get::<_, i64>(0)?.max(0) as usize, r.get(1)?))
            })
            .optional()
    }
}

/// `text` cut into pieces of at most PIECE bytes: after the last newline in a piece's second
/// half, else after its last space there, else at a character boundary (a line of one word).
fn pieces(text: &str) -> Vec<&str> {
    let mut out = Vec::with_capacity(text.len() / PIECE + 1);
    let mut rest = text;
    while rest.len() > PIECE {
        let half = &rest.as_bytes()[PIECE / 2..PIECE];
        let cut = memchr::memrchr(b'\n', half)
            .or_else(|| half.iter().rposition(u8::is_ascii_whitespace))
            .map_or_else(|| rest.floor_char_boundary(PIECE), |i| PIECE / 2 + i + 1);
        let (piece, tail) = rest.split_at(cut);
        out.push(piece);
        rest = tail;
    }
    out.push(rest);
    out
}

/// A line cut to about LINE_WINDOW characters around byte `at` (its first hit), trimmed. The
/// characters are counted, not collected: a line of megabytes costs one pass, no copy.
pub(super) fn window_at(line: &str, at: Option<usize>) -> String {
    let lead = line.len() - line.trim_start().len();
    let line = line.trim();
    if line.chars().nth(LINE_WINDOW).is_none() {
        return line.to_string();
    }
    let at = at
        .map(|b| b.saturating_sub(lead).min(line.len()))
        .filter(|b| line.is_char_boundary(*b))
        .map_or(0, |b| line[..b].chars().count());
    let start = at.saturating_sub(LINE_WINDOW / 3);
    let from = line
        .char_indices()
        .nth(start)
        .map_or(line.len(), |(i, _)| i);
    let to = line[from..]
        .char_indices()
        .nth(LINE_WINDOW)
        .map_or(line.len(), |(i, _)| from + i);
    let mut out = String::with_capacity(to - from + 6);
    if start > 0 {
        out.push('…');
    }
    out.push_str(&line[from..to]);
    if to < line.len() {
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

    /// The cut as it was, every character collected.
    fn window_collected(line: &str, at: Option<usize>) -> String {
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

    #[test]
    fn a_line_is_cut_as_when_its_characters_were_collected() {
        let unit =
            "\t 2026-11-29T09:00:01Z WARN user=Zoë café=über ip=10.0.0.7 req_id=ab-12_x → 🚀 ";
        for len in [0, 10, 159, 160, 161, 170, 400, 5_000] {
            let line: String = unit.chars().cycle().take(len).collect::<String>() + "\r";
            let mut ats: Vec<Option<usize>> = vec![None, Some(line.len()), Some(line.len() + 9)];
            ats.extend((0..line.len()).step_by(7).map(Some));
            for at in ats {
                assert_eq!(
                    window_at(&line, at),
                    window_collected(&line, at),
                    "{len} {at:?}"
                );
            }
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
