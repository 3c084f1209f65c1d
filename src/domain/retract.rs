//! Taking back a timeline entry written by mistake (a note on the wrong incident) without
//! altering it: a `retraction` entry names it, and every rendering marks it. Which kinds can be
//! retracted, how an entry is found by the id people copy, and the mark. Pure.

use crate::domain::event::{Event, EventKind, short_id};
use crate::domain::time::{self, Timestamp};

/// The kinds a person writes as words and may take back. Status, severity, field and role
/// changes have their own commands to change them again; snapshots, logs and commands are
/// evidence (`incident gc`/purge handles what must go); the monitor's and reminders' entries
/// are the machine's record.
pub const RETRACTABLE: [EventKind; 3] = [EventKind::Note, EventKind::Lesson, EventKind::Link];

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RetractError {
    #[error("no timeline entry of this incident has the id '{0}'")]
    NoEntry(String),
    #[error("the id '{id}' matches {count} timeline entries of this incident")]
    Ambiguous { id: String, count: usize },
    #[error("a {0} entry cannot be retracted; only notes, lessons and links can")]
    NotRetractable(&'static str),
    #[error("entry {id} was already retracted by {by} at {}: {reason}", time::display(*.at))]
    Already {
        id: String,
        by: String,
        at: Timestamp,
        reason: String,
    },
}

/// The retraction of each retracted entry, by the entry's uuid: the first one (a merged
/// timeline may hold two made apart; the first stands).
pub fn retractions(events: &[Event]) -> Vec<(&str, &Event)> {
    let mut found: Vec<(&str, &Event)> = Vec::new();
    for e in events.iter().filter(|e| e.kind == EventKind::Retraction) {
        if let Some(uuid) = e.field.as_deref()
            && !found.iter().any(|(u, _)| *u == uuid)
        {
            found.push((uuid, e));
        }
    }
    found
}

/// The retraction of `event`, if it was retracted.
pub fn retraction_of<'e>(event: &Event, retractions: &[(&str, &'e Event)]) -> Option<&'e Event> {
    let uuid = event.uuid.as_deref()?;
    retractions
        .iter()
        .find(|(u, _)| *u == uuid)
        .map(|(_, r)| *r)
}

/// What every rendering appends to a retracted entry's words.
pub fn mark(retraction: &Event) -> String {
    format!("(retracted by {}: {})", retraction.author, retraction.text)
}

/// The entry of `events` that `id` names (its whole uuid, or at least 6 hex digits at the start
/// or the end of it: `show --ids` prints the last 8), if it may be retracted.
pub fn target<'e>(events: &'e [Event], id: &str) -> Result<&'e Event, RetractError> {
    let id = id.trim().to_ascii_lowercase();
    let bare = id.replace('-', "");
    let hex = bare.len() >= 6 && bare.chars().all(|c| c.is_ascii_hexdigit());
    let matches: Vec<&Event> = events
        .iter()
        .filter(|e| {
            let Some(uuid) = e.uuid.as_deref() else {
                return false;
            };
            let plain = uuid.replace('-', "");
            uuid == id || (hex && (plain.ends_with(&bare) || plain.starts_with(&bare)))
        })
        .collect();
    let event = match matches.as_slice() {
        [] => return Err(RetractError::NoEntry(id)),
        [one] => *one,
        many => {
            return Err(RetractError::Ambiguous {
                id,
                count: many.len(),
            });
        }
    };
    if !RETRACTABLE.contains(&event.kind) {
        return Err(RetractError::NotRetractable(event.kind.as_str()));
    }
    if let Some(r) = retraction_of(event, &retractions(events)) {
        return Err(RetractError::Already {
            id: short_id(event.uuid.as_deref().unwrap_or("")).to_string(),
            by: r.author.clone(),
            at: r.at,
            reason: r.text.clone(),
        });
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind, uuid: &str, field: Option<&str>, text: &str) -> Event {
        let at = time::from_rfc3339("2026-11-29T10:00:00Z").unwrap();
        Event {
            at,
            recorded_at: at,
            author: "alice".into(),
            kind,
            field: field.map(String::from),
            old: Some("note".into()),
            new: None,
            text: text.into(),
            detail: None,
            uuid: Some(uuid.into()),
        }
    }

    const NOTE: &str = "019ad2c1-5e00-7a11-8b2c-3f4e5a6b7c8d";
    const STATUS: &str = "019ad2c1-5e00-7a11-9c3d-4e5f6a7b8c9d";

    fn timeline() -> Vec<Event> {
        vec![
            event(EventKind::Note, NOTE, None, "paged the payments team"),
            event(EventKind::Status, STATUS, None, ""),
        ]
    }

    #[test]
    fn an_entry_is_found_by_its_last_eight_digits_its_start_or_its_whole_uuid() {
        let t = timeline();
        for id in ["5a6b7c8d", "5A6B7C8D", NOTE, "3f4e5a6b7c8d"] {
            assert_eq!(
                target(&t, id).unwrap().text,
                "paged the payments team",
                "{id}"
            );
        }
        // The start is the time, shared by both: ambiguous, not a guess.
        assert_eq!(
            target(&t, "019ad2c1"),
            Err(RetractError::Ambiguous {
                id: "019ad2c1".into(),
                count: 2
            })
        );
        assert_eq!(
            target(&t, "7c8d"),
            Err(RetractError::NoEntry("7c8d".into()))
        );
        assert_eq!(
            target(&t, "ffffff"),
            Err(RetractError::NoEntry("ffffff".into()))
        );
    }

    #[test]
    fn status_changes_and_retracted_entries_are_refused() {
        let mut t = timeline();
        assert_eq!(
            target(&t, "4e5f6a7b8c9d"),
            Err(RetractError::NotRetractable("status"))
        );
        t.push(event(
            EventKind::Retraction,
            "019ad2c2-0000-7000-8000-000000000001",
            Some(NOTE),
            "wrong incident",
        ));
        let err = target(&t, "5a6b7c8d").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("entry 5a6b7c8d was already retracted by alice at 2026-11-29"),
            "{err}"
        );
        let marks = retractions(&t);
        let r = retraction_of(&t[0], &marks).unwrap();
        assert_eq!(mark(r), "(retracted by alice: wrong incident)");
        assert!(retraction_of(&t[1], &marks).is_none());
    }
}
