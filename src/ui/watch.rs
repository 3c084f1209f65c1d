//! `--watch`: one loop for every command that repeats its work until told to stop.

use crate::ui::error::CommandError;

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
    crate::ui::output::status(&format!(
        "{what} every {}; SIGINT or SIGTERM stops",
        crate::domain::time::human_millis(interval.as_millis() as u64)
    ));
    while !stop.load(Ordering::SeqCst) {
        tick()?;
        let wake = crate::domain::time::instant_after(Instant::now(), interval);
        while !stop.load(Ordering::SeqCst) && Instant::now() < wake {
            std::thread::sleep(WATCH_STEP.min(wake.saturating_duration_since(Instant::now())));
        }
    }
    Ok(())
}
