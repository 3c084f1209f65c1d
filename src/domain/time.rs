//! The one clock every command reads, and the parsing and display of times and durations.

use chrono::{DateTime, Local, LocalResult, NaiveDate, NaiveDateTime, SubsecRound, TimeZone, Utc};
use std::time::Duration;

pub type Timestamp = DateTime<Utc>;

/// Pins the clock (RFC 3339), so tests and demos see the same times every run.
pub const NOW_ENV: &str = "INCIDENT_NOW";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TimeError {
    #[error(
        "malformed time '{0}': use RFC 3339 (2026-11-29T04:48:00Z), 'YYYY-MM-DD HH:MM' in local time, or relative like -15m, -2h, -5d, +7d"
    )]
    Malformed(String),
    #[error(
        "time '{0}' does not exist in the local time zone (a daylight-saving gap); give it in RFC 3339 with an offset"
    )]
    LocalGap(String),
    #[error(
        "{NOW_ENV}={0:?} is not an RFC 3339 time between 1970-01-01 and 9999-12-31; unset it to use the system clock"
    )]
    BadPinnedClock(String),
    #[error("malformed duration {0:?}: use a number with a unit, like 15m, 4h, 3d or 1h30m")]
    BadDuration(String),
    #[error("time '{0}' is out of range: give a time between 1970-01-01 and 9999-12-31")]
    OutOfRange(String),
    #[error("duration {input:?} is too long: at most {}", human_duration(i64::try_from(.max.as_secs()).unwrap_or(i64::MAX)))]
    TooLong { input: String, max: Duration },
}

/// The earliest time the log holds: the store compares times as RFC 3339 text and with
/// SQLite's `unixepoch`, which order and count them correctly from 1970 to year 9999.
pub fn earliest() -> Timestamp {
    DateTime::<Utc>::UNIX_EPOCH
}

/// The latest time the log holds (see [`earliest`]); deadlines past it are capped to it.
pub fn latest() -> Timestamp {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(|t| t.and_utc())
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `t + d`, capped to [`latest`] rather than overflowing: a deadline years away is as good as
/// never, and no target or window makes date arithmetic panic.
pub fn add_capped(t: Timestamp, d: Duration) -> Timestamp {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| t.checked_add_signed(d))
        .map_or_else(latest, |t| t.min(latest()))
}

/// The longest `--interval` of a `--watch`: checking less than daily is cron's job.
pub const MAX_WATCH_INTERVAL: Duration = Duration::from_secs(86_400);

/// `start + d` for a monotonic deadline, never panicking: a wait longer than a year (which no
/// bounded setting gives) waits a year, and one past what the clock can count ends at once.
pub fn instant_after(start: std::time::Instant, d: Duration) -> std::time::Instant {
    const LONGEST_WAIT: Duration = Duration::from_secs(366 * 86_400);
    start.checked_add(d.min(LONGEST_WAIT)).unwrap_or(start)
}

/// The current time, truncated to whole seconds; `INCIDENT_NOW` pins it (within
/// [`earliest`]..=[`latest`], like every time the tool accepts).
pub fn now() -> Result<Timestamp, TimeError> {
    match std::env::var(NOW_ENV) {
        Ok(pinned) if !pinned.is_empty() => DateTime::parse_from_rfc3339(&pinned)
            .map(|t| t.with_timezone(&Utc).trunc_subsecs(0))
            .ok()
            .filter(|t| (earliest()..=latest()).contains(t))
            .ok_or(TimeError::BadPinnedClock(pinned)),
        _ => Ok(Utc::now().trunc_subsecs(0)),
    }
}

/// Parses a user-given TIME: RFC 3339, local `YYYY-MM-DD HH:MM[:SS]` (or a bare date at
/// local midnight), `now`, or relative to `now` (`-15m`, `-2h`, `-5d`, `-1h30m`; `+7d` for a
/// due date). Events refuse future times themselves; any time outside [`earliest`]..=[`latest`]
/// is refused here.
pub fn parse_time(input: &str, now: Timestamp) -> Result<Timestamp, TimeError> {
    let t = parse_any_time(input, now)?;
    if t < earliest() || t > latest() {
        return Err(TimeError::OutOfRange(input.to_string()));
    }
    Ok(t)
}

fn parse_any_time(input: &str, now: Timestamp) -> Result<Timestamp, TimeError> {
    let s = input.trim();
    if s.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    let relative = match s.as_bytes().first() {
        Some(b'-') => Some((true, &s[1..])),
        Some(b'+') => Some((false, &s[1..])),
        _ => None,
    };
    if let Some((back, rel)) = relative {
        let d = parse_duration(rel).map_err(|_| TimeError::Malformed(input.to_string()))?;
        let d =
            chrono::Duration::from_std(d).map_err(|_| TimeError::Malformed(input.to_string()))?;
        let t = match back {
            true => now.checked_sub_signed(d),
            false => now.checked_add_signed(d),
        };
        return t.ok_or_else(|| TimeError::Malformed(input.to_string()));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc).trunc_subsecs(0));
    }
    let naive = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
    .ok_or_else(|| TimeError::Malformed(input.to_string()))?;
    match Local.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        // A repeated hour (clocks going back): the earlier reading is the one that happened first.
        LocalResult::Ambiguous(early, _) => Ok(early.with_timezone(&Utc)),
        LocalResult::None => Err(TimeError::LocalGap(input.to_string())),
    }
}

/// Parses a positive duration such as `15m`, `4h`, `3d` or `1h30m`.
pub fn parse_duration(input: &str) -> Result<Duration, TimeError> {
    let d = humantime::parse_duration(input.trim())
        .map_err(|_| TimeError::BadDuration(input.to_string()))?;
    if d.is_zero() {
        return Err(TimeError::BadDuration(input.to_string()));
    }
    Ok(d)
}

/// [`parse_duration`], refused beyond `max`: every duration the tool accepts has a bound, so
/// no deadline, sleep or timeout computed from one can overflow.
pub fn parse_duration_at_most(input: &str, max: Duration) -> Result<Duration, TimeError> {
    let d = parse_duration(input)?;
    if d > max {
        return Err(TimeError::TooLong {
            input: input.to_string(),
            max,
        });
    }
    Ok(d)
}

/// Storage and JSON form: RFC 3339 UTC with whole seconds, which sorts as text.
pub fn to_rfc3339(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Reads a stored time; the database only ever holds what [`to_rfc3339`] wrote.
pub fn from_rfc3339(s: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Reads a time from the database. One outside [`earliest`]..=[`latest`], which versions before
/// the range was enforced could store (`-2974-10-29T11:13:20Z`), reads as the nearest end of
/// the range, so that one such row cannot stop every command that reads it; `incident doctor`
/// names it. Files and the team log are read with [`from_rfc3339`], which refuses it.
pub fn from_stored(s: &str) -> Option<Timestamp> {
    if let Some(t) = from_rfc3339(s) {
        return Some(t.clamp(earliest(), latest()));
    }
    // chrono reads four-digit years only: a signed or longer year is outside the range.
    let (before, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let a_time = digits >= 4 && rest[digits..].starts_with('-') && rest.contains('T');
    a_time.then(|| if before { earliest() } else { latest() })
}

/// Serde (serialize) for a time in the storage form ([`to_rfc3339`]).
pub mod rfc3339 {
    use super::{Timestamp, to_rfc3339};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_rfc3339(*t))
    }
}

/// Serde for an optional time in the storage form ([`to_rfc3339`]): `"2026-11-29T04:48:51Z"`.
pub mod rfc3339_option {
    use super::{Timestamp, from_rfc3339, to_rfc3339};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&to_rfc3339(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| {
            from_rfc3339(&t)
                .ok_or_else(|| serde::de::Error::custom(format!("'{t}' is not an RFC 3339 time")))
        })
        .transpose()
    }
}

/// How people read a time in tables and reports: local, to the minute (the guide's `YYYY-MM-DD HH:MM`).
pub fn display(t: Timestamp) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

/// A span in its two largest non-zero units: `5d 2h`, `5d 15m`, `1h 15m`, `45m`, `30s`.
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60, s % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{sec}s"),
        (0, 0, _) => format!("{m}m"),
        (0, _, 0) => format!("{h}h"),
        (0, _, _) => format!("{h}h {m}m"),
        (_, 0, 0) => format!("{d}d"),
        (_, 0, _) => format!("{d}d {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// A short span in milliseconds: `850ms`, `2.0s`, then as [`human_duration`].
pub fn human_millis(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{ms}ms"),
        1_000..60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        _ => human_duration((ms / 1000) as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        from_rfc3339(s).unwrap()
    }

    #[test]
    fn relative_times_count_back_from_now() {
        let now = t("2026-11-29T12:00:00Z");
        assert_eq!(parse_time("-15m", now).unwrap(), t("2026-11-29T11:45:00Z"));
        assert_eq!(parse_time("-2h", now).unwrap(), t("2026-11-29T10:00:00Z"));
        assert_eq!(parse_time("-5d", now).unwrap(), t("2026-11-24T12:00:00Z"));
        assert_eq!(
            parse_time("-1h30m", now).unwrap(),
            t("2026-11-29T10:30:00Z")
        );
        assert_eq!(parse_time("now", now).unwrap(), now);
        assert_eq!(parse_time("+7d", now).unwrap(), t("2026-12-06T12:00:00Z"));
    }

    #[test]
    fn absolute_times_accept_rfc3339_with_offsets() {
        let now = t("2026-11-29T12:00:00Z");
        assert_eq!(
            parse_time("2026-10-07T09:00:00+02:00", now).unwrap(),
            t("2026-10-07T07:00:00Z")
        );
        assert_eq!(
            parse_time("2026-10-07T09:00:00.750Z", now).unwrap(),
            t("2026-10-07T09:00:00Z")
        );
    }

    #[test]
    fn garbage_is_refused_with_the_accepted_forms() {
        let now = t("2026-11-29T12:00:00Z");
        for bad in ["yesterday", "-", "-15x", "2026-13-01 10:00", "10:00", ""] {
            let err = parse_time(bad, now).unwrap_err();
            assert!(err.to_string().contains("RFC 3339"), "{bad}: {err}");
        }
    }

    #[test]
    fn times_outside_the_documented_range_are_refused_without_overflow() {
        let now = t("2026-11-29T12:00:00Z");
        for bad in [
            "1969-12-31T23:59:59Z",
            "+9000000d",
            "-30000d",
            "+99999999999d",
        ] {
            let err = parse_time(bad, now).unwrap_err();
            assert!(
                matches!(err, TimeError::OutOfRange(_) | TimeError::Malformed(_)),
                "{bad}: {err}"
            );
        }
        assert_eq!(parse_time("1970-01-01T00:00:00Z", now).unwrap(), earliest());
        assert_eq!(parse_time("9999-12-31T23:59:59Z", now).unwrap(), latest());
        assert_eq!(
            add_capped(latest(), Duration::from_secs(1)),
            latest(),
            "a deadline past the range is capped"
        );
        assert_eq!(add_capped(now, Duration::MAX), latest());
        assert_eq!(
            add_capped(now, Duration::from_secs(60)),
            t("2026-11-29T12:01:00Z")
        );
    }

    #[test]
    fn stored_times_outside_the_range_read_as_its_nearest_end() {
        assert_eq!(from_stored("-2974-10-29T11:13:20Z"), Some(earliest()));
        assert_eq!(from_stored("1969-07-20T20:17:40Z"), Some(earliest()));
        assert_eq!(from_stored("+10000-01-01T00:00:00Z"), Some(latest()));
        assert_eq!(from_stored("12026-11-29T10:00:00Z"), Some(latest()));
        let t = t("2026-11-29T10:00:00Z");
        assert_eq!(from_stored("2026-11-29T10:00:00Z"), Some(t));
        assert_eq!(from_stored("yesterday"), None);
        assert_eq!(
            from_rfc3339("-2974-10-29T11:13:20Z"),
            None,
            "files still refuse it"
        );
    }

    #[test]
    fn durations_have_a_maximum_and_deadlines_never_overflow() {
        let day = Duration::from_secs(86_400);
        assert_eq!(parse_duration_at_most("24h", day).unwrap(), day);
        for long in ["24h1s", "300000y", "9223372036854775807s"] {
            let err = parse_duration_at_most(long, day).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("duration {long:?} is too long: at most 1d")
            );
        }
        let start = std::time::Instant::now();
        assert_eq!(instant_after(start, day), start + day);
        assert!(instant_after(start, Duration::MAX) > start + day);
    }

    #[test]
    fn durations_are_positive() {
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(
            parse_duration("3d").unwrap(),
            Duration::from_secs(3 * 86_400)
        );
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn human_durations_keep_two_units() {
        assert_eq!(human_duration(30), "30s");
        assert_eq!(human_duration(45 * 60), "45m");
        assert_eq!(human_duration(3_600), "1h");
        assert_eq!(human_duration(4_500), "1h 15m");
        assert_eq!(human_duration(5 * 86_400 + 2 * 3_600 + 59), "5d 2h");
        assert_eq!(human_duration(5 * 86_400 + 15 * 60), "5d 15m");
        assert_eq!(human_duration(2 * 86_400), "2d");
        assert_eq!(human_duration(-90 * 60), "1h 30m");
    }
}
