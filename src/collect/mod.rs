//! Collecting a snapshot: every configured collector at once, each under its own timeout and
//! all under one deadline, so a snapshot takes as long as its slowest collector.

pub mod command;
pub mod database;
pub mod kubernetes;
pub mod redis;

use crate::redact::Redactor;
use crate::snapshot::Item;
use crate::time::Timestamp;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The default timeout of one collector.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What to collect, resolved from the config (durations parsed, defaults applied).
#[derive(Debug, Clone, PartialEq)]
pub struct Collectors {
    pub kubernetes: Option<KubeSettings>,
    pub databases: Vec<DatabaseSettings>,
    pub redis: Vec<RedisSettings>,
    pub commands: Vec<CommandSettings>,
    /// The whole snapshot ends by then, whatever is still running.
    pub deadline: Duration,
    pub data_age: DataAgeThresholds,
    pub on_open: bool,
    pub on_resolve: bool,
}

impl Collectors {
    pub fn is_empty(&self) -> bool {
        self.kubernetes.is_none()
            && self.databases.is_empty()
            && self.redis.is_empty()
            && self.commands.is_empty()
    }
}

impl Default for Collectors {
    fn default() -> Self {
        Collectors {
            kubernetes: None,
            databases: Vec::new(),
            redis: Vec::new(),
            commands: Vec::new(),
            deadline: Duration::from_secs(30),
            data_age: DataAgeThresholds::default(),
            on_open: true,
            on_resolve: true,
        }
    }
}

/// The guide's alert thresholds for data age: over 1 h info, over 2 h warning, over 4 h critical.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataAgeThresholds {
    pub info: Duration,
    pub warning: Duration,
    pub critical: Duration,
}

impl Default for DataAgeThresholds {
    fn default() -> Self {
        DataAgeThresholds {
            info: Duration::from_secs(3_600),
            warning: Duration::from_secs(2 * 3_600),
            critical: Duration::from_secs(4 * 3_600),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KubeSettings {
    /// The kubeconfig context; `None` is the kubeconfig's current context (or in-cluster).
    pub context: Option<String>,
    /// A kubeconfig file; `None` follows $KUBECONFIG, then ~/.kube/config, then in-cluster.
    pub kubeconfig: Option<PathBuf>,
    pub namespaces: Vec<String>,
    pub logs: Vec<LogSource>,
    pub timeout: Duration,
}

/// Where to tail logs from: pods matching a label selector, or one pod by name.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSource {
    pub namespace: String,
    pub selector: Option<String>,
    pub pod: Option<String>,
    /// Needed for multi-container pods; `None` takes the pod's first container.
    pub container: Option<String>,
    pub tail: i64,
    /// At most this many pods per selector.
    pub max_pods: usize,
    /// At most this many bytes per pod log.
    pub limit_bytes: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseSettings {
    pub name: String,
    /// `mysql://…` or `postgres://…`, with `${VAR}` references still in it: they are
    /// expanded only when connecting, and their values are redacted everywhere.
    pub url: String,
    pub timeout: Duration,
    pub freshness: Vec<FreshnessCheck>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FreshnessCheck {
    /// `table.column`, or the configured name of a query.
    pub name: String,
    pub source: FreshnessSource,
    pub returns: Returns,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FreshnessSource {
    /// `SELECT max(column) FROM table`.
    Column { table: String, column: String },
    /// A query returning one row with one value, of the kind `returns` says.
    Query(String),
}

/// What a freshness query returns, so a count is never mistaken for an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// The newest row's time (DATETIME, TIMESTAMP, TIMESTAMPTZ; time-zone-less values are UTC).
    Timestamp,
    EpochSeconds,
    EpochMillis,
    /// The data age itself, in seconds.
    LagSeconds,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RedisSettings {
    pub name: String,
    /// With `${VAR}` references, expanded when connecting.
    pub url: String,
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommandSettings {
    pub name: String,
    /// argv; no shell unless the user asks for one (`["sh", "-c", "…"]`).
    pub run: Vec<String>,
    pub timeout: Duration,
    /// Output beyond this many bytes is cut, and the cut is stated.
    pub max_output: usize,
}

/// Time a collector gets beyond its own timeout before it is cut off from outside: collectors
/// keep their timeouts themselves, this only guards against one that does not.
const GRACE: Duration = Duration::from_millis(500);

/// Runs every collector concurrently on a runtime started for this alone, and returns their
/// redacted items in configuration order and the wall time. `progress` shows each collector
/// finishing on stderr (for a terminal).
pub fn collect(
    collectors: &Collectors,
    env: &dyn Fn(&str) -> Option<String>,
    now: Timestamp,
    progress: bool,
) -> (Vec<Item>, u64) {
    let started = Instant::now();
    let (tasks, secrets) = plan(collectors, env, now);
    let redactor = Redactor::new(secrets);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let items = tasks
                .iter()
                .map(|t| {
                    Item::failed(
                        &t.collector,
                        &t.name,
                        0,
                        format!("cannot start the async runtime: {e}"),
                    )
                })
                .collect();
            return (items, 0);
        }
    };
    let items = runtime.block_on(run(tasks, collectors.deadline, progress));
    // Collectors stuck past the deadline are abandoned, not waited for.
    runtime.shutdown_background();
    let items = items
        .into_iter()
        .map(|mut item| {
            redactor.redact_item(&mut item);
            item
        })
        .collect();
    (items, started.elapsed().as_millis() as u64)
}

/// One collector to run: what it is called (for progress and for a timeout item), its own
/// timeout, and the work.
struct Task {
    collector: String,
    name: String,
    timeout: Duration,
    work: futures::future::BoxFuture<'static, Vec<Item>>,
}

fn plan(
    collectors: &Collectors,
    env: &dyn Fn(&str) -> Option<String>,
    now: Timestamp,
) -> (Vec<Task>, Vec<String>) {
    use futures::FutureExt;
    let mut tasks = Vec::new();
    let mut secrets = Vec::new();
    let unset = |collector: &str,
                 name: &str,
                 var: String|
     -> futures::future::BoxFuture<'static, Vec<Item>> {
        let item = Item::failed(
            collector,
            name,
            0,
            format!(
                "the environment variable {var} is not set (the config refers to it as ${{{var}}})"
            ),
        );
        async move { vec![item] }.boxed()
    };
    if let Some(k) = collectors.kubernetes.clone() {
        tasks.push(Task {
            collector: "kubernetes".into(),
            name: k.namespaces.join(","),
            timeout: k.timeout,
            work: async move { kubernetes::collect(&k).await }.boxed(),
        });
    }
    for db in collectors.databases.iter() {
        let work = match expand_env(&db.url, env) {
            Ok((url, values)) => {
                secrets.extend(values);
                let settings = db.clone();
                async move { vec![database::collect(&settings, &url, now).await] }.boxed()
            }
            Err(var) => unset("database", &db.name, var),
        };
        tasks.push(Task {
            collector: "database".into(),
            name: db.name.clone(),
            timeout: db.timeout,
            work,
        });
    }
    for r in collectors.redis.iter() {
        let work = match expand_env(&r.url, env) {
            Ok((url, values)) => {
                secrets.extend(values);
                let settings = r.clone();
                async move { vec![redis::collect(&settings, &url).await] }.boxed()
            }
            Err(var) => unset("redis", &r.name, var),
        };
        tasks.push(Task {
            collector: "redis".into(),
            name: r.name.clone(),
            timeout: r.timeout,
            work,
        });
    }
    for c in collectors.commands.iter() {
        let expanded: Result<Vec<(String, Vec<String>)>, String> =
            c.run.iter().map(|a| expand_env(a, env)).collect();
        let work = match expanded {
            Ok(args) => {
                let mut settings = c.clone();
                settings.run = args
                    .into_iter()
                    .map(|(arg, values)| {
                        secrets.extend(values);
                        arg
                    })
                    .collect();
                async move { vec![command::collect(&settings).await] }.boxed()
            }
            Err(var) => unset("command", &c.name, var),
        };
        tasks.push(Task {
            collector: "command".into(),
            name: c.name.clone(),
            timeout: c.timeout,
            work,
        });
    }
    (tasks, secrets)
}

async fn run(tasks: Vec<Task>, deadline: Duration, progress: bool) -> Vec<Item> {
    let started = Instant::now();
    let total = tasks.len();
    let labels: Vec<(String, String)> = tasks
        .iter()
        .map(|t| (t.collector.clone(), t.name.clone()))
        .collect();
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<(usize, Vec<Item>)>();
    for (i, task) in tasks.into_iter().enumerate() {
        let tx = done_tx.clone();
        let guard = task.timeout + GRACE;
        let (collector, name) = (task.collector.clone(), task.name.clone());
        tokio::spawn(async move {
            let t0 = Instant::now();
            let items = match tokio::time::timeout(guard, task.work).await {
                Ok(items) => items,
                Err(_) => vec![Item::timeout(
                    &collector,
                    &name,
                    t0.elapsed().as_millis() as u64,
                )],
            };
            let _ = tx.send((i, items));
        });
    }
    drop(done_tx);
    let mut results: Vec<Option<Vec<Item>>> = vec![None; total];
    let mut finished = 0;
    let end = tokio::time::Instant::now() + deadline;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut status = Status::new(progress);
    while finished < total {
        tokio::select! {
            done = done_rx.recv() => match done {
                Some((i, items)) => {
                    status.finished(&items, started);
                    results[i] = Some(items);
                    finished += 1;
                }
                None => break,
            },
            _ = tick.tick() => {
                let waiting: Vec<String> = labels
                    .iter()
                    .zip(&results)
                    .filter(|(_, r)| r.is_none())
                    .map(|((c, n), _)| format!("{c}/{n}"))
                    .collect();
                status.waiting(&waiting, started);
            }
            _ = tokio::time::sleep_until(end) => break,
        }
    }
    status.clear();
    // Whatever has not finished by the deadline is recorded as such.
    let at_deadline = started.elapsed().as_millis() as u64;
    results
        .into_iter()
        .zip(labels)
        .flat_map(|(r, (collector, name))| {
            r.unwrap_or_else(|| {
                let mut item = Item::timeout(&collector, &name, at_deadline);
                item.error = Some(format!(
                    "still running at the snapshot deadline ({})",
                    crate::time::human_millis(deadline.as_millis() as u64)
                ));
                vec![item]
            })
        })
        .collect()
}

/// Live progress on stderr: a line per finished collector and a line naming those still running.
struct Status {
    on: bool,
    paint: crate::output::Paint,
}

impl Status {
    fn new(on: bool) -> Status {
        Status {
            on,
            paint: crate::output::Paint::stderr(),
        }
    }

    fn finished(&mut self, items: &[Item], started: Instant) {
        if !self.on {
            return;
        }
        self.clear();
        let mut err = std::io::stderr().lock();
        for item in items {
            let mark = match item.status {
                crate::snapshot::ItemStatus::Ok => self.paint.green("ok     "),
                crate::snapshot::ItemStatus::Failed => self.paint.red("failed "),
                crate::snapshot::ItemStatus::Timeout => self.paint.red("timeout"),
            };
            let why = item
                .error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            let _ = writeln!(
                err,
                "  {mark} {} {}{why}",
                item.label(),
                self.paint.dim(&crate::time::human_millis(
                    started.elapsed().as_millis() as u64
                ))
            );
        }
    }

    fn waiting(&mut self, labels: &[String], started: Instant) {
        if !self.on || labels.is_empty() {
            return;
        }
        let line = format!(
            "  … waiting for {} ({})",
            labels.join(", "),
            crate::time::human_millis(started.elapsed().as_millis() as u64)
        );
        let _ = write!(
            std::io::stderr().lock(),
            "\r\x1b[2K{}",
            self.paint.dim(&line)
        );
    }

    fn clear(&mut self) {
        if self.on {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}

/// Why a collector that talks to one service stopped short.
pub(crate) enum Stop {
    Failed(String),
    Timeout,
}

/// The item of a collector that yields structured data or stops short.
pub(crate) fn item(
    collector: &str,
    name: &str,
    duration_ms: u64,
    outcome: Result<serde_json::Value, Stop>,
) -> Item {
    match outcome {
        Ok(data) => Item::ok(collector, name, duration_ms, data, String::new()),
        Err(Stop::Failed(e)) => Item::failed(collector, name, duration_ms, e),
        Err(Stop::Timeout) => Item::timeout(collector, name, duration_ms),
    }
}

/// An I/O error as a person reads it: "No such file or directory", without "(os error 2)".
pub(crate) fn io_message(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Expands `${VAR}` references. Returns the expanded text and the values it put in (secrets
/// to redact), or the name of a variable that is not set.
pub fn expand_env(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<String>), String> {
    let mut out = String::with_capacity(text.len());
    let mut values = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let name = &after[..end];
        let value = env(name).ok_or_else(|| name.to_string())?;
        if !value.is_empty() {
            values.push(value.clone());
        }
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok((out, values))
}

/// The names of the `${VAR}` references in `text`.
pub fn env_references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        names.push(after[..end].to_string());
        rest = &after[end + 1..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_references_expand_and_report_their_values() {
        let env = |k: &str| (k == "PW").then(|| "s3cret".to_string());
        let (url, secrets) = expand_env("mysql://root:${PW}@127.0.0.1/db", &env).unwrap();
        assert_eq!(url, "mysql://root:s3cret@127.0.0.1/db");
        assert_eq!(secrets, vec!["s3cret"]);
        assert_eq!(expand_env("x${MISSING}y", &env).unwrap_err(), "MISSING");
        assert_eq!(env_references("a${A}b${B}"), vec!["A", "B"]);
        assert_eq!(expand_env("no refs", &env).unwrap().0, "no refs");
    }
}
