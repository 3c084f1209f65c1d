//! Turning the review's rows into the store's review types.

use super::Query;
use super::types::{
    Backlog, Breach, ClockCounts, Compliance, DayCount, Earlier, KindCount, OpenAction, OwnerLoad,
    PostmortemDue, Recurrence, Recurring, ServiceRow, Services, Tally, TimeStat, Unresolved,
};
use crate::domain::event::EventKind;
use crate::domain::model::Severity;
use crate::domain::time::{self, Timestamp};
use crate::store::StoreError;
use crate::store::rows::{bad, opt_ts, parsed, ts};
use rusqlite::Row;

pub(super) fn tally(r: &Row) -> rusqlite::Result<Tally> {
    Ok(Tally {
        what: r.get(0)?,
        severity: severity(r, 1)?,
        current: r.get(2)?,
        previous: r.get(3)?,
    })
}

/// The service rows; every row carries how many incidents are in more than one.
pub(super) fn services(q: &Query) -> Result<Services, StoreError> {
    let mut shared = 0;
    let rows = q.listed(8, |r| {
        shared = r.get(7)?;
        Ok(ServiceRow {
            service: r.get(0)?,
            incidents: r.get(1)?,
            resolved: r.get(2)?,
            acknowledge_median: r.get(3)?,
            resolve_median: r.get(4)?,
            breached: r.get(5)?,
            recurring: r.get(6)?,
        })
    })?;
    Ok(Services { rows, shared })
}

pub(super) fn kind_count(r: &Row) -> rusqlite::Result<KindCount> {
    Ok(KindCount {
        kind: {
            let key: String = r.get(0)?;
            EventKind::from_key(&key).ok_or_else(|| bad(0, "event kind", &key))?
        },
        current: r.get(1)?,
        previous: r.get(2)?,
    })
}

pub(super) fn time_stat(r: &Row) -> rusqlite::Result<TimeStat> {
    Ok(TimeStat {
        measure: r.get(0)?,
        current: r.get(1)?,
        group: r.get(2)?,
        n: r.get(3)?,
        median: r.get(4)?,
        p90: r.get(5)?,
    })
}

pub(super) fn compliance(r: &Row) -> rusqlite::Result<Compliance> {
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
}

pub(super) fn breach(r: &Row) -> rusqlite::Result<Breach> {
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
}

pub(super) fn backlog(r: &Row) -> rusqlite::Result<Backlog> {
    Ok(Backlog {
        what: r.get(0)?,
        // sum() of no rows is NULL.
        current: r.get::<_, Option<i64>>(1)?.unwrap_or(0),
        previous: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
    })
}

pub(super) fn unresolved(r: &Row) -> rusqlite::Result<Unresolved> {
    Ok(Unresolved {
        number: r.get(0)?,
        title: r.get(1)?,
        severity: severity(r, 2)?,
        opened_at: ts(r, 3)?,
        acknowledged: r.get(4)?,
        resolve_by: epoch(r, 5)?,
        age_seconds: r.get(6)?,
    })
}

pub(super) fn postmortem_due(r: &Row) -> rusqlite::Result<PostmortemDue> {
    Ok(PostmortemDue {
        number: r.get(0)?,
        title: r.get(1)?,
        severity: severity(r, 2)?,
        resolved_at: ts(r, 3)?,
        due: epoch(r, 4)?,
        overdue_seconds: r.get(5)?,
    })
}

pub(super) fn open_action(r: &Row) -> rusqlite::Result<OpenAction> {
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
}

pub(super) fn owner_load(r: &Row) -> rusqlite::Result<OwnerLoad> {
    Ok(OwnerLoad {
        owner: r.get(0)?,
        open: r.get(1)?,
        overdue: r.get(2)?,
    })
}

pub(super) fn day_count(r: &Row) -> rusqlite::Result<DayCount> {
    Ok(DayCount {
        day: r.get(0)?,
        severity: severity(r, 1)?,
        count: r.get(2)?,
    })
}

pub(super) fn recurring(query: &Query<'_, '_>) -> Result<Recurring, StoreError> {
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
                    opened_at: time::from_stored(&opened)
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

fn severity(row: &Row, idx: usize) -> rusqlite::Result<Severity> {
    parsed(row, idx, "severity")
}

fn from_epoch(idx: usize, secs: i64) -> rusqlite::Result<Timestamp> {
    chrono::DateTime::from_timestamp(secs, 0).ok_or_else(|| bad(idx, "epoch", &secs.to_string()))
}

fn epoch(row: &Row, idx: usize) -> rusqlite::Result<Timestamp> {
    from_epoch(idx, row.get(idx)?)
}
