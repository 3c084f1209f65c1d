//! `incident sync`: push everything the team log does not have, and pull everything it has
//! that this copy does not, now.

use crate::app::App;
use crate::app::sync::SyncError;
use crate::ui::error::CommandError;
use crate::ui::output;

/// Push every change recorded here that the team log does not have yet, then pull every
/// change others recorded; exit 1 when the team log cannot be reached
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON object: pushed, pulled, waiting, conflicts, purged (purges applied here),
    /// incidents (new here and there), numbered ([provisional, team] number pairs)
    #[arg(long)]
    pub json: bool,
    /// Also fetch teammates' logs and command output left on the team log
    /// (`[team] pull_logs = false`)
    #[arg(long)]
    pub logs: bool,
}

impl From<SyncError> for CommandError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Team(e) => CommandError::from(e),
            SyncError::Store(e) => CommandError::from(e),
            SyncError::Merge(_) => CommandError::new(e.to_string())
                .with_hint("a teammate's binary may be newer than this one; upgrade incident"),
        }
    }
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let Some(settings) = &app.settings.team else {
        return Err(CommandError::new("no team log is configured").with_hint(
            "add [team] url to the config (`incident config default` documents it), or set \
             $INCIDENT_TEAM_URL",
        ));
    };
    // How far it has got, redrawn on one line of a terminal: a first sync can move millions
    // of events.
    let mut line = crate::ui::progress::Line::stderr();
    let report = app.sync_with(settings, None, &output::status, &mut |p| line.show(p));
    line.clear();
    let report = report?;
    let fetched = if args.logs { app.fetch_all_logs()? } else { 0 };
    if fetched > 0 && !args.json {
        output::status(&format!(
            "fetched {fetched} log{} from the team log",
            if fetched == 1 { "" } else { "s" }
        ));
    }
    let (push, pull) = (&report.push, &report.pull);
    if args.json {
        let numbered: Vec<(String, i64)> = push
            .numbered
            .iter()
            .chain(&pull.numbered)
            .map(|(l, t)| (crate::domain::model::number_label(*l), *t))
            .collect();
        let value = serde_json::json!({
            "pushed": push.pushed,
            "pulled": pull.pulled,
            "waiting": push.waiting,
            "conflicts": pull.conflicts,
            "purged": pull.purged,
            "incidents": { "pushed": push.incidents, "pulled": pull.incidents },
            "numbered": numbered,
        });
        return output::out_json(&value);
    }
    for line in report.numbered() {
        output::status(&line);
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    output::status(&format!(
        "pushed {} event{} ({} new incident{}), pulled {} event{} ({} new incident{}); nothing waiting{}",
        push.pushed,
        plural(push.pushed),
        push.incidents,
        plural(push.incidents),
        pull.pulled,
        plural(pull.pulled),
        pull.incidents,
        plural(pull.incidents),
        match pull.conflicts {
            0 => String::new(),
            n => format!(
                "; {n} status change{} conflict{} with the merged timeline (`incident show` marks them)",
                plural(n),
                if n == 1 { "s" } else { "" }
            ),
        }
    ));
    Ok(())
}
