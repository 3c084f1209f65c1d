//! Bad input: a one-line error with a hint, exit 1, and the database left byte for byte as it was.

use crate::common::{Env, Run};
use std::path::Path;

/// An environment with two incidents: 1 investigating, 2 resolved without a root cause.
fn seeded() -> Env {
    let mut env = Env::new();
    env.at("2026-11-29T09:00:00Z");
    env.run(&["open", "P1", "Data collection stopped"]).ok();
    env.run(&["open", "P2", "API gateway CrashLoopBackOff"])
        .ok();
    env.at("2026-11-29T09:10:00Z");
    env.run(&["ack", "1"]).ok();
    env.run(&["resolve", "2", "--resolution", "restarted redis"])
        .ok();
    env.at("2026-11-29T10:00:00Z");
    env
}

#[track_caller]
fn refused(env: &Env, db: &Path, args: &[&str], expected: &str) {
    let before = env.db_bytes(db);
    let run = env.run(args);
    let line = run.err();
    assert!(
        line.contains(expected),
        "{args:?}: expected '{expected}' in: {line}"
    );
    assert!(
        line.contains("; ") || line.contains(" use "),
        "{args:?}: no hint in: {line}"
    );
    assert!(env.db_bytes(db) == before, "{args:?} changed the database");
}

#[test]
fn refused_changes_leave_the_database_untouched() {
    let env = seeded();
    let db = env.db();
    let cases: &[(&[&str], &str)] = &[
        (
            &["note", "42", "hello"],
            "incident 42 does not exist; `incident list`",
        ),
        (&["show", "42"], "incident 42 does not exist"),
        (&["ack", "abc"], "'abc' is not an incident number"),
        (
            &["open", "P4", "x"],
            "unknown severity 'P4': use P1 (critical), P2 (high) or P3 (medium)",
        ),
        (&["open", "P1", "  "], "the title is empty"),
        (
            &["update", "1", "--severity", "high"],
            "unknown severity 'high'",
        ),
        (
            &["update", "1", "--status", "DONE"],
            "unknown status 'DONE': use OPEN, INVESTIGATING, RESOLVED, CLOSED or CANCELLED",
        ),
        (&["list", "--status", "DONE"], "unknown status 'DONE'"),
        (&["update", "1"], "nothing to update"),
        (
            &["update", "1", "--status", "OPEN"],
            "incident 1 is INVESTIGATING; it cannot go to OPEN",
        ),
        (
            &["ack", "1"],
            "incident 1 was already acknowledged at 2026-11-29 09:10",
        ),
        (
            &["ack", "2"],
            "incident 2 is RESOLVED; only OPEN incidents can be acknowledged",
        ),
        (
            &["reopen", "1"],
            "incident 1 is INVESTIGATING; only RESOLVED, CLOSED or CANCELLED incidents can be reopened",
        ),
        (
            &["close", "1"],
            "incident 1 is INVESTIGATING; it cannot go to CLOSED; resolve it first",
        ),
        (&["resolve", "2"], "incident 2 is already RESOLVED"),
        (
            &["close", "2"],
            "incident 2 cannot be closed: it has no root cause",
        ),
        // A refused close keeps nothing of the same command: not even the prevention text.
        (
            &["close", "2", "--prevention", "alerting"],
            "it has no root cause",
        ),
        (&["note", "1", ""], "the note is empty"),
        (
            &["note", "1", "x", "--at", "tomorrow"],
            "malformed time 'tomorrow'",
        ),
        (
            &["note", "1", "x", "--at", "2026-11-29 25:00"],
            "malformed time",
        ),
        (
            &["note", "1", "x", "--at", "2026-11-29T11:00:00Z"],
            "the note at 2026-11-29 11:00 is in the future",
        ),
        (
            &["note", "1", "x", "--at", "-2h"],
            "the note at 2026-11-29 08:00 is before the opening at 2026-11-29 09:00",
        ),
        (
            &["open", "P1", "x", "--at", "+1h"],
            "the open at 2026-11-29 11:00 is in the future",
        ),
        (
            &["open", "P1", "x", "--at", "-1h", "--detected", "-30m"],
            "the opening at 2026-11-29 09:00 is before the detection",
        ),
        (&["ack", "1", "--at", "-5d"], "before the opening"),
        (
            &["resolve", "1", "--at", "2026-11-29T09:05:00Z"],
            "the resolution at 2026-11-29 09:05 is before the acknowledgement at 2026-11-29 09:10",
        ),
        (
            &["list", "--since", "last week"],
            "malformed time 'last week'",
        ),
        (&["sla", "--at", "soon"], "malformed time 'soon'"),
        (
            &["log", "1", "--template", "missing.txt"],
            "there is no template 'missing.txt'; `incident template list` lists them",
        ),
    ];
    for (args, expected) in cases {
        refused(&env, &db, args, expected);
    }
    let show = env.json(&["show", "2", "--json"]);
    assert_eq!(show["prevention"], "", "the refused close wrote nothing");
}

#[test]
fn a_malformed_config_names_file_and_line() {
    let env = seeded();
    let db = env.db();
    let config = env.write_config("[sla.P1]\nrespond = \"15m\"\nresolve = \"an hour\"\n");
    refused(
        &env,
        &db,
        &["note", "1", "x"],
        &format!(
            "config {} line 3: sla.P1.resolve: malformed duration \"an hour\"",
            config.display()
        ),
    );
    std::fs::write(&config, "[sla\n").unwrap();
    refused(
        &env,
        &db,
        &["list"],
        &format!("config {} line 1: ", config.display()),
    );
    refused(
        &env,
        &db,
        &["list", "--config", "/nonexistent/c.toml"],
        "cannot read config /nonexistent/c.toml",
    );
}

#[test]
fn a_file_that_is_not_an_incident_database_is_refused_and_left_alone() {
    let env = Env::new();
    let text = env.home().join("notes.txt");
    std::fs::write(&text, "these are my notes, not a database\n".repeat(200)).unwrap();
    let t = text.to_str().unwrap();
    refused(
        &env,
        &text,
        &["--db", t, "note", "1", "x"],
        "is not an SQLite database",
    );
    refused(
        &env,
        &text,
        &["--db", t, "list"],
        "is not an SQLite database",
    );
    refused(
        &env,
        &text,
        &["--db", t, "open", "P1", "x"],
        "is not an SQLite database",
    );

    let other = env.home().join("other.sqlite");
    {
        let conn = rusqlite::Connection::open(&other).unwrap();
        conn.execute_batch("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO accounts (name) VALUES ('x');")
            .unwrap();
    }
    let o = other.to_str().unwrap();
    refused(
        &env,
        &other,
        &["--db", o, "open", "P1", "x"],
        "is an SQLite database, but not an incident database",
    );
    let journal: String = rusqlite::Connection::open(&other)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        journal, "delete",
        "the foreign database was not switched to WAL"
    );

    let dir = env.home().join("a-directory");
    std::fs::create_dir(&dir).unwrap();
    let d = dir.to_str().unwrap();
    let run = env.run(&["--db", d, "list"]);
    assert!(run.err().contains("it is a directory"), "{}", run.stderr);
}

#[test]
fn an_unreadable_database_is_reported_with_its_path() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let env = seeded();
    let db = env.db();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut list = env.command(&["list"]);
    if std::fs::read(&db).is_ok() {
        // Root reads a file of mode 000 (and CI runs as root): the binary then runs as
        // `nobody`, for whom the mode holds, with the directories above the file open to it so
        // that the file itself is what refuses.
        for dir in db
            .ancestors()
            .skip(1)
            .take_while(|d| d.starts_with(env.home()))
        {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        list.uid(65_534).gid(65_534);
    }
    let run: Run = list.output().unwrap().into();
    assert!(
        run.err().contains(&format!("cannot read {}", db.display())),
        "{}",
        run.stderr
    );
}

#[test]
fn a_database_from_a_newer_binary_is_refused_untouched() {
    let env = seeded();
    let db = env.db();
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    for args in [&["list"][..], &["note", "1", "x"], &["show", "1"]] {
        refused(
            &env,
            &db,
            args,
            &format!(
                "has schema version 99, newer than this incident binary knows ({})",
                incident::store::LATEST_VERSION
            ),
        );
    }
}

#[test]
fn a_new_database_is_private_and_reads_do_not_create_one() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let run = env.run(&["list"]);
    assert_eq!(run.ok(), "");
    assert_eq!(
        run.stderr,
        format!(
            "no database at {} yet (`incident config show` says which database is in use)\n",
            env.db().display()
        )
    );
    assert!(!env.db().exists(), "list does not create a database");
    env.run(&["show", "1"]).err();
    assert!(!env.db().exists());

    env.run(&["open", "P2", "x"]).ok();
    let mode = std::fs::metadata(env.db()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let journal: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");

    // INCIDENT_DB and --db put it elsewhere, creating the directories.
    let elsewhere = env.home().join("team/shared/incidents.db");
    env.command(&["open", "P3", "y"])
        .env("INCIDENT_DB", &elsewhere)
        .status()
        .unwrap();
    assert!(elsewhere.exists());
    let flag = env.home().join("flag.db");
    env.run(&["--db", flag.to_str().unwrap(), "open", "P3", "z"])
        .ok();
    assert!(flag.exists());
}

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    let env = Env::new();
    let missing = env.run(&["open", "P1"]);
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    assert!(missing.stderr.contains("<TITLE>"), "{}", missing.stderr);
    let help = env.run(&["--help"]);
    assert_eq!(help.code, 0);
    assert!(
        help.stdout
            .contains("  2    `remind`: an SLA deadline has passed")
    );
    let bare = env.run(&["action"]);
    assert_eq!(bare.code, 1);
    assert!(
        bare.stderr
            .contains("Usage: incident action [OPTIONS] <COMMAND>\n"),
        "the help as it is: {}",
        bare.stderr
    );
}

#[test]
fn a_note_from_stdin_that_is_not_utf8_is_refused_and_nothing_is_written() {
    let env = seeded();
    let before = env.run(&["show", "1", "--json"]).ok().to_string();
    let latin1 = b"deploy of caf\xe9-api failed: r\xe9seau injoignable\n";
    let run = env.run_stdin_bytes(&["note", "1", "-"], latin1);
    assert!(
        run.err().contains("stdin is not UTF-8 text"),
        "{}",
        run.stderr
    );
    assert_eq!(env.run(&["show", "1", "--json"]).ok(), before);
}
