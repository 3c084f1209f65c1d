//! What is due: a pure function from incidents, their SLA clocks, action items and the time of
//! each incident's last timeline entry to the reminders owed at one moment.
//!
//! Every reminder has a stable key (kind and level) so that the deliveries table can tell one
//! already sent from one that is new. Per clock only the most advanced level that is due is
//! sent; the levels it supersedes are returned too, marked `send: false`, so that they are
//! recorded as delivered and never go out later.

use crate::domain::calendar::Calendar;
use crate::domain::model::{ActionItem, Incident};
use crate::domain::remind::Reminders;
use crate::domain::sla::{self, ClockState, Policy};
use crate::domain::terms::Rule;
use crate::domain::time::{self, Timestamp};
use std::fmt;
use std::time::Duration;

/// What a reminder is about. The order is the order reminders of one moment are listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// The response clock (open → acknowledged).
    Respond,
    /// The fix clock (open → resolved).
    Resolve,
    /// The post-mortem clock (resolved → closed).
    Postmortem,
    /// An open action item past its due date.
    Action,
    /// An acknowledged, unresolved incident with no timeline entry for a while.
    Stale,
    /// An unresolved incident of a severity with an update cadence (`[sla.P1] update_every`)
    /// and no update from a person for that long.
    Update,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Respond,
        Kind::Resolve,
        Kind::Postmortem,
        Kind::Action,
        Kind::Stale,
        Kind::Update,
    ];

    /// The key in the deliveries table and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Respond => "respond",
            Kind::Resolve => "resolve",
            Kind::Postmortem => "postmortem",
            Kind::Action => "action",
            Kind::Stale => "stale",
            Kind::Update => "update",
        }
    }

    pub fn from_key(key: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == key)
    }

    /// The clock's name in messages: "response", "fix", "post-mortem".
    pub fn clock_label(self) -> Option<&'static str> {
        match self {
            Kind::Respond => Some("response"),
            Kind::Resolve => Some("fix"),
            Kind::Postmortem => Some("post-mortem"),
            Kind::Action | Kind::Stale | Kind::Update => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far along a reminder is, within its kind. Ordered: a clock's later levels compare greater.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `at-0.75`: this share of the window (in millionths) has passed (`[reminders] at`).
    /// Deliveries recorded before `at` existed are keyed `approaching`: see
    /// [`ledger::legacy`](super::ledger::legacy).
    At(u32),
    /// `breached`: the response or fix deadline has passed.
    Breached,
    /// `overdue`: the post-mortem is past its deadline.
    Overdue,
    /// `repeat-N`: still breached N repeat intervals after the deadline.
    Repeat(u64),
    /// `action-ID`: action item ID is past its due date.
    Action(i64),
    /// When the quiet spell began (stale: the last timeline entry; update: the last update
    /// from a person): one reminder per spell.
    Stale(Timestamp),
}

impl Level {
    /// The key in the deliveries table: stable, so that a re-run finds it delivered.
    pub fn key(&self) -> String {
        match self {
            Level::At(millionths) => format!("at-{}", f64::from(*millionths) / 1e6),
            Level::Breached => "breached".into(),
            Level::Overdue => "overdue".into(),
            Level::Repeat(n) => format!("repeat-{n}"),
            Level::Action(id) => format!("action-{}", crate::domain::model::Number(*id)),
            Level::Stale(since) => time::to_rfc3339(*since),
        }
    }

    /// The repeat number, for messages.
    pub fn repeat(&self) -> Option<u64> {
        match self {
            Level::Repeat(n) => Some(*n),
            _ => None,
        }
    }

    /// Whether the deadline it is about has passed.
    pub fn late(&self) -> bool {
        !matches!(self, Level::At(_))
    }

    /// The level of a share of the window: millionths, so that levels compare and hash.
    pub fn at(share: f64) -> Level {
        // A share is in (0, 1) (the config checks), so this neither truncates nor wraps.
        Level::At((share * 1e6).round() as u32)
    }
}

/// An incident as the reminders see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub incident: Incident,
    /// The latest timeline entry by the moment of evaluation (reminders' own entries excluded);
    /// only consulted for acknowledged, unresolved incidents.
    pub last_activity: Option<Timestamp>,
    /// The latest update from a person by the moment of evaluation: a note, a status or a field
    /// change, by anyone but a machine (`incident remind`), or else the opening. The monitor
    /// writes snapshots, health verdicts and severities only, so it never counts. Only
    /// consulted for unresolved incidents whose severity has an update cadence.
    pub last_update: Option<Timestamp>,
}

/// One reminder owed at the moment of evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    /// The incident's number.
    pub incident: i64,
    pub kind: Kind,
    pub level: Level,
    /// The moment it became due.
    pub due_at: Timestamp,
    /// What it is about: the clock's deadline, the action item's due date, or when the
    /// incident turned stale.
    pub deadline: Timestamp,
    /// False for a level superseded by a more advanced one of the same clock: it is recorded
    /// as delivered and never sent.
    pub send: bool,
}

/// An SLA clock running past its deadline at the moment of evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breach {
    pub incident: i64,
    pub kind: Kind,
    pub deadline: Timestamp,
}

/// Everything owed at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Ordered by when each came due, then incident, kind and level.
    pub reminders: Vec<Reminder>,
    /// Every respond, fix and post-mortem clock past its deadline, by incident.
    pub breaches: Vec<Breach>,
}

/// Superseded repeats recorded per clock at most: the latest ones. Only a deadline moved later
/// by more than this many intervals (a severity lowered, a policy changed) could make an older
/// one the most advanced again, and an incident forgotten for a month must not write
/// thousands of rows per channel.
const MAX_SUPERSEDED_REPEATS: u64 = 100;

/// The reminders owed at `at` and the clocks breached then. A stop, resolution or close
/// later than `at` had not happened yet at `at` (as for `incident sla --at`).
pub fn due(
    subjects: &[Subject],
    actions: &[ActionItem],
    policy: &Policy,
    settings: &Reminders,
    at: Timestamp,
) -> Plan {
    let mut plan = Plan::default();
    for subject in subjects {
        let i = &subject.incident;
        if i.opened_at > at {
            continue;
        }
        let repeat = settings.repeat(i.severity);
        let shares = settings.at.as_slice();
        // The stored deadlines (`sla::due`): the respond and fix clocks run from detection.
        let clocks = [
            (
                Kind::Respond,
                i.acknowledged_at,
                i.due.respond,
                &i.due.rules.respond,
            ),
            (
                Kind::Resolve,
                i.resolved_at,
                i.due.resolve,
                &i.due.rules.resolve,
            ),
        ];
        for (kind, stop, deadline, rule) in clocks {
            let clock = Clock {
                incident: i.number.0,
                kind,
                start: i.detected_at,
                deadline,
                stop,
                shares,
                repeat,
                paused: i.paused_at,
                calendar: calendar(rule),
            };
            clock.levels(at, &mut plan);
        }
        let resolved = i.resolved_at.filter(|r| *r <= at);
        if let Some((resolved, deadline)) = resolved.zip(i.due.postmortem) {
            // A post-mortem is paperwork, not a fire: it repeats once per post-mortem window
            // (daily by default), not at the severity's repeat interval.
            let clock = Clock {
                incident: i.number.0,
                kind: Kind::Postmortem,
                start: resolved,
                deadline,
                // Publishing the post-mortem stops its reminders as closing does.
                stop: i.postmortem_done_at(),
                shares: &[],
                repeat: policy.postmortem,
                paused: None,
                calendar: calendar(&i.due.rules.postmortem),
            };
            clock.levels(at, &mut plan);
        }
        let unresolved = resolved.is_none() && i.closed_at.is_none_or(|c| c > at);
        let cadence = settings.update_every(i.severity);
        if let Some(every) = cadence.filter(|_| unresolved) {
            quiet(i, Kind::Update, subject.last_update, every, at, &mut plan);
        }
        // A severity with an update cadence is reminded by it instead: the two would say the
        // same thing about the same silence twice.
        let acknowledged = i.acknowledged_at.is_some_and(|a| a <= at);
        if acknowledged && unresolved && cadence.is_none() {
            let since = subject.last_activity.or(i.acknowledged_at);
            quiet(i, Kind::Stale, since, settings.stale, at, &mut plan);
        }
    }
    for a in actions {
        let open = a.done_at.is_none_or(|d| d > at);
        if let Some(due_at) = a.due_at.filter(|d| open && *d < at && a.created_at <= at) {
            plan.reminders.push(Reminder {
                incident: a.incident_number,
                kind: Kind::Action,
                level: Level::Action(a.id.0),
                due_at,
                deadline: due_at,
                send: true,
            });
        }
    }
    plan.reminders.sort_by(|a, b| {
        (a.due_at, a.incident, a.kind, &a.level).cmp(&(b.due_at, b.incident, b.kind, &b.level))
    });
    plan.breaches.sort_by_key(|b| (b.incident, b.kind));
    plan
}

/// A stale or update reminder: due once `every` has passed since `since` (else the opening)
/// with nothing newer, one per quiet spell (the spell's start is its level).
fn quiet(
    i: &Incident,
    kind: Kind,
    since: Option<Timestamp>,
    every: Duration,
    at: Timestamp,
    plan: &mut Plan,
) {
    let since = since.unwrap_or(i.opened_at);
    // Capped, not overflowing, however long the interval is configured.
    let due_at = time::add_capped(since, every);
    // Like a deadline: exactly `every` of quiet is not yet quiet too long.
    if at > due_at {
        plan.reminders.push(Reminder {
            incident: i.number.0,
            kind,
            level: Level::Stale(since),
            due_at,
            deadline: due_at,
            send: true,
        });
    }
}

/// One SLA clock of one incident, with what its reminders need.
/// The calendar a stored rule counts on (none: 24x7).
fn calendar(rule: &Option<Rule>) -> Option<&Calendar> {
    rule.as_ref().and_then(|r| r.calendar.as_ref())
}

struct Clock<'a> {
    incident: i64,
    kind: Kind,
    start: Timestamp,
    deadline: Timestamp,
    stop: Option<Timestamp>,
    /// The shares of the window (start to deadline) to remind at, ascending; none for the
    /// post-mortem.
    shares: &'a [f64],
    repeat: Duration,
    /// Since when its incident's clocks are paused (`incident sla pause`).
    paused: Option<Timestamp>,
    /// The calendar it counts on (none: 24x7): a share of the window is a share of its open
    /// hours, so that half of a business-hours target falls where half of them are used.
    calendar: Option<&'a Calendar>,
}

impl Clock<'_> {
    /// Adds the levels due at `at`: the most advanced to send, the others superseded. A clock
    /// stopped by `at` owes nothing, whatever was due before it stopped.
    fn levels(&self, at: Timestamp, plan: &mut Plan) {
        let c = sla::clock(self.deadline, self.stop, at);
        if c.stopped_at.is_some() {
            return;
        }
        // A paused clock waits: nothing approaches or breaches until it resumes. One breached
        // before the pause stays breached, and its repeats go on (`sla::clocks` agrees).
        if self.paused.is_some_and(|p| p <= at && p <= self.deadline) {
            return;
        }
        let mut levels: Vec<(Level, Timestamp)> = Vec::new();
        let window = self
            .deadline
            .signed_duration_since(self.start)
            .num_seconds()
            .max(0);
        let window = match self.calendar {
            Some(cal) => {
                let open = cal.open_between(self.start, self.deadline, &[]).as_secs();
                i64::try_from(open).unwrap_or(i64::MAX)
            }
            None => window,
        };
        for &share in self.shares {
            // The formula `approaching` used, so a delivery recorded under it names the same
            // moment (`ledger::legacy`).
            let secs = (window as f64 * share).round() as i64;
            let part = Duration::from_secs(secs.max(0) as u64);
            let share_at = match self.calendar {
                Some(cal) => cal.add(self.start, part, &[]),
                None => time::add_capped(self.start, part),
            };
            if at >= share_at {
                levels.push((Level::at(share), share_at));
            }
        }
        if c.state == ClockState::Overdue {
            plan.breaches.push(Breach {
                incident: self.incident,
                kind: self.kind,
                deadline: c.deadline,
            });
            let first = match self.kind {
                Kind::Postmortem => Level::Overdue,
                _ => Level::Breached,
            };
            levels.push((first, c.deadline));
            // Repeat N is due N intervals after the deadline.
            let every = self.repeat.as_secs().max(1);
            let late = at.signed_duration_since(c.deadline).num_seconds().max(0) as u64;
            let last = late / every;
            let from = last.saturating_sub(MAX_SUPERSEDED_REPEATS).max(1);
            for n in from..=last {
                let due_at =
                    time::add_capped(c.deadline, Duration::from_secs(n.saturating_mul(every)));
                levels.push((Level::Repeat(n), due_at));
            }
        }
        let most_advanced = levels.len();
        for (i, (level, due_at)) in levels.into_iter().enumerate() {
            plan.reminders.push(Reminder {
                incident: self.incident,
                kind: self.kind,
                level,
                due_at,
                deadline: c.deadline,
                send: i + 1 == most_advanced,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{ActionKind, Severity, Status};
    use crate::domain::time::from_rfc3339;

    fn t(s: &str) -> Timestamp {
        from_rfc3339(s).unwrap()
    }

    fn incident(number: i64, severity: Severity, opened: &str) -> Incident {
        Incident::opened(number, severity, t(opened))
    }

    /// `i` with its deadlines judged under the default policy, as stored.
    fn subject(mut i: Incident) -> Subject {
        i.due = sla::due(&i, &[], &Policy::default());
        Subject {
            incident: i,
            last_activity: None,
            last_update: None,
        }
    }

    /// The plan at `at`, each incident's deadlines judged as a write stores them.
    fn plan_at(subjects: &[Subject], at: &str) -> Plan {
        let judged: Vec<Subject> = subjects
            .iter()
            .map(|s| Subject {
                incident: Incident {
                    due: sla::due(&s.incident, &[], &Policy::default()),
                    ..s.incident.clone()
                },
                last_activity: s.last_activity,
                last_update: s.last_update,
            })
            .collect();
        due(
            &judged,
            &[],
            &Policy::default(),
            &Reminders::default(),
            t(at),
        )
    }

    /// `kind/level` of each reminder, `!` marking the ones superseded (recorded, not sent).
    fn keys(plan: &Plan) -> Vec<String> {
        plan.reminders
            .iter()
            .map(|r| {
                let mark = if r.send { "" } else { "!" };
                format!("{mark}{}/{}", r.kind, r.level.key())
            })
            .collect()
    }

    #[test]
    fn approaching_is_due_exactly_at_the_share_of_the_window() {
        // P1: respond within 15m, so 75% is 11m 15s after the open.
        let s = [subject(incident(1, Severity::P1, "2026-11-29T10:00:00Z"))];
        assert!(keys(&plan_at(&s, "2026-11-29T10:11:14Z")).is_empty());
        let plan = plan_at(&s, "2026-11-29T10:11:15Z");
        assert_eq!(keys(&plan), ["respond/at-0.75"]);
        assert_eq!(plan.reminders[0].due_at, t("2026-11-29T10:11:15Z"));
        assert_eq!(plan.reminders[0].deadline, t("2026-11-29T10:15:00Z"));
        assert!(plan.breaches.is_empty());
        // The fix clock (1h) approaches at 45m.
        assert_eq!(
            keys(&plan_at(&s, "2026-11-29T10:45:00Z")),
            [
                "!respond/at-0.75",
                "!respond/breached",
                "!respond/repeat-1",
                "respond/repeat-2",
                "resolve/at-0.75"
            ]
        );
    }

    #[test]
    fn exactly_at_the_deadline_is_not_a_breach_and_one_second_later_is() {
        let s = [subject(incident(1, Severity::P1, "2026-11-29T10:00:00Z"))];
        let on_time = plan_at(&s, "2026-11-29T10:15:00Z");
        assert_eq!(keys(&on_time), ["respond/at-0.75"]);
        assert!(on_time.breaches.is_empty());
        let late = plan_at(&s, "2026-11-29T10:15:01Z");
        assert_eq!(keys(&late), ["!respond/at-0.75", "respond/breached"]);
        assert_eq!(
            late.breaches,
            [Breach {
                incident: 1,
                kind: Kind::Respond,
                deadline: t("2026-11-29T10:15:00Z")
            }]
        );
        assert_eq!(late.reminders[1].due_at, t("2026-11-29T10:15:00Z"));
    }

    #[test]
    fn repeat_n_is_counted_from_the_deadline_at_the_severitys_interval() {
        let s = [subject(incident(1, Severity::P1, "2026-11-29T10:00:00Z"))];
        // P1 repeats every 15m: repeat 1 at 10:30, not a second before.
        assert_eq!(
            keys(&plan_at(&s, "2026-11-29T10:29:59Z")),
            ["!respond/at-0.75", "respond/breached"]
        );
        let plan = plan_at(&s, "2026-11-29T10:30:00Z");
        assert_eq!(
            keys(&plan),
            ["!respond/at-0.75", "!respond/breached", "respond/repeat-1"]
        );
        assert_eq!(plan.reminders[2].due_at, t("2026-11-29T10:30:00Z"));
        // At 11:15 the response is 4 intervals late and the fix (due 11:00) 1.
        let plan = plan_at(&s, "2026-11-29T11:15:00Z");
        let sent: Vec<String> = keys(&plan)
            .into_iter()
            .filter(|k| !k.starts_with('!'))
            .collect();
        assert_eq!(sent, ["respond/repeat-4", "resolve/repeat-1"]);
        assert_eq!(plan.breaches.len(), 2);
        // P3 repeats every 4h.
        let p3 = [subject(incident(2, Severity::P3, "2026-11-29T10:00:00Z"))];
        let plan = plan_at(&p3, "2026-11-30T18:00:00Z");
        assert_eq!(
            keys(&plan),
            [
                "!respond/at-0.75",
                "!respond/breached",
                "!respond/repeat-1",
                "respond/repeat-2"
            ]
        );
    }

    #[test]
    fn a_clock_that_stopped_owes_nothing() {
        let mut i = incident(1, Severity::P1, "2026-11-29T10:00:00Z");
        // Acknowledged before the approaching moment: never reminded.
        i.acknowledged_at = Some(t("2026-11-29T10:10:00Z"));
        i.status = Status::Investigating;
        let s = [Subject {
            incident: i.clone(),
            last_activity: Some(t("2026-11-29T10:40:00Z")),
            last_update: None,
        }];
        assert!(keys(&plan_at(&s, "2026-11-29T10:20:00Z")).is_empty());
        // Resolved late: the fix clock stopped breached, which is no reminder, and nothing is
        // breached any more; the post-mortem clock starts.
        let mut resolved = i;
        resolved.resolved_at = Some(t("2026-11-29T11:30:00Z"));
        resolved.status = Status::Resolved;
        let s = [subject(resolved)];
        let plan = plan_at(&s, "2026-11-29T12:00:00Z");
        assert!(keys(&plan).is_empty(), "{:?}", keys(&plan));
        assert!(plan.breaches.is_empty());
    }

    #[test]
    fn at_in_the_past_sees_the_clocks_as_they_were_then() {
        let mut i = incident(1, Severity::P1, "2026-11-29T10:00:00Z");
        i.acknowledged_at = Some(t("2026-11-29T10:20:00Z"));
        i.resolved_at = Some(t("2026-11-29T10:50:00Z"));
        i.status = Status::Resolved;
        let s = [subject(i)];
        // At 10:16 nobody had acknowledged yet.
        let then = plan_at(&s, "2026-11-29T10:16:00Z");
        assert_eq!(keys(&then), ["!respond/at-0.75", "respond/breached"]);
        assert_eq!(then.breaches.len(), 1);
        // At 10:46 the response clock had stopped and the fix was approaching.
        assert_eq!(
            keys(&plan_at(&s, "2026-11-29T10:46:00Z")),
            ["resolve/at-0.75"]
        );
        // Before the open there was nothing.
        assert!(keys(&plan_at(&s, "2026-11-29T09:00:00Z")).is_empty());
    }

    #[test]
    fn the_post_mortem_is_overdue_a_second_after_its_window_and_repeats_once_per_window() {
        let mut i = incident(1, Severity::P1, "2026-11-29T10:00:00Z");
        i.acknowledged_at = Some(t("2026-11-29T10:05:00Z"));
        i.resolved_at = Some(t("2026-11-29T10:30:00Z"));
        i.status = Status::Resolved;
        let s = [subject(i.clone())];
        assert!(keys(&plan_at(&s, "2026-11-30T10:30:00Z")).is_empty());
        let plan = plan_at(&s, "2026-11-30T10:30:01Z");
        assert_eq!(keys(&plan), ["postmortem/overdue"]);
        assert_eq!(plan.breaches[0].kind, Kind::Postmortem);
        assert_eq!(
            keys(&plan_at(&s, "2026-12-01T10:30:00Z")),
            ["!postmortem/overdue", "postmortem/repeat-1"]
        );
        i.closed_at = Some(t("2026-11-30T12:00:00Z"));
        i.status = Status::Closed;
        let closed = plan_at(&[subject(i)], "2026-12-01T10:30:00Z");
        assert!(keys(&closed).is_empty());
        assert!(closed.breaches.is_empty());
    }

    #[test]
    fn action_items_are_due_a_moment_after_their_date_until_done() {
        let action = ActionItem {
            pk: 7,
            id: crate::domain::model::Number(7),
            incident_number: 3,
            text: "Deploy the health monitor".into(),
            kind: ActionKind::Detect,
            owner: Some("bob".into()),
            due_at: Some(t("2026-12-01T12:00:00Z")),
            created_at: t("2026-11-29T12:00:00Z"),
            created_by: "alice".into(),
            done_at: None,
            done_by: None,
        };
        let run = |a: &ActionItem, at: &str| {
            keys(&due(
                &[],
                std::slice::from_ref(a),
                &Policy::default(),
                &Reminders::default(),
                t(at),
            ))
        };
        assert!(run(&action, "2026-12-01T12:00:00Z").is_empty());
        assert_eq!(run(&action, "2026-12-01T12:00:01Z"), ["action/action-7"]);
        let mut done = action.clone();
        done.done_at = Some(t("2026-12-02T09:00:00Z"));
        assert!(run(&done, "2026-12-02T10:00:00Z").is_empty());
        assert_eq!(
            run(&done, "2026-12-02T08:00:00Z"),
            ["action/action-7"],
            "done later than --at"
        );
        let mut undated = action;
        undated.due_at = None;
        assert!(run(&undated, "2027-01-01T00:00:00Z").is_empty());
    }

    #[test]
    fn an_acknowledged_incident_quiet_for_longer_than_stale_is_reminded_once_per_quiet_spell() {
        let mut i = incident(1, Severity::P2, "2026-11-29T10:00:00Z");
        i.acknowledged_at = Some(t("2026-11-29T10:30:00Z"));
        i.status = Status::Investigating;
        let mut s = [Subject {
            incident: i.clone(),
            last_activity: Some(t("2026-11-29T11:00:00Z")),
            last_update: None,
        }];
        // Stale after 2h of quiet: exactly 2h is not yet.
        assert!(keys(&plan_at(&s, "2026-11-29T13:00:00Z")).is_empty());
        let plan = plan_at(&s, "2026-11-29T13:00:01Z");
        assert_eq!(keys(&plan), ["stale/2026-11-29T11:00:00Z"]);
        assert_eq!(plan.reminders[0].due_at, t("2026-11-29T13:00:00Z"));
        assert!(plan.breaches.is_empty(), "stale is not a breach");
        // A new entry starts a new spell, with a new key.
        s[0].last_activity = Some(t("2026-11-29T13:30:00Z"));
        assert_eq!(
            keys(&plan_at(&s, "2026-11-29T15:45:00Z")),
            ["stale/2026-11-29T13:30:00Z"]
        );
        // Not acknowledged: not stale (the response clock is what reminds).
        let open = [subject(incident(2, Severity::P3, "2026-11-29T10:00:00Z"))];
        assert!(keys(&plan_at(&open, "2026-11-29T15:00:00Z")).is_empty());
    }

    /// The plan at `at` with `settings`, each incident's deadlines judged as a write stores them.
    fn plan_with(subjects: &[Subject], settings: &Reminders, at: &str) -> Plan {
        let judged: Vec<Subject> = subjects
            .iter()
            .map(|s| Subject {
                incident: Incident {
                    due: sla::due(&s.incident, &[], &Policy::default()),
                    ..s.incident.clone()
                },
                ..s.clone()
            })
            .collect();
        due(&judged, &[], &Policy::default(), settings, t(at))
    }

    #[test]
    fn every_share_of_the_window_is_due_once_and_the_latest_supersedes_the_earlier() {
        let settings = Reminders {
            at: vec![0.5, 0.75],
            ..Reminders::default()
        };
        // P2: respond within 4h, so 2h and 3h after the open.
        let s = [subject(incident(1, Severity::P2, "2026-11-29T10:00:00Z"))];
        assert!(keys(&plan_with(&s, &settings, "2026-11-29T11:59:59Z")).is_empty());
        let half = plan_with(&s, &settings, "2026-11-29T12:00:00Z");
        assert_eq!(keys(&half), ["respond/at-0.5"]);
        assert_eq!(half.reminders[0].due_at, t("2026-11-29T12:00:00Z"));
        assert!(!half.reminders[0].level.late());
        let three_quarters = plan_with(&s, &settings, "2026-11-29T13:00:00Z");
        assert_eq!(
            keys(&three_quarters),
            ["!respond/at-0.5", "respond/at-0.75"]
        );
        assert_eq!(
            three_quarters.reminders[1].due_at,
            t("2026-11-29T13:00:00Z")
        );
        // No shares: only the breach.
        let none = Reminders {
            at: vec![],
            ..Reminders::default()
        };
        assert!(keys(&plan_with(&s, &none, "2026-11-29T13:59:00Z")).is_empty());
        assert_eq!(
            keys(&plan_with(&s, &none, "2026-11-29T14:00:01Z")),
            ["respond/breached"]
        );
    }

    #[test]
    fn an_update_is_due_once_per_silence_of_the_cadence_from_a_person() {
        let settings = Reminders {
            update_p1: Some(Duration::from_secs(30 * 60)),
            at: vec![],
            ..Reminders::default()
        };
        let mut i = incident(1, Severity::P1, "2026-11-29T10:00:00Z");
        i.acknowledged_at = Some(t("2026-11-29T10:05:00Z"));
        i.status = Status::Investigating;
        let updates = |s: &[Subject], at: &str| -> Vec<String> {
            keys(&plan_with(s, &settings, at))
                .into_iter()
                .filter(|k| k.starts_with("update/"))
                .collect()
        };
        // Unacknowledged or not, nothing from a person since the opening at 10:00.
        let mut s = [Subject {
            incident: i.clone(),
            last_activity: Some(t("2026-11-29T10:20:00Z")),
            last_update: Some(t("2026-11-29T10:00:00Z")),
        }];
        assert!(
            updates(&s, "2026-11-29T10:30:00Z").is_empty(),
            "exactly 30m"
        );
        let plan = plan_with(&s, &settings, "2026-11-29T10:30:01Z");
        assert_eq!(
            updates(&s, "2026-11-29T10:30:01Z"),
            ["update/2026-11-29T10:00:00Z"]
        );
        let r = plan
            .reminders
            .iter()
            .find(|r| r.kind == Kind::Update)
            .unwrap();
        assert_eq!(r.due_at, t("2026-11-29T10:30:00Z"));
        // Still the same silence an hour later: the same key, so the ledger sends it once.
        assert_eq!(
            updates(&s, "2026-11-29T11:45:00Z"),
            ["update/2026-11-29T10:00:00Z"]
        );
        // A note at 10:40 starts a new silence, due at 11:10.
        s[0].last_update = Some(t("2026-11-29T10:40:00Z"));
        assert!(updates(&s, "2026-11-29T11:10:00Z").is_empty());
        assert_eq!(
            updates(&s, "2026-11-29T11:10:01Z"),
            ["update/2026-11-29T10:40:00Z"]
        );
        // A P1 with a cadence is not also reminded as stale.
        assert!(
            !keys(&plan_with(&s, &settings, "2026-11-29T18:00:00Z"))
                .iter()
                .any(|k| k.starts_with("stale/"))
        );
        // Resolved: no cadence.
        let mut resolved = i.clone();
        resolved.resolved_at = Some(t("2026-11-29T10:50:00Z"));
        resolved.status = Status::Resolved;
        let r = [Subject {
            incident: resolved,
            last_activity: None,
            last_update: Some(t("2026-11-29T10:00:00Z")),
        }];
        assert!(updates(&r, "2026-11-29T12:00:00Z").is_empty());
        assert_eq!(
            updates(&r, "2026-11-29T10:45:00Z").len(),
            1,
            "resolved later than --at"
        );
        // Another severity has no cadence: stale as before.
        let mut p2 = i;
        p2.severity = Severity::P2;
        let s = [Subject {
            incident: p2,
            last_activity: Some(t("2026-11-29T10:20:00Z")),
            last_update: None,
        }];
        let all = keys(&plan_with(&s, &settings, "2026-11-29T12:30:00Z"));
        assert!(
            all.contains(&"stale/2026-11-29T10:20:00Z".to_string()),
            "{all:?}"
        );
        assert!(!all.iter().any(|k| k.starts_with("update/")), "{all:?}");
    }

    #[test]
    fn superseded_repeats_are_bounded() {
        let settings = Reminders {
            repeat_p1: Duration::from_secs(1),
            ..Reminders::default()
        };
        let s = [subject(incident(1, Severity::P1, "2026-11-29T10:00:00Z"))];
        let plan = due(
            &s,
            &[],
            &Policy::default(),
            &settings,
            t("2027-11-29T10:00:00Z"),
        );
        let respond: Vec<&Reminder> = plan
            .reminders
            .iter()
            .filter(|r| r.kind == Kind::Respond)
            .collect();
        assert!(respond.len() <= MAX_SUPERSEDED_REPEATS as usize + 3);
        let last = respond.last().unwrap();
        assert!(last.send);
        assert_eq!(last.level, Level::Repeat(365 * 86_400 - 15 * 60));
    }

    #[test]
    fn keys_are_stable_text() {
        assert_eq!(Level::Repeat(3).key(), "repeat-3");
        assert_eq!(Level::at(0.75).key(), "at-0.75");
        assert_eq!(Level::at(0.5).key(), "at-0.5");
        assert_eq!(Level::at(1.0 / 3.0).key(), "at-0.333333");
        assert!(Level::at(0.5) < Level::at(0.75));
        assert_eq!(Level::Action(7).key(), "action-7");
        assert_eq!(
            Level::Stale(t("2026-11-29T11:00:00Z")).key(),
            "2026-11-29T11:00:00Z"
        );
        for k in Kind::ALL {
            assert_eq!(Kind::from_key(k.as_str()), Some(k));
        }
    }
}
