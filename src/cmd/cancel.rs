//! `incident cancel`: the incident was opened by mistake, is noise, or duplicates another. It
//! stays in the timeline with its reason; its SLA clocks stop, neither met nor breached, and
//! it leaves `list`, `remind`, `sla` and the review's figures.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::app::record;
use crate::ui::error::CommandError;
use crate::ui::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// Why: opened by mistake, noise, a duplicate
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// The incident this one duplicates
    #[arg(long, value_name = "M", value_parser = incident_ref)]
    pub duplicate_of: Option<IncidentRef>,
    /// When it was cancelled (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let number = app.number(&args.number)?;
    let duplicate_of = args
        .duplicate_of
        .as_ref()
        .map(|r| app.number(r))
        .transpose()?;
    if duplicate_of == Some(number) {
        return Err(CommandError::new(format!(
            "incident {number} cannot be a duplicate of itself"
        ))
        .with_hint("--duplicate-of names the other incident"));
    }
    let at = app.time(args.at.as_deref())?;
    let incident = app.write(|txn, actor| {
        // The other incident must exist: a cancellation naming none would mislead.
        if let Some(other) = duplicate_of {
            record::load(txn, other)?;
        }
        let mut change = record::begin(txn, actor, "the cancellation", number, at)?;
        change.cancel(&args.reason, duplicate_of)?;
        record::save(txn, actor, change)
    })?;
    output::out(&format!(
        "incident {} cancelled: its SLA clocks stopped, neither met nor breached; `incident reopen {}` brings it back\n",
        incident.number, incident.number
    ))
}
