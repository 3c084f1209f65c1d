//! Taking back a timeline entry written by mistake (`domain::retract`): a third `impl Change`.

use super::{Change, Result, WorkflowError};
use crate::domain::event::{Event, EventKind};

impl Change {
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
