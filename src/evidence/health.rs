//! The guide's health score (0–100) computed from a snapshot, and the severity it implies:
//! pure functions of the items, the settings and the time, so every boundary is unit-tested.
//!
//! The score starts at 100 and each signal costs at most its weight: the share of its targets
//! that are bad (pods not ready, cronjobs late, …), times the weight. Signals with nothing
//! configured to look at cost nothing. Severity is the stricter of the one the score implies
//! and the one the oldest data implies.

use crate::domain::model::Severity;
use crate::domain::time::{Timestamp, from_rfc3339, human_duration};
use crate::evidence::data::{DatabaseData, NamespaceData};
use crate::evidence::findings::{age_level, late};
use crate::evidence::settings::{Collectors, DataAgeThresholds};
use crate::evidence::snapshot::{Item, ItemStatus, Level};
use regex::Regex;
use serde::Serialize;

/// The points each signal can cost. The defaults add up to 100.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Weights {
    pub freshness: f64,
    pub pods: f64,
    pub cronjobs: f64,
    pub jobs: f64,
    pub databases: f64,
    pub redis: f64,
    pub commands: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            freshness: 40.0,
            pods: 20.0,
            cronjobs: 10.0,
            jobs: 5.0,
            databases: 10.0,
            redis: 5.0,
            commands: 10.0,
        }
    }
}

/// How health is judged; `[health]` in the config.
#[derive(Debug, Clone)]
pub struct HealthSettings {
    pub weights: Weights,
    /// A score below `below[0]` is P1, below `below[1]` P2, below `below[2]` P3.
    pub below: [f64; 3],
    /// Finds a score a command printed ("Health score: 72.5/100"); its first group is the
    /// number. None is DEFAULT_SCORE_PATTERN (see `score_pattern`).
    pub score_pattern: Option<Regex>,
    /// `check --open` says health recovered after this many healthy checks in a row.
    pub recover_after: u32,
}

pub const DEFAULT_SCORE_PATTERN: &str = r"(?i)health score\D{0,20}?(\d{1,3}(?:\.\d+)?)";

/// Compiled when a check first needs it: every command loads the settings, and compiling it
/// there cost each of them a millisecond (measured: a third of `incident search`'s start-up).
static DEFAULT_PATTERN: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
    Regex::new(DEFAULT_SCORE_PATTERN).expect("the default pattern is valid")
});

impl HealthSettings {
    pub fn score_pattern(&self) -> &Regex {
        self.score_pattern.as_ref().unwrap_or(&DEFAULT_PATTERN)
    }
}

impl Default for HealthSettings {
    fn default() -> Self {
        HealthSettings {
            weights: Weights::default(),
            below: [60.0, 80.0, 95.0],
            score_pattern: None,
            recover_after: 3,
        }
    }
}

impl PartialEq for HealthSettings {
    fn eq(&self, other: &Self) -> bool {
        self.weights == other.weights
            && self.below == other.below
            && self.score_pattern().as_str() == other.score_pattern().as_str()
            && self.recover_after == other.recover_after
    }
}

/// What one target of a signal cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cost {
    pub subject: String,
    pub points: f64,
    pub reason: String,
}

/// One signal's part of the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub name: &'static str,
    pub weight: f64,
    /// Points lost, at most `weight`.
    pub lost: f64,
    /// How many targets were looked at (pods, checks, databases …).
    pub targets: usize,
    pub costs: Vec<Cost>,
}

/// The verdict on one snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    /// 0–100, rounded to one decimal: the value shown is the value judged.
    pub score: f64,
    /// The stricter of `by_score` and `by_age`; `None` is healthy.
    pub severity: Option<Severity>,
    pub by_score: Option<Severity>,
    pub by_age: Option<Severity>,
    /// The oldest data any freshness check saw, in seconds.
    pub data_age: Option<i64>,
    /// The configured signals, in a fixed order.
    pub signals: Vec<Signal>,
}

impl Health {
    /// "P2 (score 72.5 below 80; data age 2h 10m over 2h)", or "healthy (score 100.0)".
    pub fn verdict(&self, settings: &HealthSettings, ages: &DataAgeThresholds) -> String {
        // Each clause with the severity it implies, the one that sets the verdict first:
        // `P2 (data age 3h over 2h: P2; score 90.0 below 95: P3)`.
        let mut why: Vec<(Option<Severity>, String)> = vec![match self.by_score {
            Some(s) => (
                Some(s),
                format!(
                    "score {:.1} below {}: {s}",
                    self.score,
                    settings.below[rank(s)]
                ),
            ),
            None => (None, format!("score {:.1}", self.score)),
        }];
        let over = self
            .by_age
            .and(self.data_age)
            .and_then(|age| age_level(age, ages).map(|(_, limit)| (age, limit)));
        if let (Some((age, limit)), Some(s)) = (over, self.by_age) {
            why.push((
                Some(s),
                format!(
                    "data age {} over {}: {s}",
                    human_duration(age),
                    human_duration(limit as i64)
                ),
            ));
        }
        // The most severe first (P1 < P2 < P3; a clause implying none last).
        why.sort_by_key(|(s, _)| s.map_or(usize::MAX, rank));
        let why: Vec<String> = why.into_iter().map(|(_, text)| text).collect();
        match self.severity {
            Some(s) => format!("{s} ({})", why.join("; ")),
            None => format!("healthy ({})", why.join("; ")),
        }
    }
}

fn rank(s: Severity) -> usize {
    match s {
        Severity::P1 => 0,
        Severity::P2 => 1,
        Severity::P3 => 2,
    }
}

/// Severity by score: strictly below each threshold.
pub fn severity_by_score(score: f64, below: &[f64; 3]) -> Option<Severity> {
    Severity::ALL.into_iter().find(|s| score < below[rank(*s)])
}

/// Severity by data age: strictly over each threshold (the guide's "over 4 hours").
pub fn severity_by_age(age_seconds: Option<i64>, t: &DataAgeThresholds) -> Option<Severity> {
    age_seconds
        .and_then(|age| age_level(age, t))
        .map(|(level, _)| match level {
            Level::Critical => Severity::P1,
            Level::Warning => Severity::P2,
            Level::Info => Severity::P3,
        })
}

/// The stricter of two severities (P1 is the strictest).
pub fn stricter(a: Option<Severity>, b: Option<Severity>) -> Option<Severity> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Share of a freshness check's weight lost at each data-age level.
fn age_fraction(level: Level) -> f64 {
    match level {
        Level::Info => 0.25,
        Level::Warning => 0.5,
        Level::Critical => 1.0,
    }
}

/// Scores a snapshot's items against what is configured (`collectors` says which targets
/// should be there: one that is missing or unreadable counts as bad).
pub fn assess(
    items: &[Item],
    collectors: &Collectors,
    settings: &HealthSettings,
    now: Timestamp,
) -> Health {
    let w = &settings.weights;
    let mut signals = Vec::new();
    let (freshness, data_age) = freshness(items, collectors);
    push(&mut signals, "freshness", w.freshness, freshness);
    if collectors.kubernetes.is_some() {
        let k = kubernetes(items, now);
        push(&mut signals, "pods", w.pods, k.pods);
        push(&mut signals, "cronjobs", w.cronjobs, k.cronjobs);
        push(&mut signals, "jobs", w.jobs, k.jobs);
    }
    let names = |v: Vec<&str>| v.into_iter().map(str::to_string).collect::<Vec<_>>();
    push(
        &mut signals,
        "databases",
        w.databases,
        reachable(
            items,
            "database",
            &names(
                collectors
                    .databases
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect(),
            ),
        ),
    );
    push(
        &mut signals,
        "redis",
        w.redis,
        reachable(
            items,
            "redis",
            &names(collectors.redis.iter().map(|r| r.name.as_str()).collect()),
        ),
    );
    push(
        &mut signals,
        "commands",
        w.commands,
        commands(items, collectors, settings.score_pattern()),
    );
    let lost: f64 = signals.iter().fold(0.0, |lost, s| lost + s.lost);
    let score = ((100.0 - lost).clamp(0.0, 100.0) * 10.0).round() / 10.0;
    let by_score = severity_by_score(score, &settings.below);
    let by_age = severity_by_age(data_age, &collectors.data_age);
    Health {
        score,
        severity: stricter(by_score, by_age),
        by_score,
        by_age,
        data_age,
        signals,
    }
}

/// A signal's targets: each one's badness in 0..=1, and why.
type Targets = Vec<(String, f64, String)>;

fn push(signals: &mut Vec<Signal>, name: &'static str, weight: f64, targets: Targets) {
    if targets.is_empty() {
        return;
    }
    let share = weight / targets.len() as f64;
    let costs: Vec<Cost> = targets
        .iter()
        .filter(|(_, bad, _)| *bad > 0.0)
        .map(|(subject, bad, reason)| Cost {
            subject: subject.clone(),
            points: share * bad.clamp(0.0, 1.0),
            reason: reason.clone(),
        })
        .collect();
    signals.push(Signal {
        name,
        weight,
        // A fold from +0.0: `Sum` of no floats is -0.0, which JSON prints as `-0.0`.
        lost: costs
            .iter()
            .fold(0.0, |lost, c| lost + c.points)
            .min(weight),
        targets: targets.len(),
        costs,
    });
}

fn find<'a>(items: &'a [Item], collector: &str, name: &str) -> Option<&'a Item> {
    items
        .iter()
        .find(|i| i.collector == collector && i.name == name)
}

fn unreadable(item: Option<&Item>) -> Option<String> {
    match item {
        None => Some("not collected".into()),
        Some(i) if i.status != ItemStatus::Ok => Some(match i.status {
            ItemStatus::Timeout => "no answer".into(),
            _ => format!("unreachable: {}", i.error.as_deref().unwrap_or("failed")),
        }),
        Some(_) => None,
    }
}

/// Every configured freshness check, and the oldest data age seen.
fn freshness(items: &[Item], collectors: &Collectors) -> (Targets, Option<i64>) {
    let mut out = Vec::new();
    let mut oldest: Option<i64> = None;
    for db in &collectors.databases {
        let item = find(items, "database", &db.name);
        let checks = item
            .map(Item::data_as::<DatabaseData>)
            .unwrap_or_default()
            .freshness;
        for check in &db.freshness {
            let subject = format!("database/{}/{}", db.name, check.name);
            if let Some(why) = unreadable(item) {
                out.push((subject, 1.0, format!("cannot tell: database {why}")));
                continue;
            }
            let seen = checks
                .iter()
                .find(|c| c.name.as_deref() == Some(check.name.as_str()));
            let Some(age) = seen.and_then(|c| c.age_seconds) else {
                let error = seen
                    .and_then(|c| c.error.as_deref())
                    .unwrap_or("no data age");
                out.push((subject, 1.0, format!("check failed: {error}")));
                continue;
            };
            oldest = Some(oldest.map_or(age, |o| o.max(age)));
            match age_level(age, &collectors.data_age) {
                Some((level, limit)) => out.push((
                    subject,
                    age_fraction(level),
                    format!(
                        "data age {} (over {})",
                        human_duration(age),
                        human_duration(limit as i64)
                    ),
                )),
                None => out.push((subject, 0.0, String::new())),
            }
        }
    }
    (out, oldest)
}

struct Kube {
    pods: Targets,
    cronjobs: Targets,
    jobs: Targets,
}

/// Pods, cronjobs and jobs of every namespace; a namespace that could not be read costs each
/// of the three as one bad target.
fn kubernetes(items: &[Item], now: Timestamp) -> Kube {
    let mut k = Kube {
        pods: Vec::new(),
        cronjobs: Vec::new(),
        jobs: Vec::new(),
    };
    for item in items.iter().filter(|i| i.collector == "kubernetes") {
        let ns = &item.name;
        if let Some(why) = unreadable(Some(item)) {
            let why = format!("namespace {ns} {why}");
            k.pods.push((format!("namespace/{ns}"), 1.0, why.clone()));
            k.cronjobs
                .push((format!("namespace/{ns}"), 1.0, why.clone()));
            k.jobs.push((format!("namespace/{ns}"), 1.0, why));
            continue;
        }
        let data: NamespaceData = item.data_as();
        for pod in data.pods() {
            let phase = pod.phase();
            // Finished pods (a job's) are not meant to be ready.
            if phase == "Succeeded" || phase == "Failed" {
                continue;
            }
            let reason = match (pod.ready, pod.waiting()) {
                (true, _) => String::new(),
                (false, "") => format!("not ready ({phase})"),
                (false, w) => format!("not ready ({phase}, {w})"),
            };
            k.pods.push((
                format!("pod/{}", pod.name()),
                if pod.ready { 0.0 } else { 1.0 },
                reason,
            ));
        }
        for cj in data.cronjobs() {
            let subject = format!("cronjob/{}", cj.name());
            let last = cj.last_schedule.as_deref().and_then(from_rfc3339);
            let schedule = cj.schedule.as_deref().unwrap_or_default();
            if cj.suspended == Some(true) {
                k.cronjobs.push((subject, 1.0, "suspended".into()));
            } else if let Some(why) = late(schedule, last, now) {
                k.cronjobs.push((subject, 1.0, why));
            } else {
                k.cronjobs.push((subject, 0.0, String::new()));
            }
        }
        for job in data.jobs() {
            let failing = job.gave_up();
            let reason = match job.failed_reason.as_deref().unwrap_or_default() {
                "" => "failed".to_string(),
                r => format!("failed ({r})"),
            };
            k.jobs.push((
                format!("job/{}", job.name()),
                if failing { 1.0 } else { 0.0 },
                if failing { reason } else { String::new() },
            ));
        }
    }
    k
}

fn reachable(items: &[Item], collector: &str, names: &[String]) -> Targets {
    names
        .iter()
        .map(|name| {
            let subject = format!("{collector}/{name}");
            match unreadable(find(items, collector, name)) {
                Some(why) => (subject, 1.0, why),
                None => (subject, 0.0, String::new()),
            }
        })
        .collect()
}

/// A command that printed a score costs in proportion to it; otherwise a failure costs all.
fn commands(items: &[Item], collectors: &Collectors, pattern: &Regex) -> Targets {
    collectors
        .commands
        .iter()
        .map(|c| {
            let subject = format!("command/{}", c.name);
            let item = find(items, "command", &c.name);
            let printed = item
                .filter(|i| i.status != ItemStatus::Timeout)
                .and_then(|i| printed_score(&i.raw, pattern));
            if let Some(score) = printed {
                let bad = ((100.0 - score) / 100.0).clamp(0.0, 1.0);
                return (subject, bad, format!("printed health score {score}"));
            }
            match item {
                Some(i) if i.status == ItemStatus::Ok => (subject, 0.0, String::new()),
                Some(i) => (
                    subject,
                    1.0,
                    i.error.clone().unwrap_or_else(|| "failed".into()),
                ),
                None => (subject, 1.0, "not collected".into()),
            }
        })
        .collect()
}

/// The last score the output printed (a script printing progress ends with its verdict).
pub fn printed_score(output: &str, pattern: &Regex) -> Option<f64> {
    pattern
        .captures_iter(output)
        .filter_map(|c| c.get(1)?.as_str().parse::<f64>().ok())
        .filter(|s| (0.0..=100.0).contains(s))
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::settings::{DatabaseSettings, FreshnessCheck, FreshnessSource, Returns};
    use crate::evidence::snapshot::Item;
    use serde_json::json;
    use std::time::Duration;

    fn now() -> Timestamp {
        from_rfc3339("2026-11-29T10:00:00Z").unwrap()
    }

    fn below() -> [f64; 3] {
        HealthSettings::default().below
    }

    #[test]
    fn score_thresholds_are_strictly_below() {
        let b = below();
        assert_eq!(severity_by_score(59.9, &b), Some(Severity::P1));
        assert_eq!(severity_by_score(60.0, &b), Some(Severity::P2));
        assert_eq!(severity_by_score(79.9, &b), Some(Severity::P2));
        assert_eq!(severity_by_score(80.0, &b), Some(Severity::P3));
        assert_eq!(severity_by_score(94.9, &b), Some(Severity::P3));
        assert_eq!(severity_by_score(95.0, &b), None);
        assert_eq!(severity_by_score(0.0, &b), Some(Severity::P1));
        assert_eq!(severity_by_score(100.0, &b), None);
    }

    #[test]
    fn age_thresholds_are_strictly_over() {
        let t = DataAgeThresholds::default();
        assert_eq!(severity_by_age(None, &t), None);
        assert_eq!(severity_by_age(Some(3_600), &t), None);
        assert_eq!(severity_by_age(Some(3_601), &t), Some(Severity::P3));
        assert_eq!(severity_by_age(Some(7_200), &t), Some(Severity::P3));
        assert_eq!(severity_by_age(Some(7_201), &t), Some(Severity::P2));
        assert_eq!(severity_by_age(Some(14_400), &t), Some(Severity::P2));
        assert_eq!(severity_by_age(Some(14_401), &t), Some(Severity::P1));
    }

    #[test]
    fn the_stricter_severity_wins() {
        use Severity::*;
        assert_eq!(stricter(Some(P3), Some(P1)), Some(P1));
        assert_eq!(stricter(Some(P2), None), Some(P2));
        assert_eq!(stricter(None, Some(P3)), Some(P3));
        assert_eq!(stricter(None, None), None);
    }

    fn one_check(name: &str) -> Collectors {
        Collectors {
            databases: vec![DatabaseSettings {
                name: "prices".into(),
                url: "mysql://x@127.0.0.1/test".into(),
                timeout: Duration::from_secs(1),
                freshness: vec![FreshnessCheck {
                    name: name.into(),
                    source: FreshnessSource::Column {
                        table: "t".into(),
                        column: "ts".into(),
                    },
                    returns: Returns::Timestamp,
                }],
            }],
            ..Collectors::default()
        }
    }

    fn db_item(age: i64) -> Item {
        Item::ok(
            "database",
            "prices",
            3,
            json!({"freshness": [{"name": "t.ts", "age_seconds": age}]}),
            String::new(),
        )
    }

    fn assess_age(age: i64) -> Health {
        assess(
            &[db_item(age)],
            &one_check("t.ts"),
            &HealthSettings::default(),
            now(),
        )
    }

    #[test]
    fn data_age_costs_freshness_points_and_sets_severity() {
        let h = assess_age(3_600);
        assert_eq!((h.score, h.severity), (100.0, None));
        let h = assess_age(3_601);
        assert_eq!((h.score, h.severity), (90.0, Some(Severity::P3)));
        let h = assess_age(7_201);
        // 80 is not below 80: the age makes it P2.
        assert_eq!(
            (h.score, h.by_score, h.severity),
            (80.0, Some(Severity::P3), Some(Severity::P2))
        );
        let h = assess_age(14_401);
        assert_eq!(
            (h.score, h.by_score, h.severity),
            (60.0, Some(Severity::P2), Some(Severity::P1))
        );
        assert_eq!(h.data_age, Some(14_401));
        let f = &h.signals[0];
        assert_eq!((f.name, f.lost, f.targets), ("freshness", 40.0, 1));
        assert_eq!(f.costs[0].subject, "database/prices/t.ts");
        let expected = format!("data age {} (over 4h)", human_duration(14_401));
        assert_eq!(f.costs[0].reason, expected);
    }

    #[test]
    fn an_unreachable_database_costs_its_checks_and_itself() {
        let item = Item::failed("database", "prices", 5, "connection refused");
        let h = assess(
            &[item],
            &one_check("t.ts"),
            &HealthSettings::default(),
            now(),
        );
        assert_eq!(h.score, 50.0);
        assert_eq!(h.severity, Some(Severity::P1));
        assert_eq!(h.data_age, None);
        let names: Vec<_> = h.signals.iter().map(|s| (s.name, s.lost)).collect();
        assert_eq!(names, [("freshness", 40.0), ("databases", 10.0)]);
    }

    #[test]
    fn pods_cost_the_share_not_ready_and_finished_pods_do_not_count() {
        let collectors = Collectors {
            kubernetes: Some(crate::evidence::settings::KubeSettings {
                context: None,
                kubeconfig: None,
                namespaces: vec!["ns".into()],
                logs: vec![],
                timeout: Duration::from_secs(1),
            }),
            ..Collectors::default()
        };
        let pods = json!({"pods": [
            {"name": "a", "phase": "Running", "ready": true},
            {"name": "b", "phase": "Running", "ready": false, "waiting_reason": "CrashLoopBackOff"},
            {"name": "c", "phase": "Running", "ready": true},
            {"name": "d", "phase": "Running", "ready": true},
            {"name": "job-x", "phase": "Succeeded", "ready": false},
        ], "cronjobs": [
            {"name": "hourly", "schedule": "0 * * * *", "suspended": false,
             "last_schedule": "2026-11-29T09:00:00Z"},
            {"name": "stale", "schedule": "0 * * * *", "suspended": false,
             "last_schedule": "2026-11-28T09:00:00Z"},
        ], "jobs": [
            {"name": "j1", "failed": 3, "active": 0, "completed_at": null, "failed_reason": "BackoffLimitExceeded"},
        ]});
        let item = Item::ok("kubernetes", "ns", 2, pods, String::new());
        let h = assess(&[item], &collectors, &HealthSettings::default(), now());
        let lost: Vec<_> = h
            .signals
            .iter()
            .map(|s| (s.name, s.lost, s.targets))
            .collect();
        assert_eq!(
            lost,
            [("pods", 5.0, 4), ("cronjobs", 5.0, 2), ("jobs", 5.0, 1)]
        );
        assert_eq!(h.score, 85.0);
        assert_eq!(
            h.signals[0].costs[0].reason,
            "not ready (Running, CrashLoopBackOff)"
        );
        assert_eq!(
            h.signals[2].costs[0].reason,
            "failed (BackoffLimitExceeded)"
        );
        assert!(h.signals[1].costs[0].reason.starts_with("late: last run"));

        let down = Item::failed("kubernetes", "ns", 2, "connection refused");
        let h = assess(&[down], &collectors, &HealthSettings::default(), now());
        assert_eq!(h.score, 65.0);
    }

    #[test]
    fn a_command_that_prints_a_score_costs_in_proportion() {
        let collectors = Collectors {
            commands: vec![crate::evidence::settings::CommandSettings {
                name: "ml".into(),
                run: vec!["true".into()],
                timeout: Duration::from_secs(1),
                max_output: 1024,
            }],
            ..Collectors::default()
        };
        let settings = HealthSettings::default();
        let run = |status: ItemStatus, raw: &str| {
            let mut item = Item::ok("command", "ml", 1, json!({}), raw.into());
            item.status = status;
            item.error = (status != ItemStatus::Ok).then(|| "exit code 1".into());
            assess(&[item], &collectors, &settings, now())
        };
        assert_eq!(run(ItemStatus::Ok, "all good\n").score, 100.0);
        assert_eq!(run(ItemStatus::Failed, "boom\n").score, 90.0);
        let h = run(
            ItemStatus::Failed,
            "Health score: 40/100\nOverall health score = 50\n",
        );
        assert_eq!(h.score, 95.0);
        assert_eq!(h.signals[0].costs[0].reason, "printed health score 50");
        assert_eq!(run(ItemStatus::Timeout, "Health score: 99").score, 90.0);
    }

    #[test]
    fn printed_scores_out_of_range_are_ignored() {
        let settings = HealthSettings::default();
        let p = settings.score_pattern();
        assert_eq!(printed_score("health score: 250", p), None);
        assert_eq!(printed_score("HEALTH SCORE 87.5%", p), Some(87.5));
        assert_eq!(printed_score("no score here 42", p), None);
    }

    #[test]
    fn nothing_configured_is_healthy() {
        let h = assess(
            &[],
            &Collectors::default(),
            &HealthSettings::default(),
            now(),
        );
        assert_eq!((h.score, h.severity, h.signals.len()), (100.0, None, 0));
    }

    #[test]
    fn verdict_names_both_reasons() {
        let h = assess_age(14_401);
        let v = h.verdict(&HealthSettings::default(), &DataAgeThresholds::default());
        // The age sets it (P1); the score alone would be P2: each clause says which.
        assert_eq!(
            v,
            format!(
                "P1 (data age {} over 4h: P1; score 60.0 below 80: P2)",
                human_duration(14_401)
            )
        );
        let h = assess_age(10);
        assert_eq!(
            h.verdict(&HealthSettings::default(), &DataAgeThresholds::default()),
            "healthy (score 100.0)"
        );
    }
}
