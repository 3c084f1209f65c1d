//! A blob (a log, a command's output) read from an export file: each chunk checked (its order,
//! line count, size and that it decompresses) and stored as it arrives, unless the content is
//! already here; the whole checked against its declared SHA-256 and sizes at the end.

use super::record::{BlobRecord, ChunkRecord, is_sha256};
use super::{MAX_CHUNK, Result, invalid};
use crate::store::{StoreError, Txn};
use sha2::{Digest, Sha256};

/// A blob being read from a file: stored chunk by chunk, or only checked when its content is
/// already here.
pub struct BlobImport<'t, 'a> {
    txn: &'t Txn<'a>,
    declared: BlobRecord,
    /// The new blob's row; None when the content is already stored.
    id: Option<i64>,
    existing: Option<i64>,
    hasher: Sha256,
    seq: i64,
    size: i64,
    newlines: i64,
    ends_with_newline: bool,
    stored: i64,
    decompressor: zstd::bulk::Decompressor<'static>,
}

/// A blob imported, or found already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportedBlob {
    pub id: i64,
    pub existed: bool,
    /// Uncompressed and compressed bytes.
    pub size: u64,
    pub stored: u64,
}

impl<'t, 'a> BlobImport<'t, 'a> {
    /// Starts importing a blob the file declares; its content is checked against the declared
    /// hash as it arrives, and stored only if no blob here has that hash.
    pub fn start(txn: &'t Txn<'a>, declared: BlobRecord) -> Result<BlobImport<'t, 'a>> {
        if !is_sha256(&declared.sha256) {
            return Err(invalid(format!(
                "'{}' is not a SHA-256 of content",
                declared.sha256
            )));
        }
        let existing = txn.blob(&declared.sha256)?.map(|b| b.id);
        let id = match existing {
            Some(_) => None,
            None => Some(txn.insert_blob(&declared.sha256)?),
        };
        let decompressor = zstd::bulk::Decompressor::new().map_err(|e| StoreError::Io {
            action: "start decompressing for",
            path: txn.path().to_path_buf(),
            source: e,
        })?;
        Ok(BlobImport {
            txn,
            declared,
            id,
            existing,
            hasher: Sha256::new(),
            seq: 0,
            size: 0,
            newlines: 0,
            ends_with_newline: false,
            stored: 0,
            decompressor,
        })
    }

    /// Checks the next chunk (its order, line count, size and that it decompresses) and stores
    /// it unless the content is already here.
    pub fn push(&mut self, chunk: ChunkRecord) -> Result<()> {
        let hash = &self.declared.sha256;
        let bad =
            |why: String| invalid(format!("content sha256 {hash}: chunk {}: {why}", chunk.seq));
        if chunk.seq != self.seq {
            return Err(bad(format!("expected chunk {} here", self.seq)));
        }
        if chunk.first_line != self.newlines + 1 {
            return Err(bad(format!(
                "it starts at line {}, not {}",
                chunk.first_line,
                self.newlines + 1
            )));
        }
        if !(1..=MAX_CHUNK).contains(&chunk.size) {
            return Err(bad(format!("its size {} is out of range", chunk.size)));
        }
        let plain = self
            .decompressor
            .decompress(&chunk.zstd, chunk.size as usize)
            .map_err(|e| bad(format!("it does not decompress: {e}")))?;
        if plain.len() as i64 != chunk.size {
            return Err(bad(format!(
                "it holds {} bytes, not the {} it declares",
                plain.len(),
                chunk.size
            )));
        }
        let lines = plain.iter().filter(|b| **b == b'\n').count() as i64;
        if lines != chunk.lines {
            return Err(bad(format!(
                "it holds {lines} lines, not the {} it declares",
                chunk.lines
            )));
        }
        let (size, stored) = (chunk.size, chunk.zstd.len() as i64);
        if let Some(id) = self.id {
            self.txn.insert_chunk(id, &chunk.into())?;
        }
        self.hasher.update(&plain);
        self.seq += 1;
        self.size += size;
        self.newlines += lines;
        self.ends_with_newline = plain.last() == Some(&b'\n');
        self.stored += stored;
        Ok(())
    }

    /// Checks the whole content against its declared hash and sizes.
    pub fn finish(self) -> Result<ImportedBlob> {
        let hash: String = self
            .hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let declared = &self.declared;
        if hash != declared.sha256 {
            return Err(invalid(format!(
                "content sha256 {} does not match its data (sha256 {hash}): the file is damaged",
                declared.sha256
            )));
        }
        let lines = self.newlines + i64::from(self.size > 0 && !self.ends_with_newline);
        if (self.size, lines, self.stored) != (declared.size, declared.lines, declared.stored) {
            return Err(invalid(format!(
                "content sha256 {}: declares {} bytes, {} lines, {} stored, but holds {}, {}, {}",
                declared.sha256,
                declared.size,
                declared.lines,
                declared.stored,
                self.size,
                lines,
                self.stored
            )));
        }
        let id = match (self.id, self.existing) {
            (Some(id), _) => {
                self.txn.set_blob(
                    id,
                    &declared.sha256,
                    self.size as u64,
                    lines as u64,
                    self.stored as u64,
                )?;
                id
            }
            (None, Some(id)) => id,
            (None, None) => unreachable!("a blob import is either new or already stored"),
        };
        Ok(ImportedBlob {
            id,
            existed: self.existing.is_some(),
            size: self.size as u64,
            stored: self.stored as u64,
        })
    }
}
