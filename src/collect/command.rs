//! The command collector: a configured argv with a timeout, its exit code, duration and output.
//!
//! Its data is [`CommandData`], where the byte counts are what the command wrote, kept or not.
//! `raw` is stdout, then `--- stderr ---` and stderr if there was any, then a line saying where
//! the output was cut if it was.

use crate::domain::text::io_message;
use crate::evidence::data::{CollectorData, CommandData};
use crate::evidence::redact::{OVERLAP, Redactor};
use crate::evidence::settings::CommandSettings;
use crate::evidence::snapshot::{Item, ItemStatus};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::{Instant, timeout, timeout_at};

const COLLECTOR: &str = CommandData::COLLECTOR;

/// How long the pipes get to reach end of file after the command's process group is gone. The
/// pipe buffers still hold output then; only a process that left the group keeps them open.
const DRAIN_GRACE: Duration = Duration::from_millis(100);

/// How long reaping a SIGKILLed process may take before it is left to the runtime: a process in
/// uninterruptible sleep dies only when its I/O returns.
const REAP_GRACE: Duration = Duration::from_millis(200);

/// Runs the command in its own process group and kills the whole group on timeout; its output
/// redacted by the rules alone.
pub async fn collect(settings: &CommandSettings) -> Item {
    collect_redacted(settings, &Redactor::default()).await
}

/// `collect`, its output redacted by `redactor` before it is cut to `max_output`: a secret the
/// cut falls in is replaced whole, not kept in part (the snapshot redacts the item again).
pub async fn collect_redacted(settings: &CommandSettings, redactor: &Redactor) -> Item {
    let started = Instant::now();
    let deadline = super::deadline_after(started, settings.timeout);
    let Some((program, args)) = settings.run.split_first() else {
        return Item::failed(
            COLLECTOR,
            &settings.name,
            0,
            "nothing to run: the command is empty",
        );
    };
    let mut child = match tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            return Item::failed(
                COLLECTOR,
                &settings.name,
                millis_since(started),
                format!("cannot run '{program}': {}", io_message(&e)),
            );
        }
    };
    // process_group(0) makes the child the leader of a new group whose id is its pid.
    let mut group = ProcessGroup::new(child.id());
    let capture = Arc::new(Mutex::new(Capture::new(settings.max_output)));
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let readers = async {
        tokio::join!(
            drain(stdout, Stream::Stdout, &capture),
            drain(stderr, Stream::Stderr, &capture)
        )
    };
    let mut readers = std::pin::pin!(readers);
    let mut readers_done = false;

    let exited = {
        let wait = timeout_at(deadline, child.wait());
        let mut wait = std::pin::pin!(wait);
        loop {
            tokio::select! {
                exited = &mut wait => break exited,
                _ = &mut readers, if !readers_done => readers_done = true,
            }
        }
    };
    let timed_out = exited.is_err();
    // Whatever is left in the group after its leader exited is a background process the command
    // started; it would outlive the snapshot. On timeout the group is killed whole.
    group.kill();
    let status = match exited {
        Ok(Ok(status)) => Ok(Some(status)),
        Ok(Err(e)) => Err(format!("cannot wait for the command: {}", io_message(&e))),
        Err(_) => match timeout(REAP_GRACE, child.wait()).await {
            Ok(Ok(status)) => Ok(Some(status)),
            _ => Ok(None),
        },
    };
    if !readers_done {
        let _ = timeout(DRAIN_GRACE, &mut readers).await;
    }
    group.disarm();

    let duration_ms = millis_since(started);
    let capture = match capture.lock() {
        Ok(c) => c.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    let status = match status {
        Ok(status) => status,
        Err(e) => return Item::failed(COLLECTOR, &settings.name, duration_ms, e),
    };
    let exit_code = status.and_then(|s| s.code());
    let signal = status.and_then(|s| s.signal());
    let data = CommandData {
        argv: settings.run.clone(),
        exit_code,
        signal,
        timed_out,
        duration_ms,
        stdout_bytes: capture.stdout_total,
        stderr_bytes: capture.stderr_total,
        truncated: capture.dropped > 0,
    };
    let (status, error) = verdict(status, timed_out, settings.timeout);
    Item {
        collector: COLLECTOR.to_string(),
        name: settings.name.clone(),
        status,
        duration_ms,
        error,
        data: crate::evidence::data::stored(&data),
        raw: capture.render(redactor),
        misconfigured: false,
    }
}

fn verdict(
    status: Option<ExitStatus>,
    timed_out: bool,
    limit: Duration,
) -> (ItemStatus, Option<String>) {
    if timed_out {
        let limit = crate::domain::time::human_millis(limit.as_millis() as u64);
        return (
            ItemStatus::Timeout,
            Some(format!(
                "still running after {limit}; killed its process group"
            )),
        );
    }
    match status {
        Some(s) if s.success() => (ItemStatus::Ok, None),
        Some(s) => match (s.code(), s.signal()) {
            (Some(code), _) => (ItemStatus::Failed, Some(format!("exit code {code}"))),
            (None, Some(sig)) => (
                ItemStatus::Failed,
                Some(format!("killed by {}", signal_name(sig))),
            ),
            (None, None) => (
                ItemStatus::Failed,
                Some("ended without an exit code".to_string()),
            ),
        },
        None => (
            ItemStatus::Failed,
            Some("ended without an exit code".to_string()),
        ),
    }
}

fn signal_name(sig: i32) -> String {
    match Signal::try_from(sig) {
        Ok(s) => format!("signal {sig} ({})", s.as_str()),
        Err(_) => format!("signal {sig}"),
    }
}

/// The command's process group, killed with SIGKILL if this collector is dropped before it
/// cleaned up (the snapshot deadline abandons collectors mid-flight).
struct ProcessGroup {
    pgid: Option<Pid>,
}

impl ProcessGroup {
    fn new(pid: Option<u32>) -> ProcessGroup {
        ProcessGroup {
            pgid: pid.and_then(|p| i32::try_from(p).ok()).map(Pid::from_raw),
        }
    }

    fn kill(&self) {
        if let Some(pgid) = self.pgid {
            // ESRCH: the group is already empty, which is the good case.
            let _ = killpg(pgid, Signal::SIGKILL);
        }
    }

    fn disarm(&mut self) {
        self.pgid = None;
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// Output kept so far, shared by the two pipe readers: one budget of `max` bytes for both, so
/// the cut is the same whichever stream is chatty. Each stream keeps OVERLAP bytes past its
/// share of the budget, for redaction to see a secret across the cut whole (`render` redacts,
/// then cuts each stream at its share).
#[derive(Clone)]
struct Capture {
    max: usize,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Each stream's share of the `max` bytes.
    stdout_share: usize,
    stderr_share: usize,
    stdout_total: u64,
    stderr_total: u64,
    dropped: u64,
}

impl Capture {
    fn new(max: usize) -> Capture {
        Capture {
            max,
            stdout: Vec::new(),
            stderr: Vec::new(),
            stdout_share: 0,
            stderr_share: 0,
            stdout_total: 0,
            stderr_total: 0,
            dropped: 0,
        }
    }

    fn push(&mut self, stream: Stream, bytes: &[u8]) {
        let room = self
            .max
            .saturating_sub(self.stdout_share + self.stderr_share);
        let within = bytes.len().min(room);
        self.dropped += (bytes.len() - within) as u64;
        let (buf, share, total) = match stream {
            Stream::Stdout => (
                &mut self.stdout,
                &mut self.stdout_share,
                &mut self.stdout_total,
            ),
            Stream::Stderr => (
                &mut self.stderr,
                &mut self.stderr_share,
                &mut self.stderr_total,
            ),
        };
        *share += within;
        // The stream's first bytes only: once it stops growing, its share is final too.
        let keep = (*share + OVERLAP)
            .saturating_sub(buf.len())
            .min(bytes.len());
        buf.extend_from_slice(&bytes[..keep]);
        *total += bytes.len() as u64;
    }

    /// The output as an item keeps it: redacted, each stream cut at its share after.
    fn render(&self, redactor: &Redactor) -> String {
        let (stdout, _, _) = redactor.redact_capped(&self.stdout, self.stdout_share);
        let (stderr, _, _) = redactor.redact_capped(&self.stderr, self.stderr_share);
        let mut raw = String::from_utf8_lossy(&stdout).into_owned();
        if !stderr.is_empty() {
            end_line(&mut raw);
            raw.push_str("--- stderr ---\n");
            raw.push_str(&String::from_utf8_lossy(&stderr));
        }
        if self.dropped > 0 {
            end_line(&mut raw);
            raw.push_str(&format!(
                "[output cut at {} bytes; {} more bytes not kept]\n",
                self.max, self.dropped
            ));
        }
        raw
    }
}

fn end_line(s: &mut String) {
    if !s.is_empty() && !s.ends_with('\n') {
        s.push('\n');
    }
}

/// Reads a pipe to its end, keeping what fits the budget. It keeps reading past the budget so a
/// chatty command never blocks on a full pipe.
async fn drain<R: AsyncRead + Unpin>(pipe: Option<R>, stream: Stream, capture: &Mutex<Capture>) {
    let Some(mut pipe) = pipe else { return };
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => match capture.lock() {
                Ok(mut c) => c.push(stream, &buf[..n]),
                Err(poisoned) => poisoned.into_inner().push(stream, &buf[..n]),
            },
        }
    }
}

fn millis_since(started: Instant) -> u64 {
    started.elapsed().as_millis() as u64
}
