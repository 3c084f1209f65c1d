//! The terms an SLA clock runs under — its target and its calendar — as recorded by the event
//! that started or changed it (`Detail::terms`: the opening, a severity change, a
//! resolution), so that a later change of the config does not rewrite the deadlines of
//! incidents recorded under the old one. An incident recorded before terms were (version 20)
//! has none in its timeline, and its clocks follow the config; `sla explain` says so.
//!
//! [`Rules`] is what `sla::due` judged each clock by, stored with the deadlines, so that a
//! reader holding only the incident (a paused clock's time left, `show`, `--json`) knows the
//! target and calendar too.

use crate::domain::calendar::Calendar;
use crate::domain::event::{Detail, Event, EventKind};
use crate::domain::model::{Incident, Severity, Status};
use crate::domain::sla::{Policy, whole};
use crate::domain::time::Timestamp;

/// Targets (whole seconds) and the calendar they count on, as one event recorded them: the
/// respond and fix targets of a severity, or the post-mortem target.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Terms {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respond_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postmortem_seconds: Option<u64>,
    /// None: 24x7.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<Calendar>,
}

/// What one clock was judged by.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    pub target_seconds: u64,
    /// None: 24x7.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<Calendar>,
    /// Whether the timeline recorded these terms; false for an incident recorded before
    /// terms were, whose clocks follow the config.
    pub recorded: bool,
}

/// The rule of each clock, stored with the deadlines (`incidents.clock_rules`). Empty until
/// `sla::due` judges the incident.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Rules {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respond: Option<Rule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve: Option<Rule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postmortem: Option<Rule>,
}

impl Policy {
    /// The respond and fix terms of `severity` for clocks starting at `from`.
    pub fn terms(&self, severity: Severity, from: Timestamp) -> Terms {
        let target = self.target(severity);
        Terms {
            respond_seconds: Some(whole(target.respond).as_secs()),
            resolve_seconds: Some(whole(target.resolve).as_secs()),
            postmortem_seconds: None,
            calendar: self.calendar(severity).map(|c| c.recorded_from(from)),
        }
    }

    /// The post-mortem terms for a clock starting at `from`.
    pub fn postmortem_terms(&self, from: Timestamp) -> Terms {
        Terms {
            postmortem_seconds: Some(whole(self.postmortem).as_secs()),
            calendar: self
                .postmortem_calendar
                .as_ref()
                .map(|c| c.recorded_from(from)),
            ..Terms::default()
        }
    }
}

/// Records in `event` the terms it starts or changes a clock with under `policy`: an opening
/// or a severity change the respond and fix terms of its severity (their clocks run from
/// `detected_at`), a resolution the post-mortem terms. Other events are left as they are.
pub fn stamp(event: &mut Event, detected_at: Timestamp, policy: &Policy) {
    let severity = || {
        event
            .new
            .as_deref()
            .and_then(|s| s.parse::<Severity>().ok())
    };
    let terms = match event.kind {
        EventKind::Opened | EventKind::Severity => severity().map(|s| policy.terms(s, detected_at)),
        EventKind::Status if event.new.as_deref() == Some(Status::Resolved.as_str()) => {
            Some(policy.postmortem_terms(event.at))
        }
        _ => None,
    };
    if let Some(terms) = terms {
        event.detail.get_or_insert_with(Detail::default).terms = Some(terms);
    }
}

fn recorded(e: &Event) -> Option<&Terms> {
    e.detail.as_ref().and_then(|d| d.terms.as_ref())
}

/// Which clock a rule is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Of {
    Respond,
    Resolve,
}

/// The event that set the severity in force at `t` (`None`: now), by the events' times as
/// `sla::severity_at` reads them: the last severity change dated at or before `t`, else the
/// opening.
pub fn severity_source(events: &[Event], t: Option<Timestamp>) -> Option<&Event> {
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == EventKind::Severity && t.is_none_or(|t| e.at <= t))
        .max_by_key(|(n, e)| (e.at, *n))
        .map(|(_, e)| e)
        .or_else(|| events.iter().find(|e| e.kind == EventKind::Opened))
}

/// The respond or fix rule set by `source` (an opening or a severity change) for a clock that
/// started at `start` at `severity`: the terms it recorded, else — an event recorded before
/// terms — the policy's for the severity.
pub fn rule_of(
    source: Option<&Event>,
    of: Of,
    severity: Severity,
    policy: &Policy,
    start: Timestamp,
) -> Rule {
    let pick = |t: &Terms| match of {
        Of::Respond => t.respond_seconds,
        Of::Resolve => t.resolve_seconds,
    };
    let terms = source.and_then(recorded);
    if let Some((terms, seconds)) = terms.and_then(|t| pick(t).map(|s| (t, s))) {
        return Rule {
            target_seconds: seconds,
            calendar: terms.calendar.clone(),
            recorded: true,
        };
    }
    let target = policy.target(severity);
    Rule {
        target_seconds: whole(match of {
            Of::Respond => target.respond,
            Of::Resolve => target.resolve,
        })
        .as_secs(),
        calendar: policy.calendar(severity).map(|c| c.recorded_from(start)),
        recorded: false,
    }
}

/// The respond or fix rule of `incident`'s clock that stops at `stop`: set by the event that
/// set the severity in force then (or now, while it runs).
pub fn clock_rule(
    incident: &Incident,
    events: &[Event],
    policy: &Policy,
    of: Of,
    stop: Option<Timestamp>,
) -> Rule {
    let severity = match stop {
        Some(t) => crate::domain::sla::severity_at(incident, events, t),
        None => incident.severity,
    };
    let source = severity_source(events, stop);
    rule_of(source, of, severity, policy, incident.detected_at)
}

/// The post-mortem rule set by `resolution` (the event that resolved the incident at
/// `resolved`): the terms it recorded, else the policy's.
pub fn postmortem_rule_of(
    resolution: Option<&Event>,
    policy: &Policy,
    resolved: Timestamp,
) -> Rule {
    match resolution
        .and_then(recorded)
        .and_then(|t| t.postmortem_seconds.map(|s| (t, s)))
    {
        Some((terms, seconds)) => Rule {
            target_seconds: seconds,
            calendar: terms.calendar.clone(),
            recorded: true,
        },
        None => Rule {
            target_seconds: whole(policy.postmortem).as_secs(),
            calendar: policy
                .postmortem_calendar
                .as_ref()
                .map(|c| c.recorded_from(resolved)),
            recorded: false,
        },
    }
}

/// The post-mortem rule: set by the last resolution (by time).
pub fn postmortem_rule(events: &[Event], policy: &Policy, resolved: Timestamp) -> Rule {
    let last = events
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.kind == EventKind::Status && e.new.as_deref() == Some(Status::Resolved.as_str())
        })
        .max_by_key(|(n, e)| (e.at, *n))
        .map(|(_, e)| e);
    postmortem_rule_of(last, policy, resolved)
}
