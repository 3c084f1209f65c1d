//! Records to and from the store's rows: export reads an incident's rows into a record, import
//! turns a (validated) record back into the rows the store's inserts take. Times are carried
//! as the store writes them, so either way round they come back the same.

use super::record::{
    ActionRecord, AttachmentRecord, BlobRecord, ChunkRecord, CommandRunRecord, EventRecord,
    IncidentRecord, ItemRecord, SnapshotRecord,
};
use super::{Result, invalid};
use crate::domain::event::{Event, EventKind};
use crate::domain::model::Incident;
use crate::domain::time::{self, Timestamp};
use crate::evidence::snapshot::ItemStatus;
use crate::store::{
    ActionRow, AttachmentRow, BlobInfo, ChunkRow, CommandRunRow, ItemRow, SnapshotRow, StoreError,
    Txn,
};

fn ts(t: Timestamp) -> String {
    time::to_rfc3339(t)
}

/// A time of a validated record.
fn stored(s: &str) -> Result<Timestamp> {
    time::from_rfc3339(s).ok_or_else(|| invalid(format!("'{s}' is not a stored time")))
}

fn stored_opt(s: &Option<String>) -> Result<Option<Timestamp>> {
    s.as_deref().map(stored).transpose()
}

impl IncidentRecord {
    /// Incident `pk` with everything recorded about it, as stored.
    pub fn read(txn: &Txn, pk: i64) -> std::result::Result<IncidentRecord, StoreError> {
        let i = txn.incident_at(pk)?;
        Ok(IncidentRecord {
            uuid: i.uuid,
            // A provisional number (L3, stored -3) travels as 3: the file knows no team, and an
            // importing copy that shares numbers it provisionally again.
            number: i.number.0.abs(),
            title: i.title,
            description: i.description,
            severity: i.severity.as_str().to_string(),
            status: i.status.as_str().to_string(),
            root_cause: i.root_cause,
            resolution: i.resolution,
            prevention: i.prevention,
            lessons_learned: i.lessons_learned,
            impact: i.impact,
            trigger: i.trigger,
            detection: i.detection,
            started_at: Some(ts(i.started_at)),
            detected_at: ts(i.detected_at),
            opened_at: ts(i.opened_at),
            acknowledged_at: i.acknowledged_at.map(ts),
            resolved_at: i.resolved_at.map(ts),
            closed_at: i.closed_at.map(ts),
            created_by: i.created_by,
            updated_at: ts(i.updated_at),
            roles: Some(i.roles),
            services: Some(i.services),
            events: txn
                .events_as_recorded(pk)?
                .iter()
                .map(EventRecord::from)
                .collect(),
            snapshots: txn
                .snapshot_rows(pk)?
                .into_iter()
                .map(SnapshotRecord::from)
                .collect(),
            actions: txn
                .action_rows(pk)?
                .into_iter()
                .map(ActionRecord::from)
                .collect(),
            attachments: txn
                .attachment_rows(pk)?
                .into_iter()
                .map(AttachmentRecord::from)
                .collect(),
            command_runs: txn
                .command_run_rows(pk)?
                .into_iter()
                .map(CommandRunRecord::from)
                .collect(),
        })
    }

    /// The incident it describes, new here as incident `number`.
    pub fn incident(&self, number: i64) -> Result<Incident> {
        let bad = |what: &str, value: &str| invalid(format!("unknown {what} '{value}'"));
        let detected_at = stored(&self.detected_at)?;
        Ok(Incident {
            pk: 0,
            uuid: self.uuid.clone(),
            number: crate::domain::model::Number(number),
            title: self.title.clone(),
            description: self.description.clone(),
            severity: self
                .severity
                .parse()
                .map_err(|_| bad("severity", &self.severity))?,
            status: self
                .status
                .parse()
                .map_err(|_| bad("status", &self.status))?,
            root_cause: self.root_cause.clone(),
            resolution: self.resolution.clone(),
            prevention: self.prevention.clone(),
            lessons_learned: self.lessons_learned.clone(),
            impact: self.impact.clone(),
            trigger: self.trigger.clone(),
            detection: self.detection.clone(),
            started_at: stored_opt(&self.started_at)?.unwrap_or(detected_at),
            detected_at,
            opened_at: stored(&self.opened_at)?,
            acknowledged_at: stored_opt(&self.acknowledged_at)?,
            resolved_at: stored_opt(&self.resolved_at)?,
            closed_at: stored_opt(&self.closed_at)?,
            // Follows from the timeline's `postmortem` events, which import replays.
            published_at: None,
            created_by: self.created_by.clone(),
            updated_at: stored(&self.updated_at)?,
            // Deadlines are not carried: the importing database judges them under its policy
            // from the timeline (`projection::replay`).
            due: crate::domain::sla::Due::unjudged(detected_at),
            // A pause is not carried either: the replay of the timeline's `pause` events sets it.
            paused_at: None,
            pause_reason: String::new(),
            roles: self.roles.clone().unwrap_or_default(),
            services: self.services.clone().unwrap_or_default(),
        })
    }
}

impl From<&Event> for EventRecord {
    fn from(e: &Event) -> Self {
        EventRecord {
            at: ts(e.at),
            recorded_at: ts(e.recorded_at),
            author: e.author.clone(),
            kind: e.kind.as_str().to_string(),
            field: e.field.clone(),
            old: e.old.clone(),
            new: e.new.clone(),
            text: e.text.clone(),
            detail: e.detail.clone(),
            uuid: e.uuid.clone(),
        }
    }
}

impl EventRecord {
    /// The event as the store appends it, with `field` in place of the record's (an action
    /// item's id may have moved).
    pub fn event(&self, field: Option<String>) -> Result<Event> {
        let kind = EventKind::from_key(&self.kind)
            .ok_or_else(|| invalid(format!("unknown event kind '{}'", self.kind)))?;
        Ok(Event {
            at: stored(&self.at)?,
            recorded_at: stored(&self.recorded_at)?,
            author: self.author.clone(),
            kind,
            field,
            old: self.old.clone(),
            new: self.new.clone(),
            text: self.text.clone(),
            detail: self.detail.clone(),
            uuid: match &self.uuid {
                Some(u) => Some(
                    uuid::Uuid::parse_str(u)
                        .map_err(|_| invalid(format!("event uuid '{u}' is not a UUID")))?
                        .to_string(),
                ),
                None => None,
            },
        })
    }
}

impl From<SnapshotRow> for SnapshotRecord {
    fn from(s: SnapshotRow) -> Self {
        SnapshotRecord {
            seq: s.seq,
            taken_at: ts(s.taken_at),
            duration_ms: s.duration_ms,
            summary: s.summary,
            findings: s.findings,
            items: s
                .items
                .into_iter()
                .map(|i| ItemRecord {
                    collector: i.collector,
                    name: i.name,
                    status: i.status.as_str().to_string(),
                    duration_ms: i.duration_ms,
                    error: i.error,
                    data: i.data,
                    raw: i.raw,
                })
                .collect(),
            uuid: s.uuid,
        }
    }
}

/// A record's identity as the store writes it: checked to be a UUID, in its canonical form.
fn checked_uuid(uuid: &Option<String>) -> Result<Option<String>> {
    uuid.as_deref()
        .map(|u| {
            uuid::Uuid::parse_str(u)
                .map(|u| u.to_string())
                .map_err(|_| invalid(format!("uuid '{u}' is not a UUID")))
        })
        .transpose()
}

impl SnapshotRecord {
    pub fn row(&self) -> Result<SnapshotRow> {
        Ok(SnapshotRow {
            seq: self.seq,
            taken_at: stored(&self.taken_at)?,
            duration_ms: self.duration_ms,
            summary: self.summary.clone(),
            findings: self.findings.clone(),
            items: self
                .items
                .iter()
                .map(ItemRecord::row)
                .collect::<Result<_>>()?,
            uuid: checked_uuid(&self.uuid)?,
        })
    }
}

impl ItemRecord {
    fn row(&self) -> Result<ItemRow> {
        let status = match self.status.as_str() {
            "ok" => ItemStatus::Ok,
            "failed" => ItemStatus::Failed,
            "timeout" => ItemStatus::Timeout,
            other => {
                return Err(invalid(format!("unknown snapshot item status '{other}'")));
            }
        };
        Ok(ItemRow {
            collector: self.collector.clone(),
            name: self.name.clone(),
            status,
            duration_ms: self.duration_ms,
            error: self.error.clone(),
            data: self.data.clone(),
            raw: self.raw.clone(),
        })
    }
}

impl From<ActionRow> for ActionRecord {
    fn from(a: ActionRow) -> Self {
        ActionRecord {
            id: a.id,
            text: a.text,
            kind: a.kind.as_str().to_string(),
            owner: a.owner,
            due_at: a.due_at.map(ts),
            created_at: ts(a.created_at),
            created_by: a.created_by,
            done_at: a.done_at.map(ts),
            done_by: a.done_by,
            uuid: a.uuid,
        }
    }
}

impl ActionRecord {
    /// The action item as the store writes it, under `id`.
    pub fn row(&self, id: i64) -> Result<ActionRow> {
        Ok(ActionRow {
            id,
            text: self.text.clone(),
            kind: self
                .kind
                .parse()
                .map_err(|_| invalid(format!("unknown action kind '{}'", self.kind)))?,
            owner: self.owner.clone(),
            due_at: stored_opt(&self.due_at)?,
            created_at: stored(&self.created_at)?,
            created_by: self.created_by.clone(),
            done_at: stored_opt(&self.done_at)?,
            done_by: self.done_by.clone(),
            uuid: checked_uuid(&self.uuid)?,
        })
    }
}

impl From<(AttachmentRow, String)> for AttachmentRecord {
    fn from((a, sha256): (AttachmentRow, String)) -> Self {
        AttachmentRecord {
            seq: a.seq,
            name: a.name,
            sha256,
            redactions: a.redactions,
            added_at: ts(a.added_at),
            added_by: a.added_by,
            uuid: a.uuid,
        }
    }
}

impl AttachmentRecord {
    /// The attachment as the store writes it, filing blob `blob_id`.
    pub fn row(&self, blob_id: i64) -> Result<AttachmentRow> {
        Ok(AttachmentRow {
            seq: self.seq,
            name: self.name.clone(),
            blob_id,
            redactions: self.redactions,
            added_at: stored(&self.added_at)?,
            added_by: self.added_by.clone(),
            uuid: checked_uuid(&self.uuid)?,
        })
    }
}

impl From<(CommandRunRow, String)> for CommandRunRecord {
    fn from((r, sha256): (CommandRunRow, String)) -> Self {
        CommandRunRecord {
            seq: r.seq,
            command: r.command,
            started_at: ts(r.started_at),
            duration_ms: r.duration_ms,
            exit_code: r.exit_code,
            signal: r.signal,
            sha256,
            output_bytes: r.output_bytes,
            output_cap: r.output_cap,
            run_by: r.run_by,
            uuid: r.uuid,
        }
    }
}

impl CommandRunRecord {
    /// The command run as the store writes it, its output in blob `blob_id`.
    pub fn row(&self, blob_id: i64) -> Result<CommandRunRow> {
        Ok(CommandRunRow {
            seq: self.seq,
            command: self.command.clone(),
            started_at: stored(&self.started_at)?,
            duration_ms: self.duration_ms,
            exit_code: self.exit_code,
            signal: self.signal,
            output_blob_id: blob_id,
            output_bytes: self.output_bytes,
            output_cap: self.output_cap,
            run_by: self.run_by.clone(),
            uuid: checked_uuid(&self.uuid)?,
        })
    }
}

impl From<&BlobInfo> for BlobRecord {
    fn from(b: &BlobInfo) -> Self {
        BlobRecord {
            sha256: b.hash.clone(),
            size: b.size as i64,
            lines: b.lines as i64,
            stored: b.stored as i64,
        }
    }
}

impl From<ChunkRow> for ChunkRecord {
    fn from(c: ChunkRow) -> Self {
        ChunkRecord {
            seq: c.seq,
            first_line: c.first_line,
            lines: c.lines,
            size: c.size,
            zstd: c.data,
        }
    }
}

impl From<ChunkRecord> for ChunkRow {
    fn from(c: ChunkRecord) -> Self {
        ChunkRow {
            seq: c.seq,
            first_line: c.first_line,
            lines: c.lines,
            size: c.size,
            data: c.zstd,
        }
    }
}
