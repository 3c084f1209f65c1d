//! Running a command as evidence (`incident exec`): run it with its output copied live to the
//! writers the caller gives and captured up to a cap, then record the run (its redacted output
//! as a blob, the command run, its timeline event) in one transaction.

use super::{App, AppError, record};
use crate::domain::model::Number;
use crate::evidence::redact::{OVERLAP, Redactor};
use crate::store::{Chunker, NewCommandRun};
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Why a command was not run or not recorded.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// It could not be started: nothing ran.
    #[error("cannot run '{program}': {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("cannot wait for '{program}': {source}")]
    Wait {
        program: String,
        source: std::io::Error,
    },
    #[error("cannot store the output: {0}")]
    Output(std::io::Error),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<crate::store::StoreError> for ExecError {
    fn from(e: crate::store::StoreError) -> Self {
        ExecError::App(e.into())
    }
}

impl ExecError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            ExecError::Spawn { .. } => {
                Some("check the command and PATH; nothing was recorded".into())
            }
            ExecError::Wait { .. } => Some("it may still be running; nothing was recorded".into()),
            ExecError::Output(_) => None,
            ExecError::App(e) => e.hint(),
        }
    }
}

/// A command that ran: how it ended, how long it took, and what it wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub duration_ms: u64,
    /// Its output, stdout and stderr interleaved as they arrived, up to `cap` bytes and
    /// `redact::OVERLAP` more: what redaction must see for a secret across the cap.
    pub kept: Vec<u8>,
    /// Bytes it wrote, kept or not.
    pub total: u64,
    /// Output bytes it was allowed to keep.
    pub cap: usize,
}

impl Run {
    /// How it ended, as the timeline records it: the exit code, `signal N` or `unknown`.
    pub fn ended(&self) -> String {
        match (self.exit_code, self.signal) {
            (Some(code), _) => code.to_string(),
            (None, Some(sig)) => format!("signal {sig}"),
            (None, None) => "unknown".to_string(),
        }
    }

    /// The timeline's line for it: "`CMD` exited 0 after 1.2s".
    fn text(&self, command_line: &str) -> String {
        format!(
            "`{command_line}` {} after {}",
            match (self.exit_code, self.signal) {
                (Some(code), _) => format!("exited {code}"),
                (None, Some(sig)) => format!("killed by signal {sig}"),
                _ => "ended".into(),
            },
            crate::domain::time::human_millis(self.duration_ms)
        )
    }

    /// The output as stored: redacted, then cut at the cap (never inside a redaction marker),
    /// and past the cap a line saying how much was not kept.
    fn stored_output(&self, redactor: &Redactor) -> Vec<u8> {
        let (mut kept, _, _) = redactor.redact_capped(&self.kept, self.cap);
        if self.total > self.cap as u64 {
            if !kept.is_empty() && !kept.ends_with(b"\n") {
                kept.push(b'\n');
            }
            kept.extend_from_slice(
                format!(
                    "[output cut at {} bytes; {} more bytes not kept]\n",
                    self.cap,
                    self.total - self.cap as u64
                )
                .as_bytes(),
            );
        }
        kept
    }
}

/// Runs `program` with `args` (no shell) on this process's stdin, its stdout copied to
/// `stdout` and its stderr to `stderr` as they come, keeping up to `cap` bytes of both together.
pub fn run(
    program: &str,
    args: &[String],
    cap: usize,
    stdout: Box<dyn Write + Send>,
    stderr: Box<dyn Write + Send>,
) -> Result<Run, ExecError> {
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| ExecError::Spawn {
            program: program.to_string(),
            source,
        })?;
    let capture = Arc::new(Mutex::new(Capture::default()));
    let pumps = [
        child
            .stdout
            .take()
            .map(|pipe| pump(pipe, stdout, Arc::clone(&capture), cap)),
        child
            .stderr
            .take()
            .map(|pipe| pump(pipe, stderr, Arc::clone(&capture), cap)),
    ];
    let status = child.wait();
    // The pipes close when the command (and anything it left running) is done with them.
    for pump in pumps.into_iter().flatten() {
        let _ = pump.join();
    }
    let duration_ms = started.elapsed().as_millis() as u64;
    let status = status.map_err(|source| ExecError::Wait {
        program: program.to_string(),
        source,
    })?;
    let capture = match capture.lock() {
        Ok(mut c) => std::mem::take(&mut *c),
        Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
    };
    Ok(Run {
        exit_code: status.code(),
        signal: status.signal(),
        duration_ms,
        kept: capture.kept,
        total: capture.total,
        cap,
    })
}

/// Records `run` of `command_line` (already redacted) with incident `number`, in one
/// transaction: its redacted output as a blob, the command run, and its timeline event.
/// Returns the run's number within the incident.
pub fn record(
    app: &App,
    number: Number,
    command_line: &str,
    run: &Run,
    redactor: &Redactor,
) -> Result<i64, ExecError> {
    let output = run.stored_output(redactor);
    let text = run.text(command_line);
    app.write_with(|txn, actor| {
        // The run happened at the start of this command (app.now), which is also `at`.
        let mut change = record::begin(txn, actor, "the command", number, None)?;
        let mut writer = txn.blob_writer()?;
        let mut chunker = Chunker::new(&output[..]);
        while let Some(chunk) = chunker.next_chunk().map_err(ExecError::Output)? {
            writer.push(chunk)?;
        }
        let blob = writer.finish()?;
        let new = NewCommandRun {
            command: command_line.to_string(),
            started_at: actor.now,
            duration_ms: run.duration_ms,
            exit_code: run.exit_code,
            signal: run.signal,
            output_blob_id: blob.id,
            output_bytes: run.total,
            output_cap: run.cap as u64,
        };
        let seq = txn.insert_command_run(change.incident.pk, &new, &actor.author)?;
        change.command(seq, &run.ended(), text);
        record::save(txn, actor, change)?;
        Ok(seq)
    })
}

/// What the command wrote, stdout and stderr interleaved as they arrived, up to the cap.
#[derive(Default)]
struct Capture {
    kept: Vec<u8>,
    total: u64,
}

/// Copies a pipe to `to` as it comes and keeps what fits the cap, and OVERLAP bytes more for
/// redaction to see a secret across the cap whole (`stored_output` cuts after). It reads to the end past
/// the cap, so the command never blocks on a full pipe; a closed terminal stops the copying,
/// not the reading.
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
            let room = cap.saturating_add(OVERLAP).saturating_sub(c.kept.len());
            let keep = n.min(room);
            c.kept.extend_from_slice(&buf[..keep]);
            c.total += n as u64;
        }
    })
}

/// The command line as one would type it: words with spaces or quotes single-quoted.
pub fn shell_words(argv: &[String]) -> String {
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

    #[test]
    fn output_past_the_cap_says_how_much_was_not_kept() {
        let run = Run {
            exit_code: Some(0),
            signal: None,
            duration_ms: 5,
            kept: b"abc".to_vec(),
            total: 10,
            cap: 3,
        };
        let out = run.stored_output(&Redactor::new(Vec::<String>::new()));
        assert_eq!(
            out,
            b"abc\n[output cut at 3 bytes; 7 more bytes not kept]\n"
        );
        assert_eq!(run.ended(), "0");
    }
}
