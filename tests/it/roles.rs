//! Roles and services (issue 16 item 2): who commands, who writes things down, who talks to
//! customers, and which services an incident hurts, all from the timeline.

use crate::common::Env;
use serde_json::json;

/// A P1 on the checkout path, opened by alice with two services; bob becomes commander.
fn checkout_outage() -> Env {
    let mut env = Env::new();
    env.at("2026-12-01T09:00:00Z");
    env.run(&[
        "open",
        "P1",
        "Checkout 502s: upstream connect error",
        "--service",
        "checkout-api",
        "--service",
        "payments.db",
        "--no-snapshot",
    ])
    .ok();
    env.at("2026-12-01T09:04:00Z");
    env.run(&["--author", "bob", "role", "1", "commander", "bob"])
        .ok();
    env.run(&["role", "1", "scribe", "Zoë Ünal"]).ok();
    env.run(&["role", "1", "db-lead", "dmitri_k"]).ok();
    env
}

#[test]
fn the_opener_commands_until_someone_else_is_named_and_every_change_is_in_the_timeline() {
    let mut env = Env::new();
    env.at("2026-12-01T09:00:00Z");
    env.run(&["open", "P2", "Search latency p99 > 2s", "--no-snapshot"])
        .ok();
    let v = env.json(&["show", "1", "--json"]);
    assert_eq!(v["commander"], "alice");
    assert_eq!(v["roles"], json!({"commander": "alice"}));
    assert_eq!(v["services"], json!([]));

    let env = checkout_outage();
    let v = env.json(&["show", "1", "--json"]);
    assert_eq!(v["commander"], "bob");
    // Commander first, then scribe and comms, then the team's own roles.
    let order: Vec<&str> = v["roles"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(order, ["commander", "scribe", "db-lead"]);
    assert_eq!(v["roles"]["scribe"], "Zoë Ünal");
    let roles: Vec<(&str, &str)> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "role")
        .map(|e| (e["author"].as_str().unwrap(), e["text"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [
            ("bob", "commander: bob (was: alice)"),
            ("alice", "scribe: Zoë Ünal"),
            ("alice", "db-lead: dmitri_k"),
        ]
    );
    let show = env.run(&["show", "1"]);
    assert!(
        show.ok()
            .contains("  roles         commander bob, scribe Zoë Ünal, db-lead dmitri_k\n"),
        "{}",
        show.ok()
    );
    assert!(
        show.ok()
            .contains("  services      checkout-api, payments.db\n")
    );
}

#[test]
fn a_role_is_cleared_with_a_dash_and_naming_the_same_holder_records_nothing() {
    let mut env = checkout_outage();
    env.at("2026-12-01T09:10:00Z");
    let again = env.run(&["role", "1", "Commander", "bob"]);
    assert!(again.stderr.contains("nothing changed"), "{}", again.stderr);
    env.run(&["role", "1", "commander", "-"]).ok();
    let v = env.json(&["show", "1", "--json"]);
    assert_eq!(v["commander"], serde_json::Value::Null);
    let last = v["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["text"], "commander cleared (was: bob)");
    let pm = env.run(&["postmortem", "1"]);
    assert!(
        pm.ok()
            .contains("- **Commander:** _none named. `incident role 1 commander WHO`_\n"),
        "{}",
        pm.ok()
    );
    // Backdated: the role change happened before it was written down.
    env.run(&["role", "1", "comms", "chen", "--at", "2026-12-01T09:05:00Z"])
        .ok();
    let v = env.json(&["show", "1", "--json"]);
    assert_eq!(
        v["roles"],
        json!({"scribe": "Zoë Ünal", "comms": "chen", "db-lead": "dmitri_k"})
    );
}

#[test]
fn bad_role_and_service_names_are_refused_and_the_database_is_untouched() {
    let env = checkout_outage();
    let db = env.db();
    let before = env.db_bytes(&db);
    for (args, says) in [
        (
            &["role", "1", "db lead", "x"][..],
            "'db lead' is not a role name: only letters, digits, - and _ are allowed",
        ),
        (
            &["role", "1", "scribe", ""][..],
            "the role's holder is empty",
        ),
        (
            &["role", "1", "", "x"][..],
            "'' is not a role name: it is empty",
        ),
        (
            &["update", "1", "--service", "checkout api"][..],
            "'checkout api' is not a service name",
        ),
        (
            &["update", "1", "--no-service", "search"][..],
            "incident 1 has no service 'search'",
        ),
        (
            &["open", "P3", "x", "--service", "a;b", "--no-snapshot"][..],
            "'a;b' is not a service name",
        ),
        (
            &["list", "--service", "two words"][..],
            "not a service name",
        ),
        (
            &["role", "9", "scribe", "x"][..],
            "incident 9 does not exist",
        ),
    ] {
        let run = env.run(args);
        assert!(run.err().contains(says), "{args:?}: {}", run.stderr);
        assert_eq!(env.db_bytes(&db), before, "{args:?} changed the database");
    }
    // One bad name among good ones: nothing of the command is written.
    let run = env.run(&[
        "update",
        "1",
        "--service",
        "search",
        "--no-service",
        "nope",
        "--title",
        "x",
    ]);
    assert!(run.err().contains("no service 'nope'"), "{}", run.stderr);
    assert_eq!(env.db_bytes(&db), before);
}

#[test]
fn services_are_added_removed_and_listed_by_any_of_them() {
    let mut env = checkout_outage();
    env.at("2026-12-01T09:20:00Z");
    env.run(&[
        "open",
        "P3",
        "Search slow",
        "--service",
        "search",
        "--no-snapshot",
    ])
    .ok();
    env.run(&["open", "P2", "Mail queue backlog", "--no-snapshot"])
        .ok();
    env.run(&[
        "update",
        "1",
        "--no-service",
        "payments.db",
        "--service",
        "edge/lb:443",
    ])
    .ok();
    let v = env.json(&["show", "1", "--json"]);
    assert_eq!(v["services"], json!(["checkout-api", "edge/lb:443"]));
    let texts: Vec<&str> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "service")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        ["service removed: payments.db", "service added: edge/lb:443"]
    );
    let numbers = |args: &[&str]| -> Vec<i64> {
        env.json(&[&["list", "--json"][..], args].concat())
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["number"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(numbers(&["--service", "edge/lb:443"]), [1]);
    assert_eq!(
        numbers(&["--service", "search", "--service", "checkout-api"]),
        [2, 1]
    );
    assert_eq!(numbers(&["--service", "payments.db"]), Vec::<i64>::new());
    assert_eq!(numbers(&[]), [3, 2, 1]);
    // The table has a services column while any listed incident names one.
    let table = env.run(&["list"]).ok().to_string();
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0][5], "SERVICES", "{table}");
    assert!(table.contains(" checkout-api,edge/lb:443 "), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("3 ") && l.contains(" - ")),
        "{table}"
    );
    // The newest alone names none: no column.
    let table = env.run(&["list", "--limit", "1"]).ok().to_string();
    assert!(
        table.contains("Mail queue backlog") && !table.contains("SERVICES"),
        "{table}"
    );
}

#[test]
fn roles_and_services_travel_through_export_and_import_and_render_in_every_report() {
    let env = checkout_outage();
    let file = env.home().join("out.json");
    env.run(&["export", "--all", "--out", file.to_str().unwrap()])
        .ok();
    let mut other = Env::new();
    other.at("2026-12-01T10:00:00Z");
    other.run(&["import", file.to_str().unwrap()]).ok();
    let (a, b) = (
        env.json(&["show", "1", "--json"]),
        other.json(&["show", "1", "--json"]),
    );
    for key in ["commander", "roles", "services"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    let md = env.run(&["export", "--format", "md", "1"]);
    assert!(
        md.ok()
            .contains("| Roles | commander bob, scribe Zoë Ünal, db-lead dmitri\\_k |")
            || md
                .ok()
                .contains("| Roles | commander bob, scribe Zoë Ünal, db-lead dmitri_k |"),
        "{}",
        md.ok()
    );
    assert!(
        md.ok().contains("| Services | checkout-api, payments.db |"),
        "{}",
        md.ok()
    );
    let pm = env.run(&["postmortem", "1"]);
    assert!(pm.ok().contains("- **Commander:** bob\n- **Roles:** scribe Zoë Ünal, db-lead dmitri_k\n- **Services:** checkout-api, payments.db\n"), "{}", pm.ok());
    let html = env.run(&["postmortem", "1", "--format", "html"]);
    assert!(
        html.ok()
            .contains("<dt>Commander</dt><dd>bob</dd>\n<dt>Scribe</dt><dd>Zoë Ünal</dd>"),
        "{}",
        html.ok()
    );
    let log = env.run(&["log", "1"]);
    assert!(
        log.ok()
            .contains("COMMANDER: bob\nSERVICES: checkout-api, payments.db\n"),
        "{}",
        log.ok()
    );
}

#[test]
fn a_file_whose_roles_do_not_follow_from_its_timeline_is_refused() {
    let env = checkout_outage();
    let file = env.home().join("out.json");
    env.run(&["export", "--all", "--out", file.to_str().unwrap()])
        .ok();
    let text = std::fs::read_to_string(&file).unwrap();
    let forged = text.replacen("\"commander\":\"bob\"", "\"commander\":\"mallory\"", 1);
    assert_ne!(forged, text, "the export carries the roles");
    std::fs::write(&file, forged).unwrap();
    let mut other = Env::new();
    other.at("2026-12-01T10:00:00Z");
    let run = other.run(&["import", file.to_str().unwrap()]);
    assert!(run.err().contains("its role list is"), "{}", run.stderr);
}

#[test]
fn reminders_name_the_commander() {
    let mut env = checkout_outage();
    env.at("2026-12-01T09:20:00Z");
    let run = env.run(&["remind", "--dry-run"]);
    assert!(
        run.stdout.contains(
            "\"Checkout 502s: upstream connect error\" (OPEN, commander bob): response OVERDUE"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn an_incident_recorded_before_roles_is_commanded_by_its_opener() {
    let mut env = Env::new();
    env.at("2026-12-01T09:00:00Z");
    env.run(&[
        "--author",
        "carol",
        "open",
        "P3",
        "Disk 91% on db-7",
        "--no-snapshot",
    ])
    .ok();
    // Back to version 18, before roles and services (19; the clock rules came at 20, the
    // post-mortem's search at 21 (no table changes; nothing here to index twice), the alert
    // intake's tables at 22, the CANCELLED status at 23, which changes no data).
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 23, "a newer version: undo it here too");
    conn.execute_batch(
        "DROP TABLE alerts;
         DROP TABLE alert_groups;
         ALTER TABLE incidents DROP COLUMN clock_rules;
         ALTER TABLE incidents DROP COLUMN roles;
         ALTER TABLE incidents DROP COLUMN services;
         PRAGMA user_version = 18;",
    )
    .unwrap();
    drop(conn);
    env.at("2026-12-01T09:05:00Z");
    let v = env.json(&["show", "1", "--json"]);
    assert_eq!(v["commander"], "carol");
    assert_eq!(v["services"], json!([]));
    env.run(&["update", "1", "--service", "db-7"]).ok();
    assert_eq!(env.json(&["show", "1", "--json"])["commander"], "carol");
}

/// A week with a two-service P1, a recurrence on one of them, an incident without a service,
/// and one before the window.
fn services_week() -> Env {
    let mut env = Env::new();
    env.at("2026-12-04T12:00:00Z");
    let step = |env: &Env, args: &[&str]| {
        env.run(args).ok();
    };
    // Checkout and its database; acknowledged after 10 minutes, resolved after 40.
    step(
        &env,
        &[
            "open",
            "P1",
            "Checkout 502s: upstream connect error",
            "--at",
            "2026-12-01T09:00:00Z",
            "--service",
            "checkout-api",
            "--service",
            "payments.db",
            "--no-snapshot",
        ],
    );
    step(&env, &["ack", "1", "--at", "2026-12-01T09:10:00Z"]);
    step(
        &env,
        &[
            "resolve",
            "1",
            "--resolution",
            "rolled back 4.2.1",
            "--at",
            "2026-12-01T09:40:00Z",
        ],
    );
    // The same again on checkout alone: acknowledged after an hour, its fix clock overdue.
    step(
        &env,
        &[
            "open",
            "P2",
            "Checkout 502s upstream connect errors again",
            "--at",
            "2026-12-02T09:00:00Z",
            "--service",
            "checkout-api",
            "--no-snapshot",
        ],
    );
    step(&env, &["ack", "2", "--at", "2026-12-02T10:00:00Z"]);
    // No service recorded.
    step(
        &env,
        &[
            "open",
            "P3",
            "Mail queue backlog",
            "--at",
            "2026-12-02T11:00:00Z",
            "--no-snapshot",
        ],
    );
    // Before the window: not in the rows (but what #2 recurs from is #1, in the window).
    step(
        &env,
        &[
            "open",
            "P3",
            "Search slow",
            "--at",
            "2026-11-20T11:00:00Z",
            "--service",
            "search",
            "--no-snapshot",
        ],
    );
    env
}

#[test]
fn the_review_breaks_incidents_down_by_service_and_says_when_one_counts_twice() {
    let env = services_week();
    let window = ["--since", "2026-11-30", "--until", "2026-12-04T12:00:00Z"];
    let v = env.json(&[&["review", "--format", "json"][..], &window].concat());
    let rows: Vec<serde_json::Value> = v["services"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            json!([
                r["service"],
                r["incidents"],
                r["resolved"],
                r["acknowledge_median_seconds"],
                r["resolve_median_seconds"],
                r["breached"],
                r["recurring"]
            ])
        })
        .collect();
    assert_eq!(
        rows,
        [
            // Nearest-rank medians: of 10m and 1h, the first.
            json!(["checkout-api", 2, 1, 600, 2400, 1, 1]),
            json!(["payments.db", 1, 1, 600, 2400, 0, 0]),
            json!([null, 1, 0, null, null, 1, 0]),
        ],
        "{:#}",
        v["services"]
    );
    assert_eq!(v["services"]["shared"], 1);
    let md = env.run(&[&["review"][..], &window].concat());
    assert!(
        md.ok()
            .contains("1 incident affects more than one service and counts in each of its rows"),
        "{}",
        md.ok()
    );
    assert!(
        md.ok()
            .contains("| checkout-api | 2 | 1 | 10m | 40m | 1 | 1 |"),
        "{}",
        md.ok()
    );
    assert!(
        md.ok()
            .contains("| _none recorded_ | 1 | 0 | – | – | 1 | 0 |"),
        "{}",
        md.ok()
    );
    let html = env.run(&[&["review", "--format", "html"][..], &window].concat());
    assert!(
        html.ok().contains("<tr><td>payments.db</td><td>1</td><td>1</td><td>10m</td><td>40m</td><td>0</td><td>0</td></tr>"),
        "{}",
        html.ok()
    );
    // A window where nothing names a service says how to record one.
    let quiet = env.run(&["review", "--since", "2026-11-01", "--until", "2026-11-08"]);
    assert!(
        quiet
            .ok()
            .contains("names a service: `incident open P2 TITLE --service NAME`"),
        "{}",
        quiet.ok()
    );
}

/// Roles and services named on two copies apart reach every copy through the team log: the
/// one recorded last holds the role, and every add and removal of a service applies.
#[test]
fn roles_and_services_named_apart_are_the_same_on_every_copy_after_syncing() {
    use crate::team_merge::{assert_identical, at, copy};
    let Some(db) = crate::team::TeamDb::new() else {
        return;
    };
    let (mut alice, mut bob) = (copy(&db, "alice"), copy(&db, "bob"));
    at(&mut alice, "2026-11-29T10:00:00Z", &["team", "init"]);
    at(
        &mut alice,
        "2026-11-29T10:00:00Z",
        &[
            "open",
            "P2",
            "Checkout 502s (ingress-nginx)",
            "--service",
            "checkout-api",
            "--no-snapshot",
        ],
    );
    at(&mut bob, "2026-11-29T10:01:00Z", &["sync"]);
    at(
        &mut alice,
        "2026-11-29T10:02:00Z",
        &["--offline", "role", "1", "scribe", "alice"],
    );
    at(
        &mut alice,
        "2026-11-29T10:03:00Z",
        &["--offline", "update", "1", "--service", "ingress/eu-west"],
    );
    at(
        &mut bob,
        "2026-11-29T10:04:00Z",
        &["--offline", "role", "1", "scribe", "Bo Ström"],
    );
    at(
        &mut bob,
        "2026-11-29T10:05:00Z",
        &["--offline", "role", "1", "commander", "bob"],
    );
    at(
        &mut bob,
        "2026-11-29T10:06:00Z",
        &["--offline", "update", "1", "--no-service", "checkout-api"],
    );
    for _ in 0..2 {
        at(&mut alice, "2026-11-29T10:10:00Z", &["sync"]);
        at(&mut bob, "2026-11-29T10:10:00Z", &["sync"]);
    }
    let (_, shows) = assert_identical(&[&alice, &bob], "2026-11-29T10:10:00Z");
    assert_eq!(
        shows[0]["roles"],
        json!({"commander": "bob", "scribe": "Bo Ström"})
    );
    assert_eq!(shows[0]["services"], json!(["ingress/eu-west"]));
}
