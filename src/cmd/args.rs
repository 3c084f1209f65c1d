//! Parsing arguments several commands take: incident numbers and TEXT that may come from stdin.

use crate::ui::error::CommandError;
use std::io::Read;

/// Parses an incident number, allowing the template's `#12` form.
fn incident_number(s: &str) -> Result<i64, String> {
    s.trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("'{s}' is not an incident number; `incident list` shows them"))
}

/// The shortest UUID prefix taken for an incident: shorter ones match too many by chance.
const MIN_UUID_PREFIX: usize = 6;

/// Parses how an incident is named on the command line: its number (`12`, `#12`; all digits
/// is always a number), or a prefix of its UUID of at least 6 hex digits (`5d8f8f`, with or
/// without the hyphens), which names it the same on every copy of the log.
pub fn incident_ref(s: &str) -> Result<IncidentRef, String> {
    let t = s.trim().trim_start_matches('#');
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return incident_number(t).map(IncidentRef::Number);
    }
    if let Some(local) = t.strip_prefix(['L', 'l'])
        && !local.is_empty()
        && local.bytes().all(|b| b.is_ascii_digit())
    {
        return incident_number(local).map(IncidentRef::Local);
    }
    let hex: String = t.chars().filter(|c| *c != '-').collect();
    if hex.len() >= MIN_UUID_PREFIX && hex.len() <= 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
    {
        return Ok(IncidentRef::UuidPrefix(hex.to_ascii_lowercase()));
    }
    Err(format!(
        "'{s}' is not an incident number (17, or L14 for one this copy numbered before the team did) or a UUID prefix of 6 or more hex digits; `incident list` shows the numbers"
    ))
}

pub use crate::app::IncidentRef;

/// Parses an action item's number: `7`, or `L7` for one this copy numbered before the team
/// did (stored negative, as incidents' provisional numbers are).
pub fn action_number(s: &str) -> Result<crate::domain::model::Number, String> {
    let t = s.trim().trim_start_matches('#');
    let (digits, sign) = match t.strip_prefix(['L', 'l']) {
        Some(local) => (local, -1),
        None => (t, 1),
    };
    match digits.parse::<i64>() {
        Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(crate::domain::model::Number(sign * n))
        }
        _ => Err(format!(
            "'{s}' is not an action item number (7, or L7 for one this copy numbered before the team did); `incident action list` shows them"
        )),
    }
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

/// An incident's title; `-` reads it from stdin (`echo "disk 91% on db-7" | incident open P3 -`),
/// where it must be one line. `description` is the `--description` given with it: stdin can be
/// read once.
pub fn title_arg(title: &str, description: Option<&str>) -> Result<String, CommandError> {
    if title != "-" {
        return Ok(title.to_string());
    }
    if description == Some("-") {
        return Err(CommandError::new(
            "stdin (`-`) was given for the title and the description: it can be read once",
        )
        .with_hint(
            "give the title as text: `incident open P3 \"disk 91% on db-7\" --description -`",
        ));
    }
    let text = text_arg(title)?;
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default().to_string();
    if lines.next().is_some() {
        return Err(
            CommandError::new("the title read from stdin has more than one line")
                .with_hint("a title is one line; give the rest with --description"),
        );
    }
    Ok(first)
}

/// The fields' texts, a `-` read from stdin (as `open --description -` and `note 12 -` do);
/// stdin can be read once, so only one field may take it. The title is a line, never stdin.
pub fn field_texts(
    given: Vec<(crate::domain::model::Field, &str)>,
) -> Result<Vec<(crate::domain::model::Field, String)>, CommandError> {
    let from_stdin: Vec<&str> = given
        .iter()
        .filter(|(f, v)| *f != crate::domain::model::Field::Title && *v == "-")
        .map(|(f, _)| f.label())
        .collect();
    if from_stdin.len() > 1 {
        return Err(CommandError::new(format!(
            "stdin (`-`) was given for {}: it can be read once",
            from_stdin.join(" and ")
        ))
        .with_hint("give `-` to one field and the others as text, or give each its own command"));
    }
    given
        .into_iter()
        .map(|(f, v)| match f {
            crate::domain::model::Field::Title => Ok((f, v.to_string())),
            _ => text_arg(v).map(|t| (f, t)),
        })
        .collect()
}

/// `--link URL` (repeatable) with `--link-title T`: the n-th title names the n-th link (a link
/// without one has none). Each URL is checked before anything is written.
pub fn link_args(
    links: &[String],
    titles: &[String],
) -> Result<Vec<(String, String)>, CommandError> {
    if titles.len() > links.len() {
        return Err(CommandError::new(format!(
            "{} --link-title for {} --link: each title names the link at its position",
            titles.len(),
            links.len()
        ))
        .with_hint("give --link URL before its --link-title T"));
    }
    links
        .iter()
        .enumerate()
        .map(|(n, url)| {
            let url = crate::domain::postmortem::check_link(url)
                .map_err(|e| CommandError::new(e.to_string()))?;
            Ok((url, titles.get(n).cloned().unwrap_or_default()))
        })
        .collect()
}

/// The names `--service` (or `--no-service`) gave, checked before anything is written.
pub fn service_names(given: &[String]) -> Result<Vec<String>, CommandError> {
    given
        .iter()
        .map(|s| crate::domain::roles::service_name(s).map_err(CommandError::from))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{IncidentRef, incident_ref};

    #[test]
    fn digits_are_numbers_and_six_or_more_hex_digits_a_uuid_prefix() {
        assert_eq!(incident_ref("12"), Ok(IncidentRef::Number(12)));
        assert_eq!(incident_ref("#12"), Ok(IncidentRef::Number(12)));
        // All digits is a number, however long.
        assert_eq!(incident_ref("123456"), Ok(IncidentRef::Number(123456)));
        assert_eq!(
            incident_ref("5D8F8F5E-6a8e"),
            Ok(IncidentRef::UuidPrefix("5d8f8f5e6a8e".into()))
        );
        // This copy's provisional number, before or after the team numbered it.
        assert_eq!(incident_ref("L14"), Ok(IncidentRef::Local(14)));
        assert_eq!(incident_ref("l7"), Ok(IncidentRef::Local(7)));
        for bad in ["0", "-3", "abcde", "abcdefg", "12ab!", "", "L", "L0", "Lx"] {
            let err = incident_ref(bad).unwrap_err();
            assert!(err.contains("is not an incident number"), "{bad}: {err}");
        }
    }
}
