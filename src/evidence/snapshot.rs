//! Diagnostic snapshots: what each collector saw, and the findings a responder looks at first.

use crate::domain::time::Timestamp;
use crate::evidence::data::CollectorData;
use serde::{Deserialize, Serialize};

/// How a collector ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemStatus {
    Ok,
    /// The target answered with an error, refused the connection, or returned garbage.
    Failed,
    /// No answer within the collector's timeout.
    Timeout,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Ok => "ok",
            ItemStatus::Failed => "failed",
            ItemStatus::Timeout => "timeout",
        }
    }
}

/// What one collector gathered.
///
/// `collector` is one of `kubernetes` (one item per namespace: pods, cronjobs, jobs, warning
/// events), `logs` (one item per configured log source), `database`, `redis`, `command`.
/// `name` identifies the target within its collector (a namespace, a selector, a configured
/// name). `data` is the collector's data as stored (JSON): read it with [`Item::data_as`], as
/// the struct of [`crate::evidence::data`] for its collector. `raw` is text as the target
/// printed it (log tails, command output). Both are redacted before they are stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub collector: String,
    pub name: String,
    pub status: ItemStatus,
    pub duration_ms: u64,
    pub error: Option<String>,
    pub data: serde_json::Value,
    pub raw: String,
    /// Failed before reaching anything, because of the config: an unset `${VAR}`, a kubeconfig
    /// that cannot be read. It says nothing about the system, only about the settings, so the
    /// monitor does not page an outage for it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub misconfigured: bool,
}

impl Item {
    /// [`Item::failed`] because of the config ([`Item::misconfigured`]).
    pub fn misconfigured(collector: &str, name: &str, error: impl Into<String>) -> Item {
        Item {
            misconfigured: true,
            ..Item::failed(collector, name, 0, error)
        }
    }

    pub fn ok(
        collector: &str,
        name: &str,
        duration_ms: u64,
        data: serde_json::Value,
        raw: String,
    ) -> Item {
        Item {
            collector: collector.to_string(),
            name: name.to_string(),
            status: ItemStatus::Ok,
            duration_ms,
            error: None,
            data,
            raw,
            misconfigured: false,
        }
    }

    /// An `ok` item of the collector whose data this is.
    pub fn collected<T: CollectorData>(
        name: &str,
        duration_ms: u64,
        data: &T,
        raw: String,
    ) -> Item {
        Item::ok(
            T::COLLECTOR,
            name,
            duration_ms,
            crate::evidence::data::stored(data),
            raw,
        )
    }

    /// The item's data as its collector's struct, read once per use. Nothing seen (the
    /// default) when the item is another collector's, holds no data (a failed item's `null`),
    /// or holds JSON no collector wrote.
    pub fn data_as<T: CollectorData>(&self) -> T {
        if self.collector != T::COLLECTOR {
            return T::default();
        }
        T::deserialize(&self.data).unwrap_or_default()
    }

    pub fn failed(collector: &str, name: &str, duration_ms: u64, error: impl Into<String>) -> Item {
        Item {
            collector: collector.to_string(),
            name: name.to_string(),
            status: ItemStatus::Failed,
            duration_ms,
            error: Some(error.into()),
            data: serde_json::Value::Null,
            raw: String::new(),
            misconfigured: false,
        }
    }

    pub fn timeout(collector: &str, name: &str, duration_ms: u64) -> Item {
        Item {
            collector: collector.to_string(),
            name: name.to_string(),
            status: ItemStatus::Timeout,
            duration_ms,
            error: Some(format!(
                "no answer within {}",
                crate::domain::time::human_millis(duration_ms)
            )),
            data: serde_json::Value::Null,
            raw: String::new(),
            misconfigured: false,
        }
    }

    /// `collector/name`, as shown in progress lines and findings.
    pub fn label(&self) -> String {
        format!("{}/{}", self.collector, self.name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warning,
    Critical,
}

/// Something a responder should look at, derived from the items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub level: Level,
    /// What it is about: `pod/materialized-updater-7f9`, `cronjob/…`, `database/crypto_prices`.
    pub subject: String,
    pub message: String,
}

/// A snapshot as collected, before it is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub taken_at: Timestamp,
    pub duration_ms: u64,
    pub items: Vec<Item>,
    pub findings: Vec<Finding>,
    pub summary: String,
}
