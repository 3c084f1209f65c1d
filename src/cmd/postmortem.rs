//! `incident postmortem`: the first draft of an incident's post-mortem.

use super::App;
use crate::cli::incident_number;
use crate::error::CommandError;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident number
    #[arg(value_parser = incident_number)]
    pub number: i64,
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
    let _ = (app, args);
    Err(CommandError::new("incident postmortem is not built yet"))
}
