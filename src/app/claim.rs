//! Opening once across machines: the monitor (`check --open`) and the alert intake (`serve`)
//! claim what they open in the team log (`team::opens`), so that N processes on N machines,
//! each with its own working copy, open one incident between them; the others attach to it.
//!
//! The steps, with a team log: catch up (`pull::catch_up`: only the unresolved incidents when
//! this copy is far behind), learn the newest claim and attach to its incident when it is the
//! one to follow, then decide and write in one transaction here; when that opens an incident,
//! claim it before committing. A won claim commits and pushes at once (the losers are waiting
//! for it); a lost one rolls back, pulls the winner's incident and decides again. When the team
//! log cannot be reached, or cannot claim, the local transaction alone decides, as without a
//! team log, and the caller says that this may repeat on another machine.

use super::pull::{self, Narrow};
use super::sync::{self, SyncError};
use super::{App, AppError};
use crate::domain::time;
use crate::domain::workflow::Actor;
use crate::store::{Mode, Txn};
use crate::team::{OPEN_CLAIMS_VERSION, OpenClaim, Team};
use std::time::{Duration, Instant};

/// How long a claim whose incident has not reached the team log holds the opening: its
/// opener claimed it and then lost the team log (or died) before pushing. Meanwhile the others
/// wait for it rather than open another; after it, the next episode is opened.
pub const PENDING: Duration = Duration::from_secs(120);

/// What the caller adds to a message about something opened without a claim.
pub const MAY_REPEAT: &str = "this may repeat on another machine";

/// The team log, connected and caught up, with this copy's identity in it.
pub struct Claimer {
    pub team: Team,
    pub client: String,
    pub author: String,
    timeout: Duration,
}

/// Whether openings can be claimed.
pub enum Reach {
    /// No team log: the local claims, as always.
    Off,
    /// A team log that cannot claim now: why, in a few words (the local claims decide), and
    /// the connection when there is one (a team log not migrated yet: what is written here
    /// is pushed on it).
    Fallback(String, Option<Box<Claimer>>),
    On(Box<Claimer>),
}

/// The few words saying why an opening was not claimed, for "(…: this may repeat …)".
pub fn why(e: &SyncError) -> String {
    match e {
        SyncError::Team(crate::team::TeamError::Unreachable(_)) => "team log unreachable".into(),
        SyncError::Team(crate::team::TeamError::TooNew { .. }) => {
            "team log too new for this binary".into()
        }
        SyncError::Team(crate::team::TeamError::Auth { .. }) => "team log refused the login".into(),
        _ => "team log failed".into(),
    }
}

/// Connects, pushes what waits here and catches up; says on stderr what went wrong, if
/// anything did.
pub fn reach(app: &App) -> Reach {
    let Some(settings) = &app.settings.team else {
        return Reach::Off;
    };
    let connected = (|| -> Result<(Claimer, i64), SyncError> {
        let mut team = Team::connect(settings, &|k| std::env::var(k).ok())?;
        let version = team.check_version()?;
        if let Some(warning) = sync::clock_skew(&mut team) {
            (app.notice)(&warning);
        }
        sync::push(app, &mut team, app.now)?;
        let report = pull::catch_up(app, &mut team, app.now)?;
        if let Some(sent) = report.narrow {
            (app.notice)(&sync::narrow_line(sent));
        }
        // The push gave this copy its identity, if it had none.
        let seen = app.store(Mode::Read)?.read()?.sync_seen()?;
        let client = match seen {
            Some(state) => state.client_id,
            None => app.write_here(|txn, _| {
                Ok::<_, SyncError>(txn.sync_state(&uuid::Uuid::new_v4().to_string())?.client_id)
            })?,
        };
        let claimer = Claimer {
            team,
            client,
            author: app.actor().author,
            timeout: settings.timeout,
        };
        Ok((claimer, version))
    })();
    match connected {
        Ok((c, version)) if version < OPEN_CLAIMS_VERSION => {
            (app.notice)(&format!(
                "warning: the team log (version {version}) cannot claim openings; `incident team migrate` upgrades it"
            ));
            Reach::Fallback(format!("team log at version {version}"), Some(Box::new(c)))
        }
        Ok((c, _)) => Reach::On(Box::new(c)),
        Err(e) => {
            (app.notice)(&format!(
                "warning: openings not claimed in the team log: {e}"
            ));
            Reach::Fallback(why(&e), None)
        }
    }
}

/// How one claimed write ended.
pub enum Claimed<T> {
    /// Committed: it opened nothing, or won its claim.
    Done(T),
    /// Committed without a claim: the team log failed while claiming (why, in a few words).
    Unclaimed(T, String),
    /// Rolled back: another copy holds the claim, with the incident to attach to.
    Lost(OpenClaim),
}

impl Claimer {
    /// Runs `f` in one write transaction; when `opened` says it opened an incident (its UUID),
    /// claims episode `episode` of `kind` + `key` for it before committing.
    pub fn write<T>(
        &mut self,
        app: &App,
        (kind, key, episode): (&str, &str, i32),
        f: impl FnOnce(&Txn, &Actor) -> Result<T, AppError>,
        opened: impl FnOnce(&T) -> Option<String>,
    ) -> Result<Claimed<T>, AppError> {
        let mut store = app.store(Mode::ReadWrite)?;
        let actor = app.actor();
        let txn = store.write()?;
        let value = f(&txn, &actor)?;
        let mut unclaimed = None;
        if let Some(uuid) = opened(&value) {
            match self
                .team
                .claim_open(kind, key, episode, &uuid, &self.client, &self.author)
            {
                Ok(claim) if claim.won || claim.incident_uuid == uuid => {}
                // Dropped uncommitted: nothing was written here.
                Ok(claim) => return Ok(Claimed::Lost(claim)),
                Err(e) => {
                    (app.notice)(&format!("warning: the opening was not claimed: {e}"));
                    unclaimed = Some(why(&SyncError::Team(e)));
                }
            }
        }
        txn.join_team(&uuid::Uuid::new_v4().to_string())?;
        txn.commit()?;
        store.bound_wal();
        drop(store);
        self.push(app);
        Ok(match unclaimed {
            Some(why) => Claimed::Unclaimed(value, why),
            None => Claimed::Done(value),
        })
    }

    /// Pushes what this copy recorded, on this connection; a failure is said, not returned.
    pub fn push(&mut self, app: &App) {
        if let Err(e) = sync::push(app, &mut self.team, app.now) {
            app.not_shared(&e);
        }
    }

    /// The row key here of incident `uuid`, pulling it from the team log if this copy lacks
    /// it; with `wait`, waiting for it (within the team timeout) when its opener has claimed
    /// it but not pushed it yet. None when it is not (or did not arrive in time).
    pub fn fetch(&mut self, app: &App, uuid: &str, wait: bool) -> Result<Option<i64>, AppError> {
        let until = time::instant_after(Instant::now(), self.timeout);
        loop {
            if let Some(pk) = app.read(|txn| Ok(txn.pk_of_uuid(uuid)?))? {
                return Ok(Some(pk));
            }
            if let Err(e) = pull::narrow(app, &mut self.team, app.now, Narrow::Incident(uuid)) {
                (app.notice)(&format!("warning: cannot pull incident {uuid}: {e}"));
                return Ok(None);
            }
            if !wait || Instant::now() >= until {
                return app.read(|txn| Ok(txn.pk_of_uuid(uuid)?));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl App {
    /// One write transaction here, committed, not pushed (the caller pushes on the
    /// connection it holds).
    pub fn write_here<T, E: From<crate::store::StoreError>>(
        &self,
        f: impl FnOnce(&Txn, &Actor) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut store = self.store(Mode::ReadWrite)?;
        self.commit(&mut store, f)
    }
}
