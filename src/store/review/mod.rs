//! The weekly review's SQL: every count, percentile and compliance share is aggregated by SQLite
//! over index ranges (opened_at, resolved_at, closed_at, the similarity keys); only the rows a
//! review lists come back, capped, with their total. The statements are in `sql`, the types they
//! return in `types`, the reading of their rows in `read`.

mod read;
mod sql;
mod types;

pub use types::{
    Backlog, Bounds, Breach, CAP, ClockCounts, Compliance, DayCount, Earlier, KindCount, Listed,
    OpenAction, OwnerLoad, PostmortemDue, Recurrence, Recurring, ReviewData, ServiceRow, Services,
    Tally, TimeStat, Unresolved,
};

use super::{StoreError, Txn, bind_named};
use crate::domain::time::{self, Timestamp};
use rusqlite::Row;
use rusqlite::types::Value;
use sql::SQL;

impl Txn<'_> {
    /// The review's SQL by name, exactly as [`Txn::review`] runs it (for the benchmark, which
    /// times the same statements in the `sqlite3` shell and prints their query plans).
    pub fn review_statements() -> &'static [(&'static str, &'static str)] {
        &*sql::BY_NAME
    }

    /// The named parameters the review's statements bind.
    pub fn review_parameters(bounds: &Bounds) -> Vec<(&'static str, Value)> {
        let text = |t: Timestamp| Value::Text(time::to_rfc3339(t));
        vec![
            (":since", text(bounds.since)),
            (":until", text(bounds.until)),
            (":as_of", text(bounds.as_of)),
            (":prev_since", text(bounds.prev_since)),
            (":cap", Value::Integer(bounds.cap)),
        ]
    }

    /// Everything the weekly review shows for the window and the one before it.
    /// The SLA verdicts are those of the deadlines stored with each incident.
    pub fn review(&self, bounds: &Bounds) -> Result<ReviewData, StoreError> {
        let params = Self::review_parameters(bounds);
        let run = |sql: &'static str| Query {
            txn: self,
            sql,
            params: &params,
        };
        let sql: &'static sql::Statements = &SQL;
        Ok(ReviewData {
            counts: run(&sql.counts).all(read::tally)?,
            times: run(&sql.times).all(read::time_stat)?,
            compliance: run(&sql.compliance).all(read::compliance)?,
            breaches: run(&sql.breaches).listed(9, read::breach)?,
            backlog: run(&sql.backlog).all(read::backlog)?,
            unresolved: run(&sql.unresolved).listed(7, read::unresolved)?,
            postmortems_overdue: run(&sql.postmortems).listed(6, read::postmortem_due)?,
            actions: run(&sql.actions).listed(8, read::open_action)?,
            owners: run(&sql.owners).listed(3, read::owner_load)?,
            recurring: read::recurring(&run(&sql.recurring))?,
            per_day: run(&sql.per_day).all(read::day_count)?,
            activity: run(&sql.activity).all(read::kind_count)?,
            services: read::services(&run(&sql.services))?,
            cancelled: run(&sql.cancelled)
                .all(|r| r.get(0))?
                .first()
                .copied()
                .unwrap_or(0),
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
        bind_named(&mut stmt, self.params)?;
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
