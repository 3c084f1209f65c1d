//! Action items through the real binary: added, listed, done, in the timeline; and templates
//! listed, shown and exported for customising.

use crate::common::Env;

#[test]
fn action_items_from_add_to_done() {
    let mut env = Env::new();
    env.run(&["open", "P1", "Data collection stopped", "--at", "-2h"])
        .ok();
    env.run(&["open", "P3", "Minor lag"]).ok();
    let added = env.run(&[
        "action",
        "add",
        "1",
        "Deploy the health monitor CronJob",
        "--owner",
        "alice",
        "--due",
        "+2d",
        "--kind",
        "detect",
    ]);
    assert_eq!(
        added.ok(),
        "action 1 added to incident 1 (detect, owner alice, due 2026-12-01 10:00): Deploy the health monitor CronJob\n"
    );
    env.run(&[
        "action",
        "add",
        "1",
        "Alert on data age over 2h",
        "--owner",
        "bob",
        "--due",
        "2026-11-30 09:00",
    ])
    .ok();
    env.run(&[
        "action",
        "add",
        "2",
        "Document the restart procedure",
        "--kind",
        "process",
    ])
    .ok();

    env.at("2026-11-30T12:00:00Z");
    let list = env.run(&["action", "list"]);
    insta::assert_snapshot!("action_list", list.ok());
    let overdue = env.json(&["action", "list", "--overdue", "--json"]);
    assert_eq!(overdue.as_array().unwrap().len(), 1);
    assert_eq!(overdue[0]["id"], 2);
    assert_eq!(overdue[0]["owner"], "bob");
    assert_eq!(overdue[0]["overdue"], true);
    let alices = env.json(&["action", "list", "--owner", "alice", "--json"]);
    assert_eq!(alices.as_array().unwrap().len(), 1);
    let of_two = env.json(&["action", "list", "--incident", "2", "--json"]);
    assert_eq!(of_two[0]["kind"], "process");
    assert_eq!(of_two[0]["due_at"], serde_json::Value::Null);

    let done = env.run(&["action", "done", "2"]);
    assert_eq!(
        done.ok(),
        "action 2 of incident 1 done: Alert on data age over 2h\n"
    );
    let open = env.json(&["action", "list", "--open", "--json"]);
    let ids: Vec<i64> = open
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![1, 3]);
    assert_eq!(
        env.json(&["action", "list", "--overdue", "--json"]),
        serde_json::json!([])
    );

    // `show` lists them, open and done.
    let show = env.run(&["show", "1"]);
    assert!(show.ok().contains("ACTION ITEMS:\n    1  open  Deploy the health monitor CronJob (detect, alice, due 2026-12-01 10:00)\n    2  done  Alert on data age over 2h (prevent, bob, due 2026-11-30 09:00)\n"), "{}", show.stdout);
    assert_eq!(
        env.json(&["show", "1", "--json"])["actions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Both the adding and the doing are in the incident's timeline.
    let timeline = env.json(&["show", "1", "--json"])["timeline"].clone();
    let actions: Vec<String> = timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "action")
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        vec![
            "action 1 added: Deploy the health monitor CronJob (detect, owner alice, due 2026-12-01 10:00)",
            "action 2 added: Alert on data age over 2h (prevent, owner bob, due 2026-11-30 09:00)",
            "action 2 done: Alert on data age over 2h",
        ]
    );
}

#[test]
fn bad_action_input_is_refused_untouched() {
    let env = Env::new();
    env.run(&["open", "P2", "Lagging"]).ok();
    env.run(&["action", "add", "1", "Fix it"]).ok();
    env.run(&["action", "done", "1"]).ok();
    let db = env.db();
    for (args, expected) in [
        (
            &["action", "add", "9", "x"][..],
            "incident 9 does not exist",
        ),
        (
            &["action", "add", "1", "x", "--kind", "blame"],
            "unknown action kind 'blame': use prevent, mitigate, detect, process or other",
        ),
        (&["action", "add", "1", " "], "the action item is empty"),
        (
            &["action", "add", "1", "x", "--due", "someday"],
            "malformed time 'someday'",
        ),
        (
            &["action", "done", "7"],
            "action item 7 does not exist; `incident action list` shows the action items",
        ),
        (
            &["action", "done", "1"],
            "action item 1 was already done at 2026-11-29 10:00",
        ),
        (
            &["action", "done", "abc"],
            "invalid value 'abc' for '<ID>': 'abc' is not an action item number",
        ),
    ] {
        let before = env.db_bytes(&db);
        let run = env.run(args);
        assert!(run.err().contains(expected), "{args:?}: {}", run.stderr);
        assert!(env.db_bytes(&db) == before, "{args:?} changed the database");
    }
}

#[test]
fn templates_are_listed_shown_and_exported() {
    let env = Env::new();
    let list = env.run(&["template", "list"]);
    let names: Vec<&str> = list
        .ok()
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "log.txt",
            "postmortem.md",
            "postmortem.html",
            "postmortem-lite.md",
            "review.md",
            "review.html",
            "reminder.txt",
            "board.html",
            "board-incident.html",
            "board-parts.html"
        ]
    );
    assert!(
        env.run(&["template", "show", "log.txt"])
            .ok()
            .contains("INCIDENT #: {{ incident.number }}")
    );
    let missing = env.run(&["template", "show", "nope.txt"]);
    assert_eq!(
        missing.err(),
        "error: there is no template 'nope.txt'; `incident template list` lists them"
    );

    let dir = env.home().join("tpl");
    let d = dir.to_str().unwrap();
    let export = env.run(&["template", "export", d]);
    assert_eq!(export.ok(), "");
    assert!(
        export.stderr.contains(&format!(
            "wrote 10 templates to {d}; use them with --template-dir {d} or templates = \"{d}\""
        )),
        "{}",
        export.stderr
    );
    // Again over an untouched export: nothing of anyone's would be lost, so it just works.
    let untouched = env.run(&["template", "export", d]);
    assert!(
        untouched.stderr.contains("wrote 10 templates"),
        "{}",
        untouched.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("log.txt")).unwrap(),
        env.run(&["template", "show", "log.txt"]).stdout
    );
    // Exporting again would overwrite edits: refused unless --force.
    std::fs::write(dir.join("log.txt"), "#{{ incident.number }} edited\n").unwrap();
    let again = env.run(&["template", "export", d]);
    assert!(
        again.err().contains("already has log.txt"),
        "{}",
        again.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("log.txt")).unwrap(),
        "#{{ incident.number }} edited\n"
    );
    // The edited copy is what list, show and log use with --template-dir.
    let listed = env.run(&["--template-dir", d, "template", "list"]);
    assert!(listed.ok().contains(&format!(
        "log.txt              overridden by {}",
        dir.join("log.txt").display()
    )));
    env.run(&["open", "P3", "x"]).ok();
    assert_eq!(
        env.run(&["--template-dir", d, "log", "1"]).ok(),
        "#1 edited\n"
    );
    env.run(&["template", "export", d, "--force"]).ok();
    assert!(
        std::fs::read_to_string(dir.join("log.txt"))
            .unwrap()
            .contains("INCIDENT #")
    );
}
