//! The alert intake's decisions, pure: Alertmanager's webhook payload (version "4", and
//! Grafana's Alertmanager-shaped version "1"), read and checked; the severity an alert group
//! implies; what changed since the group was last seen; and what to do with the incident the
//! group belongs to. `app::intake` loads and writes; this only decides.

use crate::domain::model::{Number, Severity};
use crate::domain::time::Timestamp;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

pub type Labels = BTreeMap<String, String>;

/// The longest title an alert gives an incident, in characters.
pub const MAX_TITLE: usize = 120;

/// An alert's or a group's state as Alertmanager sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Firing,
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Firing => "firing",
            AlertStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<AlertStatus> {
        match s {
            "firing" => Some(AlertStatus::Firing),
            "resolved" => Some(AlertStatus::Resolved),
            _ => None,
        }
    }
}

/// One alert of a notification. Fields Alertmanager or Grafana add beyond these are ignored.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Alert {
    pub status: AlertStatus,
    pub labels: Labels,
    #[serde(default)]
    pub annotations: Labels,
    #[serde(rename = "startsAt")]
    pub starts_at: Timestamp,
    /// Alertmanager sends `0001-01-01T00:00:00Z` for a firing alert: [`Alert::ended`] reads it
    /// as no end.
    #[serde(rename = "endsAt", default)]
    pub ends_at: Option<Timestamp>,
    #[serde(rename = "generatorURL", default)]
    pub generator_url: String,
    #[serde(default)]
    pub fingerprint: String,
}

impl Alert {
    /// When it ended, if it has: the zero time Alertmanager sends for "not yet" is none.
    pub fn ended(&self) -> Option<Timestamp> {
        use chrono::Datelike;
        self.ends_at.filter(|t| t.year() > 1)
    }

    /// The key it is known by within its group: Alertmanager's fingerprint, else its labels.
    pub fn key(&self) -> String {
        if self.fingerprint.is_empty() {
            serde_json::to_string(&self.labels).unwrap_or_default()
        } else {
            self.fingerprint.clone()
        }
    }

    /// How the timeline names it: the alert name and the labels that set it apart in its group.
    pub fn name(&self, common: &Labels) -> String {
        let alertname = self.labels.get("alertname").map_or("alert", String::as_str);
        let own: Vec<String> = self
            .labels
            .iter()
            .filter(|(k, v)| k.as_str() != "alertname" && common.get(*k) != Some(*v))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if own.is_empty() {
            alertname.to_string()
        } else {
            format!("{alertname} {{{}}}", own.join(", "))
        }
    }
}

/// One webhook notification: the whole alert group, every time.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Notification {
    pub version: String,
    pub receiver: String,
    pub status: AlertStatus,
    #[serde(rename = "groupKey")]
    pub group_key: String,
    #[serde(rename = "truncatedAlerts", default)]
    pub truncated_alerts: u64,
    #[serde(rename = "commonLabels", default)]
    pub common_labels: Labels,
    #[serde(rename = "commonAnnotations", default)]
    pub common_annotations: Labels,
    #[serde(rename = "externalURL", default)]
    pub external_url: String,
    pub alerts: Vec<Alert>,
}

/// Why a notification is refused (a 4xx, nothing written): one line each.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PayloadError {
    #[error("malformed JSON: {0}")]
    Malformed(String),
    #[error("unknown payload version {0:?}: Alertmanager's \"4\" and Grafana's \"1\" are accepted")]
    UnknownVersion(String),
    #[error("not an Alertmanager notification: {0}")]
    Invalid(String),
}

/// Reads a webhook body.
pub fn parse(body: &[u8]) -> Result<Notification, PayloadError> {
    let one_line = |s: String| s.replace(['\n', '\r'], " ");
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| PayloadError::Malformed(one_line(e.to_string())))?;
    let version = match value.get("version") {
        Some(serde_json::Value::String(v)) => v.clone(),
        Some(other) => return Err(PayloadError::UnknownVersion(other.to_string())),
        None => return Err(PayloadError::Invalid("missing field `version`".into())),
    };
    if version != "4" && version != "1" {
        return Err(PayloadError::UnknownVersion(version));
    }
    let n: Notification = serde_json::from_value(value)
        .map_err(|e| PayloadError::Invalid(one_line(e.to_string())))?;
    if n.receiver.is_empty() || n.group_key.is_empty() {
        return Err(PayloadError::Invalid(
            "receiver and groupKey must not be empty".into(),
        ));
    }
    if n.alerts.is_empty() {
        return Err(PayloadError::Invalid("alerts is empty".into()));
    }
    Ok(n)
}

/// `[intake.severity]`: the `severity` label's values and the severity each means.
#[derive(Debug, Clone, PartialEq)]
pub struct SeverityMap {
    /// Keys in lower case.
    pub table: BTreeMap<String, Severity>,
    /// For an alert without a `severity` label, or with one the table does not name.
    pub default: Severity,
}

impl Default for SeverityMap {
    fn default() -> Self {
        SeverityMap {
            table: [
                ("critical", Severity::P1),
                ("error", Severity::P2),
                ("warning", Severity::P3),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
            default: Severity::P3,
        }
    }
}

impl SeverityMap {
    pub fn of(&self, alert: &Alert) -> Severity {
        alert
            .labels
            .get("severity")
            .and_then(|s| self.table.get(&s.trim().to_ascii_lowercase()))
            .copied()
            .unwrap_or(self.default)
    }

    /// The most severe of the firing alerts (of all of them when none fires).
    pub fn of_group(&self, n: &Notification) -> Severity {
        let firing = n.alerts.iter().filter(|a| a.status == AlertStatus::Firing);
        firing
            .map(|a| self.of(a))
            .min()
            .or_else(|| n.alerts.iter().map(|a| self.of(a)).min())
            .unwrap_or(self.default)
    }
}

/// The incident's title: `commonAnnotations.summary`, else `commonLabels.alertname`, else the
/// first alert's name; at most [`MAX_TITLE`] characters.
pub fn title(n: &Notification) -> String {
    let text = n
        .common_annotations
        .get("summary")
        .or_else(|| n.common_labels.get("alertname"))
        .or_else(|| n.alerts.first().and_then(|a| a.labels.get("alertname")))
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("alert group {}", n.group_key));
    if text.chars().count() <= MAX_TITLE {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_TITLE.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The incident's description: the group's common description (or each alert's description
/// or summary), then where it came from.
pub fn description(n: &Notification) -> String {
    let mut lines = Vec::new();
    if let Some(d) = n.common_annotations.get("description") {
        lines.push(d.trim().to_string());
    } else {
        for a in &n.alerts {
            if let Some(d) = a
                .annotations
                .get("description")
                .or(a.annotations.get("summary"))
            {
                lines.push(format!("{}: {}", a.name(&n.common_labels), d.trim()));
            }
        }
    }
    let mut from = format!(
        "Alertmanager receiver {}, group {}",
        n.receiver, n.group_key
    );
    if !n.external_url.is_empty() {
        from.push_str(&format!(" ({})", n.external_url));
    }
    lines.push(from);
    lines.join("\n")
}

/// What a notification changes in what the group's incident knows.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertChange {
    /// The alert at this index of the notification started firing (new, or firing again).
    Firing(usize),
    /// The alert at this index resolved.
    Resolved(usize),
    /// Alertmanager left this many alerts out (it was that many before).
    Truncated { was: u64, now: u64 },
}

/// The changes of `n` against the alerts known (key -> last status) and the truncated count
/// known: nothing for a resend.
pub fn changes(
    known: &BTreeMap<String, AlertStatus>,
    known_truncated: u64,
    n: &Notification,
) -> Vec<AlertChange> {
    let mut out = Vec::new();
    for (i, alert) in n.alerts.iter().enumerate() {
        let was = known.get(&alert.key()).copied();
        match (was, alert.status) {
            (Some(AlertStatus::Firing), AlertStatus::Firing)
            | (None | Some(AlertStatus::Resolved), AlertStatus::Resolved) => {}
            (_, AlertStatus::Firing) => out.push(AlertChange::Firing(i)),
            (Some(AlertStatus::Firing), AlertStatus::Resolved) => {
                out.push(AlertChange::Resolved(i))
            }
        }
    }
    if known_truncated != n.truncated_alerts {
        out.push(AlertChange::Truncated {
            was: known_truncated,
            now: n.truncated_alerts,
        });
    }
    out
}

/// The timeline's line for a change.
pub fn change_text(n: &Notification, change: &AlertChange) -> String {
    let summary = |a: &Alert| {
        a.annotations
            .get("summary")
            .or(a.annotations.get("description"))
            .map(|s| format!(": {}", s.trim()))
            .unwrap_or_default()
    };
    match change {
        AlertChange::Firing(i) => {
            let a = &n.alerts[*i];
            format!("alert firing: {}{}", a.name(&n.common_labels), summary(a))
        }
        AlertChange::Resolved(i) => {
            let a = &n.alerts[*i];
            format!("alert resolved: {}", a.name(&n.common_labels))
        }
        AlertChange::Truncated { was, now } => format!(
            "Alertmanager left {now} alert(s) of the group out of its notification (was {was})"
        ),
    }
}

/// Where the group's incident stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Prior {
    /// The group has no incident yet.
    None,
    /// OPEN or INVESTIGATING.
    Unresolved,
    Resolved {
        at: Timestamp,
        number: Number,
    },
    Closed {
        number: Number,
    },
    /// Cancelled as noise (`incident cancel`).
    Cancelled {
        number: Number,
    },
}

/// What to do with a notification.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// Nothing to record (a resolved group nobody opened an incident for).
    Ignore,
    /// Record the changes on the group's incident.
    Update,
    /// Reopen the group's RESOLVED incident, then record the changes.
    Reopen,
    /// Open a new incident, naming the previous one when there is one.
    Open { previous: Option<Number> },
    /// Keep the alerts' state and record nothing in the timeline.
    Absorb,
}

/// Decides what a notification does. `group_resolved`: the group was last seen resolved;
/// `starts_firing`: an alert starts firing with it.
pub fn decide(
    prior: Prior,
    n: &Notification,
    group_resolved: bool,
    starts_firing: bool,
    now: Timestamp,
    reopen_window: Duration,
) -> Action {
    let firing = n.status == AlertStatus::Firing;
    let fires_again = firing && (group_resolved || starts_firing);
    match prior {
        Prior::None if firing => Action::Open { previous: None },
        Prior::None => Action::Ignore,
        Prior::Unresolved => Action::Update,
        Prior::Resolved { at, number } if fires_again => {
            let within =
                now.signed_duration_since(at).to_std().unwrap_or_default() <= reopen_window;
            if within {
                Action::Reopen
            } else {
                Action::Open {
                    previous: Some(number),
                }
            }
        }
        Prior::Resolved { .. } => Action::Update,
        Prior::Closed { number } if fires_again => Action::Open {
            previous: Some(number),
        },
        Prior::Cancelled { number } if firing && group_resolved => Action::Open {
            previous: Some(number),
        },
        Prior::Closed { .. } | Prior::Cancelled { .. } => Action::Absorb,
    }
}

/// When the group's last alert ended: the latest `endsAt`.
pub fn last_end(n: &Notification) -> Option<Timestamp> {
    n.alerts.iter().filter_map(Alert::ended).max()
}

/// The earliest `startsAt`: when the impact began.
pub fn first_start(n: &Notification) -> Option<Timestamp> {
    n.alerts.iter().map(|a| a.starts_at).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRING: &str =
        include_str!("../../tests/it/fixtures/alertmanager/01-firing-1alerts.json");
    const TWO: &str = include_str!("../../tests/it/fixtures/alertmanager/02-firing-2alerts.json");
    const RESOLVED: &str =
        include_str!("../../tests/it/fixtures/alertmanager/03-resolved-2alerts.json");

    fn body(recorded: &str) -> Notification {
        let v: serde_json::Value = serde_json::from_str(recorded).unwrap();
        parse(v["body"].to_string().as_bytes()).unwrap()
    }

    fn known(n: &Notification) -> BTreeMap<String, AlertStatus> {
        n.alerts.iter().map(|a| (a.key(), a.status)).collect()
    }

    #[test]
    fn recorded_payloads_parse() {
        let n = body(FIRING);
        assert_eq!(n.receiver, "incident");
        assert_eq!(n.group_key, "{}:{alertname=\"DataCollectionStale\"}");
        assert_eq!(n.alerts.len(), 1);
        assert_eq!(n.alerts[0].ended(), None, "the zero endsAt is no end");
        assert_eq!(title(&n), "No new rows in price_data for 2h");
        let r = body(RESOLVED);
        assert_eq!(r.status, AlertStatus::Resolved);
        assert!(last_end(&r).is_some());
    }

    #[test]
    fn refusals_say_why_in_one_line() {
        assert!(matches!(
            parse(b"{not json"),
            Err(PayloadError::Malformed(_))
        ));
        let v = |s: &str| parse(s.as_bytes()).unwrap_err();
        assert!(matches!(
            v(r#"{"version":"3"}"#),
            PayloadError::UnknownVersion(_)
        ));
        assert!(matches!(
            v(r#"{"version":4}"#),
            PayloadError::UnknownVersion(_)
        ));
        let e = v(r#"{"version":"4","receiver":"r","status":"firing","alerts":[]}"#);
        assert!(e.to_string().contains("groupKey"), "{e}");
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn the_most_severe_firing_alert_sets_the_severity() {
        let map = SeverityMap::default();
        let mut n = body(TWO);
        assert_eq!(map.of_group(&n), Severity::P1);
        n.alerts[0]
            .labels
            .insert("severity".into(), "warning".into());
        n.alerts[1].labels.insert("severity".into(), "Error".into());
        assert_eq!(map.of_group(&n), Severity::P2);
        n.alerts[1].status = AlertStatus::Resolved;
        assert_eq!(
            map.of_group(&n),
            Severity::P3,
            "resolved alerts do not count"
        );
        n.alerts[0]
            .labels
            .insert("severity".into(), "page-me".into());
        assert_eq!(
            map.of_group(&n),
            map.default,
            "unknown values take the default"
        );
    }

    #[test]
    fn a_resend_changes_nothing_and_a_joining_alert_does() {
        let one = body(FIRING);
        let two = body(TWO);
        assert!(changes(&known(&one), 0, &one).is_empty());
        assert_eq!(changes(&known(&one), 0, &two), vec![AlertChange::Firing(1)]);
        let resolved = body(RESOLVED);
        assert_eq!(
            changes(&known(&two), 0, &resolved),
            vec![AlertChange::Resolved(0), AlertChange::Resolved(1)]
        );
        assert!(changes(&known(&resolved), 0, &resolved).is_empty());
        let mut truncated = two.clone();
        truncated.truncated_alerts = 3;
        assert_eq!(
            changes(&known(&two), 0, &truncated),
            vec![AlertChange::Truncated { was: 0, now: 3 }]
        );
        assert_eq!(
            change_text(&two, &AlertChange::Firing(1)),
            "alert firing: DataCollectionStale {instance=collector-1}: No new rows in price_data for 2h"
        );
    }

    #[test]
    fn titles_are_capped() {
        let mut n = body(FIRING);
        n.common_annotations
            .insert("summary".into(), "x".repeat(300));
        assert_eq!(title(&n).chars().count(), MAX_TITLE);
        n.common_annotations.clear();
        assert_eq!(title(&n), "DataCollectionStale");
    }

    #[test]
    fn decisions() {
        let firing = body(FIRING);
        let resolved = body(RESOLVED);
        let now: Timestamp = "2026-12-05T12:00:00Z".parse().unwrap();
        let hour = Duration::from_secs(3600);
        let n7 = Number(7);
        let d = |p, n, gr, sf| decide(p, n, gr, sf, now, hour);
        assert_eq!(
            d(Prior::None, &firing, false, true),
            Action::Open { previous: None }
        );
        assert_eq!(d(Prior::None, &resolved, false, false), Action::Ignore);
        assert_eq!(d(Prior::Unresolved, &firing, false, false), Action::Update);
        let recent = Prior::Resolved {
            at: "2026-12-05T11:30:00Z".parse().unwrap(),
            number: n7,
        };
        let old = Prior::Resolved {
            at: "2026-12-05T10:30:00Z".parse().unwrap(),
            number: n7,
        };
        assert_eq!(d(recent, &firing, true, true), Action::Reopen);
        assert_eq!(
            d(recent, &firing, false, false),
            Action::Update,
            "resolved by a person while firing"
        );
        assert_eq!(
            d(old, &firing, true, true),
            Action::Open { previous: Some(n7) }
        );
        assert_eq!(
            d(Prior::Closed { number: n7 }, &firing, true, true),
            Action::Open { previous: Some(n7) }
        );
        let cancelled = Prior::Cancelled { number: n7 };
        assert_eq!(d(cancelled, &firing, false, true), Action::Absorb);
        assert_eq!(d(cancelled, &resolved, false, false), Action::Absorb);
        assert_eq!(
            d(cancelled, &firing, true, true),
            Action::Open { previous: Some(n7) }
        );
    }
}
