//! The Alertmanager intake under a steady stream (issue 17 item 8): an open-loop client sends
//! 200 notifications a second for 60 s to the real `incident serve`, over 10 alert groups;
//! every 10 s each group really changes (one more alert firing) and every other notification
//! is a resend of what the group already sent, as Alertmanager's `group_interval` resends.
//!
//! `cargo bench --bench intake` (about 70 s once built; `INCIDENT_BENCH_INTAKE_SECS=20` for a
//! shorter run, changes every 10 s still).
//!
//! The baseline is `POST /api/v1/alertmanager/dry-run` on the same server: the intake's token
//! check, body read and payload parse, and no write. Its requests are interleaved with the
//! intake's (one every 2.5 ms, alternating), the same payloads, so both see the same server
//! and machine; each side runs at 200 a second. Open loop: a request is sent at its scheduled
//! time whether or not earlier ones have been answered (64 client threads with kept-alive
//! connections), and its latency counts from that scheduled time, so a stall shows as the
//! queue behind it (no coordinated omission).
//!
//! Checked: every request answered 200; the intake's outcomes are 10 `opened`, 10 × (changes
//! − 1) `updated` and the rest `unchanged`; the log holds 10 incidents, and its timeline
//! events are exactly those of the same distinct notifications sent once each, one after
//! another, to a second server (nothing lost, nothing added by a resend). Measured: p50 and
//! p99 per request on each route (goal: the intake's p99 within 5x of the baseline's), and the
//! server's resident memory (VmRSS) at 10 s and at the end (goal: within 5 MB).

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

const GROUPS: usize = 10;
const RATE: u64 = 200;
const CHANGE_EVERY: Duration = Duration::from_secs(10);
const CLIENTS: usize = 64;
const TOKEN: &str = "bench-intake-token_0";
const INTAKE: &str = "/api/v1/alertmanager";
const DRY_RUN: &str = "/api/v1/alertmanager/dry-run";

fn main() {
    let secs: u64 = std::env::var("INCIDENT_BENCH_INTAKE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let home = dir.path();
    let server = Server::start(home, "stream");
    println!(
        "incident serve on 127.0.0.1:{} (pid {}); {RATE} notifications/s for {secs} s over \
         {GROUPS} groups, a change per group every {} s, the dry-run baseline interleaved",
        server.port,
        server.child.id(),
        CHANGE_EVERY.as_secs()
    );

    let (samples, rss) = stream(&server, secs);
    let outcomes = count_outcomes(&samples);
    let stream_db = server.stop();

    let changes = usize::try_from(secs.div_ceil(CHANGE_EVERY.as_secs())).unwrap();
    let reference = Server::start(home, "reference");
    for version in 0..changes {
        for group in 0..GROUPS {
            let (status, _) = post(&agent(), reference.port, INTAKE, &payload(group, version));
            assert_eq!(status, 200);
        }
    }
    let reference_db = reference.stop();

    println!("\nintake outcomes: {outcomes:?}");
    assert_eq!(outcomes.get("opened"), Some(&GROUPS), "{outcomes:?}");
    assert_eq!(
        outcomes.get("updated").copied().unwrap_or(0),
        GROUPS * (changes - 1),
        "{outcomes:?}"
    );
    let (incidents, events) = log_summary(&stream_db);
    let (ref_incidents, ref_events) = log_summary(&reference_db);
    println!(
        "log: {incidents} incidents, events by kind {events:?}; the distinct notifications sent \
         once: {ref_incidents} incidents, {ref_events:?}"
    );
    assert_eq!(incidents, GROUPS as i64);
    assert_eq!((incidents, &events), (ref_incidents, &ref_events));

    print_table(&samples);
    let (at_10, at_end) = rss;
    println!(
        "\nresident memory (VmRSS) of the server: {:.1} MB at 10 s, {:.1} MB at {secs} s \
         (difference {:+.1} MB; goal within 5 MB)",
        at_10 as f64 / 1024.0,
        at_end as f64 / 1024.0,
        (at_end as f64 - at_10 as f64) / 1024.0
    );
}

/// One request's route, scheduled time offset, latency and answer.
struct Sample {
    route: &'static str,
    latency: Duration,
    status: u16,
    outcome: String,
}

/// The open loop: request `i` is due at `i` × 2.5 ms, intake and dry-run alternating; the
/// notification for group `i/2 % GROUPS` carries that group's version for the time it is due.
/// Returns every sample and VmRSS (kB) at 10 s and at the end.
fn stream(server: &Server, secs: u64) -> (Vec<Sample>, (u64, u64)) {
    let tick = Duration::from_nanos(1_000_000_000 / (2 * RATE));
    let total = 2 * RATE * secs;
    let (tx, rx) = mpsc::channel::<(u64, Instant)>();
    let rx = Arc::new(Mutex::new(rx));
    let samples = Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
    let port = server.port;
    let start = Instant::now();
    let workers: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (rx, samples) = (rx.clone(), samples.clone());
            std::thread::spawn(move || {
                let agent = agent();
                loop {
                    let job = rx.lock().unwrap().recv();
                    let Ok((i, due)) = job else { break };
                    let route = if i % 2 == 0 { INTAKE } else { DRY_RUN };
                    let group = ((i / 2) % GROUPS as u64) as usize;
                    let version = (due - start).as_secs() / CHANGE_EVERY.as_secs();
                    let body = payload(group, version as usize);
                    let (status, text) = post(&agent, port, route, &body);
                    let latency = due.elapsed();
                    let outcome = serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| v["outcome"].as_str().map(str::to_string))
                        .unwrap_or(text);
                    samples.lock().unwrap().push(Sample {
                        route,
                        latency,
                        status,
                        outcome,
                    });
                }
            })
        })
        .collect();
    let mut rss_at_10 = 0;
    for i in 0..total {
        let due = start + tick * u32::try_from(i).unwrap();
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if rss_at_10 == 0 && due - start >= Duration::from_secs(10) {
            rss_at_10 = vm_rss(server.child.id());
        }
        tx.send((i, due)).unwrap();
    }
    drop(tx);
    for w in workers {
        w.join().unwrap();
    }
    let rss_end = vm_rss(server.child.id());
    let samples = Arc::try_unwrap(samples).ok().unwrap().into_inner().unwrap();
    assert_eq!(samples.len() as u64, total, "every request answered");
    let late = start.elapsed().as_secs_f64() - secs as f64;
    println!("the stream ended {late:.2} s after its last request was due");
    (samples, (rss_at_10, rss_end))
}

fn count_outcomes(samples: &[Sample]) -> BTreeMap<String, usize> {
    let mut outcomes = BTreeMap::new();
    for s in samples {
        assert_eq!(
            s.status, 200,
            "{} answered {}: {}",
            s.route, s.status, s.outcome
        );
        if s.route == INTAKE {
            *outcomes.entry(s.outcome.clone()).or_insert(0) += 1;
        } else {
            assert_eq!(s.outcome, "dry-run");
        }
    }
    outcomes
}

fn print_table(samples: &[Sample]) {
    let ms = |route: &str| -> Vec<Duration> {
        samples
            .iter()
            .filter(|s| s.route == route)
            .map(|s| s.latency)
            .collect()
    };
    let pct = |d: &[Duration], p: f64| {
        let mut v: Vec<f64> = d.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        v.sort_by(f64::total_cmp);
        v[((v.len() as f64 - 1.0) * p).round() as usize]
    };
    let (intake, dry) = (ms(INTAKE), ms(DRY_RUN));
    println!("\n| route | requests | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|");
    for (name, d) in [(INTAKE, &intake), (DRY_RUN, &dry)] {
        println!(
            "| `POST {name}` | {} | {:.2} | {:.2} | {:.2} |",
            d.len(),
            pct(d, 0.5),
            pct(d, 0.99),
            pct(d, 1.0)
        );
    }
    println!(
        "| ratio | | {:.2} | {:.2} (goal ≤ 5) | |",
        pct(&intake, 0.5) / pct(&dry, 0.5),
        pct(&intake, 0.99) / pct(&dry, 0.99)
    );
}

/// Group `group`'s notification at `version`: alerts 0 to `version` firing (one more per
/// change), the same severity, so a change is exactly one alert starting to fire.
fn payload(group: usize, version: usize) -> String {
    let alertname = format!("Bench_Stale-{group}");
    let alerts: Vec<serde_json::Value> = (0..=version)
        .map(|k| {
            serde_json::json!({
                "status": "firing",
                "labels": {
                    "alertname": alertname,
                    "instance": format!("collector-{k} (10.0.{group}.{k})"),
                    "namespace": "crypto-data_collection",
                    "severity": "warning",
                },
                "annotations": {
                    "summary": format!("No new rows in price_data <script> for {k}h"),
                },
                "startsAt": format!("2026-12-05T11:{:02}:00Z", k),
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "",
                "fingerprint": format!("{group:04x}{k:012x}"),
            })
        })
        .collect();
    serde_json::json!({
        "receiver": "incident",
        "status": "firing",
        "alerts": alerts,
        "groupLabels": { "alertname": alertname },
        "commonLabels": { "alertname": alertname, "namespace": "crypto-data_collection", "severity": "warning" },
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "version": "4",
        "groupKey": format!("{{}}:{{alertname=\"{alertname}\"}}"),
        "truncatedAlerts": 0,
    })
    .to_string()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .max_idle_connections_per_host(CLIENTS)
        .build()
        .into()
}

fn post(agent: &ureq::Agent, port: u16, route: &str, body: &str) -> (u16, String) {
    let mut r = agent
        .post(&format!("http://127.0.0.1:{port}{route}"))
        .header("Content-Type", "application/json")
        .header("Authorization", &format!("Bearer {TOKEN}"))
        .send(body)
        .expect("the server answers");
    let status = r.status().as_u16();
    (status, r.body_mut().read_to_string().unwrap_or_default())
}

/// VmRSS of `pid`, kB.
fn vm_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// Incidents, and timeline events by kind.
fn log_summary(db: &Path) -> (i64, BTreeMap<String, i64>) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let incidents = conn
        .query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))
        .unwrap();
    let mut stmt = conn
        .prepare("SELECT kind, count(*) FROM events GROUP BY kind")
        .unwrap();
    let events = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (incidents, events)
}

struct Server {
    child: Child,
    port: u16,
    db: PathBuf,
}

impl Server {
    /// `incident serve` on a free port with its own log `NAME.db`, the intake token set.
    fn start(home: &Path, name: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = home.join(format!("{name}.toml"));
        std::fs::write(&config, "[intake]\ntoken = \"${AM_TOKEN}\"\n").unwrap();
        let db = home.join(format!("{name}.db"));
        let mut cmd = child(BIN, home);
        cmd.arg("--db")
            .arg(&db)
            .arg("--config")
            .arg(&config)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("AM_TOKEN", TOKEN)
            .stderr(Stdio::null());
        let child = cmd.spawn().expect("start incident serve");
        let server = Server { child, port, db };
        let started = Instant::now();
        while ureq::get(&format!("http://127.0.0.1:{port}/healthz"))
            .call()
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "serve did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// Stops the server (SIGTERM, as Kubernetes does) and returns its log.
    fn stop(mut self) -> PathBuf {
        let pid = self.child.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        self.child.wait().unwrap();
        self.db
    }
}
