//! Moving incidents between databases: the `incident export` file format and its Markdown
//! sibling. Each incident's rows become plain records ([`record`]) written as one JSON
//! document a line per record ([`json`]) or rendered for people ([`markdown`]); `import` reads
//! the document as a stream ([`read`]) and writes each record through the store's own insert
//! for its table ([`import`]), with logs and command output carried as their stored compressed
//! chunks and verified against their SHA-256 on the way in ([`blob`]).
//!
//! Above the store, below `app` (which holds the transaction and says what happened).

mod base64;
pub mod blob;
mod convert;
pub mod export;
pub mod import;
pub mod json;
pub mod markdown;
pub mod read;
pub mod record;

use crate::store::StoreError;

pub use export::{Counting, Counts, Failure, Format};
pub use read::ImportError;
pub use record::{
    ActionRecord, AttachmentRecord, BlobRecord, ChunkRecord, CommandRunRecord, EventRecord,
    IncidentRecord, ItemRecord, SnapshotRecord,
};

/// The `format` of an export file, and the version this binary writes and reads.
pub const FORMAT: &str = "incident-export";
/// Version 2 carries each incident's impact start (`started_at`); version 1 files, which have
/// none, still import (the impact start is then the detection). Version 3 carries each
/// event's identity (`uuid`); older files' events get the one derived from their content.
/// Version 4 carries the post-mortem's fields (impact, trigger, detection) and the timeline's
/// lessons, post-mortem authors and status, and links; older files have none of them.
/// Version 5 may hold the CANCELLED status and `retraction` events (`incident cancel`,
/// `incident retract`), which an older binary must refuse as a whole rather than half-read.
pub const VERSION: u64 = 5;

/// The largest chunk a file may declare. This binary cuts 64 KiB chunks (earlier ones cut
/// 256 KiB or 1 MiB, which import just as well); the bound keeps a damaged or hostile file from
/// making import allocate without limit.
const MAX_CHUNK: i64 = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// A record that does not hold what it should; the text says which and why.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, TransferError>;

fn invalid(what: impl Into<String>) -> TransferError {
    TransferError::Invalid(what.into())
}
