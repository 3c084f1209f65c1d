//! One incident from an export file written here, each of its rows through the store's insert
//! for that table, the same ones the commands use.

use super::record::IncidentRecord;
use super::{Result, invalid};
use crate::domain::event::{Event, EventKind};
use crate::domain::model::{Field, Incident};
use crate::domain::projection::{Seed, replay};
use crate::domain::sla::Policy;
use crate::domain::time::{self, Timestamp};
use crate::store::{Txn, derived_uuid};

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
    policy: &Policy,
    now: Timestamp,
) -> Result<Imported> {
    rec.validate(now)?;
    if let Some(number) = txn.number_of_uuid(&rec.uuid)? {
        return Ok(Imported::Skipped { number });
    }
    let taken = txn
        .incident(crate::domain::model::Number(rec.number))?
        .is_some();
    let number = if taken { placeholder } else { rec.number };
    let mut timeline = rec
        .events
        .iter()
        .map(|e| e.event(e.field.clone()))
        .collect::<Result<Vec<_>>>()?;
    // A file written before events had identities: the same ones the source database's
    // migration derived, so the incident is pushed to a team log once, whichever copy pushes.
    let derived = crate::domain::event::content_uuids(&rec.uuid, &timeline);
    for (event, uuid) in timeline.iter_mut().zip(derived) {
        event.uuid.get_or_insert(uuid);
    }
    let incident = rebuilt(rec, number, &timeline, policy)?;
    in_order(&timeline, incident.started_at)
        .map_err(|why| invalid(format!("incident {} ({}): {why}", rec.number, rec.uuid)))?;
    let pk = txn.save_incident(&incident)?;
    txn.date_indexed_fields(pk, &field_times(rec)?)?;
    let actions_renumbered = actions(txn, pk, rec, max_action_id)?;
    events(txn, pk, timeline, &actions_renumbered).map_err(|e| match e {
        super::TransferError::Invalid(why) => {
            invalid(format!("incident {} ({}): {why}", rec.number, rec.uuid))
        }
        other => other,
    })?;
    // Rows of a file that carries no identities get the ones the source database derived at
    // its migration, so that copies that imported the same file share each row once.
    let derive = |parts: &[&str]| Some(derived_uuid(&[&[rec.uuid.as_str()], parts].concat()));
    for s in &rec.snapshots {
        let mut row = s.row()?;
        if row.uuid.is_none() {
            row.uuid = derive(&["snapshot", &s.seq.to_string(), &s.taken_at, &s.summary]);
        }
        txn.insert_snapshot_row(Some(pk), &row)?;
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
        let mut row = a.row(blob_id)?;
        if row.uuid.is_none() {
            let seq = a.seq.to_string();
            row.uuid = derive(&[
                "attachment",
                &seq,
                &a.added_at,
                &a.added_by,
                &a.name,
                &a.sha256,
            ]);
        }
        txn.insert_attachment_row(pk, &row)?;
    }
    for r in &rec.command_runs {
        let blob_id = blob("command run", r.seq, &r.sha256)?;
        let mut row = r.row(blob_id)?;
        if row.uuid.is_none() {
            let seq = r.seq.to_string();
            row.uuid = derive(&[
                "command",
                &seq,
                &r.started_at,
                &r.run_by,
                &r.command,
                &r.sha256,
            ]);
        }
        txn.insert_command_run_row(pk, &row)?;
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
        let mut row = a.row(id)?;
        if row.uuid.is_none() {
            let parts = [
                rec.uuid.as_str(),
                "action",
                &a.created_at,
                &a.created_by,
                &a.text,
                &a.id.to_string(),
            ];
            row.uuid = Some(derived_uuid(&parts));
        }
        txn.insert_action_row(pk, &row)?;
        if id != a.id {
            renumbered.push((a.id, id));
        }
    }
    Ok(renumbered)
}

/// The incident its timeline describes (`projection::replay`, as every write path builds it),
/// which must be the incident the file says: a file whose fields do not follow from its
/// timeline is refused rather than planted.
fn rebuilt(
    rec: &IncidentRecord,
    number: i64,
    timeline: &[Event],
    policy: &Policy,
) -> Result<Incident> {
    let me = format!("incident {} ({})", rec.number, rec.uuid);
    let stated = rec.incident(number)?;
    // Openings written before version 9 carry no description or detection time: the
    // record's own stand in for them.
    let seed = Seed::of(&stated, timeline);
    let incident = replay(&seed, timeline, policy).map_err(|e| invalid(format!("{me}: {e}")))?;
    // Roles and services, where the file states them (files before issue 16 do not).
    let listed = [
        rec.roles
            .as_ref()
            .map(|r| ("role list", json(r), json(&incident.roles))),
        rec.services
            .as_ref()
            .map(|s| ("service list", json(s), json(&incident.services))),
    ];
    let listed = listed.into_iter().flatten().find(|(_, a, b)| a != b);
    if let Some((field, said, follows)) = first_difference(&stated, &incident).or(listed) {
        return Err(invalid(format!(
            "{me}: its {field} is '{said}', but its timeline says '{follows}'"
        )));
    }
    Ok(incident)
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Refuses a timeline the write path cannot produce (`workflow::Change`): an event twice, an
/// event dated after it was recorded (each on one machine's clock), an event other than the
/// opening dated before the impact started, a status change dated before the one it follows.
/// Recorded times are not compared across events: a teammate's clock may run behind.
/// The timeline is in recorded order and begins with its opening (`rebuilt` checked).
fn in_order(timeline: &[Event], started: Timestamp) -> std::result::Result<(), String> {
    let show = |t: Timestamp| time::to_rfc3339(t);
    let mut last_status: Option<Timestamp> = None;
    let mut seen = std::collections::HashSet::new();
    for (n, e) in timeline.iter().enumerate() {
        let which = format!("event {} ({})", n + 1, e.kind.as_str());
        if let Some(uuid) = &e.uuid
            && !seen.insert(uuid)
        {
            return Err(format!("{which} repeats event {uuid}"));
        }
        if e.at > e.recorded_at {
            return Err(format!(
                "{which} is dated {}, after it was recorded ({})",
                show(e.at),
                show(e.recorded_at)
            ));
        }
        if n > 0 && e.at < started {
            return Err(format!(
                "{which} is dated {}, before the impact started ({})",
                show(e.at),
                show(started)
            ));
        }
        if e.kind == EventKind::Status {
            if let Some(before) = last_status.filter(|t| e.at < *t) {
                return Err(format!(
                    "{which} is dated {}, before the status change it follows ({})",
                    show(e.at),
                    show(before)
                ));
            }
            last_status = Some(e.at);
        }
    }
    Ok(())
}

/// The first field in which two versions of an incident differ, with both values.
fn first_difference(a: &Incident, b: &Incident) -> Option<(&'static str, String, String)> {
    let ts = |t: Option<Timestamp>| t.map(time::to_rfc3339).unwrap_or_default();
    let fields: [(&'static str, String, String); 12] = [
        ("severity", a.severity.to_string(), b.severity.to_string()),
        ("status", a.status.to_string(), b.status.to_string()),
        ("started_at", ts(Some(a.started_at)), ts(Some(b.started_at))),
        (
            "detected_at",
            ts(Some(a.detected_at)),
            ts(Some(b.detected_at)),
        ),
        ("opened_at", ts(Some(a.opened_at)), ts(Some(b.opened_at))),
        (
            "acknowledged_at",
            ts(a.acknowledged_at),
            ts(b.acknowledged_at),
        ),
        ("resolved_at", ts(a.resolved_at), ts(b.resolved_at)),
        ("closed_at", ts(a.closed_at), ts(b.closed_at)),
        ("created_by", a.created_by.clone(), b.created_by.clone()),
        ("updated_at", ts(Some(a.updated_at)), ts(Some(b.updated_at))),
        ("uuid", a.uuid.clone(), b.uuid.clone()),
        ("number", a.number.to_string(), b.number.to_string()),
    ];
    let texts = Field::ALL
        .into_iter()
        .map(|f| (f.key(), a.field(f).to_string(), b.field(f).to_string()));
    fields.into_iter().chain(texts).find(|(_, x, y)| x != y)
}

/// The incident's timeline, in the order it was recorded; an event about an action item that
/// moved follows it.
fn events(txn: &Txn, pk: i64, timeline: Vec<Event>, moved: &[(i64, i64)]) -> Result<()> {
    for mut event in timeline {
        if matches!(event.kind, EventKind::Action | EventKind::Link)
            && let Some(to) = event.field.as_deref().and_then(|old| {
                moved
                    .iter()
                    .find(|(from, _)| from.to_string() == old)
                    .map(|(_, to)| to.to_string())
            })
        {
            event.field = Some(to);
        }
        match txn.append_event(pk, &event) {
            // Its identity is another incident's event here (repeats within the file were
            // refused before): a file put together by hand, not an export.
            Err(e) if e.is_duplicate() => {
                return Err(invalid(format!(
                    "event {} is already here, in another incident",
                    event.uuid.as_deref().unwrap_or("")
                )));
            }
            other => other?,
        }
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
