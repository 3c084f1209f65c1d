//! `[calendars.NAME]`: business-hours calendars (weekly hours in an IANA time zone, less
//! holidays given as dates and/or an iCalendar file), and `[sla.P3] calendar` /
//! `[sla] postmortem_calendar`, which put a severity's respond and fix clocks, or the
//! post-mortem clock, on one of them ("24x7", the default, is none).

use super::{ConfigError, SlaFile, Source, ics};
use crate::domain::calendar::{Calendar, Hours};
use crate::domain::model::Severity;
use crate::domain::sla::Policy;
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use toml::Spanned;

/// The calendar name that means none: every second counts.
pub const ALWAYS: &str = "24x7";

/// The zone of a calendar that names none.
pub const DEFAULT_TIMEZONE: Tz = Tz::UTC;

/// `[calendars]`: the tables by name.
pub(super) type CalendarsFile = BTreeMap<Spanned<String>, Spanned<CalendarFile>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CalendarFile {
    hours: Option<Spanned<Vec<Spanned<String>>>>,
    timezone: Option<Spanned<String>>,
    holidays: Option<Vec<Spanned<String>>>,
    holidays_file: Option<Spanned<String>>,
}

/// Every calendar the file defines, by name. `path` resolves a `holidays_file` as the other
/// paths of the config are (relative to the file's directory, `~/` under HOME).
pub(super) fn resolve(
    src: &Source,
    file: Option<&CalendarsFile>,
    path: &dyn Fn(&Spanned<String>) -> std::path::PathBuf,
) -> Result<BTreeMap<String, Calendar>, ConfigError> {
    let mut out = BTreeMap::new();
    for (name, table) in file.into_iter().flatten() {
        let calendar = one(src, name, table, path)?;
        out.insert(name.get_ref().clone(), calendar);
    }
    Ok(out)
}

fn one(
    src: &Source,
    name: &Spanned<String>,
    table: &Spanned<CalendarFile>,
    path: &dyn Fn(&Spanned<String>) -> std::path::PathBuf,
) -> Result<Calendar, ConfigError> {
    let key = format!("calendars.{}", name.get_ref());
    if name.get_ref().eq_ignore_ascii_case(ALWAYS) {
        return Err(src.invalid(
            name.span().start,
            format!("[{key}]: {ALWAYS:?} means no calendar (every hour counts): give this one another name"),
        ));
    }
    let t = table.get_ref();
    let hours = match &t.hours {
        Some(list) if !list.get_ref().is_empty() => list
            .get_ref()
            .iter()
            .map(|h| {
                Hours::parse(h.get_ref())
                    .map_err(|e| src.invalid(h.span().start, format!("{key}.hours: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(list) => {
            return Err(src.invalid(
                list.span().start,
                format!("{key}.hours is empty: list the open hours, e.g. hours = [\"Mon-Fri 09:00-17:00\"]"),
            ));
        }
        None => {
            return Err(src.invalid(
                name.span().start,
                format!("[{key}] has no hours: add hours = [\"Mon-Fri 09:00-17:00\"] (days Mon..Sun, times HH:MM-HH:MM)"),
            ));
        }
    };
    let timezone = match &t.timezone {
        None => DEFAULT_TIMEZONE,
        Some(zone) => zone
            .get_ref()
            .parse::<Tz>()
            .map_err(|_| src.invalid(zone.span().start, unknown_zone(&key, zone.get_ref())))?,
    };
    let mut holidays = BTreeSet::new();
    for day in t.holidays.iter().flatten() {
        holidays.insert(parse_day(day.get_ref()).ok_or_else(|| {
            src.invalid(
                day.span().start,
                format!(
                    "{key}.holidays: {:?} is not a date: write YYYY-MM-DD, e.g. \"2026-12-25\"",
                    day.get_ref()
                ),
            )
        })?);
    }
    if let Some(file) = &t.holidays_file {
        holidays.extend(holidays_file(src, &key, file, &path(file))?);
    }
    Ok(Calendar {
        name: name.get_ref().clone(),
        timezone,
        hours,
        holidays,
    })
}

fn unknown_zone(key: &str, zone: &str) -> String {
    let wanted = zone.trim().replace(' ', "_");
    let near = chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(&wanted));
    let hint = match near {
        Some(tz) => format!("did you mean {:?}?", tz.name()),
        None => {
            "use an IANA name like \"Europe/Berlin\", \"America/New_York\" or \"UTC\" (the default)"
                .into()
        }
    };
    format!("{key}.timezone: unknown time zone {zone:?}: {hint}")
}

/// YYYY-MM-DD, exactly.
fn parse_day(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    shape
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

/// The holidays of an iCalendar file; what is wrong with it names the file and its line.
fn holidays_file(
    src: &Source,
    key: &str,
    value: &Spanned<String>,
    file: &Path,
) -> Result<BTreeSet<NaiveDate>, ConfigError> {
    let at = value.span().start;
    let bytes = std::fs::read(file).map_err(|e| {
        src.invalid(
            at,
            format!(
                "{key}.holidays_file: cannot read {:?}: {e}: check the path (relative to this file's directory; ~/ is HOME)",
                file.display().to_string()
            ),
        )
    })?;
    ics::holidays(&bytes).map_err(|e| {
        src.invalid(
            at,
            format!(
                "{key}.holidays_file: {} line {}: {}",
                file.display(),
                e.line,
                e.message
            ),
        )
    })
}

/// `[sla.P1|P2|P3] calendar` and `[sla] postmortem_calendar`: the calendars the clocks count on.
pub(super) fn assign(
    src: &Source,
    sla: Option<&SlaFile>,
    calendars: &BTreeMap<String, Calendar>,
    policy: &mut Policy,
) -> Result<(), ConfigError> {
    let Some(sla) = sla else { return Ok(()) };
    let pick = |key: &str, name: &Spanned<String>| -> Result<Option<Calendar>, ConfigError> {
        let wanted = name.get_ref();
        if wanted == ALWAYS {
            return Ok(None);
        }
        match calendars.get(wanted) {
            Some(c) => Ok(Some(c.clone())),
            None => {
                let mut known: Vec<String> = calendars.keys().map(|k| format!("{k:?}")).collect();
                known.push(format!("{ALWAYS:?} (none)"));
                let defined = if calendars.is_empty() {
                    format!(
                        "no [calendars.NAME] is defined: add [calendars.{wanted}], or use {ALWAYS:?} (none)"
                    )
                } else {
                    format!(
                        "use one of {}, or define [calendars.{wanted}]",
                        known.join(", ")
                    )
                };
                Err(src.invalid(
                    name.span().start,
                    format!("{key}: no calendar {wanted:?}: {defined}"),
                ))
            }
        }
    };
    for (severity, target) in [
        (Severity::P1, &sla.p1),
        (Severity::P2, &sla.p2),
        (Severity::P3, &sla.p3),
    ] {
        if let Some(name) = target.as_ref().and_then(|t| t.calendar.as_ref()) {
            *policy.calendar_mut(severity) = pick(&format!("sla.{severity}.calendar"), name)?;
        }
    }
    if let Some(name) = &sla.postmortem_calendar {
        policy.postmortem_calendar = pick("sla.postmortem_calendar", name)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::{ConfigError, Flags, Settings, load};
    use crate::domain::model::Severity;
    use std::path::Path;

    fn load_in(dir: &Path, text: &str) -> Result<Settings, ConfigError> {
        let path = dir.join("config.toml");
        std::fs::write(&path, text).unwrap();
        let flags = Flags {
            config: Some(path),
            ..Flags::default()
        };
        let home = dir.to_str().unwrap().to_string();
        load(&flags, &move |k| (k == "HOME").then(|| home.clone()))
    }

    const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:xmas@example.com\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261226\r\nRRULE:FREQ=YEARLY;UNTIL=20281225\r\nSUMMARY:Christmas\\, office closed\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn calendars_fill_the_policy_with_both_holiday_sources_merged() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("holidays.ics"), ICS).unwrap();
        std::fs::create_dir_all(dir.path().join("cal")).unwrap();
        let independence = ICS.replace("1225", "0704").replace("1226", "0705");
        std::fs::write(dir.path().join("cal/us.ics"), independence).unwrap();
        let s = load_in(
            dir.path(),
            r#"
[sla]
postmortem_calendar = "business"
[sla.P2]
calendar = "24x7"
[sla.P3]
calendar = "business"
[calendars.business]
hours = ["Mon-Fri 09:00-17:00"]
timezone = "Europe/Berlin"
holidays = ["2026-12-24", "2026-12-25"]
holidays_file = "holidays.ics"
[calendars.us]
hours = ["Mon-Fri 08:00-12:00 13:00-18:00"]
holidays_file = "~/cal/us.ics"
"#,
        )
        .unwrap();
        let business = s.policy.calendar(Severity::P3).unwrap();
        assert_eq!(business.name, "business");
        assert_eq!(business.timezone, chrono_tz::Europe::Berlin);
        let days: Vec<String> = business.holidays.iter().map(ToString::to_string).collect();
        // The list's two days and the file's three Christmases, the 25th once.
        assert_eq!(
            days,
            ["2026-12-24", "2026-12-25", "2027-12-25", "2028-12-25"]
        );
        assert_eq!(s.policy.postmortem_calendar.as_ref(), Some(business));
        assert_eq!(s.policy.calendar(Severity::P1), None);
        assert_eq!(s.policy.calendar(Severity::P2), None, "24x7 is none");
        let us = &s.calendars["us"];
        assert_eq!(us.timezone, chrono_tz::UTC, "the default zone");
        assert_eq!(us.holidays.len(), 3);
        assert_eq!(
            us.describe(),
            "us (Mon-Fri 08:00-12:00 13:00-18:00, UTC, 3 holidays)"
        );
    }

    #[test]
    fn mistakes_are_refused_on_one_line_with_the_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("timed.ics"),
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Offsite\\, all hands\r\nDTSTART:20261224T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        let cal = "[calendars.business]\n";
        let ics_path = dir.path().join("timed.ics");
        for (text, line, needles) in [
            (
                format!("{cal}hours = [\"Mon-Fri 09:00-17:00\", \"Mon-Fri 9-17\"]\n"),
                2,
                vec!["calendars.business.hours: hours \"Mon-Fri 9-17\"", "HH:MM"],
            ),
            (format!("{cal}hours = []\n"), 2, vec!["hours is empty"]),
            (
                format!("{cal}timezone = \"UTC\"\n"),
                1,
                vec!["has no hours"],
            ),
            (
                format!("{cal}hours = [\"Mon 09:00-10:00\"]\ntimezone = \"Europe/Berln\"\n"),
                3,
                vec![
                    "unknown time zone \"Europe/Berln\"",
                    "IANA",
                    "Europe/Berlin",
                ],
            ),
            (
                format!("{cal}hours = [\"Mon 09:00-10:00\"]\ntimezone = \"europe/berlin\"\n"),
                3,
                vec!["did you mean \"Europe/Berlin\"?"],
            ),
            (
                format!(
                    "{cal}hours = [\"Mon 09:00-10:00\"]\nholidays = [\"2026-12-25\", \"25.12.2026\"]\n"
                ),
                3,
                vec!["\"25.12.2026\" is not a date", "YYYY-MM-DD"],
            ),
            (
                format!("{cal}hours = [\"Mon 09:00-10:00\"]\n[sla.P3]\ncalendar = \"busines\"\n"),
                4,
                vec![
                    "sla.P3.calendar: no calendar \"busines\"",
                    "\"business\"",
                    "\"24x7\"",
                ],
            ),
            (
                "[sla]\npostmortem_calendar = \"office\"\n".to_string(),
                2,
                vec!["no [calendars.NAME] is defined"],
            ),
            (
                "[calendars.24x7]\nhours = [\"Mon 09:00-10:00\"]\n".to_string(),
                1,
                vec!["means no calendar"],
            ),
            (
                format!("{cal}hours = [\"Mon 09:00-10:00\"]\nholidays_file = \"missing.ics\"\n"),
                3,
                vec!["cannot read", "missing.ics"],
            ),
            (
                format!("{cal}hours = [\"Mon 09:00-10:00\"]\nholidays_file = \"timed.ics\"\n"),
                3,
                vec![
                    &format!(
                        "{} line 4: DTSTART \"20261224T090000Z\" is a time",
                        ics_path.display()
                    )[..],
                    "all-day",
                ],
            ),
            (
                format!("{cal}hours = [\"Mon 09:00-10:00\"]\nholiday = []\n"),
                3,
                vec!["holiday"],
            ),
        ] {
            let err = load_in(dir.path(), &text).unwrap_err().to_string();
            let prefix = format!(
                "config {} line {line}: ",
                dir.path().join("config.toml").display()
            );
            assert!(err.starts_with(&prefix), "{text}: {err}");
            for needle in needles {
                assert!(err.contains(needle), "{text}: {needle:?} not in {err}");
            }
            assert!(!err.contains('\n'), "{err}");
        }
    }
}
