//! SLA policy and clocks: pure functions of an incident's times, its severity and "now".

use crate::domain::model::{Incident, Severity};
use crate::domain::time::Timestamp;
use std::time::Duration;

/// Response and fix targets for one severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub respond: Duration,
    pub resolve: Duration,
}

/// The targets per severity and the post-mortem window after resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub p1: Target,
    pub p2: Target,
    pub p3: Target,
    pub postmortem: Duration,
}

const MIN: u64 = 60;
const HOUR: u64 = 3_600;

impl Default for Policy {
    /// The guide's "Response Times": P1 immediate (its 0–15 minute response) and fixed within
    /// 1 h; P2 4 h / 24 h; P3 24 h / 72 h; post-incident documentation within 24 h.
    fn default() -> Self {
        let t = |respond, resolve| Target {
            respond: Duration::from_secs(respond),
            resolve: Duration::from_secs(resolve),
        };
        Policy {
            p1: t(15 * MIN, HOUR),
            p2: t(4 * HOUR, 24 * HOUR),
            p3: t(24 * HOUR, 72 * HOUR),
            postmortem: Duration::from_secs(24 * HOUR),
        }
    }
}

impl Policy {
    pub fn target(&self, severity: Severity) -> Target {
        match severity {
            Severity::P1 => self.p1,
            Severity::P2 => self.p2,
            Severity::P3 => self.p3,
        }
    }

    pub fn target_mut(&mut self, severity: Severity) -> &mut Target {
        match severity {
            Severity::P1 => &mut self.p1,
            Severity::P2 => &mut self.p2,
            Severity::P3 => &mut self.p3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockState {
    /// Not stopped yet, deadline not passed.
    Running,
    /// Not stopped and past its deadline.
    Overdue,
    /// Stopped on or before the deadline.
    Met,
    /// Stopped after the deadline.
    Breached,
}

/// One SLA clock evaluated at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub deadline: Timestamp,
    /// When it stopped, if it had stopped by the moment of evaluation.
    pub stopped_at: Option<Timestamp>,
    pub state: ClockState,
    /// Seconds from the stop (or from now, while running) to the deadline: positive is time
    /// left or met early, negative is overdue or late by that much.
    pub margin: i64,
}

impl Clock {
    pub fn breached(&self) -> bool {
        matches!(self.state, ClockState::Overdue | ClockState::Breached)
    }
}

/// A clock started at `start` with `allowed` time, evaluated at `now`. A stop later than `now`
/// had not happened yet at `now`, so `sla --at` in the past sees the clock still running.
/// Reaching the deadline exactly is on time: only a moment after it breaches.
pub fn clock(
    start: Timestamp,
    allowed: Duration,
    stopped: Option<Timestamp>,
    now: Timestamp,
) -> Clock {
    let deadline = start + chrono::Duration::from_std(allowed).unwrap_or(chrono::Duration::MAX);
    let stopped_at = stopped.filter(|t| *t <= now);
    let until = stopped_at.unwrap_or(now);
    let margin = (deadline - until).num_seconds();
    let state = match (stopped_at, margin >= 0) {
        (None, true) => ClockState::Running,
        (None, false) => ClockState::Overdue,
        (Some(_), true) => ClockState::Met,
        (Some(_), false) => ClockState::Breached,
    };
    Clock {
        deadline,
        stopped_at,
        state,
        margin,
    }
}

/// The clocks of one incident: respond (open → acknowledged), fix (open → resolved), and
/// post-mortem (resolved → closed, once resolved). Deadlines follow the current severity, so a
/// severity change re-evaluates both from the open time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clocks {
    pub respond: Clock,
    pub resolve: Clock,
    pub postmortem: Option<Clock>,
}

pub fn clocks(incident: &Incident, policy: &Policy, now: Timestamp) -> Clocks {
    let target = policy.target(incident.severity);
    let resolved = incident.resolved_at.filter(|t| *t <= now);
    Clocks {
        respond: clock(
            incident.opened_at,
            target.respond,
            incident.acknowledged_at,
            now,
        ),
        resolve: clock(
            incident.opened_at,
            target.resolve,
            incident.resolved_at,
            now,
        ),
        postmortem: resolved.map(|r| clock(r, policy.postmortem, incident.closed_at, now)),
    }
}

impl Clocks {
    pub fn breached(&self) -> bool {
        self.respond.breached() || self.resolve.breached()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::from_rfc3339;

    fn t(s: &str) -> Timestamp {
        from_rfc3339(s).unwrap()
    }

    fn incident(severity: Severity, opened: &str) -> Incident {
        Incident::opened(1, severity, t(opened))
    }

    #[test]
    fn exactly_at_the_deadline_is_on_time_and_one_second_later_is_not() {
        let open = t("2026-11-29T10:00:00Z");
        let fifteen = Duration::from_secs(900);
        let at = clock(open, fifteen, None, t("2026-11-29T10:15:00Z"));
        assert_eq!((at.state, at.margin), (ClockState::Running, 0));
        let after = clock(open, fifteen, None, t("2026-11-29T10:15:01Z"));
        assert_eq!((after.state, after.margin), (ClockState::Overdue, -1));
        let stopped_at = clock(
            open,
            fifteen,
            Some(t("2026-11-29T10:15:00Z")),
            t("2026-11-30T00:00:00Z"),
        );
        assert_eq!((stopped_at.state, stopped_at.margin), (ClockState::Met, 0));
        let stopped_late = clock(
            open,
            fifteen,
            Some(t("2026-11-29T10:15:01Z")),
            t("2026-11-30T00:00:00Z"),
        );
        assert_eq!(
            (stopped_late.state, stopped_late.margin),
            (ClockState::Breached, -1)
        );
    }

    #[test]
    fn a_stop_after_the_evaluation_moment_has_not_happened_yet() {
        let open = t("2026-11-29T10:00:00Z");
        let c = clock(
            open,
            Duration::from_secs(900),
            Some(t("2026-11-29T10:10:00Z")),
            t("2026-11-29T10:05:00Z"),
        );
        assert_eq!(
            (c.state, c.margin, c.stopped_at),
            (ClockState::Running, 600, None)
        );
    }

    #[test]
    fn default_policy_is_the_guides() {
        let p = Policy::default();
        assert_eq!(p.p1.respond.as_secs(), 15 * 60);
        assert_eq!(p.p1.resolve.as_secs(), 3_600);
        assert_eq!(p.p2.respond.as_secs(), 4 * 3_600);
        assert_eq!(p.p2.resolve.as_secs(), 24 * 3_600);
        assert_eq!(p.p3.respond.as_secs(), 24 * 3_600);
        assert_eq!(p.p3.resolve.as_secs(), 72 * 3_600);
        assert_eq!(p.postmortem.as_secs(), 24 * 3_600);
    }

    #[test]
    fn a_severity_change_moves_both_deadlines_from_the_open_time() {
        let mut inc = incident(Severity::P3, "2026-11-29T10:00:00Z");
        let now = t("2026-11-29T11:30:00Z");
        let p3 = clocks(&inc, &Policy::default(), now);
        assert_eq!(p3.respond.deadline, t("2026-11-30T10:00:00Z"));
        assert!(!p3.breached());
        inc.severity = Severity::P1;
        let p1 = clocks(&inc, &Policy::default(), now);
        assert_eq!(p1.respond.deadline, t("2026-11-29T10:15:00Z"));
        assert_eq!(p1.resolve.deadline, t("2026-11-29T11:00:00Z"));
        assert_eq!(
            (p1.respond.state, p1.respond.margin),
            (ClockState::Overdue, -75 * 60)
        );
        assert_eq!(
            (p1.resolve.state, p1.resolve.margin),
            (ClockState::Overdue, -30 * 60)
        );
    }

    #[test]
    fn backdated_open_found_five_days_late_breaches_both() {
        // The guide's outage: collection stopped on Oct 7 and was acknowledged five days later.
        let mut inc = incident(Severity::P1, "2026-10-07T09:00:00Z");
        inc.acknowledged_at = Some(t("2026-10-12T09:00:00Z"));
        inc.resolved_at = Some(t("2026-10-12T11:00:00Z"));
        let c = clocks(&inc, &Policy::default(), t("2026-10-12T12:00:00Z"));
        assert_eq!(c.respond.state, ClockState::Breached);
        assert_eq!(c.respond.margin, -(5 * 86_400 - 15 * 60));
        assert_eq!(c.resolve.state, ClockState::Breached);
        assert_eq!(c.resolve.margin, -(5 * 86_400 + 3_600));
        let pm = c.postmortem.unwrap();
        assert_eq!((pm.state, pm.margin), (ClockState::Running, 23 * 3_600));
    }

    #[test]
    fn after_reopen_the_fix_clock_runs_again_against_the_original_deadline() {
        let mut inc = incident(Severity::P2, "2026-11-29T00:00:00Z");
        inc.acknowledged_at = Some(t("2026-11-29T01:00:00Z"));
        inc.resolved_at = Some(t("2026-11-29T05:00:00Z"));
        let resolved = clocks(&inc, &Policy::default(), t("2026-11-30T06:00:00Z"));
        assert_eq!(resolved.resolve.state, ClockState::Met);
        assert_eq!(resolved.postmortem.unwrap().state, ClockState::Overdue);
        // Reopened: the fix never held, so the clock is running again and already past 24 h.
        inc.resolved_at = None;
        let reopened = clocks(&inc, &Policy::default(), t("2026-11-30T06:00:00Z"));
        assert_eq!(
            (reopened.resolve.state, reopened.resolve.margin),
            (ClockState::Overdue, -6 * 3_600)
        );
        assert_eq!(reopened.respond.state, ClockState::Met);
        assert!(reopened.postmortem.is_none());
    }
}
