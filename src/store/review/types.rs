//! What the weekly review's statements return: the store's own types, which the report turns
//! into the template context.

use crate::domain::event::EventKind;
use crate::domain::model::Severity;
use crate::domain::time::Timestamp;

/// The most rows any list of the review shows; the total is always stated.
pub const CAP: i64 = 50;

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

/// Nearest-rank median and p90 of one measure (acknowledge, resolve, restore, postmortem) for one group
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

/// Timeline entries of one kind on the incidents opened in the window and the one before.
#[derive(Debug, Clone, PartialEq)]
pub struct KindCount {
    pub kind: EventKind,
    pub current: i64,
    pub previous: i64,
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
    pub activity: Vec<KindCount>,
    pub services: Services,
    /// Incidents opened in the window and cancelled (opened by mistake, noise, a duplicate):
    /// left out of every figure above, and named in one line.
    pub cancelled: i64,
}

/// The incidents opened in the window by affected service (`service` empty: none recorded).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRow {
    pub service: String,
    pub incidents: i64,
    pub resolved: i64,
    /// Nearest-rank medians in seconds, from the detection; `None` when none was.
    pub acknowledge_median: Option<i64>,
    pub resolve_median: Option<i64>,
    /// Incidents with a respond or fix clock breached (or overdue) at the window's end.
    pub breached: i64,
    /// Incidents whose title or root cause an earlier incident shares.
    pub recurring: i64,
}

/// The service rows, and how many incidents appear in more than one of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Services {
    pub rows: Listed<ServiceRow>,
    pub shared: i64,
}
