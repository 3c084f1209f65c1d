//! `incident note`: add what was seen or done to the timeline.

use super::args::text_arg;
use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::app::record;
use crate::ui::error::CommandError;
use crate::ui::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// The note; `-` reads it from stdin
    pub text: String,
    /// When it happened (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let number = app.number(&args.number)?;
    let text = text_arg(&args.text)?;
    let at = app.time(args.at.as_deref())?;
    app.write(|txn, actor| {
        let mut change = record::begin(txn, actor, "the note", number, at)?;
        change.note(&text)?;
        record::save(txn, actor, change)
    })?;
    output::status(&format!("noted on incident {}", number));
    Ok(())
}
