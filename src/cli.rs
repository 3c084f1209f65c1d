//! The command line: global options and the subcommands.

use crate::cmd::Command;
use std::path::PathBuf;

#[derive(Debug, clap::Parser)]
#[command(
    name = "incident",
    version,
    about = "Record incidents from open to close in one SQLite file, with SLA clocks and the guide's log template",
    after_help = "TIME is RFC 3339 (2026-11-29T04:48:00Z), 'YYYY-MM-DD HH:MM' in local time, or relative (-15m, -2h, -5d; +7d for due dates).\nExit codes: 0 success, 1 error, 2 (remind) an SLA deadline has passed."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// The database file [env: INCIDENT_DB] [default: $XDG_DATA_HOME/incident/incidents.db]
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The config file [env: INCIDENT_CONFIG] [default: $XDG_CONFIG_HOME/incident/config.toml]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Who the change is recorded as [env: INCIDENT_AUTHOR] [default: git user.name, else $USER]
    #[arg(long, global = true, value_name = "NAME")]
    pub author: Option<String>,
    /// A directory of templates that override the built-in ones [env: INCIDENT_TEMPLATES]
    #[arg(long, global = true, value_name = "DIR")]
    pub template_dir: Option<PathBuf>,
}

/// Parses an incident number, allowing the template's `#12` form.
pub fn incident_number(s: &str) -> Result<i64, String> {
    s.trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("'{s}' is not an incident number; `incident list` shows them"))
}
