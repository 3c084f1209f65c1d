//! SLA policy and clocks, pure: [`due`] computes an incident's deadlines once from its
//! timeline (stored with it on every write), and [`clocks`] judges those deadlines at a moment.

use crate::domain::calendar::Calendar;
use crate::domain::event::{Event, EventKind, PAUSED};
use crate::domain::model::{Incident, Severity, Status};
use crate::domain::terms::{self, Of, Rule, Rules};
use crate::domain::time::{self, Timestamp};
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
    /// The calendar each severity's respond and fix clocks count on (`[sla.P3] calendar`),
    /// P1 first; none is 24x7.
    pub calendars: [Option<Calendar>; 3],
    /// The post-mortem clock's calendar (`[sla] postmortem_calendar`); none is 24x7.
    pub postmortem_calendar: Option<Calendar>,
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
            calendars: [None, None, None],
            postmortem_calendar: None,
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

    /// The policy as the store records it beside the deadlines it judged: when the settings'
    /// policy differs, every incident is judged again (whole seconds, as deadlines are).
    pub fn fingerprint(&self) -> String {
        let s = |d: Duration| whole(d).as_secs();
        let t = |t: Target| format!("{}/{}", s(t.respond), s(t.resolve));
        let targets = format!(
            "P1 {} P2 {} P3 {} postmortem {}",
            t(self.p1),
            t(self.p2),
            t(self.p3),
            s(self.postmortem)
        );
        if self.calendars.iter().all(Option::is_none) && self.postmortem_calendar.is_none() {
            // As before calendars: an upgrade without them judges nothing again.
            return targets;
        }
        // Holidays expanded from a recurring rule can be thousands of dates: a digest of
        // them all, so that any change to a calendar judges again what follows the config.
        use sha2::Digest;
        let calendars = serde_json::json!([self.calendars, self.postmortem_calendar]);
        let digest = sha2::Sha256::digest(calendars.to_string().as_bytes());
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("{targets} calendars {hex}")
    }

    /// The calendar `severity`'s respond and fix clocks count on; none is 24x7.
    pub fn calendar(&self, severity: Severity) -> Option<&Calendar> {
        self.calendars[severity_index(severity)].as_ref()
    }

    pub fn calendar_mut(&mut self, severity: Severity) -> &mut Option<Calendar> {
        &mut self.calendars[severity_index(severity)]
    }

    pub fn target_mut(&mut self, severity: Severity) -> &mut Target {
        match severity {
            Severity::P1 => &mut self.p1,
            Severity::P2 => &mut self.p2,
            Severity::P3 => &mut self.p3,
        }
    }
}

fn severity_index(severity: Severity) -> usize {
    match severity {
        Severity::P1 => 0,
        Severity::P2 => 1,
        Severity::P3 => 2,
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
    /// Not stopped, and paused (`incident sla pause`) before its deadline: its time left
    /// does not shrink until it resumes.
    Paused,
    /// The incident was cancelled (opened by mistake, noise): stopped, neither met nor
    /// breached.
    Cancelled,
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

    /// The clock in words, as `sla`, `show` and the board say it: `12m left`, `OVERDUE by 2h`,
    /// `met with 5m to spare`, `BREACHED by 1h`, `PAUSED with 3h left`.
    pub fn words(&self) -> String {
        let d = time::human_duration(self.margin);
        match self.state {
            ClockState::Running => format!("{d} left"),
            ClockState::Overdue => format!("OVERDUE by {d}"),
            ClockState::Met => format!("met with {d} to spare"),
            ClockState::Breached => format!("BREACHED by {d}"),
            ClockState::Paused => format!("PAUSED with {d} left"),
            ClockState::Cancelled => "cancelled: neither met nor breached".to_string(),
        }
    }
}

/// A clock with its `deadline`, evaluated at `now`. A stop later than `now` had not happened
/// yet at `now`, so `sla --at` in the past sees the clock still running (against the deadline
/// stored now: the one in force when it stopped). Reaching the deadline exactly is on time:
/// only a moment after it breaches.
pub fn clock(deadline: Timestamp, stopped: Option<Timestamp>, now: Timestamp) -> Clock {
    let stopped_at = stopped.filter(|t| *t <= now);
    let until = stopped_at.unwrap_or(now);
    let margin = deadline.signed_duration_since(until).num_seconds();
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

/// The deadlines of an incident's three clocks, computed once from its timeline by [`due`]
/// and stored with it (version 11), so that every reader (`list --breached`, `sla`, `remind`,
/// the review) judges the same clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// Detected → acknowledged.
    pub respond: Timestamp,
    /// Detected → resolved; a reopen clears the stop and the clock runs again.
    pub resolve: Timestamp,
    /// Resolved → closed; none until resolved.
    pub postmortem: Option<Timestamp>,
    /// The target and calendar each deadline was judged by (version 20).
    pub rules: Rules,
}

impl Due {
    /// Deadlines not judged yet (all at `at`): what a projection starts from before [`due`]
    /// replaces them, which every write does before it stores the incident.
    pub fn unjudged(at: Timestamp) -> Due {
        Due {
            respond: at,
            resolve: at,
            postmortem: None,
            rules: Rules::default(),
        }
    }
}

/// One pause of the SLA clocks: from `from` to its resume or the resolution that ended it
/// (`None` while it lasts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    pub from: Timestamp,
    pub until: Option<Timestamp>,
    pub reason: String,
}

/// The pauses of a timeline (any order), in time order: a `pause` event starts one, a
/// resume or a resolution ends it. The commands allow one pause at a time; a merged timeline
/// holding two overlapping keeps the first.
pub fn pauses(events: &[Event]) -> Vec<Pause> {
    let mut sorted: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Pause | EventKind::Status))
        .collect();
    sorted.sort_by_key(|e| e.at);
    let mut found: Vec<Pause> = Vec::new();
    for e in sorted {
        let open = found.last_mut().filter(|p| p.until.is_none());
        let ends = match e.kind {
            EventKind::Pause => e.new.as_deref() != Some(PAUSED),
            _ => {
                matches!(e.new.as_deref(), Some(s) if s == Status::Resolved.as_str() || s == Status::Cancelled.as_str())
            }
        };
        match (open, ends) {
            (Some(p), true) => p.until = Some(e.at),
            (None, false) if e.kind == EventKind::Pause => found.push(Pause {
                from: e.at,
                until: None,
                reason: e.text.clone(),
            }),
            _ => {}
        }
    }
    found
}

/// `deadline` pushed back by the part of each pause that fell while the clock ran: a pause
/// counts from its start (if the clock had not stopped or breached by then) to its end or
/// the clock's stop. A pause still lasting counts as ending where it began: `clocks` adds
/// its length at the moment of judgement.
pub fn paused_deadline(
    deadline: Timestamp,
    stop: Option<Timestamp>,
    pauses: &[Pause],
) -> Timestamp {
    pauses.iter().fold(deadline, |d, p| {
        if stop.is_some_and(|s| p.from >= s) || p.from > d {
            return d;
        }
        let end = p.until.unwrap_or(p.from);
        let end = stop.map_or(end, |s| end.min(s));
        let length = end
            .signed_duration_since(p.from)
            .to_std()
            .unwrap_or_default();
        time::add_capped(d, length)
    })
}

/// The deadlines of `incident`, whose timeline (any order) is `events`, under `policy`. The
/// respond and fix clocks start at detection. Each clock runs under the terms (target and
/// calendar) its timeline recorded (`terms`): a running clock's follow the current severity,
/// a stopped clock's the severity in force at the moment it stopped (by the events' times),
/// so that it keeps the verdict it had: escalating after an acknowledgement does not turn a
/// met response into a breach. An incident recorded before terms follows `policy`. The
/// post-mortem clock runs from the resolution. Paused time ([`pauses`]) does not count
/// against the respond and fix clocks. Deadlines past the range of times are capped
/// (`time::add_capped`), so no target overflows.
pub fn due(incident: &Incident, events: &[Event], policy: &Policy) -> Due {
    let pauses = pauses(events);
    let start = incident.detected_at;
    let (ack, fixed) = (incident.acknowledged_at, incident.resolved_at);
    let respond = terms::clock_rule(incident, events, policy, Of::Respond, ack);
    let resolve = terms::clock_rule(incident, events, policy, Of::Resolve, fixed);
    let postmortem = fixed.map(|r| (r, terms::postmortem_rule(events, policy, r)));
    Due {
        respond: deadline(start, &respond, ack, &pauses),
        resolve: deadline(start, &resolve, fixed, &pauses),
        postmortem: postmortem
            .as_ref()
            .map(|(r, rule)| deadline(*r, rule, None, &[])),
        rules: Rules {
            respond: Some(respond),
            resolve: Some(resolve),
            postmortem: postmortem.map(|(_, rule)| rule),
        },
    }
}

/// The deadline of a clock started at `start` under `rule`, stopped at `stop` (if it has),
/// with `pauses` as [`paused_deadline`] counts them: on a calendar, a pause takes out the open
/// hours it covers.
pub fn deadline(
    start: Timestamp,
    rule: &Rule,
    stop: Option<Timestamp>,
    pauses: &[Pause],
) -> Timestamp {
    let target = Duration::from_secs(rule.target_seconds);
    let Some(calendar) = &rule.calendar else {
        return paused_deadline(time::add_capped(start, target), stop, pauses);
    };
    let mut excluded: Vec<(Timestamp, Timestamp)> = Vec::new();
    let mut d = calendar.add(start, target, &excluded);
    for p in pauses {
        if stop.is_some_and(|s| p.from >= s) || p.from > d {
            continue;
        }
        let end = p.until.unwrap_or(p.from);
        excluded.push((p.from, stop.map_or(end, |s| end.min(s))));
        d = calendar.add(start, target, &excluded);
    }
    d
}

/// A target with a fraction of a second counts as the next whole second: deadlines are stored
/// in whole seconds, and a clock judges by its margin in whole seconds, so a stop less than a
/// second past such a deadline is on time either way.
pub fn whole(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0)))
}

/// The severity in force at `t`: the opening's, changed by every severity event dated at or
/// before `t` (in time order; events at the same time in the order given). A severity
/// changed in the same command that stops a clock counts for it.
pub fn severity_at(incident: &Incident, events: &[Event], t: Timestamp) -> Severity {
    let parse = |e: &Event| e.new.as_deref().and_then(|s| s.parse::<Severity>().ok());
    let opening = events
        .iter()
        .find(|e| e.kind == EventKind::Opened)
        .and_then(parse)
        .unwrap_or(incident.severity);
    let mut changes: Vec<(Timestamp, usize, Severity)> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == EventKind::Severity && e.at <= t)
        .filter_map(|(n, e)| parse(e).map(|s| (e.at, n, s)))
        .collect();
    changes.sort_by_key(|(at, n, _)| (*at, *n));
    changes.last().map_or(opening, |(_, _, s)| *s)
}

/// The clocks of one incident at `now`, from its stored deadlines: respond (detected →
/// acknowledged), fix (detected → resolved), and post-mortem (resolved → closed, once
/// resolved by `now`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clocks {
    pub respond: Clock,
    pub resolve: Clock,
    pub postmortem: Option<Clock>,
}

pub fn clocks(incident: &Incident, now: Timestamp) -> Clocks {
    if incident.status == Status::Cancelled {
        let cancelled = |c: Clock| Clock {
            state: ClockState::Cancelled,
            ..c
        };
        let c = clocks_of(incident, now);
        return Clocks {
            respond: cancelled(c.respond),
            resolve: cancelled(c.resolve),
            postmortem: c.postmortem.map(cancelled),
        };
    }
    clocks_of(incident, now)
}

fn clocks_of(incident: &Incident, now: Timestamp) -> Clocks {
    let due = &incident.due;
    let resolved = incident.resolved_at.filter(|t| *t <= now);
    let paused = |c: Clock, rule: &Option<Rule>| {
        let calendar = rule.as_ref().and_then(|r| r.calendar.as_ref());
        held(c, calendar, incident.paused_at, now)
    };
    Clocks {
        respond: paused(
            clock(due.respond, incident.acknowledged_at, now),
            &due.rules.respond,
        ),
        resolve: paused(
            clock(due.resolve, incident.resolved_at, now),
            &due.rules.resolve,
        ),
        // Publishing the post-mortem stops its clock as closing does (`close` does not wait
        // for it): whichever came first.
        postmortem: resolved
            .and(due.postmortem)
            .map(|d| clock(d, incident.postmortem_done_at(), now)),
    }
}

/// A running clock paused at `since` (by `now`, and not past its deadline then) keeps the time
/// it had left at the pause (on its `calendar`, the open time left); its deadline is the
/// stored one moved by the pause so far. A clock already overdue when paused stays overdue.
pub fn held(
    c: Clock,
    calendar: Option<&Calendar>,
    since: Option<Timestamp>,
    now: Timestamp,
) -> Clock {
    match since {
        Some(p) if c.stopped_at.is_none() && p <= now && p <= c.deadline => {
            let (deadline, left) = match calendar {
                None => {
                    let so_far = now.signed_duration_since(p).to_std().unwrap_or_default();
                    let left = c.deadline.signed_duration_since(p).num_seconds();
                    (time::add_capped(c.deadline, so_far), left)
                }
                Some(cal) => {
                    let left = cal.open_between(p, c.deadline, &[]);
                    let left_seconds = i64::try_from(left.as_secs()).unwrap_or(i64::MAX);
                    (cal.add(now, left, &[]), left_seconds)
                }
            };
            Clock {
                deadline,
                stopped_at: None,
                state: ClockState::Paused,
                margin: left,
            }
        }
        _ => c,
    }
}

/// How a clock judged by `rule` stands as its calendar counts: the time it counted from
/// `start` to its stop (or `now`) and its margin, in open time (the deadline already holds
/// the pauses, so what was used is the target less the margin); on 24x7 the wall time. For
/// sentences like "fixed in 20h against a target of 24h on calendar business"; the verdict
/// stays the clock's own.
pub fn counted(c: &Clock, start: Timestamp, rule: Option<&Rule>, now: Timestamp) -> (i64, i64) {
    let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    let until = c.stopped_at.unwrap_or(now);
    let Some((cal, rule)) = rule.and_then(|r| r.calendar.as_ref().map(|cal| (cal, r))) else {
        let target = c.deadline.signed_duration_since(start).num_seconds().max(0);
        return (target.saturating_sub(c.margin), c.margin);
    };
    let margin = match c.state {
        // Already the open time left at the pause.
        ClockState::Paused => c.margin,
        _ if until <= c.deadline => secs(cal.open_between(until, c.deadline, &[])),
        _ => secs(cal.open_between(c.deadline, until, &[])).saturating_neg(),
    };
    let target = i64::try_from(rule.target_seconds).unwrap_or(i64::MAX);
    (target.saturating_sub(margin), margin)
}

impl Clocks {
    /// Whether either is paused.
    pub fn paused(&self) -> bool {
        self.respond.state == ClockState::Paused || self.resolve.state == ClockState::Paused
    }

    pub fn breached(&self) -> bool {
        self.respond.breached() || self.resolve.breached()
    }

    /// Breached, or with its post-mortem overdue: what `list --breached` lists (the review
    /// counts overdue post-mortems too).
    pub fn late(&self) -> bool {
        self.breached()
            || self
                .postmortem
                .is_some_and(|p| p.state == ClockState::Overdue)
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

    fn event(kind: EventKind, at: &str, new: &str) -> Event {
        Event {
            at: t(at),
            recorded_at: t("2026-12-01T00:00:00Z"),
            author: "alice".into(),
            kind,
            field: None,
            old: None,
            new: Some(new.into()),
            text: String::new(),
            detail: None,
            uuid: None,
        }
    }

    /// The incident's deadlines under the default policy: opened as `opening`, then `events`.
    fn judged(mut i: Incident, opening: &str, events: &[Event]) -> Incident {
        let mut all = vec![event(EventKind::Opened, "2000-01-01T00:00:00Z", opening)];
        all.extend_from_slice(events);
        i.due = due(&i, &all, &Policy::default());
        i
    }

    /// Monday to Friday 09:00-17:00 in Berlin (UTC+1 in December).
    fn business() -> Calendar {
        Calendar {
            name: "business".into(),
            timezone: chrono_tz::Europe::Berlin,
            hours: vec![crate::domain::calendar::Hours::parse("Mon-Fri 09:00-17:00").unwrap()],
            holidays: Default::default(),
        }
    }

    fn on_business_hours() -> Policy {
        let mut policy = Policy::default();
        *policy.calendar_mut(Severity::P3) = Some(business());
        policy
    }

    /// A P3 opened Friday 2026-12-04 16:00 Berlin under `policy`, its opening recording terms.
    fn friday_p3(policy: &Policy) -> (Incident, Event) {
        let i = incident(Severity::P3, "2026-12-04T15:00:00Z");
        let mut opened = event(EventKind::Opened, "2026-12-04T15:00:00Z", "P3");
        terms::stamp(&mut opened, i.detected_at, policy);
        (i, opened)
    }

    #[test]
    fn a_p3_on_business_hours_opened_friday_afternoon_is_due_wednesday_afternoon() {
        let policy = on_business_hours();
        let (i, opened) = friday_p3(&policy);
        let d = due(&i, std::slice::from_ref(&opened), &policy);
        // 24h: 1h Friday, 8h Monday, 8h Tuesday, 7h Wednesday.
        assert_eq!(d.respond, t("2026-12-09T15:00:00Z"));
        // 72h: 1 + 8 × 8 (Mon 7th to Wed 16th) + 7h on Thursday 17th.
        assert_eq!(d.resolve, t("2026-12-17T15:00:00Z"));
        // The opening recorded the terms: a config without the calendar changes nothing.
        assert_eq!(
            due(&i, std::slice::from_ref(&opened), &Policy::default()),
            d
        );
        // Recorded before terms were kept: the config rules, now 24x7.
        let before = event(EventKind::Opened, "2026-12-04T15:00:00Z", "P3");
        let d = due(&i, std::slice::from_ref(&before), &Policy::default());
        assert_eq!(d.respond, t("2026-12-05T15:00:00Z"));
        assert!(!d.rules.respond.unwrap().recorded);
        assert_eq!(
            due(&i, &[before], &policy).respond,
            t("2026-12-09T15:00:00Z")
        );
    }

    #[test]
    fn a_pause_on_a_calendar_takes_out_the_open_hours_it_covers() {
        let policy = on_business_hours();
        let (i, opened) = friday_p3(&policy);
        let pause = |at: &str, new: &str| event(EventKind::Pause, at, new);
        // Paused Monday 10:00 to 12:00 Berlin: two open hours; Wednesday closes at 17:00,
        // so the response is due Thursday 10:00.
        let events = [
            opened,
            pause("2026-12-07T09:00:00Z", PAUSED),
            pause("2026-12-07T11:00:00Z", "resumed"),
        ];
        assert_eq!(due(&i, &events, &policy).respond, t("2026-12-10T09:00:00Z"));
        // Paused over the weekend only (Friday 17:00 to Monday 09:00): nothing moves.
        let events = [
            events[0].clone(),
            pause("2026-12-04T16:00:00Z", PAUSED),
            pause("2026-12-07T08:00:00Z", "resumed"),
        ];
        assert_eq!(due(&i, &events, &policy).respond, t("2026-12-09T15:00:00Z"));
    }

    #[test]
    fn a_paused_calendar_clock_keeps_its_open_time_left() {
        let policy = on_business_hours();
        let (mut i, opened) = friday_p3(&policy);
        // Paused Friday 16:30 Berlin, half an hour used.
        let paused = event(EventKind::Pause, "2026-12-04T15:30:00Z", PAUSED);
        i.paused_at = Some(paused.at);
        i.due = due(&i, &[opened, paused], &policy);
        let c = clocks(&i, t("2026-12-05T12:00:00Z"));
        assert_eq!(c.respond.state, ClockState::Paused);
        assert_eq!(c.respond.margin, 23 * 3_600 + 1_800);
        // Resumed now, Saturday: 8h Monday, 8h Tuesday, 7h 30m Wednesday.
        assert_eq!(c.respond.deadline, t("2026-12-09T15:30:00Z"));
        // Counted in open hours: 30m used of 24h.
        let rule = i.due.rules.respond.as_ref();
        let (used, margin) = counted(&c.respond, i.detected_at, rule, t("2026-12-05T12:00:00Z"));
        assert_eq!((used, margin), (1_800, 23 * 3_600 + 1_800));
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn exactly_at_the_deadline_is_on_time_and_one_second_later_is_not() {
        let deadline = t("2026-11-29T10:15:00Z");
        let at = clock(deadline, None, t("2026-11-29T10:15:00Z"));
        assert_eq!((at.state, at.margin), (ClockState::Running, 0));
        let after = clock(deadline, None, t("2026-11-29T10:15:01Z"));
        assert_eq!((after.state, after.margin), (ClockState::Overdue, -1));
        let later = t("2026-11-30T00:00:00Z");
        let stopped_at = clock(deadline, Some(t("2026-11-29T10:15:00Z")), later);
        assert_eq!((stopped_at.state, stopped_at.margin), (ClockState::Met, 0));
        let stopped_late = clock(deadline, Some(t("2026-11-29T10:15:01Z")), later);
        assert_eq!(
            (stopped_late.state, stopped_late.margin),
            (ClockState::Breached, -1)
        );
        let early = clock(deadline, Some(t("2026-11-29T10:14:59Z")), later);
        assert_eq!((early.state, early.margin), (ClockState::Met, 1));
    }

    #[test]
    fn a_stop_after_the_evaluation_moment_has_not_happened_yet() {
        let c = clock(
            t("2026-11-29T10:15:00Z"),
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
    fn clocks_start_at_detection_not_at_the_declaration() {
        // Impact 14:54, paged 14:55, declared 15:05, resolved 16:00: the fix clock ran from
        // the page, so the P1's hour ended at 15:55 and the fix was 5 minutes late.
        let mut i = incident(Severity::P1, "2026-11-29T15:05:00Z");
        i.started_at = t("2026-11-29T14:54:00Z");
        i.detected_at = t("2026-11-29T14:55:00Z");
        i.acknowledged_at = Some(t("2026-11-29T15:05:00Z"));
        i.resolved_at = Some(t("2026-11-29T16:00:00Z"));
        let c = clocks(&judged(i, "P1", &[]), t("2026-11-29T17:00:00Z"));
        assert_eq!(c.respond.deadline, t("2026-11-29T15:10:00Z"));
        assert_eq!((c.respond.state, c.respond.margin), (ClockState::Met, 300));
        assert_eq!(c.resolve.deadline, t("2026-11-29T15:55:00Z"));
        assert_eq!(
            (c.resolve.state, c.resolve.margin),
            (ClockState::Breached, -300)
        );
        let pm = c.postmortem.unwrap();
        assert_eq!(pm.deadline, t("2026-11-30T16:00:00Z"));
        assert_eq!(pm.state, ClockState::Running);
    }

    #[test]
    fn a_running_clock_follows_the_current_severity() {
        let mut i = incident(Severity::P3, "2026-11-29T10:00:00Z");
        let now = t("2026-11-29T11:30:00Z");
        let p3 = clocks(&judged(i.clone(), "P3", &[]), now);
        assert_eq!(p3.respond.deadline, t("2026-11-30T10:00:00Z"));
        assert!(!p3.breached());
        let raise = event(EventKind::Severity, "2026-11-29T11:00:00Z", "P1");
        i.severity = Severity::P1;
        let p1 = clocks(&judged(i, "P3", &[raise]), now);
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
    fn a_stopped_clock_keeps_the_verdict_of_the_severity_in_force_when_it_stopped() {
        // P3 acknowledged after 2 h (met against 24 h), escalated to P1 at 13:00: the
        // response stays met; the running fix clock now has the P1's hour and is overdue.
        let mut i = incident(Severity::P3, "2026-11-29T10:00:00Z");
        i.acknowledged_at = Some(t("2026-11-29T12:00:00Z"));
        i.severity = Severity::P1;
        let raise = event(EventKind::Severity, "2026-11-29T13:00:00Z", "P1");
        let i = judged(i, "P3", std::slice::from_ref(&raise));
        let c = clocks(&i, t("2026-11-29T13:30:00Z"));
        assert_eq!(c.respond.deadline, t("2026-11-30T10:00:00Z"));
        assert_eq!(c.respond.state, ClockState::Met);
        assert_eq!(c.resolve.deadline, t("2026-11-29T11:00:00Z"));
        assert_eq!(c.resolve.state, ClockState::Overdue);
        // The same escalation recorded later but dated before the acknowledgement was in
        // force when it stopped: the response was late.
        let early = Event {
            at: t("2026-11-29T10:05:00Z"),
            ..raise
        };
        let mut i = i;
        i.resolved_at = Some(t("2026-11-29T14:00:00Z"));
        let i = judged(i, "P3", &[early]);
        let c = clocks(&i, t("2026-11-29T14:00:00Z"));
        assert_eq!(
            (c.respond.state, c.respond.margin),
            (ClockState::Breached, -(105 * 60))
        );
    }

    #[test]
    fn a_severity_change_at_the_moment_of_the_stop_counts_for_it() {
        let mut i = incident(Severity::P1, "2026-11-29T10:00:00Z");
        i.acknowledged_at = Some(t("2026-11-29T10:30:00Z"));
        i.severity = Severity::P2;
        let lower = event(EventKind::Severity, "2026-11-29T10:30:00Z", "P2");
        let c = clocks(&judged(i, "P1", &[lower]), t("2026-11-29T11:00:00Z"));
        assert_eq!(c.respond.deadline, t("2026-11-29T14:00:00Z"));
        assert_eq!(c.respond.state, ClockState::Met);
    }

    #[test]
    fn backdated_open_found_five_days_late_breaches_both() {
        // The guide's outage: collection stopped on Oct 7 and was acknowledged five days later.
        let mut inc = incident(Severity::P1, "2026-10-07T09:00:00Z");
        inc.acknowledged_at = Some(t("2026-10-12T09:00:00Z"));
        inc.resolved_at = Some(t("2026-10-12T11:00:00Z"));
        let c = clocks(&judged(inc, "P1", &[]), t("2026-10-12T12:00:00Z"));
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
        let resolved = clocks(&judged(inc.clone(), "P2", &[]), t("2026-11-30T06:00:00Z"));
        assert_eq!(resolved.resolve.state, ClockState::Met);
        assert_eq!(resolved.postmortem.unwrap().state, ClockState::Overdue);
        // Reopened: the fix never held, so the clock is running again and already past 24 h.
        inc.resolved_at = None;
        let reopened = clocks(&judged(inc, "P2", &[]), t("2026-11-30T06:00:00Z"));
        assert_eq!(
            (reopened.resolve.state, reopened.resolve.margin),
            (ClockState::Overdue, -6 * 3_600)
        );
        assert_eq!(reopened.respond.state, ClockState::Met);
        assert!(reopened.postmortem.is_none());
    }

    #[test]
    fn targets_past_the_range_of_times_are_capped_not_overflowed() {
        let policy = Policy {
            p3: Target {
                respond: Duration::MAX,
                resolve: secs(u64::MAX / 2),
            },
            postmortem: Duration::MAX,
            ..Policy::default()
        };
        let mut i = incident(Severity::P3, "9999-12-31T00:00:00Z");
        i.resolved_at = Some(t("9999-12-31T12:00:00Z"));
        let d = due(&i, &[], &policy);
        assert_eq!(d.respond, time::latest());
        assert_eq!(d.resolve, time::latest());
        assert_eq!(d.postmortem, Some(time::latest()));
        let c = clock(d.respond, None, time::latest());
        assert_eq!((c.state, c.margin), (ClockState::Running, 0));
    }

    fn pause(at: &str, new: &str) -> Event {
        Event {
            text: "waiting on vendor ticket CS-4411".into(),
            ..event(EventKind::Pause, at, new)
        }
    }

    #[test]
    fn a_pause_at_the_deadline_holds_and_one_a_second_later_does_not() {
        // P1 at 10:00, respond by 10:15; paused 10:15:00 or 10:15:01, resumed 10:45.
        let i = incident(Severity::P1, "2026-11-29T10:00:00Z");
        let resume = pause("2026-11-29T10:45:00Z", "resumed");
        let at_deadline = judged(
            i.clone(),
            "P1",
            &[pause("2026-11-29T10:15:00Z", "paused"), resume.clone()],
        );
        assert_eq!(at_deadline.due.respond, t("2026-11-29T10:45:00Z"));
        let late = judged(i, "P1", &[pause("2026-11-29T10:15:01Z", "paused"), resume]);
        assert_eq!(late.due.respond, t("2026-11-29T10:15:00Z"));
        // Both pauses began before the fix deadline (11:00): 30m and 29m 59s more.
        assert_eq!(at_deadline.due.resolve, t("2026-11-29T11:30:00Z"));
        assert_eq!(late.due.resolve, t("2026-11-29T11:29:59Z"));
    }

    #[test]
    fn a_paused_clock_keeps_its_time_left_until_resumed() {
        let mut i = incident(Severity::P1, "2026-11-29T10:00:00Z");
        i.paused_at = Some(t("2026-11-29T10:05:00Z"));
        let i = judged(i, "P1", &[pause("2026-11-29T10:05:00Z", "paused")]);
        // Before the pause it runs; from it, 10m and 55m stay left however long it lasts.
        let before = clocks(&i, t("2026-11-29T10:04:00Z"));
        assert_eq!(before.respond.state, ClockState::Running);
        let c = clocks(&i, t("2026-11-30T10:05:00Z"));
        assert_eq!(
            (c.respond.state, c.respond.margin),
            (ClockState::Paused, 600)
        );
        assert_eq!(
            (c.resolve.state, c.resolve.margin),
            (ClockState::Paused, 3_300)
        );
        assert_eq!(c.respond.deadline, t("2026-11-30T10:15:00Z"));
        assert!(!c.breached() && c.paused());
    }

    #[test]
    fn a_pause_after_a_stop_counts_for_nothing_and_a_resolution_ends_one() {
        // Acknowledged 10:05, paused 10:10, resolved 10:40: the response had stopped, the fix
        // was held 30 minutes.
        let mut i = incident(Severity::P1, "2026-11-29T10:00:00Z");
        i.acknowledged_at = Some(t("2026-11-29T10:05:00Z"));
        i.resolved_at = Some(t("2026-11-29T10:40:00Z"));
        let resolved = Event {
            old: Some("INVESTIGATING".into()),
            ..event(EventKind::Status, "2026-11-29T10:40:00Z", "RESOLVED")
        };
        let events = [pause("2026-11-29T10:10:00Z", "paused"), resolved];
        let i = judged(i, "P1", &events);
        assert_eq!(i.due.respond, t("2026-11-29T10:15:00Z"));
        assert_eq!(i.due.resolve, t("2026-11-29T11:30:00Z"));
        let found = pauses(&events);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].until, Some(t("2026-11-29T10:40:00Z")));
    }
}
