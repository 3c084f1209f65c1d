//! `incident exec`: run a command as usual, its output shown as it comes, and record it in the
//! timeline with its exit, duration and (redacted, capped) output: the fixes become evidence.

use super::args::incident_number;
use crate::app::App;
use crate::app::record;
use crate::store::{Chunker, Mode, NewCommandRun};
use crate::ui::error::CommandError;
use crate::ui::output;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The shell's codes for a command that could not be started.
const NOT_FOUND: u8 = 127;
const NOT_EXECUTABLE: u8 = 126;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident number
    #[arg(value_parser = incident_number)]
    pub number: i64,
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
    let Some((program, rest)) = args.command.split_first() else {
        return Err(CommandError::new("no command was given")
            .with_hint("`incident exec N -- COMMAND [ARGS]...`"));
    };
    // Refused before anything runs: a typo in the number must not run `kubectl delete` unrecorded.
    app.read(|txn| record::load(txn, args.number))?;
    let redactor = crate::app::redaction::redactor(app);
    let command_line = redactor.redact(&shell_words(&args.command));

    // Ctrl-C reaches the command from the terminal (it stays in the terminal's process group);
    // this process only notes it and stays alive to record the run. A handler, not SIG_IGN,
    // because an ignored signal would stay ignored in the command too.
    let interrupted = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGQUIT] {
        signal_hook::flag::register(signal, Arc::clone(&interrupted)).map_err(|e| {
            CommandError::new(format!("cannot handle Ctrl-C: {e}"))
                .with_hint("the command was not run")
        })?;
    }

    let started = Instant::now();
    let mut child = Command::new(program)
        .args(rest)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            // Not recorded: nothing ran, so nothing happened to the systems to keep evidence of.
            let code = match e.kind() {
                std::io::ErrorKind::PermissionDenied => NOT_EXECUTABLE,
                _ => NOT_FOUND,
            };
            CommandError {
                message: format!("cannot run '{program}': {e}"),
                hint: Some("check the command and PATH; nothing was recorded".into()),
                code,
            }
        })?;
    // Output bytes kept (stdout and stderr together); the rest is counted, not kept.
    let cap = app.settings.exec_max_output;
    let capture = Arc::new(Mutex::new(Capture::default()));
    let pumps = [
        child
            .stdout
            .take()
            .map(|pipe| pump(pipe, Box::new(std::io::stdout()), Arc::clone(&capture), cap)),
        child
            .stderr
            .take()
            .map(|pipe| pump(pipe, Box::new(std::io::stderr()), Arc::clone(&capture), cap)),
    ];
    let status = child.wait();
    // The pipes close when the command (and anything it left running) is done with them.
    for pump in pumps.into_iter().flatten() {
        let _ = pump.join();
    }
    let duration_ms = started.elapsed().as_millis() as u64;
    let status = status.map_err(|e| {
        CommandError::new(format!("cannot wait for '{program}': {e}"))
            .with_hint("it may still be running; nothing was recorded")
    })?;
    let (exit_code, signal) = (status.code(), status.signal());
    let pass_through: u8 = match (exit_code, signal) {
        (Some(code), _) => (code & 0xff) as u8,
        (None, Some(sig)) => (128 + sig).clamp(0, 255) as u8,
        (None, None) => 1,
    };
    let ended = match (exit_code, signal) {
        (Some(code), _) => code.to_string(),
        (None, Some(sig)) => format!("signal {sig}"),
        (None, None) => "unknown".to_string(),
    };
    let capture = match capture.lock() {
        Ok(mut c) => std::mem::take(&mut *c),
        Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
    };
    let mut kept = redactor.redact_bytes(&capture.kept).0.into_owned();
    if capture.total > capture.kept.len() as u64 {
        if !kept.is_empty() && !kept.ends_with(b"\n") {
            kept.push(b'\n');
        }
        kept.extend_from_slice(
            format!(
                "[output cut at {cap} bytes; {} more bytes not kept]\n",
                capture.total - capture.kept.len() as u64
            )
            .as_bytes(),
        );
    }
    let text = format!(
        "`{command_line}` {} after {}",
        match (exit_code, signal) {
            (Some(code), _) => format!("exited {code}"),
            (None, Some(sig)) => format!("killed by signal {sig}"),
            _ => "ended".into(),
        },
        crate::domain::time::human_millis(duration_ms)
    );

    let actor = app.actor();
    let record = || -> Result<i64, CommandError> {
        let mut store = app.store(Mode::ReadWrite)?;
        let txn = store.write()?;
        // The run happened at the start of this command (app.now), which is also `at`.
        let mut change = record::begin(&txn, &actor, "the command", args.number, None)?;
        let mut writer = txn.blob_writer()?;
        let mut chunker = Chunker::new(&kept[..]);
        while let Some(chunk) = chunker
            .next_chunk()
            .map_err(|e| CommandError::new(format!("cannot store the output: {e}")))?
        {
            writer.push(chunk)?;
        }
        let blob = writer.finish()?;
        let run = NewCommandRun {
            command: command_line.clone(),
            started_at: actor.now,
            duration_ms,
            exit_code,
            signal,
            output_blob_id: blob.id,
            output_bytes: capture.total,
            output_cap: cap as u64,
        };
        let seq = txn.insert_command_run(change.incident.pk, &run, &actor.author)?;
        change.command(seq, &ended, text.clone());
        record::save(&txn, &actor, change)?;
        txn.commit()?;
        store.bound_wal();
        Ok(seq)
    };
    let seq = record().map_err(|e| CommandError {
        message: format!(
            "the command ran ({}) but was not recorded: {}",
            ended_words(&ended),
            e.message
        ),
        ..e
    })?;
    output::status(&format!(
        "recorded as command {seq} of incident {} ({})",
        args.number,
        ended_words(&ended)
    ));
    if pass_through == 0 {
        Ok(())
    } else {
        Err(CommandError::exit(pass_through))
    }
}

fn ended_words(ended: &str) -> String {
    if ended.starts_with("signal") {
        format!("killed by {ended}")
    } else {
        format!("exit {ended}")
    }
}

/// What the command wrote, stdout and stderr interleaved as they arrived, up to the cap.
#[derive(Default)]
struct Capture {
    kept: Vec<u8>,
    total: u64,
}

/// Copies a pipe to the terminal as it comes and keeps what fits the cap. It reads to the end
/// past the cap, so the command never blocks on a full pipe; a closed terminal stops the
/// copying, not the reading.
fn pump(
    mut pipe: impl Read + Send + 'static,
    mut to: Box<dyn Write + Send>,
    capture: Arc<Mutex<Capture>>,
    cap: usize,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        let mut echo = true;
        loop {
            let n = match pipe.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            };
            if echo && to.write_all(&buf[..n]).and_then(|_| to.flush()).is_err() {
                echo = false;
            }
            let mut c = match capture.lock() {
                Ok(c) => c,
                Err(poisoned) => poisoned.into_inner(),
            };
            let room = cap.saturating_sub(c.kept.len());
            let keep = n.min(room);
            c.kept.extend_from_slice(&buf[..keep]);
            c.total += n as u64;
        }
    })
}

/// The command line as one would type it: words with spaces or quotes single-quoted.
fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|w| {
            let plain = !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./:=,@%+".contains(&b));
            if plain {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_are_quoted_like_a_shell() {
        let argv = ["kubectl", "logs", "-l", "app=x y", "it's"].map(String::from);
        assert_eq!(shell_words(&argv), r#"kubectl logs -l 'app=x y' 'it'\''s'"#);
    }
}
