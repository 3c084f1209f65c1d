//! `incident`: a local-first incident workflow and log for on-call teams, in one SQLite file.
//!
//! # Module map
//!
//! Layers, lowest first: a module uses only modules listed before it, never one after it
//! (`tests/it/layers.rs` checks; ARCHITECTURE.md walks a write, a collection and a report
//! through them):
//!
//! - [`domain`]: incidents, the timeline and the one projection of its events onto an
//!   incident, the lifecycle's rules, SLA clocks, reminder schedules. Pure: no I/O, no SQL,
//!   nothing printed.
//! - [`evidence`]: what a snapshot holds and what to collect; findings, diffs, the health score,
//!   redaction. Pure.
//! - [`store`]: the SQLite file behind a transaction API. SQL only; owns its row and return
//!   types; prints nothing. `store::files` creates every file (0600) and directory (0700) the
//!   tool writes.
//! - [`collect`]: the collectors (Kubernetes, MySQL/MariaDB, PostgreSQL, Redis, commands): with
//!   `team`, the only async network I/O. Progress goes to a callback.
//! - [`config`]: settings from flags, environment, file and defaults, resolved in one place.
//! - [`report`]: JSON views and template contexts; the post-mortem, review and reminder text.
//! - [`notify`]: delivering a reminder to a webhook or a command.
//! - [`transfer`]: the export file format: records, their JSON reader and writer, the
//!   Markdown rendering. Writes through the store's inserts, the same the commands use.
//! - [`team`]: the team log in PostgreSQL that working copies share: its schema, and the
//!   connection every sync uses. Async network I/O, like `collect`; bounded by a timeout;
//!   prints nothing.
//! - [`app`]: orchestration shared by commands: the write path, snapshots into incidents,
//!   redaction set-up, reminder rounds, the health monitor. Prints nothing.
//! - [`serve`]: `incident serve`'s HTTP server (axum on tokio): the Alertmanager intake and
//!   health endpoint, over `app`. Prints nothing.
//! - [`ui`]: the terminal: output, colours, progress, the text of clocks and evidence, the one
//!   command error with its hint and exit code.
//! - [`cmd`]: the command line: one file per subcommand (`Args` and `run`), dispatched from one
//!   enum. A command never uses another command.

// Date and duration arithmetic is checked or capped everywhere: `+`/`-` on a chrono time or span,
// a std or tokio `Duration` or `Instant`, panics on overflow, and a config value or a stored time
// can be anything. clippy.toml exempts operators on two integers of one type, so this finds
// exactly those operators (CI denies warnings); tests may use them freely.
#![cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]

pub mod app;
pub mod cmd;
pub mod collect;
pub mod config;
pub mod domain;
pub mod evidence;
pub mod notify;
pub mod report;
pub mod serve;
pub mod store;
pub mod team;
pub mod transfer;
pub mod ui;
