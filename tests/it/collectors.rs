//! The database, Redis and command collectors against real services on loopback, stand-in
//! servers that never answer, and real processes. Service tests skip (or fail with
//! INCIDENT_REQUIRE_SERVICES=1) when their service is down; see tests/it/common/services.rs.

use crate::common::services::{service, unique};
use incident::collect::redis as redis_collector;
use incident::collect::{command, database};
use incident::domain::time::Timestamp;
use incident::evidence::settings::{
    CommandSettings, DatabaseSettings, FreshnessCheck, FreshnessSource, RedisSettings, Returns,
};
use incident::evidence::snapshot::{Item, ItemStatus};
use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection, MySqlConnection, PgConnection};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const MYSQL: (&str, &str, &str) = (
    "MariaDB",
    "INCIDENT_TEST_MYSQL_URL",
    "mysql://root@127.0.0.1:3306/test",
);
const POSTGRES: (&str, &str, &str) = (
    "PostgreSQL",
    "INCIDENT_TEST_POSTGRES_URL",
    "postgres://postgres@127.0.0.1:5432/test",
);
const REDIS: (&str, &str, &str) = ("Redis", "INCIDENT_TEST_REDIS_URL", "redis://127.0.0.1:6379");

/// The pinned clock the data ages are measured against.
const NOW: &str = "2026-11-29T10:00:00Z";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn url_of((name, var, default): (&str, &str, &str)) -> Option<String> {
    service(name, var, default)
}

/// The URL with other credentials: `scheme://user:password@host:port/db`.
fn with_credentials(url: &str, user: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let rest = rest.rsplit_once('@').map_or(rest, |(_, hp)| hp);
    format!("{scheme}://{user}:{password}@{rest}")
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A listener whose kernel completes TCP handshakes but which never reads or writes: the
/// server that hangs. Keep it alive for the test.
fn black_hole() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn db_settings(name: &str, timeout: Duration, freshness: Vec<FreshnessCheck>) -> DatabaseSettings {
    DatabaseSettings {
        name: name.into(),
        url: "(expanded by the caller)".into(),
        timeout,
        freshness,
    }
}

fn column(table: &str, col: &str, returns: Returns) -> FreshnessCheck {
    FreshnessCheck {
        name: format!("{table}.{col}"),
        source: FreshnessSource::Column {
            table: table.into(),
            column: col.into(),
        },
        returns,
    }
}

fn query(name: &str, sql: &str, returns: Returns) -> FreshnessCheck {
    FreshnessCheck {
        name: name.into(),
        source: FreshnessSource::Query(sql.into()),
        returns,
    }
}

/// The freshness entry of the check named `name`.
fn check<'a>(item: &'a Item, name: &str) -> &'a Value {
    item.data["freshness"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {}", item.data))
}

#[track_caller]
fn assert_fresh(item: &Item, name: &str, newest: &str, age: i64) {
    let c = check(item, name);
    assert_eq!(c["error"], Value::Null, "{name}: {c}");
    assert_eq!(c["newest"], newest, "{name}: {c}");
    assert_eq!(c["age_seconds"], age, "{name}: {c}");
}

#[track_caller]
fn assert_check_error(item: &Item, name: &str, wanted: &str) {
    let c = check(item, name);
    let error = c["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: no error: {c}"));
    assert!(error.contains(wanted), "{name}: {error:?} lacks {wanted:?}");
    assert_eq!(c["newest"], Value::Null, "{name}: {c}");
    assert_eq!(c["age_seconds"], Value::Null, "{name}: {c}");
}

#[track_caller]
fn assert_reachable(item: &Item, engine: &str) {
    assert_eq!(item.status, ItemStatus::Ok, "{item:?}");
    assert_eq!(item.error, None);
    assert_eq!(item.data["engine"], engine);
    assert!(
        !item.data["version"].as_str().unwrap().is_empty(),
        "{}",
        item.data
    );
    assert!(
        item.data["latency_ms"].as_f64().unwrap() > 0.0,
        "{}",
        item.data
    );
}

async fn sql(conn: &mut MySqlConnection, sql: impl Into<String>) {
    let sql = sql.into();
    sqlx::raw_sql(AssertSqlSafe(sql.clone()))
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn pg_sql(conn: &mut PgConnection, sql: impl Into<String>) {
    let sql = sql.into();
    sqlx::raw_sql(AssertSqlSafe(sql.clone()))
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

// ---- MariaDB -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_reachable_reports_version_and_latency() {
    let Some(url) = url_of(MYSQL) else { return };
    let item = database::collect(
        &db_settings("main", Duration::from_secs(5), vec![]),
        &url,
        now(),
    )
    .await;
    assert_reachable(&item, "mysql");
    assert_eq!(item.collector, "database");
    assert_eq!(item.name, "main");
    assert_eq!(item.data["freshness"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_freshness_by_column_and_by_query() {
    let Some(url) = url_of(MYSQL) else { return };
    let t = unique("incident_fresh");
    let mut admin = MySqlConnection::connect(&url).await.unwrap();
    sql(
        &mut admin,
        format!("CREATE TABLE {t} (id INT PRIMARY KEY, created_at DATETIME NOT NULL, seen_at TIMESTAMP NULL)"),
    )
    .await;
    // Written from a session five hours east of UTC: the TIMESTAMP column must still read as
    // UTC through the collector.
    sql(&mut admin, "SET time_zone = '+05:00'").await;
    sql(
        &mut admin,
        format!(
            "INSERT INTO {t} VALUES (1, '2026-11-28 04:00:00', '2026-11-28 09:00:00'), \
             (2, '2026-11-29 04:30:00', '2026-11-29 09:30:00')"
        ),
    )
    .await;

    let checks = vec![
        column(&t, "created_at", Returns::Timestamp),
        column(&t, "seen_at", Returns::Timestamp),
        column(&format!("test.{t}"), "created_at", Returns::Timestamp),
        query(
            "epoch",
            &format!("SELECT UNIX_TIMESTAMP(max(created_at)) FROM {t}"),
            Returns::EpochSeconds,
        ),
        query(
            "epoch_ms",
            &format!("SELECT UNIX_TIMESTAMP(max(created_at)) * 1000 FROM {t}"),
            Returns::EpochMillis,
        ),
        query(
            "lag",
            &format!(
                "SELECT TIMESTAMPDIFF(SECOND, max(created_at), '2026-11-29 10:00:00') FROM {t}"
            ),
            Returns::LagSeconds,
        ),
        query(
            "count_as_time",
            &format!("SELECT count(*) FROM {t}"),
            Returns::Timestamp,
        ),
        FreshnessCheck {
            name: "time_as_epoch".into(),
            ..column(&t, "created_at", Returns::EpochSeconds)
        },
        column("orders; DROP TABLE users", "created_at", Returns::Timestamp),
        column(&format!("{t}_missing"), "created_at", Returns::Timestamp),
    ];
    let item = database::collect(
        &db_settings("main", Duration::from_secs(5), checks),
        &url,
        now(),
    )
    .await;
    sql(&mut admin, format!("DROP TABLE {t}")).await;

    assert_reachable(&item, "mysql");
    let newest = "2026-11-29T04:30:00Z";
    assert_fresh(&item, &format!("{t}.created_at"), newest, 19_800);
    assert_fresh(&item, &format!("{t}.seen_at"), newest, 19_800);
    assert_fresh(&item, &format!("test.{t}.created_at"), newest, 19_800);
    assert_fresh(&item, "epoch", newest, 19_800);
    assert_fresh(&item, "epoch_ms", newest, 19_800);
    assert_fresh(&item, "lag", newest, 19_800);
    assert_check_error(
        &item,
        "count_as_time",
        "expected a timestamp, got the number 2",
    );
    assert_check_error(
        &item,
        "time_as_epoch",
        "got the timestamp 2026-11-29T04:30:00Z",
    );
    assert_check_error(
        &item,
        "orders; DROP TABLE users.created_at",
        "is not a plain table name",
    );
    assert_check_error(&item, &format!("{t}_missing.created_at"), "doesn't exist");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_empty_table_is_no_rows() {
    let Some(url) = url_of(MYSQL) else { return };
    let t = unique("incident_empty");
    let mut admin = MySqlConnection::connect(&url).await.unwrap();
    sql(
        &mut admin,
        format!("CREATE TABLE {t} (created_at DATETIME NOT NULL)"),
    )
    .await;
    let checks = vec![
        column(&t, "created_at", Returns::Timestamp),
        query(
            "epoch",
            &format!("SELECT UNIX_TIMESTAMP(max(created_at)) FROM {t}"),
            Returns::EpochSeconds,
        ),
        query(
            "rows",
            &format!("SELECT created_at FROM {t}"),
            Returns::Timestamp,
        ),
    ];
    let item = database::collect(
        &db_settings("main", Duration::from_secs(5), checks),
        &url,
        now(),
    )
    .await;
    sql(&mut admin, format!("DROP TABLE {t}")).await;

    assert_eq!(item.status, ItemStatus::Ok, "{item:?}");
    for name in [format!("{t}.created_at"), "epoch".into(), "rows".into()] {
        assert_check_error(&item, &name, "no rows");
        assert_eq!(check(&item, &name)["error"], "no rows");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_wrong_password_is_access_denied_without_the_password() {
    let Some(url) = url_of(MYSQL) else { return };
    let user = unique("incident_pw");
    let right = format!("Right-{}", unique("pw"));
    let wrong = format!("Wr0ng-{}", unique("pw"));
    let mut admin = MySqlConnection::connect(&url).await.unwrap();
    // The anonymous ''@'localhost' user would match connections from 127.0.0.1 before
    // user@'%' does, and refuse the right password too.
    sql(&mut admin, "DROP USER IF EXISTS ''@'localhost'").await;
    sql(
        &mut admin,
        format!("CREATE USER '{user}'@'%' IDENTIFIED BY '{right}'"),
    )
    .await;
    sql(
        &mut admin,
        format!("GRANT SELECT ON test.* TO '{user}'@'%'"),
    )
    .await;

    let settings = db_settings("main", Duration::from_secs(5), vec![]);
    let denied = database::collect(&settings, &with_credentials(&url, &user, &wrong), now()).await;
    let allowed = database::collect(&settings, &with_credentials(&url, &user, &right), now()).await;
    sql(&mut admin, format!("DROP USER '{user}'@'%'")).await;

    assert_eq!(denied.status, ItemStatus::Failed, "{denied:?}");
    let error = denied.error.as_deref().unwrap();
    assert_eq!(error, format!("access denied for user '{user}'"));
    assert!(!error.contains(&wrong) && !format!("{denied:?}").contains(&wrong));
    // The same user with the right password gets in: the denial was the password.
    assert_reachable(&allowed, "mysql");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_unreachable_port_fails_fast() {
    let port = closed_port();
    let started = Instant::now();
    let item = database::collect(
        &db_settings("main", Duration::from_secs(60), vec![]),
        &format!("mysql://root:hunter2@127.0.0.1:{port}/test"),
        now(),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(item.status, ItemStatus::Failed, "{item:?}");
    assert_eq!(
        item.error.as_deref(),
        Some(format!("connection refused (127.0.0.1:{port})").as_str())
    );
    // Refused, not timed out: well under the 60 s timeout however busy the machine is.
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_silent_server_times_out_in_time() {
    let (_listener, port) = black_hole();
    let timeout = Duration::from_secs(1);
    let started = Instant::now();
    let item = database::collect(
        &db_settings("main", timeout, vec![]),
        &format!("mysql://root@127.0.0.1:{port}/test"),
        now(),
    )
    .await;
    let took = started.elapsed();
    eprintln!("mysql black hole: {took:?}");
    assert_eq!(item.status, ItemStatus::Timeout, "{item:?}");
    assert!(
        took >= timeout && took < timeout + Duration::from_secs(20),
        "took {took:?}"
    );
}

// ---- PostgreSQL ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_reachable_reports_version_and_latency() {
    let Some(url) = url_of(POSTGRES) else { return };
    let item = database::collect(
        &db_settings("pg", Duration::from_secs(5), vec![]),
        &url,
        now(),
    )
    .await;
    assert_reachable(&item, "postgres");
    assert_eq!(item.data["freshness"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_freshness_by_column_and_by_query() {
    let Some(url) = url_of(POSTGRES) else { return };
    let t = unique("incident_fresh");
    let mut admin = PgConnection::connect(&url).await.unwrap();
    pg_sql(
        &mut admin,
        format!("CREATE TABLE {t} (id int PRIMARY KEY, created_at timestamptz NOT NULL, local_at timestamp NOT NULL)"),
    )
    .await;
    pg_sql(
        &mut admin,
        format!(
            "INSERT INTO {t} VALUES (1, '2026-11-28 09:00:00+05', '2026-11-28 04:00:00'), \
             (2, '2026-11-29 09:30:00+05', '2026-11-29 04:30:00')"
        ),
    )
    .await;

    let checks = vec![
        column(&t, "created_at", Returns::Timestamp),
        column(&t, "local_at", Returns::Timestamp),
        column(&format!("public.{t}"), "created_at", Returns::Timestamp),
        query(
            "epoch",
            &format!("SELECT extract(epoch FROM max(created_at)) FROM {t}"),
            Returns::EpochSeconds,
        ),
        query(
            "epoch_ms",
            &format!("SELECT (extract(epoch FROM max(created_at)) * 1000)::bigint FROM {t}"),
            Returns::EpochMillis,
        ),
        query(
            "lag",
            &format!("SELECT extract(epoch FROM timestamptz '{NOW}' - max(created_at)) FROM {t}"),
            Returns::LagSeconds,
        ),
        query(
            "count_as_time",
            &format!("SELECT count(*) FROM {t}"),
            Returns::Timestamp,
        ),
        FreshnessCheck {
            name: "time_as_lag".into(),
            ..column(&t, "created_at", Returns::LagSeconds)
        },
        column(&t, "created_at\"; DROP TABLE x; --", Returns::Timestamp),
        column(&format!("{t}_missing"), "created_at", Returns::Timestamp),
    ];
    let item = database::collect(
        &db_settings("pg", Duration::from_secs(5), checks),
        &url,
        now(),
    )
    .await;
    pg_sql(&mut admin, format!("DROP TABLE {t}")).await;

    assert_reachable(&item, "postgres");
    let newest = "2026-11-29T04:30:00Z";
    assert_fresh(&item, &format!("{t}.created_at"), newest, 19_800);
    assert_fresh(&item, &format!("{t}.local_at"), newest, 19_800);
    assert_fresh(&item, &format!("public.{t}.created_at"), newest, 19_800);
    assert_fresh(&item, "epoch", newest, 19_800);
    assert_fresh(&item, "epoch_ms", newest, 19_800);
    assert_fresh(&item, "lag", newest, 19_800);
    assert_check_error(
        &item,
        "count_as_time",
        "expected a timestamp, got the number 2",
    );
    assert_check_error(
        &item,
        "time_as_lag",
        "got the timestamp 2026-11-29T04:30:00Z",
    );
    assert_check_error(
        &item,
        &format!("{t}.created_at\"; DROP TABLE x; --"),
        "is not a plain column name",
    );
    assert_check_error(&item, &format!("{t}_missing.created_at"), "does not exist");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_empty_table_is_no_rows() {
    let Some(url) = url_of(POSTGRES) else { return };
    let t = unique("incident_empty");
    let mut admin = PgConnection::connect(&url).await.unwrap();
    pg_sql(
        &mut admin,
        format!("CREATE TABLE {t} (created_at timestamptz NOT NULL)"),
    )
    .await;
    let checks = vec![
        column(&t, "created_at", Returns::Timestamp),
        query(
            "lag",
            &format!("SELECT extract(epoch FROM now() - max(created_at)) FROM {t}"),
            Returns::LagSeconds,
        ),
        query(
            "rows",
            &format!("SELECT created_at FROM {t}"),
            Returns::Timestamp,
        ),
    ];
    let item = database::collect(
        &db_settings("pg", Duration::from_secs(5), checks),
        &url,
        now(),
    )
    .await;
    pg_sql(&mut admin, format!("DROP TABLE {t}")).await;

    assert_eq!(item.status, ItemStatus::Ok, "{item:?}");
    for name in [format!("{t}.created_at"), "lag".into(), "rows".into()] {
        assert_eq!(check(&item, &name)["error"], "no rows", "{name}");
        assert_eq!(check(&item, &name)["newest"], Value::Null, "{name}");
    }
}

/// This server trusts every local connection (pg_hba `trust`), so it never checks a password:
/// an unknown role is the authentication failure it can give.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_unknown_role_is_access_denied_without_the_password() {
    let Some(url) = url_of(POSTGRES) else { return };
    let user = unique("incident_nobody");
    let password = format!("S3cret-{}", unique("pw"));
    let item = database::collect(
        &db_settings("pg", Duration::from_secs(5), vec![]),
        &with_credentials(&url, &user, &password),
        now(),
    )
    .await;
    assert_eq!(item.status, ItemStatus::Failed, "{item:?}");
    let error = item.error.as_deref().unwrap();
    assert!(
        error.starts_with(&format!("access denied for user '{user}'")),
        "{error}"
    );
    assert!(!format!("{item:?}").contains(&password));
}

/// A stand-in PostgreSQL server that asks for a password and rejects it the way PostgreSQL
/// does (SQLSTATE 28P01). Returns its port and the password it was sent.
fn postgres_rejecting_passwords() -> (u16, std::thread::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let read_message = |s: &mut std::net::TcpStream, len_includes_self: bool| {
            let mut len = [0u8; 4];
            s.read_exact(&mut len).unwrap();
            let len = u32::from_be_bytes(len) as usize;
            let mut body = vec![0u8; if len_includes_self { len - 4 } else { len }];
            s.read_exact(&mut body).unwrap();
            body
        };
        // SSLRequest (answered "no TLS"), then the startup message.
        loop {
            let body = read_message(&mut s, true);
            if body[..4] == 80877103u32.to_be_bytes() {
                s.write_all(b"N").unwrap();
            } else {
                break;
            }
        }
        // AuthenticationCleartextPassword.
        s.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3]).unwrap();
        let mut tag = [0u8; 1];
        s.read_exact(&mut tag).unwrap();
        assert_eq!(tag[0], b'p');
        let mut password = read_message(&mut s, true);
        password.pop(); // the NUL terminator
        let mut fields = Vec::new();
        for (code, value) in [
            (b'S', "FATAL"),
            (b'V', "FATAL"),
            (b'C', "28P01"),
            (b'M', "password authentication failed for user \"alice\""),
        ] {
            fields.push(code);
            fields.extend_from_slice(value.as_bytes());
            fields.push(0);
        }
        fields.push(0);
        let mut message = vec![b'E'];
        message.extend_from_slice(&((fields.len() + 4) as u32).to_be_bytes());
        message.extend_from_slice(&fields);
        s.write_all(&message).unwrap();
        password
    });
    (port, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_wrong_password_is_access_denied_without_the_password() {
    let (port, server) = postgres_rejecting_passwords();
    let password = format!("S3cret-{}", unique("pw"));
    let item = database::collect(
        &db_settings("pg", Duration::from_secs(2), vec![]),
        &format!("postgres://alice:{password}@127.0.0.1:{port}/test"),
        now(),
    )
    .await;
    assert_eq!(item.status, ItemStatus::Failed, "{item:?}");
    assert_eq!(
        item.error.as_deref(),
        Some("access denied for user 'alice' (wrong password)")
    );
    assert!(!format!("{item:?}").contains(&password));
    // It really was a password exchange.
    assert_eq!(server.join().unwrap(), password.as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_unreachable_port_fails_fast() {
    let port = closed_port();
    let started = Instant::now();
    let item = database::collect(
        &db_settings("pg", Duration::from_secs(60), vec![]),
        &format!("postgresql://postgres:hunter2@127.0.0.1:{port}/test"),
        now(),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(item.status, ItemStatus::Failed, "{item:?}");
    assert_eq!(
        item.error.as_deref(),
        Some(format!("connection refused (127.0.0.1:{port})").as_str())
    );
    // Refused, not timed out: well under the 60 s timeout however busy the machine is.
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_silent_server_times_out_in_time() {
    let (_listener, port) = black_hole();
    let timeout = Duration::from_secs(1);
    let started = Instant::now();
    let item = database::collect(
        &db_settings("pg", timeout, vec![]),
        &format!("postgres://postgres@127.0.0.1:{port}/test"),
        now(),
    )
    .await;
    let took = started.elapsed();
    eprintln!("postgres black hole: {took:?}");
    assert_eq!(item.status, ItemStatus::Timeout, "{item:?}");
    assert!(
        took >= timeout && took < timeout + Duration::from_secs(20),
        "took {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_unsupported_scheme_fails_without_quoting_the_url() {
    let item = database::collect(
        &db_settings("x", Duration::from_secs(1), vec![]),
        "sqlserver://sa:hunter2@127.0.0.1/db",
        now(),
    )
    .await;
    assert_eq!(item.status, ItemStatus::Failed);
    let error = item.error.unwrap();
    assert!(
        error.starts_with("unsupported database URL scheme 'sqlserver'"),
        "{error}"
    );
    assert!(!error.contains("hunter2"));
}

// ---- Redis ---------------------------------------------------------------------------------

fn redis_settings(timeout: Duration) -> RedisSettings {
    RedisSettings {
        name: "cache".into(),
        url: "(expanded by the caller)".into(),
        timeout,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_reports_version_role_and_keys() {
    let Some(url) = url_of(REDIS) else { return };
    let key = unique("incident_test_key");
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("SET")
        .arg(&key)
        .arg("1")
        .arg("EX")
        .arg(60)
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
    let item = redis_collector::collect(&redis_settings(Duration::from_secs(5)), &url).await;
    redis::cmd("DEL")
        .arg(&key)
        .query_async::<()>(&mut conn)
        .await
        .unwrap();

    assert_eq!(item.status, ItemStatus::Ok, "{item:?}");
    assert_eq!(
        (item.collector.as_str(), item.name.as_str()),
        ("redis", "cache")
    );
    let d = &item.data;
    assert!(!d["version"].as_str().unwrap().is_empty(), "{d}");
    assert!(d["latency_ms"].as_f64().unwrap() > 0.0, "{d}");
    assert!(d["role"].is_string(), "{d}");
    assert!(d["uptime_seconds"].as_i64().unwrap() >= 0, "{d}");
    assert!(d["connected_clients"].as_i64().unwrap() >= 1, "{d}");
    assert!(d["used_memory_human"].is_string(), "{d}");
    assert!(d["keys"]["db0"].as_i64().unwrap() >= 1, "{d}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_unreachable_port_fails_fast() {
    let port = closed_port();
    let started = Instant::now();
    let item = redis_collector::collect(
        &redis_settings(Duration::from_secs(60)),
        &format!("redis://:hunter2@127.0.0.1:{port}"),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(item.status, ItemStatus::Failed, "{item:?}");
    assert_eq!(
        item.error.as_deref(),
        Some(format!("connection refused (127.0.0.1:{port})").as_str())
    );
    // Refused, not timed out: well under the 60 s timeout however busy the machine is.
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_silent_server_times_out_in_time() {
    let (_listener, port) = black_hole();
    let timeout = Duration::from_secs(1);
    let started = Instant::now();
    let item = redis_collector::collect(
        &redis_settings(timeout),
        &format!("redis://127.0.0.1:{port}"),
    )
    .await;
    let took = started.elapsed();
    eprintln!("redis black hole: {took:?}");
    assert_eq!(item.status, ItemStatus::Timeout, "{item:?}");
    assert!(
        took >= timeout && took < timeout + Duration::from_secs(20),
        "took {took:?}"
    );
}

// ---- Commands ------------------------------------------------------------------------------

fn cmd(run: &[&str], timeout: Duration, max_output: usize) -> CommandSettings {
    CommandSettings {
        name: "check".into(),
        run: run.iter().map(|s| s.to_string()).collect(),
        timeout,
        max_output,
    }
}

/// The live (not zombie) processes whose argv is exactly `argv`.
fn live_processes(argv: &[&str]) -> Vec<u32> {
    let wanted: Vec<u8> = argv.iter().flat_map(|a| a.bytes().chain([0])).collect();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == wanted))
        .collect()
}

/// A `sleep` duration only this test uses, to find its processes by their argv.
fn marker() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "30.{}{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Waits up to 20 s for the processes to be gone (SIGKILL is delivered, not instant, and the
/// machine may be busy).
fn assert_gone(argv: &[&str]) {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let left = live_processes(argv);
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < until,
            "still running: {argv:?} as {left:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_exit_zero_keeps_its_output() {
    let item = command::collect(&cmd(
        &["printf", "hello\\nworld\\n"],
        Duration::from_secs(5),
        1000,
    ))
    .await;
    assert_eq!(item.status, ItemStatus::Ok, "{item:?}");
    assert_eq!(item.error, None);
    assert_eq!(item.raw, "hello\nworld\n");
    let d = &item.data;
    assert_eq!(d["argv"], serde_json::json!(["printf", "hello\\nworld\\n"]));
    assert_eq!(d["exit_code"], 0);
    assert_eq!(d["signal"], Value::Null);
    assert_eq!(d["timed_out"], false);
    assert_eq!(d["stdout_bytes"], 12);
    assert_eq!(d["stderr_bytes"], 0);
    assert_eq!(d["truncated"], false);
    assert!(d["duration_ms"].is_u64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_captures_stderr_after_stdout() {
    let item = command::collect(&cmd(
        &[
            "sh",
            "-c",
            "echo to-out; echo to-err >&2; printf no-newline >&2",
        ],
        Duration::from_secs(5),
        1000,
    ))
    .await;
    assert_eq!(item.status, ItemStatus::Ok, "{item:?}");
    assert_eq!(item.raw, "to-out\n--- stderr ---\nto-err\nno-newline");
    assert_eq!(item.data["stdout_bytes"], 7);
    assert_eq!(item.data["stderr_bytes"], 17);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_exit_three_fails_and_keeps_its_output() {
    let item = command::collect(&cmd(
        &["sh", "-c", "echo partial; echo why >&2; exit 3"],
        Duration::from_secs(5),
        1000,
    ))
    .await;
    assert_eq!(item.status, ItemStatus::Failed, "{item:?}");
    assert_eq!(item.error.as_deref(), Some("exit code 3"));
    assert_eq!(item.raw, "partial\n--- stderr ---\nwhy\n");
    assert_eq!(item.data["exit_code"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_not_found_fails_saying_so() {
    let item = command::collect(&cmd(
        &["incident-no-such-program"],
        Duration::from_secs(5),
        1000,
    ))
    .await;
    assert_eq!(item.status, ItemStatus::Failed, "{item:?}");
    assert_eq!(
        item.error.as_deref(),
        Some("cannot run 'incident-no-such-program': No such file or directory")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_timeout_kills_the_whole_process_group() {
    let m = marker();
    let script = format!("echo started; sleep {m} & sleep {m}");
    let timeout = Duration::from_secs(3);
    let started = Instant::now();
    let settings = cmd(&["sh", "-c", &script], timeout, 1000);
    let run = tokio::spawn(async move { command::collect(&settings).await });
    // Both sleeps run before the timeout: the marker finds them.
    let mut running = 0;
    while running < 2 && started.elapsed() < timeout - Duration::from_millis(500) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        running = live_processes(&["sleep", &m]).len();
    }
    assert_eq!(running, 2);
    let item = run.await.unwrap();
    let took = started.elapsed();
    eprintln!("command timeout: {took:?}");

    assert_eq!(item.status, ItemStatus::Timeout, "{item:?}");
    assert!(
        took >= timeout && took < timeout + Duration::from_secs(20),
        "took {took:?}"
    );
    assert_eq!(item.raw, "started\n", "output before the kill is kept");
    assert_eq!(item.data["timed_out"], true);
    assert_eq!(item.data["exit_code"], Value::Null);
    assert_eq!(item.data["signal"], 9);
    assert_gone(&["sleep", &m]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_background_leftovers_are_killed_and_do_not_hold_it_open() {
    let m = marker();
    // The background sleep keeps stdout open after sh exits.
    let script = format!("echo done; sleep {m} &");
    let started = Instant::now();
    let item = command::collect(&cmd(&["sh", "-c", &script], Duration::from_secs(60), 1000)).await;
    let took = started.elapsed();
    assert_eq!(item.status, ItemStatus::Ok, "{item:?}");
    assert_eq!(item.raw, "done\n");
    // Neither the 30 s sleep nor the 60 s timeout was waited out.
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert_gone(&["sleep", &m]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_output_beyond_max_output_is_cut_and_says_so() {
    let item = command::collect(&cmd(
        &["sh", "-c", "head -c 10000 /dev/zero | tr '\\0' x"],
        Duration::from_secs(5),
        1000,
    ))
    .await;
    assert_eq!(item.status, ItemStatus::Ok, "{item:?}");
    assert_eq!(
        item.raw,
        format!(
            "{}\n[output cut at 1000 bytes; 9000 more bytes not kept]\n",
            "x".repeat(1000)
        )
    );
    assert_eq!(item.data["stdout_bytes"], 10_000);
    assert_eq!(item.data["truncated"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_non_utf8_output_is_kept_lossily() {
    let item = command::collect(&cmd(&["printf", "a\\377b"], Duration::from_secs(5), 1000)).await;
    assert_eq!(item.status, ItemStatus::Ok, "{item:?}");
    assert_eq!(item.raw, "a\u{FFFD}b");
    assert_eq!(item.data["stdout_bytes"], 3);
}
