//! Sharing this working copy with the team log: pushing what was recorded here. Every write
//! pushes when it has committed (`App::share`); `incident sync` pushes everything now. A push
//! that fails leaves the working copy as it was: what did not reach the team log waits, and
//! goes with the next push.

use super::{App, share_push};
use crate::domain::model::number_label;
use crate::domain::time::{self, Timestamp};
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
    /// A timeline from the team log that describes no incident.
    #[error("cannot merge the team log's {0}")]
    Merge(String),
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
    /// Records (action items, snapshots, logs, command runs, deliveries) the team log did not
    /// have before.
    pub records: usize,
}

/// Pushes every event the team log does not have, in batches, recording progress after each.
pub fn push(app: &App, team: &mut Team, now: Timestamp) -> Result<PushReport, SyncError> {
    push_with(app, team, now, &mut |_| {})
}

/// [`push`], saying after each batch how far it has got.
pub fn push_with(
    app: &App,
    team: &mut Team,
    now: Timestamp,
    progress: &mut dyn FnMut(&str),
) -> Result<PushReport, SyncError> {
    let mut store = app.store(Mode::ReadWrite)?;
    let author = app.actor().author;
    let mut report = PushReport::default();
    let mut registered = false;
    loop {
        let txn = store.write()?;
        txn.join_team(&uuid::Uuid::new_v4().to_string())?;
        let state = txn.sync_state("")?;
        let mut batch = txn.unpushed(state.pushed_event_id, BATCH)?;
        legacy_openings(&txn, &mut batch)?;
        // The rows behind the events go with the last batch of events, when every event that
        // mentions them is on its way (written with them, so in this batch or an earlier one).
        // A team log before version 2 keeps no rows: they wait for its migration.
        let rows = if batch.len() < BATCH && team.shares_rows() {
            txn.unshared(share_push::ROWS)?
        } else {
            Vec::new()
        };
        txn.commit()?;
        if batch.is_empty() && rows.is_empty() {
            break;
        }
        // A copy that pushed before is registered already.
        if !registered && state.last_sync.is_none() {
            team.register(&state.client_id, &author)?;
        }
        registered = true;
        let full = batch.len() == BATCH || rows.len() >= share_push::ROWS;
        let (mut incidents, events) = shared(&batch);
        let records = share_push::records(&rows, &mut incidents);
        let pushed = {
            let reader = store.read()?;
            team.push_all(
                &state.client_id,
                &incidents,
                &events,
                &records,
                &mut |sha, after| share_push::chunk_page(&reader, sha, after),
            )?
        };
        let txn = store.write()?;
        report
            .numbered
            .extend(txn.take_team_numbers(&pushed.numbers)?);
        txn.take_action_numbers(&pushed.action_numbers)?;
        txn.mark_shared(&rows)?;
        if let Some(last) = batch.last().map(|u| u.id) {
            txn.mark_pushed(last, now)?;
        }
        txn.commit()?;
        report.pushed += pushed.events;
        report.incidents += pushed.incidents;
        report.records += pushed.records;
        if !full {
            break;
        }
        progress(&format!(
            "pushed {} events",
            thousands(report.pushed as i64)
        ));
    }
    report.waiting = store.read()?.events_waiting()?;
    Ok(report)
}

/// An `opened` event written before version 9 carries no detail: the description and
/// detection it opened with were only in the incident's row. Pushed as it is, other copies
/// would rebuild the incident without them; so it goes with the detail this copy's row and
/// timeline give (`Seed::of`, what this copy's own rebuild uses). Its identity is unchanged.
fn legacy_openings(txn: &crate::store::Txn, batch: &mut [Unpushed]) -> Result<(), StoreError> {
    for u in batch.iter_mut() {
        let e = &mut u.event;
        if e.kind != crate::domain::event::EventKind::Opened || e.detail.is_some() {
            continue;
        }
        let Some(pk) = txn.pk_of_uuid(&u.incident_uuid)? else {
            continue;
        };
        let row = txn.incident_at(pk)?;
        let timeline = txn.events_as_recorded(pk)?;
        let seed = crate::domain::projection::Seed::of(&row, &timeline);
        e.detail = Some(crate::domain::event::Detail {
            description: Some(seed.description),
            detected_at: seed.detected_at,
            started_at: None,
            services: Vec::new(),
            terms: None,
        });
    }
    Ok(())
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

/// What one sync did: the push, then the pull.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SyncReport {
    pub push: PushReport,
    pub pull: super::pull::PullReport,
}

impl SyncReport {
    /// The stderr lines announcing the team numbers incidents of this copy got.
    pub fn numbered(&self) -> Vec<String> {
        let all: Vec<&(i64, i64)> = self
            .push
            .numbered
            .iter()
            .chain(&self.pull.numbered)
            .collect();
        let mut lines: Vec<String> = all
            .iter()
            .take(10)
            .map(|(local, team)| {
                format!("incident {} is team incident {team}", number_label(*local))
            })
            .collect();
        if all.len() > 10 {
            lines.push(format!(
                "… and {} more incidents got team numbers (`incident list` shows them; their L numbers keep working here)",
                all.len() - 10
            ));
        }
        lines
    }
}

impl App {
    /// Pushes what this copy recorded, then pulls what others did (until `deadline`, if
    /// any); `warn` hears the clock-skew warning. Err when the team log cannot be reached.
    pub fn sync_with(
        &self,
        settings: &crate::config::TeamSettings,
        deadline: Option<std::time::Instant>,
        warn: &dyn Fn(&str),
        progress: &mut dyn FnMut(&str),
    ) -> Result<SyncReport, SyncError> {
        self.sync_as(settings, deadline, warn, progress, false)
    }

    /// [`App::sync_with`]; `unattended` pulls as [`super::pull::catch_up`] does (only the
    /// unresolved incidents when this copy is far behind).
    fn sync_as(
        &self,
        settings: &crate::config::TeamSettings,
        deadline: Option<std::time::Instant>,
        warn: &dyn Fn(&str),
        progress: &mut dyn FnMut(&str),
        unattended: bool,
    ) -> Result<SyncReport, SyncError> {
        let mut team = Team::connect(settings, &|k| std::env::var(k).ok())?;
        team.check_version()?;
        if let Some(warning) = clock_skew(&mut team) {
            warn(&warning);
        }
        let push = push_with(self, &mut team, self.now, progress)?;
        let pull = if unattended {
            super::pull::catch_up(self, &mut team, self.now)?
        } else {
            super::pull::pull(self, &mut team, self.now, deadline, progress)?
        };
        Ok(SyncReport { push, pull })
    }

    /// Before a command reads: brings this copy up to date with the team log, if there is
    /// one, within the team timeout. Never fails the command: it reads this copy whatever
    /// happens, and says once what it could not do.
    pub fn refresh(&self) {
        self.refresh_as(false);
    }

    /// [`App::refresh`] for the unattended processes (`remind`, `check --open`): a copy far
    /// behind the team log, such as a CronJob's fresh SQLite file, pulls only the unresolved
    /// incidents and their timelines rather than the whole log.
    pub fn refresh_unattended(&self) {
        self.refresh_as(true);
    }

    fn refresh_as(&self, unattended: bool) {
        let Some(settings) = &self.settings.team else {
            return;
        };
        let deadline = time::instant_after(std::time::Instant::now(), settings.timeout);
        let warn = |w: &str| (self.notice)(w);
        match self.sync_as(settings, Some(deadline), &warn, &mut |_| {}, unattended) {
            Ok(report) => {
                for line in report.numbered() {
                    (self.notice)(&line);
                }
                let p = &report.pull;
                if let Some(sent) = p.narrow {
                    (self.notice)(&narrow_line(sent));
                }
                if p.left > 0 {
                    let total = p.left + p.pulled as i64;
                    (self.notice)(&format!(
                        "pulled {} of {} events; `incident sync` for the rest",
                        thousands(p.pulled as i64),
                        thousands(total)
                    ));
                }
                if p.conflicts > 0 {
                    (self.notice)(&format!(
                        "{} status change{} recorded apart conflict{} with the merged timeline (`incident show` marks them)",
                        p.conflicts,
                        if p.conflicts == 1 { "" } else { "s" },
                        if p.conflicts == 1 { "s" } else { "" }
                    ));
                }
            }
            Err(e) => self.not_shared(&e),
        }
    }

    /// The one stderr line for a sync that could not be made, with how many changes wait.
    pub(super) fn not_shared(&self, e: &SyncError) {
        let waiting = self
            .store(Mode::Read)
            .and_then(|mut s| s.read().and_then(|t| t.events_waiting()))
            .unwrap_or(0);
        let reason = match e {
            SyncError::Team(TeamError::Unreachable(why)) => format!("team log unreachable ({why})"),
            // What to fix rides along: a retry with the same password fails the same.
            SyncError::Team(e @ TeamError::Auth { hint, .. }) => format!("{e} ({hint})"),
            other => format!("not shared with the team log: {other}"),
        };
        (self.notice)(&format!(
            "{reason}; recorded here, {waiting} change{} waiting (`incident sync` retries)",
            if waiting == 1 { "" } else { "s" }
        ));
    }

    /// After a write has committed: pushes it to the team log, if there is one. Never fails
    /// the command that wrote: the change is recorded here whatever happens, and a push that
    /// cannot be made says so once, with how many changes wait for the next.
    pub fn share(&self) {
        self.share_then(|_, _| Ok(()));
    }

    /// `share`, then `then` on the same connection, given the team log's version. None when
    /// there is no team log or the push could not be made (said on stderr, as `share` does);
    /// else what `then` returned, its error left to the caller to say.
    pub fn share_then<T>(
        &self,
        then: impl FnOnce(&mut Team, i64) -> Result<T, SyncError>,
    ) -> Option<Result<T, SyncError>> {
        let settings = self.settings.team.as_ref()?;
        let outcome = Team::connect(settings, &|k| std::env::var(k).ok())
            .map_err(SyncError::from)
            .and_then(|mut team| {
                let version = team.check_version()?;
                if let Some(warning) = clock_skew(&mut team) {
                    (self.notice)(&warning);
                }
                push(self, &mut team, self.now).map(|report| (team, version, report))
            });
        match outcome {
            Ok((mut team, version, mut report)) => {
                // An incident opened by this very command was never seen under its `L`
                // number: the command prints its team number, so it is not announced.
                let opened_now = |local: i64| {
                    self.read(|txn| Ok(txn.opened_recorded_at(-local)?))
                        .ok()
                        .flatten()
                        == Some(self.now)
                };
                report.numbered.retain(|(local, _)| !opened_now(*local));
                let report = SyncReport {
                    push: report,
                    ..SyncReport::default()
                };
                for line in report.numbered() {
                    (self.notice)(&line);
                }
                Some(then(&mut team, version))
            }
            Err(e) => {
                self.not_shared(&e);
                None
            }
        }
    }
}

/// The stderr line of a narrow pull that brought `sent` events.
pub(super) fn narrow_line(sent: usize) -> String {
    format!(
        "pulled the unresolved incidents only ({} event{} from the team log; `incident sync` pulls the rest)",
        thousands(sent as i64),
        if sent == 1 { "" } else { "s" }
    )
}

/// 1234567 as "1,234,567".
pub(super) fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
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
