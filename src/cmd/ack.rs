//! `incident ack`: someone is on it; the response clock stops.

use super::App;
use super::shared::clock_state;
use crate::cli::incident_number;
use crate::error::CommandError;
use crate::output::{self, Paint};
use crate::sla;
use crate::time::display;
use crate::workflow::Change;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident number
    #[arg(value_parser = incident_number)]
    pub number: i64,
    /// When it was acknowledged (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let at = app.time(args.at.as_deref())?;
    let incident = app.write(|txn, actor| {
        let mut change = Change::begin(txn, actor, "the acknowledgement", args.number, at)?;
        change.ack()?;
        change.save(txn, actor)
    })?;
    let paint = Paint::stdout();
    let c = sla::clocks(&incident, &app.settings.policy, app.now);
    output::out(&format!(
        "incident {} acknowledged at {}: response {}\n  fix by {} ({})\n",
        incident.number,
        display(c.respond.stopped_at.unwrap_or(app.now)),
        clock_state(&c.respond, &paint),
        display(c.resolve.deadline),
        clock_state(&c.resolve, &paint),
    ))
}
