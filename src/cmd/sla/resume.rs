//! `incident sla resume`: the clocks `sla pause` held run again, their deadlines moved by
//! the pause.

use crate::app::App;
use crate::app::record;
use crate::cmd::args::{IncidentRef, incident_ref};
use crate::domain::sla;
use crate::ui::clock::clock_line;
use crate::ui::error::CommandError;
use crate::ui::output::{self, Paint};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// When the clocks ran again (TIME), not before the pause [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let number = app.number(&args.number)?;
    let at = app.time(args.at.as_deref())?;
    let incident = app.write(|txn, actor| {
        let mut change = record::begin(txn, actor, "the resume", number, at)?;
        change.resume()?;
        record::save(txn, actor, change)
    })?;
    let paint = Paint::stdout();
    let c = sla::clocks(&incident, app.now);
    output::out(&format!(
        "incident {} SLA clocks resumed\n  respond {}\n  fix     {}\n",
        incident.number,
        clock_line(&c.respond, &paint),
        clock_line(&c.resolve, &paint),
    ))
}
