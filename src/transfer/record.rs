//! The records of an export file: an incident with everything recorded about it, and the
//! content of its logs and command output. They hold times and texts exactly as stored, so an
//! incident imported into another database reads back the same. Local row keys are not
//! carried: incidents are known by their UUID, logs and command output by their content hash.

use super::{Result, TransferError, invalid};
use crate::domain::event::Detail;
use crate::domain::event::EventKind;
use crate::domain::model::{ActionKind, Severity, Status};
use crate::domain::time::{self, Timestamp};
use serde::{Deserialize, Serialize};

/// An incident and everything recorded about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentRecord {
    pub uuid: String,
    pub number: i64,
    pub title: String,
    pub description: String,
    pub severity: String,
    pub status: String,
    pub root_cause: String,
    pub resolution: String,
    pub prevention: String,
    pub lessons_learned: String,
    /// The post-mortem's impact, trigger and detection (version 4; older files have none:
    /// empty, as they were before the fields existed).
    #[serde(default)]
    pub impact: String,
    #[serde(default)]
    pub trigger: String,
    #[serde(default)]
    pub detection: String,
    /// When the impact began (version 2; older files have none: the detection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    pub detected_at: String,
    pub opened_at: String,
    pub acknowledged_at: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub created_by: String,
    pub updated_at: String,
    /// Who holds which role, and the services it affects, as its timeline leaves them (files
    /// written before issue 16 have neither: the timeline alone says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<crate::domain::roles::Roles>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
    /// In the order they were recorded, which breaks ties between equal times.
    #[serde(default)]
    pub events: Vec<EventRecord>,
    #[serde(default)]
    pub snapshots: Vec<SnapshotRecord>,
    #[serde(default)]
    pub actions: Vec<ActionRecord>,
    #[serde(default)]
    pub attachments: Vec<AttachmentRecord>,
    #[serde(default)]
    pub command_runs: Vec<CommandRunRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub at: String,
    pub recorded_at: String,
    pub author: String,
    pub kind: String,
    pub field: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub text: String,
    /// An `opened` event's description and detection time (written since version 9 of the
    /// database; older files have none, and the incident's own fields stand in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Detail>,
    /// The event's identity (since format version 3); older files have none, and import
    /// derives it from the event's content (`Event::content_uuid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotRecord {
    pub seq: i64,
    pub taken_at: String,
    pub duration_ms: i64,
    pub summary: String,
    /// The stored JSON, as JSON rather than a string, so that `jq` can read into it.
    pub findings: serde_json::Value,
    #[serde(default)]
    pub items: Vec<ItemRecord>,
    /// Its identity (since the team log shares it); files without one get one derived from
    /// its content at import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRecord {
    pub collector: String,
    pub name: String,
    pub status: String,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub data: serde_json::Value,
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    /// The number users type; kept on import when it is free there.
    pub id: i64,
    pub text: String,
    pub kind: String,
    pub owner: Option<String>,
    pub due_at: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub done_at: Option<String>,
    pub done_by: Option<String>,
    /// Its identity (since the team log shares it); files without one get one derived from
    /// its content at import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentRecord {
    pub seq: i64,
    pub name: String,
    /// Its content: one of the file's blobs, or one already stored.
    pub sha256: String,
    pub redactions: i64,
    pub added_at: String,
    pub added_by: String,
    /// Its identity (since the team log shares it); files without one get one derived from
    /// its content at import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandRunRecord {
    pub seq: i64,
    pub command: String,
    pub started_at: String,
    pub duration_ms: i64,
    pub exit_code: Option<i64>,
    pub signal: Option<i64>,
    pub sha256: String,
    pub output_bytes: i64,
    pub output_cap: i64,
    pub run_by: String,
    /// Its identity (since the team log shares it); files without one get one derived from
    /// its content at import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

/// A stored blob as the export lists it, before its chunks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlobRecord {
    pub sha256: String,
    /// Uncompressed bytes, lines, compressed bytes.
    pub size: i64,
    pub lines: i64,
    pub stored: i64,
}

/// One stored chunk: zstd-compressed, carried as stored (base64 in JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkRecord {
    pub seq: i64,
    pub first_line: i64,
    pub lines: i64,
    pub size: i64,
    #[serde(with = "super::base64")]
    pub zstd: Vec<u8>,
}

pub(super) fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A time as the store writes them (RFC 3339 UTC, whole seconds), so that times compare as
/// text, within the range the log holds (`time::earliest()..=time::latest()`).
fn check_time(what: &str, s: &str) -> Result<Timestamp> {
    let t = match time::from_rfc3339(s) {
        Some(t) if time::to_rfc3339(t) == s => t,
        _ => {
            return Err(invalid(format!(
                "{what} '{s}' is not a stored time (RFC 3339 UTC, like 2026-11-29T04:48:51Z)"
            )));
        }
    };
    if t < time::earliest() || t > time::latest() {
        return Err(invalid(format!(
            "{what} '{s}' is out of range (the log holds times from 1970-01-01 to 9999-12-31)"
        )));
    }
    Ok(t)
}

/// A moment something was recorded: a stored time not after `now`, as the write path refuses
/// a future time (a reader's clocks and ages would go negative, `log` would break).
fn check_moment(what: &str, s: &str, now: Timestamp) -> Result<()> {
    if check_time(what, s)? > now {
        return Err(invalid(format!(
            "{what} '{s}' is in the future (now is {}); check this machine's clock",
            time::to_rfc3339(now)
        )));
    }
    Ok(())
}

fn check_opt_moment(what: &str, s: &Option<String>, now: Timestamp) -> Result<()> {
    s.as_deref().map_or(Ok(()), |s| check_moment(what, s, now))
}

impl IncidentRecord {
    /// Refuses what the store would not have written, naming the incident and the value;
    /// `now` is the importing machine's clock, which no recorded moment may be after.
    pub fn validate(&self, now: Timestamp) -> Result<()> {
        let me = format!("incident {} ({})", self.number, self.uuid);
        let bad = |why: String| invalid(format!("{me}: {why}"));
        if uuid::Uuid::parse_str(&self.uuid).is_err() {
            return Err(bad("its id is not a UUID".into()));
        }
        if self.number < 1 {
            return Err(bad("its number is not positive".into()));
        }
        if self.title.trim().is_empty() {
            return Err(bad("its title is empty".into()));
        }
        self.severity
            .parse::<Severity>()
            .ok()
            .filter(|s| s.as_str() == self.severity)
            .ok_or_else(|| bad(format!("unknown severity '{}'", self.severity)))?;
        self.status
            .parse::<Status>()
            .ok()
            .filter(|s| s.as_str() == self.status)
            .ok_or_else(|| bad(format!("unknown status '{}'", self.status)))?;
        self.check_parts(now).map_err(|e| match e {
            TransferError::Invalid(why) => bad(why),
            other => other,
        })
    }

    /// Its times, and the kinds and hashes of what it holds.
    fn check_parts(&self, now: Timestamp) -> Result<()> {
        check_moment("detected_at", &self.detected_at, now)?;
        if let Some(started) = &self.started_at {
            check_moment("started_at", started, now)?;
        }
        check_moment("opened_at", &self.opened_at, now)?;
        check_opt_moment("acknowledged_at", &self.acknowledged_at, now)?;
        check_opt_moment("resolved_at", &self.resolved_at, now)?;
        check_opt_moment("closed_at", &self.closed_at, now)?;
        check_moment("updated_at", &self.updated_at, now)?;
        for e in &self.events {
            check_moment("an event's time", &e.at, now)?;
            check_moment("an event's recorded_at", &e.recorded_at, now)?;
            if EventKind::from_key(&e.kind).is_none() {
                return Err(invalid(format!("unknown event kind '{}'", e.kind)));
            }
        }
        for s in &self.snapshots {
            check_moment("a snapshot's taken_at", &s.taken_at, now)?;
            for i in &s.items {
                if !matches!(i.status.as_str(), "ok" | "failed" | "timeout") {
                    return Err(invalid(format!(
                        "unknown snapshot item status '{}'",
                        i.status
                    )));
                }
            }
        }
        for a in &self.actions {
            check_moment("an action item's created_at", &a.created_at, now)?;
            if let Some(due) = &a.due_at {
                check_time("an action item's due_at", due)?;
            }
            check_opt_moment("an action item's done_at", &a.done_at, now)?;
            if a.kind.parse::<ActionKind>().ok().map(ActionKind::as_str) != Some(&a.kind) {
                return Err(invalid(format!("unknown action kind '{}'", a.kind)));
            }
        }
        for a in &self.attachments {
            check_moment("an attachment's added_at", &a.added_at, now)?;
            if !is_sha256(&a.sha256) {
                return Err(invalid(format!("attachment {} has no SHA-256", a.seq)));
            }
        }
        for r in &self.command_runs {
            check_moment("a command run's started_at", &r.started_at, now)?;
            if !is_sha256(&r.sha256) {
                return Err(invalid(format!("command run {} has no SHA-256", r.seq)));
            }
        }
        Ok(())
    }
}
