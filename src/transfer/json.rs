//! The JSON export: one document, written as a stream a record per line, a chunk of log at a
//! time.

use super::export::{Counts, Failure};
use super::record::{BlobRecord, ChunkRecord, IncidentRecord};
use super::{FORMAT, VERSION};
use crate::domain::time::{self, Timestamp};
use crate::store::{BlobInfo, Txn};
use std::io::Write;

/// A header, the content once per hash (first, so that import has it before the incidents
/// that refer to it), then the incidents, a line each.
pub fn write(
    txn: &Txn,
    pks: &[i64],
    now: Timestamp,
    out: &mut dyn Write,
) -> Result<Counts, Failure> {
    let mut counts = Counts::default();
    let blobs = txn.blobs_of(pks)?;
    write!(
        out,
        "{{\"format\":\"{}\",\"version\":{},\"exported_at\":\"{}\",\"generator\":{},\"incident_count\":{},\"blob_count\":{},\"max_action_id\":{},\n\"blobs\":[",
        FORMAT,
        VERSION,
        time::to_rfc3339(now),
        serde_json::to_string(&format!("incident {}", env!("CARGO_PKG_VERSION")))?,
        pks.len(),
        blobs.len(),
        txn.max_action_id(pks)?
    )?;
    for (i, blob) in blobs.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        write_blob(txn, blob, out)?;
        counts.content += blob.size;
    }
    out.write_all(b"\n],\n\"incidents\":[")?;
    for (i, pk) in pks.iter().enumerate() {
        let record = IncidentRecord::read(txn, *pk)?;
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *out, &record)?;
        counts.add(&record);
    }
    out.write_all(b"\n]}\n")?;
    Ok(counts)
}

/// A blob's sizes and hash, then its chunks a line each, read and written one at a time.
fn write_blob(txn: &Txn, blob: &BlobInfo, out: &mut dyn Write) -> Result<(), Failure> {
    let header = serde_json::to_string(&BlobRecord::from(blob))?;
    // The header's closing brace gives way to the chunks.
    out.write_all(&header.as_bytes()[..header.len() - 1])?;
    out.write_all(b",\"chunks\":[")?;
    let mut first = true;
    txn.stored_chunks(blob.id, |chunk| -> Result<(), Failure> {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        serde_json::to_writer(&mut *out, &ChunkRecord::from(chunk))?;
        Ok(())
    })?;
    out.write_all(b"\n]}")?;
    Ok(())
}
