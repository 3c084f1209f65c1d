//! Past incidents like one, as `open` and `show` list them: so the responder starts from what
//! fixed it last time.

use crate::domain::model::Incident;
use crate::domain::similar::{fts_query_all, fts_terms, weigh};
use crate::store::{Similar, StoreError, Txn};

/// Up to `limit` earlier incidents most like `incident` (none with 0, `[open] similar`).
pub fn past(txn: &Txn, incident: &Incident, limit: usize) -> Result<Vec<Similar>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let mut past: Vec<Similar> = Vec::new();
    let add = |found: Vec<Similar>, past: &mut Vec<Similar>| {
        for p in found {
            if past.len() < limit && !past.iter().any(|q| q.number == p.number) {
                past.push(p);
            }
        }
    };
    let (pk, at, services) = (incident.pk, incident.opened_at, &incident.services);
    // Those with every word and identifier of the title first, then every word, then any
    // word: the newest matches of a query are ranked, so the close ones must not wait behind
    // a common word's. The close ones all hold the title's words, so they weigh the same
    // (their fields and services tell them apart).
    let (with_ids, words) = (
        fts_query_all(&incident.title, true),
        fts_query_all(&incident.title, false),
    );
    let close = [
        with_ids.clone(),
        words.filter(|w| Some(w) != with_ids.as_ref()),
    ];
    for all in close.iter().flatten() {
        if past.len() >= limit {
            break;
        }
        let texts: Vec<(i64, f64)> = txn
            .similar_texts(all)?
            .into_iter()
            .map(|t| (t, 1.0))
            .collect();
        add(txn.similar(pk, at, &texts, services, limit)?, &mut past);
    }
    if past.len() >= limit {
        return Ok(past);
    }
    // The probe: the title (its words first), the affected services (their names' words,
    // `checkout-api`: "checkout", "api"), then the description.
    let mut probe: Vec<&str> = vec![incident.title.as_str()];
    probe.extend(incident.services.iter().map(String::as_str));
    probe.push(incident.description.as_str());
    let terms = fts_terms(&probe);
    if terms.is_empty() {
        return Ok(past);
    }
    // The newest texts matching any term, and which terms each holds: one query.
    let (texts, hits) = txn.similar_texts_holding(&terms)?;
    if texts.is_empty() {
        return Ok(past);
    }
    add(
        txn.similar(pk, at, &weigh(&texts, &hits), services, limit)?,
        &mut past,
    );
    Ok(past)
}
