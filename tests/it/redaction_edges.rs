//! Redaction at the edges (issue 15, item 6): a secret across the cut of a line too long to be
//! held whole, and across an output cap, never reaches the database, its WAL, `logs`, `show`,
//! `search` or an export; not even in part.

use crate::common::Env;

/// A `${VAR}` value no rule would catch: 18 characters, as in the issue.
const ENV_SECRET: &str = "Qx9-Hunter2-Env-42";

/// Bytes of a line `attach` holds before it redacts a piece of it, and how far before the
/// line's end so far that piece stops (src/evidence/redact.rs, LONGEST_LINE and OVERLAP).
const LONGEST_LINE: usize = 1 << 20;
const OVERLAP: usize = 4 << 10;

/// Secrets of a few shapes: a `${VAR}` value, a key=value, a token, a JWT.
fn shapes() -> [(String, &'static str); 4] {
    [
        (format!("with {ENV_SECRET} to 10.0.0.7"), "Qx9-Hu"),
        ("password=letmein-Ö99&user=bob_smith".into(), "letmein"),
        ("ghp_0123456789abcdefghijklmnopqrstuvwxyz".into(), "ghp_01"),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
                .into(),
            "dozjgNry",
        ),
    ]
}

/// Whether `needle` is anywhere in `hay`.
fn holds(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[track_caller]
fn assert_nowhere(env: &Env, needles: &[&str], export: &std::path::Path) {
    let (db, wal) = env.db_bytes(&env.db());
    let exported = std::fs::read(export).unwrap();
    for needle in needles {
        assert!(!holds(&db, needle), "{needle} is in the database");
        assert!(!holds(&wal, needle), "{needle} is in the WAL");
        assert!(!holds(&exported, needle), "{needle} is in the export");
    }
}

#[test]
fn a_secret_across_the_cut_of_a_line_too_long_to_hold_is_redacted() {
    let env = Env::new();
    env.write_config(
        "[[redis]]\nname = \"cache\"\nurl = \"redis://:${INCIDENT_TEST_SECRET}@127.0.0.1:1\"\n",
    );
    env.run(&["open", "P2", "Checkout errors"]).ok();
    // A log line of 1.1 MB without a newline (a JSON blob, a minified bundle), made of log
    // words with spaces, first in its file; the secret starts around the cut (1 MiB - 4 KiB)
    // and around the chunk boundary where the line was cut before (1 MiB).
    let filler = |len: usize| {
        let unit = "GET /api/v2/orders 200 req_id=ab-12_x host=10.0.3.7 user=Zoë ";
        let mut s = unit.repeat(len / unit.len() + 1);
        s.truncate(s.floor_char_boundary(len));
        s
    };
    let shapes = shapes();
    let mut files = Vec::new();
    for (i, offset) in [-40i64, -9, 0, 7, 40]
        .iter()
        .flat_map(|d| [LONGEST_LINE - OVERLAP, LONGEST_LINE].map(|b| b as i64 + d))
        .enumerate()
    {
        let (shape, _) = &shapes[i % shapes.len()];
        let before = filler(offset as usize - shape.len() / 2);
        let text = format!(
            "{before} {shape} {}\r\n2026-11-29T09:00:00Z last line\n",
            filler(100_000)
        );
        let file = env.home().join(format!("long-{i}.log"));
        std::fs::write(&file, text).unwrap();
        files.push(file);
    }
    let mut args = vec!["attach", "1"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = env
        .command(&args)
        .env("INCIDENT_TEST_SECRET", ENV_SECRET)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let export = env.home().join("export.json");
    env.run(&["export", "--all", "--out", export.to_str().unwrap()])
        .ok();
    let needles: Vec<&str> = shapes.iter().map(|(_, n)| *n).collect();
    assert_nowhere(&env, &needles, &export);
    for n in 1..=files.len() {
        let logs = env.run(&["logs", "1", "-a", &n.to_string()]);
        let text = logs.ok();
        assert!(text.contains("[REDACTED:"), "log {n} has no marker");
        assert_eq!(
            text.lines().count(),
            2,
            "lines are neither added nor removed"
        );
        for needle in &needles {
            assert!(!text.contains(needle), "log {n} shows {needle}");
        }
    }
    for args in [
        &["show", "1"][..],
        &["search", "req_id"],
        &["search", "Qx9"],
    ] {
        let run = env.run(args);
        for needle in &needles {
            assert!(!run.stdout.contains(needle), "{args:?} shows {needle}");
        }
    }
}

#[test]
fn the_exec_cap_never_keeps_part_of_a_secret() {
    let env = Env::new();
    env.write_config(
        "[exec]\nmax_output = 100\n\n[[redis]]\nname = \"cache\"\n\
         url = \"redis://:${INCIDENT_TEST_SECRET}@127.0.0.1:1\"\n",
    );
    env.run(&["open", "P2", "Checkout errors"]).ok();
    // The cap falls before, inside (at 1, 11 and 17 of its 18 characters) and after the value.
    for inside in [-3i64, 1, 11, 17, 21] {
        let lead = "x".repeat((100 - inside) as usize - "auth ".len());
        let script = format!("echo \"auth {lead}$INCIDENT_TEST_SECRET done\"; seq 1 50");
        let out = env
            .command(&["exec", "1", "--", "sh", "-c", &script])
            .env("INCIDENT_TEST_SECRET", ENV_SECRET)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let export = env.home().join("export.json");
    env.run(&["export", "--all", "--out", export.to_str().unwrap()])
        .ok();
    // Four characters of it already say too much.
    let prefixes: Vec<&str> = (4..=ENV_SECRET.len()).map(|n| &ENV_SECRET[..n]).collect();
    assert_nowhere(&env, &prefixes, &export);
    for n in 1..=5 {
        let run = env.run(&["logs", "1", "--command", &n.to_string()]);
        let text = run.ok();
        assert!(
            text.contains("[output cut at 100 bytes;"),
            "run {n}: {text}"
        );
        assert!(!text.contains("Qx9-"), "run {n}: {text}");
        // A marker is kept whole or not at all.
        if let Some(i) = text.find("[REDACTED:") {
            assert!(text[i..].starts_with("[REDACTED:env]"), "run {n}: {text}");
        }
    }
}

#[test]
fn a_snapshot_commands_cap_never_keeps_part_of_a_secret() {
    let env = Env::new();
    let lead = "x".repeat(100 - 11 - "auth ".len());
    env.write_config(&format!(
        "[[command]]\nname = \"token-check\"\nmax_output = 100\n\
         run = [\"sh\", \"-c\", \"echo \\\"auth {lead}$0 done\\\"; seq 1 50\", \"${{INCIDENT_TEST_SECRET}}\"]\n"
    ));
    let out = env
        .command(&["open", "P2", "Checkout errors"])
        .env("INCIDENT_TEST_SECRET", ENV_SECRET)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let snap = env.json(&["show", "1", "--snapshot", "1", "--json"]);
    let raw = snap["snapshot"]["items"][0]["raw"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(raw.contains("[output cut at 100 bytes;"), "{raw}");
    let export = env.home().join("export.json");
    env.run(&["export", "--all", "--out", export.to_str().unwrap()])
        .ok();
    let prefixes: Vec<&str> = (4..=ENV_SECRET.len()).map(|n| &ENV_SECRET[..n]).collect();
    assert_nowhere(&env, &prefixes, &export);
    assert!(!raw.contains("Qx9-"), "{raw}");
}
