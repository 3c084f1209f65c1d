//! The WAL after a write that did not commit: emptied, and a database made for it removed.

use super::{Store, StoreError, classify};
use std::path::PathBuf;

impl Store {
    /// The WAL's size in bytes; 0 when there is none.
    pub fn wal_size(&self) -> u64 {
        std::fs::metadata(self.wal_path()).map_or(0, |m| m.len())
    }

    fn wal_path(&self) -> PathBuf {
        PathBuf::from(format!("{}-wal", self.path.display()))
    }

    /// Empties the WAL, whatever its size: after a write that was rolled back, whose
    /// uncommitted pages SQLite spilled to the WAL (a large import), and which no later command
    /// should read at start. Waits for readers as long as the busy timeout.
    pub fn truncate_wal(&mut self) -> Result<(), StoreError> {
        let path = &self.path;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| classify(e, path))
    }

    /// Closes the database and removes it with its WAL and shared-memory index, when it holds
    /// nothing: a file a refused write created. Another process that wrote an incident into it
    /// meanwhile keeps it.
    pub fn remove_if_empty(self) -> Result<bool, StoreError> {
        let empty: bool = self.conn.query_row(
            "SELECT NOT EXISTS (SELECT 1 FROM incidents) AND NOT EXISTS (SELECT 1 FROM blobs)",
            [],
            |r| r.get(0),
        )?;
        let path = self.path.clone();
        let wal = self.wal_path();
        drop(self);
        if !empty {
            return Ok(false);
        }
        for file in [
            path.clone(),
            wal,
            PathBuf::from(format!("{}-shm", path.display())),
        ] {
            match std::fs::remove_file(&file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(StoreError::Io {
                        action: "remove",
                        path: file,
                        source: e,
                    });
                }
                _ => {}
            }
        }
        Ok(true)
    }
}
