//! `incident note`: add what was seen or done to the timeline.

use super::App;
use super::shared::text_arg;
use crate::cli::incident_number;
use crate::error::CommandError;
use crate::output;
use crate::workflow::Change;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident number
    #[arg(value_parser = incident_number)]
    pub number: i64,
    /// The note; `-` reads it from stdin
    pub text: String,
    /// When it happened (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let text = text_arg(&args.text)?;
    let at = app.time(args.at.as_deref())?;
    app.write(|txn, actor| {
        let mut change = Change::begin(txn, actor, "the note", args.number, at)?;
        change.note(&text)?;
        change.save(txn, actor)
    })?;
    output::status(&format!("noted on incident {}", args.number));
    Ok(())
}
