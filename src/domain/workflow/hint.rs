//! What a user can do about each [`WorkflowError`], in their terms: the hint under the error.

use super::WorkflowError;
use crate::domain::model::Status;

impl WorkflowError {
    /// What the user can do about it, in their terms.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            WorkflowError::NotFound(_) => "`incident list` shows the incidents there are".into(),
            WorkflowError::Transition { number, from, to } => match (from, to) {
                (_, Status::Cancelled) => format!(
                    "only OPEN or INVESTIGATING incidents can be cancelled; a resolved one happened (if it did not, `incident reopen {number} --reason TEXT` first); `incident show {number}` shows where it stands"
                ),
                (Status::Cancelled, _) => {
                    format!("`incident reopen {number} --reason TEXT` takes it back to INVESTIGATING")
                }
                (Status::Open, Status::Closed) | (Status::Investigating, Status::Closed) => {
                    format!("resolve it first: `incident resolve {number} --root-cause TEXT --resolution TEXT`")
                }
                (Status::Resolved | Status::Closed, _) => {
                    format!("`incident reopen {number} --reason TEXT` takes it back to INVESTIGATING")
                }
                (_, Status::Open) => {
                    "an acknowledged incident stays acknowledged; `incident note` records what happened".into()
                }
                _ => format!("`incident show {number}` shows where it stands"),
            },
            WorkflowError::Already { number, .. } | WorkflowError::AlreadyAcknowledged { number, .. } => {
                format!("`incident show {number}` shows its timeline")
            }
            WorkflowError::Wrong { number, action, .. } => match *action {
                "acknowledged" => format!("if the problem is back, `incident reopen {number} --reason TEXT`"),
                _ => format!("`incident show {number}` shows where it stands"),
            },
            WorkflowError::CannotClose { number, .. } => format!(
                "pass them: `incident close {number} --root-cause TEXT --resolution TEXT`"
            ),
            WorkflowError::OutOfOrder { number, .. } => {
                format!("check --at; `incident show {number}` lists the recorded times")
            }
            WorkflowError::OpenOutOfOrder { .. } => {
                "the impact start (--started) comes first, then the detection (--detected), then the open (--at)".into()
            }
            WorkflowError::Future { .. } => "give a time up to now; relative times count back, like -15m".into(),
            WorkflowError::Empty(_) => "write something, or pipe it in with `-`".into(),
            WorkflowError::NoAction(_) => "`incident action list` shows the action items".into(),
            WorkflowError::ActionDone { .. } => "`incident action list --open` shows those still to do".into(),
            WorkflowError::AlreadyPaused { number, .. } => {
                format!("`incident sla resume {number}` first; `incident sla explain {number}` shows the pauses")
            }
            WorkflowError::NotPaused(number) => {
                format!("`incident sla pause {number} --reason TEXT` pauses them")
            }
            WorkflowError::Projection { .. } => return None,
            WorkflowError::Retract { number, .. } => {
                format!("`incident show {number} --ids` lists its entries with their ids")
            }
            WorkflowError::NoService { number, .. } => {
                format!("`incident show {number}` lists its services")
            }
            WorkflowError::NothingToUpdate(number) => format!(
                "pass at least one of --status, --severity, --service, --no-service, --title, --description, --root-cause, --resolution, --prevention, --lessons (`incident update {number} --help`)"
            ),
        })
    }
}
