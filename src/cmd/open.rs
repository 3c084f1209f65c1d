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
    /// Do not take a diagnostic snapshot, even if collectors are configured
    #[arg(long)]
    pub no_snapshot: bool,
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
    let paint = Paint::stdout();
    if !args.json {
        // Printed before the snapshot starts: the number is what a responder needs first.
        let c = sla::clocks(&incident, policy, app.now);
        output::out(&format!(
            "{} {}: {} {}\n  respond {}\n  fix     {}\n",
            paint.bold("incident"),
            paint.bold(&incident.number.to_string()),
            incident.severity,
            incident.title,
            clock_line(&c.respond, &paint),
            clock_line(&c.resolve, &paint),
        ))?;
    }
    let collectors = &app.settings.collectors;
    let snapshot = if !args.no_snapshot && collectors.on_open && !collectors.is_empty() {
        super::snapshot::take_or_warn(app, &incident)
    } else {
        None
    };
    if args.json {
        let mut v = crate::view::incident(&incident, policy, app.now);
        v["snapshot"] = snapshot
            .map(|(seq, s)| serde_json::json!({"seq": seq, "summary": s.summary}))
            .unwrap_or_default();
        return output::out_json(&v);
    }
    if let Some((seq, snap)) = snapshot {
        output::out(&format!("  snapshot {seq}: {}\n", snap.summary))?;
        output::out(&super::evidence::findings_text(&snap.findings, &paint))?;
    }
    Ok(())
}
