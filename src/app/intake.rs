//! The Alertmanager intake: one notification, one write transaction. `domain::intake` decides
//! what changed and what to do; the incident is opened, changed, reopened or resolved through
//! the write path every command uses (`record::open`, `begin`, `save`), so its SLA terms,
//! deadlines and search index stay right.

use super::{App, AppError, record};
use crate::config::IntakeSettings;
use crate::domain::intake::{self, Action, AlertChange, AlertStatus, Notification, Prior};
use crate::domain::model::{Field, Incident, Number, Status};
use crate::domain::workflow::{Actor, NewIncident};
use crate::store::Txn;
use crate::store::intake::AlertGroup;

/// What a notification did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A new incident; `previous` is the group's earlier one, done.
    Opened {
        number: Number,
        previous: Option<Number>,
    },
    /// The group's incident, with this many timeline events added (0 for a resend).
    Updated {
        number: Number,
        events: usize,
    },
    Reopened {
        number: Number,
    },
    /// The group's incident was cancelled as noise: the alerts are kept, nothing else.
    Absorbed {
        number: Number,
    },
    /// A resolved group without an incident: nothing to record.
    Ignored,
}

impl Outcome {
    /// A word for the response and the metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Opened { .. } => "opened",
            Outcome::Updated { events: 0, .. } => "unchanged",
            Outcome::Updated { .. } => "updated",
            Outcome::Reopened { .. } => "reopened",
            Outcome::Absorbed { .. } => "absorbed",
            Outcome::Ignored => "ignored",
        }
    }

    pub fn number(&self) -> Option<Number> {
        match self {
            Outcome::Opened { number, .. }
            | Outcome::Updated { number, .. }
            | Outcome::Reopened { number }
            | Outcome::Absorbed { number } => Some(*number),
            Outcome::Ignored => None,
        }
    }
}

/// Records notification `n` in one transaction. `app`'s author is the intake's.
pub fn receive(
    app: &App,
    settings: &IntakeSettings,
    n: &Notification,
) -> Result<Outcome, AppError> {
    app.write(|txn, actor| receive_in(txn, actor, settings, n))
}

fn receive_in(
    txn: &Txn,
    actor: &Actor,
    settings: &IntakeSettings,
    n: &Notification,
) -> Result<Outcome, AppError> {
    let group = txn.alert_group(&n.receiver, &n.group_key)?;
    let (prior, known, truncated, group_resolved) = match &group {
        None => (Prior::None, Default::default(), 0, false),
        Some(g) => {
            let incident = txn.incident_at(g.incident_pk)?;
            (
                prior_of(&incident),
                txn.alert_states(g.id)?,
                g.truncated,
                g.status == AlertStatus::Resolved,
            )
        }
    };
    let changes = intake::changes(&known, truncated, n);
    let starts_firing = changes.iter().any(|c| matches!(c, AlertChange::Firing(_)));
    let action = intake::decide(
        prior,
        n,
        group_resolved,
        starts_firing,
        actor.now,
        settings.reopen_window,
    );
    match (action, group) {
        (Action::Ignore, _) => Ok(Outcome::Ignored),
        (Action::Open { previous }, _) => open(txn, actor, settings, n, previous),
        (Action::Absorb, Some(g)) => {
            txn.save_alert_group(g.id, n.status, n.truncated_alerts, &n.alerts, actor.now)?;
            let number = txn.incident_at(g.incident_pk)?.number;
            Ok(Outcome::Absorbed { number })
        }
        (Action::Update | Action::Reopen, Some(g)) => {
            let reopen = action == Action::Reopen;
            update(
                txn,
                actor,
                settings,
                n,
                &g,
                &changes,
                group_resolved,
                reopen,
            )
        }
        // A group row is always there for these (`decide` gives them only with a prior).
        (Action::Absorb | Action::Update | Action::Reopen, None) => Ok(Outcome::Ignored),
    }
}

fn prior_of(incident: &Incident) -> Prior {
    let number = incident.number;
    match incident.status {
        Status::Open | Status::Investigating => Prior::Unresolved,
        Status::Resolved => Prior::Resolved {
            at: incident.resolved_at.unwrap_or(incident.updated_at),
            number,
        },
        // `incident cancel`: opened by mistake or noise.
        Status::Cancelled => Prior::Cancelled { number },
        Status::Closed => Prior::Closed { number },
    }
}

fn open(
    txn: &Txn,
    actor: &Actor,
    settings: &IntakeSettings,
    n: &Notification,
    previous: Option<Number>,
) -> Result<Outcome, AppError> {
    let mut description = intake::description(n);
    if let Some(p) = previous {
        description.push_str(&format!(
            "\nThe same alert group fired before: incident {p}."
        ));
    }
    // Impact from the earliest alert; a sender's clock ahead of ours cannot put it after now.
    let started = intake::first_start(n).map(|t| t.min(actor.now));
    let new = NewIncident {
        severity: settings.severity.of_group(n),
        title: intake::title(n),
        description,
        opened_at: Some(actor.now),
        detected_at: Some(actor.now),
        started_at: started,
        services: Vec::new(),
    };
    let incident = record::open(txn, actor, new)?;
    let id = txn.insert_alert_group(&n.receiver, &n.group_key, incident.pk, actor.now)?;
    txn.save_alert_group(id, n.status, n.truncated_alerts, &n.alerts, actor.now)?;
    Ok(Outcome::Opened {
        number: incident.number,
        previous,
    })
}

#[allow(clippy::too_many_arguments)]
fn update(
    txn: &Txn,
    actor: &Actor,
    settings: &IntakeSettings,
    n: &Notification,
    group: &AlertGroup,
    changes: &[AlertChange],
    group_resolved: bool,
    reopen: bool,
) -> Result<Outcome, AppError> {
    let number = txn.incident_at(group.incident_pk)?.number;
    // When the whole group resolves, its alerts' resolutions go with "all alerts resolved".
    let group_resolves = n.status == AlertStatus::Resolved && !group_resolved;
    let (ended, now): (Vec<&AlertChange>, Vec<&AlertChange>) = changes
        .iter()
        .partition(|c| group_resolves && matches!(c, AlertChange::Resolved(_)));
    let mut events = now.len() + usize::from(reopen);
    let mut change = record::begin(txn, actor, "the alert", number, None)?;
    if reopen {
        change.reopen("the alert group fires again")?;
    }
    for c in now {
        change.note(&intake::change_text(n, c))?;
    }
    // Raised when a more severe alert fires; never lowered.
    let severity = settings.severity.of_group(n);
    if n.status == AlertStatus::Firing && severity < change.incident.severity {
        change.set_severity(severity);
        events += 1;
    }
    if !change.is_empty() {
        record::save(txn, actor, change)?;
    }
    if group_resolves {
        events = events.saturating_add(resolved(txn, actor, settings, n, number, &ended)?);
    }
    txn.save_alert_group(group.id, n.status, n.truncated_alerts, &n.alerts, actor.now)?;
    Ok(if reopen {
        Outcome::Reopened { number }
    } else {
        Outcome::Updated { number, events }
    })
}

/// The group resolved: "all alerts resolved" at the last `endsAt` (not before the incident's
/// last status change, nor after now), and with `auto_resolve` the resolution itself.
fn resolved(
    txn: &Txn,
    actor: &Actor,
    settings: &IntakeSettings,
    n: &Notification,
    number: Number,
    ended: &[&AlertChange],
) -> Result<usize, AppError> {
    let incident = record::load(txn, number)?;
    let floor = [
        Some(incident.detected_at),
        incident.acknowledged_at,
        txn.last_status_at(incident.pk)?,
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(incident.detected_at);
    let at = intake::last_end(n)
        .unwrap_or(actor.now)
        .max(floor)
        .min(actor.now);
    let mut change = record::begin(txn, actor, "the alert resolution", number, Some(at))?;
    for c in ended {
        change.note(&intake::change_text(n, c))?;
    }
    change.note("all alerts resolved")?;
    let mut events = ended.len() + 1;
    if settings.auto_resolve && incident.status.is_unresolved() {
        if incident.resolution.trim().is_empty() {
            change.set_field(Field::Resolution, "alerts resolved")?;
            events += 1;
        }
        change.set_status(Status::Resolved, "")?;
        events += 1;
    }
    record::save(txn, actor, change)?;
    Ok(events)
}
