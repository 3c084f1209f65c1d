//! Redaction: secrets are replaced by the name of the rule that caught them before anything is
//! stored or printed. A rule name, not asterisks of the same length: those leak the length.
//!
//! Every rule works within one line: a line is redacted or kept on its own, so a rule can never
//! reach from a line that ends in `tokens:` into the next line's timestamp. The one secret that
//! spans lines, a PEM private key, is tracked as line state (inside a key or not) that carries
//! across the chunks a log is streamed in ([`Stream`]). Each rule names the part it replaces
//! (capture group `s`, `s2` or `s3`) and may refuse a value that is plainly not a secret
//! (`password=***`, `token: null`, `${DB_PASSWORD}`), so that innocent lines are stored byte for
//! byte; the corpus tests in tests/it/redaction.rs hold both sides to that.

use regex::bytes::{Captures, Regex, RegexSet};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// What a value must look like for the rule to replace it.
type Accept = fn(&[u8]) -> bool;

/// A rule replaces the secret part of each match with `[REDACTED:name]`.
struct Rule {
    name: &'static str,
    re: Regex,
    accept: Accept,
}

/// Key names that hold secrets, ending the key (`db_password`, `accessToken`, `x-api-key`,
/// `SECRET_KEY_BASE`): `tokens`, `token_type`, `secretName` and `destroySurfaces` do not end in
/// one. The key starts at the line's start or after a character that cannot begin a key, so
/// `/etc/passwd:` is a path, not a key.
const SECRET_KEY: &str = r#"(?i)(?:^|[^A-Za-z0-9_./\\-])[A-Za-z0-9_.-]*?(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|auth[_-]?key)(?:[_-](?:base|value|hash))?['"]?\s*[:=]\s*"#;

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |name, pattern: &str, accept: Accept| Rule {
        name,
        re: Regex::new(pattern).expect("redaction patterns are valid"),
        accept,
    };
    let secret_value = format!(
        r#"{SECRET_KEY}(?:"(?P<s>(?:[^"\\]|\\.)+)"|'(?P<s2>[^']+)'|(?P<s3>[^\s'",;&}}]+))"#
    );
    vec![
        // scheme://user:password@host
        rule(
            "url-password",
            r"(?i)(?-u:\b)[a-z][a-z0-9+.-]*://[^/\s:@]*:(?P<s>[^@\s/]+)@",
            any,
        ),
        // RFC 6750's b64token, padding only at its end, and then the token ends: in
        // `token_type=Bearer expires_in=3600` no token follows the word.
        rule(
            "bearer",
            r"(?i)(?-u:\b)bearer\s+(?P<s>[A-Za-z0-9._~+/-]{8,}=*)(?:$|[^A-Za-z0-9._~+/=-])",
            token_like,
        ),
        rule(
            "authorization",
            r#"(?i)(?-u:\b)authorization['"]?\s*[:=]\s*['"]?(?:basic|bearer|token|digest|negotiate|ntlm)\s+(?P<s>[^\s'",;]+)"#,
            any,
        ),
        rule(
            "authorization",
            r#"(?i)(?-u:\b)authorization['"]?\s*[:=]\s*['"]?(?P<s>[A-Za-z0-9._~+/=-]{16,})"#,
            token_like,
        ),
        // Every JWT: signed, unsigned (`alg: none`, an empty third part) and encrypted (five).
        rule(
            "jwt",
            r"(?-u:\b)(?P<s>eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2})",
            any,
        ),
        rule(
            "aws-access-key",
            r"(?-u:\b)(?P<s>(?:AKIA|ASIA)[0-9A-Z]{16})(?-u:\b)",
            any,
        ),
        rule(
            "aws-secret-key",
            r#"(?i)aws_secret_access_key['"]?\s*[:=]\s*['"]?(?P<s>[A-Za-z0-9/+=]{40})"#,
            any,
        ),
        rule(
            "github-token",
            r"(?-u:\b)(?P<s>(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}))",
            any,
        ),
        rule(
            "gitlab-token",
            r"(?-u:\b)(?P<s>glpat-[A-Za-z0-9_-]{20,})",
            any,
        ),
        rule(
            "slack-token",
            r"(?-u:\b)(?P<s>xox[abprs]-[A-Za-z0-9-]{10,})",
            any,
        ),
        // The path is the secret; the host stays readable.
        rule(
            "slack-webhook",
            r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9/_-]+)",
            any,
        ),
        rule(
            "google-api-key",
            r"(?-u:\b)(?P<s>AIza[0-9A-Za-z_-]{35})",
            any,
        ),
        rule(
            "stripe-key",
            r"(?-u:\b)(?P<s>(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,})",
            any,
        ),
        // mysql -pSECRET; only on a MySQL client's command line, as `find -print` and
        // `gcc -pthread` are flags too, or as an argument on its own (a collector's argv).
        rule(
            "password-flag",
            r"(?-u:\b)(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mariadb|mariadb-dump)(?-u:\b).*?\s-p(?P<s>[^\s-]\S*)",
            any,
        ),
        rule("password-flag", r"^-p(?P<s>[^\s-]\S*)$", any),
        rule(
            "password-flag",
            r"(?-u:\b)redis-cli(?-u:\b).*?\s-a\s+(?P<s>\S+)",
            any,
        ),
        rule("password-flag", r"(?-u:\b)sshpass\s+-p\s*(?P<s>\S+)", any),
        rule(
            "password-option",
            r"(?i)--(?:password|passwd|pass|token|secret|api-key|apikey)(?:=|\s+)(?P<s>[^\s]+)",
            not_placeholder,
        ),
        // password=…, "token": "…", API_KEY: …, client_secret=…
        rule("secret-value", &secret_value, not_placeholder),
    ]
});

/// The start and end of a PEM private key (`RSA`, `EC`, `OPENSSH`, `ENCRYPTED`, PKCS#8).
static KEY_BEGIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----").expect("valid"));
static KEY_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-----END [A-Z0-9 ]*PRIVATE KEY-----").expect("valid"));
/// A whole key on one line, that a long line's cut must not fall in (`Redactor::cut_point`).
static KEY_SPAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?-----END [A-Z0-9 ]*PRIVATE KEY-----")
        .expect("valid")
});

/// Every rule at once, to find the few lines (and skip the chunks) that need a closer look: a
/// line no rule matches is passed on untouched. Word boundaries are ASCII ones (`(?-u:\b)`):
/// the lazy DFA gives up on a Unicode `\b` in any chunk with a non-ASCII byte, and the keys and
/// tokens the rules look for are ASCII.
static ANY_RULE: LazyLock<RegexSet> = LazyLock::new(|| {
    let mut patterns: Vec<&str> = RULES.iter().map(|r| r.re.as_str()).collect();
    patterns.push(KEY_BEGIN.as_str());
    RegexSet::new(patterns).expect("redaction patterns are valid")
});

fn any(_: &[u8]) -> bool {
    true
}

/// A credential has a digit or punctuation, or is long: "Bearer authentication required" holds
/// no token.
fn token_like(value: &[u8]) -> bool {
    value.len() >= 20
        || value
            .iter()
            .any(|b| b.is_ascii_digit() || b"._~+/=-".contains(b))
}

/// Not a placeholder (`***`, `null`, `<password>`, `${DB_PASSWORD}`, `%s`, `{{ .token }}`), not
/// a path (`private_key=/etc/ssl/private/app.key`), not an nsswitch.conf source (`passwd: files
/// systemd`, as diagnostics dump it), not MySQL's `(using password: YES)` or a switch
/// (`password_authentication: disabled`), and longer than 2 characters.
fn not_placeholder(value: &[u8]) -> bool {
    const WORDS: [&str; 24] = [
        "null",
        "none",
        "nil",
        "true",
        "false",
        "undefined",
        "empty",
        "redacted",
        "hidden",
        "masked",
        "required",
        "optional",
        "unset",
        "n/a",
        "files",
        "compat",
        "systemd",
        "sss",
        "ldap",
        "winbind",
        // MySQL's "Access denied for user 'x'@'h' (using password: YES)", and switches.
        "yes",
        "off",
        "enabled",
        "disabled",
    ];
    let text = String::from_utf8_lossy(value).to_ascii_lowercase();
    let masked = value.iter().all(|b| *b == b'*' || *b == b'x' || *b == b'X');
    let template = ["${", "$(", "%s", "{{", "<", "[redacted"]
        .iter()
        .any(|p| text.starts_with(p));
    let path = text.starts_with('/') && text.matches('/').count() >= 2;
    // A closing parenthesis is part of the value the rule takes (passwords hold them), but a
    // word inside parentheses, "(using password: YES)", is still that word.
    let word = text.trim_end_matches(')');
    value.len() > 2 && !masked && !template && !path && !WORDS.contains(&word)
}

/// What redaction changed: lines altered, and secrets replaced per rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Lines that differ from what was read.
    pub lines: u64,
    /// Secrets replaced, by rule name (`env` for the config's `${VAR}` values).
    pub rules: BTreeMap<&'static str, u64>,
}

impl Tally {
    /// Secrets replaced, all rules together.
    pub fn secrets(&self) -> u64 {
        self.rules.values().sum()
    }

    fn add(&mut self, other: &Tally) {
        self.lines += other.lines;
        for (rule, n) in &other.rules {
            *self.rules.entry(rule).or_default() += n;
        }
    }
}

/// Redacts text with the rules plus the literal values of secrets the config references.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// The secrets' values, longest first, as one alternation (None when there are none).
    secrets: Option<Regex>,
}

impl Redactor {
    /// `secrets` are literal values (from `${VAR}` references) redacted wherever they appear;
    /// values shorter than 4 characters are skipped, as they would redact ordinary text. A
    /// value of several lines is looked for line by line, as every rule is.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Redactor {
        let mut secrets: Vec<String> = secrets
            .into_iter()
            .flat_map(|s| s.lines().map(str::to_string).collect::<Vec<_>>())
            .filter(|s| s.chars().count() >= 4)
            .collect();
        // Longest first, so a secret that contains another is replaced whole (the alternation
        // prefers its earlier branches).
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        let secrets = (!secrets.is_empty()).then(|| {
            let alternation: Vec<String> = secrets.iter().map(|s| regex::escape(s)).collect();
            Regex::new(&alternation.join("|")).expect("escaped literals are a valid pattern")
        });
        Redactor { secrets }
    }

    /// Redacts a text of any number of lines, each on its own.
    pub fn redact(&self, text: &str) -> String {
        let mut stream = self.stream();
        let mut out = stream.push(text.as_bytes()).into_owned();
        out.extend_from_slice(&stream.finish().0);
        match String::from_utf8(out) {
            Ok(s) => s,
            // Rules replace whole UTF-8 sequences of valid text; this is never reached.
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    }

    /// Redacts bytes (command output: all of it at once) and counts the secrets replaced.
    /// Bytes with nothing to redact come back borrowed and unchanged, invalid UTF-8 included.
    pub fn redact_bytes<'b>(&self, data: &'b [u8]) -> (Cow<'b, [u8]>, Tally) {
        let mut stream = self.stream();
        let out = stream.push(data);
        let (rest, tally) = stream.finish();
        if rest.is_empty() {
            return (out, tally);
        }
        let mut out = out.into_owned();
        out.extend_from_slice(&rest);
        (Cow::Owned(out), tally)
    }

    /// Output kept up to a cap of `cap` bytes: `data` is what was read of it (up to OVERLAP
    /// bytes past the cap, or all of it), redacted first and cut after, at `cap` bytes of the
    /// redacted text, or before the redaction marker the cap falls in. The line the cap falls in
    /// is redacted whole (as much of it as was read), so a secret across the cap is replaced
    /// whole and nothing of it is kept. Returns the kept bytes, whether anything of `data` was
    /// left out, and what redaction changed.
    pub fn redact_capped(&self, data: &[u8], cap: usize) -> (Vec<u8>, bool, Tally) {
        if data.len() <= cap {
            let (out, tally) = self.redact_bytes(data);
            return (out.into_owned(), false, tally);
        }
        let end = memchr::memchr(b'\n', &data[cap..]).map_or(data.len(), |i| cap + i + 1);
        let (out, tally) = self.redact_bytes(&data[..end]);
        let cut = outside_marker(&out, cap.min(out.len()));
        (out[..cut].to_vec(), true, tally)
    }

    /// A redaction of content that comes in chunks (a log being attached).
    pub fn stream(&self) -> Stream<'_> {
        Stream {
            redactor: self,
            in_key: false,
            partial: Vec::new(),
            tally: Tally::default(),
            longest: LONGEST_LINE,
        }
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

    /// Whether any rule or secret may match somewhere in `data` (a false alarm costs a closer
    /// look; a miss is impossible, as a match within a line is a match within the chunk).
    fn may_match(&self, data: &[u8]) -> bool {
        ANY_RULE.is_match(data) || self.secrets.as_ref().is_some_and(|s| s.is_match(data))
    }

    /// Where to cut a long line (`data`, without a newline, longer than OVERLAP) so that each
    /// side is redacted as the whole would be: at least OVERLAP bytes before its end, after a
    /// space or tab where there is one in the OVERLAP bytes before that (no token or key is cut
    /// there), and never inside a match of a rule or secret (moved to its start). A match that
    /// starts the line is cut where it must be: the line is not held whole.
    fn cut_point(&self, data: &[u8]) -> usize {
        let last = data.len().saturating_sub(OVERLAP);
        let from = last.saturating_sub(OVERLAP);
        let mut cut = data[from..last]
            .iter()
            .rposition(|b| *b == b' ' || *b == b'\t')
            .map_or(last, |i| from + i + 1);
        // Matches that begin up to 2 * OVERLAP before the cut: the rules' secrets are shorter.
        let window = cut.saturating_sub(2 * OVERLAP);
        loop {
            let before = cut;
            let patterns = RULES
                .iter()
                .map(|r| &r.re)
                .chain([&*KEY_BEGIN, &*KEY_SPAN])
                .chain(self.secrets.as_ref());
            for re in patterns {
                let mut at = window;
                while let Some(m) = re.find_at(data, at) {
                    if m.start() >= cut {
                        break;
                    }
                    if m.end() > cut {
                        cut = m.start();
                        break;
                    }
                    at = m.end().max(m.start() + 1);
                }
            }
            if cut == before {
                break;
            }
        }
        if cut == 0 { last } else { cut }
    }

    /// One line without its `\n` (a `\r` before it is kept as it was): the redacted line, or
    /// None when nothing in it is a secret.
    fn line(&self, line: &[u8], in_key: &mut bool, tally: &mut Tally) -> Option<Vec<u8>> {
        let (body, cr) = match line.strip_suffix(b"\r") {
            Some(body) => (body, &b"\r"[..]),
            None => (line, &b""[..]),
        };
        let mut hits = Tally::default();
        let mut out = Cow::Borrowed(body);
        if let Some(replaced) = private_key(body, in_key) {
            out = Cow::Owned(replaced);
            *hits.rules.entry("private-key").or_default() += 1;
        }
        if let Some(secrets) = &self.secrets
            && secrets.is_match(&out)
        {
            let n = secrets.find_iter(&out).count() as u64;
            *hits.rules.entry("env").or_default() += n;
            out = Cow::Owned(
                secrets
                    .replace_all(&out, &b"[REDACTED:env]"[..])
                    .into_owned(),
            );
        }
        let matched = ANY_RULE.matches(&out);
        for (i, rule) in RULES.iter().enumerate() {
            if matched.matched(i) {
                out = Cow::Owned(apply(rule, &out, &mut hits));
            }
        }
        if out.as_ref() == body {
            return None;
        }
        hits.lines = 1;
        tally.add(&hits);
        let mut line = out.into_owned();
        line.extend_from_slice(cr);
        Some(line)
    }
}

/// `cut`, or the start of the redaction marker (`[REDACTED:name]`) it falls inside of in `text`.
fn outside_marker(text: &[u8], cut: usize) -> usize {
    const MARK: &[u8] = b"[REDACTED:";
    // The longest marker, `[REDACTED:password-option]`, is 26 bytes.
    let from = cut.saturating_sub(64);
    let to = (cut + MARK.len()).min(text.len());
    memchr::memmem::find_iter(&text[from..to], MARK)
        .map(|i| from + i)
        .filter(|start| *start < cut)
        .find(|start| {
            // Where it closes: at or after the cut, or never (cut short), it is cut inside.
            memchr::memchr(b']', &text[*start..]).is_none_or(|i| start + i >= cut)
        })
        .unwrap_or(cut)
}

/// A private key's lines: the BEGIN and END markers stay, what is between them (on their line,
/// or on the lines between) goes. Inside a key, a line that is not base64 or a PEM header ends
/// it, so a key cut short never takes the rest of a log with it.
fn private_key(body: &[u8], in_key: &mut bool) -> Option<Vec<u8>> {
    const MARK: &[u8] = b"[REDACTED:private-key]";
    let secret_between = |from: usize, to: usize| -> Option<Vec<u8>> {
        if body[from..to].iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        Some([&body[..from], MARK, &body[to..]].concat())
    };
    if *in_key {
        if let Some(end) = KEY_END.find(body) {
            *in_key = false;
            return secret_between(0, end.start());
        }
        if pem_body(body) {
            return secret_between(0, body.len());
        }
        *in_key = false;
    }
    let begin = KEY_BEGIN.find(body)?;
    match KEY_END.find_at(body, begin.end()) {
        Some(end) => secret_between(begin.end(), end.start()),
        None => {
            *in_key = true;
            secret_between(begin.end(), body.len())
        }
    }
}

/// A line of a PEM block between its markers: base64, a header (`Proc-Type: 4,ENCRYPTED`,
/// `DEK-Info: …`) or blank.
fn pem_body(line: &[u8]) -> bool {
    let line = line.trim_ascii();
    line.starts_with(b"Proc-Type:")
        || line.starts_with(b"DEK-Info:")
        || line
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(b))
}

/// `rule` over one line: each accepted secret replaced by the rule's name.
fn apply(rule: &Rule, line: &[u8], hits: &mut Tally) -> Vec<u8> {
    rule.re
        .replace_all(line, |c: &Captures| {
            let whole = c.get(0).expect("group 0 always matches");
            let secret = ["s", "s2", "s3"]
                .iter()
                .find_map(|name| c.name(name))
                .expect("every rule has a secret group");
            let value = secret.as_bytes();
            if value.starts_with(b"[REDACTED:") || !(rule.accept)(value) {
                return whole.as_bytes().to_vec();
            }
            *hits.rules.entry(rule.name).or_default() += 1;
            let (start, end) = (secret.start() - whole.start(), secret.end() - whole.start());
            let w = whole.as_bytes();
            [
                &w[..start],
                b"[REDACTED:",
                rule.name.as_bytes(),
                b"]",
                &w[end..],
            ]
            .concat()
        })
        .into_owned()
}

/// Redaction of content streamed in chunks: whole lines are redacted as they complete, the
/// last line of a chunk waits for the rest of it in the next, and whether a private key is
/// open carries from chunk to chunk.
pub struct Stream<'r> {
    redactor: &'r Redactor,
    in_key: bool,
    /// The start of a line whose end is still to come.
    partial: Vec<u8>,
    tally: Tally,
    /// LONGEST_LINE, smaller in tests.
    longest: usize,
}

/// A line longer than this is redacted in pieces of about this size rather than held whole, so a
/// log without newlines never sits in memory.
const LONGEST_LINE: usize = 1 << 20;

/// What a piece of a long line leaves for the next: the line's last bytes wait for the rest of
/// it, so that a secret across the cut (the rules' secrets are far shorter) is seen whole with
/// what follows. Also how far past an output cap the raw output is kept and redacted
/// ([`Redactor::redact_capped`]), so a secret across the cap is seen whole before the cut.
pub const OVERLAP: usize = 4 << 10;

impl Stream<'_> {
    /// The redacted form of `chunk`'s complete lines (with the line left over from the chunk
    /// before); the bytes after its last newline wait for the next chunk or `finish`.
    pub fn push<'b>(&mut self, chunk: &'b [u8]) -> Cow<'b, [u8]> {
        let Some(last_newline) = chunk.iter().rposition(|b| *b == b'\n') else {
            self.partial.extend_from_slice(chunk);
            if self.partial.len() < self.longest {
                return Cow::Borrowed(&[]);
            }
            // The line so far, but for its tail: cut where no secret the rules see is cut.
            let cut = match self.redactor.cut_point(&self.partial) {
                0 => self.partial.len(),
                cut => cut,
            };
            let tail = self.partial.split_off(cut);
            let piece = std::mem::replace(&mut self.partial, tail);
            return Cow::Owned(self.redact_lines(&piece).into_owned());
        };
        let (lines, rest) = chunk.split_at(last_newline + 1);
        let out = if self.partial.is_empty() {
            self.redact_lines(lines)
        } else {
            let mut joined = std::mem::take(&mut self.partial);
            joined.extend_from_slice(lines);
            Cow::Owned(self.redact_lines(&joined).into_owned())
        };
        self.partial.extend_from_slice(rest);
        out
    }

    /// The last line if it had no newline, redacted, and what was changed in all.
    pub fn finish(mut self) -> (Vec<u8>, Tally) {
        let last = std::mem::take(&mut self.partial);
        let out = self.redact_lines(&last).into_owned();
        (out, self.tally)
    }

    /// Redacts whole lines (the last may lack its newline).
    fn redact_lines<'b>(&mut self, data: &'b [u8]) -> Cow<'b, [u8]> {
        if data.is_empty() || (!self.in_key && !self.redactor.may_match(data)) {
            return Cow::Borrowed(data);
        }
        let mut out: Option<Vec<u8>> = None;
        let mut start = 0;
        for line in data.split_inclusive(|b| *b == b'\n') {
            let body = line.strip_suffix(b"\n").unwrap_or(line);
            let redacted = self.redactor.line(body, &mut self.in_key, &mut self.tally);
            if let Some(redacted) = redacted {
                let out = out.get_or_insert_with(|| data[..start].to_vec());
                out.extend_from_slice(&redacted);
                out.extend_from_slice(&line[body.len()..]);
            } else if let Some(out) = &mut out {
                out.extend_from_slice(line);
            }
            start += line.len();
        }
        out.map_or(Cow::Borrowed(data), Cow::Owned)
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
                "Authorization: Bearer abcdefgh12345678",
                "Authorization: Bearer [REDACTED:bearer]",
            ),
            (
                "authorization: Basic dXNlcjpwYXNz",
                "authorization: Basic [REDACTED:authorization]",
            ),
            (
                "curl -H 'X: 1' bearer abcdefgh12345678",
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
        let (out, tally) = redactor.redact_bytes(input);
        assert_eq!(
            &out[..],
            &b"ok \xff\xfe line\npassword=[REDACTED:secret-value] [REDACTED:env]\n"[..]
        );
        assert_eq!((tally.secrets(), tally.lines), (2, 1));
        let clean = b"GET /health 200 \xc3\x28 3ms\n";
        let (out, tally) = redactor.redact_bytes(clean);
        assert!(matches!(out, std::borrow::Cow::Borrowed(_)));
        assert_eq!((&out[..], tally), (&clean[..], Tally::default()));
    }

    #[test]
    fn jwts_and_private_keys_go_whole() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(r(&format!("token {jwt} end")), "token [REDACTED:jwt] end");
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----";
        assert_eq!(
            r(&format!("a\n{key}\nb")),
            "a\n-----BEGIN RSA PRIVATE KEY-----\n[REDACTED:private-key]\n\
             [REDACTED:private-key]\n-----END RSA PRIVATE KEY-----\nb"
        );
        let unsigned = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.";
        assert_eq!(r(&format!("jwt={unsigned}")), "jwt=[REDACTED:jwt]");
    }

    #[test]
    fn ordinary_log_lines_are_left_alone() {
        for line in [
            "Updated materialized table price_data: 1440 rows",
            "kubectl get pods -n crypto-data-collection",
            "GET /health 200 3ms",
            "ports -p 8080 exposed",
            "token bucket refilled",
            "2026-03-02T10:15:01.204Z INFO usage prompt_tokens=812 tokens:",
            "\tat android.view.SurfaceControl.destroySurfaces:374",
            "\tat com.acme.auth.TokenStore.refresh(TokenStore.java:212)",
            "find /var/log -name '*.gz' -mtime +7 -print",
            "passwd: files systemd",
            "[Warning] Access denied for user 'app_rw'@'10.0.0.7' (using password: YES)",
            "password_authentication: disabled",
            "open /etc/passwd: permission denied",
            "password=*** token=null api_key=${API_KEY} secret=<hidden>",
            "Bearer authentication required for /admin",
            "secretName: db-credentials token_type=Bearer expires_in=3600",
        ] {
            assert_eq!(r(line), line);
        }
    }

    #[test]
    fn no_rule_reaches_into_the_next_line() {
        let text = "12:00:01 INFO request used tokens:\n2026-03-02T12:00:02Z next line\n";
        assert_eq!(r(text), text);
        let crlf = "password: letmein\r\nnext\r\n";
        assert_eq!(r(crlf), "password: [REDACTED:secret-value]\r\nnext\r\n");
    }

    #[test]
    fn a_private_key_split_between_chunks_is_redacted_and_a_cut_key_ends() {
        let redactor = Redactor::default();
        let mut stream = redactor.stream();
        let mut out = stream
            .push(b"boot ok\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNz")
            .into_owned();
        out.extend_from_slice(
            &stream.push(b"aC1rZXkt\nAAAA==\n-----END OPENSSH PRIVATE KEY-----\nafter\n"),
        );
        out.extend_from_slice(&stream.push(b"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n"));
        out.extend_from_slice(&stream.push(b"12:00:03 WARN key file was cut short\nlast"));
        let (rest, tally) = stream.finish();
        out.extend_from_slice(&rest);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "boot ok\n-----BEGIN OPENSSH PRIVATE KEY-----\n[REDACTED:private-key]\n\
             [REDACTED:private-key]\n-----END OPENSSH PRIVATE KEY-----\nafter\n\
             -----BEGIN EC PRIVATE KEY-----\n[REDACTED:private-key]\n\
             12:00:03 WARN key file was cut short\nlast"
        );
        assert_eq!((tally.lines, tally.rules["private-key"]), (3, 3));
    }

    #[test]
    fn a_secret_split_between_chunks_is_redacted_whole() {
        let redactor = Redactor::default();
        let mut stream = redactor.stream();
        let first = stream.push(b"ok\nconnect password=lo").into_owned();
        let second = stream.push(b"ngsecret99 done\n").into_owned();
        assert_eq!(
            (&first[..], &second[..]),
            (
                &b"ok\n"[..],
                &b"connect password=[REDACTED:secret-value] done\n"[..]
            )
        );
        let (rest, tally) = stream.finish();
        assert!(rest.is_empty());
        assert_eq!((tally.lines, tally.secrets()), (1, 1));
    }

    /// One of every shape of secret the rules know (and a `${VAR}` value), each on its own.
    const ENV_SECRET: &str = "Zq7-hunter2-Env.42";
    const SHAPES: [&str; 24] = [
        "postgres://app:S3cr3tPa55@db.internal:5432/prices",
        "curl -H 'x: 1' bearer abcdefgh12345678",
        "Authorization: Bearer eyJraWQiOiIx.abcdefgh12345678",
        "authorization: Basic dXNlcjpwYXNzd29yZA==",
        "Authorization=abcdefghijklmnop1234",
        "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end",
        "key AKIAIOSFODNN7EXAMPLE used",
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
        "github_pat_11ABCDEFG0123456789_abcdefghij",
        "glpat-abcdefghij0123456789",
        "xoxb-1234567890-abcdef",
        "https://hooks.slack.com/services/T0001/B0002/XXXXxxxxYYYYyyyy",
        "AIzaSyD-0123456789abcdefghijklmnopqrstu",
        "sk_live_0123456789abcdefABCDEF",
        "mysql -uroot -pS3cretPass -h db",
        "redis-cli -h cache -a S3cretPass ping",
        "sshpass -p S3cretPass ssh deploy@10.0.0.5",
        "--password=letmein99",
        "password=letmein99&user=bob_smith",
        r#"{"api_key": "k-123456", "user": "josé"}"#,
        "DB_PASSWORD: 'letmein'",
        "connecting with Zq7-hunter2-Env.42 to 10.0.0.7",
        "-----BEGIN RSA PRIVATE KEY----- MIIEowIBAAKCAQEA -----END RSA PRIVATE KEY-----",
    ];

    /// The secret parts of a shape: what must never be kept, not even in part.
    fn secret_of(shape: &str) -> &str {
        for (from, to) in [
            ("S3cr3tPa55", "S3cr3tPa55"),
            ("abcdefgh12345678", "abcdefgh12345678"),
            ("dXNlcjpwYXNzd29yZA", "dXNlcjpwYXNzd29yZA"),
            ("abcdefghijklmnop1234", "abcdefghijklmnop1234"),
            ("dozjgNryP4J3", "dozjgNryP4J3"),
            ("AKIAIOSFODNN7", "AKIAIOSFODNN7"),
            ("wJalrXUtnFEMI", "wJalrXUtnFEMI"),
            ("ghp_0123", "ghp_0123"),
            ("github_pat_11", "github_pat_11"),
            ("glpat-abc", "glpat-abc"),
            ("xoxb-123", "xoxb-123"),
            ("XXXXxxxxYYYY", "XXXXxxxxYYYY"),
            ("AIzaSyD-01", "AIzaSyD-01"),
            ("sk_live_01", "sk_live_01"),
            ("S3cretPass", "S3cretPass"),
            ("letmein", "letmein"),
            ("k-123456", "k-123456"),
            ("hunter2-Env", "hunter2-Env"),
            ("MIIEowIBAAKCAQEA", "MIIEowIBAAKCAQEA"),
        ] {
            if shape.contains(from) {
                return to;
            }
        }
        panic!("no secret in {shape}")
    }

    fn env_redactor() -> Redactor {
        Redactor::new([ENV_SECRET.to_string()])
    }

    /// A line redacted whole, as the rules see it (no cut anywhere).
    fn whole_line(redactor: &Redactor, line: &[u8]) -> Vec<u8> {
        redactor
            .line(line, &mut false, &mut Tally::default())
            .unwrap_or_else(|| line.to_vec())
    }

    /// `text` through a stream in chunks of `chunk` bytes, lines held up to `longest`.
    fn streamed(redactor: &Redactor, text: &[u8], chunk: usize, longest: usize) -> Vec<u8> {
        let mut stream = redactor.stream();
        stream.longest = longest;
        let mut out = Vec::new();
        for piece in text.chunks(chunk) {
            out.extend_from_slice(&stream.push(piece));
        }
        out.extend_from_slice(&stream.finish().0);
        out
    }

    /// Filler of a long line without newlines: one run of dots (no space to cut at), or log
    /// words with spaces, key=value pairs, IPs and unicode.
    fn filler(len: usize, words: bool) -> String {
        let unit = if words {
            "GET /api/v2/orders 200 req_id=ab-12_x host=10.0.3.7 user=Zoë "
        } else {
            "."
        };
        let mut s = unit.repeat(len / unit.len() + 1);
        s.truncate(s.floor_char_boundary(len));
        while s.len() < len {
            s.push('.');
        }
        s
    }

    #[test]
    fn a_secret_across_the_cut_of_a_long_line_is_redacted_as_in_the_whole_line() {
        // A line is held up to `longest` bytes, then cut about OVERLAP before its end: put each
        // shape at every offset around that cut and around the chunk boundary where the line
        // is flushed (where it was cut before).
        let redactor = env_redactor();
        let longest = 4 * OVERLAP;
        let mut checked = 0;
        for (words, cut, shape) in [false, true]
            .into_iter()
            .flat_map(|w| [longest - OVERLAP, longest].map(|cut| (w, cut)))
            .flat_map(|(w, cut)| SHAPES.map(|shape| (w, cut, shape)))
        {
            for offset in (cut - 40 - shape.len())..=(cut + 40) {
                let line = format!(
                    "{} {shape} {}",
                    filler(offset - 1, words),
                    filler(longest, words)
                );
                let want = whole_line(&redactor, line.as_bytes());
                let got = streamed(&redactor, line.as_bytes(), OVERLAP, longest);
                assert!(
                    got == want,
                    "{shape} at {offset} (words: {words}): {}",
                    String::from_utf8_lossy(&got[offset.saturating_sub(60)..])
                        .chars()
                        .take(200)
                        .collect::<String>()
                );
                assert!(!String::from_utf8_lossy(&got).contains(secret_of(shape)));
                checked += 1;
            }
        }
        assert!(checked > 6_000, "{checked}");
    }

    #[test]
    fn an_innocent_long_line_passes_through_every_cut_unchanged() {
        let redactor = env_redactor();
        for words in [false, true] {
            let line = filler(20 * OVERLAP + 123, words);
            let got = streamed(&redactor, line.as_bytes(), 1000, 4 * OVERLAP);
            assert!(got == line.as_bytes(), "words: {words}");
        }
    }

    #[test]
    fn a_cap_never_keeps_part_of_a_secret_nor_of_a_marker() {
        let redactor = env_redactor();
        let markers = regex::Regex::new(r"\[REDACTED:[a-z-]+\]").unwrap();
        let mut checked = 0;
        for shape in SHAPES {
            let secret = secret_of(shape);
            for crlf in [false, true] {
                let end = if crlf { "\r\n" } else { "\n" };
                let before = format!("2026-11-29T09:00:01Z INFO boot ok host=10.0.0.5{end}");
                let text = format!("{before}12:00:02 WARN retry {shape} after 3s{end}tail{end}");
                let at = before.len() + "12:00:02 WARN retry ".len();
                let full = redactor.redact_bytes(text.as_bytes()).0.into_owned();
                for cap in at.saturating_sub(40)..at + shape.len() + 40 {
                    let (kept, cut, _) = redactor.redact_capped(text.as_bytes(), cap);
                    let shown = String::from_utf8_lossy(&kept);
                    // Output that fits is kept whole, however long its markers make it.
                    assert!(cut == (text.len() > cap), "{shape} cut at {cap}");
                    assert!(kept.len() <= cap || !cut, "{shape} cut at {cap}: {shown}");
                    assert!(full.starts_with(&kept), "{shape} cut at {cap}: {shown}");
                    // Not the start of the secret that a prefix would show: its first 3 bytes.
                    let bare = markers.replace_all(&shown, "");
                    assert!(
                        !bare.contains(&secret[..3]),
                        "{shape} cut at {cap}: {shown}"
                    );
                    let open = shown.rfind("[REDACTED:");
                    assert!(
                        open.is_none_or(|i| shown[i..].contains(']')),
                        "a marker cut in two at {cap}: {shown}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 3_000, "{checked}");
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
