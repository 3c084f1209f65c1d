//! Telling recurring problems: a key for a title or root cause that stays the same when the
//! wording changes a little ("Data collection stopped" and "data collection stopped again"),
//! and the full-text query that finds past incidents like a new one (`open`, `show`).

/// Words that say nothing about what broke.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "again", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is",
    "it", "its", "of", "on", "or", "the", "to", "was", "were", "with", "still", "not", "no",
];

/// The sorted set of significant words: lower case, digits and punctuation dropped, stop words
/// and one-letter words removed, a plural `s` stripped. Empty for empty text.
pub fn key(text: &str) -> String {
    let mut words = significant_words(text);
    words.sort();
    words.dedup();
    words.join(" ")
}

/// `key`'s words in the order of the text, repeats included.
fn significant_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .map(|w| w.to_lowercase())
        .map(|w| {
            w.chars()
                .filter(|c| !c.is_ascii_digit())
                .collect::<String>()
        })
        .filter(|w| w.chars().count() > 1 && !STOPWORDS.contains(&w.as_str()))
        .map(|w| match w.strip_suffix('s') {
            Some(stem) if stem.chars().count() > 2 && !stem.ends_with('s') => stem.to_string(),
            _ => w,
        })
        .collect()
}

/// Words of a probe beyond these add little to the ranking and cost a lookup each.
const MAX_TERMS: usize = 16;

/// The FTS5 query for texts like `texts` (an incident's title first, then its services and
/// its description): any of `fts_terms`. None when no word is significant.
pub fn fts_query(texts: &[&str]) -> Option<String> {
    let terms = fts_terms(texts);
    (!terms.is_empty()).then(|| terms.join(" OR "))
}

/// The FTS5 query for texts holding every significant word of `text` (as `fts_query` quotes
/// them), and with `ids` every identifier too: the close matches, looked for before any word
/// will do (identifiers first, as they tell one problem from another, `ORA-00060`; then
/// without, as they also differ from one occurrence to the next, `cache-01`, `cache-02`).
/// None for fewer than two terms, where it would be `fts_query`'s.
pub fn fts_query_all(text: &str, ids: bool) -> Option<String> {
    let terms = title_terms(text, ids);
    (terms.len() > 1).then(|| terms.join(" AND "))
}

/// The terms `fts_query_all` joins: every significant word of `text`, and with `ids` every
/// identifier, as `fts_terms` writes them.
pub fn title_terms(text: &str, ids: bool) -> Vec<String> {
    terms(&[text])
        .into_iter()
        .filter(|t| ids || !t.id)
        .map(|t| t.fts)
        .collect()
}

/// The terms of a probe, each one FTS5 query (`fts_query` joins them with OR), in the order of
/// the texts, at most MAX_TERMS: every significant word (as `key` keeps it: no digits, no stop
/// words), quoted, a plural also without its `s` (`("connections" OR "connection")`); and
/// every identifier, a run of letters and digits holding both, joined by `-`, `.`, `_`, `:`
/// or `/` (`lb-eu-1`, `ORA-00060`, `5xx`, `p99`), as the phrase of its parts
/// (`"lb eu 1"`: the index splits it so). A term holds only letters, digits and spaces
/// inside its quotes, so no quote, parenthesis, `-` or `:` of the text reaches FTS5 as
/// syntax. Plain numbers (`42`, `10.0.4.17`) are left out: mostly counts, times and
/// addresses that match unrelated texts.
pub fn fts_terms(texts: &[&str]) -> Vec<String> {
    terms(texts).into_iter().map(|t| t.fts).collect()
}

struct Term {
    /// What two terms are the same by: the stem of a word, the phrase of an identifier.
    same: String,
    fts: String,
    id: bool,
}

fn terms(texts: &[&str]) -> Vec<Term> {
    // Whole words, not prefixes: FTS5 builds a prefix's whole list of texts before the first
    // match, where a word's list is walked newest first and left at the bound.
    let mut terms: Vec<Term> = Vec::new();
    let joiner = |c: char| matches!(c, '-' | '.' | '_' | ':' | '/');
    for text in texts {
        for chunk in text.split(|c: char| !c.is_alphanumeric() && !joiner(c)) {
            let parts: Vec<String> = chunk
                .split(|c: char| !c.is_alphanumeric())
                .filter(|p| !p.is_empty())
                .map(str::to_lowercase)
                .collect();
            let digit = |p: &String| p.chars().any(|c| c.is_ascii_digit());
            let letter = |p: &String| p.chars().any(char::is_alphabetic);
            let mut found: Vec<Term> = parts
                .iter()
                .filter(|p| !digit(p))
                .filter_map(|p| word(p))
                .collect();
            if parts.iter().any(digit) && parts.iter().any(letter) {
                let phrase = parts.join(" ");
                found.push(Term {
                    fts: format!("\"{phrase}\""),
                    same: phrase,
                    id: true,
                });
            }
            for term in found {
                if terms.len() >= MAX_TERMS {
                    return terms;
                }
                if !terms.iter().any(|t| t.same == term.same) {
                    terms.push(term);
                }
            }
        }
    }
    terms
}

/// A word's term: as written and, a plural, as `key` strips it. None for a stop word.
fn word(word: &str) -> Option<Term> {
    let stem = significant_words(word).into_iter().next()?;
    let fts = if stem == word {
        format!("\"{word}\"")
    } else {
        format!("(\"{word}\" OR \"{stem}\")")
    };
    Some(Term {
        same: stem,
        fts,
        id: false,
    })
}

/// Weighs the texts a probe matched, `texts` newest first (ids in the index), by which of its
/// terms each holds: `hits[t]` the texts from the oldest of `texts` on that match term `t`.
/// A text's weight is the sum over the terms it holds of ln(1 + span / texts holding the
/// term), the span being how many texts the index has from the oldest of `texts` to the
/// newest: a term that few recent texts hold says more than one most hold (bm25's inverse
/// document frequency, counted over the recent texts instead of the whole index, which FTS5
/// counts by walking every text holding each term). Texts no term matched weigh 0.
pub fn weigh(texts: &[i64], hits: &[Vec<i64>]) -> Vec<(i64, f64)> {
    let (Some(&newest), Some(&oldest)) = (texts.iter().max(), texts.iter().min()) else {
        return Vec::new();
    };
    let span = newest.saturating_sub(oldest).saturating_add(1) as f64;
    let mut weights: Vec<(i64, f64)> = texts.iter().map(|&t| (t, 0.0)).collect();
    // Where each text is in `weights`, by id: looked up once per hit (a hash set per term
    // cost `open` 0.6 million instructions, callgrind).
    let mut at: Vec<(i64, usize)> = texts.iter().enumerate().map(|(i, &t)| (t, i)).collect();
    at.sort_unstable();
    for hit in hits.iter().filter(|h| !h.is_empty()) {
        let idf = (1.0 + span / hit.len() as f64).ln();
        for id in hit {
            let found = at.binary_search_by_key(id, |&(t, _)| t).ok();
            let weight = found
                .and_then(|k| at.get(k))
                .and_then(|&(_, i)| weights.get_mut(i));
            if let Some((_, weight)) = weight {
                *weight += idf;
            }
        }
    }
    weights
}

#[cfg(test)]
mod tests {
    use super::{fts_query, fts_query_all, fts_terms, key, weigh};

    #[test]
    fn the_query_is_quoted_words_title_first() {
        assert_eq!(
            fts_query(&[
                "Checkout API: 502s from payments-gateway (\"upstream\" reset)",
                "payments-gateway pods OOMKilled; NOT the DB",
            ])
            .as_deref(),
            Some(
                "\"checkout\" OR \"api\" OR \"502s\" OR (\"payments\" OR \"payment\") OR \"gateway\" OR \"upstream\" OR \"reset\" OR (\"pods\" OR \"pod\") OR \"oomkilled\" OR \"db\""
            )
        );
        assert_eq!(
            fts_query(&["Zahlungsdienst außer Betrieb — café"]).as_deref(),
            Some("\"zahlungsdienst\" OR \"außer\" OR \"betrieb\" OR \"café\"")
        );
        assert_eq!(fts_query(&["\"(-:*)\" 42 a", ""]), None);
        assert_eq!(
            fts_query_all("Redis: connections refused", true).as_deref(),
            Some("(\"redis\" OR \"redi\") AND (\"connections\" OR \"connection\") AND \"refused\"")
        );
        assert_eq!(fts_query_all("Redis!", true), None);
        let long = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma";
        assert_eq!(fts_query(&[long]).unwrap().matches(" OR ").count(), 15);
    }

    #[test]
    fn identifiers_with_digits_are_phrases_of_their_parts_and_numbers_are_left_out() {
        assert_eq!(
            fts_terms(&["checkout API: 5xx spike for EU customers (lb-eu-1, 10.0.4.17)"]),
            [
                "\"checkout\"",
                "\"api\"",
                "\"5xx\"",
                "\"spike\"",
                "\"eu\"",
                "(\"customers\" OR \"customer\")",
                "\"lb\"",
                "\"lb eu 1\"",
            ]
        );
        assert_eq!(
            fts_terms(&["ORA-00060: deadlock on db_02/orders; p99 at 4.2s, 42 sessions"]),
            [
                "\"ora\"",
                "\"ora 00060\"",
                "\"deadlock\"",
                "\"db\"",
                "(\"orders\" OR \"order\")",
                "\"db 02 orders\"",
                "\"p99\"",
                "\"4 2s\"",
                "(\"sessions\" OR \"session\")",
            ]
        );
        // Hostile joiners and quotes never reach FTS5: only letters, digits and spaces are
        // quoted.
        assert_eq!(
            fts_query(&["\"x-1\"--:/ ./-_. -- a1\"b2 NEAR(c3)"]).as_deref(),
            Some("\"x 1\" OR \"a1\" OR \"b2\" OR \"near\" OR \"c3\"")
        );
        // The close-match query with identifiers, and without (another host, the same
        // problem).
        assert_eq!(
            fts_query_all("Redis refused on cache-01", true).as_deref(),
            Some("(\"redis\" OR \"redi\") AND \"refused\" AND \"cache\" AND \"cache 01\"")
        );
        assert_eq!(
            fts_query_all("Redis refused on cache-01", false).as_deref(),
            Some("(\"redis\" OR \"redi\") AND \"refused\" AND \"cache\"")
        );
        assert_eq!(
            fts_query_all("ORA-00060", true).as_deref(),
            Some("\"ora\" AND \"ora 00060\"")
        );
        assert_eq!(fts_query_all("ORA-00060", false), None);
    }

    #[test]
    fn a_term_few_recent_texts_hold_weighs_more() {
        // Ten texts from 100 to 91 (newest first) in a span of ten: "common" in all of them,
        // "rare" in 95 only, "none" in none.
        let texts: Vec<i64> = (91..=100).rev().collect();
        let common = texts.clone();
        let w = weigh(&texts, &[common, vec![95], vec![]]);
        let of = |id: i64| w.iter().find(|x| x.0 == id).unwrap().1;
        assert!((of(100) - 2f64.ln()).abs() < 1e-9, "{w:?}");
        assert!((of(95) - 2f64.ln() - 11f64.ln()).abs() < 1e-9, "{w:?}");
        assert_eq!(w.len(), 10);
        assert!(weigh(&[], &[vec![1]]).is_empty());
    }

    #[test]
    fn rewordings_share_a_key() {
        assert_eq!(
            key("Data collection stopped"),
            key("data collection stopped again!")
        );
        assert_eq!(
            key("Materialized updater stuck on date range"),
            key("materialized-updater: date range stuck")
        );
        assert_eq!(
            key("API gateway CrashLoopBackOff (3 pods)"),
            key("API gateway CrashLoopBackOff, 12 pods")
        );
        assert_eq!(
            key("Redis connections refused"),
            key("redis connection refused")
        );
        assert_ne!(
            key("Data collection stopped"),
            key("Data collection lagging")
        );
        assert_eq!(key(""), "");
        assert_eq!(key("  - "), "");
    }
}
