//! The team log benchmarks' side of PostgreSQL: where it is, and a few statements run on it
//! from the benchmark itself (never through `incident`), to set up and to check.

use sqlx::{AssertSqlSafe, Connection, PgConnection, Row};
use std::path::Path;

/// The test PostgreSQL, as the tests find it.
pub fn pg_url() -> String {
    std::env::var("INCIDENT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Runs statements (DDL, several at once) on the test PostgreSQL.
pub fn pg_run(url: &str, sql: &str) {
    runtime().block_on(async {
        let mut conn = PgConnection::connect(url).await.expect("connect");
        sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = conn.close().await;
    })
}

/// One count from the test PostgreSQL.
pub fn pg_count(url: &str, sql: &str) -> i64 {
    runtime().block_on(async {
        let mut conn = PgConnection::connect(url).await.expect("connect");
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql.to_string()))
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = conn.close().await;
        n
    })
}

/// Every row of a query whose columns are all text (cast them), as strings ("" for NULL).
pub fn pg_rows(url: &str, sql: &str) -> Vec<Vec<String>> {
    runtime().block_on(async {
        let mut conn = PgConnection::connect(url).await.expect("connect");
        let rows = sqlx::query(AssertSqlSafe(sql.to_string()))
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = conn.close().await;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.get::<Option<String>, _>(i).unwrap_or_default())
                    .collect()
            })
            .collect()
    })
}

/// A HOME whose `incident` shares through the team log `schema` of `url`.
pub fn team_home(home: &Path, url: &str, schema: &str) {
    let config = home.join(".config/incident/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        format!("[team]\nurl = \"{url}\"\nschema = \"{schema}\"\n"),
    )
    .unwrap();
}

/// A whole number from the environment, or `default`.
pub fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a whole number")),
        Err(_) => default,
    }
}

/// The `incident` binary the team benchmarks run: this build's, or `INCIDENT_BENCH_BIN` (to
/// time another build, say the one before a change, with the same benchmark).
pub fn bin() -> std::path::PathBuf {
    std::env::var_os("INCIDENT_BENCH_BIN")
        .map(Into::into)
        .unwrap_or_else(|| super::BIN.into())
}
