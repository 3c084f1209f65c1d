//! Issue 16 items 4 and 9 through the real binary: SLA clocks on a business-hours calendar.
//! A P3 opened Friday 16:00 in Berlin with 24 h on Monday–Friday 09:00–17:00 is due Wednesday
//! 16:00; the terms are recorded with the opening, so a later config does not move it; pauses
//! take out only the open hours they cover; a holiday closes a whole day; `explain` tells the
//! calendar and the closed hours it skipped; `list --breached` and `remind` judge the same
//! stored deadline.

use crate::common::Env;
use serde_json::Value;

const BUSINESS: &str = "[calendars.business]\n\
hours = [\"Mon-Fri 09:00-17:00\"]\n\
timezone = \"Europe/Berlin\"\n\
[sla.P3]\n\
calendar = \"business\"\n";

/// Friday 2026-12-04 16:00 Berlin (15:00Z): a P3 on the business calendar.
fn friday_p3(config: &str) -> Env {
    let mut env = Env::new();
    env.write_config(config);
    env.at("2026-12-04T15:00:00Z");
    env.run(&[
        "open",
        "P3",
        "Invoice PDFs render blank for tenant acme-eu (worker pdf-render_2)",
        "--no-snapshot",
    ])
    .ok();
    env
}

fn deadline(env: &Env, clock: &str) -> String {
    let v = env.json(&["show", "1", "--json"]);
    v["sla"][clock]["deadline"].as_str().unwrap().to_string()
}

fn breached(env: &mut Env, at: &str) -> usize {
    env.at(at);
    env.json(&["list", "--breached", "--json"])
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn a_friday_afternoon_p3_is_due_wednesday_afternoon_and_a_later_config_does_not_move_it() {
    let mut env = friday_p3(BUSINESS);
    // 1 h Friday, 8 h Monday, 8 h Tuesday, 7 h Wednesday.
    assert_eq!(deadline(&env, "respond"), "2026-12-09T15:00:00Z");
    // 72 h: 1 h Friday, eight 8 h days (Monday 7th to Wednesday 16th), 7 h Thursday 17th.
    assert_eq!(deadline(&env, "resolve"), "2026-12-17T15:00:00Z");
    let v = env.json(&["show", "1", "--json"]);
    assert_eq!(v["sla"]["respond"]["calendar"], "business");
    assert_eq!(v["sla"]["respond"]["target_seconds"], 86_400);
    let shown = env.run(&["show", "1"]).ok().to_string();
    assert!(
        shown.contains("by 2026-12-09 15:00") && shown.contains(", calendar business"),
        "{shown}"
    );
    // Closing time on the deadline's day is on time; a second later it is breached, and not
    // before (the weekend in between counts nothing).
    assert_eq!(breached(&mut env, "2026-12-07T08:00:00Z"), 0);
    assert_eq!(breached(&mut env, "2026-12-09T15:00:00Z"), 0);
    assert_eq!(breached(&mut env, "2026-12-09T15:00:01Z"), 1);
    // The config changes: the calendar goes. The incident keeps the terms it was opened
    // under; one opened now follows the new config (24x7).
    env.write_config("");
    assert_eq!(deadline(&env, "respond"), "2026-12-09T15:00:00Z");
    env.at("2026-12-04T15:00:00Z");
    env.run(&[
        "open",
        "P3",
        "Second incident under the new config",
        "--no-snapshot",
    ])
    .ok();
    let v = env.json(&["show", "2", "--json"]);
    assert_eq!(v["sla"]["respond"]["deadline"], "2026-12-05T15:00:00Z");
    assert_eq!(v["sla"]["respond"]["calendar"], Value::Null);
}

#[test]
fn explain_tells_the_calendar_and_the_closed_hours_skipped() {
    let mut env = friday_p3(BUSINESS);
    env.at("2026-12-07T10:00:00Z");
    let text = env.run(&["sla", "explain", "1"]).ok().to_string();
    assert!(
        text.contains(
            "started at the detection: P3 target 24h on calendar business (Mon-Fri 09:00-17:00, \
             Europe/Berlin), 4d of closed hours skipped, due 2026-12-09 15:00"
        ),
        "{text}"
    );
    let v = env.json(&["sla", "explain", "1", "--json"]);
    let started = &v["clocks"][0]["steps"][0];
    assert_eq!(started["step"], "started");
    assert_eq!(
        started["calendar"],
        "business (Mon-Fri 09:00-17:00, Europe/Berlin)"
    );
    // Wednesday 16:00 Berlin is 5 days after Friday 16:00; 24 h of it were open.
    assert_eq!(started["closed_seconds"], 4 * 86_400);
    assert_eq!(started["recorded"], true);
}

#[test]
fn a_pause_takes_out_only_the_open_hours_it_covers() {
    let mut env = friday_p3(BUSINESS);
    // Paused Friday 16:30 Berlin (30 min used) to Monday 10:00: only Friday's last half hour
    // and Monday 09:00-10:00 were open, 1 h 30 m.
    env.at("2026-12-04T15:30:00Z");
    env.run(&[
        "sla",
        "pause",
        "1",
        "--reason",
        "waiting on vendor ticket CS-4411",
    ])
    .ok();
    env.at("2026-12-05T12:00:00Z");
    let v = env.json(&["show", "1", "--json"]);
    assert_eq!(v["sla"]["respond"]["state"], "paused");
    // 23 h 30 m of open time left, whatever the weekend.
    assert_eq!(v["sla"]["respond"]["margin_seconds"], 23 * 3_600 + 1_800);
    env.at("2026-12-07T09:00:00Z");
    env.run(&["sla", "resume", "1"]).ok();
    // Due 1 h 30 m of open time later than Wednesday 16:00: Thursday 09:30 Berlin.
    assert_eq!(deadline(&env, "respond"), "2026-12-10T08:30:00Z");
    let text = env.run(&["sla", "explain", "1"]).ok().to_string();
    assert!(
        text.contains("resumed after 1h 30m paused: due 2026-12-10 08:30"),
        "{text}"
    );
    // The post-mortem counts in open hours: 30 m Friday and 7 h Monday since the resume.
    env.at("2026-12-07T16:00:00Z");
    let pm = env.run(&["postmortem", "1"]).ok().to_string();
    assert!(
        pm.contains(
            "Not acknowledged yet, 7h 30m so far against a target of 24h on calendar business \
             (open hours only): 16h 30m left"
        ),
        "{pm}"
    );
}

#[test]
fn a_holiday_closes_the_whole_day() {
    let config = BUSINESS.replace(
        "timezone = \"Europe/Berlin\"\n",
        "timezone = \"Europe/Berlin\"\nholidays = [\"2026-12-08\"]\n",
    );
    let env = friday_p3(&config);
    // Tuesday 8th closed: 1 + 8 (Monday) + 8 (Wednesday) + 7 h Thursday 10th.
    assert_eq!(deadline(&env, "respond"), "2026-12-10T15:00:00Z");
}

#[test]
fn reminders_wait_for_the_calendar_deadline() {
    let mut env = friday_p3(&format!("{BUSINESS}[reminders]\nat = [0.5]\n"));
    let remind = |env: &mut Env, at: &str| -> Vec<String> {
        env.at(at);
        let run = env.run(&["remind", "--json"]);
        run.stdout
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                format!(
                    "{}/{}",
                    v["kind"].as_str().unwrap(),
                    v["level"].as_str().unwrap()
                )
            })
            .collect()
    };
    // Half of the response's 24 open hours: 1 h Friday, 8 h Monday, 3 h Tuesday: 12:00
    // Berlin. Monday evening, half the wall time has gone but not half the open hours.
    assert_eq!(
        remind(&mut env, "2026-12-07T18:00:00Z"),
        Vec::<String>::new()
    );
    assert_eq!(remind(&mut env, "2026-12-08T11:00:00Z"), ["respond/at-0.5"]);
    assert_eq!(
        remind(&mut env, "2026-12-09T15:00:00Z"),
        Vec::<String>::new()
    );
    assert_eq!(
        remind(&mut env, "2026-12-09T15:01:00Z"),
        ["respond/breached"]
    );
}
