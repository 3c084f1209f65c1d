//! What travels besides the timeline (issue 14, item 4): action items with team numbers,
//! snapshots, attached logs and command output (content-addressed chunks), and reminder
//! deliveries, through the real PostgreSQL. A teammate's copy shows, prints and searches what
//! the author's does; `[team] pull_logs = false` leaves the content on the team log until asked.

use crate::common::Env;
use crate::team::TeamDb;
use crate::team_merge::{at, copy, read};
use serde_json::Value;
use sha2::{Digest, Sha256};

const T0: &str = "2026-11-29T10:00:00Z";
const T1: &str = "2026-11-29T10:30:00Z";

/// A working copy of `db` with `extra` config after its `[team]` table.
fn configured(db: &TeamDb, author: &str, extra: &str) -> Env {
    let env = copy(db, author);
    env.write_config(&format!(
        "[team]\nurl = \"{}\"\nschema = \"{}\"\ntimeout = \"5s\"\n{extra}",
        db.url, db.schema
    ));
    env
}

/// A log as they come: stack traces, CRLF line ends, non-ASCII text, a 300 kB line (longer
/// than a chunk) and enough lines for several chunks.
fn real_log() -> Vec<u8> {
    let mut log = Vec::new();
    for i in 0..4000 {
        log.extend_from_slice(
            format!(
                "2026-11-29T09:{:02}:{:02}Z ERROR checkout: payment failed for order {i} — réessayer 🚨\r\n\
                 java.lang.IllegalStateException: pool exhausted\n\tat com.shop.Pay.charge(Pay.java:{i})\n\tat com.shop.Api.run(Api.java:7)\n",
                (i / 60) % 60,
                i % 60
            )
            .as_bytes(),
        );
    }
    log.extend(std::iter::repeat_n(b'x', 300_000));
    log.extend_from_slice(b"\nlast line without newline \xc3\xa9");
    log
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `logs N --attachment K` (or --command K) on `env`, as bytes.
fn log_bytes(env: &Env, number: &str, what: &str, k: &str) -> Vec<u8> {
    let out = env
        .command(&["logs", number, what, k])
        .env("INCIDENT_NOW", T1)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Alice's incident with everything besides events: a snapshot (a `[[command]]` collector),
/// two action items (one done), an attached log and a command run; returns its number.
fn alice_records(alice: &mut Env, log: &[u8]) -> String {
    at(alice, T0, &["team", "init"]);
    at(alice, T0, &["open", "P2", "Checkout down"]);
    let list: Value = alice.json(&["list", "--json"]);
    let number = list[0]["number"].to_string();
    at(
        alice,
        T0,
        &[
            "action",
            "add",
            &number,
            "Alert on pool exhaustion",
            "--owner",
            "bob",
            "--due",
            "+7d",
        ],
    );
    at(
        alice,
        T0,
        &[
            "action",
            "add",
            &number,
            "Write the runbook",
            "--kind",
            "process",
        ],
    );
    let path = alice.home().join("checkout.log");
    std::fs::write(&path, log).unwrap();
    at(alice, T0, &["attach", &number, path.to_str().unwrap()]);
    at(
        alice,
        T0,
        &[
            "exec",
            &number,
            "--",
            "sh",
            "-c",
            "echo out; echo 'err ü' >&2",
        ],
    );
    let actions: Value = alice.json(&["action", "list", "--json"]);
    let first = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["text"] == "Write the runbook")
        .unwrap()["id"]
        .to_string();
    at(alice, T1, &["action", "done", &first]);
    number
}

#[test]
fn action_items_snapshots_logs_and_command_output_reach_a_teammate_identical() {
    let Some(db) = TeamDb::new() else { return };
    let probe = "[[command]]\nname = \"probe\"\nrun = [\"sh\", \"-c\", \"echo 'pool: 0 free'\"]\n";
    let mut alice = configured(&db, "alice", probe);
    let mut bob = configured(&db, "bob", "");
    let log = real_log();
    let number = alice_records(&mut alice, &log);
    at(&mut bob, T1, &["sync"]);
    // Alice's copy numbered nothing provisionally: every number people type is the team's.
    let actions_a = read(&alice, T1, &["action", "list", "--json"]);
    let actions_b = read(&bob, T1, &["action", "list", "--json"]);
    assert_eq!(actions_a, actions_b);
    let ids: Vec<Value> = serde_json::from_str::<Value>(&actions_a)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].clone())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(
        ids.iter().all(Value::is_i64),
        "team numbers, not L numbers: {ids:?}"
    );
    let show_a = read(&alice, T1, &["show", &number, "--json"]);
    assert_eq!(show_a, read(&bob, T1, &["show", &number, "--json"]));
    let show: Value = serde_json::from_str(&show_a).unwrap();
    assert_eq!(show["actions"].as_array().map(Vec::len), Some(2), "{show}");
    assert_eq!(
        read(&alice, T1, &["postmortem", &number]),
        read(&bob, T1, &["postmortem", &number])
    );
    assert_eq!(
        read(&alice, T1, &["show", &number, "--snapshot", "1"]),
        read(&bob, T1, &["show", &number, "--snapshot", "1"])
    );
    assert_eq!(
        sha256(&log_bytes(&bob, &number, "--attachment", "1")),
        sha256(&log)
    );
    assert_eq!(
        log_bytes(&bob, &number, "--command", "1"),
        log_bytes(&alice, &number, "--command", "1")
    );
    // Bob completes alice's other item by its team number; alice sees it done.
    let other = serde_json::from_str::<Value>(&actions_b)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["done_at"].is_null())
        .unwrap()["id"]
        .to_string();
    at(&mut bob, T1, &["action", "done", &other]);
    at(&mut alice, T1, &["sync"]);
    assert_eq!(
        read(&alice, T1, &["action", "list", "--json"]),
        read(&bob, T1, &["action", "list", "--json"])
    );
    // Syncing again adds nothing twice.
    let again: Value = alice.json(&["sync", "--json"]);
    assert_eq!(again["pushed"], 0);
    let found = bob.run(&["search", "IllegalStateException", "--count"]);
    assert_eq!(found.code, 0, "{}", found.stderr);
    assert!(!found.stderr.contains("not searched"), "{}", found.stderr);
}

#[test]
fn with_pull_logs_false_others_logs_stay_on_the_team_log_until_asked_for() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = configured(&db, "alice", "");
    let mut carol = configured(&db, "carol", "");
    carol.write_config(&format!(
        "[team]\nurl = \"{}\"\nschema = \"{}\"\ntimeout = \"5s\"\npull_logs = false\n",
        db.url, db.schema
    ));
    let log = real_log();
    let number = alice_records(&mut alice, &log);
    at(&mut carol, T1, &["sync"]);
    let search = carol.run(&["search", "IllegalStateException"]);
    assert!(
        search
            .stderr
            .contains("2 logs of others not searched; incident sync --logs"),
        "{}",
        search.stderr
    );
    // Metadata is here: the list of logs names it with its size.
    let listing = read(&carol, T1, &["logs", &number]);
    assert!(listing.contains("checkout.log"), "{listing}");
    // Asked for, one is fetched, whole.
    assert_eq!(
        sha256(&log_bytes(&carol, &number, "--attachment", "1")),
        sha256(&log)
    );
    let search = carol.run(&["search", "IllegalStateException"]);
    assert!(
        search.stderr.contains("1 log of others not searched"),
        "{}",
        search.stderr
    );
    at(&mut carol, T1, &["sync", "--logs"]);
    let search = carol.run(&["search", "pool exhausted", "--count"]);
    assert!(!search.stderr.contains("not searched"), "{}", search.stderr);
    assert_eq!(
        log_bytes(&carol, &number, "--command", "1"),
        log_bytes(&alice, &number, "--command", "1")
    );
}

#[test]
fn a_reminder_one_copy_delivered_is_not_delivered_again_by_another() {
    let Some(db) = TeamDb::new() else { return };
    // A copy whose `mail` channel appends each message to its own inbox file.
    let mailbox = |author: &str| {
        let env = copy(&db, author);
        let inbox = env.home().join("inbox");
        env.write_config(&format!(
            "[team]\nurl = \"{}\"\nschema = \"{}\"\ntimeout = \"5s\"\n\
             [[notify]]\nname = \"mail\"\nkind = \"command\"\nrun = [\"sh\", \"-c\", \"cat >> '{}'\"]\ntimeout = \"5s\"\n",
            db.url,
            db.schema,
            inbox.display()
        ));
        (env, inbox)
    };
    let (mut alice, alice_inbox) = mailbox("alice");
    let (mut bob, bob_inbox) = mailbox("bob");
    at(&mut alice, T0, &["team", "init"]);
    at(
        &mut alice,
        "2026-11-29T09:40:00Z",
        &["open", "P1", "Data collection stopped"],
    );
    at(&mut bob, T0, &["sync"]);
    alice.at(T0);
    let first = alice.run(&["remind"]);
    assert_eq!(first.code, 2, "{}", first.stderr);
    let sent = std::fs::read_to_string(&alice_inbox).unwrap();
    assert!(sent.contains("response OVERDUE"), "{sent}");
    bob.at(T0);
    let second = bob.run(&["remind"]);
    assert_eq!(second.stdout, "", "{}", second.stderr);
    assert_eq!(std::fs::read_to_string(&bob_inbox).unwrap_or_default(), "");
}
