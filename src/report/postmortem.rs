//! The post-mortem draft: everything recorded about one incident, arranged for the template.
//!
//! The context is one JSON value, documented at the top of `templates/postmortem.md`. It keeps
//! the raw values (RFC 3339 times, seconds) for people writing their own templates, and adds
//! the sentences a template would struggle to build (durations to the minute, SLA outcomes).

use crate::domain::event::{Event, EventKind};
use crate::domain::model::Number;
use crate::domain::model::{ActionItem, Incident};
use crate::domain::postmortem::Record;
use crate::domain::sla::{Clock, ClockState, Policy};
use crate::domain::terms::Rule;
use crate::domain::time::{self, Timestamp};
use crate::evidence::data::DatabaseData;
use crate::evidence::snapshot::{ItemStatus, Snapshot};
use crate::store::{ActionFilter, StoreError, StoredSnapshot, Txn};
use serde_json::{Value, json};

/// The JSON the post-mortem templates receive for `incident`. Everything is read in the
/// caller's one read transaction, so the draft is one consistent moment of the log.
pub fn context(
    txn: &Txn,
    incident: &Incident,
    policy: &Policy,
    now: Timestamp,
) -> Result<serde_json::Value, StoreError> {
    let timeline = txn.timeline(incident.pk)?;
    let mut actions = txn.actions(&ActionFilter {
        incident_pk: Some(incident.pk),
        ..ActionFilter::default()
    })?;
    // The document lists them in the order they were agreed, as the timeline does.
    actions.sort_by_key(|a| a.id);
    let snapshots = txn.snapshots(incident.pk)?;
    let first = match snapshots.first() {
        Some(s) => txn.snapshot(incident.pk, Some(s.seq))?,
        None => None,
    };
    let last = match snapshots.last() {
        Some(s) if snapshots.len() > 1 => txn.snapshot(incident.pk, Some(s.seq))?,
        _ => None,
    };

    let view = crate::report::view::incident_with_timeline(incident, &timeline, now);
    let record = Record::of(&timeline);
    Ok(json!({
        "generated_at": time::to_rfc3339(now),
        "timezone": local_offset(incident.opened_at),
        "incident": view,
        "responders": responders(&timeline),
        "duration": duration(incident, now),
        "restore": restore(incident, now),
        "sla": sla(incident, policy, now),
        "detection": detection(incident, &timeline),
        "impact": {
            "text": incident.impact,
            "description": incident.description,
            "data_age": first.as_ref().map(|s| data_age(&s.snapshot)).unwrap_or_default(),
            "measured_at": first.as_ref().map(|s| time::to_rfc3339(s.snapshot.taken_at)),
        },
        "timeline": timeline_entries(&timeline),
        "actions": actions.iter().map(|a| action(a, now, &record)).collect::<Vec<_>>(),
        "postmortem": crate::report::view::postmortem(&record),
        "action_counts": action_counts(&actions, now),
        "evidence": evidence(&snapshots, first.as_ref(), last.as_ref()),
        "missing": missing(incident, &actions),
        "hints": hints(incident.number),
    }))
}

/// A target as the guide states it: whole hours in hours (`24h`, `72h`), else as [`span`].
pub fn target_text(seconds: i64) -> String {
    if seconds >= 3_600 && seconds % 3_600 == 0 {
        format!("{}h", seconds / 3_600)
    } else {
        span(seconds)
    }
}

/// A span of open hours as [`span`] gives one, in hours at most: `62h 30m`, `40s`.
fn hours_span(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    let (h, m) = (s / 3_600, s % 3_600 / 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m}m"),
    }
}

/// A span to the minute (seconds only under one), every unit between the largest and the
/// smallest that is not zero: `5d 0h 30m`, `4h 5m`, `15m`, `40s`. A post-mortem needs the
/// exact figure that `time::human_duration` rounds away (`5d 0h 30m` is not `5d`), but not
/// the seconds (`met with 23h 59m to spare`, not `… 59s`); whole minutes are cut, never
/// rounded up, so a margin is never shown larger than it was. The sign is dropped.
pub fn span(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    if s < 60 {
        return format!("{s}s");
    }
    let parts = [
        (s / 86_400, "d"),
        (s % 86_400 / 3_600, "h"),
        (s % 3_600 / 60, "m"),
    ];
    let Some(first) = parts.iter().position(|(n, _)| *n > 0) else {
        return "0s".into();
    };
    let last = parts.iter().rposition(|(n, _)| *n > 0).unwrap_or(first);
    parts[first..=last]
        .iter()
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn ts(t: Option<Timestamp>) -> Value {
    t.map(|t| Value::String(time::to_rfc3339(t)))
        .unwrap_or(Value::Null)
}

/// The local UTC offset at the incident's open, so the document can say what its times mean.
fn local_offset(t: Timestamp) -> String {
    t.with_timezone(&chrono::Local).format("%:z").to_string()
}

/// Distinct timeline authors, in the order they first appear.
pub fn responders(timeline: &[Event]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in timeline {
        if !out.contains(&e.author) {
            out.push(e.author.clone());
        }
    }
    out
}

/// Open to resolution, or open to now while it is not resolved.
fn duration(i: &Incident, now: Timestamp) -> Value {
    let resolved = i.resolved_at.filter(|t| *t <= now);
    let seconds = resolved
        .unwrap_or(now)
        .signed_duration_since(i.opened_at)
        .num_seconds();
    let text = match resolved {
        Some(_) => span(seconds),
        None => format!("ongoing, {} so far", span(seconds)),
    };
    json!({
        "from": time::to_rfc3339(i.opened_at),
        "until": ts(resolved),
        "seconds": seconds,
        "ongoing": resolved.is_none(),
        "span": span(seconds),
        "text": text,
    })
}

/// Impact start to resolution, or to now while it is not resolved: the time to restore, which
/// counts what users lived through before anyone noticed.
fn restore(i: &Incident, now: Timestamp) -> Value {
    let resolved = i.resolved_at.filter(|t| *t <= now);
    let seconds = resolved
        .unwrap_or(now)
        .signed_duration_since(i.started_at)
        .num_seconds();
    let text = match resolved {
        Some(_) => format!("restored {} after the impact began", span(seconds)),
        None => format!("not restored yet, {} since the impact began", span(seconds)),
    };
    json!({
        "from": time::to_rfc3339(i.started_at),
        "until": ts(resolved),
        "seconds": seconds,
        "ongoing": resolved.is_none(),
        "span": span(seconds),
        "text": text,
    })
}

/// What the three clocks are called in sentences: stopped, and still running.
struct ClockWords {
    name: &'static str,
    done: &'static str,
    done_suffix: &'static str,
    pending: &'static str,
    pending_suffix: &'static str,
}

const RESPOND: ClockWords = ClockWords {
    name: "response",
    done: "Responded in",
    done_suffix: "",
    pending: "Not acknowledged yet,",
    pending_suffix: " so far",
};
const RESOLVE: ClockWords = ClockWords {
    name: "fix",
    done: "Fixed in",
    done_suffix: "",
    pending: "Not resolved yet,",
    pending_suffix: " so far",
};
const POSTMORTEM: ClockWords = ClockWords {
    name: "post-mortem",
    done: "Post-mortem closed",
    done_suffix: " after resolution",
    pending: "Post-mortem not closed yet,",
    pending_suffix: " since resolution",
};

/// One clock with its raw values and its outcome in a sentence:
/// `Responded in 4h 5m against a target of 15m: breached by 3h 50m`.
/// The target is what the stored deadline allows from `start` (that of the severity in force
/// when the clock stopped, or of the current one while it runs, with its pauses); on a
/// calendar, the target its rule gives, and the time used and the margin in open hours.
fn clock(
    c: &Clock,
    start: Timestamp,
    rule: Option<&Rule>,
    now: Timestamp,
    words: &ClockWords,
) -> Value {
    let calendar = rule.and_then(|r| r.calendar.as_ref());
    let (elapsed, margin) = crate::domain::sla::counted(c, start, rule, now);
    let target_seconds = match (calendar, rule) {
        (Some(_), Some(r)) => i64::try_from(r.target_seconds).unwrap_or(i64::MAX),
        _ => elapsed.saturating_add(margin),
    };
    // Open hours are not days: 62 h 30 m on 09:00-17:00 is not "2d 14h 30m".
    let span = |seconds: i64| match calendar {
        Some(_) => hours_span(seconds),
        None => span(seconds),
    };
    let outcome = match c.state {
        ClockState::Running => format!("{} left", span(margin)),
        ClockState::Overdue => format!("overdue by {}", span(margin)),
        ClockState::Met => format!("met with {} to spare", span(margin)),
        ClockState::Breached => format!("breached by {}", span(margin)),
        ClockState::Paused => format!("paused with {} left", span(margin)),
        ClockState::Cancelled => "cancelled: neither met nor breached".to_string(),
    };
    let on = calendar.map_or(String::new(), |cal| {
        format!(" on calendar {} (open hours only)", cal.name)
    });
    let (head, suffix) = match c.stopped_at {
        Some(_) => (words.done, words.done_suffix),
        None => (words.pending, words.pending_suffix),
    };
    let sentence = format!(
        "{head} {}{suffix} against a target of {}{on}: {outcome}",
        span(elapsed),
        target_text(target_seconds)
    );
    json!({
        "name": words.name,
        "started_at": time::to_rfc3339(start),
        "deadline": time::to_rfc3339(c.deadline),
        "stopped_at": ts(c.stopped_at),
        "target_seconds": target_seconds,
        "target": target_text(target_seconds),
        "elapsed_seconds": elapsed,
        "elapsed": span(elapsed),
        "state": c.state,
        "breached": c.breached(),
        "margin_seconds": margin,
        "margin": span(margin),
        "calendar": calendar.map(|cal| cal.name.clone()),
        "sentence": sentence,
    })
}

/// The response, fix and post-mortem clocks at `now`, as `sla::clocks` evaluates them: the
/// response and fix clocks from the detection.
fn sla(i: &Incident, policy: &Policy, now: Timestamp) -> Value {
    let c = crate::domain::sla::clocks(i, now);
    let rules = &i.due.rules;
    let postmortem = match (c.postmortem, i.resolved_at.filter(|t| *t <= now)) {
        (Some(p), Some(resolved)) => {
            clock(&p, resolved, rules.postmortem.as_ref(), now, &POSTMORTEM)
        }
        // Not resolved: the clock has not started, but the template still has a line to print.
        _ => {
            let target_seconds = policy.postmortem.as_secs() as i64;
            json!({
                "name": POSTMORTEM.name,
                "started_at": null,
                "deadline": null,
                "stopped_at": null,
                "target_seconds": target_seconds,
                "target": target_text(target_seconds),
                "elapsed_seconds": null,
                "elapsed": null,
                "state": "not_started",
                "breached": false,
                "margin_seconds": null,
                "margin": null,
                "calendar": policy.postmortem_calendar.as_ref().map(|cal| cal.name.clone()),
                "sentence": format!(
                    "Post-mortem clock not started: due {} after resolution",
                    target_text(target_seconds)
                ),
            })
        }
    };
    json!({
        "respond": clock(&c.respond, i.detected_at, rules.respond.as_ref(), now, &RESPOND),
        "resolve": clock(&c.resolve, i.detected_at, rules.resolve.as_ref(), now, &RESOLVE),
        "postmortem": postmortem,
        "breached": c.breached(),
    })
}

/// How long the problem went unnoticed and unanswered: impact → detected → declared →
/// acknowledged, and when the open was written into the log (a backdated open was recorded
/// late). `moments` lists the six times of the clock model in order, for the templates.
fn detection(i: &Incident, timeline: &[Event]) -> Value {
    let unnoticed = i
        .detected_at
        .signed_duration_since(i.started_at)
        .num_seconds();
    let to_open = i
        .opened_at
        .signed_duration_since(i.detected_at)
        .num_seconds();
    let to_ack = i
        .acknowledged_at
        .map(|a| a.signed_duration_since(i.opened_at).num_seconds());
    let detected_to_ack = i
        .acknowledged_at
        .map(|a| a.signed_duration_since(i.detected_at).num_seconds());
    let logged_at = timeline
        .iter()
        .find(|e| e.kind == EventKind::Opened)
        .map(|e| e.recorded_at);
    let logged_after = logged_at
        .map(|l| l.signed_duration_since(i.opened_at).num_seconds())
        .filter(|s| *s >= 60);
    // What the stored deadline allows: the target of the severity in force when it stopped.
    let respond_target = i
        .due
        .respond
        .signed_duration_since(i.detected_at)
        .num_seconds()
        .max(0);

    let mut lines = Vec::new();
    if unnoticed > 0 {
        lines.push(format!(
            "Impact began {} before it was detected",
            span(unnoticed)
        ));
    }
    lines.push(if to_open > 0 {
        format!("Opened {} after it was detected", span(to_open))
    } else {
        "Opened as soon as it was detected".to_string()
    });
    lines.push(match detected_to_ack {
        Some(s) => format!(
            "Acknowledged {} after it was detected (target {})",
            span(s),
            target_text(respond_target)
        ),
        None => format!(
            "Not acknowledged yet (target {})",
            target_text(respond_target)
        ),
    });
    if let Some(late) = logged_after {
        lines.push(format!(
            "Recorded in the incident log {} after its open time (backdated)",
            span(late)
        ));
    }
    let moment = |label: &str, t: Option<Timestamp>| json!({"label": label, "at": ts(t)});
    json!({
        "text": i.detection,
        "moments": [
            moment("Impact start", Some(i.started_at)),
            moment("Detected", Some(i.detected_at)),
            moment("Declared", Some(i.opened_at)),
            moment("Acknowledged", i.acknowledged_at),
            moment("Resolved", i.resolved_at),
            moment("Closed", i.closed_at),
        ],
        "started_at": time::to_rfc3339(i.started_at),
        "started_to_detected_seconds": unnoticed,
        "started_to_detected": span(unnoticed),
        "detected_to_acknowledged_seconds": detected_to_ack,
        "detected_to_acknowledged": detected_to_ack.map(span),
        "detected_at": time::to_rfc3339(i.detected_at),
        "opened_at": time::to_rfc3339(i.opened_at),
        "acknowledged_at": ts(i.acknowledged_at),
        "detected_to_opened_seconds": to_open,
        "detected_to_opened": span(to_open),
        "opened_to_acknowledged_seconds": to_ack,
        "opened_to_acknowledged": to_ack.map(span),
        "logged_at": ts(logged_at),
        "logged_after_seconds": logged_after,
        "lines": lines,
    })
}

/// The timeline as the incident view gives it (conflicts marked), plus on each entry whether
/// it was written down a minute or more after the time it happened (as `show` marks it).
fn timeline_entries(timeline: &[Event]) -> Vec<Value> {
    let mut entries = crate::report::view::timeline(timeline);
    for (v, e) in entries.iter_mut().zip(timeline) {
        v["recorded_late"] =
            Value::Bool(e.recorded_at.signed_duration_since(e.at).num_seconds() >= 60);
    }
    entries
}

/// The data age each freshness check of the first snapshot measured: how stale the data was
/// when the incident was opened. `level` is that of its data-age finding (over the guide's
/// thresholds), or `ok` under all of them.
pub fn data_age(snap: &Snapshot) -> Vec<Value> {
    let mut out = Vec::new();
    let databases = snap
        .items
        .iter()
        .filter(|i| i.collector == "database" && i.status == ItemStatus::Ok);
    for item in databases {
        for check in item.data_as::<DatabaseData>().freshness {
            let name = check.name();
            let Some(age) = check.age_seconds else {
                continue;
            };
            let subject = format!("{}/{name}", item.label());
            let finding = snap
                .findings
                .iter()
                .find(|f| f.subject == subject && f.message.starts_with("data age"));
            out.push(json!({
                "subject": subject,
                "database": item.name,
                "check": name,
                "age_seconds": age,
                "age": span(age),
                "level": finding.map(|f| json!(f.level)).unwrap_or_else(|| json!("ok")),
                "message": finding.map(|f| f.message.clone()),
            }));
        }
    }
    out
}

/// An action item as `incident action list --json` gives it, with its state in words.
fn action(a: &ActionItem, now: Timestamp, record: &Record) -> Value {
    let overdue_seconds = match (a.done_at, a.due_at) {
        (None, Some(due)) if due < now => Some(now.signed_duration_since(due).num_seconds()),
        _ => None,
    };
    let (state, state_text) = match (a.done_at, overdue_seconds) {
        (Some(_), _) => ("done", "done".to_string()),
        (None, Some(s)) => ("overdue", format!("overdue by {}", span(s))),
        (None, None) => ("open", "open".to_string()),
    };
    let mut v = crate::report::view::action_with_bugs(a, now, record);
    v["overdue_seconds"] = json!(overdue_seconds);
    v["state"] = json!(state);
    v["state_text"] = json!(state_text);
    v
}

fn action_counts(actions: &[ActionItem], now: Timestamp) -> Value {
    let done = actions.iter().filter(|a| a.done_at.is_some()).count();
    let overdue = actions.iter().filter(|a| a.overdue(now)).count();
    json!({
        "total": actions.len(),
        "done": done,
        "overdue": overdue,
        "open": actions.len() - done - overdue,
    })
}

fn snapshot(s: &StoredSnapshot) -> Value {
    json!({
        "seq": s.seq,
        "taken_at": time::to_rfc3339(s.snapshot.taken_at),
        "duration_ms": s.snapshot.duration_ms,
        "summary": s.snapshot.summary,
        "findings": s.snapshot.findings,
    })
}

/// The first snapshot (normally at open), the last (normally at resolution), and what changed
/// between them.
fn evidence(
    all: &[StoredSnapshot],
    first: Option<&StoredSnapshot>,
    last: Option<&StoredSnapshot>,
) -> Value {
    let changes = match (first, last) {
        (Some(a), Some(b)) => crate::evidence::diff::diff(&a.snapshot.items, &b.snapshot.items),
        _ => Vec::new(),
    };
    json!({
        "count": all.len(),
        "snapshots": all.iter().map(|s| json!({
            "seq": s.seq,
            "taken_at": time::to_rfc3339(s.snapshot.taken_at),
            "summary": s.snapshot.summary,
        })).collect::<Vec<_>>(),
        "first": first.map(snapshot),
        "last": last.map(snapshot),
        "changes": changes,
    })
}

/// The sections nobody has written yet, in the order the document shows them.
fn missing(i: &Incident, actions: &[ActionItem]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for (text, label) in [
        (&i.description, "description"),
        (&i.impact, "impact"),
        (&i.root_cause, "root cause"),
        (&i.trigger, "trigger"),
        (&i.resolution, "resolution"),
        (&i.detection, "detection"),
    ] {
        if text.is_empty() {
            out.push(label);
        }
    }
    if actions.is_empty() {
        out.push("action items");
    }
    for (text, label) in [
        (&i.lessons_learned, "lessons learned"),
        (&i.prevention, "prevention"),
    ] {
        if text.is_empty() {
            out.push(label);
        }
    }
    out
}

/// The command that fills each section, for the "not recorded yet" lines.
fn hints(number: Number) -> Value {
    let update = |flag: &str| format!("incident update {number} --{flag} \"…\"");
    // Prose that runs to paragraphs is easier typed into a file and piped in.
    let piped = |flag: &str| format!("incident update {number} --{flag} -");
    json!({
        "description": update("description"),
        "impact": piped("impact"),
        "trigger": update("trigger"),
        "detection": piped("detection"),
        "root_cause": update("root-cause"),
        "resolution": update("resolution"),
        "prevention": update("prevention"),
        "lessons_learned": update("lessons"),
        "actions": format!("incident action add {number} \"…\" --owner WHO --due +7d --link BUG-URL"),
        "went_well": format!("incident lesson add {number} --went-well \"…\""),
        "went_wrong": format!("incident lesson add {number} --went-wrong \"…\""),
        "lucky": format!("incident lesson add {number} --lucky \"…\""),
        "links": format!("incident update {number} --link URL --link-title \"…\""),
        "author": format!("incident postmortem author {number} NAME"),
        "status": format!("incident postmortem status {number} review"),
        "snapshots": format!("incident snapshot {number}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::snapshot::{Finding, Item, Level};

    #[test]
    fn spans_keep_every_unit_between_the_largest_and_the_smallest() {
        assert_eq!(span(5 * 86_400 + 30 * 60), "5d 0h 30m");
        assert_eq!(span(4 * 3_600 + 5 * 60), "4h 5m");
        assert_eq!(span(-(3 * 3_600 + 50 * 60)), "3h 50m");
        assert_eq!(span(900), "15m");
        assert_eq!(span(3_600), "1h");
        assert_eq!(span(3_601), "1h");
        assert_eq!(span(86_399), "23h 59m");
        assert_eq!(span(-40), "40s");
        assert_eq!(span(5 * 86_400), "5d");
        assert_eq!(span(0), "0s");
        assert_eq!(target_text(86_400), "24h");
        assert_eq!(target_text(900), "15m");
        assert_eq!(target_text(5_400), "1h 30m");
    }

    #[test]
    fn data_age_lists_every_freshness_check_with_the_level_of_its_finding() {
        let t = time::from_rfc3339("2026-10-12T09:20:00Z").unwrap();
        let snap = Snapshot {
            taken_at: t,
            duration_ms: 10,
            items: vec![
                Item::ok(
                    "database",
                    "crypto_prices",
                    5,
                    json!({"freshness": [
                        {"name": "price_data.timestamp", "age_seconds": 433_200},
                        {"name": "ml_features.updated_at", "age_seconds": 120},
                    ]}),
                    String::new(),
                ),
                Item::failed("database", "other", 5, "connection refused"),
            ],
            findings: vec![
                Finding {
                    level: Level::Critical,
                    subject: "database/other".into(),
                    message: "unreachable: connection refused".into(),
                },
                Finding {
                    level: Level::Critical,
                    subject: "database/crypto_prices/price_data.timestamp".into(),
                    message: "data age 5d 0h (over 4h)".into(),
                },
            ],
            summary: String::new(),
        };
        let ages = data_age(&snap);
        assert_eq!(ages.len(), 2, "{ages:?}");
        assert_eq!(ages[0]["database"], "crypto_prices");
        assert_eq!(ages[0]["check"], "price_data.timestamp");
        assert_eq!(ages[0]["age_seconds"], 433_200);
        assert_eq!(ages[0]["age"], "5d 0h 20m");
        assert_eq!(ages[0]["level"], "critical");
        assert_eq!(ages[0]["message"], "data age 5d 0h (over 4h)");
        assert_eq!(ages[1]["age"], "2m");
        assert_eq!(ages[1]["level"], "ok");
        assert_eq!(ages[1]["message"], Value::Null);
    }
}
