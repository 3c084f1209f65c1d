//! Purging a secret pasted into a pushed event, the one audited exception to "nothing is ever
//! deleted": the team log's owner replaces the event's words with a tombstone naming who purged
//! it, when and why (`incident team purge`), and every working copy applies the purge at its
//! next pull (`apply`), here at once. Applying overwrites the words in the timeline, the search
//! index and a command's run, with `secure_delete` on and the WAL emptied after, so that the
//! secret's bytes do not stay behind in the file's free space.

use super::App;
use super::sync::SyncError;
use crate::store::{Mode, Purge, Store, Words};
use crate::team::{CANDIDATES, EventRef, Refused, SharedPurge, Team, TeamError};

/// Purges applied per working-copy transaction.
const BATCH: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error("a purge needs a reason")]
    NoReason,
    #[error("'{0}' is not an event id")]
    BadRef(String),
    #[error("the team log '{schema}' is at version {version}, which cannot purge")]
    TooOld { schema: String, version: i64 },
    #[error("no event in the team log has an id starting with '{0}'")]
    Unknown(String),
    #[error("'{prefix}' names {} events: {}", if candidates.len() > CANDIDATES { format!("more than {CANDIDATES}") } else { candidates.len().to_string() }, candidates.iter().take(CANDIDATES).map(describe).collect::<Vec<_>>().join("; "))]
    Ambiguous {
        prefix: String,
        candidates: Vec<EventRef>,
    },
    #[error("event {uuid} is {}, which cannot be purged", a_kind(kind))]
    Kind { uuid: String, kind: String },
    #[error("purging needs the team log's owner role")]
    NotOwner,
    #[error("event {0} was purged already")]
    Already(String),
    #[error(transparent)]
    Sync(#[from] SyncError),
}

impl From<TeamError> for PurgeError {
    fn from(e: TeamError) -> Self {
        PurgeError::Sync(SyncError::Team(e))
    }
}

impl From<crate::store::StoreError> for PurgeError {
    fn from(e: crate::store::StoreError) -> Self {
        PurgeError::Sync(SyncError::Store(e))
    }
}

impl PurgeError {
    /// What to do about it; None for a sync error (whose own hint the caller gives).
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            PurgeError::NoReason => "say why with --reason \"…\" (everyone sees it in the tombstone: do not repeat the secret)".into(),
            PurgeError::BadRef(_) => "give the event's UUID, or at least its first 8 hex digits; `incident show N --json` lists them (timeline[].uuid)".into(),
            PurgeError::TooOld { .. } => "upgrade it with `incident team migrate`, as its owner".into(),
            PurgeError::Unknown(_) => "only events in the team log can be purged (`incident sync` pushes this copy's); `incident show N --json` lists each event's uuid".into(),
            PurgeError::Ambiguous { .. } => "give more of its hex digits".into(),
            PurgeError::Kind { kind, .. } if kind == "opened" => "an opening carries the incident's title and description and cannot be purged: replace them with `incident update`, or open a clean incident and close this one as a duplicate".into(),
            PurgeError::Kind { .. } => "notes, field changes (`incident update`) and command lines can be purged; openings, status and severity changes carry the incident's state".into(),
            PurgeError::NotOwner => "run it with a [team] url (or $INCIDENT_TEAM_URL) that logs in as the team log schema's owner; the working copies' role may only add".into(),
            PurgeError::Already(_) => "every working copy shows its tombstone from its next pull".into(),
            PurgeError::Sync(_) => return None,
        })
    }
}

fn a_kind(kind: &str) -> String {
    match kind {
        "opened" => "the incident's opening".into(),
        "status" | "severity" => format!("a {kind} change"),
        other => format!("a {other} event"),
    }
}

fn describe(e: &EventRef) -> String {
    let incident = e
        .incident
        .map_or_else(String::new, |n| format!(" in incident {n}"));
    format!(
        "{} ({} by {} at {}{incident})",
        e.uuid, e.kind, e.author, e.at
    )
}

/// What a purge did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PurgeReport {
    pub event: String,
    pub kind: String,
    /// The team number of its incident.
    pub incident: Option<i64>,
    pub purged: Purge,
    /// The event's text now, on the team log and here.
    pub tombstone: String,
    /// Whether this working copy had the event.
    pub here: bool,
}

/// The event ids a purge accepts: a UUID, or at least 8 of its first hex digits (hyphens
/// ignored), as lower-case hex.
pub fn event_prefix(arg: &str) -> Option<String> {
    let hex: String = arg
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (hex.len() >= 8 && hex.len() <= 32 && hex.chars().all(|c| c.is_ascii_hexdigit())).then_some(hex)
}

/// `incident team purge`: checks what it can before connecting, resolves the event in the
/// team log, purges it there (one transaction), then applies the team log's purges here.
pub fn purge(
    app: &App,
    settings: &crate::config::TeamSettings,
    event: &str,
    reason: &str,
) -> Result<PurgeReport, PurgeError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(PurgeError::NoReason);
    }
    let prefix = event_prefix(event).ok_or_else(|| PurgeError::BadRef(event.to_string()))?;
    let mut team = Team::connect(settings, &|k| std::env::var(k).ok())?;
    let version = team.check_version()?;
    if version < 3 {
        return Err(PurgeError::TooOld {
            schema: settings.schema.clone(),
            version,
        });
    }
    let found = team.events_with_prefix(&prefix)?;
    let target = match found.as_slice() {
        [] => return Err(PurgeError::Unknown(prefix)),
        [one] => one.clone(),
        _ => {
            return Err(PurgeError::Ambiguous {
                prefix,
                candidates: found,
            });
        }
    };
    if !matches!(target.kind.as_str(), "note" | "field" | "command") {
        return Err(PurgeError::Kind {
            uuid: target.uuid,
            kind: target.kind,
        });
    }
    let by = app.actor().author;
    let at = crate::domain::time::to_rfc3339(app.now);
    match team.purge(&target.uuid, &by, &at, reason)? {
        Ok(()) => {}
        Err(Refused::NotOwner) => return Err(PurgeError::NotOwner),
        Err(Refused::Already) => return Err(PurgeError::Already(target.uuid)),
    }
    let mut store = app.store(Mode::ReadWrite)?;
    let applied = apply(app, &mut store, &mut team)?;
    let mine = applied
        .into_iter()
        .find(|(p, _)| p.event_uuid == target.uuid);
    let (purged, tombstone, here) = match mine {
        Some((p, here)) => (p.purge(), p.text, here),
        // Another command on this copy applied it a moment ago: the team log's record.
        None => (
            Purge {
                event_uuid: target.uuid.clone(),
                by,
                at,
                reason: reason.to_string(),
            },
            String::new(),
            false,
        ),
    };
    Ok(PurgeReport {
        event: target.uuid,
        kind: target.kind,
        incident: target.incident,
        purged,
        tombstone,
        here,
    })
}

impl SharedPurge {
    fn purge(&self) -> Purge {
        Purge {
            event_uuid: self.event_uuid.clone(),
            by: self.purged_by.clone(),
            at: self.purged_at.clone(),
            reason: self.reason.clone(),
        }
    }
}

/// Applies the team log's purges this copy has not, a batch per transaction: each purge is
/// recorded, and the event, when this copy has it, takes the words the team log holds (its
/// tombstone) everywhere it was kept; an incident whose field change was purged is rebuilt,
/// so the field shows the tombstone too. Returns each purge with whether the event was here.
pub fn apply(
    app: &App,
    store: &mut Store,
    team: &mut Team,
) -> Result<Vec<(SharedPurge, bool)>, SyncError> {
    let mut applied = Vec::new();
    loop {
        let cursor = store.read()?.purged_seq()?;
        let purges = team.purges_after(cursor, BATCH)?;
        let Some(last) = purges.last().map(|p| p.seq) else {
            break;
        };
        // Zeroes what the transaction frees: the secret must not stay in free pages.
        store.secure_delete()?;
        let txn = store.write()?;
        txn.sync_state(&uuid::Uuid::new_v4().to_string())?;
        let mut touched = Vec::new();
        for p in &purges {
            let words = Words {
                old: p.old.clone(),
                new: p.new.clone(),
                text: p.text.clone(),
            };
            let done = txn.apply_purge(&p.purge(), &words)?;
            if let Some(d) = &done
                && d.kind == "field"
                && !touched.contains(&d.incident_pk)
            {
                touched.push(d.incident_pk);
            }
            applied.push((p.clone(), done.is_some()));
        }
        for pk in touched {
            super::pull::rebuild(&txn, pk, &app.settings.policy, None)?;
        }
        txn.drop_deleted_words()?;
        txn.mark_purged(last)?;
        txn.commit()?;
        // Older versions of the pages just rewritten are still in the WAL.
        store.empty_wal();
        if purges.len() < BATCH {
            break;
        }
    }
    Ok(applied)
}
