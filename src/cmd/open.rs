//! `incident open`: record a new incident and start both SLA clocks.

use super::App;
use super::shared::clock_line;
use crate::error::CommandError;
use crate::model::Severity;
use crate::output::{self, Paint};
use crate::sla;
use crate::workflow::{self, NewIncident};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// P1 (critical), P2 (high) or P3 (medium)
    pub severity: String,
    /// What is wrong, in a line
    pub title: String,
    /// More detail (`-` reads stdin)
    #[arg(long, short)]
    pub description: Option<String>,
    /// When it started (TIME); the SLA clocks count from here [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// When it was first noticed, if earlier than --at (TIME)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub detected: Option<String>,
    /// Print the new incident as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let severity: Severity = args.severity.parse()?;
    let description = args
        .description
        .as_deref()
        .map(super::shared::text_arg)
        .transpose()?
        .unwrap_or_default();
    let new = NewIncident {
        severity,
        title: args.title,
        description,
        opened_at: app.time(args.at.as_deref())?,
        detected_at: app.time(args.detected.as_deref())?,
    };
    let incident = app.write(|txn, actor| workflow::open(txn, actor, new))?;
    let policy = &app.settings.policy;
    if args.json {
        return output::out_json(&crate::view::incident(&incident, policy, app.now));
    }
    let paint = Paint::stdout();
    let c = sla::clocks(&incident, policy, app.now);
    output::out(&format!(
        "{} {}: {} {}\n  respond {}\n  fix     {}\n",
        paint.bold("incident"),
        paint.bold(&incident.number.to_string()),
        incident.severity,
        incident.title,
        clock_line(&c.respond, &paint),
        clock_line(&c.resolve, &paint),
    ))
}
