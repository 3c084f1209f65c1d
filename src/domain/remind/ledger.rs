//! What the deliveries table says about one reminder on one channel, and what a run does about
//! it: the rule that makes each reminder go out once per channel across concurrent runs.

use crate::domain::time::Timestamp;
use std::time::Duration;

/// A delivery row's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Claimed by a run that is delivering it now (or crashed while doing so).
    Sending,
    /// Handed over; or superseded by a more advanced level, which the row tells by having no
    /// `sent_at`.
    Sent,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Sending => "sending",
            State::Sent => "sent",
        }
    }

    pub fn from_key(key: &str) -> Option<State> {
        match key {
            "sending" => Some(State::Sending),
            "sent" => Some(State::Sent),
            _ => None,
        }
    }
}

/// A delivery row as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub state: State,
    pub claimed_at: Timestamp,
    /// The moment the reminder it records came due.
    pub due_at: Timestamp,
}

/// The level under which deliveries were recorded before `[reminders] at`, when one share of
/// the window (`approaching`) was reminded of.
pub const LEGACY_APPROACHING: &str = "approaching";

/// What the ledger holds for a share-of-the-window reminder due at `due_at`: its own row, or
/// else the clock's `approaching` row on the same channel when that one came due at or after
/// `due_at`. An `approaching` reminder went out once its share had passed, and with it every
/// earlier share; it counts as those, so that an upgrade resends nothing, while a share later
/// than it is new.
pub fn legacy<'a>(
    own: Option<&'a Recorded>,
    approaching: Option<&'a Recorded>,
    due_at: Timestamp,
) -> Option<&'a Recorded> {
    own.or(approaching.filter(|r| r.due_at >= due_at))
}

/// The key of a delivery row within one incident: kind, level, channel.
pub type Key = (String, String, String);

/// What a run does with a reminder on a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Already delivered, or another run is delivering it now.
    Skip,
    /// Claim it ('sending') and deliver it.
    Claim,
    /// Record it as delivered without sending: a more advanced level goes out instead.
    Supersede,
}

/// How long a claim holds. A run delivers each channel's reminders one after another and gives
/// up on a channel at its first failure, so a live run holds a claim for about one channel
/// timeout; a claim this old belongs to a process that died, and its reminder is claimed again.
pub const CLAIM_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// The rule, applied inside the IMMEDIATE transaction that claims, so no other run can change
/// the row between the decision and the claim.
pub fn decide(recorded: Option<&Recorded>, send: bool, now: Timestamp) -> Decision {
    let free = match recorded {
        None => true,
        Some(r) => {
            r.state == State::Sending
                && crate::domain::time::add_capped(r.claimed_at, CLAIM_EXPIRY) < now
        }
    };
    match (free, send) {
        (false, _) => Decision::Skip,
        (true, true) => Decision::Claim,
        (true, false) => Decision::Supersede,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::from_rfc3339;

    #[test]
    fn sent_rows_are_final_and_sending_ones_expire_after_five_minutes() {
        let now = from_rfc3339("2026-11-29T10:00:00Z").unwrap();
        let row = |state, ago: i64| Recorded {
            state,
            claimed_at: now - chrono::Duration::seconds(ago),
            due_at: now,
        };
        assert_eq!(decide(None, true, now), Decision::Claim);
        assert_eq!(decide(None, false, now), Decision::Supersede);
        assert_eq!(
            decide(Some(&row(State::Sent, 3_600)), true, now),
            Decision::Skip
        );
        assert_eq!(
            decide(Some(&row(State::Sending, 300)), true, now),
            Decision::Skip
        );
        assert_eq!(
            decide(Some(&row(State::Sending, 301)), true, now),
            Decision::Claim
        );
        assert_eq!(
            decide(Some(&row(State::Sending, 301)), false, now),
            Decision::Supersede
        );
    }

    #[test]
    fn an_approaching_row_counts_as_every_share_due_by_its_moment() {
        let t = |s: &str| from_rfc3339(s).unwrap();
        let old = Recorded {
            state: State::Sent,
            claimed_at: t("2026-11-29T10:50:00Z"),
            due_at: t("2026-11-29T10:45:00Z"),
        };
        // The 0.75 share of a 1 h fix (10:45) and the 0.5 share (10:30): already sent.
        assert_eq!(
            legacy(None, Some(&old), t("2026-11-29T10:45:00Z")),
            Some(&old)
        );
        assert_eq!(
            legacy(None, Some(&old), t("2026-11-29T10:30:00Z")),
            Some(&old)
        );
        // The 0.9 share (10:54) is new.
        assert_eq!(legacy(None, Some(&old), t("2026-11-29T10:54:00Z")), None);
        let own = Recorded {
            due_at: t("2026-11-29T10:54:00Z"),
            ..old
        };
        assert_eq!(
            legacy(Some(&own), Some(&old), t("2026-11-29T10:54:00Z")),
            Some(&own)
        );
        assert_eq!(legacy(None, None, t("2026-11-29T10:30:00Z")), None);
    }
}
