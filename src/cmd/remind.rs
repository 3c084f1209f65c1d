//! `incident remind`: deliver the SLA reminders that are due, once each, and say whether
//! anything is breached (exit code 2); `--watch` does it again every interval until stopped.

use crate::app::App;
use crate::app::remind::{Round, RoundError};
use crate::domain::time::{self, display};
use crate::report::render::Templates;
use crate::ui::error::CommandError;
use crate::ui::output;
use std::time::Duration;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 nothing is breached, 1 an error, 2 a response, fix or post-mortem deadline has passed (cron and CI alert on it).\nChannels: stdout always, and each [[notify]] in the config; each reminder goes to each channel once."
)]
pub struct Args {
    /// Show what would be delivered; deliver and record nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Evaluate at this moment (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// Print JSON: one object per reminder per line
    #[arg(long)]
    pub json: bool,
    /// Keep checking, every --interval, until SIGINT or SIGTERM
    #[arg(long, conflicts_with_all = ["at", "dry_run"])]
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

/// How long a `--watch` check waits for another writer before reporting the database locked
/// and trying again at the next check; a one-off run waits the store's usual 10 s.
const WATCH_LOCK_WAIT: Duration = Duration::from_secs(1);

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let templates = Templates::new(app.settings.templates.as_deref());
    // The timeline's SLA entries name who ran the check when that is configured; a cron job
    // or sidecar is nobody in particular.
    let author = app
        .settings
        .author
        .as_deref()
        .unwrap_or(crate::domain::remind::REMIND_AUTHOR);
    let json = args.json;
    let out = |text: &str| {
        if json {
            output::out_json_text(text)
        } else {
            output::out(text)
        }
        .map_err(|e| e.message)
    };
    let round = Round {
        app,
        templates: &templates,
        author,
        json: args.json,
        dry_run: args.dry_run,
        lock_wait: args.watch.then_some(WATCH_LOCK_WAIT),
        out: &out,
    };
    if args.watch {
        return watch(&round, &args.interval);
    }
    let at = app.time(args.at.as_deref())?.unwrap_or(app.now);
    if at > app.now && !args.dry_run {
        return Err(CommandError::new(format!(
            "--at {} is in the future (now is {}): reminders go out when they are due",
            display(at),
            display(app.now)
        ))
        .with_hint("add --dry-run to see what will be due then"));
    }
    let outcome = round.run(at, app.now)?;
    if outcome.breached {
        return Err(CommandError::exit(crate::ui::error::exit::BREACHED));
    }
    Ok(())
}

/// Checks every `interval` until SIGINT or SIGTERM. A locked database is reported and tried
/// again at the next check; any other error ends the watch (exit 1), so that a supervisor
/// restarts it and shows why.
fn watch(round: &Round, interval: &str) -> Result<(), CommandError> {
    let interval = time::parse_duration_at_most(interval, time::MAX_WATCH_INTERVAL)?;
    crate::ui::watch::watch(
        interval,
        "checking for reminders",
        "incident remind",
        || {
            let now = time::now()?;
            match round.run(now, now) {
                Ok(_) => Ok(()),
                Err(RoundError::Locked(e)) => {
                    output::status(&format!("error: {e}; trying again at the next check"));
                    Ok(())
                }
                Err(e) => Err(e.into()),
            }
        },
    )
}
