//! The weekly review's SQL: every count, percentile and compliance share is aggregated by SQLite
//! over index ranges (opened_at, resolved_at, closed_at, the similarity keys); only the rows a
//! review lists come back, capped, with their total.
//!
//! The statements bind named parameters (`:since`, `:until`, `:as_of`, `:prev_since`, `:cap`, the
//! policy's targets in seconds), so the benchmark can hand the very same text to the `sqlite3`
//! shell with `.parameter set`. Times are compared as text: the store writes RFC 3339 UTC with
//! whole seconds, which sorts like the times it stands for.

use super::{StoreError, Txn};
use crate::domain::model::Severity;
use crate::domain::sla::Policy;
use crate::domain::time::{self, Timestamp};
use crate::report::review::{
    Backlog, Bounds, Breach, ClockCounts, Compliance, DayCount, Earlier, Listed, OpenAction,
    OwnerLoad, PostmortemDue, Recurrence, Recurring, ReviewData, Tally, TimeStat, Unresolved,
};
use rusqlite::Row;
use rusqlite::types::{FromSqlError, Type, Value};

/// The targets of the incident's current severity (the SLA follows the current severity).
macro_rules! respond_target {
    () => {
        "CASE severity WHEN 'P1' THEN :p1_respond WHEN 'P2' THEN :p2_respond ELSE :p3_respond END"
    };
}
macro_rules! resolve_target {
    () => {
        "CASE severity WHEN 'P1' THEN :p1_resolve WHEN 'P2' THEN :p2_resolve ELSE :p3_resolve END"
    };
}

/// The respond and fix clocks of every incident opened in either window, judged at the end of
/// its window: the state after everything before that end happened (a stop at or after the end
/// belongs to the next window). Reaching a deadline exactly is on time, as in `sla::clock`.
macro_rules! judged_clocks {
    () => {
        concat!(
            "WITH windowed AS (
    SELECT number, title, severity, opened_at, acknowledged_at, resolved_at,
        opened_at >= :since AS current,
        -- Each window is judged at its own end; the previous one ends where this one starts.
        CASE WHEN opened_at >= :since THEN :as_of ELSE :since END AS end_at
    FROM incidents
    WHERE opened_at >= :prev_since AND opened_at < :until
),
clocks AS (
    SELECT number, title, severity, opened_at, current, unixepoch(end_at) AS end_s,
        unixepoch(opened_at) + ",
            respond_target!(),
            " AS respond_by,
        unixepoch(opened_at) + ",
            resolve_target!(),
            " AS resolve_by,
        CASE WHEN acknowledged_at < end_at THEN unixepoch(acknowledged_at) END AS responded,
        CASE WHEN resolved_at < end_at THEN unixepoch(resolved_at) END AS resolved
    FROM windowed
),
judged AS (
    SELECT *,
        CASE WHEN responded IS NOT NULL
                THEN CASE WHEN responded <= respond_by THEN 'met' ELSE 'breached' END
            WHEN end_s > respond_by THEN 'overdue' ELSE 'running' END AS respond,
        coalesce(responded, end_s) - respond_by AS respond_late,
        CASE WHEN resolved IS NOT NULL
                THEN CASE WHEN resolved <= resolve_by THEN 'met' ELSE 'breached' END
            WHEN end_s > resolve_by THEN 'overdue' ELSE 'running' END AS resolve,
        coalesce(resolved, end_s) - resolve_by AS resolve_late
    FROM clocks
)
"
        )
    };
}

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
/// acknowledge (opened in the window), to resolve (resolved in it) and to close the post-mortem
/// (closed in it), per severity and for all, per window. ceil(n/2) = (n + 1) / 2 and
/// ceil(9n/10) = (9n + 9) / 10 in integer division. `MATERIALIZED` keeps `samples` from being
/// computed once per reference: newer SQLite (the bundled 3.54) would otherwise inline it.
const TIMES: &str = "\
WITH samples AS MATERIALIZED (
    SELECT 'acknowledge' AS measure, opened_at >= :since AS current, severity,
        unixepoch(acknowledged_at) - unixepoch(opened_at) AS secs
    FROM incidents
    WHERE opened_at >= :prev_since AND opened_at < :until AND acknowledged_at IS NOT NULL
    UNION ALL
    SELECT 'resolve', resolved_at >= :since, severity, unixepoch(resolved_at) - unixepoch(opened_at)
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

/// Respond and fix clocks met, breached (or overdue) and still running per severity and window.
const COMPLIANCE: &str = concat!(
    judged_clocks!(),
    "SELECT current, severity,
    sum(respond = 'met'), sum(respond IN ('breached', 'overdue')), sum(respond = 'running'),
    sum(resolve = 'met'), sum(resolve IN ('breached', 'overdue')), sum(resolve = 'running')
FROM judged GROUP BY current, severity"
);

/// Every breached or overdue clock of an incident opened in the window, with how late.
const BREACHES: &str = concat!(
    judged_clocks!(),
    ", breaches AS (
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
);

/// What was left at the end of each window: unresolved incidents, overdue post-mortems, open and
/// overdue action items. Each reads the index entries still open at the previous window's end
/// (NULL, or stopped after it), which covers both windows.
const BACKLOG: &str = "\
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
    sum(opened_at < :as_of AND (resolved_at IS NULL OR resolved_at >= :as_of)) AS current,
    sum(opened_at < :since AND (resolved_at IS NULL OR resolved_at >= :since)) AS previous
FROM incidents WHERE resolved_at IS NULL OR resolved_at >= :since
UNION ALL
SELECT 'postmortems_overdue',
    sum(resolved_at < :as_of AND (closed_at IS NULL OR closed_at >= :as_of)
        AND unixepoch(resolved_at) + :postmortem < unixepoch(:as_of)),
    sum(resolved_at < :since AND (closed_at IS NULL OR closed_at >= :since)
        AND unixepoch(resolved_at) + :postmortem < unixepoch(:since))
FROM incidents WHERE (closed_at IS NULL OR closed_at >= :since) AND +resolved_at IS NOT NULL
UNION ALL
SELECT 'actions_open', open, open_before FROM actions
UNION ALL
SELECT 'actions_overdue', overdue, overdue_before FROM actions";

/// Incidents unresolved at the end of the window, most severe and oldest first.
const UNRESOLVED: &str = concat!(
    "SELECT number, title, severity, opened_at, coalesce(acknowledged_at < :as_of, 0),
    unixepoch(opened_at) + ",
    resolve_target!(),
    " AS resolve_by,
    unixepoch(:as_of) - unixepoch(opened_at) AS age,
    count(*) OVER () AS total
FROM incidents
WHERE (resolved_at IS NULL OR resolved_at >= :as_of) AND +opened_at < :as_of
ORDER BY severity, opened_at, number LIMIT :cap"
);

/// Resolved incidents whose post-mortem (the close) was overdue at the end of the window.
const POSTMORTEMS: &str = "\
SELECT number, title, severity, resolved_at, unixepoch(resolved_at) + :postmortem AS due,
    unixepoch(:as_of) - unixepoch(resolved_at) - :postmortem AS overdue,
    count(*) OVER () AS total
FROM incidents
WHERE (closed_at IS NULL OR closed_at >= :as_of) AND +resolved_at < :as_of
    AND unixepoch(resolved_at) + :postmortem < unixepoch(:as_of)
ORDER BY resolved_at, number LIMIT :cap";

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

/// The review's statements by name, in the order [`Txn::review`] runs them.
const STATEMENTS: &[(&str, &str)] = &[
    ("counts", COUNTS),
    ("times", TIMES),
    ("compliance", COMPLIANCE),
    ("breaches", BREACHES),
    ("backlog", BACKLOG),
    ("unresolved", UNRESOLVED),
    ("postmortems", POSTMORTEMS),
    ("actions", ACTIONS),
    ("owners", OWNERS),
    ("recurring", RECURRING),
    ("per_day", PER_DAY),
];

impl Txn<'_> {
    /// The review's SQL by name, exactly as [`Txn::review`] runs it (for the benchmark, which
    /// times the same statements in the `sqlite3` shell and prints their query plans).
    pub fn review_statements() -> &'static [(&'static str, &'static str)] {
        STATEMENTS
    }

    /// The named parameters the review's statements bind.
    pub fn review_parameters(bounds: &Bounds, policy: &Policy) -> Vec<(&'static str, Value)> {
        let text = |t: Timestamp| Value::Text(time::to_rfc3339(t));
        let secs =
            |d: std::time::Duration| Value::Integer(i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        vec![
            (":since", text(bounds.since)),
            (":until", text(bounds.until)),
            (":as_of", text(bounds.as_of)),
            (":prev_since", text(bounds.prev_since)),
            (":cap", Value::Integer(bounds.cap)),
            (":p1_respond", secs(policy.p1.respond)),
            (":p1_resolve", secs(policy.p1.resolve)),
            (":p2_respond", secs(policy.p2.respond)),
            (":p2_resolve", secs(policy.p2.resolve)),
            (":p3_respond", secs(policy.p3.respond)),
            (":p3_resolve", secs(policy.p3.resolve)),
            (":postmortem", secs(policy.postmortem)),
        ]
    }

    /// Everything the weekly review shows for the window and the one before it.
    pub fn review(&self, bounds: &Bounds, policy: &Policy) -> Result<ReviewData, StoreError> {
        let params = Self::review_parameters(bounds, policy);
        let run = |sql: &'static str| Query {
            txn: self,
            sql,
            params: &params,
        };
        Ok(ReviewData {
            counts: run(COUNTS).all(|r| {
                Ok(Tally {
                    what: r.get(0)?,
                    severity: severity(r, 1)?,
                    current: r.get(2)?,
                    previous: r.get(3)?,
                })
            })?,
            times: run(TIMES).all(|r| {
                Ok(TimeStat {
                    measure: r.get(0)?,
                    current: r.get(1)?,
                    group: r.get(2)?,
                    n: r.get(3)?,
                    median: r.get(4)?,
                    p90: r.get(5)?,
                })
            })?,
            compliance: run(COMPLIANCE).all(|r| {
                Ok(Compliance {
                    current: r.get(0)?,
                    severity: severity(r, 1)?,
                    respond: ClockCounts {
                        met: r.get(2)?,
                        breached: r.get(3)?,
                        running: r.get(4)?,
                    },
                    resolve: ClockCounts {
                        met: r.get(5)?,
                        breached: r.get(6)?,
                        running: r.get(7)?,
                    },
                })
            })?,
            breaches: run(BREACHES).listed(9, |r| {
                let state: String = r.get(5)?;
                Ok(Breach {
                    number: r.get(0)?,
                    title: r.get(1)?,
                    severity: severity(r, 2)?,
                    opened_at: ts(r, 3)?,
                    clock: r.get(4)?,
                    overdue: state == "overdue",
                    deadline: epoch(r, 6)?,
                    stopped_at: r
                        .get::<_, Option<i64>>(7)?
                        .map(|s| from_epoch(7, s))
                        .transpose()?,
                    late_seconds: r.get(8)?,
                })
            })?,
            backlog: run(BACKLOG).all(|r| {
                Ok(Backlog {
                    what: r.get(0)?,
                    // sum() of no rows is NULL.
                    current: r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                    previous: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
                })
            })?,
            unresolved: run(UNRESOLVED).listed(7, |r| {
                Ok(Unresolved {
                    number: r.get(0)?,
                    title: r.get(1)?,
                    severity: severity(r, 2)?,
                    opened_at: ts(r, 3)?,
                    acknowledged: r.get(4)?,
                    resolve_by: epoch(r, 5)?,
                    age_seconds: r.get(6)?,
                })
            })?,
            postmortems_overdue: run(POSTMORTEMS).listed(6, |r| {
                Ok(PostmortemDue {
                    number: r.get(0)?,
                    title: r.get(1)?,
                    severity: severity(r, 2)?,
                    resolved_at: ts(r, 3)?,
                    due: epoch(r, 4)?,
                    overdue_seconds: r.get(5)?,
                })
            })?,
            actions: run(ACTIONS).listed(8, |r| {
                Ok(OpenAction {
                    id: r.get(0)?,
                    incident: r.get(1)?,
                    incident_title: r.get(2)?,
                    text: r.get(3)?,
                    kind: r.get(4)?,
                    owner: r.get(5)?,
                    due_at: opt_ts(r, 6)?,
                    overdue_seconds: r.get(7)?,
                })
            })?,
            owners: run(OWNERS).listed(3, |r| {
                Ok(OwnerLoad {
                    owner: r.get(0)?,
                    open: r.get(1)?,
                    overdue: r.get(2)?,
                })
            })?,
            recurring: recurring(&run(RECURRING))?,
            per_day: run(PER_DAY).all(|r| {
                Ok(DayCount {
                    day: r.get(0)?,
                    severity: severity(r, 1)?,
                    count: r.get(2)?,
                })
            })?,
        })
    }
}

/// One statement with the review's parameters, bound by name: each statement binds only those
/// it uses.
struct Query<'q, 't> {
    txn: &'q Txn<'t>,
    sql: &'static str,
    params: &'q [(&'static str, Value)],
}

impl Query<'_, '_> {
    fn each(&self, mut f: impl FnMut(&Row) -> rusqlite::Result<()>) -> Result<(), StoreError> {
        let mut stmt = self.txn.tx.prepare(self.sql)?;
        for i in 1..=stmt.parameter_count() {
            let name = stmt.parameter_name(i).unwrap_or("?");
            let value = self
                .params
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v)
                .ok_or_else(|| rusqlite::Error::InvalidParameterName(name.to_string()))?;
            stmt.raw_bind_parameter(i, value)?;
        }
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next()? {
            f(row)?;
        }
        Ok(())
    }

    fn all<T>(&self, mut f: impl FnMut(&Row) -> rusqlite::Result<T>) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        self.each(|r| {
            out.push(f(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// Rows that carry `count(*) OVER ()` in column `total`: the rows shown and how many matched.
    fn listed<T>(
        &self,
        total: usize,
        mut f: impl FnMut(&Row) -> rusqlite::Result<T>,
    ) -> Result<Listed<T>, StoreError> {
        let mut listed = Listed {
            total: 0,
            rows: Vec::new(),
        };
        self.each(|r| {
            listed.total = r.get(total)?;
            listed.rows.push(f(r)?);
            Ok(())
        })?;
        Ok(listed)
    }
}

fn recurring(query: &Query<'_, '_>) -> Result<Recurring, StoreError> {
    let mut out = Recurring::default();
    query.each(|r| {
        out.current_incidents = r.get(0)?;
        out.previous_incidents = r.get(1)?;
        out.rows.total = r.get(2)?;
        // The LEFT JOIN's row of NULLs: the summary alone, nothing recurs in the window.
        let Some(number) = r.get::<_, Option<i64>>(3)? else {
            return Ok(());
        };
        let earlier: Option<String> = r.get(10)?;
        let earlier: Vec<(i64, String, String)> = match earlier {
            Some(json) => serde_json::from_str(&json).map_err(|_| bad(10, "earlier", &json))?,
            None => Vec::new(),
        };
        let mut earlier = earlier
            .into_iter()
            .map(|(number, title, opened)| {
                Ok(Earlier {
                    number,
                    title,
                    opened_at: time::from_rfc3339(&opened)
                        .ok_or_else(|| bad(10, "time", &opened))?,
                })
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        // json_group_array keeps no promised order before SQLite 3.44: most recent first here.
        earlier.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(b.number.cmp(&a.number)));
        out.rows.rows.push(Recurrence {
            number,
            title: r.get(4)?,
            severity: severity(r, 5)?,
            opened_at: ts(r, 6)?,
            matched_on: r.get(7)?,
            root_cause: r.get(8)?,
            earlier_total: r.get(9)?,
            earlier,
        });
        Ok(())
    })?;
    Ok(out)
}

fn bad(idx: usize, what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        idx,
        Type::Text,
        Box::new(FromSqlError::Other(format!("bad {what} '{value}'").into())),
    )
}

fn severity(row: &Row, idx: usize) -> rusqlite::Result<Severity> {
    let s: String = row.get(idx)?;
    s.parse().map_err(|_| bad(idx, "severity", &s))
}

fn ts(row: &Row, idx: usize) -> rusqlite::Result<Timestamp> {
    let s: String = row.get(idx)?;
    time::from_rfc3339(&s).ok_or_else(|| bad(idx, "time", &s))
}

fn opt_ts(row: &Row, idx: usize) -> rusqlite::Result<Option<Timestamp>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| time::from_rfc3339(&s).ok_or_else(|| bad(idx, "time", &s)))
        .transpose()
}

fn from_epoch(idx: usize, secs: i64) -> rusqlite::Result<Timestamp> {
    chrono::DateTime::from_timestamp(secs, 0).ok_or_else(|| bad(idx, "epoch", &secs.to_string()))
}

fn epoch(row: &Row, idx: usize) -> rusqlite::Result<Timestamp> {
    from_epoch(idx, row.get(idx)?)
}
