//! What to collect, resolved from the config (durations parsed, defaults applied): the plan a
//! snapshot follows, and the thresholds its readings use.

use std::path::PathBuf;
use std::time::Duration;

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
