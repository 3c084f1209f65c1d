//! An import validates like the write path: a file that plants what no command writes (an
//! incident without its opening, a timeline out of order, a time out of range or in the
//! future, an unknown kind, a status its events do not lead to) is refused with the incident
//! named and nothing imported; a refused import leaves the database and its WAL as they were,
//! and a database it had to create is gone again.

use crate::common::{Env, Run};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

pub fn on(env: &Env, db: &Path, args: &[&str]) -> Run {
    let mut all = vec!["--db", db.to_str().unwrap()];
    all.extend_from_slice(args);
    env.run(&all)
}

/// One incident as the commands write it, from open to close, with real-shaped text, an action
/// item and an attached log; returns the path of its export.
pub fn real_export(env: &mut Env, log: &[u8]) -> PathBuf {
    env.at("2026-11-29T08:00:00Z");
    env.run(&[
        "open",
        "P2",
        "Checkout 502s from api-gw-7f9c — “pay” path",
        "--at",
        "-20m",
        "--no-snapshot",
    ])
    .ok();
    env.at("2026-11-29T08:05:00Z");
    env.run(&["ack", "1"]).ok();
    env.run_stdin(
        &["note", "1", "-"],
        "upstream_connect_error reset_reason=overflow peer=10.42.7.19:8443\r\n\
         Traceback (most recent call last):\r\n  File \"/srv/pay/app.py\", line 88, in charge\r\n\
             raise GatewayTimeout(req_id='req_7f-9c_ü')\r\n",
    )
    .ok();
    env.run(&["update", "1", "--severity", "P1"]).ok();
    env.run(&[
        "action",
        "add",
        "1",
        "Raise api-gw memory limit to 1Gi (OOMKilled ×3)",
    ])
    .ok();
    env.run_stdin_bytes(&["attach", "1", "-", "--name", "api-gw.log"], log)
        .ok();
    env.at("2026-11-29T09:10:00Z");
    env.run(&[
        "resolve",
        "1",
        "--root-cause",
        "JWT cache grew without bound after v2.4.0",
        "--resolution",
        "rolled back to v2.3.1",
        "--no-snapshot",
    ])
    .ok();
    env.run(&["close", "1"]).ok();
    let file = env.home().join("real-export.json");
    env.run(&["export", "--all", "--out", file.to_str().unwrap()])
        .ok();
    file
}

pub fn a_log() -> Vec<u8> {
    let mut log = Vec::new();
    for i in 0..200 {
        log.extend_from_slice(
            format!("2026-11-29T08:{:02}:{:02}Z api-gw-7f9c level=error req_id=r-{i}_x upstream=10.0.3.{i} msg=\"reset\"\n", i / 60, i % 60)
                .as_bytes(),
        );
    }
    log
}

fn mutated(good: &Value, change: impl FnOnce(&mut Value)) -> String {
    let mut v = good.clone();
    change(&mut v);
    v.to_string()
}

/// Each file that plants what the write path never writes: what it is, its text, and what the
/// refusal says.
fn planted(good: &Value) -> Vec<(&'static str, String, &'static str)> {
    let far = "9999-12-31T00:00:00Z";
    vec![
        (
            "no events",
            mutated(good, |v| v["incidents"][0]["events"] = json!([])),
            "its timeline does not begin with its opening",
        ),
        (
            "no opening",
            mutated(good, |v| {
                v["incidents"][0]["events"]
                    .as_array_mut()
                    .unwrap()
                    .remove(0);
            }),
            "its timeline does not begin with its opening",
        ),
        (
            "opening second",
            mutated(good, |v| {
                v["incidents"][0]["events"]
                    .as_array_mut()
                    .unwrap()
                    .swap(0, 1);
            }),
            "its timeline does not begin with its opening",
        ),
        (
            "opened at the end of time",
            mutated(good, |v| {
                let i = &mut v["incidents"][0];
                for k in ["opened_at", "detected_at", "started_at"] {
                    i[k] = json!(far);
                }
                i["events"][0]["at"] = json!(far);
                i["events"][0]["detail"]["detected_at"] = json!(far);
                i["events"][0]["detail"]["started_at"] = json!(far);
            }),
            "is in the future (now is 2026-11-29T10:00:00Z)",
        ),
        (
            "a note before 1970",
            mutated(good, |v| {
                v["incidents"][0]["events"][2]["at"] = json!("1969-12-31T23:59:59Z");
            }),
            "'1969-12-31T23:59:59Z' is out of range",
        ),
        (
            "an event twice",
            mutated(good, |v| {
                let note = v["incidents"][0]["events"][2].clone();
                v["incidents"][0]["events"]
                    .as_array_mut()
                    .unwrap()
                    .push(note);
            }),
            "repeats event",
        ),
        (
            "an unknown kind",
            mutated(good, |v| {
                v["incidents"][0]["events"][2]["kind"] = json!("escalated")
            }),
            "unknown event kind 'escalated'",
        ),
        (
            "a status its events do not lead to",
            mutated(good, |v| {
                v["incidents"][0]["status"] = json!("INVESTIGATING")
            }),
            "its status is 'INVESTIGATING', but its timeline says 'CLOSED'",
        ),
    ]
    .into_iter()
    .chain(out_of_order(good))
    .collect()
}

/// Timelines in an order the write path never writes.
fn out_of_order(good: &Value) -> Vec<(&'static str, String, &'static str)> {
    vec![
        (
            "a note dated before the impact started",
            mutated(good, |v| {
                v["incidents"][0]["events"][2]["at"] = json!("2026-11-29T07:00:00Z");
            }),
            "before the impact started (2026-11-29T07:40:00Z)",
        ),
        (
            "an event dated after it was recorded",
            mutated(good, |v| {
                v["incidents"][0]["events"][2]["at"] = json!("2026-11-29T09:00:00Z");
            }),
            "after it was recorded (2026-11-29T08:05:00Z)",
        ),
        (
            "the resolution dated before the acknowledgement",
            mutated(good, |v| {
                let events = v["incidents"][0]["events"].as_array_mut().unwrap();
                let resolved = events.iter_mut().find(|e| e["new"] == "RESOLVED").unwrap();
                resolved["at"] = json!("2026-11-29T08:01:00Z");
                v["incidents"][0]["resolved_at"] = json!("2026-11-29T08:01:00Z");
            }),
            "before the status change it follows (2026-11-29T08:05:00Z)",
        ),
    ]
}

#[test]
fn a_file_that_plants_what_the_write_path_never_writes_is_refused() {
    let mut env = Env::new();
    let file = real_export(&mut env, &a_log());
    let good: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let uuid = good["incidents"][0]["uuid"].as_str().unwrap().to_string();
    env.at("2026-11-29T10:00:00Z");
    let target = env.home().join("team-copy.db");
    on(
        &env,
        &target,
        &["open", "P3", "Disk 91% on pg-0", "--no-snapshot"],
    )
    .ok();
    let before = env.db_bytes(&target);
    let cases = planted(&good);
    for (what, text, message) in cases {
        let path = env.home().join(format!("{}.json", what.replace(' ', "-")));
        std::fs::write(&path, &text).unwrap();
        let err = on(&env, &target, &["import", path.to_str().unwrap()])
            .err()
            .to_string();
        assert!(
            err.contains(&format!("incident 1 ({uuid})")),
            "{what}: {err}"
        );
        assert!(err.contains(message), "{what}: {err}");
        assert!(err.contains("nothing was imported"), "{what}: {err}");
        assert!(
            env.db_bytes(&target) == before,
            "{what}: the database changed"
        );
        // Into no database at all: none is left behind.
        let fresh = env.home().join("fresh/incidents.db");
        on(&env, &fresh, &["import", path.to_str().unwrap()]).err();
        for suffix in ["", "-wal", "-shm"] {
            let left = PathBuf::from(format!("{}{suffix}", fresh.display()));
            assert!(!left.exists(), "{what}: {} left behind", left.display());
        }
    }
    // An event whose identity is another incident's here.
    let local = on(&env, &target, &["show", "1", "--json"]);
    let theirs: Value = serde_json::from_str(local.ok()).unwrap();
    let taken = theirs["timeline"][0]["uuid"].as_str().unwrap().to_string();
    let path = env.home().join("taken-event.json");
    let text = mutated(&good, |v| {
        v["incidents"][0]["events"][2]["uuid"] = json!(taken)
    });
    std::fs::write(&path, text).unwrap();
    let err = on(&env, &target, &["import", path.to_str().unwrap()])
        .err()
        .to_string();
    assert!(
        err.contains(&format!(
            "incident 1 ({uuid}): event {taken} is already here, in another incident"
        )),
        "{err}"
    );
    assert!(env.db_bytes(&target) == before);
    // The file as exported goes in, and `log` renders it.
    on(&env, &target, &["import", file.to_str().unwrap()]).ok();
    let log = on(&env, &target, &["log", "2"]);
    assert!(log.ok().contains("Checkout 502s"), "{}", log.stdout);
}

/// Pseudo-random text that zstd cannot shrink much: the spilled pages of its import are many.
fn noisy_log(bytes: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::with_capacity(bytes + 100);
    while out.len() < bytes {
        let mut line = String::from("ts=2026-11-29T08:00:00Z pod=api-gw-7f9c trace=");
        for _ in 0..6 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            line.push_str(&format!("{x:016x}"));
        }
        line.push('\n');
        out.extend_from_slice(line.as_bytes());
    }
    out
}

#[test]
fn a_large_refused_import_leaves_no_wal_and_no_new_database() {
    let mut env = Env::new();
    let file = real_export(&mut env, &noisy_log(12 << 20));
    let good: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let bad = env.home().join("no-opening.json");
    std::fs::write(
        &bad,
        mutated(&good, |v| {
            v["incidents"][0]["events"]
                .as_array_mut()
                .unwrap()
                .remove(0);
        }),
    )
    .unwrap();
    let size = std::fs::metadata(&bad).unwrap().len();
    assert!(size > 5 << 20, "{size}");
    env.at("2026-11-29T10:00:00Z");
    let target = env.home().join("copy.db");
    on(
        &env,
        &target,
        &["open", "P3", "Disk 91% on pg-0", "--no-snapshot"],
    )
    .ok();
    {
        let conn = rusqlite::Connection::open(&target).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    }
    let before = env.db_bytes(&target);
    let err = on(&env, &target, &["import", bad.to_str().unwrap()])
        .err()
        .to_string();
    assert!(
        err.contains("its timeline does not begin with its opening"),
        "{err}"
    );
    let after = env.db_bytes(&target);
    assert_eq!(after.1.len(), before.1.len(), "the WAL it grew is gone");
    assert!(after == before, "the database changed");

    let fresh = env.home().join("new/incidents.db");
    on(&env, &fresh, &["import", bad.to_str().unwrap()]).err();
    for suffix in ["", "-wal", "-shm"] {
        let left = PathBuf::from(format!("{}{suffix}", fresh.display()));
        assert!(!left.exists(), "{} left behind", left.display());
    }
}
