//! SLA reminders: what the config says about them (when they are due, where they go), what is
//! due at a moment (`due`), and what the deliveries ledger says about each (`ledger`).

pub mod due;
pub mod ledger;

use crate::domain::model::Severity;
use std::time::Duration;

/// `[reminders]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminders {
    /// Remind when each of these shares of a deadline's window has passed (0.75: at 45 min of a
    /// 1 h fix): sorted, no two alike, each in (0, 1). `approaching = x` in the config is `[x]`.
    pub at: Vec<f64>,
    /// While a clock is breached, remind again this often.
    pub repeat_p1: Duration,
    pub repeat_p2: Duration,
    pub repeat_p3: Duration,
    /// An acknowledged, unresolved incident with no timeline entry for this long is stale.
    pub stale: Duration,
    /// `[sla.P1] update_every`: remind when nobody has written an update (a note, a status or a
    /// field change) for this long; none for a severity without a cadence.
    pub update_p1: Option<Duration>,
    pub update_p2: Option<Duration>,
    pub update_p3: Option<Duration>,
}

impl Reminders {
    pub fn repeat(&self, severity: Severity) -> Duration {
        match severity {
            Severity::P1 => self.repeat_p1,
            Severity::P2 => self.repeat_p2,
            Severity::P3 => self.repeat_p3,
        }
    }

    /// The update cadence of a severity, if it has one.
    pub fn update_every(&self, severity: Severity) -> Option<Duration> {
        match severity {
            Severity::P1 => self.update_p1,
            Severity::P2 => self.update_p2,
            Severity::P3 => self.update_p3,
        }
    }

    pub fn update_every_mut(&mut self, severity: Severity) -> &mut Option<Duration> {
        match severity {
            Severity::P1 => &mut self.update_p1,
            Severity::P2 => &mut self.update_p2,
            Severity::P3 => &mut self.update_p3,
        }
    }
}

/// Who `incident remind` records the timeline's SLA entries as when no author is configured.
/// Nothing it writes is an update from a person (see [`due::Subject::last_update`]).
pub const REMIND_AUTHOR: &str = "incident remind";

impl Default for Reminders {
    fn default() -> Self {
        Reminders {
            at: vec![0.75],
            repeat_p1: Duration::from_secs(15 * 60),
            repeat_p2: Duration::from_secs(3_600),
            repeat_p3: Duration::from_secs(4 * 3_600),
            stale: Duration::from_secs(2 * 3_600),
            update_p1: None,
            update_p2: None,
            update_p3: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    /// Slack's Block Kit with the line as its `text`: what Slack takes, and Mattermost and
    /// Rocket.Chat incoming webhooks (which show the `text`).
    Slack,
    /// The reminder as structured JSON.
    Json,
    /// An Adaptive Card for a Microsoft Teams workflow webhook.
    Teams,
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
