//! The health monitor (`incident check --open`): one check's effect on the incident it keeps,
//! decided and written in one transaction, so that two monitors running at once still keep
//! one incident between them.

use super::{AppError, record};
use crate::domain::model::{Incident, Severity};
use crate::domain::workflow::{Actor, NewIncident};
use crate::evidence::health::{Health, HealthSettings};
use crate::evidence::snapshot::Snapshot;
use crate::store::{MonitorState, Txn};

/// What one check did.
#[derive(Debug, Clone, PartialEq)]
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
}

/// The title of an incident the monitor opens: the score and what cost the most.
pub fn title(health: &Health) -> String {
    let worst = health
        .signals
        .iter()
        .flat_map(|s| s.costs.iter())
        .max_by(|a, b| a.points.total_cmp(&b.points));
    match worst {
        Some(c) => format!("Health {:.1}/100: {} {}", health.score, c.subject, c.reason),
        None => format!("Health {:.1}/100", health.score),
    }
}

/// Applies one check to the monitor's incident. `description` is the breakdown, used when
/// an incident is opened; `verdict` is the one-line verdict the timeline records.
#[allow(clippy::too_many_arguments)]
pub fn step(
    txn: &Txn,
    actor: &Actor,
    snap: &Snapshot,
    health: &Health,
    settings: &HealthSettings,
    verdict: &str,
    title: &str,
    description: &str,
) -> Result<Outcome, AppError> {
    let mut out = Outcome {
        incident: None,
        opened: false,
        snapshot: None,
        escalated_from: None,
        previous_score: None,
        recovered: false,
        degraded: false,
        healthy_streak: 0,
    };
    let Some((incident, state)) = txn.monitor_incident()? else {
        let Some(severity) = health.severity else {
            return Ok(out);
        };
        let incident = record::open(
            txn,
            actor,
            NewIncident {
                severity,
                title: title.to_string(),
                description: description.to_string(),
                opened_at: None,
                detected_at: None,
            },
        )?;
        let mut change = record::begin(txn, actor, "the health check", incident.number, None)?;
        let seq = txn.insert_snapshot(Some(incident.pk), snap)?;
        change.snapshot(seq, &snap.summary);
        change.health("score", None, health.score, verdict.to_string());
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
        out.opened = true;
        out.snapshot = Some(seq);
        out.incident = Some(incident);
        return Ok(out);
    };
    out.previous_score = Some(state.last_score);
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
    if health.severity.is_none() && next.healthy_streak >= settings.recover_after {
        next.recovered_at = Some(actor.now);
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
    let incident = record::save(txn, actor, change)?;
    txn.save_monitor(incident.pk, &next)?;
    out.healthy_streak = next.healthy_streak;
    out.incident = Some(incident);
    Ok(out)
}
