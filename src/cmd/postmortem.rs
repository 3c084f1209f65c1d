//! `incident postmortem`: the first draft of an incident's post-mortem; `postmortem author`
//! and `postmortem status` record who writes it and where it stands, as timeline entries.
//! Publishing stops the post-mortem clock (as closing does, whichever comes first); `close`
//! does not wait for it.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::app::record;
use crate::domain::model::Severity;
use crate::domain::postmortem::{PostmortemStatus, Record};
use crate::ui::error::CommandError;
use crate::ui::output;
use std::path::PathBuf;

/// `incident postmortem N` renders the draft; its subcommands record the document's authors
/// and status beside it.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref, required = true)]
    pub number: Option<IncidentRef>,
    /// md (Markdown) or html (one self-contained file)
    #[arg(long, default_value = "md")]
    pub format: String,
    /// A template by name instead of the default for the format and severity
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// Print the JSON the template receives instead of rendering it
    #[arg(long)]
    pub context: bool,
    /// Write to FILE instead of stdout (all of it or, on error, nothing)
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let Some(number) = args.number.as_ref().filter(|_| args.command.is_none()) else {
        return match args.command {
            Some(cmd) => run_doc(app, cmd),
            None => Err(CommandError::new("no incident given")
                .with_hint("`incident postmortem 12` drafts incident 12's post-mortem")),
        };
    };
    // What teammates recorded first (within the team timeout; never fails the command).
    app.refresh();
    let number = app.number(number)?;
    // Checked before the database is opened: a typo costs nothing.
    let format = Format::parse(&args.format)?;
    let (severity, context) = app.read(|txn| {
        let incident = record::load(txn, number)?;
        let context =
            crate::report::postmortem::context(txn, &incident, &app.settings.policy, app.now)?;
        Ok((incident.severity, context))
    })?;
    let template = match args.template {
        Some(name) => name,
        None => format.default_template(severity).to_string(),
    };
    crate::ui::report::emit_report(
        app.settings.templates.as_deref(),
        &template,
        &context,
        args.context,
        args.out.as_deref(),
    )
}

/// The output formats, each with its built-in template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Markdown,
    Html,
}

impl Format {
    fn parse(s: &str) -> Result<Format, CommandError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            _ => Err(CommandError::new(format!(
                "unknown format '{s}': use md or html"
            ))),
        }
    }

    /// A P3 is a minor issue: a lighter write-up is enough for it, and more likely written.
    fn default_template(self, severity: Severity) -> &'static str {
        match (self, severity) {
            (Format::Markdown, Severity::P3) => "postmortem-lite.md",
            (Format::Markdown, _) => "postmortem.md",
            (Format::Html, _) => "postmortem.html",
        }
    }
}

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

fn run_doc(app: &App, cmd: Command) -> Result<(), CommandError> {
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
