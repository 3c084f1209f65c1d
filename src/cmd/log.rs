//! `incident log`: the incident in the guide's Incident Log Template, rendered from a template.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::domain::time;
use crate::ui::error::CommandError;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// The template to render, by name (a file in the templates directory, or built in)
    #[arg(long, value_name = "NAME", default_value = "log.txt")]
    pub template: String,
    /// Print the JSON the template receives instead of rendering it
    #[arg(long)]
    pub context: bool,
    /// Write to FILE instead of stdout (all of it or, on error, nothing)
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    // What teammates recorded first (within the team timeout; never fails the command).
    app.refresh();
    let number = app.number(&args.number)?;
    let (incident, timeline) = app.incident_and_timeline(number)?;
    let context = serde_json::json!({
        "incident": crate::report::view::incident_with_timeline(&incident, &timeline, app.now),
        "generated_at": time::to_rfc3339(app.now),
    });
    crate::ui::report::emit_report(
        app.settings.templates.as_deref(),
        &args.template,
        &context,
        args.context,
        args.out.as_deref(),
    )
}
