//! The domain: incidents, their timeline, the lifecycle's rules, SLA clocks and reminder
//! schedules. Pure logic: no I/O, no SQL, nothing printed; everything above builds on it.

pub mod calendar;
pub mod env;
pub mod event;
pub mod explain;
pub mod intake;
pub mod model;
pub mod postmortem;
pub mod projection;
pub mod remind;
pub mod retract;
pub mod roles;
pub mod similar;
pub mod sla;
pub mod terms;
pub mod text;
pub mod time;
pub mod workflow;
