//! The weekly review: counts, times, SLA compliance and recurring problems over a window,
//! next to the window before it.

use crate::sla::Policy;
use crate::store::Txn;
use crate::time::Timestamp;
use crate::workflow::WorkflowError;

/// The JSON the review templates receive for the window [since, until).
pub fn context(
    txn: &Txn,
    since: Timestamp,
    until: Timestamp,
    policy: &Policy,
    now: Timestamp,
) -> Result<serde_json::Value, WorkflowError> {
    let _ = (txn, since, until, policy, now);
    Ok(serde_json::json!({}))
}
