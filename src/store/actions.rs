//! Action items in the store.

use super::{StoreError, Txn, rows};
use crate::domain::model::{ActionItem, ActionKind, NewAction, Number};
use crate::domain::time::{self, Timestamp};
use rusqlite::{OptionalExtension, params};

/// The number people type first: the team's; on a copy that shares with a team log and before
/// the team numbered it, the row id, negative (`L7`); without a team log, the row id.
const COLUMNS: &str = "CASE WHEN a.team_number IS NOT NULL THEN a.team_number \
     WHEN EXISTS (SELECT 1 FROM sync_state) THEN -a.id ELSE a.id END, \
     i.number, a.text, a.kind, a.owner, a.due_at, a.created_at, a.created_by, \
     a.done_at, a.done_by, a.id";

/// Which action items `action list` shows.
#[derive(Debug, Clone, Default)]
pub struct ActionFilter {
    /// Only those not done.
    pub open: bool,
    /// Only those open and due before this moment.
    pub overdue_at: Option<Timestamp>,
    pub owner: Option<String>,
    pub incident_pk: Option<i64>,
}

/// An action item as written, without its incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRow {
    /// The number users type; 0 takes the next free one.
    pub id: i64,
    pub text: String,
    pub kind: ActionKind,
    pub owner: Option<String>,
    pub due_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub created_by: String,
    pub done_at: Option<Timestamp>,
    pub done_by: Option<String>,
    /// Its identity on every working copy and in the team log; None gives it a new one.
    pub uuid: Option<String>,
}

/// An action item's row as written, from columns `id, text, kind, owner, due_at, created_at,
/// created_by, done_at, done_by, uuid` in that order: the reader export and sharing both use.
pub(super) fn action_row(r: &rusqlite::Row) -> rusqlite::Result<ActionRow> {
    Ok(ActionRow {
        id: r.get(0)?,
        text: r.get(1)?,
        kind: rows::parsed(r, 2, "action kind")?,
        owner: r.get(3)?,
        due_at: rows::opt_ts(r, 4)?,
        created_at: rows::ts(r, 5)?,
        created_by: r.get(6)?,
        done_at: rows::opt_ts(r, 7)?,
        done_by: r.get(8)?,
        uuid: r.get(9)?,
    })
}

impl Txn<'_> {
    /// Adds an action item to an incident, indexed for search at once; returns its id.
    pub fn insert_action(
        &self,
        incident_pk: i64,
        action: &NewAction,
        author: &str,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        let id = self.insert_action_row(
            incident_pk,
            &ActionRow {
                id: 0,
                text: action.text.clone(),
                kind: action.kind,
                owner: action.owner.clone(),
                due_at: action.due_at,
                created_at: at,
                created_by: author.to_string(),
                done_at: None,
                done_by: None,
                uuid: None,
            },
        )?;
        super::search::index_action(&self.tx, id)?;
        Ok(id)
    }

    /// Writes an action item row and returns its id: the one write of `action_items`, for
    /// `action add` and `import` alike. It is not indexed here: `insert_action` indexes and
    /// counts it, and one written without (import) is indexed by the next search (see
    /// `search::ACTIONS_MARK`).
    pub fn insert_action_row(&self, incident_pk: i64, a: &ActionRow) -> Result<i64, StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO action_items (id, incident_pk, text, kind, owner, due_at, created_at,
                     created_by, done_at, done_by, uuid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                (a.id != 0).then_some(a.id),
                incident_pk,
                a.text,
                a.kind.as_str(),
                a.owner,
                a.due_at.map(time::to_rfc3339),
                time::to_rfc3339(a.created_at),
                a.created_by,
                a.done_at.map(time::to_rfc3339),
                a.done_by,
                a.uuid
                    .clone()
                    .unwrap_or_else(crate::domain::event::new_uuid),
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    /// The action item people call `number`: the team's number, `L7` (negative) for the one
    /// this copy numbered 7 (for good, as incidents), or without a team log its id.
    pub fn action_numbered(&self, number: Number) -> Result<Option<ActionItem>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM action_items a JOIN incidents i ON i.pk = a.incident_pk
             WHERE CASE WHEN ?1 < 0 THEN a.id = -?1
                   WHEN EXISTS (SELECT 1 FROM sync_state) THEN a.team_number = ?1
                   ELSE a.id = ?1 END"
        );
        Ok(self
            .tx
            .query_row(&sql, [number.0], rows::action)
            .optional()?)
    }

    /// The action item with row id `id`.
    pub fn action(&self, id: i64) -> Result<Option<ActionItem>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM action_items a JOIN incidents i ON i.pk = a.incident_pk WHERE a.id = ?1"
        );
        Ok(self.tx.query_row(&sql, [id], rows::action).optional()?)
    }

    pub fn mark_action_done(&self, id: i64, author: &str, at: Timestamp) -> Result<(), StoreError> {
        self.tx.execute(
            "UPDATE action_items SET done_at = ?2, done_by = ?3 WHERE id = ?1",
            params![id, time::to_rfc3339(at), author],
        )?;
        Ok(())
    }

    /// Action items matching the filter: open ones first by due date, then done ones.
    pub fn actions(&self, filter: &ActionFilter) -> Result<Vec<ActionItem>, StoreError> {
        let mut sql = format!(
            "SELECT {COLUMNS} FROM action_items a JOIN incidents i ON i.pk = a.incident_pk WHERE 1 = 1"
        );
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if filter.open || filter.overdue_at.is_some() {
            sql.push_str(" AND a.done_at IS NULL");
        }
        if let Some(at) = filter.overdue_at {
            args.push(time::to_rfc3339(at).into());
            sql.push_str(&format!(" AND a.due_at < ?{}", args.len()));
        }
        if let Some(owner) = &filter.owner {
            args.push(owner.clone().into());
            sql.push_str(&format!(" AND a.owner = ?{}", args.len()));
        }
        if let Some(pk) = filter.incident_pk {
            args.push(pk.into());
            sql.push_str(&format!(" AND a.incident_pk = ?{}", args.len()));
        }
        sql.push_str(" ORDER BY a.done_at IS NOT NULL, a.due_at IS NULL, a.due_at, a.id");
        let mut stmt = self.tx.prepare(&sql)?;
        let items = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), rows::action)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(items)
    }
}
