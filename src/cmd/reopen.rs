//! `incident reopen`: the problem is back; a resolved or closed incident returns to INVESTIGATING.

use super::App;
use super::shared::clock_line;
use crate::cli::incident_number;
use crate::error::CommandError;
use crate::output::{self, Paint};
use crate::sla;
use crate::workflow::Change;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident number
    #[arg(value_parser = incident_number)]
    pub number: i64,
    /// Why it is reopened
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// When it came back (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let at = app.time(args.at.as_deref())?;
    let incident = app.write(|txn, actor| {
        let mut change = Change::begin(txn, actor, "the reopening", args.number, at)?;
        change.reopen(args.reason.as_deref().unwrap_or(""))?;
        change.save(txn, actor)
    })?;
    let paint = Paint::stdout();
    let c = sla::clocks(&incident, &app.settings.policy, app.now);
    output::out(&format!(
        "incident {} reopened: INVESTIGATING\n  fix {}\n",
        incident.number,
        clock_line(&c.resolve, &paint)
    ))
}
