//! `incident sla pause`: the respond and fix clocks stop counting until `sla resume`.

use crate::app::App;
use crate::app::record;
use crate::cmd::args::{IncidentRef, incident_ref};
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
    /// Why the clocks wait (a vendor's ticket, the customer's answer)
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// When the pause began (TIME), not before the last status change [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let number = app.number(&args.number)?;
    let at = app.time(args.at.as_deref())?;
    let incident = app.write(|txn, actor| {
        let mut change = record::begin(txn, actor, "the pause", number, at)?;
        change.pause(&args.reason)?;
        record::save(txn, actor, change)
    })?;
    let paint = Paint::stdout();
    let c = sla::clocks(&incident, app.now);
    output::out(&format!(
        "incident {} SLA clocks paused at {}: {}\n  response {}\n  fix {}\n",
        incident.number,
        display(incident.paused_at.unwrap_or(app.now)),
        incident.pause_reason,
        clock_state(&c.respond, &paint),
        clock_state(&c.resolve, &paint),
    ))
}
