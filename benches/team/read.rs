//! `list` and `show` with their implicit pull from a team log on loopback, against the same
//! commands on the same working copy without a team (`--offline`): once with nothing new on
//! the team log, once with three notes another responder pushed just before (not timed).
//!
//! The working copy holds 60 incidents with 3 notes each, pulled from the other responder's
//! copy. Checked before timing: after a pull, the copy's `show --json` of the incident the
//! other responder wrote to equals the other copy's, byte for byte, and `list` with the pull
//! prints what `list --offline` prints; after timing, both copies hold the team log's events,
//! by UUID, once each.

use super::common::pg::*;
use super::common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const INCIDENTS: usize = 60;
const NEW_NOTES: usize = 3;

/// One timed case: its label, its command on the reader, and whether the writer pushes
/// notes first (untimed).
struct Case {
    label: &'static str,
    args: fn(usize) -> Vec<String>,
    writes: bool,
}

/// The incident each round reads and (for the cases that pull something) writes to.
fn target(round: usize) -> usize {
    round % INCIDENTS + 1
}

fn cases() -> Vec<Case> {
    let list = |_: usize| vec!["list".to_string()];
    let list_offline = |_: usize| vec!["--offline".to_string(), "list".to_string()];
    let show = |round: usize| vec!["show".to_string(), target(round).to_string()];
    let show_offline = |round: usize| {
        vec![
            "--offline".to_string(),
            "show".to_string(),
            target(round).to_string(),
        ]
    };
    vec![
        Case {
            label: "`list`, team log, nothing new",
            args: list,
            writes: false,
        },
        Case {
            label: "`list`, team log, 3 new events",
            args: list,
            writes: true,
        },
        Case {
            label: "`list --offline` (no team)",
            args: list_offline,
            writes: false,
        },
        Case {
            label: "`show N`, team log, nothing new",
            args: show,
            writes: false,
        },
        Case {
            label: "`show N`, team log, 3 new events",
            args: show,
            writes: true,
        },
        Case {
            label: "`show N --offline` (no team)",
            args: show_offline,
            writes: false,
        },
    ]
}

pub fn run() {
    let runs = env_number("INCIDENT_BENCH_READ_RUNS", 30) as usize;
    let warmup = 3;
    let url = pg_url();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let home = dir.path();
    let schema = format!("bench_team_read_{}", std::process::id());
    team_home(home, &url, &schema);
    let reader = |args: &[String]| {
        let mut cmd = child(bin(), home);
        cmd.args(["--db", "reader.db"])
            .args(args)
            .env("INCIDENT_AUTHOR", "alice");
        cmd
    };
    let writer = |args: &[&str]| {
        let mut cmd = child(bin(), home);
        cmd.args(["--db", "writer.db"])
            .args(args)
            .env("INCIDENT_AUTHOR", "bob");
        cmd
    };
    output(writer(&["team", "init"]));
    fill_writer(&writer);
    output(reader(&["sync".to_string()]));
    check_first_pull(&reader, &writer);

    let cases = cases();
    let mut samples = vec![Vec::with_capacity(runs); cases.len()];
    let mut notes = 0;
    for round in 0..warmup + runs {
        for (case, samples) in cases.iter().zip(&mut samples) {
            if case.writes {
                for _ in 0..NEW_NOTES {
                    notes += 1;
                    output(writer(&[
                        "note",
                        &target(round).to_string(),
                        &note_text(notes),
                    ]));
                }
            }
            let took = timed(reader(&(case.args)(round)), home);
            if round >= warmup {
                samples.push(took);
            }
        }
    }
    check_after(&url, &schema, home, &reader);
    report(&cases, &samples, runs);
    pg_run(&url, &format!("DROP SCHEMA {schema} CASCADE"));
}

fn note_text(n: usize) -> String {
    format!(
        "retry {n}: upstream=10.0.3.{}:8080 → 502 (req_id=a1_b-{n}) café",
        n % 250
    )
}

/// The other responder's copy: 60 incidents with 3 notes each, written offline and pushed in
/// one sync.
fn fill_writer(writer: &dyn Fn(&[&str]) -> Command) {
    for i in 1..=INCIDENTS {
        let title = format!("checkout-api 5xx spike #{i} (ingress-nginx, eu-west-1)");
        output(writer(&[
            "--offline",
            "open",
            ["P1", "P2", "P3"][i % 3],
            &title,
        ]));
        for j in 0..3 {
            output(writer(&[
                "--offline",
                "note",
                &format!("L{i}"),
                &note_text(i * 10 + j),
            ]));
        }
    }
    output(writer(&["sync"]));
}

/// A pull brings what the writer pushed: the reader shows the incident byte for byte as the
/// writer does, and `list` with its pull prints what `list --offline` prints.
fn check_first_pull(reader: &dyn Fn(&[String]) -> Command, writer: &dyn Fn(&[&str]) -> Command) {
    let n = target(0).to_string();
    output(writer(&["note", &n, "first pull check"]));
    let strings = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let listed = output(reader(&strings(&["list"])));
    let listed_offline = output(reader(&strings(&["--offline", "list"])));
    assert_eq!(listed, listed_offline, "list with its pull prints the copy");
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with(&format!("{INCIDENTS} "))),
        "the newest team incident is listed: {listed}"
    );
    let mine = output(reader(&strings(&["--offline", "show", &n, "--json"])));
    let theirs = output(writer(&["--offline", "show", &n, "--json"]));
    assert_eq!(mine, theirs, "the reader shows what the writer shows");
    assert!(mine.contains("first pull check"));
    println!("checked: the reader's show --json equals the writer's after a pull");
}

/// Every event of the team log is in the reader's copy once, by UUID.
fn check_after(url: &str, schema: &str, home: &Path, reader: &dyn Fn(&[String]) -> Command) {
    output(reader(&["sync".to_string()]));
    let mut team: Vec<String> = pg_rows(
        url,
        &format!("SELECT uuid::text FROM {schema}.events ORDER BY uuid"),
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    team.sort();
    let conn = rusqlite::Connection::open(home.join("reader.db")).unwrap();
    let mut here: Vec<String> = conn
        .prepare("SELECT uuid FROM events")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    here.sort();
    assert_eq!(
        here, team,
        "the reader holds the team log's events once each"
    );
    println!(
        "checked: the reader holds all {} events once each",
        team.len()
    );
}

fn report(cases: &[Case], samples: &[Vec<Duration>], runs: usize) {
    println!("\n| {runs} runs each | median | p90 | / no team |\n|---|---:|---:|---:|");
    for (i, (case, s)) in cases.iter().zip(samples).enumerate() {
        let (median, p90) = stats(s);
        // The no-team case of each command is the third of its group.
        let (base, _) = stats(&samples[i / 3 * 3 + 2]);
        println!(
            "| {} | {median:.1} ms | {p90:.1} ms | {:.2} |",
            case.label,
            median / base
        );
    }
}
