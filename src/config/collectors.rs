//! The collector sections of the config: `[kubernetes]`, `[[database]]`, `[[redis]]`,
//! `[[command]]` and `[snapshot]`, checked and resolved into `evidence::settings::Collectors`.

use super::{ConfigError, FileConfig, MAX_TARGET, MAX_TIMEOUT, Source};
use crate::evidence::settings::{
    Collectors, CommandSettings, DEFAULT_TIMEOUT, DataAgeThresholds, DatabaseSettings,
    FreshnessCheck, FreshnessSource, KubeSettings, LogSource, RedisSettings, Returns,
};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct KubeFile {
    context: Option<String>,
    kubeconfig: Option<String>,
    namespace: Option<Spanned<String>>,
    #[serde(default)]
    namespaces: Vec<String>,
    timeout: Option<Spanned<String>>,
    #[serde(default)]
    logs: Vec<Spanned<LogFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LogFile {
    selector: Option<String>,
    pod: Option<String>,
    namespace: Option<String>,
    container: Option<String>,
    tail: Option<i64>,
    max_pods: Option<usize>,
    limit_bytes: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DatabaseFile {
    name: Spanned<String>,
    url: Spanned<String>,
    timeout: Option<Spanned<String>>,
    #[serde(default)]
    freshness: Vec<Spanned<FreshnessFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FreshnessFile {
    name: Option<String>,
    table: Option<String>,
    column: Option<String>,
    query: Option<String>,
    returns: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RedisFile {
    name: Spanned<String>,
    url: Spanned<String>,
    timeout: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CommandFile {
    name: Spanned<String>,
    run: Spanned<Vec<String>>,
    timeout: Option<Spanned<String>>,
    max_output: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SnapshotFile {
    timeout: Option<Spanned<String>>,
    deadline: Option<Spanned<String>>,
    on_open: Option<bool>,
    on_resolve: Option<bool>,
    data_age: Option<DataAgeFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DataAgeFile {
    info: Option<Spanned<String>>,
    warning: Option<Spanned<String>>,
    critical: Option<Spanned<String>>,
}

/// Output of one command kept in a snapshot, unless the config says otherwise.
const DEFAULT_MAX_OUTPUT: usize = 256 * 1024;

pub(super) fn resolve(src: &Source, file: &FileConfig) -> Result<Collectors, ConfigError> {
    let mut c = Collectors::default();
    let mut timeouts = Timeouts {
        src,
        default: DEFAULT_TIMEOUT,
    };
    if let Some(snap) = &file.snapshot {
        timeouts.default = snapshot(src, snap, &mut c)?;
    }
    if let Some(k) = &file.kubernetes {
        c.kubernetes = Some(kubernetes(
            src,
            k,
            timeouts.get("kubernetes.timeout", &k.timeout)?,
        )?);
    }
    let mut names = Names::default();
    for db in &file.database {
        c.databases.push(database(&timeouts, &mut names, db)?);
    }
    for r in &file.redis {
        c.redis.push(redis(&timeouts, &mut names, r)?);
    }
    for cmd in &file.command {
        c.commands.push(command(&timeouts, &mut names, cmd)?);
    }
    Ok(c)
}

/// `[snapshot]` into `c`; returns the collectors' default timeout.
fn snapshot(
    src: &Source,
    snap: &SnapshotFile,
    c: &mut Collectors,
) -> Result<Duration, ConfigError> {
    let mut default_timeout = DEFAULT_TIMEOUT;
    if let Some(t) = &snap.timeout {
        default_timeout = src.duration("snapshot.timeout", t, MAX_TIMEOUT)?;
    }
    if let Some(d) = &snap.deadline {
        c.deadline = src.duration("snapshot.deadline", d, MAX_TIMEOUT)?;
    }
    c.on_open = snap.on_open.unwrap_or(c.on_open);
    c.on_resolve = snap.on_resolve.unwrap_or(c.on_resolve);
    if let Some(age) = &snap.data_age {
        c.data_age = data_age(src, age)?;
    }
    Ok(default_timeout)
}

/// A collector's timeout: its own, or `[snapshot] timeout`, or the built-in one.
struct Timeouts<'a> {
    src: &'a Source<'a>,
    default: Duration,
}

impl Timeouts<'_> {
    fn get(&self, key: &str, t: &Option<Spanned<String>>) -> Result<Duration, ConfigError> {
        t.as_ref()
            .map_or(Ok(self.default), |t| self.src.duration(key, t, MAX_TIMEOUT))
    }
}

/// The names taken so far: each kind of collector needs its own, non-empty names.
#[derive(Default)]
struct Names(std::collections::HashSet<(&'static str, String)>);

impl Names {
    /// `name`, trimmed, unless it is empty or its kind has it already.
    fn claim(
        &mut self,
        src: &Source,
        kind: &'static str,
        name: &Spanned<String>,
    ) -> Result<String, ConfigError> {
        let trimmed = name.get_ref().trim().to_string();
        if !self.0.insert((kind, trimmed.clone())) || trimmed.is_empty() {
            return Err(src.invalid(
                name.span().start,
                format!("{kind} name {trimmed:?} is empty or used twice"),
            ));
        }
        Ok(trimmed)
    }
}

fn database(
    timeouts: &Timeouts,
    names: &mut Names,
    db: &DatabaseFile,
) -> Result<DatabaseSettings, ConfigError> {
    let src = timeouts.src;
    let name = names.claim(src, "database", &db.name)?;
    let scheme = db.url.get_ref().split("://").next().unwrap_or("");
    if !["mysql", "mariadb", "postgres", "postgresql"].contains(&scheme)
        || !db.url.get_ref().contains("://")
    {
        return Err(src.invalid(
            db.url.span().start,
            format!("database {name:?}: url must start with mysql://, mariadb://, postgres:// or postgresql://"),
        ));
    }
    if has_clear_password(db.url.get_ref()) {
        return Err(src.invalid(
            db.url.span().start,
            clear_password_message("database", &name),
        ));
    }
    let freshness = db
        .freshness
        .iter()
        .map(|f| freshness(src, &name, f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DatabaseSettings {
        name,
        url: db.url.get_ref().clone(),
        timeout: timeouts.get(
            &format!("database {:?} timeout", db.name.get_ref()),
            &db.timeout,
        )?,
        freshness,
    })
}

fn redis(
    timeouts: &Timeouts,
    names: &mut Names,
    r: &RedisFile,
) -> Result<RedisSettings, ConfigError> {
    let src = timeouts.src;
    let name = names.claim(src, "redis", &r.name)?;
    if !r.url.get_ref().starts_with("redis://") && !r.url.get_ref().starts_with("rediss://") {
        return Err(src.invalid(
            r.url.span().start,
            format!("redis {name:?}: url must start with redis://"),
        ));
    }
    if has_clear_password(r.url.get_ref()) {
        return Err(src.invalid(r.url.span().start, clear_password_message("redis", &name)));
    }
    Ok(RedisSettings {
        name,
        url: r.url.get_ref().clone(),
        timeout: timeouts.get(&format!("redis {:?} timeout", r.name.get_ref()), &r.timeout)?,
    })
}

fn command(
    timeouts: &Timeouts,
    names: &mut Names,
    cmd: &CommandFile,
) -> Result<CommandSettings, ConfigError> {
    let src = timeouts.src;
    let name = names.claim(src, "command", &cmd.name)?;
    if cmd.run.get_ref().is_empty() || cmd.run.get_ref()[0].trim().is_empty() {
        return Err(src.invalid(
            cmd.run.span().start,
            format!(
                "command {name:?}: run needs a program, like run = [\"python3\", \"monitor.py\"]"
            ),
        ));
    }
    Ok(CommandSettings {
        name,
        run: cmd.run.get_ref().clone(),
        timeout: timeouts.get(
            &format!("command {:?} timeout", cmd.name.get_ref()),
            &cmd.timeout,
        )?,
        max_output: cmd.max_output.unwrap_or(DEFAULT_MAX_OUTPUT),
    })
}

/// Whether a URL carries a password written out, rather than a `${VAR}` reference.
pub(super) fn has_clear_password(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        return false;
    };
    let Some((_, password)) = userinfo.split_once(':') else {
        return false;
    };
    let reference = password.starts_with("${")
        && password.ends_with('}')
        && password.matches("${").count() == 1;
    !password.is_empty() && !reference
}

fn clear_password_message(kind: &str, name: &str) -> String {
    format!(
        "{kind} {name:?}: the url has a password written in the config; write ${{VAR}} in its place and set VAR in the environment"
    )
}

fn kubernetes(src: &Source, k: &KubeFile, timeout: Duration) -> Result<KubeSettings, ConfigError> {
    let mut namespaces: Vec<String> = k.namespace.iter().map(|n| n.get_ref().clone()).collect();
    namespaces.extend(k.namespaces.iter().cloned());
    namespaces.dedup();
    let Some(first) = namespaces.first().cloned() else {
        return Err(src.invalid(
            0,
            "[kubernetes] needs namespace = \"…\" (or namespaces = [\"…\"])".into(),
        ));
    };
    let logs = k
        .logs
        .iter()
        .map(|l| {
            let spec = l.get_ref();
            if spec.selector.is_some() == spec.pod.is_some() {
                return Err(src.invalid(
                    l.span().start,
                    "[[kubernetes.logs]] needs either selector = \"app=…\" or pod = \"name\""
                        .into(),
                ));
            }
            Ok(LogSource {
                namespace: spec.namespace.clone().unwrap_or_else(|| first.clone()),
                selector: spec.selector.clone(),
                pod: spec.pod.clone(),
                container: spec.container.clone(),
                tail: spec.tail.unwrap_or(100),
                max_pods: spec.max_pods.unwrap_or(3),
                limit_bytes: spec.limit_bytes.unwrap_or(256 * 1024),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KubeSettings {
        context: k.context.clone(),
        kubeconfig: k.kubeconfig.as_ref().map(PathBuf::from),
        namespaces,
        logs,
        timeout,
    })
}

fn freshness(
    src: &Source,
    db: &str,
    f: &Spanned<FreshnessFile>,
) -> Result<FreshnessCheck, ConfigError> {
    let spec = f.get_ref();
    let at = f.span().start;
    let returns = match spec.returns.as_deref() {
        None | Some("timestamp") => Returns::Timestamp,
        Some("epoch_seconds") => Returns::EpochSeconds,
        Some("epoch_millis") => Returns::EpochMillis,
        Some("lag_seconds") => Returns::LagSeconds,
        Some(other) => {
            return Err(src.invalid(
                at,
                format!("database {db:?}: returns = {other:?}: use timestamp, epoch_seconds, epoch_millis or lag_seconds"),
            ));
        }
    };
    let (name, source) = match (&spec.table, &spec.column, &spec.query) {
        (Some(table), Some(column), None) => (
            format!("{table}.{column}"),
            FreshnessSource::Column {
                table: table.clone(),
                column: column.clone(),
            },
        ),
        (None, None, Some(query)) => (
            spec.name.clone().unwrap_or_else(|| "query".into()),
            FreshnessSource::Query(query.clone()),
        ),
        _ => {
            return Err(src.invalid(
                at,
                format!("database {db:?}: a freshness check needs table and column, or a query"),
            ));
        }
    };
    Ok(FreshnessCheck {
        name: spec.name.clone().unwrap_or(name),
        source,
        returns,
    })
}

fn data_age(src: &Source, age: &DataAgeFile) -> Result<DataAgeThresholds, ConfigError> {
    let mut t = DataAgeThresholds::default();
    if let Some(v) = &age.info {
        t.info = src.duration("snapshot.data_age.info", v, MAX_TARGET)?;
    }
    if let Some(v) = &age.warning {
        t.warning = src.duration("snapshot.data_age.warning", v, MAX_TARGET)?;
    }
    if let Some(v) = &age.critical {
        t.critical = src.duration("snapshot.data_age.critical", v, MAX_TARGET)?;
    }
    if !(t.info <= t.warning && t.warning <= t.critical) {
        let at = age.info.as_ref().map(|v| v.span().start).unwrap_or(0);
        return Err(src.invalid(at, "snapshot.data_age: info ≤ warning ≤ critical".into()));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use crate::config::{Flags, load};
    use crate::evidence::settings::{FreshnessSource, Returns};
    use std::path::Path;

    fn load_text(
        dir: &Path,
        text: &str,
    ) -> Result<crate::config::Settings, crate::config::ConfigError> {
        let p = dir.join("c.toml");
        std::fs::write(&p, text).unwrap();
        let flags = Flags {
            config: Some(p),
            ..Flags::default()
        };
        load(&flags, &|k| (k == "HOME").then(|| "/h".to_string()))
    }

    #[test]
    fn the_issues_config_shape_resolves() {
        let dir = tempfile::tempdir().unwrap();
        let s = load_text(
            dir.path(),
            r#"
[kubernetes]
context = "prod"
namespace = "crypto-data-collection"
[[kubernetes.logs]]
selector = "app=materialized-updater"
tail = 100

[[database]]
name = "crypto_prices"
url = "mysql://root:${CRYPTO_DB_PASSWORD}@127.0.0.1:3306/crypto_prices"
[[database.freshness]]
table = "price_data"
column = "timestamp"
[[database.freshness]]
name = "lag"
query = "SELECT 5"
returns = "lag_seconds"

[[redis]]
name = "api-gateway"
url = "redis://127.0.0.1:6379"

[[command]]
name = "ml-features"
run = ["python3", "monitor_ml_features.py"]
timeout = "30s"
"#,
        )
        .unwrap();
        let c = s.collectors;
        let k = c.kubernetes.unwrap();
        assert_eq!(k.context.as_deref(), Some("prod"));
        assert_eq!(k.namespaces, vec!["crypto-data-collection"]);
        assert_eq!(
            k.logs[0].selector.as_deref(),
            Some("app=materialized-updater")
        );
        assert_eq!(k.logs[0].namespace, "crypto-data-collection");
        assert_eq!(k.timeout.as_secs(), 10);
        assert_eq!(c.databases[0].freshness[0].name, "price_data.timestamp");
        assert_eq!(c.databases[0].freshness[1].returns, Returns::LagSeconds);
        assert_eq!(
            c.databases[0].freshness[1].source,
            FreshnessSource::Query("SELECT 5".into())
        );
        assert_eq!(c.redis[0].name, "api-gateway");
        assert_eq!(c.commands[0].timeout.as_secs(), 30);
        assert_eq!(c.commands[0].run, vec!["python3", "monitor_ml_features.py"]);
        assert_eq!(c.deadline.as_secs(), 30);
    }

    #[test]
    fn only_env_references_may_stand_for_passwords() {
        use super::has_clear_password;
        assert!(has_clear_password("mysql://root:hunter2@h:3306/db"));
        assert!(has_clear_password("redis://:pw@h:6379"));
        assert!(has_clear_password("postgres://u:${A}x@h/db"));
        assert!(!has_clear_password(
            "mysql://root:${CRYPTO_DB_PASSWORD}@h:3306/db"
        ));
        assert!(!has_clear_password("mysql://root@h:3306/db"));
        assert!(!has_clear_password("postgres://h/db?sslmode=require"));
        assert!(!has_clear_password("redis://h:6379"));
    }

    #[test]
    fn the_commented_example_in_the_default_config_is_valid() {
        let uncommented: String = crate::config::DEFAULT_CONFIG
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest)
                    if rest.starts_with('[')
                        || rest
                            .split_once(" = ")
                            .is_some_and(|(k, _)| !k.contains(' ')) =>
                {
                    rest
                }
                _ => line,
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let s = load_text(dir.path(), &uncommented).unwrap();
        let c = s.collectors;
        assert_eq!(
            c.kubernetes.unwrap().namespaces,
            vec!["crypto-data-collection", "monitoring"]
        );
        assert_eq!(c.databases[0].freshness.len(), 2);
        assert_eq!(c.databases[0].freshness[1].name, "materialized lag");
        assert_eq!((c.redis.len(), c.commands.len()), (1, 1));
        assert_eq!(
            s.channels
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            vec!["slack-oncall", "mail"]
        );
        assert_eq!(s.reminders.repeat_p3.as_secs(), 4 * 3_600);
        assert_eq!(
            s.db,
            std::path::PathBuf::from("/h/.local/share/incident/incidents.db")
        );
        // The values documented are the defaults the code uses.
        assert_eq!(s.health, crate::evidence::health::HealthSettings::default());
    }

    #[test]
    fn bad_collector_config_points_at_the_line() {
        let dir = tempfile::tempdir().unwrap();
        for (text, line, needle) in [
            (
                "[[database]]\nname = \"x\"\nurl = \"sqlite:///tmp/x\"\n",
                3,
                "url must start with mysql://",
            ),
            (
                "[[database]]\nname = \"x\"\nurl = \"mysql://h/db\"\n[[database.freshness]]\ntable = \"t\"\n",
                4,
                "needs table and column, or a query",
            ),
            (
                "[[command]]\nname = \"c\"\nrun = []\n",
                3,
                "run needs a program",
            ),
            (
                "[[command]]\nname = \"c\"\nrun = [\"x\"]\ntimeout = \"soon\"\n",
                4,
                "malformed duration",
            ),
            ("[kubernetes]\ncontext = \"x\"\n", 1, "needs namespace"),
            (
                "[[redis]]\nname = \"r\"\nurl = \"http://x\"\n",
                3,
                "redis://",
            ),
            (
                "[snapshot.data_age]\ninfo = \"3h\"\n",
                2,
                "info ≤ warning ≤ critical",
            ),
        ] {
            let err = load_text(dir.path(), text).unwrap_err().to_string();
            assert!(err.contains(&format!("line {line}: ")), "{text}: {err}");
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
