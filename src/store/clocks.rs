//! The SLA clocks as the store keeps them, in SQL. `sla::due` computes each incident's
//! deadlines in Rust from its timeline and `Txn::save_incident` stores them with it
//! (version 11); `list --breached` and the weekly review judge those columns here, at a moment,
//! exactly as `sla::clocks` judges them, so that they load only the rows they show. The tests
//! below hold this SQL to `sla::clocks` on a real database at every boundary.
//!
//! Times are compared in whole seconds: the store writes RFC 3339 UTC with whole seconds (a
//! deadline with a fraction of a second is rounded up by `sla::due`) and `now` is truncated to
//! them, so the text comparisons below order times as the times do and `unixepoch` loses
//! nothing.

/// The three clocks of `sla::clocks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Detected → acknowledged.
    Respond,
    /// Detected → resolved; a reopen clears the stop, so the clock runs again.
    Resolve,
    /// Resolved → closed; it exists once resolved.
    Postmortem,
}

impl Clock {
    /// The column from which the clock is listed: an incident is in the log from its
    /// declaration (its respond and fix deadlines count from its detection, which the stored
    /// deadline already holds), a post-mortem from the resolution.
    pub fn start(self) -> &'static str {
        match self {
            Clock::Respond | Clock::Resolve => "opened_at",
            Clock::Postmortem => "resolved_at",
        }
    }

    /// The column that stops it.
    pub fn stop(self) -> &'static str {
        match self {
            Clock::Respond => "acknowledged_at",
            Clock::Resolve => "resolved_at",
            // Publishing the post-mortem stops its clock as closing does, whichever came first
            // (`Incident::postmortem_done_at`).
            Clock::Postmortem => {
                "(CASE WHEN published_at IS NOT NULL AND (closed_at IS NULL OR published_at < closed_at)
                       THEN published_at ELSE closed_at END)"
            }
        }
    }

    /// The stored deadline's column.
    pub fn due(self) -> &'static str {
        match self {
            Clock::Respond => "respond_due_at",
            Clock::Resolve => "resolve_due_at",
            Clock::Postmortem => "postmortem_due_at",
        }
    }

    /// The deadline in epoch seconds.
    pub fn deadline(self) -> String {
        format!("unixepoch({})", self.due())
    }

    /// The deadline at `moment` as `sla::clocks` moves it while paused (`paused_at`): a running
    /// respond or fix clock paused by then, not past its deadline at the pause, has the time
    /// since the pause added, so it is never late while paused.
    fn held_deadline(self, moment: Moment) -> String {
        if self == Clock::Postmortem {
            return self.deadline();
        }
        format!(
            "({d} + CASE WHEN {paused} AND {running} AND unixepoch(paused_at) <= {d}
                THEN {at} - unixepoch(paused_at) ELSE 0 END)",
            d = self.deadline(),
            paused = moment.reached("paused_at"),
            running = moment.not_reached(self.stop()),
            at = moment.epoch(),
        )
    }

    /// The clock judged at `moment`, as expressions over the `incidents` columns.
    pub fn at(self, moment: Moment) -> ClockSql {
        ClockSql {
            deadline: self.held_deadline(moment),
            stopped: format!(
                "CASE WHEN {} THEN unixepoch({}) END",
                moment.reached(self.stop()),
                self.stop()
            ),
            at: moment.epoch(),
        }
    }

    /// Started by `moment` and not stopped by then: running or overdue (an unresolved incident,
    /// a post-mortem not written yet). The start is written `+opened_at`, `+resolved_at`, so
    /// that a statement filtering on this walks the index on the stop, which holds fewer rows
    /// still open than the index on the start holds rows started.
    pub fn pending(self, moment: Moment) -> String {
        format!(
            "{} AND {}",
            moment.not_reached(self.stop()),
            moment.reached(&format!("+{}", self.start()))
        )
    }

    /// `sla::ClockState::Overdue` at `moment`: pending and past the deadline.
    pub fn overdue(self, moment: Moment) -> String {
        format!(
            "{} AND {} > {}",
            self.pending(moment),
            moment.epoch(),
            self.deadline()
        )
    }
}

/// The moment clocks are judged at: an SQL expression for an RFC 3339 time (a parameter such
/// as `:now`, or a column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment<'a> {
    /// `sla::clocks(incident, at)`: a stop at `at` has happened; one after it has not.
    At(&'a str),
    /// The end of a review window, which does not include its end: everything before `end` has
    /// happened and a stop at `end` belongs to the next window. That is `sla::clocks` evaluated
    /// at `end` for the incident without its stops at or after `end`. The breach verdict is
    /// the same as [`Moment::At`]'s (a clock stopped exactly at `end` is late exactly when
    /// `end` is past the deadline); only such a clock's state differs: running or overdue
    /// rather than met or breached.
    Before(&'a str),
}

impl Moment<'_> {
    /// Whether the time in `column` had come by this moment (false while it is NULL). A
    /// comparison of the bare column, so that an index on it can serve.
    pub fn reached(self, column: &str) -> String {
        match self {
            Moment::At(m) => format!("{column} <= {m}"),
            Moment::Before(m) => format!("{column} < {m}"),
        }
    }

    /// Whether the time in `column` had not come by this moment (true while it is NULL).
    pub fn not_reached(self, column: &str) -> String {
        match self {
            Moment::At(m) => format!("({column} IS NULL OR {column} > {m})"),
            Moment::Before(m) => format!("({column} IS NULL OR {column} >= {m})"),
        }
    }

    /// The moment in epoch seconds.
    pub fn epoch(self) -> String {
        let (Moment::At(m) | Moment::Before(m)) = self;
        format!("unixepoch({m})")
    }
}

/// One clock as SQL expressions in epoch seconds: its deadline, its stop if it had stopped by
/// the moment of judgement (else NULL), and that moment. [`Clock::at`] writes them over the
/// `incidents` columns; [`ClockSql::columns`] names the columns a statement selected them as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockSql {
    pub deadline: String,
    pub stopped: String,
    pub at: String,
}

impl ClockSql {
    pub fn columns(deadline: &str, stopped: &str, at: &str) -> ClockSql {
        ClockSql {
            deadline: deadline.into(),
            stopped: stopped.into(),
            at: at.into(),
        }
    }

    /// Seconds from the deadline to the stop (or to the moment, while running): `sla::Clock`'s
    /// margin negated, so positive is late.
    pub fn late(&self) -> String {
        format!(
            "coalesce({}, {}) - ({})",
            self.stopped, self.at, self.deadline
        )
    }

    /// `sla::Clock::breached`: stopped after the deadline, or running past it. Reaching the
    /// deadline exactly is on time.
    pub fn breached(&self) -> String {
        format!("{} > 0", self.late())
    }

    /// `sla::ClockState` as text: met, breached, overdue or running.
    pub fn state(&self) -> String {
        let ClockSql {
            deadline,
            stopped,
            at,
        } = self;
        format!(
            "CASE WHEN {stopped} IS NOT NULL
                THEN CASE WHEN {stopped} <= {deadline} THEN 'met' ELSE 'breached' END
            WHEN {at} > {deadline} THEN 'overdue' ELSE 'running' END"
        )
    }
}

/// The SQL above against `sla::clocks` on a real database, through the store's API: what
/// `list --breached` returns and what the weekly review counts and lists, at every boundary.
#[cfg(test)]
mod tests {
    use crate::domain::event::{Event, EventKind};
    use crate::domain::model::{Field, Incident, Severity};
    use crate::domain::sla::{self, ClockState, Policy};
    use crate::domain::time::{Timestamp, from_rfc3339};
    use crate::domain::workflow::{Actor, Change};
    use crate::store::review::{Bounds, ReviewData};
    use crate::store::{ListFilter, Mode, Store};
    use std::collections::{BTreeMap, BTreeSet};
    use std::time::Duration;

    fn t(s: &str) -> Timestamp {
        from_rfc3339(s).unwrap()
    }

    fn secs(n: i64) -> chrono::Duration {
        chrono::Duration::seconds(n)
    }

    fn span(d: Duration) -> chrono::Duration {
        chrono::Duration::from_std(d).unwrap()
    }

    /// The store's deadlines are whole seconds, a fraction rounded up as its targets are.
    fn whole(t: Timestamp) -> Timestamp {
        use chrono::{SubsecRound, Timelike};
        let up = if t.nanosecond() > 0 { secs(1) } else { secs(0) };
        t.trunc_subsecs(0) + up
    }

    struct Db {
        _dir: tempfile::TempDir,
        store: Store,
        incidents: Vec<Incident>,
    }

    fn db(incidents: Vec<Incident>) -> Db {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("incidents.db"), Mode::ReadWrite).unwrap();
        let txn = store.write().unwrap();
        for i in &incidents {
            txn.save_incident(&judge(i, &Policy::default())).unwrap();
        }
        txn.commit().unwrap();
        Db {
            _dir: dir,
            store,
            incidents,
        }
    }

    thread_local! {
        /// The events each test's changes appended, by incident number: the timeline
        /// `sla::due` reads the severity in force at each stop from.
        static TIMELINES: std::cell::RefCell<BTreeMap<i64, Vec<Event>>> =
            const { std::cell::RefCell::new(BTreeMap::new()) };
    }

    /// `incident` changed at `at` through the workflow, as a command would change it.
    fn change(
        incident: Incident,
        at: Timestamp,
        f: impl FnOnce(&mut Change) -> Result<(), crate::domain::workflow::WorkflowError>,
    ) -> Incident {
        let actor = Actor {
            author: "alice".into(),
            now: at,
            policy: Policy::default(),
        };
        let mut c = Change::new(incident, &actor, "the change", Some(at)).unwrap();
        f(&mut c).unwrap();
        let (i, events, _) = c.finish().unwrap();
        TIMELINES.with(|t| t.borrow_mut().entry(i.number.0).or_default().extend(events));
        i
    }

    /// `i` with its deadlines under `policy`, as a write stores them: its timeline is its
    /// opening (at the severity before its first change) and the changes made to it.
    fn judge(i: &Incident, policy: &Policy) -> Incident {
        let changes = TIMELINES.with(|t| t.borrow().get(&i.number.0).cloned().unwrap_or_default());
        let first = changes
            .iter()
            .find(|e| e.kind == EventKind::Severity)
            .and_then(|e| e.old.clone())
            .unwrap_or_else(|| i.severity.to_string());
        let opened = Event {
            at: i.opened_at,
            recorded_at: i.opened_at,
            author: "alice".into(),
            kind: EventKind::Opened,
            field: None,
            old: None,
            new: Some(first),
            text: i.title.clone(),
            detail: None,
            uuid: None,
        };
        let timeline: Vec<Event> = std::iter::once(opened).chain(changes).collect();
        let mut judged = i.clone();
        judged.due = sla::due(i, &timeline, policy);
        judged
    }

    /// `sla::clocks` of `i` judged under `policy`.
    fn clocks(i: &Incident, policy: &Policy, at: Timestamp) -> sla::Clocks {
        sla::clocks(&judge(i, policy), at)
    }

    /// The incident as known just before `end`: what the review judges at a window's end.
    fn before(i: &Incident, end: Timestamp) -> Incident {
        let seen = |t: Option<Timestamp>| t.filter(|t| *t < end);
        Incident {
            acknowledged_at: seen(i.acknowledged_at),
            resolved_at: seen(i.resolved_at),
            closed_at: seen(i.closed_at),
            ..i.clone()
        }
    }

    fn counted(state: ClockState) -> usize {
        match state {
            ClockState::Met => 0,
            ClockState::Breached | ClockState::Overdue => 1,
            // The SQL has no paused state: a paused clock is running there.
            ClockState::Running | ClockState::Paused => 2,
            ClockState::Cancelled => unreachable!("these tests cancel nothing"),
        }
    }

    type Tallies = BTreeMap<Severity, [[i64; 3]; 2]>;

    /// Met, breached and running respond and fix clocks per severity, as `sla::clocks` judges
    /// each incident at a window's end.
    fn rust_compliance(judged: &[(Incident, sla::Clocks)]) -> Tallies {
        let mut out = Tallies::new();
        for (i, c) in judged {
            let row = out.entry(i.severity).or_default();
            row[0][counted(c.respond.state)] += 1;
            row[1][counted(c.resolve.state)] += 1;
        }
        out
    }

    fn sql_compliance(data: &ReviewData, current: bool) -> Tallies {
        let mut out = Tallies::new();
        for c in data.compliance.iter().filter(|c| c.current == current) {
            let row = out.entry(c.severity).or_default();
            for (k, clock) in [c.respond, c.resolve].iter().enumerate() {
                row[k][0] += clock.met;
                row[k][1] += clock.breached;
                row[k][2] += clock.running;
            }
        }
        out
    }

    fn backlog(data: &ReviewData, what: &str) -> (i64, i64) {
        data.backlog
            .iter()
            .find(|b| b.what == what)
            .map_or((0, 0), |b| (b.current, b.previous))
    }

    /// Asserts that the store's SQL answers as `sla::clocks` does for every incident of `db` at
    /// `at`: `list --breached`; the review of a window still running at `at` (judged at
    /// `as_of` = `at`), and of the window before one that starts at `at` (judged at its
    /// `since`). The review judges the incident as it was just before its end ([`before`]); the
    /// breach verdict is the same as at `at` itself, which is asserted too.
    fn agree(db: &mut Db, policy: &Policy, at: Timestamp) {
        // Stored as a write under `policy` stores them.
        let txn = db.store.write().unwrap();
        for i in &db.incidents {
            txn.save_incident(&judge(i, policy)).unwrap();
        }
        txn.commit().unwrap();
        let opened = db.incidents.iter().map(|i| i.opened_at);
        let (first, last) = (opened.clone().min().unwrap(), opened.max().unwrap());
        assert!(last < at, "every incident is opened before {at}");
        let judged: Vec<(Incident, sla::Clocks)> = db
            .incidents
            .iter()
            .map(|i| {
                let seen = before(&judge(i, policy), at);
                let c = sla::clocks(&seen, at);
                let now = clocks(i, policy, at);
                assert_eq!(
                    (c.respond.breached(), c.resolve.breached()),
                    (now.respond.breached(), now.resolve.breached()),
                    "#{} at {at}: the window's end judges breaches as the moment does",
                    i.number
                );
                (seen, c)
            })
            .collect();

        let txn = db.store.read().unwrap();
        let filter = ListFilter {
            breached: Some(at),
            ..ListFilter::default()
        };
        let listed: BTreeSet<i64> = txn
            .list(&filter)
            .unwrap()
            .0
            .iter()
            .map(|i| i.number.0)
            .collect();
        let breached: BTreeSet<i64> = db
            .incidents
            .iter()
            .filter(|i| clocks(i, policy, at).late())
            .map(|i| i.number.0)
            .collect();
        assert_eq!(listed, breached, "list --breached at {at}");

        let day = secs(86_400);
        let running = Bounds {
            since: first,
            until: at + day,
            as_of: at,
            prev_since: first - day * 7,
            cap: 10_000,
        };
        let data = txn.review(&running).unwrap();
        assert_eq!(
            sql_compliance(&data, true),
            rust_compliance(&judged),
            "review compliance judged at {at}"
        );
        assert_lists(&data, &judged, at);
        let previous = Bounds {
            since: at,
            until: at + day,
            as_of: at + day,
            prev_since: first,
            cap: 10_000,
        };
        let before_data = txn.review(&previous).unwrap();
        assert_eq!(
            sql_compliance(&before_data, false),
            rust_compliance(&judged),
            "review compliance of the window ending at {at}"
        );
        for (what, expected) in backlogs(&judged) {
            assert_eq!(backlog(&data, what).0, expected, "{what} at {at}");
            assert_eq!(
                backlog(&before_data, what).1,
                expected,
                "{what} before {at}"
            );
        }
    }

    /// Unresolved incidents and overdue post-mortems at a window's end, by `sla::clocks`.
    fn backlogs(judged: &[(Incident, sla::Clocks)]) -> [(&'static str, i64); 2] {
        let count = |f: &dyn Fn(&sla::Clocks) -> bool| judged.iter().filter(|(_, c)| f(c)).count();
        [
            (
                "unresolved",
                count(&|c| c.resolve.stopped_at.is_none()) as i64,
            ),
            (
                "postmortems_overdue",
                count(&|c| c.postmortem.is_some_and(|p| p.state == ClockState::Overdue)) as i64,
            ),
        ]
    }

    /// The review's rows (breaches, unresolved incidents, overdue post-mortems) against the
    /// clocks, field by field.
    fn assert_lists(data: &ReviewData, judged: &[(Incident, sla::Clocks)], at: Timestamp) {
        let mut breaches = Vec::new();
        let mut unresolved = Vec::new();
        let mut postmortems = Vec::new();
        for (i, c) in judged {
            for (name, clock) in [("respond", c.respond), ("resolve", c.resolve)] {
                if clock.breached() {
                    breaches.push((
                        i.number.0,
                        name.to_string(),
                        clock.state == ClockState::Overdue,
                        whole(clock.deadline),
                        clock.stopped_at,
                        -clock.margin,
                    ));
                }
            }
            if c.resolve.stopped_at.is_none() {
                let acknowledged = c.respond.stopped_at.is_some();
                unresolved.push((i.number.0, acknowledged, whole(c.resolve.deadline)));
            }
            if let Some(p) = c.postmortem.filter(|p| p.state == ClockState::Overdue) {
                postmortems.push((i.number.0, whole(p.deadline), -p.margin));
            }
        }
        let rows: Vec<_> = data
            .breaches
            .rows
            .iter()
            .map(|b| {
                let (clock, overdue) = (b.clock.clone(), b.overdue);
                (
                    b.number,
                    clock,
                    overdue,
                    b.deadline,
                    b.stopped_at,
                    b.late_seconds,
                )
            })
            .collect();
        assert_eq!(rows, breaches, "review breaches at {at}");
        let mut rows: Vec<_> = data
            .unresolved
            .rows
            .iter()
            .map(|u| (u.number, u.acknowledged, u.resolve_by))
            .collect();
        rows.sort();
        assert_eq!(rows, unresolved, "review unresolved at {at}");
        let mut rows: Vec<_> = data
            .postmortems_overdue
            .rows
            .iter()
            .map(|p| (p.number, p.due, p.overdue_seconds))
            .collect();
        rows.sort();
        assert_eq!(rows, postmortems, "review post-mortems overdue at {at}");
    }

    /// Every moment a second either side of `moments`.
    fn around(moments: impl IntoIterator<Item = Timestamp>) -> BTreeSet<Timestamp> {
        moments
            .into_iter()
            .flat_map(|m| [m - secs(1), m, m + secs(1)])
            .collect()
    }

    fn agree_around(db: &mut Db, policy: &Policy, moments: impl IntoIterator<Item = Timestamp>) {
        for at in around(moments) {
            agree(db, policy, at);
        }
    }

    fn breached_at(i: &Incident, at: &str) -> bool {
        clocks(i, &Policy::default(), t(at)).breached()
    }

    #[test]
    fn every_clock_at_its_deadline_and_a_second_either_side() {
        // Each severity with every stop at its deadline less a second, at it, a second after,
        // or not yet; judged a second either side of each deadline and each stop.
        let policy = Policy::default();
        let open = t("2026-11-23T09:00:00Z");
        let mut incidents = Vec::new();
        let mut moments = BTreeSet::new();
        for severity in Severity::ALL {
            let target = policy.target(severity);
            let offsets = |d: Duration| {
                [None, Some(-1), Some(0), Some(1)].map(|o| o.map(|o| open + span(d) + secs(o)))
            };
            for ack in offsets(target.respond) {
                for resolved in offsets(target.resolve) {
                    let closes = match resolved {
                        Some(r) => offsets(policy.postmortem)
                            .map(|c| c.map(|c| r + (c - open)))
                            .to_vec(),
                        None => vec![None],
                    };
                    for closed in closes {
                        let mut i = Incident::opened(incidents.len() as i64 + 1, severity, open);
                        (i.acknowledged_at, i.resolved_at, i.closed_at) = (ack, resolved, closed);
                        moments.extend([ack, resolved, closed].into_iter().flatten());
                        incidents.push(i);
                    }
                }
            }
            moments.extend([open + span(target.respond), open + span(target.resolve)]);
        }
        let mut db = db(incidents);
        agree_around(&mut db, &policy, moments);
    }

    #[test]
    fn exactly_at_the_deadline_is_on_time_and_a_second_later_is_breached() {
        let open = t("2026-11-29T10:00:00Z");
        let waiting = Incident::opened(1, Severity::P1, open);
        let mut on_time = Incident::opened(2, Severity::P1, open);
        on_time.acknowledged_at = Some(t("2026-11-29T10:15:00Z"));
        on_time.resolved_at = Some(t("2026-11-29T11:00:00Z"));
        let mut late = Incident::opened(3, Severity::P1, open);
        late.acknowledged_at = Some(t("2026-11-29T10:15:01Z"));
        late.resolved_at = Some(t("2026-11-29T11:00:01Z"));
        assert!(!breached_at(&waiting, "2026-11-29T10:15:00Z"));
        assert!(breached_at(&waiting, "2026-11-29T10:15:01Z"));
        assert!(!breached_at(&on_time, "2026-12-01T00:00:00Z"));
        assert!(breached_at(&late, "2026-11-29T10:15:01Z"));
        let mut db = db(vec![waiting, on_time, late]);
        agree_around(
            &mut db,
            &Policy::default(),
            ["10:15:00", "11:00:00", "12:00:00"].map(|h| t(&format!("2026-11-29T{h}Z"))),
        );
    }

    #[test]
    fn the_postmortem_clock_from_the_resolution() {
        let mut i = Incident::opened(1, Severity::P2, t("2026-11-29T00:00:00Z"));
        i = change(i, t("2026-11-29T01:00:00Z"), |c| c.ack());
        i = change(i, t("2026-11-29T05:00:00Z"), |c| {
            c.set_status(crate::domain::model::Status::Resolved, "")
        });
        let open_postmortem = i.clone();
        i.number = crate::domain::model::Number(2);
        i.uuid = "u2".into();
        i = change(i, t("2026-11-30T05:00:00Z"), |c| {
            c.set_field(Field::RootCause, "disk full")?;
            c.set_field(Field::Resolution, "cleaned up")?;
            c.set_status(crate::domain::model::Status::Closed, "")
        });
        let pm = clocks(
            &open_postmortem,
            &Policy::default(),
            t("2026-11-30T05:00:01Z"),
        );
        assert_eq!(pm.postmortem.unwrap().state, ClockState::Overdue);
        let mut db = db(vec![open_postmortem, i]);
        agree_around(&mut db, &Policy::default(), [t("2026-11-30T05:00:00Z")]);
    }

    #[test]
    fn a_severity_change_moves_running_deadlines_and_a_stopped_clock_keeps_its_verdict() {
        // P3 at 10:00, raised to P1 at 10:30: its respond deadline is now 10:15, passed.
        let open = t("2026-11-29T10:00:00Z");
        let raised = change(
            Incident::opened(1, Severity::P3, open),
            t("2026-11-29T10:30:00Z"),
            |c| {
                c.set_severity(Severity::P1);
                Ok(())
            },
        );
        // P1 at 10:00, acknowledged at 10:40 (late), lowered to P3 at 10:50: the response
        // stopped under the P1 and stays late; the fix clock, running, takes the P3's 72 h.
        let mut lowered = Incident::opened(2, Severity::P1, open);
        lowered = change(lowered, t("2026-11-29T10:40:00Z"), |c| c.ack());
        lowered = change(lowered, t("2026-11-29T10:50:00Z"), |c| {
            c.set_severity(Severity::P3);
            Ok(())
        });
        assert!(breached_at(&raised, "2026-11-29T10:30:00Z"));
        assert!(breached_at(&lowered, "2026-11-29T10:50:00Z"));
        let c = clocks(&lowered, &Policy::default(), t("2026-11-29T10:50:00Z"));
        assert_eq!(c.respond.state, ClockState::Breached);
        assert_eq!(c.resolve.deadline, t("2026-12-02T10:00:00Z"));
        let mut db = db(vec![raised, lowered]);
        let policy = Policy::default();
        agree_around(
            &mut db,
            &policy,
            [t("2026-11-29T10:50:00Z"), t("2026-11-29T11:00:00Z")],
        );
        agree_around(&mut db, &policy, [t("2026-12-02T10:00:00Z")]);
    }

    #[test]
    fn a_paused_clock_is_never_late_while_paused_and_one_breached_before_stays_breached() {
        let open = t("2026-11-29T10:00:00Z");
        let paused = |number, at: &str| {
            let mut i = Incident::opened(number, Severity::P1, open);
            i.uuid = format!("u{number}");
            change(i, t(at), |c| c.pause("waiting on vendor ticket CS-4411"))
        };
        // Paused with 5m of the response left; paused after it breached; paused 10:10 to
        // 10:40 (respond by 10:45, fix by 11:30).
        let held = paused(1, "2026-11-29T10:10:00Z");
        let late = paused(2, "2026-11-29T10:20:00Z");
        let resumed = change(
            paused(3, "2026-11-29T10:10:00Z"),
            t("2026-11-29T10:40:00Z"),
            |c| c.resume(),
        );
        assert!(!breached_at(&held, "2026-11-30T10:00:00Z"));
        assert!(breached_at(&late, "2026-11-29T10:20:00Z"));
        assert!(!breached_at(&resumed, "2026-11-29T10:45:00Z"));
        assert!(breached_at(&resumed, "2026-11-29T10:45:01Z"));
        let mut db = db(vec![held, late, resumed]);
        agree_around(
            &mut db,
            &Policy::default(),
            [
                "10:10:00", "10:15:00", "10:20:00", "10:40:00", "10:45:00", "11:30:00",
            ]
            .map(|h| t(&format!("2026-11-29T{h}Z"))),
        );
    }

    #[test]
    fn after_a_reopen_the_fix_clock_runs_again_against_the_original_deadline() {
        let resolved_then_reopened = |number, reopen: &str| {
            let mut i = Incident::opened(number, Severity::P2, t("2026-11-29T00:00:00Z"));
            i.uuid = format!("u{number}");
            i = change(i, t("2026-11-29T01:00:00Z"), |c| c.ack());
            i = change(i, t("2026-11-29T05:00:00Z"), |c| {
                c.set_status(crate::domain::model::Status::Resolved, "")
            });
            change(i, t(reopen), |c| c.reopen("it came back"))
        };
        // Reopened before its 24 h were up, and after.
        let early = resolved_then_reopened(1, "2026-11-29T20:00:00Z");
        let late = resolved_then_reopened(2, "2026-11-30T06:00:00Z");
        assert!(!breached_at(&early, "2026-11-30T00:00:00Z"));
        assert!(breached_at(&early, "2026-11-30T00:00:01Z"));
        assert!(breached_at(&late, "2026-11-30T06:00:00Z"));
        let mut db = db(vec![early, late]);
        agree_around(
            &mut db,
            &Policy::default(),
            [t("2026-11-30T00:00:00Z"), t("2026-11-30T06:00:01Z")],
        );
    }

    #[test]
    fn a_stop_after_the_evaluation_moment_has_not_happened_yet() {
        // Acknowledged 10:20 (5 minutes late), resolved 10:50 (on time).
        let mut i = Incident::opened(1, Severity::P1, t("2026-11-29T10:00:00Z"));
        i.acknowledged_at = Some(t("2026-11-29T10:20:00Z"));
        i.resolved_at = Some(t("2026-11-29T10:50:00Z"));
        assert!(!breached_at(&i, "2026-11-29T10:15:00Z"));
        assert!(breached_at(&i, "2026-11-29T10:15:01Z"));
        let mut db = db(vec![i]);
        agree_around(
            &mut db,
            &Policy::default(),
            ["10:10:00", "10:15:00", "10:20:00", "10:50:00", "11:00:00"]
                .map(|h| t(&format!("2026-11-29T{h}Z"))),
        );
    }

    #[test]
    fn backdated_opens_are_judged_from_the_detection() {
        // The guide's outage: collection stopped on Oct 7, found and opened five days later.
        let mut found_late = Incident::opened(1, Severity::P1, t("2026-10-07T09:00:00Z"));
        found_late.detected_at = found_late.opened_at;
        found_late.acknowledged_at = Some(t("2026-10-12T09:00:00Z"));
        found_late.resolved_at = Some(t("2026-10-12T11:00:00Z"));
        // Opened 14 minutes back and acknowledged at once: on time.
        let mut just_in_time = Incident::opened(2, Severity::P1, t("2026-10-12T08:46:00Z"));
        just_in_time.acknowledged_at = Some(t("2026-10-12T09:00:00Z"));
        assert!(breached_at(&found_late, "2026-10-07T09:15:01Z"));
        assert!(!breached_at(&just_in_time, "2026-10-12T09:01:00Z"));
        let mut db = db(vec![found_late, just_in_time]);
        agree_around(
            &mut db,
            &Policy::default(),
            ["09:00:00", "09:46:00", "11:00:00", "12:00:00"]
                .map(|h| t(&format!("2026-10-12T{h}Z"))),
        );
        agree(&mut db, &Policy::default(), t("2026-10-14T00:00:00Z"));
    }

    #[test]
    fn a_stop_exactly_at_a_windows_end_belongs_to_the_next_window() {
        // Acknowledged at the very moment of judgement: `sla::clocks` at that moment sees the
        // clock met (or breached, when late); the review, whose window does not include its
        // end, sees it running (or overdue). Met or not, breached or not, they agree.
        let open = t("2026-11-29T10:00:00Z");
        let mut i = Incident::opened(1, Severity::P1, open);
        i.acknowledged_at = Some(t("2026-11-29T10:10:00Z"));
        let at = i.acknowledged_at.unwrap();
        let policy = Policy::default();
        assert_eq!(clocks(&i, &policy, at).respond.state, ClockState::Met);
        let mut db = db(vec![i.clone()]);
        let txn = db.store.read().unwrap();
        let bounds = Bounds {
            since: open,
            until: at,
            as_of: at,
            prev_since: open - secs(86_400),
            cap: 50,
        };
        let data = txn.review(&bounds).unwrap();
        let p1 = data.compliance.iter().find(|c| c.current).unwrap();
        assert_eq!((p1.respond.met, p1.respond.running), (0, 1));
        drop(txn);
        agree(&mut db, &policy, at);
    }

    #[test]
    fn a_target_with_a_fraction_of_a_second_counts_whole_seconds_as_the_clocks_do() {
        // 15m 0.5s: `sla::clock` judges by its margin in whole seconds, so a stop half a second
        // past the deadline is on time, and the SQL says the same.
        let mut policy = Policy::default();
        policy.p1.respond = Duration::from_millis(900_500);
        policy.postmortem = Duration::from_millis(86_400_500);
        let open = t("2026-11-29T10:00:00Z");
        let incidents: Vec<Incident> = (0..4)
            .map(|k| {
                let mut i = Incident::opened(k + 1, Severity::P1, open);
                i.acknowledged_at = (k > 0).then(|| open + secs(899 + k));
                i.resolved_at = i.acknowledged_at;
                i
            })
            .collect();
        let half_past = clocks(&incidents[2], &policy, open + secs(3_600));
        assert_eq!(half_past.respond.state, ClockState::Met);
        let mut db = db(incidents);
        // Judged at whole seconds, as `now` always is.
        agree_around(
            &mut db,
            &policy,
            [
                open + secs(900),
                open + secs(901),
                open + secs(901 + 86_400),
            ],
        );
    }
}
