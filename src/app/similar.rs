//! Past incidents like one, as `open` and `show` list them: so the responder starts from what
//! fixed it last time.

use crate::domain::model::Incident;
use crate::domain::similar::{fts_query, fts_query_all};
use crate::store::{Similar, StoreError, Txn};

/// Up to `limit` earlier incidents most like `incident` (none with 0, `[open] similar`).
pub fn past(txn: &Txn, incident: &Incident, limit: usize) -> Result<Vec<Similar>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    // The probe: the title (its words rank first), then the description. The affected services
    // (`incident.services`) are not in it yet: the search index does not hold past incidents'
    // services, so naming them here would match only their titles and texts.
    let probe = [incident.title.as_str(), incident.description.as_str()];
    // Those with every word of the title first, then any word: the newest matches of a query
    // are ranked (`Txn::similar`), so the close ones must not wait behind a common word's.
    let queries = [fts_query_all(&incident.title), fts_query(&probe)];
    let mut past: Vec<Similar> = Vec::new();
    for fts in queries.iter().flatten() {
        if past.len() >= limit {
            break;
        }
        for p in txn.similar(incident.pk, incident.opened_at, fts, limit)? {
            if past.len() < limit && !past.iter().any(|q| q.number == p.number) {
                past.push(p);
            }
        }
    }
    Ok(past)
}
