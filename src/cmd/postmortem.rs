//! `incident postmortem`: the first draft of an incident's post-mortem.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::app::record;
use crate::domain::model::Severity;
use crate::ui::error::CommandError;
use std::path::PathBuf;

/// `incident postmortem N` renders the draft; its subcommands record the document's authors
/// and status beside it.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<super::postmortem_doc::Command>,
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
            Some(cmd) => super::postmortem_doc::run(app, cmd),
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
