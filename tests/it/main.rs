//! The integration tests, compiled as one test binary (`--test it`) so that kube, sqlx and
//! tokio are linked once rather than once per file. Each file is a module: filter by it, e.g.
//! `cargo test --test it -- lifecycle::`.

mod common;

mod actions;
mod attach;
mod author;
mod bounds;
mod cadence;
mod calendar_clocks;
mod calendars;
mod collectors;
mod concurrency;
mod config_fuzz;
mod doctor;
mod dry_run;
mod errors;
mod evidence;
mod exec;
mod first_hour;
mod health;
mod history;
mod import_checks;
mod import_fuzz;
mod kinds;
mod kubernetes;
mod layers;
mod lifecycle;
mod output;
mod pause;
mod postmortem;
mod postmortem_fields;
mod postmortem_golden;
mod projection;
mod readme;
mod redaction;
mod redaction_edges;
mod remind;
mod review;
mod roles;
mod search;
mod search_postmortem;
mod serve;
mod similar;
mod storage;
mod team;
mod team_auth;
mod team_merge;
mod team_purge;
mod team_remind;
mod team_share;
mod templates;
mod transfer;
mod undo;
