//! A calendar's `holidays_file`: the whole days of an iCalendar (RFC 5545) file, as Google
//! Calendar, Outlook and public-holiday feeds export them. Every all-day VEVENT is a holiday —
//! each day from DTSTART up to (not including) DTEND, or DURATION's days — repeated by its RRULEs
//! and RDATEs less its EXDATEs, over [`FIRST`]..=[`LAST`]; a moved or cancelled occurrence
//! (RECURRENCE-ID) replaces the one it names. Time zones (VTIMEZONE) and alarms are skipped.
//! Anything else — a timed event, a to-do, a line that is not iCalendar — is refused with its
//! line in the file, as is a file whose rules come to more than [`MAX_DATES`] days, a rule by
//! hours, minutes or seconds, and one with more than [`MAX_OCCURRENCES`] occurrences.
//!
//! The text is unfolded here (so that each logical line keeps the number of its first line in the
//! file) and parsed by the `icalendar` crate, whose property names are slices of the text it was
//! given: their offsets give the line of each property. RRULEs are expanded by the `rrule`
//! crate.

use chrono::{Datelike, NaiveDate, TimeZone};
use icalendar::parser::{Component, Property};
use std::collections::{BTreeMap, BTreeSet};

/// The first day recurring holidays are expanded from.
pub const FIRST: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date");
/// The last day recurring holidays are expanded to.
pub const LAST: NaiveDate = NaiveDate::from_ymd_opt(2100, 12, 31).expect("a date");
/// The most days one file may give: a daily rule over the whole range is 36,890 of them.
pub const MAX_DATES: usize = 50_000;
/// The most occurrences one RRULE may have from its DTSTART to [`LAST`], those before
/// [`FIRST`] included: a daily rule from 1700 on. It bounds the time a rule takes to expand.
pub const MAX_OCCURRENCES: usize = 150_000;

/// What is wrong with the file, and on which of its lines (from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcsError {
    pub line: usize,
    pub message: String,
}

/// The holidays of the file's text.
pub fn holidays(bytes: &[u8]) -> Result<BTreeSet<NaiveDate>, IcsError> {
    let text = decode(bytes)?;
    let unfolded = Unfolded::new(text);
    let components = icalendar::parser::read_calendar_simple(&unfolded.text).map_err(|e| {
        // The parser reports a mistake inside a component at the component's BEGIN: the first
        // line that is no content line, or that closes nothing open, is the one to fix.
        let line = unfolded.first_bad_line().unwrap_or_else(|| {
            unfolded.line_at(offset_in(&unfolded.text, e.input).unwrap_or(0))
        });
        IcsError {
            line,
            message: format!(
                "{:?} is not iCalendar: expected NAME:VALUE, NAME;PARAM=VALUE:VALUE, BEGIN:NAME or END:NAME (each BEGIN with its END); fix the line or export the calendar again",
                unfolded.logical_line(line)
            ),
        }
    })?;
    let mut reader = Reader {
        unfolded: &unfolded,
        dates: BTreeSet::new(),
        series: BTreeMap::new(),
        moved: BTreeSet::new(),
        counted: 0,
    };
    for calendar in &components {
        if !calendar.name.as_str().eq_ignore_ascii_case("VCALENDAR") {
            return Err(reader.refuse(
                reader.component_line(calendar),
                format!(
                    "BEGIN:{} outside a VCALENDAR: a calendar file is BEGIN:VCALENDAR … END:VCALENDAR",
                    calendar.name.as_str()
                ),
            ));
        }
        for component in &calendar.components {
            reader.component(component)?;
        }
    }
    Ok(reader.finish())
}

/// The text, without a byte-order mark; a byte that is not UTF-8 names its line.
fn decode(bytes: &[u8]) -> Result<&str, IcsError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = e.valid_up_to();
        IcsError {
            line: count_lines(&bytes[..valid]),
            message: format!(
                "byte 0x{:02x} is not UTF-8: save or export the file as UTF-8",
                bytes.get(valid).copied().unwrap_or_default()
            ),
        }
    })
}

fn count_lines(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        .saturating_add(1)
}

/// The file's logical lines (RFC 5545 3.1: a line that starts with a space or a tab continues
/// the one before), joined by `\n`, each with the number of its first line in the file.
struct Unfolded {
    text: String,
    /// (offset in `text`, line in the file), in order.
    starts: Vec<(usize, usize)>,
}

impl Unfolded {
    fn new(raw: &str) -> Unfolded {
        let mut text = String::with_capacity(raw.len());
        let mut starts = Vec::new();
        for (i, line) in raw.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            match line.strip_prefix([' ', '\t']) {
                Some(rest) if !starts.is_empty() => text.push_str(rest),
                _ if line.trim().is_empty() => {}
                _ => {
                    if !starts.is_empty() {
                        text.push('\n');
                    }
                    starts.push((text.len(), i.saturating_add(1)));
                    text.push_str(line);
                }
            }
        }
        text.push('\n');
        Unfolded { text, starts }
    }

    /// The line in the file of the logical line holding `offset`.
    fn line_at(&self, offset: usize) -> usize {
        let i = self.starts.partition_point(|(start, _)| *start <= offset);
        self.starts
            .get(i.saturating_sub(1))
            .map_or(1, |(_, line)| *line)
    }

    /// The line of the first logical line that is not `NAME[;PARAM=VALUE…]:VALUE`, or whose END
    /// does not close the innermost BEGIN; else of a BEGIN never closed.
    fn first_bad_line(&self) -> Option<usize> {
        let mut open: Vec<(&str, usize)> = Vec::new();
        for (i, &(start, line)) in self.starts.iter().enumerate() {
            let end = self
                .starts
                .get(i.saturating_add(1))
                .map_or(self.text.len(), |s| s.0);
            let text = self.text[start..end].trim_end_matches('\n');
            let key_end = text
                .find(|c: char| !(c.is_alphanumeric() || "-_./,".contains(c)))
                .unwrap_or(text.len());
            if key_end == 0 || !matches!(text[key_end..].chars().next(), Some(':' | ';')) {
                return Some(line);
            }
            let (key, value) = (&text[..key_end], text[key_end..].trim_start_matches(':'));
            if key.eq_ignore_ascii_case("BEGIN") {
                open.push((value, line));
            } else if key.eq_ignore_ascii_case("END") {
                match open.pop() {
                    Some((name, _)) if name.eq_ignore_ascii_case(value) => {}
                    _ => return Some(line),
                }
            }
        }
        open.last().map(|(_, line)| *line)
    }

    /// The logical line that starts at line `line` of the file, shortened for a message.
    fn logical_line(&self, line: usize) -> String {
        let Some(&(start, _)) = self.starts.iter().find(|(_, l)| *l == line) else {
            return String::new();
        };
        let rest = &self.text[start..];
        let end = rest.find('\n').unwrap_or(rest.len());
        let text: String = rest[..end].chars().take(60).collect();
        if text.len() < rest[..end].len() {
            format!("{text}…")
        } else {
            text
        }
    }
}

/// Where `part` starts within `whole`, when it is a slice of it.
fn offset_in(whole: &str, part: &str) -> Option<usize> {
    let offset = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (offset <= whole.len()).then_some(offset)
}

struct Reader<'a> {
    unfolded: &'a Unfolded,
    /// The days of events that do not recur (or have no UID).
    dates: BTreeSet<NaiveDate>,
    /// Each recurring event by UID: how many days an occurrence covers, and the first day of
    /// each occurrence, until the ones that RECURRENCE-ID events replace are taken out.
    series: BTreeMap<String, (u32, BTreeSet<NaiveDate>)>,
    /// (UID, the first day of the occurrence replaced).
    moved: BTreeSet<(String, NaiveDate)>,
    /// Days counted so far, against [`MAX_DATES`].
    counted: usize,
}

impl Reader<'_> {
    fn refuse(&self, line: usize, message: String) -> IcsError {
        IcsError { line, message }
    }

    fn component_line(&self, c: &Component) -> usize {
        offset_in(&self.unfolded.text, c.name.as_str()).map_or(1, |o| self.unfolded.line_at(o))
    }

    fn property_line(&self, p: &Property, fallback: usize) -> usize {
        offset_in(&self.unfolded.text, p.name.as_str())
            .map_or(fallback, |o| self.unfolded.line_at(o))
    }

    fn component(&mut self, c: &Component) -> Result<(), IcsError> {
        let name = c.name.as_str().to_ascii_uppercase();
        match name.as_str() {
            "VEVENT" => self.event(c),
            "VTIMEZONE" => Ok(()),
            _ if name.starts_with("X-") => Ok(()),
            _ => Err(self.refuse(
                self.component_line(c),
                format!(
                    "a {name} is not a holiday: only all-day events (VEVENT with DTSTART;VALUE=DATE) are; delete it or export the holidays alone"
                ),
            )),
        }
    }

    fn event(&mut self, c: &Component) -> Result<(), IcsError> {
        let begin = self.component_line(c);
        let prop = |name: &str| {
            c.properties
                .iter()
                .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
        };
        let Some(dtstart) = prop("DTSTART") else {
            return Err(self.refuse(
                begin,
                "an event without DTSTART: give it DTSTART;VALUE=DATE:YYYYMMDD, or delete it"
                    .into(),
            ));
        };
        let start = self.date(dtstart, begin)?;
        let length = self.length(c, start, begin)?;
        let uid = prop("UID").map(|p| p.val.as_str().to_string());
        if let Some(id) = prop("RECURRENCE-ID") {
            let replaced = self.date_or_time(id, begin)?;
            self.moved
                .insert((uid.clone().unwrap_or_default(), replaced));
        }
        if prop("STATUS").is_some_and(|p| p.val.as_str().eq_ignore_ascii_case("CANCELLED")) {
            return Ok(());
        }
        let mut starts = BTreeSet::from([start]);
        let mut recurring = false;
        for p in &c.properties {
            match p.name.as_str().to_ascii_uppercase().as_str() {
                "RRULE" => {
                    recurring = true;
                    let limit = MAX_DATES.saturating_sub(self.counted);
                    starts.extend(self.expand(p, start, limit, begin)?);
                }
                "RDATE" => {
                    recurring = true;
                    starts.extend(self.dates_of(p, begin)?);
                }
                _ => {}
            }
        }
        for p in c
            .properties
            .iter()
            .filter(|p| p.name.as_str().eq_ignore_ascii_case("EXDATE"))
        {
            for day in self.dates_of(p, begin)? {
                starts.remove(&day);
            }
        }
        let days = starts.len().saturating_mul(length as usize);
        self.counted = self.counted.saturating_add(days);
        if self.counted > MAX_DATES {
            return Err(self.refuse(begin, too_many()));
        }
        match uid {
            Some(uid) if recurring => {
                let entry = self.series.entry(uid).or_insert((length, BTreeSet::new()));
                entry.0 = entry.0.max(length);
                entry.1.extend(starts);
            }
            _ => self.dates.extend(occurrences(&starts, length)),
        }
        Ok(())
    }

    fn length(&self, c: &Component, start: NaiveDate, begin: usize) -> Result<u32, IcsError> {
        let prop = |name: &str| {
            c.properties
                .iter()
                .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
        };
        if let Some(end) = prop("DTEND") {
            let line = self.property_line(end, begin);
            let end = self.date(end, begin)?;
            let days = end.signed_duration_since(start).num_days();
            return u32::try_from(days)
                .ok()
                .filter(|d| *d >= 1)
                .ok_or_else(|| {
                    self.refuse(
                        line,
                        format!(
                            "DTEND {end} is not after DTSTART {start}: an all-day event ends the day after its last day"
                        ),
                    )
                });
        }
        if let Some(d) = prop("DURATION") {
            let line = self.property_line(d, begin);
            let value = d.val.as_str().trim();
            let days = value
                .strip_prefix('P')
                .and_then(|v| {
                    let (n, unit) = v.split_at(v.len().saturating_sub(1));
                    let n: u32 = n.parse().ok()?;
                    match unit {
                        "D" => Some(n),
                        "W" => n.checked_mul(7),
                        _ => None,
                    }
                })
                .filter(|d| *d >= 1);
            return days.ok_or_else(|| {
                self.refuse(
                    line,
                    format!(
                        "DURATION {value:?} is not whole days: an all-day event lasts P1D, P2D, … or P1W"
                    ),
                )
            });
        }
        Ok(1)
    }

    /// An all-day date: `VALUE=DATE:YYYYMMDD` (or eight digits alone); a time is refused.
    fn date(&self, p: &Property, begin: usize) -> Result<NaiveDate, IcsError> {
        let line = self.property_line(p, begin);
        let value = p.val.as_str().trim();
        let name = p.name.as_str();
        if value.contains('T') {
            return Err(self.refuse(
                line,
                format!(
                    "{name} {value:?} is a time, not a day: holidays are all-day events (make the event all-day, or delete it)"
                ),
            ));
        }
        parse_date(value).ok_or_else(|| {
            self.refuse(
                line,
                format!("{name} {value:?} is not a date: write YYYYMMDD, e.g. 20261225"),
            )
        })
    }

    /// RECURRENCE-ID names the occurrence replaced: its day, whether written as a day or a time.
    fn date_or_time(&self, p: &Property, begin: usize) -> Result<NaiveDate, IcsError> {
        let value = p.val.as_str().trim();
        value.get(..8).and_then(parse_date).ok_or_else(|| {
            self.refuse(
                self.property_line(p, begin),
                format!(
                    "{} {value:?} is not a date: write YYYYMMDD, e.g. 20261225",
                    p.name.as_str()
                ),
            )
        })
    }

    /// The days of an RDATE or EXDATE (a comma-separated list); an EXDATE written as a time
    /// takes out the day it falls on.
    fn dates_of(&self, p: &Property, begin: usize) -> Result<Vec<NaiveDate>, IcsError> {
        let line = self.property_line(p, begin);
        let name = p.name.as_str().to_ascii_uppercase();
        let mut out = Vec::new();
        for value in p.val.as_str().split(',').map(str::trim) {
            let day = if name == "EXDATE" {
                value.get(..8).and_then(parse_date)
            } else if value.contains('T') {
                return Err(self.refuse(
                    line,
                    format!(
                        "{name} {value:?} is a time, not a day: holidays are all-day events (write YYYYMMDD)"
                    ),
                ));
            } else {
                parse_date(value)
            };
            out.push(day.ok_or_else(|| {
                self.refuse(
                    line,
                    format!("{name} {value:?} is not a date: write YYYYMMDD, e.g. 20261225"),
                )
            })?);
        }
        Ok(out)
    }

    /// The days an RRULE repeats the event on within [`FIRST`]..=[`LAST`], at most `limit`.
    /// An all-day event repeats by days: a rule by hours, minutes or seconds is refused (from
    /// an early DTSTART it would take minutes to walk), and so is one with more than
    /// [`MAX_OCCURRENCES`] occurrences from its DTSTART to [`LAST`].
    fn expand(
        &self,
        p: &Property,
        start: NaiveDate,
        limit: usize,
        begin: usize,
    ) -> Result<Vec<NaiveDate>, IcsError> {
        let line = self.property_line(p, begin);
        let value = p.val.as_str().trim();
        let bad = |e: &dyn std::fmt::Display| {
            self.refuse(
                line,
                format!(
                    "RRULE {value:?}: {e}; write it as RFC 5545 says (FREQ=YEARLY, or FREQ=YEARLY;UNTIL=20301225)"
                ),
            )
        };
        let sub_daily = value.split(';').any(|part| {
            let (key, v) = part.split_once('=').unwrap_or((part, ""));
            let key = key.trim().to_ascii_uppercase();
            let v = v.trim().to_ascii_uppercase();
            matches!(key.as_str(), "BYHOUR" | "BYMINUTE" | "BYSECOND")
                || (key == "FREQ" && matches!(v.as_str(), "HOURLY" | "MINUTELY" | "SECONDLY"))
        });
        if sub_daily {
            return Err(bad(
                &"an all-day event repeats by days, weeks, months or years, not by hours, minutes or seconds",
            ));
        }
        let rule: rrule::RRule<rrule::Unvalidated> =
            until_as_utc(value).parse().map_err(|e| bad(&e))?;
        let dtstart = rrule::Tz::UTC
            .with_ymd_and_hms(start.year(), start.month(), start.day(), 0, 0, 0)
            .single()
            .ok_or_else(|| bad(&"its DTSTART is out of range"))?;
        let set = rule.build(dtstart).map_err(|e| bad(&e))?.limit();
        let mut days = Vec::new();
        for (i, occurrence) in (&set).into_iter().enumerate() {
            let day = occurrence.date_naive();
            if day > LAST {
                break;
            }
            if i >= MAX_OCCURRENCES {
                return Err(bad(&format_args!(
                    "more than {MAX_OCCURRENCES} occurrences from {start} to {LAST}: start it later, or give it an UNTIL or a COUNT"
                )));
            }
            if day >= FIRST {
                days.push(day);
                if days.len() > limit {
                    return Err(self.refuse(line, too_many()));
                }
            }
        }
        Ok(days)
    }

    /// The holidays: every event's days, less each occurrence a RECURRENCE-ID event replaced.
    fn finish(self) -> BTreeSet<NaiveDate> {
        let mut dates = self.dates;
        for (uid, (length, mut starts)) in self.series {
            starts.retain(|day| !self.moved.contains(&(uid.clone(), *day)));
            dates.extend(occurrences(&starts, length));
        }
        dates
    }
}

/// Every day of occurrences starting on `starts`, `length` days each.
fn occurrences(starts: &BTreeSet<NaiveDate>, length: u32) -> impl Iterator<Item = NaiveDate> + '_ {
    starts
        .iter()
        .flat_map(move |first| first.iter_days().take(length as usize))
}

fn too_many() -> String {
    format!(
        "the file comes to more than {MAX_DATES} holidays between {FIRST} and {LAST}: give its RRULEs an UNTIL or a COUNT"
    )
}

/// YYYYMMDD.
fn parse_date(value: &str) -> Option<NaiveDate> {
    if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(value, "%Y%m%d").ok()
}

/// The rule with its UNTIL as the end of that day in UTC: the `rrule` crate reads a bare
/// date in the machine's local zone, and an all-day event's days are dates, not instants.
fn until_as_utc(rule: &str) -> String {
    rule.split(';')
        .map(|part| match part.split_once('=') {
            Some((key, value)) if key.eq_ignore_ascii_case("UNTIL") => match value.get(..8) {
                Some(day) => format!("UNTIL={day}T235959Z"),
                None => part.to_string(),
            },
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CRLF endings, as every exporter writes them.
    fn crlf(lines: &[&str]) -> Vec<u8> {
        let mut text = lines.join("\r\n");
        text.push_str("\r\n");
        text.into_bytes()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Shaped like Google Calendar's export of a shared holiday calendar: CRLF, a VTIMEZONE,
    /// X-WR properties, folded DESCRIPTION lines (75 octets, continuation with one space, the
    /// fold inside a multi-byte character's word), escaped commas, unicode.
    const GOOGLE: &[&str] = &[
        "BEGIN:VCALENDAR",
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Büro Berlin – Feiertage",
        "X-WR-TIMEZONE:Europe/Berlin",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Berlin",
        "X-LIC-LOCATION:Europe/Berlin",
        "BEGIN:DAYLIGHT",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "TZNAME:CEST",
        "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "TZNAME:CET",
        "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        "DTSTART;VALUE=DATE:20261225",
        "DTEND;VALUE=DATE:20261227",
        "RRULE:FREQ=YEARLY",
        "EXDATE;VALUE=DATE:20301225",
        "DTSTAMP:20261101T120000Z",
        "UID:5q1l4v0d3k2m1n@google.com",
        "CREATED:20261101T115900Z",
        "DESCRIPTION:Erster und zweiter Weihnachtstag\\, das Büro ist geschlossen. Rufb",
        " ereitschaft wie an Wochenenden\\; Tickets bitte über das Portal.",
        "LAST-MODIFIED:20261101T115900Z",
        "SEQUENCE:0",
        "STATUS:CONFIRMED",
        "SUMMARY:Weihnachten 🎄\\, Büro geschlossen",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "DTSTART;VALUE=DATE:20271227",
        "DTEND;VALUE=DATE:20271228",
        "DTSTAMP:20261101T120000Z",
        "UID:5q1l4v0d3k2m1n@google.com",
        "RECURRENCE-ID;VALUE=DATE:20271225",
        "SUMMARY:Weihnachten 🎄 (verschoben\\, nur ein Tag)",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "DTSTART;VALUE=DATE:20261231",
        "DTEND;VALUE=DATE:20270102",
        "DTSTAMP:20261101T120000Z",
        "UID:silvester-2026@google.com",
        "SUMMARY:Silvester & Neujahr",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "DTSTART;VALUE=DATE:20270315",
        "DTEND;VALUE=DATE:20270316",
        "DTSTAMP:20261101T120000Z",
        "UID:cancelled@google.com",
        "STATUS:CANCELLED",
        "SUMMARY:Betriebsausflug (abgesagt)",
        "END:VEVENT",
        "END:VCALENDAR",
    ];

    #[test]
    fn a_google_calendar_export_gives_its_days_with_rules_expanded() {
        let days = holidays(&crlf(GOOGLE)).unwrap();
        for d in [
            "2026-12-25",
            "2026-12-26",
            "2029-12-26",
            "2100-12-25",
            "2100-12-26",
        ] {
            assert!(days.contains(&day(d)), "{d}");
        }
        // EXDATE takes the whole 2030 occurrence out (both of its days); the 2027 one was
        // moved to the 27th, one day; the cancelled outing is no holiday.
        for d in [
            "2030-12-25",
            "2030-12-26",
            "2027-12-25",
            "2027-12-26",
            "2027-03-15",
        ] {
            assert!(!days.contains(&day(d)), "{d}");
        }
        assert!(days.contains(&day("2027-12-27")));
        // 2026..=2100 is 75 Christmases of 2 days, less 2030's and 2027's, plus 2027's moved
        // day, plus New Year's Eve and Day: 150 - 4 + 1 + 2.
        assert_eq!(days.len(), 149);
        assert_eq!(days.first(), Some(&day("2026-12-25")));
        assert_eq!(days.last(), Some(&day("2100-12-26")));
    }

    /// Shaped like Outlook's "Save as iCalendar" of all-day events: a Windows zone name, a
    /// LANGUAGE parameter, Microsoft X- properties, a VALARM inside the event, an RRULE with
    /// BYMONTH/BYDAY and a date UNTIL, and bare LF endings (a file saved again on Linux).
    #[test]
    fn an_outlook_export_with_alarms_and_windows_zones_is_read() {
        let text = [
            "BEGIN:VCALENDAR",
            "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
            "VERSION:2.0",
            "METHOD:PUBLISH",
            "X-MS-OLK-FORCEINSPECTOROPEN:TRUE",
            "BEGIN:VTIMEZONE",
            "TZID:W. Europe Standard Time",
            "BEGIN:STANDARD",
            "DTSTART:16011028T030000",
            "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
            "TZOFFSETFROM:+0200",
            "TZOFFSETTO:+0100",
            "END:STANDARD",
            "END:VTIMEZONE",
            "BEGIN:VEVENT",
            "CLASS:PUBLIC",
            "CREATED:20260105T101500Z",
            "DESCRIPTION:\\n",
            "DTEND;VALUE=DATE:20260526",
            "DTSTAMP:20260105T101500Z",
            "DTSTART;VALUE=DATE:20260525",
            "RRULE:FREQ=YEARLY;UNTIL=20280529;BYMONTH=5;BYDAY=-1MO",
            "PRIORITY:5",
            "SUMMARY;LANGUAGE=en-us:Memorial Day (US office closed)",
            "TRANSP:TRANSPARENT",
            "UID:040000008200E00074C5B7101A82E00800000000B0D6C1A4F27EDC01000000000000000010",
            "X-MICROSOFT-CDO-BUSYSTATUS:FREE",
            "X-MICROSOFT-CDO-ALLDAYEVENT:TRUE",
            "BEGIN:VALARM",
            "TRIGGER:-PT1080M",
            "ACTION:DISPLAY",
            "DESCRIPTION:Reminder",
            "END:VALARM",
            "END:VEVENT",
            "END:VCALENDAR",
        ]
        .join("\n");
        let days = holidays(text.as_bytes()).unwrap();
        // The last Monday of May 2026, 2027 and 2028 (UNTIL is inclusive).
        let want: BTreeSet<NaiveDate> = ["2026-05-25", "2027-05-31", "2028-05-29"]
            .iter()
            .map(|d| day(d))
            .collect();
        assert_eq!(days, want);
    }

    fn refused(lines: &[&str]) -> IcsError {
        match holidays(&crlf(lines)) {
            Ok(days) => panic!("accepted, {} days: {lines:?}", days.len()),
            Err(e) => e,
        }
    }

    fn event(props: &[&str]) -> Vec<String> {
        let mut lines = vec![
            "BEGIN:VCALENDAR".to_string(),
            "VERSION:2.0".into(),
            "BEGIN:VEVENT".into(),
            "UID:x@example.com".into(),
            // A folded line before the mistake: the line reported is the file's, not the
            // unfolded text's.
            "DESCRIPTION:a description long enough that the exporter folded it onto a".into(),
            " second line".into(),
        ];
        lines.extend(props.iter().map(|p| p.to_string()));
        lines.extend(["END:VEVENT".to_string(), "END:VCALENDAR".into()]);
        lines
    }

    fn refused_event(props: &[&str]) -> IcsError {
        let lines = event(props);
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        refused(&refs)
    }

    #[test]
    fn a_timed_event_is_refused_with_its_line() {
        let e = refused_event(&[
            "DTSTART;TZID=Europe/Berlin:20261224T090000",
            "SUMMARY:Team lunch",
        ]);
        assert_eq!(e.line, 7, "{e:?}");
        assert!(e.message.contains("is a time, not a day"), "{e:?}");
        assert!(e.message.contains("all-day"), "{e:?}");
        let e = refused_event(&["DTSTART;VALUE=DATE:20261224", "DTEND:20261224T170000Z"]);
        assert_eq!(e.line, 8, "{e:?}");
    }

    #[test]
    fn a_line_that_is_not_icalendar_is_refused_with_its_line() {
        let e = refused_event(&["DTSTART;VALUE=DATE:20261224", "this is not a property line"]);
        assert_eq!(e.line, 8, "{e:?}");
        assert!(e.message.contains("is not iCalendar"), "{e:?}");
        // A BEGIN without its END.
        let e = refused(&[
            "BEGIN:VCALENDAR",
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:20261224",
            "END:VCALENDAR",
        ]);
        assert!(e.message.contains("is not iCalendar"), "{e:?}");
        assert!((1..=4).contains(&e.line), "{e:?}");
    }

    #[test]
    fn other_mistakes_name_their_lines() {
        for (props, line, needle) in [
            (&["DTSTART;VALUE=DATE:2026-12-24"][..], 7, "is not a date"),
            (
                &["DTSTART;VALUE=DATE:20261224", "DTEND;VALUE=DATE:20261224"],
                8,
                "not after",
            ),
            (
                &["DTSTART;VALUE=DATE:20261224", "DURATION:PT8H"],
                8,
                "not whole days",
            ),
            (
                &["DTSTART;VALUE=DATE:20261224", "RRULE:FREQ=FORTNIGHTLY"],
                8,
                "RRULE",
            ),
            (&["SUMMARY:no start"], 3, "without DTSTART"),
            (
                &["DTSTART;VALUE=DATE:20261224", "RRULE:FREQ=HOURLY;COUNT=3"],
                8,
                "not by hours",
            ),
            (
                &["DTSTART;VALUE=DATE:20261224", "RRULE:FREQ=DAILY;BYHOUR=9"],
                8,
                "not by hours",
            ),
            // From the year 1000 a daily rule walks 400,000 days before 2000: refused, not slow.
            (
                &["DTSTART;VALUE=DATE:10000101", "RRULE:FREQ=DAILY"],
                8,
                "more than 150000 occurrences",
            ),
            // A daily rule from 2000 on of two-day events: 36,890 occurrences of 2 days.
            (
                &[
                    "DTSTART;VALUE=DATE:20000101",
                    "DTEND;VALUE=DATE:20000103",
                    "RRULE:FREQ=DAILY",
                ],
                3,
                "more than 50000",
            ),
        ] {
            let e = refused_event(props);
            assert_eq!(e.line, line, "{props:?}: {e:?}");
            assert!(e.message.contains(needle), "{props:?}: {e:?}");
        }
        let e = refused(&[
            "BEGIN:VCALENDAR",
            "BEGIN:VTODO",
            "SUMMARY:file taxes",
            "END:VTODO",
            "END:VCALENDAR",
        ]);
        assert_eq!(
            (e.line, e.message.contains("VTODO is not a holiday")),
            (2, true),
            "{e:?}"
        );
        let e = holidays(b"BEGIN:VCALENDAR\r\nSUMMARY:caf\xe9\r\nEND:VCALENDAR\r\n").unwrap_err();
        assert_eq!(e.line, 2, "{e:?}");
        assert!(e.message.contains("not UTF-8"), "{e:?}");
    }

    #[test]
    fn a_daily_rule_over_the_whole_range_fits_and_two_do_not() {
        let one = event(&["DTSTART;VALUE=DATE:19990101", "RRULE:FREQ=DAILY"]);
        let refs: Vec<&str> = one.iter().map(String::as_str).collect();
        let days = holidays(&crlf(&refs)).unwrap();
        // 1999-01-01 itself (DTSTART is always an occurrence), then 2000-01-01..=2100-12-31.
        assert_eq!(days.len(), 1 + 36_890);
        assert_eq!(days.last(), Some(&LAST));
    }

    #[test]
    fn a_date_until_does_not_depend_on_the_machine_zone() {
        assert_eq!(
            until_as_utc("FREQ=YEARLY;UNTIL=20301225;BYMONTH=12"),
            "FREQ=YEARLY;UNTIL=20301225T235959Z;BYMONTH=12"
        );
        assert_eq!(
            until_as_utc("FREQ=YEARLY;UNTIL=2030"),
            "FREQ=YEARLY;UNTIL=2030"
        );
    }
}
