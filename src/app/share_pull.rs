//! Pulling the rows behind others' timelines: the team log's records after this copy's
//! cursor, each filed once (by its identity) through the store's insert for its table, the
//! same the commands and `import` use. Runs after the events (`pull::pull`): a record whose
//! incident has not arrived yet waits, with the cursor, for the pull that brings it. Others'
//! logs come as the chunks they stored, a page at a time, unless `[team] pull_logs = false`
//! keeps them on the team log until `logs` or `incident sync --logs` asks for one.

use super::App;
use super::share_push::{DeliveryRecord, DoneRecord};
use super::sync::SyncError;
use crate::domain::time::{self, Timestamp};
use crate::store::{BlobInfo, ChunkRow, Mode, SharedTable, Store, Txn};
use crate::team::{PulledRecord, Team, TeamError};
use crate::transfer::record::{ActionRecord, AttachmentRecord, CommandRunRecord, SnapshotRecord};
use sha2::{Digest, Sha256};

/// Records per round trip and per working-copy transaction.
const BATCH: usize = 500;

/// Files every record after this copy's cursor; returns how many were new here.
pub fn pull_records(
    store: &mut Store,
    team: &mut Team,
    pull_logs: bool,
) -> Result<usize, SyncError> {
    let mut filed = 0;
    loop {
        let cursor = store.read()?.records_seq()?;
        let (records, more) = team.pull_records(cursor, BATCH)?;
        let txn = store.write()?;
        let mut last = cursor;
        let mut waiting = false;
        for r in &records {
            let Some(pk) = txn.pk_of_uuid(&r.incident_uuid)? else {
                // Its incident's events are not here yet: the next pull brings them first.
                waiting = true;
                break;
            };
            filed += usize::from(file(&txn, team, pk, r, pull_logs)?);
            last = r.seq;
        }
        txn.mark_records_pulled(last)?;
        txn.commit()?;
        if waiting || !more {
            return Ok(filed);
        }
    }
}

fn bad(r: &PulledRecord, why: impl std::fmt::Display) -> SyncError {
    SyncError::Merge(format!("{} record {}: {why}", r.kind, r.uuid))
}

fn body<T: serde::de::DeserializeOwned>(r: &PulledRecord) -> Result<T, SyncError> {
    serde_json::from_str(&r.body).map_err(|e| bad(r, e))
}

fn ts(r: &PulledRecord, s: &str) -> Result<Timestamp, SyncError> {
    time::from_rfc3339(s).ok_or_else(|| bad(r, format!("'{s}' is not a time")))
}

/// Files one record in incident `pk` unless it is here; says whether it was new. A record of a
/// kind this binary does not know (a newer teammate's) is passed over.
fn file(
    txn: &Txn,
    team: &mut Team,
    pk: i64,
    r: &PulledRecord,
    pull_logs: bool,
) -> Result<bool, SyncError> {
    let invalid = |e: crate::transfer::TransferError| bad(r, e);
    match r.kind.as_str() {
        "action" => {
            if txn.has_row(SharedTable::Actions, &r.uuid)? {
                txn.take_action_numbers(
                    &r.number
                        .map(|n| (r.uuid.clone(), n))
                        .into_iter()
                        .collect::<Vec<_>>(),
                )?;
                return Ok(false);
            }
            let mut row = body::<ActionRecord>(r)?.row(0).map_err(invalid)?;
            row.uuid = Some(r.uuid.clone());
            txn.insert_pulled_action(pk, &row, r.number)?;
        }
        "action_done" => {
            let done: DoneRecord = body(r)?;
            let at = ts(r, &done.done_at)?;
            return Ok(txn.pulled_action_done(&done.action, at, &done.done_by)?);
        }
        "snapshot" => {
            if txn.has_row(SharedTable::Snapshots, &r.uuid)? {
                return Ok(false);
            }
            let mut row = body::<SnapshotRecord>(r)?.row().map_err(invalid)?;
            row.uuid = Some(r.uuid.clone());
            row.seq = txn.free_seq(SharedTable::Snapshots, pk, row.seq)?;
            txn.insert_snapshot_row(Some(pk), &row)?;
            txn.mark_pulled_row(SharedTable::Snapshots, &r.uuid)?;
        }
        "attachment" => {
            if txn.has_row(SharedTable::Attachments, &r.uuid)? {
                return Ok(false);
            }
            let rec: AttachmentRecord = body(r)?;
            let blob_id = blob(txn, team, &rec.sha256, pull_logs)?;
            let mut row = rec.row(blob_id).map_err(invalid)?;
            row.uuid = Some(r.uuid.clone());
            row.seq = txn.free_seq(SharedTable::Attachments, pk, row.seq)?;
            txn.insert_attachment_row(pk, &row)?;
            txn.mark_pulled_row(SharedTable::Attachments, &r.uuid)?;
        }
        "command" => {
            if txn.has_row(SharedTable::CommandRuns, &r.uuid)? {
                return Ok(false);
            }
            let rec: CommandRunRecord = body(r)?;
            let blob_id = blob(txn, team, &rec.sha256, pull_logs)?;
            let mut row = rec.row(blob_id).map_err(invalid)?;
            row.uuid = Some(r.uuid.clone());
            row.seq = txn.free_seq(SharedTable::CommandRuns, pk, row.seq)?;
            txn.insert_command_run_row(pk, &row)?;
            txn.mark_pulled_row(SharedTable::CommandRuns, &r.uuid)?;
        }
        "delivery" => {
            let d: DeliveryRecord = body(r)?;
            let due = ts(r, &d.due_at)?;
            let sent = d.sent_at.as_deref().map(|s| ts(r, s)).transpose()?;
            let key = (d.kind.as_str(), d.level.as_str(), d.channel.as_str());
            return Ok(txn.insert_pulled_delivery(pk, key, due, sent)?);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// The row id of the content `sha256` here: stored already, fetched from the team log now, or
/// (without `fetch`) filed by its sizes alone, its chunks left on the team log.
fn blob(txn: &Txn, team: &mut Team, sha256: &str, fetch: bool) -> Result<i64, SyncError> {
    if let Some(b) = txn.blob(sha256)? {
        return Ok(b.id);
    }
    let info = team
        .blob_info(sha256)?
        .ok_or_else(|| TeamError::Query(format!("the team log lacks content sha256 {sha256}")))?;
    let id = txn.insert_remote_blob(
        sha256,
        info.size as u64,
        info.lines as u64,
        info.stored as u64,
    )?;
    if fetch {
        fetch_chunks(txn, team, id, sha256)?;
    }
    Ok(id)
}

/// Streams remote blob `id`'s chunks from the team log into this copy a page at a time,
/// checks that they are the content its hash names, and makes it local (and searchable).
fn fetch_chunks(txn: &Txn, team: &mut Team, id: i64, sha256: &str) -> Result<(), SyncError> {
    let mut after = -1;
    loop {
        let page = team.chunks(sha256, after)?;
        let Some(last) = page.last().map(|c| c.seq) else {
            break;
        };
        for c in page {
            txn.insert_chunk(
                id,
                &ChunkRow {
                    seq: c.seq,
                    first_line: c.first_line,
                    lines: c.lines,
                    size: c.size,
                    data: c.data,
                },
            )?;
        }
        after = last;
    }
    let mut hasher = Sha256::new();
    txn.read_blob::<SyncError>(id, 1, |chunk| {
        hasher.update(chunk);
        Ok(())
    })?;
    let got: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if got != sha256 {
        return Err(TeamError::Query(format!(
            "the team log's content sha256 {sha256} reads back as sha256 {got}"
        ))
        .into());
    }
    txn.blob_fetched(id)?;
    Ok(())
}

impl App {
    /// Fetches the content of `blob` from the team log if only the team log has it (others'
    /// logs under `[team] pull_logs = false`); says whether it fetched. Without a team log the
    /// content stays missing and the caller says so.
    pub fn fetch_log(&self, blob: &BlobInfo) -> Result<bool, SyncError> {
        let mut store = self.store(Mode::ReadWrite)?;
        if !store.read()?.blob_is_remote(blob.id)? {
            return Ok(false);
        }
        let Some(settings) = &self.settings.team else {
            return Err(TeamError::Unreachable(
                "no team log is configured, and this log's content is only there".into(),
            )
            .into());
        };
        let mut team = Team::connect(settings, &|k| std::env::var(k).ok())?;
        team.check_version()?;
        let txn = store.write()?;
        fetch_chunks(&txn, &mut team, blob.id, &blob.hash)?;
        txn.commit()?;
        Ok(true)
    }

    /// `incident sync --logs`: fetches every log whose content stayed on the team log; returns
    /// how many blobs it fetched.
    pub fn fetch_all_logs(&self) -> Result<usize, SyncError> {
        let blobs = {
            let mut store = self.store(Mode::Read)?;
            store.read()?.remote_blobs()?.0
        };
        for b in &blobs {
            self.fetch_log(b)?;
        }
        Ok(blobs.len())
    }

    /// How many logs and command outputs of others this copy cannot search (their content
    /// stayed on the team log).
    pub fn logs_not_here(&self) -> i64 {
        self.store(Mode::Read)
            .and_then(|mut s| s.read().and_then(|t| t.remote_blobs()))
            .map_or(0, |(_, logs)| logs)
    }
}
