//! Reports drafted from what was recorded: the post-mortem and the weekly review.

pub mod postmortem;
pub mod review;
