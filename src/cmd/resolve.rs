//! `incident resolve`: the fix is in; the fix clock stops.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::app::record;
use crate::domain::model::{Field, Status};
use crate::domain::sla;
use crate::domain::time::display;
use crate::ui::clock::{clock_line, clock_state};
use crate::ui::error::CommandError;
use crate::ui::output::{self, Paint};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// The steps taken to resolve it
    #[arg(long, value_name = "TEXT")]
    pub resolution: Option<String>,
    /// What caused it
    #[arg(long, value_name = "TEXT")]
    pub root_cause: Option<String>,
    /// Do not take a diagnostic snapshot, even if collectors are configured
    #[arg(long)]
    pub no_snapshot: bool,
    /// When it was resolved (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let number = app.number(&args.number)?;
    let at = app.time(args.at.as_deref())?;
    let given: Vec<(Field, &str)> = [
        (Field::RootCause, &args.root_cause),
        (Field::Resolution, &args.resolution),
    ]
    .into_iter()
    .filter_map(|(f, v)| v.as_deref().map(|v| (f, v)))
    .collect();
    let fields = super::args::field_texts(given)?;
    let incident = app.write(|txn, actor| {
        let mut change = record::begin(txn, actor, "the resolution", number, at)?;
        for (field, text) in &fields {
            change.set_field(*field, text)?;
        }
        change.set_status(Status::Resolved, "")?;
        record::save(txn, actor, change)
    })?;
    let paint = Paint::stdout();
    let c = sla::clocks(&incident, app.now);
    let mut text = format!(
        "incident {} resolved at {}\n  respond {}\n  fix     {}\n",
        incident.number,
        display(incident.resolved_at.unwrap_or(app.now)),
        clock_state(&c.respond, &paint),
        clock_state(&c.resolve, &paint),
    );
    if let Some(pm) = &c.postmortem {
        text.push_str(&format!(
            "  post-mortem (close) {}\n",
            clock_line(pm, &paint)
        ));
    }
    output::out(&text)?;
    let collectors = &app.settings.collectors;
    if !args.no_snapshot
        && collectors.on_resolve
        && !collectors.is_empty()
        && let Some((seq, snap)) = crate::app::snapshot::take_or_warn(
            app,
            &incident,
            &mut crate::ui::progress::on_stderr(),
        )
    {
        output::out(&format!("  snapshot {seq}: {}\n", snap.summary))?;
    }
    let missing = incident.unrecorded(&[Field::RootCause, Field::Resolution]);
    if !missing.is_empty() {
        output::status(&format!(
            "hint: closing needs a {}: `incident update {} --root-cause TEXT --resolution TEXT`",
            missing.join(" and a "),
            incident.number
        ));
    }
    Ok(())
}
