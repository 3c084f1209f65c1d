//! What a responder looks at first in a snapshot: findings derived from its items, and the
//! one-line summary that goes into the timeline.

use crate::domain::time::{Timestamp, from_rfc3339, human_duration};
use crate::evidence::data::{CommandData, DatabaseData, NamespaceData};
use crate::evidence::settings::DataAgeThresholds;
use crate::evidence::snapshot::{Finding, Item, ItemStatus, Level};

fn finding(level: Level, subject: String, message: String) -> Finding {
    Finding {
        level,
        subject,
        message,
    }
}

/// Derives the findings of a snapshot. `previous` is the incident's previous snapshot, to tell
/// restarts that happened in between.
pub fn derive(
    items_now: &[Item],
    previous: Option<&[Item]>,
    now: Timestamp,
    thresholds: &DataAgeThresholds,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for item in items_now {
        let subject = item.label();
        if item.status != ItemStatus::Ok {
            let (level, what) = match item.collector.as_str() {
                "database" | "redis" => (Level::Critical, "unreachable"),
                "kubernetes" => (Level::Warning, "cluster not readable"),
                "logs" => (Level::Info, "logs not readable"),
                _ => (Level::Warning, "failed"),
            };
            let what = if item.status == ItemStatus::Timeout {
                "no answer"
            } else {
                what
            };
            let error = item.error.clone().unwrap_or_default();
            let message = if item.collector == "command" && item.status == ItemStatus::Failed {
                error
            } else {
                format!("{what}: {error}")
            };
            out.push(finding(level, subject, message));
            continue;
        }
        match item.collector.as_str() {
            "kubernetes" => kubernetes(item, previous, now, &mut out),
            "database" => freshness(item, thresholds, &mut out),
            _ => {}
        }
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.level));
    out
}

fn kubernetes(item: &Item, previous: Option<&[Item]>, now: Timestamp, out: &mut Vec<Finding>) {
    let data: NamespaceData = item.data_as();
    let before: Option<NamespaceData> = previous.and_then(|p| {
        p.iter()
            .find(|i| i.collector == "kubernetes" && i.name == item.name)
            .map(Item::data_as)
    });
    for pod in data.pods() {
        let name = pod.name();
        let subject = format!("pod/{name}");
        let phase = pod.phase();
        let waiting = pod.waiting();
        let restarts = pod.restarts.unwrap_or(0);
        if waiting == "CrashLoopBackOff" {
            let last = match pod.last_termination_reason.as_deref().unwrap_or_default() {
                "" => String::new(),
                r => format!(", last exit: {r}"),
            };
            out.push(finding(
                Level::Critical,
                subject.clone(),
                format!("CrashLoopBackOff ({restarts} restarts{last})"),
            ));
        } else if phase != "Succeeded" && !pod.ready {
            let why = if waiting.is_empty() {
                phase.to_string()
            } else {
                format!("{phase}, {waiting}")
            };
            out.push(finding(
                Level::Warning,
                subject.clone(),
                format!("not ready ({why})"),
            ));
        }
        let earlier = before
            .as_ref()
            .and_then(|b| b.pods().iter().find(|p| p.name() == name))
            .map(|p| p.restarts.unwrap_or(0));
        if let Some(earlier) = earlier.filter(|e| restarts > *e) {
            out.push(finding(
                Level::Warning,
                subject,
                format!(
                    "restarted {} time(s) since the previous snapshot",
                    restarts - earlier
                ),
            ));
        }
    }
    for cj in data.cronjobs() {
        let subject = format!("cronjob/{}", cj.name());
        if cj.suspended.unwrap_or(false) {
            out.push(finding(Level::Warning, subject.clone(), "suspended".into()));
            continue;
        }
        let schedule = cj.schedule.as_deref().unwrap_or_default();
        let last = cj.last_schedule.as_deref().and_then(from_rfc3339);
        if let Some(message) = late(schedule, last, now) {
            out.push(finding(Level::Warning, subject, message));
        }
    }
    for job in data.jobs() {
        if job.gave_up() {
            let reason = match job.failed_reason.as_deref().unwrap_or_default() {
                "" => String::new(),
                r => format!(" ({r})"),
            };
            out.push(finding(
                Level::Warning,
                format!("job/{}", job.name()),
                format!("failed{reason}"),
            ));
        }
    }
}

/// A CronJob is late when its last schedule is older than twice its interval. The interval is
/// the one after the last run, and two runs must have come due since, so a weekday schedule
/// is not late over the weekend.
pub fn late(schedule: &str, last: Option<Timestamp>, now: Timestamp) -> Option<String> {
    let last = last?;
    let cron: croner::Cron = schedule.parse().ok()?;
    let first = cron.find_next_occurrence(&last, false).ok()?;
    let second = cron.find_next_occurrence(&first, false).ok()?;
    let interval = second.signed_duration_since(first);
    let twice = interval.checked_mul(2).unwrap_or(chrono::TimeDelta::MAX);
    let overdue = second <= now && now.signed_duration_since(last) > twice;
    overdue.then(|| {
        format!(
            "late: last run {} ago (schedule {schedule})",
            human_duration(now.signed_duration_since(last).num_seconds())
        )
    })
}

fn freshness(item: &Item, t: &DataAgeThresholds, out: &mut Vec<Finding>) {
    for check in item.data_as::<DatabaseData>().freshness {
        let subject = format!("{}/{}", item.label(), check.name());
        if let Some(error) = check.error {
            out.push(finding(
                Level::Warning,
                subject,
                format!("freshness check failed: {error}"),
            ));
            continue;
        }
        let Some(age) = check.age_seconds else {
            continue;
        };
        if let Some((level, limit)) = age_level(age, t) {
            out.push(finding(
                level,
                subject,
                format!(
                    "data age {} (over {})",
                    human_duration(age),
                    human_duration(limit as i64)
                ),
            ));
        }
    }
}

/// The guide's alert thresholds: strictly over each limit.
pub fn age_level(age_seconds: i64, t: &DataAgeThresholds) -> Option<(Level, u64)> {
    let over = |d: std::time::Duration| age_seconds > d.as_secs() as i64;
    if over(t.critical) {
        Some((Level::Critical, t.critical.as_secs()))
    } else if over(t.warning) {
        Some((Level::Warning, t.warning.as_secs()))
    } else if over(t.info) {
        Some((Level::Info, t.info.as_secs()))
    } else {
        None
    }
}

/// The line the timeline shows: `14 pods (2 CrashLoopBackOff), 3 cronjobs (1 late: last run
/// 5d ago), crypto_prices reachable (data age 5d 2h), api-gateway ok`.
pub fn summary(items_now: &[Item], findings: &[Finding]) -> String {
    let mut parts = Vec::new();
    for item in items_now {
        let name = &item.name;
        if item.status != ItemStatus::Ok {
            let state = if item.status == ItemStatus::Timeout {
                "timed out"
            } else {
                "unreachable"
            };
            match item.collector.as_str() {
                "kubernetes" => parts.push(format!("kubernetes {state}")),
                "logs" => {}
                "command" if item.status == ItemStatus::Failed => {
                    let code = item.data_as::<CommandData>().exit_code;
                    parts.push(match code {
                        Some(code) => format!("{name} exit {code}"),
                        None => format!("{name} failed"),
                    });
                }
                _ => parts.push(format!("{name} {state}")),
            }
            continue;
        }
        match item.collector.as_str() {
            "kubernetes" => kubernetes_summary(item, findings, &mut parts),
            "database" => {
                let oldest = item
                    .data_as::<DatabaseData>()
                    .freshness
                    .iter()
                    .filter_map(|c| c.age_seconds)
                    .max();
                parts.push(match oldest {
                    // Reachable, not "ok": how old the data is is for the verdict to judge.
                    Some(age) => format!("{name} reachable (data age {})", human_duration(age)),
                    None => format!("{name} ok"),
                });
            }
            "redis" => parts.push(format!("{name} ok")),
            "command" => parts.push(format!("{name} exit 0")),
            _ => {}
        }
    }
    if parts.is_empty() {
        "nothing collected".into()
    } else {
        parts.join(", ")
    }
}

/// A namespace's part of the summary: its pods, cronjobs and failed jobs, with what the
/// findings said of them.
fn kubernetes_summary(item: &Item, findings: &[Finding], parts: &mut Vec<String>) {
    let data: NamespaceData = item.data_as();
    let pods = data.pods();
    let mut notes = Vec::new();
    let crash = pods
        .iter()
        .filter(|p| p.waiting() == "CrashLoopBackOff")
        .count();
    let not_ready = findings
        .iter()
        .filter(|f| f.subject.starts_with("pod/") && f.message.starts_with("not ready"))
        .count();
    if crash > 0 {
        notes.push(format!("{crash} CrashLoopBackOff"));
    }
    if not_ready > 0 {
        notes.push(format!("{not_ready} not ready"));
    }
    parts.push(counted(pods.len(), "pod", &notes));
    let cronjobs = data.cronjobs();
    if !cronjobs.is_empty() {
        let late: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.subject.starts_with("cronjob/") && f.message.starts_with("late"))
            .collect();
        let suspended = findings
            .iter()
            .filter(|f| f.subject.starts_with("cronjob/") && f.message == "suspended")
            .count();
        let mut notes = Vec::new();
        if let Some(first) = late.first() {
            let detail = first
                .message
                .split(" (schedule")
                .next()
                .unwrap_or("")
                .trim_start_matches("late: ");
            notes.push(format!("{} late: {detail}", late.len()));
        }
        if suspended > 0 {
            notes.push(format!("{suspended} suspended"));
        }
        parts.push(counted(cronjobs.len(), "cronjob", &notes));
    }
    let failed_jobs = findings
        .iter()
        .filter(|f| f.subject.starts_with("job/"))
        .count();
    if failed_jobs > 0 {
        parts.push(format!(
            "{failed_jobs} job{} failed",
            if failed_jobs == 1 { "" } else { "s" }
        ));
    }
}

fn counted(count: usize, what: &str, notes: &[String]) -> String {
    let plural = if count == 1 { "" } else { "s" };
    if notes.is_empty() {
        format!("{count} {what}{plural}")
    } else {
        format!("{count} {what}{plural} ({})", notes.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn t(s: &str) -> Timestamp {
        from_rfc3339(s).unwrap()
    }

    fn kube(data: Value) -> Item {
        Item::ok(
            "kubernetes",
            "crypto-data-collection",
            10,
            data,
            String::new(),
        )
    }

    #[test]
    fn a_cronjob_is_late_after_two_missed_runs() {
        let now = t("2026-11-29T12:00:00Z");
        assert_eq!(
            late("*/5 * * * *", Some(t("2026-11-29T11:55:00Z")), now),
            None
        );
        assert_eq!(
            late("*/5 * * * *", Some(t("2026-11-29T11:51:00Z")), now),
            None,
            "one run missed"
        );
        assert_eq!(
            late("*/5 * * * *", Some(t("2026-11-29T11:50:00Z")), now),
            None,
            "exactly twice the interval"
        );
        assert!(
            late("*/5 * * * *", Some(t("2026-11-29T11:49:59Z")), now).is_some(),
            "over twice the interval"
        );
        let five_days = late("*/5 * * * *", Some(t("2026-11-24T12:00:00Z")), now).unwrap();
        assert_eq!(five_days, "late: last run 5d ago (schedule */5 * * * *)");
        // Weekdays at 09:00: Friday's run is not late on Sunday.
        assert_eq!(
            late(
                "0 9 * * 1-5",
                Some(t("2026-11-27T09:00:00Z")),
                t("2026-11-29T12:00:00Z")
            ),
            None
        );
        assert!(late("@hourly", Some(t("2026-11-29T09:00:00Z")), now).is_some());
        assert_eq!(
            late("not a schedule", Some(t("2026-11-20T09:00:00Z")), now),
            None
        );
    }

    #[test]
    fn data_age_levels_are_strictly_over_the_guides_thresholds() {
        let th = DataAgeThresholds::default();
        assert_eq!(age_level(3_600, &th), None);
        assert_eq!(age_level(3_601, &th).map(|l| l.0), Some(Level::Info));
        assert_eq!(age_level(7_200, &th).map(|l| l.0), Some(Level::Info));
        assert_eq!(age_level(7_201, &th).map(|l| l.0), Some(Level::Warning));
        assert_eq!(age_level(14_400, &th).map(|l| l.0), Some(Level::Warning));
        assert_eq!(age_level(14_401, &th).map(|l| l.0), Some(Level::Critical));
    }

    #[test]
    fn findings_and_summary_of_the_guides_outage() {
        let now = t("2026-11-29T12:00:00Z");
        let pods = json!({"pods": [
            {"name": "materialized-updater-7f9", "phase": "Running", "ready": false, "restarts": 12,
             "waiting_reason": "CrashLoopBackOff", "last_termination_reason": "Error"},
            {"name": "enhanced-crypto-prices-1", "phase": "Running", "ready": true, "restarts": 0},
            {"name": "health-monitor-x", "phase": "Pending", "ready": false, "restarts": 0},
        ], "cronjobs": [
            {"name": "enhanced-crypto-prices-collector", "schedule": "*/5 * * * *", "suspended": false,
             "last_schedule": "2026-11-24T10:00:00Z"},
            {"name": "backup", "schedule": "0 3 * * *", "suspended": true, "last_schedule": null},
        ], "jobs": [
            {"name": "enhanced-crypto-prices-collector-1", "failed": 6, "active": 0, "completed_at": null,
             "failed_reason": "BackoffLimitExceeded"},
        ]});
        let db = Item::ok(
            "database",
            "crypto_prices",
            5,
            json!({"freshness": [{"name": "price_data.timestamp", "age_seconds": 5 * 86_400 + 2 * 3_600, "error": null}]}),
            String::new(),
        );
        let redis = Item::failed(
            "redis",
            "api-gateway",
            3,
            "connection refused (127.0.0.1:6379)",
        );
        let items = vec![kube(pods), db, redis];
        let previous = vec![kube(
            json!({"pods": [{"name": "materialized-updater-7f9", "restarts": 9}]}),
        )];
        let f = derive(&items, Some(&previous), now, &DataAgeThresholds::default());
        let lines: Vec<String> = f
            .iter()
            .map(|f| format!("{:?} {}: {}", f.level, f.subject, f.message))
            .collect();
        assert_eq!(
            lines,
            vec![
                "Critical pod/materialized-updater-7f9: CrashLoopBackOff (12 restarts, last exit: Error)",
                "Critical database/crypto_prices/price_data.timestamp: data age 5d 2h (over 4h)",
                "Critical redis/api-gateway: unreachable: connection refused (127.0.0.1:6379)",
                "Warning pod/materialized-updater-7f9: restarted 3 time(s) since the previous snapshot",
                "Warning pod/health-monitor-x: not ready (Pending)",
                "Warning cronjob/enhanced-crypto-prices-collector: late: last run 5d 2h ago (schedule */5 * * * *)",
                "Warning cronjob/backup: suspended",
                "Warning job/enhanced-crypto-prices-collector-1: failed (BackoffLimitExceeded)",
            ]
        );
        assert_eq!(
            summary(&items, &f),
            "3 pods (1 CrashLoopBackOff, 1 not ready), 2 cronjobs (1 late: last run 5d 2h ago, 1 suspended), 1 job failed, crypto_prices reachable (data age 5d 2h), api-gateway unreachable"
        );
    }
}
