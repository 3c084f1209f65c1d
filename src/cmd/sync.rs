//! `incident sync`: push everything the team log does not have now.

use crate::app::App;
use crate::app::sync::{SyncError, push};
use crate::team::Team;
use crate::ui::error::CommandError;
use crate::ui::output;

/// Push every change recorded here that the team log does not have yet (pulling others'
/// changes is being built); exit 1 when the team log cannot be reached
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON object: pushed, incidents, waiting, numbered
    #[arg(long)]
    pub json: bool,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let Some(settings) = &app.settings.team else {
        return Err(CommandError::new("no team log is configured").with_hint(
            "add [team] url to the config (`incident config default` documents it), or set \
             $INCIDENT_TEAM_URL",
        ));
    };
    let mut team = Team::connect(settings, &|k| std::env::var(k).ok())?;
    team.check_version()?;
    if let Some(warning) = crate::app::sync::clock_skew(&mut team) {
        output::status(&warning);
    }
    let report = push(app, &mut team, app.now).map_err(|e| match e {
        SyncError::Team(e) => CommandError::from(e),
        SyncError::Store(e) => CommandError::from(e),
    })?;
    if args.json {
        let value = serde_json::to_value(&report)
            .map_err(|e| CommandError::new(format!("cannot write JSON: {e}")))?;
        return output::out_json(&value);
    }
    for (local, team) in &report.numbered {
        if local != team {
            output::status(&format!("incident {local} is team incident {team}"));
        }
    }
    output::status(&format!(
        "pushed {} event{} ({} new incident{}); nothing waiting",
        report.pushed,
        if report.pushed == 1 { "" } else { "s" },
        report.incidents,
        if report.incidents == 1 { "" } else { "s" }
    ));
    Ok(())
}
