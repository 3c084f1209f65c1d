//! Content stored once per SHA-256 in zstd-compressed, line-aligned chunks: attached logs and
//! command output. Written and read a chunk at a time, so a 1 GB log never sits in memory.

use super::{Store, StoreError, Txn};
use crate::domain::time::{self, Timestamp};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};
use std::io::Read;

/// Input bytes per chunk: big enough that zstd compresses well and a 1 GB log is a few thousand
/// rows, small enough that a search decompresses little to show a hit's line (each result
/// shown decompresses its chunk: 1 MiB chunks made that most of a search's time).
pub const CHUNK_SIZE: usize = 64 << 10;

/// A newline in the last quarter of a full buffer is "near": the chunk ends there, so chunks
/// hold whole lines (a later search index can point at lines) unless a line is very long.
const NEAR: usize = CHUNK_SIZE / 4;

/// zstd level 3 (its default): measured several times faster than the high levels for a few
/// percent more bytes, and attach speed is what the user waits for during an outage.
const ZSTD_LEVEL: i32 = 3;

/// Splits a stream into chunks of at most CHUNK_SIZE bytes, cut after a newline when one is near.
pub struct Chunker<R> {
    reader: R,
    buf: Vec<u8>,
    filled: usize,
    /// Bytes at the front of `buf` handed out by the last call, dropped at the next one.
    taken: usize,
    eof: bool,
}

impl<R: Read> Chunker<R> {
    pub fn new(reader: R) -> Chunker<R> {
        Chunker {
            reader,
            buf: vec![0; CHUNK_SIZE],
            filled: 0,
            taken: 0,
            eof: false,
        }
    }

    /// The next chunk, or None at the end of the stream.
    pub fn next_chunk(&mut self) -> std::io::Result<Option<&[u8]>> {
        self.buf.copy_within(self.taken..self.filled, 0);
        self.filled -= self.taken;
        self.taken = 0;
        while !self.eof && self.filled < CHUNK_SIZE {
            match self.reader.read(&mut self.buf[self.filled..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.filled == 0 {
            return Ok(None);
        }
        let cut = if self.eof {
            self.filled
        } else {
            self.buf[CHUNK_SIZE - NEAR..CHUNK_SIZE]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(CHUNK_SIZE, |i| CHUNK_SIZE - NEAR + i + 1)
        };
        self.taken = cut;
        Ok(Some(&self.buf[..cut]))
    }
}

/// A stored blob's identity and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    pub id: i64,
    /// SHA-256 of the content, lowercase hex.
    pub hash: String,
    /// Uncompressed bytes.
    pub size: u64,
    /// Lines, a last line without a newline included.
    pub lines: u64,
    /// Compressed bytes.
    pub stored: u64,
    /// Whether the content was already stored (this write added nothing).
    pub existed: bool,
}

/// Streams content into a new blob inside the caller's transaction. The hash is known only at
/// the end, so chunks go in under a provisional blob row; `finish` gives it its hash, or drops
/// it for the blob that already has that content.
pub struct BlobWriter<'t, 'a> {
    txn: &'t Txn<'a>,
    id: i64,
    seq: i64,
    hasher: Sha256,
    size: u64,
    newlines: u64,
    ends_with_newline: bool,
    stored: u64,
    compressor: zstd::bulk::Compressor<'static>,
}

impl<'t, 'a> BlobWriter<'t, 'a> {
    /// Appends one chunk (callers cut them with `Chunker`, so they end at line boundaries).
    pub fn push(&mut self, data: &[u8]) -> Result<(), StoreError> {
        if data.is_empty() {
            return Ok(());
        }
        let compressed = self.compressor.compress(data).map_err(|e| StoreError::Io {
            action: "compress a chunk for",
            path: self.txn.path.to_path_buf(),
            source: e,
        })?;
        let lines = data.iter().filter(|b| **b == b'\n').count() as u64;
        let stored = compressed.len() as u64;
        self.txn.insert_chunk(
            self.id,
            &ChunkRow {
                seq: self.seq,
                first_line: (self.newlines + 1) as i64,
                lines: lines as i64,
                size: data.len() as i64,
                data: compressed,
            },
        )?;
        self.hasher.update(data);
        self.seq += 1;
        self.size += data.len() as u64;
        self.newlines += lines;
        self.stored += stored;
        self.ends_with_newline = data.last() == Some(&b'\n');
        Ok(())
    }

    /// Gives the blob its hash, or, when that content is already stored, drops what was
    /// written and returns the existing blob.
    pub fn finish(self) -> Result<BlobInfo, StoreError> {
        let hash: String = self
            .hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let lines = self.newlines + u64::from(self.size > 0 && !self.ends_with_newline);
        if let Some(existing) = self.txn.blob(&hash)? {
            self.txn.delete_blob(self.id)?;
            return Ok(existing);
        }
        self.txn
            .set_blob(self.id, &hash, self.size, lines, self.stored)?;
        Ok(BlobInfo {
            id: self.id,
            hash,
            size: self.size,
            lines,
            stored: self.stored,
            existed: false,
        })
    }
}

/// One stored chunk of a blob: zstd-compressed, with where it starts and what it holds once
/// decompressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkRow {
    /// Its place in the blob, from 0.
    pub seq: i64,
    /// The line it starts in, from 1, and the newlines it holds.
    pub first_line: i64,
    pub lines: i64,
    /// Uncompressed bytes.
    pub size: i64,
    /// The compressed bytes.
    pub data: Vec<u8>,
}

/// A log attached to an incident.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Its number within the incident: `incident logs N --attachment K`.
    pub seq: i64,
    pub name: String,
    pub blob: BlobInfo,
    pub redactions: u64,
    pub added_at: Timestamp,
    pub added_by: String,
}

/// A command run recorded with an incident (`incident exec`).
#[derive(Debug, Clone)]
pub struct CommandRun {
    /// Its number within the incident: `incident logs N --command K`.
    pub seq: i64,
    pub command: String,
    pub started_at: Timestamp,
    pub duration_ms: u64,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    /// What was kept of its output (redacted, up to the cap, with the cut stated).
    pub output: BlobInfo,
    /// Bytes the command wrote, kept or not.
    pub output_bytes: u64,
    pub output_cap: u64,
    pub run_by: String,
}

/// A command run about to be recorded.
#[derive(Debug, Clone)]
pub struct NewCommandRun {
    pub command: String,
    pub started_at: Timestamp,
    pub duration_ms: u64,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub output_blob_id: i64,
    /// Bytes the command wrote, kept or not.
    pub output_bytes: u64,
    pub output_cap: u64,
}

/// An attachment as written: its number within the incident and the blob it files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRow {
    pub seq: i64,
    pub name: String,
    pub blob_id: i64,
    pub redactions: i64,
    pub added_at: Timestamp,
    pub added_by: String,
    /// Its identity on every working copy and in the team log; None gives it a new one.
    pub uuid: Option<String>,
}

/// A command run as written, its numbers as wide as their columns (an imported run keeps
/// what its file says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRunRow {
    pub seq: i64,
    pub command: String,
    pub started_at: Timestamp,
    pub duration_ms: i64,
    pub exit_code: Option<i64>,
    pub signal: Option<i64>,
    pub output_blob_id: i64,
    pub output_bytes: i64,
    pub output_cap: i64,
    pub run_by: String,
    /// Its identity on every working copy and in the team log; None gives it a new one.
    pub uuid: Option<String>,
}

/// What `gc` removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Collected {
    pub blobs: u64,
    pub chunks: u64,
    /// Compressed bytes of the removed blobs.
    pub stored: u64,
}

impl<'a> Txn<'a> {
    /// Starts a blob; nothing is visible to others until the transaction commits.
    pub fn blob_writer<'t>(&'t self) -> Result<BlobWriter<'t, 'a>, StoreError> {
        let provisional = format!("pending:{}", uuid::Uuid::new_v4());
        let id = self.insert_blob(&provisional)?;
        let compressor = zstd::bulk::Compressor::new(ZSTD_LEVEL).map_err(|e| StoreError::Io {
            action: "start compressing for",
            path: self.path.to_path_buf(),
            source: e,
        })?;
        Ok(BlobWriter {
            txn: self,
            id,
            seq: 0,
            hasher: Sha256::new(),
            size: 0,
            newlines: 0,
            ends_with_newline: false,
            stored: 0,
            compressor,
        })
    }

    /// A new blob row under `hash`, its sizes and chunks to come; returns its id.
    pub fn insert_blob(&self, hash: &str) -> Result<i64, StoreError> {
        self.tx
            .prepare_cached("INSERT INTO blobs (hash) VALUES (?1)")?
            .execute([hash])?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Appends a chunk to blob `blob_id`.
    pub fn insert_chunk(&self, blob_id: i64, chunk: &ChunkRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO blob_chunks (blob_id, seq, first_line, lines, size, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                blob_id,
                chunk.seq,
                chunk.first_line,
                chunk.lines,
                chunk.size,
                chunk.data
            ])?;
        Ok(())
    }

    /// Gives a blob whose chunks are all in its hash and sizes.
    pub fn set_blob(
        &self,
        id: i64,
        hash: &str,
        size: u64,
        lines: u64,
        stored: u64,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE blobs SET hash = ?2, size = ?3, lines = ?4, stored = ?5 WHERE id = ?1",
            )?
            .execute(params![id, hash, size as i64, lines as i64, stored as i64])?;
        Ok(())
    }

    /// The stored blob with this content, if there is one.
    pub fn blob(&self, hash: &str) -> Result<Option<BlobInfo>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT id, size, lines, stored FROM blobs WHERE hash = ?1")?
            .query_row([hash], |r| {
                Ok(BlobInfo {
                    id: r.get(0)?,
                    hash: hash.to_string(),
                    size: r.get::<_, i64>(1)? as u64,
                    lines: r.get::<_, i64>(2)? as u64,
                    stored: r.get::<_, i64>(3)? as u64,
                    existed: true,
                })
            })
            .optional()?)
    }

    /// Removes a blob and its chunks (one nothing refers to).
    pub fn delete_blob(&self, id: i64) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM blob_chunks WHERE blob_id = ?1")?
            .execute([id])?;
        self.tx
            .prepare_cached("DELETE FROM blobs WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    /// Hands blob `id`'s content to `f` one decompressed chunk at a time, in order, starting
    /// at a chunk that begins before line `from_line` (1 for all): callers skipping to the
    /// end of a long log read only its last chunks.
    pub fn read_blob<E: From<StoreError>>(
        &self,
        id: i64,
        from_line: u64,
        mut f: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        // The chunk holding the start of line `from_line` is the last one starting before it
        // (a chunk starting exactly at it may start mid-way through that line).
        let from_seq: i64 = self
            .tx
            .prepare_cached(
                "SELECT coalesce(max(seq), 0) FROM blob_chunks WHERE blob_id = ?1 AND first_line < ?2",
            )
            .and_then(|mut s| s.query_row(params![id, from_line as i64], |r| r.get(0)))
            .map_err(StoreError::from)?;
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT size, data FROM blob_chunks WHERE blob_id = ?1 AND seq >= ?2 ORDER BY seq",
            )
            .map_err(StoreError::from)?;
        let mut rows = stmt
            .query(params![id, from_seq])
            .map_err(StoreError::from)?;
        let mut decompressor = zstd::bulk::Decompressor::new().map_err(|e| self.io("read", e))?;
        while let Some(row) = rows.next().map_err(StoreError::from)? {
            let size: i64 = row.get(0).map_err(StoreError::from)?;
            let data = row.get_ref(1).map_err(StoreError::from)?;
            let data = data
                .as_blob()
                .map_err(|e| StoreError::from(rusqlite::Error::from(e)))?;
            let plain = decompressor
                .decompress(data, size.max(0) as usize)
                .map_err(|e| self.io("decompress a chunk of", e))?;
            f(&plain)?;
        }
        Ok(())
    }

    fn io(&self, action: &'static str, source: std::io::Error) -> StoreError {
        StoreError::Io {
            action,
            path: self.path.to_path_buf(),
            source,
        }
    }

    /// Files a stored blob as the incident's next attachment; returns its number.
    pub fn insert_attachment(
        &self,
        incident_pk: i64,
        name: &str,
        blob_id: i64,
        redactions: u64,
        author: &str,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        let seq: i64 = self.tx.query_row(
            "SELECT coalesce(max(seq), 0) + 1 FROM attachments WHERE incident_pk = ?1",
            [incident_pk],
            |r| r.get(0),
        )?;
        self.insert_attachment_row(
            incident_pk,
            &AttachmentRow {
                seq,
                name: name.to_string(),
                blob_id,
                redactions: redactions as i64,
                added_at: at,
                added_by: author.to_string(),
                uuid: None,
            },
        )?;
        Ok(seq)
    }

    /// Writes an attachment row and indexes its content (once per blob): the one write of
    /// `attachments`, for `attach` and `import` alike.
    pub fn insert_attachment_row(
        &self,
        incident_pk: i64,
        a: &AttachmentRow,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO attachments (incident_pk, seq, name, blob_id, redactions, added_at,
                     added_by, uuid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                incident_pk,
                a.seq,
                a.name,
                a.blob_id,
                a.redactions,
                time::to_rfc3339(a.added_at),
                a.added_by,
                a.uuid
                    .clone()
                    .unwrap_or_else(crate::domain::event::new_uuid),
            ])?;
        super::search::index_blob(&self.tx, a.blob_id)?;
        Ok(())
    }

    /// An incident's attachments, in the order they were attached.
    pub fn attachments(&self, incident_pk: i64) -> Result<Vec<Attachment>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT a.seq, a.name, a.redactions, a.added_at, a.added_by,
                    b.id, b.hash, b.size, b.lines, b.stored
             FROM attachments a JOIN blobs b ON b.id = a.blob_id
             WHERE a.incident_pk = ?1 ORDER BY a.seq",
        )?;
        let rows = stmt
            .query_map([incident_pk], |r| {
                let added_at: String = r.get(3)?;
                Ok(Attachment {
                    seq: r.get(0)?,
                    name: r.get(1)?,
                    redactions: r.get::<_, i64>(2)? as u64,
                    added_at: time::from_rfc3339(&added_at)
                        .ok_or_else(|| super::rows::bad(3, "time", &added_at))?,
                    added_by: r.get(4)?,
                    blob: BlobInfo {
                        id: r.get(5)?,
                        hash: r.get(6)?,
                        size: r.get::<_, i64>(7)? as u64,
                        lines: r.get::<_, i64>(8)? as u64,
                        stored: r.get::<_, i64>(9)? as u64,
                        existed: true,
                    },
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// An incident's command runs, in the order they were run.
    pub fn command_runs(&self, incident_pk: i64) -> Result<Vec<CommandRun>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT r.seq, r.command, r.started_at, r.duration_ms, r.exit_code, r.signal,
                    r.output_bytes, r.output_cap, r.run_by,
                    b.id, b.hash, b.size, b.lines, b.stored
             FROM command_runs r JOIN blobs b ON b.id = r.output_blob_id
             WHERE r.incident_pk = ?1 ORDER BY r.seq",
        )?;
        let rows = stmt
            .query_map([incident_pk], |r| {
                let started_at: String = r.get(2)?;
                Ok(CommandRun {
                    seq: r.get(0)?,
                    command: r.get(1)?,
                    started_at: time::from_rfc3339(&started_at)
                        .ok_or_else(|| super::rows::bad(2, "time", &started_at))?,
                    duration_ms: r.get::<_, i64>(3)?.max(0) as u64,
                    exit_code: r.get(4)?,
                    signal: r.get(5)?,
                    output_bytes: r.get::<_, i64>(6)?.max(0) as u64,
                    output_cap: r.get::<_, i64>(7)?.max(0) as u64,
                    run_by: r.get(8)?,
                    output: BlobInfo {
                        id: r.get(9)?,
                        hash: r.get(10)?,
                        size: r.get::<_, i64>(11)? as u64,
                        lines: r.get::<_, i64>(12)? as u64,
                        stored: r.get::<_, i64>(13)? as u64,
                        existed: true,
                    },
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Records a command run; returns its number within the incident.
    pub fn insert_command_run(
        &self,
        incident_pk: i64,
        run: &NewCommandRun,
        author: &str,
    ) -> Result<i64, StoreError> {
        let seq: i64 = self.tx.query_row(
            "SELECT coalesce(max(seq), 0) + 1 FROM command_runs WHERE incident_pk = ?1",
            [incident_pk],
            |r| r.get(0),
        )?;
        self.insert_command_run_row(
            incident_pk,
            &CommandRunRow {
                seq,
                command: run.command.clone(),
                started_at: run.started_at,
                duration_ms: run.duration_ms as i64,
                exit_code: run.exit_code.map(i64::from),
                signal: run.signal.map(i64::from),
                output_blob_id: run.output_blob_id,
                output_bytes: run.output_bytes as i64,
                output_cap: run.output_cap as i64,
                run_by: author.to_string(),
                uuid: None,
            },
        )?;
        Ok(seq)
    }

    /// Writes a command run row and indexes its command line and output: the one write of
    /// `command_runs`, for `exec` and `import` alike.
    pub fn insert_command_run_row(
        &self,
        incident_pk: i64,
        run: &CommandRunRow,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO command_runs (incident_pk, seq, command, started_at, duration_ms,
                     exit_code, signal, output_blob_id, output_bytes, output_cap, run_by, uuid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                incident_pk,
                run.seq,
                run.command,
                time::to_rfc3339(run.started_at),
                run.duration_ms,
                run.exit_code,
                run.signal,
                run.output_blob_id,
                run.output_bytes,
                run.output_cap,
                run.run_by,
                run.uuid
                    .clone()
                    .unwrap_or_else(crate::domain::event::new_uuid),
            ])?;
        super::search::index_command_run(&self.tx, self.tx.last_insert_rowid())?;
        Ok(())
    }

    /// Removes every blob no attachment or command run refers to.
    pub fn collect_garbage(&self) -> Result<Collected, StoreError> {
        const ORPHANS: &str = "SELECT id FROM blobs
             WHERE id NOT IN (SELECT blob_id FROM attachments)
               AND id NOT IN (SELECT output_blob_id FROM command_runs)";
        let (blobs, stored): (i64, i64) = self.tx.query_row(
            &format!(
                "SELECT count(*), coalesce(sum(stored), 0) FROM blobs WHERE id IN ({ORPHANS})"
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        super::search::forget_blobs(&self.tx, ORPHANS)?;
        let chunks = self.tx.execute(
            &format!("DELETE FROM blob_chunks WHERE blob_id IN ({ORPHANS})"),
            [],
        )?;
        self.tx
            .execute(&format!("DELETE FROM blobs WHERE id IN ({ORPHANS})"), [])?;
        Ok(Collected {
            blobs: blobs as u64,
            chunks: chunks as u64,
            stored: stored as u64,
        })
    }
}

impl Store {
    /// Rewrites the database without its free pages, if it has any, then empties the WAL the
    /// rewrite went through; says whether it did. Outside any transaction (VACUUM cannot run
    /// in one).
    pub fn vacuum(&mut self) -> Result<bool, StoreError> {
        let free: i64 = self.conn.query_row(
            "SELECT freelist_count FROM pragma_freelist_count",
            [],
            |r| r.get(0),
        )?;
        if free == 0 {
            return Ok(false);
        }
        self.conn.execute_batch("VACUUM")?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(input: &[u8]) -> Vec<Vec<u8>> {
        let mut c = Chunker::new(input);
        let mut out = Vec::new();
        while let Some(chunk) = c.next_chunk().unwrap() {
            out.push(chunk.to_vec());
        }
        out
    }

    #[test]
    fn chunks_end_at_a_near_newline_and_join_back_to_the_input() {
        let line = b"0123456789abcdef0123456789abcdef0123456789abcdef012345678\n";
        let input: Vec<u8> = line
            .iter()
            .copied()
            .cycle()
            .take(3 * CHUNK_SIZE + 7)
            .collect();
        let out = chunks(&input);
        assert_eq!(out.concat(), input);
        for c in &out[..out.len() - 1] {
            assert_eq!(c.last(), Some(&b'\n'));
            assert!(c.len() > CHUNK_SIZE - NEAR && c.len() <= CHUNK_SIZE);
        }
    }

    #[test]
    fn a_line_longer_than_a_chunk_is_cut() {
        let input = vec![b'x'; 2 * CHUNK_SIZE + 1];
        let out = chunks(&input);
        assert_eq!(
            out.iter().map(Vec::len).collect::<Vec<_>>(),
            [CHUNK_SIZE, CHUNK_SIZE, 1]
        );
        assert!(chunks(b"").is_empty());
    }
}
