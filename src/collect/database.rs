//! The SQL database collector (sqlx: MySQL/MariaDB, PostgreSQL): reachability, version, freshness.
//!
//! Its data is [`DatabaseData`]. The item is ok once connected; a check that fails carries its
//! own error.

use super::Stop;
use crate::domain::text::io_message;
use crate::domain::time::{Timestamp, human_millis, to_rfc3339};
use crate::evidence::data::{DatabaseData, FreshnessData};
use crate::evidence::settings::{DatabaseSettings, FreshnessCheck, FreshnessSource, Returns};
use crate::evidence::snapshot::Item;
use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, TimeDelta, Utc};
use sqlx::mysql::{MySqlConnectOptions, MySqlDatabaseError, MySqlRow};
use sqlx::postgres::{PgConnectOptions, PgDatabaseError, PgRow};
use sqlx::{
    AssertSqlSafe, Column as _, ConnectOptions as _, Connection as _, MySqlConnection,
    PgConnection, Row as _, TypeInfo as _, ValueRef as _,
};
use std::str::FromStr;
use std::time::Duration;
use tokio::time::{Instant, timeout_at};

/// Connects, measures the round trip, reads the version and runs the freshness checks, all
/// within `settings.timeout`. `url` is the configured URL with `${VAR}` already expanded.
pub async fn collect(settings: &DatabaseSettings, url: &str, now: Timestamp) -> Item {
    let started = Instant::now();
    let deadline = super::deadline_after(started, settings.timeout);
    let outcome = gather(settings, url, now, deadline).await;
    let duration_ms = started.elapsed().as_millis() as u64;
    super::item(&settings.name, duration_ms, outcome)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Engine {
    MySql,
    Postgres,
}

impl Engine {
    fn from_url(url: &str) -> Result<Engine, String> {
        // Only the scheme is quoted back: the rest of the URL may hold a password.
        let Some((scheme, _)) = url.split_once("://") else {
            return Err(
                "not a database URL: use mysql://, mariadb://, postgres:// or postgresql://".into(),
            );
        };
        match scheme.to_ascii_lowercase().as_str() {
            "mysql" | "mariadb" => Ok(Engine::MySql),
            "postgres" | "postgresql" => Ok(Engine::Postgres),
            other => Err(format!(
                "unsupported database URL scheme '{other}': use mysql://, mariadb://, postgres:// or postgresql://"
            )),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Engine::MySql => "mysql",
            Engine::Postgres => "postgres",
        }
    }
}

async fn gather(
    settings: &DatabaseSettings,
    url: &str,
    now: Timestamp,
    deadline: Instant,
) -> Result<DatabaseData, Stop> {
    let engine = Engine::from_url(url).map_err(Stop::Failed)?;
    let mut conn = timeout_at(deadline, Conn::open(engine, url, settings.timeout))
        .await
        .map_err(|_| Stop::Timeout)?
        .map_err(Stop::Failed)?;

    let sent = Instant::now();
    timeout_at(deadline, conn.round_trip())
        .await
        .map_err(|_| Stop::Timeout)?
        .map_err(|e| Stop::Failed(query_error(&e)))?;
    let latency_ms = round_latency(sent.elapsed());

    let version = timeout_at(deadline, conn.version())
        .await
        .map_err(|_| Stop::Timeout)?
        .map_err(|e| Stop::Failed(query_error(&e)))?;
    let _ = timeout_at(
        deadline,
        conn.limit_mysql_statements(&version, settings.timeout),
    )
    .await;

    let mut freshness = Vec::with_capacity(settings.freshness.len());
    // A query abandoned mid-flight leaves the connection in an unknown state: nothing more is
    // sent on it.
    let mut abandoned = false;
    for check in &settings.freshness {
        let result = if abandoned {
            Err("not run: the collector's timeout ran out".to_string())
        } else {
            match check_sql(engine, check) {
                Err(e) => Err(e),
                Ok(sql) => match timeout_at(deadline, conn.newest(sql)).await {
                    Err(_) => {
                        abandoned = true;
                        Err(format!(
                            "no answer within {}",
                            human_millis(settings.timeout.as_millis() as u64)
                        ))
                    }
                    Ok(Err(e)) => Err(e),
                    Ok(Ok(cell)) => judge(check.returns, cell, now),
                },
            }
        };
        let name = Some(check.name.clone());
        freshness.push(match result {
            Ok((newest, age)) => FreshnessData {
                name,
                newest: Some(to_rfc3339(newest)),
                age_seconds: Some(age),
                error: None,
            },
            Err(e) => FreshnessData {
                name,
                newest: None,
                age_seconds: None,
                error: Some(e),
            },
        });
    }
    if !abandoned {
        // A polite goodbye keeps "aborted connection" noise out of the server's log; it is
        // not worth going past the timeout for.
        let _ = timeout_at(deadline, conn.close()).await;
    }

    Ok(DatabaseData {
        engine: Some(engine.name().to_string()),
        version: Some(version),
        latency_ms: Some(latency_ms),
        freshness,
    })
}

/// Milliseconds to one decimal. A round trip that happened is never shown as 0.
fn round_latency(elapsed: Duration) -> f64 {
    let ms = (elapsed.as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    ms.max(0.1)
}

enum Conn {
    MySql(MySqlConnection),
    Postgres(PgConnection),
}

impl Conn {
    async fn open(engine: Engine, url: &str, timeout: Duration) -> Result<Conn, String> {
        match engine {
            Engine::MySql => {
                let options = MySqlConnectOptions::from_str(url)
                    .map_err(|e| url_error(&e))?
                    // TIMESTAMP columns then come back in UTC, whatever the server's zone.
                    .timezone(Some("+00:00".to_string()));
                let target = Target {
                    user: options.get_username().to_string(),
                    database: options.get_database().map(str::to_string),
                    addr: address(options.get_host(), options.get_port(), options.get_socket()),
                };
                let conn = options
                    .connect()
                    .await
                    .map_err(|e| target.connect_error(&e))?;
                Ok(Conn::MySql(conn))
            }
            Engine::Postgres => {
                let options = PgConnectOptions::from_str(url).map_err(|e| url_error(&e))?;
                let target = Target {
                    user: options.get_username().to_string(),
                    database: options.get_database().map(str::to_string),
                    addr: address(options.get_host(), options.get_port(), options.get_socket()),
                };
                let mut conn = options
                    .connect()
                    .await
                    .map_err(|e| target.connect_error(&e))?;
                // Set after connecting rather than as a startup option, which PgBouncer refuses.
                // 0 would mean no limit.
                let limit = timeout.as_millis().max(1);
                sqlx::raw_sql(AssertSqlSafe(format!("SET statement_timeout = {limit}")))
                    .execute(&mut conn)
                    .await
                    .map_err(|e| query_error(&e))?;
                Ok(Conn::Postgres(conn))
            }
        }
    }

    /// Asks MySQL/MariaDB to stop a statement at the timeout, as PostgreSQL's statement_timeout
    /// does: an abandoned freshness query would otherwise run on, on a server already in
    /// trouble. Best effort; the collector's own deadline holds regardless.
    async fn limit_mysql_statements(&mut self, version: &str, timeout: Duration) {
        let Conn::MySql(c) = self else { return };
        let sql = if version.contains("MariaDB") {
            format!(
                "SET SESSION max_statement_time = {:.3}",
                timeout.as_secs_f64().max(0.001)
            )
        } else {
            // MySQL limits SELECTs only, which is what freshness queries are.
            format!(
                "SET SESSION max_execution_time = {}",
                timeout.as_millis().max(1)
            )
        };
        let _ = sqlx::raw_sql(AssertSqlSafe(sql)).execute(c).await;
    }

    async fn round_trip(&mut self) -> Result<(), sqlx::Error> {
        match self {
            Conn::MySql(c) => sqlx::raw_sql("SELECT 1").execute(c).await.map(drop),
            Conn::Postgres(c) => sqlx::raw_sql("SELECT 1").execute(c).await.map(drop),
        }
    }

    async fn version(&mut self) -> Result<String, sqlx::Error> {
        match self {
            Conn::MySql(c) => {
                let row = sqlx::raw_sql("SELECT VERSION()").fetch_one(c).await?;
                row.try_get_unchecked::<String, _>(0)
            }
            Conn::Postgres(c) => {
                let row = sqlx::raw_sql("SHOW server_version").fetch_one(c).await?;
                row.try_get_unchecked::<String, _>(0)
            }
        }
    }

    /// The first value of the first row. Run over the simple (text) protocol: every value
    /// then comes back as text, so NUMERIC and DECIMAL read without extra sqlx features.
    async fn newest(&mut self, sql: String) -> Result<Cell, String> {
        let query = sqlx::raw_sql(AssertSqlSafe(sql));
        match self {
            Conn::MySql(c) => match query.fetch_optional(c).await {
                Ok(Some(row)) => mysql_cell(&row),
                Ok(None) => Ok(Cell::Null),
                Err(e) => Err(query_error(&e)),
            },
            Conn::Postgres(c) => match query.fetch_optional(c).await {
                Ok(Some(row)) => pg_cell(&row),
                Ok(None) => Ok(Cell::Null),
                Err(e) => Err(query_error(&e)),
            },
        }
    }

    async fn close(self) {
        let _ = match self {
            Conn::MySql(c) => c.close().await,
            Conn::Postgres(c) => c.close().await,
        };
    }
}

/// Why a PostgreSQL connection failed, in one line that names the user, database and address
/// but never the URL (it may hold a password). The team log's connection words its errors so.
pub fn postgres_connect_error(options: &PgConnectOptions, e: &sqlx::Error) -> String {
    Target {
        user: options.get_username().to_string(),
        database: options.get_database().map(str::to_string),
        addr: address(options.get_host(), options.get_port(), options.get_socket()),
    }
    .connect_error(e)
}

/// What the errors of a connection attempt name: never the URL, which may hold a password.
struct Target {
    user: String,
    database: Option<String>,
    addr: String,
}

impl Target {
    fn connect_error(&self, e: &sqlx::Error) -> String {
        let user = &self.user;
        let addr = &self.addr;
        match e {
            sqlx::Error::Database(db) => {
                if let Some(my) = db.try_downcast_ref::<MySqlDatabaseError>() {
                    match my.number() {
                        1045 => format!("access denied for user '{user}'"),
                        1044 => match &self.database {
                            Some(d) => format!("access denied for user '{user}' to database '{d}'"),
                            None => format!("access denied for user '{user}'"),
                        },
                        _ => one_line(my.message()),
                    }
                } else if let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() {
                    match pg.code() {
                        "28P01" => format!("access denied for user '{user}' (wrong password)"),
                        code if code.starts_with("28") => {
                            format!(
                                "access denied for user '{user}' ({})",
                                one_line(pg.message())
                            )
                        }
                        _ => one_line(pg.message()),
                    }
                } else {
                    one_line(db.message())
                }
            }
            sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                format!("connection refused ({addr})")
            }
            sqlx::Error::Io(io) => format!("cannot connect to {addr}: {}", io_message(io)),
            sqlx::Error::Tls(tls) => {
                format!("TLS with {addr} failed: {}", one_line(&tls.to_string()))
            }
            sqlx::Error::Protocol(p) => format!("unexpected answer from {addr}: {}", one_line(p)),
            other => format!("cannot connect to {addr}: {}", one_line(&other.to_string())),
        }
    }
}

fn address(host: &str, port: u16, socket: Option<&std::path::PathBuf>) -> String {
    match socket {
        Some(path) => path.display().to_string(),
        None if host.contains(':') => format!("[{host}]:{port}"),
        None => format!("{host}:{port}"),
    }
}

fn url_error(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Configuration(source) => format!("malformed database URL: {source}"),
        other => format!("malformed database URL: {other}"),
    }
}

/// A failed query as one line: the server's own message when it sent one.
fn query_error(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => one_line(db.message()),
        sqlx::Error::Io(io) => format!("connection lost: {}", io_message(io)),
        other => one_line(&other.to_string()),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The SQL of one check. Table and column names are checked and quoted, never pasted raw.
fn check_sql(engine: Engine, check: &FreshnessCheck) -> Result<String, String> {
    match &check.source {
        FreshnessSource::Query(sql) => Ok(sql.clone()),
        FreshnessSource::Column { table, column } => {
            let parts: Vec<&str> = table.split('.').collect();
            if parts.len() > 2 || !parts.iter().all(|p| is_identifier(p)) {
                return Err(format!(
                    "'{table}' is not a plain table name (letters, digits, _ and $; or schema.table)"
                ));
            }
            if !is_identifier(column) {
                return Err(format!(
                    "'{column}' is not a plain column name (letters, digits, _ and $)"
                ));
            }
            let quote = |name: &str| match engine {
                Engine::MySql => format!("`{name}`"),
                Engine::Postgres => format!("\"{name}\""),
            };
            let table = parts.iter().map(|p| quote(p)).collect::<Vec<_>>().join(".");
            Ok(format!("SELECT max({}) FROM {table}", quote(column)))
        }
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A freshness query's value, sorted by the column's type.
#[derive(Debug)]
enum Cell {
    Null,
    Time(Timestamp),
    Number {
        text: String,
        value: f64,
    },
    Other {
        type_name: String,
        text: Option<String>,
    },
}

fn mysql_cell(row: &MySqlRow) -> Result<Cell, String> {
    let Some(column) = row.columns().first() else {
        return Err("the query returned no columns".into());
    };
    let type_name = column.type_info().name().to_string();
    if row.try_get_raw(0).map_err(|e| read_error(&e))?.is_null() {
        return Ok(Cell::Null);
    }
    match type_name.as_str() {
        "DATETIME" | "TIMESTAMP" => row
            .try_get_unchecked::<NaiveDateTime, _>(0)
            .map(|t| Cell::Time(t.and_utc()))
            .map_err(|e| read_error(&e)),
        "DATE" => row
            .try_get_unchecked::<NaiveDate, _>(0)
            .map(midnight)
            .map_err(|e| read_error(&e)),
        "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "TINYINT UNSIGNED"
        | "SMALLINT UNSIGNED" | "MEDIUMINT UNSIGNED" | "INT UNSIGNED" | "BIGINT UNSIGNED"
        | "DECIMAL" | "FLOAT" | "DOUBLE" => number(row.try_get_unchecked::<&str, _>(0).ok()),
        _ => Ok(Cell::Other {
            text: row.try_get_unchecked::<&str, _>(0).ok().map(str::to_string),
            type_name,
        }),
    }
}

fn pg_cell(row: &PgRow) -> Result<Cell, String> {
    let Some(column) = row.columns().first() else {
        return Err("the query returned no columns".into());
    };
    let type_name = column.type_info().name().to_string();
    if row.try_get_raw(0).map_err(|e| read_error(&e))?.is_null() {
        return Ok(Cell::Null);
    }
    match type_name.as_str() {
        "TIMESTAMPTZ" => row
            .try_get_unchecked::<DateTime<Utc>, _>(0)
            .map(Cell::Time)
            .map_err(|e| read_error(&e)),
        "TIMESTAMP" => row
            .try_get_unchecked::<NaiveDateTime, _>(0)
            .map(|t| Cell::Time(t.and_utc()))
            .map_err(|e| read_error(&e)),
        "DATE" => row
            .try_get_unchecked::<NaiveDate, _>(0)
            .map(midnight)
            .map_err(|e| read_error(&e)),
        "INT2" | "INT4" | "INT8" | "NUMERIC" | "FLOAT4" | "FLOAT8" => {
            number(row.try_get_unchecked::<&str, _>(0).ok())
        }
        _ => Ok(Cell::Other {
            text: row.try_get_unchecked::<&str, _>(0).ok().map(str::to_string),
            type_name,
        }),
    }
}

fn midnight(d: NaiveDate) -> Cell {
    Cell::Time(d.and_time(chrono::NaiveTime::MIN).and_utc())
}

fn number(text: Option<&str>) -> Result<Cell, String> {
    let text = text
        .ok_or("cannot read the number the query returned")?
        .trim();
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(Cell::Number {
            text: text.to_string(),
            value,
        }),
        _ => Err(format!("cannot read '{}' as a number", preview(text))),
    }
}

fn read_error(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::ColumnDecode { source, .. } => {
            format!("cannot read the value: {}", one_line(&source.to_string()))
        }
        other => format!("cannot read the value: {}", one_line(&other.to_string())),
    }
}

fn preview(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(40).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

const SAY_RETURNS: &str =
    "set returns = \"timestamp\", \"epoch_seconds\", \"epoch_millis\" or \"lag_seconds\" to match";

/// The newest row's time and the data age in whole seconds, or why there is none.
fn judge(returns: Returns, cell: Cell, now: Timestamp) -> Result<(Timestamp, i64), String> {
    let expected = match returns {
        Returns::Timestamp => "a timestamp",
        Returns::EpochSeconds => "a number (epoch seconds)",
        Returns::EpochMillis => "a number (epoch milliseconds)",
        Returns::LagSeconds => "a number (a lag in seconds)",
    };
    match (returns, cell) {
        (_, Cell::Null) => Err("no rows".to_string()),
        (Returns::Timestamp, Cell::Time(t)) => {
            // Whole seconds, so the age is exactly now minus the newest time shown.
            let t = t.trunc_subsecs(0);
            Ok((t, now.signed_duration_since(t).num_seconds()))
        }
        (_, Cell::Time(t)) => Err(format!(
            "expected {expected}, got the timestamp {}; {SAY_RETURNS}",
            to_rfc3339(t)
        )),
        (Returns::Timestamp, Cell::Number { text, .. }) => Err(format!(
            "expected {expected}, got the number {}; {SAY_RETURNS}",
            preview(&text)
        )),
        (_, Cell::Other { type_name, text }) => Err(match text {
            Some(text) => format!("expected {expected}, got {type_name} '{}'", preview(&text)),
            None => format!("expected {expected}, got a {type_name} value"),
        }),
        (Returns::EpochSeconds, Cell::Number { text, value }) => {
            let t = DateTime::from_timestamp(value.floor() as i64, 0)
                .ok_or_else(|| format!("{} is out of range for epoch seconds", preview(&text)))?;
            Ok((t, now.signed_duration_since(t).num_seconds()))
        }
        (Returns::EpochMillis, Cell::Number { text, value }) => {
            let t = DateTime::from_timestamp_millis(value.floor() as i64)
                .ok_or_else(|| {
                    format!("{} is out of range for epoch milliseconds", preview(&text))
                })?
                .trunc_subsecs(0);
            Ok((t, now.signed_duration_since(t).num_seconds()))
        }
        (Returns::LagSeconds, Cell::Number { text, value }) => {
            let age = value.round() as i64;
            let t = TimeDelta::try_seconds(age)
                .and_then(|lag| now.checked_sub_signed(lag))
                .ok_or_else(|| {
                    format!("{} is out of range for a lag in seconds", preview(&text))
                })?;
            Ok((t, age))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-29T10:00:00Z".parse().unwrap()
    }

    fn num(v: f64) -> Cell {
        Cell::Number {
            text: v.to_string(),
            value: v,
        }
    }

    #[test]
    fn ages_are_now_minus_the_newest_whole_second() {
        let newest: Timestamp = "2026-11-29T04:29:59.700Z".parse().unwrap();
        let (t, age) = judge(Returns::Timestamp, Cell::Time(newest), now()).unwrap();
        assert_eq!(
            (to_rfc3339(t).as_str(), age),
            ("2026-11-29T04:29:59Z", 19801)
        );
        let epoch = now().timestamp() as f64 - 19_800.0;
        assert_eq!(
            judge(Returns::EpochSeconds, num(epoch), now()).unwrap().1,
            19_800
        );
        assert_eq!(
            judge(Returns::EpochMillis, num(epoch * 1000.0), now())
                .unwrap()
                .1,
            19_800
        );
        let (t, age) = judge(Returns::LagSeconds, num(19_800.0), now()).unwrap();
        assert_eq!(
            (to_rfc3339(t).as_str(), age),
            ("2026-11-29T04:30:00Z", 19_800)
        );
    }

    #[test]
    fn a_value_of_the_wrong_kind_says_what_came_back() {
        let e = judge(Returns::Timestamp, num(42.0), now()).unwrap_err();
        assert!(
            e.contains("got the number 42") && e.contains("epoch_seconds"),
            "{e}"
        );
        let e = judge(Returns::LagSeconds, Cell::Time(now()), now()).unwrap_err();
        assert!(e.contains("got the timestamp 2026-11-29T10:00:00Z"), "{e}");
        let other = Cell::Other {
            type_name: "VARCHAR".into(),
            text: Some("abc".into()),
        };
        let e = judge(Returns::EpochSeconds, other, now()).unwrap_err();
        assert_eq!(e, "expected a number (epoch seconds), got VARCHAR 'abc'");
        assert_eq!(
            judge(Returns::Timestamp, Cell::Null, now()).unwrap_err(),
            "no rows"
        );
        assert!(judge(Returns::EpochSeconds, num(1e300), now()).is_err());
    }

    #[test]
    fn column_checks_quote_plain_names_and_refuse_the_rest() {
        let check = |table: &str, column: &str| FreshnessCheck {
            name: format!("{table}.{column}"),
            source: FreshnessSource::Column {
                table: table.into(),
                column: column.into(),
            },
            returns: Returns::Timestamp,
        };
        assert_eq!(
            check_sql(Engine::MySql, &check("shop.orders", "created_at")).unwrap(),
            "SELECT max(`created_at`) FROM `shop`.`orders`"
        );
        assert_eq!(
            check_sql(Engine::Postgres, &check("orders", "created_at")).unwrap(),
            "SELECT max(\"created_at\") FROM \"orders\""
        );
        for (table, column) in [
            ("orders; drop", "x"),
            ("a.b.c", "x"),
            ("t", "x`y"),
            ("", "x"),
            ("t", "1x"),
        ] {
            assert!(
                check_sql(Engine::MySql, &check(table, column)).is_err(),
                "{table}.{column}"
            );
        }
    }

    #[test]
    fn schemes_pick_the_driver_and_errors_do_not_quote_the_url() {
        assert!(Engine::from_url("mariadb://u:p@h/db").is_ok_and(|e| e == Engine::MySql));
        assert!(Engine::from_url("postgresql://h/db").is_ok_and(|e| e == Engine::Postgres));
        let e = Engine::from_url("sqlite://secret@x")
            .err()
            .unwrap_or_default();
        assert!(
            e.starts_with("unsupported database URL scheme 'sqlite'") && !e.contains("secret"),
            "{e}"
        );
        let e = Engine::from_url("user:secret@host")
            .err()
            .unwrap_or_default();
        assert!(!e.contains("secret"), "{e}");
    }
}
