//! Taking a snapshot into an incident: collect (no database lock held meanwhile), derive the
//! findings against the incident's previous snapshot, store it with its timeline event in one
//! transaction. Shared by `snapshot`, `open`, `resolve`, `check` and `show`.

use super::{App, AppError, record};
use crate::collect::Progress;
use crate::domain::model::Incident;
use crate::domain::model::Number;
use crate::evidence::snapshot::Snapshot;
use crate::store::StoredSnapshot;

/// Refuses when nothing is configured to collect.
pub fn require_collectors(app: &App) -> Result<(), AppError> {
    if app.settings.collectors.is_empty() {
        return Err(AppError::NothingToCollect(app.settings.config_file.clone()));
    }
    Ok(())
}

/// Collects a snapshot and stores it as the incident's next one, with its timeline event.
pub fn take(
    app: &App,
    incident: &Incident,
    progress: &mut dyn FnMut(Progress),
) -> Result<(i64, Snapshot), AppError> {
    let snap = collect(app, Some(incident), progress)?;
    let seq = store(app, incident.number, &snap)?;
    Ok((seq, snap))
}

/// Stores a collected snapshot as incident `number`'s next one, with its timeline event, in
/// one transaction; its number among the incident's snapshots.
pub fn store(app: &App, number: Number, snap: &Snapshot) -> Result<i64, AppError> {
    app.write(|txn, actor| {
        let mut change = record::begin(txn, actor, "the snapshot", number, Some(snap.taken_at))?;
        let seq = txn.insert_snapshot(Some(change.incident.pk), snap)?;
        change.snapshot(seq, &snap.summary);
        record::save(txn, actor, change)?;
        Ok(seq)
    })
}

/// Takes a snapshot for a command whose real work is already done (open, resolve): a failure
/// to collect or store it is reported and does not fail the command.
pub fn take_or_warn(
    app: &App,
    incident: &Incident,
    progress: &mut dyn FnMut(Progress),
) -> Option<(i64, Snapshot)> {
    match take(app, incident, progress) {
        Ok(taken) => Some(taken),
        Err(e) => {
            (app.notice)(&format!(
                "warning: incident {} is recorded, but its snapshot was not: {}",
                incident.number,
                e.line()
            ));
            None
        }
    }
}

/// Collects a snapshot; with an incident, its previous snapshot tells restarts since then.
pub fn collect(
    app: &App,
    incident: Option<&Incident>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Snapshot, AppError> {
    let collectors = &app.settings.collectors;
    let previous = match incident {
        Some(i) => app.read(|txn| Ok(txn.snapshot(i.pk, None)?))?,
        None => None,
    };
    let (items, duration_ms) =
        crate::collect::collect(collectors, &|k| std::env::var(k).ok(), app.now, progress);
    let findings = crate::evidence::findings::derive(
        &items,
        previous.as_ref().map(|p| p.snapshot.items.as_slice()),
        app.now,
        &collectors.data_age,
    );
    let summary = crate::evidence::findings::summary(&items, &findings);
    Ok(Snapshot {
        taken_at: app.now,
        duration_ms,
        items,
        findings,
        summary,
    })
}

/// Snapshot `seq` (None: the latest) of incident `number`, or an error saying there is none.
pub fn load(app: &App, number: Number, seq: Option<i64>) -> Result<StoredSnapshot, AppError> {
    let found = app.read(|txn| {
        let incident = record::load(txn, number)?;
        Ok(txn.snapshot(incident.pk, seq)?)
    })?;
    found.ok_or(AppError::NoSnapshot { number, seq })
}
