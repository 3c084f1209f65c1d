//! Ten responders on one outage: ten processes at once, each with its own working copy (its
//! own SQLite file) of one team log, each writing 200 notes to the same 3 incidents — every
//! note pushed as it is written, an `incident sync` after every 50th — and then every copy
//! syncing, one after another, for 2 rounds.
//!
//! Checked: the team log holds every note once, by UUID and by text (none lost, none
//! duplicated); so does every working copy; and all ten copies show the same incidents, byte
//! for byte (`list --json`, `show N --json` of the three, read with `--offline`).

use super::common::pg::*;
use super::common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RESPONDERS_N: usize = 10;
const SHARED: usize = 3;
const SYNC_EVERY: usize = 50;

fn notes_each() -> usize {
    env_number("INCIDENT_BENCH_NOTES", 200) as usize
}

/// The note responder `r` writes `k`-th: every text unique, real-shaped (key=value, ids with _
/// and -, IPs, a stack trace over several lines, unicode).
fn text(r: usize, k: usize) -> String {
    match k % 4 {
        0 => format!(
            "r{r} #{k}: upstream=10.{r}.{}.7:8080 → 502 (req_id=a1_b-{r}-{k})",
            k % 250
        ),
        1 => format!(
            "r{r} #{k}: panicked at checkout-svc/src/pool.rs:{k}:9\n  0: pool::acquire (pool.rs:88)\n  1: handler::post_order (orders.rs:142)"
        ),
        2 => format!("r{r} #{k}: retry_after=30s pool_size=10 client_id=cl_{r}-{k} — Grüße, 東京"),
        _ => format!("r{r} #{k}: paged db-oncall; p99 12s on checkout-svc (pod checkout-7f9c-x2)"),
    }
}

/// One responder's command on its own copy; stdout and stderr captured.
fn responder(home: &Path, r: usize, args: &[&str]) -> Command {
    let mut cmd = child(bin(), home);
    cmd.args(["--db", &format!("r{r}.db")])
        .args(args)
        .env(
            "INCIDENT_AUTHOR",
            format!("{}{r}", RESPONDERS[r % RESPONDERS.len()]),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs a command that must succeed; its stderr, and how long it took.
fn run_ok(mut cmd: Command) -> (String, Duration) {
    let start = Instant::now();
    let out = cmd.output().expect("run incident");
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{cmd:?}: {stderr}");
    (stderr, took)
}

/// What one responder saw while writing: each note's time, and the pushes that did not make it
/// at once (the note stayed waiting for the next push).
#[derive(Default)]
struct Seen {
    notes: Vec<Duration>,
    unshared: usize,
}

pub fn run() {
    let url = pg_url();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let home = dir.path();
    let schema = format!("bench_team_resp_{}", std::process::id());
    team_home(home, &url, &schema);
    let n = notes_each();
    run_ok(responder(home, 0, &["team", "init"]));
    for i in 1..=SHARED {
        run_ok(responder(
            home,
            0,
            &[
                "open",
                "P1",
                &format!("checkout 502s, part {i} (eu-west-1)"),
            ],
        ));
    }
    for r in 0..RESPONDERS_N {
        run_ok(responder(home, r, &["sync"]));
    }

    let start = Instant::now();
    let seen: Vec<Seen> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..RESPONDERS_N)
            .map(|r| {
                s.spawn(move || {
                    let mut seen = Seen::default();
                    for k in 0..n {
                        let incident = (k % SHARED + 1).to_string();
                        let (stderr, took) =
                            run_ok(responder(home, r, &["note", &incident, &text(r, k)]));
                        seen.notes.push(took);
                        seen.unshared += usize::from(stderr.contains("waiting"));
                        if k % SYNC_EVERY == SYNC_EVERY - 1 {
                            run_ok(responder(home, r, &["sync"]));
                        }
                    }
                    seen
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wall = start.elapsed();

    let start = Instant::now();
    let mut rounds = Vec::new();
    for _ in 0..2 {
        for r in 0..RESPONDERS_N {
            run_ok(responder(home, r, &["sync"]));
        }
        rounds.push(start.elapsed());
    }
    check(&url, &schema, home, n);
    report(&seen, wall, &rounds, n);
    pg_run(&url, &format!("DROP SCHEMA {schema} CASCADE"));
}

/// None lost, none twice, in the team log and in every copy; every copy the same.
fn check(url: &str, schema: &str, home: &Path, n: usize) {
    let mut expected: Vec<String> = (0..RESPONDERS_N)
        .flat_map(|r| (0..n).map(move |k| text(r, k)))
        .collect();
    expected.sort();
    let total = RESPONDERS_N * n;
    let team = pg_rows(
        url,
        &format!("SELECT uuid::text, text FROM {schema}.events WHERE kind = 'note'"),
    );
    let (team_uuids, team_texts) = uuids_and_texts(team);
    assert_eq!(team_uuids, total, "notes in the team log by UUID");
    assert_eq!(team_texts, expected, "notes in the team log by text");
    for r in 0..RESPONDERS_N {
        let conn = rusqlite::Connection::open(home.join(format!("r{r}.db"))).unwrap();
        let rows: Vec<Vec<String>> = conn
            .prepare("SELECT uuid, text FROM events WHERE kind = 'note'")
            .unwrap()
            .query_map([], |row| Ok(vec![row.get(0)?, row.get(1)?]))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let (uuids, texts) = uuids_and_texts(rows);
        assert_eq!(uuids, total, "notes in copy r{r} by UUID");
        assert_eq!(texts, expected, "notes in copy r{r} by text");
    }
    let read = |r: usize, args: &[&str]| {
        let mut full = vec!["--offline"];
        full.extend_from_slice(args);
        let out = responder(home, r, &full).output().unwrap();
        assert!(out.status.success());
        out.stdout
    };
    let mut views = vec![read(0, &["list", "--json"])];
    for i in 1..=SHARED {
        views.push(read(0, &["show", &i.to_string(), "--json"]));
    }
    for r in 1..RESPONDERS_N {
        assert_eq!(
            read(r, &["list", "--json"]),
            views[0],
            "list --json of r{r}"
        );
        for (i, view) in views.iter().enumerate().skip(1) {
            let shown = read(r, &["show", &i.to_string(), "--json"]);
            assert!(shown == *view, "show {i} --json of r{r} differs from r0's");
        }
    }
    println!(
        "checked: {total} notes, each once by UUID and by text, in the team log and in all \
         {RESPONDERS_N} copies; list --json and show --json of the {SHARED} incidents \
         byte-identical on every copy after 2 sync rounds"
    );
}

/// How many distinct UUIDs, and every text, sorted.
fn uuids_and_texts(rows: Vec<Vec<String>>) -> (usize, Vec<String>) {
    let mut uuids: Vec<&String> = rows.iter().map(|r| &r[0]).collect();
    uuids.sort();
    uuids.dedup();
    let count = uuids.len();
    let mut texts: Vec<String> = rows.into_iter().map(|mut r| r.remove(1)).collect();
    texts.sort();
    (count, texts)
}

fn report(seen: &[Seen], wall: Duration, rounds: &[Duration], n: usize) {
    let total = RESPONDERS_N * n;
    let all: Vec<Duration> = seen.iter().flat_map(|s| s.notes.iter().copied()).collect();
    let (median, p90) = stats(&all);
    let unshared: usize = seen.iter().map(|s| s.unshared).sum();
    println!(
        "\n{RESPONDERS_N} responders x {n} notes to {SHARED} incidents: {total} notes in {:.1} s \
         ({:.0} notes/s); one `note` (write + push): median {median:.1} ms, p90 {p90:.1} ms; \
         notes not pushed at once: {unshared}; sync rounds after the last write: {:.1} s, \
         {:.1} s (cumulative)",
        wall.as_secs_f64(),
        total as f64 / wall.as_secs_f64(),
        rounds[0].as_secs_f64(),
        rounds[1].as_secs_f64(),
    );
}
