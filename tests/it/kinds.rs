//! Every timeline kind renders everywhere: one incident carries an entry of each kind in
//! `EventKind::ALL`, and `show`, every built-in template in every format, the incident log,
//! `export --format md` and the review must each show every entry. A kind added later fails
//! here until the scenario records it and every output shows it.

use crate::common::Env;
use incident::domain::event::EventKind;
use serde_json::Value;

/// A config whose only collector prints a health score, so `check --open` opens the incident
/// with a snapshot and a health entry, as the monitor does.
const CONFIG: &str = r#"
[[command]]
name = "ml-features"
run = ["sh", "-c", "echo 'Overall health score: 90/100'"]
[health.weights]
commands = 100
"#;

/// A note meant for another incident, taken back: both entries stay, the note marked.
fn note_retracted(env: &Env) {
    env.run(&["note", "1", "paged payments-oncall <about> the ledger"])
        .ok();
    let wrong = env.json(&["show", "1", "--json"])["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    env.run(&[
        "retract",
        "1",
        &wrong[wrong.len() - 8..],
        "--reason",
        "wrong incident & team",
    ])
    .ok();
}

/// Records one incident with an entry of every kind; returns its `show --json` timeline.
fn every_kind(env: &mut Env) -> Vec<Value> {
    env.write_config(CONFIG);
    let log = env.home().join("updater.log");
    std::fs::write(
        &log,
        "2026-11-29T09:58:01Z level=error msg=\"connection refused\" addr=10.0.0.5:3306\r\n\
         java.lang.IllegalStateException: pool exhausted (max=20)\n\
         \tat com.example.Pool.take(Pool.java:374)\n",
    )
    .unwrap();
    assert_eq!(
        env.run(&["check", "--open"]).code,
        2,
        "the monitor opens it"
    );
    env.at("2026-11-29T10:05:00Z");
    env.run(&["note", "1", "restarted updater-5c (pod <pending>) — ok?"])
        .ok();
    env.run(&["ack", "1"]).ok();
    env.run(&[
        "update",
        "1",
        "--severity",
        "P2",
        "--root-cause",
        "stuck cron & lock",
    ])
    .ok();
    env.run(&["role", "1", "comms", "Chen <chen@example.com>"])
        .ok();
    env.run(&["update", "1", "--service", "ml-features/updater"])
        .ok();
    env.run(&[
        "action",
        "add",
        "1",
        "alert on data age > 2h",
        "--link",
        "https://bugs.example.com/OPS-4471?focus=alerts&tab=1",
        "--link-title",
        "OPS-4471 & alerts",
    ])
    .ok();
    env.run(&[
        "lesson",
        "add",
        "1",
        "--lucky",
        "the cron's lock <held> was released by a reboot",
    ])
    .ok();
    env.run(&["postmortem", "author", "1", "Zoë O'Hara"]).ok();
    env.run(&["postmortem", "status", "1", "draft"]).ok();
    env.run(&[
        "update",
        "1",
        "--link",
        "https://grafana.example.com/d/ml?from=now-6h&to=now",
        "--link-title",
        "ML features dashboard",
    ])
    .ok();
    env.run(&["attach", "1", log.to_str().unwrap()]).ok();
    env.run(&["exec", "1", "--", "echo", "pool=ok"]).ok();
    env.run(&[
        "sla",
        "pause",
        "1",
        "--reason",
        "waiting on vendor ticket CS-4411 (eu-west-1 <db-02>)",
    ])
    .ok();
    env.run(&["sla", "resume", "1"]).ok();
    note_retracted(env);
    // A day later the fix clock is past its deadline: `remind` records the breach.
    env.at("2026-11-30T10:05:00Z");
    assert_eq!(env.run(&["remind"]).code, 2);
    env.at("2026-11-30T10:06:00Z");
    let show = env.json(&["show", "1", "--json"]);
    let timeline = show["timeline"].as_array().unwrap().clone();
    for kind in EventKind::ALL {
        assert!(
            timeline.iter().any(|e| e["kind"] == kind.as_str()),
            "the scenario records no {kind:?} entry: add one so every output is checked for it"
        );
    }
    timeline
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

/// Asserts that some line of `output` holds both `marker(e)` and `text(e)` for every entry.
fn shows_every_entry(
    name: &str,
    output: &str,
    timeline: &[Value],
    marker: impl Fn(&Value) -> String,
    text: impl Fn(&str) -> String,
) {
    for e in timeline {
        let (m, t) = (marker(e), text(e["text"].as_str().unwrap()));
        assert!(
            output.lines().any(|l| l.contains(&m) && l.contains(&t)),
            "{name} lacks the {} entry: no line with {m:?} and {t:?}\n{output}",
            e["kind"]
        );
    }
}

#[test]
fn every_timeline_kind_renders_in_show_every_template_and_the_export() {
    let mut env = Env::new();
    let timeline = every_kind(&mut env);
    let key = |e: &Value| e["kind"].as_str().unwrap().to_string();
    let same = |t: &str| t.to_string();
    // Typed text in Markdown: backslash-escaped where it could form HTML or a code span.
    let md = |t: &str| {
        t.chars().fold(String::new(), |mut out, c| {
            if "\\<>&`".contains(c) {
                out.push('\\');
            }
            out.push(c);
            out
        })
    };
    let bold = |e: &Value| format!("**{}**", e["label"].as_str().unwrap());
    let strong = |e: &Value| format!("<strong>{}</strong>", e["label"].as_str().unwrap());

    let show = env.run(&["show", "1"]);
    shows_every_entry("show", show.ok(), &timeline, key, same);
    let log = env.run(&["log", "1"]);
    shows_every_entry(
        "the incident log",
        log.ok(),
        &timeline,
        |e| format!("{}:", key(e)),
        same,
    );
    let export = env.run(&["export", "--format", "md", "1"]);
    shows_every_entry("export --format md", export.ok(), &timeline, key, md);
    for template in ["postmortem.md", "postmortem-lite.md"] {
        let run = env.run(&["postmortem", "1", "--template", template]);
        shows_every_entry(template, run.ok(), &timeline, bold, md);
    }
    let html = env.run(&["postmortem", "1", "--format", "html"]);
    shows_every_entry("postmortem.html", html.ok(), &timeline, strong, html_escape);
}

#[test]
fn the_review_counts_every_timeline_kind() {
    let mut env = Env::new();
    let timeline = every_kind(&mut env);
    let window = ["--since", "2026-11-23", "--until", "2026-11-30T10:06:00Z"];
    let md = env.run(&[&["review"][..], &window].concat());
    let html = env.run(&[&["review", "--format", "html"][..], &window].concat());
    for kind in EventKind::ALL {
        let n = timeline
            .iter()
            .filter(|e| e["kind"] == kind.as_str())
            .count();
        let label = kind.label();
        let row = format!("| {label} | {n} (▲{n}) |");
        assert!(
            md.ok().contains(&row),
            "review.md lacks {row:?}\n{}",
            md.stdout
        );
        let row = format!("<tr><th>{label}</th><td class=\"num\">{n} (▲{n})</td></tr>");
        assert!(html.ok().contains(&row), "review.html lacks {row:?}");
    }
    let total = timeline.len();
    assert!(
        md.stdout.contains(&format!(
            "### What was recorded: {total} (▲{total}) timeline entries"
        )),
        "{}",
        md.stdout
    );
}
