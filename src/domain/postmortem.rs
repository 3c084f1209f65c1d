//! The post-mortem's own record (issue 16): lessons in three lists, its authors and status,
//! and the links of its supporting information and of action items' bugs. All of it is in the
//! timeline (`lesson`, `postmortem` and `link` events); [`Record::of`] reads it back, so the
//! team log and import carry it as they carry every event.

use crate::domain::event::{Event, EventKind};
use crate::domain::time::Timestamp;
use std::fmt;
use std::str::FromStr;

/// Which of the post-mortem's three lessons lists an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LessonKind {
    WentWell,
    WentWrong,
    Lucky,
}

impl LessonKind {
    pub const ALL: [LessonKind; 3] = [
        LessonKind::WentWell,
        LessonKind::WentWrong,
        LessonKind::Lucky,
    ];

    /// The key in events and JSON.
    pub fn key(self) -> &'static str {
        match self {
            LessonKind::WentWell => "went_well",
            LessonKind::WentWrong => "went_wrong",
            LessonKind::Lucky => "lucky",
        }
    }

    /// The heading of its list.
    pub fn heading(self) -> &'static str {
        match self {
            LessonKind::WentWell => "What went well",
            LessonKind::WentWrong => "What went wrong",
            LessonKind::Lucky => "Where we got lucky",
        }
    }

    /// The flag of `incident lesson add` that records one.
    pub fn flag(self) -> &'static str {
        match self {
            LessonKind::WentWell => "--went-well",
            LessonKind::WentWrong => "--went-wrong",
            LessonKind::Lucky => "--lucky",
        }
    }

    pub fn from_key(key: &str) -> Option<LessonKind> {
        LessonKind::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// Where the post-mortem document stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PostmortemStatus {
    Draft,
    Review,
    Published,
}

impl PostmortemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PostmortemStatus::Draft => "draft",
            PostmortemStatus::Review => "review",
            PostmortemStatus::Published => "published",
        }
    }
}

impl fmt::Display for PostmortemStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown post-mortem status '{0}': use draft, review or published")]
pub struct BadPostmortemStatus(pub String);

impl FromStr for PostmortemStatus {
    type Err = BadPostmortemStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "draft" => Ok(PostmortemStatus::Draft),
            "review" => Ok(PostmortemStatus::Review),
            "published" => Ok(PostmortemStatus::Published),
            _ => Err(BadPostmortemStatus(s.to_string())),
        }
    }
}

/// A link that is not one: what is wrong with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "'{0}' is not a link: give an http, https or mailto URL such as https://bugs.example.com/PROJ-123"
)]
pub struct BadLink(pub String);

/// A URL as links take it: http, https or mailto, with none of whitespace, control
/// characters, `<`, `>`, `"`, backticks or backslashes (percent-encode them). The tool never
/// fetches it; the HTML post-mortem makes it a link, so a `javascript:` one is refused, and
/// Markdown prints it as an autolink `<URL>`, which nothing else can close or escape.
pub fn check_link(url: &str) -> Result<String, BadLink> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let rest = ["https://", "http://", "mailto:"]
        .iter()
        .find_map(|scheme| lower.strip_prefix(scheme));
    match rest {
        Some(rest)
            if !rest.is_empty()
                && !url
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || "<>\"`\\".contains(c)) =>
        {
            Ok(url.to_string())
        }
        _ => Err(BadLink(url.to_string())),
    }
}

/// One lesson as the timeline recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    pub kind: LessonKind,
    pub text: String,
    pub at: Timestamp,
    pub author: String,
}

/// One link: supporting information, or (with `action`) an action item's bug.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub url: String,
    pub title: String,
    /// The action item it belongs to (its number as shown), or `None` for the incident.
    pub action: Option<String>,
}

/// What the timeline says about the post-mortem.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    pub authors: Vec<String>,
    pub status: Option<PostmortemStatus>,
    /// When the current `published` status was set; `None` unless it is published.
    pub published_at: Option<Timestamp>,
    pub lessons: Vec<Lesson>,
    pub links: Vec<Link>,
}

impl Record {
    /// Read from a timeline, in the order it is given (recorded order, or the merged
    /// timeline's order: both agree on what one copy wrote).
    pub fn of(events: &[Event]) -> Record {
        let mut r = Record::default();
        // A lesson or link taken back (`incident retract`) is no longer the post-mortem's.
        let retractions = crate::domain::retract::retractions(events);
        let standing = events
            .iter()
            .filter(|e| crate::domain::retract::retraction_of(e, &retractions).is_none());
        for e in standing {
            let new = e.new.clone().unwrap_or_default();
            match (e.kind, e.field.as_deref()) {
                (EventKind::Lesson, Some(key)) => {
                    if let Some(kind) = LessonKind::from_key(key) {
                        r.lessons.push(Lesson {
                            kind,
                            text: e.text.clone(),
                            at: e.at,
                            author: e.author.clone(),
                        });
                    }
                }
                (EventKind::Postmortem, Some("author")) if !r.authors.contains(&new) => {
                    r.authors.push(new);
                }
                (EventKind::Postmortem, Some("status")) => {
                    let status = new.parse().ok();
                    r.published_at = match status {
                        Some(PostmortemStatus::Published) => r.published_at.or(Some(e.at)),
                        _ => None,
                    };
                    r.status = status;
                }
                (EventKind::Link, action) => r.links.push(Link {
                    url: new,
                    title: e.text.clone(),
                    action: action.map(str::to_string),
                }),
                _ => {}
            }
        }
        r
    }

    pub fn lessons_of(&self, kind: LessonKind) -> impl Iterator<Item = &Lesson> {
        self.lessons.iter().filter(move |l| l.kind == kind)
    }

    /// The links of the incident (supporting information), not those of action items.
    pub fn supporting(&self) -> impl Iterator<Item = &Link> {
        self.links.iter().filter(|l| l.action.is_none())
    }

    /// The bug links of action item `id` (as shown: `7`, `L7`).
    pub fn bugs_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Link> {
        self.links
            .iter()
            .filter(move |l| l.action.as_deref() == Some(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_need_a_scheme_and_no_spaces() {
        for good in [
            "https://bugs.example.com/PROJ-123",
            "http://10.4.7.21:3000/d/search?from=now-6h",
            "mailto:oncall@example.com",
        ] {
            assert_eq!(check_link(good).as_deref(), Ok(good));
        }
        for bad in [
            "PROJ-123",
            "--link-title",
            "https://a b",
            "https://example.com/<script>",
            "https://example.com/a\\b",
            "https://",
            "javascript:alert(1)",
            "C:\\runbooks\\search.md",
            "",
        ] {
            assert!(check_link(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn statuses_parse_in_any_case() {
        assert_eq!("Published".parse(), Ok(PostmortemStatus::Published));
        assert!("done".parse::<PostmortemStatus>().is_err());
    }
}
