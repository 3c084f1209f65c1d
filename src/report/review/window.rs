//! Review windows: ISO weeks in local time, --since/--until windows, and the window before.

use crate::domain::time::{self, Timestamp};
use chrono::{Datelike, Days, Local, LocalResult, NaiveDate, TimeZone, Weekday};

/// A review window: from `since` (included) to `until` (not included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// `2026-W48`, or the two times of a window given by --since/--until.
    pub label: String,
    pub since: Timestamp,
    pub until: Timestamp,
    /// The ISO week (year, week), when the window is one.
    pub week: Option<(i32, u32)>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WindowError {
    #[error("malformed week '{0}': use an ISO week like 2026-W48")]
    Malformed(String),
    #[error("there is no week {week} in {year}: it has {weeks} ISO weeks")]
    NoSuchWeek { year: i32, week: u32, weeks: u32 },
    #[error("--since {} is not before --until {}: the window is empty", time::display(*.since), time::display(*.until))]
    Empty { since: Timestamp, until: Timestamp },
    #[error("{label} has not started yet (it starts {})", time::display(*.since))]
    NotStarted { label: String, since: Timestamp },
    #[error("week {0} is out of range: reviews cover 1970-01-01 to 9999-12-31")]
    OutOfRange(String),
}

impl WindowError {
    pub fn hint(&self) -> String {
        match self {
            WindowError::Empty { .. } => {
                "the window runs from --since up to --until; give the earlier time first".into()
            }
            _ => "`incident review` alone reviews the last complete week".into(),
        }
    }
}

impl Window {
    /// ISO week `week` of `year`: Monday 00:00 local time to the next Monday 00:00.
    pub fn iso_week(year: i32, week: u32) -> Result<Window, WindowError> {
        let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(|| {
            WindowError::NoSuchWeek {
                year,
                week,
                weeks: weeks_in(year),
            }
        })?;
        let label = format!("{year}-W{week:02}");
        let (since, until) = match monday.checked_add_days(Days::new(7)) {
            Some(next) => (local_midnight(monday), local_midnight(next)),
            None => return Err(WindowError::OutOfRange(label)),
        };
        if since < time::earliest() || until > time::latest() {
            return Err(WindowError::OutOfRange(label));
        }
        Ok(Window {
            label,
            since,
            until,
            week: Some((year, week)),
        })
    }

    /// `2026-W48` (also `2026-w48`, `2026W48`).
    pub fn parse_week(spec: &str) -> Result<Window, WindowError> {
        let malformed = || WindowError::Malformed(spec.to_string());
        let (year, week) = spec.trim().split_once(['W', 'w']).ok_or_else(malformed)?;
        let year = year.strip_suffix('-').unwrap_or(year);
        let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
            n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(year, 4..=4) || !digits(week, 1..=2) {
            return Err(malformed());
        }
        let (year, week) = (
            year.parse().map_err(|_| malformed())?,
            week.parse().map_err(|_| malformed())?,
        );
        Window::iso_week(year, week)
    }

    /// The ISO week that `t` falls in, in local time.
    pub fn week_of(t: Timestamp) -> Window {
        let date = t.with_timezone(&Local).date_naive();
        let w = date.iso_week();
        Window::iso_week(w.year(), w.week()).unwrap_or_else(|_| Window {
            // Unreachable: the ISO week of a real date exists.
            label: date.to_string(),
            since: t,
            until: t,
            week: None,
        })
    }

    /// The last complete week before `now`: the review a lead runs on Monday.
    pub fn last_complete_week(now: Timestamp) -> Window {
        Window::week_of(now).previous()
    }

    /// Any window; `since` must come before `until`.
    pub fn between(since: Timestamp, until: Timestamp) -> Result<Window, WindowError> {
        if since >= until {
            return Err(WindowError::Empty { since, until });
        }
        Ok(Window {
            label: format!("{} – {}", time::display(since), time::display(until)),
            since,
            until,
            week: None,
        })
    }

    /// The window just before: the previous ISO week (which differs in length by an hour across
    /// a daylight-saving change, as weeks on the calendar do), or the same length immediately
    /// before a --since/--until window.
    pub fn previous(&self) -> Window {
        let earlier = (self.since.with_timezone(&Local).date_naive())
            .checked_sub_days(Days::new(7))
            .filter(|_| self.week.is_some());
        if let Some(earlier) = earlier {
            let w = earlier.iso_week();
            if let Ok(previous) = Window::iso_week(w.year(), w.week()) {
                return previous;
            }
        }
        // Never before the earliest time the log holds: a window reaching back to 1970 has
        // an empty one before it.
        let length = self.until.signed_duration_since(self.since);
        let since = (self.since)
            .checked_sub_signed(length)
            .map_or(time::earliest(), |t| t.max(time::earliest()));
        Window {
            label: format!("{} – {}", time::display(since), time::display(self.since)),
            since,
            until: self.since,
            week: None,
        }
    }

    /// Refuses a window that has not begun: there is nothing to review yet.
    pub fn started_by(self, now: Timestamp) -> Result<Window, WindowError> {
        if self.since >= now {
            return Err(WindowError::NotStarted {
                label: self.label,
                since: self.since,
            });
        }
        Ok(self)
    }
}

fn weeks_in(year: i32) -> u32 {
    // 28 December is always in the last ISO week of its year.
    NaiveDate::from_ymd_opt(year, 12, 28)
        .map(|d| d.iso_week().week())
        .unwrap_or(52)
}

/// Local midnight of `date`; where a daylight-saving change skips midnight, the first moment
/// of the day that exists.
fn local_midnight(date: NaiveDate) -> Timestamp {
    for hour in 0..4 {
        let Some(naive) = date.and_hms_opt(hour, 0, 0) else {
            break;
        };
        match Local.from_local_datetime(&naive) {
            LocalResult::Single(t) => return t.to_utc(),
            // Clocks going back at midnight: the first midnight is the start of the day.
            LocalResult::Ambiguous(early, _) => return early.to_utc(),
            LocalResult::None => {}
        }
    }
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        time::from_rfc3339(s).unwrap()
    }

    #[test]
    fn weeks_parse_and_bad_ones_say_why() {
        // TZ is not pinned in unit tests; compare in local time.
        let w = Window::parse_week("2026-W48").unwrap();
        assert_eq!(w.label, "2026-W48");
        assert_eq!(
            w.since,
            local_midnight(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())
        );
        assert_eq!(
            w.until,
            local_midnight(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap())
        );
        assert_eq!(Window::parse_week("2026w48").unwrap(), w);
        assert_eq!(w.previous().label, "2026-W47");
        assert_eq!(w.previous().until, w.since);
        // Week 1 of 2027 follows week 53 of 2026.
        assert_eq!(
            Window::parse_week("2027-W01").unwrap().previous().label,
            "2026-W53"
        );
        assert_eq!(
            Window::parse_week("2026-W60").unwrap_err(),
            WindowError::NoSuchWeek {
                year: 2026,
                week: 60,
                weeks: 53
            }
        );
        assert!(matches!(
            Window::parse_week("2025-W53"),
            Err(WindowError::NoSuchWeek { weeks: 52, .. })
        ));
        for bad in [
            "",
            "W48",
            "2026-48",
            "26-W48",
            "2026-W",
            "2026-W480",
            "2026-W4x",
        ] {
            assert_eq!(
                Window::parse_week(bad),
                Err(WindowError::Malformed(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_custom_window_is_compared_with_the_same_length_before_it() {
        let w = Window::between(t("2026-11-10T00:00:00Z"), t("2026-11-13T12:00:00Z")).unwrap();
        let p = w.previous();
        assert_eq!((p.since, p.until), (t("2026-11-06T12:00:00Z"), w.since));
        assert!(matches!(
            Window::between(w.until, w.since),
            Err(WindowError::Empty { .. })
        ));
        assert!(Window::between(w.since, w.since).is_err());
    }
}
