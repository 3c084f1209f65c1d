//! `incident check`: the guide's "run health check" step: a snapshot of everything configured,
//! printed, with no incident.

use super::App;
use super::evidence::snapshot_text;
use crate::error::CommandError;
use crate::output::{self, Paint};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    super::snapshot::require_collectors(app)?;
    let snap = super::snapshot::collect(app, None)?;
    if args.json {
        return output::out_json(&serde_json::json!(snap));
    }
    output::out(&snapshot_text("health check", &snap, &Paint::stdout()))
}
