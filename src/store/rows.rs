//! Turning database rows into model values.

use crate::domain::event::{Event, EventKind};
use crate::domain::model::Incident;
use crate::domain::time;
use crate::evidence::snapshot::ItemStatus;
use rusqlite::Row;
use rusqlite::types::{FromSqlError, Type, Value};
use std::sync::LazyLock;

pub const INCIDENT_COLUMNS: &str = "pk, uuid, number, title, description, severity, status, root_cause, \
     resolution, prevention, lessons_learned, detected_at, opened_at, acknowledged_at, resolved_at, \
     closed_at, created_by, updated_at, started_at, respond_due_at, resolve_due_at, postmortem_due_at, \
     paused_at, pause_reason, impact, trigger, detection, published_at, roles, services, clock_rules";

/// [`INCIDENT_COLUMNS`] as a database before version 11 has them: the impact start is the
/// detection, and the deadlines are not judged yet (version 11's migration judges them).
pub const LEGACY_INCIDENT_COLUMNS: &str = "pk, uuid, number, title, description, severity, status, root_cause, \
     resolution, prevention, lessons_learned, detected_at, opened_at, acknowledged_at, resolved_at, \
     closed_at, created_by, updated_at, detected_at, detected_at, detected_at, NULL, NULL, '', '', '', '', NULL, '{}', '[]', '{}'";

/// Every column but `pk`, in the order of [`incident_values`]; the similarity keys are derived.
const WRITE_COLUMNS: [&str; 32] = [
    "uuid",
    "number",
    "title",
    "description",
    "severity",
    "status",
    "root_cause",
    "resolution",
    "prevention",
    "lessons_learned",
    "detected_at",
    "opened_at",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "created_by",
    "updated_at",
    "title_key",
    "root_cause_key",
    "started_at",
    "respond_due_at",
    "resolve_due_at",
    "postmortem_due_at",
    "paused_at",
    "pause_reason",
    "impact",
    "trigger",
    "detection",
    "published_at",
    "roles",
    "services",
    "clock_rules",
];

/// Inserts an incident or, when its uuid exists, updates it in place; returns its `pk`.
pub static SAVE_INCIDENT: LazyLock<String> = LazyLock::new(|| {
    let marks: Vec<String> = (1..=WRITE_COLUMNS.len()).map(|n| format!("?{n}")).collect();
    let updates: Vec<String> = WRITE_COLUMNS
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO incidents ({}) VALUES ({}) ON CONFLICT (uuid) DO UPDATE SET {} RETURNING pk",
        WRITE_COLUMNS.join(", "),
        marks.join(", "),
        updates.join(", ")
    )
});

pub fn incident_values(i: &Incident) -> [Value; 32] {
    let ts = |t: time::Timestamp| Value::Text(time::to_rfc3339(t));
    let opt = |t: Option<time::Timestamp>| t.map(ts).unwrap_or(Value::Null);
    [
        Value::Text(i.uuid.clone()),
        Value::Integer(i.number.0),
        Value::Text(i.title.clone()),
        Value::Text(i.description.clone()),
        Value::Text(i.severity.as_str().into()),
        Value::Text(i.status.as_str().into()),
        Value::Text(i.root_cause.clone()),
        Value::Text(i.resolution.clone()),
        Value::Text(i.prevention.clone()),
        Value::Text(i.lessons_learned.clone()),
        ts(i.detected_at),
        ts(i.opened_at),
        opt(i.acknowledged_at),
        opt(i.resolved_at),
        opt(i.closed_at),
        Value::Text(i.created_by.clone()),
        ts(i.updated_at),
        Value::Text(crate::domain::similar::key(&i.title)),
        Value::Text(crate::domain::similar::key(&i.root_cause)),
        ts(i.started_at),
        ts(i.due.respond),
        ts(i.due.resolve),
        opt(i.due.postmortem),
        opt(i.paused_at),
        Value::Text(i.pause_reason.clone()),
        Value::Text(i.impact.clone()),
        Value::Text(i.trigger.clone()),
        Value::Text(i.detection.clone()),
        opt(i.published_at),
        // A map and a list of strings always serialise.
        Value::Text(serde_json::to_string(&i.roles).unwrap_or_else(|_| "{}".into())),
        Value::Text(serde_json::to_string(&i.services).unwrap_or_else(|_| "[]".into())),
        Value::Text(rules_json(&i.due.rules)),
    ]
}

/// The rules of an incident's deadlines as `clock_rules` holds them.
pub fn rules_json(rules: &crate::domain::terms::Rules) -> String {
    // Numbers, strings and dates always serialise.
    serde_json::to_string(rules).unwrap_or_else(|_| "{}".into())
}

/// A column whose text is not what the store writes there: the row cannot be read.
pub(super) fn bad(idx: usize, what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        idx,
        Type::Text,
        Box::new(FromSqlError::Other(format!("bad {what} '{value}'").into())),
    )
}

/// A stored time (what `time::to_rfc3339` wrote; one out of range as `time::from_stored` says).
pub(super) fn ts(row: &Row, idx: usize) -> rusqlite::Result<time::Timestamp> {
    let s: String = row.get(idx)?;
    time::from_stored(&s).ok_or_else(|| bad(idx, "time", &s))
}

pub(super) fn opt_ts(row: &Row, idx: usize) -> rusqlite::Result<Option<time::Timestamp>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| time::from_stored(&s).ok_or_else(|| bad(idx, "time", &s)))
        .transpose()
}

/// A stored time as the commands read it ([`time::from_stored`]); text that is no time at all
/// reads as the earliest. `incident doctor` shows what a bad value is read as.
pub fn stored_time(s: &str) -> time::Timestamp {
    time::from_stored(s).unwrap_or_else(time::earliest)
}

/// Whether a stored time is one the log holds as written (read unchanged).
pub fn time_in_range(s: &str) -> bool {
    time::from_rfc3339(s).is_some_and(|t| t >= time::earliest() && t <= time::latest())
}

/// A column holding one of a type's stored names (a severity, a status, an action kind).
pub(super) fn parsed<T: std::str::FromStr>(
    row: &Row,
    idx: usize,
    what: &str,
) -> rusqlite::Result<T> {
    let s: String = row.get(idx)?;
    s.parse().map_err(|_| bad(idx, what, &s))
}

/// A JSON column read into the type the store wrote there.
pub(super) fn json_text<T: serde::de::DeserializeOwned>(
    row: &Row,
    idx: usize,
    what: &str,
) -> rusqlite::Result<T> {
    let text: String = row.get(idx)?;
    serde_json::from_str(&text).map_err(|_| bad(idx, what, &text))
}

/// A JSON column, read as JSON and never rewritten.
pub(super) fn json(row: &Row, idx: usize, what: &str) -> rusqlite::Result<serde_json::Value> {
    let text: String = row.get(idx)?;
    serde_json::from_str(&text).map_err(|_| bad(idx, what, &text))
}

pub(super) fn item_status(row: &Row, idx: usize) -> rusqlite::Result<ItemStatus> {
    let s: String = row.get(idx)?;
    match s.as_str() {
        "ok" => Ok(ItemStatus::Ok),
        "failed" => Ok(ItemStatus::Failed),
        "timeout" => Ok(ItemStatus::Timeout),
        _ => Err(bad(idx, "item status", &s)),
    }
}

pub fn incident(row: &Row) -> rusqlite::Result<Incident> {
    Ok(Incident {
        pk: row.get(0)?,
        uuid: row.get(1)?,
        number: row.get(2)?,
        title: row.get(3)?,
        description: row.get(4)?,
        severity: parsed(row, 5, "severity")?,
        status: parsed(row, 6, "status")?,
        root_cause: row.get(7)?,
        resolution: row.get(8)?,
        prevention: row.get(9)?,
        lessons_learned: row.get(10)?,
        detected_at: ts(row, 11)?,
        opened_at: ts(row, 12)?,
        acknowledged_at: opt_ts(row, 13)?,
        resolved_at: opt_ts(row, 14)?,
        closed_at: opt_ts(row, 15)?,
        created_by: row.get(16)?,
        updated_at: ts(row, 17)?,
        started_at: ts(row, 18)?,
        due: crate::domain::sla::Due {
            respond: ts(row, 19)?,
            resolve: ts(row, 20)?,
            postmortem: opt_ts(row, 21)?,
            rules: json_text(row, 30, "clock rules")?,
        },
        paused_at: opt_ts(row, 22)?,
        pause_reason: row.get(23)?,
        impact: row.get(24)?,
        trigger: row.get(25)?,
        detection: row.get(26)?,
        published_at: opt_ts(row, 27)?,
        roles: json_text(row, 28, "roles")?,
        services: json_text(row, 29, "services")?,
    })
}

pub fn event(row: &Row) -> rusqlite::Result<Event> {
    let kind: String = row.get(3)?;
    Ok(Event {
        at: ts(row, 0)?,
        recorded_at: ts(row, 1)?,
        author: row.get(2)?,
        kind: EventKind::from_key(&kind).ok_or_else(|| bad(3, "event kind", &kind))?,
        field: row.get(4)?,
        old: row.get(5)?,
        new: row.get(6)?,
        text: row.get(7)?,
        detail: match row.get::<_, Option<String>>(8)? {
            Some(json) => {
                Some(serde_json::from_str(&json).map_err(|_| bad(8, "event detail", &json))?)
            }
            None => None,
        },
        uuid: row.get(9)?,
    })
}

pub fn snapshot(row: &Row) -> rusqlite::Result<super::StoredSnapshot> {
    let findings: String = row.get(5)?;
    Ok(super::StoredSnapshot {
        id: row.get(0)?,
        seq: row.get(1)?,
        snapshot: crate::evidence::snapshot::Snapshot {
            taken_at: ts(row, 2)?,
            duration_ms: row.get::<_, i64>(3)? as u64,
            items: Vec::new(),
            findings: serde_json::from_str(&findings).map_err(|_| bad(5, "findings", &findings))?,
            summary: row.get(4)?,
        },
    })
}

pub fn item(row: &Row) -> rusqlite::Result<crate::evidence::snapshot::Item> {
    Ok(crate::evidence::snapshot::Item {
        collector: row.get(0)?,
        name: row.get(1)?,
        status: item_status(row, 2)?,
        duration_ms: row.get::<_, i64>(3)? as u64,
        error: row.get(4)?,
        data: json(row, 5, "item data")?,
        raw: row.get(6)?,
        misconfigured: false,
    })
}

pub fn action(row: &Row) -> rusqlite::Result<crate::domain::model::ActionItem> {
    Ok(crate::domain::model::ActionItem {
        pk: row.get(10)?,
        id: crate::domain::model::Number(row.get(0)?),
        incident_number: row.get(1)?,
        text: row.get(2)?,
        kind: parsed(row, 3, "action kind")?,
        owner: row.get(4)?,
        due_at: opt_ts(row, 5)?,
        created_at: ts(row, 6)?,
        created_by: row.get(7)?,
        done_at: opt_ts(row, 8)?,
        done_by: row.get(9)?,
    })
}

/// An incident's number is stored as the integer it is (negative when provisional).
impl rusqlite::ToSql for crate::domain::model::Number {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(self.0))
    }
}

impl rusqlite::types::FromSql for crate::domain::model::Number {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        i64::column_result(v).map(crate::domain::model::Number)
    }
}
