//! `incident exec`: run a command as usual, its output shown as it comes, and record it in the
//! timeline with its exit, duration and (redacted, capped) output: the fixes become evidence.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::app::exec::{self, ExecError};
use crate::app::record;
use crate::ui::error::{CommandError, exit};
use crate::ui::output;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// The shell's codes for a command that could not be started.
const NOT_FOUND: u8 = 127;
const NOT_EXECUTABLE: u8 = 126;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// The command and its arguments, after `--` (no shell: `sh -c '…'` for pipes)
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let number = app.number(&args.number)?;
    let Some((program, rest)) = args.command.split_first() else {
        return Err(CommandError::new("no command was given")
            .with_hint("`incident exec N -- COMMAND [ARGS]...`"));
    };
    // Refused before anything runs: a typo in the number must not run `kubectl delete` unrecorded.
    app.read(|txn| record::load(txn, number))?;
    let redactor = crate::app::redaction::redactor(app);
    let command_line = redactor.redact(&exec::shell_words(&args.command));
    outlive_ctrl_c()?;
    // Output bytes kept (stdout and stderr together); the rest is counted, not kept.
    let cap = app.settings.exec_max_output;
    let out = Box::new(std::io::stdout());
    let err = Box::new(std::io::stderr());
    // Not recorded when it cannot start: nothing ran, so nothing happened to keep evidence of.
    let run = exec::run(program, rest, cap, out, err).map_err(command_error)?;
    let ended = ended_words(&run.ended());
    let seq = exec::record(app, number, &command_line, &run, &redactor).map_err(|e| {
        let e = command_error(e);
        CommandError {
            message: format!(
                "the command ran ({ended}) but was not recorded: {}",
                e.message
            ),
            ..e
        }
    })?;
    output::status(&format!(
        "recorded as command {seq} of incident {} ({ended})",
        number
    ));
    match pass_through(&run) {
        0 => Ok(()),
        code => Err(CommandError::exit(code)),
    }
}

/// Ctrl-C reaches the command from the terminal (it stays in the terminal's process group);
/// this process only notes it and stays alive to record the run. A handler, not SIG_IGN,
/// because an ignored signal would stay ignored in the command too.
fn outlive_ctrl_c() -> Result<(), CommandError> {
    let interrupted = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGQUIT] {
        signal_hook::flag::register(signal, Arc::clone(&interrupted)).map_err(|e| {
            CommandError::new(format!("cannot handle Ctrl-C: {e}"))
                .with_hint("the command was not run")
        })?;
    }
    Ok(())
}

/// This process's exit code: the command's, or 128 + the signal that killed it, as a shell's.
fn pass_through(run: &exec::Run) -> u8 {
    match (run.exit_code, run.signal) {
        (Some(code), _) => (code & 0xff) as u8,
        (None, Some(sig)) => (128 + sig).clamp(0, 255) as u8,
        (None, None) => 1,
    }
}

/// A command that cannot start exits as a shell's would: 127 not found, 126 not executable.
fn command_error(e: ExecError) -> CommandError {
    let code = match &e {
        ExecError::Spawn { source, .. } => match source.kind() {
            std::io::ErrorKind::PermissionDenied => NOT_EXECUTABLE,
            _ => NOT_FOUND,
        },
        _ => exit::ERROR,
    };
    match e {
        ExecError::App(e) => e.into(),
        e => CommandError {
            message: e.to_string(),
            hint: e.hint(),
            code,
        },
    }
}

fn ended_words(ended: &str) -> String {
    if ended.starts_with("signal") {
        format!("killed by {ended}")
    } else {
        format!("exit {ended}")
    }
}
