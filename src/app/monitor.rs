//! The health monitor (`incident check --open`): one check's effect on the incident it keeps,
//! decided and written in one transaction, so that two monitors running at once still keep
//! one incident between them; with a team log, monitors on different machines too
//! ([`apply`]: the opening is claimed there, `app::claim`).

use super::claim::{self, Claimed, Reach};
use super::{App, AppError, record};
use crate::domain::model::{Incident, Severity};
use crate::domain::time::Timestamp;
use crate::domain::workflow::{Actor, Change, NewIncident};
use crate::evidence::health::{Health, HealthSettings};
use crate::evidence::snapshot::Snapshot;
use crate::store::{MonitorState, Txn};

/// What one check did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// The monitor's incident after the check; `None` while healthy with nothing open.
    pub incident: Option<Incident>,
    pub opened: bool,
    /// The snapshot filed in the incident by this check.
    pub snapshot: Option<i64>,
    /// The severity before this check escalated it.
    pub escalated_from: Option<Severity>,
    /// The score the previous check saw.
    pub previous_score: Option<f64>,
    /// "health recovered" went into the timeline with this check.
    pub recovered: bool,
    /// Health degraded again after it had recovered.
    pub degraded: bool,
    /// Healthy checks in a row, while an incident is open.
    pub healthy_streak: u32,
    /// The monitor's last incident, cancelled as noise, that keeps it from opening another
    /// until health has recovered once.
    pub held_by_cancelled: Option<crate::domain::model::Number>,
    /// Opened without a claim in the team log, which was configured: why, in a few words (the
    /// message says it may repeat on another machine).
    pub unclaimed: Option<String>,
    /// Another working copy (its author) won the opening this check would have made: the
    /// check follows its incident, or, when that incident has not reached the team log yet,
    /// writes nothing.
    pub opened_by: Option<String>,
}

/// The monitor's claim in the team log: kind and key (one health monitor per team log).
const CLAIM: (&str, &str) = ("monitor", "health");

/// Applies one check as [`step`] does; with a team log, the opening is claimed there, so that
/// monitors on N machines open one incident between them (`app::claim`). When the team log
/// cannot claim, this copy decides alone and the outcome says so (`unclaimed`).
pub fn apply(app: &App, check: &Check) -> Result<Outcome, AppError> {
    let mut c = match claim::reach(app) {
        Reach::Off => return app.write(|txn, actor| step(txn, actor, check)),
        Reach::Fallback(why, connected) => {
            let o = unclaimed(app, check, why)?;
            if let Some(mut c) = connected {
                c.push(app);
            }
            return Ok(o);
        }
        Reach::On(c) => c,
    };
    let latest = match c.team.latest_open_claim(CLAIM.0, CLAIM.1) {
        Ok(latest) => latest,
        Err(e) => return unclaimed(app, check, claim::why(&e.into())),
    };
    if let Some(l) = &latest {
        // A claim just made whose incident is not in the team log yet: its opener is pushing.
        let young = l.age < claim::PENDING;
        if !attach(app, &mut c, l, check, young)? && young {
            return Ok(Outcome {
                opened_by: Some(l.holder.clone()),
                ..Outcome::default()
            });
        }
    }
    let episode = latest.as_ref().map_or(1, |l| l.episode.saturating_add(1));
    let opened = |o: &Outcome| {
        o.opened
            .then(|| o.incident.as_ref().map(|i| i.uuid.clone()))
            .flatten()
    };
    let lost = match c.write(
        app,
        (CLAIM.0, CLAIM.1, episode),
        |txn, actor| step(txn, actor, check),
        opened,
    )? {
        Claimed::Done(o) => return Ok(o),
        Claimed::Unclaimed(o, why) => {
            return Ok(Outcome {
                unclaimed: Some(why),
                ..o
            });
        }
        Claimed::Lost(lost) => lost,
    };
    // Another copy opened it first: follow its incident once it is here.
    let pending = Outcome {
        opened_by: Some(lost.holder.clone()),
        ..Outcome::default()
    };
    if !attach(app, &mut c, &lost, check, true)? {
        return Ok(pending);
    }
    let next = (CLAIM.0, CLAIM.1, lost.episode.saturating_add(1));
    match c.write(app, next, |txn, actor| step(txn, actor, check), opened)? {
        Claimed::Done(o) | Claimed::Unclaimed(o, _) => Ok(Outcome {
            opened_by: Some(lost.holder),
            ..o
        }),
        Claimed::Lost(_) => Ok(pending),
    }
}

/// The check as this copy alone decides it, saying why the team log did not decide.
fn unclaimed(app: &App, check: &Check, why: String) -> Result<Outcome, AppError> {
    let o = app.write_here(|txn, actor| step(txn, actor, check))?;
    Ok(Outcome {
        unclaimed: Some(why),
        ..o
    })
}

/// Makes the claimed incident this monitor's when it has none unresolved and the claimed one
/// is unresolved here (pulled when missing, waiting for it with `wait`). Whether it is here.
fn attach(
    app: &App,
    c: &mut claim::Claimer,
    claimed: &crate::team::OpenClaim,
    check: &Check,
    wait: bool,
) -> Result<bool, AppError> {
    let Some(pk) = c.fetch(app, &claimed.incident_uuid, wait)? else {
        return Ok(false);
    };
    let health = check.health;
    app.write_here(|txn, actor| {
        if txn.monitor_incident()?.is_some() || !txn.incident_at(pk)?.status.is_unresolved() {
            return Ok(true);
        }
        // What the timeline says the monitors last saw: its score, and whether health had
        // recovered (so that a copy with no memory of its own, a CronJob's fresh file, neither
        // notes an unchanged score nor says "recovered" twice).
        let timeline = txn.timeline(pk)?;
        let last = timeline
            .iter()
            .rev()
            .find(|e| e.kind == crate::domain::event::EventKind::Health);
        let state = MonitorState {
            last_check_at: actor.now,
            last_score: last
                .and_then(|e| e.new.as_deref()?.parse().ok())
                .unwrap_or(health.score),
            last_severity: health.severity,
            healthy_streak: 0,
            recovered_at: last
                .filter(|e| e.field.as_deref() == Some("recovered"))
                .map(|e| e.at),
        };
        txn.save_monitor(pk, &state)?;
        Ok::<_, AppError>(true)
    })
}

/// What a message about this outcome adds: that it may repeat, when it was not claimed.
pub fn claim_suffix(o: &Outcome) -> String {
    match &o.unclaimed {
        Some(why) => format!(" ({why}: {})", claim::MAY_REPEAT),
        None => String::new(),
    }
}

/// The stderr line for a check that found another copy's opening, if it did.
pub fn claim_line(o: &Outcome) -> Option<String> {
    let holder = o.opened_by.as_ref()?;
    Some(match &o.incident {
        Some(i) => format!(
            "health monitor: {holder}'s copy opened incident {} first; following it",
            i.number
        ),
        None => format!(
            "health monitor: {holder}'s copy is opening the incident; it reaches this copy with the next check"
        ),
    })
}

/// The title of an incident the monitor opens: the score and what cost the most.
pub fn title(health: &Health) -> String {
    let worst = health
        .signals
        .iter()
        .flat_map(|s| s.costs.iter())
        .max_by(|a, b| a.points.total_cmp(&b.points));
    let title = match worst {
        // The reason up to its first detail: the whole of it is in the description.
        Some(c) => {
            let reason = c.reason.split([':', ';', '(']).next().unwrap_or("").trim();
            format!("Health {:.1}/100: {} {reason}", health.score, c.subject)
        }
        None => format!("Health {:.1}/100", health.score),
    };
    shorten(&title, MAX_TITLE)
}

/// The longest title the monitor gives: one line of `list` on a terminal.
const MAX_TITLE: usize = 80;

/// `text` cut to `max` characters (on a character boundary) with an ellipsis when longer.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// One check, as the monitor applies it.
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    pub snap: &'a Snapshot,
    pub health: &'a Health,
    pub settings: &'a HealthSettings,
    /// The one-line verdict the timeline records.
    pub verdict: &'a str,
    /// The title of an incident opened by this check.
    pub title: &'a str,
    /// The breakdown, the description of an incident opened by this check.
    pub description: &'a str,
}

/// Applies one check to the monitor's incident: opens one when there is none and health is
/// P3 or worse, or else follows the one it keeps.
pub fn step(txn: &Txn, actor: &Actor, check: &Check) -> Result<Outcome, AppError> {
    match txn.monitor_incident()? {
        None => match txn.cancelled_monitor_incident()? {
            Some((cancelled, state)) if state.recovered_at.is_none() => {
                hold(txn, actor, check, &cancelled, &state)
            }
            _ => open(txn, actor, check),
        },
        Some((incident, state)) => follow(txn, actor, check, incident, &state),
    }
}

/// The monitor's last incident was cancelled as noise and health has not recovered since: the
/// check opens nothing and writes nothing in that incident's timeline; it only counts healthy
/// checks, and once `recover_after` come in a row, the next bad one opens a new incident.
fn hold(
    txn: &Txn,
    actor: &Actor,
    check: &Check,
    cancelled: &Incident,
    state: &MonitorState,
) -> Result<Outcome, AppError> {
    let health = check.health;
    let healthy_streak = match health.severity {
        None => state.healthy_streak.saturating_add(1),
        Some(_) => 0,
    };
    let recovered = healthy_streak >= check.settings.recover_after;
    txn.save_monitor(
        cancelled.pk,
        &MonitorState {
            last_check_at: actor.now,
            last_score: health.score,
            last_severity: health.severity,
            healthy_streak,
            recovered_at: recovered.then_some(actor.now),
        },
    )?;
    Ok(Outcome {
        previous_score: Some(state.last_score),
        held_by_cancelled: (!recovered).then_some(cancelled.number),
        ..Outcome::default()
    })
}

/// No incident kept: opens one if health calls for it, with this check's snapshot.
fn open(txn: &Txn, actor: &Actor, check: &Check) -> Result<Outcome, AppError> {
    let Check { snap, health, .. } = *check;
    let Some(severity) = health.severity else {
        return Ok(Outcome::default());
    };
    let incident = record::open(
        txn,
        actor,
        NewIncident {
            severity,
            title: check.title.to_string(),
            description: check.description.to_string(),
            opened_at: None,
            detected_at: None,
            started_at: None,
            services: Vec::new(),
        },
    )?;
    let mut change = record::begin(txn, actor, "the health check", incident.number, None)?;
    let seq = txn.insert_snapshot(Some(incident.pk), snap)?;
    change.snapshot(seq, &snap.summary);
    change.health("score", None, health.score, check.verdict.to_string());
    let incident = record::save(txn, actor, change)?;
    txn.save_monitor(
        incident.pk,
        &MonitorState {
            last_check_at: actor.now,
            last_score: health.score,
            last_severity: health.severity,
            healthy_streak: 0,
            recovered_at: None,
        },
    )?;
    Ok(Outcome {
        opened: true,
        snapshot: Some(seq),
        incident: Some(incident),
        ..Outcome::default()
    })
}

/// The kept incident: escalates it, files the snapshot and notes a changed score, a recovery
/// or a relapse. A healthy check after the recovery is recorded only counts.
fn follow(
    txn: &Txn,
    actor: &Actor,
    check: &Check,
    incident: Incident,
    state: &MonitorState,
) -> Result<Outcome, AppError> {
    let Check { snap, health, .. } = *check;
    let mut out = Outcome {
        previous_score: Some(state.last_score),
        ..Outcome::default()
    };
    let mut next = MonitorState {
        last_check_at: actor.now,
        last_score: health.score,
        last_severity: health.severity,
        healthy_streak: 0,
        recovered_at: state.recovered_at,
    };
    let mut change = record::begin(txn, actor, "the health check", incident.number, None)?;
    match health.severity {
        None => {
            next.healthy_streak = state.healthy_streak.saturating_add(1);
            if state.recovered_at.is_some() {
                // Recovery is already recorded: nothing new to file until health changes.
                txn.save_monitor(incident.pk, &next)?;
                out.healthy_streak = next.healthy_streak;
                out.incident = Some(incident);
                return Ok(out);
            }
        }
        Some(severity) => {
            if severity < incident.severity {
                out.escalated_from = Some(incident.severity);
                change.set_severity(severity);
            }
            if state.recovered_at.is_some() {
                next.recovered_at = None;
                out.degraded = true;
            }
        }
    }
    let seq = txn.insert_snapshot(Some(incident.pk), snap)?;
    change.snapshot(seq, &snap.summary);
    out.snapshot = Some(seq);
    note_health(&mut change, check, state, &mut next, &mut out, actor.now);
    let incident = record::save(txn, actor, change)?;
    txn.save_monitor(incident.pk, &next)?;
    out.healthy_streak = next.healthy_streak;
    out.incident = Some(incident);
    Ok(out)
}

/// The timeline's health event for a check on the kept incident: degraded again, a changed
/// score, and recovered once healthy for `recover_after` checks in a row.
fn note_health(
    change: &mut Change,
    check: &Check,
    state: &MonitorState,
    next: &mut MonitorState,
    out: &mut Outcome,
    now: Timestamp,
) {
    let Check {
        health, verdict, ..
    } = *check;
    if out.degraded {
        change.health(
            "degraded",
            Some(state.last_score),
            health.score,
            verdict.to_string(),
        );
    } else if health.score != state.last_score || health.severity != state.last_severity {
        change.health(
            "score",
            Some(state.last_score),
            health.score,
            verdict.to_string(),
        );
    }
    if health.severity.is_none() && next.healthy_streak >= check.settings.recover_after {
        next.recovered_at = Some(now);
        out.recovered = true;
        change.health(
            "recovered",
            Some(state.last_score),
            health.score,
            format!(
                "{verdict} for {} check{} in a row; resolve it once the cause is confirmed",
                next.healthy_streak,
                if next.healthy_streak == 1 { "" } else { "s" }
            ),
        );
    }
}
