//! The terminal: data to stdout, status and hints to stderr, colour only on a terminal; the
//! text of clocks, evidence and health; the one error a command ends with.

pub mod clock;
pub mod error;
pub mod evidence;
pub mod health;
pub mod output;
pub mod postmortem;
pub mod progress;
pub mod report;
pub mod similar;
pub mod watch;
