//! `incident sla explain`: how each SLA clock came to its deadline and verdict, told from the
//! timeline alone as a list of typed [`Step`]s (pure; `cmd::sla::explain` renders them).
//!
//! The story replays the events in time order, as `sla::due` judges them: a clock starts (at
//! the detection, or the resolution for the post-mortem), its deadline moves with a severity
//! change while it runs, a pause holds it, a stop ends it met or breached, a reopening starts
//! the fix clock again. Each start and severity change tells the terms it runs under
//! ([`Under`]: the target, the calendar and the closed hours it skips, and whether the
//! timeline recorded them or, for an incident from before, they follow the config).

use crate::domain::event::{Event, EventKind, PAUSED};
use crate::domain::model::{Incident, Severity, Status};
use crate::domain::sla::{self, ClockState, Policy};
use crate::domain::terms::{self, Of, Rule};
use crate::domain::time::{self, Timestamp};

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
        #[serde(flatten)]
        under: Under,
        #[serde(with = "time::rfc3339")]
        deadline: Timestamp,
    },
    /// The severity changed while the clock ran: the target is the new severity's.
    SeverityChanged {
        #[serde(with = "time::rfc3339")]
        at: Timestamp,
        from: Severity,
        to: Severity,
        #[serde(flatten)]
        under: Under,
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

/// The terms a step's deadline was computed under.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Under {
    pub target_seconds: u64,
    /// The calendar's name, hours, zone and holidays (`Calendar::describe`); none for 24x7.
    pub calendar: Option<String>,
    /// Closed calendar time between the clock's start and the deadline: skipped, not counted.
    pub closed_seconds: u64,
    /// False for an incident recorded before terms were kept in the timeline: its clocks
    /// follow the config as it is now.
    pub recorded: bool,
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
    /// The terms in force (`terms::rule_of`): set at the start and by each severity change,
    /// kept while stopped so that a reopening runs under the current ones.
    rule: Option<Rule>,
    stopped: Option<Timestamp>,
    /// The pauses so far (the last one open while it lasts): the deadline is `sla::deadline`
    /// over them, as `sla::due` computes it.
    pauses: Vec<sla::Pause>,
    steps: Vec<Step>,
}

impl Replay {
    /// The deadline now: the start plus the target on the calendar plus the paused time
    /// that counts.
    fn deadline(&self) -> Option<Timestamp> {
        Some(sla::deadline(
            self.start?,
            self.rule.as_ref()?,
            self.stopped,
            &self.pauses,
        ))
    }

    /// The terms behind `deadline`, for a step.
    fn under(&self, deadline: Timestamp) -> Under {
        let rule = self.rule.as_ref();
        let calendar = rule.and_then(|r| r.calendar.as_ref());
        let closed = match (calendar, self.start) {
            (Some(cal), Some(start)) => {
                let wall = deadline.signed_duration_since(start).num_seconds();
                let open = cal.open_between(start, deadline, &[]).as_secs();
                u64::try_from(wall).unwrap_or(0).saturating_sub(open)
            }
            _ => 0,
        };
        Under {
            target_seconds: rule.map_or(0, |r| r.target_seconds),
            calendar: calendar.map(|c| c.describe()),
            closed_seconds: closed,
            recorded: rule.is_some_and(|r| r.recorded),
        }
    }

    /// The pause under way, if the clock is held by it (it was not past its deadline then).
    fn holding(&self) -> Option<Timestamp> {
        let open = self.pauses.last().filter(|p| p.until.is_none())?;
        let deadline = self.deadline()?;
        (open.from <= deadline).then_some(open.from)
    }

    fn running(&self) -> bool {
        self.start.is_some() && self.stopped.is_none()
    }

    /// Starts the clock at `at` (under `rule`; a reopening keeps the rule in force).
    fn start(&mut self, at: Timestamp, cause: Cause, rule: Option<Rule>) {
        if cause == Cause::Reopening {
            self.stopped = None;
        } else {
            (self.start, self.stopped, self.rule) = (Some(at), None, rule);
            self.pauses.clear();
        }
        let Some(deadline) = self.deadline() else {
            return;
        };
        self.steps.push(Step::Started {
            at,
            cause,
            severity: self.severity,
            under: self.under(deadline),
            deadline,
        });
    }

    fn severity(&mut self, at: Timestamp, to: Severity, rule: Option<Rule>) {
        let from = self.severity;
        if from == to {
            return;
        }
        self.severity = to;
        if self.which == Which::Postmortem {
            return;
        }
        self.rule = rule;
        if !self.running() {
            return;
        }
        if let Some(deadline) = self.deadline() {
            self.steps.push(Step::SeverityChanged {
                at,
                from,
                to,
                under: self.under(deadline),
                deadline,
            });
        }
    }

    fn pause(&mut self, at: Timestamp, reason: &str) {
        let open = self.pauses.last().is_some_and(|p| p.until.is_none());
        if self.which == Which::Postmortem || !self.running() || open {
            return;
        }
        // A breached clock stays breached: its pause holds nothing.
        let breached = self.deadline().is_some_and(|d| at > d);
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

    fn resume(&mut self, at: Timestamp) {
        let before = self.deadline();
        let Some(open) = self.pauses.last_mut().filter(|p| p.until.is_none()) else {
            return;
        };
        open.until = Some(at);
        let from = open.from;
        if let (Some(before), Some(deadline)) = (before, self.deadline()) {
            // On a calendar the pause counts the open hours it held, not its length.
            let counted = match self.rule.as_ref().and_then(|r| r.calendar.as_ref()) {
                Some(cal) if deadline != before => cal.open_between(from, at, &[]).as_secs(),
                Some(_) => 0,
                None => {
                    u64::try_from(deadline.signed_duration_since(before).num_seconds()).unwrap_or(0)
                }
            };
            self.steps.push(Step::Resumed {
                at,
                paused_seconds: counted,
                deadline,
            });
        }
    }

    fn stop(&mut self, at: Timestamp) {
        if !self.running() {
            return;
        }
        self.resume(at);
        let Some(deadline) = self.deadline() else {
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

    /// The last step: where a clock not stopped stands at `now`, as `sla::clocks` judges it.
    fn now(&mut self, now: Timestamp) {
        if !self.running() {
            return;
        }
        let Some(deadline) = self.deadline() else {
            return;
        };
        let calendar = self.rule.as_ref().and_then(|r| r.calendar.as_ref());
        let c = sla::held(
            sla::clock(deadline, None, now),
            calendar,
            self.holding(),
            now,
        );
        self.steps.push(Step::Now {
            at: now,
            state: c.state,
            severity: self.severity,
            margin_seconds: c.margin,
            deadline: c.deadline,
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
    let opened = sorted
        .iter()
        .find(|(_, e)| e.kind == EventKind::Opened)
        .map(|(_, e)| *e);
    let opening = opened
        .and_then(|e| parse::<Severity>(e.new.as_deref()))
        .unwrap_or(incident.severity);
    let mut clocks = Which::ALL.map(|which| Replay {
        which,
        start: None,
        severity: opening,
        rule: None,
        stopped: None,
        pauses: Vec::new(),
        steps: Vec::new(),
    });
    let detected = incident.detected_at;
    let rule = |source: Option<&Event>, of, severity| {
        Some(terms::rule_of(source, of, severity, policy, detected))
    };
    let [respond, resolve, postmortem] = &mut clocks;
    respond.start(
        detected,
        Cause::Detection,
        rule(opened, Of::Respond, opening),
    );
    resolve.start(
        detected,
        Cause::Detection,
        rule(opened, Of::Resolve, opening),
    );
    for (_, e) in sorted {
        let at = e.at;
        match e.kind {
            EventKind::Severity => {
                if let Some(to) = parse::<Severity>(e.new.as_deref()) {
                    respond.severity(at, to, rule(Some(e), Of::Respond, to));
                    resolve.severity(at, to, rule(Some(e), Of::Resolve, to));
                    postmortem.severity(at, to, None);
                }
            }
            EventKind::Pause if e.new.as_deref() == Some(PAUSED) => {
                respond.pause(at, &e.text);
                resolve.pause(at, &e.text);
            }
            EventKind::Pause => {
                respond.resume(at);
                resolve.resume(at);
            }
            EventKind::Status => {
                let from = parse::<Status>(e.old.as_deref());
                match (from, parse::<Status>(e.new.as_deref())) {
                    (Some(Status::Open), Some(Status::Investigating)) => respond.stop(at),
                    (_, Some(Status::Resolved)) => {
                        respond.stop(at);
                        resolve.stop(at);
                        let terms = terms::postmortem_rule_of(Some(e), policy, at);
                        postmortem.start(at, Cause::Resolution, Some(terms));
                    }
                    (_, Some(Status::Closed)) => postmortem.stop(at),
                    (Some(Status::Resolved | Status::Closed), Some(Status::Investigating)) => {
                        resolve.start(at, Cause::Reopening, None);
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
            c.now(now);
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
