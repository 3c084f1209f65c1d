//! `incident close`: the post-mortem is written; only a resolved incident with a root cause and a
//! resolution can be closed.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::app::record;
use crate::domain::model::{Field, Status};
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
    /// What caused it, if not recorded yet
    #[arg(long, value_name = "TEXT")]
    pub root_cause: Option<String>,
    /// The steps taken to resolve it, if not recorded yet
    #[arg(long, value_name = "TEXT")]
    pub resolution: Option<String>,
    /// Measures to prevent recurrence
    #[arg(long, value_name = "TEXT")]
    pub prevention: Option<String>,
    /// Key takeaways
    #[arg(long, value_name = "TEXT")]
    pub lessons: Option<String>,
    /// When it was closed (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let number = app.number(&args.number)?;
    let at = app.time(args.at.as_deref())?;
    let given: Vec<(Field, &str)> = [
        (Field::RootCause, &args.root_cause),
        (Field::Resolution, &args.resolution),
        (Field::Prevention, &args.prevention),
        (Field::LessonsLearned, &args.lessons),
    ]
    .into_iter()
    .filter_map(|(f, v)| v.as_deref().map(|v| (f, v)))
    .collect();
    let fields = super::args::field_texts(given)?;
    let incident = app.write(|txn, actor| {
        let mut change = record::begin(txn, actor, "the close", number, at)?;
        for (field, text) in &fields {
            change.set_field(*field, text)?;
        }
        change.set_status(Status::Closed, "")?;
        record::save(txn, actor, change)
    })?;
    let paint = Paint::stdout();
    let c = sla::clocks(&incident, app.now);
    let mut text = format!(
        "incident {} closed at {}\n",
        incident.number,
        display(incident.closed_at.unwrap_or(app.now))
    );
    if let Some(pm) = &c.postmortem {
        text.push_str(&format!("  post-mortem {}\n", clock_state(pm, &paint)));
    }
    output::out(&text)?;
    let missing = incident.unrecorded(&[Field::Prevention, Field::LessonsLearned]);
    if !missing.is_empty() {
        output::status(&format!(
            "hint: no {} recorded yet: `incident update {} --prevention TEXT --lessons TEXT`",
            missing.join(" and no "),
            incident.number
        ));
    }
    Ok(())
}
