//! Import fuzz: seeded, deterministic structural and textual mutations of a real export (made
//! by the binary: open, ack, a CRLF note with a stack trace, severity, an action item, an
//! attached log, resolve, close). Never a panic or a hang; every file accepted leaves a
//! database `incident doctor` calls healthy; every file refused leaves the database's bytes
//! (and its WAL's) as they were. Imports run in-process (milliseconds each); a sample also
//! runs through the binary, which must agree.

use crate::common::Env;
use crate::common::rng::Rng;
use crate::import_checks::{a_log, real_export};
use incident::app::App;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Mutations tried, each from its own seed.
const CASES: u64 = 400;
/// One in this many also runs through the binary.
const SPAWN_EVERY: u64 = 24;

const TIMES: [&str; 10] = [
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2026-11-29T10:00:01Z",
    "2026-11-29T07:00:00Z",
    "2026-11-29T08:30:00Z",
    "2026-13-40T99:00:00Z",
    "-2974-10-29T11:13:20Z",
    "+10000-01-01T00:00:00Z",
    "2026-11-29T09:10:00+02:00",
];

const KINDS: [&str; 12] = [
    "opened",
    "note",
    "status",
    "severity",
    "field",
    "snapshot",
    "action",
    "sla",
    "attachment",
    "command",
    "health",
    "escalated",
];

fn odd_value(rng: &mut Rng) -> Value {
    rng.pick(&[
        json!(null),
        json!(0),
        json!(-1),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(1e300),
        json!(""),
        json!("P4"),
        json!("RESOLVED"),
        json!([]),
        json!({}),
        json!("ü\u{1b}[2J\u{0}"),
    ])
    .clone()
}

/// One structural change to the parsed file.
fn structural(v: &mut Value, rng: &mut Rng) {
    let inc = &mut v["incidents"][0];
    let n_events = inc["events"].as_array().map_or(0, Vec::len);
    let e = rng.below(n_events);
    // Times are where the write path's rules are subtlest: a third of the changes.
    let mut what = rng.below(21);
    if what >= 15 {
        what = if what.is_multiple_of(2) { 4 } else { 8 };
    }
    match what {
        0 => {
            inc["events"].as_array_mut().unwrap().remove(e);
        }
        1 => {
            let copy = inc["events"][e].clone();
            inc["events"].as_array_mut().unwrap().insert(e, copy);
        }
        2 => {
            let other = rng.below(n_events);
            inc["events"].as_array_mut().unwrap().swap(e, other);
        }
        3 => inc["events"][e]["kind"] = json!(rng.pick(&KINDS)),
        4 => {
            let key = *rng.pick(&["at", "recorded_at"]);
            inc["events"][e][key] = json!(rng.pick(&TIMES));
        }
        5 => {
            inc["status"] =
                json!(rng.pick(&["OPEN", "INVESTIGATING", "RESOLVED", "CLOSED", "DONE"]))
        }
        6 => inc["number"] = odd_value(rng),
        7 => inc["severity"] = odd_value(rng),
        8 => {
            let key = *rng.pick(&[
                "opened_at",
                "detected_at",
                "started_at",
                "acknowledged_at",
                "resolved_at",
                "closed_at",
                "updated_at",
            ]);
            inc[key] = json!(rng.pick(&TIMES));
        }
        9 => {
            let keys: Vec<String> = inc.as_object().unwrap().keys().cloned().collect();
            let key = rng.pick(&keys).clone();
            inc.as_object_mut().unwrap().remove(&key);
        }
        10 => {
            let keys: Vec<String> = inc["events"][e]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            let key = rng.pick(&keys).clone();
            inc["events"][e][key] = odd_value(rng);
        }
        11 => {
            let key = *rng.pick(&["id", "kind", "created_at", "done_at", "due_at", "text"]);
            inc["actions"][0][key] = odd_value(rng);
        }
        12 => {
            let key = *rng.pick(&["sha256", "size", "lines", "stored"]);
            v["blobs"][0][key] = odd_value(rng);
        }
        13 => {
            let copy = v["incidents"][0].clone();
            v["incidents"].as_array_mut().unwrap().push(copy);
        }
        _ => {
            let key = *rng.pick(&["format", "version", "incident_count", "max_action_id"]);
            v[key] = odd_value(rng);
        }
    }
}

/// One change to the file's bytes.
fn textual(bytes: &mut Vec<u8>, rng: &mut Rng) {
    let at = rng.below(bytes.len());
    match rng.below(6) {
        0 => bytes.truncate(at),
        1 => bytes[at] ^= 1 << rng.below(8),
        2 => {
            bytes.splice(at..at, [0xff, 0xfe, 0xc3]);
        }
        3 => {
            // A number made huge.
            if let Some(d) = bytes[at..].iter().position(u8::is_ascii_digit) {
                let p = at + d;
                bytes.splice(p..p, b"99999999999999999999999".iter().copied());
            }
        }
        4 => {
            let end = (at + 1 + rng.below(200)).min(bytes.len());
            bytes.drain(at..end);
        }
        _ => {
            let end = (at + 1 + rng.below(200)).min(bytes.len());
            let span: Vec<u8> = bytes[at..end].to_vec();
            bytes.splice(at..at, span);
        }
    }
}

fn mutation(good: &Value, seed: u64) -> Vec<u8> {
    let mut rng = Rng::seeded(seed);
    let mut v = good.clone();
    let structural_steps = 1 + rng.below(2);
    for _ in 0..structural_steps {
        structural(&mut v, &mut rng);
    }
    let mut bytes = v.to_string().into_bytes();
    // A third of the cases are also changed as text.
    if rng.below(3) == 0 {
        textual(&mut bytes, &mut rng);
    }
    bytes
}

fn app_for(env: &Env, db: &Path) -> App {
    let home = env.home().to_path_buf();
    let flags = incident::config::Flags {
        db: Some(db.to_path_buf()),
        config: None,
        author: Some("alice".into()),
        template_dir: None,
        offline: true,
    };
    let env_var = move |k: &str| (k == "HOME").then(|| home.display().to_string());
    App {
        settings: incident::config::load(&flags, &env_var).unwrap(),
        now: incident::domain::time::from_rfc3339("2026-11-29T10:00:00Z").unwrap(),
        notice: |_| {},
    }
}

/// What one import did: accepted (and doctor's verdict) or refused (and whether the bytes
/// stayed), or a panic.
#[derive(Debug, PartialEq)]
enum Verdict {
    Accepted {
        healthy: bool,
        problems: Vec<String>,
    },
    Refused {
        untouched: bool,
        error: String,
    },
}

fn import_in_process(env: &Env, base: &Path, db: &Path, file: &[u8]) -> Verdict {
    let _ = std::fs::remove_file(PathBuf::from(format!("{}-wal", db.display())));
    let _ = std::fs::remove_file(PathBuf::from(format!("{}-shm", db.display())));
    std::fs::copy(base, db).unwrap();
    let before = env.db_bytes(db);
    let app = app_for(env, db);
    match incident::app::transfer::import(&app, std::io::BufReader::new(file)) {
        Ok(done) if !done.imported.is_empty() => {
            let d = incident::app::doctor::diagnose(&app, &mut |_| {}).unwrap();
            Verdict::Accepted {
                healthy: d.healthy,
                problems: d
                    .findings
                    .iter()
                    .filter(|f| !f.ok)
                    .map(|f| f.what.clone())
                    .collect(),
            }
        }
        Ok(_) => Verdict::Refused {
            untouched: env.db_bytes(db) == before,
            error: "nothing imported".into(),
        },
        Err(e) => Verdict::Refused {
            untouched: env.db_bytes(db) == before,
            error: e.to_string(),
        },
    }
}

#[test]
fn mutated_exports_never_panic_and_never_plant_a_broken_incident() {
    let mut env = Env::new();
    let export = real_export(&mut env, &a_log());
    let good: Value = serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    env.at("2026-11-29T10:00:00Z");
    // The target: a database with an incident of its own, its WAL checkpointed into the file.
    let base = env.home().join("base.db");
    let on_base = ["--db", base.to_str().unwrap()];
    env.run(
        &[
            &on_base[..],
            &["open", "P3", "Disk 91% on pg-0", "--no-snapshot"],
        ]
        .concat(),
    )
    .ok();
    rusqlite::Connection::open(&base)
        .unwrap()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let dir = env.home().to_path_buf();
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        let env = Env {
            dir: tempfile::tempdir_in(&dir).unwrap(),
            now: "2026-11-29T10:00:00Z".into(),
            author: "alice".into(),
        };
        let db = env.home().join("target.db");
        let mut results = Vec::new();
        // The file as exported first: it must go in, healthy.
        let cases = std::iter::once(good.to_string().into_bytes())
            .chain((1..=CASES).map(|seed| mutation(&good, seed)));
        for (seed, file) in cases.enumerate() {
            let verdict = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                import_in_process(&env, &base, &db, &file)
            }))
            .map_err(|_| "panicked".to_string());
            results.push((seed as u64, file, verdict));
        }
        tx.send(()).unwrap();
        (env, base, results)
    });
    // A hang is a failure, not a stuck test run.
    rx.recv_timeout(std::time::Duration::from_secs(120))
        .expect("the in-process imports did not finish within 120 s");
    let (env2, base, results) = worker.join().unwrap();
    let mut accepted = 0;
    for (seed, file, verdict) in &results {
        match verdict {
            Err(e) => panic!("seed {seed}: {e}"),
            Ok(Verdict::Accepted { healthy, problems }) => {
                accepted += 1;
                assert!(
                    healthy,
                    "seed {seed}: accepted, but doctor found {problems:?}"
                );
            }
            Ok(Verdict::Refused { untouched, error }) => {
                assert!(
                    untouched,
                    "seed {seed}: refused ({error}), but the database changed"
                );
                assert!(!error.contains('\n'), "seed {seed}: {error}");
            }
        }
        if seed % SPAWN_EVERY == 0 {
            binary_agrees(&env2, &base, *seed, file, verdict.as_ref().unwrap());
        }
    }
    if std::env::var_os("FUZZ_REPORT").is_some() {
        for (seed, _, verdict) in &results {
            eprintln!("{seed}: {verdict:?}");
        }
    }
    assert!(
        matches!(results[0].2, Ok(Verdict::Accepted { .. })),
        "the real export goes in"
    );
    // Most mutations are refused; some (a kind swapped for another that changes nothing) are
    // not: both kinds of outcome are exercised.
    assert!(
        accepted > 1 && accepted < results.len() / 2,
        "{accepted} of {} accepted",
        results.len()
    );
}

/// The binary imports the same file to the same verdict, exits 0 or 1 (never 101), and its
/// doctor agrees.
fn binary_agrees(env: &Env, base: &Path, seed: u64, file: &[u8], verdict: &Verdict) {
    let db = env.home().join(format!("spawned-{seed}.db"));
    std::fs::copy(base, &db).unwrap();
    let path = env.home().join(format!("mutation-{seed}.json"));
    std::fs::write(&path, file).unwrap();
    let on = ["--db", db.to_str().unwrap()];
    let run = env.run(&[&on[..], &["import", path.to_str().unwrap()]].concat());
    match verdict {
        Verdict::Accepted { .. } => {
            assert_eq!(run.code, 0, "seed {seed}: {}", run.stderr);
            let doctor = env.run(&[&on[..], &["doctor"]].concat());
            assert_eq!(doctor.code, 0, "seed {seed}: {}", doctor.stdout);
        }
        Verdict::Refused { .. } => {
            assert_eq!(run.code, 1, "seed {seed}: {}{}", run.stdout, run.stderr);
            assert_eq!(run.stderr.lines().count(), 1, "seed {seed}: {}", run.stderr);
        }
    }
}
