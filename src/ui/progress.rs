//! A snapshot's progress on stderr: a line per finished collector, and one line (redrawn in
//! place) naming those still running. Only on a terminal.

use crate::collect::Progress;
use crate::domain::time::human_millis;
use crate::evidence::snapshot::ItemStatus;
use crate::ui::output::{Paint, terminal};
use std::io::{IsTerminal, Write};

/// Prints what `collect` reports, when stderr is a terminal.
pub struct Status {
    on: bool,
    paint: Paint,
}

impl Status {
    /// On only for a terminal: piped stderr gets no progress lines.
    pub fn stderr() -> Status {
        Status {
            on: std::io::stderr().is_terminal(),
            paint: Paint::stderr(),
        }
    }

    pub fn show(&mut self, progress: Progress) {
        if !self.on {
            return;
        }
        match progress {
            Progress::Finished { items, elapsed_ms } => {
                self.clear();
                let mut err = std::io::stderr().lock();
                for item in items {
                    let mark = match item.status {
                        ItemStatus::Ok => self.paint.green("ok     "),
                        ItemStatus::Failed => self.paint.red("failed "),
                        ItemStatus::Timeout => self.paint.red("timeout"),
                    };
                    let why = item
                        .error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default();
                    let line = format!(
                        "  {mark} {} {}{why}",
                        item.label(),
                        self.paint.dim(&human_millis(elapsed_ms))
                    );
                    let _ = writeln!(err, "{}", terminal(&line, &self.paint));
                }
            }
            Progress::Waiting { labels, elapsed_ms } => {
                let line = format!(
                    "  … waiting for {} ({})",
                    labels.join(", "),
                    human_millis(elapsed_ms)
                );
                let _ = write!(
                    std::io::stderr().lock(),
                    "\r\x1b[2K{}",
                    terminal(&self.paint.dim(&line), &self.paint)
                );
            }
            Progress::Done => self.clear(),
        }
    }

    fn clear(&mut self) {
        let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
    }
}

/// The progress callback a command hands to a snapshot: shown on stderr when it is a terminal.
pub fn on_stderr() -> impl for<'a> FnMut(Progress<'a>) {
    let mut status = Status::stderr();
    move |p| status.show(p)
}

/// One line on stderr, redrawn in place, saying how far a long job has got (`incident sync`);
/// only on a terminal, and cleared when the job ends.
pub struct Line {
    on: bool,
    paint: Paint,
    drawn: bool,
}

impl Line {
    pub fn stderr() -> Line {
        Line {
            on: std::io::stderr().is_terminal(),
            paint: Paint::stderr(),
            drawn: false,
        }
    }

    /// Replaces the line with `text`.
    pub fn show(&mut self, text: &str) {
        if !self.on {
            return;
        }
        let _ = write!(
            std::io::stderr().lock(),
            "\r\x1b[2K{}",
            terminal(&self.paint.dim(&format!("  … {text}")), &self.paint)
        );
        self.drawn = true;
    }

    /// Clears the line, if one was drawn.
    pub fn clear(&mut self) {
        if std::mem::take(&mut self.drawn) {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}
