//! `[team]`: the team log in PostgreSQL that working copies push to and pull from. Checked
//! here; connecting is `team`'s job. Without `[team]` (or with `--offline`, or an empty
//! `INCIDENT_TEAM_URL`) there is no team and nothing changes.

use super::{ConfigError, Source};
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

pub const TEAM_URL_ENV: &str = "INCIDENT_TEAM_URL";

/// The schema the team log lives in unless `[team] schema` names another.
pub const DEFAULT_SCHEMA: &str = "incident";

/// How long a connection and each round trip may take unless `[team] timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// The range `[team] timeout` accepts: long enough for a slow VPN, short enough that a command
/// run during an outage never waits minutes for a database it cannot reach.
pub const TIMEOUT_RANGE: (Duration, Duration) =
    (Duration::from_millis(100), Duration::from_secs(60));

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TeamFile {
    url: Option<Spanned<String>>,
    schema: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    pull_logs: Option<bool>,
}

/// Where the team log is. `url` still holds its `${VAR}` references: they are expanded when
/// connecting, so their values are known to redaction and never stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamSettings {
    pub url: String,
    pub schema: String,
    pub timeout: Duration,
    /// Whether a pull brings others' logs and command output (true), or only their names,
    /// sizes and hashes, the content fetched when asked for (`logs`, `incident sync --logs`).
    pub pull_logs: bool,
}

/// Where the url came from, for errors that name it.
enum Origin<'a> {
    File(&'a Spanned<String>),
    Env,
}

/// The team settings: `offline` (the `--offline` flag) beats `INCIDENT_TEAM_URL`, which beats
/// `[team] url`; an empty `INCIDENT_TEAM_URL` means no team.
pub(super) fn resolve(
    src: Option<&Source>,
    file: Option<&TeamFile>,
    env_url: Option<String>,
    offline: bool,
) -> Result<Option<TeamSettings>, ConfigError> {
    if offline {
        return Ok(None);
    }
    let file_url = file.and_then(|f| f.url.as_ref());
    let (url, origin) = match (env_url, file_url) {
        (Some(u), _) if u.trim().is_empty() => return Ok(None),
        (Some(u), _) => (u, Origin::Env),
        (None, Some(u)) => (u.get_ref().clone(), Origin::File(u)),
        (None, None) => {
            if let (Some(src), Some(f)) = (src, file)
                && let Some(s) = f.schema.as_ref().or(f.timeout.as_ref())
            {
                return Err(src.invalid(
                    s.span().start,
                    format!("team: url is missing (or set ${TEAM_URL_ENV})"),
                ));
            }
            return Ok(None);
        }
    };
    let invalid = |message: String| match (&origin, src) {
        (Origin::File(u), Some(src)) => src.invalid(u.span().start, message),
        _ => ConfigError::Env {
            var: TEAM_URL_ENV,
            message,
        },
    };
    check_url(&url).map_err(invalid)?;
    let schema = match file.and_then(|f| f.schema.as_ref()) {
        Some(s) => {
            check_schema(s.get_ref()).map_err(|m| invalid_at(src, s, m, &invalid))?;
            s.get_ref().clone()
        }
        None => DEFAULT_SCHEMA.to_string(),
    };
    let timeout = match (file.and_then(|f| f.timeout.as_ref()), src) {
        (Some(t), Some(src)) => {
            let d = src.duration("team.timeout", t, super::MAX_TIMEOUT)?;
            check_timeout(d).map_err(|m| src.invalid(t.span().start, m))?;
            d
        }
        _ => DEFAULT_TIMEOUT,
    };
    Ok(Some(TeamSettings {
        url,
        schema,
        timeout,
        pull_logs: file.and_then(|f| f.pull_logs).unwrap_or(true),
    }))
}

fn invalid_at(
    src: Option<&Source>,
    at: &Spanned<String>,
    message: String,
    otherwise: &dyn Fn(String) -> ConfigError,
) -> ConfigError {
    match src {
        Some(src) => src.invalid(at.span().start, message),
        None => otherwise(message),
    }
}

fn check_url(url: &str) -> Result<(), String> {
    let scheme = url.split("://").next().unwrap_or("");
    if !url.contains("://") || !["postgres", "postgresql"].contains(&scheme) {
        return Err("team: url must start with postgres:// or postgresql://".into());
    }
    if super::collectors::has_clear_password(url) {
        return Err(
            "team: the url has a password written out; write ${VAR} in its place and set VAR in \
             the environment, or use PGPASSWORD or ~/.pgpass"
                .into(),
        );
    }
    Ok(())
}

/// A plain lower-case SQL identifier, so it needs no quoting anywhere.
fn check_schema(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "team.schema {name:?}: use lower-case letters, digits and _ (at most 63), like \"incident\""
        ))
    }
}

fn check_timeout(d: Duration) -> Result<(), String> {
    let (low, high) = TIMEOUT_RANGE;
    if d < low || d > high {
        return Err(format!(
            "team.timeout: {} is out of range; use 100ms to 60s",
            humantime::format_duration(d)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_need_no_quoting() {
        assert!(check_schema("incident").is_ok());
        assert!(check_schema("team_2").is_ok());
        for bad in ["", "Incident", "2team", "a-b", "a;drop", &"x".repeat(64)] {
            assert!(check_schema(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_are_postgres_without_a_written_password() {
        assert!(check_url("postgres://incident@db.example/incidents").is_ok());
        assert!(check_url("postgresql://incident:${TEAM_PW}@db/incidents?sslmode=require").is_ok());
        assert!(check_url("mysql://root@db/x").is_err());
        let err = check_url("postgres://incident:hunter22@db/incidents").unwrap_err();
        assert!(!err.contains("hunter22"), "{err}");
    }

    #[test]
    fn timeouts_have_a_range() {
        assert!(check_timeout(Duration::from_millis(100)).is_ok());
        assert!(check_timeout(Duration::from_secs(60)).is_ok());
        assert!(check_timeout(Duration::from_millis(99)).is_err());
        assert!(check_timeout(Duration::from_secs(61)).is_err());
    }
}
