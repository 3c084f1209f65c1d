//! What changed between two snapshots: pods that restarted, recovered or vanished, cronjobs
//! that ran, data age before and after, services that came back or went away.

use crate::domain::time::{from_rfc3339, human_duration};
use crate::evidence::data::{CollectorData, DatabaseData, NamespaceData, PodData};
use crate::evidence::snapshot::{Item, ItemStatus};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// `pod/…`, `cronjob/…`, `database/…/check`, `redis/…`.
    pub subject: String,
    /// restarted, recovered, broke, vanished, appeared, ran, fresher, staler, came back, went down
    pub what: String,
    pub detail: String,
}

fn change(subject: String, what: &str, detail: String) -> Change {
    Change {
        subject,
        what: what.to_string(),
        detail,
    }
}

fn healthy(pod: &PodData) -> bool {
    pod.ready && pod.waiting().is_empty()
}

fn pod_state(pod: &PodData) -> String {
    match pod.waiting() {
        "" if healthy(pod) => "ready".into(),
        "" => format!("not ready ({})", pod.phase()),
        reason => reason.to_string(),
    }
}

/// An item's data, or nothing seen when there is no item.
fn data<T: CollectorData>(item: Option<&Item>) -> T {
    item.map(Item::data_as).unwrap_or_default()
}

/// The changes from snapshot `a` to snapshot `b`.
pub fn diff(a: &[Item], b: &[Item]) -> Vec<Change> {
    let mut out = Vec::new();
    let find = |items: &'_ [Item], collector: &str, name: &str| -> Option<usize> {
        items
            .iter()
            .position(|i| i.collector == collector && i.name == name)
    };
    // Every target either side saw.
    let mut targets: Vec<(String, String)> = Vec::new();
    for item in a.iter().chain(b) {
        let key = (item.collector.clone(), item.name.clone());
        if !targets.contains(&key) {
            targets.push(key);
        }
    }
    for (collector, name) in targets {
        let before = find(a, &collector, &name).map(|i| &a[i]);
        let after = find(b, &collector, &name).map(|i| &b[i]);
        let up = |i: Option<&Item>| i.is_some_and(|i| i.status == ItemStatus::Ok);
        let subject = format!("{collector}/{name}");
        match (up(before), up(after)) {
            (false, true) if before.is_some() => out.push(change(
                subject.clone(),
                "came back",
                "answering again".into(),
            )),
            (true, false) => {
                let why = after
                    .and_then(|i| i.error.clone())
                    .unwrap_or_else(|| "not collected".into());
                out.push(change(subject.clone(), "went down", why));
            }
            _ => {}
        }
        if !(up(before) && up(after)) {
            continue;
        }
        match collector.as_str() {
            "kubernetes" => kubernetes(before, after, &mut out),
            "database" => freshness(&subject, before, after, &mut out),
            _ => {}
        }
    }
    out
}

fn kubernetes(before: Option<&Item>, after: Option<&Item>, out: &mut Vec<Change>) {
    let (before, after): (NamespaceData, NamespaceData) = (data(before), data(after));
    let (pods_a, pods_b) = (before.pods(), after.pods());
    for p in pods_a {
        let name = p.name();
        let subject = format!("pod/{name}");
        match pods_b.iter().find(|q| q.name() == name) {
            None => out.push(change(subject, "vanished", format!("was {}", pod_state(p)))),
            Some(q) => {
                let (ra, rb) = (p.restarts.unwrap_or(0), q.restarts.unwrap_or(0));
                if rb > ra {
                    out.push(change(
                        subject.clone(),
                        "restarted",
                        format!("{} more restart(s), {ra} → {rb}", rb - ra),
                    ));
                }
                match (healthy(p), healthy(q)) {
                    (false, true) => out.push(change(
                        subject,
                        "recovered",
                        format!("{} → ready", pod_state(p)),
                    )),
                    (true, false) => out.push(change(
                        subject,
                        "broke",
                        format!("ready → {}", pod_state(q)),
                    )),
                    _ => {}
                }
            }
        }
    }
    for q in pods_b {
        let name = q.name();
        if !pods_a.iter().any(|p| p.name() == name) {
            out.push(change(format!("pod/{name}"), "appeared", pod_state(q)));
        }
    }
    for cj in after.cronjobs() {
        let name = cj.name();
        let earlier = before.cronjobs().iter().find(|c| c.name() == name);
        let was = earlier
            .and_then(|c| c.last_schedule.as_deref())
            .unwrap_or("");
        let now = cj.last_schedule.as_deref().unwrap_or("");
        if !now.is_empty() && now != was {
            let when = from_rfc3339(now)
                .map(crate::domain::time::display)
                .unwrap_or_else(|| now.to_string());
            out.push(change(
                format!("cronjob/{name}"),
                "ran",
                format!("last scheduled {when}"),
            ));
        }
    }
}

fn freshness(subject: &str, before: Option<&Item>, after: Option<&Item>, out: &mut Vec<Change>) {
    let (before, after): (DatabaseData, DatabaseData) = (data(before), data(after));
    for check in &after.freshness {
        let name = check.name();
        let was = before
            .freshness
            .iter()
            .find(|c| c.name() == name)
            .and_then(|c| c.age_seconds);
        let (Some(was), Some(now)) = (was, check.age_seconds) else {
            continue;
        };
        // As shown: a change the display rounds away (10m 20s → 10m 40s) is no change.
        if human_duration(was) == human_duration(now) {
            continue;
        }
        let what = if now < was { "fresher" } else { "staler" };
        out.push(change(
            format!("{subject}/{name}"),
            what,
            format!("data age {} → {}", human_duration(was), human_duration(now)),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_recovery_and_fresher_data() {
        let a = vec![
            Item::ok(
                "kubernetes",
                "ns",
                1,
                json!({"pods": [
                    {"name": "updater", "phase": "Running", "ready": false, "restarts": 12, "waiting_reason": "CrashLoopBackOff"},
                    {"name": "old", "phase": "Running", "ready": true, "restarts": 0},
                ], "cronjobs": [{"name": "prices", "last_schedule": "2026-11-24T10:00:00Z"}]}),
                String::new(),
            ),
            Item::ok(
                "database",
                "crypto_prices",
                1,
                json!({"freshness": [{"name": "price_data.timestamp", "age_seconds": 439200}]}),
                String::new(),
            ),
            Item::failed("redis", "api-gateway", 1, "connection refused"),
        ];
        let b = vec![
            Item::ok(
                "kubernetes",
                "ns",
                1,
                json!({"pods": [
                    {"name": "updater", "phase": "Running", "ready": true, "restarts": 13},
                    {"name": "new", "phase": "Pending", "ready": false, "restarts": 0},
                ], "cronjobs": [{"name": "prices", "last_schedule": "2026-11-29T12:00:00Z"}]}),
                String::new(),
            ),
            Item::ok(
                "database",
                "crypto_prices",
                1,
                json!({"freshness": [{"name": "price_data.timestamp", "age_seconds": 120}]}),
                String::new(),
            ),
            Item::ok("redis", "api-gateway", 1, json!({}), String::new()),
        ];
        let lines: Vec<String> = diff(&a, &b)
            .iter()
            .map(|c| format!("{} {}: {}", c.subject, c.what, c.detail))
            .collect();
        assert_eq!(
            lines,
            vec![
                "pod/updater restarted: 1 more restart(s), 12 → 13",
                "pod/updater recovered: CrashLoopBackOff → ready",
                "pod/old vanished: was ready",
                "pod/new appeared: not ready (Pending)",
                "cronjob/prices ran: last scheduled 2026-11-29 12:00",
                "database/crypto_prices/price_data.timestamp fresher: data age 5d 2h → 2m",
                "redis/api-gateway came back: answering again",
            ]
        );
        assert!(diff(&b, &b).is_empty());
    }
}
