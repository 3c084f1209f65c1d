//! The post-mortem draft: everything recorded about one incident, arranged for the template.

use crate::sla::Policy;
use crate::store::Txn;
use crate::time::Timestamp;
use crate::workflow::WorkflowError;

/// The JSON the post-mortem templates receive for incident `number`.
pub fn context(
    txn: &Txn,
    number: i64,
    policy: &Policy,
    now: Timestamp,
) -> Result<serde_json::Value, WorkflowError> {
    let _ = (txn, number, policy, now);
    Ok(serde_json::json!({}))
}
