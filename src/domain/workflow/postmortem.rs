//! The post-mortem's own entries in the timeline: lessons, authors, its status and links. A
//! second `impl Change` beside the lifecycle's (workflow.rs), so each file stays readable.

use super::{Change, Result, WorkflowError};
use crate::domain::event::EventKind;
use crate::domain::model::Number;
use crate::domain::postmortem::{LessonKind, PostmortemStatus};

impl Change {
    /// Records a post-mortem lesson in one of its three lists.
    pub fn lesson(&mut self, kind: LessonKind, text: &str) -> Result<()> {
        let text = text.trim();
        if text.is_empty() {
            return Err(WorkflowError::Empty("lesson"));
        }
        let field = Some(kind.key().to_string());
        self.push(EventKind::Lesson, field, None, None, text.to_string());
        Ok(())
    }

    /// Names an author of the post-mortem; one named already records nothing.
    pub fn postmortem_author(&mut self, name: &str, known: &[String]) -> Result<()> {
        let name = name.trim();
        if name.is_empty() {
            return Err(WorkflowError::Empty("author's name"));
        }
        if !known.iter().any(|k| k == name) {
            let field = Some("author".to_string());
            self.push(
                EventKind::Postmortem,
                field,
                None,
                Some(name.into()),
                String::new(),
            );
        }
        Ok(())
    }

    /// Moves the post-mortem to `to` from `from` (none before its first status); the same
    /// status again records nothing.
    pub fn postmortem_status(&mut self, from: Option<PostmortemStatus>, to: PostmortemStatus) {
        if from != Some(to) {
            self.push(
                EventKind::Postmortem,
                Some("status".into()),
                from.map(|s| s.as_str().to_string()),
                Some(to.as_str().to_string()),
                String::new(),
            );
        }
    }

    /// Adds a link (already checked with `postmortem::check_link`): supporting information,
    /// or with `action` that action item's bug.
    pub fn link(&mut self, action: Option<Number>, url: &str, title: &str) {
        let field = action.map(|id| id.to_string());
        self.push(
            EventKind::Link,
            field,
            None,
            Some(url.into()),
            title.trim().into(),
        );
    }
}
