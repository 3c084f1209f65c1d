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

/// The FTS5 query for texts like `texts` (an incident's title first, then its description, and
/// its services once it has them): any of their significant words, title words first, each
/// quoted, a plural also without its `s` (`("connections" OR "connection")`). A word holds
/// only letters (`key` splits on everything else and drops digits), so no quote,
/// parenthesis, `-` or `:` of the text reaches FTS5 as syntax. None when no word is
/// significant.
pub fn fts_query(texts: &[&str]) -> Option<String> {
    let terms = fts_terms(texts);
    (!terms.is_empty()).then(|| terms.join(" OR "))
}

/// The FTS5 query for texts holding every significant word of `text` (as `fts_query` quotes
/// them): the close matches, looked for before any word will do. None for fewer than two
/// words, where it would be `fts_query`'s.
pub fn fts_query_all(text: &str) -> Option<String> {
    let terms = fts_terms(&[text]);
    (terms.len() > 1).then(|| terms.join(" AND "))
}

fn fts_terms(texts: &[&str]) -> Vec<String> {
    // Whole words, not prefixes: FTS5 builds a prefix's whole list of texts before the first
    // match, where a word's list is walked newest first and left at the bound. A plural is
    // looked for as written and as `key` strips it.
    let mut terms: Vec<(String, String)> = Vec::new();
    for text in texts {
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            if terms.len() >= MAX_TERMS {
                return terms.into_iter().map(|t| t.1).collect();
            }
            let word: String = word
                .to_lowercase()
                .chars()
                .filter(|c| !c.is_ascii_digit())
                .collect();
            let stem = significant_words(&word);
            let Some(stem) = stem.first() else { continue };
            if terms.iter().any(|t| &t.0 == stem) {
                continue;
            }
            let term = if *stem == word {
                format!("\"{word}\"")
            } else {
                format!("(\"{word}\" OR \"{stem}\")")
            };
            terms.push((stem.clone(), term));
        }
    }
    terms.into_iter().map(|t| t.1).collect()
}

#[cfg(test)]
mod tests {
    use super::{fts_query, fts_query_all, key};

    #[test]
    fn the_query_is_quoted_words_title_first() {
        assert_eq!(
            fts_query(&[
                "Checkout API: 502s from payments-gateway (\"upstream\" reset)",
                "payments-gateway pods OOMKilled; NOT the DB",
            ])
            .as_deref(),
            Some(
                "\"checkout\" OR \"api\" OR (\"payments\" OR \"payment\") OR \"gateway\" OR \"upstream\" OR \"reset\" OR (\"pods\" OR \"pod\") OR \"oomkilled\" OR \"db\""
            )
        );
        assert_eq!(
            fts_query(&["Zahlungsdienst außer Betrieb — café"]).as_deref(),
            Some("\"zahlungsdienst\" OR \"außer\" OR \"betrieb\" OR \"café\"")
        );
        assert_eq!(fts_query(&["\"(-:*)\" 42 a", ""]), None);
        assert_eq!(
            fts_query_all("Redis: connections refused").as_deref(),
            Some("(\"redis\" OR \"redi\") AND (\"connections\" OR \"connection\") AND \"refused\"")
        );
        assert_eq!(fts_query_all("Redis!"), None);
        let long = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma";
        assert_eq!(fts_query(&[long]).unwrap().matches(" OR ").count(), 15);
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
