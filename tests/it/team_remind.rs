//! Reminders across working copies that share a team log (team schema version 4): two copies
//! running `remind` at the same moment send each reminder once per channel, the loser says
//! whose copy sends it, and a claim whose sender died is taken over once it is stale. Through
//! the real PostgreSQL and the real binary.

use crate::common::Env;
use crate::team::{TeamDb, readme_role_sql, team_settings};
use crate::team_merge::{at, copy};
use incident::app::share_push::delivery_uuid;
use incident::team::Team;
use serde_json::Value;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

const T0: &str = "2026-11-29T10:00:00Z";

/// A copy of `db` whose `mail` channel appends each message to `inbox`, after `delay` seconds
/// (a slow channel keeps a winner between its claim and its recorded delivery for a while).
fn mailing(db: &TeamDb, author: &str, inbox: &Path, delay: u32) -> Env {
    let env = copy(db, author);
    env.write_config(&format!(
        "[team]\nurl = \"{}\"\nschema = \"{}\"\ntimeout = \"5s\"\n\
         [[notify]]\nname = \"mail\"\nkind = \"command\"\nrun = [\"sh\", \"-c\", \"sleep {delay}; cat >> '{}'\"]\ntimeout = \"10s\"\n",
        db.url,
        db.schema,
        inbox.display()
    ));
    env
}

fn lines_with(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.contains(needle)).count()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Starts `remind` on every copy at once, then waits for all of them.
fn remind_together(copies: &[&Env]) -> Vec<Output> {
    let children: Vec<_> = copies
        .iter()
        .map(|env| {
            env.command(&["remind"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

#[test]
fn two_copies_reminding_at_the_same_moment_send_each_reminder_once_per_channel() {
    let Some(db) = TeamDb::new() else { return };
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    let mut alice = mailing(&db, "alice", &inbox, 1);
    let mut bob = mailing(&db, "bob", &inbox, 1);
    at(&mut alice, T0, &["team", "init"]);
    let mut contested = 0;
    for round in 1..=5 {
        let title = format!("Race {round}");
        // Breached: a P1's response was due 15 minutes after it opened.
        at(&mut alice, T0, &["open", "P1", &title, "--at", "-20m"]);
        at(&mut bob, T0, &["sync"]);
        let outputs = remind_together(&[&alice, &bob]);
        let mut stdout = String::new();
        let mut stderr = String::new();
        for (who, out) in ["alice", "bob"].iter().zip(&outputs) {
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{who}, round {round}: {err}");
            stdout.push_str(&String::from_utf8_lossy(&out.stdout));
            stderr.push_str(&format!("{who}: {err}"));
        }
        let quoted = format!("\"{title}\"");
        assert_eq!(
            lines_with(&read(&inbox), &quoted),
            1,
            "round {round}: the mail channel got it once\n{}\n{stderr}",
            read(&inbox)
        );
        assert_eq!(
            lines_with(&stdout, &quoted),
            1,
            "round {round}: stdout got it once\n{stdout}\n{stderr}"
        );
        assert!(!stderr.contains("warning"), "round {round}: {stderr}");
        if stderr.contains("1 reminder already being sent by alice's copy")
            || stderr.contains("1 reminder already being sent by bob's copy")
        {
            contested += 1;
        }
    }
    // Every round is a race; in most the second copy finds the first's claim (rather than its
    // delivery, pulled before planning), and says so. Not all: a copy may start late.
    assert!(contested >= 1, "no round found the other copy's claim");
    // Each copy knows every reminder went out, whoever sent it: nothing goes out again.
    for env in [&alice, &bob] {
        let again = env.run(&["remind"]);
        assert_eq!(
            (again.code, again.stdout.as_str()),
            (2, ""),
            "{}",
            again.stderr
        );
    }
    assert_eq!(read(&inbox).lines().count(), 5, "{}", read(&inbox));
}

/// Inserts a claim on each of `channels` of the breach reminder of incident `uuid`, by a copy
/// of `author` that claimed it `ago` before now (the server's clock).
fn claim_as(db: &TeamDb, uuid: &str, author: &str, ago: &str, channels: &[&str]) {
    let client = uuid::Uuid::new_v4();
    for channel in channels {
        let key = delivery_uuid(uuid, "respond", "breached", channel);
        db.sql(&format!(
            "INSERT INTO {}.delivery_claims (delivery, attempt, client_id, author, claimed_at)
             VALUES ('{key}', 1, '{client}', '{author}', now() - interval '{ago}')",
            db.schema
        ))
        .unwrap();
    }
}

fn incident_uuid(env: &Env, number: &str) -> String {
    let show: Value = env.json(&["--offline", "show", number, "--json"]);
    show["id"].as_str().unwrap().to_string()
}

/// The local rows of incident `uuid`'s breach reminder: (channel, state, claimed_by).
fn local_rows(env: &Env, uuid: &str) -> Vec<(String, String, Option<String>)> {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT d.channel, d.state, d.claimed_by FROM deliveries d
             JOIN incidents i ON i.pk = d.incident_pk
             WHERE i.uuid = ?1 AND d.level = 'breached' ORDER BY d.channel",
        )
        .unwrap();
    stmt.query_map([uuid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_reminder_claimed_by_a_live_copy_is_left_to_it_and_a_stale_claim_is_taken_over() {
    let Some(db) = TeamDb::new() else { return };
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    let mut alice = mailing(&db, "alice", &inbox, 0);
    at(&mut alice, T0, &["team", "init"]);
    at(
        &mut alice,
        T0,
        &["open", "P1", "Fresh claim", "--at", "-20m"],
    );
    at(
        &mut alice,
        T0,
        &["open", "P1", "Stale claim", "--at", "-20m"],
    );
    let (fresh, stale) = (incident_uuid(&alice, "1"), incident_uuid(&alice, "2"));
    let both = ["stdout", "mail"];
    // Bob's copy claimed the first just now (well within the 5 minutes a claim holds, until
    // 10 s from now) and the second 10 minutes ago, and died without delivering either.
    let claimed = Instant::now();
    claim_as(&db, &fresh, "bob", "4 minutes 50 seconds", &both);
    claim_as(&db, &stale, "bob", "10 minutes", &both);

    let run = alice.run(&["remind"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        claimed.elapsed() < Duration::from_secs(10),
        "too slow to test"
    );
    assert_eq!(
        lines_with(&run.stdout, "\"Stale claim\""),
        1,
        "{}",
        run.stdout
    );
    assert_eq!(
        lines_with(&run.stdout, "\"Fresh claim\""),
        0,
        "{}",
        run.stdout
    );
    assert_eq!(lines_with(&read(&inbox), "\"Stale claim\""), 1);
    assert_eq!(lines_with(&read(&inbox), "\"Fresh claim\""), 0);
    assert!(
        run.stderr
            .contains("1 reminder already being sent by bob's copy"),
        "{}",
        run.stderr
    );
    // Recorded here as bob's: claimed by him, not sent by this copy.
    let rows = local_rows(&alice, &fresh);
    assert_eq!(
        rows,
        [
            ("mail".into(), "sending".into(), Some("bob".into())),
            ("stdout".into(), "sending".into(), Some("bob".into()))
        ]
    );
    // Another run while bob's claim holds sends nothing and asks nobody.
    let again = alice.run(&["remind"]);
    assert_eq!((again.stdout.as_str(), again.stderr.as_str()), ("", ""));

    // Bob never delivers: once his claim is stale on the server (past 5 minutes) and alice's
    // record of it has expired on hers, her next run takes it over and sends it.
    if let Some(left) = Duration::from_secs(11).checked_sub(claimed.elapsed()) {
        std::thread::sleep(left);
    }
    alice.at("2026-11-29T10:06:00Z");
    let later = alice.run(&["remind"]);
    assert_eq!(later.code, 2, "{}", later.stderr);
    assert_eq!(
        lines_with(&later.stdout, "\"Fresh claim\""),
        1,
        "{}",
        later.stdout
    );
    assert_eq!(lines_with(&read(&inbox), "\"Fresh claim\""), 1);
    assert!(
        !later.stderr.contains("already being sent"),
        "{}",
        later.stderr
    );
    let rows = local_rows(&alice, &fresh);
    assert!(
        rows.iter()
            .all(|(_, state, by)| state == "sent" && by.is_none()),
        "{rows:?}"
    );
    // The team log has the takeover as attempt 2, alice's.
    let mut conn = Team::connect(&team_settings(&db), &|_| None).unwrap();
    let claims = conn
        .claim_deliveries(
            &uuid::Uuid::new_v4().to_string(),
            "carol",
            &[delivery_uuid(&fresh, "respond", "breached", "mail")],
            Duration::from_secs(300),
        )
        .unwrap();
    assert!(!claims[0].won);
    assert_eq!(claims[0].holder.as_deref(), Some("alice"));
}

#[test]
fn concurrent_claims_win_each_delivery_once_and_working_copies_cannot_rewrite_them() {
    let Some(db) = TeamDb::new() else { return };
    db.env().run(&["team", "init"]).ok();
    let keys: Vec<String> = (0..200).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let settings = team_settings(&db);
    // Two copies claim the same 200 deliveries at once (listed in opposite orders).
    let barrier = std::sync::Barrier::new(2);
    let answers: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = ["alice", "bob"]
            .iter()
            .map(|author| {
                let (settings, barrier) = (&settings, &barrier);
                let mut mine = keys.clone();
                if *author == "bob" {
                    mine.reverse();
                }
                s.spawn(move || {
                    let mut team = Team::connect(settings, &|_| None).unwrap();
                    let client = uuid::Uuid::new_v4().to_string();
                    barrier.wait();
                    let claims = team
                        .claim_deliveries(&client, author, &mine, Duration::from_secs(300))
                        .unwrap();
                    (author.to_string(), client, claims)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for key in &keys {
        let won: Vec<&str> = answers
            .iter()
            .filter(|(_, _, claims)| claims.iter().any(|c| &c.delivery == key && c.won))
            .map(|(author, _, _)| author.as_str())
            .collect();
        assert_eq!(won.len(), 1, "{key}: won by {won:?}");
        // Both name the winner as the holder.
        for (_, _, claims) in &answers {
            let c = claims.iter().find(|c| &c.delivery == key).unwrap();
            assert_eq!(c.holder.as_deref(), Some(won[0]), "{key}");
        }
    }
    // The holder claiming again (a run after its crashed one) wins again, as attempt 2.
    let (author, client, _) = answers
        .iter()
        .find(|(_, _, claims)| claims.iter().any(|c| c.delivery == keys[0] && c.won))
        .unwrap();
    let held = vec![keys[0].clone()];
    let mut team = Team::connect(&settings, &|_| None).unwrap();
    let again = team
        .claim_deliveries(client, author, &held, Duration::from_secs(300))
        .unwrap();
    assert!(again[0].won, "{again:?}");

    // The README's working-copy role claims, and cannot rewrite or delete a claim.
    let role = crate::common::services::unique("writer");
    db.sql(&readme_role_sql(&db.schema, &role)).unwrap();
    let s = &db.schema;
    let key = uuid::Uuid::new_v4();
    let client = uuid::Uuid::new_v4();
    db.sql(&format!(
        "SET ROLE {role}; SELECT * FROM {s}.claim_deliveries(ARRAY['{key}']::uuid[], '{client}', 'carol', interval '5 minutes')"
    ))
    .unwrap();
    for change in [
        format!("UPDATE {s}.delivery_claims SET author = 'mallory'"),
        format!("DELETE FROM {s}.delivery_claims"),
    ] {
        let err = db.sql(&format!("SET ROLE {role}; {change}")).unwrap_err();
        assert!(err.contains("permission denied"), "{change}: {err}");
        let err = db.sql(&change).unwrap_err();
        assert!(
            err.contains("the team log is append-only"),
            "{change}: {err}"
        );
    }
    db.sql(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .unwrap();
}

/// A delivery taken over from another copy's stale claim carries the id that claim named in
/// the team log: one id per delivery whichever copy sends it, so a receiver that got bob's
/// attempt (which he never recorded) can drop alice's.
#[test]
fn a_delivery_taken_over_from_another_copy_carries_the_same_delivery_id() {
    let Some(db) = TeamDb::new() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids");
    let mut alice = copy(&db, "alice");
    alice.write_config(&format!(
        "[team]\nurl = \"{}\"\nschema = \"{}\"\ntimeout = \"5s\"\n\
         [[notify]]\nname = \"pager_cli-2\"\nkind = \"command\"\nrun = [\"sh\", \"-c\", \"echo \\\"$INCIDENT_DELIVERY_ID\\\" >> '{}'\"]\ntimeout = \"10s\"\n",
        db.url,
        db.schema,
        ids.display()
    ));
    at(&mut alice, T0, &["team", "init"]);
    at(
        &mut alice,
        T0,
        &["open", "P1", "Checkout 5xx on api_gw-2", "--at", "-20m"],
    );
    let uuid = incident_uuid(&alice, "1");
    claim_as(&db, &uuid, "bob", "10 minutes", &["stdout", "pager_cli-2"]);
    let run = alice.run(&["remind"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        read(&ids),
        format!(
            "{}\n",
            delivery_uuid(&uuid, "respond", "breached", "pager_cli-2")
        )
    );
}

/// The update cadence's reminder is one per silence across copies too: both copies key it by
/// the same last update (synced with its recording time), and claim it in the team log.
#[test]
fn two_copies_send_each_update_reminder_once_and_a_teammates_note_ends_the_silence() {
    let Some(db) = TeamDb::new() else { return };
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    let mut alice = mailing(&db, "alice", &inbox, 1);
    let mut bob = mailing(&db, "bob", &inbox, 1);
    for env in [&alice, &bob] {
        let path = env.home().join(".config/incident/config.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        env.write_config(&format!("[sla.P3]\nupdate_every = \"30m\"\n{text}"));
    }
    at(&mut alice, T0, &["team", "init"]);
    at(
        &mut alice,
        T0,
        &["open", "P3", "Nightly export to s3://bkp-eu_1 late"],
    );
    at(&mut bob, T0, &["sync"]);
    let silence = |alice: &mut Env, bob: &mut Env, now: &str| {
        alice.at(now);
        bob.at(now);
        let outputs = remind_together(&[alice, bob]);
        let mut stdout = String::new();
        for out in &outputs {
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            stdout.push_str(&String::from_utf8_lossy(&out.stdout));
        }
        stdout
    };
    let stdout = silence(&mut alice, &mut bob, "2026-11-29T10:30:01Z");
    assert_eq!(
        lines_with(&stdout, "no update from a person for 30m"),
        1,
        "{stdout}"
    );
    assert_eq!(lines_with(&read(&inbox), "no update from a person"), 1);
    // Bob's note, synced, ends the silence for alice's copy too: the next one is due at 11:10.
    at(
        &mut bob,
        "2026-11-29T10:40:00Z",
        &["note", "1", "export job pod bkp-7c_q OOMKilled at 512Mi"],
    );
    at(&mut bob, "2026-11-29T10:40:00Z", &["sync"]);
    let quiet = silence(&mut alice, &mut bob, "2026-11-29T11:05:00Z");
    assert_eq!(quiet, "");
    let stdout = silence(&mut alice, &mut bob, "2026-11-29T11:10:01Z");
    assert_eq!(
        lines_with(&stdout, "(since 2026-11-29 10:40)"),
        1,
        "{stdout}"
    );
    assert_eq!(read(&inbox).lines().count(), 2, "{}", read(&inbox));
}
