//! How long a snapshot takes: collectors run concurrently, so four that take about 1 s each
//! should finish in about 1 s, not 4; and `incident open` must not wait on a cluster that
//! swallows requests for longer than the collector timeout.
//!
//! Run it with `cargo bench --bench snapshot` (about 15 s). It needs PostgreSQL and MariaDB on
//! 127.0.0.1 (INCIDENT_TEST_POSTGRES_URL, INCIDENT_TEST_MYSQL_URL override the URLs); a stand-in
//! Kubernetes API server and the black hole are started here on loopback.
//!
//! 1. Four collectors, each slowed to about 1 s: the Kubernetes API (the stand-in answers every
//!    request after 1 s), PostgreSQL and MariaDB (freshness queries that sleep 1 s), and a
//!    command (`sleep 1`). `incident check --json` runs 5 times; the ratio is the process's
//!    wall time over its slowest collector (the goal is at most 1.1), next to the sum of the
//!    collectors (what running them one after another would cost).
//! 2. `incident open` with the Kubernetes collector pointed at a listener that accepts
//!    connections and never answers, with a 2 s collector timeout: 5 runs (the goal is under
//!    2.5 s).

use incident::evidence::data::{CollectorData, DatabaseData};
use incident::evidence::snapshot::{Item, ItemStatus, Snapshot};
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let pg = std::env::var("INCIDENT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let my = std::env::var("INCIDENT_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());

    concurrent_collectors(dir.path(), &pg, &my);
    open_against_a_black_hole(dir.path());
}

/// Part 1: four slow collectors, timed as `incident check --json`, with the median ratio.
fn concurrent_collectors(dir: &Path, pg: &str, my: &str) {
    let slow = slow_api_server(Duration::from_secs(1));
    let config = four_collectors_config(dir, pg, my, slow);
    println!("four collectors of about 1 s each, `incident check --json`, {RUNS} runs:\n");
    println!("| run | wall s | slowest collector s | sum of collectors s | wall / slowest |");
    println!("|---:|---:|---:|---:|---:|");
    let mut ratios = Vec::new();
    for run in 1..=RUNS {
        let start = Instant::now();
        let out = incident(dir, &config)
            .args(["check", "--json"])
            .output()
            .expect("incident runs");
        let wall = start.elapsed().as_secs_f64();
        let snap: Snapshot = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "check --json: {e}: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        check_items(&snap.items);
        let ms: Vec<f64> = snap
            .items
            .iter()
            .map(|i| i.duration_ms as f64 / 1000.0)
            .collect();
        let slowest = ms.iter().cloned().fold(0.0, f64::max);
        let sum: f64 = ms.iter().sum();
        ratios.push(wall / slowest);
        println!(
            "| {run} | {wall:.3} | {slowest:.3} | {sum:.3} | {:.2} |",
            wall / slowest
        );
    }
    ratios.sort_by(|a, b| a.total_cmp(b));
    println!(
        "\nmedian wall / slowest collector: {:.2} (goal ≤ 1.1)\n",
        ratios[ratios.len() / 2]
    );
}

/// Every collector of the config answered, and answered fully: each item `ok` with no error,
/// and each database's freshness query with a time and no error of its own (a database is `ok`
/// once connected, so a failed query hides inside an `ok` item). A run that measured a failure
/// is no figure; the benchmark stops.
fn check_items(items: &[Item]) {
    let mut names: Vec<(&str, &str)> = items
        .iter()
        .filter(|i| i.collector != "kubernetes")
        .map(|i| (i.collector.as_str(), i.name.as_str()))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            ("command", "sleep"),
            ("database", "mariadb"),
            ("database", "postgres")
        ],
        "the collectors of the config"
    );
    assert!(
        items.iter().any(|i| i.collector == "kubernetes"),
        "no Kubernetes item"
    );
    for item in items {
        assert!(
            item.status == ItemStatus::Ok && item.error.is_none(),
            "every collector must succeed for a fair measure: {item:?}"
        );
        if item.collector == DatabaseData::COLLECTOR {
            let data: DatabaseData = serde_json::from_value(item.data.clone())
                .unwrap_or_else(|e| panic!("{}: not database data: {e}", item.name));
            assert_eq!(data.freshness.len(), 1, "{}: {data:?}", item.name);
            for check in &data.freshness {
                assert!(
                    check.error.is_none() && check.newest.is_some(),
                    "{}: the freshness query failed: {check:?}",
                    item.name
                );
            }
        }
    }
}

/// The config of part 1: the stand-in API server on `slow`, two databases and a command, each
/// taking about 1 s.
fn four_collectors_config(dir: &Path, pg: &str, my: &str, slow: u16) -> PathBuf {
    let config = dir.join("four.toml");
    write(
        &config,
        &format!(
            r#"
[kubernetes]
kubeconfig = "{}"
namespace = "crypto-data-collection"
[[database]]
name = "postgres"
url = "{pg}"
[[database.freshness]]
name = "slow"
query = "SELECT now() FROM pg_sleep(1)"
[[database]]
name = "mariadb"
url = "{my}"
[[database.freshness]]
name = "slow"
query = "SELECT NOW() FROM (SELECT SLEEP(1)) AS s"
[[command]]
name = "sleep"
run = ["sleep", "1"]
"#,
            kubeconfig(dir, "slow", slow).display()
        ),
    );
    config
}

/// Part 2: `incident open` against a black-holed API server with a 2 s collector timeout.
fn open_against_a_black_hole(dir: &Path) {
    let hole = black_hole();
    let config = dir.join("hole.toml");
    write(
        &config,
        &format!(
            "[kubernetes]\nkubeconfig = \"{}\"\nnamespace = \"crypto-data-collection\"\ntimeout = \"2s\"\n",
            kubeconfig(dir, "hole", hole).display()
        ),
    );
    println!(
        "`incident open` with the API server black-holed and a 2 s collector timeout, {RUNS} runs:\n"
    );
    let mut walls = Vec::new();
    for run in 1..=RUNS {
        let db = dir.join(format!("open{run}.db"));
        let start = Instant::now();
        let out = incident(dir, &config)
            .arg("--db")
            .arg(&db)
            .args(["open", "P1", "Data collection stopped"])
            .output()
            .expect("incident runs");
        let wall = start.elapsed().as_secs_f64();
        assert!(
            out.status.success(),
            "open failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("kubernetes timed out"),
            "the collector must be marked timeout: {stdout}"
        );
        walls.push(wall);
        println!("  run {run}: {wall:.3} s");
    }
    walls.sort_by(|a, b| a.total_cmp(b));
    println!(
        "\nmedian: {:.3} s, worst: {:.3} s (goal < 2.5 s)",
        walls[RUNS / 2],
        walls[RUNS - 1]
    );
}

fn incident(home: &Path, config: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_incident"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("TZ", "UTC")
        .env("INCIDENT_AUTHOR", "bench")
        .env("INCIDENT_DB", home.join("check.db"))
        .env("INCIDENT_CONFIG", config)
        .stdin(Stdio::null());
    cmd
}

fn write(path: &Path, text: &str) {
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .expect("write a file");
}

fn kubeconfig(dir: &Path, name: &str, port: u16) -> PathBuf {
    let path = dir.join(format!("{name}.kubeconfig"));
    write(
        &path,
        &format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: {name}\nclusters:\n- name: {name}\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: bench\nusers:\n- name: bench\n  user:\n    token: bench-token\n"
        ),
    );
    path
}

/// A stand-in API server that answers every list with no items, after `delay`.
fn slow_api_server(delay: Duration) -> u16 {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("bind a loopback port");
    let port = server.server_addr().to_ip().expect("an IP address").port();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                let kind = if request.url().contains("/cronjobs") {
                    "CronJobList"
                } else if request.url().contains("/jobs") {
                    "JobList"
                } else if request.url().contains("/events") {
                    "EventList"
                } else {
                    "PodList"
                };
                let api = if kind == "CronJobList" || kind == "JobList" {
                    "batch/v1"
                } else {
                    "v1"
                };
                let body = format!(
                    r#"{{"apiVersion":"{api}","kind":"{kind}","metadata":{{}},"items":[]}}"#
                );
                let header = tiny_http::Header::from_bytes("Content-Type", "application/json")
                    .expect("a header");
                let _ = request.respond(tiny_http::Response::from_string(body).with_header(header));
            });
        }
    });
    port
}

/// A listener that takes connections (the kernel completes the handshake) and never answers.
fn black_hole() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().expect("an address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}
