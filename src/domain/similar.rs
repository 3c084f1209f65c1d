//! Telling recurring problems: a key for a title or root cause that stays the same when the
//! wording changes a little ("Data collection stopped" and "data collection stopped again").

/// Words that say nothing about what broke.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "again", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is",
    "it", "its", "of", "on", "or", "the", "to", "was", "were", "with", "still", "not", "no",
];

/// The sorted set of significant words: lower case, digits and punctuation dropped, stop words
/// and one-letter words removed, a plural `s` stripped. Empty for empty text.
pub fn key(text: &str) -> String {
    let mut words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
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
        .collect();
    words.sort();
    words.dedup();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::key;

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
