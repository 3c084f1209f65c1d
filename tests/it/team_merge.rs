//! Working copies that worked apart and synced through the real PostgreSQL show the same
//! incidents, byte for byte: events merged by identity, status replayed in event-time order,
//! fields last-recorded-wins, provisional numbers replaced by the team's, and status changes
//! made apart that cannot both hold marked as conflicts wherever the timeline is read.

use crate::common::Env;
use crate::team::TeamDb;
use serde_json::Value;

/// A responder's working copy of `db`'s team log, with its own author.
pub(crate) fn copy(db: &TeamDb, author: &str) -> Env {
    let mut env = db.env();
    env.author = author.into();
    env
}

/// Runs a command on `env` at `now` and insists it succeeds.
pub(crate) fn at(env: &mut Env, now: &str, args: &[&str]) -> String {
    env.at(now);
    let run = env.run(args);
    assert_eq!(run.code, 0, "{args:?} at {now}: {}", run.stderr);
    run.stderr
}

/// Every copy syncs, in order, `rounds` times; returns each sync's JSON, in order.
fn sync_all(copies: &mut [&mut Env], now: &str, rounds: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for _ in 0..rounds {
        for env in copies.iter_mut() {
            env.at(now);
            out.push(env.json(&["sync", "--json"]));
        }
    }
    out
}

/// Runs `args` on `env` offline (what is here, no pull) at `now`; its stdout.
pub(crate) fn read(env: &Env, now: &str, args: &[&str]) -> String {
    let mut full = vec!["--offline"];
    full.extend_from_slice(args);
    let out = env
        .command(&full)
        .env("INCIDENT_NOW", now)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// What each copy shows of the whole log — `list --json`, and `show N --json` of every
/// incident listed — asserted identical on every copy, byte for byte; the first copy's.
pub(crate) fn assert_identical(copies: &[&Env], now: &str) -> (Value, Vec<Value>) {
    let mut first: Option<(String, Vec<String>)> = None;
    for (n, env) in copies.iter().enumerate() {
        let list = read(env, now, &["list", "--json"]);
        let numbers: Vec<String> = serde_json::from_str::<Value>(&list)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["number"].to_string().trim_matches('"').to_string())
            .collect();
        let shows: Vec<String> = numbers
            .iter()
            .map(|number| read(env, now, &["show", number, "--json"]))
            .collect();
        match &first {
            None => first = Some((list, shows)),
            Some((list0, shows0)) => {
                assert_eq!(&list, list0, "list --json of copy {n} differs from copy 0");
                assert_eq!(shows.len(), shows0.len());
                for (a, b) in shows.iter().zip(shows0) {
                    assert_eq!(a, b, "show --json of copy {n} differs from copy 0");
                }
            }
        }
    }
    let (list, shows) = first.unwrap();
    (
        serde_json::from_str(&list).unwrap(),
        shows
            .iter()
            .map(|s| serde_json::from_str(s).unwrap())
            .collect(),
    )
}

/// Alice and Bob, with the network gone, work on incident 1 and Bob opens one of his own:
/// notes (one dated before the declaration, one written down days later), an acknowledgement,
/// and the root cause set by both (Alice's recorded last).
fn work_apart(alice: &mut Env, bob: &mut Env) {
    // Apart: the network is gone for both.
    at(alice, "2026-11-29T10:05:00Z", &["--offline", "ack", "1"]);
    at(
        alice,
        "2026-11-29T10:06:00Z",
        &[
            "--offline",
            "note",
            "1",
            "upstream=10.0.0.5:8080 → 502 (req_id=a1_b-2)
retry_after=30s",
        ],
    );
    at(
        bob,
        "2026-11-29T10:06:00Z",
        &[
            "--offline",
            "note",
            "1",
            "--at",
            "2026-11-29T09:40:00Z",
            "p99 12s on checkout-svc (pod checkout-7f9c-x2), before anyone was paged",
        ],
    );
    at(
        bob,
        "2026-11-29T10:07:00Z",
        &[
            "--offline",
            "update",
            "1",
            "--root-cause",
            "pool exhausted after deploy",
        ],
    );
    at(
        bob,
        "2026-11-29T10:08:00Z",
        &[
            "--offline",
            "open",
            "P3",
            "Grafana panel slow (dashboards-ü)",
        ],
    );
    let listed: Value =
        serde_json::from_str(&read(bob, "2026-11-29T10:08:00Z", &["list", "--json"])).unwrap();
    assert_eq!(listed[0]["number"], "L1", "newest first: {listed}");
    assert_eq!(listed[1]["number"], 1, "{listed}");
    let shown = read(bob, "2026-11-29T10:08:00Z", &["list"]);
    assert!(
        shown.contains("L1"),
        "offline, a provisional number: {shown}"
    );
    // Recorded after bob's, so it is the root cause on every copy.
    at(
        alice,
        "2026-11-29T10:20:00Z",
        &[
            "--offline",
            "update",
            "1",
            "--root-cause",
            "DB pool of 10 too small for 6 replicas",
        ],
    );
    // Written down days later, dated back to when it happened.
    at(
        alice,
        "2026-12-01T08:00:00Z",
        &[
            "--offline",
            "note",
            "1",
            "--at",
            "2026-11-29T10:30:00Z",
            "raised pool to 40; 502s stopped",
        ],
    );
}

#[test]
fn two_copies_that_worked_apart_show_the_same_log_after_syncing() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    let mut bob = copy(&db, "bob");
    at(&mut alice, "2026-11-29T10:00:00Z", &["team", "init"]);
    // Opened while the team log is reachable: team incident 1 at once.
    at(
        &mut alice,
        "2026-11-29T10:00:00Z",
        &[
            "open",
            "P2",
            "Checkout 502s (ingress-nginx)",
            "--detected",
            "-8m",
            "--started",
            "-30m",
        ],
    );
    at(&mut bob, "2026-11-29T10:01:00Z", &["sync"]);
    work_apart(&mut alice, &mut bob);
    let syncs = sync_all(&mut [&mut alice, &mut bob], "2026-12-01T09:00:00Z", 2);
    // Bob's offline incident got the team's next number at his first sync.
    assert_eq!(
        syncs[1]["numbered"],
        serde_json::json!([["L1", 2]]),
        "{}",
        syncs[1]
    );
    assert_eq!(
        syncs[1]["pulled"], 4,
        "alice's ack, update and notes: {}",
        syncs[1]
    );
    assert_eq!(
        syncs[2]["pulled"], 3,
        "bob's note, update, opening: {}",
        syncs[2]
    );
    assert_eq!(syncs[3]["pulled"], 0, "nothing left: {}", syncs[3]);
    for s in &syncs {
        assert_eq!(
            (s["waiting"].as_i64(), s["conflicts"].as_i64()),
            (Some(0), Some(0)),
            "{s}"
        );
    }
    let (list, shows) = assert_identical(&[&alice, &bob], "2026-12-01T09:00:00Z");
    let numbers: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["number"])
        .collect();
    assert_eq!(numbers, [&Value::from(2), &Value::from(1)]);
    let one = &shows[1];
    assert_eq!(one["status"], "INVESTIGATING");
    assert_eq!(one["root_cause"], "DB pool of 10 too small for 6 replicas");
    assert_eq!(one["acknowledged_at"], "2026-11-29T10:05:00Z");
    let texts: Vec<&str> = one["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["author"].as_str().unwrap())
        .collect();
    // In event-time order: bob's note from before the declaration comes first.
    assert_eq!(
        texts,
        ["bob", "alice", "alice", "alice", "bob", "alice", "alice"],
        "{one}"
    );
    // Bob's L1 still names it on his machine.
    let by_local: Value = serde_json::from_str(&read(
        &bob,
        "2026-12-01T09:00:00Z",
        &["show", "L1", "--json"],
    ))
    .unwrap();
    assert_eq!(by_local["number"], 2);
    assert_eq!(by_local["title"], "Grafana panel slow (dashboards-ü)");
}

#[test]
fn three_copies_converge_whatever_order_they_sync_in() {
    let Some(db) = TeamDb::new() else { return };
    let mut a = copy(&db, "alice");
    let mut b = copy(&db, "bob");
    let mut c = copy(&db, "carol_ops-2");
    at(&mut a, "2026-11-29T10:00:00Z", &["team", "init"]);
    at(
        &mut a,
        "2026-11-29T10:00:00Z",
        &["open", "P1", "Payments API 5xx (us-east-1)"],
    );
    for env in [&mut b, &mut c] {
        at(env, "2026-11-29T10:01:00Z", &["sync"]);
    }
    // All three apart; each writes in the same second as the others, and twice in one second.
    let t = "2026-11-29T10:10:00Z";
    at(
        &mut a,
        t,
        &[
            "--offline",
            "note",
            "1",
            "ERROR PaymentService: java.net.SocketTimeoutException: Read timed out\n\tat com.acme.pay.Client.call(Client.java:88)",
        ],
    );
    at(&mut a, t, &["--offline", "update", "1", "--severity", "P2"]);
    at(
        &mut b,
        t,
        &[
            "--offline",
            "note",
            "1",
            "SELECT count(*) FROM payments WHERE state='stuck' → 1,204",
        ],
    );
    at(
        &mut b,
        t,
        &[
            "--offline",
            "note",
            "1",
            "key=value id=pay_7f-3 ip=10.1.2.3",
        ],
    );
    at(&mut c, t, &["--offline", "ack", "1"]);
    at(&mut c, t, &["--offline", "open", "P3", "Stale FX rates"]);
    at(
        &mut a,
        "2026-11-29T10:12:00Z",
        &["--offline", "open", "P2", "Queue backlog"],
    );
    // Sync in an order that makes each copy pull the others' work at different times.
    let now = "2026-11-29T11:00:00Z";
    for env in [&c, &a, &b, &c, &a] {
        let out = env
            .command(&["sync", "--json"])
            .env("INCIDENT_NOW", now)
            .output()
            .unwrap();
        let s: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(s["conflicts"], 0, "{s}");
    }
    let (list, shows) = assert_identical(&[&a, &b, &c], now);
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
    let one = shows.iter().find(|s| s["number"] == 1).unwrap();
    assert_eq!(one["timeline"].as_array().unwrap().len(), 6, "{one}");
    assert_eq!(one["status"], "INVESTIGATING");
}

#[test]
fn status_changes_made_apart_that_cannot_both_hold_are_kept_and_marked_as_conflicts() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    let mut bob = copy(&db, "bob");
    at(&mut alice, "2026-11-29T10:00:00Z", &["team", "init"]);
    at(
        &mut alice,
        "2026-11-29T10:00:00Z",
        &["open", "P2", "Checkout 502s"],
    );
    at(&mut alice, "2026-11-29T10:05:00Z", &["ack", "1"]);
    at(&mut bob, "2026-11-29T10:06:00Z", &["sync"]);
    // Apart: alice resolves and closes; bob, not knowing, resolves it his own way.
    at(
        &mut alice,
        "2026-11-29T10:30:00Z",
        &[
            "--offline",
            "resolve",
            "1",
            "--root-cause",
            "pool exhausted",
            "--resolution",
            "pool 10 → 40",
        ],
    );
    at(
        &mut alice,
        "2026-11-29T10:40:00Z",
        &["--offline", "close", "1"],
    );
    at(
        &mut bob,
        "2026-11-29T10:35:00Z",
        &[
            "--offline",
            "resolve",
            "1",
            "--root-cause",
            "bad deploy",
            "--resolution",
            "rolled back v2.3.1",
        ],
    );
    let syncs = sync_all(&mut [&mut alice, &mut bob], "2026-11-29T11:00:00Z", 2);
    assert_eq!(
        syncs[1]["conflicts"], 1,
        "bob's pull finds it: {}",
        syncs[1]
    );
    assert_eq!(syncs[2]["conflicts"], 1, "and alice's: {}", syncs[2]);
    let (_, shows) = assert_identical(&[&alice, &bob], "2026-11-29T11:00:00Z");
    let one = &shows[0];
    // Alice's resolve came first in event time, and her close holds.
    assert_eq!(one["status"], "CLOSED", "{one}");
    assert_eq!(one["resolved_at"], "2026-11-29T10:30:00Z");
    // Fields: the last recorded wins (bob's, at 10:35).
    assert_eq!(one["resolution"], "rolled back v2.3.1");
    let marked: Vec<&Value> = one["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["conflict"] == true)
        .collect();
    assert_eq!(marked.len(), 1, "{one}");
    assert_eq!(marked[0]["author"], "bob");
    assert_eq!(marked[0]["would_set"], "RESOLVED");
    assert_eq!(marked[0]["at"], "2026-11-29T10:35:00Z");
    // Every reading says so: show, the post-mortem, the incident log, the Markdown export.
    for args in [
        vec!["show", "1"],
        vec!["postmortem", "1"],
        vec!["postmortem", "1", "--format", "html"],
        vec!["log", "1"],
        vec!["export", "--format", "md", "1"],
    ] {
        for env in [&alice, &bob] {
            let out = read(env, "2026-11-29T11:00:00Z", &args);
            assert!(
                out.contains("conflict: recorded apart") && out.contains("would set RESOLVED"),
                "{args:?}: {out}"
            );
        }
    }
}

#[test]
fn an_opening_written_before_events_had_detail_reaches_teammates_whole() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    let mut bob = copy(&db, "bob");
    at(&mut alice, "2026-11-29T10:00:00Z", &["team", "init"]);
    at(
        &mut alice,
        "2026-11-29T10:00:00Z",
        &[
            "--offline",
            "open",
            "P2",
            "Stale prices",
            "--detected",
            "-20m",
            "--description",
            "prices 4h old (feed_id=px-7, 10.0.3.4)",
        ],
    );
    // As an opening written before version 9 is stored: no detail; the row has the rest.
    let conn = rusqlite::Connection::open(alice.db()).unwrap();
    conn.execute_batch(
        "DROP TRIGGER events_no_update;
         UPDATE events SET detail = NULL WHERE kind = 'opened';
         CREATE TRIGGER events_no_update BEFORE UPDATE ON events
         WHEN NOT EXISTS (SELECT 1 FROM purges WHERE event_uuid = OLD.uuid)
         BEGIN
             SELECT RAISE(ABORT, 'timeline events are append-only');
         END;",
    )
    .unwrap();
    drop(conn);
    sync_all(&mut [&mut alice, &mut bob], "2026-11-29T10:05:00Z", 1);
    let (_, shows) = assert_identical(&[&alice, &bob], "2026-11-29T10:05:00Z");
    assert_eq!(
        shows[0]["description"],
        "prices 4h old (feed_id=px-7, 10.0.3.4)"
    );
    assert_eq!(shows[0]["detected_at"], "2026-11-29T09:40:00Z");
}

/// A TCP proxy to `upstream` that holds every request `delay` before passing it on: a team log
/// `delay` away per round trip (answers flow back at once).
fn slow_proxy(upstream: std::net::SocketAddr, delay: std::time::Duration) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let Ok(mut server) = std::net::TcpStream::connect(upstream) else {
                return;
            };
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut s2, &mut c2);
                let _ = c2.shutdown(std::net::Shutdown::Both);
            });
            // Latency, not a queue: each request goes on `delay` after it arrived, so requests
            // sent together stay together.
            let (tx, rx) = std::sync::mpsc::channel::<(std::time::Instant, Vec<u8>)>();
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                while let Ok(n) = client.read(&mut buf) {
                    if n == 0
                        || tx
                            .send((std::time::Instant::now(), buf[..n].to_vec()))
                            .is_err()
                    {
                        break;
                    }
                }
            });
            std::thread::spawn(move || {
                for (arrived, bytes) in rx {
                    let due = arrived + delay;
                    std::thread::sleep(due.saturating_duration_since(std::time::Instant::now()));
                    if server.write_all(&bytes).is_err() {
                        break;
                    }
                }
                let _ = server.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    port
}

#[test]
fn an_implicit_pull_stops_at_its_budget_and_says_what_is_left() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    at(&mut alice, "2026-11-29T10:00:00Z", &["team", "init"]);
    at(
        &mut alice,
        "2026-11-29T10:00:00Z",
        &["open", "P1", "Kafka consumer lag (orders-v2)"],
    );
    let id = alice.json(&["show", "1", "--json"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    // 30,000 notes from a busy teammate, straight into the team log.
    db.sql(&format!(
        "INSERT INTO {s}.events (uuid, incident_uuid, at, recorded_at, author, kind, text, client_id)
         SELECT gen_random_uuid(), '{id}', '2026-11-29T10:01:00Z', '2026-11-29T10:01:00Z',
                'carol', 'note', 'lag=' || n || ' partition=orders-v2-' || (n % 12) || ' (broker 10.0.4.' || (n % 5) || ')',
                gen_random_uuid()
         FROM generate_series(1, 30000) AS n",
        s = db.schema
    ))
    .unwrap();
    // Bob's copy reaches the team log 150 ms away, with a one-second timeout:
    // connecting and the first batch use up the budget.
    let url = db.url.replace("127.0.0.1:5432", "127.0.0.1:{port}");
    let upstream: std::net::SocketAddr = "127.0.0.1:5432".parse().unwrap();
    let port = slow_proxy(upstream, std::time::Duration::from_millis(150));
    let bob = Env::new();
    bob.write_config(&format!(
        "[team]\nurl = \"{}\"\nschema = \"{}\"\ntimeout = \"1s\"\n",
        url.replace("{port}", &port.to_string()),
        db.schema
    ));
    let started = std::time::Instant::now();
    let list = bob.run(&["list"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(
        list.stderr
            .contains(" of 30,001 events; `incident sync` for the rest"),
        "{}",
        list.stderr
    );
    assert!(
        list.stdout.contains("Kafka consumer lag"),
        "{}",
        list.stdout
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let left: Value = bob.json(&["--offline", "show", "1", "--json"]);
    let pulled = left["timeline"].as_array().unwrap().len();
    assert!(pulled < 30_001, "{pulled}");
    // `incident sync` brings the rest.
    let out = bob
        .command(&["sync", "--json"])
        .env("INCIDENT_TEAM_URL", &db.url)
        .output()
        .unwrap();
    let sync: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        sync["pulled"].as_u64().unwrap() as usize,
        30_001 - pulled,
        "{sync}"
    );
    let all: Value = bob.json(&["--offline", "show", "1", "--json"]);
    assert_eq!(all["timeline"].as_array().unwrap().len(), 30_001);
}

#[test]
fn events_from_a_clock_ahead_of_this_one_are_pulled_as_they_are() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    let mut bob = copy(&db, "bob");
    at(&mut alice, "2026-11-29T10:00:00Z", &["team", "init"]);
    at(
        &mut alice,
        "2026-11-29T10:00:00Z",
        &["open", "P2", "DNS flaps (coredns-5d78c)"],
    );
    // Bob's clock runs two hours ahead of Alice's.
    at(&mut bob, "2026-11-29T12:00:00Z", &["sync"]);
    at(&mut bob, "2026-11-29T12:00:00Z", &["ack", "1"]);
    at(
        &mut bob,
        "2026-11-29T12:01:00Z",
        &["note", "1", "coredns OOMKilled (limit 170Mi)"],
    );
    let pulled = at(&mut alice, "2026-11-29T10:05:00Z", &["show", "1"]);
    assert!(!pulled.contains("error"), "{pulled}");
    let one = alice.json(&["--offline", "show", "1", "--json"]);
    assert_eq!(one["acknowledged_at"], "2026-11-29T12:00:00Z");
    assert_eq!(one["timeline"].as_array().unwrap().len(), 3, "{one}");
    // Here, a status change cannot be dated before what came before it, even from the future.
    alice.at("2026-11-29T10:06:00Z");
    let early = alice.run(&[
        "--offline",
        "resolve",
        "1",
        "--root-cause",
        "x",
        "--resolution",
        "y",
    ]);
    assert_eq!(early.code, 1, "{}", early.stderr);
    assert!(
        early
            .stderr
            .contains("before the acknowledgement at 2026-11-29 12:00"),
        "{}",
        early.stderr
    );
}

#[test]
fn an_incident_the_team_has_not_numbered_yet_moves_by_export_and_import() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    at(&mut alice, "2026-11-29T10:00:00Z", &["team", "init"]);
    at(
        &mut alice,
        "2026-11-29T10:00:00Z",
        &[
            "--offline",
            "open",
            "P3",
            "Cert expires in 6d (api.example.com)",
        ],
    );
    let file = alice.home().join("out.json");
    at(
        &mut alice,
        "2026-11-29T10:01:00Z",
        &[
            "--offline",
            "export",
            "--all",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    // Into a copy without a team: its number in the file, 1.
    let solo = Env::new();
    let imported = solo.run(&["import", file.to_str().unwrap()]);
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    assert_eq!(
        solo.json(&["show", "1", "--json"])["title"],
        "Cert expires in 6d (api.example.com)"
    );
    // Into a copy that shares: provisional again, then numbered by the team.
    let mut bob = copy(&db, "bob");
    at(
        &mut bob,
        "2026-11-29T10:02:00Z",
        &["--offline", "import", file.to_str().unwrap()],
    );
    let synced: Value = {
        bob.at("2026-11-29T10:03:00Z");
        bob.json(&["sync", "--json"])
    };
    assert_eq!(
        synced["numbered"],
        serde_json::json!([["L1", 1]]),
        "{synced}"
    );
}

/// What a pull brings is searchable on the copy that pulled it, as on the copy that wrote it:
/// titles and root causes of incidents it never had, a title changed before the pull (its old
/// words gone), and a title changed after an earlier pull.
#[test]
fn a_pull_makes_what_it_brought_searchable() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    let mut bob = copy(&db, "bob");
    let now = "2026-11-29T10:00:00Z";
    at(&mut alice, now, &["team", "init"]);
    at(
        &mut alice,
        now,
        &["open", "P2", "Checkout 502s behind ingress-nginx"],
    );
    let cause = "connection pool exhausted by the retry storm";
    at(&mut alice, now, &["update", "1", "--root-cause", cause]);
    at(
        &mut alice,
        now,
        &[
            "update",
            "1",
            "--title",
            "Checkout 502s behind the payments gateway",
        ],
    );
    at(&mut bob, now, &["sync"]);
    let search = |env: &Env, word: &str| read(env, now, &["search", word]);
    for env in [&alice, &bob] {
        assert!(
            search(env, "gateway").contains("incident 1 "),
            "{}",
            search(env, "gateway")
        );
        assert!(
            search(env, "storm").contains("incident 1 "),
            "{}",
            search(env, "storm")
        );
        assert!(
            search(env, "ingress").trim().is_empty(),
            "{}",
            search(env, "ingress")
        );
    }
    at(
        &mut alice,
        now,
        &["update", "1", "--title", "Checkout 502s at the cdn edge"],
    );
    at(&mut bob, now, &["sync"]);
    for env in [&alice, &bob] {
        assert!(
            search(env, "edge").contains("incident 1 "),
            "{}",
            search(env, "edge")
        );
        assert!(
            search(env, "gateway").trim().is_empty(),
            "{}",
            search(env, "gateway")
        );
    }
}

#[test]
fn a_team_log_not_yet_migrated_shares_incidents_and_events_and_keeps_the_rest_waiting() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    let mut bob = copy(&db, "bob");
    // A team log created by a binary that knew version 1 only: its step and its meta rows.
    let s = &db.schema;
    db.sql(&format!(
        "CREATE SCHEMA {s}; {}
         INSERT INTO {s}.meta (key, value) VALUES ('version', '1'), ('min_binary', '0.1.0');",
        incident::team::schema::STEPS[0].sql.replace("{schema}", s)
    ))
    .unwrap();
    at(
        &mut alice,
        "2026-11-29T10:01:00Z",
        &["open", "P2", "Disk 91% on pg-0 (/var/lib/postgresql)"],
    );
    at(
        &mut alice,
        "2026-11-29T10:02:00Z",
        &["note", "1", "pg_wal 40G; archive_command failing (exit 1)"],
    );
    at(
        &mut alice,
        "2026-11-29T10:03:00Z",
        &["action", "add", "1", "Alert on archive failures"],
    );
    let syncs = sync_all(&mut [&mut alice, &mut bob], "2026-11-29T10:05:00Z", 1);
    assert_eq!(syncs[1]["pulled"], 3, "{}", syncs[1]);
    let shown = bob.json(&["--offline", "show", "1", "--json"]);
    assert_eq!(shown["timeline"].as_array().unwrap().len(), 3, "{shown}");
    // Once migrated, the action item follows with the next sync.
    at(&mut alice, "2026-11-29T10:06:00Z", &["team", "migrate"]);
    sync_all(&mut [&mut alice, &mut bob], "2026-11-29T10:07:00Z", 1);
    let actions = bob.json(&["--offline", "action", "list", "--json"]);
    assert_eq!(actions.as_array().unwrap().len(), 1, "{actions}");
    assert_eq!(actions[0]["id"], 1, "{actions}");
}
