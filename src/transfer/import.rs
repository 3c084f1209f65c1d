//! One incident from an export file written here, each of its rows through the store's insert
//! for that table, the same ones the commands use.

use super::record::IncidentRecord;
use super::{Result, invalid};
use crate::domain::model::Field;
use crate::domain::time::{self, Timestamp};
use crate::store::Txn;

/// What became of one imported incident.
#[derive(Debug, Clone, PartialEq)]
pub enum Imported {
    /// Its UUID is already here (as this number): nothing was written.
    Skipped { number: i64 },
    /// Written under its own number, or (`deferred`) under a placeholder until it is given
    /// the next free one, once every incident that keeps its own number is in.
    New {
        pk: i64,
        deferred: bool,
        /// Action items whose id was taken here: (id in the file, id here).
        actions_renumbered: Vec<(i64, i64)>,
    },
}

/// Writes an incident from a file, unless its UUID is already here. Its number is kept when
/// free; otherwise it waits under `placeholder`. Its logs and command output must be stored
/// already (the file carries them first). Everything written reaches the search index in this
/// transaction, but for action items and notes, which the caller indexes in one pass.
/// `max_action_id` is the largest action item id in the file (0 when it does not say).
pub fn incident(
    txn: &Txn,
    rec: &IncidentRecord,
    placeholder: i64,
    max_action_id: i64,
) -> Result<Imported> {
    rec.validate()?;
    if let Some(number) = txn.number_of_uuid(&rec.uuid)? {
        return Ok(Imported::Skipped { number });
    }
    let taken = txn.incident(rec.number)?.is_some();
    let number = if taken { placeholder } else { rec.number };
    let pk = txn.save_incident(&rec.incident(number)?)?;
    txn.date_indexed_fields(pk, &field_times(rec)?)?;
    let actions_renumbered = actions(txn, pk, rec, max_action_id)?;
    events(txn, pk, rec, &actions_renumbered)?;
    for s in &rec.snapshots {
        txn.insert_snapshot_row(Some(pk), &s.row()?)?;
    }
    let blob = |what: &str, seq: i64, hash: &str| -> Result<i64> {
        txn.blob(hash)?.map(|b| b.id).ok_or_else(|| {
            invalid(format!(
                "incident {} ({}): {what} {seq} refers to content sha256 {hash}, which the file does not carry",
                rec.number, rec.uuid
            ))
        })
    };
    for a in &rec.attachments {
        let blob_id = blob("attachment", a.seq, &a.sha256)?;
        txn.insert_attachment_row(pk, &a.row(blob_id)?)?;
    }
    for r in &rec.command_runs {
        let blob_id = blob("command run", r.seq, &r.sha256)?;
        txn.insert_command_run_row(pk, &r.row(blob_id)?)?;
    }
    Ok(Imported::New {
        pk,
        deferred: taken,
        actions_renumbered,
    })
}

/// The incident's action items. Action ids are global: one taken here gets a new one past
/// every id here and in the file (so that it takes none a later incident of the file keeps);
/// returns those moved, (id in the file, id here).
fn actions(
    txn: &Txn,
    pk: i64,
    rec: &IncidentRecord,
    max_action_id: i64,
) -> Result<Vec<(i64, i64)>> {
    let mut renumbered = Vec::new();
    for a in &rec.actions {
        let id = txn.free_action_id(a.id, max_action_id)?;
        txn.insert_action_row(pk, &a.row(id)?)?;
        if id != a.id {
            renumbered.push((a.id, id));
        }
    }
    Ok(renumbered)
}

/// The incident's timeline, in the order it was recorded; an event about an action item that
/// moved follows it.
fn events(txn: &Txn, pk: i64, rec: &IncidentRecord, moved: &[(i64, i64)]) -> Result<()> {
    for e in &rec.events {
        let field = match (e.kind.as_str(), e.field.as_deref()) {
            ("action", Some(old)) => moved
                .iter()
                .find(|(from, _)| from.to_string() == old)
                .map(|(_, to)| to.to_string())
                .or_else(|| e.field.clone()),
            _ => e.field.clone(),
        };
        let (event, recorded_at) = e.new_event(field)?;
        txn.append_event(pk, &e.author, recorded_at, &event)?;
    }
    Ok(())
}

/// When each field was last set, for the search index (as the writes that set them date
/// them): the last `field` event that changed it, else the opening.
fn field_times(rec: &IncidentRecord) -> Result<Vec<(&'static str, Timestamp)>> {
    let opened = rec
        .events
        .iter()
        .find(|e| e.kind == "opened")
        .map_or(rec.updated_at.as_str(), |e| e.recorded_at.as_str());
    Field::ALL
        .iter()
        .map(|field| {
            let key = field.key();
            let at = rec
                .events
                .iter()
                .rev()
                .find(|e| e.kind == "field" && e.field.as_deref() == Some(key))
                .map_or(opened, |e| e.recorded_at.as_str());
            let at = time::from_rfc3339(at)
                .ok_or_else(|| invalid(format!("'{at}' is not a stored time")))?;
            Ok((key, at))
        })
        .collect()
}
