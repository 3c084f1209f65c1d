//! Purging a secret pasted into a pushed event, against the real PostgreSQL: the team log's
//! owner replaces its words with a tombstone, and every working copy applies it at its next
//! pull, in the timeline, `show`, the search index, exports and the file's bytes; the working
//! copies' role cannot purge; bad input changes nothing.

use crate::common::Env;
use crate::common::services::unique;
use crate::team::{TeamDb, readme_role_sql};
use crate::team_merge::{assert_identical, at, copy, read};
use serde_json::Value;

const SECRET: &str = "password=hunter2-s3cr3t";
/// What must not be found anywhere after the purge: the secret's words, as the tokenizer
/// splits them too (the search index keeps words, not the text).
const WORDS: [&str; 2] = ["hunter2", "s3cr3t"];
const REASON: &str = "database password pasted in a note";

/// Whether the working copy's database file or its WAL holds any of the secret's words.
fn bytes_hold_secret(env: &Env) -> bool {
    let (db, wal) = env.db_bytes(&env.db());
    [db, wal].iter().any(|bytes| {
        WORDS
            .iter()
            .any(|w| bytes.windows(w.len()).any(|win| win == w.as_bytes()))
    })
}

/// Fails unless `sql` (a boolean query) is true on the team log.
fn team_log_holds(db: &TeamDb, what: &str, sql: &str) -> bool {
    db.sql(&format!(
        "DO $$ BEGIN IF NOT ({sql}) THEN RAISE EXCEPTION 'no'; END IF; END $$"
    ))
    .map_err(|e| assert!(e.contains("no"), "{what}: {e}"))
    .is_ok()
}

fn secret_in_team_log(db: &TeamDb) -> bool {
    let s = &db.schema;
    team_log_holds(
        db,
        "the secret in the team log",
        &format!(
            "EXISTS (SELECT 1 FROM {s}.events
                     WHERE concat(text, old, new, detail) LIKE '%hunter2%')"
        ),
    )
}

/// The uuid of the event of incident 1 whose text contains `needle`, as `show --json` gives it.
fn event_uuid(env: &Env, now: &str, needle: &str) -> String {
    let shown: Value = serde_json::from_str(&read(env, now, &["show", "1", "--json"])).unwrap();
    shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["text"].as_str().unwrap().contains(needle) || e["new"] == needle)
        .unwrap_or_else(|| panic!("no event with {needle}: {shown}"))["uuid"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Alice opens incident 1 and pastes the secret into a note and into the root cause; both are
/// pushed as they are written. Bob pulls them and searches for the secret (so his search index
/// holds it). Returns (note uuid, root cause change uuid).
fn paste_the_secret(db: &TeamDb, alice: &mut Env, bob: &mut Env) -> (String, String) {
    at(alice, "2026-11-29T10:00:00Z", &["team", "init"]);
    at(
        alice,
        "2026-11-29T10:00:00Z",
        &["open", "P2", "Checkout 502s"],
    );
    at(
        alice,
        "2026-11-29T10:02:00Z",
        &[
            "note",
            "1",
            &format!("connected with {SECRET} on db-primary"),
        ],
    );
    at(
        alice,
        "2026-11-29T10:03:00Z",
        &["update", "1", "--root-cause", &format!("leaked {SECRET}")],
    );
    at(bob, "2026-11-29T10:05:00Z", &["sync"]);
    for env in [&*alice, &*bob] {
        let found = read(env, "2026-11-29T10:05:00Z", &["search", "hunter2"]);
        assert!(found.contains("hunter2"), "{found}");
        assert!(bytes_hold_secret(env), "the secret is in the file first");
    }
    assert!(secret_in_team_log(db));
    (
        event_uuid(
            alice,
            "2026-11-29T10:05:00Z",
            "hunter2-s3cr3t on db-primary",
        ),
        event_uuid(alice, "2026-11-29T10:05:00Z", &format!("leaked {SECRET}")),
    )
}

#[test]
fn a_purged_secret_is_gone_from_every_copy_the_search_index_the_file_and_the_team_log() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    let mut bob = copy(&db, "bob");
    let mut lead = copy(&db, "lead");
    let (note, root_cause) = paste_the_secret(&db, &mut alice, &mut bob);

    // The lead, as the team log's owner, purges both: the note by its UUID, the field change
    // by a prefix of it long enough to be unique (a UUID's first digits are its time).
    lead.at("2026-11-29T11:00:00Z");
    let purged: Value = lead.json(&["team", "purge", &note, "--reason", REASON, "--json"]);
    let tombstone = format!("[purged by lead at 2026-11-29T11:00:00Z: {REASON}]");
    assert_eq!(purged["tombstone"], tombstone.as_str(), "{purged}");
    assert_eq!(purged["kind"], "note");
    assert_eq!(purged["incident"], 1);
    assert_eq!(
        purged["purged"],
        serde_json::json!({"by": "lead", "at": "2026-11-29T11:00:00Z", "reason": REASON})
    );
    assert_eq!(purged["here"], false, "the lead's copy had never pulled");
    let prefix: String = root_cause.replace('-', "")[..24].to_string();
    let run = lead.run(&[
        "team",
        "purge",
        &prefix,
        "--reason",
        "token in the root cause",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("purged field {root_cause} of incident 1")),
        "{}",
        run.stderr
    );
    assert!(
        !secret_in_team_log(&db),
        "the team log holds the tombstones"
    );
    let again = lead.run(&["team", "purge", &note, "--reason", REASON]);
    assert!(
        again.err().contains("was purged already"),
        "{}",
        again.stderr
    );
    let s = &db.schema;
    assert!(team_log_holds(
        &db,
        "who purged, when and why",
        &format!(
            "(SELECT count(*) FROM {s}.purges WHERE purged_by = 'lead' AND purged_as = current_user
              AND purged_at = '2026-11-29T11:00:00Z') = 2"
        )
    ));

    // Alice and Bob pull (any read does), and the lead pulls the incident.
    let now = "2026-11-29T11:05:00Z";
    for env in [&mut alice, &mut bob] {
        let synced = env.at(now).json(&["sync", "--json"]);
        assert_eq!(synced["purged"], 2, "{synced}");
    }
    // The lead applied them when purging: the events come with their tombstones.
    let synced = lead.at(now).json(&["sync", "--json"]);
    assert_eq!(
        (synced["purged"].as_i64(), synced["pulled"].as_i64()),
        (Some(0), Some(3)),
        "{synced}"
    );
    for env in [&alice, &bob, &lead] {
        assert_purged_here(env, now, &note, &tombstone);
    }
    assert_identical(&[&alice, &bob, &lead], now);
}

/// Everything a copy shows of incident 1 after pulling the purges of `note` and of the root
/// cause change: the tombstones, never the secret (reads, exports, search, the file's bytes).
fn assert_purged_here(env: &Env, now: &str, note: &str, tombstone: &str) {
    let show = read(env, now, &["show", "1"]);
    assert!(show.contains(tombstone), "{show}");
    let json = read(env, now, &["show", "1", "--json"]);
    let export = read(env, now, &["export", "1"]);
    let markdown = read(env, now, &["export", "1", "--format", "md"]);
    let postmortem = read(env, now, &["postmortem", "1"]);
    for (what, text) in [
        ("show", &show),
        ("show --json", &json),
        ("export", &export),
        ("export --format md", &markdown),
        ("postmortem", &postmortem),
    ] {
        for w in WORDS {
            assert!(!text.contains(w), "{what} still shows {w}: {text}");
        }
    }
    for w in WORDS {
        let found = env.run(&["--offline", "search", w]);
        assert!(!found.stdout.contains(w), "search {w}: {}", found.stdout);
    }
    // The tombstone is what the index holds now.
    let found = read(env, now, &["search", "purged pasted"]);
    assert!(found.contains("by lead at 2026-11-29T11:00:00Z"), "{found}");
    let shown: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        shown["root_cause"],
        "[purged by lead at 2026-11-29T11:00:00Z: token in the root cause]"
    );
    let entry = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["uuid"] == note)
        .unwrap();
    assert_eq!(entry["text"], tombstone);
    assert_eq!(entry["purged"]["by"], "lead");
    assert_eq!(entry["purged"]["reason"], REASON);
    let opened = &shown["timeline"][0];
    assert!(opened.get("purged").is_none(), "{opened}");
    assert!(!bytes_hold_secret(env), "the file's bytes");
}

/// A login role made from the README's SQL for the working copies, and a copy that uses it.
fn writer_copy(db: &TeamDb) -> (Env, String) {
    let role = unique("writer");
    db.sql(&readme_role_sql(&db.schema, &role)).unwrap();
    let host = db.url.rsplit_once('@').map_or(db.url.as_str(), |(_, h)| h);
    let env = Env::new();
    env.write_config(&format!(
        "[team]\nurl = \"postgres://{role}@{host}\"\nschema = \"{}\"\ntimeout = \"5s\"\n",
        db.schema
    ));
    (env, role)
}

#[test]
fn the_working_copies_role_cannot_purge_and_bad_input_changes_nothing() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    let mut bob = copy(&db, "bob");
    let (note, _) = paste_the_secret(&db, &mut alice, &mut bob);
    let (mut writer, role) = writer_copy(&db);
    writer.at("2026-11-29T11:00:00Z");
    let s = &db.schema;
    let purges = |n: i64| {
        team_log_holds(
            &db,
            "purges",
            &format!("(SELECT count(*) FROM {s}.purges) = {n}"),
        )
    };
    let refused = writer.run(&["team", "purge", &note, "--reason", REASON]);
    let line = refused.err();
    assert!(
        line.contains("purging needs the team log's owner role") && line.contains("owner"),
        "{line}"
    );
    // Nor by hand: the grants let it add rows, but not a purge, and not change an event.
    let as_role = |sql: &str| db.sql(&format!("SET ROLE {role}; {sql}"));
    let err = as_role(&format!(
        "INSERT INTO {s}.purges (event_uuid, purged_by, reason) VALUES ('{note}', 'eve', 'x')"
    ))
    .unwrap_err();
    assert!(
        err.contains("purging needs the team log's owner role"),
        "{err}"
    );
    let err = as_role(&format!("UPDATE {s}.events SET text = 'x'")).unwrap_err();
    assert!(err.contains("permission denied"), "{err}");
    // Even the owner changes an event only through a purge, and only to its tombstone.
    let err = db
        .sql(&format!("UPDATE {s}.events SET text = 'rewritten'"))
        .unwrap_err();
    assert!(err.contains("the team log is append-only"), "{err}");
    let err = db
        .sql(&format!(
            "INSERT INTO {s}.purges (event_uuid, purged_by, reason) VALUES ('{note}', 'eve', 'x');
             UPDATE {s}.events SET text = 'not the tombstone' WHERE uuid = '{note}'"
        ))
        .unwrap_err();
    assert!(err.contains("the team log is append-only"), "{err}");
    assert!(purges(0) && secret_in_team_log(&db));

    // Bad input, as the owner: refused in one line, nothing changed here or there.
    alice.at("2026-11-29T11:00:00Z");
    let before = alice.db_bytes(&alice.db());
    let opened = event_uuid(&alice, "2026-11-29T10:05:00Z", "Checkout 502s");
    let eight = &note.replace('-', "")[..8];
    for (args, says) in [
        (
            vec![note.as_str(), "--reason", "  "],
            "a purge needs a reason",
        ),
        (
            vec!["0123abcd-0000-0000-0000-000000000000", "--reason", REASON],
            "no event in the team log has an id starting with '0123abcd",
        ),
        (vec!["0123ab", "--reason", REASON], "is not an event id"),
        (vec![eight, "--reason", REASON], "events: "),
        (
            vec![opened.as_str(), "--reason", REASON],
            "is the incident's opening, which cannot be purged",
        ),
    ] {
        let mut full = vec!["team", "purge"];
        full.extend(args);
        let run = alice.run(&full);
        let line = run.err();
        assert!(line.contains(says), "{full:?}: {line}");
        assert_eq!(
            alice.db_bytes(&alice.db()),
            before,
            "{full:?} changed the copy"
        );
    }
    assert!(purges(0) && secret_in_team_log(&db));
    db.sql(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .unwrap();
}

#[test]
fn a_copy_that_still_has_the_secret_unpushed_never_brings_it_back() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    let mut bob = copy(&db, "bob");
    at(&mut alice, "2026-11-29T10:00:00Z", &["team", "init"]);
    // Alice works offline; Bob gets her incident by export and import, not through the log.
    at(
        &mut alice,
        "2026-11-29T10:00:00Z",
        &["--offline", "open", "P2", "Checkout 502s"],
    );
    at(
        &mut alice,
        "2026-11-29T10:02:00Z",
        &["--offline", "note", "1", SECRET],
    );
    let file = alice.home().join("l1.json");
    at(
        &mut alice,
        "2026-11-29T10:03:00Z",
        &["--offline", "export", "--all", "-o", file.to_str().unwrap()],
    );
    at(
        &mut bob,
        "2026-11-29T10:04:00Z",
        &["--offline", "import", file.to_str().unwrap()],
    );
    at(&mut alice, "2026-11-29T10:05:00Z", &["sync"]);
    let note = event_uuid(&alice, "2026-11-29T10:05:00Z", "hunter2");
    alice.at("2026-11-29T11:00:00Z");
    alice.json(&["team", "purge", &note, "--reason", REASON, "--json"]);
    assert!(!secret_in_team_log(&db));
    // Bob's push offers the event with its secret: the team log keeps its tombstone, and
    // Bob's pull puts the tombstone here.
    let synced = bob.at("2026-11-29T11:05:00Z").json(&["sync", "--json"]);
    assert_eq!(
        (synced["pushed"].as_i64(), synced["purged"].as_i64()),
        (Some(0), Some(1)),
        "{synced}"
    );
    assert!(!secret_in_team_log(&db));
    let shown = read(&bob, "2026-11-29T11:05:00Z", &["show", "1"]);
    assert!(
        shown.contains("[purged by alice at 2026-11-29T11:00:00Z"),
        "{shown}"
    );
    assert!(!bytes_hold_secret(&bob) && !bytes_hold_secret(&alice));
    assert_identical(&[&alice, &bob], "2026-11-29T11:05:00Z");
}

#[test]
fn a_purged_command_line_is_gone_from_the_run_that_kept_it_too() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    at(&mut alice, "2026-11-29T10:00:00Z", &["team", "init"]);
    at(
        &mut alice,
        "2026-11-29T10:00:00Z",
        &["open", "P2", "Checkout 502s"],
    );
    // A word no redaction rule knows, on the command line only (the output is empty).
    at(
        &mut alice,
        "2026-11-29T10:02:00Z",
        &["exec", "1", "--", "true", "hunter2-s3cr3t"],
    );
    let found = read(&alice, "2026-11-29T10:03:00Z", &["search", "hunter2"]);
    assert!(found.contains("hunter2"), "{found}");
    assert!(bytes_hold_secret(&alice));
    let command = event_uuid(&alice, "2026-11-29T10:03:00Z", "hunter2-s3cr3t");
    alice.at("2026-11-29T11:00:00Z");
    let purged = alice.json(&[
        "team",
        "purge",
        &command,
        "--reason",
        "token on a command line",
        "--json",
    ]);
    assert_eq!(
        (purged["kind"].as_str(), purged["here"].as_bool()),
        (Some("command"), Some(true))
    );
    let now = "2026-11-29T11:05:00Z";
    let show = read(&alice, now, &["show", "1"]);
    assert!(
        show.contains(
            "command 1: [purged by alice at 2026-11-29T11:00:00Z: token on a command line]"
        ),
        "{show}"
    );
    let listed = read(&alice, now, &["logs", "1"]);
    for text in [&show, &listed, &read(&alice, now, &["search", "hunter2"])] {
        assert!(!text.contains("hunter2"), "{text}");
    }
    assert!(!bytes_hold_secret(&alice) && !secret_in_team_log(&db));
}
