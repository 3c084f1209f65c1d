//! Pushing the rows behind the timeline: what this copy recorded about its action items,
//! snapshots, logs, command runs and reminder deliveries, as the team log's records (the
//! export format's records in JSON), pushed in the transaction of the events that mention
//! them (`sync::push`). Logs go as the chunks this copy stores, a page at a time.

use crate::domain::time::to_rfc3339;
use crate::store::{BlobInfo, Txn, Unshared, UnsharedRow, derived_uuid};
use crate::team::{SharedBlob, SharedChunk, SharedIncident, SharedRecord};
use crate::transfer::record::{ActionRecord, AttachmentRecord, CommandRunRecord, SnapshotRecord};

/// Rows of each kind per push transaction.
pub const ROWS: usize = 500;

/// The body of an `action_done` record: which action item, when and by whom.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DoneRecord {
    pub action: String,
    pub done_at: String,
    pub done_by: String,
}

/// The body of a `delivery` record: a reminder that went out on some copy.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DeliveryRecord {
    pub kind: String,
    pub level: String,
    pub channel: String,
    pub due_at: String,
    pub sent_at: Option<String>,
}

/// The identity of a delivery on every copy: one per incident, kind, level and channel.
pub fn delivery_uuid(incident_uuid: &str, kind: &str, level: &str, channel: &str) -> String {
    derived_uuid(&[incident_uuid, "delivery", kind, level, channel])
}

/// The identity of an action item's completion.
pub fn done_uuid(action_uuid: &str) -> String {
    derived_uuid(&[action_uuid, "done"])
}

fn json<T: serde::Serialize>(value: &T) -> String {
    // The records are plain data: serialising them cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

fn blob(b: &BlobInfo) -> SharedBlob {
    SharedBlob {
        sha256: b.hash.clone(),
        size: b.size as i64,
        lines: b.lines as i64,
        stored: b.stored as i64,
    }
}

/// The records for these rows, and the incidents they belong to (added to `incidents` when
/// the batch's events did not name them).
pub fn records(rows: &[UnsharedRow], incidents: &mut Vec<SharedIncident>) -> Vec<SharedRecord> {
    let mut out = Vec::with_capacity(rows.len());
    for u in rows {
        if !incidents.iter().any(|i| i.uuid == u.incident_uuid) {
            incidents.push(SharedIncident {
                uuid: u.incident_uuid.clone(),
                created_by: u.incident_created_by.clone(),
            });
        }
        let record =
            |uuid: String, kind: &str, body: String, blob: Option<SharedBlob>| SharedRecord {
                uuid,
                incident_uuid: u.incident_uuid.clone(),
                kind: kind.to_string(),
                body,
                numbered: kind == "action",
                blob,
            };
        match &u.row {
            Unshared::Action { row, row_shared } => {
                let uuid = row.uuid.clone().unwrap_or_default();
                if !row_shared {
                    // The item as it was added; its completion travels as its own record.
                    let mut created = ActionRecord::from(row.clone());
                    created.done_at = None;
                    created.done_by = None;
                    out.push(record(uuid.clone(), "action", json(&created), None));
                }
                if let (Some(at), Some(by)) = (row.done_at, &row.done_by) {
                    let done = DoneRecord {
                        action: uuid.clone(),
                        done_at: to_rfc3339(at),
                        done_by: by.clone(),
                    };
                    out.push(record(done_uuid(&uuid), "action_done", json(&done), None));
                }
            }
            Unshared::Snapshot(s) => {
                let uuid = s.uuid.clone().unwrap_or_default();
                let body = json(&SnapshotRecord::from(s.clone()));
                out.push(record(uuid, "snapshot", body, None));
            }
            Unshared::Attachment { row, blob: b } => {
                let uuid = row.uuid.clone().unwrap_or_default();
                let body = json(&AttachmentRecord::from((row.clone(), b.hash.clone())));
                out.push(record(uuid, "attachment", body, Some(blob(b))));
            }
            Unshared::Command { row, blob: b } => {
                let uuid = row.uuid.clone().unwrap_or_default();
                let body = json(&CommandRunRecord::from((row.clone(), b.hash.clone())));
                out.push(record(uuid, "command", body, Some(blob(b))));
            }
            Unshared::Delivery {
                key,
                due_at,
                sent_at,
            } => {
                let body = DeliveryRecord {
                    kind: key.0.clone(),
                    level: key.1.clone(),
                    channel: key.2.clone(),
                    due_at: to_rfc3339(*due_at),
                    sent_at: sent_at.map(to_rfc3339),
                };
                let uuid = delivery_uuid(&u.incident_uuid, &key.0, &key.1, &key.2);
                out.push(record(uuid, "delivery", json(&body), None));
            }
        }
    }
    out
}

/// A page of blob `sha256`'s chunks after `after`, read from this copy: what the push streams.
pub fn chunk_page(txn: &Txn, sha256: &str, after: i64) -> Result<Vec<SharedChunk>, String> {
    let blob = txn
        .blob(sha256)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("content sha256 {sha256} is not stored here"))?;
    let page = txn
        .chunk_page(blob.id, after, crate::team::CHUNK_PAGE)
        .map_err(|e| e.to_string())?;
    Ok(page
        .into_iter()
        .map(|c| SharedChunk {
            seq: c.seq,
            first_line: c.first_line,
            lines: c.lines,
            size: c.size,
            data: c.data,
        })
        .collect())
}
