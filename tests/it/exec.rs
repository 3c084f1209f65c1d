//! `incident exec` end to end: output passes through, the run is recorded redacted, and the
//! command's exit code (or 128+signal) is the process's.

use crate::common::{Env, children_of, wait_until};
use std::process::Stdio;

fn opened() -> Env {
    let env = Env::new();
    env.run(&["open", "P1", "Data collection stopped"]).ok();
    env
}

/// A recorded run: command line, exit code, signal, bytes written, output kept.
type RecordedRun = (String, Option<i64>, Option<i64>, i64, Vec<u8>);

fn runs(env: &Env) -> Vec<RecordedRun> {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT r.command, r.exit_code, r.signal, r.output_bytes, r.output_blob_id
             FROM command_runs r ORDER BY r.id",
        )
        .unwrap();
    type Row = (String, Option<i64>, Option<i64>, i64, i64);
    let rows: Vec<Row> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.into_iter()
        .map(|(cmd, code, sig, bytes, blob)| {
            let mut out = Vec::new();
            let mut chunks = conn
                .prepare("SELECT data FROM blob_chunks WHERE blob_id = ?1 ORDER BY seq")
                .unwrap();
            for data in chunks
                .query_map([blob], |r| r.get::<_, Vec<u8>>(0))
                .unwrap()
            {
                out.extend(zstd::decode_all(&data.unwrap()[..]).unwrap());
            }
            (cmd, code, sig, bytes, out)
        })
        .collect()
}

#[test]
fn a_failing_command_is_recorded_and_its_exit_code_passed_through() {
    let env = opened();
    let run = env.run(&[
        "exec",
        "1",
        "--",
        "sh",
        "-c",
        "echo restarting; echo 'no such pod' >&2; exit 3",
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(run.stdout, "restarting\n");
    assert!(run.stderr.starts_with("no such pod\n"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("recorded as command 1 of incident 1 (exit 3)")
    );
    let runs = runs(&env);
    assert_eq!(runs.len(), 1);
    let (cmd, code, sig, bytes, out) = &runs[0];
    assert_eq!(
        cmd,
        "sh -c 'echo restarting; echo '\\''no such pod'\\'' >&2; exit 3'"
    );
    assert_eq!((*code, *sig, *bytes), (Some(3), None, 23));
    let out = String::from_utf8_lossy(out);
    assert!(
        out.contains("restarting\n") && out.contains("no such pod\n"),
        "{out}"
    );

    let show = env.json(&["show", "1", "--json"]);
    let event = &show["timeline"][1];
    assert_eq!(event["kind"], "command");
    let text = event["text"].as_str().unwrap();
    assert!(text.starts_with("command 1: `sh -c"), "{text}");
    assert!(text.contains("exited 3"), "{text}");

    let ok = env.run(&["exec", "1", "--", "true"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
}

#[test]
fn output_and_command_line_are_redacted_in_the_database() {
    let env = opened();
    let run = env.run(&[
        "exec",
        "1",
        "--",
        "sh",
        "-c",
        "echo DB_PASSWORD=hunter2hunter2; echo --token abcdef123456 >&2",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The terminal sees the output as it was: redaction is for what is kept.
    assert!(run.stdout.contains("hunter2hunter2"));
    let runs = runs(&env);
    let (cmd, _, _, _, out) = &runs[0];
    assert!(!cmd.contains("hunter2hunter2"), "{cmd}");
    let out = String::from_utf8_lossy(out);
    assert!(out.contains("DB_PASSWORD=[REDACTED:secret-value]"), "{out}");
    assert!(out.contains("--token [REDACTED:password-option]"), "{out}");
    let raw = std::fs::read(env.db()).unwrap();
    let wal = std::fs::read(format!("{}-wal", env.db().display())).unwrap_or_default();
    for bytes in [raw, wal] {
        assert!(!bytes.windows(14).any(|w| w == b"hunter2hunter2"));
    }
}

#[test]
fn output_past_the_cap_is_counted_and_the_cut_stated() {
    let env = opened();
    let run = env.run(&[
        "exec",
        "1",
        "--",
        "sh",
        "-c",
        "head -c 1500000 /dev/zero | tr '\\0' a",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.len(), 1_500_000);
    let runs = runs(&env);
    let (_, _, _, bytes, out) = &runs[0];
    assert_eq!(*bytes, 1_500_000);
    let tail = String::from_utf8_lossy(&out[1024 * 1024..]).into_owned();
    assert_eq!(
        tail,
        "\n[output cut at 1048576 bytes; 451424 more bytes not kept]\n"
    );
}

#[test]
fn a_command_that_cannot_start_exits_127_and_records_nothing() {
    let env = opened();
    let before = env.db_bytes(&env.db());
    let run = env.run(&["exec", "1", "--", "no-such-command-anywhere", "x"]);
    assert_eq!(run.code, 127);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("cannot run 'no-such-command-anywhere'"));
    assert_eq!(env.db_bytes(&env.db()), before);
    // An unknown incident is refused before anything runs.
    let marker = env.home().join("ran");
    let run = env.run(&["exec", "9", "--", "touch", marker.to_str().unwrap()]);
    run.err();
    assert!(!marker.exists());
    assert_eq!(env.db_bytes(&env.db()), before);
}

#[test]
fn a_killed_command_exits_128_plus_the_signal_and_ctrl_c_still_records() {
    let env = opened();
    let run = env.run(&["exec", "1", "--", "sh", "-c", "kill -9 $$"]);
    assert_eq!(run.code, 137);
    // Ctrl-C: SIGINT to the whole foreground group, as a terminal sends it.
    use std::os::unix::process::CommandExt;
    let child = env
        .command(&["exec", "1", "--", "sleep", "30"])
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once its command runs, exec is waiting on it with its Ctrl-C handling in place.
    let pid = child.id();
    wait_until("exec starts `sleep 30`", || !children_of(pid).is_empty());
    let pgid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGINT).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{:?}", out);
    let runs = runs(&env);
    assert_eq!(runs.len(), 2);
    assert_eq!((runs[0].1, runs[0].2), (None, Some(9)));
    assert_eq!((runs[1].1, runs[1].2), (None, Some(2)));
}

/// A password the config refers to as `${VAR}`, which no generic rule would catch.
const DB_PASSWORD: &str = "Zq7HunterTwo42";

#[test]
fn values_of_the_configs_secrets_are_redacted_from_the_command_and_its_output() {
    let env = opened();
    env.write_config(
        "[[redis]]\nname = \"cache\"\nurl = \"redis://:${INCIDENT_TEST_REDIS_PASSWORD}@127.0.0.1:1\"\n",
    );
    let out = env
        .command(&[
            "exec",
            "1",
            "--",
            "sh",
            "-c",
            "echo \"auth $INCIDENT_TEST_REDIS_PASSWORD\"; echo checked",
            DB_PASSWORD,
        ])
        .env("INCIDENT_TEST_REDIS_PASSWORD", DB_PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // Live output is the command's own and passes through as it was.
    assert!(String::from_utf8_lossy(&out.stdout).contains(DB_PASSWORD));

    let recorded = runs(&env);
    assert_eq!(recorded.len(), 1);
    let (command, _, _, _, output) = &recorded[0];
    assert!(!command.contains(DB_PASSWORD), "{command}");
    assert!(command.contains("[REDACTED:env]"), "{command}");
    assert_eq!(output, b"auth [REDACTED:env]\nchecked\n");
    let (db, wal) = env.db_bytes(&env.db());
    for bytes in [&db, &wal] {
        for needle in [DB_PASSWORD.to_string(), DB_PASSWORD.to_lowercase()] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} is in the database"
            );
        }
    }
    for args in [
        &["search", DB_PASSWORD][..],
        &["show", "1"],
        &["logs", "1", "--command", "1"],
    ] {
        let run = env.run(args);
        assert!(
            !run.stdout.contains(DB_PASSWORD),
            "{args:?}: {}",
            run.stdout
        );
    }
}

#[test]
fn the_cap_comes_from_the_config() {
    let env = opened();
    env.write_config("[exec]\nmax_output = 100\n");
    let run = env.run(&["exec", "1", "--", "sh", "-c", "seq 1 100"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let runs = runs(&env);
    let (_, _, _, bytes, out) = &runs[0];
    assert_eq!(*bytes, 292);
    let kept: String = (1..=100).map(|i| format!("{i}\n")).collect::<String>()[..100].into();
    assert_eq!(
        String::from_utf8_lossy(out),
        format!("{kept}\n[output cut at 100 bytes; 192 more bytes not kept]\n")
    );
    let listed = env.run(&["logs", "1"]);
    assert!(listed.ok().contains("(cut)"), "{}", listed.stdout);
}

#[test]
fn logs_lists_command_runs_and_prints_their_output_as_recorded() {
    let env = opened();
    // Output without a final newline, bytes that are not UTF-8, stderr interleaved (the pauses
    // fix the order the two pipes are read in).
    let script = "printf 'restarted pod\\n'; sleep 0.2; printf 'warn: slow\\n' >&2; sleep 0.2; \
                  printf '\\377tail'";
    env.run(&["exec", "1", "--", "sh", "-c", script]).ok();
    env.run(&["exec", "1", "--", "sh", "-c", "echo second; exit 4"]);
    let file = env.home().join("pod.log");
    std::fs::write(&file, "a log line\n").unwrap();
    env.run(&["attach", "1", file.to_str().unwrap()]).ok();

    let listed = env.run(&["logs", "1"]);
    let text = listed.ok();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("K  NAME"), "{text}");
    assert!(lines[1].contains("pod.log"), "{text}");
    assert_eq!(lines[2], "", "{text}");
    assert!(lines[3].starts_with("CMD  COMMAND"), "{text}");
    assert!(lines[4].starts_with("1    sh -c 'printf"), "{text}");
    assert!(
        lines[5].starts_with("2    sh -c 'echo second; exit 4'"),
        "{text}"
    );
    assert!(lines[5].contains(" 4 "), "{text}");

    let out = env
        .command(&["logs", "1", "--command", "1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let (_, _, _, _, recorded) = &runs(&env)[0];
    assert_eq!(&out.stdout, recorded);
    assert_eq!(out.stdout, b"restarted pod\nwarn: slow\n\xfftail");
    let out = env
        .command(&["logs", "1", "--command", "1", "--grep", "warn"])
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"warn: slow\n");

    env.run(&["logs", "1", "--command", "3"]).err();
    let both = env.run(&["logs", "1", "--command", "1", "--attachment", "1"]);
    assert!(both.err().contains("give one"), "{}", both.stderr);
}
