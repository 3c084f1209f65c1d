//! Redaction: secrets are replaced by the name of the rule that caught them before anything is
//! stored or printed. A rule name, not asterisks of the same length: those leak the length.

use regex::{Captures, Regex};
use std::sync::LazyLock;

/// A rule replaces the secret part of each match (capture group `s`) with `[REDACTED:name]`.
struct Rule {
    name: &'static str,
    re: Regex,
}

static PATTERNS: LazyLock<Vec<(&'static str, &'static str)>> = LazyLock::new(|| {
    let rule = |name, pattern| (name, pattern);
    vec![
        rule(
            "private-key",
            r"(?s)(?P<s>-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\z))",
        ),
        // scheme://user:password@host
        rule(
            "url-password",
            r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]*:(?P<s>[^@\s/]+)@",
        ),
        rule("bearer", r"(?i)\bbearer\s+(?P<s>[A-Za-z0-9._~+/=-]{8,})"),
        rule(
            "authorization",
            r"(?i)\bauthorization\s*[:=]\s*(?:(?:basic|bearer|token|digest)\s+)?(?P<s>[^\s,;]+)",
        ),
        rule(
            "jwt",
            r"\b(?P<s>eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,})",
        ),
        rule("aws-access-key", r"\b(?P<s>(?:AKIA|ASIA)[0-9A-Z]{16})\b"),
        rule(
            "aws-secret-key",
            r"(?i)aws_secret_access_key\s*[:=]\s*['\x22]?(?P<s>[A-Za-z0-9/+=]{40})",
        ),
        rule(
            "github-token",
            r"\b(?P<s>(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}))",
        ),
        rule("gitlab-token", r"\b(?P<s>glpat-[A-Za-z0-9_-]{20,})"),
        rule("slack-token", r"\b(?P<s>xox[abprs]-[A-Za-z0-9-]{10,})"),
        rule(
            "slack-webhook",
            r"(?P<s>https://hooks\.slack\.com/services/[A-Za-z0-9/]+)",
        ),
        // mysql -pSECRET (but not -p alone, or -p 3306 style flags of other tools)
        rule("password-flag", r"(?:^|\s)-p(?P<s>[^\s-][^\s]*)"),
        rule(
            "password-option",
            r"(?i)--(?:password|passwd|pass|token|secret|api-key|apikey)(?:=|\s+)(?P<s>[^\s]+)",
        ),
        // password=…, "token": "…", API_KEY: …, client_secret=…
        rule(
            "secret-value",
            r#"(?i)\b[a-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)[a-z0-9_.-]*['"]?\s*[:=]\s*['"]?(?P<s>[^\s'",;&}]+)"#,
        ),
    ]
});

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    PATTERNS
        .iter()
        .map(|(name, pattern)| Rule {
            name,
            re: Regex::new(pattern).expect("redaction patterns are valid"),
        })
        .collect()
});

/// The same rules over bytes, for logs that need not be UTF-8: a match never spans an invalid
/// byte, and bytes around the matches are kept exactly as they were.
static BYTE_RULES: LazyLock<Vec<(&'static str, regex::bytes::Regex)>> = LazyLock::new(|| {
    PATTERNS
        .iter()
        .map(|(name, pattern)| {
            let re = regex::bytes::Regex::new(pattern).expect("redaction patterns are valid");
            (*name, re)
        })
        .collect()
});

/// Redacts text with the rules plus the literal values of secrets the config references.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// `secrets` are literal values (from `${VAR}` references) redacted wherever they appear;
    /// values shorter than 4 characters are skipped, as they would redact ordinary text.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Redactor {
        let mut secrets: Vec<String> = secrets
            .into_iter()
            .filter(|s| s.chars().count() >= 4)
            .collect();
        // Longest first, so a secret that contains another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "[REDACTED:env]");
            }
        }
        for rule in RULES.iter() {
            if !rule.re.is_match(&out) {
                continue;
            }
            out = rule
                .re
                .replace_all(&out, |c: &Captures| {
                    let whole = c.get(0).expect("group 0 always matches");
                    let secret = c.name("s").expect("every rule has group s");
                    if secret.as_str().starts_with("[REDACTED:") {
                        return whole.as_str().to_string();
                    }
                    let start = secret.start() - whole.start();
                    let end = secret.end() - whole.start();
                    let w = whole.as_str();
                    format!("{}[REDACTED:{}]{}", &w[..start], rule.name, &w[end..])
                })
                .into_owned();
        }
        out
    }

    /// Redacts bytes (a chunk of a log, command output) and counts the secrets replaced. Bytes
    /// with nothing to redact come back borrowed and unchanged, invalid UTF-8 included.
    pub fn redact_bytes<'b>(&self, data: &'b [u8]) -> (std::borrow::Cow<'b, [u8]>, u64) {
        use std::borrow::Cow;
        let mut out: Cow<'b, [u8]> = Cow::Borrowed(data);
        let mut count = 0u64;
        for secret in &self.secrets {
            let re = regex::bytes::Regex::new(&regex::escape(secret));
            if let Ok(re) = re
                && re.is_match(&out)
            {
                count += re.find_iter(&out).count() as u64;
                out = Cow::Owned(re.replace_all(&out, &b"[REDACTED:env]"[..]).into_owned());
            }
        }
        for (name, re) in BYTE_RULES.iter() {
            if !re.is_match(&out) {
                continue;
            }
            let replaced = re
                .replace_all(&out, |c: &regex::bytes::Captures| {
                    let whole = c.get(0).expect("group 0 always matches");
                    let secret = c.name("s").expect("every rule has group s");
                    if secret.as_bytes().starts_with(b"[REDACTED:") {
                        return whole.as_bytes().to_vec();
                    }
                    count += 1;
                    let start = secret.start() - whole.start();
                    let end = secret.end() - whole.start();
                    let w = whole.as_bytes();
                    let mut v = w[..start].to_vec();
                    v.extend_from_slice(format!("[REDACTED:{name}]").as_bytes());
                    v.extend_from_slice(&w[end..]);
                    v
                })
                .into_owned();
            out = Cow::Owned(replaced);
        }
        (out, count)
    }

    /// Redacts every string in a JSON value, keys included.
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::String(s) => *s = self.redact(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact_json(v)),
            Value::Object(map) => {
                let entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
                for (k, mut v) in entries {
                    self.redact_json(&mut v);
                    map.insert(self.redact(&k), v);
                }
            }
            _ => {}
        }
    }

    /// Redacts everything a collector brought back.
    pub fn redact_item(&self, item: &mut crate::evidence::snapshot::Item) {
        item.raw = self.redact(&item.raw);
        item.error = item.error.as_deref().map(|e| self.redact(e));
        self.redact_json(&mut item.data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str) -> String {
        Redactor::new(["hunter2-env-secret".to_string()]).redact(text)
    }

    #[test]
    fn secrets_are_replaced_by_rule_names() {
        let cases = [
            (
                "mysql://root:pa55word@db:3306/x",
                "mysql://root:[REDACTED:url-password]@db:3306/x",
            ),
            (
                "postgres://u:p%40ss@h/db ok",
                "postgres://u:[REDACTED:url-password]@h/db ok",
            ),
            (
                "Authorization: Bearer abcdefghijklmnop",
                "Authorization: Bearer [REDACTED:bearer]",
            ),
            (
                "authorization: Basic dXNlcjpwYXNz",
                "authorization: Basic [REDACTED:authorization]",
            ),
            (
                "curl -H 'X: 1' bearer abcdefghijklmnop",
                "curl -H 'X: 1' bearer [REDACTED:bearer]",
            ),
            (
                "mysql -uroot -pS3cretPass -h db",
                "mysql -uroot -p[REDACTED:password-flag] -h db",
            ),
            (
                "--password=letmein now",
                "--password=[REDACTED:password-option] now",
            ),
            ("--token abc123xyz", "--token [REDACTED:password-option]"),
            (
                "password=letmein&user=x",
                "password=[REDACTED:secret-value]&user=x",
            ),
            (
                "DB_PASSWORD: 'letmein'",
                "DB_PASSWORD: '[REDACTED:secret-value]'",
            ),
            (
                r#"{"api_key": "k-123456"}"#,
                r#"{"api_key": "[REDACTED:secret-value]"}"#,
            ),
            (
                "key AKIAIOSFODNN7EXAMPLE used",
                "key [REDACTED:aws-access-key] used",
            ),
            (
                "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
                "[REDACTED:github-token]",
            ),
            ("glpat-abcdefghij0123456789", "[REDACTED:gitlab-token]"),
            ("xoxb-1234567890-abcdef", "[REDACTED:slack-token]"),
            (
                "connecting with hunter2-env-secret",
                "connecting with [REDACTED:env]",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(r(input), expected, "{input}");
        }
    }

    #[test]
    fn bytes_are_redacted_like_text_and_otherwise_kept_exactly() {
        let redactor = Redactor::new(["hunter2-env-secret".to_string()]);
        let input = b"ok \xff\xfe line\npassword=letmein hunter2-env-secret\n";
        let (out, count) = redactor.redact_bytes(input);
        assert_eq!(
            &out[..],
            &b"ok \xff\xfe line\npassword=[REDACTED:secret-value] [REDACTED:env]\n"[..]
        );
        assert_eq!(count, 2);
        let clean = b"GET /health 200 \xc3\x28 3ms\n";
        let (out, count) = redactor.redact_bytes(clean);
        assert!(matches!(out, std::borrow::Cow::Borrowed(_)));
        assert_eq!((&out[..], count), (&clean[..], 0));
    }

    #[test]
    fn jwts_and_private_keys_go_whole() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(r(&format!("token {jwt} end")), "token [REDACTED:jwt] end");
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----";
        assert_eq!(r(&format!("a\n{key}\nb")), "a\n[REDACTED:private-key]\nb");
    }

    #[test]
    fn ordinary_log_lines_are_left_alone() {
        for line in [
            "Updated materialized table price_data: 1440 rows",
            "kubectl get pods -n crypto-data-collection",
            "GET /health 200 3ms",
            "ports -p 8080 exposed",
            "token bucket refilled",
        ] {
            assert_eq!(r(line), line);
        }
    }

    #[test]
    fn json_strings_and_keys_are_redacted() {
        let mut v = serde_json::json!({"argv": ["mysql", "-pS3cret"], "error": "password=x1y2z3", "hunter2-env-secret": 1});
        Redactor::new(["hunter2-env-secret".to_string()]).redact_json(&mut v);
        assert_eq!(v["argv"][1], "-p[REDACTED:password-flag]");
        assert_eq!(v["error"], "password=[REDACTED:secret-value]");
        assert!(v.get("[REDACTED:env]").is_some());
    }
}
