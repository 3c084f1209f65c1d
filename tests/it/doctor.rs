//! `incident doctor`: a healthy database and config pass (exit 0) and are left as they were;
//! each kind of damage — a broken reference, an incident without its opening, a time out of
//! range that an earlier version stored, a search index out of step, a large WAL, an
//! unreachable collector or channel — is named with its fix, and exit 1.

use crate::common::{Env, Run};
use crate::import_checks::{a_log, real_export};
use serde_json::Value;

fn doctor_json(env: &Env) -> (Run, Value) {
    let run = env.run(&["doctor", "--json"]);
    let v: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", run.stdout, run.stderr));
    (run, v)
}

/// Runs SQL on the database as another program (or an earlier version) would: triggers and
/// foreign keys are the schema's, so the SQL drops what it must.
fn tamper(env: &Env, sql: &str) {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn a_healthy_log_passes_and_doctor_changes_nothing() {
    let mut env = Env::new();
    real_export(&mut env, &a_log());
    env.run(&["open", "P3", "Disk 91% on pg-0", "--no-snapshot"])
        .ok();
    env.run(&["note", "2", "df -h: /var/lib/postgresql 91% ✓"])
        .ok();
    let before = env.db_bytes(&env.db());
    let run = env.run(&["doctor"]);
    let out = run.ok();
    for want in [
        "ok    integrity: PRAGMA integrity_check: ok",
        "ok    openings: every incident's timeline begins with its opening",
        "ok    times: every stored time lies between 1970-01-01 and 9999-12-31",
        "ok    search index: the search index matches what it indexes",
        "ok    wal: the WAL holds",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    assert!(out.ends_with("healthy\n"), "{out}");
    let (run, v) = doctor_json(&env);
    assert_eq!(run.code, 0);
    assert_eq!(v["healthy"], true);
    assert_eq!(v["schema_version"], incident::store::LATEST_VERSION);
    assert!(
        env.db_bytes(&env.db()) == before,
        "doctor wrote to the database"
    );
    // No database yet: nothing is wrong, and none is created.
    let fresh = Env::new();
    assert!(fresh.run(&["doctor"]).ok().contains("no database at"));
    assert!(!fresh.db().exists());
}

/// An out-of-range time an earlier version stored (`open --at -2030y`) no longer breaks the
/// log: every command reads its incident and the others, and doctor names the value.
#[test]
fn a_stored_time_out_of_range_is_read_clamped_and_named_by_doctor() {
    let env = Env::new();
    for title in [
        "Checkout 502s",
        "Replica lag 45s on pg-1",
        "Disk 91% on pg-0",
    ] {
        env.run(&["open", "P2", title, "--no-snapshot"]).ok();
    }
    env.run(&["note", "2", "lag=45s replica=pg-1 primary=10.0.4.2"])
        .ok();
    tamper(
        &env,
        "UPDATE incidents SET opened_at = '-2974-10-29T11:13:20Z',
                              detected_at = '-2974-10-29T11:13:20Z' WHERE number = 2;
         DROP TRIGGER events_no_update;
         UPDATE events SET at = '+10000-01-01T00:00:00Z' WHERE kind = 'note';",
    );
    let list = env.run(&["list"]);
    assert!(list.ok().contains("Replica lag 45s"), "{}", list.stdout);
    assert!(list.stdout.contains("Checkout 502s"));
    env.run(&["show", "1"]).ok();
    env.run(&["show", "3"]).ok();
    assert!(env.run(&["show", "2"]).ok().contains("lag=45s"));
    env.run(&["sla"]).ok();
    env.run(&["log", "2"]).ok();
    env.run(&["review", "--since", "-7d", "--until", "now"])
        .ok();
    let run = env.run(&["doctor"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    for want in [
        "FAIL  times: incident 2: incidents.opened_at (row 2) is '-2974-10-29T11:13:20Z', outside 1970-01-01..9999-12-31",
        "commands read it as 1970-01-01T00:00:00Z",
        "FAIL  times: incident 2: events.at (row 4) is '+10000-01-01T00:00:00Z'",
        "3 problems found",
    ] {
        assert!(run.stdout.contains(want), "{want}: {}", run.stdout);
    }
    let (_, v) = doctor_json(&env);
    assert_eq!(v["healthy"], false);
    let bad = &v["bad_times"][0];
    assert_eq!(bad["table"], "events");
    assert_eq!(bad["incident"], 2);
    assert_eq!(bad["value"], "+10000-01-01T00:00:00Z");
}

#[test]
fn damage_to_the_log_is_named_with_its_fix() {
    let env = Env::new();
    for title in [
        "Checkout 502s",
        "Replica lag 45s on pg-1",
        "Disk 91% on pg-0",
    ] {
        env.run(&["open", "P2", title, "--no-snapshot"]).ok();
    }
    env.run(&["note", "2", "replica=pg-1 lag=45s; WAL receiver restarted"])
        .ok();
    env.run(&[
        "update",
        "3",
        "--root-cause",
        "WAL archiving stuck on s3://pg-archive/ (403)",
    ])
    .ok();
    tamper(
        &env,
        "PRAGMA foreign_keys = OFF;
         DROP TRIGGER events_no_delete;
         DELETE FROM events WHERE kind = 'opened' AND incident_pk = (SELECT pk FROM incidents WHERE number = 2);
         INSERT INTO events (incident_pk, at, recorded_at, author, kind, text, uuid)
             VALUES (4242, '2026-11-29T10:00:00Z', '2026-11-29T10:00:00Z', 'mallory', 'note', 'orphan', 'e-orphan_1');
         UPDATE incidents SET root_cause = 'changed behind the index' WHERE number = 3;",
    );
    let run = env.run(&["doctor"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let out = &run.stdout;
    for want in [
        "FAIL  foreign keys: events row",
        "refers to a missing incidents row",
        "FAIL  openings: incident 2 (",
        "): its first event is not its opening",
        "FAIL  search index: incident 3: its root_cause is not indexed as it reads",
        "fix: ",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    // Every failed check comes with its fix, on the next line.
    let lines: Vec<&str> = out.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("FAIL") {
            assert!(lines[i + 1].starts_with("      fix: "), "{line}");
        }
    }
}

#[test]
fn a_large_wal_and_a_database_that_is_not_one_are_reported() {
    let env = Env::new();
    env.run(&["open", "P2", "Checkout 502s", "--no-snapshot"])
        .ok();
    // Another process holds the database with 2 MB it has not checkpointed.
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    conn.execute_batch("CREATE TABLE IF NOT EXISTS filler (x BLOB)")
        .ok();
    for _ in 0..8 {
        conn.execute("INSERT INTO filler (x) VALUES (zeroblob(262144))", [])
            .unwrap();
    }
    let run = env.run(&["doctor"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("FAIL  wal: the WAL holds"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("`incident gc`"), "{}", run.stdout);
    drop(conn);

    let text = env.home().join("notes.txt");
    std::fs::write(&text, "not a database\r\n").unwrap();
    let run = env.run(&["--db", text.to_str().unwrap(), "doctor"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("FAIL  database: ") && run.stdout.contains("is not an SQLite database"),
        "{}",
        run.stdout
    );
}

#[test]
fn each_collector_and_channel_is_tried_under_its_timeout() {
    let env = Env::new();
    // A port nothing listens on: bound, then released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listening = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listening.local_addr().unwrap().port();
    env.write_config(&format!(
        "[[command]]\nname = \"api-health\"\nrun = [\"sh\", \"-c\", \"echo status=ok\"]\ntimeout = \"5s\"\n\
         [[command]]\nname = \"broken_probe-2\"\nrun = [\"sh\", \"-c\", \"echo 'boom: exit 3' >&2; exit 3\"]\ntimeout = \"5s\"\n\
         [[notify]]\nname = \"pager\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{open}/hook\"\ntimeout = \"2s\"\n\
         [[notify]]\nname = \"gone\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{closed}/hook\"\ntimeout = \"2s\"\n\
         [[notify]]\nname = \"mail\"\nkind = \"command\"\nrun = [\"no-such-mailer-xyz\", \"-s\", \"x\"]\n"
    ));
    let run = env.run(&["doctor"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let out = &run.stdout;
    for want in [
        "ok    collector: command/api-health: reachable in",
        "(timeout 5.0s)",
        "FAIL  collector: command/broken_probe-2:",
        "ok    channel: pager: reachable in",
        "(timeout 2.0s)",
        &format!("FAIL  channel: gone: cannot connect to 127.0.0.1:{closed}"),
        "FAIL  channel: mail: cannot find the program 'no-such-mailer-xyz' to run",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    // Nothing was sent: the listening "webhook" saw a connection and no request.
    listening.set_nonblocking(true).unwrap();
    if let Ok((mut stream, _)) = listening.accept() {
        use std::io::Read;
        stream.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 16];
        assert!(
            !matches!(stream.read(&mut buf), Ok(n) if n > 0),
            "a request was sent"
        );
    }
    let (_, v) = doctor_json(&env);
    let reach = v["reachable"].as_array().unwrap();
    assert_eq!(reach.len(), 5);
    assert!(reach.iter().all(|r| r["timeout_ms"].as_u64().unwrap() > 0));
    assert!(!env.db().exists(), "doctor created no database");
}
