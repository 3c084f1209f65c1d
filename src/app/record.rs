//! The write path of every change to an incident: load it, let `domain::workflow` decide what
//! the change is, then write the changed fields and the events that explain them, in the
//! caller's one transaction.

use super::AppError;
use crate::domain::model::{ActionItem, Incident, NewAction, Number};
use crate::domain::time::Timestamp;
use crate::domain::workflow::{self, Actor, Change, NewIncident, WorkflowError};
use crate::domain::{sla, terms};
use crate::store::Txn;

/// Incident `number`, or the error every command gives for one that does not exist.
pub fn load(txn: &Txn, number: Number) -> Result<Incident, AppError> {
    Ok(txn
        .incident(number)?
        .ok_or(WorkflowError::NotFound(number))?)
}

/// Opens a new incident under the next free number: on a copy that shares with a team log,
/// a provisional one (`L14`) until the team numbers it at its first push.
pub fn open(txn: &Txn, actor: &Actor, new: NewIncident) -> Result<Incident, AppError> {
    let shares = txn.shares()?;
    let number = Number(if shares {
        -txn.next_local_number()?
    } else {
        txn.next_number()?
    });
    let uuid = uuid::Uuid::new_v4().to_string();
    let (mut incident, mut opened) = workflow::open(number, uuid, actor, new)?;
    terms::stamp(&mut opened, incident.detected_at, &actor.policy);
    incident.due = sla::due(&incident, std::slice::from_ref(&opened), &actor.policy);
    incident.pk = txn.save_incident(&incident)?;
    if shares {
        txn.set_local_number(incident.pk, -number.0)?;
    }
    txn.append_event(incident.pk, &opened)?;
    Ok(incident)
}

/// Loads incident `number` for a change happening at `at` (default now); `what` names the
/// change in errors ("the note", "the acknowledgement").
pub fn begin(
    txn: &Txn,
    actor: &Actor,
    what: &'static str,
    number: Number,
    at: Option<Timestamp>,
) -> Result<Change, AppError> {
    let incident = load(txn, number)?;
    let last_status = txn.last_status_at(incident.pk)?;
    let mut change = Change::new(incident, actor, what, at)?;
    change.status_since(last_status);
    Ok(change)
}

/// Writes the incident's new fields (if any changed) with its SLA deadlines judged again from
/// the whole timeline (`sla::due`), and appends its events, all in the caller's transaction.
pub fn save(txn: &Txn, actor: &Actor, change: Change) -> Result<Incident, AppError> {
    let (mut incident, mut events, fields_changed) = change.finish()?;
    // Identities now, so that the deadlines are judged over the timeline in the order every
    // copy of it will have (`projection::timeline_order`).
    for event in &mut events {
        event
            .uuid
            .get_or_insert_with(crate::domain::event::new_uuid);
        // The terms a clock starts or changes under are recorded with the event that does it.
        terms::stamp(event, incident.detected_at, &actor.policy);
    }
    if fields_changed {
        let mut timeline = txn.events_as_recorded(incident.pk)?;
        timeline.extend(events.iter().cloned());
        timeline.sort_by(crate::domain::projection::timeline_order);
        incident.due = sla::due(&incident, &timeline, &actor.policy);
        txn.save_incident(&incident)?;
    }
    for event in &events {
        txn.append_event(incident.pk, event)?;
    }
    Ok(incident)
}

/// Adds an action item to the change's incident; returns its id.
pub fn add_action(
    txn: &Txn,
    actor: &Actor,
    change: &mut Change,
    action: &NewAction,
) -> Result<i64, AppError> {
    let action = Change::check_action(action)?;
    let id = txn.insert_action(change.incident.pk, &action, &actor.author, change.at())?;
    // The timeline names it by the number people type (`L7` until the team numbers it).
    let number = txn.action(id)?.map_or(Number(id), |a| a.id);
    change.action_added(number, &action);
    Ok(id)
}

/// Marks action item `action` of the change's incident done.
pub fn action_done(
    txn: &Txn,
    actor: &Actor,
    change: &mut Change,
    action: &ActionItem,
) -> Result<(), AppError> {
    change.action_done(action)?;
    txn.mark_action_done(action.pk, &actor.author, change.at())?;
    Ok(())
}
