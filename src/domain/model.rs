//! The incident record of the guide's Incident Log Template and its timeline events.

pub use crate::domain::sla::Due;
use crate::domain::time::Timestamp;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Severity {
    P1,
    P2,
    P3,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::P1, Severity::P2, Severity::P3];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::P1 => "P1",
            Severity::P2 => "P2",
            Severity::P3 => "P3",
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown severity '{0}': use P1 (critical), P2 (high) or P3 (medium)")]
pub struct BadSeverity(pub String);

impl FromStr for Severity {
    type Err = BadSeverity;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "P1" => Ok(Severity::P1),
            "P2" => Ok(Severity::P2),
            "P3" => Ok(Severity::P3),
            _ => Err(BadSeverity(s.to_string())),
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Open,
    Investigating,
    Resolved,
    Closed,
    /// Opened by mistake, noise, or a duplicate (`incident cancel`): its SLA clocks stopped
    /// and neither met nor breached; `reopen` brings it back to INVESTIGATING.
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "OPEN",
            Status::Investigating => "INVESTIGATING",
            Status::Resolved => "RESOLVED",
            Status::Closed => "CLOSED",
            Status::Cancelled => "CANCELLED",
        }
    }

    /// Open and investigating incidents still run their fix clock.
    pub fn is_unresolved(self) -> bool {
        matches!(self, Status::Open | Status::Investigating)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown status '{0}': use OPEN, INVESTIGATING, RESOLVED, CLOSED or CANCELLED")]
pub struct BadStatus(pub String);

impl FromStr for Status {
    type Err = BadStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "OPEN" => Ok(Status::Open),
            "INVESTIGATING" => Ok(Status::Investigating),
            "RESOLVED" => Ok(Status::Resolved),
            "CLOSED" => Ok(Status::Closed),
            "CANCELLED" => Ok(Status::Cancelled),
            _ => Err(BadStatus(s.to_string())),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The free-text fields of the template that `update` can edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Title,
    Description,
    RootCause,
    Resolution,
    Prevention,
    LessonsLearned,
    /// The post-mortem's prose (issue 16): who and what was hurt, and how much.
    Impact,
    /// What set the problem off (a deploy, a traffic spike), as opposed to its root cause.
    Trigger,
    /// How it was noticed (an alert, a customer), and how it could have been sooner.
    Detection,
}

impl Field {
    pub const ALL: [Field; 9] = [
        Field::Title,
        Field::Description,
        Field::RootCause,
        Field::Resolution,
        Field::Prevention,
        Field::LessonsLearned,
        Field::Impact,
        Field::Trigger,
        Field::Detection,
    ];

    /// The stable key used in the database, JSON and templates.
    pub fn key(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Description => "description",
            Field::RootCause => "root_cause",
            Field::Resolution => "resolution",
            Field::Prevention => "prevention",
            Field::LessonsLearned => "lessons_learned",
            Field::Impact => "impact",
            Field::Trigger => "trigger",
            Field::Detection => "detection",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Description => "description",
            Field::RootCause => "root cause",
            Field::Resolution => "resolution",
            Field::Prevention => "prevention",
            Field::LessonsLearned => "lessons learned",
            Field::Impact => "impact",
            Field::Trigger => "trigger",
            Field::Detection => "detection",
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }
}

/// The number people see and type for an incident: the team's (without a team, this copy's);
/// on a copy that shares with a team log, a provisional one before the team numbered it,
/// stored negative and shown as `L14`, which cannot collide with a team number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Number(pub i64);

impl Number {
    /// Whether the team has yet to number it (`L14`).
    pub fn is_provisional(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            write!(f, "L{}", self.0.unsigned_abs())
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// In JSON and templates: a number, or `"L14"` for a provisional one.
impl serde::Serialize for Number {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.is_provisional() {
            s.collect_str(self)
        } else {
            s.serialize_i64(self.0)
        }
    }
}

/// `Number(n)` as people see it.
pub fn number_label(number: i64) -> String {
    Number(number).to_string()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// Internal row key; never shown, never changes.
    pub pk: i64,
    pub uuid: String,
    pub number: Number,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub status: Status,
    pub root_cause: String,
    pub resolution: String,
    pub prevention: String,
    pub lessons_learned: String,
    pub impact: String,
    pub trigger: String,
    pub detection: String,
    /// When the impact began: the earliest time the timeline may hold (notes, field changes
    /// and action items from here on). `started_at <= detected_at <= opened_at`.
    pub started_at: Timestamp,
    /// When it was noticed (the page, the alert): the SLA clocks start here, and an
    /// acknowledgement cannot be earlier.
    pub detected_at: Timestamp,
    /// When it was declared (`incident open`).
    pub opened_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// When its post-mortem was published (`incident postmortem status N published`), while
    /// that is its status: the post-mortem clock stops at this or the close, the earlier.
    pub published_at: Option<Timestamp>,
    pub created_by: String,
    pub updated_at: Timestamp,
    /// The SLA deadlines as computed from the timeline (`sla::due`) and stored with the
    /// incident; [`crate::domain::sla::clocks`] judges them.
    pub due: Due,
    /// Since when the SLA clocks are paused (`incident sla pause`), while they are; a resume
    /// or the resolution ends the pause.
    pub paused_at: Option<Timestamp>,
    /// Why they are paused (empty when not).
    pub pause_reason: String,
    /// Who holds which role (`domain::roles`): the opener commands until someone else does.
    pub roles: crate::domain::roles::Roles,
    /// The services it affects, sorted by name.
    pub services: Vec<String>,
}

impl Incident {
    /// A just-opened incident, for unit tests of the logic that reads incidents.
    #[cfg(test)]
    pub fn opened(number: i64, severity: Severity, at: Timestamp) -> Incident {
        Incident {
            pk: number,
            uuid: format!("u{number}"),
            number: Number(number),
            title: "Data collection stopped".into(),
            description: String::new(),
            severity,
            status: Status::Open,
            root_cause: String::new(),
            resolution: String::new(),
            prevention: String::new(),
            lessons_learned: String::new(),
            impact: String::new(),
            trigger: String::new(),
            detection: String::new(),
            started_at: at,
            detected_at: at,
            opened_at: at,
            acknowledged_at: None,
            resolved_at: None,
            closed_at: None,
            published_at: None,
            created_by: "alice".into(),
            updated_at: at,
            due: Due::unjudged(at),
            paused_at: None,
            pause_reason: String::new(),
            roles: crate::domain::roles::opening("alice"),
            services: Vec::new(),
        }
    }

    pub fn field(&self, f: Field) -> &str {
        match f {
            Field::Title => &self.title,
            Field::Description => &self.description,
            Field::RootCause => &self.root_cause,
            Field::Resolution => &self.resolution,
            Field::Prevention => &self.prevention,
            Field::LessonsLearned => &self.lessons_learned,
            Field::Impact => &self.impact,
            Field::Trigger => &self.trigger,
            Field::Detection => &self.detection,
        }
    }

    /// When the post-mortem clock stopped: the earlier of the close and the publishing of the
    /// post-mortem (`close` does not wait for publishing, nor publishing for the close).
    pub fn postmortem_done_at(&self) -> Option<Timestamp> {
        match (self.closed_at, self.published_at) {
            (Some(c), Some(p)) => Some(c.min(p)),
            (c, p) => c.or(p),
        }
    }

    /// The labels of those of `fields` that the incident has not recorded yet.
    pub fn unrecorded(&self, fields: &[Field]) -> Vec<&'static str> {
        fields
            .iter()
            .filter(|f| self.field(**f).is_empty())
            .map(|f| f.label())
            .collect()
    }

    pub fn field_mut(&mut self, f: Field) -> &mut String {
        match f {
            Field::Title => &mut self.title,
            Field::Description => &mut self.description,
            Field::RootCause => &mut self.root_cause,
            Field::Resolution => &mut self.resolution,
            Field::Prevention => &mut self.prevention,
            Field::LessonsLearned => &mut self.lessons_learned,
            Field::Impact => &mut self.impact,
            Field::Trigger => &mut self.trigger,
            Field::Detection => &mut self.detection,
        }
    }
}

/// What an action item does about the problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionKind {
    /// Keeps it from happening again (the default).
    Prevent,
    /// Makes it hurt less when it does.
    Mitigate,
    /// Finds it sooner.
    Detect,
    /// Changes how the team works.
    Process,
    /// Anything else worth following up (a thank-you, a question for a vendor).
    Other,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Prevent => "prevent",
            ActionKind::Mitigate => "mitigate",
            ActionKind::Detect => "detect",
            ActionKind::Process => "process",
            ActionKind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown action kind '{0}': use prevent, mitigate, detect, process or other")]
pub struct BadActionKind(pub String);

impl FromStr for ActionKind {
    type Err = BadActionKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "prevent" => Ok(ActionKind::Prevent),
            "mitigate" => Ok(ActionKind::Mitigate),
            "detect" => Ok(ActionKind::Detect),
            "process" => Ok(ActionKind::Process),
            "other" => Ok(ActionKind::Other),
            _ => Err(BadActionKind(s.to_string())),
        }
    }
}

/// A follow-up owned by someone: the guide's "Implement Prevention Measures".
#[derive(Debug, Clone, PartialEq)]
pub struct ActionItem {
    /// Internal row key; never shown.
    pub pk: i64,
    /// The number users type: `incident action done 7`. With a team log, the team's; one not
    /// pushed yet is provisional (`L7`), as incidents are.
    pub id: Number,
    pub incident_number: i64,
    pub text: String,
    pub kind: ActionKind,
    pub owner: Option<String>,
    pub due_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub created_by: String,
    pub done_at: Option<Timestamp>,
    pub done_by: Option<String>,
}

impl ActionItem {
    /// Open and past its due date at `now`.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.done_at.is_none() && self.due_at.is_some_and(|d| d < now)
    }
}

/// An action item about to be added.
#[derive(Debug, Clone)]
pub struct NewAction {
    pub text: String,
    pub kind: ActionKind,
    pub owner: Option<String>,
    pub due_at: Option<Timestamp>,
}
