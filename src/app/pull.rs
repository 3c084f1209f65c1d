//! Pulling what others recorded into this working copy: the team log's events after the copy's
//! cursor, in the order they were committed, each added once (by its identity); then every
//! incident they touched is rebuilt from its whole merged timeline (`projection::merge`), so
//! that every copy that has the same events shows the same incident.

use super::App;
use super::sync::SyncError;
use crate::domain::event::{Detail, Event, EventKind};
use crate::domain::projection::{self, Seed};
use crate::domain::sla::Policy;
use crate::domain::time::{self, Timestamp};
use crate::store::{Mode, Txn};
use crate::team::{SharedEvent, Team, TeamError};
use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

/// Events per pull round trip, and per working-copy transaction.
const BATCH: usize = 5000;

/// What a pull did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct PullReport {
    /// Events this copy did not have before.
    pub pulled: usize,
    /// Incidents this copy did not have before.
    pub incidents: usize,
    /// Status changes the merged timelines of the incidents touched could not apply.
    pub conflicts: usize,
    /// Events left on the team log when the budget ran out (0 when the pull finished).
    pub left: i64,
    /// (provisional number, team number) of incidents of this copy the team numbered.
    pub numbered: Vec<(i64, i64)>,
    /// Records (action items, snapshots, logs, command runs, deliveries) new here.
    pub records: usize,
    /// Purges applied (`incident team purge`), whether or not this copy had the event.
    pub purged: usize,
}

/// Pulls every event after this copy's cursor, or until `deadline`: each batch is one
/// transaction here, so a pull cut off keeps what it brought and resumes after it.
pub fn pull(
    app: &App,
    team: &mut Team,
    now: Timestamp,
    deadline: Option<Instant>,
) -> Result<PullReport, SyncError> {
    let mut store = app.store(Mode::ReadWrite)?;
    let mut report = PullReport::default();
    loop {
        let cursor = {
            let txn = store.read()?;
            txn.sync_seen()?.map_or(0, |s| s.pulled_seq)
        };
        let pulled = team.pull(cursor, BATCH)?;
        let events = pulled
            .events
            .iter()
            .map(event_of)
            .collect::<Result<Vec<_>, _>>()?;
        let policy = &app.settings.policy;
        let numbers: HashMap<&str, i64> = pulled
            .numbers
            .iter()
            .map(|(uuid, n, _)| (uuid.as_str(), *n))
            .collect();
        let txn = store.write()?;
        txn.sync_state(&uuid::Uuid::new_v4().to_string())?;
        // Pulled events get ids past every event here: when nothing of this copy's own waited
        // before them, they need no push.
        let last_id = txn.last_event_id()?;
        let all_pushed = txn
            .sync_seen()?
            .is_some_and(|s| s.pushed_event_id >= last_id);
        let added = add_events(&txn, &events, &numbers, policy, &mut report)?;
        for pk in &added {
            report.conflicts += rebuild(&txn, *pk, policy)?;
        }
        let pushed = all_pushed.then(|| txn.last_event_id()).transpose()?;
        txn.mark_pulled(pulled.cursor, now, pushed)?;
        txn.commit()?;
        if !pulled.more {
            break;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            report.left = team.count_after(pulled.cursor)?;
            break;
        }
    }
    let pull_logs = app.settings.team.as_ref().is_none_or(|t| t.pull_logs);
    report.records = super::share_pull::pull_records(&mut store, team, pull_logs)?;
    // After the events, so that a purge finds the event it names when the team log has it.
    report.purged = super::purge::apply(app, &mut store, team)?.len();
    Ok(report)
}

/// A team log event as the working copy's timeline holds it, with its incident's identity.
fn event_of(e: &SharedEvent) -> Result<(String, Event), TeamError> {
    let bad = |what: &str, value: &str| {
        TeamError::Query(format!(
            "event {} in the team log has {what} '{value}'",
            e.uuid
        ))
    };
    let ts = |s: &str| time::from_rfc3339(s).ok_or_else(|| bad("the time", s));
    let detail: Option<Detail> = match &e.detail {
        Some(json) => Some(serde_json::from_str(json).map_err(|_| bad("detail", json))?),
        None => None,
    };
    let event = Event {
        at: ts(&e.at)?,
        recorded_at: ts(&e.recorded_at)?,
        author: e.author.clone(),
        kind: EventKind::from_key(&e.kind).ok_or_else(|| bad("the kind", &e.kind))?,
        field: e.field.clone(),
        old: e.old.clone(),
        new: e.new.clone(),
        text: e.text.clone(),
        detail,
        uuid: Some(e.uuid.clone()),
    };
    Ok((e.incident_uuid.clone(), event))
}

/// Adds the events this copy lacks, creating the incidents it has never seen from their
/// openings, and takes the team's number for incidents it had numbered provisionally; returns
/// the row keys of the incidents that gained events.
fn add_events(
    txn: &Txn,
    events: &[(String, Event)],
    numbers: &HashMap<&str, i64>,
    policy: &Policy,
    report: &mut PullReport,
) -> Result<BTreeSet<i64>, SyncError> {
    let mut touched = BTreeSet::new();
    let mut pks: HashMap<&str, i64> = HashMap::new();
    for (incident_uuid, event) in events {
        let uuid = event.uuid.as_deref().unwrap_or_default();
        let pk = match pks.get(incident_uuid.as_str()) {
            Some(pk) => *pk,
            None => {
                let pk = match txn.pk_of_uuid(incident_uuid)? {
                    Some(pk) => pk,
                    None => {
                        report.incidents += 1;
                        new_incident(txn, incident_uuid, event, numbers, policy)?
                    }
                };
                pks.insert(incident_uuid, pk);
                pk
            }
        };
        if !txn.has_event(uuid)? {
            txn.append_event(pk, event)?;
            report.pulled += 1;
            touched.insert(pk);
        }
    }
    let known: Vec<(String, i64)> = numbers.iter().map(|(u, n)| (u.to_string(), *n)).collect();
    report.numbered = txn.take_team_numbers(&known)?;
    Ok(touched)
}

/// An incident this copy has never seen, from its opening, under the team's number.
fn new_incident(
    txn: &Txn,
    incident_uuid: &str,
    opened: &Event,
    numbers: &HashMap<&str, i64>,
    policy: &Policy,
) -> Result<i64, SyncError> {
    let number = numbers.get(incident_uuid).copied().ok_or_else(|| {
        TeamError::Query(format!(
            "the team log has no number for incident {incident_uuid}"
        ))
    })?;
    let seed = Seed {
        pk: 0,
        uuid: incident_uuid.to_string(),
        number: crate::domain::model::Number(number),
        description: String::new(),
        detected_at: None,
    };
    let incident = projection::open(&seed, opened, policy)
        .map_err(|e| SyncError::Merge(format!("incident {number} in the team log: {e}")))?;
    let pk = txn.save_incident(&incident)?;
    txn.set_team_numbered(pk)?;
    Ok(pk)
}

/// Rebuilds an incident from its merged timeline and stores it; returns its conflicts.
pub(super) fn rebuild(txn: &Txn, pk: i64, policy: &Policy) -> Result<usize, SyncError> {
    let row = txn.incident_at(pk)?;
    let events = txn.events_as_recorded(pk)?;
    let merged = projection::merge(&Seed::of(&row, &events), &events, policy)
        .map_err(|e| SyncError::Merge(format!("incident {}: {e}", row.number)))?;
    if merged.incident != row {
        txn.save_incident(&merged.incident)?;
    }
    Ok(merged.conflicts.len())
}
