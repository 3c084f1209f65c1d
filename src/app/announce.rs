//! Telling the `[[notify]]` channels that the Alertmanager intake opened or reopened an
//! incident. Claimed per channel in the deliveries table (kind `announce`; level `opened`, or
//! `reopened-` and the moment), in a transaction of its own after the intake's, so each goes out
//! once; then sent outside any transaction, every channel at once under its own timeout, and
//! marked sent, or given up (a failure is said through `notice`; an announcement is news of the
//! moment, not retried later: the reminders that follow carry the same incident).

use super::intake::Outcome;
use super::{App, AppError, record};
use crate::domain::model::{Incident, Number};
use crate::domain::remind::ledger::State;
use crate::domain::time::{self, Timestamp};
use crate::notify::{Outcome as Delivery, Sender};
use crate::report::chat::Card;
use crate::report::reminder::Message;
use crate::store::Mode;
use serde_json::{Value, json};

/// The deliveries' kind for announcements.
pub const KIND: &str = "announce";

/// How an announcement went on each channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Announced {
    pub number: Number,
    /// The channels it was handed to.
    pub sent: Vec<String>,
    /// Channels that failed, with why.
    pub failed: Vec<(String, String)>,
}

/// Announces what the intake's `outcome` opened or reopened; `None` when there is nothing to
/// tell (an update, a resend, no channel, or every channel already told).
pub fn announce(
    app: &App,
    outcome: &Outcome,
    receiver: &str,
) -> Result<Option<Announced>, AppError> {
    let channels = &app.settings.channels;
    let (number, level, previous, reopened) = match outcome {
        Outcome::Opened {
            number, previous, ..
        } => (*number, "opened".to_string(), *previous, false),
        Outcome::Reopened { number } => (
            *number,
            format!("reopened-{}", time::to_rfc3339(app.now)),
            None,
            true,
        ),
        _ => return Ok(None),
    };
    if channels.is_empty() {
        return Ok(None);
    }
    let now = app.now;
    let (incident, claims) = app.write(|txn, _| {
        let incident = record::load(txn, number)?;
        let known = txn.deliveries(incident.pk)?;
        let mut claims = Vec::new();
        for (c, channel) in channels.iter().enumerate() {
            let key = (KIND.to_string(), level.clone(), channel.name.clone());
            if known.contains_key(&key) {
                continue;
            }
            let row = (KIND, level.as_str(), channel.name.as_str());
            claims.push((
                c,
                txn.put_delivery(incident.pk, row, now, State::Sending, now)?,
            ));
        }
        Ok((incident, claims))
    })?;
    if claims.is_empty() {
        return Ok(None);
    }
    let message = message(app, &incident, (reopened, previous), receiver, now);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        for (c, id) in &claims {
            let channel = &channels[*c];
            let delivery =
                super::share_push::delivery_uuid(&incident.uuid, KIND, &level, &channel.name);
            let (tx, message) = (tx.clone(), &message);
            s.spawn(move || {
                let _ = tx.send((*c, *id, Sender::new(channel).send(message, &delivery)));
            });
        }
    });
    drop(tx);
    let mut done = Announced {
        number,
        sent: Vec::new(),
        failed: Vec::new(),
    };
    let mut results: Vec<_> = rx.into_iter().collect();
    results.sort_by_key(|(c, _, _)| *c);
    let mut store = app.store(Mode::ReadWrite)?;
    let txn = store.write()?;
    for (c, id, result) in results {
        let name = channels[c].name.clone();
        match result {
            Delivery::Sent => {
                txn.mark_delivered(id, now, time::now().unwrap_or(now))?;
                done.sent.push(name);
            }
            Delivery::Failed(why) | Delivery::Misconfigured(why) => {
                txn.release_delivery(id, now)?;
                (app.notice)(&format!(
                    "warning: notify channel {name}: {why}; incident {number} was not announced there"
                ));
                done.failed.push((name, why));
            }
        }
    }
    txn.commit()?;
    drop(store);
    app.share();
    Ok(Some(done))
}

/// The announcement of `incident`, opened (naming the group's `previous` incident) or
/// `reopened`: its line, its JSON (the generic webhook body) and its card.
pub fn message(
    app: &App,
    incident: &Incident,
    (reopened, previous): (bool, Option<Number>),
    receiver: &str,
    at: Timestamp,
) -> Message {
    let n = incident.number;
    let url = app.settings.serve.incident_url(n.0);
    let mut headline = if reopened {
        "reopened: the alert group fires again".to_string()
    } else {
        "opened from Alertmanager".to_string()
    };
    if let Some(p) = previous {
        headline.push_str(&format!(
            " (the same alert group fired before: incident {p})"
        ));
    }
    let next = if incident.acknowledged_at.is_none() {
        format!("incident ack {n}")
    } else {
        format!("incident show {n}")
    };
    let mut card = Card::of(incident, at, headline.clone(), url.clone());
    card.next = Some(next.clone());
    // The intake opens as its author, who commands nothing: no one has taken it yet.
    if card.commander.as_deref() == Some(app.settings.serve.intake.author.as_str()) {
        card.commander = None;
    }
    let mut text = format!(
        "[{}] incident {n} \"{}\" ({}",
        incident.severity, incident.title, incident.status
    );
    if let Some(commander) = &card.commander {
        text.push_str(&format!(", commander {commander}"));
    }
    text.push_str(&format!("): {headline}"));
    if let Some(clock) = &card.clock {
        text.push_str(&format!(
            "; {} due by {} ({})",
            clock.label,
            time::display(clock.deadline),
            clock.remaining()
        ));
    }
    text.push_str(&format!(". Next: {next}"));
    let mut context = json!({
        "kind": "intake",
        "event": if reopened { "reopened" } else { "opened" },
        "incident": {
            "number": n,
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
            "commander": card.commander,
        },
        "previous": previous,
        "receiver": receiver,
        "clock": card.clock.as_ref().map(|c| c.label.clone()),
        "deadline": card.clock.as_ref().map(|c| time::to_rfc3339(c.deadline)),
        "next": next,
        "at": time::to_rfc3339(at),
    });
    if let Some(url) = &url {
        text.push_str(&format!(" — {url}"));
        context["url"] = Value::String(url.clone());
    }
    Message {
        text,
        context,
        card: Some(card),
    }
}
