//! The weekly review's window from what the user gave (`incident review --week/--since/--until`
//! and `incident serve`'s `/review?week=&since=&until=`): the same choice and the same errors.

use crate::domain::time::{Timestamp, parse_time};
use crate::report::review::{Window, WindowError};

#[derive(Debug, thiserror::Error)]
pub enum ChoiceError {
    /// `flag` is `since` or `until`.
    #[error("{flag}: {message}")]
    Time { flag: &'static str, message: String },
    #[error(transparent)]
    Window(#[from] WindowError),
}

impl ChoiceError {
    pub fn hint(&self) -> String {
        match self {
            ChoiceError::Time { .. } => "the window runs from --since up to --until, like --since 2026-11-23 --until 2026-11-30".into(),
            ChoiceError::Window(e) => e.hint(),
        }
    }
}

/// The window `week` (an ISO week) names, or `since` up to `until` (default: now), or else the
/// last complete week; one that has not started by `now` is refused.
pub fn window(
    now: Timestamp,
    week: Option<&str>,
    since: Option<&str>,
    until: Option<&str>,
) -> Result<Window, ChoiceError> {
    let time = |flag: &'static str, arg: &str| {
        parse_time(arg, now).map_err(|e| ChoiceError::Time {
            flag,
            message: e.to_string(),
        })
    };
    let window = match (week, since) {
        (Some(week), _) => Window::parse_week(week)?,
        (None, Some(since)) => {
            let until = match until {
                Some(until) => time("until", until)?,
                None => now,
            };
            Window::between(time("since", since)?, until)?
        }
        _ => Window::last_complete_week(now),
    };
    Ok(window.started_by(now)?)
}
