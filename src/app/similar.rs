//! Past incidents like one, as `open` and `show` list them: so the responder starts from what
//! fixed it last time.

use crate::domain::model::Incident;
use crate::domain::similar::{fts_query_all, fts_terms, title_terms, weigh};
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
    // The probe: the title (its words first), the affected services (their names' words,
    // `checkout-api`: "checkout", "api"), then the description. Its newest matching texts, and
    // which terms each holds, in one query; they are ranked last, after the close matches.
    let mut probe: Vec<&str> = vec![incident.title.as_str()];
    probe.extend(incident.services.iter().map(String::as_str));
    probe.push(incident.description.as_str());
    let terms = fts_terms(&probe);
    let (texts, hits) = if terms.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        txn.similar_texts_holding(&terms)?
    };

    // Those with every word and identifier of the title first, then every word, then any
    // word: the newest matches of a query are ranked, so the close ones must not wait behind
    // a common word's. The close ones all hold the title's words, so they weigh the same
    // (their fields and services tell them apart).
    let (with_ids, words) = (
        fts_query_all(&incident.title, true),
        fts_query_all(&incident.title, false),
    );
    let absent = absent_title_term(txn, incident, &terms, &hits)?;
    let close = [
        with_ids.clone().filter(|_| absent.is_none()),
        words
            .filter(|w| Some(w) != with_ids.as_ref())
            .filter(|_| absent != Some(Absent::Word)),
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
    if past.len() >= limit || texts.is_empty() {
        return Ok(past);
    }
    add(
        txn.similar(pk, at, &weigh(&texts, &hits), services, limit)?,
        &mut past,
    );
    Ok(past)
}

/// A term of the title that no text holds: the close-match queries (every term of the title
/// ANDed) cannot match, and each costs FTS5 a lookup of every term. A word empties both
/// queries, an identifier the one with identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Absent {
    Word,
    Identifier,
}

/// Looks for one among the title's terms that none of the probe's newest matches hold but the
/// incident's own texts (indexed by its write; one cheap query each, in the title's order,
/// until a word is found absent); a term that some of them hold exists, and with no absent
/// term the close-match queries run as they are.
fn absent_title_term(
    txn: &Txn,
    incident: &Incident,
    terms: &[String],
    hits: &[Vec<i64>],
) -> Result<Option<Absent>, StoreError> {
    let all = title_terms(&incident.title, true);
    if all.len() < 2 {
        return Ok(None); // no close-match query
    }
    let words = title_terms(&incident.title, false);
    let own = txn.own_texts(incident.pk)?;
    // A term not in the probe (past its cap) tells nothing: treat it as held.
    let unheld = all.iter().filter(|term| {
        terms
            .iter()
            .position(|t| t == *term)
            .and_then(|i| hits.get(i))
            .is_some_and(|h| h.iter().all(|id| own.contains(id)))
    });
    let mut absent = None;
    for term in unheld {
        if txn.any_text_matching(term, incident.pk)? {
            continue;
        }
        if words.contains(term) {
            return Ok(Some(Absent::Word));
        }
        absent = Some(Absent::Identifier);
    }
    Ok(absent)
}
