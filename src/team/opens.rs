//! Opening claims (team schema version 5): before a monitor or an alert intake opens an
//! incident, it claims the opening in the team log, so that of N machines seeing the same bad
//! health or the same alert group, one opens the incident and the others attach to it.

use super::{Team, TeamError};
use sqlx::{AssertSqlSafe, Row};

/// The team schema version that has opening claims.
pub const OPEN_CLAIMS_VERSION: i64 = 5;

/// One episode's claim: which incident it opened, who opened it, and whether this call won it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenClaim {
    pub episode: i32,
    pub incident_uuid: String,
    pub won: bool,
    pub holder: String,
    pub holder_client: String,
    /// How long ago it was made, by the team log server's clock (0 when made by this call).
    pub age: std::time::Duration,
}

impl Team {
    /// The newest claim of `kind` + `key`, if any was made.
    pub fn latest_open_claim(
        &mut self,
        kind: &str,
        key: &str,
    ) -> Result<Option<OpenClaim>, TeamError> {
        let sql = format!(
            "SELECT episode, incident_uuid::text, author, client_id::text,
                    greatest(extract(epoch FROM now() - claimed_at), 0)::float8
             FROM {}.open_claims WHERE kind = $1 AND key = $2
             ORDER BY episode DESC LIMIT 1",
            self.schema
        );
        let (kind, key) = (kind.to_string(), key.to_string());
        let row = self.round(async |c| {
            sqlx::query(AssertSqlSafe(sql))
                .bind(kind)
                .bind(key)
                .fetch_optional(c)
                .await
        })?;
        row.map(|r| {
            Ok(OpenClaim {
                episode: r.try_get(0)?,
                incident_uuid: r.try_get(1)?,
                won: false,
                holder: r.try_get(2)?,
                holder_client: r.try_get(3)?,
                age: std::time::Duration::try_from_secs_f64(r.try_get(4)?).unwrap_or_default(),
            })
        })
        .transpose()
        .map_err(super::exchange::query)
    }

    /// Claims episode `episode` of `kind` + `key` for incident `incident_uuid`, opened by
    /// working copy `client` as `author`: won when nobody claimed that episode before; else
    /// the claim that did, with the incident to attach to. One round trip.
    pub fn claim_open(
        &mut self,
        kind: &str,
        key: &str,
        episode: i32,
        incident_uuid: &str,
        client: &str,
        author: &str,
    ) -> Result<OpenClaim, TeamError> {
        let sql = format!(
            "SELECT c_episode, c_incident::text, c_won, c_holder, c_holder_client::text
             FROM {}.claim_open($1, $2, $3, $4::uuid, $5::uuid, $6)",
            self.schema
        );
        let args = [kind, key, incident_uuid, client, author].map(str::to_string);
        let row = self.round(async |c| {
            let [kind, key, incident, client, author] = args;
            sqlx::query(AssertSqlSafe(sql))
                .bind(kind)
                .bind(key)
                .bind(episode)
                .bind(incident)
                .bind(client)
                .bind(author)
                .fetch_one(c)
                .await
        })?;
        (|| {
            Ok(OpenClaim {
                episode: row.try_get(0)?,
                incident_uuid: row.try_get(1)?,
                won: row.try_get(2)?,
                holder: row.try_get(3)?,
                holder_client: row.try_get(4)?,
                age: std::time::Duration::ZERO,
            })
        })()
        .map_err(super::exchange::query)
    }
}
