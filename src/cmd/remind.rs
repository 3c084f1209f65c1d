//! `incident remind`: deliver the SLA reminders that are due, once each, and say whether
//! anything is breached (exit code 2).

use super::App;
use crate::error::CommandError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show what would be delivered; deliver and record nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Evaluate at this moment (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Keep checking, every --interval, until SIGINT or SIGTERM
    #[arg(long)]
    pub watch: bool,
    /// How often --watch checks
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "60s",
        requires = "watch"
    )]
    pub interval: String,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let _ = (app, args);
    Err(CommandError::new("incident remind is not built yet"))
}
