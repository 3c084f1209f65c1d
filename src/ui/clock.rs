//! SLA clocks in words, as every command that changes or shows an incident prints them.

use crate::domain::sla::{Clock, ClockState};
use crate::domain::time::{display, human_duration};
use crate::ui::output::Paint;

/// A clock in words: `12m left`, `OVERDUE by 2h`, `met with 5m to spare`, `BREACHED by 1h`.
pub fn clock_state(c: &Clock, paint: &Paint) -> String {
    let d = human_duration(c.margin);
    match c.state {
        ClockState::Running => format!("{d} left"),
        ClockState::Overdue => paint.red(&format!("OVERDUE by {d}")),
        ClockState::Met => paint.green(&format!("met with {d} to spare")),
        ClockState::Breached => paint.red(&format!("BREACHED by {d}")),
        ClockState::Paused => paint.yellow(&format!("PAUSED with {d} left")),
    }
}

/// `by 2026-11-29 10:15 (12m left)`.
pub fn clock_line(c: &Clock, paint: &Paint) -> String {
    format!("by {} ({})", display(c.deadline), clock_state(c, paint))
}
