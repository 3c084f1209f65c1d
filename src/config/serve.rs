//! `[serve]` and `[intake]`: how `incident serve` listens, and how the Alertmanager intake
//! maps alerts to incidents. Checked here; tokens keep their `${VAR}` references until the
//! server starts (`ServeSettings::expand_tokens`), as other secrets do.

use super::{ConfigError, Source};
use crate::domain::intake::SeverityMap;
use crate::domain::model::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;
use toml::Spanned;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_REOPEN_WINDOW: Duration = Duration::from_secs(3_600);
pub const DEFAULT_INTAKE_AUTHOR: &str = "alertmanager";
/// The largest body `[serve] body_limit` may allow: a group of thousands of alerts fits.
pub const MAX_BODY_LIMIT: usize = 64 * 1024 * 1024;
/// The longest reopen window: a week, like the reminder intervals.
pub const MAX_REOPEN_WINDOW: Duration = Duration::from_secs(7 * 86_400);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ServeFile {
    listen: Option<Spanned<String>>,
    board_token: Option<Spanned<String>>,
    body_limit: Option<Spanned<String>>,
    header_timeout: Option<Spanned<String>>,
    request_timeout: Option<Spanned<String>>,
    public_url: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IntakeFile {
    token: Option<Spanned<String>>,
    default_severity: Option<Spanned<String>>,
    auto_resolve: Option<bool>,
    reopen_window: Option<Spanned<String>>,
    author: Option<Spanned<String>>,
    severity: Option<BTreeMap<String, Spanned<String>>>,
}

/// `incident serve`'s settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeSettings {
    /// `host:port` or `[::1]:port`; `--listen` overrides.
    pub listen: String,
    /// With `${VAR}` references until the server starts.
    pub board_token: Option<String>,
    pub body_limit: usize,
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    /// Where people reach the board (`https://incident.example.com`, no trailing slash):
    /// messages link to `{public_url}/incidents/N`. None: messages carry no link.
    pub public_url: Option<String>,
    pub intake: IntakeSettings,
}

/// The Alertmanager intake's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct IntakeSettings {
    /// The bearer token Alertmanager presents, with `${VAR}` references until the server
    /// starts; without one the intake answers 503.
    pub token: Option<String>,
    pub severity: SeverityMap,
    /// Resolve the incident when its alert group resolves (else a person decides).
    pub auto_resolve: bool,
    pub reopen_window: Duration,
    /// Who the intake's changes are recorded as.
    pub author: String,
}

impl Default for ServeSettings {
    fn default() -> Self {
        ServeSettings {
            listen: DEFAULT_LISTEN.into(),
            board_token: None,
            body_limit: DEFAULT_BODY_LIMIT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            public_url: None,
            intake: IntakeSettings::default(),
        }
    }
}

impl Default for IntakeSettings {
    fn default() -> Self {
        IntakeSettings {
            token: None,
            severity: SeverityMap::default(),
            auto_resolve: false,
            reopen_window: DEFAULT_REOPEN_WINDOW,
            author: DEFAULT_INTAKE_AUTHOR.into(),
        }
    }
}

/// The tokens with their `${VAR}` references expanded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tokens {
    pub board: Option<String>,
    pub intake: Option<String>,
}

impl ServeSettings {
    /// The board page of incident `number`, when `public_url` is set.
    pub fn incident_url(&self, number: i64) -> Option<String> {
        incident_url(self.public_url.as_deref(), number)
    }

    /// Expands the tokens' `${VAR}` references; an unset variable is an error naming it, an
    /// empty token is no token.
    pub fn expand_tokens(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Tokens, String> {
        let expand = |key: &str, t: &Option<String>| -> Result<Option<String>, String> {
            let Some(t) = t else { return Ok(None) };
            let (value, _) = crate::domain::env::expand_env(t, env)
                .map_err(|var| format!("{key}: ${{{var}}} is not set in the environment"))?;
            Ok(Some(value).filter(|v| !v.trim().is_empty()))
        };
        Ok(Tokens {
            board: expand("serve.board_token", &self.board_token)?,
            intake: expand("intake.token", &self.intake.token)?,
        })
    }
}

pub(super) fn resolve(
    src: &Source,
    serve: Option<&ServeFile>,
    intake: Option<&IntakeFile>,
) -> Result<ServeSettings, ConfigError> {
    let mut s = ServeSettings::default();
    if let Some(f) = serve {
        if let Some(l) = &f.listen {
            check_listen(l.get_ref()).map_err(|m| src.invalid(l.span().start, m))?;
            s.listen = l.get_ref().clone();
        }
        s.board_token = token(src, "serve.board_token", f.board_token.as_ref())?;
        if let Some(b) = &f.body_limit {
            s.body_limit = parse_size(b.get_ref())
                .map_err(|m| src.invalid(b.span().start, format!("serve.body_limit: {m}")))?;
        }
        for (key, value, slot) in [
            (
                "serve.header_timeout",
                &f.header_timeout,
                &mut s.header_timeout,
            ),
            (
                "serve.request_timeout",
                &f.request_timeout,
                &mut s.request_timeout,
            ),
        ] {
            if let Some(v) = value {
                *slot = src.duration(key, v, super::MAX_TIMEOUT)?;
            }
        }
        if let Some(u) = &f.public_url {
            let url = public_url(u.get_ref()).map_err(|m| src.invalid(u.span().start, m))?;
            s.public_url = Some(url);
        }
    }
    if let Some(f) = intake {
        let i = &mut s.intake;
        i.token = token(src, "intake.token", f.token.as_ref())?;
        if let Some(d) = &f.default_severity {
            i.severity.default = severity(src, "intake.default_severity", d)?;
        }
        i.auto_resolve = f.auto_resolve.unwrap_or(false);
        if let Some(w) = &f.reopen_window {
            i.reopen_window = src.duration("intake.reopen_window", w, MAX_REOPEN_WINDOW)?;
        }
        if let Some(a) = &f.author {
            let name = a.get_ref().trim();
            if name.is_empty() {
                return Err(src.invalid(a.span().start, "intake.author is empty".into()));
            }
            i.author = name.to_string();
        }
        for (label, value) in f.severity.iter().flatten() {
            let sev = severity(src, &format!("intake.severity.{label}"), value)?;
            i.severity
                .table
                .insert(label.trim().to_ascii_lowercase(), sev);
        }
    }
    Ok(s)
}

fn severity(src: &Source, key: &str, value: &Spanned<String>) -> Result<Severity, ConfigError> {
    value
        .get_ref()
        .parse()
        .map_err(|e| src.invalid(value.span().start, format!("{key}: {e}")))
}

/// A token is a secret: only as `${VAR}`, so that it is never written in the file.
fn token(
    src: &Source,
    key: &str,
    value: Option<&Spanned<String>>,
) -> Result<Option<String>, ConfigError> {
    let Some(v) = value else { return Ok(None) };
    if !v.get_ref().contains("${") {
        return Err(src.invalid(
            v.span().start,
            format!(
                "{key} is written out; write ${{VAR}} in its place and set VAR in the environment"
            ),
        ));
    }
    Ok(Some(v.get_ref().clone()))
}

/// The board page of incident `number` under `public_url` (already normalised).
pub fn incident_url(public_url: Option<&str>, number: i64) -> Option<String> {
    public_url.map(|base| format!("{base}/incidents/{number}"))
}

/// `[serve] public_url`: an http(s) URL with a host, without query, fragment, credentials or
/// whitespace; trailing slashes dropped (`https://x.example/board/` → `https://x.example/board`).
pub fn public_url(text: &str) -> Result<String, String> {
    let bad = |why: &str| {
        format!(
            "serve.public_url {text:?} {why}; write the board's address as people open it, like \"https://incident.example.com\""
        )
    };
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &t[8..]
    } else if lower.starts_with("http://") {
        &t[7..]
    } else {
        return Err(bad("is not an http:// or https:// URL"));
    };
    if t.contains(['?', '#']) {
        return Err(bad("has a query or a fragment"));
    }
    if t.chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
    {
        return Err(bad("has a space or a control character"));
    }
    if t.contains("${") {
        return Err(bad("is not a secret: write it out"));
    }
    let authority = rest.split('/').next().unwrap_or("");
    if authority.contains('@') {
        return Err(bad("carries credentials; the board has its own token"));
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']').unwrap_or(("", ""));
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':').unwrap_or("x"))),
            }
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    if port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return Err(bad("has a bad port"));
    }
    Ok(t.trim_end_matches('/').to_string())
}

/// `host:port` or `[v6]:port`, with a port.
pub fn check_listen(listen: &str) -> Result<(), String> {
    let bad = || {
        format!("serve.listen {listen:?}: write host:port or [::1]:port, like \"127.0.0.1:8787\"")
    };
    let (host, port) = listen.rsplit_once(':').ok_or_else(bad)?;
    port.parse::<u16>().map_err(|_| bad())?;
    let bracketed = host.starts_with('[') && host.ends_with(']');
    if host.is_empty() || (host.contains(':') && !bracketed) {
        return Err(bad());
    }
    Ok(())
}

/// `1MiB`, `512KiB`, `2MB`, `65536` (bytes), from 1 KiB to 64 MiB.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let n: usize = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size; write 1MiB, 512KiB or a number of bytes"))?;
    let scale: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "k" => 1024,
        "kb" => 1000,
        "mib" | "m" => 1024 * 1024,
        "mb" => 1_000_000,
        other => return Err(format!("unknown unit {other:?}; use B, KiB, MiB, KB or MB")),
    };
    let bytes = n.saturating_mul(scale);
    if !(1024..=MAX_BODY_LIMIT).contains(&bytes) {
        return Err(format!("{text} is out of range; use 1KiB to 64MiB"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_CONFIG;

    fn settings(text: &str) -> Result<ServeSettings, ConfigError> {
        crate::config::load_text(text).map(|s| s.serve)
    }

    #[test]
    fn the_default_config_and_its_examples_are_the_defaults() {
        assert_eq!(settings(DEFAULT_CONFIG).unwrap(), ServeSettings::default());
        let start = DEFAULT_CONFIG.find("# [serve]").unwrap();
        let end = DEFAULT_CONFIG[start..]
            .find("# ----")
            .map_or(DEFAULT_CONFIG.len(), |e| start + e);
        let uncommented: String = DEFAULT_CONFIG[start..end]
            .lines()
            .map(|l| l.strip_prefix("# ").unwrap_or(l))
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        let s = settings(&uncommented).unwrap();
        let mut expected = ServeSettings {
            board_token: s.board_token.clone(),
            public_url: s.public_url.clone(),
            ..ServeSettings::default()
        };
        assert_eq!(
            expected.public_url.as_deref(),
            Some("https://incident.example.com")
        );
        expected.intake.token = s.intake.token.clone();
        assert!(expected.board_token.is_some() && expected.intake.token.is_some());
        assert_eq!(
            s, expected,
            "the examples show the defaults:\n{uncommented}"
        );
    }

    #[test]
    fn public_url_is_an_http_url_without_query_and_loses_its_trailing_slash() {
        for (given, want) in [
            (
                "https://incident.example.com",
                "https://incident.example.com",
            ),
            (
                "https://incident.example.com/",
                "https://incident.example.com",
            ),
            ("http://10.0.3.7:8787/board//", "http://10.0.3.7:8787/board"),
            ("HTTPS://[::1]:8443/", "HTTPS://[::1]:8443"),
        ] {
            assert_eq!(public_url(given).as_deref(), Ok(want), "{given}");
        }
        for (given, why) in [
            ("incident.example.com", "not an http"),
            ("ftp://incident.example.com", "not an http"),
            ("https://incident.example.com/?tab=1", "query or a fragment"),
            ("https://incident.example.com/#top", "query or a fragment"),
            ("https://", "no host"),
            ("https://:8787/", "no host"),
            ("https://x.example:99999", "bad port"),
            ("https://[::1]x/", "bad port"),
            ("https://user:pw@x.example", "credentials"),
            ("https://x.example/a b", "space"),
            ("${BOARD_URL}", "not an http"),
        ] {
            let err = public_url(given).unwrap_err();
            assert!(err.contains(why), "{given}: {err}");
        }
        let s = settings("[serve]\npublic_url = \"https://incident.example.com/\"\n").unwrap();
        assert_eq!(
            s.incident_url(12).as_deref(),
            Some("https://incident.example.com/incidents/12")
        );
        assert_eq!(ServeSettings::default().incident_url(12), None);
        let err = settings(
            "[serve]\nlisten = \"127.0.0.1:8787\"\npublic_url = \"https://x.example?a=1\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("line 3") && err.contains("serve.public_url") && !err.contains('\n'),
            "{err}"
        );
    }

    #[test]
    fn tokens_only_through_the_environment() {
        let err = settings("[intake]\ntoken = \"hunter22\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2") && !err.contains("hunter22"), "{err}");
        let s = settings("[intake]\ntoken = \"${AM_TOKEN}\"\n").unwrap();
        let env = |k: &str| (k == "AM_TOKEN").then(|| "s3cret".to_string());
        assert_eq!(
            s.expand_tokens(&env).unwrap().intake.as_deref(),
            Some("s3cret")
        );
        let err = s.expand_tokens(&|_| None).unwrap_err();
        assert!(err.contains("AM_TOKEN"), "{err}");
    }

    #[test]
    fn settings_are_checked_with_their_line() {
        for (text, needle) in [
            ("[serve]\nlisten = \"8787\"\n", "serve.listen"),
            ("[serve]\nlisten = \"::1:8787\"\n", "serve.listen"),
            ("[serve]\nbody_limit = \"1GiB\"\n", "serve.body_limit"),
            ("[serve]\nbody_limit = \"100\"\n", "out of range"),
            (
                "[intake]\ndefault_severity = \"P4\"\n",
                "intake.default_severity",
            ),
            (
                "[intake.severity]\npage = \"urgent\"\n",
                "intake.severity.page",
            ),
            (
                "[intake]\nreopen_window = \"30d\"\n",
                "intake.reopen_window",
            ),
        ] {
            let err = settings(text).unwrap_err().to_string();
            assert!(
                err.contains(needle) && err.contains("line 2"),
                "{text}: {err}"
            );
        }
        let s = settings(
            "[serve]\nlisten = \"[::1]:9000\"\nbody_limit = \"512KiB\"\n[intake]\nreopen_window = \"90s\"\n[intake.severity]\nPage = \"P1\"\n",
        )
        .unwrap();
        assert_eq!(s.listen, "[::1]:9000");
        assert_eq!(s.body_limit, 512 * 1024);
        assert_eq!(s.intake.reopen_window, Duration::from_secs(90));
        assert_eq!(s.intake.severity.table.get("page"), Some(&Severity::P1));
        assert_eq!(s.intake.severity.table.get("critical"), Some(&Severity::P1));
    }
}
