//! `incident review`: the weekly review.

use super::App;
use crate::error::CommandError;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The ISO week, like 2026-W48 (Monday 00:00 to Monday 00:00, local time) [default: last week]
    #[arg(long, value_name = "YYYY-Www", conflicts_with_all = ["since", "until"])]
    pub week: Option<String>,
    /// The start of the window (TIME)
    #[arg(
        long,
        value_name = "TIME",
        allow_hyphen_values = true,
        requires = "until"
    )]
    pub since: Option<String>,
    /// The end of the window (TIME), not included
    #[arg(
        long,
        value_name = "TIME",
        allow_hyphen_values = true,
        requires = "since"
    )]
    pub until: Option<String>,
    /// md, html (one self-contained file with charts) or json
    #[arg(long, default_value = "md")]
    pub format: String,
    /// A template by name instead of the default for the format
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
    Err(CommandError::new("incident review is not built yet"))
}
