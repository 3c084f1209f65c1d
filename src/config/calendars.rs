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
