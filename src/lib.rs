//! `incident`: a local-first incident workflow and log for on-call teams, in one SQLite file.

pub mod cli;
pub mod cmd;
pub mod collect;
pub mod config;
pub mod diff;
pub mod error;
pub mod findings;
pub mod health;
pub mod model;
pub mod monitor;
pub mod output;
pub mod redact;
pub mod remind;
pub mod render;
pub mod report;
pub mod similar;
pub mod sla;
pub mod snapshot;
pub mod store;
pub mod time;
pub mod view;
pub mod workflow;
