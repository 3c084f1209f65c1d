//! Config fuzz (issue 15): seeded, deterministic mutations of `incident config default` (as
//! shipped, and with every example uncommented), plus a value past every bound in every
//! duration key. Each is loaded in-process (fast); a sample also runs the binary. Whatever
//! the file holds: no panic, no hang, every refusal one line naming the file and a line, and
//! every accepted duration within its documented maximum.

use crate::common::Env;
use crate::common::rng::Rng;
use incident::config::{self, DEFAULT_CONFIG, Flags, MAX_INTERVAL, MAX_TARGET, MAX_TIMEOUT};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// How many mutated configs each seed run makes (two bases, so twice this in all).
const MUTATIONS: usize = 300;
/// Every how many-th mutated config also runs the binary.
const BINARY_EVERY: usize = 20;

/// Values that broke or could break the tool: overflowing numbers and durations, negative
/// ones, the empty string, control characters and escape sequences, non-ASCII text.
const NASTY: &[&str] = &[
    "\"9223372036854775807s\"",
    "\"300000y\"",
    "\"18446744073709551615ms\"",
    "\"99999999999999999999999s\"",
    "\"-5m\"",
    "\"0s\"",
    "\"\"",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "-1",
    "1e309",
    "nan",
    "\"\\u001b[2J\\u001b]0;pwned\\u0007\"",
    "\"line one\\nerror: line two\"",
    "\"\\u0000\"",
    "\"ünïcødé 漢字 🙂\"",
    "\"${UNSET_VAR_42}\"",
    "[]",
    "{}",
    "true",
];

/// Raw text spliced into the file: escapes, NUL, CRLF, unicode, invalid UTF-8.
const SPLICES: &[&[u8]] = &[
    b"\x1b[2J",
    b"\0",
    b"\r\n",
    b"\n",
    "é漢🙂".as_bytes(),
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\"",
    b"[",
    b"]]",
    b"=",
    b"# ",
];

/// The default config with every example uncommented: every section and key the loader knows.
fn uncommented() -> String {
    DEFAULT_CONFIG
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with('[')
                    || rest
                        .split_once(" = ")
                        .is_some_and(|(k, _)| !k.is_empty() && !k.contains(' ')) =>
            {
                rest
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The byte offset where the value of the `key = value` line starting at `start` begins.
fn value_span(text: &[u8], start: usize) -> Option<(usize, usize)> {
    let end = text[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |p| start + p);
    let line = &text[start..end];
    let eq = line.windows(3).position(|w| w == b" = ")?;
    Some((start + eq + 3, end))
}

fn line_starts(text: &[u8]) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            text.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .filter(|&i| i < text.len())
        .collect()
}

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut text = base.to_vec();
    for _ in 0..=rng.below(3) {
        let lines = line_starts(&text);
        if text.is_empty() || lines.is_empty() {
            break;
        }
        let at = *rng.pick(&lines);
        let line_end = text[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |p| at + p + 1);
        match rng.below(8) {
            0 => {
                let i = rng.below(text.len());
                text[i] ^= 1 << rng.below(8);
            }
            1 => {
                text.drain(at..line_end);
            }
            2 => {
                let line = text[at..line_end].to_vec();
                text.splice(at..at, line);
            }
            3 => {
                // Swap the values of two `key = value` lines.
                let other = *rng.pick(&lines);
                if let (Some(a), Some(b)) = (value_span(&text, at), value_span(&text, other))
                    && a.1 <= b.0
                {
                    let (va, vb) = (text[a.0..a.1].to_vec(), text[b.0..b.1].to_vec());
                    text.splice(b.0..b.1, va);
                    text.splice(a.0..a.1, vb);
                }
            }
            4 | 5 => {
                if let Some((from, to)) = value_span(&text, at) {
                    text.splice(from..to, rng.pick(NASTY).bytes());
                }
            }
            6 => {
                let i = rng.below(text.len() + 1);
                text.splice(i..i, rng.pick(SPLICES).iter().copied());
            }
            _ => text.truncate(rng.below(text.len() + 1)),
        }
    }
    text
}

/// Every duration key of the uncommented default, with a value past every bound.
fn huge_durations(base: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (i, line) in base.lines().enumerate() {
        let Some((key, rest)) = line.split_once(" = ") else {
            continue;
        };
        let is_duration = |v: &str| {
            let v = v.trim_matches('"');
            v.starts_with(|c: char| c.is_ascii_digit())
                && v.ends_with(|c: char| c.is_ascii_alphabetic())
                && v.chars().all(|c| c.is_ascii_alphanumeric())
        };
        let value = rest.split_whitespace().next().unwrap_or("");
        for huge in [
            "9223372036854775807s",
            "300000y",
            "366d",
            "18446744073709551615ms",
        ] {
            let replaced = if key == "repeat" {
                rest.replace("\"15m\"", &format!("\"{huge}\""))
            } else if is_duration(value) {
                format!("\"{huge}\"")
            } else {
                continue;
            };
            let mut lines: Vec<String> = base.lines().map(String::from).collect();
            lines[i] = format!("{key} = {replaced}");
            out.push((lines.join("\n") + "\n").into_bytes());
        }
    }
    out
}

/// Loads `text` as the config, in-process; checks the outcome and returns whether it loaded.
/// `offline` (as `--offline`) leaves the `[team]` section unread.
fn check_load(path: &Path, text: &[u8], what: &str, offline: bool) -> bool {
    std::fs::write(path, text).unwrap();
    let flags = Flags {
        config: Some(path.to_path_buf()),
        offline,
        ..Flags::default()
    };
    let env = |k: &str| (k == "HOME").then(|| "/nonexistent-home".to_string());
    let loaded = std::panic::catch_unwind(|| config::load(&flags, &env))
        .unwrap_or_else(|_| panic!("{what}: config::load panicked on {:?}", lossy(text)));
    match loaded {
        Ok(s) => {
            let p = &s.policy;
            for d in [p.postmortem, p.p1.respond, p.p1.resolve, p.p2.respond]
                .into_iter()
                .chain([p.p2.resolve, p.p3.respond, p.p3.resolve])
            {
                assert!(d <= MAX_TARGET, "{what}: accepted target {d:?}");
            }
            let r = &s.reminders;
            for d in [r.stale, r.repeat_p1, r.repeat_p2, r.repeat_p3] {
                assert!(d <= MAX_INTERVAL, "{what}: accepted interval {d:?}");
            }
            let c = &s.collectors;
            let timeouts = (c.commands.iter().map(|c| c.timeout))
                .chain(c.databases.iter().map(|d| d.timeout))
                .chain(c.redis.iter().map(|r| r.timeout))
                .chain(c.kubernetes.iter().map(|k| k.timeout))
                .chain(s.channels.iter().map(|c| c.timeout))
                .chain([c.deadline]);
            for d in timeouts {
                assert!(d <= MAX_TIMEOUT, "{what}: accepted timeout {d:?}");
            }
            true
        }
        Err(e) => {
            let msg = e.to_string();
            assert_refusal(&msg, path, text, what);
            false
        }
    }
}

/// One line, no control characters, naming the file and a line of it.
#[track_caller]
fn assert_refusal(msg: &str, path: &Path, text: &[u8], what: &str) {
    assert!(
        !msg.chars().any(char::is_control),
        "{what}: control characters in {msg:?}"
    );
    let prefix = format!("config {} line ", path.display());
    let rest = msg
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{what}: no file and line in {msg:?}"));
    let line: usize = rest
        .split(':')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{what}: no line number in {msg:?}"));
    let lines = text.iter().filter(|&&b| b == b'\n').count() + 1;
    assert!(
        (1..=lines).contains(&line),
        "{what}: line {line} of {lines}: {msg:?}"
    );
}

fn lossy(text: &[u8]) -> String {
    String::from_utf8_lossy(text).into_owned()
}

/// Runs the binary with the config, bounded in time: Some(exit code, stderr).
fn run_bounded(env: &Env, config: &Path, db: &Path, args: &[&str], what: &str) -> (i32, String) {
    let mut cmd = env.command(args);
    cmd.arg("--offline")
        .arg("--config")
        .arg(config)
        .arg("--db")
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("{what}: {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn check_binary(env: &Env, config: &Path, text: &[u8], loaded: bool, what: &str) {
    let db = env
        .home()
        .join(format!("fuzz-{}.db", what.replace(' ', "-")));
    for args in [
        &["config", "show"][..],
        &[
            "open",
            "P2",
            "fuzz: orders-api 502s — ünïcode",
            "--no-snapshot",
        ],
        &["list"],
        &["sla"],
    ] {
        let (code, stderr) = run_bounded(env, config, &db, args, what);
        if loaded {
            assert_eq!(
                code, 0,
                "{what}: {args:?} failed on an accepted config: {stderr}"
            );
        } else {
            assert_eq!(code, 1, "{what}: {args:?}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{what}: {stderr:?}");
            let msg = stderr.trim_end().strip_prefix("error: ").unwrap_or("");
            assert_refusal(msg, config, text, what);
        }
    }
}

#[test]
fn any_config_loads_or_is_refused_on_one_line_with_file_and_line() {
    let env = Env::new();
    let config = env.home().join("config.toml");
    let started = Instant::now();
    let full = uncommented();
    assert!(
        check_load(&config, full.as_bytes(), "the uncommented default", false),
        "the uncommented default config must load"
    );
    let (mut accepted, mut refused, mut spawned) = (0, 0, 0);
    for (b, base) in [DEFAULT_CONFIG, full.as_str()].iter().enumerate() {
        let mut rng = Rng(0x1BC1_DE47 ^ (b as u64 + 1));
        for i in 0..MUTATIONS {
            let text = mutate(&mut rng, base.as_bytes());
            let what = format!("base {b} mutation {i}");
            let loaded = check_load(&config, &text, &what, false);
            if loaded {
                accepted += 1;
            } else {
                refused += 1;
            }
            if i % BINARY_EVERY == 0 {
                // The binary runs --offline (no team log to reach), which leaves [team] unread.
                let loaded = check_load(&config, &text, &what, true);
                check_binary(&env, &config, &text, loaded, &what);
                spawned += 1;
            }
        }
    }
    let huge = huge_durations(&full);
    // 19 keys: 7 SLA, 5 [snapshot], kubernetes, database, command, repeat, stale, notify, team.
    assert!(huge.len() >= 4 * 19, "every duration key: {}", huge.len());
    for (i, text) in huge.iter().enumerate() {
        let what = format!("huge duration {i}");
        assert!(
            !check_load(&config, text, &what, false),
            "{what}: accepted {:?}",
            lossy(text)
        );
        if i % 10 == 0 {
            let loaded = check_load(&config, text, &what, true);
            check_binary(&env, &config, text, loaded, &what);
            spawned += 1;
        }
    }
    eprintln!(
        "config fuzz: {} mutations ({accepted} accepted, {refused} refused), {} huge durations, {spawned} configs run through the binary, in {:?}",
        2 * MUTATIONS,
        huge.len(),
        started.elapsed()
    );
    assert!(accepted > 20 && refused > 100, "{accepted} {refused}");
}
