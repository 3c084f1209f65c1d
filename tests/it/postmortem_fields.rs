//! Issue 16 item 1: the post-mortem's own fields and sections, through the real binary:
//! impact, trigger and detection as prose (stdin with `-`, once per command), and what
//! `show`, `show --json`, the export and its Markdown make of them.

use crate::common::Env;

fn opened(env: &mut Env) {
    env.at("2026-11-20T14:02:00Z");
    env.run(&[
        "open",
        "P1",
        "search-api returns 503 for every query",
        "--description",
        "index_shard-07 unreachable; ALB health checks failing",
    ])
    .ok();
}

const IMPACT: &str = "Search was down for 66 minutes: 41 % of page views showed \"no results\".\r\n\
Checkout was unaffected; partner API (tenant_id=acme-eu) saw 12,480 HTTP 503s.\n";

#[test]
fn impact_trigger_and_detection_are_set_from_text_and_stdin() {
    let mut env = Env::new();
    opened(&mut env);
    env.at("2026-11-20T15:30:00Z");
    env.run_stdin(
        &[
            "update",
            "1",
            "--impact",
            "-",
            "--trigger",
            "deploy 2026.11.20-3 raised shard_refresh_ms from 1000 to 10",
            "--detection",
            "Pager: alert SearchErrorRate>5% fired at 14:01 — 1 minute after the deploy",
        ],
        IMPACT,
    )
    .ok();
    let json = env.json(&["show", "1", "--json"]);
    let impact = json["impact"].as_str().unwrap();
    assert!(
        impact.starts_with("Search was down for 66 minutes"),
        "{json}"
    );
    assert!(impact.contains("tenant_id=acme-eu"), "{json}");
    assert!(!impact.ends_with('\n'), "trailing newline kept: {impact:?}");
    assert_eq!(
        json["trigger"],
        "deploy 2026.11.20-3 raised shard_refresh_ms from 1000 to 10"
    );
    assert!(
        json["detection"]
            .as_str()
            .unwrap()
            .contains("SearchErrorRate>5%")
    );
    let shown = env.run(&["show", "1"]).ok().to_string();
    for heading in ["IMPACT:", "TRIGGER:", "DETECTION:"] {
        assert!(shown.contains(heading), "{heading} missing:\n{shown}");
    }
    let impact_at = shown.find("IMPACT:").unwrap();
    let root_at = shown.find("ROOT CAUSE:").unwrap();
    let trigger_at = shown.find("TRIGGER:").unwrap();
    assert!(impact_at < root_at && root_at < trigger_at, "{shown}");
    // Each is a timeline entry, so the team log and import carry it.
    let edits: Vec<&str> = json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "field")
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(edits, ["impact", "trigger", "detection"]);
}

#[test]
fn a_dash_reads_stdin_for_every_prose_field_not_a_literal_dash() {
    let mut env = Env::new();
    opened(&mut env);
    env.run_stdin(
        &["update", "1", "--description", "-"],
        "Traceback (most recent call last):\n  File \"shard.py\", line 88, in refresh\nTimeoutError: 10.4.7.21:9300\n",
    )
    .ok();
    let json = env.json(&["show", "1", "--json"]);
    assert!(
        json["description"]
            .as_str()
            .unwrap()
            .starts_with("Traceback"),
        "{json}"
    );
    env.run_stdin(
        &[
            "resolve",
            "1",
            "--root-cause",
            "-",
            "--resolution",
            "rolled back cfg-8812",
        ],
        "refresh interval too short\n",
    )
    .ok();
    env.run_stdin(
        &["close", "1", "--lessons", "-"],
        "canary the config, not only the code\n",
    )
    .ok();
    let json = env.json(&["show", "1", "--json"]);
    assert_eq!(json["root_cause"], "refresh interval too short");
    assert_eq!(
        json["lessons_learned"],
        "canary the config, not only the code"
    );
}

#[test]
fn stdin_for_two_fields_is_refused_and_changes_nothing() {
    let mut env = Env::new();
    opened(&mut env);
    let before = env.db_bytes(&env.db());
    let err = env
        .run_stdin(&["update", "1", "--impact", "-", "--detection", "-"], "x\n")
        .err()
        .to_string();
    assert!(err.contains("impact and detection"), "{err}");
    assert!(err.contains("read once"), "{err}");
    assert!(err.trim().lines().count() <= 2, "{err}");
    assert_eq!(env.db_bytes(&env.db()), before);
}

#[test]
fn the_fields_travel_in_the_export_and_its_markdown() {
    let mut env = Env::new();
    opened(&mut env);
    env.run(&[
        "update",
        "1",
        "--impact",
        "41 % of searches failed",
        "--trigger",
        "config push cfg-8812",
        "--detection",
        "synthetic probe probe_search_eu",
    ])
    .ok();
    let file = env.home().join("out.json");
    env.run(&["export", "1", "--out", file.to_str().unwrap()])
        .ok();
    let text = std::fs::read_to_string(&file).unwrap();
    let export: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(export["version"], 4, "{text}");
    let md = env.run(&["export", "1", "--format", "md"]).ok().to_string();
    for (heading, body) in [
        ("### Impact", "41 % of searches failed"),
        ("### Trigger", "config push cfg-8812"),
        ("### Detection", "synthetic probe probe_search_eu"),
    ] {
        assert!(
            md.contains(&format!("{heading}\n\n{body}")),
            "{heading}:\n{md}"
        );
    }
    // Into a fresh database, and the fields are there.
    let other = env.home().join("other.db");
    let other = other.to_str().unwrap();
    env.run(&["--db", other, "import", file.to_str().unwrap()])
        .ok();
    let json = env.json(&["--db", other, "show", "1", "--json"]);
    assert_eq!(json["trigger"], "config push cfg-8812");
    assert_eq!(json["detection"], "synthetic probe probe_search_eu");
}
