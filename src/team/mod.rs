//! The team log: a schema in PostgreSQL that every working copy shares. Beside `collect`, the
//! only async network I/O; it prints nothing and returns what happened. Every connection and
//! every round trip is bounded by `[team] timeout`, so a command run during an outage never
//! waits longer than that for a database it cannot reach.
//!
//! By job: `schema` holds the numbered steps of the team schema and the version rule;
//! `exchange` pushes and pulls incidents and events; `narrow` pulls only the unresolved
//! incidents (or one); `claims` claims reminder deliveries across copies; `opens` claims the
//! monitor's and the intake's openings; `purge` replaces a pushed secret with a
//! tombstone and hands the copies the purges they have not applied.

mod artifacts;
mod claims;
mod exchange;
mod narrow;
mod opens;
mod purge;
pub mod schema;

pub use artifacts::{CHUNK_PAGE, ChunkSource, PulledRecord, SharedBlob, SharedChunk, SharedRecord};
pub use claims::{CLAIMS_VERSION, Claim};
pub use exchange::{Pulled, Pushed, SharedEvent, SharedIncident};
pub use opens::{OPEN_CLAIMS_VERSION, OpenClaim};
pub use purge::{CANDIDATES, EventRef, Refused, SharedPurge};

use crate::config::TeamSettings;
use crate::domain::env::expand_env;
use serde::Serialize;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Row};
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

/// This binary's version, compared with the oldest one the team schema accepts.
pub const BINARY_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("team log unreachable ({0})")]
    Unreachable(String),
    #[error("team url: {0}")]
    Url(String),
    /// The server turned the login away (SQLSTATE class 28): a wrong or missing password, or a
    /// user it does not let in. Names the user, never the password.
    #[error("the team log refused {what}")]
    Auth { what: String, hint: String },
    #[error("team log: {0}")]
    Query(String),
    #[error("the team log has no schema '{0}' yet")]
    NotInitialised(String),
    #[error("the team log '{schema}' already exists, at version {version}")]
    Exists { schema: String, version: i64 },
    #[error(
        "the team log '{schema}' (version {version}) needs incident {min_binary} or newer; this is {BINARY_VERSION}"
    )]
    TooNew {
        schema: String,
        version: i64,
        min_binary: String,
    },
}

impl TeamError {
    pub fn hint(&self) -> Option<String> {
        match self {
            TeamError::Unreachable(_) => Some(
                "check [team] url and that PostgreSQL is up; --offline works on this copy alone"
                    .into(),
            ),
            TeamError::Url(_) => Some("fix [team] url or $INCIDENT_TEAM_URL".into()),
            TeamError::Auth { hint, .. } => Some(hint.clone()),
            TeamError::Query(_) => None,
            TeamError::NotInitialised(_) => {
                Some("create it with `incident team init` (as the schema's owner)".into())
            }
            TeamError::Exists { .. } => {
                Some("`incident team migrate` upgrades it; `incident team status` shows it".into())
            }
            TeamError::TooNew { min_binary, .. } => Some(format!(
                "upgrade incident to {min_binary} or newer (teammates have moved the team log on)"
            )),
        }
    }
}

/// What `team init` and `team migrate` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Migrated {
    pub schema: String,
    pub from: i64,
    pub to: i64,
    /// The schema is newer than this binary knows, and this binary may still use it.
    pub newer_than_known: bool,
}

/// What `team status` shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    /// The url with any password replaced.
    pub url: String,
    pub schema: String,
    pub version: i64,
    pub min_binary: String,
    pub incidents: i64,
    pub events: i64,
    /// Working copies that pushed in the last 7 days: (client id, author, last push).
    pub clients: Vec<ClientSeen>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientSeen {
    pub client_id: String,
    pub author: String,
    pub last_push: Option<String>,
}

/// The url as it may be shown: the password (written or from `${VAR}`) becomes `***`.
pub fn display_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// The password part of a url's userinfo, as written (percent-encoded, `${VAR}` unexpanded).
fn url_password(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = authority.rsplit_once('@')?.0;
    userinfo.split_once(':').map(|(_, password)| password)
}

/// Where the password sent came from, looked for in sqlx's (and libpq's) order: the url (a
/// `${VAR}`, as a written-out one is refused), then PGPASSWORD, then ~/.pgpass. `url` is as
/// configured, `expanded` with its `${VAR}`s put in.
fn password_source(url: &str, expanded: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    if url_password(expanded).is_some_and(|p| !p.is_empty()) {
        let vars: Vec<String> = crate::domain::env::env_references(url_password(url).unwrap_or(""))
            .iter()
            .map(|v| format!("${{{v}}}"))
            .collect();
        return if vars.is_empty() {
            "the password given through [team] url".into()
        } else {
            format!("the password given through {}", vars.join(", "))
        };
    }
    if env("PGPASSWORD").is_some() {
        return "the password given through PGPASSWORD".into();
    }
    "the password in ~/.pgpass, or give one through ${VAR} in [team] url or PGPASSWORD".into()
}

/// A login the server turned away, or None for any other failure to connect.
fn refused(e: &sqlx::Error, user: &str, source: impl FnOnce() -> String) -> Option<TeamError> {
    let db = e.as_database_error()?;
    match db.code().as_deref()? {
        // invalid_password: the message names only the user, so it is not repeated.
        "28P01" => Some(TeamError::Auth {
            what: format!("the password for user '{user}'"),
            hint: format!("check {}", source()),
        }),
        // invalid_authorization_specification: no such role, or pg_hba.conf lets it not in.
        "28000" => Some(TeamError::Auth {
            what: format!("user '{user}' ({})", one_line(db.message())),
            hint: "check the user in [team] url, and that the server lets it in (pg_hba.conf)"
                .into(),
        }),
        _ => None,
    }
}

/// One connection to the team log, with the runtime that drives it.
pub struct Team {
    runtime: tokio::runtime::Runtime,
    conn: PgConnection,
    schema: String,
    timeout: Duration,
    /// The server's clock as last read, and when.
    clock: Option<(f64, std::time::Instant)>,
    /// The newest event's `seq` when the version was read: a pull from at or past it has
    /// nothing to fetch that was there then (what is pushed later, the next pull brings).
    head: Option<i64>,
    /// The same for the shared rows (`records`, version 2) and the purges (version 3): read
    /// with the version when the team log has them, so a pull with nothing new asks nothing.
    records_head: Option<i64>,
    purges_head: Option<i64>,
    /// The schema's version, once read.
    version: Option<i64>,
}

impl Team {
    /// Connects within the timeout. `env` expands the url's `${VAR}` references.
    pub fn connect(
        settings: &TeamSettings,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Team, TeamError> {
        let (url, _secrets) = expand_env(&settings.url, env)
            .map_err(|var| TeamError::Url(format!("the environment variable {var} is not set")))?;
        let options = PgConnectOptions::from_str(&url)
            .map_err(|e| TeamError::Url(format!("malformed: {}", one_line(&e.to_string()))))?
            .application_name("incident");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| TeamError::Unreachable(format!("cannot start the async runtime: {e}")))?;
        let timeout = settings.timeout;
        let conn = runtime.block_on(async {
            match tokio::time::timeout(timeout, options.connect()).await {
                Ok(Ok(conn)) => Ok(conn),
                Ok(Err(e)) => Err(refused(&e, options.get_username(), || {
                    password_source(&settings.url, &url, env)
                })
                .unwrap_or_else(|| {
                    TeamError::Unreachable(crate::collect::database::postgres_connect_error(
                        &options, &e,
                    ))
                })),
                Err(_) => Err(TeamError::Unreachable(format!(
                    "no answer within {}",
                    humantime::format_duration(timeout)
                ))),
            }
        })?;
        Ok(Team {
            runtime,
            conn,
            schema: settings.schema.clone(),
            timeout,
            clock: None,
            head: None,
            records_head: None,
            purges_head: None,
            version: None,
        })
    }

    /// Runs one round trip within the timeout.
    fn round<T>(
        &mut self,
        f: impl AsyncFnOnce(&mut PgConnection) -> Result<T, sqlx::Error>,
    ) -> Result<T, TeamError> {
        let timeout = self.timeout;
        let conn = &mut self.conn;
        self.runtime.block_on(bounded(timeout, f(conn)))
    }

    /// The schema's version and the oldest binary it accepts; None when it does not exist.
    fn version(&mut self) -> Result<Option<(i64, String)>, TeamError> {
        // One round trip: the version, the oldest binary it accepts, the server's clock (for
        // the skew check) and the newest event's `seq` (a pull with nothing after its cursor
        // asks nothing more); a schema or table that is not there means not initialised. No
        // parameters, so the simple protocol: one round trip where a prepared statement on a
        // fresh connection takes two.
        // A team log at version 3 or later answers the newest seq of its shared rows and
        // purges too; an older one lacks those tables, and is asked without them.
        let full = format!(
            "SELECT (SELECT value FROM {0}.meta WHERE key = 'version'),
                    (SELECT value FROM {0}.meta WHERE key = 'min_binary'),
                    extract(epoch FROM clock_timestamp())::float8,
                    (SELECT coalesce(max(seq), 0) FROM {0}.events),
                    (SELECT coalesce(max(seq), 0) FROM {0}.records),
                    (SELECT coalesce(max(seq), 0) FROM {0}.purges)",
            self.schema
        );
        let events_only = format!(
            "SELECT (SELECT value FROM {0}.meta WHERE key = 'version'),
                    (SELECT value FROM {0}.meta WHERE key = 'min_binary'),
                    extract(epoch FROM clock_timestamp())::float8,
                    (SELECT coalesce(max(seq), 0) FROM {0}.events),
                    NULL::bigint, NULL::bigint",
            self.schema
        );
        type Row = Option<(
            Option<String>,
            Option<String>,
            f64,
            i64,
            Option<i64>,
            Option<i64>,
        )>;
        let mut row: Option<Row> = None;
        for sql in [full, events_only] {
            let found: Option<Row> = self.round(async |c| {
                match sqlx::raw_sql(AssertSqlSafe(sql)).fetch_one(c).await {
                    Ok(row) => Ok(Some(Some((
                        row.try_get(0)?,
                        row.try_get(1)?,
                        row.try_get(2)?,
                        row.try_get(3)?,
                        row.try_get(4)?,
                        row.try_get(5)?,
                    )))),
                    // No such table (an older team log), or no schema: try the next, or
                    // not initialised.
                    Err(sqlx::Error::Database(db))
                        if matches!(db.code().as_deref(), Some("42P01" | "3F000")) =>
                    {
                        Ok(None)
                    }
                    Err(e) => Err(e),
                }
            })?;
            if let Some(found) = found {
                row = Some(found);
                break;
            }
        }
        let Some((version, min_binary, clock, head, records, purges)) = row.flatten() else {
            return Ok(None);
        };
        self.records_head = records;
        self.purges_head = purges;
        self.clock = Some((clock, std::time::Instant::now()));
        self.head = Some(head);
        let version = version.and_then(|v| v.parse().ok()).unwrap_or(0);
        self.version = Some(version);
        Ok(Some((version, min_binary.unwrap_or_default())))
    }

    /// Whether the team log holds the rows behind the timeline (version 2 on): an older one
    /// shares incidents and events only, until `incident team migrate`.
    pub fn shares_rows(&self) -> bool {
        self.version.is_none_or(|v| v >= 2)
    }

    /// The team log server's clock, as seconds since the epoch (for the skew check): as read
    /// with the version when it was, else asked for.
    pub fn server_time(&mut self) -> Result<f64, TeamError> {
        if let Some((clock, at)) = self.clock {
            return Ok(clock + at.elapsed().as_secs_f64());
        }
        self.round(async |c| {
            sqlx::query_scalar::<_, f64>("SELECT extract(epoch FROM clock_timestamp())::float8")
                .fetch_one(c)
                .await
        })
    }

    /// Refuses a team log too new for this binary; returns its version.
    pub fn check_version(&mut self) -> Result<i64, TeamError> {
        let Some((version, min_binary)) = self.version()? else {
            return Err(TeamError::NotInitialised(self.schema.clone()));
        };
        if !schema::version_at_least(BINARY_VERSION, &min_binary) {
            return Err(TeamError::TooNew {
                schema: self.schema.clone(),
                version,
                min_binary,
            });
        }
        Ok(version)
    }

    /// `team init`: creates the schema at the latest version, in one transaction.
    pub fn init(&mut self) -> Result<Migrated, TeamError> {
        if let Some((version, _)) = self.version()? {
            return Err(TeamError::Exists {
                schema: self.schema.clone(),
                version,
            });
        }
        let create = format!("CREATE SCHEMA IF NOT EXISTS {}", self.schema);
        self.apply(Some(create), 0)
    }

    /// `team migrate`: applies the steps the schema lacks, in one transaction.
    pub fn migrate(&mut self) -> Result<Migrated, TeamError> {
        let from = self.check_version()?;
        if from >= schema::latest() {
            return Ok(Migrated {
                schema: self.schema.clone(),
                from,
                to: from,
                newer_than_known: from > schema::latest(),
            });
        }
        self.apply(None, from)
    }

    fn apply(&mut self, create: Option<String>, from: i64) -> Result<Migrated, TeamError> {
        let schema = self.schema.clone();
        let steps: Vec<&schema::Step> = schema::STEPS.iter().filter(|s| s.version > from).collect();
        let to = steps.last().map_or(from, |s| s.version);
        let min_binary = steps.last().map_or("", |s| s.min_binary).to_string();
        self.round(async |c| {
            let mut tx = c.begin().await?;
            if let Some(create) = create {
                sqlx::raw_sql(AssertSqlSafe(create))
                    .execute(&mut *tx)
                    .await?;
            }
            for step in steps {
                let sql = step.sql.replace("{schema}", &schema);
                sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *tx).await?;
            }
            let upsert = format!(
                "INSERT INTO {schema}.meta (key, value) VALUES ('version', $1), ('min_binary', $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            );
            sqlx::query(AssertSqlSafe(upsert))
                .bind(to.to_string())
                .bind(&min_binary)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })?;
        Ok(Migrated {
            schema,
            from,
            to,
            newer_than_known: false,
        })
    }

    /// `team status`: what the team log holds and who pushed to it lately.
    pub fn status(&mut self, url: &str) -> Result<Status, TeamError> {
        let version = self.check_version()?;
        let schema = self.schema.clone();
        let (min_binary, incidents, events) = {
            let sql = format!(
                "SELECT (SELECT value FROM {schema}.meta WHERE key = 'min_binary'),
                        (SELECT count(*) FROM {schema}.incidents),
                        (SELECT count(*) FROM {schema}.events)"
            );
            self.round(async |c| {
                let row = sqlx::query(AssertSqlSafe(sql)).fetch_one(c).await?;
                Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
            })?
        };
        let sql = format!(
            "SELECT c.client_id::text, c.author,
                    to_char(max(e.pushed_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
             FROM {schema}.clients c JOIN {schema}.events e ON e.client_id = c.client_id
             WHERE e.pushed_at > now() - interval '7 days'
             GROUP BY c.client_id, c.author ORDER BY max(e.pushed_at) DESC"
        );
        let clients = self.round(async |c| {
            let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(c).await?;
            rows.iter()
                .map(|r| {
                    Ok(ClientSeen {
                        client_id: r.try_get(0)?,
                        author: r.try_get(1)?,
                        last_push: r.try_get(2)?,
                    })
                })
                .collect()
        })?;
        Ok(Status {
            url: display_url(url),
            schema,
            version,
            min_binary,
            incidents,
            events,
            clients,
        })
    }
}

async fn bounded<T>(
    timeout: Duration,
    f: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, TeamError> {
    match tokio::time::timeout(timeout, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(sqlx::Error::Io(e))) => Err(TeamError::Unreachable(format!("connection lost: {e}"))),
        Ok(Err(sqlx::Error::Database(db))) => Err(TeamError::Query(one_line(db.message()))),
        Ok(Err(e)) => Err(TeamError::Query(one_line(&e.to_string()))),
        Err(_) => Err(TeamError::Unreachable(format!(
            "no answer within {}",
            humantime::format_duration(timeout)
        ))),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::{display_url, password_source};

    #[test]
    fn a_refused_password_is_traced_to_where_it_came_from_never_shown() {
        let url = "postgres://incident:${TEAM_PW}@db.example/incidents";
        let expanded = "postgres://incident:s3cret@db.example/incidents";
        let pgpassword = |k: &str| (k == "PGPASSWORD").then(|| "other".to_string());
        let source = password_source(url, expanded, &pgpassword);
        assert_eq!(source, "the password given through ${TEAM_PW}");
        // An empty ${VAR} puts no password in the url: PGPASSWORD, then ~/.pgpass, is used.
        let empty = "postgres://incident:@db.example/incidents";
        assert_eq!(
            password_source(url, empty, &pgpassword),
            "the password given through PGPASSWORD"
        );
        let bare = "postgres://incident@db.example/incidents";
        assert!(password_source(bare, bare, &|_| None).starts_with("the password in ~/.pgpass"));
    }

    #[test]
    fn shown_urls_never_carry_the_password() {
        assert_eq!(
            display_url("postgres://incident:s3cret@db.example:5432/incidents?sslmode=require"),
            "postgres://incident:***@db.example:5432/incidents?sslmode=require"
        );
        assert_eq!(
            display_url("postgres://incident@db.example/incidents"),
            "postgres://incident@db.example/incidents"
        );
        assert_eq!(display_url("postgres://db/x"), "postgres://db/x");
    }
}
