//! What an export writes, in either format, and what it counts on the way.

use super::record::IncidentRecord;
use super::{json, markdown};
use crate::domain::time::Timestamp;
use crate::store::{StoreError, Txn};
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Everything, for `incident import`.
    Json,
    /// For people; without the content of logs and command output.
    Markdown,
}

/// What went out, for the status line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub incidents: u64,
    pub events: u64,
    pub snapshots: u64,
    pub actions: u64,
    pub logs: u64,
    pub commands: u64,
    /// Uncompressed bytes of the logs and output carried.
    pub content: u64,
}

impl Counts {
    pub(super) fn add(&mut self, r: &IncidentRecord) {
        self.incidents += 1;
        self.events += r.events.len() as u64;
        self.snapshots += r.snapshots.len() as u64;
        self.actions += r.actions.len() as u64;
        self.logs += r.attachments.len() as u64;
        self.commands += r.command_runs.len() as u64;
    }
}

/// Why an export stopped: the store, or the output.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Write(#[from] std::io::Error),
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        Failure::Write(e.into())
    }
}

/// Writes incidents `pks` (row keys, in this order) as of `now`.
pub fn write(
    txn: &Txn,
    pks: &[i64],
    format: Format,
    now: Timestamp,
    out: &mut dyn Write,
) -> Result<Counts, Failure> {
    match format {
        Format::Json => json::write(txn, pks, now, out),
        Format::Markdown => markdown::write(txn, pks, now, out),
    }
}

/// A writer that counts what passes through it.
pub struct Counting<W> {
    pub inner: W,
    pub bytes: u64,
}

impl<W> Counting<W> {
    pub fn new(inner: W) -> Self {
        Counting { inner, bytes: 0 }
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
