//! `incident reopen`: the problem is back (or a cancelled incident was real after all); a
//! resolved, closed or cancelled incident returns to INVESTIGATING.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::app::record;
use crate::domain::sla;
use crate::ui::clock::clock_line;
use crate::ui::error::CommandError;
use crate::ui::output::{self, Paint};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// Why it is reopened
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// When it came back (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let number = app.number(&args.number)?;
    let at = app.time(args.at.as_deref())?;
    let incident = app.write(|txn, actor| {
        let mut change = record::begin(txn, actor, "the reopening", number, at)?;
        change.reopen(args.reason.as_deref().unwrap_or(""))?;
        record::save(txn, actor, change)
    })?;
    let paint = Paint::stdout();
    let c = sla::clocks(&incident, app.now);
    output::out(&format!(
        "incident {} reopened: INVESTIGATING\n  fix {}\n",
        incident.number,
        clock_line(&c.resolve, &paint)
    ))
}
