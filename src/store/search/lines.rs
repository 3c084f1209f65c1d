//! Finding the line of a log chunk that a query matches, without FTS5: byte patterns for the
//! query's terms over the decompressed chunk, on several cores.

use super::CANDIDATE_LINES;
use super::query::phrase_of;
use super::run::StoredChunk;
use super::snippet::window_at;

/// Each chunk's matching line and its number, with the line cut and highlighted for the
/// snippet; None where the finder cannot say (the caller asks FTS5 then). Split over the
/// cores, as the chunks are independent.
pub(super) fn find_lines(
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
pub(super) struct LineFinder {
    /// The exact phrase: one in quotes, or the query's plain words in their order.
    phrase: Option<Term>,
    /// Every term that must occur (those after NOT are left out).
    terms: Vec<Term>,
}

impl LineFinder {
    /// None for a query whose syntax this does not cover (column filters, `^`, `+`, `{…}`)
    /// or whose words are not ASCII (FTS5 folds diacritics, a byte pattern does not).
    pub(super) fn of(query: &str) -> Option<LineFinder> {
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
