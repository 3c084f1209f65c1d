//! `incident gc`: remove stored content nothing refers to any more and give the space back.

use crate::app::App;
use crate::store::Mode;
use crate::ui::error::CommandError;
use crate::ui::output;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(app: &App, _args: Args) -> Result<(), CommandError> {
    let db = &app.settings.db;
    if !db.exists() {
        // Not creating a database just to find it empty.
        output::out(&format!(
            "nothing to collect: {} does not exist\n",
            db.display()
        ))?;
        return Ok(());
    }
    let before = on_disk(db);
    let mut store = app.store(Mode::ReadWrite)?;
    let txn = store.write()?;
    let collected = txn.collect_garbage()?;
    txn.commit()?;
    // VACUUM, not incremental vacuum: the latter needs auto_vacuum=INCREMENTAL, which an
    // existing database can only switch to through a full VACUUM anyway, and it costs every
    // commit pointer-map upkeep. gc is rare and asked for, so it rewrites the file once; it
    // also reclaims pages freed when a duplicate attachment's chunks were dropped.
    let vacuumed = store.vacuum()?;
    drop(store);
    let after = on_disk(db);
    output::out(&format!(
        "removed {} unreferenced blob{} ({} chunks, {} compressed bytes); database {} → {} bytes{}\n",
        collected.blobs,
        if collected.blobs == 1 { "" } else { "s" },
        collected.chunks,
        collected.stored,
        before,
        after,
        if vacuumed {
            ""
        } else {
            " (no free space to reclaim)"
        }
    ))
}

/// The database's bytes on disk, its WAL included (the WAL holds recent writes).
fn on_disk(db: &Path) -> u64 {
    let wal = std::path::PathBuf::from(format!("{}-wal", db.display()));
    [db.to_path_buf(), wal]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}
