//! SLA reminders: what the config says about them (when they are due, where they go), what is
//! due at a moment (`due`), and what the deliveries ledger says about each (`ledger`).

pub mod due;
pub mod ledger;

use crate::domain::model::Severity;
use std::time::Duration;

/// `[reminders]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminders {
    /// Remind when this share of a deadline's window has passed (0.75: at 45 min of a 1 h fix).
    pub approaching: f64,
    /// While a clock is breached, remind again this often.
    pub repeat_p1: Duration,
    pub repeat_p2: Duration,
    pub repeat_p3: Duration,
    /// An acknowledged, unresolved incident with no timeline entry for this long is stale.
    pub stale: Duration,
}

impl Reminders {
    pub fn repeat(&self, severity: Severity) -> Duration {
        match severity {
            Severity::P1 => self.repeat_p1,
            Severity::P2 => self.repeat_p2,
            Severity::P3 => self.repeat_p3,
        }
    }
}

impl Default for Reminders {
    fn default() -> Self {
        Reminders {
            approaching: 0.75,
            repeat_p1: Duration::from_secs(15 * 60),
            repeat_p2: Duration::from_secs(3_600),
            repeat_p3: Duration::from_secs(4 * 3_600),
            stale: Duration::from_secs(2 * 3_600),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    /// `{"text": "…"}`, what Slack, Mattermost and Rocket.Chat incoming webhooks take.
    Slack,
    /// The reminder as structured JSON.
    Json,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChannelKind {
    Webhook {
        url: String,
        format: WebhookFormat,
    },
    /// The message is written to the command's stdin (`mail`, `notify-send`, a script).
    Command {
        run: Vec<String>,
    },
}

/// One `[[notify]]` entry. stdout is always a channel besides these.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// Unique; what deliveries are recorded under (`webhook-1` when the config names none).
    pub name: String,
    pub kind: ChannelKind,
    pub timeout: Duration,
}
