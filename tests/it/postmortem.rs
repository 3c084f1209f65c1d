//! `incident postmortem` through the real binary: the guide's October 7 outage rendered to
//! golden files, the context's numbers worked out by hand, HTML escaping, the P3 variant,
//! --out and broken templates, and what a post-mortem says when nothing was recorded.

use crate::common::Env;
use crate::common::golden::assert_golden;
use crate::common::services::service;
use serde_json::{Value, json};

/// Runs one command as `author` at the moment `now`, and expects it to succeed.
fn step(env: &mut Env, now: &str, author: &str, args: &[&str]) {
    env.at(now);
    env.author = author.into();
    env.run(args).ok();
}

/// The guide's October 7 outage, recorded late: data collection stopped on Oct 7 at 09:00 and
/// nobody looked until Oct 12. Opened backdated at 09:20 on Oct 12, acknowledged at 09:30
/// (five days past the 15-minute response target), resolved at 11:00 (five days past the
/// 1-hour fix target), two action items (one done, one overdue by the time of the report),
/// closed within the post-mortem's 24 hours. The report is drafted on 2026-11-29 at 10:00.
fn oct7_outage() -> Env {
    let mut env = Env::new();
    open_and_investigate(&mut env);
    resolve_and_follow_up(&mut env);
    env.at("2026-11-29T10:00:00Z");
    env.author = "alice".into();
    env
}

/// Oct 12 until the fix: opened backdated, acknowledged, a piped note, severity changes, a
/// note to escape, the root cause and what was done.
fn open_and_investigate(env: &mut Env) {
    step(
        env,
        "2026-10-12T09:20:00Z",
        "alice",
        &[
            "open",
            "P1",
            "Data collection stopped",
            "--at",
            "2026-10-07 09:00",
            "--description",
            "No new rows in price_data since Oct 7; health score 42. ML features and the API served data five days old.",
        ],
    );
    // Recorded 40 s after the stated time: on time, so not marked as written down late.
    step(
        env,
        "2026-10-12T09:30:40Z",
        "bob",
        &["ack", "1", "--at", "2026-10-12 09:30"],
    );
    env.at("2026-10-12T09:35:00Z");
    env.run_stdin(
        &["note", "1", "-"],
        "materialized-updater-7f9c  0/1  CrashLoopBackOff  12 restarts\n\
         enhanced-crypto-prices-28f1  1/1  Running  0 restarts\n",
    )
    .ok();
    step(
        env,
        "2026-10-12T09:40:00Z",
        "bob",
        &["update", "1", "--severity", "P2"],
    );
    step(
        env,
        "2026-10-12T09:45:00Z",
        "carol",
        &[
            "note",
            "1",
            "Grafana panel title reads <script>alert(1)</script>: a leftover XSS test, unrelated",
        ],
    );
    step(
        env,
        "2026-10-12T09:50:00Z",
        "carol",
        &["update", "1", "--severity", "P1"],
    );
    step(
        env,
        "2026-10-12T10:15:00Z",
        "bob",
        &[
            "update",
            "1",
            "--root-cause",
            "Materialized updater date range stuck",
        ],
    );
    step(
        env,
        "2026-10-12T10:30:00Z",
        "bob",
        &[
            "note",
            "1",
            "Deleted the materialized-updater pod; backfill running",
        ],
    );
}

/// The resolution, two action items, the close within 24 h, and one action item done.
fn resolve_and_follow_up(env: &mut Env) {
    step(
        env,
        "2026-10-12T11:00:30Z",
        "bob",
        &[
            "resolve",
            "1",
            "--at",
            "2026-10-12 11:00",
            "--resolution",
            "Deleted the materialized-updater pod; it restarted and backfilled the five missing days",
        ],
    );
    step(
        env,
        "2026-10-12T11:30:00Z",
        "carol",
        &[
            "action",
            "add",
            "1",
            "Health monitor CronJob alerting at data age > 2h",
            "--kind",
            "detect",
            "--owner",
            "carol",
            "--due",
            "2026-10-19",
        ],
    );
    step(
        env,
        "2026-10-12T11:35:00Z",
        "bob",
        &[
            "action",
            "add",
            "1",
            "Materialized updater: fail loudly when its date range has not moved for an hour",
            "--kind",
            "prevent",
            "--owner",
            "bob",
            "--due",
            "2026-10-26",
        ],
    );
    step(
        env,
        "2026-10-13T10:00:00Z",
        "alice",
        &[
            "close",
            "1",
            "--lessons",
            "Nothing watched the collectors: five days passed before anyone looked",
            "--prevention",
            "Health monitor CronJob with data-age alerts; the updater exits when stuck",
        ],
    );
    step(
        env,
        "2026-10-16T15:00:00Z",
        "carol",
        &["action", "done", "1"],
    );
}

#[test]
fn the_oct7_outage_post_mortem_matches_the_golden_files() {
    let env = oct7_outage();
    let md = env.run(&["postmortem", "1"]);
    assert_golden("postmortem-oct7.md", md.ok());
    let html = env.run(&["postmortem", "1", "--format", "html"]);
    assert_golden("postmortem-oct7.html", html.ok());
    // `--format md` is the default, and a P1 gets the full document.
    assert_eq!(
        env.run(&["postmortem", "1", "--format", "md"]).ok(),
        md.ok()
    );
}

#[test]
fn the_context_carries_the_hand_computed_numbers() {
    let env = oct7_outage();
    let c = env.json(&["postmortem", "1", "--context"]);
    assert_eq!(c["generated_at"], "2026-11-29T10:00:00Z");
    assert_eq!(c["responders"], json!(["alice", "bob", "carol"]));

    // The incident is the same JSON `show --json` prints (and `log` templates receive).
    let show = env.json(&["show", "1", "--json"]);
    for key in [
        "number",
        "title",
        "severity",
        "status",
        "opened_at",
        "sla",
        "timeline",
    ] {
        assert_eq!(c["incident"][key], show[key], "incident.{key}");
    }

    // Respond: opened Oct 7 09:00, acknowledged Oct 12 09:30 = 5 days 30 minutes, against
    // 15 minutes: 5 days 15 minutes late.
    let respond = &c["sla"]["respond"];
    assert_eq!(respond["elapsed_seconds"], 5 * 86_400 + 30 * 60);
    assert_eq!(respond["elapsed"], "5d 0h 30m");
    assert_eq!(respond["target_seconds"], 15 * 60);
    assert_eq!(respond["state"], "breached");
    assert_eq!(respond["margin_seconds"], -(5 * 86_400 + 15 * 60));
    assert_eq!(respond["margin"], "5d 0h 15m");
    assert_eq!(respond["deadline"], "2026-10-07T09:15:00Z");
    assert_eq!(
        respond["sentence"],
        "Responded in 5d 0h 30m against a target of 15m: breached by 5d 0h 15m"
    );
    // Fix: resolved Oct 12 11:00 = 5 days 2 hours, against 1 hour: 5 days 1 hour late.
    let fix = &c["sla"]["resolve"];
    assert_eq!(fix["elapsed_seconds"], 5 * 86_400 + 2 * 3_600);
    assert_eq!(fix["state"], "breached");
    assert_eq!(fix["margin_seconds"], -(5 * 86_400 + 3_600));
    assert_eq!(
        fix["sentence"],
        "Fixed in 5d 2h against a target of 1h: breached by 5d 1h"
    );
    // Post-mortem: due 24 h after the resolution (Oct 13 11:00), closed Oct 13 10:00.
    let pm = &c["sla"]["postmortem"];
    assert_eq!(pm["deadline"], "2026-10-13T11:00:00Z");
    assert_eq!(pm["elapsed_seconds"], 23 * 3_600);
    assert_eq!(
        (pm["state"].as_str(), pm["margin_seconds"].as_i64()),
        (Some("met"), Some(3_600))
    );
    assert_eq!(
        pm["sentence"],
        "Post-mortem closed 23h after resolution against a target of 24h: met with 1h to spare"
    );
    assert_eq!(c["sla"]["breached"], true);
    // The same margins and states as the incident's own SLA view.
    for clock in ["respond", "resolve", "postmortem"] {
        for key in ["state", "margin_seconds", "deadline"] {
            assert_eq!(
                c["sla"][clock][key], show["sla"][clock][key],
                "{clock}.{key}"
            );
        }
    }

    let d = &c["detection"];
    assert_eq!(d["detected_to_opened_seconds"], 0);
    assert_eq!(d["opened_to_acknowledged_seconds"], 5 * 86_400 + 30 * 60);
    assert_eq!(d["opened_to_acknowledged"], "5d 0h 30m");
    // Written into the log on Oct 12 09:20, 5 days 20 minutes after the time it was opened.
    assert_eq!(d["logged_at"], "2026-10-12T09:20:00Z");
    assert_eq!(d["logged_after_seconds"], 5 * 86_400 + 20 * 60);

    assert_eq!(c["duration"]["seconds"], 5 * 86_400 + 2 * 3_600);
    assert_eq!(c["duration"]["text"], "5d 2h");
    assert_eq!(c["duration"]["ongoing"], false);

    // Action 1 done on Oct 16; action 2 was due Oct 26 00:00, so 34 days 10 hours overdue.
    let actions = c["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 2);
    assert_eq!(
        (actions[0]["id"].as_i64(), actions[0]["state"].as_str()),
        (Some(1), Some("done"))
    );
    assert_eq!(actions[1]["state"], "overdue");
    assert_eq!(actions[1]["overdue_seconds"], 34 * 86_400 + 10 * 3_600);
    assert_eq!(actions[1]["state_text"], "overdue by 34d 10h");
    assert_eq!(
        c["action_counts"],
        json!({"total": 2, "done": 1, "overdue": 1, "open": 0})
    );

    // Only the backdated open was written down late.
    let late: Vec<&str> = c["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["recorded_late"] == true)
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(late, ["opened"]);
    assert_eq!(c["evidence"]["count"], 0);
    // The October 7 outage predates the post-mortem's own fields.
    assert_eq!(c["missing"], json!(["impact", "trigger", "detection"]));
}

#[test]
fn the_html_report_escapes_what_people_typed_and_fetches_nothing() {
    let env = oct7_outage();
    let html = env.run(&["postmortem", "1", "--format", "html"]);
    let html = html.ok();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "the note's <script> is text"
    );
    assert!(!html.contains("<script"), "no script element at all");
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("<link") && !html.contains("@import") && !html.contains("url("));
    assert!(html.starts_with("<!doctype html>\n"), "{}", &html[..80]);
    assert!(html.contains("<style>") && html.contains("@media print"));
    assert!(html.trim_end().ends_with("</html>"));
}

#[test]
fn a_p3_gets_the_lite_variant_unless_a_template_is_named() {
    let mut env = Env::new();
    step(
        &mut env,
        "2026-11-29T07:00:00Z",
        "alice",
        &["open", "P3", "Grafana dashboard slow"],
    );
    step(
        &mut env,
        "2026-11-29T07:30:00Z",
        "alice",
        &["note", "1", "Panel queries time out after 30s"],
    );
    step(
        &mut env,
        "2026-11-29T07:40:00Z",
        "alice",
        &[
            "update",
            "1",
            "--root-cause",
            "An unindexed query on a panel",
        ],
    );
    env.at("2026-11-29T10:00:00Z");

    let lite = env.run(&["postmortem", "1"]);
    let lite = lite.ok();
    assert!(
        lite.starts_with("# Post-mortem: incident 1, Grafana dashboard slow\n\nP3, OPEN."),
        "{lite}"
    );
    for section in [
        "## SLA outcome",
        "## Summary",
        "## Timeline",
        "## Root cause",
        "## Resolution",
        "## Action items",
    ] {
        assert!(lite.contains(section), "lite has {section}: {lite}");
    }
    for section in [
        "## Impact",
        "## Detection",
        "## Lessons learned",
        "## Prevention",
        "## Appendix",
    ] {
        assert!(!lite.contains(section), "lite has no {section}: {lite}");
    }
    // Its timeline is the whole timeline, as the full document's (issue 13: every kind
    // renders everywhere), field edits included.
    assert!(
        lite.contains("**Note** Panel queries time out after 30s"),
        "{lite}"
    );
    assert!(lite.contains("**Edit** root cause set"), "{lite}");
    assert!(
        lite.contains("- Not acknowledged yet, 3h so far against a target of 24h: 21h left.\n"),
        "{lite}"
    );

    let full = env.run(&["postmortem", "1", "--template", "postmortem.md"]);
    let full = full.ok();
    assert!(
        full.contains("## Lessons learned") && full.contains("## Supporting information"),
        "{full}"
    );
    assert!(
        full.contains("**Edit** root cause set: An unindexed query on a panel"),
        "{full}"
    );
    assert_eq!(
        env.run(&[
            "postmortem",
            "1",
            "--format",
            "md",
            "--template",
            "postmortem-lite.md"
        ])
        .ok(),
        lite
    );
    // HTML has one variant, whatever the severity.
    let html = env.run(&["postmortem", "1", "--format", "html"]);
    assert!(html.ok().contains("<h2>Lessons learned</h2>"));
}

#[test]
fn an_unknown_format_or_incident_is_a_one_line_error() {
    let env = Env::new();
    env.run(&["open", "P2", "x"]).ok();
    let run = env.run(&["postmortem", "1", "--format", "pdf"]);
    assert_eq!(run.err(), "error: unknown format 'pdf': use md or html");
    let run = env.run(&["postmortem", "7"]);
    assert!(
        run.err().starts_with("error: incident 7 does not exist; "),
        "{}",
        run.stderr
    );
}

#[test]
fn out_writes_the_whole_file_and_a_broken_template_writes_nothing() {
    let env = oct7_outage();
    let out = env.home().join("pm.md");
    let out_arg = out.to_str().unwrap();
    let run = env.run(&["postmortem", "1", "--out", out_arg]);
    assert_eq!(run.ok(), "", "the report goes to the file, not stdout");
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written, env.run(&["postmortem", "1"]).ok());

    // A user's postmortem.md that uses a variable the context does not have.
    let dir = env.home().join("tpl");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("postmortem.md"),
        "# {{ incident.title }}\n\nSLA: {{ sla.respond.sentence }}\nOwner: {{ incident.owner }}\n",
    )
    .unwrap();
    let run = env.run(&[
        "postmortem",
        "1",
        "--template-dir",
        dir.to_str().unwrap(),
        "--out",
        out_arg,
    ]);
    let line = run.err();
    assert!(
        line.contains(&format!(
            "template {} line 4: ",
            dir.join("postmortem.md").display()
        )),
        "{line}"
    );
    assert!(line.contains("undefined"), "{line}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        written,
        "the earlier report is left whole"
    );
    let leftovers: Vec<String> = std::fs::read_dir(env.home())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The same user template, fixed, replaces the built-in one.
    std::fs::write(
        dir.join("postmortem.md"),
        "# {{ incident.title }}\nSLA: {{ sla.respond.sentence }}\n",
    )
    .unwrap();
    let run = env.run(&["postmortem", "1", "--template-dir", dir.to_str().unwrap()]);
    assert_eq!(
        run.ok(),
        "# Data collection stopped\nSLA: Responded in 5d 0h 30m against a target of 15m: breached by 5d 0h 15m\n"
    );
}

#[test]
fn a_fresh_incident_says_what_is_not_recorded_yet() {
    let mut env = Env::new();
    step(
        &mut env,
        "2026-11-29T09:00:00Z",
        "alice",
        &["open", "P2", "Redis timeouts"],
    );
    env.at("2026-11-29T10:00:00Z");
    let md = env.run(&["postmortem", "1"]);
    let md = md.ok();
    for expected in [
        "- **Acknowledged:** not yet\n",
        "- **Duration:** ongoing, 1h so far\n",
        "**Still to write:** description, impact, root cause, trigger, resolution, detection, action items, lessons learned, prevention.\n",
        "- Not acknowledged yet, 1h so far against a target of 4h: 3h left.\n",
        "- Post-mortem clock not started: due 24h after resolution.\n",
        "- **Authors:** _Not recorded yet. `incident postmortem author 1 NAME`_\n",
        "## Impact\n\n_Not recorded yet. `incident update 1 --impact -`_\n",
        "## Root causes\n\n_Not recorded yet. `incident update 1 --root-cause \"…\"`_\n",
        "## Trigger\n\n_Not recorded yet. `incident update 1 --trigger \"…\"`_\n",
        "## Resolution\n\n_Not recorded yet. `incident update 1 --resolution \"…\"`_\n",
        "## Detection\n\n_Not recorded yet. `incident update 1 --detection -`_\n",
        "## Lessons learned\n\n_Not recorded yet. `incident update 1 --lessons \"…\"`_\n",
        "### Where we got lucky\n\n_None recorded yet. `incident lesson add 1 --lucky \"…\"`_\n",
        "**Prevention:** _Not recorded yet. `incident update 1 --prevention \"…\"`_\n",
        "## Action items\n\n_No action items yet. `incident action add 1 \"…\" --owner WHO --due +7d --link BUG-URL`_\n",
        "## Supporting information\n\n_No links yet. `incident update 1 --link URL --link-title \"…\"`_\n",
        "- Data age: not recorded (no snapshot measured it).\n",
        "_No snapshots were taken. With collectors configured, `incident open` and `incident resolve` take one; `incident snapshot 1` takes one now._\n",
    ] {
        assert!(md.contains(expected), "missing {expected:?} in:\n{md}");
    }
    let html = env.run(&["postmortem", "1", "--format", "html"]);
    let html = html.ok();
    assert!(html.contains("<h2>Root causes</h2>\n<p class=\"missing\">Not recorded yet. <code>incident update 1 --root-cause &quot;…&quot;</code></p>"), "{html}");
    assert!(html.contains("No action items yet."), "{html}");
    assert!(html.contains("No snapshots were taken."), "{html}");

    let c = env.json(&["postmortem", "1", "--context"]);
    assert_eq!(c["sla"]["postmortem"]["state"], "not_started");
    assert_eq!(c["sla"]["respond"]["state"], "running");
    assert_eq!(c["sla"]["respond"]["margin_seconds"], 3 * 3_600);
    assert_eq!(c["duration"]["ongoing"], true);
    assert_eq!(
        c["detection"]["opened_to_acknowledged_seconds"],
        Value::Null
    );
    assert_eq!(c["evidence"]["first"], Value::Null);
}

#[test]
fn the_evidence_appendix_has_the_first_and_last_snapshots_and_what_changed() {
    let mut env = Env::new();
    // A collector that fails until the "fix" exists: the first snapshot finds it broken, the
    // last finds it answering again.
    let fixed = env.home().join("fixed");
    env.write_config(&format!(
        r#"
[[command]]
name = "updater"
run = ["sh", "-c", "test -f '{}' || {{ echo CrashLoopBackOff; exit 3; }}"]
"#,
        fixed.display()
    ));
    step(
        &mut env,
        "2026-11-29T09:00:00Z",
        "alice",
        &["open", "P2", "Updater crashing"],
    );
    std::fs::write(&fixed, "").unwrap();
    step(
        &mut env,
        "2026-11-29T09:20:00Z",
        "alice",
        &["snapshot", "1"],
    );
    env.at("2026-11-29T10:00:00Z");
    let md = env.run(&["postmortem", "1"]);
    let md = md.ok();
    let appendix = &md[md.find("### Evidence").unwrap()..];
    assert_eq!(
        appendix,
        "### Evidence\n\n\
         #### Snapshot 1, 2026-11-29 09:00 (first)\n\n\
         updater exit 3\n\n\
         - warning: command/updater: exit code 3\n\n\
         #### Snapshot 2, 2026-11-29 09:20 (last)\n\n\
         updater exit 0\n\n\
         No findings.\n\n\
         #### What changed from snapshot 1 to snapshot 2\n\n\
         - command/updater came back: answering again\n"
    );
    assert!(md.contains("· **Snapshot** #1 updater exit 3\n"), "{md}");

    let c = env.json(&["postmortem", "1", "--context"]);
    assert_eq!(c["evidence"]["count"], 2);
    assert_eq!(c["evidence"]["first"]["findings"][0]["level"], "warning");
    assert_eq!(c["evidence"]["changes"][0]["what"], "came back");
    assert_eq!(c["impact"]["measured_at"], "2026-11-29T09:00:00Z");
    assert_eq!(c["impact"]["data_age"], json!([]));
}

#[test]
fn impact_reports_the_data_age_the_first_snapshot_measured() {
    let Some(url) = service(
        "PostgreSQL",
        "INCIDENT_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    ) else {
        return;
    };
    let mut env = Env::new();
    // Queries that return fixed times, so the age is fixed by the pinned clock: the newest
    // price is from the moment collection stopped.
    env.write_config(&format!(
        r#"
[[database]]
name = "crypto_prices"
url = "{url}"
[[database.freshness]]
name = "price_data"
query = "SELECT TIMESTAMP '2026-10-07 09:00:00'"
[[database.freshness]]
name = "health"
query = "SELECT TIMESTAMP '2026-10-12 09:10:00'"
"#
    ));
    step(
        &mut env,
        "2026-10-12T09:20:00Z",
        "alice",
        &[
            "open",
            "P1",
            "Data collection stopped",
            "--at",
            "2026-10-07 09:00",
        ],
    );
    env.at("2026-10-12T10:00:00Z");
    let c = env.json(&["postmortem", "1", "--context"]);
    let ages = &c["impact"]["data_age"];
    assert_eq!(ages[0]["check"], "price_data");
    assert_eq!(ages[0]["age_seconds"], 5 * 86_400 + 20 * 60);
    assert_eq!(ages[0]["level"], "critical");
    assert_eq!(ages[1]["age"], "10m");
    assert_eq!(ages[1]["level"], "ok");
    let md = env.run(&["postmortem", "1"]);
    assert!(
        md.ok().contains(
            "- Data age at the first snapshot (2026-10-12 09:20):\n  \
             - crypto_prices `price_data`: 5d 0h 20m (critical)\n  \
             - crypto_prices `health`: 10m (within the thresholds)\n"
        ),
        "{}",
        md.stdout
    );
}
