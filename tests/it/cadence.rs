//! Issue 16 items 5 and 7 through the real binary: the update cadence (`[sla.P2]
//! update_every`) reminds once per silence from a person, and `[reminders] at` reminds at each
//! share of a window once, an `approaching` delivery from before the upgrade counting as its
//! share.

use crate::common::Env;
use serde_json::Value;

/// Each reminder `remind --json` delivered: `incident/kind/level`.
fn remind(env: &Env) -> Vec<String> {
    let run = env.run(&["remind", "--json"]);
    assert!(run.code == 0 || run.code == 2, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    run.stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            format!(
                "{}/{}/{}",
                v["incident"]["number"],
                v["kind"].as_str().unwrap(),
                v["level"].as_str().unwrap()
            )
        })
        .collect()
}

fn remind_at(env: &mut Env, at: &str) -> Vec<String> {
    env.at(at);
    remind(env)
}

#[test]
fn an_update_reminder_goes_out_once_per_silence_and_only_a_persons_update_ends_it() {
    let mut env = Env::new();
    env.write_config("[sla.P2]\nupdate_every = \"30m\"\n[reminders]\nat = []\n");
    env.at("2026-11-29T10:00:00Z");
    env.run(&[
        "open",
        "P2",
        "Checkout latency p99 > 2s on eu-west-1 (pod api-7f9c_x)",
    ])
    .ok();
    env.at("2026-11-29T10:05:00Z");
    env.run(&["ack", "1"]).ok();
    // 30 minutes after the acknowledgement exactly: not yet.
    assert!(remind_at(&mut env, "2026-11-29T10:35:00Z").is_empty());
    env.at("2026-11-29T10:35:01Z");
    let run = env.run(&["remind"]);
    assert_eq!(
        run.stdout,
        "[P2] incident 1 \"Checkout latency p99 > 2s on eu-west-1 (pod api-7f9c_x)\" (INVESTIGATING, commander alice): no update from a person for 30m (since 2026-11-29 10:05). Next: incident note 1 TEXT\n"
    );
    // The same silence is not reminded of again, however long it lasts.
    assert!(remind(&env).is_empty());
    assert!(remind_at(&mut env, "2026-11-29T10:39:00Z").is_empty());
    // The unattended reminder's author and a person's attachment do not end it.
    env.at("2026-11-29T10:40:00Z");
    env.run(&[
        "--author",
        "incident remind",
        "note",
        "1",
        "key=checkout_latency value=2.4s src=10.0.3.17 — ünïcode",
    ])
    .ok();
    let log = env.home().join("api.log");
    std::fs::write(
        &log,
        "2026-11-29T10:39:59Z ERROR api-7f9c_x: upstream timeout\r\n    at pool.rs:88\r\n",
    )
    .unwrap();
    env.run(&["attach", "1", log.to_str().unwrap()]).ok();
    assert!(remind_at(&mut env, "2026-11-29T11:15:00Z").is_empty());
    // A person's note does: the next reminder is 30 minutes after it, with a new key.
    env.at("2026-11-29T11:20:00Z");
    env.run(&["note", "1", "Rolled back api to 2026.11.28-3; watching p99"])
        .ok();
    assert!(remind_at(&mut env, "2026-11-29T11:50:00Z").is_empty());
    assert_eq!(
        remind_at(&mut env, "2026-11-29T11:50:01Z"),
        ["1/update/2026-11-29T11:20:00Z"]
    );
    // A cadence replaces the stale reminder for its severity: hours later, still that one.
    assert!(remind_at(&mut env, "2026-11-29T14:00:00Z").is_empty());
    // A field change by a person is an update too; resolved, nothing more is expected.
    env.at("2026-11-29T14:10:00Z");
    env.run(&[
        "update",
        "1",
        "--root-cause",
        "connection pool of 8 too small",
    ])
    .ok();
    assert_eq!(
        remind_at(&mut env, "2026-11-29T14:40:01Z"),
        ["1/update/2026-11-29T14:10:00Z"]
    );
    env.run(&["resolve", "1", "--resolution", "pool raised to 32"])
        .ok();
    assert!(remind_at(&mut env, "2026-11-29T16:00:00Z").is_empty());
}

#[test]
fn reminders_at_each_share_of_a_window_go_out_once_each() {
    let mut env = Env::new();
    env.write_config("[reminders]\nat = [0.75, 0.5, 0.5]\n");
    env.at("2026-11-29T10:00:00Z");
    env.run(&["open", "P2", "Replica lag 900s on db-2"]).ok();
    // P2: respond within 4h, so half is 12:00 and three quarters 13:00.
    assert!(remind_at(&mut env, "2026-11-29T11:59:59Z").is_empty());
    assert_eq!(
        remind_at(&mut env, "2026-11-29T12:00:00Z"),
        ["1/respond/at-0.5"]
    );
    assert!(remind(&env).is_empty());
    assert!(remind_at(&mut env, "2026-11-29T12:59:00Z").is_empty());
    env.at("2026-11-29T13:00:00Z");
    let run = env.run(&["remind"]);
    assert_eq!(
        run.stdout,
        "[P2] incident 1 \"Replica lag 900s on db-2\" (OPEN, commander alice): response due by 2026-11-29 14:00 (1h left). Next: incident ack 1\n"
    );
    assert!(remind_at(&mut env, "2026-11-29T13:30:00Z").is_empty());
}

#[test]
fn an_approaching_delivery_from_before_the_upgrade_counts_as_its_share() {
    let mut env = Env::new();
    env.at("2026-11-29T10:00:00Z");
    env.run(&["open", "P2", "Disk 97% on /var/lib/postgresql (db-1)"])
        .ok();
    // What a version before `at` left: its approaching reminder, sent at 13:00 (0.75 of 4h).
    assert_eq!(
        remind_at(&mut env, "2026-11-29T13:00:00Z"),
        ["1/respond/at-0.75"]
    );
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let rows = conn
        .execute(
            "UPDATE deliveries SET level = 'approaching' WHERE level = 'at-0.75'",
            [],
        )
        .unwrap();
    assert_eq!(rows, 1);
    drop(conn);
    // The upgrade, with an earlier and a later share: nothing is sent again…
    env.write_config("[reminders]\nat = [0.5, 0.75, 0.9]\n");
    assert!(remind_at(&mut env, "2026-11-29T13:10:00Z").is_empty());
    // …and the later share is new (0.9 of 4h: 13:36).
    assert!(remind_at(&mut env, "2026-11-29T13:35:59Z").is_empty());
    assert_eq!(
        remind_at(&mut env, "2026-11-29T13:36:00Z"),
        ["1/respond/at-0.9"]
    );
    // The old key, `approaching = 0.75`, is the same share: nothing.
    env.write_config("[reminders]\napproaching = 0.75\n");
    assert!(remind_at(&mut env, "2026-11-29T13:40:00Z").is_empty());
}

#[test]
fn cadence_and_share_mistakes_are_config_errors_with_their_line() {
    let env = Env::new();
    for (text, line, needle) in [
        (
            "[reminders]\napproaching = 0.75\nat = [0.5, 0.75]\n",
            3,
            "set either at or approaching, not both",
        ),
        ("[reminders]\nat = [0.5, 1.0]\n", 2, "1 is not a share"),
        (
            "[sla.P1]\nupdate_every = \"25h\"\n",
            2,
            "sla.P1.update_every",
        ),
        (
            "[sla.P3]\nupdate_every = \"soon\"\n",
            2,
            "sla.P3.update_every",
        ),
    ] {
        let path = env.write_config(text);
        let run = env.run(&["remind"]);
        let err = run.err();
        assert!(
            err.contains(&format!("{} line {line}: ", path.display())),
            "{text}: {err}"
        );
        assert!(err.contains(needle), "{text}: {err}");
    }
    assert!(!env.db().exists(), "nothing was written");
}

/// `show` says when the next update from a person is due, and that it is late.
#[test]
fn show_tells_when_the_next_update_is_due() {
    let mut env = Env::new();
    env.write_config("[sla.P2]\nupdate_every = \"30m\"\n");
    env.at("2026-11-29T10:00:00Z");
    env.run(&[
        "open",
        "P2",
        "Payments webhook retries piling up (queue pay-hooks_eu, 12k)",
        "--no-snapshot",
    ])
    .ok();
    env.at("2026-11-29T10:10:00Z");
    env.run(&["note", "1", "Retry storm from partner acme-eu (10.0.4.17)"])
        .ok();
    env.at("2026-11-29T10:20:00Z");
    let shown = env.run(&["show", "1"]).ok().to_string();
    assert!(
        shown.contains("  next update   by 2026-11-29 10:40 (20m left) (every 30m)\n"),
        "{shown}"
    );
    env.at("2026-11-29T10:50:00Z");
    let v = env.json(&["show", "1", "--json"]);
    assert_eq!(v["next_update"]["due_at"], "2026-11-29T10:40:00Z");
    assert_eq!(v["next_update"]["every_seconds"], 1800);
    assert_eq!(v["next_update"]["overdue"], true);
    assert!(env.run(&["show", "1"]).ok().contains("OVERDUE by 10m"));
    env.run(&[
        "resolve",
        "1",
        "--resolution",
        "rate-limited acme-eu retries",
    ])
    .ok();
    let v = env.json(&["show", "1", "--json"]);
    assert_eq!(v["next_update"], Value::Null);
    assert!(!env.run(&["show", "1"]).ok().contains("next update"));
}
