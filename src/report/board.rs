//! What the incident board's pages receive (`incident serve`: `board.html` for `/`,
//! `board-incident.html` for `/incidents/N`): the incidents as `--json` gives them, and for
//! each SLA clock what a live page needs to count it down without judging it: its deadline,
//! the time left at the server's now in `sla`'s words, whether that time is shrinking, and the
//! moment it next changes (the deadline passing, its calendar opening or closing), after which
//! the page asks again. The verdicts are `domain::sla`'s; nothing here computes a deadline.

use crate::domain::calendar::Calendar;
use crate::domain::model::Incident;
use crate::domain::sla::{self, Clock, ClockState};
use crate::domain::terms::Rule;
use crate::domain::time::{self, Timestamp, human_duration};
use crate::store::{StoreError, Txn};
use serde_json::{Value, json};

/// How often a page with JavaScript reloads itself, in seconds.
pub const REFRESH_SECONDS: u64 = 15;

/// One clock for a live page. `counting`: its time left shrinks with the wall clock (running
/// or overdue; the time left is to the deadline, as `sla` says it). `next_change`: when the
/// page must ask again because the clock changes in a way it does not compute (the deadline
/// passes and it becomes overdue; its calendar opens or closes).
fn clock(key: &str, name: &str, c: &Clock, rule: Option<&Rule>, now: Timestamp) -> Value {
    let calendar: Option<&Calendar> = rule.and_then(|r| r.calendar.as_ref());
    let counting = matches!(c.state, ClockState::Running | ClockState::Overdue);
    let (open, calendar_change) = match calendar {
        Some(cal) if counting => {
            let (open, at) = cal.next_change(now);
            (Some(open), at)
        }
        Some(cal) => (Some(cal.next_change(now).0), None),
        None => (None, None),
    };
    let deadline_change = (c.state == ClockState::Running).then_some(c.deadline);
    let next_change = match (deadline_change, calendar_change) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    json!({
        "key": key,
        "name": name,
        "deadline": time::to_rfc3339(c.deadline),
        "state": c.state,
        "breached": c.breached(),
        "margin_seconds": c.margin,
        "text": c.words(),
        "counting": counting,
        "stopped_at": c.stopped_at.map(time::to_rfc3339),
        "calendar": calendar.map(|cal| cal.name.clone()),
        "calendar_open": open,
        "next_change": next_change.map(time::to_rfc3339),
    })
}

/// The incident's clocks at `now`, in order: respond, fix, and post-mortem once resolved.
pub fn clocks(i: &Incident, now: Timestamp) -> Vec<Value> {
    let c = sla::clocks(i, now);
    let rules = &i.due.rules;
    let mut out = vec![
        clock(
            "respond",
            "respond",
            &c.respond,
            rules.respond.as_ref(),
            now,
        ),
        clock("resolve", "fix", &c.resolve, rules.resolve.as_ref(), now),
    ];
    if let Some(pm) = &c.postmortem {
        out.push(clock(
            "postmortem",
            "post-mortem",
            pm,
            rules.postmortem.as_ref(),
            now,
        ));
    }
    out
}

/// What the board adds to an incident's view: its clocks, whether one is breached, and its
/// age (since its detection, when the clocks started).
fn live(i: &Incident, now: Timestamp) -> Value {
    let age = now
        .signed_duration_since(i.detected_at)
        .num_seconds()
        .max(0);
    json!({
        "clocks": clocks(i, now),
        "breached": sla::clocks(i, now).late(),
        "age_seconds": age,
        "age": human_duration(age),
        "link": format!("/incidents/{}", i.number),
    })
}

/// The board's order: breached first, then the most severe, then the oldest.
pub fn order(incidents: &mut [Incident], now: Timestamp) {
    incidents.sort_by_key(|i| {
        (
            !sla::clocks(i, now).late(),
            i.severity,
            i.detected_at,
            i.number,
        )
    });
}

/// `board.html`'s context: the unresolved incidents (cancelled ones are not) in the board's
/// order, each as `list --json` gives it with `board` added.
pub fn board(unresolved: &[Incident], now: Timestamp) -> Value {
    let mut incidents = unresolved.to_vec();
    order(&mut incidents, now);
    let items: Vec<Value> = incidents
        .iter()
        .map(|i| {
            let mut v = crate::report::view::incident(i, now);
            v["board"] = live(i, now);
            v
        })
        .collect();
    json!({
        "generated_at": time::to_rfc3339(now),
        "refresh_seconds": REFRESH_SECONDS,
        "count": items.len(),
        "breached": items.iter().filter(|v| v["board"]["breached"] == true).count(),
        "incidents": items,
    })
}

/// `board-incident.html`'s context: the document `show --json` gives (`shown`), with `board`
/// added to the incident, and its evidence in summary.
pub fn incident_page(i: &Incident, shown: Value, evidence: Value, now: Timestamp) -> Value {
    let mut incident = shown;
    incident["board"] = live(i, now);
    json!({
        "generated_at": time::to_rfc3339(now),
        "refresh_seconds": REFRESH_SECONDS,
        "incident": incident,
        "evidence": evidence,
        "links": {
            "board": "/",
            "postmortem": format!("/incidents/{}/postmortem", i.number),
            "json": format!("/api/v1/incidents/{}", i.number),
        },
    })
}

/// The incident's evidence in summary: its snapshots, attached logs and recorded commands,
/// each with its number (`incident show N --snapshot K`, `incident logs N --attachment K`,
/// `--command K` print it whole).
pub fn evidence(txn: &Txn, incident_pk: i64) -> Result<Value, StoreError> {
    let snapshots: Vec<Value> = txn
        .snapshots(incident_pk)?
        .iter()
        .map(|s| {
            json!({
                "seq": s.seq,
                "taken_at": time::to_rfc3339(s.snapshot.taken_at),
                "summary": s.snapshot.summary,
                "findings": s.snapshot.findings.len(),
            })
        })
        .collect();
    let attachments: Vec<Value> = txn
        .attachments(incident_pk)?
        .iter()
        .map(|a| {
            json!({
                "seq": a.seq,
                "name": a.name,
                "size": a.blob.size,
                "lines": a.blob.lines,
                "redactions": a.redactions,
                "added_at": time::to_rfc3339(a.added_at),
                "added_by": a.added_by,
            })
        })
        .collect();
    let commands: Vec<Value> = txn
        .command_runs(incident_pk)?
        .iter()
        .map(|r| {
            let ended = match (r.exit_code, r.signal) {
                (Some(code), _) => format!("exit {code}"),
                (None, Some(sig)) => format!("signal {sig}"),
                (None, None) => "unknown".to_string(),
            };
            json!({
                "seq": r.seq,
                "command": r.command,
                "started_at": time::to_rfc3339(r.started_at),
                "duration": time::human_millis(r.duration_ms),
                "ended": ended,
                "output_bytes": r.output_bytes,
                "run_by": r.run_by,
            })
        })
        .collect();
    Ok(json!({
        "snapshots": snapshots,
        "attachments": attachments,
        "commands": commands,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::from_rfc3339;

    #[test]
    fn a_running_clock_changes_at_its_deadline_and_counts() {
        let now = from_rfc3339("2026-12-01T10:00:00Z").unwrap();
        let c = sla::clock(from_rfc3339("2026-12-01T10:30:00Z").unwrap(), None, now);
        let v = clock("respond", "respond", &c, None, now);
        assert_eq!(v["text"], "30m left");
        assert_eq!(v["counting"], true);
        assert_eq!(v["next_change"], "2026-12-01T10:30:00Z");
        assert_eq!(v["calendar_open"], Value::Null);
        // Overdue: still counting (the overdue time grows), nothing left to change.
        let late = sla::clock(from_rfc3339("2026-12-01T09:00:00Z").unwrap(), None, now);
        let v = clock("resolve", "fix", &late, None, now);
        assert_eq!(v["text"], "OVERDUE by 1h");
        assert_eq!(v["next_change"], Value::Null);
        // Stopped: neither.
        let met = sla::clock(c.deadline, Some(now), now);
        let v = clock("respond", "respond", &met, None, now);
        assert_eq!(v["counting"], false);
        assert_eq!(v["next_change"], Value::Null);
    }
}
