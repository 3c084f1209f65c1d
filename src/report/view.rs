//! The JSON view of an incident: what `--json` prints and what templates receive.

use crate::domain::event::Event;
use crate::domain::model::{ActionItem, Incident};
use crate::domain::postmortem::{LessonKind, Link, Record};
use crate::domain::sla::{self, Clock};
use crate::domain::terms::Rule;
use crate::domain::time::{self, Timestamp};
use serde_json::{Value, json};

/// An incident's number as views give it: the number, or `"L14"` for a provisional one
/// (`model::number_label`).
pub fn number(n: i64) -> Value {
    if n < 0 {
        Value::String(crate::domain::model::number_label(n))
    } else {
        json!(n)
    }
}

fn ts(t: Option<Timestamp>) -> Value {
    t.map(|t| Value::String(time::to_rfc3339(t)))
        .unwrap_or(Value::Null)
}

/// A clock started at `start` under `rule`: its target is the rule's (on 24x7 with no rule
/// stored yet, the time its stored deadline allows), and its calendar's name (none: 24x7).
fn clock(c: &Clock, start: Timestamp, rule: Option<&Rule>) -> Value {
    let target = match rule {
        Some(r) => i64::try_from(r.target_seconds).unwrap_or(i64::MAX),
        None => c.deadline.signed_duration_since(start).num_seconds().max(0),
    };
    json!({
        "deadline": time::to_rfc3339(c.deadline),
        "target_seconds": target,
        "calendar": rule.and_then(|r| r.calendar.as_ref()).map(|cal| cal.name.clone()),
        "state": c.state,
        "stopped_at": ts(c.stopped_at),
        "breached": c.breached(),
        "margin_seconds": c.margin,
    })
}

/// The SLA clocks of an incident at `now`, from its stored deadlines: the respond and fix
/// clocks count from the detection.
pub fn sla(incident: &Incident, now: Timestamp) -> Value {
    let c = sla::clocks(incident, now);
    let rules = &incident.due.rules;
    let start = incident.detected_at;
    json!({
        "clocks_from": time::to_rfc3339(start),
        "evaluated_at": time::to_rfc3339(now),
        "respond_by": time::to_rfc3339(c.respond.deadline),
        "resolve_by": time::to_rfc3339(c.resolve.deadline),
        "respond_breached": c.respond.breached(),
        "resolve_breached": c.resolve.breached(),
        "postmortem_by": ts(c.postmortem.map(|p| p.deadline)),
        "respond": clock(&c.respond, start, rules.respond.as_ref()),
        "resolve": clock(&c.resolve, start, rules.resolve.as_ref()),
        "postmortem": c
            .postmortem
            .zip(incident.resolved_at)
            .map(|(p, resolved)| clock(&p, resolved, rules.postmortem.as_ref()))
            .unwrap_or(Value::Null),
    })
}

/// An incident with its SLA clocks, as `list --json` and `sla --json` give it.
pub fn incident(i: &Incident, now: Timestamp) -> Value {
    json!({
        "number": i.number,
        "id": i.uuid,
        "title": i.title,
        "severity": i.severity,
        "status": i.status,
        "started_at": time::to_rfc3339(i.started_at),
        "detected_at": time::to_rfc3339(i.detected_at),
        "opened_at": time::to_rfc3339(i.opened_at),
        "acknowledged_at": ts(i.acknowledged_at),
        "resolved_at": ts(i.resolved_at),
        "closed_at": ts(i.closed_at),
        "description": i.description,
        "root_cause": i.root_cause,
        "resolution": i.resolution,
        "prevention": i.prevention,
        "lessons_learned": i.lessons_learned,
        "impact": i.impact,
        "trigger": i.trigger,
        "detection": i.detection,
        "created_by": i.created_by,
        "updated_at": time::to_rfc3339(i.updated_at),
        "commander": crate::domain::roles::commander(i),
        // Commander, scribe, comms, then the team's own roles: the order people read them.
        "roles": crate::domain::roles::in_order(&i.roles)
            .into_iter()
            .map(|(r, w)| (r.to_string(), Value::String(w.to_string())))
            .collect::<serde_json::Map<String, Value>>(),
        "services": i.services,
        "sla": sla(i, now),
        "paused": paused(i),
    })
}

/// The SLA pause under way (`incident sla pause`): since when and why, or null.
pub fn paused(i: &Incident) -> Value {
    match i.paused_at {
        Some(since) => json!({"since": time::to_rfc3339(since), "reason": i.pause_reason}),
        None => Value::Null,
    }
}

pub fn event(e: &Event) -> Value {
    json!({
        "at": time::to_rfc3339(e.at),
        "recorded_at": time::to_rfc3339(e.recorded_at),
        "author": e.author,
        "kind": e.kind,
        "label": e.kind.label(),
        "text": e.summary(),
        "field": e.field,
        "old": e.old,
        "new": e.new,
        "note": e.text,
        "uuid": e.uuid,
    })
}

/// A timeline as views give it: each event, and on each status change the merged timeline
/// could not apply (two copies changed the status apart) `conflict: true`, the status it
/// `would_set`, and a text that says so, which every template prints; on each retracted entry
/// `retracted: {by, at, reason}` and the mark in its text (`projection::summaries`).
pub fn timeline(events: &[Event]) -> Vec<Value> {
    let conflicts = crate::domain::projection::conflicts(events);
    let summaries = crate::domain::projection::summaries(events);
    let retractions = crate::domain::retract::retractions(events);
    events
        .iter()
        .zip(summaries)
        .map(|(e, text)| {
            let mut v = event(e);
            v["text"] = Value::String(text);
            if let Some(c) = conflicts.iter().find(|c| Some(&c.uuid) == e.uuid.as_ref()) {
                v["conflict"] = Value::Bool(true);
                v["would_set"] = json!(c.would_set);
            }
            // Taken back (`incident retract`): kept as written, and said so.
            if let Some(r) = crate::domain::retract::retraction_of(e, &retractions) {
                v["retracted"] = json!({
                    "by": r.author,
                    "at": time::to_rfc3339(r.at),
                    "reason": r.text,
                });
            }
            v
        })
        .collect()
}

/// Marks the purged events of a timeline as `timeline` gives it: `purged: {by, at, reason}`
/// (their text is the tombstone already); events not purged get no key.
pub fn mark_purged(timeline: &mut Value, purges: &[crate::store::Purge]) {
    let Some(entries) = timeline.as_array_mut() else {
        return;
    };
    for entry in entries {
        if let Some(p) = purges
            .iter()
            .find(|p| entry["uuid"] == p.event_uuid.as_str())
        {
            entry["purged"] = json!({ "by": p.by, "at": p.at, "reason": p.reason });
        }
    }
}

/// An incident with its whole timeline, as `show --json` gives it, and what the timeline
/// says of its post-mortem.
pub fn incident_with_timeline(i: &Incident, events: &[Event], now: Timestamp) -> Value {
    let mut v = incident(i, now);
    v["timeline"] = Value::Array(timeline(events));
    // Why it was cancelled (opened by mistake, noise, a duplicate), or null.
    v["cancelled"] = crate::domain::projection::cancellation(i, events).map_or(
        Value::Null,
        |e| json!({"at": time::to_rfc3339(e.at), "by": e.author, "reason": e.text}),
    );
    v["postmortem"] = postmortem(&Record::of(events));
    v
}

/// An action item as `--json` prints it and reports receive it.
pub fn action(item: &ActionItem, now: Timestamp) -> Value {
    let ts = |t: Option<Timestamp>| t.map(time::to_rfc3339);
    json!({
        "id": item.id,
        "incident": item.incident_number,
        "text": item.text,
        "kind": item.kind,
        "owner": item.owner,
        "due_at": ts(item.due_at),
        "created_at": time::to_rfc3339(item.created_at),
        "created_by": item.created_by,
        "done_at": ts(item.done_at),
        "done_by": item.done_by,
        "overdue": item.overdue(now),
    })
}

/// The post-mortem's record (`show --json`'s `postmortem`, the templates' `postmortem`):
/// authors, status (null before the first), published_at, the three lessons lists
/// (`lesson list --json` gives the same) and the supporting links.
pub fn postmortem(r: &Record) -> Value {
    json!({
        "authors": r.authors,
        "status": r.status,
        "published_at": r.published_at.map(time::to_rfc3339),
        "lessons": lessons(r),
        "links": r.supporting().map(link).collect::<Vec<_>>(),
    })
}

/// The three lessons lists by key (`went_well`, `went_wrong`, `lucky`), each lesson with its
/// text, time and author, in timeline order.
pub fn lessons(r: &Record) -> Value {
    let mut lists = serde_json::Map::new();
    for kind in LessonKind::ALL {
        let list: Vec<Value> = r
            .lessons_of(kind)
            .map(|l| json!({"text": l.text, "at": time::to_rfc3339(l.at), "author": l.author}))
            .collect();
        lists.insert(kind.key().into(), Value::Array(list));
    }
    Value::Object(lists)
}

fn link(l: &Link) -> Value {
    json!({"url": l.url, "title": l.title})
}

/// An action item as `action` gives it, with its bug links (`bugs`: [{url, title}]) from the
/// timeline's `link` events.
pub fn action_with_bugs(item: &ActionItem, now: Timestamp, r: &Record) -> Value {
    let mut v = action(item, now);
    v["bugs"] = r.bugs_of(&item.id.to_string()).map(link).collect();
    v
}

/// A past incident like this one, as `open --json` and `show --json` give it (`similar`).
#[derive(Debug, serde::Serialize)]
pub struct Past {
    /// The number, or `"L14"` for a provisional one.
    pub number: Value,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub opened_at: String,
    /// Seconds from its opening to now.
    pub age_seconds: i64,
    pub root_cause: String,
    pub resolution: String,
}

/// The past incidents like one, best first.
pub fn similar(past: &[crate::store::Similar], now: Timestamp) -> Vec<Past> {
    past.iter()
        .map(|p| Past {
            number: number(p.number),
            title: p.title.clone(),
            severity: p.severity.clone(),
            status: p.status.clone(),
            opened_at: time::to_rfc3339(p.opened_at),
            age_seconds: now.signed_duration_since(p.opened_at).num_seconds(),
            root_cause: p.root_cause.clone(),
            resolution: p.resolution.clone(),
        })
        .collect()
}
