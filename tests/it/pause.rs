//! `incident sla pause` / `resume` / `explain` through the binary (issue 16 items 3 and 6):
//! paused time does not count, a breached clock stays breached, SLA reminders wait while
//! stale ones do not, and `explain` tells each clock's story from the timeline.

use crate::common::Env;
use serde_json::Value;

const VENDOR: &str = "waiting on vendor — ticket CS-4411 (db-02.eu-west-1, 10.0.4.17)";

/// A P1 opened at 10:00 (respond by 10:15, fix by 11:00).
fn p1(env: &mut Env) {
    env.at("2026-11-29T10:00:00Z");
    env.run(&["open", "P1", "Checkout API 502s from lb-eu-1"])
        .ok();
}

fn sla_of(env: &Env, at: &str) -> Value {
    let all = env.json(&["sla", "--json", "--at", at]);
    all[0]["sla"].clone()
}

#[test]
fn a_pause_across_a_breach_keeps_the_breach_and_holds_the_running_clock() {
    let mut env = p1_env();
    // Paused at 10:20: the response (due 10:15) is already breached; the fix has 40m left.
    env.at("2026-11-29T11:30:00Z");
    env.run(&[
        "sla",
        "pause",
        "1",
        "--reason",
        VENDOR,
        "--at",
        "2026-11-29 10:20",
    ])
    .ok();
    let paused = sla_of(&env, "2026-11-29T11:30:00Z");
    assert_eq!(paused["respond"]["state"], "overdue", "{paused}");
    assert_eq!(paused["respond_breached"], true);
    assert_eq!(paused["resolve"]["state"], "paused", "{paused}");
    assert_eq!(paused["resolve_breached"], false);
    let list = env.run(&["list"]);
    assert!(list.ok().contains("respond overdue"), "{}", list.stdout);
    // Breached-only listing still has it: the response stays breached.
    assert!(env.run(&["list", "--breached"]).ok().contains("lb-eu-1"));
    // Resumed at 11:20: the fix clock lost an hour of pause, so it is due at 12:00.
    env.run(&["sla", "resume", "1", "--at", "2026-11-29 11:20"])
        .ok();
    let resumed = sla_of(&env, "2026-11-29T11:30:00Z");
    assert_eq!(resumed["resolve_by"], "2026-11-29T12:00:00Z");
    assert_eq!(resumed["resolve"]["state"], "running");
    assert_eq!(resumed["respond_by"], "2026-11-29T10:15:00Z", "{resumed}");
    assert_eq!(resumed["respond_breached"], true);
    // At 12:00 on time, a second later overdue.
    assert_eq!(
        sla_of(&env, "2026-11-29T12:00:00Z")["resolve_breached"],
        false
    );
    assert_eq!(
        sla_of(&env, "2026-11-29T12:00:01Z")["resolve_breached"],
        true
    );
}

fn p1_env() -> Env {
    let mut env = Env::new();
    p1(&mut env);
    env
}

#[test]
fn a_paused_incident_says_so_in_show_list_sla_and_json() {
    let mut env = p1_env();
    env.at("2026-11-29T10:05:00Z");
    env.run(&["sla", "pause", "1", "--reason", VENDOR]).ok();
    env.at("2026-11-29T13:00:00Z");
    let show = env.run(&["show", "1"]);
    assert!(
        show.ok()
            .contains(&format!("PAUSED since 2026-11-29 10:05: {VENDOR}")),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout.contains("PAUSED with 10m left"),
        "{}",
        show.stdout
    );
    let list = env.run(&["list"]);
    assert!(
        list.ok().contains("respond paused (10m left)"),
        "{}",
        list.stdout
    );
    let sla = env.run(&["sla"]);
    assert!(sla.ok().contains("PAUSED with 55m left"), "{}", sla.stdout);
    let json = env.json(&["show", "1", "--json"]);
    assert_eq!(json["paused"]["since"], "2026-11-29T10:05:00Z");
    assert_eq!(json["paused"]["reason"], VENDOR);
    assert_eq!(json["sla"]["respond_breached"], false);
    let breached = env.run(&["list", "--breached"]);
    assert!(!breached.ok().contains("lb-eu-1"), "{}", breached.stdout);
    let md = env.run(&["export", "--format", "md", "1"]);
    assert!(md.ok().contains("SLA clocks paused"), "{}", md.stdout);
    let log = env.run(&["log", "1"]);
    assert!(
        log.ok().contains(&format!(
            "SLA clocks PAUSED since 2026-11-29 10:05: {VENDOR}"
        )),
        "{}",
        log.stdout
    );
    assert!(log.stdout.contains("PAUSED, 55m left"), "{}", log.stdout);
    let pm = env.run(&["postmortem", "1"]);
    assert!(
        pm.ok()
            .contains("- SLA clocks paused since 2026-11-29 10:05"),
        "{}",
        pm.stdout
    );
    assert!(pm.stdout.contains("paused with 55m left"), "{}", pm.stdout);
}

#[test]
fn a_severity_change_during_a_pause_moves_the_target_and_the_pause_still_counts() {
    let mut env = Env::new();
    env.at("2026-11-29T10:00:00Z");
    env.run(&["open", "P3", "Nightly export to s3://acme-reports late"])
        .ok();
    env.at("2026-11-29T10:30:00Z");
    env.run(&["sla", "pause", "1", "--reason", "customer asked us to hold"])
        .ok();
    // Raised to P1 while paused. A running clock follows the current severity from the
    // detection: the P1's response was due at 10:15, before the pause began, so it was
    // already breached and the pause does not hold it. The P1's fix (due 11:00) had 30
    // minutes left at the pause: those wait.
    env.at("2026-11-29T11:00:00Z");
    env.run(&["update", "1", "--severity", "P1"]).ok();
    let paused = sla_of(&env, "2026-11-29T11:00:00Z");
    assert_eq!(paused["respond"]["state"], "overdue", "{paused}");
    assert_eq!(paused["resolve"]["state"], "paused", "{paused}");
    assert_eq!(paused["resolve"]["margin_seconds"], 30 * 60);
    // Resumed at 12:00 after 90 minutes: fix by 11:00 + 1h30 = 12:30; response still 10:15.
    env.at("2026-11-29T12:00:00Z");
    env.run(&["sla", "resume", "1"]).ok();
    let resumed = sla_of(&env, "2026-11-29T12:00:00Z");
    assert_eq!(resumed["respond_by"], "2026-11-29T10:15:00Z", "{resumed}");
    assert_eq!(resumed["resolve_by"], "2026-11-29T12:30:00Z", "{resumed}");
    assert_eq!(resumed["resolve"]["state"], "running");
    // Lowered back to P3 after the resume: the pause counts against the P3's targets too.
    env.at("2026-11-29T12:10:00Z");
    env.run(&["update", "1", "--severity", "P3"]).ok();
    let lowered = sla_of(&env, "2026-11-29T12:10:00Z");
    assert_eq!(lowered["respond_by"], "2026-11-30T11:30:00Z", "{lowered}");
    assert_eq!(lowered["resolve_by"], "2026-12-02T11:30:00Z", "{lowered}");
    let explain = env.run(&["sla", "explain", "1"]);
    assert!(
        explain
            .ok()
            .contains("2026-11-29 12:00  resumed after 1h 30m paused: due 2026-11-29 12:30"),
        "{}",
        explain.stdout
    );
}

#[test]
fn a_resume_without_a_pause_a_second_pause_and_a_pause_when_resolved_are_refused() {
    let mut env = p1_env();
    let before = env.db_bytes(&env.db());
    let lone = env.run(&["sla", "resume", "1"]);
    assert_eq!(
        lone.err(),
        "error: incident 1's SLA clocks are not paused; `incident sla pause 1 --reason TEXT` pauses them"
    );
    assert_eq!(env.db_bytes(&env.db()), before, "nothing written");
    env.at("2026-11-29T10:05:00Z");
    env.run(&["sla", "pause", "1", "--reason", VENDOR]).ok();
    let twice = env.run(&["sla", "pause", "1", "--reason", "again"]);
    assert!(
        twice.err().starts_with(
            "error: incident 1's SLA clocks are already paused (since 2026-11-29 10:05)"
        ),
        "{}",
        twice.stderr
    );
    let empty = env.run(&["sla", "resume", "1", "--at", "2026-11-29 10:00"]);
    assert!(empty.err().contains("before the pause"), "{}", empty.stderr);
    env.at("2026-11-29T10:30:00Z");
    env.run(&[
        "resolve",
        "1",
        "--root-cause",
        "pool exhausted",
        "--resolution",
        "raised max=40",
    ])
    .ok();
    // The resolution ended the pause.
    assert_eq!(env.json(&["show", "1", "--json"])["paused"], Value::Null);
    let resolved = env.run(&["sla", "pause", "1", "--reason", VENDOR]);
    assert!(
        resolved.err().starts_with(
            "error: incident 1 is RESOLVED; only OPEN or INVESTIGATING incidents can be paused"
        ),
        "{}",
        resolved.stderr
    );
    let missing = env.run(&["sla", "pause", "1"]);
    assert_eq!(missing.code, 1, "{}", missing.stderr);
}

#[test]
fn sla_reminders_wait_while_paused_and_stale_ones_do_not() {
    let mut env = p1_env();
    env.at("2026-11-29T10:05:00Z");
    env.run(&["ack", "1"]).ok();
    env.at("2026-11-29T10:10:00Z");
    env.run(&["sla", "pause", "1", "--reason", VENDOR]).ok();
    // 13:00: the fix was due at 11:00 but paused with 50m left; quiet for 2h50m: stale.
    env.at("2026-11-29T13:00:00Z");
    let dry = env.run(&["remind", "--dry-run", "--json"]);
    assert!(dry.stdout.contains("\"stale\""), "{}", dry.stdout);
    assert!(!dry.stdout.contains("\"resolve\""), "{}", dry.stdout);
    env.run(&["sla", "resume", "1"]).ok();
    // Resumed at 13:00 with 50m left: due 13:50, breached a second later.
    env.at("2026-11-29T13:50:00Z");
    let on_time = env.run(&["remind", "--dry-run", "--json"]);
    assert!(
        !on_time.stdout.contains("\"breached\""),
        "{}",
        on_time.stdout
    );
    env.at("2026-11-29T13:50:01Z");
    let late = env.run(&["remind", "--dry-run", "--json"]);
    assert!(late.stdout.contains("\"breached\""), "{}", late.stdout);
}

#[test]
fn explain_tells_each_clocks_story() {
    let mut env = p1_env();
    env.at("2026-11-29T10:05:00Z");
    env.run(&["sla", "pause", "1", "--reason", VENDOR]).ok();
    env.at("2026-11-29T10:35:00Z");
    env.run(&["sla", "resume", "1"]).ok();
    env.at("2026-11-29T10:40:00Z");
    env.run(&["ack", "1"]).ok();
    env.at("2026-11-29T10:45:00Z");
    env.run(&["update", "1", "--severity", "P2"]).ok();
    env.at("2026-11-29T12:00:00Z");
    env.run(&[
        "resolve",
        "1",
        "--root-cause",
        "pool exhausted",
        "--resolution",
        "raised max=40",
    ])
    .ok();
    env.at("2026-11-30T13:00:00Z");
    let explain = env.run(&["sla", "explain", "1"]);
    assert_eq!(
        explain.ok(),
        "\
Incident #1 P2 Checkout API 502s from lb-eu-1: SLA clocks at 2026-11-30 13:00
RESPONSE
  2026-11-29 10:00  started at the detection: P1 target 15m (24x7), due 2026-11-29 10:15
  2026-11-29 10:05  paused: waiting on vendor — ticket CS-4411 (db-02.eu-west-1, 10.0.4.17)
  2026-11-29 10:35  resumed after 30m paused: due 2026-11-29 10:45
  2026-11-29 10:40  stopped: met with 5m to spare under P1 (due 2026-11-29 10:45)
FIX
  2026-11-29 10:00  started at the detection: P1 target 1h (24x7), due 2026-11-29 11:00
  2026-11-29 10:05  paused: waiting on vendor — ticket CS-4411 (db-02.eu-west-1, 10.0.4.17)
  2026-11-29 10:35  resumed after 30m paused: due 2026-11-29 11:30
  2026-11-29 10:45  severity P1 → P2: target 1d (24x7), due 2026-11-30 10:30
  2026-11-29 12:00  stopped: met with 22h 30m to spare under P2 (due 2026-11-30 10:30)
POST-MORTEM
  2026-11-29 12:00  started at the resolution: P2 target 1d (24x7), due 2026-11-30 12:00
  2026-11-30 13:00  now: OVERDUE by 1h under P2 (due 2026-11-30 12:00)
"
    );
    // The same story as JSON, and at a moment in the past, only what had happened by then.
    let json = env.json(&[
        "sla",
        "explain",
        "1",
        "--json",
        "--at",
        "2026-11-29T10:20:00Z",
    ]);
    let steps: Vec<&str> = json["clocks"][1]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["started", "paused", "now"]);
    let now = &json["clocks"][1]["steps"][2];
    assert_eq!(now["state"], "paused");
    assert_eq!(now["margin_seconds"], 55 * 60);
    // The stored deadlines say what explain says.
    let show = env.json(&["show", "1", "--json"]);
    assert_eq!(show["sla"]["respond_by"], "2026-11-29T10:45:00Z");
    assert_eq!(show["sla"]["resolve_by"], "2026-11-30T10:30:00Z");
}

#[test]
fn a_pause_travels_in_the_export_and_is_rebuilt_by_the_import() {
    let mut env = p1_env();
    env.at("2026-11-29T10:05:00Z");
    env.run(&["sla", "pause", "1", "--reason", VENDOR]).ok();
    env.at("2026-11-29T12:00:00Z");
    let file = env.home().join("export.json");
    env.run(&["export", "--all", "--out", file.to_str().unwrap()])
        .ok();
    let other = env.home().join("other.db");
    let other = other.to_str().unwrap();
    env.run(&["--db", other, "import", file.to_str().unwrap()])
        .ok();
    let show = env.json(&["--db", other, "show", "1", "--json"]);
    assert_eq!(show["paused"]["reason"], VENDOR, "{show}");
    assert_eq!(show["sla"]["resolve"]["state"], "paused");
    let kinds: Vec<&str> = show["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["opened", "pause"]);
    // Resumed on the copy: the same deadlines as on the original.
    env.run(&["--db", other, "sla", "resume", "1"]).ok();
    env.run(&["sla", "resume", "1"]).ok();
    let a = env.json(&["sla", "--json"]);
    let b = env.json(&["--db", other, "sla", "--json"]);
    assert_eq!(a[0]["sla"]["resolve_by"], "2026-11-29T12:55:00Z");
    assert_eq!(a[0]["sla"]["resolve_by"], b[0]["sla"]["resolve_by"]);
}

#[test]
fn a_teammate_sees_the_pause_and_its_deadlines_through_the_team_log() {
    let Some(db) = crate::team::TeamDb::new() else {
        return;
    };
    let mut alice = db.env();
    alice.run(&["team", "init"]).ok();
    alice.at("2026-11-29T10:00:00Z");
    alice
        .run(&["open", "P1", "Checkout API 502s from lb-eu-1"])
        .ok();
    alice.at("2026-11-29T10:05:00Z");
    alice.run(&["sla", "pause", "1", "--reason", VENDOR]).ok();
    alice.run(&["sync"]).ok();
    let mut bob = db.env();
    bob.at("2026-11-29T11:00:00Z");
    bob.run(&["sync"]).ok();
    let seen = bob.json(&["show", "1", "--json"]);
    assert_eq!(seen["paused"]["reason"], VENDOR, "{seen}");
    assert_eq!(seen["sla"]["resolve"]["state"], "paused");
    // Bob resumes at 11:00 after 55 minutes: fix by 11:55, on both copies.
    bob.run(&["sla", "resume", "1"]).ok();
    bob.run(&["sync"]).ok();
    alice.at("2026-11-29T11:01:00Z");
    alice.run(&["sync"]).ok();
    let a = alice.json(&["show", "1", "--json"]);
    assert_eq!(a["paused"], Value::Null, "{a}");
    assert_eq!(a["sla"]["resolve_by"], "2026-11-29T11:55:00Z");
}
