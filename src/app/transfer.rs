//! `export` and `import` as one transaction each: which incidents go out and where, whole or
//! not at all; and an import's incidents in, the ones whose number is taken numbered last, the
//! content nothing kept dropped, everything indexed before the commit. Nothing here prints: the
//! command says what happened from what these return.

use super::{App, AppError, load};
use crate::store::{Mode, Store, StoreError, Txn};
use crate::transfer::read::{self, ActionMoved, Done, Skipped};
use crate::transfer::{Counting, Counts, Failure, Format, ImportError, export};
use std::io::{BufRead, Write};
use std::path::Path;

/// Which incidents an export carries.
#[derive(Debug, Clone, Copy)]
pub enum Which<'a> {
    All,
    /// These, in this order, each once.
    Numbers(&'a [crate::domain::model::Number]),
}

/// Where an export goes.
pub enum Destination<'a> {
    Stream(&'a mut dyn Write),
    /// A file, written beside and renamed over: whole or not at all.
    File(&'a Path),
}

/// What an export wrote.
#[derive(Debug, Clone, Copy)]
pub struct Exported {
    pub counts: Counts,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    App(#[from] AppError),
    /// The stream would not take it.
    #[error("cannot write the export: {0}")]
    Stream(#[source] std::io::Error),
    /// The file could not be written (`action` "write") or put in place ("replace"); nothing
    /// was left behind.
    #[error("cannot {action} the export file: {source}")]
    File {
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl From<StoreError> for ExportError {
    fn from(e: StoreError) -> Self {
        ExportError::App(e.into())
    }
}

/// Writes the incidents in `format`, read in one transaction.
pub fn export(
    app: &App,
    which: Which,
    format: Format,
    to: Destination,
) -> Result<Exported, ExportError> {
    let mut store = app.store(Mode::Read)?;
    let txn = store.read()?;
    let pks = match which {
        Which::All => txn.all_incident_pks()?,
        Which::Numbers(numbers) => {
            let mut pks = Vec::new();
            for n in numbers {
                let pk = load(&txn, *n)?.pk;
                if !pks.contains(&pk) {
                    pks.push(pk);
                }
            }
            pks
        }
    };
    let write = |out: &mut dyn Write| export::write(&txn, &pks, format, app.now, out);
    match to {
        Destination::Stream(out) => {
            let mut out = Counting::new(out);
            let counts = write(&mut out)
                .and_then(|counts| {
                    out.flush()?;
                    Ok(counts)
                })
                .map_err(|e| match e {
                    Failure::Store(e) => ExportError::from(e),
                    Failure::Write(e) => ExportError::Stream(e),
                })?;
            Ok(Exported {
                counts,
                bytes: out.bytes,
            })
        }
        Destination::File(path) => write_file(path, write),
    }
}

/// Writes beside the target (readable by its owner only: it holds what the database holds)
/// and renames over it, so the file is whole or absent.
fn write_file(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<Counts, Failure>,
) -> Result<Exported, ExportError> {
    let tmp = crate::store::files::beside(path);
    let fail = |action: &'static str, source: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        ExportError::File { action, source }
    };
    let file = crate::store::files::create_new(&tmp).map_err(|e| fail("write", e))?;
    let mut out = Counting::new(std::io::BufWriter::with_capacity(256 * 1024, file));
    let counts = match fill(&mut out) {
        Ok(counts) => counts,
        Err(Failure::Write(e)) => return Err(fail("write", e)),
        Err(Failure::Store(e)) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
    };
    let bytes = out.bytes;
    let file = out
        .inner
        .into_inner()
        .map_err(|e| fail("write", e.into_error()))?;
    file.sync_all().map_err(|e| fail("write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| fail("replace", e))?;
    Ok(Exported { counts, bytes })
}

/// What an import did.
#[derive(Debug)]
pub struct Imported {
    /// In file order, with their numbers here.
    pub imported: Vec<Done>,
    pub skipped: Vec<Skipped>,
    pub actions_renumbered: Vec<ActionMoved>,
    /// Logs and command output stored, and their compressed bytes.
    pub stored: u64,
    pub bytes_stored: u64,
    /// Those whose content was already here.
    pub blobs_existing: u64,
}

/// Imports an export file in one transaction: all of it, or (on any error, or when every
/// incident is already here) nothing — and then the database and its WAL are left as they
/// were, and a database file this import created is removed.
pub fn import(app: &App, mut reader: impl BufRead) -> Result<Imported, ImportError> {
    read::sniff(&mut reader)?;
    let created = std::fs::symlink_metadata(&app.settings.db).is_err();
    let mut store = app.store(Mode::ReadWrite)?;
    let wal_before = store.wal_size();
    let result = import_in(app, &mut store, reader);
    if matches!(&result, Ok(imported) if !imported.imported.is_empty()) {
        store.bound_wal();
        drop(store);
        app.share();
        return result;
    }
    // Rolled back (the transaction is gone): what it spilled to the WAL is dropped with a
    // checkpoint, and a database made for it goes. A cleanup that fails leaves the import's
    // own outcome to report: nothing was imported either way.
    if store.wal_size() > wal_before {
        let _ = store.truncate_wal();
    }
    if created {
        let _ = store.remove_if_empty();
    }
    result
}

/// The import's transaction: committed when it imported something, else dropped.
fn import_in(app: &App, store: &mut Store, reader: impl BufRead) -> Result<Imported, ImportError> {
    let txn = store.write()?;
    let mut file = read::read(&txn, &app.settings.policy, app.now, reader)?;
    let pks: Vec<i64> = file.deferred.iter().map(|i| file.imported[*i].pk).collect();
    for (i, number) in file.deferred.iter().zip(number_deferred(&txn, &pks)?) {
        file.imported[*i].number = number;
    }
    if app.settings.team.is_some() || txn.shares()? {
        // Only the team gives the numbers people type: provisional until the push.
        txn.join_team(&uuid::Uuid::new_v4().to_string())?;
        for done in &mut file.imported {
            done.number = txn.incident_at(done.pk)?.number.0;
        }
    }
    let new_blobs: Vec<i64> = file.new_blobs.iter().map(|(id, _)| *id).collect();
    let dropped = txn.drop_unused_blobs(&new_blobs)?;
    file.new_blobs.retain(|(id, _)| !dropped.contains(id));
    let imported = Imported {
        stored: file.new_blobs.len() as u64,
        bytes_stored: file.new_blobs.iter().map(|(_, bytes)| bytes).sum(),
        blobs_existing: file.blobs_existing,
        imported: file.imported,
        skipped: file.skipped,
        actions_renumbered: file.actions_renumbered,
    };
    if !imported.imported.is_empty() {
        // Notes and imported action items are indexed in batches (see store::search); the
        // imported ones are indexed now, so that they are found as soon as the import is in.
        txn.index_pending_notes()?;
        txn.commit()?;
    }
    // Nothing imported: the transaction is dropped, and the database stays as it was.
    Ok(imported)
}

/// Gives each incident imported under a placeholder the next free number, in the order
/// given, once every incident that kept its own number is in; returns the numbers.
fn number_deferred(txn: &Txn, pks: &[i64]) -> Result<Vec<i64>, StoreError> {
    pks.iter()
        .map(|pk| {
            let mut incident = txn.incident_at(*pk)?;
            incident.number = crate::domain::model::Number(txn.next_number()?);
            txn.save_incident(&incident)?;
            Ok(incident.number.0)
        })
        .collect()
}
