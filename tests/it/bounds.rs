//! Issue 15, items 1 and 2: every time the tool accepts lies in 1970..=9999, every duration in
//! the config has a maximum, and nothing accepted makes date arithmetic panic.

use crate::common::Env;
use std::path::Path;

/// Opens P1 (breached two hours ago) and P2 incidents the commands below have work on.
fn seeded() -> Env {
    let mut env = Env::new();
    env.at("2026-11-29T10:00:00Z");
    env.run(&[
        "open",
        "P1",
        "orders-api 502s after deploy_2026-11-29",
        "--at",
        "-2h",
    ])
    .ok();
    env.run(&["open", "P2", "replica lag on db-7 (10.0.3.17)"])
        .ok();
    env.run(&["ack", "2"]).ok();
    env
}

/// Every read and write a responder runs during an incident, each of which panicked with one
/// of the reproductions (exit 101) before the bounds.
const EVERYDAY: &[&[&str]] = &[
    &["list"],
    &["show", "1"],
    &["sla"],
    &["remind", "--dry-run"],
    &["log", "1"],
    &["review"],
];

#[test]
fn a_time_before_1970_or_after_9999_is_refused_and_the_log_keeps_working() {
    let env = seeded();
    let db = env.db();
    for args in [
        &["open", "P2", "backdated", "--at", "-2030y"][..],
        &[
            "open",
            "P2",
            "backdated",
            "--detected",
            "0001-01-01T00:00:00Z",
        ],
        &["open", "P2", "backdated", "--started", "-600000d"],
        &["note", "1", "typo in --at", "--at", "1969-07-20T20:17:40Z"],
        &["action", "add", "1", "rotate keys", "--due", "+8000y"],
        &["review", "--since", "-263000y", "--until", "now"],
        &["review", "--since", "-1d", "--until", "+300000y"],
        &["list", "--since", "-263000y"],
        &["search", "502", "--since", "-263000y"],
        &["sla", "--at", "10000-01-01T00:00:00Z"],
    ] {
        let before = env.db_bytes(&db);
        let run = env.run(args);
        let err = run.err();
        assert!(
            err.contains("out of range") || err.contains("malformed time"),
            "{args:?}: {err}"
        );
        assert!(env.db_bytes(&db) == before, "{args:?} changed the database");
    }
    for args in EVERYDAY {
        works(&env, args);
    }
}

/// Ran to the end: exit 0, or 2 for `remind` while anything is breached; never a panic (101).
#[track_caller]
fn works(env: &Env, args: &[&str]) {
    let run = env.run(args);
    assert!(
        run.code == 0 || (args[0] == "remind" && run.code == 2),
        "{args:?}: exit {}: {}",
        run.code,
        run.stderr
    );
}

#[test]
fn review_weeks_and_windows_stay_within_the_range() {
    let env = seeded();
    let err = env.run(&["review", "--week", "9999-W52"]);
    assert!(err.err().contains("out of range"), "{}", err.stderr);
    let err = env.run(&["review", "--week", "0001-W01"]);
    assert!(err.err().contains("out of range"), "{}", err.stderr);
    // The whole range: the window before it would start before 1970 and is cut there, and
    // eight thousand years have no per-day chart (millions of bars took gigabytes).
    let json = env.json(&[
        "review",
        "--since",
        "1970-01-01T00:00:00Z",
        "--until",
        "9999-12-31T23:59:59Z",
        "--format",
        "json",
    ]);
    assert_eq!(json["counts"]["opened"]["total"]["value"], 2, "{json}");
    assert_eq!(json["previous"]["since"], "1970-01-01T00:00:00Z", "{json}");
    assert_eq!(json["charts"]["per_day"]["any"], false);
    let html = env.run(&[
        "review",
        "--since",
        "1970-01-01",
        "--until",
        "9999-12-31",
        "--format",
        "html",
    ]);
    assert!(html.ok().len() < 100_000, "{}", html.stdout.len());
}

#[test]
fn a_pinned_clock_outside_the_range_is_refused() {
    let mut env = Env::new();
    env.at("1969-07-20T20:17:40Z");
    let run = env.run(&["list"]);
    assert!(run.err().contains("INCIDENT_NOW"), "{}", run.stderr);
}

/// Each duration key with a value past its maximum, the line it is on, and the maximum the
/// error names.
const TOO_LONG: &[(&str, usize, &str)] = &[
    ("[sla.P2]\nrespond = \"300000y\"\n", 2, "365d"),
    ("[sla.P2]\nresolve = \"9223372036854775807s\"\n", 2, "365d"),
    ("[sla]\npostmortem = \"366d\"\n", 2, "365d"),
    ("[reminders]\nstale = \"300000y\"\n", 2, "7d"),
    (
        "[reminders]\nrepeat = { P1 = \"15m\", P3 = \"8d\" }\n",
        2,
        "7d",
    ),
    ("[snapshot]\ntimeout = \"9223372036854775807s\"\n", 2, "1h"),
    ("[snapshot]\ndeadline = \"61m\"\n", 2, "1h"),
    ("[snapshot.data_age]\ncritical = \"2y\"\n", 2, "365d"),
    (
        "[[command]]\nname = \"ml-features\"\nrun = [\"true\"]\ntimeout = \"300000y\"\n",
        4,
        "1h",
    ),
    (
        "[[database]]\nname = \"crypto_prices\"\nurl = \"mysql://root@127.0.0.1:3306/x\"\ntimeout = \"2h\"\n",
        4,
        "1h",
    ),
    (
        "[[notify]]\nname = \"mail\"\nkind = \"command\"\nrun = [\"cat\"]\ntimeout = \"9223372036854775807s\"\n",
        5,
        "1h",
    ),
];

#[test]
fn a_duration_past_its_maximum_is_refused_with_file_and_line_before_anything_is_written() {
    let env = seeded();
    let db = env.db();
    for (text, line, max) in TOO_LONG {
        let config = env.write_config(text);
        let before = env.db_bytes(&db);
        for args in [
            &["open", "P2", "after the typo"][..],
            &["list"],
            &["remind"],
        ] {
            let run = env.run(args);
            let err = run.err();
            let at = format!("config {} line {line}: ", config.display());
            assert!(err.contains(&at), "{text:?} {args:?}: {err}");
            assert!(
                err.contains(&format!("is too long: at most {max}")),
                "{text:?}: {err}"
            );
            assert!(env.db_bytes(&db) == before, "{text:?} {args:?} wrote");
        }
    }
}

#[test]
fn every_duration_at_its_maximum_works_everywhere() {
    let env = seeded();
    let out = env.home().join("delivered.txt");
    env.write_config(&format!(
        r#"[sla]
postmortem = "365d"
[sla.P1]
respond = "365d"
resolve = "365d"
[sla.P3]
respond = "365d"
resolve = "365d"
[reminders]
repeat = {{ P1 = "7d", P2 = "7d", P3 = "7d" }}
stale = "7d"
[snapshot]
timeout = "1h"
deadline = "1h"
[snapshot.data_age]
info = "365d"
warning = "365d"
critical = "365d"
[[command]]
name = "disk-usage"
run = ["sh", "-c", "echo '/dev/nvme0n1p2 91% /var/lib/postgresql'"]
[[notify]]
name = "mail"
kind = "command"
run = ["sh", "-c", "cat >> '{}'"]
timeout = "1h"
"#,
        out.display()
    ));
    let opened = env.run(&["open", "P3", "disk 91% on pg-primary — ünïcode"]);
    opened.ok();
    for args in EVERYDAY {
        works(&env, args);
    }
    // The collector ran well within its hour: recorded as it answered, not as a timeout.
    let snap = env.json(&["show", "3", "--snapshot", "1", "--json"]);
    let item = &snap["snapshot"]["items"][0];
    assert_eq!(item["status"], "ok", "{item}");
    // P1's respond target is now a year away; the P2 left acknowledged goes stale in 7 days.
    let mut later = Env {
        dir: env.dir,
        now: String::new(),
        author: env.author,
    };
    later.at("2026-12-07T10:00:00Z");
    later.run(&["remind"]);
    let sent = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(sent.contains("replica lag on db-7"), "{sent}");
    for args in [
        &["resolve", "3"][..],
        &["list"],
        &["sla"],
        &["postmortem", "3"],
    ] {
        works(&later, args);
    }
}

#[test]
fn a_watch_interval_past_a_day_is_refused() {
    let env = seeded();
    env.write_config("[[command]]\nname = \"uptime\"\nrun = [\"uptime\"]\n");
    for args in [
        &["remind", "--watch", "--interval", "300000y"][..],
        &[
            "check",
            "--open",
            "--watch",
            "--interval",
            "9223372036854775807s",
        ],
    ] {
        let run = env.run(args);
        assert!(run.err().contains("at most 1d"), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn config_errors_quote_values_on_one_line_and_name_the_line_of_invalid_utf8() {
    let env = seeded();
    let db = env.db();
    for (text, line, quoted) in [
        (
            &b"[sla.P1]\nrespond = \"15m\"\nresolve = \"1h\\n\\u001b[2Jerror: all clear\"\n"[..],
            3,
            r#""1h\n\u{1b}[2Jerror: all clear""#,
        ),
        (
            b"[[notify]]\nname = \"pager\"\nkind = \"sms\\r\\nX-Injected: 1\"\n",
            3,
            r#""sms\r\nX-Injected: 1""#,
        ),
        (
            b"[sla.P2]\n\"respond\\u001b]0;pwned\\u0007\" = \"4h\"\n",
            2,
            r"\u{1b}]0;pwned\u{7}",
        ),
        // Latin-1 "café" in a comment: the byte and its line, not a line-less parser error.
        (
            b"# on-call: caf\xe9 rota\n[sla.P3]\nrespond = \"24h\"\n",
            1,
            "0xe9",
        ),
        (
            b"[sla.P3]\nrespond = \"24h\"\r\n\r\n# \xff\xfe\r\n",
            4,
            "0xff",
        ),
    ] {
        let config = env.write_config("");
        std::fs::write(&config, text).unwrap();
        let before = env.db_bytes(&db);
        let run = env.run(&["note", "1", "checked the config"]);
        let err = run.err();
        assert!(
            err.contains(&format!("config {} line {line}: ", config.display())),
            "{err}"
        );
        assert!(err.contains(quoted), "{quoted}: {err}");
        assert!(!err.contains('\u{1b}') && !err.contains('\r'), "{err:?}");
        assert!(env.db_bytes(&db) == before);
    }
}

/// The finder of unchecked date arithmetic stays on: clippy's `arithmetic_side_effects` over
/// the library, which CI runs with warnings denied (see clippy.toml for what it exempts).
#[test]
fn unchecked_date_arithmetic_is_found_by_the_lint() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    assert!(
        lib.contains("#![cfg_attr(not(test), warn(clippy::arithmetic_side_effects))]"),
        "src/lib.rs must keep the lint on"
    );
    let clippy = std::fs::read_to_string(root.join("clippy.toml")).unwrap();
    assert!(
        !clippy.contains("arithmetic-side-effects-allowed ="),
        "exempting a type outright hides `span * 2`: exempt pairs of integers only"
    );
}

#[test]
fn an_out_of_range_time_an_earlier_version_stored_does_not_stop_the_log() {
    let env = seeded();
    let db = env.db();
    // What `open --at -2030y` stored before times were bounded.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE incidents SET opened_at = '-2974-10-29T11:13:20Z', detected_at = '-2974-10-29T11:13:20Z' WHERE number = 2",
        [],
    )
    .unwrap();
    drop(conn);
    for args in EVERYDAY.iter().copied().chain([
        &["show", "2"][..],
        &["postmortem", "2"],
        &["export", "--all"],
    ]) {
        works(&env, args);
    }
    // It reads as the earliest time the log holds, until a new event projects the row again.
    let list = env.json(&["list", "--json"]);
    let rows = list.as_array().unwrap();
    let two = rows.iter().find(|i| i["number"] == 2).unwrap();
    assert_eq!(two["opened_at"], "1970-01-01T00:00:00Z", "{two}");
    env.run(&["note", "2", "checked replica lag: 0 s"]).ok();
}
