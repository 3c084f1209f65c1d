//! Mistakes undone without deleting history: an incident cancelled (opened by mistake, noise, a
//! duplicate) and a timeline entry retracted (`domain::retract`). A third `impl Change`.

use super::{Change, Result, WorkflowError};
use crate::domain::event::{Event, EventKind};
use crate::domain::model::{Number, Status};

impl Change {
    /// Cancels an OPEN or INVESTIGATING incident opened by mistake (noise, a duplicate of
    /// `duplicate_of`): a status event carrying the reason. A RESOLVED or CLOSED one is refused:
    /// it was worked on and resolved, so its clocks and its place in the review are the record.
    pub fn cancel(&mut self, reason: &str, duplicate_of: Option<Number>) -> Result<()> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(WorkflowError::Empty("reason"));
        }
        let text = match duplicate_of {
            Some(other) => format!("duplicate of incident {other}: {reason}"),
            None => reason.to_string(),
        };
        self.set_status(Status::Cancelled, &text)
    }

    /// Retracts the entry of `timeline` (this incident's) that `id` names, for `reason`: a
    /// `retraction` entry naming it; the entry itself is kept as written.
    pub fn retract(&mut self, timeline: &[Event], id: &str, reason: &str) -> Result<()> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(WorkflowError::Empty("reason"));
        }
        let target = crate::domain::retract::target(timeline, id).map_err(|source| {
            WorkflowError::Retract {
                number: self.incident.number,
                source,
            }
        })?;
        self.push(
            EventKind::Retraction,
            target.uuid.clone(),
            Some(target.kind.as_str().to_string()),
            None,
            reason.to_string(),
        );
        Ok(())
    }
}
