//! `incident retract`: takes back a note, lesson or link written by mistake (on the wrong
//! incident, say). The entry stays in the timeline as written, marked with who retracted it and
//! why; it leaves the post-mortem's lessons and links and the search results.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::app::record;
use crate::domain::event::short_id;
use crate::ui::error::CommandError;
use crate::ui::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// The entry: the id `incident show N --ids` prints (or its whole uuid)
    #[arg(value_name = "EVENT-ID")]
    pub event: String,
    /// Why it is taken back (wrong incident, a typo that misleads)
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let number = app.number(&args.number)?;
    let (incident, retracted) = app.write(|txn, actor| {
        let mut change = record::begin(txn, actor, "the retraction", number, None)?;
        let timeline = txn.timeline(change.incident.pk)?;
        change.retract(&timeline, &args.event, &args.reason)?;
        let incident = record::save(txn, actor, change)?;
        let target = crate::domain::retract::target(&timeline, &args.event).map(|e| {
            (
                e.kind,
                short_id(e.uuid.as_deref().unwrap_or("")).to_string(),
            )
        });
        Ok((incident, target.ok()))
    })?;
    let what = retracted.map_or_else(
        || "the entry".to_string(),
        |(kind, id)| format!("the {} {id}", kind.as_str()),
    );
    output::out(&format!(
        "incident {}: {what} retracted; it stays in the timeline, marked\n",
        incident.number
    ))
}
