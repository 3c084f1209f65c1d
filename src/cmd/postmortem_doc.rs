//! `incident postmortem author|status`: who writes the post-mortem and where it stands, as
//! timeline entries. Publishing stops the post-mortem clock (as closing does, whichever comes
//! first); `close` does not wait for it.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::app::record;
use crate::domain::postmortem::{PostmortemStatus, Record};
use crate::ui::error::CommandError;
use crate::ui::output;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Name an author of the post-mortem (once each)
    Author(AuthorArgs),
    /// Move the post-mortem to draft, review or published (published stops its clock)
    Status(StatusArgs),
}

#[derive(Debug, clap::Args)]
pub struct AuthorArgs {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// Who writes it
    pub name: String,
    /// When (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// draft, review or published
    pub status: String,
    /// When (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

pub fn run(app: &App, cmd: Command) -> Result<(), CommandError> {
    match cmd {
        Command::Author(args) => author(app, args),
        Command::Status(args) => status(app, args),
    }
}

fn author(app: &App, args: AuthorArgs) -> Result<(), CommandError> {
    let at = app.time(args.at.as_deref())?;
    let number = app.number(&args.number)?;
    let (incident, authors) = app.write(|txn, actor| {
        let mut change = record::begin(txn, actor, "the post-mortem author", number, at)?;
        let known = Record::of(&txn.timeline(change.incident.pk)?).authors;
        change.postmortem_author(&args.name, &known)?;
        let incident = record::save(txn, actor, change)?;
        let authors = Record::of(&txn.timeline(incident.pk)?).authors;
        Ok((incident, authors))
    })?;
    output::out(&format!(
        "incident {}: post-mortem by {}\n",
        incident.number,
        authors.join(", ")
    ))
}

fn status(app: &App, args: StatusArgs) -> Result<(), CommandError> {
    let to: PostmortemStatus = args.status.parse().map_err(|e| {
        CommandError::new(format!("{e}"))
            .with_hint("`incident postmortem status 12 published` publishes it")
    })?;
    let at = app.time(args.at.as_deref())?;
    let number = app.number(&args.number)?;
    let (incident, from) = app.write(|txn, actor| {
        let mut change = record::begin(txn, actor, "the post-mortem status", number, at)?;
        let from = Record::of(&txn.timeline(change.incident.pk)?).status;
        change.postmortem_status(from, to);
        Ok((record::save(txn, actor, change)?, from))
    })?;
    let was = match from {
        Some(f) if f == to => " (already)".to_string(),
        Some(f) => format!(" (was {f})"),
        None => String::new(),
    };
    output::out(&format!(
        "incident {}: post-mortem {to}{was}\n",
        incident.number
    ))
}
