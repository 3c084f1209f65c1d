//! `incident sla explain`: how each SLA clock came to its deadline and verdict, told from the
//! timeline alone as a list of typed [`Step`]s (pure; `cmd::sla::explain` renders them).
//!
//! The story replays the events in time order, as `sla::due` judges them: a clock starts (at
//! the detection, or the resolution for the post-mortem), its deadline moves with a severity
//! change while it runs, a pause holds it, a stop ends it met or breached, a reopening starts
//! the fix clock again. A later kind of step (calendar hours skipped, when calendars come)
//! is one more variant; renderers match on it.

use crate::domain::event::{Event, EventKind, PAUSED};
use crate::domain::model::{Incident, Severity, Status};
use crate::domain::sla::{self, ClockState, Policy};
use crate::domain::time::{self, Timestamp};
use std::time::Duration;

/// Which clock a history is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Which {
    Respond,
    Resolve,
    Postmortem,
}

impl Which {
    pub const ALL: [Which; 3] = [Which::Respond, Which::Resolve, Which::Postmortem];

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            Which::Respond => "response",
            Which::Resolve => "fix",
            Which::Postmortem => "post-mortem",
        }
    }
}

/// Why a clock started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cause {
    /// The respond and fix clocks run from the detection.
    Detection,
    /// The post-mortem clock runs from the resolution.
    Resolution,
    /// A reopening: the fix did not hold, the fix clock runs again (against its deadline).
    Reopening,
}

/// One step of a clock's history. `deadline` is the deadline in force after the step.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    Started {
        #[serde(with = "time::rfc3339")]
        at: Timestamp,
        cause: Cause,
        severity: Severity,
        target_seconds: u64,
        #[serde(with = "time::rfc3339")]
        deadline: Timestamp,
    },
    /// The severity changed while the clock ran: the target is the new severity's.
    SeverityChanged {
        #[serde(with = "time::rfc3339")]
        at: Timestamp,
        from: Severity,
        to: Severity,
        target_seconds: u64,
        #[serde(with = "time::rfc3339")]
        deadline: Timestamp,
    },
    /// Paused; `breached` when the deadline had passed already (the clock stays breached).
    Paused {
        #[serde(with = "time::rfc3339")]
        at: Timestamp,
        reason: String,
        breached: bool,
    },
    /// Resumed after `paused_seconds` that did not count (none if it was breached).
    Resumed {
        #[serde(with = "time::rfc3339")]
        at: Timestamp,
        paused_seconds: u64,
        #[serde(with = "time::rfc3339")]
        deadline: Timestamp,
    },
    /// Stopped (acknowledged, resolved, closed): met or breached, under `severity`.
    Stopped {
        #[serde(with = "time::rfc3339")]
        at: Timestamp,
        state: ClockState,
        severity: Severity,
        margin_seconds: i64,
        #[serde(with = "time::rfc3339")]
        deadline: Timestamp,
    },
    /// A reopening called off the post-mortem clock; the next resolution starts it again.
    Cancelled {
        #[serde(with = "time::rfc3339")]
        at: Timestamp,
    },
    /// Not stopped at the moment of the explanation: running, overdue or paused.
    Now {
        #[serde(with = "time::rfc3339")]
        at: Timestamp,
        state: ClockState,
        severity: Severity,
        margin_seconds: i64,
        #[serde(with = "time::rfc3339")]
        deadline: Timestamp,
    },
}

/// One clock's history.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct History {
    pub clock: Which,
    pub steps: Vec<Step>,
}

/// The clock being replayed.
struct Replay {
    which: Which,
    start: Option<Timestamp>,
    severity: Severity,
    stopped: Option<Timestamp>,
    /// The pauses so far (the last one open while it lasts): the deadline is
    /// `sla::paused_deadline` over them, as `sla::due` computes it.
    pauses: Vec<sla::Pause>,
    steps: Vec<Step>,
}

impl Replay {
    fn target(&self, policy: &Policy) -> Duration {
        sla::whole(match self.which {
            Which::Respond => policy.target(self.severity).respond,
            Which::Resolve => policy.target(self.severity).resolve,
            Which::Postmortem => policy.postmortem,
        })
    }

    /// The deadline now: the start plus the target plus the paused time that counts.
    fn deadline(&self, policy: &Policy) -> Option<Timestamp> {
        let base = time::add_capped(self.start?, self.target(policy));
        Some(sla::paused_deadline(base, self.stopped, &self.pauses))
    }

    /// The pause under way, if the clock is held by it (it was not past its deadline then).
    fn holding(&self, policy: &Policy) -> Option<Timestamp> {
        let open = self.pauses.last().filter(|p| p.until.is_none())?;
        let deadline = self.deadline(policy)?;
        (open.from <= deadline).then_some(open.from)
    }

    fn running(&self) -> bool {
        self.start.is_some() && self.stopped.is_none()
    }

    fn start(&mut self, at: Timestamp, cause: Cause, policy: &Policy) {
        if cause == Cause::Reopening {
            self.stopped = None;
            let Some(deadline) = self.deadline(policy) else {
                return;
            };
            self.steps.push(Step::Started {
                at,
                cause,
                severity: self.severity,
                target_seconds: self.target(policy).as_secs(),
                deadline,
            });
            return;
        }
        (self.start, self.stopped) = (Some(at), None);
        self.pauses.clear();
        self.steps.push(Step::Started {
            at,
            cause,
            severity: self.severity,
            target_seconds: self.target(policy).as_secs(),
            deadline: time::add_capped(at, self.target(policy)),
        });
    }

    fn severity(&mut self, at: Timestamp, to: Severity, policy: &Policy) {
        let from = self.severity;
        if from == to {
            return;
        }
        self.severity = to;
        if self.which == Which::Postmortem || !self.running() {
            return;
        }
        if let Some(deadline) = self.deadline(policy) {
            self.steps.push(Step::SeverityChanged {
                at,
                from,
                to,
                target_seconds: self.target(policy).as_secs(),
                deadline,
            });
        }
    }

    fn pause(&mut self, at: Timestamp, reason: &str, policy: &Policy) {
        let open = self.pauses.last().is_some_and(|p| p.until.is_none());
        if self.which == Which::Postmortem || !self.running() || open {
            return;
        }
        // A breached clock stays breached: its pause holds nothing.
        let breached = self.deadline(policy).is_some_and(|d| at > d);
        self.pauses.push(sla::Pause {
            from: at,
            until: None,
            reason: reason.to_string(),
        });
        self.steps.push(Step::Paused {
            at,
            reason: reason.to_string(),
            breached,
        });
    }

    fn resume(&mut self, at: Timestamp, policy: &Policy) {
        let before = self.deadline(policy);
        let Some(open) = self.pauses.last_mut().filter(|p| p.until.is_none()) else {
            return;
        };
        open.until = Some(at);
        if let (Some(before), Some(deadline)) = (before, self.deadline(policy)) {
            let counted = deadline.signed_duration_since(before).num_seconds();
            self.steps.push(Step::Resumed {
                at,
                paused_seconds: u64::try_from(counted).unwrap_or(0),
                deadline,
            });
        }
    }

    fn stop(&mut self, at: Timestamp, policy: &Policy) {
        if !self.running() {
            return;
        }
        self.resume(at, policy);
        let Some(deadline) = self.deadline(policy) else {
            return;
        };
        let c = sla::clock(deadline, Some(at), at);
        self.stopped = Some(at);
        self.steps.push(Step::Stopped {
            at,
            state: c.state,
            severity: self.severity,
            margin_seconds: c.margin,
            deadline,
        });
    }

    fn cancel(&mut self, at: Timestamp) {
        if self.running() {
            self.steps.push(Step::Cancelled { at });
        }
        self.start = None;
    }

    /// The last step: where a clock not stopped stands at `now`.
    fn now(&mut self, now: Timestamp, policy: &Policy) {
        if !self.running() {
            return;
        }
        let Some(deadline) = self.deadline(policy) else {
            return;
        };
        let (state, margin, deadline) = match self.holding(policy) {
            Some(p) => {
                let so_far = now.signed_duration_since(p).to_std().unwrap_or_default();
                let left = deadline.signed_duration_since(p).num_seconds();
                let moved = time::add_capped(deadline, so_far);
                (ClockState::Paused, left, moved)
            }
            None => {
                let c = sla::clock(deadline, None, now);
                (c.state, c.margin, deadline)
            }
        };
        self.steps.push(Step::Now {
            at: now,
            state,
            severity: self.severity,
            margin_seconds: margin,
            deadline,
        });
    }
}

/// The history of each of `incident`'s clocks under `policy` at `now`, from its timeline
/// `events` (any order; those dated after `now` had not happened yet). The post-mortem clock's
/// history is empty until a resolution.
pub fn explain(
    incident: &Incident,
    events: &[Event],
    policy: &Policy,
    now: Timestamp,
) -> Vec<History> {
    let mut sorted: Vec<(usize, &Event)> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.at <= now)
        .collect();
    sorted.sort_by_key(|(n, e)| (e.at, *n));
    let opening = sorted
        .iter()
        .find(|(_, e)| e.kind == EventKind::Opened)
        .and_then(|(_, e)| parse::<Severity>(e.new.as_deref()))
        .unwrap_or(incident.severity);
    let mut clocks = Which::ALL.map(|which| Replay {
        which,
        start: None,
        severity: opening,
        stopped: None,
        pauses: Vec::new(),
        steps: Vec::new(),
    });
    let detected = incident.detected_at;
    for c in clocks.iter_mut().take(2) {
        c.start(detected, Cause::Detection, policy);
    }
    let [respond, resolve, postmortem] = &mut clocks;
    for (_, e) in sorted {
        let at = e.at;
        match e.kind {
            EventKind::Severity => {
                if let Some(to) = parse::<Severity>(e.new.as_deref()) {
                    for c in [&mut *respond, &mut *resolve, &mut *postmortem] {
                        c.severity(at, to, policy);
                    }
                }
            }
            EventKind::Pause if e.new.as_deref() == Some(PAUSED) => {
                respond.pause(at, &e.text, policy);
                resolve.pause(at, &e.text, policy);
            }
            EventKind::Pause => {
                respond.resume(at, policy);
                resolve.resume(at, policy);
            }
            EventKind::Status => {
                let from = parse::<Status>(e.old.as_deref());
                match (from, parse::<Status>(e.new.as_deref())) {
                    (Some(Status::Open), Some(Status::Investigating)) => respond.stop(at, policy),
                    (_, Some(Status::Resolved)) => {
                        respond.stop(at, policy);
                        resolve.stop(at, policy);
                        postmortem.start(at, Cause::Resolution, policy);
                    }
                    (_, Some(Status::Closed)) => postmortem.stop(at, policy),
                    (Some(Status::Resolved | Status::Closed), Some(Status::Investigating)) => {
                        resolve.start(at, Cause::Reopening, policy);
                        postmortem.cancel(at);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    clocks
        .into_iter()
        .map(|mut c| {
            c.now(now, policy);
            History {
                clock: c.which,
                steps: c.steps,
            }
        })
        .collect()
}

fn parse<T: std::str::FromStr>(value: Option<&str>) -> Option<T> {
    value.and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::from_rfc3339;

    fn t(s: &str) -> Timestamp {
        from_rfc3339(s).unwrap()
    }

    fn event(kind: EventKind, at: &str, old: Option<&str>, new: &str) -> Event {
        Event {
            at: t(at),
            recorded_at: t(at),
            author: "alice".into(),
            kind,
            field: None,
            old: old.map(str::to_string),
            new: Some(new.into()),
            text: "vendor ticket CS-4411".into(),
            detail: None,
            uuid: None,
        }
    }

    /// Every clock's last deadline in the story, next to `sla::due`'s.
    fn last_deadlines(histories: &[History]) -> Vec<Option<Timestamp>> {
        histories
            .iter()
            .map(|h| {
                h.steps.iter().rev().find_map(|s| match s {
                    Step::Stopped { deadline, .. } | Step::Now { deadline, .. } => Some(*deadline),
                    _ => None,
                })
            })
            .collect()
    }

    #[test]
    fn the_story_ends_at_the_deadlines_sla_due_stores() {
        use EventKind::{Opened, Pause, Severity as Sev, Status as St};
        let opened = event(Opened, "2026-11-29T10:00:00Z", None, "P3");
        let scenarios: Vec<Vec<Event>> = vec![
            // Paused, raised, resumed, acknowledged, lowered, resolved, reopened, resolved.
            vec![
                event(Pause, "2026-11-29T10:30:00Z", None, "paused"),
                event(Sev, "2026-11-29T11:00:00Z", Some("P3"), "P1"),
                event(Pause, "2026-11-29T12:00:00Z", None, "resumed"),
                event(St, "2026-11-29T12:05:00Z", Some("OPEN"), "INVESTIGATING"),
                event(Sev, "2026-11-29T12:10:00Z", Some("P1"), "P2"),
                event(
                    St,
                    "2026-11-29T13:00:00Z",
                    Some("INVESTIGATING"),
                    "RESOLVED",
                ),
                event(
                    St,
                    "2026-11-29T14:00:00Z",
                    Some("RESOLVED"),
                    "INVESTIGATING",
                ),
                event(Pause, "2026-11-29T14:10:00Z", None, "paused"),
                event(
                    St,
                    "2026-11-29T15:00:00Z",
                    Some("INVESTIGATING"),
                    "RESOLVED",
                ),
            ],
            // Resolved while paused: the resolution ends the pause.
            vec![
                event(Pause, "2026-11-29T10:05:00Z", None, "paused"),
                event(St, "2026-11-29T11:00:00Z", Some("OPEN"), "RESOLVED"),
            ],
        ];
        let policy = Policy::default();
        for events in scenarios {
            let mut all = vec![opened.clone()];
            all.extend(events);
            let seed = crate::domain::projection::Seed {
                pk: 1,
                uuid: "u1".into(),
                number: crate::domain::model::Number(1),
                description: String::new(),
                detected_at: None,
            };
            let i = crate::domain::projection::replay(&seed, &all, &policy).unwrap();
            let story = explain(&i, &all, &policy, t("2026-11-29T16:00:00Z"));
            let due = [Some(i.due.respond), Some(i.due.resolve), i.due.postmortem];
            assert_eq!(last_deadlines(&story), due, "{story:#?}");
        }
    }

    #[test]
    fn a_reopening_runs_the_fix_clock_again_and_restarts_the_post_mortem() {
        use EventKind::{Opened, Status as St};
        let all = [
            event(Opened, "2026-11-29T10:00:00Z", None, "P2"),
            event(St, "2026-11-29T11:00:00Z", Some("OPEN"), "RESOLVED"),
            event(
                St,
                "2026-11-29T12:00:00Z",
                Some("RESOLVED"),
                "INVESTIGATING",
            ),
        ];
        let mut i = Incident::opened(1, Severity::P2, t("2026-11-29T10:00:00Z"));
        i.acknowledged_at = Some(t("2026-11-29T11:00:00Z"));
        let story = explain(&i, &all, &Policy::default(), t("2026-11-29T13:00:00Z"));
        let kinds = |h: &History| -> Vec<&'static str> {
            h.steps
                .iter()
                .map(|s| match s {
                    Step::Started { cause, .. } => match cause {
                        Cause::Reopening => "again",
                        _ => "started",
                    },
                    Step::Stopped { .. } => "stopped",
                    Step::Now { .. } => "now",
                    _ => "other",
                })
                .collect()
        };
        assert_eq!(kinds(&story[1]), ["started", "stopped", "again", "now"]);
        assert_eq!(kinds(&story[2]), ["started", "other"]);
        assert_eq!(
            story[2].steps[1],
            Step::Cancelled {
                at: t("2026-11-29T12:00:00Z")
            }
        );
    }
}
