//! An original scenario shaped like the example post-mortem in Google's SRE book (issue 16
//! item 9): a P1 search outage of 66 minutes from impact to recovery, 37 timeline rows, three
//! lessons lists and nine action items, every section filled from CLI input, rendered into
//! golden files (`UPDATE_GOLDEN=1` rewrites them; review with `git diff tests/it/golden`).

use crate::common::Env;
use crate::common::golden::assert_golden;

/// Runs one command as `author` at `now` (UTC), and expects it to succeed.
fn step(env: &mut Env, now: &str, author: &str, args: &[&str]) {
    env.at(now);
    env.author = author.into();
    env.run(args).ok();
}

const IMPACT: &str = "\
For 66 minutes (13:58 to 15:04 UTC) every query to search-api in eu-west-1 failed with HTTP 503.
About 1.9 million searches failed; product pages and checkout kept working, but shoppers who
arrived through search (41 % of sessions at that hour) saw \"Something went wrong\".
The partner feed API (tenant_id=acme-eu, tenant_id=nordmarkt) returned 12,480 errors; no data
was lost and no order was charged twice.";

const DETECTION: &str = "\
The SearchErrorRate>5% alert paged the on-call at 14:00, two minutes after the impact began.
The deploy dashboard showed 2026.11.20-3 going out at 13:57, but nothing linked the alert to
it: the config change was not in the deploy's changelog, so 20 minutes went to the shards.";

/// The outage from the first failed query to the fix, as the responders recorded it.
fn respond(env: &mut Env) {
    step(
        env,
        "2026-11-20T14:02:00Z",
        "ana.lima",
        &[
            "open",
            "P1",
            "Search returns 503 for every query in eu-west-1",
            "--started",
            "2026-11-20 13:58",
            "--detected",
            "2026-11-20 14:00",
            "--description",
            "search-api pods are up but every query times out against index_shard-07 (10.4.7.21:9300); \
         the ALB marks all targets unhealthy.",
        ],
    );
    step(env, "2026-11-20T14:03:00Z", "ana.lima", &["ack", "1"]);
    env.at("2026-11-20T14:09:00Z");
    env.author = "r.okafor".into();
    env.run_stdin(
        &["note", "1", "-"],
        "$ kubectl -n search logs index-shard-07-0 --tail=3\r\n\
         WARN  refresh took 4012ms (interval 10ms), 388 refreshes queued\r\n\
         ERROR java.lang.OutOfMemoryError: Java heap space\r\n\
         \tat org.search.index.Refresher.schedule(Refresher.java:212)\r\n",
    )
    .ok();
    step(
        env,
        "2026-11-20T14:21:00Z",
        "ana.lima",
        &[
            "note",
            "1",
            "Deploy 2026.11.20-3 (13:57) carried config cfg-8812: shard_refresh_ms 1000 → 10. Rolling back the config only.",
        ],
    );
    step(
        env,
        "2026-11-20T15:04:00Z",
        "r.okafor",
        &[
            "resolve",
            "1",
            "--root-cause",
            "A config change lowered shard_refresh_ms from 1000 to 10. Each shard then refreshed its \
         index a hundred times a second, the refreshes queued faster than they ran, and the \
         shards ran out of heap and stopped answering. The config schema accepts any positive \
         value, and config pushes skip the canary stage that code deploys go through.",
            "--resolution",
            "Rolled back cfg-8812 at 14:32 and restarted the six shards one at a time (14:34–15:01); \
         error rate back under 0.1 % at 15:04.",
        ],
    );
    step(
        env,
        "2026-11-20T16:30:00Z",
        "ana.lima",
        &["update", "1", "--impact", IMPACT],
    );
    step(
        env,
        "2026-11-20T16:31:00Z",
        "ana.lima",
        &[
            "update",
            "1",
            "--trigger",
            "Config push cfg-8812 in deploy 2026.11.20-3 at 13:57 UTC, reaching all eu-west-1 shards within a minute.",
        ],
    );
    step(
        env,
        "2026-11-20T16:32:00Z",
        "ana.lima",
        &["update", "1", "--detection", DETECTION],
    );
}

/// The follow-up: nine action items (three with a bug), two of them done.
fn actions(env: &mut Env) {
    let items: [(&str, &str, &str, &str, Option<&str>); 9] = [
        (
            "Reject shard_refresh_ms below 500 in the config schema",
            "prevent",
            "r.okafor",
            "2026-11-23",
            Some("https://bugs.example.com/SRCH-2291"),
        ),
        (
            "Send config pushes through the canary stage, like code",
            "prevent",
            "ana.lima",
            "2026-12-04",
            Some("https://bugs.example.com/REL-118"),
        ),
        (
            "List config changes in the deploy changelog",
            "detect",
            "Zoë Brandt",
            "2026-11-27",
            None,
        ),
        (
            "Alert on refresh queue length per shard",
            "detect",
            "r.okafor",
            "2026-12-01",
            Some("https://bugs.example.com/SRCH-2294"),
        ),
        (
            "Cap the refresh queue and shed refreshes instead of heap",
            "mitigate",
            "r.okafor",
            "2026-12-11",
            None,
        ),
        (
            "Runbook: roll back a config without redeploying",
            "process",
            "ana.lima",
            "2026-11-24",
            None,
        ),
        (
            "Restart shards in parallel batches of two, not one by one",
            "mitigate",
            "Zoë Brandt",
            "2026-12-08",
            None,
        ),
        (
            "Game day: replay this outage in staging",
            "process",
            "ana.lima",
            "2026-12-18",
            None,
        ),
        (
            "Tell the partner-feed tenants what failed and for how long",
            "other",
            "m.nakamura",
            "2026-11-21",
            None,
        ),
    ];
    for (n, (text, kind, owner, due, bug)) in items.iter().enumerate() {
        let now = format!("2026-11-21T09:{:02}:00Z", 10 + n);
        let mut args = vec![
            "action", "add", "1", *text, "--kind", *kind, "--owner", *owner, "--due", *due,
        ];
        if let Some(url) = bug {
            args.extend(["--link", *url]);
        }
        step(env, &now, "ana.lima", &args);
    }
    step(
        env,
        "2026-11-21T12:00:00Z",
        "m.nakamura",
        &["action", "done", "9"],
    );
    step(
        env,
        "2026-11-23T10:00:00Z",
        "r.okafor",
        &["action", "done", "1"],
    );
}

/// Lessons, links, the author, publishing and the close.
fn write_up(env: &mut Env) {
    let lessons = [
        (
            "--went-well",
            "The alert paged two minutes after the first failed query.",
        ),
        (
            "--went-well",
            "Rolling back only the config, not the whole deploy, kept the unrelated fixes in 2026.11.20-3 live.",
        ),
        (
            "--went-wrong",
            "Twenty minutes went to the shards before anyone looked at what had just been deployed.",
        ),
        (
            "--went-wrong",
            "Restarting six shards one at a time took 27 of the 66 minutes.",
        ),
        (
            "--lucky",
            "The outage ended an hour before the evening peak.",
        ),
        (
            "--lucky",
            "The on-call had changed shard_refresh_ms herself last quarter and knew what it did.",
        ),
    ];
    for (n, (flag, text)) in lessons.iter().enumerate() {
        step(
            env,
            &format!("2026-11-21T10:{:02}:00Z", n),
            "ana.lima",
            &["lesson", "add", "1", *flag, *text],
        );
    }
    step(
        env,
        "2026-11-21T10:10:00Z",
        "ana.lima",
        &[
            "update",
            "1",
            "--link",
            "https://grafana.example.com/d/search-eu?from=1763646600000&to=1763651400000",
            "--link-title",
            "Search error rate and shard heap, 13:50–15:10",
            "--link",
            "https://chat.example.com/archives/C0INC1120/p1763647320",
            "--link-title",
            "Incident channel log",
        ],
    );
    step(
        env,
        "2026-11-21T10:20:00Z",
        "ana.lima",
        &["postmortem", "author", "1", "ana.lima"],
    );
    step(
        env,
        "2026-11-21T11:00:00Z",
        "ana.lima",
        &["postmortem", "status", "1", "published"],
    );
    step(
        env,
        "2026-11-21T11:30:00Z",
        "ana.lima",
        &[
            "close",
            "1",
            "--prevention",
            "Config values are validated and canaried like code (actions 1 and 2).",
            "--lessons",
            "A config change is a deploy: it needs the same review, canary and changelog.",
        ],
    );
}

fn search_outage() -> Env {
    let mut env = Env::new();
    respond(&mut env);
    actions(&mut env);
    write_up(&mut env);
    env.at("2026-11-27T09:00:00Z");
    env.author = "ana.lima".into();
    env
}

#[test]
fn the_search_outage_post_mortem_fills_every_sre_section() {
    let env = search_outage();
    let c = env.json(&["postmortem", "1", "--context"]);
    assert_eq!(c["timeline"].as_array().unwrap().len(), 37);
    assert_eq!(c["restore"]["seconds"], 66 * 60);
    assert_eq!(c["actions"].as_array().unwrap().len(), 9);
    assert_eq!(c["missing"], serde_json::json!([]));
    assert_eq!(c["sla"]["postmortem"]["stopped_at"], "2026-11-21T11:00:00Z");
    for list in ["went_well", "went_wrong", "lucky"] {
        assert_eq!(
            c["postmortem"]["lessons"][list].as_array().unwrap().len(),
            2,
            "{list}"
        );
    }
    let md = env.run(&["postmortem", "1"]).ok().to_string();
    for empty in [
        "Not recorded yet",
        "None recorded yet",
        "No links yet",
        "Still to write",
    ] {
        assert!(!md.contains(empty), "{empty}:\n{md}");
    }
    let sections = [
        "## Summary",
        "## Impact",
        "## Root causes",
        "## Trigger",
        "## Resolution",
        "## Detection",
        "## Action items",
        "## Lessons learned",
        "## Timeline",
        "## Supporting information",
    ];
    let at: Vec<usize> = sections.iter().map(|s| md.find(s).unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{md}");
    assert_golden("postmortem-search-outage.md", &md);
    let html = env
        .run(&["postmortem", "1", "--format", "html"])
        .ok()
        .to_string();
    assert_golden("postmortem-search-outage.html", &html);
}
