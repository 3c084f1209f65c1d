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
        // Refused before stdin is read: no input is given (writing some could meet a pipe the
        // command has already closed).
        .run(&["update", "1", "--impact", "-", "--detection", "-"])
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
    assert_eq!(export["version"], incident::transfer::VERSION, "{text}");
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

#[test]
fn lessons_go_into_three_lists_below_the_written_summary() {
    let mut env = Env::new();
    opened(&mut env);
    env.at("2026-11-20T16:00:00Z");
    env.run(&[
        "update",
        "1",
        "--lessons",
        "Config changes need the same canary as code",
    ])
    .ok();
    env.run(&[
        "lesson",
        "add",
        "1",
        "--went-well",
        "Rollback of cfg-8812 took 4 minutes",
    ])
    .ok();
    env.run_stdin(
        &[
            "lesson",
            "add",
            "1",
            "--went-wrong",
            "-",
            "--at",
            "2026-11-20 15:10",
        ],
        "The runbook pointed at shard_map_v1.yaml, deleted in September\n",
    )
    .ok();
    env.run(&[
        "lesson",
        "add",
        "1",
        "--lucky",
        "Peak traffic (Black Friday) began an hour later",
    ])
    .ok();
    let list = env.json(&["lesson", "list", "1", "--json"]);
    assert_eq!(
        list["lessons_learned"],
        "Config changes need the same canary as code"
    );
    assert_eq!(
        list["went_well"][0]["text"],
        "Rollback of cfg-8812 took 4 minutes"
    );
    assert_eq!(
        list["went_wrong"][0]["text"],
        "The runbook pointed at shard_map_v1.yaml, deleted in September"
    );
    assert_eq!(list["went_wrong"][0]["at"], "2026-11-20T15:10:00Z");
    assert_eq!(list["lucky"].as_array().unwrap().len(), 1);
    let text = env.run(&["lesson", "list", "1"]).ok().to_string();
    let order: Vec<usize> = [
        "Config changes need",
        "WHAT WENT WELL:",
        "WHAT WENT WRONG:",
        "WHERE WE GOT LUCKY:",
    ]
    .iter()
    .map(|h| {
        text.find(h)
            .unwrap_or_else(|| panic!("{h} missing:\n{text}"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    // show --json and show carry them too.
    let show = env.json(&["show", "1", "--json"]);
    for key in ["went_well", "went_wrong", "lucky"] {
        assert_eq!(show["postmortem"]["lessons"][key], list[key], "{key}");
    }
    let shown = env.run(&["show", "1"]).ok().to_string();
    assert!(
        shown.contains("Peak traffic (Black Friday) began an hour later"),
        "{shown}"
    );
    let md = env.run(&["postmortem", "1"]).ok().to_string();
    assert!(
        md.contains(
            "### Where we got lucky\n\n- Peak traffic (Black Friday) began an hour later\n"
        ),
        "{md}"
    );
    let export = env.run(&["export", "1", "--format", "md"]).ok().to_string();
    assert!(
        export.contains("### What went well\n\n- Rollback of cfg-8812 took 4 minutes\n"),
        "{export}"
    );
}

#[test]
fn a_lesson_needs_exactly_one_list_and_some_text() {
    let mut env = Env::new();
    opened(&mut env);
    let before = env.db_bytes(&env.db());
    for args in [
        &["lesson", "add", "1"][..],
        &["lesson", "add", "1", "--lucky", "a", "--went-well", "b"],
        &["lesson", "add", "1", "--lucky", "   "],
        &["lesson", "add", "9", "--lucky", "x"],
    ] {
        let run = env.run(args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert_eq!(
            run.stderr.trim().lines().count(),
            1,
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(env.db_bytes(&env.db()), before);
}

#[test]
fn publishing_the_post_mortem_stops_its_clock_and_close_does_not_need_it() {
    let mut env = Env::new();
    opened(&mut env);
    env.at("2026-11-20T15:08:00Z");
    env.run(&[
        "resolve",
        "1",
        "--root-cause",
        "shard refresh",
        "--resolution",
        "rollback",
    ])
    .ok();
    env.at("2026-11-20T16:00:00Z");
    env.run(&["postmortem", "author", "1", "Ana Lima"]).ok();
    env.run(&["postmortem", "author", "1", "Ana Lima"]).ok();
    env.run(&["postmortem", "author", "1", "r.okafor"]).ok();
    env.run(&["postmortem", "status", "1", "draft"]).ok();
    env.at("2026-11-21T09:00:00Z");
    let out = env
        .run(&[
            "postmortem",
            "status",
            "1",
            "published",
            "--at",
            "2026-11-21 08:30",
        ])
        .ok()
        .to_string();
    assert!(out.contains("published (was draft)"), "{out}");
    // A day later, unclosed: the clock stopped when it was published, within its 24 h.
    env.at("2026-11-23T09:00:00Z");
    let show = env.json(&["show", "1", "--json"]);
    assert_eq!(
        show["postmortem"]["authors"],
        serde_json::json!(["Ana Lima", "r.okafor"])
    );
    assert_eq!(show["postmortem"]["status"], "published");
    assert_eq!(show["postmortem"]["published_at"], "2026-11-21T08:30:00Z");
    let pm = &show["sla"]["postmortem"];
    assert_eq!(pm["state"], "met", "{pm}");
    assert_eq!(pm["stopped_at"], "2026-11-21T08:30:00Z", "{pm}");
    // Closing later keeps the earlier stop; and close never asked for publishing.
    env.run(&[
        "close",
        "1",
        "--prevention",
        "canary configs",
        "--lessons",
        "x",
    ])
    .ok();
    let show = env.json(&["show", "1", "--json"]);
    assert_eq!(
        show["sla"]["postmortem"]["stopped_at"],
        "2026-11-21T08:30:00Z"
    );
    let timeline = show["timeline"].as_array().unwrap();
    let pm_entries = timeline
        .iter()
        .filter(|e| e["kind"] == "postmortem")
        .count();
    assert_eq!(pm_entries, 4, "the second 'Ana Lima' records nothing");
    let err = env
        .run(&["postmortem", "status", "1", "done"])
        .err()
        .to_string();
    assert!(err.contains("use draft, review or published"), "{err}");
    // The draft still renders beside the subcommands.
    let md = env.run(&["postmortem", "1"]).ok().to_string();
    assert!(md.contains("- **Authors:** Ana Lima, r.okafor\n"), "{md}");
    assert!(
        md.contains("- **Post-mortem status:** published (2026-11-21 08:30)\n"),
        "{md}"
    );
}

#[test]
fn links_are_supporting_information_and_action_items_bugs() {
    let mut env = Env::new();
    opened(&mut env);
    env.at("2026-11-20T16:00:00Z");
    env.run(&[
        "update",
        "1",
        "--link",
        "https://grafana.example.com/d/search-eu?from=1763647200000",
        "--link-title",
        "Search error rate",
        "--link",
        "https://chat.example.com/archives/C0INC/p1763647",
    ])
    .ok();
    let added = env.json(&[
        "action",
        "add",
        "1",
        "Canary config pushes like code",
        "--owner",
        "r.okafor",
        "--link",
        "https://bugs.example.com/SRCH-2291",
        "--json",
    ]);
    assert_eq!(
        added["bugs"][0]["url"],
        "https://bugs.example.com/SRCH-2291"
    );
    let show = env.json(&["show", "1", "--json"]);
    let links = &show["postmortem"]["links"];
    assert_eq!(links[0]["title"], "Search error rate");
    assert_eq!(
        links[1]["url"],
        "https://chat.example.com/archives/C0INC/p1763647"
    );
    assert_eq!(
        links.as_array().unwrap().len(),
        2,
        "the bug is not supporting information"
    );
    assert_eq!(
        show["actions"][0]["bugs"][0]["url"],
        "https://bugs.example.com/SRCH-2291"
    );
    let md = env.run(&["postmortem", "1"]).ok().to_string();
    assert!(
        md.contains(
            "- Search error rate: <https://grafana.example.com/d/search-eu?from=1763647200000>\n"
        ),
        "{md}"
    );
    assert!(
        md.contains("<https://bugs.example.com/SRCH-2291> | open |"),
        "{md}"
    );
    let export = env.run(&["export", "1", "--format", "md"]).ok().to_string();
    assert!(
        export.contains("bug <https://bugs.example.com/SRCH-2291>)"),
        "{export}"
    );
    assert!(
        export.contains("### Supporting information\n\n- Search error rate: <https://grafana"),
        "{export}"
    );
    let html = env
        .run(&["postmortem", "1", "--format", "html"])
        .ok()
        .to_string();
    assert!(
        html.contains("<a href=\"https:&#x2f;&#x2f;bugs.example.com&#x2f;SRCH-2291\">"),
        "{html}"
    );

    let before = env.db_bytes(&env.db());
    for bad in [
        &["update", "1", "--link", "javascript:alert(1)"][..],
        &["update", "1", "--link", "SRCH-2291"],
        &["update", "1", "--link-title", "orphan title"],
        &["action", "add", "1", "x", "--link", "bugs example com"],
    ] {
        let run = env.run(bad);
        assert_eq!(run.code, 1, "{bad:?}");
        assert!(run.stderr.contains("link"), "{bad:?}: {}", run.stderr);
    }
    assert_eq!(env.db_bytes(&env.db()), before);
}

#[test]
fn a_version_3_export_still_imports() {
    let mut env = Env::new();
    opened(&mut env);
    let file = env.home().join("v3.json");
    env.run(&["export", "1", "--out", file.to_str().unwrap()])
        .ok();
    // What a binary of format version 3 wrote: no post-mortem fields at all.
    let mut export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    export["version"] = 3.into();
    for incident in export["incidents"].as_array_mut().unwrap() {
        let o = incident.as_object_mut().unwrap();
        for key in ["impact", "trigger", "detection"] {
            assert!(o.remove(key).is_some(), "{key} not exported");
        }
    }
    std::fs::write(&file, serde_json::to_string(&export).unwrap()).unwrap();
    let other = env.home().join("other.db");
    let other = other.to_str().unwrap();
    env.run(&["--db", other, "import", file.to_str().unwrap()])
        .ok();
    let json = env.json(&["--db", other, "show", "1", "--json"]);
    assert_eq!(json["impact"], "");
    assert_eq!(json["title"], "search-api returns 503 for every query");
}

#[test]
fn a_published_post_mortem_gets_no_more_reminders() {
    let mut env = Env::new();
    for n in ["1", "2"] {
        env.at("2026-11-20T14:00:00Z");
        env.run(&["open", "P2", "cart-api p99 > 2s (pool_size=20)"])
            .ok();
        env.at("2026-11-20T14:10:00Z");
        env.run(&[
            "resolve",
            n,
            "--root-cause",
            "pool",
            "--resolution",
            "raised pool",
        ])
        .ok();
    }
    env.at("2026-11-20T15:00:00Z");
    env.run(&["postmortem", "status", "1", "published"]).ok();
    // A day past both post-mortem deadlines: only the unpublished one is reminded of.
    env.at("2026-11-22T15:00:00Z");
    let run = env.run(&["remind", "--dry-run", "--json"]);
    let kinds: Vec<(i64, String)> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| {
            let n = v["incident"]["number"].as_i64().unwrap();
            (n, v["kind"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(kinds, [(2, "postmortem".to_string())], "{}", run.stdout);
}

/// Every post-mortem field written through the CLI shows in both built-in post-mortems: the
/// full one a P1/P2 gets and the light one a P3 gets.
#[test]
fn both_post_mortems_show_every_field_written() {
    let mut env = Env::new();
    env.at("2026-11-20T14:02:00Z");
    env.run(&[
        "open",
        "P3",
        "thumbnail worker backlog (queue=thumbs-eu, depth 48,120)",
        "--no-snapshot",
    ])
    .ok();
    env.at("2026-11-20T16:00:00Z");
    env.run(&[
        "update",
        "1",
        "--impact",
        "Thumbnails late by up to 40 min for 3 % of uploads (tenant_id=acme-eu)",
        "--trigger",
        "autoscaler max_replicas=2 after the node-pool change (pool np-b_7)",
        "--detection",
        "Queue-depth alert ThumbsBacklog>10k at 14:00",
        "--root-cause",
        "worker replicas capped at 2",
        "--resolution",
        "raised max_replicas to 8",
        "--lessons",
        "capacity limits belong in the runbook",
        "--link",
        "https://grafana.example.com/d/thumbs?from=now-6h",
        "--link-title",
        "Thumbs queue dashboard",
    ])
    .ok();
    for (flag, text) in [
        ("--went-well", "alert fired within 2 minutes"),
        ("--went-wrong", "runbook named the old node pool (np-a)"),
        ("--lucky", "Sunday traffic: 30 % of a weekday"),
    ] {
        env.run(&["lesson", "add", "1", flag, text]).ok();
    }
    env.run(&[
        "action",
        "add",
        "1",
        "alert on replicas at max for 10m",
        "--link",
        "https://jira.example.com/browse/OPS-4411",
    ])
    .ok();
    for template in ["postmortem.md", "postmortem-lite.md"] {
        let md = env
            .run(&["postmortem", "1", "--template", template])
            .ok()
            .to_string();
        // Not counting the timeline, which holds every edit's text.
        let start = md.find("## Timeline").unwrap();
        let end = md[start + 3..]
            .find("\n## ")
            .map_or(md.len(), |n| start + 3 + n);
        let md = format!("{}{}", &md[..start], &md[end..]);
        for expected in [
            "Thumbnails late by up to 40 min",
            "autoscaler max_replicas=2 after the node-pool change",
            "Queue-depth alert ThumbsBacklog",
            "capacity limits belong in the runbook",
            "alert fired within 2 minutes",
            "runbook named the old node pool (np-a)",
            "Sunday traffic: 30 % of a weekday",
            "Thumbs queue dashboard",
            "<https://grafana.example.com/d/thumbs?from=now-6h>",
            "<https://jira.example.com/browse/OPS-4411>",
        ] {
            assert!(
                md.contains(expected),
                "{template} lacks {expected:?}:\n{md}"
            );
        }
    }
}
