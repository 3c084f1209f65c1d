//! Settings, resolved in one place: flags beat environment variables, which beat the config
//! file, which beats the defaults.

mod author;
mod calendars;
mod collectors;
mod health;
mod ics;
mod reminders;
mod serve;
mod team;

pub use author::{FallbackAuthor, UNKNOWN_AUTHOR, fallback_author, resolve_fallback_author};
pub use calendars::{ALWAYS as NO_CALENDAR, DEFAULT_TIMEZONE};
pub use ics::{FIRST as HOLIDAYS_FROM, LAST as HOLIDAYS_TO, MAX_DATES as MAX_HOLIDAYS};
pub use serve::{IntakeSettings, ServeSettings, Tokens, check_listen};
pub use team::{DEFAULT_SCHEMA, DEFAULT_TIMEOUT, TEAM_URL_ENV, TeamSettings};

use crate::domain::model::Severity;
use crate::domain::sla::Policy;
use crate::domain::time;
use crate::evidence::settings::Collectors;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// The commented default config, printed by `incident config default`.
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

pub const DB_ENV: &str = "INCIDENT_DB";
pub const CONFIG_ENV: &str = "INCIDENT_CONFIG";
pub const AUTHOR_ENV: &str = "INCIDENT_AUTHOR";
pub const TEMPLATES_ENV: &str = "INCIDENT_TEMPLATES";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {path} line {line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("no place for the database: neither HOME nor XDG_DATA_HOME is set")]
    NoHome,
    #[error("${var}: {message}")]
    Env { var: &'static str, message: String },
}

impl ConfigError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ConfigError::Read { .. } => Some(format!(
                "check --config and ${CONFIG_ENV}, or create the file (`incident config default` prints one)"
            )),
            ConfigError::Invalid { .. } => {
                Some("`incident config default` prints a valid, commented config".into())
            }
            ConfigError::NoHome => Some(format!("pass --db PATH or set ${DB_ENV}")),
            ConfigError::Env { var, .. } => Some(format!(
                "fix ${var}, or set it empty (or pass --offline) to work without the team log"
            )),
        }
    }
}

/// Settings given as flags.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub db: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub author: Option<String>,
    pub template_dir: Option<PathBuf>,
    /// `--offline`: no team log for this command, whatever the config says.
    pub offline: bool,
}

/// Everything a command needs to know about where and how to work.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub db: PathBuf,
    /// The config file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// From a flag, the environment or the file; `None` falls back to git and $USER.
    pub author: Option<String>,
    pub templates: Option<PathBuf>,
    pub policy: Policy,
    /// What a snapshot collects; empty unless the config names collectors.
    pub collectors: Collectors,
    pub reminders: crate::domain::remind::Reminders,
    /// Where reminders go besides stdout.
    pub channels: Vec<crate::domain::remind::Channel>,
    /// How the health score and the severity it implies are computed.
    pub health: crate::evidence::health::HealthSettings,
    /// Output bytes `incident exec` keeps per run (stdout and stderr together).
    pub exec_max_output: usize,
    /// The team log, if there is one for this command.
    pub team: Option<TeamSettings>,
    /// How many past incidents like a new one `open` and `show` list (`[open] similar`).
    pub similar: usize,
    /// Every `[calendars.NAME]`, used by a clock or not (`policy` holds those in use).
    pub calendars: std::collections::BTreeMap<String, crate::domain::calendar::Calendar>,
    /// `incident serve` and its Alertmanager intake (`[serve]`, `[intake]`).
    pub serve: ServeSettings,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    db: Option<Spanned<String>>,
    author: Option<String>,
    templates: Option<Spanned<String>>,
    sla: Option<SlaFile>,
    kubernetes: Option<collectors::KubeFile>,
    #[serde(default)]
    database: Vec<collectors::DatabaseFile>,
    #[serde(default)]
    redis: Vec<collectors::RedisFile>,
    #[serde(default)]
    command: Vec<collectors::CommandFile>,
    snapshot: Option<collectors::SnapshotFile>,
    reminders: Option<reminders::RemindersFile>,
    #[serde(default)]
    notify: Vec<Spanned<reminders::NotifyFile>>,
    health: Option<health::HealthFile>,
    exec: Option<ExecFile>,
    team: Option<team::TeamFile>,
    open: Option<OpenFile>,
    calendars: Option<calendars::CalendarsFile>,
    serve: Option<serve::ServeFile>,
    intake: Option<serve::IntakeFile>,
}

/// `[open]`: what `incident open` shows besides the incident.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenFile {
    similar: Option<usize>,
}

/// How many past incidents like a new one are listed unless `[open] similar` says otherwise:
/// enough to see a pattern, few enough to read while paged.
pub const DEFAULT_SIMILAR: usize = 3;

/// `[exec]`: what `incident exec` records.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExecFile {
    max_output: Option<usize>,
}

/// The longest SLA target (respond, resolve, post-mortem) and data age a config may give: a
/// target beyond a year is a typo or a unit slip, and the bound keeps every deadline in range.
pub const MAX_TARGET: Duration = Duration::from_secs(365 * 86_400);
/// The longest timeout (collectors, the snapshot deadline, `[[notify]]`): an hour is already
/// far longer than a person waits at a terminal, and a timer of it cannot overflow.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3_600);
/// The longest reminder interval (`[reminders] repeat` and `stale`): a reminder a week apart
/// is no longer a reminder.
pub const MAX_INTERVAL: Duration = Duration::from_secs(7 * 86_400);

/// The longest update cadence (`[sla.P1] update_every`): stakeholders who hear nothing for a
/// day are not on a rhythm any more.
pub const MAX_UPDATE_EVERY: Duration = Duration::from_secs(86_400);

/// Output bytes `incident exec` keeps per run unless `[exec] max_output` says otherwise.
pub const DEFAULT_EXEC_MAX_OUTPUT: usize = 1024 * 1024;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlaFile {
    postmortem: Option<Spanned<String>>,
    postmortem_calendar: Option<Spanned<String>>,
    #[serde(rename = "P1")]
    p1: Option<TargetFile>,
    #[serde(rename = "P2")]
    p2: Option<TargetFile>,
    #[serde(rename = "P3")]
    p3: Option<TargetFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetFile {
    respond: Option<Spanned<String>>,
    resolve: Option<Spanned<String>>,
    update_every: Option<Spanned<String>>,
    calendar: Option<Spanned<String>>,
}

/// Resolves every setting. `env` reads an environment variable (tests pass a map).
pub fn load(flags: &Flags, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    let home = var("HOME").map(PathBuf::from);
    let config_home = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")));

    let explicit = flags
        .config
        .clone()
        .or_else(|| var(CONFIG_ENV).map(PathBuf::from));
    let (config_file, text) = read_config(explicit, config_home.as_deref())?;
    let file = match (&config_file, &text) {
        (Some(path), Some(text)) => parse(path, text)?,
        _ => FileConfig::default(),
    };
    let file_dir = config_file
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf);
    let file_path = |s: &Spanned<String>| expand(s.get_ref(), home.as_deref(), file_dir.as_deref());

    let db = match flags.db.clone().or_else(|| var(DB_ENV).map(PathBuf::from)) {
        Some(p) => p,
        None => match &file.db {
            Some(p) => file_path(p),
            None => var("XDG_DATA_HOME")
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".local").join("share")))
                .ok_or(ConfigError::NoHome)?
                .join("incident")
                .join("incidents.db"),
        },
    };
    let author = flags
        .author
        .clone()
        .or_else(|| var(AUTHOR_ENV))
        .or(file.author.clone())
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty());
    let templates = flags
        .template_dir
        .clone()
        .or_else(|| var(TEMPLATES_ENV).map(PathBuf::from))
        .or_else(|| file.templates.as_ref().map(file_path))
        .or_else(|| {
            config_home
                .map(|d| d.join("incident").join("templates"))
                .filter(|d| d.is_dir())
        });
    let source = match (&config_file, &text) {
        (Some(path), Some(text)) => Some(Source { path, text }),
        _ => None,
    };
    let sections = match &source {
        Some(src) => Sections::resolve(src, &file, &file_path)?,
        None => Sections::default(),
    };
    // Not `var`: an empty INCIDENT_TEAM_URL means "no team", not "unset".
    let team = team::resolve(
        source.as_ref(),
        file.team.as_ref(),
        env(TEAM_URL_ENV),
        flags.offline,
    )?;
    let serve = match &source {
        Some(src) => serve::resolve(src, file.serve.as_ref(), file.intake.as_ref())?,
        None => ServeSettings::default(),
    };
    Ok(Settings {
        db,
        config_file,
        author,
        templates,
        policy: sections.policy,
        collectors: sections.collectors,
        reminders: sections.reminders,
        channels: sections.channels,
        health: sections.health,
        exec_max_output: file
            .exec
            .as_ref()
            .and_then(|e| e.max_output)
            .unwrap_or(DEFAULT_EXEC_MAX_OUTPUT),
        team,
        calendars: sections.calendars,
        similar: file
            .open
            .as_ref()
            .and_then(|o| o.similar)
            .unwrap_or(DEFAULT_SIMILAR),
        serve,
    })
}

/// The config file and its text. A config named by flag or environment (`explicit`) must
/// exist; the default one, under `config_home`, is optional.
fn read_config(
    explicit: Option<PathBuf>,
    config_home: Option<&Path>,
) -> Result<(Option<PathBuf>, Option<String>), ConfigError> {
    if let Some(path) = explicit {
        let bytes = std::fs::read(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let text = utf8(&path, bytes)?;
        return Ok((Some(path), Some(text)));
    }
    let Some(path) = config_home.map(|d| d.join("incident").join("config.toml")) else {
        return Ok((None, None));
    };
    match std::fs::read(&path) {
        Ok(bytes) => {
            let text = utf8(&path, bytes)?;
            Ok((Some(path), Some(text)))
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(ConfigError::Read { path, source: e })
        }
        Err(_) => Ok((None, None)),
    }
}

/// The settings the file's sections give, checked against its text; the defaults without a file.
#[derive(Default)]
struct Sections {
    policy: Policy,
    collectors: Collectors,
    reminders: crate::domain::remind::Reminders,
    channels: Vec<crate::domain::remind::Channel>,
    health: crate::evidence::health::HealthSettings,
    calendars: std::collections::BTreeMap<String, crate::domain::calendar::Calendar>,
}

impl Sections {
    fn resolve(
        src: &Source,
        file: &FileConfig,
        path: &dyn Fn(&Spanned<String>) -> PathBuf,
    ) -> Result<Sections, ConfigError> {
        // Checked in this order: of several mistakes, the first one met is the one reported.
        let mut policy = policy(src, file.sla.as_ref())?;
        let defined = calendars::resolve(src, file.calendars.as_ref(), path)?;
        calendars::assign(src, file.sla.as_ref(), &defined, &mut policy)?;
        let collectors = collectors::resolve(src, file)?;
        let (mut reminders, channels) =
            reminders::resolve(src, file.reminders.as_ref(), &file.notify)?;
        cadence(src, file.sla.as_ref(), &mut reminders)?;
        Ok(Sections {
            policy,
            collectors,
            reminders,
            channels,
            health: health::resolve(src, file.health.as_ref())?,
            calendars: defined,
        })
    }
}

fn parse(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Invalid {
        path: path.to_path_buf(),
        line: e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
        message: one_line(e.message().trim()),
    })
}

/// A message that stays one line and cannot drive the terminal: the parser's messages quote
/// keys and values as they were written, control characters included.
fn one_line(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The config's text: TOML is UTF-8, and a byte that is not names its line, so that the
/// mistake can be found in an editor that shows it as nothing at all.
fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, ConfigError> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        ConfigError::Invalid {
            path: path.to_path_buf(),
            line: bytes[..valid].iter().filter(|&&b| b == b'\n').count() + 1,
            message: format!(
                "byte 0x{:02x} is not UTF-8: save the file as UTF-8",
                bytes.get(valid).copied().unwrap_or_default()
            ),
        }
    })
}

/// The config file's text, for errors that point at a line.
struct Source<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Source<'_> {
    fn invalid(&self, offset: usize, message: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line: line_of(self.text, offset),
            message: one_line(&message),
        }
    }

    /// A duration setting, refused beyond `max` (one of [`MAX_TARGET`], [`MAX_TIMEOUT`],
    /// [`MAX_INTERVAL`]) so that nothing computed from it can overflow.
    fn duration(
        &self,
        key: &str,
        value: &Spanned<String>,
        max: Duration,
    ) -> Result<Duration, ConfigError> {
        time::parse_duration_at_most(value.get_ref(), max)
            .map_err(|e| self.invalid(value.span().start, format!("{key}: {e}")))
    }
}

fn policy(src: &Source, sla: Option<&SlaFile>) -> Result<Policy, ConfigError> {
    let mut policy = Policy::default();
    let Some(sla) = sla else { return Ok(policy) };
    let duration = |key: String, value: &Spanned<String>| src.duration(&key, value, MAX_TARGET);
    if let Some(pm) = &sla.postmortem {
        policy.postmortem = duration("sla.postmortem".into(), pm)?;
    }
    for (severity, target) in [
        (Severity::P1, &sla.p1),
        (Severity::P2, &sla.p2),
        (Severity::P3, &sla.p3),
    ] {
        let Some(target) = target else { continue };
        if let Some(v) = &target.respond {
            policy.target_mut(severity).respond = duration(format!("sla.{severity}.respond"), v)?;
        }
        if let Some(v) = &target.resolve {
            policy.target_mut(severity).resolve = duration(format!("sla.{severity}.resolve"), v)?;
        }
    }
    Ok(policy)
}

/// `[sla.P1] update_every`: how often a person is expected to post an update, per severity.
/// It is read with the targets but feeds the reminders: it changes no deadline.
fn cadence(
    src: &Source,
    sla: Option<&SlaFile>,
    reminders: &mut crate::domain::remind::Reminders,
) -> Result<(), ConfigError> {
    let Some(sla) = sla else { return Ok(()) };
    for (severity, target) in [
        (Severity::P1, &sla.p1),
        (Severity::P2, &sla.p2),
        (Severity::P3, &sla.p3),
    ] {
        let Some(value) = target.as_ref().and_then(|t| t.update_every.as_ref()) else {
            continue;
        };
        let key = format!("sla.{severity}.update_every");
        // The parser refuses a zero duration, so a cadence is always a real interval.
        let every = src.duration(&key, value, MAX_UPDATE_EVERY)?;
        *reminders.update_every_mut(severity) = Some(every);
    }
    Ok(())
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// `~/x` is under HOME; a relative path in the config file is relative to the file.
fn expand(p: &str, home: Option<&Path>, base: Option<&Path>) -> PathBuf {
    if let (Some(rest), Some(home)) = (p.strip_prefix("~/"), home) {
        return home.join(rest);
    }
    let path = PathBuf::from(p);
    match base {
        Some(base) if path.is_relative() => base.join(path),
        _ => path,
    }
}

/// The settings a config file holding `text` gives, with HOME `/h` and no other environment:
/// for the config modules' tests.
#[cfg(test)]
pub(crate) fn load_text(text: &str) -> Result<Settings, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.toml");
    std::fs::write(&p, text).unwrap();
    let flags = Flags {
        config: Some(p),
        ..Flags::default()
    };
    load(&flags, &|k| (k == "HOME").then(|| "/h".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn flags_beat_env_beat_file_beat_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().to_str().unwrap();
        write(
            dir.path(),
            ".config/incident/config.toml",
            "db = \"~/file.db\"\nauthor = \"file-author\"\ntemplates = \"tpl\"\n[sla.P1]\nrespond = \"5m\"\n[team]\nurl = \"postgres://file@db/x\"\n",
        );
        // Defaults, then the file.
        let s = load(&Flags::default(), &env_of(&[("HOME", home)])).unwrap();
        assert_eq!(s.db, dir.path().join("file.db"));
        assert_eq!(s.author.as_deref(), Some("file-author"));
        assert_eq!(s.templates, Some(dir.path().join(".config/incident/tpl")));
        assert_eq!(s.team.as_ref().unwrap().url, "postgres://file@db/x");
        assert_eq!(s.team.as_ref().unwrap().timeout, DEFAULT_TIMEOUT);
        assert_eq!(s.policy.p1.respond.as_secs(), 300);
        assert_eq!(
            s.policy.p1.resolve.as_secs(),
            3600,
            "unset keys keep the default"
        );
        // The environment beats the file.
        let env = env_of(&[
            ("HOME", home),
            (DB_ENV, "/env.db"),
            (AUTHOR_ENV, "env-author"),
            (TEMPLATES_ENV, "/env-tpl"),
            (TEAM_URL_ENV, "postgres://env@db/x"),
        ]);
        let s = load(&Flags::default(), &env).unwrap();
        assert_eq!(s.team.unwrap().url, "postgres://env@db/x");
        assert_eq!(s.db, PathBuf::from("/env.db"));
        assert_eq!(s.author.as_deref(), Some("env-author"));
        assert_eq!(s.templates, Some(PathBuf::from("/env-tpl")));
        // Flags beat the environment.
        let flags = Flags {
            db: Some("/flag.db".into()),
            config: None,
            author: Some("flag-author".into()),
            template_dir: Some("/flag-tpl".into()),
            offline: true,
        };
        let s = load(&flags, &env).unwrap();
        assert_eq!(s.team, None, "--offline beats the environment and the file");
        assert_eq!(s.db, PathBuf::from("/flag.db"));
        assert_eq!(s.author.as_deref(), Some("flag-author"));
        assert_eq!(s.templates, Some(PathBuf::from("/flag-tpl")));
    }

    #[test]
    fn defaults_follow_xdg() {
        let s = load(&Flags::default(), &env_of(&[("HOME", "/nonexistent-home")])).unwrap();
        assert_eq!(
            s.db,
            PathBuf::from("/nonexistent-home/.local/share/incident/incidents.db")
        );
        assert_eq!((s.config_file, s.author, s.templates), (None, None, None));
        assert_eq!(s.policy, Policy::default());
        let s = load(
            &Flags::default(),
            &env_of(&[("HOME", "/h"), ("XDG_DATA_HOME", "/data")]),
        )
        .unwrap();
        assert_eq!(s.db, PathBuf::from("/data/incident/incidents.db"));
        assert!(matches!(
            load(&Flags::default(), &env_of(&[])),
            Err(ConfigError::NoHome)
        ));
    }

    #[test]
    fn config_flag_beats_config_env_and_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(dir.path(), "a.toml", "author = \"a\"\n");
        let b = write(dir.path(), "b.toml", "author = \"b\"\n");
        let env = env_of(&[("HOME", "/h"), (CONFIG_ENV, b.to_str().unwrap())]);
        assert_eq!(
            load(&Flags::default(), &env).unwrap().author.as_deref(),
            Some("b")
        );
        let flags = Flags {
            config: Some(a),
            ..Flags::default()
        };
        assert_eq!(load(&flags, &env).unwrap().author.as_deref(), Some("a"));
        let missing = Flags {
            config: Some(dir.path().join("missing.toml")),
            ..Flags::default()
        };
        let err = load(&missing, &env).unwrap_err();
        assert!(err.to_string().contains("missing.toml"), "{err}");
    }

    #[test]
    fn the_default_config_parses_to_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "c.toml", DEFAULT_CONFIG);
        let flags = Flags {
            config: Some(p),
            ..Flags::default()
        };
        let s = load(&flags, &env_of(&[("HOME", "/h")])).unwrap();
        assert_eq!(s.policy, Policy::default());
        assert_eq!(s.author, None);
    }

    #[test]
    fn malformed_config_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        for (text, line, needle) in [
            (
                "[sla]\npostmortem = \"24h\"\n[sla.P1]\nrespond = 15m\n",
                4,
                "",
            ),
            (
                "[sla.P2]\nrespond = \"4h\"\nresolve = \"soon\"\n",
                3,
                "sla.P2.resolve",
            ),
            ("autor = \"x\"\n", 1, "autor"),
            ("[sla.P4]\nrespond = \"1h\"\n", 1, "P4"),
        ] {
            let p = write(dir.path(), "bad.toml", text);
            let flags = Flags {
                config: Some(p.clone()),
                ..Flags::default()
            };
            let err = load(&flags, &env_of(&[("HOME", "/h")])).unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.starts_with(&format!("config {} line {line}: ", p.display())),
                "{msg}"
            );
            assert!(msg.contains(needle), "{msg}");
            assert!(!msg.contains('\n'), "one line: {msg}");
        }
    }
}
