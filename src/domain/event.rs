//! The timeline: what happened to an incident, when, and who recorded it. Every kind of entry is
//! one variant of [`EventKind`]; `projection::apply` is the one place an entry changes the
//! incident's fields, and `Event::summary` the one place it is put in words.

use crate::domain::model::Field;
use crate::domain::time::{self, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Opened,
    Note,
    Status,
    Severity,
    Field,
    /// A diagnostic snapshot was taken: `new` is its number, `text` its summary.
    Snapshot,
    /// An action item was added (`old` empty) or done (`old` "open"): `field` is its id.
    Action,
    /// `incident remind` found an SLA clock past its deadline: `field` is the clock (respond,
    /// resolve, postmortem), `new` its deadline.
    Sla,
    /// A log was attached: `field` is its number within the incident, `new` the SHA-256 of
    /// its content, `text` its name, size and lines.
    Attachment,
    /// `incident exec` ran a command: `field` is its run number, `new` how it ended ("0",
    /// "signal 9"), `text` the (redacted) command line with its exit and duration.
    Command,
    /// The health monitor's verdict changed: `field` is `score`, `recovered` or `degraded`,
    /// `old` and `new` the previous and new score, `text` the verdict.
    Health,
    /// The SLA clocks were paused (`new` "paused", `text` the reason) or resumed (`new`
    /// "resumed"): `incident sla pause` / `resume`. One kind for both, like a status change,
    /// so a pause and its end read as one story and `sla::due` pairs them in time order.
    Pause,
    /// A post-mortem lesson: `field` is its list (`went_well`, `went_wrong`, `lucky`), `text`
    /// the lesson.
    Lesson,
    /// The post-mortem document: `field` is `author` (`new` the name) or `status` (`old` and
    /// `new` the previous and new status: draft, review, published).
    Postmortem,
    /// A link: `new` is the URL, `text` its title; `field` the action item whose bug it is,
    /// or none for the incident's supporting information.
    Link,
    /// A role's holder was named or cleared: `field` is the role, `old` who held it, `new` who
    /// does now (empty when cleared).
    Role,
    /// An affected service was added (`new` is its name) or removed (`old` is).
    Service,
    /// An entry written by mistake is taken back (`incident retract`): `field` is the uuid of
    /// the retracted entry, `old` its kind, `text` the reason. The entry stays in the timeline,
    /// marked (`domain::retract`); nothing is altered.
    Retraction,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Opened => "opened",
            EventKind::Note => "note",
            EventKind::Status => "status",
            EventKind::Severity => "severity",
            EventKind::Field => "field",
            EventKind::Snapshot => "snapshot",
            EventKind::Action => "action",
            EventKind::Sla => "sla",
            EventKind::Attachment => "attachment",
            EventKind::Command => "command",
            EventKind::Health => "health",
            EventKind::Pause => "pause",
            EventKind::Lesson => "lesson",
            EventKind::Postmortem => "postmortem",
            EventKind::Link => "link",
            EventKind::Role => "role",
            EventKind::Service => "service",
            EventKind::Retraction => "retraction",
        }
    }

    /// Whether an event of this kind changes the incident's fields (and so its `updated_at`);
    /// the other kinds add to the timeline only. `projection::apply` is where they change them.
    pub fn changes_fields(self) -> bool {
        match self {
            EventKind::Opened
            | EventKind::Status
            | EventKind::Severity
            | EventKind::Field
            | EventKind::Pause
            | EventKind::Role
            | EventKind::Service => true,
            EventKind::Note
            | EventKind::Snapshot
            | EventKind::Action
            | EventKind::Sla
            | EventKind::Attachment
            | EventKind::Command
            | EventKind::Health
            | EventKind::Lesson
            | EventKind::Link
            | EventKind::Retraction => false,
            // Publishing stops the post-mortem clock (`Incident::published_at`).
            EventKind::Postmortem => true,
        }
    }

    /// Every kind, in the order reports list them. The compiler cannot check that a list is
    /// complete, so `every_kind_is_listed` does (through the exhaustive `as_str`).
    pub const ALL: [EventKind; 18] = [
        EventKind::Opened,
        EventKind::Note,
        EventKind::Status,
        EventKind::Severity,
        EventKind::Field,
        EventKind::Snapshot,
        EventKind::Action,
        EventKind::Sla,
        EventKind::Attachment,
        EventKind::Command,
        EventKind::Health,
        EventKind::Pause,
        EventKind::Lesson,
        EventKind::Postmortem,
        EventKind::Link,
        EventKind::Role,
        EventKind::Service,
        EventKind::Retraction,
    ];

    pub fn from_key(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What reports call the kind (a timeline's "**Note** …", the review's activity table).
    /// Defined here, once, so no template can lack the label of a kind added later.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Opened => "Opened",
            EventKind::Note => "Note",
            EventKind::Status => "Status",
            EventKind::Severity => "Severity",
            EventKind::Field => "Edit",
            EventKind::Snapshot => "Snapshot",
            EventKind::Action => "Action",
            EventKind::Sla => "SLA",
            EventKind::Attachment => "Attachment",
            EventKind::Command => "Command",
            EventKind::Health => "Health",
            EventKind::Pause => "SLA pause",
            EventKind::Lesson => "Lesson",
            EventKind::Postmortem => "Post-mortem",
            EventKind::Link => "Link",
            EventKind::Role => "Role",
            EventKind::Service => "Service",
            EventKind::Retraction => "Retraction",
        }
    }
}

impl Event {
    /// A retraction's words: which entry it takes back, and why.
    fn retraction_summary(&self, kind: &str) -> String {
        let id = short_id(self.field.as_deref().unwrap_or(""));
        format!("retracts the {kind} {id}: {}", self.text)
    }
}

/// How people name an event (`show --ids`, `incident retract`): the last 8 hex digits of its
/// uuid, which are random (a version 7 uuid begins with the time, shared by the events of a
/// minute).
pub fn short_id(uuid: &str) -> &str {
    let start = uuid.len().saturating_sub(8);
    uuid.get(start..).unwrap_or(uuid)
}

/// A `pause` event's `new` when it pauses the SLA clocks; [`RESUMED`] when it resumes them.
pub const PAUSED: &str = "paused";
pub const RESUMED: &str = "resumed";

/// One timeline entry. `field`/`old`/`new` carry what changed; `text` what the author wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub at: Timestamp,
    pub recorded_at: Timestamp,
    pub author: String,
    pub kind: EventKind,
    pub field: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub text: String,
    /// What the five columns above cannot hold (an `opened` event's description and detection
    /// time); `None` for other kinds, and for `opened` events written before version 9.
    pub detail: Option<Detail>,
    /// The event's identity, the same on every working copy and in the team log: given by the
    /// store when the event is first written (random), kept by export, import and sync.
    /// `None` only for an event not yet stored. Not part of what happened: two events that
    /// differ only here are the same record (`same_record`).
    pub uuid: Option<String>,
}

/// A new event's identity: random, and ordered by the time it was made, so that events one
/// copy writes in the same second keep their order in every copy's timeline
/// (`projection::timeline_order`). The clock it reads only orders; no time is taken from it.
pub fn new_uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The namespace of the identities derived from an event's content (`Event::content_uuid`).
const CONTENT_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6d1c_2a4e_8b9f_4c3d_9e0f_1a2b_3c4d_5e6f);

impl Event {
    /// The identity of an event written before events had one (database version 12, export
    /// files before version 3), derived from what it records: its incident, times, author,
    /// kind, field, values and text, and `ordinal`, how many identical events precede it in
    /// its incident's timeline as recorded. Every copy of such an event (moved by export and
    /// import) so gets the same identity, and is pushed to the team log once.
    pub fn content_uuid(&self, incident_uuid: &str, ordinal: u32) -> String {
        let name = serde_json::json!([
            incident_uuid,
            time::to_rfc3339(self.at),
            time::to_rfc3339(self.recorded_at),
            self.author,
            self.kind.as_str(),
            self.field,
            self.old,
            self.new,
            self.text,
            ordinal,
        ]);
        uuid::Uuid::new_v5(&CONTENT_NAMESPACE, name.to_string().as_bytes()).to_string()
    }

    /// Whether two events record the same thing, whatever their identities.
    pub fn same_record(&self, other: &Event) -> bool {
        Event {
            uuid: None,
            ..self.clone()
        } == Event {
            uuid: None,
            ..other.clone()
        }
    }
}

/// Derives the identities of events written before they had one, in recorded order: an
/// event's ordinal is how many events with the same content came before it.
pub fn content_uuids<'e>(
    incident_uuid: &str,
    events: impl IntoIterator<Item = &'e Event>,
) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    events
        .into_iter()
        .map(|e| {
            let first = e.content_uuid(incident_uuid, 0);
            let ordinal = seen.entry(first.clone()).or_insert(0);
            let uuid = if *ordinal == 0 {
                first
            } else {
                e.content_uuid(incident_uuid, *ordinal)
            };
            *ordinal += 1;
            uuid
        })
        .collect()
}

/// Facts of an event beyond its columns, stored as JSON in `events.detail` (version 9), so that
/// the timeline alone rebuilds the incident (`projection::replay`).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Detail {
    /// `opened`: the description given when it was opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `opened`: when the problem was first noticed (the open time unless given).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::domain::time::rfc3339_option"
    )]
    pub detected_at: Option<Timestamp>,
    /// `opened`: when the impact began (the detection time unless given; version 11).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::domain::time::rfc3339_option"
    )]
    pub started_at: Option<Timestamp>,
    /// `opened`: the services it affects from the start (`open --service`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// `opened`, `severity` and a resolving `status`: the SLA terms the clocks it starts or
    /// changes run under (version 20; `domain::terms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<crate::domain::terms::Terms>,
}

impl Event {
    /// The one-line description shown in timelines and given as `text` in JSON.
    pub fn summary(&self) -> String {
        let old = self.old.as_deref().unwrap_or("");
        let new = self.new.as_deref().unwrap_or("");
        let with_text = |head: String| {
            if self.text.is_empty() {
                head
            } else {
                format!("{head}: {}", self.text)
            }
        };
        match self.kind {
            EventKind::Opened => with_text(new.to_string()),
            EventKind::Note => self.text.clone(),
            EventKind::Snapshot => format!("#{new} {}", self.text),
            EventKind::Action => {
                let id = self.field.as_deref().unwrap_or("?");
                match new {
                    "done" => format!("action {id} done: {}", self.text),
                    _ => format!("action {id} added: {}", self.text),
                }
            }
            EventKind::Sla => {
                let clock = match self.field.as_deref() {
                    Some("respond") => "response",
                    Some("resolve") => "fix",
                    Some("postmortem") => "post-mortem",
                    _ => "SLA",
                };
                let deadline = crate::domain::time::from_rfc3339(new)
                    .map(crate::domain::time::display)
                    .unwrap_or_else(|| new.to_string());
                with_text(format!("{clock} deadline {deadline} breached"))
            }
            EventKind::Attachment => {
                let k = self.field.as_deref().unwrap_or("?");
                // The first 12 hex digits tell attachments apart; `logs` and the JSON have all.
                let short = new.get(..12).unwrap_or(new);
                format!("attached log {k}: {} sha256:{short}", self.text)
            }
            EventKind::Command => {
                let k = self.field.as_deref().unwrap_or("?");
                format!("command {k}: {}", self.text)
            }
            EventKind::Health => match (self.field.as_deref(), old) {
                (Some("recovered"), _) => format!("health recovered: {}", self.text),
                (Some("degraded"), _) => format!("health degraded again: {}", self.text),
                (_, "") => format!("health {new}: {}", self.text),
                (_, old) => format!("health {old} → {new}: {}", self.text),
            },
            EventKind::Pause => match new {
                PAUSED => with_text("SLA clocks paused".into()),
                _ => "SLA clocks resumed".into(),
            },
            EventKind::Lesson => {
                let list = match self.field.as_deref() {
                    Some("went_well") => "went well",
                    Some("went_wrong") => "went wrong",
                    Some("lucky") => "lucky",
                    _ => "lesson",
                };
                format!("{list}: {}", self.text)
            }
            EventKind::Postmortem => match (self.field.as_deref(), old) {
                (Some("author"), _) => format!("post-mortem author: {new}"),
                (_, "") => format!("post-mortem {new}"),
                (_, old) => format!("post-mortem {old} → {new}"),
            },
            EventKind::Link => {
                let head = match self.field.as_deref() {
                    Some(id) => format!("action {id} bug {new}"),
                    None => format!("link {new}"),
                };
                with_text(head)
            }
            EventKind::Role => crate::domain::roles::role_summary(
                self.field.as_deref().unwrap_or("role"),
                old,
                new,
            ),
            EventKind::Service => crate::domain::roles::service_summary(old, new),
            EventKind::Retraction => self.retraction_summary(old),
            EventKind::Status => with_text(format!("{old} → {new}")),
            EventKind::Severity => with_text(format!("{old} → {new}")),
            EventKind::Field => {
                let label = self
                    .field
                    .as_deref()
                    .and_then(Field::from_key)
                    .map(Field::label)
                    .unwrap_or("field");
                if new.is_empty() {
                    format!("{label} cleared")
                } else if old.is_empty() {
                    format!("{label} set: {new}")
                } else {
                    format!("{label} changed: {new} (was: {old})")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EventKind;

    /// An exhaustive match: a new kind does not compile until it is given the next number
    /// here, and it belongs at that place in `EventKind::ALL` (whose length is its type).
    fn position(kind: EventKind) -> usize {
        match kind {
            EventKind::Opened => 0,
            EventKind::Note => 1,
            EventKind::Status => 2,
            EventKind::Severity => 3,
            EventKind::Field => 4,
            EventKind::Snapshot => 5,
            EventKind::Action => 6,
            EventKind::Sla => 7,
            EventKind::Attachment => 8,
            EventKind::Command => 9,
            EventKind::Health => 10,
            EventKind::Pause => 11,
            EventKind::Lesson => 12,
            EventKind::Postmortem => 13,
            EventKind::Link => 14,
            EventKind::Role => 15,
            EventKind::Service => 16,
            EventKind::Retraction => 17,
        }
    }

    #[test]
    fn every_kind_is_listed_once_with_a_key_and_a_label() {
        for (i, kind) in EventKind::ALL.into_iter().enumerate() {
            assert_eq!(position(kind), i, "{kind:?} out of place in EventKind::ALL");
            assert_eq!(EventKind::from_key(kind.as_str()), Some(kind));
            assert!(!kind.label().is_empty());
        }
        let labels: std::collections::HashSet<_> =
            EventKind::ALL.iter().map(|k| k.label()).collect();
        assert_eq!(
            labels.len(),
            EventKind::ALL.len(),
            "two kinds share a label"
        );
    }
}
