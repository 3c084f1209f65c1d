//! One health check (`incident check`): collect a snapshot of everything configured, score its
//! health and, acting as the monitor, apply it to the monitor's incident and tell the
//! responders what changed.

use super::App;
use super::AppError;
use super::monitor::{self, Outcome};
use crate::collect::Progress;
use crate::domain::model::Severity;
use crate::domain::time;
use crate::evidence::health::{self, Health};
use crate::evidence::snapshot::Snapshot;
use crate::notify::{Outcome as Delivery, Sender};
use crate::report::reminder::Message;

/// What one check found, and what the monitor did with it.
pub struct Checked {
    pub snap: Snapshot,
    pub health: Health,
    /// The one-line verdict: the score and the severity it implies, and why.
    pub verdict: String,
    /// What the monitor did, when the check acted as the monitor.
    pub outcome: Option<Outcome>,
}

/// Acting as the health monitor.
pub struct AsMonitor<'a> {
    /// The title of an incident it opens [default: the score and what cost most].
    pub title: Option<String>,
    /// The description of an incident it opens, from the health and its verdict: the
    /// breakdown, as the caller renders it.
    pub describe: &'a dyn Fn(&Health, &str) -> String,
}

/// Collects, scores and, with `as_monitor`, applies the check to the monitor's incident in one
/// transaction and tells the responders (see [`tell`]).
pub fn check(
    app: &App,
    as_monitor: Option<&AsMonitor>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Checked, AppError> {
    // The monitor's incident, if one is open: its last snapshot tells restarts since then.
    let kept = if as_monitor.is_some() && app.settings.db.exists() {
        app.read(|txn| Ok(txn.monitor_incident()?))?.map(|(i, _)| i)
    } else {
        None
    };
    let snap = super::snapshot::collect(app, kept.as_ref(), progress)?;
    let settings = &app.settings;
    let health = health::assess(&snap.items, &settings.collectors, &settings.health, app.now);
    let verdict = health.verdict(&settings.health, &settings.collectors.data_age);
    let outcome = match as_monitor {
        Some(m) => {
            // A broken config is the monitor's own fault, not an outage: say so (exit 1, which
            // cron reports) rather than page a P1 for a password variable nobody exported.
            if let Some(item) = snap.items.iter().find(|i| i.misconfigured) {
                return Err(AppError::MonitorMisconfigured(format!(
                    "{} {}: {}",
                    item.collector,
                    item.name,
                    item.error.as_deref().unwrap_or("misconfigured")
                )));
            }
            let title = m.title.clone().unwrap_or_else(|| monitor::title(&health));
            let description = (m.describe)(&health, &verdict);
            let check = monitor::Check {
                snap: &snap,
                health: &health,
                settings: &settings.health,
                verdict: &verdict,
                title: &title,
                description: &description,
            };
            let outcome = monitor::apply(app, &check)?;
            tell(app, &outcome, &health, &verdict);
            Some(outcome)
        }
        None => None,
    };
    Ok(Checked {
        snap,
        health,
        verdict,
        outcome,
    })
}

/// What the monitor did that a responder must hear about: said through `app.notice` and sent
/// to every [[notify]] channel (a failed delivery is reported, and the next change is sent
/// anyway). A changed score alone is only said.
pub fn tell(app: &App, o: &Outcome, health: &Health, verdict: &str) {
    if let (None, Some(n), Some(_)) = (&o.incident, o.held_by_cancelled, health.severity) {
        (app.notice)(&format!(
            "health monitor: incident {n} was cancelled as noise; no new incident until health recovers once"
        ));
    }
    if let Some(line) = monitor::claim_line(o) {
        (app.notice)(&line);
    }
    let Some(incident) = &o.incident else { return };
    let n = incident.number;
    let what = if o.opened {
        format!(
            "health monitor opened incident {n} ({}): {}; `incident ack {n}` to take it{}",
            incident.severity,
            incident.title,
            monitor::claim_suffix(o)
        )
    } else if let Some(from) = o.escalated_from {
        format!(
            "health monitor escalated incident {n} from {from} to {}: {verdict}",
            incident.severity
        )
    } else if o.recovered {
        format!(
            "incident {n}: health recovered: {verdict} for {} checks in a row; `incident resolve {n}` once the cause is confirmed",
            o.healthy_streak
        )
    } else if o.degraded {
        format!("incident {n}: health degraded again after recovering: {verdict}")
    } else {
        if let Some(prev) = o.previous_score.filter(|p| *p != health.score) {
            (app.notice)(&format!(
                "incident {n}: health {prev:.1} → {:.1}",
                health.score
            ));
        }
        return;
    };
    (app.notice)(&what);
    let message = health_message(app, o, incident, health, verdict, what);
    for channel in &app.settings.channels {
        // Told once, never retried; still an id a receiver can deduplicate by, as reminders
        // have: this news about this incident at this moment, on this channel.
        let at = time::to_rfc3339(app.now);
        let delivery = crate::store::derived_uuid(&[
            &incident.uuid,
            "health",
            &at,
            &message.text,
            &channel.name,
        ]);
        match Sender::new(channel).send(&message, &delivery) {
            Delivery::Sent => {}
            Delivery::Failed(e) | Delivery::Misconfigured(e) => (app.notice)(&format!(
                "warning: could not tell channel '{}': {e}",
                channel.name
            )),
        }
    }
}

/// The monitor's message for the channels: `what` as the text (with the board's link), the
/// context the JSON body carries, and the chat card.
fn health_message(
    app: &App,
    o: &Outcome,
    incident: &crate::domain::model::Incident,
    health: &Health,
    verdict: &str,
    what: String,
) -> Message {
    let n = incident.number;
    let url = app.settings.serve.incident_url(n.0);
    let mut context = serde_json::json!({
        "kind": "health",
        "incident": n,
        "severity": incident.severity.as_str(),
        "title": incident.title,
        "score": health.score,
        "verdict": verdict,
        "opened": o.opened,
        "escalated_from": o.escalated_from.map(Severity::as_str),
        "recovered": o.recovered,
        "at": time::to_rfc3339(app.now),
    });
    let mut text = what;
    if let Some(url) = &url {
        context["url"] = url.as_str().into();
        text = format!("{text} — {url}");
    }
    let (headline, next) = if o.opened {
        (
            format!("opened by the health monitor: {verdict}"),
            format!("incident ack {n}"),
        )
    } else if let Some(from) = o.escalated_from {
        (
            format!("escalated from {from}: {verdict}"),
            format!("incident show {n}"),
        )
    } else if o.recovered {
        (
            format!("health recovered: {verdict}"),
            format!("incident resolve {n} --resolution TEXT"),
        )
    } else {
        (
            format!("health degraded again: {verdict}"),
            format!("incident show {n}"),
        )
    };
    let mut card = crate::report::chat::Card::of(incident, app.now, headline, url);
    card.next = Some(next);
    Message {
        text,
        context,
        card: Some(card),
    }
}
