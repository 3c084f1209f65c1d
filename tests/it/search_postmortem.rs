//! The post-mortem in `incident search`: impact, trigger and detection as fields, lessons under
//! their list, links by title and URL; found after `update`, `lesson add`, `action add` and an
//! import, in a database written before they were indexed (version 20), and `doctor` agreeing.

use crate::common::Env;
use serde_json::Value;
use std::path::Path;

/// A P1 search outage with its post-mortem written from the CLI: each text holds a word no
/// other does (`fanout`, `tokyo`, `burnrate`, `canary`, `pagers`, `surge`, `grafana`,
/// `SRCH`).
fn written(env: &mut Env) {
    env.at("2026-11-20T14:00:00Z");
    env.run(&[
        "open",
        "P1",
        "Search returns 500s in eu-west",
        "--no-snapshot",
    ])
    .ok();
    env.at("2026-11-20T15:30:00Z");
    env.run(&[
        "update",
        "1",
        "--impact",
        "For 66 minutes 38% of queries failed, tokyo users saw empty results",
        "--trigger",
        "A config push doubled the shard fanout of every query",
        "--detection",
        "Paged by the burnrate alert on the search SLO at 14:04",
        "--link",
        "https://grafana.example.com/d/search-eu?from=1763647200000",
        "--link-title",
        "Search error rate dashboard",
    ])
    .ok();
    let lessons = [
        (
            "--went-wrong",
            "The canary skipped the region that overloaded",
        ),
        ("--went-well", "Both pagers rang within a minute"),
        ("--lucky", "The traffic surge came after the rollback"),
    ];
    for (list, text) in lessons {
        env.run(&["lesson", "add", "1", list, text]).ok();
    }
    env.run(&[
        "action",
        "add",
        "1",
        "Canary config pushes like code",
        "--link",
        "https://bugs.example.com/SRCH-2291",
    ])
    .ok();
}

fn search_on(env: &Env, db: Option<&Path>, query: &str) -> Vec<Value> {
    let mut args = Vec::new();
    if let Some(db) = db {
        args.extend(["--db", db.to_str().unwrap()]);
    }
    args.extend(["search", query, "--json"]);
    let run = env.run(&args);
    let v: Value = serde_json::from_str(run.ok()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    v["results"].as_array().unwrap().clone()
}

/// "kind where: snippet" of each result.
fn found_on(env: &Env, db: Option<&Path>, query: &str) -> Vec<String> {
    search_on(env, db, query)
        .iter()
        .map(|h| {
            format!(
                "{} {}: {}",
                h["kind"].as_str().unwrap(),
                h["where"].as_str().unwrap(),
                h["snippet"].as_str().unwrap()
            )
        })
        .collect()
}

fn found(env: &Env, query: &str) -> Vec<String> {
    found_on(env, None, query)
}

/// What each post-mortem text is found as, one query each.
fn every_text_is_found(env: &Env, db: Option<&Path>) {
    let cases = [
        (
            "tokyo",
            "field field impact: For 66 minutes 38% of queries failed, [tokyo] users saw empty results",
        ),
        (
            "fanout",
            "field field trigger: A config push doubled the shard [fanout] of every query",
        ),
        (
            "burnrate",
            "field field detection: Paged by the [burnrate] alert on the search SLO at 14:04",
        ),
        (
            "canary NOT code",
            "lesson went wrong: The [canary] skipped the region that overloaded",
        ),
        (
            "pagers",
            "lesson went well: Both [pagers] rang within a minute",
        ),
        (
            "surge",
            "lesson lucky: The traffic [surge] came after the rollback",
        ),
    ];
    for (query, want) in cases {
        assert_eq!(found_on(env, db, query), [want], "{query}");
    }
    // A link by its title and by its URL, in one text.
    let link = found_on(env, db, "dashboard");
    assert_eq!(link.len(), 1, "{link:?}");
    assert!(
        link[0].starts_with("link supporting information: Search error rate [dashboard]"),
        "{link:?}"
    );
    assert_eq!(found_on(env, db, "grafana").len(), 1);
    // A bug link has no title: its URL is its text.
    assert_eq!(
        found_on(env, db, "srch"),
        ["link action 1 bug: https://bugs.example.com/[SRCH]-2291"]
    );
}

fn doctor_ok(env: &Env, db: Option<&Path>) {
    let mut args = Vec::new();
    if let Some(db) = db {
        args.extend(["--db", db.to_str().unwrap()]);
    }
    args.push("doctor");
    let run = env.run(&args);
    assert!(
        run.stdout
            .contains("ok    search index: the search index matches what it indexes"),
        "{}{}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn impact_trigger_detection_lessons_and_links_are_found_with_their_kind() {
    let mut env = Env::new();
    written(&mut env);
    every_text_is_found(&env, None);
    // The text output: the kind, then where, reads "lesson went wrong".
    let text = env.run(&["search", "canary NOT code"]).ok().to_string();
    assert!(
        text.starts_with("incident 1  lesson  went wrong  2026-11-20 15:30"),
        "{text}"
    );
    // --kind takes the new kinds.
    let run = env.run(&["search", "the OR within", "--kind", "lesson", "--json"]);
    let v: Value = serde_json::from_str(run.ok()).unwrap();
    let kinds: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["lesson"; 3]);
    let run = env.run(&["search", "example", "--kind", "link", "--json"]);
    let v: Value = serde_json::from_str(run.ok()).unwrap();
    assert_eq!(v["totals"]["texts"], 2, "{v}");
    doctor_ok(&env, None);
}

#[test]
fn a_changed_impact_is_found_by_its_new_words_only() {
    let mut env = Env::new();
    written(&mut env);
    env.at("2026-11-21T09:00:00Z");
    env.run(&[
        "update",
        "1",
        "--impact",
        "For 66 minutes 38% of queries failed in osaka and tokyo",
    ])
    .ok();
    assert_eq!(
        found(&env, "osaka"),
        ["field field impact: For 66 minutes 38% of queries failed in [osaka] and tokyo"]
    );
    assert_eq!(found(&env, "users saw").len(), 0, "the old impact's words");
    env.run(&["update", "1", "--trigger", ""]).ok();
    assert_eq!(found(&env, "fanout").len(), 0, "a cleared trigger");
    doctor_ok(&env, None);
}

#[test]
fn an_imported_post_mortem_is_found() {
    let mut env = Env::new();
    written(&mut env);
    let file = env.home().join("export.json");
    env.run(&["export", "--all", "--out", file.to_str().unwrap()])
        .ok();
    let target = env.home().join("other.db");
    let t = target.to_str().unwrap();
    env.run(&["--db", t, "import", file.to_str().unwrap()]).ok();
    every_text_is_found(&env, Some(&target));
    doctor_ok(&env, Some(&target));
}

/// Takes the database back to what version 20 left (no alert intake tables either, version 22): the same rows, but the new fields, lessons
/// and links not in the index, the notes' mark past them.
fn as_version_20(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(
        "DELETE FROM search WHERE rowid IN (SELECT id FROM search_docs
             WHERE kind IN ('lesson', 'link')
                OR (kind = 'field' AND ref IN ('impact', 'trigger', 'detection')));
         DELETE FROM search_docs WHERE kind IN ('lesson', 'link')
             OR (kind = 'field' AND ref IN ('impact', 'trigger', 'detection'));
         UPDATE search_state SET notes_through = (SELECT max(id) FROM events);
         DROP TABLE alerts;
         DROP TABLE alert_groups;
         PRAGMA user_version = 20;",
    )
    .unwrap();
}

#[test]
fn a_version_20_database_gets_its_post_mortem_indexed_on_first_open() {
    let mut env = Env::new();
    written(&mut env);
    // Searched once, so every entry is behind the mark, as on a database in use.
    env.run(&["search", "outage"]).ok();
    as_version_20(&env.db());
    let before = env.run(&["doctor"]);
    assert_eq!(before.code, 0, "{}{}", before.stdout, before.stderr);
    assert!(
        before.stdout.contains("version 20"),
        "doctor leaves an older database to the next command: {}",
        before.stdout
    );
    // A lesson recorded by the new version after the old one's mark: indexed once, with the
    // next search.
    env.at("2026-11-21T09:00:00Z");
    env.run(&[
        "lesson",
        "add",
        "1",
        "--went-wrong",
        "Rollback needed two approvals at night",
    ])
    .ok();
    every_text_is_found(&env, None);
    assert_eq!(
        found(&env, "approvals"),
        ["lesson went wrong: Rollback needed two [approvals] at night"]
    );
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let docs: i64 = conn
        .query_row(
            "SELECT count(*) FROM search_docs WHERE kind IN ('lesson', 'link')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(docs, 6, "4 lessons and 2 links, each once");
    doctor_ok(&env, None);
}

#[test]
fn doctor_names_a_lesson_or_a_field_missing_from_the_index() {
    let mut env = Env::new();
    written(&mut env);
    env.run(&["search", "outage"]).ok();
    doctor_ok(&env, None);
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch(
        "DELETE FROM search WHERE rowid IN (SELECT id FROM search_docs
             WHERE kind = 'lesson' AND ref = 'lucky' OR kind = 'field' AND ref = 'detection');
         DELETE FROM search_docs
             WHERE kind = 'lesson' AND ref = 'lucky' OR kind = 'field' AND ref = 'detection';",
    )
    .unwrap();
    drop(conn);
    let run = env.run(&["doctor"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    for want in [
        "FAIL  search index: incident 1: its detection is not indexed as it reads",
        "incident 1: 3 lesson(s), 2 indexed",
    ] {
        assert!(run.stdout.contains(want), "{want}: {}", run.stdout);
    }
}
