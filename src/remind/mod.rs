//! SLA reminders: what is due (approaching and breached deadlines, repeats while breached,
//! post-mortems and action items overdue, stale incidents), delivered exactly once per channel.

pub mod deliver;
pub mod due;
pub mod ledger;
pub mod message;
pub mod round;
pub mod settings;

pub use settings::{Channel, ChannelKind, Reminders, WebhookFormat};
