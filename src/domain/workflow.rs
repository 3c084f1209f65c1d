//! The incident lifecycle: which changes are legal, in what time order, and the timeline events
//! each one appends. Each event changes the incident only through `projection::apply`, so the
//! fields are always what the timeline says. Pure: `app::record` loads the incident, and
//! writes the changed fields and the events in one transaction.

use crate::domain::event::{Detail, Event, EventKind};
use crate::domain::model::{ActionItem, Field, Incident, NewAction, Number, Severity, Status};
use crate::domain::projection::{self, ProjectionError, Seed};
use crate::domain::sla::Policy;
use crate::domain::time::{self, Timestamp};

mod hint;
mod postmortem;
mod undo;

/// Who is acting, the moment the command runs, and the SLA policy the incident's deadlines
/// are judged under when it is stored.
#[derive(Debug, Clone)]
pub struct Actor {
    pub author: String,
    pub now: Timestamp,
    pub policy: Policy,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("incident {0} does not exist")]
    NotFound(Number),
    #[error("incident {number} is {from}; it cannot go to {to}")]
    Transition {
        number: Number,
        from: Status,
        to: Status,
    },
    #[error("incident {number} is already {status}")]
    Already { number: Number, status: Status },
    #[error("incident {number} was already acknowledged at {}", time::display(*.at))]
    AlreadyAcknowledged { number: Number, at: Timestamp },
    #[error("incident {number} is {status}; only {allowed} incidents can be {action}")]
    Wrong {
        number: Number,
        status: Status,
        allowed: &'static str,
        action: &'static str,
    },
    #[error("incident {number} cannot be closed: {reason}")]
    CannotClose { number: Number, reason: String },
    #[error("{what} at {} is before {before} at {}", time::display(*.at), time::display(*.before_at))]
    OutOfOrder {
        number: Number,
        what: &'static str,
        at: Timestamp,
        before: &'static str,
        before_at: Timestamp,
    },
    /// `open`'s own times out of order: there is no incident yet to point at.
    #[error("{what} at {} is before {before} at {}", time::display(*.at), time::display(*.before_at))]
    OpenOutOfOrder {
        what: &'static str,
        at: Timestamp,
        before: &'static str,
        before_at: Timestamp,
    },
    #[error("{what} at {} is in the future (now is {})", time::display(*.at), time::display(*.now))]
    Future {
        what: &'static str,
        at: Timestamp,
        now: Timestamp,
    },
    #[error("the {0} is empty")]
    Empty(&'static str),
    #[error("action item {0} does not exist")]
    NoAction(Number),
    #[error("action item {id} was already done at {}", time::display(*.at))]
    ActionDone { id: Number, at: Timestamp },
    #[error("incident {number}'s SLA clocks are already paused (since {})", time::display(*.since))]
    AlreadyPaused { number: Number, since: Timestamp },
    #[error("incident {0}'s SLA clocks are not paused")]
    NotPaused(Number),
    #[error("incident {number} has no service '{service}'")]
    NoService { number: Number, service: String },
    #[error("nothing to update: no field, severity or status was given")]
    NothingToUpdate(Number),
    #[error("incident {number}: {source}")]
    Retract {
        number: Number,
        source: crate::domain::retract::RetractError,
    },
    /// A change whose events do not describe the incident: a bug, not a user's mistake.
    #[error("incident {number}: {source}")]
    Projection {
        number: Number,
        source: ProjectionError,
    },
}

type Result<T> = std::result::Result<T, WorkflowError>;

/// What `open` records.
#[derive(Debug, Clone)]
pub struct NewIncident {
    pub severity: Severity,
    pub title: String,
    pub description: String,
    /// When it was declared; defaults to now.
    pub opened_at: Option<Timestamp>,
    /// When the problem was noticed (the page, the alert), if before it was declared; the
    /// SLA clocks start here. Defaults to the declaration.
    pub detected_at: Option<Timestamp>,
    /// When the impact began, if before it was noticed. Defaults to the detection.
    pub started_at: Option<Timestamp>,
    /// The services it affects (names checked by `roles::service_name`).
    pub services: Vec<String>,
}

/// A new incident numbered `number`, known everywhere by `uuid` (the store gives it its row
/// key), and its `opened` event, which carries everything the incident starts with.
pub fn open(
    number: Number,
    uuid: String,
    actor: &Actor,
    new: NewIncident,
) -> Result<(Incident, Event)> {
    let title = new.title.trim().to_string();
    if title.is_empty() {
        return Err(WorkflowError::Empty("title"));
    }
    let opened_at = new.opened_at.unwrap_or(actor.now);
    not_future("the open", opened_at, actor.now)?;
    let detected_at = new.detected_at.unwrap_or(opened_at);
    if detected_at > opened_at {
        return Err(WorkflowError::OpenOutOfOrder {
            what: "the opening",
            at: opened_at,
            before: "the detection",
            before_at: detected_at,
        });
    }
    let started_at = new.started_at.unwrap_or(detected_at);
    if started_at > detected_at {
        return Err(WorkflowError::OpenOutOfOrder {
            what: "the detection",
            at: detected_at,
            before: "the impact start",
            before_at: started_at,
        });
    }
    let opened = Event {
        at: opened_at,
        recorded_at: actor.now,
        author: actor.author.clone(),
        kind: EventKind::Opened,
        field: None,
        old: None,
        new: Some(new.severity.to_string()),
        text: title,
        detail: Some(Detail {
            description: Some(new.description.trim().to_string()),
            detected_at: Some(detected_at),
            started_at: Some(started_at),
            services: new.services,
            terms: None,
        }),
        uuid: None,
    };
    let seed = Seed {
        pk: 0,
        uuid,
        number,
        description: String::new(),
        detected_at: None,
    };
    let incident = projection::open(&seed, &opened, &actor.policy)
        .map_err(|source| WorkflowError::Projection { number, source })?;
    Ok((incident, opened))
}

/// A change to one incident being assembled: the events that explain it, and the incident as
/// they leave it.
pub struct Change {
    pub incident: Incident,
    events: Vec<Event>,
    at: Timestamp,
    actor: Actor,
    /// The first event that did not apply; `finish` reports it.
    broken: Option<ProjectionError>,
    /// When the status last changed (`Change::status_since`).
    status_since: Option<Timestamp>,
}

impl Change {
    /// Starts a change to `incident` happening at `at` (default now); `what` names the change
    /// in errors ("the note", "the acknowledgement"). Anything may be dated from the impact
    /// start on (what happened before the declaration can be written down); an
    /// acknowledgement or a resolution not before the detection ([`Change::set_status`]).
    pub fn new(
        incident: Incident,
        actor: &Actor,
        what: &'static str,
        at: Option<Timestamp>,
    ) -> Result<Change> {
        let at = at.unwrap_or(actor.now);
        not_future(what, at, actor.now)?;
        let change = Change {
            incident,
            events: Vec::new(),
            at,
            actor: actor.clone(),
            broken: None,
            status_since: None,
        };
        let started = change.incident.started_at;
        if at < started {
            return Err(change.out_of_order(what, change.start_name(started), started));
        }
        Ok(change)
    }

    /// Tells the change when the incident's status last changed: a status change cannot be
    /// dated before it. Every copy of a shared timeline replays status changes in the order of
    /// their times (`projection::merge`), so one dated earlier would replay out of the order in
    /// which it was made.
    pub fn status_since(&mut self, last: Option<Timestamp>) {
        self.status_since = last;
    }

    /// How errors name a moment of the incident's opening: "the opening" when the incident
    /// was declared the moment it started (the usual case), else what it was.
    fn start_name(&self, t: Timestamp) -> &'static str {
        let i = &self.incident;
        if t == i.opened_at {
            "the opening"
        } else if t == i.detected_at {
            "the detection"
        } else {
            "the impact start"
        }
    }

    /// When the change happens.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn note(&mut self, text: &str) -> Result<()> {
        let text = text.trim();
        if text.is_empty() {
            return Err(WorkflowError::Empty("note"));
        }
        self.push(EventKind::Note, None, None, None, text.to_string());
        Ok(())
    }

    /// Records that snapshot `seq` was taken, with its summary line.
    pub fn snapshot(&mut self, seq: i64, summary: &str) {
        self.push(
            EventKind::Snapshot,
            None,
            None,
            Some(seq.to_string()),
            summary.to_string(),
        );
    }

    /// Records that `incident remind` found the `clock` (respond, resolve, postmortem) past its
    /// deadline; the event's time is the moment it was found.
    pub fn sla_breach(&mut self, clock: &str, deadline: Timestamp) {
        self.push(
            EventKind::Sla,
            Some(clock.to_string()),
            None,
            Some(time::to_rfc3339(deadline)),
            String::new(),
        );
    }

    /// Records that log `seq` was attached: its name, size, lines and content hash.
    pub fn attachment(&mut self, seq: i64, name: &str, size: u64, lines: u64, hash: &str) {
        self.push(
            EventKind::Attachment,
            Some(seq.to_string()),
            None,
            Some(hash.to_string()),
            format!(
                "{name} ({size} bytes, {lines} line{})",
                if lines == 1 { "" } else { "s" }
            ),
        );
    }

    /// Records command run `seq`: `ended` is "0", "1", "signal 9"; `text` the command line
    /// (already redacted) with how it ended and how long it took.
    pub fn command(&mut self, seq: i64, ended: &str, text: String) {
        self.push(
            EventKind::Command,
            Some(seq.to_string()),
            None,
            Some(ended.to_string()),
            text,
        );
    }

    /// Records the health monitor's verdict: `what` is `score`, `recovered` or `degraded`.
    pub fn health(&mut self, what: &str, old: Option<f64>, new: f64, verdict: String) {
        self.push(
            EventKind::Health,
            Some(what.to_string()),
            old.map(|s| format!("{s:.1}")),
            Some(format!("{new:.1}")),
            verdict,
        );
    }

    /// The action item as it will be stored (text trimmed), or why it cannot be.
    pub fn check_action(action: &NewAction) -> Result<NewAction> {
        let text = action.text.trim();
        if text.is_empty() {
            return Err(WorkflowError::Empty("action item"));
        }
        let mut action = action.clone();
        action.text = text.to_string();
        Ok(action)
    }

    /// Records that action item `id` (as `check_action` returned it) was added.
    pub fn action_added(&mut self, id: Number, action: &NewAction) {
        let mut detail = vec![action.kind.as_str().to_string()];
        if let Some(owner) = &action.owner {
            detail.push(format!("owner {owner}"));
        }
        if let Some(due) = action.due_at {
            detail.push(format!("due {}", time::display(due)));
        }
        self.push(
            EventKind::Action,
            Some(id.to_string()),
            None,
            Some("added".into()),
            format!("{} ({})", action.text, detail.join(", ")),
        );
    }

    /// Marks action item `id` of this incident done.
    pub fn action_done(&mut self, action: &ActionItem) -> Result<()> {
        if let Some(at) = action.done_at {
            return Err(WorkflowError::ActionDone { id: action.id, at });
        }
        if self.at < action.created_at {
            return Err(self.out_of_order(
                "the action's completion",
                "its creation",
                action.created_at,
            ));
        }
        self.push(
            EventKind::Action,
            Some(action.id.to_string()),
            Some("open".into()),
            Some("done".into()),
            action.text.clone(),
        );
        Ok(())
    }

    /// Sets a template field; a value equal to the current one records nothing.
    pub fn set_field(&mut self, field: Field, value: &str) -> Result<()> {
        let value = value.trim();
        if field == Field::Title && value.is_empty() {
            return Err(WorkflowError::Empty("title"));
        }
        let old = self.incident.field(field).to_string();
        if old == value {
            return Ok(());
        }
        self.push(
            EventKind::Field,
            Some(field.key().to_string()),
            Some(old),
            Some(value.to_string()),
            String::new(),
        );
        Ok(())
    }

    pub fn set_severity(&mut self, severity: Severity) {
        let old = self.incident.severity;
        if old == severity {
            return;
        }
        self.push(
            EventKind::Severity,
            None,
            Some(old.to_string()),
            Some(severity.to_string()),
            String::new(),
        );
    }

    /// Acknowledges an OPEN incident.
    pub fn ack(&mut self) -> Result<()> {
        let (number, status) = (self.incident.number, self.incident.status);
        match (status, self.incident.acknowledged_at) {
            (Status::Open, _) => self.set_status(Status::Investigating, ""),
            (Status::Investigating, Some(at)) => {
                Err(WorkflowError::AlreadyAcknowledged { number, at })
            }
            _ => Err(WorkflowError::Wrong {
                number,
                status,
                allowed: "OPEN",
                action: "acknowledged",
            }),
        }
    }

    /// Pauses the SLA clocks of an OPEN or INVESTIGATING incident (waiting on a vendor, on
    /// the customer): the time until [`Change::resume`] does not count against the respond
    /// and fix clocks (`sla::due`). Dated no earlier than the last status change, so that
    /// every copy replays it where it was made.
    pub fn pause(&mut self, reason: &str) -> Result<()> {
        let (number, status) = (self.incident.number, self.incident.status);
        if !status.is_unresolved() {
            return Err(WorkflowError::Wrong {
                number,
                status,
                allowed: "OPEN or INVESTIGATING",
                action: "paused",
            });
        }
        if let Some(since) = self.incident.paused_at {
            return Err(WorkflowError::AlreadyPaused { number, since });
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(WorkflowError::Empty("reason"));
        }
        let detected = self.incident.detected_at;
        if self.at < detected {
            return Err(self.out_of_order("the pause", self.start_name(detected), detected));
        }
        if let Some(last) = self.status_since.filter(|t| self.at < *t) {
            return Err(self.out_of_order("the pause", "the last status change", last));
        }
        self.push(
            EventKind::Pause,
            None,
            None,
            Some(crate::domain::event::PAUSED.into()),
            reason.to_string(),
        );
        Ok(())
    }

    /// Ends the pause [`Change::pause`] began; the clocks run again from this moment.
    pub fn resume(&mut self) -> Result<()> {
        let number = self.incident.number;
        let Some(since) = self.incident.paused_at else {
            return Err(WorkflowError::NotPaused(number));
        };
        if self.at < since {
            return Err(self.out_of_order("the resume", "the pause", since));
        }
        self.push(
            EventKind::Pause,
            None,
            None,
            Some(crate::domain::event::RESUMED.into()),
            String::new(),
        );
        Ok(())
    }

    /// Takes a RESOLVED, CLOSED or CANCELLED incident back to INVESTIGATING.
    pub fn reopen(&mut self, reason: &str) -> Result<()> {
        let (number, status) = (self.incident.number, self.incident.status);
        if status.is_unresolved() {
            return Err(WorkflowError::Wrong {
                number,
                status,
                allowed: "RESOLVED, CLOSED or CANCELLED",
                action: "reopened",
            });
        }
        self.set_status(Status::Investigating, reason)
    }

    /// Moves the incident to `to`, if the lifecycle allows it at this time; the clocks that
    /// stop or restart with it are `projection::apply`'s. `text` is a reason kept with the
    /// event (reopen).
    pub fn set_status(&mut self, to: Status, text: &str) -> Result<()> {
        let number = self.incident.number;
        let from = self.incident.status;
        let at = self.at;
        let illegal = || WorkflowError::Transition { number, from, to };
        if from == to {
            return Err(WorkflowError::Already { number, status: to });
        }
        let detected = self.incident.detected_at;
        match (from, to) {
            // Nobody can answer a page before it came.
            (Status::Open, Status::Investigating | Status::Resolved) if at < detected => {
                let what = if to == Status::Resolved {
                    "the resolution"
                } else {
                    "the acknowledgement"
                };
                return Err(self.out_of_order(what, self.start_name(detected), detected));
            }
            (Status::Open, Status::Investigating) => {}
            (Status::Open | Status::Investigating, Status::Cancelled) if at < detected => {
                return Err(self.out_of_order(
                    "the cancellation",
                    self.start_name(detected),
                    detected,
                ));
            }
            (Status::Open | Status::Investigating, Status::Cancelled)
            | (Status::Cancelled, Status::Investigating) => {}
            // A reopening cannot come before what it undoes.
            (Status::Resolved | Status::Closed, Status::Investigating) => {
                let last = self.incident.closed_at.or(self.incident.resolved_at);
                if let Some(last) = last.filter(|t| at < *t) {
                    let before = if self.incident.closed_at.is_some() {
                        "the close"
                    } else {
                        "the resolution"
                    };
                    return Err(self.out_of_order("the reopening", before, last));
                }
            }
            (Status::Open | Status::Investigating, Status::Resolved) => {
                if let Some(ack) = self.incident.acknowledged_at.filter(|t| at < *t) {
                    return Err(self.out_of_order("the resolution", "the acknowledgement", ack));
                }
            }
            (Status::Resolved, Status::Closed) => {
                let missing: Vec<&str> = [Field::RootCause, Field::Resolution]
                    .into_iter()
                    .filter(|f| self.incident.field(*f).is_empty())
                    .map(Field::label)
                    .collect();
                if !missing.is_empty() {
                    return Err(WorkflowError::CannotClose {
                        number,
                        reason: format!("it has no {}", missing.join(" and no ")),
                    });
                }
                if let Some(resolved) = self.incident.resolved_at.filter(|t| at < *t) {
                    return Err(self.out_of_order("the close", "the resolution", resolved));
                }
            }
            _ => return Err(illegal()),
        }
        // After the checks that name what came before: this one only catches a change dated
        // before a reopening (which the incident's times do not keep).
        if let Some(last) = self.status_since.filter(|t| at < *t) {
            let what = match to {
                Status::Open => "the status change",
                Status::Investigating if from == Status::Open => "the acknowledgement",
                Status::Investigating => "the reopening",
                Status::Resolved => "the resolution",
                Status::Closed => "the close",
                Status::Cancelled => "the cancellation",
            };
            return Err(self.out_of_order(what, "the last status change", last));
        }
        self.push(
            EventKind::Status,
            None,
            Some(from.to_string()),
            Some(to.to_string()),
            text.trim().to_string(),
        );
        Ok(())
    }

    /// The incident as changed, the events that explain the change, and whether any of its
    /// fields changed (then its `updated_at` is now).
    pub fn finish(self) -> Result<(Incident, Vec<Event>, bool)> {
        if let Some(source) = self.broken {
            return Err(WorkflowError::Projection {
                number: self.incident.number,
                source,
            });
        }
        let fields_changed = self.events.iter().any(|e| e.kind.changes_fields());
        Ok((self.incident, self.events, fields_changed))
    }

    /// Appends an event and applies it: the one way a change alters the incident.
    pub(super) fn push(
        &mut self,
        kind: EventKind,
        field: Option<String>,
        old: Option<String>,
        new: Option<String>,
        text: String,
    ) {
        let event = Event {
            at: self.at,
            recorded_at: self.actor.now,
            author: self.actor.author.clone(),
            kind,
            field,
            old,
            new,
            text,
            detail: None,
            uuid: None,
        };
        match projection::apply(&self.incident, &event) {
            Ok(next) => self.incident = next,
            Err(e) => {
                self.broken.get_or_insert(e);
            }
        }
        self.events.push(event);
    }

    fn out_of_order(
        &self,
        what: &'static str,
        before: &'static str,
        before_at: Timestamp,
    ) -> WorkflowError {
        WorkflowError::OutOfOrder {
            number: self.incident.number,
            what,
            at: self.at,
            before,
            before_at,
        }
    }
}

fn not_future(what: &'static str, at: Timestamp, now: Timestamp) -> Result<()> {
    if at > now {
        return Err(WorkflowError::Future { what, at, now });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::from_rfc3339;

    fn t(s: &str) -> Timestamp {
        from_rfc3339(s).unwrap()
    }

    fn actor(now: &str) -> Actor {
        Actor {
            author: "ravi_k".into(),
            now: t(now),
            policy: Policy::default(),
        }
    }

    /// A P1 whose impact began at 14:54, paged at 14:55, declared at 15:06.
    fn declared_late() -> Incident {
        let new = NewIncident {
            severity: Severity::P1,
            title: "Checkout returns 502".into(),
            description: String::new(),
            opened_at: Some(t("2026-11-24T15:06:00Z")),
            detected_at: Some(t("2026-11-24T14:55:00Z")),
            started_at: Some(t("2026-11-24T14:54:00Z")),
            services: Vec::new(),
        };
        open(Number(1), "u-1".into(), &actor("2026-11-24T15:06:00Z"), new)
            .unwrap()
            .0
    }

    fn refusal(r: Result<Change>) -> String {
        match r {
            Ok(_) => panic!("accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_moments_of_an_opening_are_in_order() {
        let i = declared_late();
        assert_eq!(
            (i.started_at, i.detected_at, i.opened_at),
            (
                t("2026-11-24T14:54:00Z"),
                t("2026-11-24T14:55:00Z"),
                t("2026-11-24T15:06:00Z")
            )
        );
        // The P1's clocks from the page: 15:10 and 15:55.
        assert_eq!(i.due.respond, t("2026-11-24T15:10:00Z"));
        assert_eq!(i.due.resolve, t("2026-11-24T15:55:00Z"));
        let reversed = NewIncident {
            severity: Severity::P2,
            title: "x".into(),
            description: String::new(),
            opened_at: None,
            detected_at: Some(t("2026-11-24T14:55:00Z")),
            started_at: Some(t("2026-11-24T14:56:00Z")),
            services: Vec::new(),
        };
        let err = open(
            Number(2),
            "u-2".into(),
            &actor("2026-11-24T15:06:00Z"),
            reversed,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the detection at {} is before the impact start at {}",
                time::display(t("2026-11-24T14:55:00Z")),
                time::display(t("2026-11-24T14:56:00Z"))
            )
        );
    }

    #[test]
    fn history_from_the_impact_start_an_answer_from_the_detection() {
        let a = actor("2026-11-24T16:00:00Z");
        let at = |s: &str| Some(t(s));
        // A note at the impact start is history; a second before it is not.
        let mut note =
            Change::new(declared_late(), &a, "the note", at("2026-11-24T14:54:00Z")).unwrap();
        note.note("first 502 in edge logs").unwrap();
        let early = refusal(Change::new(
            declared_late(),
            &a,
            "the note",
            at("2026-11-24T14:53:59Z"),
        ));
        assert!(early.contains("before the impact start"), "{early}");
        // Between impact and page: a note yes, an acknowledgement or resolution no.
        let mut ack =
            Change::new(declared_late(), &a, "the ack", at("2026-11-24T14:54:30Z")).unwrap();
        let err = ack.ack().unwrap_err().to_string();
        assert!(
            err.starts_with("the acknowledgement at") && err.contains("before the detection"),
            "{err}"
        );
        let mut resolve =
            Change::new(declared_late(), &a, "the fix", at("2026-11-24T14:54:30Z")).unwrap();
        let err = resolve
            .set_status(Status::Resolved, "")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("the resolution at"), "{err}");
        // At the page, before the declaration: the acknowledgement stops the response clock.
        let mut ack =
            Change::new(declared_late(), &a, "the ack", at("2026-11-24T14:55:00Z")).unwrap();
        ack.ack().unwrap();
        assert_eq!(ack.incident.acknowledged_at, at("2026-11-24T14:55:00Z"));
    }

    #[test]
    fn a_status_change_is_not_dated_before_the_last_one() {
        let a = actor("2026-11-24T16:00:00Z");
        let at = |s: &str| Some(t(s));
        // Reopened at 15:30: a resolution dated 15:20 would replay before the reopening.
        let mut fix =
            Change::new(declared_late(), &a, "the fix", at("2026-11-24T15:20:00Z")).unwrap();
        fix.status_since(at("2026-11-24T15:30:00Z"));
        let err = fix
            .set_status(Status::Resolved, "")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("the resolution at")
                && err.contains("before the last status change at"),
            "{err}"
        );
        // At the same second, or after, it stands.
        let mut fix =
            Change::new(declared_late(), &a, "the fix", at("2026-11-24T15:30:00Z")).unwrap();
        fix.status_since(at("2026-11-24T15:30:00Z"));
        fix.set_status(Status::Resolved, "").unwrap();
    }

    #[test]
    fn an_incident_opened_when_noticed_names_its_opening() {
        let a = actor("2026-11-29T12:00:00Z");
        let new = NewIncident {
            severity: Severity::P3,
            title: "Slow dashboard".into(),
            description: String::new(),
            opened_at: Some(t("2026-11-29T10:00:00Z")),
            detected_at: None,
            started_at: None,
            services: Vec::new(),
        };
        let (i, _) = open(Number(3), "u-3".into(), &a, new).unwrap();
        assert_eq!((i.started_at, i.detected_at), (i.opened_at, i.opened_at));
        let err = refusal(Change::new(
            i,
            &a,
            "the note",
            Some(t("2026-11-29T09:59:00Z")),
        ));
        assert!(err.contains("is before the opening at"), "{err}");
    }
}
