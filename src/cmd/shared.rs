//! Pieces several commands print: SLA clocks in words, and reading text arguments.

use super::App;
use crate::error::CommandError;
use crate::model::{Event, Incident};
use crate::output::Paint;
use crate::sla::{Clock, ClockState};
use crate::time::{display, human_duration};
use crate::workflow::WorkflowError;
use std::io::Read;

/// A clock in words: `12m left`, `OVERDUE by 2h`, `met with 5m to spare`, `BREACHED by 1h`.
pub fn clock_state(c: &Clock, paint: &Paint) -> String {
    let d = human_duration(c.margin);
    match c.state {
        ClockState::Running => format!("{d} left"),
        ClockState::Overdue => paint.red(&format!("OVERDUE by {d}")),
        ClockState::Met => paint.green(&format!("met with {d} to spare")),
        ClockState::Breached => paint.red(&format!("BREACHED by {d}")),
    }
}

/// `by 2026-11-29 10:15 (12m left)`.
pub fn clock_line(c: &Clock, paint: &Paint) -> String {
    format!("by {} ({})", display(c.deadline), clock_state(c, paint))
}

/// One incident and its whole timeline, read in one transaction.
pub fn incident_and_timeline(
    app: &App,
    number: i64,
) -> Result<(Incident, Vec<Event>), CommandError> {
    app.read(|txn| {
        let incident = txn
            .incident(number)?
            .ok_or(WorkflowError::NotFound(number))?;
        let timeline = txn.timeline(incident.pk)?;
        Ok((incident, timeline))
    })
}

/// A TEXT argument; `-` reads it from stdin, so `kubectl logs … | incident note 12 -` works.
pub fn text_arg(arg: &str) -> Result<String, CommandError> {
    if arg != "-" {
        return Ok(arg.to_string());
    }
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .map_err(|e| CommandError::new(format!("cannot read stdin: {e}")))?;
    String::from_utf8(buf).map_err(|_| {
        CommandError::new("stdin is not UTF-8 text")
            .with_hint("notes take text; attach binary logs as files")
    })
}
