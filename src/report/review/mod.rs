//! The weekly review: counts, times, SLA compliance and recurring problems over a window,
//! next to the window before it.
//!
//! The store aggregates (src/store/review/); this module chooses the windows (`window`), turns
//! the aggregates into the template context (`context`: figures with their change against the
//! previous window, worded by `wording`, so templates stay simple) and lays out the charts' SVG
//! geometry (`charts`).

mod charts;
mod context;
mod window;
mod wording;

pub use context::{build, context};
pub use window::{Window, WindowError};
