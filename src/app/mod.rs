//! Orchestration: what a command does with the layers below, shared by every command that does
//! it — opening the store for one transaction, taking a snapshot into an incident, setting up
//! redaction, a reminder round, a health monitor step. Nothing here prints: status lines go
//! through the `notice` callback the command line gives, progress through callbacks.

pub mod announce;
pub mod attach;
pub mod check;
pub mod claim;
pub mod doctor;
pub mod exec;
pub mod intake;
pub mod logs;
pub mod monitor;
pub mod pull;
pub mod purge;
pub mod record;
pub mod redaction;
pub mod remind;
pub mod review;
pub mod share_pull;
pub mod share_push;
pub mod show;
pub mod similar;
pub mod snapshot;
pub mod sync;
pub mod transfer;

use crate::config::Settings;
use crate::domain::event::Event;
use crate::domain::model::{Incident, Number};
use crate::domain::time::{self, TimeError, Timestamp};
use crate::domain::workflow::{Actor, WorkflowError};
use crate::store::{Mode, Notice, Opening, Rejudging, Store, StoreError, Txn};

pub use record::load;

/// Why orchestration stopped: a change the lifecycle refuses, the store failing, or something
/// asked for that is not there.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("nothing to collect: {}", match .0 {
        Some(path) => format!("the config ({}) has no [kubernetes], [[database]], [[redis]] or [[command]]", path.display()),
        None => "there is no config file, so no collector ([kubernetes], [[database]], [[redis]], [[command]]) is set up".to_string(),
    })]
    NothingToCollect(Option<std::path::PathBuf>),
    #[error(
        "the monitor's config is broken, so it cannot tell how healthy anything is ({0}); nothing was opened or changed"
    )]
    MonitorMisconfigured(String),
    #[error("incident {number} has no {}", match seq { Some(s) => format!("snapshot {s}"), None => "any snapshot".into() })]
    NoSnapshot { number: Number, seq: Option<i64> },
    #[error("this working copy gave no incident the number L{0}")]
    NoSuchLocal(i64),
    #[error("no incident's UUID starts with '{0}'")]
    NoSuchUuid(String),
    #[error("'{prefix}' names {} incidents: {}", candidates.len(), candidates.iter().map(|(n, u, t)| format!("{n} ({u}, {t})")).collect::<Vec<_>>().join("; "))]
    Ambiguous {
        prefix: String,
        candidates: Vec<(i64, String, String)>,
    },
    /// Another working copy (its author) claimed the incident this would open, and it has not
    /// reached the team log within the timeout: nothing was written here.
    #[error("{0}'s copy is opening this incident and it has not reached the team log yet")]
    OpenedElsewhere(String),
}

/// How the command line names an incident: by number, or by a prefix of its UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentRef {
    Number(i64),
    /// The provisional number this working copy gave it (`L14`), before or after the team
    /// numbered it.
    Local(i64),
    /// Lower-case hex digits, without hyphens.
    UuidPrefix(String),
}

impl AppError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            AppError::Workflow(e) => e.hint(),
            AppError::Store(e) => Some(e.hint().to_string()),
            AppError::NothingToCollect(_) => {
                Some("`incident config default` shows how to add them".into())
            }
            AppError::MonitorMisconfigured(_) => Some(
                "fix the config where the monitor runs (export the variable, mount the kubeconfig); `incident check` shows every item".into(),
            ),
            AppError::NoSnapshot { number, .. } => {
                Some(format!("`incident snapshot {number} --list` lists them"))
            }
            AppError::NoSuchUuid(_) => Some("`incident list --json` shows each id".into()),
            AppError::NoSuchLocal(_) => Some("`incident list` shows the numbers".into()),
            AppError::Ambiguous { .. } => {
                Some("give more of the UUID, or the incident's number".into())
            }
            AppError::OpenedElsewhere(_) => Some("try again in a few seconds".into()),
        }
    }

    /// One line: the problem, then what to do about it.
    /// Whether it says the incident asked for does not exist (a 404 to a server).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            AppError::Workflow(WorkflowError::NotFound(_)) | AppError::NoSuchLocal(_)
        )
    }

    pub fn line(&self) -> String {
        match self.hint() {
            Some(hint) => format!("{self}; {hint}"),
            None => self.to_string(),
        }
    }
}

/// What every command starts from: the settings, the moment it runs, and where status lines go.
pub struct App {
    pub settings: Settings,
    pub now: Timestamp,
    /// Says something to the person at the terminal (stderr), never data.
    pub notice: fn(&str),
}

impl App {
    /// Parses a TIME argument against this command's clock.
    pub fn time(&self, arg: Option<&str>) -> Result<Option<Timestamp>, TimeError> {
        arg.map(|s| time::parse_time(s, self.now)).transpose()
    }

    /// Opens the database; a migration of an existing one says so first (it can take a while),
    /// and how many SLA verdicts changed when version 11 judged the clocks again.
    pub fn store(&self, mode: Mode) -> Result<Store, StoreError> {
        let notice = self.notice;
        let opening = Opening {
            policy: &self.settings.policy,
            now: self.now,
            notice: &|n| match n {
                Notice::Migrating(m) => {
                    let work = match m.reindex {
                        Some((bytes, took)) => format!(
                            " (indexing {:.1} MB of logs line by line: about {} s)",
                            bytes as f64 / 1e6,
                            took.as_secs().max(1)
                        ),
                        None => String::new(),
                    };
                    notice(&format!(
                        "updating {} from schema version {} to {}{work}…",
                        m.path.display(),
                        m.from,
                        m.to
                    ))
                }
                Notice::Rejudged(r) => notice(&format!(
                    "{}: judged the SLA clocks of {} incident{} again, {} with a different verdict (`incident list --breached` shows the breached)",
                    match r.why {
                        Rejudging::Migration => "SLA clocks now count from the detection",
                        Rejudging::PolicyChanged => "the SLA policy changed",
                    },
                    r.incidents,
                    if r.incidents == 1 { "" } else { "s" },
                    r.changed
                )),
            },
        };
        Store::open_with(&self.settings.db, mode, &opening)
    }

    /// The number of the incident `r` names: a number as it is, a UUID prefix looked up (one
    /// incident, or an error listing the candidates).
    pub fn number(&self, r: &IncidentRef) -> Result<Number, AppError> {
        let prefix = match r {
            IncidentRef::Number(n) => return Ok(Number(*n)),
            IncidentRef::Local(n) => {
                return self
                    .read(|txn| Ok(txn.number_of_local(*n)?))?
                    .ok_or(AppError::NoSuchLocal(*n));
            }
            IncidentRef::UuidPrefix(p) => p,
        };
        let mut found = self.read(|txn| Ok(txn.incidents_with_uuid_prefix(prefix, 10)?))?;
        match found.len() {
            0 => Err(AppError::NoSuchUuid(prefix.clone())),
            1 => Ok(Number(found.remove(0).0)),
            _ => Err(AppError::Ambiguous {
                prefix: prefix.clone(),
                candidates: found,
            }),
        }
    }

    /// Who is acting, now, and under which SLA policy.
    pub fn actor(&self) -> Actor {
        let author = self.settings.author.clone().unwrap_or_else(|| {
            // Resolved once and remembered (config::author): no `git config` per write.
            let fallback = crate::config::fallback_author();
            if fallback.from.is_none() && fallback.resolved_now {
                // Every event names its author: say so rather than record "unknown" silently
                // (once: when it was resolved, not on every write after).
                (self.notice)(
                    "recorded as 'unknown': nothing names you (no --author, INCIDENT_AUTHOR, author in the config, git user.name or $USER); `--author NAME` or INCIDENT_AUTHOR=NAME names you",
                );
            }
            fallback.name
        });
        Actor {
            author,
            now: self.now,
            policy: self.settings.policy.clone(),
        }
    }

    /// Runs `f` in one write transaction and commits only if it succeeds: a refused change
    /// leaves the database as it was.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Txn, &Actor) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        self.write_with(f)
    }

    /// [`App::write`] for work with errors of its own (reading a file while writing, say).
    pub fn write_with<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Txn, &Actor) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut store = self.store(Mode::ReadWrite)?;
        let value = self.commit(&mut store, f)?;
        drop(store);
        self.share();
        Ok(value)
    }

    /// [`App::write`], then `then` in a read transaction on the same connection once the
    /// write is committed and shared: what a command shows after its write (`open`'s past
    /// incidents) without opening the database a second time (its schema is read again on
    /// every opening).
    pub fn write_then_read<T, U>(
        &self,
        f: impl FnOnce(&Txn, &Actor) -> Result<T, AppError>,
        then: impl FnOnce(&Txn, T) -> Result<U, AppError>,
    ) -> Result<U, AppError> {
        let mut store = self.store(Mode::ReadWrite)?;
        let value = self.commit(&mut store, f)?;
        self.share();
        let txn = store.read()?;
        then(&txn, value)
    }

    fn commit<T, E: From<StoreError>>(
        &self,
        store: &mut Store,
        f: impl FnOnce(&Txn, &Actor) -> Result<T, E>,
    ) -> Result<T, E> {
        let actor = self.actor();
        let txn = store.write()?;
        let value = f(&txn, &actor)?;
        if self.settings.team.is_some() {
            // A copy with a team log numbers provisionally from its first write, reachable
            // or not: only the team gives the numbers people type.
            txn.join_team(&uuid::Uuid::new_v4().to_string())?;
        }
        txn.commit()?;
        store.bound_wal();
        Ok(value)
    }

    /// Runs `f` in one read transaction.
    pub fn read<T>(&self, f: impl FnOnce(&Txn) -> Result<T, AppError>) -> Result<T, AppError> {
        let mut store = self.store(Mode::Read)?;
        let txn = store.read()?;
        f(&txn)
    }

    /// One incident and its whole timeline, read in one transaction.
    pub fn incident_and_timeline(
        &self,
        number: Number,
    ) -> Result<(Incident, Vec<Event>), AppError> {
        self.read(|txn| {
            let incident = load(txn, number)?;
            let timeline = txn.timeline(incident.pk)?;
            Ok((incident, timeline))
        })
    }
}
