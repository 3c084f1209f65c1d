//! SLA clocks in words, as every command that changes or shows an incident prints them.

use crate::domain::explain::{Cause, History, Step, Under};
use crate::domain::sla::{Clock, ClockState};
use crate::domain::time::{Timestamp, display, human_duration};
use crate::ui::output::Paint;

/// A clock in words: `12m left`, `OVERDUE by 2h`, `met with 5m to spare`, `BREACHED by 1h`.
pub fn clock_state(c: &Clock, paint: &Paint) -> String {
    let words = c.words();
    match c.state {
        ClockState::Overdue | ClockState::Breached => paint.red(&words),
        ClockState::Met => paint.green(&words),
        ClockState::Paused => paint.yellow(&words),
        ClockState::Running | ClockState::Cancelled => words,
    }
}

/// `by 2026-11-29 10:15 (12m left)`.
pub fn clock_line(c: &Clock, paint: &Paint) -> String {
    format!("by {} ({})", display(c.deadline), clock_state(c, paint))
}

/// `incident sla explain` in words: each clock's steps, one line each, oldest first.
pub fn explain_text(histories: &[History], paint: &Paint) -> String {
    let mut s = String::new();
    for h in histories {
        s.push_str(&format!(
            "{}\n",
            paint.bold(&h.clock.label().to_uppercase())
        ));
        if h.steps.is_empty() {
            s.push_str("  not started: it runs from the resolution\n");
        }
        for step in &h.steps {
            let (at, text) = step_text(step);
            s.push_str(&format!("  {}  {text}\n", display(at)));
        }
    }
    s
}

/// Open time in hours and minutes, never days: `72h`, `23h 30m`.
fn open_hours(seconds: u64) -> String {
    let (h, m) = (seconds / 3_600, seconds % 3_600 / 60);
    match (h, m) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m}m"),
    }
}

fn secs(n: u64) -> String {
    human_duration(i64::try_from(n).unwrap_or(i64::MAX))
}

/// "target 24h on business (Mon-Fri 09:00-17:00, Europe/Berlin), 96h closed skipped, due …",
/// and for an incident recorded before terms were kept, that it follows the config.
fn terms_text(under: &Under, deadline: Timestamp) -> String {
    let mut text = match &under.calendar {
        // Open hours are not days: 72 hours on 09:00-17:00 take nine working days.
        Some(_) => format!("target {}", open_hours(under.target_seconds)),
        None => format!("target {}", secs(under.target_seconds)),
    };
    match &under.calendar {
        Some(calendar) => {
            text.push_str(&format!(" on calendar {calendar}"));
            if under.closed_seconds > 0 {
                text.push_str(&format!(
                    ", {} of closed hours skipped",
                    secs(under.closed_seconds)
                ));
            }
        }
        None => text.push_str(" (24x7)"),
    }
    text.push_str(&format!(", due {}", display(deadline)));
    if !under.recorded {
        text.push_str(
            " (recorded before SLA terms were kept in the timeline: follows the config as it is now)",
        );
    }
    text
}

/// One step: when, and what happened to the clock.
fn step_text(step: &Step) -> (Timestamp, String) {
    match step {
        Step::Started {
            at,
            cause,
            severity,
            under,
            deadline,
        } => {
            let why = match cause {
                Cause::Detection => "started at the detection",
                Cause::Resolution => "started at the resolution",
                Cause::Reopening => "running again after the reopening",
            };
            let text = format!("{why}: {severity} {}", terms_text(under, *deadline));
            (*at, text)
        }
        Step::SeverityChanged {
            at,
            from,
            to,
            under,
            deadline,
        } => (
            *at,
            format!("severity {from} → {to}: {}", terms_text(under, *deadline)),
        ),
        Step::Paused {
            at,
            reason,
            breached,
        } => {
            let note = if *breached {
                " (already breached: it stays breached)"
            } else {
                ""
            };
            (*at, format!("paused: {reason}{note}"))
        }
        Step::Resumed {
            at,
            paused_seconds,
            deadline,
        } => (
            *at,
            format!(
                "resumed after {} paused: due {}",
                secs(*paused_seconds),
                display(*deadline)
            ),
        ),
        Step::Cancelled { at } => (*at, "called off by the reopening".into()),
        Step::Stopped {
            at,
            state,
            severity,
            margin_seconds,
            deadline,
        }
        | Step::Now {
            at,
            state,
            severity,
            margin_seconds,
            deadline,
        } => {
            let c = Clock {
                deadline: *deadline,
                stopped_at: None,
                state: *state,
                margin: *margin_seconds,
            };
            let head = match step {
                Step::Stopped { .. } => "stopped",
                _ => "now",
            };
            let text = format!(
                "{head}: {} under {severity} (due {})",
                clock_state(&c, &Paint::plain()),
                display(*deadline)
            );
            (*at, text)
        }
    }
}
