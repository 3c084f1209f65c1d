//! Pulling what others recorded into this working copy: the team log's events after the copy's
//! cursor, in the order they were committed, each added once (by its identity); then every
//! incident they touched is rebuilt from its whole merged timeline (`projection::merge`), so
//! that every copy that has the same events shows the same incident.
//!
//! Built for a new copy pulling millions (BENCHMARKS.md, "a large pull"): batches of 50,000
//! (5,000 within a command's budget), the next fetched while one is written; an incident this
//! copy has never seen is built from the batch's events in memory rather than read back; the
//! fields' texts reach the full-text index in one statement per batch; and the connection's
//! cache, statement journals and checkpoints are set for bulk (`Store::prepare_for_pull`).
//! Each batch is still one transaction that moves the cursor with what it wrote.

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

/// Events per pull round trip, and per working-copy transaction: each transaction rebuilds
/// the incidents its events touched, so larger batches rebuild an incident whose events are
/// spread over the log fewer times; small enough that a batch crosses a slow link well within
/// the timeout, and that two of them (one written here while the next arrives) stay small.
const BATCH: usize = 50_000;

/// Events per batch of a pull with a deadline (the one before a command reads): a batch is
/// finished once begun, so smaller batches stop nearer the budget.
const BATCH_WITHIN_BUDGET: usize = 5000;

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
    /// Events the team log sent for a narrow pull (only the unresolved incidents, or one),
    /// new here or not; None for an ordinary pull.
    pub narrow: Option<usize>,
}

/// Pulls every event after this copy's cursor, or until `deadline`: each batch is one
/// transaction here, so a pull cut off keeps what it brought and resumes after it. While one
/// batch is written here the next is on its way from the team log, so that both work at once.
pub fn pull(
    app: &App,
    team: &mut Team,
    now: Timestamp,
    deadline: Option<Instant>,
    progress: &mut dyn FnMut(&str),
) -> Result<PullReport, SyncError> {
    let mut store = app.store(Mode::ReadWrite)?;
    let mut report = PullReport::default();
    let cursor = {
        let txn = store.read()?;
        txn.sync_seen()?.map_or(0, |s| s.pulled_seq)
    };
    let batch = if deadline.is_some() {
        BATCH_WITHIN_BUDGET
    } else {
        BATCH
    };
    let mut pulled = team.pull(cursor, batch)?;
    if !pulled.events.is_empty() {
        store.prepare_for_pull();
    }
    let policy = &app.settings.policy;
    loop {
        let (cursor, more) = (pulled.cursor, pulled.more);
        let (applied, next) = std::thread::scope(|s| {
            let next = more.then(|| {
                let team = &mut *team;
                s.spawn(move || team.pull(cursor, batch))
            });
            let applied = apply(&mut store, pulled, policy, now, &mut report);
            (applied, next.map(|n| n.join().expect("the pull's fetch")))
        });
        applied?;
        progress(&format!(
            "pulled {} events",
            super::sync::thousands(report.pulled as i64)
        ));
        let Some(next) = next else { break };
        if deadline.is_some_and(|d| Instant::now() >= d) {
            // What came meanwhile is left for the next pull, which starts at this cursor.
            report.left = team.count_after(cursor)?;
            break;
        }
        pulled = next?;
    }
    if report.pulled > 0 {
        store.bound_wal();
    }
    let pull_logs = app.settings.team.as_ref().is_none_or(|t| t.pull_logs);
    report.records = super::share_pull::pull_records(&mut store, team, pull_logs)?;
    // After the events, so that a purge finds the event it names when the team log has it.
    report.purged = super::purge::apply(app, &mut store, team)?.len();
    Ok(report)
}

/// Writes one batch in one transaction: its events, the incidents they touched rebuilt, and
/// the cursor past it.
fn apply(
    store: &mut crate::store::Store,
    pulled: crate::team::Pulled,
    policy: &Policy,
    now: Timestamp,
    report: &mut PullReport,
) -> Result<(), SyncError> {
    // Taken apart, not copied: a batch is held once.
    let events = pulled
        .events
        .into_iter()
        .map(event_of)
        .collect::<Result<Vec<_>, _>>()?;
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
    let mark = txn.search_mark()?;
    let added = add_events(&txn, &events, &numbers, policy, mark, report)?;
    for pk in &added {
        report.conflicts += rebuild(&txn, *pk, policy, Some(mark))?;
    }
    txn.index_pulled(mark)?;
    let pushed = all_pushed.then(|| txn.last_event_id()).transpose()?;
    txn.mark_pulled(pulled.cursor, now, pushed)?;
    txn.commit()?;
    Ok(())
}

/// A team log event as the working copy's timeline holds it, with its incident's identity.
fn event_of(e: SharedEvent) -> Result<(String, Event), TeamError> {
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
    let (at, recorded_at) = (ts(&e.at)?, ts(&e.recorded_at)?);
    let kind = EventKind::from_key(&e.kind).ok_or_else(|| bad("the kind", &e.kind))?;
    let event = Event {
        at,
        recorded_at,
        author: e.author,
        kind,
        field: e.field,
        old: e.old,
        new: e.new,
        text: e.text,
        detail,
        uuid: Some(e.uuid),
    };
    Ok((e.incident_uuid, event))
}

/// Adds the events this copy lacks, creating the incidents it has never seen, and takes the
/// team's number for incidents it had numbered provisionally; returns the row keys of the
/// incidents that gained events and need rebuilding from what is stored.
fn add_events(
    txn: &Txn,
    events: &[(String, Event)],
    numbers: &HashMap<&str, i64>,
    policy: &Policy,
    mark: i64,
    report: &mut PullReport,
) -> Result<BTreeSet<i64>, SyncError> {
    let mut touched = BTreeSet::new();
    // Incidents by UUID in the order the batch first names them, with their events in order.
    let mut order: Vec<&str> = Vec::new();
    let mut grouped: HashMap<&str, Vec<&Event>> = HashMap::new();
    for (incident_uuid, event) in events {
        grouped
            .entry(incident_uuid.as_str())
            .or_insert_with(|| {
                order.push(incident_uuid);
                Vec::new()
            })
            .push(event);
    }
    for incident_uuid in order {
        let events = &grouped[incident_uuid];
        let Some(pk) = txn.pk_of_uuid(incident_uuid)? else {
            report.incidents += 1;
            let (pk, conflicts, added) =
                new_incident(txn, incident_uuid, events, numbers, policy, mark)?;
            report.pulled += added;
            if added == events.len() {
                report.conflicts += conflicts;
            } else {
                touched.insert(pk);
            }
            continue;
        };
        for event in events {
            if txn.add_pulled_event(pk, event)? {
                report.pulled += 1;
                touched.insert(pk);
            }
        }
    }
    let known: Vec<(String, i64)> = numbers.iter().map(|(u, n)| (u.to_string(), *n)).collect();
    report.numbered = txn.take_team_numbers(&known)?;
    Ok(touched)
}

/// An incident this copy has never seen, under the team's number, from its events in this
/// batch (its opening first): stored as opened, then as its merged timeline makes it — what a
/// rebuild from the store would write, without reading back what was just written — and its
/// events added. Returns its row key, its conflicts, and how many events went in (fewer than
/// given only if one was somehow here already: the caller then rebuilds it from the store).
fn new_incident(
    txn: &Txn,
    incident_uuid: &str,
    events: &[&Event],
    numbers: &HashMap<&str, i64>,
    policy: &Policy,
    mark: i64,
) -> Result<(i64, usize, usize), SyncError> {
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
    let merge_error = |e| SyncError::Merge(format!("incident {number} in the team log: {e}"));
    let mut opened = projection::open(&seed, events[0], policy).map_err(merge_error)?;
    opened.pk = txn.save_pulled_incident(&opened, mark)?;
    txn.set_team_numbered(opened.pk)?;
    let mut added = 0;
    for event in events {
        added += usize::from(txn.add_pulled_event(opened.pk, event)?);
    }
    let timeline: Vec<Event> = events.iter().map(|e| (*e).clone()).collect();
    let merged =
        projection::merge(&Seed::of(&opened, &timeline), &timeline, policy).map_err(merge_error)?;
    if merged.incident != opened {
        txn.save_pulled_incident(&merged.incident, mark)?;
    }
    Ok((opened.pk, merged.conflicts.len(), added))
}

/// Rebuilds an incident from its merged timeline and stores it; returns its conflicts.
/// With `mark` (a pull's batch), its texts reach the search index with the batch's; without,
/// at once.
pub(super) fn rebuild(
    txn: &Txn,
    pk: i64,
    policy: &Policy,
    mark: Option<i64>,
) -> Result<usize, SyncError> {
    let row = txn.incident_at(pk)?;
    let events = txn.events_as_recorded(pk)?;
    let merged = projection::merge(&Seed::of(&row, &events), &events, policy)
        .map_err(|e| SyncError::Merge(format!("incident {}: {e}", row.number)))?;
    if merged.incident != row {
        match mark {
            Some(mark) => txn.save_pulled_incident(&merged.incident, mark)?,
            None => txn.save_incident(&merged.incident)?,
        };
    }
    Ok(merged.conflicts.len())
}

/// How far behind the team log (in events) a copy pulls only the unresolved incidents rather
/// than everything, before an unattended process acts (`catch_up`): a CronJob's fresh SQLite
/// file, or a copy left alone for long. Nearer than this, the ordinary pull is as quick.
pub const NARROW_BEYOND: i64 = 1000;

/// What a narrow pull asks for.
pub enum Narrow<'a> {
    /// Every unresolved incident, with its whole timeline.
    Unresolved,
    /// One incident, by UUID (another copy's, to attach to).
    Incident(&'a str),
}

/// Brings what an unattended process needs: the ordinary pull within the team timeout when
/// this copy is near the team log's head, else only the unresolved incidents
/// ([`NARROW_BEYOND`]). The team log's version must have been read (`check_version`).
pub fn catch_up(app: &App, team: &mut Team, now: Timestamp) -> Result<PullReport, SyncError> {
    let cursor = {
        let mut store = app.store(Mode::ReadWrite)?;
        let txn = store.read()?;
        txn.sync_seen()?.map_or(0, |s| s.pulled_seq)
    };
    let behind = team.head().unwrap_or(0).saturating_sub(cursor);
    if behind > NARROW_BEYOND {
        return narrow(app, team, now, Narrow::Unresolved);
    }
    let timeout = app
        .settings
        .team
        .as_ref()
        .map_or(std::time::Duration::from_secs(5), |t| t.timeout);
    let deadline = time::instant_after(Instant::now(), timeout);
    pull(app, team, now, Some(deadline), &mut |_| {})
}

/// Pulls only what `which` names, in one transaction here, leaving the cursor where it was:
/// what was left out comes with the next ordinary pull (each event is added once, so what
/// this brought is not added twice). Records (snapshots, deliveries, …) are not pulled.
pub fn narrow(
    app: &App,
    team: &mut Team,
    now: Timestamp,
    which: Narrow,
) -> Result<PullReport, SyncError> {
    let mut store = app.store(Mode::ReadWrite)?;
    let cursor = {
        let txn = store.read()?;
        txn.sync_seen()?.map_or(0, |s| s.pulled_seq)
    };
    let pulled = match which {
        Narrow::Unresolved => team.pull_unresolved(cursor)?,
        Narrow::Incident(uuid) => team.pull_incident(uuid, cursor)?,
    };
    let mut report = PullReport {
        // Every event the team log sent, new here or not: what the narrow pull costs.
        narrow: Some(pulled.events.len()),
        ..PullReport::default()
    };
    if !pulled.events.is_empty() {
        apply(&mut store, pulled, &app.settings.policy, now, &mut report)?;
    }
    Ok(report)
}
