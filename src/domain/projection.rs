//! One projection of events: an incident is what its timeline says. [`apply`] is the only code
//! that changes an incident's fields for an event; the workflow builds every change with it,
//! import replays a file's timeline through it, and [`replay`] rebuilds an incident from its
//! stored events (which a merged, shared timeline needs).
//!
//! Events are applied in the order they were recorded, not the order of their (backdatable)
//! times: a root cause corrected later wins even if the correction is dated earlier.

use crate::domain::event::{Event, EventKind, PAUSED, RESUMED};
use crate::domain::model::{Field, Incident, Number, Severity, Status};
use crate::domain::sla::{self, Due, Policy};
use crate::domain::time::Timestamp;

/// A timeline that does not describe an incident.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectionError {
    #[error("its timeline does not begin with its opening")]
    NotOpened,
    #[error("its timeline opens it twice")]
    OpenedTwice,
    #[error("a {kind} event has {what} '{value}'")]
    Bad {
        kind: &'static str,
        what: &'static str,
        value: String,
    },
    #[error("a status event goes from {from} to {to}, but the incident was {was}")]
    StatusFrom {
        from: Status,
        to: Status,
        was: Status,
    },
    #[error("a status event goes from {from} to {to}, which the lifecycle does not allow")]
    Transition { from: Status, to: Status },
}

type Result<T> = std::result::Result<T, ProjectionError>;

/// What an incident is before its first event: what only the store knows (row key, number and
/// UUID), and, for an `opened` event written before version 9 (which carries no detail), the
/// description and detection time the incident was opened with.
#[derive(Debug, Clone, PartialEq)]
pub struct Seed {
    pub pk: i64,
    pub uuid: String,
    pub number: Number,
    pub description: String,
    pub detected_at: Option<Timestamp>,
}

impl Seed {
    /// The seed of a stored incident: its identity, and the description and detection time it
    /// was opened with — the first description change's old value, or the description now.
    pub fn of(incident: &Incident, events: &[Event]) -> Seed {
        let description = events
            .iter()
            .find(|e| e.kind == EventKind::Field && e.field.as_deref() == Some("description"))
            .map(|e| e.old.clone().unwrap_or_default())
            .unwrap_or_else(|| incident.description.clone());
        Seed {
            pk: incident.pk,
            uuid: incident.uuid.clone(),
            number: incident.number,
            description,
            detected_at: Some(incident.detected_at),
        }
    }
}

/// The incident an `opened` event creates, its deadlines judged under `policy`.
pub fn open(seed: &Seed, event: &Event, policy: &Policy) -> Result<Incident> {
    if event.kind != EventKind::Opened {
        return Err(ProjectionError::NotOpened);
    }
    let detail = event.detail.clone().unwrap_or_default();
    let legacy = event.detail.is_none();
    let description = match (detail.description, legacy) {
        (Some(d), _) => d,
        (None, true) => seed.description.clone(),
        (None, false) => String::new(),
    };
    let detected_at = match (detail.detected_at, legacy) {
        (Some(t), _) => t,
        (None, true) => seed.detected_at.unwrap_or(event.at),
        (None, false) => event.at,
    };
    // Before version 11 the impact start was not recorded: it is the detection.
    let started_at = detail.started_at.unwrap_or(detected_at);
    let mut incident = Incident {
        pk: seed.pk,
        uuid: seed.uuid.clone(),
        number: seed.number,
        title: event.text.clone(),
        description,
        severity: severity(event, event.new.as_deref())?,
        status: Status::Open,
        root_cause: String::new(),
        resolution: String::new(),
        prevention: String::new(),
        lessons_learned: String::new(),
        impact: String::new(),
        trigger: String::new(),
        detection: String::new(),
        started_at,
        detected_at,
        opened_at: event.at,
        acknowledged_at: None,
        resolved_at: None,
        closed_at: None,
        published_at: None,
        created_by: event.author.clone(),
        updated_at: event.recorded_at,
        due: Due::unjudged(detected_at),
        paused_at: None,
        pause_reason: String::new(),
        roles: crate::domain::roles::opening(&event.author),
        services: Vec::new(),
    };
    for service in &detail.services {
        if let Ok(name) = crate::domain::roles::service_name(service) {
            crate::domain::roles::apply(&mut incident, EventKind::Service, None, None, Some(&name))
                .map_err(|what| bad(event, what, service))?;
        } else {
            return Err(bad(event, "service", service));
        }
    }
    incident.due = sla::due(&incident, std::slice::from_ref(event), policy);
    Ok(incident)
}

/// The incident after `event`. Events that only add to the timeline (notes, snapshots, action
/// items, SLA breaches, attachments, commands, health) leave it as it is. Its deadlines stay as
/// they were: they depend on the whole timeline (the severity in force when a clock stopped),
/// so whoever stores the incident judges them again with `sla::due` ([`replay`] does).
pub fn apply(incident: &Incident, event: &Event) -> Result<Incident> {
    let mut next = incident.clone();
    match event.kind {
        EventKind::Opened => return Err(ProjectionError::OpenedTwice),
        EventKind::Status => status(&mut next, event)?,
        EventKind::Severity => next.severity = severity(event, event.new.as_deref())?,
        EventKind::Pause => pause(&mut next, event)?,
        EventKind::Field => {
            let key = event.field.as_deref().unwrap_or("");
            let field = Field::from_key(key).ok_or_else(|| bad(event, "field", key))?;
            *next.field_mut(field) = event.new.clone().unwrap_or_default();
        }
        EventKind::Role | EventKind::Service => {
            let (field, old, new) = (
                event.field.as_deref(),
                event.old.as_deref(),
                event.new.as_deref(),
            );
            crate::domain::roles::apply(&mut next, event.kind, field, old, new)
                .map_err(|what| bad(event, what, field.or(new).or(old).unwrap_or("")))?;
        }
        EventKind::Note
        | EventKind::Snapshot
        | EventKind::Action
        | EventKind::Sla
        | EventKind::Attachment
        | EventKind::Command
        | EventKind::Health
        | EventKind::Lesson
        | EventKind::Link
        | EventKind::Retraction => {}
        EventKind::Postmortem => {
            if event.field.as_deref() == Some("status") {
                next.published_at = match event.new.as_deref() {
                    Some("published") => next.published_at.or(Some(event.at)),
                    _ => None,
                };
            }
        }
    }
    if event.kind.changes_fields() {
        next.updated_at = event.recorded_at;
    }
    Ok(next)
}

/// The incident a whole timeline describes, `events` in the order they were recorded, with
/// its deadlines judged under `policy`.
pub fn replay(seed: &Seed, events: &[Event], policy: &Policy) -> Result<Incident> {
    let (first, rest) = events.split_first().ok_or(ProjectionError::NotOpened)?;
    let mut incident = open(seed, first, policy)?;
    for event in rest {
        incident = apply(&incident, event)?;
    }
    incident.due = sla::due(&incident, events, policy);
    Ok(incident)
}

/// A status change that the merged timeline cannot apply where it falls: two working copies
/// changed the status apart (one resolved what the other had closed). It stays in the timeline;
/// readers mark it (`conflict: true`) with the status it would have set.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Conflict {
    pub uuid: String,
    pub would_set: Status,
}

/// An incident rebuilt from a merged timeline, and the status changes it could not apply.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub incident: Incident,
    pub conflicts: Vec<Conflict>,
}

/// The order of a timeline that every working copy agrees on, whatever order its events
/// arrived in: when it happened, then when it was recorded, then its identity (time-ordered
/// for events written since version 14, so one copy's same-second events keep their order).
pub fn timeline_order(a: &Event, b: &Event) -> std::cmp::Ordering {
    (a.at, a.recorded_at, &a.uuid).cmp(&(b.at, b.recorded_at, &b.uuid))
}

/// The incident a timeline describes however its events were merged: the same events give the
/// same incident on every copy. The opening comes first; status changes replay in
/// [`timeline_order`] (a change invalid where it falls is a [`Conflict`], not applied); field
/// and severity values are the last recorded (then the latest in time, then by identity).
pub fn merge(seed: &Seed, events: &[Event], policy: &Policy) -> Result<Merged> {
    let mut sorted: Vec<&Event> = events.iter().collect();
    sorted.sort_by(|a, b| timeline_order(a, b));
    let opened = sorted
        .iter()
        .filter(|e| e.kind == EventKind::Opened)
        .min_by(|a, b| (a.recorded_at, &a.uuid).cmp(&(b.recorded_at, &b.uuid)))
        .ok_or(ProjectionError::NotOpened)?;
    let mut incident = open(seed, opened, policy)?;
    let mut conflicts = Vec::new();
    // Pauses replay among the status changes: a resolution ends a pause, a reopening does not
    // bring it back.
    for event in sorted
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Status | EventKind::Pause))
    {
        if event.kind == EventKind::Pause {
            pause(&mut incident, event)?;
            incident.updated_at = incident.updated_at.max(event.recorded_at);
            continue;
        }
        match status(&mut incident, event) {
            Ok(()) => incident.updated_at = incident.updated_at.max(event.recorded_at),
            Err(
                ProjectionError::StatusFrom { to, .. } | ProjectionError::Transition { to, .. },
            ) => {
                conflicts.push(Conflict {
                    uuid: event.uuid.clone().unwrap_or_default(),
                    would_set: to,
                });
            }
            Err(e) => return Err(e),
        }
    }
    let mut values: Vec<&Event> = sorted
        .iter()
        .copied()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Field
                    | EventKind::Severity
                    | EventKind::Postmortem
                    | EventKind::Role
                    | EventKind::Service
            )
        })
        .collect();
    values.sort_by(|a, b| (a.recorded_at, a.at, &a.uuid).cmp(&(b.recorded_at, b.at, &b.uuid)));
    for event in values {
        let status = (incident.status, incident.updated_at);
        incident = apply(&incident, event)?;
        incident.updated_at = incident.updated_at.max(status.1);
    }
    let ordered: Vec<Event> = sorted.into_iter().cloned().collect();
    incident.due = sla::due(&incident, &ordered, policy);
    Ok(Merged {
        incident,
        conflicts,
    })
}

/// The status changes of a timeline that its merged order cannot apply (what [`merge`]
/// reports), found from the status events alone: what a reader marks.
pub fn conflicts(events: &[Event]) -> Vec<Conflict> {
    let mut changes: Vec<&Event> = events
        .iter()
        .filter(|e| e.kind == EventKind::Status)
        .collect();
    changes.sort_by(|a, b| timeline_order(a, b));
    let mut now = Status::Open;
    let mut found = Vec::new();
    for e in changes {
        let parse = |v: Option<&str>| v.and_then(|v| v.parse::<Status>().ok());
        let (Some(from), Some(to)) = (parse(e.old.as_deref()), parse(e.new.as_deref())) else {
            continue;
        };
        if from == now && allowed(from, to) {
            now = to;
        } else {
            found.push(Conflict {
                uuid: e.uuid.clone().unwrap_or_default(),
                would_set: to,
            });
        }
    }
    found
}

/// Why `incident` is CANCELLED: the status change that cancelled it (the last one in `events`,
/// its timeline in order), which carries the reason. `None` unless it is cancelled.
pub fn cancellation<'e>(incident: &Incident, events: &'e [Event]) -> Option<&'e Event> {
    cancelled_by(incident.status.as_str(), events)
}

/// [`cancellation`] of an incident whose status is `status` as stored (an export's record).
pub fn cancelled_by<'e>(status: &str, events: &'e [Event]) -> Option<&'e Event> {
    if status != Status::Cancelled.as_str() {
        return None;
    }
    events.iter().rev().find(|e| {
        e.kind == EventKind::Status && e.new.as_deref() == Some(Status::Cancelled.as_str())
    })
}

/// What each event of a timeline says (`Event::summary`), a status change the merged
/// timeline could not apply followed by [`Conflict::text`], and a retracted entry by its
/// retraction's mark (`retract::mark`): the words every rendering prints.
pub fn summaries(events: &[Event]) -> Vec<String> {
    let conflicts = conflicts(events);
    let retractions = crate::domain::retract::retractions(events);
    events
        .iter()
        .map(|e| {
            let mut text = e.summary();
            if let Some(c) = conflicts.iter().find(|c| Some(&c.uuid) == e.uuid.as_ref()) {
                text = format!("{text} {}", c.text());
            }
            if let Some(r) = crate::domain::retract::retraction_of(e, &retractions) {
                text = format!("{text} {}", crate::domain::retract::mark(r));
            }
            text
        })
        .collect()
}

impl Conflict {
    /// What a reader is told about the change, after its own words.
    pub fn text(&self) -> String {
        format!(
            "[conflict: recorded apart from a change that comes first in the merged timeline; not applied, would set {}]",
            self.would_set
        )
    }
}

/// The moves the lifecycle allows (`status` makes them).
fn allowed(from: Status, to: Status) -> bool {
    matches!(
        (from, to),
        (Status::Open, Status::Investigating)
            | (Status::Resolved | Status::Closed, Status::Investigating)
            | (Status::Open | Status::Investigating, Status::Resolved)
            | (Status::Resolved, Status::Closed)
            | (Status::Open | Status::Investigating, Status::Cancelled)
            | (Status::Cancelled, Status::Investigating)
    )
}

/// A status change and the clocks it stops or restarts.
fn status(incident: &mut Incident, event: &Event) -> Result<()> {
    let parse = |what: &'static str, value: Option<&str>| -> Result<Status> {
        let value = value.unwrap_or("");
        value
            .parse::<Status>()
            .ok()
            .filter(|s| s.as_str() == value)
            .ok_or_else(|| bad(event, what, value))
    };
    let from = parse("old status", event.old.as_deref())?;
    let to = parse("new status", event.new.as_deref())?;
    if from != incident.status {
        return Err(ProjectionError::StatusFrom {
            from,
            to,
            was: incident.status,
        });
    }
    let at = event.at;
    match (from, to) {
        // Acknowledge: the response clock stops.
        (Status::Open, Status::Investigating) => incident.acknowledged_at = Some(at),
        // Reopen: the fix did not hold, so the fix clock runs again.
        (Status::Resolved | Status::Closed, Status::Investigating) => {
            incident.resolved_at = None;
            incident.closed_at = None;
        }
        // Resolve: the fix clock stops, and the response clock too if nobody acknowledged.
        (Status::Open | Status::Investigating, Status::Resolved) => {
            incident.acknowledged_at.get_or_insert(at);
            incident.resolved_at = Some(at);
            // The fix clock has stopped: nothing is left to pause (`sla::pauses` ends it too).
            incident.paused_at = None;
            incident.pause_reason.clear();
        }
        (Status::Resolved, Status::Closed) => incident.closed_at = Some(at),
        // Cancel (opened by mistake, noise, a duplicate): someone looked at it, which answers
        // the page; the clocks stop with the status (`sla::clocks`), neither met nor breached.
        (Status::Open | Status::Investigating, Status::Cancelled) => {
            incident.acknowledged_at.get_or_insert(at);
            incident.paused_at = None;
            incident.pause_reason.clear();
        }
        // Reopen a cancelled incident: the fix clock runs again against its deadline.
        (Status::Cancelled, Status::Investigating) => {}
        _ => return Err(ProjectionError::Transition { from, to }),
    }
    incident.status = to;
    Ok(())
}

/// A pause of the SLA clocks, or its end.
fn pause(incident: &mut Incident, event: &Event) -> Result<()> {
    match event.new.as_deref() {
        Some(PAUSED) => {
            incident.paused_at = Some(event.at);
            incident.pause_reason = event.text.clone();
        }
        Some(RESUMED) => {
            incident.paused_at = None;
            incident.pause_reason.clear();
        }
        other => return Err(bad(event, "value", other.unwrap_or(""))),
    }
    Ok(())
}

fn severity(event: &Event, value: Option<&str>) -> Result<Severity> {
    let value = value.unwrap_or("");
    value
        .parse::<Severity>()
        .ok()
        .filter(|s| s.as_str() == value)
        .ok_or_else(|| bad(event, "severity", value))
}

fn bad(event: &Event, what: &'static str, value: &str) -> ProjectionError {
    ProjectionError::Bad {
        kind: event.kind.as_str(),
        what,
        value: value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Detail;
    use crate::domain::time::from_rfc3339;

    fn t(s: &str) -> Timestamp {
        from_rfc3339(s).unwrap()
    }

    fn policy() -> Policy {
        Policy::default()
    }

    fn seed() -> Seed {
        Seed {
            pk: 7,
            uuid: "u7".into(),
            number: Number(3),
            description: "from the row".into(),
            detected_at: Some(t("2026-10-07T08:00:00Z")),
        }
    }

    fn event(kind: EventKind, at: &str, old: Option<&str>, new: Option<&str>) -> Event {
        Event {
            at: t(at),
            recorded_at: t("2026-10-08T00:00:00Z"),
            author: "alice".into(),
            kind,
            field: None,
            old: old.map(str::to_string),
            new: new.map(str::to_string),
            text: String::new(),
            detail: None,
            uuid: None,
        }
    }

    fn opened(detail: Option<Detail>) -> Event {
        Event {
            text: "Data collection stopped".into(),
            detail,
            ..event(EventKind::Opened, "2026-10-07T09:00:00Z", None, Some("P1"))
        }
    }

    #[test]
    fn an_opening_with_its_detail_needs_nothing_from_the_row() {
        let detail = Detail {
            description: Some("prices stale".into()),
            detected_at: Some(t("2026-10-02T09:00:00Z")),
            started_at: Some(t("2026-10-01T23:40:00Z")),
            ..Detail::default()
        };
        let i = open(&seed(), &opened(Some(detail)), &policy()).unwrap();
        assert_eq!(i.description, "prices stale");
        assert_eq!(i.started_at, t("2026-10-01T23:40:00Z"));
        assert_eq!(i.detected_at, t("2026-10-02T09:00:00Z"));
        // A P1's clocks count from the detection.
        assert_eq!(i.due.respond, t("2026-10-02T09:15:00Z"));
        assert_eq!(i.due.resolve, t("2026-10-02T10:00:00Z"));
        assert_eq!(i.opened_at, t("2026-10-07T09:00:00Z"));
        assert_eq!((i.severity, i.status), (Severity::P1, Status::Open));
        assert_eq!(i.created_by, "alice");
        assert_eq!((i.pk, i.number, i.uuid.as_str()), (7, Number(3), "u7"));
        // An empty detail means the defaults: no description, detected when opened.
        let i = open(&seed(), &opened(Some(Detail::default())), &policy()).unwrap();
        assert_eq!((i.description.as_str(), i.detected_at), ("", i.opened_at));
        // No detail (written before version 9): the seed's.
        let i = open(&seed(), &opened(None), &policy()).unwrap();
        assert_eq!(i.description, "from the row");
        assert_eq!(i.detected_at, t("2026-10-07T08:00:00Z"));
        assert_eq!(i.started_at, i.detected_at);
    }

    #[test]
    fn status_changes_stop_and_restart_the_clocks() {
        let mut i = open(&seed(), &opened(None), &policy()).unwrap();
        let step = |i: &Incident, at: &str, from: &str, to: &str| {
            apply(i, &event(EventKind::Status, at, Some(from), Some(to))).unwrap()
        };
        i = step(&i, "2026-10-07T09:10:00Z", "OPEN", "INVESTIGATING");
        assert_eq!(i.acknowledged_at, Some(t("2026-10-07T09:10:00Z")));
        i = step(&i, "2026-10-07T11:00:00Z", "INVESTIGATING", "RESOLVED");
        assert_eq!(i.resolved_at, Some(t("2026-10-07T11:00:00Z")));
        i = step(&i, "2026-10-07T12:00:00Z", "RESOLVED", "CLOSED");
        assert_eq!(i.closed_at, Some(t("2026-10-07T12:00:00Z")));
        assert_eq!(i.updated_at, t("2026-10-08T00:00:00Z"));
        i = step(&i, "2026-10-08T09:00:00Z", "CLOSED", "INVESTIGATING");
        assert_eq!((i.resolved_at, i.closed_at), (None, None));
        assert_eq!(i.acknowledged_at, Some(t("2026-10-07T09:10:00Z")));
        assert_eq!(i.status, Status::Investigating);
        // Resolving an incident nobody acknowledged stops the response clock too.
        let fresh = open(&seed(), &opened(None), &policy()).unwrap();
        let r = step(&fresh, "2026-10-07T10:00:00Z", "OPEN", "RESOLVED");
        assert_eq!(r.acknowledged_at, Some(t("2026-10-07T10:00:00Z")));
    }

    #[test]
    fn fields_and_severity_follow_their_events_and_notes_change_nothing() {
        let i = open(&seed(), &opened(None), &policy()).unwrap();
        let mut set = event(
            EventKind::Field,
            "2026-10-07T10:00:00Z",
            Some(""),
            Some("disk"),
        );
        set.field = Some("root_cause".into());
        let i = apply(&i, &set).unwrap();
        assert_eq!(i.root_cause, "disk");
        let sev = event(
            EventKind::Severity,
            "2026-10-07T10:00:00Z",
            Some("P1"),
            Some("P2"),
        );
        let i = apply(&i, &sev).unwrap();
        assert_eq!(i.severity, Severity::P2);
        let mut note = event(EventKind::Note, "2026-10-09T10:00:00Z", None, None);
        note.recorded_at = t("2026-10-09T10:00:00Z");
        assert_eq!(apply(&i, &note).unwrap(), i);
    }

    #[test]
    fn timelines_that_describe_no_incident_are_refused() {
        let i = open(&seed(), &opened(None), &policy()).unwrap();
        assert_eq!(
            replay(&seed(), &[], &Policy::default()).unwrap_err(),
            ProjectionError::NotOpened
        );
        assert_eq!(
            apply(&i, &opened(None)).unwrap_err(),
            ProjectionError::OpenedTwice
        );
        let wrong_from = event(
            EventKind::Status,
            "2026-10-07T10:00:00Z",
            Some("RESOLVED"),
            Some("CLOSED"),
        );
        assert!(matches!(
            apply(&i, &wrong_from),
            Err(ProjectionError::StatusFrom { .. })
        ));
        let skip = event(
            EventKind::Status,
            "2026-10-07T10:00:00Z",
            Some("OPEN"),
            Some("CLOSED"),
        );
        assert!(matches!(
            apply(&i, &skip),
            Err(ProjectionError::Transition { .. })
        ));
        let mut unknown = event(EventKind::Field, "2026-10-07T10:00:00Z", None, Some("x"));
        unknown.field = Some("colour".into());
        assert_eq!(
            apply(&i, &unknown).unwrap_err().to_string(),
            "a field event has field 'colour'"
        );
        let sev = event(
            EventKind::Severity,
            "2026-10-07T10:00:00Z",
            Some("P1"),
            Some("p9"),
        );
        assert!(apply(&i, &sev).is_err());
    }

    #[test]
    fn a_merged_timeline_replays_pauses_among_the_status_changes() {
        // Paused, resolved (which ends the pause), reopened, paused again: in whatever order
        // the events arrive, the merged incident is paused since the second pause.
        let pause = |at: &str, new: &str, n: u8| Event {
            text: format!("vendor ticket CS-44{n}"),
            uuid: Some(format!("0000000{n}")),
            ..event(EventKind::Pause, at, None, Some(new))
        };
        let status = |at: &str, old: &str, new: &str, n: u8| Event {
            uuid: Some(format!("0000000{n}")),
            ..event(EventKind::Status, at, Some(old), Some(new))
        };
        let mut events = vec![
            opened(None),
            pause("2026-10-07T08:30:00Z", "paused", 1),
            status("2026-10-07T09:40:00Z", "OPEN", "RESOLVED", 2),
            status("2026-10-07T10:00:00Z", "RESOLVED", "INVESTIGATING", 3),
            pause("2026-10-07T10:05:00Z", "paused", 4),
        ];
        let forward = merge(&seed(), &events, &policy()).unwrap().incident;
        let replayed = replay(&seed(), &events[..3], &policy()).unwrap();
        assert_eq!(
            replayed.paused_at, None,
            "the resolution ended the first pause"
        );
        events[1..].reverse();
        let backward = merge(&seed(), &events, &policy()).unwrap().incident;
        assert_eq!(forward, backward);
        assert_eq!(forward.paused_at, Some(t("2026-10-07T10:05:00Z")));
        assert_eq!(forward.pause_reason, "vendor ticket CS-444");
        // The P1 fix clock (detected 08:00, due 09:00) was held 08:30 to 09:40 by the first
        // pause; the second, under way, holds the 5 minutes the reopened clock has left.
        assert_eq!(forward.due.resolve, t("2026-10-07T10:10:00Z"));
        let c = crate::domain::sla::clocks(&forward, t("2026-10-08T00:00:00Z"));
        assert_eq!(c.resolve.margin, 300);
    }
}
