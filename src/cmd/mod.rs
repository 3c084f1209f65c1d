//! The subcommands, one file each, dispatched from one exhaustive enum.

mod ack;
mod action;
mod args;
mod attach;
mod cancel;
mod check;
mod close;
mod completion;
mod config;
mod doctor;
mod exec;
mod export;
mod gc;
mod import;
mod lesson;
mod list;
mod log;
mod logs;
mod man;
mod note;
mod open;
mod postmortem;
mod remind;
mod reopen;
mod resolve;
mod retract;
mod review;
mod role;
mod search;
mod serve;
mod show;
mod sla;
mod snapshot;
mod sync;
mod team;
mod template;
mod update;

use crate::app::App;
use crate::config::Flags;
use crate::domain::time;
use crate::ui::error::CommandError;
use std::path::PathBuf;

#[derive(Debug, clap::Parser)]
#[command(
    name = "incident",
    version,
    about = "Record incidents from open to close in one SQLite file, with SLA clocks and the guide's log template",
    after_help = "TIME is RFC 3339 (2026-11-29T04:48:00Z), 'YYYY-MM-DD HH:MM' in local time, or relative (-15m, -2h, -5d; +7d for due dates).\n\nExit codes:\n  0    success\n  1    an error; the message says what to do (also usage errors, and `doctor` when a check fails)\n  2    `remind`: an SLA deadline has passed\n  2-4  `check`: the health implies P3 (2), P2 (3) or P1 (4)\n  N    `exec`: the command's exit code (128 + signal when killed; 126/127 when it cannot start)"
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
    /// Who the change is recorded as [env: INCIDENT_AUTHOR] [default: git user.name, else $USER;
    /// `config show` says which]
    #[arg(long, global = true, value_name = "NAME")]
    pub author: Option<String>,
    /// A directory of templates that override the built-in ones [env: INCIDENT_TEMPLATES]
    #[arg(long, global = true, value_name = "DIR")]
    pub template_dir: Option<PathBuf>,
    /// Work on this machine's copy alone: no team log for this command, whatever the config
    #[arg(long, global = true)]
    pub offline: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Open an incident: prints its number and both SLA deadlines
    Open(open::Args),
    /// Acknowledge an incident: INVESTIGATING, and the response clock stops
    Ack(ack::Args),
    /// Add a note to the timeline
    Note(note::Args),
    /// Change fields, severity or status
    Update(Box<update::Args>),
    /// Mark an incident resolved: the fix clock stops
    Resolve(resolve::Args),
    /// Close a resolved incident once root cause and resolution are recorded
    Close(close::Args),
    /// Take a resolved, closed or cancelled incident back to INVESTIGATING
    Reopen(reopen::Args),
    /// Cancel an incident opened by mistake (noise, a duplicate): kept with its reason, its
    /// SLA clocks neither met nor breached
    Cancel(cancel::Args),
    /// Take back a note, lesson or link written by mistake: kept in the timeline, marked
    Retract(retract::Args),
    /// Name who holds a role (commander, scribe, comms, or your own), or clear it with -
    Role(role::Args),
    /// List incidents, newest first
    List(list::Args),
    /// Every field, both SLA clocks and the whole timeline of one incident
    Show(show::Args),
    /// Unresolved incidents with their deadlines, breached first; pause, resume or explain an
    /// incident's clocks
    Sla(sla::Args),
    /// Render an incident in the guide's Incident Log Template
    Log(log::Args),
    /// Collect evidence into an incident now; list or diff its snapshots
    Snapshot(snapshot::Args),
    /// Score the health of everything configured (exit code by severity); --open is the monitor
    Check(check::Args),
    /// Action items: the follow-ups that keep it from happening again
    #[command(subcommand)]
    Action(action::Command),
    /// Draft the incident's post-mortem; `author` and `status` record who writes it and where
    /// it stands
    Postmortem(postmortem::Args),
    /// The post-mortem's lessons: what went well, what went wrong, where we got lucky
    #[command(subcommand)]
    Lesson(lesson::Command),
    /// The weekly review: counts, times, SLA compliance, recurring problems
    Review(review::Args),
    /// Deliver the SLA reminders that are due, once each (exit 2 while anything is breached)
    Remind(remind::Args),
    /// Attach log files (or stdin) to an incident: compressed, stored once per content
    Attach(attach::Args),
    /// List an incident's attached logs, or print one (optionally grepped or tailed)
    Logs(logs::Args),
    /// Run a command with its output shown live, and record it in the timeline
    Exec(exec::Args),
    /// Remove stored logs and output nothing refers to any more, and reclaim the space
    Gc(gc::Args),
    /// Full-text search over fields, notes, snapshots, attached logs and command output
    Search(search::Args),
    /// Write incidents with everything recorded about them to a file, to import elsewhere
    Export(export::Args),
    /// Read incidents from an export file; those already here are skipped
    Import(import::Args),
    /// List, show or export the report templates, to customise them
    #[command(subcommand)]
    Template(template::Command),
    /// Print the default config or the settings in effect
    Config(config::Args),
    /// Check the database and the config: what is wrong and how to fix it (exit 1 when anything is)
    Doctor(doctor::Args),
    /// Serve the Alertmanager intake over HTTP until SIGTERM or SIGINT
    Serve(serve::Args),
    /// Push everything recorded here that the team log does not have yet
    Sync(sync::Args),
    /// The team log in PostgreSQL: create it, upgrade it, see its state
    #[command(subcommand)]
    Team(team::Command),
    /// Print the shell completion script (bash, zsh, fish, elvish, powershell)
    Completion(completion::Args),
    /// Print the manual page, or write one per command with --dir
    Man(man::Args),
}

/// The command line's definition, for what is generated from it (completions, manual pages).
fn cli_definition() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

pub fn run(cli: Cli) -> Result<(), CommandError> {
    // What needs no settings runs before they are read, so it works where the config is
    // broken: `config default` is what a config error recommends.
    let cli = match cli.command {
        Command::Completion(args) => return completion::run(args, cli_definition()),
        Command::Man(args) => return man::run(args, cli_definition()),
        Command::Config(config::Args {
            what: config::What::Default,
        }) => return config::print_default(),
        _ => cli,
    };
    let global = &cli.global;
    let flags = Flags {
        db: global.db.clone(),
        config: global.config.clone(),
        author: global.author.clone(),
        template_dir: global.template_dir.clone(),
        offline: global.offline,
    };
    let settings = crate::config::load(&flags, &|k| std::env::var(k).ok())?;
    let app = App {
        settings,
        now: time::now()?,
        notice: crate::ui::output::status,
    };
    match cli.command {
        Command::Open(args) => open::run(&app, args),
        Command::Ack(args) => ack::run(&app, args),
        Command::Note(args) => note::run(&app, args),
        Command::Update(args) => update::run(&app, *args),
        Command::Resolve(args) => resolve::run(&app, args),
        Command::Close(args) => close::run(&app, args),
        Command::Reopen(args) => reopen::run(&app, args),
        Command::Cancel(args) => cancel::run(&app, args),
        Command::Retract(args) => retract::run(&app, args),
        Command::Role(args) => role::run(&app, args),
        Command::List(args) => list::run(&app, args),
        Command::Show(args) => show::run(&app, args),
        Command::Sla(args) => sla::run(&app, args),
        Command::Log(args) => log::run(&app, args),
        Command::Snapshot(args) => snapshot::run(&app, args),
        Command::Check(args) => check::run(&app, args),
        Command::Action(cmd) => action::run(&app, cmd),
        Command::Postmortem(args) => postmortem::run(&app, args),
        Command::Lesson(cmd) => lesson::run(&app, cmd),
        Command::Review(args) => review::run(&app, args),
        Command::Remind(args) => remind::run(&app, args),
        Command::Attach(args) => attach::run(&app, args),
        Command::Logs(args) => logs::run(&app, args),
        Command::Exec(args) => exec::run(&app, args),
        Command::Gc(args) => gc::run(&app, args),
        Command::Search(args) => search::run(&app, args),
        Command::Export(args) => export::run(&app, args),
        Command::Import(args) => import::run(&app, args),
        Command::Template(cmd) => template::run(&app, cmd),
        Command::Config(args) => config::run(&app, args),
        Command::Doctor(args) => doctor::run(&app, args),
        Command::Serve(args) => serve::run(&app, args),
        Command::Sync(args) => sync::run(&app, args),
        Command::Team(cmd) => team::run(&app, cmd),
        // Handled above, before the settings.
        Command::Completion(_) | Command::Man(_) => Ok(()),
    }
}
