//! An outage recorded from open to close through the real binary, and what each step prints.

use crate::common::Env;

#[test]
fn an_outage_from_open_to_close() {
    let mut env = Env::new();
    // Found late: collection stopped at 09:00, the incident is opened at 10:00 and backdated.
    let open = env.run(&[
        "open",
        "P1",
        "Data collection stopped",
        "--at",
        "2026-11-29 09:00",
        "-d",
        "No new rows in price_data",
    ]);
    insta::assert_snapshot!("open", open.ok());
    assert!(
        env.db().exists(),
        "the database is created in the XDG data dir"
    );

    env.at("2026-11-29T10:05:00Z");
    insta::assert_snapshot!("ack", env.run(&["ack", "1"]).ok());

    env.at("2026-11-29T10:10:00Z");
    let note = env.run(&[
        "note",
        "1",
        "materialized-updater processing the same date range repeatedly",
    ]);
    assert_eq!(note.ok(), "");
    assert_eq!(note.stderr, "noted on incident 1\n");
    let piped = env.run_stdin(
        &["note", "1", "-", "--at", "-2m"],
        "kubectl get pods:\nmaterialized-updater-7f9  0/1  CrashLoopBackOff\n",
    );
    piped.ok();

    env.at("2026-11-29T10:20:00Z");
    let update = env.run(&[
        "update",
        "1",
        "--severity",
        "P2",
        "--root-cause",
        "Updater date range stuck",
    ]);
    insta::assert_snapshot!("update", update.ok());

    env.at("2026-11-29T10:40:00Z");
    let resolve = env.run(&[
        "resolve",
        "1",
        "--resolution",
        "Deleted the materialized-updater pod; it restarted and backfilled",
    ]);
    insta::assert_snapshot!("resolve", resolve.ok());

    env.at("2026-11-29T15:00:00Z");
    env.run(&["open", "P3", "Health score 93", "--at", "-1h"])
        .ok();
    let close = env.run(&[
        "close",
        "1",
        "--prevention",
        "Alert when data age > 2h",
        "--lessons",
        "Nothing watched the watcher",
    ]);
    insta::assert_snapshot!("close", close.ok());

    env.at("2026-11-30T09:00:00Z");
    insta::assert_snapshot!("list", env.run(&["list"]).ok());
    insta::assert_snapshot!("sla", env.run(&["sla"]).ok());
    let show = env.run(&["show", "1"]).ok().to_string();
    let uuid = env.json(&["show", "1", "--json"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    insta::assert_snapshot!("show", show.replace(&uuid, "[uuid]"));
    insta::assert_snapshot!("log", env.run(&["log", "1"]).ok());
}

#[test]
fn json_has_the_documented_keys_and_rfc3339_utc_times() {
    let mut env = Env::new();
    env.run(&[
        "open",
        "P2",
        "Data collection lagging",
        "--at",
        "2026-11-29T09:00:00+01:00",
    ])
    .ok();
    env.at("2026-11-29T10:00:00Z");
    env.run(&["note", "1", "checking cronjobs"]).ok();
    let show = env.json(&["show", "1", "--json"]);
    for key in [
        "number",
        "id",
        "title",
        "severity",
        "status",
        "opened_at",
        "acknowledged_at",
        "resolved_at",
        "closed_at",
        "description",
        "root_cause",
        "resolution",
        "prevention",
        "lessons_learned",
        "sla",
        "timeline",
    ] {
        assert!(show.get(key).is_some(), "show --json lacks {key}: {show:#}");
    }
    for key in [
        "respond_by",
        "resolve_by",
        "respond_breached",
        "resolve_breached",
    ] {
        assert!(show["sla"].get(key).is_some(), "sla lacks {key}");
    }
    assert_eq!(show["opened_at"], "2026-11-29T08:00:00Z");
    assert_eq!(show["sla"]["respond_by"], "2026-11-29T12:00:00Z");
    assert_eq!(show["sla"]["resolve_by"], "2026-11-30T08:00:00Z");
    assert_eq!(show["acknowledged_at"], serde_json::Value::Null);
    let timeline = show["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 2);
    for key in ["at", "author", "kind", "text"] {
        assert!(timeline[1].get(key).is_some(), "timeline lacks {key}");
    }
    assert_eq!(timeline[1]["text"], "checking cronjobs");
    assert_eq!(timeline[1]["author"], "alice");
    assert_eq!(env.json(&["list", "--json"])[0]["number"], 1);
    assert_eq!(
        env.json(&["sla", "--json"])[0]["sla"]["respond_breached"],
        false
    );
}

#[test]
fn reopen_restarts_the_fix_clock_and_needs_a_new_resolution_to_close() {
    let mut env = Env::new();
    env.run(&["open", "P2", "API gateway CrashLoopBackOff", "--at", "-3h"])
        .ok();
    env.run(&[
        "resolve",
        "1",
        "--root-cause",
        "Redis down",
        "--resolution",
        "Restarted redis",
        "--at",
        "-2h",
    ])
    .ok();
    let resolved = env.json(&["show", "1", "--json"]);
    assert_eq!(
        resolved["acknowledged_at"], resolved["resolved_at"],
        "resolving unacknowledged stops the response clock"
    );
    assert_eq!(resolved["sla"]["respond"]["state"], "met");
    env.at("2026-11-30T12:00:00Z");
    let reopened = env.run(&["reopen", "1", "--reason", "CrashLoopBackOff again"]);
    assert!(
        reopened.ok().contains("OVERDUE by 5h"),
        "{}",
        reopened.stdout
    );
    let show = env.json(&["show", "1", "--json"]);
    assert_eq!(show["status"], "INVESTIGATING");
    assert_eq!(show["resolved_at"], serde_json::Value::Null);
    assert_eq!(show["sla"]["resolve"]["state"], "overdue");
    let last = show["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["text"],
        "RESOLVED → INVESTIGATING: CrashLoopBackOff again"
    );
    assert_eq!(
        env.json(&["list", "--breached", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Resolving again and closing works; the post-mortem clock counts from the new resolution.
    env.run(&["resolve", "1"]).ok();
    env.run(&["close", "1"]).ok();
    assert_eq!(env.json(&["show", "1", "--json"])["status"], "CLOSED");
}

#[test]
fn update_status_follows_the_same_rules_as_the_verbs() {
    let env = Env::new();
    env.run(&["open", "P3", "Minor lag"]).ok();
    env.run(&["update", "1", "--status", "investigating"]).ok();
    let show = env.json(&["show", "1", "--json"]);
    assert_eq!(show["acknowledged_at"], "2026-11-29T10:00:00Z");
    let err = env.run(&["update", "1", "--status", "CLOSED"]);
    assert_eq!(
        err.err(),
        "error: incident 1 is INVESTIGATING; it cannot go to CLOSED; resolve it first: `incident resolve 1 --root-cause TEXT --resolution TEXT`"
    );
    // Fields and status in one update: closing sees the fields given with it.
    env.run(&["update", "1", "--status", "RESOLVED"]).ok();
    env.run(&[
        "update",
        "1",
        "--root-cause",
        "rc",
        "--resolution",
        "fix",
        "--status",
        "CLOSED",
    ])
    .ok();
    assert_eq!(env.json(&["show", "1", "--json"])["status"], "CLOSED");
    // The same value again changes nothing and records nothing.
    let same = env.run(&["update", "1", "--root-cause", "rc"]);
    assert_eq!(same.ok(), "");
    assert!(same.stderr.contains("nothing changed"), "{}", same.stderr);
    assert_eq!(
        env.json(&["show", "1", "--json"])["timeline"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
}

#[test]
fn list_filters_and_breached_agree_with_the_clocks_at_the_boundary() {
    let mut env = Env::new();
    // P1 respond target is 15 minutes: opened 09:45 is exactly at its deadline at 10:00.
    env.run(&[
        "open",
        "P1",
        "at the deadline",
        "--at",
        "2026-11-29T09:45:00Z",
    ])
    .ok();
    env.run(&[
        "open",
        "P1",
        "one second past",
        "--at",
        "2026-11-29T09:44:59Z",
    ])
    .ok();
    env.run(&[
        "open",
        "P2",
        "acked in time",
        "--at",
        "2026-11-29T09:00:00Z",
    ])
    .ok();
    env.run(&["ack", "3", "--at", "2026-11-29T09:30:00Z"]).ok();
    env.run(&[
        "open",
        "P3",
        "old and closed",
        "--at",
        "2026-11-01T00:00:00Z",
    ])
    .ok();
    env.run(&[
        "resolve",
        "4",
        "--root-cause",
        "x",
        "--resolution",
        "y",
        "--at",
        "2026-11-01T01:00:00Z",
    ])
    .ok();
    env.run(&["close", "4", "--at", "2026-11-01T02:00:00Z"])
        .ok();
    assert_eq!(numbers(&env, &[]), vec![4, 3, 2, 1]);
    assert_eq!(numbers(&env, &["--breached"]), vec![2]);
    assert_eq!(
        numbers(&env, &["--status", "OPEN", "--status", "investigating"]),
        vec![3, 2, 1]
    );
    assert_eq!(numbers(&env, &["--severity", "P1"]), vec![2, 1]);
    assert_eq!(
        numbers(&env, &["--severity", "P3", "--status", "CLOSED"]),
        vec![4]
    );
    assert_eq!(numbers(&env, &["--since", "2026-11-29"]), vec![3, 2, 1]);
    assert_eq!(numbers(&env, &["--limit", "2"]), vec![4, 3]);
    let limited = env.run(&["list", "--limit", "2"]);
    assert!(
        limited
            .stderr
            .contains("showing the newest 2; --limit 0 shows all"),
        "{}",
        limited.stderr
    );
    // `sla` lists the unresolved, breached first, and agrees with --breached.
    let sla = env.json(&["sla", "--json"]);
    let order: Vec<i64> = sla
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_i64().unwrap())
        .collect();
    assert_eq!(order, vec![2, 1, 3]);
    assert_eq!(sla[0]["sla"]["respond"]["margin_seconds"], -1);
    assert_eq!(sla[1]["sla"]["respond"]["margin_seconds"], 0);
    assert_eq!(sla[1]["sla"]["respond_breached"], false);
    // One second later the second one is breached too, in both views.
    env.at("2026-11-29T10:00:01Z");
    assert_eq!(numbers(&env, &["--breached"]), vec![2, 1]);
    // --at evaluates the clocks in the past: before the ack, incident 3 was still running.
    let then = env.json(&["sla", "--at", "2026-11-29T09:20:00Z", "--json"]);
    let then: Vec<i64> = then
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_i64().unwrap())
        .collect();
    assert_eq!(then, vec![3], "only incident 3 was open at 09:20");
}

#[test]
fn a_severity_change_moves_both_deadlines() {
    let mut env = Env::new();
    env.run(&[
        "open",
        "P3",
        "Health score 93",
        "--at",
        "2026-11-29T09:00:00Z",
    ])
    .ok();
    let before = env.json(&["show", "1", "--json"]);
    assert_eq!(before["sla"]["respond_by"], "2026-11-30T09:00:00Z");
    env.at("2026-11-29T09:30:00Z");
    env.run(&["update", "1", "--severity", "P1"]).ok();
    let after = env.json(&["show", "1", "--json"]);
    assert_eq!(after["sla"]["respond_by"], "2026-11-29T09:15:00Z");
    assert_eq!(after["sla"]["resolve_by"], "2026-11-29T10:00:00Z");
    assert_eq!(after["sla"]["respond_breached"], true);
    assert_eq!(after["sla"]["resolve_breached"], false);
    let last = after["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["kind"].as_str(), last["text"].as_str()),
        (Some("severity"), Some("P3 → P1"))
    );
}

#[test]
fn config_overrides_sla_targets() {
    let env = Env::new();
    env.write_config("[sla]\npostmortem = \"48h\"\n[sla.P2]\nrespond = \"30m\"\n");
    let show = env.json(&["open", "P2", "lagging", "--json"]);
    assert_eq!(show["sla"]["respond_by"], "2026-11-29T10:30:00Z");
    assert_eq!(
        show["sla"]["resolve_by"], "2026-11-30T10:00:00Z",
        "unset targets keep the guide's"
    );
    let shown = env.run(&["config", "show"]);
    assert!(
        shown.ok().contains("sla P2     respond 30m, resolve 1d\n"),
        "{}",
        shown.stdout
    );
    assert!(
        shown.stdout.contains("post-mortem due 2d after resolution"),
        "{}",
        shown.stdout
    );
    let printed = env.run(&["config", "default"]);
    assert!(printed.ok().contains("[sla.P1]"));
}

#[test]
fn the_author_comes_from_flag_then_env_then_git_then_user() {
    let env = Env::new();
    env.run(&["open", "P3", "x"]).ok();
    env.run(&["note", "1", "by flag", "--author", "bob"]).ok();
    let mut cmd = env.command(&["note", "1", "by git"]);
    let gitconfig = env.home().join(".gitconfig");
    std::fs::write(&gitconfig, "[user]\n\tname = Carol Git\n").unwrap();
    cmd.env_remove("INCIDENT_AUTHOR").env("USER", "dave");
    assert_eq!(cmd.output().unwrap().status.code(), Some(0));
    std::fs::remove_file(&gitconfig).unwrap();
    let mut cmd = env.command(&["note", "1", "by user"]);
    cmd.env_remove("INCIDENT_AUTHOR")
        .env("USER", "dave")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    assert_eq!(cmd.output().unwrap().status.code(), Some(0));
    let authors: Vec<String> = env.json(&["show", "1", "--json"])["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["author"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(authors, vec!["alice", "bob", "Carol Git", "dave"]);
}

fn numbers(env: &Env, args: &[&str]) -> Vec<i64> {
    let mut all = vec!["list", "--json"];
    all.extend_from_slice(args);
    env.json(&all)
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_i64().unwrap())
        .collect()
}
