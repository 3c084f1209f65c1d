//! Attached logs end to end: storing once per content, byte-exact round trips, grep and tail,
//! redaction, gc, and bounded memory on a large log.

use crate::common::{Env, sha256_hex};
use std::io::Write;
use std::process::Stdio;

fn opened() -> Env {
    let env = Env::new();
    env.run(&["open", "P2", "Collectors lagging"]).ok();
    env
}

fn count(env: &Env, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Runs the binary with `input` on stdin and returns its exit code and raw stdout.
fn run_bytes(env: &Env, args: &[&str], input: &[u8]) -> (i32, Vec<u8>, String) {
    let mut child = env
        .command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn logs(env: &Env, args: &[&str]) -> Vec<u8> {
    let (code, out, err) = run_bytes(env, args, b"");
    assert_eq!(code, 0, "{err}");
    out
}

#[test]
fn the_same_log_attached_twice_is_stored_once() {
    let env = opened();
    let file = env.home().join("pod.log");
    let text: String = (0..20_000)
        .map(|i| {
            format!(
                "2026-11-29T09:{:02}:00Z INFO worker {i} processed batch\n",
                i % 60
            )
        })
        .collect();
    std::fs::write(&file, &text).unwrap();
    let path = file.to_str().unwrap();
    env.run(&["attach", "1", path]).ok();
    let chunks_once = count(&env, "SELECT count(*) FROM blob_chunks");
    let second = env.run(&["attach", "1", path, "--name", "pod-again.log"]);
    second.ok();
    assert!(
        second.stderr.contains("already stored"),
        "{}",
        second.stderr
    );
    assert_eq!(count(&env, "SELECT count(*) FROM blobs"), 1);
    assert_eq!(count(&env, "SELECT count(*) FROM attachments"), 2);
    assert_eq!(count(&env, "SELECT count(*) FROM blob_chunks"), chunks_once);
    // Compressed: 1 MB of repetitive log lines take far less.
    let stored = count(&env, "SELECT stored FROM blobs");
    assert!(stored < text.len() as i64 / 5, "{stored}");

    let list = env.run(&["logs", "1"]);
    let list = list.ok();
    assert!(
        list.contains("pod.log") && list.contains("pod-again.log"),
        "{list}"
    );
    assert!(list.contains("20000"), "{list}");
    assert_eq!(logs(&env, &["logs", "1", "-a", "2"]), text.as_bytes());

    let show = env.json(&["show", "1", "--json"]);
    let kinds: Vec<&str> = show["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["opened", "attachment", "attachment"]);
    let text0 = show["timeline"][1]["text"].as_str().unwrap();
    assert!(
        text0.contains("pod.log") && text0.contains("20000 lines"),
        "{text0}"
    );
}

#[test]
fn invalid_utf8_and_very_long_lines_round_trip_byte_for_byte() {
    let env = opened();
    let mut data: Vec<u8> = Vec::new();
    data.extend_from_slice(b"start \xff\xfe\xc3\x28 not utf-8\n");
    data.extend(std::iter::repeat_n(b'x', 5 * 1024 * 1024));
    data.push(b'\n');
    data.extend_from_slice(b"\x00\x01binary\r\n");
    data.extend(
        (0..300_000u32)
            .map(|i| (i % 251) as u8)
            .filter(|b| *b != b'\n'),
    );
    data.extend_from_slice(b"\nno newline at the end \x80");
    let file = env.home().join("weird.log");
    std::fs::write(&file, &data).unwrap();
    env.run(&["attach", "1", file.to_str().unwrap()]).ok();
    assert_eq!(logs(&env, &["logs", "1", "--attachment", "1"]), data);
    assert_eq!(count(&env, "SELECT lines FROM blobs"), 5);
    assert_eq!(
        logs(&env, &["logs", "1", "--tail", "1"]),
        b"no newline at the end \x80"
    );
}

#[test]
fn stdin_attaches_and_secrets_are_redacted_before_storage() {
    let env = opened();
    let input = b"connecting to mysql://app:s3cr3tpw@db:3306/prices\nok\n";
    let (code, _, err) = run_bytes(&env, &["attach", "1", "-"], input);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("redacted 1 secret on 1 line (url-password 1): sha256 "),
        "{err}"
    );
    // Both hashes: the log as read (what `sha256sum` of the file says) and as stored.
    let as_read = sha256_hex(input);
    let stored =
        sha256_hex(b"connecting to mysql://app:[REDACTED:url-password]@db:3306/prices\nok\n");
    assert!(
        err.contains(&format!("sha256 {as_read} as read, {stored} as stored")),
        "{err}"
    );
    let out = logs(&env, &["logs", "1"]);
    assert!(String::from_utf8_lossy(&out).contains("stdin"));
    let back = logs(&env, &["logs", "1", "-a", "1"]);
    assert_eq!(
        back,
        b"connecting to mysql://app:[REDACTED:url-password]@db:3306/prices\nok\n"
    );
    let raw = std::fs::read(env.db()).unwrap();
    assert!(!raw.windows(8).any(|w| w == b"s3cr3tpw"));
}

#[test]
fn grep_and_tail_select_lines() {
    let env = opened();
    let text: String = (1..=5000)
        .map(|i| {
            let level = if i % 1000 == 0 { "ERROR" } else { "INFO" };
            format!("{level} line {i}\n")
        })
        .collect();
    let (code, _, err) = run_bytes(
        &env,
        &["attach", "1", "-", "--name", "app"],
        text.as_bytes(),
    );
    assert_eq!(code, 0, "{err}");
    let grep = logs(&env, &["logs", "1", "--grep", "^ERROR"]);
    assert_eq!(
        String::from_utf8(grep).unwrap(),
        "ERROR line 1000\nERROR line 2000\nERROR line 3000\nERROR line 4000\nERROR line 5000\n"
    );
    let tail = logs(&env, &["logs", "1", "--tail", "3"]);
    assert_eq!(
        String::from_utf8(tail).unwrap(),
        "INFO line 4998\nINFO line 4999\nERROR line 5000\n"
    );
    let both = logs(&env, &["logs", "1", "--grep", "ERROR", "--tail", "2"]);
    assert_eq!(
        String::from_utf8(both).unwrap(),
        "ERROR line 4000\nERROR line 5000\n"
    );
    // A bad pattern, an unknown K, an unknown incident: one-line errors.
    let err = env.run(&["logs", "1", "--grep", "(unclosed"]);
    assert!(err.err().contains("not a valid regular expression"));
    let err = env.run(&["logs", "1", "-a", "9"]);
    assert!(err.err().contains("has no log 9"));
    let err = env.run(&["logs", "7"]);
    assert!(err.err().contains("does not exist"));
}

#[test]
fn grep_ends_an_unterminated_last_line_so_two_logs_do_not_run_together() {
    let env = opened();
    for (name, text) in [
        ("a.log", "INFO start\r\nERROR disk full on /var/lib/mysql"),
        ("b.log", "ERROR user@db-1 refused (errno=13)"),
    ] {
        let (code, _, err) =
            run_bytes(&env, &["attach", "1", "-", "--name", name], text.as_bytes());
        assert_eq!(code, 0, "{err}");
    }
    let mut both = logs(&env, &["logs", "1", "-a", "1", "--grep", "ERROR"]);
    both.extend(logs(&env, &["logs", "1", "-a", "2", "--grep", "ERROR"]));
    assert_eq!(
        String::from_utf8(both).unwrap(),
        "ERROR disk full on /var/lib/mysql\nERROR user@db-1 refused (errno=13)\n"
    );
    // Read whole, a log still comes back byte for byte, its last line as it was.
    assert_eq!(
        logs(&env, &["logs", "1", "-a", "2"]),
        b"ERROR user@db-1 refused (errno=13)"
    );
}

#[test]
fn bad_attach_input_leaves_the_database_untouched() {
    let env = opened();
    let before = env.db_bytes(&env.db());
    let missing = env.home().join("missing.log");
    let err = env.run(&["attach", "1", missing.to_str().unwrap()]);
    assert!(err.err().contains("cannot read"), "{}", err.stderr);
    let file = env.home().join("a.log");
    std::fs::write(&file, "x\n").unwrap();
    let err = env.run(&["attach", "9", file.to_str().unwrap()]);
    assert!(err.err().contains("does not exist"));
    // One good file and one missing: neither is attached.
    let err = env.run(&[
        "attach",
        "1",
        file.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    err.err();
    let err = env.run(&["attach", "1", "-", "-"]);
    err.err();
    assert_eq!(env.db_bytes(&env.db()), before);
}

#[test]
fn ctrl_c_in_the_middle_of_an_attach_leaves_nothing() {
    let env = opened();
    let mut cmd = env.command(&["attach", "1", "-"]);
    // A shell starts background jobs with SIGINT ignored, and a child inherits that: restore
    // the default a terminal's Ctrl-C meets, so the test means the same however it is run.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            nix::sys::signal::signal(
                nix::sys::signal::Signal::SIGINT,
                nix::sys::signal::SigHandler::SigDfl,
            )
            .map(|_| ())
            .map_err(std::io::Error::from)
        });
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Several chunks in, with the input still open: chunks are written, nothing committed.
    let line = b"2026-11-29T09:00:00Z INFO still streaming\n".repeat(100_000);
    for _ in 0..3 {
        stdin.write_all(&line).unwrap();
    }
    // With 12 MB written into a pipe of 64 KiB, attach has read and stored all but the last
    // chunk or so, and waits for more: Ctrl-C lands mid-stream with no sleep needed.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
    drop(stdin);
    for table in ["blobs", "blob_chunks", "attachments"] {
        assert_eq!(
            count(&env, &format!("SELECT count(*) FROM {table}")),
            0,
            "{table}"
        );
    }
    let show = env.json(&["show", "1", "--json"]);
    assert_eq!(show["timeline"].as_array().unwrap().len(), 1);
}

#[test]
fn an_empty_log_attaches_as_zero_lines() {
    let env = opened();
    let (code, _, err) = run_bytes(&env, &["attach", "1", "-", "--name", "empty"], b"");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("0 bytes, 0 lines"), "{err}");
    assert_eq!(logs(&env, &["logs", "1", "-a", "1"]), b"");
    assert_eq!(logs(&env, &["logs", "1", "--tail", "5"]), b"");
}

#[test]
fn gc_frees_an_orphan_blob_and_keeps_referenced_ones() {
    let env = opened();
    let file = env.home().join("kept.log");
    let kept: String = (0..50_000).map(|i| format!("kept line {i}\n")).collect();
    std::fs::write(&file, &kept).unwrap();
    env.run(&["attach", "1", file.to_str().unwrap()]).ok();
    env.run(&["exec", "1", "--", "echo", "hello"]).ok();
    {
        // An orphan, as an interrupted import or a future detach would leave: random bytes so
        // that it does not compress away.
        let conn = rusqlite::Connection::open(env.db()).unwrap();
        let junk: Vec<u8> = (0..2_000_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        conn.execute(
            "INSERT INTO blobs (hash, size, lines, stored) VALUES ('orphan', ?1, 0, ?1)",
            [junk.len() as i64],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO blob_chunks (blob_id, seq, first_line, lines, size, data)
             VALUES (last_insert_rowid(), 0, 1, 0, ?1, ?2)",
            rusqlite::params![junk.len() as i64, junk],
        )
        .unwrap();
    }
    assert_eq!(count(&env, "SELECT count(*) FROM blobs"), 3);
    let report = env.run(&["gc"]);
    let report = report.ok().to_string();
    assert!(report.contains("removed 1 unreferenced blob "), "{report}");
    let sizes: Vec<u64> = report
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    // "… database BEFORE → AFTER bytes": the orphan's 2 MB are gone from the file.
    let (before, after) = (sizes[sizes.len() - 2], sizes[sizes.len() - 1]);
    assert!(before - after > 1_500_000, "{report}");
    assert_eq!(count(&env, "SELECT count(*) FROM blobs"), 2);
    assert_eq!(logs(&env, &["logs", "1", "-a", "1"]), kept.as_bytes());
    let again = env.run(&["gc"]);
    assert!(again.ok().contains("removed 0 unreferenced blobs"));
}

/// Peak resident memory of `incident attach` on a ~200 MB log stays under 100 MB. Release
/// builds only: unoptimised zstd, SHA-256 and regexes make it minutes long in debug
/// (`cargo test --release --test attach`).
#[test]
#[cfg_attr(debug_assertions, ignore = "run with --release")]
fn attaching_a_large_log_keeps_memory_bounded() {
    let env = opened();
    let file = env.home().join("big.log");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        let mut written = 0usize;
        let mut i = 0u64;
        while written < 200 * 1024 * 1024 {
            // Varied lines, like pod logs: a counter and a pseudo-random field defeat long
            // repeats, so zstd works as on real logs.
            let r = i.wrapping_mul(6_364_136_223_846_793_005).rotate_left(17);
            let line = format!(
                "2026-11-29T09:{:02}:{:02}.{:03}Z INFO collector-{} fetched {} rows from exchange {:x} in {}ms\n",
                (i / 60_000) % 60,
                (i / 1000) % 60,
                i % 1000,
                r % 7,
                r % 10_000,
                r >> 40,
                r % 997
            );
            w.write_all(line.as_bytes()).unwrap();
            written += line.len();
            i += 1;
        }
        w.flush().unwrap();
    }
    let size = std::fs::metadata(&file).unwrap().len();
    let started = std::time::Instant::now();
    let mut child = env
        .command(&["attach", "1", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    while child.try_wait().unwrap().is_none() {
        // VmHWM is the process's own high-water mark, so sampling often enough to read it
        // before exit is all that is needed.
        if let Ok(s) = std::fs::read_to_string(&status)
            && let Some(kb) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        {
            peak_kb = peak_kb.max(kb);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let elapsed = started.elapsed();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "attached {} MB in {:.2}s ({:.0} MB/s), peak RSS {} MB",
        size / 1_000_000,
        elapsed.as_secs_f64(),
        size as f64 / 1e6 / elapsed.as_secs_f64(),
        peak_kb / 1024
    );
    assert!(peak_kb > 0, "never sampled the process");
    assert!(peak_kb < 100 * 1024, "peak RSS {peak_kb} kB");
    let lines = count(&env, "SELECT lines FROM blobs");
    assert!(lines > 1_000_000, "{lines}");
}

/// A password the config refers to as `${VAR}`: attach has no rule for a bare value, so only
/// knowing the config's secrets keeps it out.
const DB_PASSWORD: &str = "Zq7HunterTwo42";

/// A config whose database url takes its password from the environment.
fn with_secret_config(env: &Env) {
    env.write_config(
        "[[database]]\nname = \"prices\"\nurl = \"mysql://app:${INCIDENT_TEST_DB_PASSWORD}@127.0.0.1:1/prices\"\n",
    );
}

#[test]
fn values_of_the_configs_secrets_never_reach_the_database_or_the_output() {
    let env = opened();
    with_secret_config(&env);
    let file = env.home().join("app.log");
    std::fs::write(
        &file,
        format!(
            "2026-11-29T09:00:00Z INFO connecting with {DB_PASSWORD} to the replica\n\
             2026-11-29T09:00:01Z ERROR login failed for {DB_PASSWORD}\n"
        ),
    )
    .unwrap();
    let out = env
        .command(&["attach", "1", file.to_str().unwrap()])
        .env("INCIDENT_TEST_DB_PASSWORD", DB_PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("redacted 2 secrets on 2 lines (env 2)"),
        "{stderr}"
    );

    // Neither the text nor the search index's lowercase token of it, in the file or the WAL.
    let (db, wal) = env.db_bytes(&env.db());
    for bytes in [&db, &wal] {
        for needle in [DB_PASSWORD.to_string(), DB_PASSWORD.to_lowercase()] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} is in the database"
            );
        }
    }
    let printed = String::from_utf8(logs(&env, &["logs", "1", "--attachment", "1"])).unwrap();
    assert_eq!(
        printed,
        "2026-11-29T09:00:00Z INFO connecting with [REDACTED:env] to the replica\n\
         2026-11-29T09:00:01Z ERROR login failed for [REDACTED:env]\n"
    );
    let found = env.run(&["search", DB_PASSWORD]);
    assert!(!found.stdout.contains(DB_PASSWORD), "{}", found.stdout);
    assert!(found.stderr.contains("nothing matches"), "{}", found.stderr);
    let found = env.run(&["search", "login failed"]);
    assert!(found.ok().contains("[REDACTED:env]"), "{}", found.stdout);
}

#[test]
fn an_unset_variable_of_the_config_does_not_stop_an_attach() {
    let env = opened();
    with_secret_config(&env);
    let out = env
        .command(&["attach", "1", "-", "--name", "tail"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}
