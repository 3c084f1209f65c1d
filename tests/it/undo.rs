//! Mistakes undone without deleting history (issue 18 item 1), through the real binary: an
//! incident opened by mistake is cancelled (its clocks neither met nor breached, out of the
//! reminders, `list`, `sla` and the review, named there in one line) and reopened; a note
//! written on the wrong incident is retracted, kept and marked everywhere it is shown.

use crate::common::Env;
use serde_json::Value;

/// The quick start's demo incident, opened at 10:00 and forgotten; a real P3 beside it.
fn demo() -> Env {
    let mut env = Env::new();
    env.at("2026-11-29T10:00:00Z")
        .run(&["open", "P2", "Demo: checkout latency"])
        .ok();
    env.at("2026-11-29T10:05:00Z")
        .run(&["open", "P3", "Nightly export 20 minutes late"])
        .ok();
    env.at("2026-11-29T10:10:00Z").run(&["ack", "2"]).ok();
    // Four and a half hours later: the demo's 4h response target has passed.
    env.at("2026-11-29T14:30:00Z");
    env
}

fn numbers(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_i64().unwrap())
        .collect()
}

/// `show`, the log, both post-mortems and the Markdown export say it is cancelled, and why.
fn shows_the_reason_everywhere(env: &Env) {
    let explain = env.run(&["sla", "explain", "1"]).ok().to_string();
    assert!(
        explain.ends_with(
            "CANCELLED 2026-11-29 14:30 by alice: quick-start demo, not a real outage; these clocks are neither met nor breached\n"
        ),
        "{explain}"
    );
    // The clocks say cancelled; the reason is kept with the status change.
    let shown = env.json(&["show", "1", "--json"]);
    assert_eq!(shown["status"], "CANCELLED");
    assert_eq!(shown["sla"]["respond"]["state"], "cancelled");
    assert_eq!(shown["sla"]["resolve"]["state"], "cancelled");
    assert_eq!(
        shown["cancelled"]["reason"],
        "quick-start demo, not a real outage"
    );
    assert_eq!(shown["cancelled"]["by"], "alice");
    let text = env.run(&["show", "1"]).ok().to_string();
    assert!(
        text.contains(
            "cancelled     2026-11-29 14:30 by alice: quick-start demo, not a real outage"
        ),
        "{text}"
    );
    assert!(
        text.contains("OPEN → CANCELLED: quick-start demo"),
        "{text}"
    );
    for (args, needle) in [
        (
            &["log", "1"][..],
            "STATUS: CANCELLED (cancelled 2026-11-29 14:30 by alice: quick-start demo",
        ),
        (
            &["postmortem", "1"][..],
            "**Status:** CANCELLED (cancelled 2026-11-29 14:30 by alice: quick-start demo",
        ),
        (
            &["postmortem", "1", "--template", "postmortem-lite.md"][..],
            "CANCELLED (cancelled 2026-11-29 14:30 by alice: quick-start demo",
        ),
        (
            &["export", "--format", "md", "1"][..],
            "| Cancelled | 2026-11-29 14:30 by alice: quick-start demo",
        ),
    ] {
        let out = env.run(args);
        assert!(out.ok().contains(needle), "{args:?}: {}", out.stdout);
    }
}

/// The review counts the real incident only and names the cancelled one in one line.
fn the_review_names_it(env: &Env) {
    // The review counts the real incident only and names the cancelled one.
    let review = env.json(&[
        "review",
        "--since",
        "2026-11-29T00:00:00Z",
        "--until",
        "2026-11-30T00:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(review["counts"]["opened"]["total"]["value"], 1);
    assert_eq!(review["cancelled"], 1);
    assert_eq!(review["sla"]["breaches"]["total"], 0);
    assert_eq!(review["sla"]["opened"], 1);
    let md = env
        .run(&[
            "review",
            "--since",
            "2026-11-29T00:00:00Z",
            "--until",
            "2026-11-30T00:00:00Z",
        ])
        .ok()
        .to_string();
    assert!(
        md.contains("Not counted: 1 cancelled (opened by mistake or noise)."),
        "{md}"
    );
}

#[test]
fn a_cancelled_demo_leaves_the_reminders_the_sla_list_and_the_review_and_reopens() {
    let env = demo();
    // Before: the forgotten demo is what pages.
    let before = env.run(&["remind", "--dry-run"]);
    assert_eq!(before.code, 2, "{}{}", before.stdout, before.stderr);
    assert!(
        before.stdout.contains("incident 1 \"Demo"),
        "{}",
        before.stdout
    );
    assert_eq!(numbers(&env.json(&["list", "--breached", "--json"])), [1]);

    let out = env
        .run(&[
            "cancel",
            "1",
            "--reason",
            "quick-start demo, not a real outage",
        ])
        .ok()
        .to_string();
    assert!(out.starts_with("incident 1 cancelled"), "{out}");

    // No reminder about it at all (the real one's quiet timeline still gets its nudge), and
    // nothing breached: exit 0.
    let remind = env.run(&["remind"]);
    assert_eq!(remind.code, 0, "{}{}", remind.stdout, remind.stderr);
    assert!(!remind.stdout.contains("incident 1 "), "{}", remind.stdout);
    assert!(remind.stdout.contains("incident 2 "), "{}", remind.stdout);
    assert_eq!(
        env.run(&["list", "--breached"]).stderr.trim(),
        "no incidents match"
    );
    assert_eq!(numbers(&env.json(&["sla", "--json"])), [2]);
    // `list` hides it; --all and --status CANCELLED show it.
    assert_eq!(numbers(&env.json(&["list", "--json"])), [2]);
    assert_eq!(numbers(&env.json(&["list", "--all", "--json"])), [2, 1]);
    assert_eq!(
        numbers(&env.json(&["list", "--status", "cancelled", "--json"])),
        [1]
    );
    let table = env.run(&["list", "--all"]).ok().to_string();
    let row = table.lines().find(|l| l.starts_with("1 ")).unwrap();
    assert!(
        row.contains("CANCELLED") && row.contains("cancelled"),
        "{row}"
    );

    shows_the_reason_everywhere(&env);
    the_review_names_it(&env);

    // It was real after all: back to INVESTIGATING, clocks running against their deadlines.
    env.run(&["reopen", "1", "--reason", "customers do see it"])
        .ok();
    let back = env.json(&["show", "1", "--json"]);
    assert_eq!(back["status"], "INVESTIGATING");
    assert_eq!(back["cancelled"], Value::Null);
    assert_eq!(back["sla"]["resolve"]["state"], "running");
    assert_eq!(numbers(&env.json(&["list", "--json"])), [2, 1]);
    let last = back["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["old"], "CANCELLED");
    assert_eq!(last["new"], "INVESTIGATING");
}

#[test]
fn a_duplicate_names_the_other_incident_which_must_exist() {
    let env = demo();
    let db = env.db();
    let before = env.db_bytes(&db);
    let err = env
        .run(&[
            "cancel",
            "1",
            "--reason",
            "same outage",
            "--duplicate-of",
            "9",
        ])
        .err()
        .to_string();
    assert!(err.contains("incident 9 does not exist"), "{err}");
    assert!(env.db_bytes(&db) == before, "the database is untouched");
    env.run(&[
        "cancel",
        "1",
        "--reason",
        "same outage",
        "--duplicate-of",
        "2",
    ])
    .ok();
    let shown = env.json(&["show", "1", "--json"]);
    assert_eq!(
        shown["cancelled"]["reason"],
        "duplicate of incident 2: same outage"
    );
}

#[test]
fn cancelling_a_closed_or_resolved_incident_is_refused_and_the_database_untouched() {
    let env = demo();
    env.run(&[
        "resolve",
        "2",
        "--root-cause",
        "the export job's cron moved to UTC",
        "--resolution",
        "cron fixed",
    ])
    .ok();
    let db = env.db();
    let before = env.db_bytes(&db);
    let err = env
        .run(&["cancel", "2", "--reason", "was noise"])
        .err()
        .to_string();
    assert!(
        err.starts_with("error: incident 2 is RESOLVED; it cannot go to CANCELLED"),
        "{err}"
    );
    assert!(
        err.contains("only OPEN or INVESTIGATING incidents can be cancelled"),
        "{err}"
    );
    env.run(&["close", "2"]).ok();
    let before_close = env.db_bytes(&db);
    assert!(before_close != before);
    let err = env
        .run(&["cancel", "2", "--reason", "was noise"])
        .err()
        .to_string();
    assert!(
        err.starts_with("error: incident 2 is CLOSED; it cannot go to CANCELLED"),
        "{err}"
    );
    assert!(
        env.db_bytes(&db) == before_close,
        "the database is untouched"
    );
    // `update --status` takes no reason: refused, pointing at `cancel`.
    let err = env
        .run(&["update", "1", "--status", "cancelled"])
        .err()
        .to_string();
    assert_eq!(
        err,
        "error: a cancellation needs its reason; `update` takes none; `incident cancel 1 --reason TEXT`"
    );
    assert!(
        env.db_bytes(&db) == before_close,
        "the database is untouched"
    );
    // A reason is required, and twice is refused.
    let err = env
        .run(&["cancel", "1", "--reason", "  "])
        .err()
        .to_string();
    assert!(err.contains("the reason is empty"), "{err}");
    env.run(&["cancel", "1", "--reason", "demo"]).ok();
    let err = env
        .run(&["cancel", "1", "--reason", "demo"])
        .err()
        .to_string();
    assert!(err.contains("incident 1 is already CANCELLED"), "{err}");
    // A cancelled incident is not resolved or closed: reopen first.
    let err = env
        .run(&["resolve", "1", "--resolution", "x"])
        .err()
        .to_string();
    assert!(err.contains("incident reopen 1"), "{err}");
}

/// The entry of `kind` in incident `n`'s timeline (the last one): its uuid.
fn entry(env: &Env, n: &str, kind: &str) -> String {
    let shown = env.json(&["show", n, "--json"]);
    shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["kind"] == kind)
        .unwrap()["uuid"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_note_on_the_wrong_incident_is_retracted_kept_and_marked_everywhere() {
    let env = demo();
    let note = "rolled back ledger-writer to v41 in eu-west-1";
    env.run(&["note", "1", note]).ok();
    assert!(
        env.run(&["search", "ledger-writer"])
            .ok()
            .contains("incident 1")
    );
    // `show --ids` prints the id to copy at the start of each entry.
    let uuid = entry(&env, "1", "note");
    let id = &uuid[uuid.len() - 8..];
    let listed = env.run(&["show", "1", "--ids"]).ok().to_string();
    let line = listed.lines().find(|l| l.contains(note)).unwrap();
    assert!(line.trim_start().starts_with(id), "{line}");

    let out = env
        .run(&[
            "retract",
            "1",
            id,
            "--reason",
            "wrong incident: that was #2",
        ])
        .ok()
        .to_string();
    assert_eq!(
        out,
        format!("incident 1: the note {id} retracted; it stays in the timeline, marked\n")
    );
    let mark = "(retracted by alice: wrong incident: that was #2)";
    let shown = env.json(&["show", "1", "--json"]);
    let timeline = shown["timeline"].as_array().unwrap();
    let kept = timeline
        .iter()
        .find(|e| e["uuid"] == uuid.as_str())
        .unwrap();
    assert_eq!(kept["note"], note, "the words as written");
    assert_eq!(kept["text"], format!("{note} {mark}"));
    assert_eq!(kept["retracted"]["by"], "alice");
    assert_eq!(kept["retracted"]["at"], "2026-11-29T14:30:00Z");
    assert_eq!(kept["retracted"]["reason"], "wrong incident: that was #2");
    let last = timeline.last().unwrap();
    assert_eq!(last["kind"], "retraction");
    assert_eq!(last["field"], uuid.as_str());
    assert!(
        timeline
            .iter()
            .filter(|e| e["uuid"] != uuid.as_str())
            .all(|e| e.get("retracted").is_none())
    );
    for args in [
        &["show", "1"][..],
        &["log", "1"][..],
        &["postmortem", "1"][..],
        &["export", "--format", "md", "1"][..],
    ] {
        let out = env.run(args);
        assert!(
            out.ok()
                .lines()
                .any(|l| l.contains(note) && l.contains(mark)),
            "{args:?}: {}",
            out.stdout
        );
    }
    let html = env.run(&["postmortem", "1", "--format", "html"]);
    assert!(
        html.ok()
            .contains("(retracted by alice: wrong incident: that was #2)")
    );
    // Search no longer finds it.
    let search = env.run(&["search", "ledger-writer"]);
    assert!(!search.stdout.contains("incident 1"), "{}", search.stdout);

    // Twice, a status change, an unknown id: refused in one line, nothing written.
    let db = env.db();
    let before = env.db_bytes(&db);
    let status = entry(&env, "2", "status");
    for (args, says) in [
        (
            vec!["retract", "1", id, "--reason", "again"],
            format!("error: incident 1: entry {id} was already retracted by alice at 2026-11-29 14:30: wrong incident: that was #2"),
        ),
        (
            vec!["retract", "2", &status[status.len() - 8..], "--reason", "never acknowledged"],
            "error: incident 2: a status entry cannot be retracted; only notes, lessons and links can".to_string(),
        ),
        (
            vec!["retract", "2", id, "--reason", "x"],
            format!("error: incident 2: no timeline entry of this incident has the id '{id}'"),
        ),
        (
            vec!["retract", "1", id, "--reason", " "],
            "error: the reason is empty".to_string(),
        ),
    ] {
        let run = env.run(&args);
        assert!(run.err().starts_with(&says), "{args:?}: {}", run.stderr);
    }
    assert!(env.db_bytes(&db) == before, "the database is untouched");
}

#[test]
fn a_retracted_lesson_leaves_the_post_mortems_lessons() {
    let env = demo();
    env.run(&[
        "lesson",
        "add",
        "2",
        "--went-well",
        "the export retried on its own",
    ])
    .ok();
    let pm = env.run(&["postmortem", "2"]).ok().to_string();
    assert!(
        pm.contains("- Went well: the export retried on its own\n"),
        "{pm}"
    );
    let uuid = entry(&env, "2", "lesson");
    env.run(&[
        "retract",
        "2",
        &uuid,
        "--reason",
        "it did not; bo restarted it",
    ])
    .ok();
    let pm = env.run(&["postmortem", "2"]).ok().to_string();
    assert!(
        !pm.contains("- Went well: the export retried on its own"),
        "{pm}"
    );
    assert!(
        pm.contains(
            "the export retried on its own (retracted by alice: it did not; bo restarted it)"
        ),
        "{pm}"
    );
    let lessons = env.json(&["show", "2", "--json"])["postmortem"].clone();
    assert_eq!(
        lessons["lessons"]["went_well"],
        serde_json::json!([]),
        "{lessons}"
    );
}

/// Through the team log (real PostgreSQL): a cancellation and a retraction are events like the
/// others, so a teammate's copy pulls them, replays the CANCELLED status and marks the note;
/// the teammate's reopening comes back the same way.
#[test]
fn a_cancellation_and_a_retraction_reach_teammates_through_the_team_log() {
    let Some(db) = crate::team::TeamDb::new() else {
        return;
    };
    let alice = db.env();
    alice.run(&["team", "init"]).ok();
    alice.run(&["open", "P2", "Demo: checkout latency"]).ok();
    alice
        .run(&["note", "1", "rolled back ledger-writer to v41"])
        .ok();
    let uuid = entry(&alice, "1", "note");
    alice
        .run(&["retract", "1", &uuid, "--reason", "wrong incident"])
        .ok();
    alice
        .run(&["cancel", "1", "--reason", "quick-start demo"])
        .ok();
    let mut bob = db.env();
    bob.author = "bob".into();
    assert_eq!(numbers(&bob.json(&["list", "--json"])), Vec::<i64>::new());
    let shown = bob.json(&["show", "1", "--json"]);
    assert_eq!(shown["status"], "CANCELLED");
    assert_eq!(shown["cancelled"]["reason"], "quick-start demo");
    assert_eq!(shown["cancelled"]["by"], "alice");
    let note = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["uuid"] == uuid.as_str())
        .unwrap()
        .clone();
    assert_eq!(note["retracted"]["reason"], "wrong incident");
    assert!(
        !bob.run(&["search", "ledger-writer"])
            .stdout
            .contains("incident 1")
    );
    bob.run(&["reopen", "1", "--reason", "customers see it"])
        .ok();
    let back = alice.json(&["show", "1", "--json"]);
    assert_eq!(back["status"], "INVESTIGATING");
    assert_eq!(back["cancelled"], Value::Null);
}

/// The monitor's incident cancelled as noise: while health stays bad, `check --open` opens no
/// other (it says why); once health has recovered, the next bad check opens a new one.
#[test]
fn a_monitor_incident_cancelled_as_noise_holds_the_monitor_until_health_recovers() {
    let env = Env::new();
    let score = env.home().join("score.txt");
    env.write_config(&format!(
        "[[command]]\nname = \"ml-features\"\nrun = [\"cat\", \"{}\"]\n\
         [health]\nrecover_after = 2\n[health.weights]\ncommands = 100\n",
        score.display()
    ));
    let set = |text: &str| std::fs::write(&score, text).unwrap();
    set("Overall health score: 90/100\n");
    assert_eq!(env.run(&["check", "--open"]).code, 2);
    env.run(&["cancel", "1", "--reason", "the probe flaps on deploys"])
        .ok();
    let held = env.run(&["check", "--open", "--json"]);
    assert_eq!(held.code, 2, "{}", held.stderr);
    assert!(
        held.stderr.contains(
            "health monitor: incident 1 was cancelled as noise; no new incident until health recovers once"
        ),
        "{}",
        held.stderr
    );
    let v: Value = serde_json::from_str(&held.stdout).unwrap();
    assert_eq!(v["monitor"]["held_by_cancelled"], 1);
    assert_eq!(v["monitor"]["opened"], false);
    assert_eq!(numbers(&env.json(&["list", "--all", "--json"])), [1]);
    let before = env.json(&["show", "1", "--json"])["timeline"]
        .as_array()
        .unwrap()
        .len();
    set("Overall health score: 100/100\n");
    for _ in 0..2 {
        assert_eq!(env.run(&["check", "--open"]).code, 0);
    }
    let after = env.json(&["show", "1", "--json"])["timeline"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "nothing written in the cancelled incident");
    set("Overall health score: 90/100\n");
    let again = env.run(&["check", "--open"]);
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("health monitor opened incident 2"),
        "{}",
        again.stderr
    );
}

/// A cancelled incident (a mistake, noise, a duplicate) is not offered as a past incident like
/// a new one: it fixed nothing.
#[test]
fn a_cancelled_incident_is_not_a_past_incident_like_a_new_one() {
    let mut env = Env::new();
    env.at("2026-11-20T09:00:00Z");
    for title in [
        "Checkout API 502s from lb-eu-1 (10.0.4.17)",
        "Checkout API 502s from lb-eu-1 again",
    ] {
        env.run(&["open", "P2", title, "--no-snapshot"]).ok();
    }
    env.run(&[
        "cancel",
        "2",
        "--reason",
        "duplicate",
        "--duplicate-of",
        "1",
    ])
    .ok();
    env.at("2026-11-21T09:00:00Z");
    let v = env.json(&[
        "open",
        "P2",
        "Checkout API 502s from lb-eu-1",
        "--no-snapshot",
        "--json",
    ]);
    let similar: Vec<i64> = v["similar"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["number"].as_i64().unwrap())
        .collect();
    assert_eq!(similar, [1], "{v}");
}
