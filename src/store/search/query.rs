//! What the user typed, parsed into the query language the README documents and written out
//! as an FTS5 query that cannot be malformed: every word and phrase in double quotes.
//!
//! The language: words (all must occur), `"a phrase"`, `prefix*`, `^word` (at the start of the
//! line or text), `NEAR(a b, N)`, and `AND`, `OR`, `NOT` (uppercase; lowercase are words)
//! with parentheses; NOT binds tightest, then AND (also between words side by side), then OR,
//! as in FTS5. Anything else with punctuation is part of a word (`jk2_init()`,
//! `sshd(pam_unix)`, `10.0.0.5:3306`, `key=value`, `user@host`, `/path/x`): quoted, it is the
//! phrase of the parts the tokenizer splits it into, exactly as the text it matches is split.
//! A parenthesis opens a group only at the start of a word, and closes one only when it does
//! not close one opened inside the word.

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    /// A word or phrase: its text as typed (the tokenizer splits it), whether its last word is
    /// a prefix, whether it must start the line.
    Term {
        text: String,
        prefix: bool,
        initial: bool,
    },
    /// Terms within `distance` tokens of each other (FTS5's default, 10, when None).
    Near(Vec<Expr>, Option<u32>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>, Box<Expr>),
}

impl Expr {
    /// The FTS5 form: every term quoted, every operation in parentheses.
    pub(super) fn fts(&self) -> String {
        match self {
            Expr::Term {
                text,
                prefix,
                initial,
            } => format!(
                "{}\"{}\"{}",
                if *initial { "^ " } else { "" },
                text.replace('"', "\"\""),
                if *prefix { " *" } else { "" }
            ),
            Expr::Near(terms, distance) => {
                let terms: Vec<String> = terms.iter().map(Expr::fts).collect();
                match distance {
                    Some(n) => format!("NEAR({}, {n})", terms.join(" ")),
                    None => format!("NEAR({})", terms.join(" ")),
                }
            }
            Expr::And(a, b) => format!("({} AND {})", a.fts(), b.fts()),
            Expr::Or(a, b) => format!("({} OR {})", a.fts(), b.fts()),
            Expr::Not(a, b) => format!("({} NOT {})", a.fts(), b.fts()),
        }
    }

    /// The query with each prefix of one plain word (`replica*`) replaced by the OR of the
    /// words `words` says it stands for (`"replica" OR "replicas" OR "replication"`), where it
    /// gives some. The same lines match; FTS5 answers an OR a line at a time, where it merges
    /// the position lists of every word of a prefix before it returns the first line. Left as
    /// they are: prefixes inside NEAR (no OR there), phrases ending in a prefix, `^`.
    pub(super) fn expand_prefixes(
        &self,
        words: &mut impl FnMut(&str) -> Option<Vec<String>>,
    ) -> Expr {
        let pair = |a: &Expr, b: &Expr, words: &mut _| {
            (
                Box::new(a.expand_prefixes(words)),
                Box::new(b.expand_prefixes(words)),
            )
        };
        match self {
            Expr::Term {
                text,
                prefix: true,
                initial: false,
            } if text.chars().all(|c| c.is_ascii_alphanumeric()) => {
                match words(&text.to_ascii_lowercase()) {
                    Some(list) if !list.is_empty() => list
                        .into_iter()
                        .map(|w| Expr::Term {
                            text: w,
                            prefix: false,
                            initial: false,
                        })
                        .reduce(|a, b| Expr::Or(Box::new(a), Box::new(b)))
                        .unwrap_or_else(|| self.clone()),
                    _ => self.clone(),
                }
            }
            Expr::And(a, b) => {
                let (a, b) = pair(a, b, words);
                Expr::And(a, b)
            }
            Expr::Or(a, b) => {
                let (a, b) = pair(a, b, words);
                Expr::Or(a, b)
            }
            Expr::Not(a, b) => {
                let (a, b) = pair(a, b, words);
                Expr::Not(a, b)
            }
            _ => self.clone(),
        }
    }

    /// The terms that must or may occur (not those after a NOT), for highlighting.
    pub(super) fn positive_terms(&self) -> Vec<(&str, bool)> {
        match self {
            Expr::Term { text, prefix, .. } => vec![(text.as_str(), *prefix)],
            Expr::Near(terms, _) => terms.iter().flat_map(Expr::positive_terms).collect(),
            Expr::And(a, b) | Expr::Or(a, b) => {
                let mut all = a.positive_terms();
                all.extend(b.positive_terms());
                all
            }
            Expr::Not(a, _) => a.positive_terms(),
        }
    }

    /// Any one of the terms that must or may occur (`a OR b OR …`), as plain terms: a piece
    /// of a long text holds some of them where none holds the whole query (`snippet.rs`).
    pub(super) fn any_term(&self) -> Expr {
        self.positive_terms()
            .into_iter()
            .map(|(text, prefix)| Expr::Term {
                text: text.to_string(),
                prefix,
                initial: false,
            })
            .reduce(|a, b| Expr::Or(Box::new(a), Box::new(b)))
            .unwrap_or_else(|| self.clone())
    }

    /// The query's words as one phrase when it is two or more plain words side by side:
    /// texts holding the exact phrase rank first.
    pub(super) fn phrase(&self) -> Option<Expr> {
        fn words<'e>(e: &'e Expr, out: &mut Vec<&'e str>) -> bool {
            match e {
                Expr::Term {
                    text,
                    prefix: false,
                    initial: false,
                } if text.chars().all(char::is_alphanumeric) => {
                    out.push(text);
                    true
                }
                Expr::And(a, b) => words(a, out) && words(b, out),
                _ => false,
            }
        }
        let mut out = Vec::new();
        (words(self, &mut out) && out.len() >= 2).then(|| Expr::Term {
            text: out.join(" "),
            prefix: false,
            initial: false,
        })
    }
}

/// Why a query cannot be searched, in one line with an example of what works.
pub(super) type QueryError = String;

/// Whether the tokenizer (unicode61) finds a word in `text`: letters and digits are tokens,
/// everything else separates them.
fn searchable(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    /// `NEAR(`.
    Near,
    Comma,
    Term {
        text: String,
        prefix: bool,
        initial: bool,
        quoted: bool,
    },
}

/// Splits the query into tokens. Words without any searchable character (`-`, `|`) are left
/// out; a phrase without one is an error.
fn lex(query: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = query.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut near_depth: Option<usize> = None;
    let mut depth = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                depth += 1;
                tokens.push(Token::Open);
                i += 1;
                continue;
            }
            ')' => {
                if near_depth == Some(depth) {
                    near_depth = None;
                }
                depth = depth.saturating_sub(1);
                tokens.push(Token::Close);
                i += 1;
                continue;
            }
            ',' if near_depth.is_some() => {
                tokens.push(Token::Comma);
                i += 1;
                continue;
            }
            _ => {}
        }
        let (token, next) = word(&chars, i, near_depth.is_some())?;
        i = next;
        match token {
            Token::Near => {
                depth += 1;
                near_depth = Some(depth);
                tokens.push(Token::Near);
            }
            Token::Term {
                ref text, quoted, ..
            } if !searchable(text) => {
                if quoted {
                    return Err(format!(
                        "\"{text}\" has no word to search for; search for the words around it, as in: incident search '\"connection refused\"'"
                    ));
                }
            }
            token => tokens.push(token),
        }
    }
    Ok(tokens)
}

/// The word or phrase starting at `start`, and where the next token starts.
fn word(chars: &[char], start: usize, in_near: bool) -> Result<(Token, usize), QueryError> {
    if !in_near && chars[start..].starts_with(&['N', 'E', 'A', 'R', '(']) {
        return Ok((Token::Near, start + 5));
    }
    let mut i = start;
    let initial = chars[i] == '^';
    if initial {
        i += 1;
    }
    let mut text = String::new();
    let mut quoted = false;
    let mut parens = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() || (in_near && c == ',') {
            break;
        }
        match c {
            '"' => {
                let close = chars[i + 1..].iter().position(|c| *c == '"').ok_or(
                    "a double quote is not closed; close it, as in: incident search '\"connection refused\"'",
                )?;
                let inner: String = chars[i + 1..i + 1 + close].iter().collect();
                if text.is_empty() && !initial && !quoted {
                    quoted = true;
                }
                // A quote inside a word keeps the phrase of the whole (`key="a b"`).
                text.push_str(&inner);
                i += close + 2;
                continue;
            }
            '(' => parens += 1,
            ')' if parens == 0 => break,
            ')' => parens -= 1,
            _ => {}
        }
        text.push(c);
        i += 1;
    }
    if !initial && !quoted {
        match text.as_str() {
            "AND" => return Ok((Token::And, i)),
            "OR" => return Ok((Token::Or, i)),
            "NOT" => return Ok((Token::Not, i)),
            _ => {}
        }
    }
    let mut text = text.trim_end().to_string();
    let prefix = text.ends_with('*')
        && searchable(text.trim_end_matches('*'))
        && !text.trim_end_matches('*').ends_with(' ');
    if prefix {
        text = text.trim_end_matches('*').to_string();
    }
    Ok((
        Token::Term {
            text,
            prefix,
            initial,
            quoted,
        },
        i,
    ))
}

/// Parses a query; the error says what is wrong with an example of what works.
pub(super) fn parse(query: &str) -> Result<Expr, QueryError> {
    let tokens = lex(query)?;
    if !tokens.iter().any(|t| matches!(t, Token::Term { .. })) {
        return Err(format!(
            "'{}' has no word to search for; search for a word, \"a phrase\" or a prefix, as in: incident search 'crypt*'",
            query.trim()
        ));
    }
    let mut parser = Parser { tokens, at: 0 };
    let expr = parser.or()?;
    match parser.tokens.get(parser.at) {
        None => Ok(expr),
        Some(Token::Close) => Err(
            "a ')' closes no '('; group with both, as in: incident search '(timeout OR refused) AND db'".to_string(),
        ),
        Some(t) => Err(format!("unexpected {}", describe(t))),
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::Open => "'('".into(),
        Token::Close => "')'".into(),
        Token::And => "AND".into(),
        Token::Or => "OR".into(),
        Token::Not => "NOT".into(),
        Token::Near => "NEAR(".into(),
        Token::Comma => "','".into(),
        Token::Term { text, .. } => format!("'{text}'"),
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            let right = self.operand("OR", "timeout OR refused", Self::and)?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.not()?;
        loop {
            match self.peek() {
                Some(Token::And) => {
                    self.at += 1;
                    let right = self.operand("AND", "timeout AND binance", Self::not)?;
                    left = Expr::And(Box::new(left), Box::new(right));
                }
                Some(Token::Open | Token::Near | Token::Term { .. }) => {
                    let right = self.not()?;
                    left = Expr::And(Box::new(left), Box::new(right));
                }
                _ => return Ok(left),
            }
        }
    }

    fn not(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.primary()?;
        while self.peek() == Some(&Token::Not) {
            self.at += 1;
            let right = self.operand("NOT", "password NOT invalid", Self::primary)?;
            left = Expr::Not(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// The right side of an operator: an error naming it when there is none.
    fn operand(
        &mut self,
        op: &str,
        example: &str,
        next: fn(&mut Self) -> Result<Expr, QueryError>,
    ) -> Result<Expr, QueryError> {
        match self.peek() {
            Some(Token::Open | Token::Near | Token::Term { .. }) => next(self),
            _ => Err(format!(
                "{op} needs a word on each side, as in: incident search '{example}' (\"{op}\" in quotes is the word)"
            )),
        }
    }

    fn primary(&mut self) -> Result<Expr, QueryError> {
        let token = self.peek().cloned();
        self.at += 1;
        match token {
            Some(Token::Term {
                text,
                prefix,
                initial,
                ..
            }) => Ok(Expr::Term {
                text,
                prefix,
                initial,
            }),
            Some(Token::Open) => {
                let inner = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(
                        "a '(' is not closed; group with both, as in: incident search '(timeout OR refused) AND db'"
                            .into(),
                    );
                }
                self.at += 1;
                Ok(inner)
            }
            Some(Token::Near) => self.near(),
            Some(Token::Not) => Err(
                "NOT needs a word before it, as in: incident search 'password NOT invalid' (\"NOT\" in quotes is the word)"
                    .into(),
            ),
            Some(Token::And | Token::Or) => Err(format!(
                "{} needs a word on each side, as in: incident search 'timeout OR refused' (in quotes it is the word)",
                describe(&self.tokens[self.at - 1])
            )),
            Some(Token::Close) => Err(
                "a ')' closes no '('; group with both, as in: incident search '(timeout OR refused) AND db'".into(),
            ),
            Some(Token::Comma) | None => Err(
                "the query ends where a word was expected, as in: incident search 'timeout OR refused'".into(),
            ),
        }
    }

    /// After `NEAR(`: terms, an optional `, N`, and `)`.
    fn near(&mut self) -> Result<Expr, QueryError> {
        const EXAMPLE: &str =
            "NEAR takes words and a distance, as in: incident search 'NEAR(timeout binance, 5)'";
        let mut terms = Vec::new();
        let mut distance = None;
        loop {
            let token = self.peek().cloned();
            self.at += 1;
            match token {
                Some(Token::Term {
                    text,
                    prefix,
                    initial: false,
                    ..
                }) if distance.is_none() => terms.push(Expr::Term {
                    text,
                    prefix,
                    initial: false,
                }),
                Some(Token::Comma) if distance.is_none() => {
                    let n = match self.peek() {
                        Some(Token::Term { text, .. }) => text.parse::<u32>().ok(),
                        _ => None,
                    };
                    distance = Some(n.ok_or(EXAMPLE)?);
                    self.at += 1;
                }
                Some(Token::Close) if !terms.is_empty() => return Ok(Expr::Near(terms, distance)),
                _ => return Err(EXAMPLE.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fts(q: &str) -> String {
        parse(q)
            .map(|e| e.fts())
            .unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn words_with_punctuation_are_phrases_of_their_parts() {
        for (query, want) in [
            ("jk2_init()", r#""jk2_init()""#),
            ("sshd(pam_unix)", r#""sshd(pam_unix)""#),
            ("workerEnv.init()", r#""workerEnv.init()""#),
            ("10.0.0.5:3306", r#""10.0.0.5:3306""#),
            ("key=value", r#""key=value""#),
            ("$x", r#""$x""#),
            ("user@host", r#""user@host""#),
            ("/path/x", r#""/path/x""#),
            ("updater-5c", r#""updater-5c""#),
            ("req=cb89*", r#""req=cb89" *"#),
            ("a - b", r#"("a" AND "b")"#),
            ("text:foo", r#""text:foo""#),
            (r#"key="a b""#, r#""key=a b""#),
        ] {
            assert_eq!(fts(query), want, "{query}");
        }
    }

    #[test]
    fn operators_groups_phrases_near_and_prefixes() {
        for (query, want) in [
            ("password NOT invalid", r#"("password" NOT "invalid")"#),
            ("Accepted AND Failed", r#"("Accepted" AND "Failed")"#),
            ("a and b", r#"(("a" AND "and") AND "b")"#),
            (
                "(jk2_init() OR sshd(pam_unix)) lag",
                r#"(("jk2_init()" OR "sshd(pam_unix)") AND "lag")"#,
            ),
            ("a OR b c NOT d", r#"("a" OR ("b" AND ("c" NOT "d")))"#),
            (
                r#""connection refused" db*"#,
                r#"("connection refused" AND "db" *)"#,
            ),
            (
                "NEAR(timeout binance, 5)",
                r#"NEAR("timeout" "binance", 5)"#,
            ),
            ("NEAR(a-b c)", r#"NEAR("a-b" "c")"#),
            ("^ERROR", r#"^ "ERROR""#),
            ("NEAR", r#""NEAR""#),
            (r#""AND""#, r#""AND""#),
        ] {
            assert_eq!(fts(query), want, "{query}");
        }
    }

    #[test]
    fn malformed_or_empty_queries_say_why_with_an_example() {
        for (query, says) in [
            ("*", "no word to search for"),
            ("@", "no word to search for"),
            ("\"@\"", "no word to search for"),
            ("\"unclosed", "double quote is not closed"),
            ("AND", "no word"),
            ("lag OR", "OR needs a word on each side"),
            ("NOT lag", "NOT needs a word before it"),
            ("(lag", "'(' is not closed"),
            ("lag)", "')' closes no '('"),
            ("NEAR(a b, x)", "NEAR(timeout binance, 5)"),
            ("NEAR()", "no word to search for"),
        ] {
            let got = fts(query);
            assert!(
                got.starts_with("ERR") && got.contains(says),
                "{query}: {got}"
            );
            assert!(!got.contains('\n'), "{query}: {got}");
        }
    }

    #[test]
    fn prefixes_of_one_word_become_the_words_they_stand_for() {
        let mut asked = Vec::new();
        let mut words = |prefix: &str| {
            asked.push(prefix.to_string());
            match prefix {
                "replica" => Some(vec!["replica".to_string(), "replicas".to_string()]),
                "zz" => Some(Vec::new()),
                _ => None,
            }
        };
        let expand = |q: &str, words: &mut dyn FnMut(&str) -> Option<Vec<String>>| {
            parse(q).unwrap().expand_prefixes(&mut |p| words(p)).fts()
        };
        assert_eq!(
            expand("lag Replica* NOT zz*", &mut words),
            r#"("lag" AND (("replica" OR "replicas") NOT "zz" *))"#
        );
        assert_eq!(
            expand("w*", &mut words),
            r#""w" *"#,
            "too many words: as it is"
        );
        assert_eq!(
            expand("NEAR(replica* lag) req=cb89* ^replica*", &mut words),
            r#"((NEAR("replica" * "lag") AND "req=cb89" *) AND ^ "replica" *)"#
        );
        assert_eq!(asked, ["replica", "zz", "w"]);
    }

    #[test]
    fn exact_phrase_of_plain_words() {
        let phrase = |q: &str| parse(q).unwrap().phrase().map(|p| p.fts());
        assert_eq!(
            phrase("connection refused").as_deref(),
            Some(r#""connection refused""#)
        );
        assert_eq!(phrase("refused"), None);
        assert_eq!(phrase("a OR b"), None);
        assert_eq!(phrase("crypto* prices"), None);
    }
}
