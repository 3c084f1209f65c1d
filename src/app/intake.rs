//! The Alertmanager intake: one notification, one write transaction. `domain::intake` decides
//! what changed and what to do; the incident is opened, changed, reopened or resolved through
//! the write path every command uses (`record::open`, `begin`, `save`), so its SLA terms,
//! deadlines and search index stay right. With a team log, a new incident is claimed there
//! per alert group and episode (`app::claim`), so that N servers given the same notification
//! open one incident between them: the others attach to it.

use super::claim::{self, Claimed, Reach};
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
        /// Opened without a claim in the team log, which was configured: why, in a few words.
        unclaimed: Option<String>,
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

    /// What the response adds: that this opening may repeat on another machine.
    pub fn note(&self) -> Option<String> {
        match self {
            Outcome::Opened {
                unclaimed: Some(why),
                ..
            } => Some(format!("{why}: {}", claim::MAY_REPEAT)),
            _ => None,
        }
    }
}

/// The kind of the intake's claims in the team log.
const CLAIM_KIND: &str = "alert-group";

/// The claim's key of the group of `n`: its receiver and groupKey, unambiguously joined.
fn claim_key(n: &Notification) -> String {
    serde_json::json!([n.receiver, n.group_key]).to_string()
}

/// Records notification `n` in one transaction. `app`'s author is the intake's. With a team
/// log, an opening is claimed there first (see the module's note); when the team log cannot
/// claim, this server decides alone and the outcome says it may repeat.
pub fn receive(
    app: &App,
    settings: &IntakeSettings,
    n: &Notification,
) -> Result<Outcome, AppError> {
    let f = |txn: &Txn, actor: &Actor| -> Result<(Outcome, Option<String>), AppError> {
        let outcome = receive_in(txn, actor, settings, n)?;
        let uuid = match &outcome {
            Outcome::Opened { number, .. } => Some(record::load(txn, *number)?.uuid),
            _ => None,
        };
        Ok((outcome, uuid))
    };
    let opened = |(_, uuid): &(Outcome, Option<String>)| uuid.clone();
    let mut c = match claim::reach(app) {
        Reach::Off => return app.write(|txn, actor| receive_in(txn, actor, settings, n)),
        Reach::Fallback(why, connected) => {
            let o = unclaimed(app.write_here(f)?.0, why);
            if let Some(mut c) = connected {
                c.push(app);
            }
            return Ok(o);
        }
        Reach::On(c) => c,
    };
    let key = claim_key(n);
    let latest = match c.team.latest_open_claim(CLAIM_KIND, &key) {
        Ok(latest) => latest,
        Err(e) => return Ok(unclaimed(app.write_here(f)?.0, claim::why(&e.into()))),
    };
    if let Some(l) = &latest {
        // A claim just made whose incident is not in the team log yet: its opener is pushing.
        let young = l.age < claim::PENDING;
        if !attach(app, &mut c, l, n, young)? && young {
            return Err(AppError::OpenedElsewhere(l.holder.clone()));
        }
    }
    let episode = latest.as_ref().map_or(1, |l| l.episode.saturating_add(1));
    let lost = match c.write(app, (CLAIM_KIND, &key, episode), f, opened)? {
        Claimed::Done((o, uuid)) => return team_numbered(app, o, uuid),
        Claimed::Unclaimed((o, _), why) => return Ok(unclaimed(o, why)),
        Claimed::Lost(lost) => lost,
    };
    // Another server opened it first: attach to its incident once it is here.
    if !attach(app, &mut c, &lost, n, true)? {
        return Err(AppError::OpenedElsewhere(lost.holder));
    }
    (app.notice)(&format!(
        "alert group {}: {}'s copy opened its incident first; attached to it",
        n.group_key, lost.holder
    ));
    let next = (CLAIM_KIND, key.as_str(), lost.episode.saturating_add(1));
    match c.write(app, next, f, opened)? {
        Claimed::Done((o, _)) | Claimed::Unclaimed((o, _), _) => Ok(o),
        Claimed::Lost(again) => Err(AppError::OpenedElsewhere(again.holder)),
    }
}

/// `o` with the number the team gave its new incident when it was pushed (the provisional
/// `L` number otherwise).
fn team_numbered(app: &App, o: Outcome, uuid: Option<String>) -> Result<Outcome, AppError> {
    let (
        Outcome::Opened {
            previous,
            unclaimed,
            ..
        },
        Some(uuid),
    ) = (&o, uuid)
    else {
        return Ok(o);
    };
    let number = app.read(|txn| match txn.pk_of_uuid(&uuid)? {
        Some(pk) => Ok(Some(txn.incident_at(pk)?.number)),
        None => Ok(None),
    })?;
    Ok(match number {
        Some(number) => Outcome::Opened {
            number,
            previous: *previous,
            unclaimed: unclaimed.clone(),
        },
        None => o,
    })
}

/// `o` as opened without a claim: why (the response and stderr say it may repeat).
fn unclaimed(o: Outcome, why: String) -> Outcome {
    match o {
        Outcome::Opened {
            number, previous, ..
        } => Outcome::Opened {
            number,
            previous,
            unclaimed: Some(why),
        },
        other => other,
    }
}

/// Makes the claimed incident the group's here, when the group has no incident here, or one
/// that is done while the claimed one is not. The group's alerts are taken as this
/// notification gives them: the claim's holder was notified of the same (Alertmanager sends
/// every receiver the whole group), so a resend adds nothing. Whether the incident is here.
fn attach(
    app: &App,
    c: &mut claim::Claimer,
    claimed: &crate::team::OpenClaim,
    n: &Notification,
    wait: bool,
) -> Result<bool, AppError> {
    let Some(pk) = c.fetch(app, &claimed.incident_uuid, wait)? else {
        return Ok(false);
    };
    app.write_here(|txn, actor| {
        let theirs = txn.incident_at(pk)?;
        if let Some(g) = txn.alert_group(&n.receiver, &n.group_key)? {
            let mine = txn.incident_at(g.incident_pk)?;
            if g.incident_pk == pk || mine.status.is_unresolved() || !theirs.status.is_unresolved()
            {
                return Ok(true);
            }
        }
        let status = if theirs.status.is_unresolved() {
            AlertStatus::Firing
        } else {
            AlertStatus::Resolved
        };
        let id = txn.insert_alert_group(&n.receiver, &n.group_key, pk, actor.now)?;
        txn.save_alert_group(id, status, n.truncated_alerts, &n.alerts, actor.now)?;
        Ok::<_, AppError>(true)
    })
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
        unclaimed: None,
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
