//! The review's template context: the store's aggregates as figures next to the previous
//! window's, already worded, so templates stay simple.

use super::charts::{per_day_chart, resolve_chart};
use super::window::Window;
use super::wording::{count, duration_text, share};
use crate::domain::event::EventKind;
use crate::domain::model::Severity;
use crate::domain::sla::Policy;
use crate::domain::time::{self, Timestamp, human_duration};
use crate::store::review::{Bounds, CAP, ClockCounts, Compliance, ReviewData};
use crate::store::{StoreError, Txn};
use serde_json::{Value, json};

/// The JSON the review templates receive for `window`, next to the window before it.
pub fn context(
    txn: &Txn,
    window: &Window,
    policy: &Policy,
    now: Timestamp,
) -> Result<Value, StoreError> {
    let previous = window.previous();
    let bounds = bounds(window, &previous, now);
    let data = txn.review(&bounds)?;
    Ok(build(window, &previous, &bounds, policy, now, &data))
}

/// What the store binds for `window`: its figures at its end, or now while it is still running.
fn bounds(window: &Window, previous: &Window, now: Timestamp) -> Bounds {
    Bounds {
        since: window.since,
        until: window.until,
        as_of: window.until.min(now),
        prev_since: previous.since,
        cap: CAP,
    }
}

const GROUPS: [&str; 4] = ["P1", "P2", "P3", "all"];

/// The context from the aggregates; shape documented at the top of templates/review.md.
pub fn build(
    window: &Window,
    previous: &Window,
    bounds: &Bounds,
    policy: &Policy,
    now: Timestamp,
    data: &ReviewData,
) -> Value {
    let complete = bounds.as_of == window.until;
    let rfc = time::to_rfc3339;
    let target = |s: Severity| policy.target(s);
    json!({
        "generated_at": rfc(now),
        "window": {
            "label": window.label,
            "noun": if window.week.is_some() { "week" } else { "window" },
            "since": rfc(window.since),
            "until": rfc(window.until),
            "as_of": rfc(bounds.as_of),
            "complete": complete,
            "seconds": window.until.signed_duration_since(window.since).num_seconds(),
        },
        "previous": {
            "label": previous.label,
            "since": rfc(previous.since),
            "until": rfc(previous.until),
        },
        "policy": {
            "P1": policy_json(target(Severity::P1)),
            "P2": policy_json(target(Severity::P2)),
            "P3": policy_json(target(Severity::P3)),
            "postmortem_seconds": policy.postmortem.as_secs(),
            "postmortem_text": human_duration(secs(policy.postmortem)),
        },
        "counts": counts(data),
        "times": times(data),
        "sla": sla(data, policy),
        "at_end": at_end(data, bounds.as_of),
        "recurring": recurring(data),
        "activity": activity(data),
        "services": services(data),
        "cancelled": data.cancelled,
        "charts": {
            "per_day": per_day_chart(window, data),
            "resolve": resolve_chart(data, policy),
        },
    })
}

pub(super) fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn policy_json(t: crate::domain::sla::Target) -> Value {
    json!({
        "respond_seconds": t.respond.as_secs(),
        "resolve_seconds": t.resolve.as_secs(),
        "respond_text": human_duration(secs(t.respond)),
        "resolve_text": human_duration(secs(t.resolve)),
    })
}

fn counts(data: &ReviewData) -> Value {
    let mut out = serde_json::Map::new();
    let mut any = false;
    let mut previous_any = false;
    for what in ["opened", "resolved", "closed"] {
        let mut by = serde_json::Map::new();
        let (mut total, mut total_prev) = (0, 0);
        for s in Severity::ALL {
            let t = data
                .counts
                .iter()
                .find(|t| t.what == what && t.severity == s);
            let (c, p) = t.map(|t| (t.current, t.previous)).unwrap_or((0, 0));
            total += c;
            total_prev += p;
            by.insert(s.as_str().into(), count(c, p));
        }
        any |= total > 0;
        previous_any |= total_prev > 0;
        by.insert("total".into(), count(total, total_prev));
        out.insert(what.into(), Value::Object(by));
    }
    out.insert("any".into(), any.into());
    out.insert("previous_any".into(), previous_any.into());
    Value::Object(out)
}

/// Every timeline kind, zero or not, in `EventKind::ALL` order: a kind added later shows up
/// in the review without a template change.
fn activity(data: &ReviewData) -> Value {
    let mut total = (0, 0);
    let kinds: Vec<Value> = EventKind::ALL
        .into_iter()
        .map(|kind| {
            let row = data.activity.iter().find(|k| k.kind == kind);
            let (c, p) = row.map_or((0, 0), |k| (k.current, k.previous));
            total = (total.0 + c, total.1 + p);
            json!({"kind": kind.as_str(), "label": kind.label(), "count": count(c, p)})
        })
        .collect();
    json!({"any": total.0 > 0 || total.1 > 0, "kinds": kinds, "total": count(total.0, total.1)})
}

/// The incidents opened in the window by affected service; those with several services count
/// in each of their rows (`shared` says how many), those with none in one row of their own.
fn services(data: &ReviewData) -> Value {
    let s = &data.services;
    let median = |m: Option<i64>| m.map(human_duration);
    let rows: Vec<Value> = s
        .rows
        .rows
        .iter()
        .map(|r| {
            json!({
                "service": (!r.service.is_empty()).then_some(&r.service),
                "incidents": r.incidents,
                "resolved": r.resolved,
                "acknowledge_median_seconds": r.acknowledge_median,
                "acknowledge_median_text": median(r.acknowledge_median),
                "resolve_median_seconds": r.resolve_median,
                "resolve_median_text": median(r.resolve_median),
                "breached": r.breached,
                "recurring": r.recurring,
            })
        })
        .collect();
    // Only incidents without a service: nothing to break down.
    let any = s.rows.rows.iter().any(|r| !r.service.is_empty());
    let mut v = listed(s.rows.total, rows);
    v["any"] = any.into();
    v["shared"] = s.shared.into();
    v
}

fn times(data: &ReviewData) -> Value {
    let find = |measure: &str, group: &str, current: bool| {
        data.times
            .iter()
            .find(|t| t.measure == measure && t.group == group && t.current == current)
    };
    let mut out = serde_json::Map::new();
    let mut any = false;
    for measure in ["acknowledge", "resolve", "restore", "postmortem"] {
        let mut by = serde_json::Map::new();
        for group in GROUPS {
            let (c, p) = (find(measure, group, true), find(measure, group, false));
            let n = c.map_or(0, |t| t.n);
            any |= n > 0;
            let (median, p90) = (c.map(|t| t.median), c.map(|t| t.p90));
            let (pmedian, pp90) = (p.map(|t| t.median), p.map(|t| t.p90));
            let change = |a: Option<i64>, b: Option<i64>| a.zip(b).map(|(a, b)| a - b);
            by.insert(
                group.into(),
                json!({
                    "n": count(n, p.map_or(0, |t| t.n)),
                    "median_seconds": median,
                    "p90_seconds": p90,
                    "previous": {"median_seconds": pmedian, "p90_seconds": pp90},
                    "median_change_seconds": change(median, pmedian),
                    "p90_change_seconds": change(p90, pp90),
                    "median_text": duration_text(median, pmedian),
                    "p90_text": duration_text(p90, pp90),
                }),
            );
        }
        out.insert(measure.into(), Value::Object(by));
    }
    out.insert("any".into(), any.into());
    Value::Object(out)
}

/// One of an incident's clocks in the compliance rows.
type Pick = fn(&Compliance) -> ClockCounts;

fn sla(data: &ReviewData, policy: &Policy) -> Value {
    let sum = |current: bool, severity: Option<Severity>, clock: Pick| {
        data.compliance
            .iter()
            .filter(|c| c.current == current && severity.is_none_or(|s| c.severity == s))
            .map(clock)
            .fold(ClockCounts::default(), |a, b| ClockCounts {
                met: a.met + b.met,
                breached: a.breached + b.breached,
                running: a.running + b.running,
            })
    };
    let mut out = serde_json::Map::new();
    let clocks: [(&str, Pick); 2] = [("respond", |c| c.respond), ("resolve", |c| c.resolve)];
    for (name, clock) in clocks {
        let mut by = serde_json::Map::new();
        for s in Severity::ALL {
            let t = policy.target(s);
            let target = if name == "respond" {
                t.respond
            } else {
                t.resolve
            };
            by.insert(
                s.as_str().into(),
                share(
                    sum(true, Some(s), clock),
                    sum(false, Some(s), clock),
                    Some(secs(target)),
                ),
            );
        }
        by.insert(
            "all".into(),
            share(sum(true, None, clock), sum(false, None, clock), None),
        );
        out.insert(name.into(), Value::Object(by));
    }
    let opened: i64 = data
        .compliance
        .iter()
        .filter(|c| c.current)
        .map(|c| c.respond.met + c.respond.breached + c.respond.running)
        .sum();
    // "1 respond clock and 2 fix clocks": the undecided clocks the shares leave out.
    let running: Vec<String> = clocks
        .iter()
        .zip(["respond", "fix"])
        .filter_map(|((_, clock), label)| {
            let n = sum(true, None, *clock).running;
            (n > 0).then(|| format!("{n} {label} clock{}", if n == 1 { "" } else { "s" }))
        })
        .collect();
    out.insert("running_text".into(), running.join(" and ").into());
    out.insert("opened".into(), opened.into());
    out.insert("any".into(), (opened > 0).into());
    let rows: Vec<Value> = data
        .breaches
        .rows
        .iter()
        .map(|b| {
            json!({
                "number": b.number,
                "title": b.title,
                "severity": b.severity,
                "clock": b.clock,
                "state": if b.overdue { "overdue" } else { "breached" },
                "opened_at": time::to_rfc3339(b.opened_at),
                "deadline": time::to_rfc3339(b.deadline),
                "stopped_at": b.stopped_at.map(time::to_rfc3339),
                "late_seconds": b.late_seconds,
                "late_text": human_duration(b.late_seconds),
            })
        })
        .collect();
    out.insert("breaches".into(), listed(data.breaches.total, rows));
    Value::Object(out)
}

/// A capped list: `total` matched, `rows` shown, `more` left out.
fn listed(total: i64, rows: Vec<Value>) -> Value {
    let more = total - rows.len() as i64;
    json!({"total": total, "more": more, "rows": rows})
}

fn at_end(data: &ReviewData, as_of: Timestamp) -> Value {
    let backlog = |what: &str| {
        data.backlog
            .iter()
            .find(|b| b.what == what)
            .map(|b| count(b.current, b.previous))
            .unwrap_or_else(|| count(0, 0))
    };
    let rfc = time::to_rfc3339;
    let unresolved: Vec<Value> = data
        .unresolved
        .rows
        .iter()
        .map(|u| {
            json!({
                "number": u.number,
                "title": u.title,
                "severity": u.severity,
                "opened_at": rfc(u.opened_at),
                "acknowledged": u.acknowledged,
                "resolve_by": rfc(u.resolve_by),
                "age_seconds": u.age_seconds,
                "fix_overdue": u.resolve_by < as_of,
            })
        })
        .collect();
    let postmortems: Vec<Value> = data
        .postmortems_overdue
        .rows
        .iter()
        .map(|p| {
            json!({
                "number": p.number,
                "title": p.title,
                "severity": p.severity,
                "resolved_at": rfc(p.resolved_at),
                "due": rfc(p.due),
                "overdue_seconds": p.overdue_seconds,
            })
        })
        .collect();
    let actions: Vec<Value> = data
        .actions
        .rows
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "incident": a.incident,
                "incident_title": a.incident_title,
                "text": a.text,
                "kind": a.kind,
                "owner": a.owner,
                "due_at": a.due_at.map(rfc),
                "overdue_seconds": a.overdue_seconds,
            })
        })
        .collect();
    let owners: Vec<Value> = data
        .owners
        .rows
        .iter()
        .map(|o| json!({"owner": o.owner, "open": o.open, "overdue": o.overdue}))
        .collect();
    let mut unresolved_v = listed(data.unresolved.total, unresolved);
    unresolved_v["count"] = backlog("unresolved");
    let mut postmortems_v = listed(data.postmortems_overdue.total, postmortems);
    postmortems_v["count"] = backlog("postmortems_overdue");
    let mut actions_v = listed(data.actions.total, actions);
    actions_v["open"] = backlog("actions_open");
    actions_v["overdue"] = backlog("actions_overdue");
    actions_v["owners"] = listed(data.owners.total, owners);
    let any = data.unresolved.total + data.postmortems_overdue.total + data.actions.total > 0;
    json!({
        "any": any,
        "unresolved": unresolved_v,
        "postmortems_overdue": postmortems_v,
        "actions": actions_v,
    })
}

fn recurring(data: &ReviewData) -> Value {
    let r = &data.recurring;
    let rows: Vec<Value> = r
        .rows
        .rows
        .iter()
        .map(|m| {
            json!({
                "number": m.number,
                "title": m.title,
                "severity": m.severity,
                "opened_at": time::to_rfc3339(m.opened_at),
                "matched_on": m.matched_on,
                "matched_label": if m.matched_on == "title" { "title" } else { "root cause" },
                "root_cause": m.root_cause,
                "earlier_total": m.earlier_total,
                "earlier_more": m.earlier_total - m.earlier.len() as i64,
                "earlier": m.earlier.iter().map(|e| json!({
                    "number": e.number,
                    "title": e.title,
                    "opened_at": time::to_rfc3339(e.opened_at),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut v = listed(r.rows.total, rows);
    v["count"] = count(r.current_incidents, r.previous_incidents);
    v["any"] = (r.current_incidents > 0).into();
    v
}
