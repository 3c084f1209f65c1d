//! Attaching logs to an incident (`incident attach`): each one streamed into the store a chunk
//! at a time, redacted, compressed and stored once however often the same content comes, all
//! of them in one transaction.

use super::{App, AppError, record};
use crate::domain::model::Number;
use crate::evidence::redact::{Redactor, Tally};
use crate::store::{BlobInfo, Chunker, StoreError, Txn};
use sha2::{Digest, Sha256};
use std::io::Read;

/// A log to attach: the name it is listed under and where to read it.
pub struct Source {
    pub name: String,
    pub reader: Box<dyn Read>,
}

/// A log that was attached.
#[derive(Debug, Clone)]
pub struct Attached {
    pub name: String,
    /// Its number within the incident.
    pub seq: i64,
    pub blob: BlobInfo,
    /// SHA-256 of the log as it was read, before redaction (lowercase hex): the blob's own hash
    /// when nothing was redacted.
    pub original_hash: String,
    /// What redaction changed: lines, and secrets by rule.
    pub redacted: Tally,
}

/// Why nothing was attached.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("cannot read {name}: {source}")]
    Read {
        name: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<StoreError> for AttachError {
    fn from(e: StoreError) -> Self {
        AttachError::App(e.into())
    }
}

impl AttachError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            AttachError::Read { .. } => Some("nothing was attached".into()),
            AttachError::App(e) => e.hint(),
        }
    }
}

/// Attaches every source to incident `number` in one transaction: all are attached or, on an
/// error or Ctrl-C, none.
pub fn attach(
    app: &App,
    number: Number,
    sources: Vec<Source>,
) -> Result<Vec<Attached>, AttachError> {
    let redactor = super::redaction::redactor(app);
    app.write_with(|txn, actor| {
        let mut change = record::begin(txn, actor, "the attachment", number, None)?;
        let mut attached = Vec::new();
        for source in sources {
            let stored = store_redacted(txn, &source.name, source.reader, &redactor)?;
            let blob = stored.blob;
            let seq = txn.insert_attachment(
                change.incident.pk,
                &source.name,
                blob.id,
                stored.redacted.secrets(),
                &actor.author,
                actor.now,
            )?;
            change.attachment(seq, &source.name, blob.size, blob.lines, &blob.hash);
            attached.push(Attached {
                name: source.name,
                seq,
                blob,
                original_hash: stored.original_hash,
                redacted: stored.redacted,
            });
        }
        record::save(txn, actor, change)?;
        Ok(attached)
    })
}

/// A log streamed into the store: its blob, the hash of what was read, and what redaction
/// changed.
pub struct Stored {
    pub blob: BlobInfo,
    pub original_hash: String,
    pub redacted: Tally,
}

/// Streams `reader` (called `name` in errors) into a new blob a chunk at a time, each chunk's
/// lines redacted (a line cut between chunks waits to be whole; a private key open at a chunk's
/// end stays open into the next), so that a 1 GB log never sits in memory. Both the original
/// and the stored content are hashed as they pass.
pub fn store_redacted(
    txn: &Txn,
    name: &str,
    reader: impl Read,
    redactor: &Redactor,
) -> Result<Stored, AttachError> {
    let mut writer = txn.blob_writer()?;
    let mut chunker = Chunker::new(reader);
    let mut stream = redactor.stream();
    let mut original = Sha256::new();
    loop {
        let chunk = chunker.next_chunk().map_err(|source| AttachError::Read {
            name: name.to_string(),
            source,
        })?;
        let Some(chunk) = chunk else { break };
        original.update(chunk);
        writer.push(&stream.push(chunk))?;
    }
    let (last, redacted) = stream.finish();
    writer.push(&last)?;
    let original_hash = original
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Stored {
        blob: writer.finish()?,
        original_hash,
        redacted,
    })
}
