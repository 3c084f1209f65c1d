//! Pieces several commands print: SLA clocks in words, and reading text arguments.

use super::App;
use crate::error::CommandError;
use crate::model::{Event, Incident};
use crate::output::Paint;
use crate::sla::{Clock, ClockState};
use crate::time::{display, human_duration};
use crate::workflow::WorkflowError;
use std::io::Read;

/// A clock in words: `12m left`, `OVERDUE by 2h`, `met with 5m to spare`, `BREACHED by 1h`.
pub fn clock_state(c: &Clock, paint: &Paint) -> String {
    let d = human_duration(c.margin);
    match c.state {
        ClockState::Running => format!("{d} left"),
        ClockState::Overdue => paint.red(&format!("OVERDUE by {d}")),
        ClockState::Met => paint.green(&format!("met with {d} to spare")),
        ClockState::Breached => paint.red(&format!("BREACHED by {d}")),
    }
}

/// `by 2026-11-29 10:15 (12m left)`.
pub fn clock_line(c: &Clock, paint: &Paint) -> String {
    format!("by {} ({})", display(c.deadline), clock_state(c, paint))
}

/// One incident and its whole timeline, read in one transaction.
pub fn incident_and_timeline(
    app: &App,
    number: i64,
) -> Result<(Incident, Vec<Event>), CommandError> {
    app.read(|txn| {
        let incident = txn
            .incident(number)?
            .ok_or(WorkflowError::NotFound(number))?;
        let timeline = txn.timeline(incident.pk)?;
        Ok((incident, timeline))
    })
}

/// The labels of those of `fields` that the incident has not recorded yet.
pub fn unrecorded(incident: &Incident, fields: &[crate::model::Field]) -> Vec<&'static str> {
    fields
        .iter()
        .filter(|f| incident.field(**f).is_empty())
        .map(|f| f.label())
        .collect()
}

/// A TEXT argument; `-` reads it from stdin, so `kubectl logs … | incident note 12 -` works.
pub fn text_arg(arg: &str) -> Result<String, CommandError> {
    if arg != "-" {
        return Ok(arg.to_string());
    }
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .map_err(|e| CommandError::new(format!("cannot read stdin: {e}")))?;
    String::from_utf8(buf).map_err(|_| {
        CommandError::new("stdin is not UTF-8 text")
            .with_hint("notes take text; attach binary logs as files")
    })
}

/// The end of every report command: print the template's context (`--context`), or render
/// the template and print it or write it to `out` whole. A template error writes nothing.
pub fn emit_report(
    app: &App,
    template: &str,
    context: &serde_json::Value,
    print_context: bool,
    out: Option<&std::path::Path>,
) -> Result<(), CommandError> {
    if print_context {
        return crate::output::out_json(context);
    }
    let text = crate::render::Templates::new(app.settings.templates.as_deref())
        .render(template, context)?;
    match out {
        None => crate::output::out(&text),
        Some(path) => write_whole(path, &text),
    }
}

/// Writes beside the target and renames over it, so a reader never sees half a report.
pub fn write_whole(path: &std::path::Path, text: &str) -> Result<(), CommandError> {
    let tmp = path.with_extension(format!(
        "{}.tmp{}",
        path.extension().and_then(|e| e.to_str()).unwrap_or(""),
        std::process::id()
    ));
    let fail = |action: &str, e: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        CommandError::new(format!("cannot {action} {}: {e}", path.display()))
            .with_hint("check the directory exists and is writable")
    };
    std::fs::write(&tmp, text).map_err(|e| fail("write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| fail("replace", e))?;
    crate::output::status(&format!("wrote {}", path.display()));
    Ok(())
}

/// How often a sleeping `--watch` looks at its stop flag: a signal ends it within this.
const WATCH_STEP: std::time::Duration = std::time::Duration::from_millis(50);

/// `--watch`: runs `tick` now and then every `interval` until SIGINT or SIGTERM, finishing the
/// tick in progress. `what` names the work in the status line ("checking health"); `cron` is
/// the command to run from cron instead, should signals be unavailable. An error from `tick`
/// ends the watch; a tick reports and swallows the errors it can ride out itself.
pub fn watch(
    interval: std::time::Duration,
    what: &str,
    cron: &str,
    mut tick: impl FnMut() -> Result<(), CommandError>,
) -> Result<(), CommandError> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop)).map_err(|e| {
            CommandError::new(format!("cannot watch for SIGINT and SIGTERM: {e}"))
                .with_hint(format!("run `{cron}` from cron instead of --watch"))
        })?;
    }
    crate::output::status(&format!(
        "{what} every {}; SIGINT or SIGTERM stops",
        crate::time::human_millis(interval.as_millis() as u64)
    ));
    while !stop.load(Ordering::SeqCst) {
        tick()?;
        let wake = Instant::now() + interval;
        while !stop.load(Ordering::SeqCst) && Instant::now() < wake {
            std::thread::sleep(WATCH_STEP.min(wake.saturating_duration_since(Instant::now())));
        }
    }
    Ok(())
}
