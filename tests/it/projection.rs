//! One projection of events: every incident the binary wrote can be rebuilt from its timeline
//! alone (`domain::projection::replay`), and equals the stored row.

use crate::common::Env;
use incident::domain::event::EventKind;
use incident::domain::projection::{Seed, replay};
use incident::domain::sla::Policy;
use incident::store::{Mode, Store};
use std::collections::BTreeSet;

/// A small deterministic generator (the test must fail the same way twice).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % sides
    }
}

const TITLES: &[&str] = &[
    "Data collection stopped (materialized-updater stuck)",
    "enhanced-crypto-prices CrashLoopBackOff on node ip-10-0-3-17",
    "Health score 62/100 — données en retard",
    "MySQL replica lag > 2h on crypto_prices",
    "Redis evictions: maxmemory reached (db0)",
    "CronJob data-collection-health-monitor missed 3 runs",
];

const DESCRIPTIONS: &[&str] = &[
    "",
    "kubectl logs materialized-updater-7f9c6d-x2x9k --tail=50\r\nprocessing range 2025-10-02..2025-10-02 again\r\nretry=5 backoff_ms=30000",
    "Traceback (most recent call last):\n  File \"collector.py\", line 88, in fetch\n    raise TimeoutError(\"upstream 10.0.4.12:443\")\nTimeoutError: upstream 10.0.4.12:443",
    "request_id=req_7f3a-91bc user=svc-collector latency_ms=30012 status=504",
];

fn run(env: &Env, args: &[&str]) -> String {
    env.run(args).ok().to_string()
}

/// Works one incident the way a responder does: open (sometimes backdated, detected earlier,
/// with a description from stdin), acknowledge, notes (some written days later about earlier
/// moments), field changes and corrections, severity changes, action items, a command and a
/// log, resolve, close, reopen.
fn work_one(env: &mut Env, dice: &mut Dice, number: usize, day: u32) {
    let n = number.to_string();
    let severity = open_and_ack(env, dice, &n, day);
    investigate(env, dice, &n, day, severity);
    resolve_close_reopen(env, dice, &n, day);
}

/// `hh:mm` on day `day` of November 2026.
fn moment(day: u32, h: u32, m: u32) -> String {
    format!("2026-11-{day:02}T{h:02}:{m:02}:00Z")
}

/// Opens incident `n` (its severity is returned) and, most of the time, acknowledges it.
fn open_and_ack(env: &mut Env, dice: &mut Dice, n: &str, day: u32) -> &'static str {
    let at = |h: u32, m: u32| moment(day, h, m);
    env.at(&at(9, 0));
    let severity = ["P1", "P2", "P3"][dice.roll(3) as usize];
    let title = TITLES[dice.roll(TITLES.len() as u64) as usize];
    let description = DESCRIPTIONS[dice.roll(DESCRIPTIONS.len() as u64) as usize];
    let mut open = vec!["open", severity, title, "--no-snapshot"];
    let opened_at = at(8, 30);
    let detected = at(7, 45);
    let started = at(7, 12);
    if dice.roll(2) == 0 {
        open.extend(["--at", &opened_at]);
        if dice.roll(2) == 0 {
            open.extend(["--detected", &detected]);
            if dice.roll(2) == 0 {
                open.extend(["--started", &started]);
            }
        }
    }
    if description.is_empty() {
        env.run(&open).ok();
    } else {
        open.extend(["--description", "-"]);
        env.run_stdin(&open, description).ok();
    }
    env.at(&at(9, 5 + dice.roll(20) as u32));
    if dice.roll(4) > 0 {
        run(env, &["ack", n]);
    }
    severity
}

/// A note, then by the dice: the root cause and its backdated correction, a severity change,
/// new title and description, an action item, a command.
fn investigate(env: &mut Env, dice: &mut Dice, n: &str, day: u32, severity: &str) {
    let at = |h: u32, m: u32| moment(day, h, m);
    env.at(&at(10, 0));
    run(
        env,
        &[
            "note",
            n,
            "restarted materialized-updater (pod/materialized-updater-7f9c6d)",
        ],
    );
    if dice.roll(2) == 0 {
        run(
            env,
            &[
                "update",
                n,
                "--root-cause",
                "date range stuck at 2025-10-02",
            ],
        );
        env.at(&at(10, 30));
        // A correction recorded later but dated earlier: the later record wins.
        run(
            env,
            &[
                "update",
                n,
                "--root-cause",
                "checkpoint table not advancing",
                "--at",
                &at(9, 50),
            ],
        );
    }
    if dice.roll(3) == 0 {
        let to = ["P1", "P2", "P3"][dice.roll(3) as usize];
        if to != severity {
            run(env, &["update", n, "--severity", to]);
        }
    }
    if dice.roll(3) == 0 {
        run(
            env,
            &[
                "update",
                n,
                "--title",
                "Data collection stopped for 5 days",
                "--description",
                "see runbook §2",
            ],
        );
    }
    if dice.roll(2) == 0 {
        run(
            env,
            &[
                "action",
                "add",
                n,
                "alert on data age > 2h",
                "--owner",
                "bob",
                "--kind",
                "detect",
            ],
        );
    }
    if dice.roll(3) == 0 {
        run(env, &["exec", n, "--", "true"]);
    }
}

/// By the dice: resolve, then close with a note written two days later, then reopen and
/// resolve again.
fn resolve_close_reopen(env: &mut Env, dice: &mut Dice, n: &str, day: u32) {
    let at = |h: u32, m: u32| moment(day, h, m);
    if dice.roll(2) == 0 {
        env.at(&at(11, 0));
        run(
            env,
            &[
                "resolve",
                n,
                "--root-cause",
                "stuck checkpoint (cron)",
                "--resolution",
                "reset checkpoint; restart",
            ],
        );
        if dice.roll(2) == 0 {
            // Written two days later, about that morning.
            env.at(&format!("2026-11-{:02}T16:00:00Z", day + 2));
            run(
                env,
                &["note", n, "post-mortem draft shared", "--at", &at(11, 30)],
            );
            run(
                env,
                &[
                    "close",
                    n,
                    "--prevention",
                    "alert on checkpoint age",
                    "--lessons",
                    "watch data age, not pods",
                ],
            );
            if dice.roll(3) == 0 {
                env.at(&format!("2026-11-{:02}T09:00:00Z", day + 3));
                run(env, &["reopen", n, "--reason", "stuck again after deploy"]);
                run(env, &["resolve", n]);
            }
        }
    }
}

#[test]
fn every_incident_rebuilds_from_its_timeline() {
    let mut env = Env::new();
    let mut dice = Dice(20261205);
    let log = env.home().join("updater.log");
    std::fs::write(&log, "2026-11-03T09:00:01Z ERROR stuck range=2025-10-02\n").unwrap();
    for number in 1..=24 {
        work_one(&mut env, &mut dice, number, 1 + (number as u32 % 20));
        if number % 5 == 0 {
            run(
                &env,
                &["attach", &number.to_string(), log.to_str().unwrap()],
            );
        }
    }

    let mut store = Store::open(&env.db(), Mode::Read).unwrap();
    let txn = store.read().unwrap();
    let (incidents, _) = txn.list(&Default::default()).unwrap();
    assert_eq!(incidents.len(), 24);
    let mut kinds = BTreeSet::new();
    for stored in &incidents {
        let events = txn.events_as_recorded(stored.pk).unwrap();
        kinds.extend(events.iter().map(|e| e.kind.as_str()));
        assert!(
            events[0].kind == EventKind::Opened && events[0].detail.is_some(),
            "incident {}: its opening carries its description and detection time",
            stored.number
        );
        // Nothing but the identity comes from the row.
        let seed = Seed {
            pk: stored.pk,
            uuid: stored.uuid.clone(),
            number: stored.number,
            description: "not from the row".into(),
            detected_at: None,
        };
        let rebuilt = replay(&seed, &events, &Policy::default())
            .unwrap_or_else(|e| panic!("incident {}: {e}", stored.number));
        assert_eq!(&rebuilt, stored, "incident {} rebuilt", stored.number);
    }
    // The log above exercised every kind that changes fields, and most that do not.
    for kind in [
        "opened",
        "status",
        "severity",
        "field",
        "note",
        "action",
        "command",
        "attachment",
    ] {
        assert!(
            kinds.contains(kind),
            "no {kind} event in the generated log: {kinds:?}"
        );
    }
    let states: BTreeSet<_> = incidents.iter().map(|i| i.status.as_str()).collect();
    assert!(states.len() >= 3, "{states:?}");
}

/// An export of one incident opened with a description and an earlier detection, then
/// acknowledged and resolved; returns the file's text.
fn exported_one(env: &Env) -> String {
    env.run_stdin(
        &[
            "open",
            "P2",
            "Redis evictions (db0)",
            "--no-snapshot",
            "--at",
            "-2h",
            "--detected",
            "-3h",
            "--description",
            "-",
        ],
        "maxmemory reached\r\nused_memory=4.00G",
    )
    .ok();
    env.run(&["ack", "1"]).ok();
    env.run(&["resolve", "1", "--resolution", "raised maxmemory"])
        .ok();
    let file = env.home().join("one.json");
    env.run(&["export", "1", "--out", file.to_str().unwrap()])
        .ok();
    std::fs::read_to_string(file).unwrap()
}

#[test]
fn an_import_whose_fields_do_not_follow_from_its_timeline_is_refused() {
    let env = Env::new();
    let good = exported_one(&env);
    let target = env.home().join("other.db");
    let db = target.to_str().unwrap();
    env.run(&["--db", db, "open", "P3", "Local one", "--no-snapshot"])
        .ok();
    let before = env.db_bytes(&target);
    let planted = env.home().join("planted.json");
    // The file says CLOSED; its timeline ends RESOLVED.
    std::fs::write(
        &planted,
        good.replacen("\"status\":\"RESOLVED\"", "\"status\":\"CLOSED\"", 1),
    )
    .unwrap();
    let run = env.run(&["--db", db, "import", planted.to_str().unwrap()]);
    let err = run.err();
    assert!(
        err.contains("its status is 'CLOSED', but its timeline says 'RESOLVED'"),
        "{err}"
    );
    assert_eq!(env.db_bytes(&target), before, "the database is untouched");
}

#[test]
fn an_export_from_before_opening_details_imports_with_its_own_fields() {
    let env = Env::new();
    let good = exported_one(&env);
    let mut file: serde_json::Value = serde_json::from_str(&good).unwrap();
    let opened = &mut file["incidents"][0]["events"][0];
    assert_eq!(opened["kind"], "opened");
    assert!(opened["detail"].is_object(), "{opened}");
    // As a binary before version 9 wrote it: no detail on the opening.
    opened.as_object_mut().unwrap().remove("detail");
    let old = env.home().join("old.json");
    std::fs::write(&old, file.to_string()).unwrap();
    let target = env.home().join("other.db");
    let db = target.to_str().unwrap();
    env.run(&["--db", db, "import", old.to_str().unwrap()]).ok();
    let here = env.json(&["show", "1", "--json"]);
    let there = env.json(&["--db", db, "show", "1", "--json"]);
    assert_eq!(there, here);
    assert_eq!(
        there["description"],
        "maxmemory reached\r\nused_memory=4.00G"
    );
    assert_ne!(there["detected_at"], there["opened_at"]);
}
