//! Business-hours calendars for SLA clocks (`[calendars.NAME]`, `[sla.P3] calendar`), pure: a
//! clock on a calendar counts only the hours the calendar is open — its weekly hours in its
//! time zone, less its holidays — so a P3 opened Friday 16:00 with 24 h on Monday–Friday
//! 09:00–17:00 is due Wednesday 16:00. No calendar means 24x7: every second counts.
//!
//! Local times are resolved through the IANA database compiled in (chrono-tz): a range that
//! starts or ends in the hour skipped when clocks go forward starts or ends where that hour
//! ends; one in the hour repeated when they go back opens at its first occurrence and closes
//! at its last, so a range always covers every moment the wall clock shows inside it.

use crate::domain::time::{self, Timestamp};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

/// A calendar: weekly opening hours in a time zone, and holidays (whole local days) on which
/// it is closed. Serialized as it is recorded with a clock (`sla::Terms`): name, zone, the
/// hours as written, the holidays as dates.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Calendar {
    pub name: String,
    pub timezone: Tz,
    pub hours: Vec<Hours>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub holidays: BTreeSet<NaiveDate>,
}

/// One line of `hours`: days of the week and the time spans it is open on each of them
/// (`"Mon-Fri 09:00-12:00 13:00-17:00"`). Minutes from local midnight; `to` may be 24:00.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hours {
    /// Monday first.
    days: [bool; 7],
    spans: Vec<(u32, u32)>,
}

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MINUTES_PER_DAY: u32 = 1_440;

/// How far a clock walks looking for open hours before it gives up and is due at the end of
/// time (`time::latest`): a year's target on one open hour a week takes 168 years, and no
/// deadline that far means anything.
const MAX_WALK_DAYS: u32 = 366 * 200;

/// The holidays recorded with a clock: from its start to this many days later. A year's target
/// on 40 hours a week ends within about four years and a quarter.
pub const RECORDED_HOLIDAY_DAYS: u64 = 5 * 366;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "hours {0:?}: expected days and times like \"Mon-Fri 09:00-17:00\" (days Mon..Sun, ranges with -, lists with ,; times HH:MM-HH:MM, several allowed)"
    )]
    Syntax(String),
    #[error("hours {0:?}: unknown day {1:?}: use Mon, Tue, Wed, Thu, Fri, Sat or Sun")]
    Day(String, String),
    #[error("hours {0:?}: {1:?} is not a time of day: use HH:MM from 00:00 to 24:00")]
    Time(String, String),
    #[error(
        "hours {0:?}: {1} ends before it starts: a range cannot cross midnight; split it (\"Mon 22:00-24:00\", \"Tue 00:00-06:00\")"
    )]
    Backwards(String, String),
}

impl Hours {
    /// Parses one line of `hours`.
    pub fn parse(text: &str) -> Result<Hours, CalendarError> {
        let syntax = || CalendarError::Syntax(text.to_string());
        let mut words = text.split_whitespace();
        let days_word = words.next().ok_or_else(syntax)?;
        let days = parse_days(text, days_word)?;
        let spans = words
            .map(|w| parse_span(text, w))
            .collect::<Result<Vec<_>, _>>()?;
        if spans.is_empty() {
            return Err(syntax());
        }
        Ok(Hours { days, spans })
    }
}

fn parse_days(line: &str, word: &str) -> Result<[bool; 7], CalendarError> {
    let day = |name: &str| {
        DAY_NAMES
            .iter()
            .position(|d| d.eq_ignore_ascii_case(name))
            .ok_or_else(|| CalendarError::Day(line.to_string(), name.to_string()))
    };
    let mut days = [false; 7];
    for item in word.split(',') {
        let (first, last) = match item.split_once('-') {
            Some((a, b)) => (day(a)?, day(b)?),
            None => (day(item)?, day(item)?),
        };
        // A range may wrap past Sunday ("Fri-Mon").
        let mut d = first;
        loop {
            days[d] = true;
            if d == last {
                break;
            }
            d = (d + 1) % 7;
        }
    }
    Ok(days)
}

fn parse_span(line: &str, word: &str) -> Result<(u32, u32), CalendarError> {
    let syntax = || CalendarError::Syntax(line.to_string());
    let (a, b) = word.split_once('-').ok_or_else(syntax)?;
    let minutes = |t: &str| -> Result<u32, CalendarError> {
        let bad = || CalendarError::Time(line.to_string(), t.to_string());
        let (h, m) = t.split_once(':').ok_or_else(bad)?;
        let all_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(h) || !all_digits(m) {
            return Err(bad());
        }
        let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        match (h, m) {
            (24, 0) => Ok(MINUTES_PER_DAY),
            (0..=23, 0..=59) => Ok(h * 60 + m),
            _ => Err(bad()),
        }
    };
    let (from, to) = (minutes(a)?, minutes(b)?);
    if to <= from {
        return Err(CalendarError::Backwards(line.to_string(), word.to_string()));
    }
    Ok((from, to))
}

impl fmt::Display for Hours {
    /// The canonical form: day ranges joined by commas, then each span.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut groups: Vec<String> = Vec::new();
        let mut d = 0;
        while d < 7 {
            if !self.days[d] {
                d += 1;
                continue;
            }
            let start = d;
            while d + 1 < 7 && self.days[d + 1] {
                d += 1;
            }
            groups.push(match d - start {
                0 => DAY_NAMES[start].to_string(),
                _ => format!("{}-{}", DAY_NAMES[start], DAY_NAMES[d]),
            });
            d += 1;
        }
        let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{}", groups.join(","))?;
        for (a, b) in &self.spans {
            write!(f, " {}-{}", hm(*a), hm(*b))?;
        }
        Ok(())
    }
}

impl serde::Serialize for Hours {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Hours {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Hours, D::Error> {
        let text = String::deserialize(d)?;
        Hours::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Calendar {
    /// The calendar as a clock records it when it starts at `from`: its holidays from that day
    /// for [`RECORDED_HOLIDAY_DAYS`], so that a calendar with recurring holidays expanded
    /// over decades is not copied into every event whole.
    pub fn recorded_from(&self, from: Timestamp) -> Calendar {
        let first = from.with_timezone(&self.timezone).date_naive();
        let last = first
            .checked_add_days(chrono::Days::new(RECORDED_HOLIDAY_DAYS))
            .unwrap_or(NaiveDate::MAX);
        Calendar {
            holidays: self.holidays.range(first..=last).copied().collect(),
            ..self.clone()
        }
    }

    /// "business (Mon-Fri 09:00-17:00, Europe/Berlin, 3 holidays)".
    pub fn describe(&self) -> String {
        let hours: Vec<String> = self.hours.iter().map(ToString::to_string).collect();
        let holidays = match self.holidays.len() {
            0 => String::new(),
            1 => ", 1 holiday".to_string(),
            n => format!(", {n} holidays"),
        };
        format!(
            "{} ({}, {}{holidays})",
            self.name,
            hours.join("; "),
            self.timezone.name()
        )
    }

    /// The open spans (minutes from local midnight, merged, in order) of local day `date`.
    fn spans(&self, date: NaiveDate) -> Vec<(u32, u32)> {
        if self.holidays.contains(&date) {
            return Vec::new();
        }
        let weekday = date.weekday().num_days_from_monday() as usize;
        let mut spans: Vec<(u32, u32)> = self
            .hours
            .iter()
            .filter(|h| h.days[weekday])
            .flat_map(|h| h.spans.iter().copied())
            .collect();
        spans.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(spans.len());
        for (a, b) in spans {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        merged
    }

    /// The instant local `date` + `minutes` names: the first occurrence when the wall clock
    /// shows it twice (`first`), else the last; where it shows it never, the end of the gap.
    fn instant(&self, date: NaiveDate, minutes: u32, first: bool) -> Option<Timestamp> {
        let mut local = NaiveDateTime::new(date, NaiveTime::MIN)
            .checked_add_signed(chrono::TimeDelta::minutes(i64::from(minutes)))?;
        // A gap is at most a day long (Samoa, 2011); its end is the first minute that exists.
        for _ in 0..=MINUTES_PER_DAY {
            match self.timezone.from_local_datetime(&local) {
                chrono::LocalResult::Single(t) => return Some(t.to_utc()),
                chrono::LocalResult::Ambiguous(a, b) => {
                    return Some(if first { a.to_utc() } else { b.to_utc() });
                }
                chrono::LocalResult::None => {
                    local = local.checked_add_signed(chrono::TimeDelta::minutes(1))?;
                }
            }
        }
        None
    }

    /// The open intervals of the calendar from `start` on, day by day, as instants, cut to
    /// begin no earlier than `start`; at most [`MAX_WALK_DAYS`] days.
    fn open_from(&self, start: Timestamp) -> impl Iterator<Item = (Timestamp, Timestamp)> + '_ {
        let first = start.with_timezone(&self.timezone).date_naive();
        first
            .iter_days()
            .take(MAX_WALK_DAYS as usize)
            .flat_map(move |date| {
                self.spans(date).into_iter().filter_map(move |(a, b)| {
                    let open = self.instant(date, a, true)?;
                    let close = self.instant(date, b, false)?;
                    Some((open.max(start), close))
                })
            })
            .filter(|(open, close)| open < close)
    }

    /// The instant at which `need` of open time outside `excluded` (intervals, any order)
    /// has passed since `start`: a clock's deadline. `start` itself when `need` is zero;
    /// `time::latest()` when the calendar has no such time left.
    pub fn add(
        &self,
        start: Timestamp,
        need: Duration,
        excluded: &[(Timestamp, Timestamp)],
    ) -> Timestamp {
        let mut left = i64::try_from(need.as_secs()).unwrap_or(i64::MAX);
        if left == 0 {
            return start;
        }
        for (open, close) in self.open_from(start) {
            for (a, b) in minus(open, close, excluded) {
                let length = b.signed_duration_since(a).num_seconds();
                if length >= left {
                    return a
                        .checked_add_signed(chrono::TimeDelta::seconds(left))
                        .unwrap_or_else(time::latest);
                }
                left = left.saturating_sub(length);
            }
        }
        time::latest()
    }

    /// The open time outside `excluded` between `from` and `to` (none when `to` is not after
    /// `from`).
    pub fn open_between(
        &self,
        from: Timestamp,
        to: Timestamp,
        excluded: &[(Timestamp, Timestamp)],
    ) -> Duration {
        let mut total: u64 = 0;
        for (open, close) in self.open_from(from) {
            if open >= to {
                break;
            }
            for (a, b) in minus(open, close.min(to), excluded) {
                let length = b.signed_duration_since(a).num_seconds();
                total = total.saturating_add(u64::try_from(length).unwrap_or(0));
            }
        }
        Duration::from_secs(total)
    }

    /// Whether the calendar is open at `at`, and when that next changes (it opens, or it
    /// closes); none when it never does again within the walk. What a live board needs to
    /// know of a clock on this calendar. Open spans that touch (open to midnight, open again
    /// from midnight) are one; a week of open time is as far as it looks for the close.
    pub fn next_change(&self, at: Timestamp) -> (bool, Option<Timestamp>) {
        let mut spans = self.open_from(at);
        let Some((open, mut close)) = spans.next() else {
            return (false, None);
        };
        if open > at {
            return (false, Some(open));
        }
        let horizon = at
            .checked_add_signed(chrono::TimeDelta::days(7))
            .unwrap_or_else(time::latest);
        for (next_open, next_close) in spans {
            if next_open > close || close >= horizon {
                break;
            }
            close = close.max(next_close);
        }
        (true, Some(close))
    }
}

/// `[open, close)` less every interval of `excluded`, as ordered pieces.
fn minus(
    open: Timestamp,
    close: Timestamp,
    excluded: &[(Timestamp, Timestamp)],
) -> Vec<(Timestamp, Timestamp)> {
    let mut cuts: Vec<(Timestamp, Timestamp)> = excluded
        .iter()
        .filter(|(a, b)| a < b && *a < close && *b > open)
        .copied()
        .collect();
    cuts.sort_unstable();
    let mut pieces = Vec::new();
    let mut at = open;
    for (a, b) in cuts {
        if a > at {
            pieces.push((at, a));
        }
        at = at.max(b);
    }
    if at < close {
        pieces.push((at, close));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::from_rfc3339;

    fn t(s: &str) -> Timestamp {
        from_rfc3339(s).unwrap()
    }

    fn business(zone: &str, holidays: &[&str]) -> Calendar {
        Calendar {
            name: "business".into(),
            timezone: zone.parse().unwrap(),
            hours: vec![Hours::parse("Mon-Fri 09:00-17:00").unwrap()],
            holidays: holidays.iter().map(|d| d.parse().unwrap()).collect(),
        }
    }

    const H: u64 = 3_600;

    #[test]
    fn friday_afternoon_p3_is_due_wednesday_afternoon() {
        // 2026-12-04 is a Friday; Berlin is UTC+1 in December. 1 h Friday, 8 h Monday, 8 h
        // Tuesday, 7 h Wednesday.
        let cal = business("Europe/Berlin", &[]);
        let due = cal.add(t("2026-12-04T15:00:00Z"), Duration::from_secs(24 * H), &[]);
        assert_eq!(due, t("2026-12-09T15:00:00Z"));
        let open = cal.open_between(t("2026-12-04T15:00:00Z"), due, &[]);
        assert_eq!(open, Duration::from_secs(24 * H));
    }

    #[test]
    fn hours_parse_and_print_canonically() {
        for (text, canonical) in [
            ("Mon-Fri 09:00-17:00", "Mon-Fri 09:00-17:00"),
            (
                "mon,tue,wed,thu,fri 09:00-12:00 13:00-17:00",
                "Mon-Fri 09:00-12:00 13:00-17:00",
            ),
            ("Sat-Sun 00:00-24:00", "Sat-Sun 00:00-24:00"),
            ("Fri-Mon 10:00-11:00", "Mon,Fri-Sun 10:00-11:00"),
        ] {
            assert_eq!(Hours::parse(text).unwrap().to_string(), canonical, "{text}");
        }
        for bad in [
            "",
            "Mon-Fri",
            "Mon-Fri 9-17",
            "Mon-Fri 9:00-17:00",
            "Mon-Fri 09:00-25:00",
            "Mon-Fri 17:00-09:00",
            "Mon-Fri 09:00-09:00",
            "Mo-Fr 09:00-17:00",
            "Mon-Fri 09:60-17:00",
        ] {
            assert!(Hours::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn overlapping_ranges_count_once_and_holidays_close_whole_days() {
        let mut cal = business("UTC", &["2026-12-07"]);
        cal.hours.push(Hours::parse("Mon 08:00-10:00").unwrap());
        // Monday 7th is a holiday: Friday 16:00 + 2 h = Tuesday 10:00.
        let due = cal.add(t("2026-12-04T16:00:00Z"), Duration::from_secs(2 * H), &[]);
        assert_eq!(due, t("2026-12-08T10:00:00Z"));
        cal.holidays.clear();
        // Monday 08:00-17:00 (overlap merged): 1 h Friday + 1 h from Monday 08:00.
        let due = cal.add(t("2026-12-04T16:00:00Z"), Duration::from_secs(2 * H), &[]);
        assert_eq!(due, t("2026-12-07T09:00:00Z"));
    }

    #[test]
    fn excluded_time_does_not_count() {
        let cal = business("UTC", &[]);
        let pause = [(t("2026-12-07T10:00:00Z"), t("2026-12-07T12:00:00Z"))];
        let due = cal.add(
            t("2026-12-07T09:00:00Z"),
            Duration::from_secs(4 * H),
            &pause,
        );
        assert_eq!(due, t("2026-12-07T15:00:00Z"));
        let open = cal.open_between(t("2026-12-07T09:00:00Z"), due, &pause);
        assert_eq!(open, Duration::from_secs(4 * H));
    }

    #[test]
    fn a_calendar_never_open_is_due_at_the_end_of_time() {
        let mut cal = business("UTC", &[]);
        cal.hours = vec![Hours::parse("Sun 10:00-11:00").unwrap()];
        // Every Sunday a holiday for the first weeks still finds a Sunday later.
        cal.holidays = ["2026-12-06", "2026-12-13"]
            .iter()
            .map(|d| d.parse().unwrap())
            .collect();
        let due = cal.add(t("2026-12-04T00:00:00Z"), Duration::from_secs(H), &[]);
        assert_eq!(due, t("2026-12-20T11:00:00Z"));
        let excluded = [(t("2026-12-01T00:00:00Z"), time::latest())];
        assert_eq!(
            cal.add(t("2026-12-04T00:00:00Z"), Duration::from_secs(H), &excluded),
            time::latest()
        );
    }

    #[test]
    fn recorded_calendars_keep_the_holidays_ahead_and_round_trip() {
        let cal = business("Europe/Berlin", &["2020-12-25", "2026-12-25", "2040-12-25"]);
        let kept = cal.recorded_from(t("2026-12-04T15:00:00Z"));
        let days: Vec<String> = kept.holidays.iter().map(ToString::to_string).collect();
        assert_eq!(days, ["2026-12-25"]);
        let json = serde_json::to_string(&kept).unwrap();
        assert_eq!(
            json,
            r#"{"name":"business","timezone":"Europe/Berlin","hours":["Mon-Fri 09:00-17:00"],"holidays":["2026-12-25"]}"#
        );
        assert_eq!(serde_json::from_str::<Calendar>(&json).unwrap(), kept);
    }

    // ---- Edges of the arithmetic. Expected values are worked out by hand in the comments;
    // 2026-12-04 is a Friday, 2026-12-07 a Monday.

    fn calendar(zone: &str, hours: &[&str], holidays: &[&str]) -> Calendar {
        Calendar {
            name: "test".into(),
            timezone: zone.parse().unwrap(),
            hours: hours.iter().map(|h| Hours::parse(h).unwrap()).collect(),
            holidays: holidays.iter().map(|d| d.parse().unwrap()).collect(),
        }
    }

    /// `add`, and `open_between` agreeing with it.
    #[track_caller]
    fn due(cal: &Calendar, start: &str, need_secs: u64) -> Timestamp {
        let need = Duration::from_secs(need_secs);
        let due = cal.add(t(start), need, &[]);
        assert_eq!(cal.open_between(t(start), due, &[]), need, "from {start}");
        due
    }

    #[test]
    fn a_start_outside_hours_counts_from_the_next_opening() {
        let cal = business("UTC", &[]);
        // Before opening: Monday 07:00 + 1 h = Monday 10:00.
        assert_eq!(
            due(&cal, "2026-12-07T07:00:00Z", H),
            t("2026-12-07T10:00:00Z")
        );
        // After closing: Monday 18:00 + 1 h = Tuesday 10:00.
        assert_eq!(
            due(&cal, "2026-12-07T18:00:00Z", H),
            t("2026-12-08T10:00:00Z")
        );
        // On a Saturday: Saturday noon + 2 h = Monday 11:00.
        assert_eq!(
            due(&cal, "2026-12-05T12:00:00Z", 2 * H),
            t("2026-12-07T11:00:00Z")
        );
        // Across the weekend: Friday 16:30 + 1 h = 30 min Friday, 30 min Monday: 09:30.
        assert_eq!(
            due(&cal, "2026-12-04T16:30:00Z", H),
            t("2026-12-07T09:30:00Z")
        );
        // Nothing open between a Friday evening and the Monday morning.
        assert_eq!(
            cal.open_between(t("2026-12-04T17:00:00Z"), t("2026-12-07T09:00:00Z"), &[]),
            Duration::ZERO
        );
    }

    #[test]
    fn a_deadline_at_closing_time_is_closing_time_and_a_start_there_waits() {
        let cal = business("UTC", &[]);
        // A whole day from the opening: Monday 09:00 + 8 h = Monday 17:00, not Tuesday 09:00.
        assert_eq!(
            due(&cal, "2026-12-07T09:00:00Z", 8 * H),
            t("2026-12-07T17:00:00Z")
        );
        assert_eq!(
            due(&cal, "2026-12-07T16:00:00Z", H),
            t("2026-12-07T17:00:00Z")
        );
        // Friday 16:00 + 1 h = Friday 17:00, not Monday 09:00.
        assert_eq!(
            due(&cal, "2026-12-04T16:00:00Z", H),
            t("2026-12-04T17:00:00Z")
        );
        // Starting at closing time: Monday 17:00 + 1 h = Tuesday 10:00; one second = 09:00:01.
        assert_eq!(
            due(&cal, "2026-12-07T17:00:00Z", H),
            t("2026-12-08T10:00:00Z")
        );
        assert_eq!(
            due(&cal, "2026-12-07T17:00:00Z", 1),
            t("2026-12-08T09:00:01Z")
        );
        // Nothing needed: due at the start, open or closed.
        assert_eq!(
            due(&cal, "2026-12-05T12:00:00Z", 0),
            t("2026-12-05T12:00:00Z")
        );
    }

    #[test]
    fn holidays_one_or_two_in_a_row_are_skipped_whole() {
        // Thursday 24 and Friday 25 December 2026 closed: Wednesday 16:00 + 2 h = 1 h on
        // Wednesday, then the holidays and the weekend, then Monday 28th 09:00 + 1 h = 10:00.
        let cal = business("UTC", &["2026-12-24", "2026-12-25"]);
        assert_eq!(
            due(&cal, "2026-12-23T16:00:00Z", 2 * H),
            t("2026-12-28T10:00:00Z")
        );
        // Starting on the first holiday: Thursday 10:00 + 1 h = Monday 10:00.
        assert_eq!(
            due(&cal, "2026-12-24T10:00:00Z", H),
            t("2026-12-28T10:00:00Z")
        );
        // A holiday on a Saturday changes nothing: Friday 16:00 + 2 h = Monday 10:00.
        let cal = business("UTC", &["2026-12-05"]);
        assert_eq!(
            due(&cal, "2026-12-04T16:00:00Z", 2 * H),
            t("2026-12-07T10:00:00Z")
        );
        // Holidays are local days: in Berlin (UTC+1) the 24th starts at 23:00Z on the 23rd,
        // and Wednesday 23rd closes at 16:00Z. 16:30 Berlin (15:30Z) + 1 h = 30 min Wednesday,
        // 30 min Monday 28th from 09:00 Berlin (08:00Z): 08:30Z.
        let cal = business("Europe/Berlin", &["2026-12-24", "2026-12-25"]);
        assert_eq!(
            due(&cal, "2026-12-23T15:30:00Z", H),
            t("2026-12-28T08:30:00Z")
        );
    }

    #[test]
    fn several_spans_a_day_skip_the_gap_between_them() {
        let cal = calendar("UTC", &["Mon-Fri 09:00-12:00 13:00-17:00"], &[]);
        // Monday 11:30 + 1 h = 30 min to noon, lunch, 30 min from 13:00: 13:30.
        assert_eq!(
            due(&cal, "2026-12-07T11:30:00Z", H),
            t("2026-12-07T13:30:00Z")
        );
        // A deadline at the start of lunch is noon, not 13:00.
        assert_eq!(
            due(&cal, "2026-12-07T11:00:00Z", H),
            t("2026-12-07T12:00:00Z")
        );
        // Started during lunch: 12:30 + 1 h = 14:00.
        assert_eq!(
            due(&cal, "2026-12-07T12:30:00Z", H),
            t("2026-12-07T14:00:00Z")
        );
        // A day holds 7 h: Monday 09:00 + 7 h 30 min = Tuesday 09:30.
        assert_eq!(
            due(&cal, "2026-12-07T09:00:00Z", 7 * H + 1_800),
            t("2026-12-08T09:30:00Z")
        );
        // Spans given on separate lines, out of order, are the same calendar.
        let split = calendar("UTC", &["Mon-Fri 13:00-17:00", "Mon-Fri 09:00-12:00"], &[]);
        assert_eq!(
            due(&split, "2026-12-07T11:30:00Z", H),
            t("2026-12-07T13:30:00Z")
        );
    }

    /// Each calendar's open time in the week around a DST change, and on the day itself.
    #[track_caller]
    fn open_on(cal: &Calendar, from: &str, to: &str) -> u64 {
        cal.open_between(t(from), t(to), &[]).as_secs()
    }

    #[test]
    fn berlin_dst_days_are_23_and_25_hours_long() {
        // 2026-03-29: 02:00 CET (UTC+1) jumps to 03:00 CEST (UTC+2). The Sunday runs from
        // 00:00 CET = 03-28T23:00Z to 24:00 = 03-30 00:00 CEST = 03-29T22:00Z: 23 h.
        let sunday = calendar("Europe/Berlin", &["Sun 00:00-24:00"], &[]);
        assert_eq!(
            open_on(&sunday, "2026-03-26T00:00:00Z", "2026-04-02T00:00:00Z"),
            23 * H
        );
        assert_eq!(
            due(&sunday, "2026-03-28T23:00:00Z", 23 * H),
            t("2026-03-29T22:00:00Z")
        );
        // One hour more is the next Sunday's first: 04-05 00:00 CEST = 04-04T22:00Z, + 1 h.
        assert_eq!(
            due(&sunday, "2026-03-28T23:00:00Z", 24 * H),
            t("2026-04-04T23:00:00Z")
        );
        // 01:00-04:00 that Sunday: 01:00 CET = 00:00Z to 04:00 CEST = 02:00Z: 2 h, not 3.
        let night = calendar("Europe/Berlin", &["Sun 01:00-04:00"], &[]);
        assert_eq!(
            open_on(&night, "2026-03-26T00:00:00Z", "2026-04-02T00:00:00Z"),
            2 * H
        );
        assert_eq!(
            due(&night, "2026-03-29T00:00:00Z", H),
            t("2026-03-29T01:00:00Z")
        );
        // A range starting in the skipped hour starts where it ends: 02:30-05:00 is
        // 03:00 CEST = 01:00Z to 05:00 CEST = 03:00Z.
        let gap = calendar("Europe/Berlin", &["Sun 02:30-05:00"], &[]);
        assert_eq!(
            open_on(&gap, "2026-03-26T00:00:00Z", "2026-04-02T00:00:00Z"),
            2 * H
        );
        assert_eq!(
            due(&gap, "2026-03-28T12:00:00Z", 1),
            t("2026-03-29T01:00:01Z")
        );

        // 2026-10-25: 03:00 CEST (UTC+2) falls back to 02:00 CET (UTC+1). The Sunday runs from
        // 00:00 CEST = 10-24T22:00Z to 24:00 = 10-26 00:00 CET = 10-25T23:00Z: 25 h.
        assert_eq!(
            open_on(&sunday, "2026-10-22T00:00:00Z", "2026-10-29T00:00:00Z"),
            25 * H
        );
        assert_eq!(
            due(&sunday, "2026-10-24T22:00:00Z", 25 * H),
            t("2026-10-25T23:00:00Z")
        );
        // 01:00 CEST = 10-24T23:00Z to 04:00 CET = 03:00Z: 4 h, the repeated hour counted twice.
        assert_eq!(
            open_on(&night, "2026-10-22T00:00:00Z", "2026-10-29T00:00:00Z"),
            4 * H
        );
        assert_eq!(
            due(&night, "2026-10-24T23:00:00Z", 3 * H),
            t("2026-10-25T02:00:00Z")
        );
        // A range inside the repeated hour covers both times the wall clock shows it:
        // 02:30-03:00 is 02:30 CEST = 00:30Z to 03:00 CET = 02:00Z, 1 h 30 min.
        let repeated = calendar("Europe/Berlin", &["Sun 02:30-03:00"], &[]);
        assert_eq!(
            open_on(&repeated, "2026-10-22T00:00:00Z", "2026-10-29T00:00:00Z"),
            5_400
        );
        // Business hours across the spring change: Friday 27 March 16:00 CET (15:00Z) + 2 h =
        // 1 h Friday, then Monday 30 March 09:00 CEST (07:00Z) + 1 h = 08:00Z.
        let cal = business("Europe/Berlin", &[]);
        assert_eq!(
            due(&cal, "2026-03-27T15:00:00Z", 2 * H),
            t("2026-03-30T08:00:00Z")
        );
        // And the autumn one: Friday 23 October 16:00 CEST (14:00Z) + 2 h = 1 h Friday, then
        // Monday 26 October 09:00 CET (08:00Z) + 1 h = 09:00Z.
        assert_eq!(
            due(&cal, "2026-10-23T14:00:00Z", 2 * H),
            t("2026-10-26T09:00:00Z")
        );
    }

    #[test]
    fn new_york_dst_days_are_23_and_25_hours_long() {
        // 2026-03-08: 02:00 EST (UTC-5) jumps to 03:00 EDT (UTC-4). The Sunday runs from
        // 00:00 EST = 05:00Z to 24:00 = 03-09 00:00 EDT = 03-09T04:00Z: 23 h.
        let sunday = calendar("America/New_York", &["Sun 00:00-24:00"], &[]);
        assert_eq!(
            open_on(&sunday, "2026-03-05T00:00:00Z", "2026-03-12T00:00:00Z"),
            23 * H
        );
        assert_eq!(
            due(&sunday, "2026-03-08T05:00:00Z", 23 * H),
            t("2026-03-09T04:00:00Z")
        );
        // 01:00 EST = 06:00Z to 04:00 EDT = 08:00Z: 2 h.
        let night = calendar("America/New_York", &["Sun 01:00-04:00"], &[]);
        assert_eq!(
            open_on(&night, "2026-03-05T00:00:00Z", "2026-03-12T00:00:00Z"),
            2 * H
        );
        assert_eq!(
            due(&night, "2026-03-07T12:00:00Z", 2 * H),
            t("2026-03-08T08:00:00Z")
        );
        // 2026-11-01: 02:00 EDT falls back to 01:00 EST. 00:00 EDT = 04:00Z to
        // 11-02 00:00 EST = 05:00Z: 25 h.
        assert_eq!(
            open_on(&sunday, "2026-10-29T00:00:00Z", "2026-11-05T00:00:00Z"),
            25 * H
        );
        assert_eq!(
            due(&sunday, "2026-11-01T04:00:00Z", 25 * H),
            t("2026-11-02T05:00:00Z")
        );
        // 01:00 is shown twice; the range opens at the first (EDT, 05:00Z) and closes at
        // 04:00 EST = 09:00Z: 4 h.
        assert_eq!(
            open_on(&night, "2026-10-29T00:00:00Z", "2026-11-05T00:00:00Z"),
            4 * H
        );
        assert_eq!(
            due(&night, "2026-11-01T05:30:00Z", H),
            t("2026-11-01T06:30:00Z")
        );
    }

    /// A small LCG (Knuth's MMIX constants): the same draws on every run.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }
    }

    /// Starts drawn over 2026 (both DST changes inside), to the second.
    fn draw_start(rng: &mut Lcg) -> Timestamp {
        t("2026-01-01T00:00:00Z")
            .checked_add_signed(chrono::TimeDelta::seconds(
                i64::try_from(rng.below(365 * 86_400)).unwrap(),
            ))
            .unwrap()
    }

    #[test]
    fn every_hour_every_day_is_24x7_through_dst() {
        let mut rng = Lcg(0x5EED_CA1E);
        for zone in ["Europe/Berlin", "America/New_York", "UTC"] {
            let always = calendar(zone, &["Mon-Sun 00:00-24:00"], &[]);
            for _ in 0..300 {
                let start = draw_start(&mut rng);
                let need = Duration::from_secs(rng.below(40 * 86_400));
                let plain = start
                    .checked_add_signed(chrono::TimeDelta::seconds(need.as_secs() as i64))
                    .unwrap();
                assert_eq!(
                    always.add(start, need, &[]),
                    plain,
                    "{zone} {start} {need:?}"
                );
                assert_eq!(
                    always.open_between(start, plain, &[]),
                    need,
                    "{zone} {start}"
                );
            }
        }
    }

    #[test]
    fn open_between_is_the_inverse_of_add() {
        let calendars = [
            business(
                "Europe/Berlin",
                &["2026-03-30", "2026-10-26", "2026-12-24", "2026-12-25"],
            ),
            calendar(
                "America/New_York",
                &["Mon-Fri 08:00-12:00 13:00-18:00", "Sat 10:00-14:00"],
                &["2026-11-26"],
            ),
            calendar(
                "Europe/Berlin",
                &["Sun 01:00-04:00", "Sun 02:30-03:00"],
                &[],
            ),
            calendar(
                "America/New_York",
                &["Sun 00:00-24:00", "Wed 23:59-24:00"],
                &[],
            ),
        ];
        let mut rng = Lcg(42);
        let mut checked = 0;
        for cal in &calendars {
            for _ in 0..250 {
                let start = draw_start(&mut rng);
                let need = Duration::from_secs(1 + rng.below(300 * 3_600));
                // Half the draws with a pause somewhere in the first weeks.
                let pause_from = start
                    .checked_add_signed(chrono::TimeDelta::seconds(rng.below(14 * 86_400) as i64))
                    .unwrap();
                let pause = [(
                    pause_from,
                    pause_from
                        .checked_add_signed(
                            chrono::TimeDelta::seconds(rng.below(3 * 86_400) as i64),
                        )
                        .unwrap(),
                )];
                let excluded: &[(Timestamp, Timestamp)] =
                    if rng.below(2) == 0 { &pause } else { &[] };
                let due = cal.add(start, need, excluded);
                assert!(due > start);
                assert_eq!(
                    cal.open_between(start, due, excluded),
                    need,
                    "{} from {start}",
                    cal.hours[0]
                );
                // And the deadline is the first such instant: a second earlier, a second short.
                let before = due
                    .checked_sub_signed(chrono::TimeDelta::seconds(1))
                    .unwrap();
                assert_eq!(
                    cal.open_between(start, before, excluded),
                    need - Duration::from_secs(1),
                    "{} from {start}",
                    cal.hours[0]
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 1_000);
    }

    #[test]
    fn next_change_says_whether_it_is_open_and_when_that_changes() {
        // 2026-12-04 is a Friday; Berlin is UTC+1 in December.
        let cal = business("Europe/Berlin", &[]);
        assert_eq!(
            cal.next_change(t("2026-12-04T10:00:00Z")),
            (true, Some(t("2026-12-04T16:00:00Z")))
        );
        // Friday evening: closed until Monday 09:00 local.
        assert_eq!(
            cal.next_change(t("2026-12-04T18:30:00Z")),
            (false, Some(t("2026-12-07T08:00:00Z")))
        );
        // Days open to midnight and from midnight are one open span.
        let always = calendar("UTC", &["Mon-Sun 00:00-24:00"], &[]);
        let (open, close) = always.next_change(t("2026-12-04T10:00:00Z"));
        assert!(open);
        assert!(close.unwrap() >= t("2026-12-11T10:00:00Z"), "{close:?}");
    }
}
