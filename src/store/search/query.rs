//! What the user typed, as FTS5 takes it: punctuated words quoted, the exact phrase of plain
//! words, prefixes expanded to the words of the log index, and FTS5's errors in plain words.

use super::SearchError;
use crate::store::Txn;
use rusqlite::params;

/// The query with every word that holds punctuation put in double quotes: what responders
/// search for is full of it (`updater-5c`, `10.0.0.5`, `req=cb892ffb`), and FTS5 would read
/// the `-` of a pod name as a column filter and refuse a `.` outright. Quoted, such a word is
/// the phrase of its parts, as the tokenizer splits the text it matches. Left alone: words of
/// letters, digits and `_` (a trailing `*` kept outside the quotes), the operators, `^word`,
/// and any query with NEAR(…), `{…}` or a double quote of its own left open.
pub(super) fn quote_punctuated(query: &str) -> String {
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
pub(super) fn phrase_of(query: &str) -> Option<String> {
    let words: Vec<&str> = query.split_whitespace().collect();
    let plain = words.len() >= 2
        && words.iter().all(|w| {
            w.chars().all(char::is_alphanumeric) && !matches!(*w, "AND" | "OR" | "NOT" | "NEAR")
        });
    plain.then(|| format!("\"{}\"", words.join(" ")))
}

/// An FTS5 error in plain words, or None for an error that is not about the query.
pub(super) fn plain_query_error(e: &rusqlite::Error) -> Option<String> {
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
    /// The query with each `word*` replaced by the words of `search_log` it stands for,
    /// `("replica" OR "replicas" OR "replication")`, or None to run it as it is.
    ///
    /// FTS5 answers a prefix by merging the position lists of every word it expands to before
    /// it returns the first row: 8–10 ms for `replica*` in the 1 GB benchmark, where reading
    /// the three words from the index's vocabulary and walking their OR newest first takes
    /// about 1 ms. Left as it is: a prefix of more than MAX_EXPANSION words (the OR would cost
    /// more than the merge), one that is not plain ASCII letters and digits (the tokenizer
    /// would fold it), and queries with syntax a group cannot stand in (NEAR, column filters).
    pub(super) fn expand_prefixes(&self, query: &str) -> Result<Option<String>, SearchError> {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

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
        crate::store::migrations::migrate(&mut conn).unwrap();
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
}
