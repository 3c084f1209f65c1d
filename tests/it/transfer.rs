//! `incident export` and `incident import` end to end: a database carried to an empty one reads
//! back the same, importing twice changes nothing, taken numbers move, and a bad file is refused
//! with the database untouched.

use crate::common::{Env, Run};
use std::path::{Path, PathBuf};

const QUERIES: [&str; 6] = [
    "CrashLoopBackOff",
    "\"connection refused\"",
    "restarting",
    "disk",
    "health",
    "prices",
];

/// A log with invalid UTF-8, a line longer than a stored chunk, and no final newline.
fn awkward_log() -> Vec<u8> {
    let mut log = Vec::new();
    log.extend_from_slice(b"09:40 updater: connection refused by crypto_prices\n");
    log.extend_from_slice(b"09:41 binary \xff\xfe\x80 garbage\n");
    log.extend(std::iter::repeat_n(b'x', 1_500_000));
    log.extend_from_slice(b"\n09:42 last line without newline");
    log
}

/// Three incidents with everything there is to record: severities, ack, notes (one piped in,
/// several lines), field updates, resolve, close, reopen, action items (one done), snapshots
/// from a command collector, an awkward log attached to two incidents, and a failing command.
fn rich() -> Env {
    let mut env = Env::new();
    env.write_config(
        r#"
[[command]]
name = "health"
run = ["sh", "-c", "echo 'health score: 42'; echo 'prices stale'"]
"#,
    );
    open_three(&mut env);
    respond(&mut env);
    resolve_close_reopen(&mut env);
    env.at("2026-11-29T10:00:00Z");
    env
}

/// At 08:00: a P1 with a description and a detection time (and a snapshot), a P2 and a P3.
fn open_three(env: &mut Env) {
    env.at("2026-11-29T08:00:00Z");
    env.run(&[
        "open",
        "P1",
        "Data collection stopped",
        "--description",
        "crypto prices stale",
        "--detected",
        "2026-11-29T07:45:00Z",
    ])
    .ok();
    env.run(&["open", "P2", "Redis latency", "--no-snapshot"])
        .ok();
    env.run(&["open", "P3", "Slow dashboard", "--no-snapshot"])
        .ok();
}

/// At 08:10: an ack, notes (one piped in, one backdated), field updates, action items, the
/// awkward log attached twice, a failing command and a snapshot.
fn respond(env: &mut Env) {
    env.at("2026-11-29T08:10:00Z");
    env.run(&["ack", "1"]).ok();
    env.run(&["note", "1", "updater pod in CrashLoopBackOff"])
        .ok();
    env.run_stdin(
        &["note", "1", "-"],
        "kubectl says:\n  Back-off restarting\n",
    )
    .ok();
    env.run(&[
        "note",
        "2",
        "latency at 300 ms",
        "--at",
        "2026-11-29T08:05:00Z",
    ])
    .ok();
    env.run(&[
        "update",
        "1",
        "--severity",
        "P2",
        "--root-cause",
        "disk full",
    ])
    .ok();
    env.run(&[
        "action",
        "add",
        "1",
        "Alert on data age",
        "--owner",
        "bob",
        "--due",
        "2026-12-05",
    ])
    .ok();
    env.run(&[
        "action",
        "add",
        "2",
        "Write the runbook",
        "--kind",
        "process",
    ])
    .ok();
    let log = env.home().join("updater.log");
    std::fs::write(&log, awkward_log()).unwrap();
    env.run(&["attach", "1", log.to_str().unwrap()]).ok();
    env.run(&["attach", "2", log.to_str().unwrap(), "--name", "same.log"])
        .ok();
    let exec = env.run(&[
        "exec",
        "1",
        "--",
        "sh",
        "-c",
        "echo restarting updater; echo oops >&2; exit 3",
    ]);
    assert_eq!(exec.code, 3, "{}", exec.stderr);
    env.run(&["snapshot", "1"]).ok();
}

/// From 09:00: #1 resolved and closed, #2 resolved with its action done, #1 reopened.
fn resolve_close_reopen(env: &mut Env) {
    env.at("2026-11-29T09:00:00Z");
    env.run(&["resolve", "1", "--resolution", "cleaned the disk"])
        .ok();
    env.run(&["close", "1", "--prevention", "disk alerts"]).ok();
    env.run(&[
        "resolve",
        "2",
        "--root-cause",
        "big keys",
        "--resolution",
        "split them",
    ])
    .ok();
    env.run(&["action", "done", "2"]).ok();
    env.at("2026-11-29T09:30:00Z");
    env.run(&["reopen", "1", "--reason", "disk full again"])
        .ok();
}

/// Runs with the database at `db` instead of the default one.
fn on(env: &Env, db: &Path, args: &[&str]) -> Run {
    let mut all = vec!["--db", db.to_str().unwrap()];
    all.extend_from_slice(args);
    env.run(&all)
}

fn json_on(env: &Env, db: &Path, args: &[&str]) -> serde_json::Value {
    let run = on(env, db, args);
    serde_json::from_str(run.ok()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// Raw stdout bytes (logs hold invalid UTF-8).
fn bytes_on(env: &Env, db: &Path, args: &[&str]) -> Vec<u8> {
    let mut all = vec!["--db", db.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = env.command(&all).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Everything a user can read back about every incident.
fn views(env: &Env, db: &Path) -> Vec<(String, serde_json::Value)> {
    let mut out = vec![
        (
            "list".to_string(),
            json_on(env, db, &["list", "--limit", "0", "--json"]),
        ),
        (
            "actions".to_string(),
            json_on(env, db, &["action", "list", "--json"]),
        ),
    ];
    for n in 1..=3 {
        let n = n.to_string();
        out.push((
            format!("show {n}"),
            json_on(env, db, &["show", &n, "--json"]),
        ));
        let snaps = json_on(env, db, &["snapshot", &n, "--list", "--json"]);
        out.push((format!("snapshots of {n}"), snaps.clone()));
        for k in 1..=snaps.as_array().map_or(0, Vec::len) {
            let k = k.to_string();
            out.push((
                format!("snapshot {k} of {n}"),
                json_on(env, db, &["show", &n, "--snapshot", &k, "--json"]),
            ));
        }
    }
    for q in QUERIES {
        out.push((
            format!("search {q}"),
            json_on(env, db, &["search", q, "--json"]),
        ));
    }
    out
}

/// Every row of every table (the FTS index's own tables included), to compare databases.
fn dump(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table'
               AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut rows = Vec::new();
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = stmt.column_count();
        let mut q = stmt.query([]).unwrap();
        while let Some(row) = q.next().unwrap() {
            let values: Vec<String> = (0..columns)
                .map(|i| format!("{:?}", row.get::<_, rusqlite::types::Value>(i).unwrap()))
                .collect();
            rows.push(format!("{table}: {}", values.join(", ")));
        }
    }
    rows
}

fn exported(env: &Env) -> PathBuf {
    let file = env.home().join("export.json");
    let run = env.run(&["export", "--all", "--out", file.to_str().unwrap()]);
    run.ok();
    assert!(
        run.stderr.contains("exported 3 incidents (")
            && run.stderr.contains("2 logs, 1 command run")
            && run.stderr.contains(&format!("to {}", file.display())),
        "{}",
        run.stderr
    );
    file
}

#[test]
fn export_then_import_into_an_empty_database_reads_back_the_same() {
    let env = rich();
    let file = exported(&env);
    let source = env.db();
    let target = env.home().join("other/incidents.db");

    let run = on(&env, &target, &["import", file.to_str().unwrap()]);
    run.ok();
    assert!(
        run.stderr.contains("imported 3 incidents from") && run.stderr.contains("skipped 0"),
        "{}",
        run.stderr
    );

    let (want, got) = (views(&env, &source), views(&env, &target));
    assert_eq!(want.len(), got.len());
    for ((what, w), (_, g)) in want.iter().zip(&got) {
        assert_eq!(w, g, "{what} differs after the round trip");
    }
    // The checks above compared something real.
    let show = &want[2].1;
    assert_eq!(show["timeline"].as_array().unwrap().len(), 17, "{show:#}");
    assert_eq!(show["actions"][0]["id"], 1);
    for (what, hits) in &want[want.len() - QUERIES.len()..] {
        assert!(
            !hits["results"].as_array().unwrap().is_empty(),
            "{what}: {hits}"
        );
    }

    // Logs byte for byte, and their listing.
    for (n, k) in [("1", "1"), ("2", "1")] {
        let args = ["logs", n, "--attachment", k];
        let log = bytes_on(&env, &target, &args);
        assert_eq!(log, awkward_log());
        assert_eq!(log, bytes_on(&env, &source, &args));
        assert_eq!(
            bytes_on(&env, &target, &["logs", n]),
            bytes_on(&env, &source, &["logs", n])
        );
    }
    // The content shared by two incidents is stored once there too.
    let count = |db: &Path, sql: &str| -> i64 {
        rusqlite::Connection::open(db)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    };
    for sql in [
        "SELECT count(*) FROM blobs",
        "SELECT count(*) FROM blob_chunks",
        "SELECT sum(stored) FROM blobs",
        "SELECT count(*) FROM events",
        "SELECT count(*) FROM snapshot_items",
        "SELECT count(*) FROM command_runs",
    ] {
        assert_eq!(count(&source, sql), count(&target, sql), "{sql}");
    }
    assert_eq!(count(&target, "SELECT count(*) FROM blobs"), 2);

    // The import exports back to the same file.
    let again = env.home().join("again.json");
    on(
        &env,
        &target,
        &["export", "--all", "--out", again.to_str().unwrap()],
    )
    .ok();
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&file).unwrap()
    );
}

#[test]
fn importing_twice_changes_nothing() {
    let env = rich();
    let file = exported(&env);
    let target = env.home().join("other.db");
    on(&env, &target, &["import", file.to_str().unwrap()]).ok();
    // Searching indexes pending notes; do it once so that it has nothing left to do later.
    let before_views = views(&env, &target);
    // `dump` reads through a connection of its own, which checkpoints the WAL as it closes:
    // read it first, so that the bytes compared are those the import found and left.
    let rows = dump(&target);
    let before = (env.db_bytes(&target), rows);

    let again = json_on(&env, &target, &["import", file.to_str().unwrap(), "--json"]);
    assert_eq!(again["imported"], serde_json::json!([]));
    assert_eq!(again["skipped"].as_array().unwrap().len(), 3);
    assert_eq!(again["content"]["stored"], 0);
    assert_eq!(again["content"]["already_stored"], 2);
    let rows = dump(&target);
    assert_eq!((env.db_bytes(&target), rows), before);
    assert_eq!(views(&env, &target), before_views);

    // Into the database it came from: everything is already there.
    let source = env.db();
    let bytes = env.db_bytes(&source);
    let run = env.run(&["import", file.to_str().unwrap()]);
    run.ok();
    assert!(
        run.stderr
            .contains("incident 1 skipped: already here as incident 1"),
        "{}",
        run.stderr
    );
    assert_eq!(env.db_bytes(&source), bytes);
}

#[test]
fn a_number_taken_here_moves_to_the_next_free_one_and_references_follow() {
    let env = rich();
    let file = exported(&env);
    let target = env.home().join("other.db");
    on(&env, &target, &["open", "P3", "Local one", "--no-snapshot"]).ok();
    on(&env, &target, &["action", "add", "1", "Local follow-up"]).ok();

    let run = on(&env, &target, &["import", file.to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_str(run.ok()).unwrap();
    assert!(
        run.stderr
            .contains("incident 1 imported as 4 (1 is taken here)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("action item 1 of incident 4 imported as 3 (1 is taken here)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("(1 renumbered)"), "{}", run.stderr);
    assert_eq!(report["renumbered"].as_array().unwrap().len(), 1);
    assert_eq!(report["renumbered"][0]["number"], 4);
    assert_eq!(report["imported"][0]["number"], 4);
    assert_eq!(report["imported"][0]["file_number"], 1);
    assert_eq!(
        report["actions_renumbered"][0],
        serde_json::json!({"incident": 4, "file_id": 1, "id": 3})
    );

    // Incidents 2 and 3 kept their numbers, and read back the same.
    for n in ["2", "3"] {
        assert_eq!(
            json_on(&env, &target, &["show", n, "--json"]),
            env.json(&["show", n, "--json"])
        );
    }
    // Incident 1 is incident 4 here, with its action item (now 3) and timeline pointing at it.
    let mut want = env.json(&["show", "1", "--json"]);
    let got = json_on(&env, &target, &["show", "4", "--json"]);
    want["number"] = 4.into();
    want["actions"][0]["id"] = 3.into();
    want["actions"][0]["incident"] = 4.into();
    for e in want["timeline"].as_array_mut().unwrap() {
        if e["kind"] == "action" {
            e["field"] = "3".into();
            e["text"] = e["text"]
                .as_str()
                .unwrap()
                .replace("action 1", "action 3")
                .into();
        }
    }
    assert_eq!(got, want);
    assert_eq!(
        json_on(&env, &target, &["show", "1", "--json"])["title"],
        "Local one"
    );
    on(&env, &target, &["action", "done", "3"]).ok();
    let hits = json_on(&env, &target, &["search", "CrashLoopBackOff", "--json"]);
    assert_eq!(hits["results"][0]["incident"], 4, "{hits}");
    let logs = bytes_on(&env, &target, &["logs", "4", "--attachment", "1"]);
    assert_eq!(logs, awkward_log());
}

#[test]
fn stdin_and_stdout_carry_an_export() {
    let env = rich();
    let out = env.run(&["export", "2", "3", "--out", "-"]);
    let text = out.ok().to_string();
    assert!(
        out.stderr.contains("exported 2 incidents"),
        "{}",
        out.stderr
    );
    let head: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(head["format"], "incident-export");
    assert_eq!(head["version"], incident::transfer::VERSION);
    assert_eq!(head["incidents"].as_array().unwrap().len(), 2);
    assert_eq!(
        head["blobs"].as_array().unwrap().len(),
        1,
        "only incident 2's log"
    );

    let target = env.home().join("other.db");
    let run = {
        let mut all = vec!["--db", target.to_str().unwrap()];
        all.extend_from_slice(&["import", "-"]);
        env.run_stdin(&all, &text)
    };
    run.ok();
    assert!(
        run.stderr.contains("imported 2 incidents from stdin"),
        "{}",
        run.stderr
    );
    assert_eq!(
        json_on(&env, &target, &["show", "2", "--json"]),
        env.json(&["show", "2", "--json"])
    );
    on(&env, &target, &["show", "1"]).err();
}

#[test]
fn a_bad_file_is_refused_and_the_database_left_untouched() {
    let env = rich();
    let file = exported(&env);
    let good = std::fs::read_to_string(&file).unwrap();
    let target = env.home().join("other.db");
    on(&env, &target, &["open", "P3", "Local one", "--no-snapshot"]).ok();
    let before = env.db_bytes(&target);

    let blob_hash = {
        let v: serde_json::Value = serde_json::from_str(&good).unwrap();
        v["blobs"][0]["sha256"].as_str().unwrap().to_string()
    };
    let cut = &good[..good.len() * 2 / 3];
    let without_blobs = {
        let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
        v["blobs"] = serde_json::json!([]);
        v.to_string()
    };
    let md = env
        .run(&["export", "--all", "--format", "md"])
        .ok()
        .to_string();
    let cases = bad_files(&good, &blob_hash, cut, without_blobs, md);
    for (what, text, message) in cases {
        let path = env.home().join(format!("{}.json", what.replace(' ', "-")));
        std::fs::write(&path, &text).unwrap();
        let run = on(&env, &target, &["import", path.to_str().unwrap()]);
        let err = run.err();
        assert!(
            err.contains(path.to_str().unwrap()),
            "{what}: names the file: {err}"
        );
        assert!(err.contains(&message), "{what}: {err}");
        assert!(err.contains("nothing was imported"), "{what}: {err}");
        assert_eq!(
            env.db_bytes(&target),
            before,
            "{what}: the database changed"
        );
    }
    let err = on(&env, &target, &["import", "/nonexistent/export.json"]);
    assert!(err.err().contains("cannot read /nonexistent/export.json"));
    assert_eq!(env.db_bytes(&target), before);
}

#[test]
fn export_refuses_bad_input_and_writes_the_file_whole() {
    let env = rich();
    let out = env.home().join("out.json");
    let o = out.to_str().unwrap();
    env.run(&["export", "7", "--out", o]).err();
    env.run(&["export", "--format", "xml", "--all"]).err();
    env.run(&["export"]).err();
    env.run(&["export", "1", "--all"]).err();
    assert!(!out.exists());
    let leftovers = std::fs::read_dir(env.home())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".tmp")
        })
        .count();
    assert_eq!(leftovers, 0);

    env.run(&["export", "1", "--out", o]).ok();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&out).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "it holds what the database holds");
}

#[test]
fn markdown_export_is_for_reading() {
    let env = rich();
    let run = env.run(&["export", "1", "--format", "md"]);
    let md = run.ok();
    for want in [
        "# Incident export",
        "## Incident #1: Data collection stopped",
        "| Severity | P2 |",
        "| Status | INVESTIGATING |",
        "### Root cause\n\ndisk full",
        "### Timeline",
        "note (alice): updater pod in CrashLoopBackOff",
        "  Back-off restarting",
        "### Snapshots",
        "- #1 ",
        "### Action items",
        "- [ ] 1 Alert on data age (prevent, owner bob, due 2026-12-05 00:00)",
        "### Logs",
        "- 1 `updater.log` attached",
        "### Commands",
        "exit 3",
    ] {
        assert!(md.contains(want), "{want:?} missing from:\n{md}");
    }
    assert!(
        !md.contains("xxxxxxxx"),
        "log content is not in the Markdown"
    );
}

#[test]
fn a_file_partly_imported_already_brings_only_what_is_missing() {
    let env = rich();
    let file = exported(&env);
    let two = env.home().join("two.json");
    env.run(&["export", "2", "--out", two.to_str().unwrap()])
        .ok();
    let target = env.home().join("other.db");
    on(&env, &target, &["import", two.to_str().unwrap()]).ok();

    let report = json_on(&env, &target, &["import", file.to_str().unwrap(), "--json"]);
    let numbers = |key: &str| -> Vec<i64> {
        report[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["number"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(numbers("imported"), [1, 3]);
    assert_eq!(numbers("skipped"), [2]);
    assert_eq!(report["content"]["already_stored"], 1, "{report}");
    assert_eq!(report["content"]["stored"], 1, "{report}");
    assert_eq!(views(&env, &target), views(&env, &env.db()));
}

#[test]
fn event_identities_travel_with_an_export_and_older_files_derive_the_same_ones_everywhere() {
    let env = Env::new();
    env.run(&["open", "P1", "Checkout 502s (ingress-nginx)"])
        .ok();
    // A double paste: two identical notes in the same second are two events.
    for _ in 0..2 {
        env.run(&["note", "1", "upstream=10.0.0.5:8080 → 502 (req_id=a1_b-2)"])
            .ok();
    }
    env.run(&["ack", "1"]).ok();
    let uuids = |env: &Env, db: &Path| -> Vec<String> {
        let run = on(env, db, &["show", "1", "--json"]);
        let v: serde_json::Value = serde_json::from_str(run.ok()).unwrap();
        v["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["uuid"].as_str().unwrap().to_string())
            .collect()
    };
    let here = uuids(&env, &env.db());
    let mut distinct = here.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "{here:?}");
    let file = env.home().join("out.json");
    env.run(&["export", "1", "--out", file.to_str().unwrap()])
        .ok();
    let other = env.home().join("other.db");
    on(&env, &other, &["import", file.to_str().unwrap()]).ok();
    assert_eq!(uuids(&env, &other), here, "an import keeps the identities");

    // The same file as a binary before version 3 wrote it: no identities. Every copy derives
    // the same ones from the content, distinct for the two identical notes.
    let mut old: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    old["version"] = 2.into();
    for e in old["incidents"][0]["events"].as_array_mut().unwrap() {
        e.as_object_mut().unwrap().remove("uuid").unwrap();
    }
    let old_file = env.home().join("old.json");
    std::fs::write(&old_file, old.to_string()).unwrap();
    let (a, b) = (env.home().join("a.db"), env.home().join("b.db"));
    on(&env, &a, &["import", old_file.to_str().unwrap()]).ok();
    on(&env, &b, &["import", old_file.to_str().unwrap()]).ok();
    let derived = uuids(&env, &a);
    assert_eq!(derived, uuids(&env, &b));
    let mut distinct = derived.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "{derived:?}");
}

/// Files import must refuse, each with what its error says: (name, text, message).
fn bad_files(
    good: &str,
    blob_hash: &str,
    cut: &str,
    without_blobs: String,
    md: String,
) -> Vec<(&'static str, String, String)> {
    const V: u64 = incident::transfer::VERSION;
    let newer = format!(
        "is an export of version {}, newer than this incident binary reads ({V})",
        V + 1
    );
    let cases: Vec<(&'static str, String, &str)> = vec![
        ("truncated", cut.to_string(), "ends early"),
        (
            "garbage",
            "hello".into(),
            "is not an incident export (not JSON)",
        ),
        ("bad JSON", "{\"format\": nope}".into(), "is not valid JSON"),
        ("empty", "".into(), "is empty"),
        (
            "trailing",
            format!("{good}x"),
            "is not valid JSON: trailing characters",
        ),
        (
            "not an object",
            "{\"format\":\"incident-export\",\"version\":1,\"incidents\":[1]}".into(),
            "is not a valid incident export",
        ),
        (
            "other format",
            "{\"format\":\"other\",\"version\":1}".into(),
            "its format is 'other'",
        ),
        (
            "newer",
            good.replacen(
                &format!("\"version\":{V}"),
                &format!("\"version\":{}", V + 1),
                1,
            ),
            &newer,
        ),
        (
            // The content and everything referring to it claim another hash.
            "hash mismatch",
            good.replace(blob_hash, &"0".repeat(64)),
            "does not match its data",
        ),
        (
            // Corrupted compressed data.
            "damaged chunk",
            good.replacen("\"zstd\":\"KLUv", "\"zstd\":\"AAAA", 1),
            "does not decompress",
        ),
        (
            "bad severity",
            good.replace("\"severity\":\"P3\"", "\"severity\":\"P9\""),
            "unknown severity 'P9'",
        ),
        (
            "missing content",
            without_blobs,
            "which the file does not carry",
        ),
        ("markdown", md, "is a Markdown export"),
        (
            "no header",
            "{\"incidents\":[]}".into(),
            "does not start with its format and version",
        ),
    ];
    cases
        .into_iter()
        .map(|(what, text, message)| (what, text, message.to_string()))
        .collect()
}

#[test]
fn an_incident_is_named_by_a_prefix_of_its_uuid_on_every_copy() {
    let env = Env::new();
    env.run(&["open", "P2", "Checkout 502s (ingress-nginx)"])
        .ok();
    env.run(&["open", "P3", "Grafana panel slow"]).ok();
    let id = env.json(&["show", "1", "--json"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    // All digits is a number: the prefix runs at least to the first hex letter.
    let letter = id.find(|c: char| c.is_ascii_alphabetic()).unwrap();
    let prefix = &id[..(letter + 1).max(8)];
    env.run(&["note", prefix, "upstream=10.0.0.5:8080 → 502"])
        .ok();
    // Without hyphens too, again at least to the first hex letter (12 digits would be a number).
    let bare = id.replace('-', "");
    let letter = bare.find(|c: char| c.is_ascii_alphabetic()).unwrap();
    let shown = env.json(&["show", &bare[..(letter + 1).max(12)], "--json"]);
    assert_eq!(shown["number"], 1);
    assert_eq!(shown["timeline"][1]["text"], "upstream=10.0.0.5:8080 → 502");

    // Two incidents whose ids begin alike (as an import can bring): the prefix lists both.
    let file = env.home().join("both.json");
    env.run(&["export", "1", "2", "--out", file.to_str().unwrap()])
        .ok();
    let mut both: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    both["incidents"][0]["uuid"] = "abcdef01-0000-4000-8000-000000000001".into();
    both["incidents"][1]["uuid"] = "abcdef02-0000-4000-8000-000000000002".into();
    std::fs::write(&file, both.to_string()).unwrap();
    let other = env.home().join("other.db");
    on(&env, &other, &["import", file.to_str().unwrap()]).ok();
    let run = on(&env, &other, &["show", "abcdef"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("'abcdef' names 2 incidents: 1 (abcdef01-")
            && run.stderr.contains("; 2 (abcdef02-")
            && run.stderr.contains("give more of the UUID"),
        "{}",
        run.stderr
    );
    assert_eq!(
        json_on(&env, &other, &["show", "abcdef02", "--json"])["title"],
        "Grafana panel slow"
    );
    let run = on(&env, &other, &["show", "fedcba"]);
    assert!(
        run.stderr
            .contains("no incident's UUID starts with 'fedcba'"),
        "{}",
        run.stderr
    );
}
