//! The weekly review: counts, times, SLA compliance and recurring problems over a window,
//! next to the window before it.
//!
//! The store aggregates (src/store/review.rs); this module chooses the windows, turns the
//! aggregates into the template context (figures with their change against the previous window,
//! already worded, so templates stay simple) and lays out the charts' SVG geometry.

use crate::domain::model::Severity;
use crate::domain::sla::Policy;
use crate::domain::time::{self, Timestamp, human_duration};
use crate::store::{StoreError, Txn};
use chrono::{Datelike, Days, Local, LocalResult, NaiveDate, TimeZone, Weekday};
use serde_json::{Value, json};

/// The most rows any list of the review shows; the total is always stated.
pub const CAP: i64 = 50;

// ---------------------------------------------------------------------------------------------
// Windows

/// A review window: from `since` (included) to `until` (not included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// `2026-W48`, or the two times of a window given by --since/--until.
    pub label: String,
    pub since: Timestamp,
    pub until: Timestamp,
    /// The ISO week (year, week), when the window is one.
    pub week: Option<(i32, u32)>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WindowError {
    #[error("malformed week '{0}': use an ISO week like 2026-W48")]
    Malformed(String),
    #[error("there is no week {week} in {year}: it has {weeks} ISO weeks")]
    NoSuchWeek { year: i32, week: u32, weeks: u32 },
    #[error("--since {} is not before --until {}: the window is empty", time::display(*.since), time::display(*.until))]
    Empty { since: Timestamp, until: Timestamp },
    #[error("{label} has not started yet (it starts {})", time::display(*.since))]
    NotStarted { label: String, since: Timestamp },
}

impl WindowError {
    pub fn hint(&self) -> String {
        match self {
            WindowError::Empty { .. } => {
                "the window runs from --since up to --until; give the earlier time first".into()
            }
            _ => "`incident review` alone reviews the last complete week".into(),
        }
    }
}

impl Window {
    /// ISO week `week` of `year`: Monday 00:00 local time to the next Monday 00:00.
    pub fn iso_week(year: i32, week: u32) -> Result<Window, WindowError> {
        let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(|| {
            WindowError::NoSuchWeek {
                year,
                week,
                weeks: weeks_in(year),
            }
        })?;
        Ok(Window {
            label: format!("{year}-W{week:02}"),
            since: local_midnight(monday),
            until: local_midnight(monday + Days::new(7)),
            week: Some((year, week)),
        })
    }

    /// `2026-W48` (also `2026-w48`, `2026W48`).
    pub fn parse_week(spec: &str) -> Result<Window, WindowError> {
        let malformed = || WindowError::Malformed(spec.to_string());
        let (year, week) = spec.trim().split_once(['W', 'w']).ok_or_else(malformed)?;
        let year = year.strip_suffix('-').unwrap_or(year);
        let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
            n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(year, 4..=4) || !digits(week, 1..=2) {
            return Err(malformed());
        }
        let (year, week) = (
            year.parse().map_err(|_| malformed())?,
            week.parse().map_err(|_| malformed())?,
        );
        Window::iso_week(year, week)
    }

    /// The ISO week that `t` falls in, in local time.
    pub fn week_of(t: Timestamp) -> Window {
        let date = t.with_timezone(&Local).date_naive();
        let w = date.iso_week();
        Window::iso_week(w.year(), w.week()).unwrap_or_else(|_| Window {
            // Unreachable: the ISO week of a real date exists.
            label: date.to_string(),
            since: t,
            until: t,
            week: None,
        })
    }

    /// The last complete week before `now`: the review a lead runs on Monday.
    pub fn last_complete_week(now: Timestamp) -> Window {
        Window::week_of(now).previous()
    }

    /// Any window; `since` must come before `until`.
    pub fn between(since: Timestamp, until: Timestamp) -> Result<Window, WindowError> {
        if since >= until {
            return Err(WindowError::Empty { since, until });
        }
        Ok(Window {
            label: format!("{} – {}", time::display(since), time::display(until)),
            since,
            until,
            week: None,
        })
    }

    /// The window just before: the previous ISO week (which differs in length by an hour across
    /// a daylight-saving change, as weeks on the calendar do), or the same length immediately
    /// before a --since/--until window.
    pub fn previous(&self) -> Window {
        if self.week.is_some() {
            let earlier = self.since.with_timezone(&Local).date_naive() - Days::new(7);
            let w = earlier.iso_week();
            if let Ok(previous) = Window::iso_week(w.year(), w.week()) {
                return previous;
            }
        }
        let length = self.until - self.since;
        Window {
            label: format!(
                "{} – {}",
                time::display(self.since - length),
                time::display(self.since)
            ),
            since: self.since - length,
            until: self.since,
            week: None,
        }
    }

    /// Refuses a window that has not begun: there is nothing to review yet.
    pub fn started_by(self, now: Timestamp) -> Result<Window, WindowError> {
        if self.since >= now {
            return Err(WindowError::NotStarted {
                label: self.label,
                since: self.since,
            });
        }
        Ok(self)
    }
}

fn weeks_in(year: i32) -> u32 {
    // 28 December is always in the last ISO week of its year.
    NaiveDate::from_ymd_opt(year, 12, 28)
        .map(|d| d.iso_week().week())
        .unwrap_or(52)
}

/// Local midnight of `date`; where a daylight-saving change skips midnight, the first moment
/// of the day that exists.
fn local_midnight(date: NaiveDate) -> Timestamp {
    for hour in 0..4 {
        let Some(naive) = date.and_hms_opt(hour, 0, 0) else {
            break;
        };
        match Local.from_local_datetime(&naive) {
            LocalResult::Single(t) => return t.to_utc(),
            // Clocks going back at midnight: the first midnight is the start of the day.
            LocalResult::Ambiguous(early, _) => return early.to_utc(),
            LocalResult::None => {}
        }
    }
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

// ---------------------------------------------------------------------------------------------
// What the store brings back

/// The moments the review's statements bind: the window, the moment its end-of-window figures
/// are taken (`as_of`: the end, or now while the window is still running), where the previous
/// window starts (it ends at `since`), and the most rows a list returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounds {
    pub since: Timestamp,
    pub until: Timestamp,
    pub as_of: Timestamp,
    pub prev_since: Timestamp,
    pub cap: i64,
}

impl Bounds {
    pub fn new(window: &Window, previous: &Window, now: Timestamp) -> Bounds {
        Bounds {
            since: window.since,
            until: window.until,
            as_of: window.until.min(now),
            prev_since: previous.since,
            cap: CAP,
        }
    }
}

/// Some of the rows that matched, and how many matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed<T> {
    pub total: i64,
    pub rows: Vec<T>,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Listed {
            total: 0,
            rows: Vec::new(),
        }
    }
}

/// Incidents opened, resolved or closed (`what`) of one severity, in each window.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    pub what: String,
    pub severity: Severity,
    pub current: i64,
    pub previous: i64,
}

/// Nearest-rank median and p90 of one measure (acknowledge, resolve, postmortem) for one group
/// (P1, P2, P3 or all) in one window.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeStat {
    pub measure: String,
    pub current: bool,
    pub group: String,
    pub n: i64,
    pub median: i64,
    pub p90: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClockCounts {
    pub met: i64,
    /// Stopped late, or not stopped and past the deadline at the window's end.
    pub breached: i64,
    /// Not stopped and not yet due at the window's end: undecided, left out of the share.
    pub running: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Compliance {
    pub current: bool,
    pub severity: Severity,
    pub respond: ClockCounts,
    pub resolve: ClockCounts,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Breach {
    pub number: i64,
    pub title: String,
    pub severity: Severity,
    pub opened_at: Timestamp,
    /// respond or resolve.
    pub clock: String,
    /// Not stopped by the window's end and past its deadline (rather than stopped late).
    pub overdue: bool,
    pub deadline: Timestamp,
    pub stopped_at: Option<Timestamp>,
    /// How late it stopped, or how far overdue it was at the window's end.
    pub late_seconds: i64,
}

/// A figure taken at the end of each window (unresolved, postmortems_overdue, actions_open,
/// actions_overdue).
#[derive(Debug, Clone, PartialEq)]
pub struct Backlog {
    pub what: String,
    pub current: i64,
    pub previous: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Unresolved {
    pub number: i64,
    pub title: String,
    pub severity: Severity,
    pub opened_at: Timestamp,
    /// Acknowledged before the window's end.
    pub acknowledged: bool,
    pub resolve_by: Timestamp,
    /// How long it had been open at the window's end.
    pub age_seconds: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PostmortemDue {
    pub number: i64,
    pub title: String,
    pub severity: Severity,
    pub resolved_at: Timestamp,
    pub due: Timestamp,
    /// How far past due at the window's end.
    pub overdue_seconds: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OpenAction {
    pub id: i64,
    pub incident: i64,
    pub incident_title: String,
    pub text: String,
    pub kind: String,
    pub owner: Option<String>,
    pub due_at: Option<Timestamp>,
    pub overdue_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OwnerLoad {
    pub owner: Option<String>,
    pub open: i64,
    pub overdue: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Earlier {
    pub number: i64,
    pub title: String,
    pub opened_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Recurrence {
    pub number: i64,
    pub title: String,
    pub severity: Severity,
    pub opened_at: Timestamp,
    /// title or root_cause.
    pub matched_on: String,
    pub root_cause: String,
    /// Incidents with the same key opened before this one.
    pub earlier_total: i64,
    /// The most recent of them, newest first (up to three).
    pub earlier: Vec<Earlier>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recurring {
    /// Distinct incidents of the window that recur (by title, root cause or both).
    pub current_incidents: i64,
    pub previous_incidents: i64,
    /// One row per incident and key that matched.
    pub rows: Listed<Recurrence>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DayCount {
    /// Local date, YYYY-MM-DD.
    pub day: String,
    pub severity: Severity,
    pub count: i64,
}

/// Everything the store aggregates for a review.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewData {
    pub counts: Vec<Tally>,
    pub times: Vec<TimeStat>,
    pub compliance: Vec<Compliance>,
    pub breaches: Listed<Breach>,
    pub backlog: Vec<Backlog>,
    pub unresolved: Listed<Unresolved>,
    pub postmortems_overdue: Listed<PostmortemDue>,
    pub actions: Listed<OpenAction>,
    pub owners: Listed<OwnerLoad>,
    pub recurring: Recurring,
    pub per_day: Vec<DayCount>,
}

// ---------------------------------------------------------------------------------------------
// The context

/// The JSON the review templates receive for `window`, next to the window before it.
pub fn context(
    txn: &Txn,
    window: &Window,
    policy: &Policy,
    now: Timestamp,
) -> Result<Value, StoreError> {
    let previous = window.previous();
    let bounds = Bounds::new(window, &previous, now);
    let data = txn.review(&bounds, policy)?;
    Ok(build(window, &previous, &bounds, policy, now, &data))
}

const GROUPS: [&str; 4] = ["P1", "P2", "P3", "all"];

/// The context from the aggregates; shape documented at the top of templates/review.md.
pub fn build(
    window: &Window,
    previous: &Window,
    bounds: &Bounds,
    policy: &Policy,
    now: Timestamp,
    data: &ReviewData,
) -> Value {
    let complete = bounds.as_of == window.until;
    let rfc = time::to_rfc3339;
    let target = |s: Severity| policy.target(s);
    json!({
        "generated_at": rfc(now),
        "window": {
            "label": window.label,
            "noun": if window.week.is_some() { "week" } else { "window" },
            "since": rfc(window.since),
            "until": rfc(window.until),
            "as_of": rfc(bounds.as_of),
            "complete": complete,
            "seconds": (window.until - window.since).num_seconds(),
        },
        "previous": {
            "label": previous.label,
            "since": rfc(previous.since),
            "until": rfc(previous.until),
        },
        "policy": {
            "P1": policy_json(target(Severity::P1)),
            "P2": policy_json(target(Severity::P2)),
            "P3": policy_json(target(Severity::P3)),
            "postmortem_seconds": policy.postmortem.as_secs(),
            "postmortem_text": human_duration(secs(policy.postmortem)),
        },
        "counts": counts(data),
        "times": times(data),
        "sla": sla(data, policy),
        "at_end": at_end(data, bounds.as_of),
        "recurring": recurring(data),
        "charts": {
            "per_day": per_day_chart(window, data),
            "resolve": resolve_chart(data, policy),
        },
    })
}

fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn policy_json(t: crate::domain::sla::Target) -> Value {
    json!({
        "respond_seconds": t.respond.as_secs(),
        "resolve_seconds": t.resolve.as_secs(),
        "respond_text": human_duration(secs(t.respond)),
        "resolve_text": human_duration(secs(t.resolve)),
    })
}

/// `▲2`, `▼15m`, `±0`: a change with its direction, the amount written by `unit`.
fn delta(change: i64, unit: impl Fn(i64) -> String) -> String {
    match change.signum() {
        1 => format!("▲{}", unit(change)),
        -1 => format!("▼{}", unit(-change)),
        _ => "±0".into(),
    }
}

/// A count next to the previous window's: `4 (▲2)`.
fn count(current: i64, previous: i64) -> Value {
    json!({
        "value": current,
        "previous": previous,
        "change": current - previous,
        "text": format!("{current} ({})", delta(current - previous, |d| d.to_string())),
    })
}

fn counts(data: &ReviewData) -> Value {
    let mut out = serde_json::Map::new();
    let mut any = false;
    let mut previous_any = false;
    for what in ["opened", "resolved", "closed"] {
        let mut by = serde_json::Map::new();
        let (mut total, mut total_prev) = (0, 0);
        for s in Severity::ALL {
            let t = data
                .counts
                .iter()
                .find(|t| t.what == what && t.severity == s);
            let (c, p) = t.map(|t| (t.current, t.previous)).unwrap_or((0, 0));
            total += c;
            total_prev += p;
            by.insert(s.as_str().into(), count(c, p));
        }
        any |= total > 0;
        previous_any |= total_prev > 0;
        by.insert("total".into(), count(total, total_prev));
        out.insert(what.into(), Value::Object(by));
    }
    out.insert("any".into(), any.into());
    out.insert("previous_any".into(), previous_any.into());
    Value::Object(out)
}

/// `2h 10m (▼15m)`; `–` where there is no value.
fn duration_text(current: Option<i64>, previous: Option<i64>) -> String {
    match (current, previous) {
        (Some(c), Some(p)) => format!("{} ({})", human_duration(c), delta(c - p, human_duration)),
        (Some(c), None) => format!("{} (was –)", human_duration(c)),
        (None, Some(p)) => format!("– (was {})", human_duration(p)),
        (None, None) => "–".into(),
    }
}

fn times(data: &ReviewData) -> Value {
    let find = |measure: &str, group: &str, current: bool| {
        data.times
            .iter()
            .find(|t| t.measure == measure && t.group == group && t.current == current)
    };
    let mut out = serde_json::Map::new();
    let mut any = false;
    for measure in ["acknowledge", "resolve", "postmortem"] {
        let mut by = serde_json::Map::new();
        for group in GROUPS {
            let (c, p) = (find(measure, group, true), find(measure, group, false));
            let n = c.map_or(0, |t| t.n);
            any |= n > 0;
            let (median, p90) = (c.map(|t| t.median), c.map(|t| t.p90));
            let (pmedian, pp90) = (p.map(|t| t.median), p.map(|t| t.p90));
            let change = |a: Option<i64>, b: Option<i64>| a.zip(b).map(|(a, b)| a - b);
            by.insert(
                group.into(),
                json!({
                    "n": count(n, p.map_or(0, |t| t.n)),
                    "median_seconds": median,
                    "p90_seconds": p90,
                    "previous": {"median_seconds": pmedian, "p90_seconds": pp90},
                    "median_change_seconds": change(median, pmedian),
                    "p90_change_seconds": change(p90, pp90),
                    "median_text": duration_text(median, pmedian),
                    "p90_text": duration_text(p90, pp90),
                }),
            );
        }
        out.insert(measure.into(), Value::Object(by));
    }
    out.insert("any".into(), any.into());
    Value::Object(out)
}

/// Met as a whole percentage of the decided clocks, rounded half up; none when none decided.
fn percent(c: &ClockCounts) -> Option<i64> {
    let decided = c.met + c.breached;
    (decided > 0).then(|| (200 * c.met + decided) / (2 * decided))
}

/// `75% (3/4, ▲25 pts)`: the share of decided clocks met, next to the previous window's.
fn share(current: ClockCounts, previous: ClockCounts, target: Option<i64>) -> Value {
    let (c, p) = (percent(&current), percent(&previous));
    let decided = current.met + current.breached;
    let text = match (c, p) {
        (Some(c), Some(p)) => format!(
            "{c}% ({}/{decided}, {})",
            current.met,
            delta(c - p, |d| format!("{d} pts"))
        ),
        (Some(c), None) => format!("{c}% ({}/{decided}, was –)", current.met),
        (None, Some(p)) => format!("– (none decided, was {p}%)"),
        (None, None) => "–".into(),
    };
    let side = |k: &ClockCounts| {
        let decided = k.met + k.breached;
        json!({
            "met": k.met,
            "breached": k.breached,
            "running": k.running,
            "decided": decided,
            "share": (decided > 0).then(|| k.met as f64 / decided as f64),
            "percent": percent(k),
        })
    };
    let mut v = side(&current);
    v["previous"] = side(&previous);
    v["change_points"] = json!(c.zip(p).map(|(c, p)| c - p));
    v["text"] = text.into();
    v["target_seconds"] = json!(target);
    v["target_text"] = target.map(human_duration).unwrap_or_default().into();
    v
}

/// One of an incident's clocks in the compliance rows.
type Pick = fn(&Compliance) -> ClockCounts;

fn sla(data: &ReviewData, policy: &Policy) -> Value {
    let sum = |current: bool, severity: Option<Severity>, clock: Pick| {
        data.compliance
            .iter()
            .filter(|c| c.current == current && severity.is_none_or(|s| c.severity == s))
            .map(clock)
            .fold(ClockCounts::default(), |a, b| ClockCounts {
                met: a.met + b.met,
                breached: a.breached + b.breached,
                running: a.running + b.running,
            })
    };
    let mut out = serde_json::Map::new();
    let clocks: [(&str, Pick); 2] = [("respond", |c| c.respond), ("resolve", |c| c.resolve)];
    for (name, clock) in clocks {
        let mut by = serde_json::Map::new();
        for s in Severity::ALL {
            let t = policy.target(s);
            let target = if name == "respond" {
                t.respond
            } else {
                t.resolve
            };
            by.insert(
                s.as_str().into(),
                share(
                    sum(true, Some(s), clock),
                    sum(false, Some(s), clock),
                    Some(secs(target)),
                ),
            );
        }
        by.insert(
            "all".into(),
            share(sum(true, None, clock), sum(false, None, clock), None),
        );
        out.insert(name.into(), Value::Object(by));
    }
    let opened: i64 = data
        .compliance
        .iter()
        .filter(|c| c.current)
        .map(|c| c.respond.met + c.respond.breached + c.respond.running)
        .sum();
    // "1 respond clock and 2 fix clocks": the undecided clocks the shares leave out.
    let running: Vec<String> = clocks
        .iter()
        .zip(["respond", "fix"])
        .filter_map(|((_, clock), label)| {
            let n = sum(true, None, *clock).running;
            (n > 0).then(|| format!("{n} {label} clock{}", if n == 1 { "" } else { "s" }))
        })
        .collect();
    out.insert("running_text".into(), running.join(" and ").into());
    out.insert("opened".into(), opened.into());
    out.insert("any".into(), (opened > 0).into());
    let rows: Vec<Value> = data
        .breaches
        .rows
        .iter()
        .map(|b| {
            json!({
                "number": b.number,
                "title": b.title,
                "severity": b.severity,
                "clock": b.clock,
                "state": if b.overdue { "overdue" } else { "breached" },
                "opened_at": time::to_rfc3339(b.opened_at),
                "deadline": time::to_rfc3339(b.deadline),
                "stopped_at": b.stopped_at.map(time::to_rfc3339),
                "late_seconds": b.late_seconds,
                "late_text": human_duration(b.late_seconds),
            })
        })
        .collect();
    out.insert("breaches".into(), listed(data.breaches.total, rows));
    Value::Object(out)
}

/// A capped list: `total` matched, `rows` shown, `more` left out.
fn listed(total: i64, rows: Vec<Value>) -> Value {
    let more = total - rows.len() as i64;
    json!({"total": total, "more": more, "rows": rows})
}

fn at_end(data: &ReviewData, as_of: Timestamp) -> Value {
    let backlog = |what: &str| {
        data.backlog
            .iter()
            .find(|b| b.what == what)
            .map(|b| count(b.current, b.previous))
            .unwrap_or_else(|| count(0, 0))
    };
    let rfc = time::to_rfc3339;
    let unresolved: Vec<Value> = data
        .unresolved
        .rows
        .iter()
        .map(|u| {
            json!({
                "number": u.number,
                "title": u.title,
                "severity": u.severity,
                "opened_at": rfc(u.opened_at),
                "acknowledged": u.acknowledged,
                "resolve_by": rfc(u.resolve_by),
                "age_seconds": u.age_seconds,
                "fix_overdue": u.resolve_by < as_of,
            })
        })
        .collect();
    let postmortems: Vec<Value> = data
        .postmortems_overdue
        .rows
        .iter()
        .map(|p| {
            json!({
                "number": p.number,
                "title": p.title,
                "severity": p.severity,
                "resolved_at": rfc(p.resolved_at),
                "due": rfc(p.due),
                "overdue_seconds": p.overdue_seconds,
            })
        })
        .collect();
    let actions: Vec<Value> = data
        .actions
        .rows
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "incident": a.incident,
                "incident_title": a.incident_title,
                "text": a.text,
                "kind": a.kind,
                "owner": a.owner,
                "due_at": a.due_at.map(rfc),
                "overdue_seconds": a.overdue_seconds,
            })
        })
        .collect();
    let owners: Vec<Value> = data
        .owners
        .rows
        .iter()
        .map(|o| json!({"owner": o.owner, "open": o.open, "overdue": o.overdue}))
        .collect();
    let mut unresolved_v = listed(data.unresolved.total, unresolved);
    unresolved_v["count"] = backlog("unresolved");
    let mut postmortems_v = listed(data.postmortems_overdue.total, postmortems);
    postmortems_v["count"] = backlog("postmortems_overdue");
    let mut actions_v = listed(data.actions.total, actions);
    actions_v["open"] = backlog("actions_open");
    actions_v["overdue"] = backlog("actions_overdue");
    actions_v["owners"] = listed(data.owners.total, owners);
    let any = data.unresolved.total + data.postmortems_overdue.total + data.actions.total > 0;
    json!({
        "any": any,
        "unresolved": unresolved_v,
        "postmortems_overdue": postmortems_v,
        "actions": actions_v,
    })
}

fn recurring(data: &ReviewData) -> Value {
    let r = &data.recurring;
    let rows: Vec<Value> = r
        .rows
        .rows
        .iter()
        .map(|m| {
            json!({
                "number": m.number,
                "title": m.title,
                "severity": m.severity,
                "opened_at": time::to_rfc3339(m.opened_at),
                "matched_on": m.matched_on,
                "matched_label": if m.matched_on == "title" { "title" } else { "root cause" },
                "root_cause": m.root_cause,
                "earlier_total": m.earlier_total,
                "earlier_more": m.earlier_total - m.earlier.len() as i64,
                "earlier": m.earlier.iter().map(|e| json!({
                    "number": e.number,
                    "title": e.title,
                    "opened_at": time::to_rfc3339(e.opened_at),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut v = listed(r.rows.total, rows);
    v["count"] = count(r.current_incidents, r.previous_incidents);
    v["any"] = (r.current_incidents > 0).into();
    v
}

// ---------------------------------------------------------------------------------------------
// Charts: geometry for inline SVG, so the templates only place what is computed here.

/// One decimal place is plenty for SVG coordinates and keeps the output short and stable.
fn px(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The smallest step of 1, 2 or 5 × 10^k that covers `max` in four ticks or fewer.
fn tick_step(max: i64) -> i64 {
    let mut magnitude = 1;
    loop {
        for m in [1, 2, 5] {
            if m * magnitude * 4 >= max {
                return m * magnitude;
            }
        }
        magnitude *= 10;
    }
}

/// Incidents opened per local day, stacked by severity (P1 at the bottom).
fn per_day_chart(window: &Window, data: &ReviewData) -> Value {
    const WIDTH: f64 = 720.0;
    const HEIGHT: f64 = 220.0;
    const LEFT: f64 = 36.0;
    const RIGHT: f64 = 8.0;
    const TOP: f64 = 18.0;
    const BOTTOM: f64 = 34.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;

    let first = window.since.with_timezone(&Local).date_naive();
    let last = (window.until - chrono::Duration::seconds(1))
        .with_timezone(&Local)
        .date_naive();
    let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
    let n = days.len().max(1) as f64;
    let count_of = |day: &str, s: Severity| {
        data.per_day
            .iter()
            .find(|c| c.day == day && c.severity == s)
            .map_or(0, |c| c.count)
    };
    let totals: Vec<i64> = days
        .iter()
        .map(|d| {
            let day = d.to_string();
            Severity::ALL.iter().map(|s| count_of(&day, *s)).sum()
        })
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0);
    let step = tick_step(max.max(1));
    let scale = (((max.max(1) + step - 1) / step) * step) as f64;
    let slot = plot_w / n;
    let bar_w = (slot * 0.7).max(1.0);
    // Label every day while they fit, else every k-th.
    let every = days.len().div_ceil(14).max(1);
    let bottom = TOP + plot_h;

    let bars: Vec<Value> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let day = d.to_string();
            let x = LEFT + i as f64 * slot + (slot - bar_w) / 2.0;
            let mut y = bottom;
            let segments: Vec<Value> = Severity::ALL
                .iter()
                .filter_map(|s| {
                    let c = count_of(&day, *s);
                    (c > 0).then(|| {
                        let h = c as f64 / scale * plot_h;
                        y -= h;
                        json!({"severity": s, "count": c, "y": px(y), "h": px(h)})
                    })
                })
                .collect();
            json!({
                "date": day,
                "label": d.format("%a %-d").to_string(),
                "show_label": i % every == 0,
                "x": px(x),
                "w": px(bar_w),
                "cx": px(x + bar_w / 2.0),
                "total": totals[i],
                "top": px(y),
                "segments": segments,
            })
        })
        .collect();
    let ticks: Vec<Value> = (0..=(scale as i64 / step))
        .map(|k| {
            let v = k * step;
            json!({"value": v, "y": px(bottom - v as f64 / scale * plot_h)})
        })
        .collect();
    json!({
        "any": max > 0,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": bottom,
        "label_y": bottom + 16.0,
        "max": max,
        "ticks": ticks,
        "bars": bars,
    })
}

/// Median and p90 time to resolve per severity against its fix target. Each row has its own
/// scale (P1's hour and P3's three days share no useful one), so the target line sits where it
/// falls in that row and the bar turns red past it.
fn resolve_chart(data: &ReviewData, policy: &Policy) -> Value {
    const WIDTH: f64 = 720.0;
    const ROW: f64 = 54.0;
    const PLOT_X: f64 = 90.0;
    const PLOT_W: f64 = 400.0;
    const TEXT_X: f64 = 510.0;
    let find = |group: &str| {
        data.times
            .iter()
            .find(|t| t.measure == "resolve" && t.group == group && t.current)
    };
    let rows: Vec<Value> = Severity::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let y = 6.0 + i as f64 * ROW;
            let target = secs(policy.target(*s).resolve);
            let stat = find(s.as_str());
            let longest = stat.map_or(0, |t| t.p90.max(t.median)).max(target);
            let scale = longest as f64 * 1.1;
            let w = |v: i64| px(v as f64 / scale * PLOT_W);
            let bar = |v: i64, dy: f64| {
                json!({
                    "x": PLOT_X,
                    "y": px(y + dy),
                    "w": w(v).max(1.0),
                    "h": 14.0,
                    "over": v > target,
                    "seconds": v,
                    "text": human_duration(v),
                })
            };
            json!({
                "severity": s,
                "y": px(y),
                "label_y": px(y + 20.0),
                "target_label_y": px(y + 38.0),
                "n": stat.map_or(0, |t| t.n),
                "median": stat.map(|t| bar(t.median, 6.0)),
                "p90": stat.map(|t| bar(t.p90, 24.0)),
                "median_text_y": px(y + 17.0),
                "p90_text_y": px(y + 35.0),
                "target_x": px(PLOT_X + w(target)),
                "target_y1": px(y + 2.0),
                "target_y2": px(y + 44.0),
                "target_seconds": target,
                "target_text": human_duration(target),
            })
        })
        .collect();
    json!({
        "width": WIDTH,
        "height": 6.0 + 3.0 * ROW + 4.0,
        "plot_x": PLOT_X,
        "text_x": TEXT_X,
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        time::from_rfc3339(s).unwrap()
    }

    #[test]
    fn weeks_parse_and_bad_ones_say_why() {
        // TZ is not pinned in unit tests; compare in local time.
        let w = Window::parse_week("2026-W48").unwrap();
        assert_eq!(w.label, "2026-W48");
        assert_eq!(
            w.since,
            local_midnight(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())
        );
        assert_eq!(
            w.until,
            local_midnight(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap())
        );
        assert_eq!(Window::parse_week("2026w48").unwrap(), w);
        assert_eq!(w.previous().label, "2026-W47");
        assert_eq!(w.previous().until, w.since);
        // Week 1 of 2027 follows week 53 of 2026.
        assert_eq!(
            Window::parse_week("2027-W01").unwrap().previous().label,
            "2026-W53"
        );
        assert_eq!(
            Window::parse_week("2026-W60").unwrap_err(),
            WindowError::NoSuchWeek {
                year: 2026,
                week: 60,
                weeks: 53
            }
        );
        assert!(matches!(
            Window::parse_week("2025-W53"),
            Err(WindowError::NoSuchWeek { weeks: 52, .. })
        ));
        for bad in [
            "",
            "W48",
            "2026-48",
            "26-W48",
            "2026-W",
            "2026-W480",
            "2026-W4x",
        ] {
            assert_eq!(
                Window::parse_week(bad),
                Err(WindowError::Malformed(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_custom_window_is_compared_with_the_same_length_before_it() {
        let w = Window::between(t("2026-11-10T00:00:00Z"), t("2026-11-13T12:00:00Z")).unwrap();
        let p = w.previous();
        assert_eq!((p.since, p.until), (t("2026-11-06T12:00:00Z"), w.since));
        assert!(matches!(
            Window::between(w.until, w.since),
            Err(WindowError::Empty { .. })
        ));
        assert!(Window::between(w.since, w.since).is_err());
    }

    #[test]
    fn shares_round_half_up_and_word_the_change() {
        let c = |met, breached| ClockCounts {
            met,
            breached,
            running: 0,
        };
        assert_eq!(percent(&c(2, 1)), Some(67));
        assert_eq!(percent(&c(1, 1)), Some(50));
        assert_eq!(percent(&c(1, 7)), Some(13)); // 12.5 rounds up
        assert_eq!(percent(&c(0, 0)), None);
        assert_eq!(share(c(3, 1), c(1, 1), None)["text"], "75% (3/4, ▲25 pts)");
        assert_eq!(
            share(c(0, 0), c(1, 0), None)["text"],
            "– (none decided, was 100%)"
        );
        assert_eq!(count(4, 2)["text"], "4 (▲2)");
        assert_eq!(count(1, 3)["text"], "1 (▼2)");
        assert_eq!(count(3, 3)["text"], "3 (±0)");
        assert_eq!(duration_text(Some(7_800), Some(8_700)), "2h 10m (▼15m)");
        assert_eq!(duration_text(None, Some(60)), "– (was 1m)");
    }

    #[test]
    fn ticks_cover_the_tallest_bar() {
        assert_eq!(tick_step(1), 1);
        assert_eq!(tick_step(4), 1);
        assert_eq!(tick_step(5), 2);
        assert_eq!(tick_step(137), 50);
    }
}
