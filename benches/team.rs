//! What sharing costs a responder, in parts (`INCIDENT_BENCH_TEAM`, comma-separated; the
//! default is `note,read,responders`, about a minute once built):
//!
//! - `note`: `incident note` with a team log on loopback PostgreSQL (the note committed to
//!   SQLite, then pushed over a fresh connection before the command exits) against the floor
//!   for the same work — this benchmark's own binary, re-run as a small program that commits
//!   one row to SQLite and then one row to PostgreSQL over a fresh connection — and against
//!   `incident note` with no team. Before timing anything, both sides' work is checked: every
//!   note the binary wrote is in the team log once, with the text it was given, and every
//!   floor row is in both databases.
//! - `read` (team/read.rs): `list` and `show` with their implicit pull against the same
//!   commands without a team.
//! - `responders` (team/responders.rs): ten working copies writing to three shared incidents
//!   at once; nothing lost, nothing twice, every copy the same.
//! - `pull` (team/pull.rs, about 5 minutes, not in the default): a new working copy pulling
//!   100,000 incidents and 2,000,000 events, against `psql \copy` into `sqlite3 .import`.
//!
//! PostgreSQL on 127.0.0.1:5432, or `INCIDENT_TEST_POSTGRES_URL`. Whole processes are timed,
//! spawn to exit, alternating the sides. `INCIDENT_BENCH_BIN` times another build of
//! `incident` (the one before a change, say) with the same benchmark.

mod common;
#[path = "team/pull.rs"]
mod pull;
#[path = "team/read.rs"]
mod read;
#[path = "team/responders.rs"]
mod responders;

use common::pg::*;
use common::*;
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::path::Path;

const WARMUP: usize = 5;
const RUNS: usize = 60;

/// The floor: one row into SQLite (a transaction, as `note`'s), then one into PostgreSQL over
/// a fresh connection.
fn floor(db: &str, url: &str, table: &str, text: &str) {
    let conn = rusqlite::Connection::open(db).expect("open sqlite");
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        .expect("pragmas");
    conn.execute("INSERT INTO notes (text) VALUES (?1)", [text])
        .expect("insert into sqlite");
    drop(conn);
    runtime().block_on(async {
        let mut pg = PgConnection::connect(url).await.expect("connect");
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {table} (text) VALUES ($1)"
        )))
        .bind(text)
        .execute(&mut pg)
        .await
        .expect("insert into postgres");
        let _ = pg.close().await;
    });
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--floor") {
        return floor(&args[2], &args[3], &args[4], &args[5]);
    }
    let parts =
        std::env::var("INCIDENT_BENCH_TEAM").unwrap_or_else(|_| "note,read,responders".into());
    for part in parts.split(',') {
        match part.trim() {
            "note" => note(),
            "read" => read::run(),
            "responders" => responders::run(),
            "pull" => pull::run(),
            other => {
                panic!("INCIDENT_BENCH_TEAM: no part '{other}' (note, read, responders, pull)")
            }
        }
    }
}

/// `incident note` with a team log against the floor and against no team.
fn note() {
    let url = pg_url();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let home = dir.path();
    let schema = format!("bench_team_{}", std::process::id());
    let table = format!("{schema}_floor");
    team_home(home, &url, &schema);
    let floor_db = home.join("floor.db");
    rusqlite::Connection::open(&floor_db)
        .unwrap()
        .execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
        .unwrap();
    pg_run(
        &url,
        &format!("CREATE TABLE {table} (id bigserial PRIMARY KEY, text text NOT NULL)"),
    );
    let incident = |args: &[&str]| {
        let mut cmd = child(BIN, home);
        cmd.args(args).env("INCIDENT_AUTHOR", "bench");
        cmd
    };
    output(incident(&["team", "init"]));
    output(incident(&["open", "P2", "Checkout 502s (ingress-nginx)"]));
    output(incident(&[
        "--offline",
        "--db",
        "solo.db",
        "open",
        "P2",
        "Checkout 502s",
    ]));
    let text =
        |round: usize| format!("retry {round}: POST /api/v1/orders → 502 (req_id=a1_b-{round})");
    let exe = std::env::current_exe().expect("this benchmark's binary");
    let cases = ["team", "floor", "no team"];
    let samples = measure(
        &cases,
        |case, round| match *case {
            "team" => incident(&["note", "1", &text(round)]),
            "no team" => incident(&["--offline", "--db", "solo.db", "note", "1", &text(round)]),
            _ => {
                let mut cmd = child(&exe, home);
                cmd.args([
                    "--floor",
                    floor_db.to_str().unwrap(),
                    &url,
                    &table,
                    &text(round),
                ]);
                cmd
            }
        },
        WARMUP,
        RUNS,
        home,
    );
    check(&url, &schema, &table, &floor_db, &text);
    report(&cases, &samples);
    pg_run(
        &url,
        &format!("DROP SCHEMA {schema} CASCADE; DROP TABLE {table}"),
    );
}

/// Every note in the team log once, in order, with its text; every floor row in both places.
fn check(url: &str, schema: &str, table: &str, floor_db: &Path, text: &dyn Fn(usize) -> String) {
    let rounds = WARMUP + RUNS;
    let notes = runtime().block_on(async {
        let mut conn = PgConnection::connect(url).await.expect("connect");
        let rows: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT text FROM {schema}.events WHERE kind = 'note' ORDER BY seq"
        )))
        .fetch_all(&mut conn)
        .await
        .expect("read the notes");
        rows
    });
    let expected: Vec<String> = (0..rounds).map(text).collect();
    assert_eq!(
        notes, expected,
        "the team log holds every note once, in order"
    );
    let in_pg = pg_count(url, &format!("SELECT count(*) FROM {table}"));
    let in_sqlite: i64 = rusqlite::Connection::open(floor_db)
        .unwrap()
        .query_row("SELECT count(*) FROM notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!((in_pg, in_sqlite), (rounds as i64, rounds as i64));
    println!(
        "checked: {rounds} notes in the team log once each, in order; {rounds} floor rows in both"
    );
}

fn report(cases: &[&str], samples: &[Vec<std::time::Duration>]) {
    let (floor, _) = stats(&samples[1]);
    println!("\n| {RUNS} runs each | median | p90 | / floor |\n|---|---:|---:|---:|");
    for (case, s) in cases.iter().zip(samples) {
        let (median, p90) = stats(s);
        let name = match *case {
            "team" => "`incident note`, team log on loopback (pushed before exit)",
            "floor" => "floor: one SQLite commit, then one PostgreSQL insert, fresh connection",
            _ => "`incident note`, no team",
        };
        println!(
            "| {name} | {median:.1} ms | {p90:.1} ms | {:.2} |",
            median / floor
        );
    }
}
