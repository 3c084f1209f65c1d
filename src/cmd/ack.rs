//! `incident ack`: someone is on it; the response clock stops.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::app::record;
use crate::domain::sla;
use crate::domain::time::display;
use crate::ui::clock::clock_state;
use crate::ui::error::CommandError;
use crate::ui::output::{self, Paint};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// When it was acknowledged (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let number = app.number(&args.number)?;
    let at = app.time(args.at.as_deref())?;
    let incident = app.write(|txn, actor| {
        let mut change = record::begin(txn, actor, "the acknowledgement", number, at)?;
        change.ack()?;
        record::save(txn, actor, change)
    })?;
    let paint = Paint::stdout();
    let c = sla::clocks(&incident, app.now);
    output::out(&format!(
        "incident {} acknowledged at {}: response {}\n  fix by {} ({})\n",
        incident.number,
        display(c.respond.stopped_at.unwrap_or(app.now)),
        clock_state(&c.respond, &paint),
        display(c.resolve.deadline),
        clock_state(&c.resolve, &paint),
    ))
}
