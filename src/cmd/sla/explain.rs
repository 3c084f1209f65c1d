//! `incident sla explain`: each clock's history (start and why, severity changes, pauses,
//! the deadline, how it ended and under which severity), from the timeline alone.

use crate::app::App;
use crate::app::record;
use crate::cmd::args::{IncidentRef, incident_ref};
use crate::domain::explain;
use crate::ui::clock::explain_text;
use crate::ui::error::CommandError;
use crate::ui::output::{self, Paint};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// Tell the story up to this moment (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    // What teammates recorded first (within the team timeout; never fails the command).
    app.refresh();
    let number = app.number(&args.number)?;
    let at = app.time(args.at.as_deref())?.unwrap_or(app.now);
    let (incident, timeline) = app.read(|txn| {
        let incident = record::load(txn, number)?;
        let timeline = txn.timeline(incident.pk)?;
        Ok((incident, timeline))
    })?;
    let histories = explain::explain(&incident, &timeline, &app.settings.policy, at);
    // A cancelled incident's clocks are neither met nor breached, whatever their story says.
    let cancelled =
        crate::domain::projection::cancellation(&incident, &timeline).filter(|e| e.at <= at);
    if args.json {
        return output::out_json(&serde_json::json!({
            "incident": incident.number,
            "evaluated_at": crate::domain::time::to_rfc3339(at),
            "clocks": histories,
            "cancelled": cancelled.map(|e| serde_json::json!({
                "at": crate::domain::time::to_rfc3339(e.at),
                "by": e.author,
                "reason": e.text,
            })),
        }));
    }
    let paint = Paint::stdout();
    let note = cancelled.map_or_else(String::new, |e| {
        format!(
            "CANCELLED {} by {}: {}; these clocks are neither met nor breached\n",
            crate::domain::time::display(e.at),
            e.author,
            e.text
        )
    });
    output::out(&format!(
        "{}\n{}{note}",
        paint.bold(&format!(
            "Incident #{} {} {}: SLA clocks at {}",
            incident.number,
            incident.severity,
            incident.title,
            crate::domain::time::display(at)
        )),
        explain_text(&histories, &paint)
    ))
}
