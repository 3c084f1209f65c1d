//! What `show` shows of an incident, read in one transaction, and its JSON (`show --json`,
//! and `incident serve`'s `/api/v1/incidents/N`: the same document).

use super::{App, AppError, record};
use crate::domain::event::Event;
use crate::domain::model::{ActionItem, Incident, Number};
use crate::domain::postmortem::Record;
use crate::domain::time::{self, Timestamp};
use crate::store::intake::StoredAlert;
use crate::store::{ActionFilter, Txn};
use serde_json::{Value, json};
use std::time::Duration;

/// Everything `show` shows of one incident.
pub struct Shown {
    pub incident: Incident,
    pub timeline: Vec<Event>,
    pub actions: Vec<ActionItem>,
    pub purges: Vec<crate::store::Purge>,
    pub past: Vec<crate::store::Similar>,
    /// When the next update from a person is due, and the cadence (`update_every`).
    pub next_update: Option<(Timestamp, Duration)>,
    pub alerts: Vec<StoredAlert>,
}

/// Reads incident `number` with everything `show` shows of it.
pub fn load(app: &App, txn: &Txn, number: Number) -> Result<Shown, AppError> {
    let incident = record::load(txn, number)?;
    let timeline = txn.timeline(incident.pk)?;
    let actions = txn.actions(&ActionFilter {
        incident_pk: Some(incident.pk),
        ..ActionFilter::default()
    })?;
    let purges = txn.purges_of(incident.pk)?;
    let past = super::similar::past(txn, &incident, app.settings.similar)?;
    let next_update = super::remind::next_update(app, txn, &incident)?;
    let alerts = txn.alerts_of_incident(incident.pk)?;
    Ok(Shown {
        incident,
        timeline,
        actions,
        purges,
        past,
        next_update,
        alerts,
    })
}

/// `show --json`.
pub fn json(app: &App, s: &Shown) -> Value {
    let view = crate::report::view::incident_with_timeline;
    let mut v = view(&s.incident, &s.timeline, app.now);
    v["similar"] = json!(crate::report::view::similar(&s.past, app.now));
    v["alerts"] = s.alerts.iter().map(alert_json).collect();
    v["next_update"] = match s.next_update {
        Some((due, every)) => json!({
            "due_at": time::to_rfc3339(due),
            "every_seconds": every.as_secs(),
            "overdue": due < app.now,
        }),
        None => Value::Null,
    };
    crate::report::view::mark_purged(&mut v["timeline"], &s.purges);
    let r = Record::of(&s.timeline);
    v["actions"] = s
        .actions
        .iter()
        .map(|a| crate::report::view::action_with_bugs(a, app.now, &r))
        .collect();
    v
}

/// An alert's labels or annotations, as the intake stored them (a JSON object of strings).
pub fn pairs(json: &str) -> std::collections::BTreeMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// One alert the intake kept with the incident.
fn alert_json(a: &StoredAlert) -> Value {
    json!({
        "fingerprint": a.fingerprint,
        "status": a.status.as_str(),
        "labels": pairs(&a.labels),
        "annotations": pairs(&a.annotations),
        "generator_url": a.generator_url,
        "starts_at": time::to_rfc3339(a.starts_at),
        "ends_at": a.ends_at.map(time::to_rfc3339),
    })
}
