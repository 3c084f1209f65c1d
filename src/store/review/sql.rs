//! The review's statements. Each binds named parameters (`:since`, `:until`, `:as_of`,
//! `:prev_since`, `:cap`), so
//! the benchmark can hand the very same text to the `sqlite3` shell with `.parameter set`. Times
//! are compared as text: the store writes RFC 3339 UTC with whole seconds, which sorts like the
//! times it stands for. Every SLA clock is judged by `store::clocks` over the deadlines stored
//! with each incident (`sla::due`), as `list --breached` judges its own.

use crate::store::clocks::{Clock, ClockSql, Moment};
use std::sync::LazyLock;

/// Opened, resolved and closed per severity, in the window (`current`) and the one before: one
/// range of one index each.
const COUNTS: &str = "\
SELECT 'opened' AS event, severity, sum(opened_at >= :since) AS current, sum(opened_at < :since) AS previous
FROM incidents WHERE opened_at >= :prev_since AND opened_at < :until GROUP BY severity
UNION ALL
SELECT 'resolved', severity, sum(resolved_at >= :since), sum(resolved_at < :since)
FROM incidents WHERE resolved_at >= :prev_since AND resolved_at < :until GROUP BY severity
UNION ALL
SELECT 'closed', severity, sum(closed_at >= :since), sum(closed_at < :since)
FROM incidents WHERE closed_at >= :prev_since AND closed_at < :until GROUP BY severity";

/// Median and p90 by nearest rank (the value at rank ceil(p·n) in ascending order) of time to
/// acknowledge (opened in the window) and to resolve (resolved in it), both from the detection
/// as the SLA clocks count; to restore (resolved in it, from the impact start); and to close
/// the post-mortem (closed in it), per severity and for all, per window. ceil(n/2) = (n + 1) / 2 and
/// ceil(9n/10) = (9n + 9) / 10 in integer division. `MATERIALIZED` keeps `samples` from being
/// computed once per reference: newer SQLite (the bundled 3.54) would otherwise inline it.
const TIMES: &str = "\
WITH samples AS MATERIALIZED (
    SELECT 'acknowledge' AS measure, opened_at >= :since AS current, severity,
        unixepoch(acknowledged_at) - unixepoch(detected_at) AS secs
    FROM incidents
    WHERE opened_at >= :prev_since AND opened_at < :until AND acknowledged_at IS NOT NULL
    UNION ALL
    SELECT 'resolve', resolved_at >= :since, severity, unixepoch(resolved_at) - unixepoch(detected_at)
    FROM incidents WHERE resolved_at >= :prev_since AND resolved_at < :until
    UNION ALL
    SELECT 'restore', resolved_at >= :since, severity, unixepoch(resolved_at) - unixepoch(started_at)
    FROM incidents WHERE resolved_at >= :prev_since AND resolved_at < :until
    UNION ALL
    SELECT 'postmortem', closed_at >= :since, severity, unixepoch(closed_at) - unixepoch(resolved_at)
    FROM incidents
    WHERE closed_at >= :prev_since AND closed_at < :until AND resolved_at IS NOT NULL
),
grouped AS (
    SELECT measure, current, severity AS grp, secs FROM samples
    UNION ALL
    SELECT measure, current, 'all', secs FROM samples
),
ranked AS (
    -- One sort serves both: the rank, and the partition's size over the whole frame.
    SELECT measure, current, grp, secs,
        row_number() OVER sorted AS rank,
        count(*) OVER (sorted ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS n
    FROM grouped
    WINDOW sorted AS (PARTITION BY measure, current, grp ORDER BY secs)
)
SELECT measure, current, grp, max(n) AS n,
    max(CASE WHEN rank = (n + 1) / 2 THEN secs END) AS median,
    max(CASE WHEN rank = (9 * n + 9) / 10 THEN secs END) AS p90
FROM ranked
-- Only the two ranked rows of each group reach the grouping.
WHERE rank IN ((n + 1) / 2, (9 * n + 9) / 10)
GROUP BY measure, current, grp";

/// The respond and fix clocks of every incident opened in either window, judged at the end of
/// its window: the state after everything before that end happened (a stop at or after the end
/// belongs to the next window: [`Moment::Before`]).
fn judged_clocks() -> String {
    let end = Moment::Before("end_at");
    let (respond, resolve) = (Clock::Respond.at(end), Clock::Resolve.at(end));
    // The judged CTE reads the clocks CTE's columns.
    let judged = |deadline, stopped| ClockSql::columns(deadline, stopped, "end_s");
    let (responded, resolved) = (
        judged("respond_by", "responded"),
        judged("resolve_by", "resolved"),
    );
    format!(
        "WITH windowed AS (
    SELECT number, title, severity, opened_at, acknowledged_at, resolved_at, respond_due_at,
        resolve_due_at, paused_at, opened_at >= :since AS current,
        -- Each window is judged at its own end; the previous one ends where this one starts.
        CASE WHEN opened_at >= :since THEN :as_of ELSE :since END AS end_at
    FROM incidents
    WHERE opened_at >= :prev_since AND opened_at < :until
),
clocks AS (
    SELECT number, title, severity, opened_at, current, {end_s} AS end_s,
        {respond_by} AS respond_by,
        {resolve_by} AS resolve_by,
        {respond_stop} AS responded,
        {resolve_stop} AS resolved
    FROM windowed
),
judged AS (
    SELECT *,
        {respond_state} AS respond,
        {respond_late} AS respond_late,
        {resolve_state} AS resolve,
        {resolve_late} AS resolve_late
    FROM clocks
)
",
        end_s = respond.at,
        respond_by = respond.deadline,
        resolve_by = resolve.deadline,
        respond_stop = respond.stopped,
        resolve_stop = resolve.stopped,
        respond_state = responded.state(),
        respond_late = responded.late(),
        resolve_state = resolved.state(),
        resolve_late = resolved.late(),
    )
}

/// Respond and fix clocks met, breached (or overdue) and still running per severity and window.
fn compliance() -> String {
    judged_clocks()
        + "SELECT current, severity,
    sum(respond = 'met'), sum(respond IN ('breached', 'overdue')), sum(respond = 'running'),
    sum(resolve = 'met'), sum(resolve IN ('breached', 'overdue')), sum(resolve = 'running')
FROM judged GROUP BY current, severity"
}

/// Every breached or overdue clock of an incident opened in the window, with how late.
fn breaches() -> String {
    judged_clocks()
        + ", breaches AS (
    SELECT number, title, severity, opened_at, 'respond' AS clock, respond AS state,
        respond_by AS deadline, responded AS stopped, respond_late AS late
    FROM judged WHERE current AND respond IN ('breached', 'overdue')
    UNION ALL
    SELECT number, title, severity, opened_at, 'resolve', resolve, resolve_by, resolved, resolve_late
    FROM judged WHERE current AND resolve IN ('breached', 'overdue')
)
SELECT number, title, severity, opened_at, clock, state, deadline, stopped, late,
    count(*) OVER () AS total
FROM breaches ORDER BY number, clock = 'resolve' LIMIT :cap"
}

/// The incidents opened in the window, by affected service (`incidents.services`): how many,
/// how many resolved by the window's end, the nearest-rank median times to acknowledge and to
/// resolve (from the detection, as the clocks count), how many breached a respond or fix clock
/// (judged as [`compliance`] judges them), and how many recur (a title or root-cause key an
/// earlier incident has, as the recurring list finds them). An incident with several services
/// is a row of each (`shared` counts those incidents); one with none is the '' row. Most
/// incidents first.
fn services() -> String {
    judged_clocks()
        + ", tagged AS MATERIALIZED (
    SELECT coalesce(s.value, '') AS service, i.pk,
        json_array_length(i.services) > 1 AS shared,
        j.respond IN ('breached', 'overdue') OR j.resolve IN ('breached', 'overdue') AS breached,
        CASE WHEN i.acknowledged_at < :as_of
            THEN unixepoch(i.acknowledged_at) - unixepoch(i.detected_at) END AS ack_secs,
        CASE WHEN i.resolved_at < :as_of
            THEN unixepoch(i.resolved_at) - unixepoch(i.detected_at) END AS fix_secs,
        (i.title_key <> '' AND EXISTS (SELECT 1 FROM incidents e
            WHERE e.title_key = i.title_key AND e.opened_at < i.opened_at))
        OR (i.root_cause_key <> '' AND EXISTS (SELECT 1 FROM incidents e
            WHERE e.root_cause_key = i.root_cause_key AND e.opened_at < i.opened_at)) AS recurs
    FROM judged j JOIN incidents i ON i.number = j.number
        LEFT JOIN json_each(i.services) s
    WHERE j.current
),
ranked AS (
    SELECT service, measure, secs, row_number() OVER sorted AS rank,
        count(*) OVER (sorted ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS n
    FROM (
        SELECT service, 'acknowledge' AS measure, ack_secs AS secs FROM tagged
        WHERE ack_secs IS NOT NULL
        UNION ALL
        SELECT service, 'resolve', fix_secs FROM tagged WHERE fix_secs IS NOT NULL
    )
    WINDOW sorted AS (PARTITION BY service, measure ORDER BY secs)
),
medians AS (
    SELECT service, max(CASE WHEN measure = 'acknowledge' THEN secs END) AS acknowledge,
        max(CASE WHEN measure = 'resolve' THEN secs END) AS resolve
    FROM ranked WHERE rank = (n + 1) / 2 GROUP BY service
),
totals AS (
    SELECT service, count(*) AS incidents, count(fix_secs) AS resolved, sum(breached) AS breached,
        sum(recurs) AS recurring
    FROM tagged GROUP BY service
)
SELECT t.service, t.incidents, t.resolved, m.acknowledge, m.resolve, t.breached, t.recurring,
    (SELECT count(DISTINCT pk) FROM tagged WHERE shared) AS shared,
    count(*) OVER () AS total
FROM totals t LEFT JOIN medians m USING (service)
ORDER BY t.incidents DESC, t.service = '', t.service LIMIT :cap"
}

/// What was left at the end of each window: unresolved incidents, overdue post-mortems, open and
/// overdue action items. Each reads the index entries still open at the previous window's end
/// (NULL, or stopped after it), which covers both windows.
fn backlog() -> String {
    let (end, previous_end) = (Moment::Before(":as_of"), Moment::Before(":since"));
    format!(
        "\
WITH actions AS MATERIALIZED (
    SELECT sum(created_at < :as_of AND (done_at IS NULL OR done_at >= :as_of)) AS open,
        sum(created_at < :since AND (done_at IS NULL OR done_at >= :since)) AS open_before,
        sum(created_at < :as_of AND (done_at IS NULL OR done_at >= :as_of) AND due_at < :as_of)
            AS overdue,
        sum(created_at < :since AND (done_at IS NULL OR done_at >= :since) AND due_at < :since)
            AS overdue_before
    FROM action_items WHERE done_at IS NULL OR done_at >= :since
)
SELECT 'unresolved' AS what,
    sum({unresolved}) AS current,
    sum({unresolved_before}) AS previous
FROM incidents WHERE {resolve_open}
UNION ALL
SELECT 'postmortems_overdue',
    sum({postmortem}),
    sum({postmortem_before})
FROM incidents WHERE {close_open} AND +resolved_at IS NOT NULL
UNION ALL
SELECT 'actions_open', open, open_before FROM actions
UNION ALL
SELECT 'actions_overdue', overdue, overdue_before FROM actions",
        unresolved = Clock::Resolve.pending(end),
        unresolved_before = Clock::Resolve.pending(previous_end),
        resolve_open = previous_end.not_reached(Clock::Resolve.stop()),
        postmortem = Clock::Postmortem.overdue(end),
        postmortem_before = Clock::Postmortem.overdue(previous_end),
        close_open = previous_end.not_reached(Clock::Postmortem.stop()),
    )
}

/// Incidents unresolved at the end of the window, most severe and oldest first.
fn unresolved() -> String {
    let end = Moment::Before(":as_of");
    format!(
        "SELECT number, title, severity, opened_at, coalesce({acknowledged}, 0),
    {resolve_by} AS resolve_by,
    unixepoch(:as_of) - unixepoch(opened_at) AS age,
    count(*) OVER () AS total
FROM incidents
WHERE {unresolved}
ORDER BY severity, opened_at, number LIMIT :cap",
        acknowledged = end.reached(Clock::Respond.stop()),
        resolve_by = Clock::Resolve.at(end).deadline,
        unresolved = Clock::Resolve.pending(end),
    )
}

/// Resolved incidents whose post-mortem (the close) was overdue at the end of the window.
fn postmortems() -> String {
    let end = Moment::Before(":as_of");
    let due = Clock::Postmortem.deadline();
    format!(
        "SELECT number, title, severity, resolved_at, {due} AS due,
    {at} - ({due}) AS overdue,
    count(*) OVER () AS total
FROM incidents
WHERE {overdue}
ORDER BY resolved_at, number LIMIT :cap",
        at = end.epoch(),
        overdue = Clock::Postmortem.overdue(end),
    )
}

/// Action items open at the end of the window, soonest due (so the overdue) first; only the
/// rows shown are joined to their incidents.
const ACTIONS: &str = "\
SELECT listed.id, i.number, i.title, listed.text, listed.kind, listed.owner, listed.due_at,
    CASE WHEN listed.due_at < :as_of THEN unixepoch(:as_of) - unixepoch(listed.due_at) END
        AS overdue,
    listed.total
FROM (
    SELECT id, incident_pk, text, kind, owner, due_at, count(*) OVER () AS total
    FROM action_items
    WHERE (done_at IS NULL OR done_at >= :as_of) AND +created_at < :as_of
    ORDER BY due_at IS NULL, due_at, id LIMIT :cap
) listed JOIN incidents i ON i.pk = listed.incident_pk
ORDER BY listed.due_at IS NULL, listed.due_at, listed.id";

/// Open and overdue action items per owner at the end of the window.
const OWNERS: &str = "\
SELECT owner, count(*) AS open, count(CASE WHEN due_at < :as_of THEN 1 END) AS overdue,
    count(*) OVER () AS total
FROM action_items
WHERE (done_at IS NULL OR done_at >= :as_of) AND +created_at < :as_of
GROUP BY owner ORDER BY overdue DESC, open DESC, owner IS NULL, owner LIMIT :cap";

/// Incidents of either window whose title key or root-cause key (non-empty) equals that of an
/// incident opened before it. Earlier matches are counted once per key over the key's index
/// (those before both windows) plus the rank within the windows, so no incident pair is joined;
/// the listed rows carry their three most recent earlier matches, found on the key's index. The
/// summary (distinct incidents per window, rows in total) comes on every row, and on one row of
/// NULLs when nothing recurs. `MATERIALIZED` pins that plan: left to itself, SQLite 3.54 folds
/// `before` into the join and counts each key's history once per incident instead of once per
/// key (1.1 s instead of 25 ms on the benchmark's database).
const RECURRING: &str = "\
WITH win AS MATERIALIZED (
    SELECT pk, number, title, severity, opened_at, root_cause, opened_at >= :since AS current,
        'title' AS matched_on, title_key AS k
    FROM incidents WHERE opened_at >= :prev_since AND opened_at < :until AND title_key <> ''
    UNION ALL
    SELECT pk, number, title, severity, opened_at, root_cause, opened_at >= :since,
        'root_cause', root_cause_key
    FROM incidents WHERE opened_at >= :prev_since AND opened_at < :until AND root_cause_key <> ''
),
before AS MATERIALIZED (
    SELECT 'title' AS matched_on, k,
        (SELECT count(*) FROM incidents e WHERE e.title_key = w.k AND e.opened_at < :prev_since) AS n
    FROM (SELECT DISTINCT k FROM win WHERE matched_on = 'title') w
    UNION ALL
    SELECT 'root_cause', k,
        (SELECT count(*) FROM incidents e WHERE e.root_cause_key = w.k AND e.opened_at < :prev_since)
    FROM (SELECT DISTINCT k FROM win WHERE matched_on = 'root_cause') w
),
recurring AS (
    -- rank() gives incidents opened at the same second the same rank: neither is earlier.
    SELECT win.*,
        before.n + rank() OVER (PARTITION BY win.matched_on, win.k ORDER BY win.opened_at) - 1
            AS earlier
    FROM win JOIN before USING (matched_on, k)
),
matches AS MATERIALIZED (
    SELECT *, row_number() OVER (PARTITION BY pk ORDER BY matched_on DESC) = 1 AS first_of_incident
    FROM recurring WHERE earlier > 0
),
summary AS (
    SELECT count(CASE WHEN current AND first_of_incident THEN 1 END) AS incidents,
        count(CASE WHEN NOT current AND first_of_incident THEN 1 END) AS previous_incidents,
        count(CASE WHEN current THEN 1 END) AS total
    FROM matches
),
shown AS (
    SELECT * FROM matches WHERE current ORDER BY opened_at, number, matched_on DESC LIMIT :cap
)
SELECT summary.incidents, summary.previous_incidents, summary.total,
    shown.number, shown.title, shown.severity, shown.opened_at, shown.matched_on,
    shown.root_cause, shown.earlier,
    CASE shown.matched_on
        WHEN 'title' THEN (SELECT json_group_array(json_array(number, title, opened_at)) FROM (
            SELECT number, title, opened_at FROM incidents e
            WHERE e.title_key = shown.k AND e.opened_at < shown.opened_at
            ORDER BY e.opened_at DESC LIMIT 3))
        ELSE (SELECT json_group_array(json_array(number, title, opened_at)) FROM (
            SELECT number, title, opened_at FROM incidents e
            WHERE e.root_cause_key = shown.k AND e.opened_at < shown.opened_at
            ORDER BY e.opened_at DESC LIMIT 3))
    END AS earlier_rows
FROM summary LEFT JOIN shown ON 1
ORDER BY shown.opened_at, shown.number, shown.matched_on DESC";

/// Incidents opened per local day and severity in the window (for the chart).
const PER_DAY: &str = "\
SELECT date(opened_at, 'localtime') AS day, severity, count(*)
FROM incidents WHERE opened_at >= :since AND opened_at < :until
GROUP BY day, severity ORDER BY day, severity";

/// Timeline entries by kind on the incidents opened in the window (up to `:as_of`) and in the
/// one before (up to `:since`): what the responders recorded, each window as it stood at its
/// end. Driven by the opened_at index and each incident's events index, as the counts are.
const ACTIVITY: &str = "\
SELECT e.kind, sum(i.opened_at >= :since) AS current, sum(i.opened_at < :since) AS previous
FROM incidents i JOIN events e ON e.incident_pk = i.pk
WHERE i.opened_at >= :prev_since AND i.opened_at < :until
  AND e.at < CASE WHEN i.opened_at >= :since THEN :as_of ELSE :since END
GROUP BY e.kind";

/// The incidents the review counts: every one but the cancelled (opened by mistake, noise, a
/// duplicate), whose clocks are neither met nor breached. Each statement reads `counted` where
/// it read `incidents`; the view is not materialized, so SQLite folds it into each reference
/// and the indexes serve as before.
fn counted(sql: &str) -> String {
    const COUNTED: &str =
        "counted AS NOT MATERIALIZED (SELECT * FROM incidents WHERE status <> 'CANCELLED')";
    let body = sql
        .replace("FROM incidents", "FROM counted")
        .replace("JOIN incidents", "JOIN counted");
    match body.strip_prefix("WITH ") {
        Some(rest) => format!("WITH {COUNTED},\n{rest}"),
        None => format!("WITH {COUNTED}\n{body}"),
    }
}

/// The incidents opened in the window and cancelled: the review names how many, so that
/// nothing leaves its figures without a word.
const CANCELLED: &str = "\
SELECT count(*) FROM incidents
WHERE opened_at >= :since AND opened_at < :until AND status = 'CANCELLED'";

/// The review's statements, built once.
pub(super) struct Statements {
    pub counts: String,
    pub times: String,
    pub compliance: String,
    pub breaches: String,
    pub backlog: String,
    pub unresolved: String,
    pub postmortems: String,
    pub actions: String,
    pub owners: String,
    pub recurring: String,
    pub per_day: String,
    pub activity: String,
    pub services: String,
    pub cancelled: String,
}

pub(super) static SQL: LazyLock<Statements> = LazyLock::new(|| Statements {
    counts: counted(COUNTS),
    times: counted(TIMES),
    compliance: counted(&compliance()),
    breaches: counted(&breaches()),
    backlog: counted(&backlog()),
    unresolved: counted(&unresolved()),
    postmortems: counted(&postmortems()),
    // Action items stay work to do whatever became of their incident: listed as counted.
    actions: ACTIONS.to_string(),
    owners: OWNERS.to_string(),
    recurring: counted(RECURRING),
    per_day: counted(PER_DAY),
    activity: counted(ACTIVITY),
    services: counted(&services()),
    cancelled: CANCELLED.to_string(),
});

/// The review's statements by name, in the order [`crate::store::Txn::review`] runs them.
pub(super) static BY_NAME: LazyLock<[(&str, &str); 14]> = LazyLock::new(|| {
    let s: &'static Statements = &SQL;
    [
        ("counts", &s.counts),
        ("times", &s.times),
        ("compliance", &s.compliance),
        ("breaches", &s.breaches),
        ("backlog", &s.backlog),
        ("unresolved", &s.unresolved),
        ("postmortems", &s.postmortems),
        ("actions", &s.actions),
        ("owners", &s.owners),
        ("recurring", &s.recurring),
        ("per_day", &s.per_day),
        ("activity", &s.activity),
        ("services", &s.services),
        ("cancelled", &s.cancelled),
    ]
});
