//! Sharing this working copy with the team log: pushing what was recorded here. Every write
//! pushes when it has committed (`App::share`); `incident sync` pushes everything now. A push
//! that fails leaves the working copy as it was: what did not reach the team log waits, and
//! goes with the next push.

use super::App;
use crate::domain::time::Timestamp;
use crate::store::{Mode, StoreError, Unpushed};
use crate::team::{SharedEvent, SharedIncident, Team, TeamError};

/// Events per push: each is one PostgreSQL transaction, and the working copy records its
/// progress after each, so an interrupted push of a large database resumes where it stopped.
const BATCH: usize = 5000;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Team(#[from] TeamError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct PushReport {
    /// Events the team log did not have before.
    pub pushed: usize,
    /// Incidents the team log did not have before.
    pub incidents: usize,
    /// Events still waiting (none after a push that succeeded).
    pub waiting: i64,
    /// (local number, team number) of the incidents first pushed now.
    pub numbered: Vec<(i64, i64)>,
}

/// Pushes every event the team log does not have, in batches, recording progress after each.
pub fn push(app: &App, team: &mut Team, now: Timestamp) -> Result<PushReport, SyncError> {
    let mut store = app.store(Mode::ReadWrite)?;
    let author = app.actor().author;
    let mut report = PushReport::default();
    let mut registered = false;
    loop {
        let txn = store.write()?;
        let state = txn.sync_state(&uuid::Uuid::new_v4().to_string())?;
        let batch = txn.unpushed(state.pushed_event_id, BATCH)?;
        txn.commit()?;
        let Some(last) = batch.last().map(|u| u.id) else {
            break;
        };
        // A copy that pushed before is registered already.
        if !registered && state.last_sync.is_none() {
            team.register(&state.client_id, &author)?;
        }
        registered = true;
        let full = batch.len() == BATCH;
        let (incidents, events) = shared(&batch);
        let pushed = team.push(&state.client_id, &incidents, &events)?;
        let txn = store.write()?;
        for (uuid, team_number) in &pushed.numbers {
            if txn.team_number(uuid)?.is_none()
                && let Some(local) = txn.number_of_uuid(uuid)?
            {
                report.numbered.push((local, *team_number));
            }
        }
        txn.mark_pushed(last, now, &pushed.numbers)?;
        txn.commit()?;
        report.pushed += pushed.events;
        report.incidents += pushed.incidents;
        if !full {
            break;
        }
    }
    report.waiting = store.read()?.events_waiting()?;
    Ok(report)
}

/// The batch as the team log takes it: its incidents once each, in order, and its events.
fn shared(batch: &[Unpushed]) -> (Vec<SharedIncident>, Vec<SharedEvent>) {
    let mut incidents: Vec<SharedIncident> = Vec::new();
    let mut events = Vec::with_capacity(batch.len());
    for u in batch {
        if !incidents.iter().any(|i| i.uuid == u.incident_uuid) {
            incidents.push(SharedIncident {
                uuid: u.incident_uuid.clone(),
                created_by: u.incident_created_by.clone(),
            });
        }
        let e = &u.event;
        events.push(SharedEvent {
            // Every stored event has one since version 12.
            uuid: e.uuid.clone().unwrap_or_default(),
            incident_uuid: u.incident_uuid.clone(),
            at: crate::domain::time::to_rfc3339(e.at),
            recorded_at: crate::domain::time::to_rfc3339(e.recorded_at),
            author: e.author.clone(),
            kind: e.kind.as_str().to_string(),
            field: e.field.clone(),
            old: e.old.clone(),
            new: e.new.clone(),
            text: e.text.clone(),
            detail: e
                .detail
                .as_ref()
                .and_then(|d| serde_json::to_string(d).ok()),
        });
    }
    (incidents, events)
}

/// How far this machine's clock may be from the team log server's before a sync warns: events
/// are ordered by the times recorded on each machine, so a clock that is off misorders them.
const SKEW: f64 = 60.0;

/// A warning when this machine's clock (the system's, not a pinned one) is more than a minute
/// from the team log server's; None when they agree or the server's cannot be read.
pub fn clock_skew(team: &mut Team) -> Option<String> {
    let server = team.server_time().ok()?;
    let here = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    skew_warning(here - server)
}

/// The warning for a clock `off` seconds ahead of the server's (behind when negative).
fn skew_warning(off: f64) -> Option<String> {
    (off.abs() > SKEW).then(|| {
        format!(
            "this machine's clock is {} {} the team log's; times recorded here may be out of order with others' (check NTP)",
            crate::domain::time::human_duration(off.abs().round() as i64),
            if off > 0.0 { "ahead of" } else { "behind" }
        )
    })
}

impl App {
    /// After a write has committed: pushes it to the team log, if there is one. Never fails
    /// the command that wrote: the change is recorded here whatever happens, and a push that
    /// cannot be made says so once, with how many changes wait for the next.
    pub fn share(&self) {
        let Some(settings) = &self.settings.team else {
            return;
        };
        let outcome = Team::connect(settings, &|k| std::env::var(k).ok())
            .map_err(SyncError::from)
            .and_then(|mut team| {
                team.check_version()?;
                if let Some(warning) = clock_skew(&mut team) {
                    (self.notice)(&warning);
                }
                push(self, &mut team, self.now)
            });
        match outcome {
            Ok(report) => {
                for (local, team) in &report.numbered {
                    if local != team {
                        (self.notice)(&format!("incident {local} is team incident {team}"));
                    }
                }
            }
            Err(e) => {
                let waiting = self
                    .store(Mode::Read)
                    .and_then(|mut s| s.read().and_then(|t| t.events_waiting()))
                    .unwrap_or(0);
                let reason = match &e {
                    SyncError::Team(TeamError::Unreachable(why)) => {
                        format!("team log unreachable ({why})")
                    }
                    // What to fix rides along: a retry with the same password fails the same.
                    SyncError::Team(e @ TeamError::Auth { hint, .. }) => format!("{e} ({hint})"),
                    other => format!("not shared with the team log: {other}"),
                };
                (self.notice)(&format!(
                    "{reason}; recorded here, {waiting} change{} waiting (`incident sync` retries)",
                    if waiting == 1 { "" } else { "s" }
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::skew_warning;

    #[test]
    fn a_clock_more_than_a_minute_off_is_named_with_its_direction() {
        assert_eq!(skew_warning(0.0), None);
        assert_eq!(skew_warning(60.0), None);
        assert_eq!(skew_warning(-60.0), None);
        let ahead = skew_warning(61.0).unwrap();
        assert!(
            ahead.starts_with("this machine's clock is 1m ahead of the team log's"),
            "{ahead}"
        );
        let behind = skew_warning(-7200.0).unwrap();
        assert!(behind.contains("2h behind the team log's"), "{behind}");
    }
}
