//! Delivery claims (team schema version 4): before a reminder round delivers, it claims what it
//! is about to send in the team log, so that of two working copies running `remind` at the same
//! moment only one sends each reminder on each channel. One round trip for the whole round.

use super::{Team, TeamError};
use sqlx::{AssertSqlSafe, Row};
use std::time::Duration;

/// The team schema version that has delivery claims.
pub const CLAIMS_VERSION: i64 = 4;

/// The team log's answer about one delivery: whether this copy won it, and else who holds it
/// (the author and working copy of its latest claim, or of its delivery record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The delivery's identity on every copy (its `delivery` record's UUID).
    pub delivery: String,
    pub won: bool,
    pub holder: Option<String>,
    pub holder_client: Option<String>,
}

impl Team {
    /// Claims `deliveries` (their UUIDs) for working copy `client`, recorded as `author`: a
    /// delivery is won when nobody claimed it, or this copy did, or its latest claim is older
    /// than `stale` and its delivery never reached the team log. One round trip.
    pub fn claim_deliveries(
        &mut self,
        client: &str,
        author: &str,
        deliveries: &[String],
        stale: Duration,
    ) -> Result<Vec<Claim>, TeamError> {
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT claimed::text, won, holder, holder_client::text
             FROM {}.claim_deliveries($1::uuid[], $2::uuid, $3, make_interval(secs => $4))",
            self.schema
        );
        let keys = deliveries.to_vec();
        let (client, author) = (client.to_string(), author.to_string());
        let rows = self.round(async |c| {
            sqlx::query(AssertSqlSafe(sql))
                .bind(keys)
                .bind(client)
                .bind(author)
                .bind(stale.as_secs_f64())
                .fetch_all(c)
                .await
        })?;
        rows.iter()
            .map(|r| {
                Ok(Claim {
                    delivery: r.try_get(0)?,
                    won: r.try_get(1)?,
                    holder: r.try_get(2)?,
                    holder_client: r.try_get(3)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(super::exchange::query)
    }
}
