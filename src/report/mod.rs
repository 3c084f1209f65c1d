//! Reports drafted from what was recorded: the JSON views (`--json` and template contexts), the
//! post-mortem, the weekly review and the reminder text, rendered from minijinja templates.

pub mod board;
pub mod chat;
pub mod markdown;
pub mod postmortem;
pub mod reminder;
pub mod render;
pub mod review;
pub mod view;
