//! Evidence: what a snapshot holds (the collectors' typed data), what to collect, and the pure
//! readings of it — findings, the diff of two snapshots, the health score — and redaction.

pub mod data;
pub mod diff;
pub mod findings;
pub mod health;
pub mod redact;
pub mod settings;
pub mod snapshot;
