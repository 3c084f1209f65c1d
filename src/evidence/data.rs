//! What each collector saw, as typed data: one struct per collector, written by the collectors
//! and read by findings, health, diffs, reports and the evidence text through
//! [`Item::data_as`](crate::evidence::snapshot::Item::data_as).
//!
//! An item stores its data as JSON (`snapshot_items.data`), and the stored JSON is read, never
//! rewritten: an export carries it byte for byte. So the field names and their order here are
//! the JSON the collectors have written since schema version 2, and every struct reads rows
//! that lack a field (`#[serde(default)]`): a row written by hand or by a future version reads
//! as far as it goes (`tests/storage.rs` reads snapshots as version 2 stored them). A field is
//! an `Option` when its JSON may be `null` or when the evidence text shows a missing value as
//! `-`; otherwise a plain type that reads `null` or nothing as its default (`false`, an empty
//! list), as every reader did when they read the JSON by key.

use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The data of one collector's items.
pub trait CollectorData: Serialize + DeserializeOwned + Default {
    /// The `collector` of the items that hold it.
    const COLLECTOR: &'static str;
}

/// The JSON an item stores for `data`.
pub fn stored<T: CollectorData>(data: &T) -> Value {
    // Strings, numbers, booleans and string-keyed maps: nothing serde_json refuses.
    serde_json::to_value(data).unwrap_or(Value::Null)
}

/// A field that is not an `Option` reads `null` as its default, as a missing field does.
fn or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// One namespace as the guide's first look shows it: a `kubernetes` item.
///
/// The item is `ok` when the pods came back; a list that did not is `null` (`None`), and says
/// why in `errors`. A failed item keeps what did come back (events while pods are forbidden).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NamespaceData {
    #[serde(deserialize_with = "or_default")]
    pub namespace: String,
    pub pods: Option<Vec<PodData>>,
    pub cronjobs: Option<Vec<CronJobData>>,
    pub jobs: Option<Vec<JobData>>,
    /// Warning events only, newest first, at most 50.
    pub events: Option<Vec<EventData>>,
    /// Why a list is missing: `cronjobs: forbidden: …`.
    #[serde(deserialize_with = "or_default")]
    pub errors: Vec<String>,
}

impl CollectorData for NamespaceData {
    const COLLECTOR: &'static str = "kubernetes";
}

impl NamespaceData {
    pub fn pods(&self) -> &[PodData] {
        self.pods.as_deref().unwrap_or_default()
    }

    pub fn cronjobs(&self) -> &[CronJobData] {
        self.cronjobs.as_deref().unwrap_or_default()
    }

    pub fn jobs(&self) -> &[JobData] {
        self.jobs.as_deref().unwrap_or_default()
    }

    pub fn events(&self) -> &[EventData] {
        self.events.as_deref().unwrap_or_default()
    }
}

/// A pod, as `kubectl get pods` and `describe` tell it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PodData {
    pub name: Option<String>,
    /// Pending, Running, Succeeded, Failed, Unknown.
    pub phase: Option<String>,
    /// The pod's `Ready` condition is `True`.
    #[serde(deserialize_with = "or_default")]
    pub ready: bool,
    pub ready_containers: Option<u64>,
    pub containers: Option<u64>,
    /// Restarts of all its containers.
    pub restarts: Option<i64>,
    /// The first waiting container's reason (CrashLoopBackOff, ImagePullBackOff, …); an init
    /// container's when the regular containers only wait for init (`PodInitializing`), since
    /// that is the one that is stuck.
    pub waiting_reason: Option<String>,
    /// Why a container last died: the previous run's end (OOMKilled, Error, `exit code N`),
    /// else the current run's (a failed Job's pod never restarts).
    pub last_termination_reason: Option<String>,
    /// RFC 3339.
    pub started_at: Option<String>,
    pub node: Option<String>,
    /// `ReplicaSet/materialized-updater-7f9`: the controller if one is marked, else the first
    /// owner.
    pub owner: Option<String>,
}

impl PodData {
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }

    pub fn phase(&self) -> &str {
        self.phase.as_deref().unwrap_or_default()
    }

    /// The waiting reason, empty when the containers wait for nothing.
    pub fn waiting(&self) -> &str {
        self.waiting_reason.as_deref().unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CronJobData {
    pub name: Option<String>,
    pub schedule: Option<String>,
    pub time_zone: Option<String>,
    pub suspended: Option<bool>,
    /// RFC 3339.
    pub last_schedule: Option<String>,
    /// RFC 3339.
    pub last_successful: Option<String>,
    /// Jobs running now.
    pub active: Option<u64>,
}

impl CronJobData {
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobData {
    pub name: Option<String>,
    /// The CronJob that owns it.
    pub cronjob: Option<String>,
    pub succeeded: Option<i64>,
    pub failed: Option<i64>,
    pub active: Option<i64>,
    /// RFC 3339.
    pub started_at: Option<String>,
    /// RFC 3339; `None` while it has not completed.
    pub completed_at: Option<String>,
    /// The reason of its `Failed` condition (BackoffLimitExceeded, DeadlineExceeded).
    pub failed_reason: Option<String>,
}

impl JobData {
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }

    /// Failed pods, no pod running and not completed: it has given up.
    pub fn gave_up(&self) -> bool {
        self.failed.unwrap_or(0) > 0 && self.completed_at.is_none() && self.active.unwrap_or(0) == 0
    }
}

/// A warning event as `kubectl get events` shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventData {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub reason: Option<String>,
    /// `Pod/materialized-updater-7f9`.
    pub object: Option<String>,
    pub message: Option<String>,
    /// How many times it happened (`series.count` for events written through events.k8s.io).
    pub count: Option<i64>,
    /// RFC 3339: the latest of the times the event carries.
    pub last_seen: Option<String>,
}

/// A log source's tail: a `logs` item. Its `raw` is the text, each part headed
/// `==> POD/CONTAINER <==` (` (previous)` for the last run of a restarted container).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogsData {
    #[serde(deserialize_with = "or_default")]
    pub namespace: String,
    pub selector: Option<String>,
    pub pod: Option<String>,
    /// One entry per log asked for.
    #[serde(deserialize_with = "or_default")]
    pub pods: Vec<LogData>,
}

impl CollectorData for LogsData {
    const COLLECTOR: &'static str = "logs";
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogData {
    #[serde(deserialize_with = "or_default")]
    pub pod: String,
    /// `None` when the pod has no containers to name (a malformed object).
    pub container: Option<String>,
    /// The last run of a restarted container.
    #[serde(deserialize_with = "or_default")]
    pub previous: bool,
    #[serde(deserialize_with = "or_default")]
    pub lines: u64,
    #[serde(deserialize_with = "or_default")]
    pub bytes: u64,
    pub error: Option<String>,
}

/// A SQL database (MySQL/MariaDB, PostgreSQL): a `database` item, `ok` once connected.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseData {
    /// `mysql` or `postgres`.
    pub engine: Option<String>,
    pub version: Option<String>,
    /// The round trip of `SELECT 1`, to one decimal.
    pub latency_ms: Option<f64>,
    #[serde(deserialize_with = "or_default")]
    pub freshness: Vec<FreshnessData>,
}

impl CollectorData for DatabaseData {
    const COLLECTOR: &'static str = "database";
}

/// One freshness check: the newest row's time and the data age, or why there is none (a check
/// that fails carries its own error).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FreshnessData {
    pub name: Option<String>,
    /// RFC 3339, whole seconds.
    pub newest: Option<String>,
    /// Now minus `newest`, in whole seconds.
    pub age_seconds: Option<i64>,
    pub error: Option<String>,
}

impl FreshnessData {
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }
}

/// A Redis server: a `redis` item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RedisData {
    /// The round trip of `PING`, to one decimal.
    pub latency_ms: Option<f64>,
    /// Beside `latency_ms` in the JSON.
    #[serde(flatten)]
    pub info: RedisInfo,
}

impl CollectorData for RedisData {
    const COLLECTOR: &'static str = "redis";
}

/// The fields of INFO a responder looks at; one INFO lacks is `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RedisInfo {
    pub version: Option<String>,
    /// `master` or `slave`.
    pub role: Option<String>,
    pub uptime_seconds: Option<i64>,
    pub connected_clients: Option<i64>,
    /// `1.02M`.
    pub used_memory_human: Option<String>,
    pub keys: Option<Keyspace>,
}

/// The key count of each database, in the order INFO lists them: `{"db0": 12, "db3": 2}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Keyspace(pub Vec<(String, i64)>);

/// In words, as the evidence text shows it: `1 key in db0`, `14 keys (db0 12, db3 2)`, `no
/// keys` (the JSON keeps the map).
impl std::fmt::Display for Keyspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys = |n: i64| if n == 1 { "key" } else { "keys" };
        match self.0.as_slice() {
            [] => f.write_str("no keys"),
            [(db, n)] => write!(f, "{n} {} in {db}", keys(*n)),
            all => {
                let total = all.iter().fold(0i64, |t, (_, n)| t.saturating_add(*n));
                let each: Vec<String> = all.iter().map(|(db, n)| format!("{db} {n}")).collect();
                write!(f, "{total} {} ({})", keys(total), each.join(", "))
            }
        }
    }
}

impl Serialize for Keyspace {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (db, keys) in &self.0 {
            map.serialize_entry(db, keys)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Keyspace {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = Keyspace;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of database to key count")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keyspace, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Keyspace(entries))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

/// A configured command: a `command` item. Its `raw` is stdout, then `--- stderr ---` and
/// stderr if there was any, then a line saying where the output was cut if it was.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommandData {
    #[serde(deserialize_with = "or_default")]
    pub argv: Vec<String>,
    /// `None` when a signal ended it or it was killed at the timeout.
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    #[serde(deserialize_with = "or_default")]
    pub timed_out: bool,
    #[serde(deserialize_with = "or_default")]
    pub duration_ms: u64,
    /// What the command wrote, kept or not.
    #[serde(deserialize_with = "or_default")]
    pub stdout_bytes: u64,
    #[serde(deserialize_with = "or_default")]
    pub stderr_bytes: u64,
    /// Output past the budget was dropped.
    #[serde(deserialize_with = "or_default")]
    pub truncated: bool,
}

impl CollectorData for CommandData {
    const COLLECTOR: &'static str = "command";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every collector's data reads back from the JSON it stores, and stores it in the order
    /// the collectors wrote before the structs (`json!` with serde_json's `preserve_order`).
    fn round_trip<T: CollectorData + std::fmt::Debug + PartialEq>(written: Value) {
        let data = T::deserialize(&written).unwrap();
        let again = stored(&data);
        assert_eq!(again.to_string(), written.to_string());
    }

    #[test]
    fn the_json_is_the_collectors_json() {
        round_trip::<NamespaceData>(json!({
            "namespace": "prod",
            "pods": [{"name": "updater-7f9", "phase": "Running", "ready": false,
                      "ready_containers": 0, "containers": 1, "restarts": 12,
                      "waiting_reason": "CrashLoopBackOff", "last_termination_reason": "Error",
                      "started_at": "2026-11-29T09:00:00Z", "node": "node-a",
                      "owner": "ReplicaSet/updater"}],
            "cronjobs": null,
            "jobs": [{"name": "j", "cronjob": null, "succeeded": 0, "failed": 6, "active": 0,
                      "started_at": null, "completed_at": null,
                      "failed_reason": "BackoffLimitExceeded"}],
            "events": [{"type": "Warning", "reason": "BackOff", "object": "Pod/updater-7f9",
                        "message": "Back-off restarting", "count": 40,
                        "last_seen": "2026-11-29T09:59:00Z"}],
            "errors": ["cronjobs: forbidden: no"],
        }));
        round_trip::<LogsData>(json!({
            "namespace": "prod", "selector": "app=updater", "pod": null,
            "pods": [{"pod": "p", "container": "c", "previous": true, "lines": 3, "bytes": 40,
                      "error": null}],
        }));
        round_trip::<DatabaseData>(json!({
            "engine": "mysql", "version": "11.4.2-MariaDB", "latency_ms": 1.0,
            "freshness": [
                {"name": "t.ts", "newest": "2026-11-29T09:00:00Z", "age_seconds": 3600,
                 "error": null},
                {"name": "bad", "newest": null, "age_seconds": null, "error": "no rows"},
            ],
        }));
        round_trip::<RedisData>(json!({
            "latency_ms": 0.3, "version": "7.0.15", "role": "master", "uptime_seconds": 1448,
            "connected_clients": 3, "used_memory_human": null,
            "keys": {"db3": 2, "db0": 12, "db10": 1},
        }));
        round_trip::<CommandData>(json!({
            "argv": ["sh", "-c", "exit 3"], "exit_code": 3, "signal": null, "timed_out": false,
            "duration_ms": 12, "stdout_bytes": 0, "stderr_bytes": 5, "truncated": false,
        }));
    }

    #[test]
    fn rows_that_lack_fields_read_as_far_as_they_go() {
        let pods: NamespaceData =
            serde_json::from_value(json!({"pods": [{"name": "a", "restarts": 9}]})).unwrap();
        assert_eq!(pods.pods()[0].restarts, Some(9));
        assert!(!pods.pods()[0].ready);
        assert_eq!(pods.cronjobs(), &[]);
        let command: CommandData = serde_json::from_value(json!({})).unwrap();
        assert_eq!(command, CommandData::default());
    }
}
