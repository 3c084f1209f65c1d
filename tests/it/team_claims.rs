//! Opening once across machines (team schema version 5), through the real binary and the real
//! PostgreSQL: N working copies (N SQLite files, one team log) running `check --open` at once
//! open one monitor incident; N `incident serve` given the same Alertmanager notification open
//! one incident; a team log that cannot be reached leaves the local claims to decide and the
//! message says it may repeat; a fresh copy pulls only the unresolved incidents.

use crate::common::{Env, wait_until};
use crate::serve::recorded;
use crate::team::TeamDb;
use crate::team_merge::{at, copy};
use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::process::{Child, Stdio};

const T0: &str = "2026-12-05T11:19:30Z";
const TOKEN: &str = "example-token";

/// One number from the team log.
fn count(db: &TeamDb, sql: &str) -> i64 {
    let sql = sql.replace("{s}", &db.schema);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut conn = PgConnection::connect(&db.url).await.unwrap();
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let _ = conn.close().await;
        n
    })
}

/// The team config, then `extra`.
fn configure(env: &Env, db: &TeamDb, extra: &str) {
    env.write_config(&format!(
        "[team]\nurl = \"{}\"\nschema = \"{}\"\ntimeout = \"5s\"\n{extra}",
        db.url, db.schema
    ));
}

/// A health monitor whose only collector says the score is 40 (P1), after `sleep` seconds.
const MONITOR: &str = "[[command]]\nname = \"ml-features (prod)\"\nrun = [\"sh\", \"-c\", \"sleep 0.3; echo 'Overall health score: 40/100'\"]\n[health.weights]\ncommands = 100\n";

/// Runs `check --open --json` on every copy at once; each one's JSON and stderr.
fn check_together(copies: &[&Env]) -> Vec<(Value, String)> {
    let children: Vec<Child> = copies
        .iter()
        .map(|env| {
            env.command(&["check", "--open", "--json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&o.stderr).into_owned();
            assert_eq!(o.status.code(), Some(4), "{err}");
            (serde_json::from_slice(&o.stdout).unwrap(), err)
        })
        .collect()
}

#[test]
fn monitors_on_three_machines_open_one_incident_and_all_follow_it() {
    let Some(db) = TeamDb::new() else { return };
    let copies: Vec<Env> = ["alice", "bob", "carol_ops-2"]
        .iter()
        .map(|who| {
            let mut env = copy(&db, who);
            env.at(T0);
            configure(&env, &db, MONITOR);
            env
        })
        .collect();
    let mut first = copy(&db, "alice");
    configure(&first, &db, "");
    at(&mut first, T0, &["team", "init"]);
    let refs: Vec<&Env> = copies.iter().collect();
    let outs = check_together(&refs);
    let opened: Vec<&(Value, String)> = outs
        .iter()
        .filter(|(v, _)| v["monitor"]["opened"] == true)
        .collect();
    assert_eq!(opened.len(), 1, "{outs:?}");
    assert_eq!(count(&db, "SELECT count(*) FROM {s}.incidents"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM {s}.open_claims"), 1);
    let mut contested = 0;
    for (v, err) in &outs {
        assert!(!err.contains("may repeat"), "{err}");
        if v["monitor"]["opened"] == true {
            continue;
        }
        match v["monitor"]["opened_by"].as_str() {
            // Lost the claim: following the winner's incident, or told it is on its way.
            Some(holder) => {
                assert!(
                    ["alice", "bob", "carol_ops-2"].contains(&holder),
                    "{v}\n{err}"
                );
                assert!(err.contains(&format!("{holder}'s copy")), "{err}");
                contested += 1;
            }
            // Started after the winner had pushed: found its claim and followed it.
            None => assert_eq!(v["monitor"]["incident"], 1, "{v}\n{err}"),
        }
    }
    eprintln!("{contested} of 2 losers lost the claim itself (the others found it made)");
    // The next checks, one after another, all follow the one incident.
    for env in &copies {
        let (v, err) = &check_together(&[env])[0];
        assert_eq!(v["monitor"]["opened"], false, "{v}\n{err}");
        assert_eq!(v["monitor"]["incident"], 1, "{v}\n{err}");
    }
    assert_eq!(count(&db, "SELECT count(*) FROM {s}.incidents"), 1);
}

#[test]
fn after_the_monitor_incident_is_resolved_the_next_bad_check_opens_the_next_episode_once() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    let mut bob = copy(&db, "bob");
    configure(&alice, &db, MONITOR);
    configure(&bob, &db, MONITOR);
    at(&mut alice, T0, &["team", "init"]);
    check_together(&[&alice]);
    at(&mut bob, "2026-12-05T12:00:00Z", &["sync"]);
    at(
        &mut bob,
        "2026-12-05T12:00:00Z",
        &["resolve", "1", "--resolution", "restarted (pod)"],
    );
    alice.at("2026-12-05T13:00:00Z");
    bob.at("2026-12-05T13:00:00Z");
    let outs = check_together(&[&alice, &bob]);
    let opened = outs
        .iter()
        .filter(|(v, _)| v["monitor"]["opened"] == true)
        .count();
    assert_eq!(opened, 1, "{outs:?}");
    assert_eq!(count(&db, "SELECT count(*) FROM {s}.incidents"), 2);
    assert_eq!(
        count(&db, "SELECT max(episode)::bigint FROM {s}.open_claims"),
        2
    );
}

/// `incident serve` on a free port of `env`, the intake's token in its environment.
struct Server(crate::serve::Server);

impl Server {
    fn start(env: &Env) -> Server {
        Server(crate::serve::Server::launch(
            env,
            TOKEN,
            Stdio::null(),
            true,
        ))
    }

    fn post_raw(&self, path: &str, body: Option<&Value>) -> Option<(u16, String)> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(20)))
            .build()
            .into();
        let url = self.0.url(path);
        let mut r = match body {
            None => agent.get(&url).call().ok()?,
            Some(b) => agent
                .post(&url)
                .header("Content-Type", "application/json")
                .header("Authorization", &format!("Bearer {TOKEN}"))
                .send(b.to_string().as_bytes())
                .ok()?,
        };
        Some((r.status().as_u16(), r.body_mut().read_to_string().unwrap()))
    }

    /// Posts the notification as Alertmanager does: again while the answer is a 5xx.
    fn notify(&self, body: &Value) -> Value {
        for _ in 0..20 {
            let (status, text) = self.post_raw("/api/v1/alertmanager", Some(body)).unwrap();
            if status == 503 {
                std::thread::sleep(std::time::Duration::from_millis(300));
                continue;
            }
            assert_eq!(status, 200, "{text}");
            return serde_json::from_str(&text).unwrap();
        }
        panic!("still 503 after 20 tries");
    }
}

const INTAKE: &str = "[intake]\ntoken = \"${AM_TOKEN}\"\n";

#[test]
fn two_servers_given_the_same_notification_open_one_incident() {
    let Some(db) = TeamDb::new() else { return };
    let mut a = copy(&db, "alice");
    let mut b = copy(&db, "bob");
    configure(&a, &db, INTAKE);
    configure(&b, &db, INTAKE);
    at(&mut a, T0, &["team", "init"]);
    b.at(T0);
    let (sa, sb) = (Server::start(&a), Server::start(&b));
    let firing = recorded("01-firing-1alerts");
    let (ra, rb) = std::thread::scope(|s| {
        let ta = s.spawn(|| sa.notify(&firing));
        let tb = s.spawn(|| sb.notify(&firing));
        (ta.join().unwrap(), tb.join().unwrap())
    });
    let mut kinds = vec![
        ra["outcome"].as_str().unwrap().to_string(),
        rb["outcome"].as_str().unwrap().to_string(),
    ];
    kinds.sort();
    assert_eq!(kinds, ["opened", "unchanged"], "{ra}\n{rb}");
    assert_eq!(ra["incident"], rb["incident"], "{ra}\n{rb}");
    assert_eq!(count(&db, "SELECT count(*) FROM {s}.incidents"), 1);
    // Resends to either server add nothing, and the second alert joining is noted once each.
    assert_eq!(sb.notify(&firing)["outcome"], "unchanged");
    assert_eq!(sa.notify(&firing)["outcome"], "unchanged");
    assert_eq!(count(&db, "SELECT count(*) FROM {s}.incidents"), 1);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM {s}.open_claims WHERE kind = 'alert-group'"
        ),
        1
    );
}

#[test]
fn an_unreachable_team_log_leaves_the_local_claims_to_decide_and_says_it_may_repeat() {
    let env = Env::new();
    // Nothing listens on port 9 of the loopback: refused at once.
    env.write_config(&format!(
        "[team]\nurl = \"postgres://incident@127.0.0.1:9/incident\"\ntimeout = \"2s\"\n{MONITOR}{INTAKE}"
    ));
    let run = env.run(&["check", "--open"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("(team log unreachable: this may repeat on another machine)"),
        "{}",
        run.stderr
    );
    // Opened here, on the local claim: the next check follows it.
    let again = env.run(&["check", "--open", "--json"]);
    let v: Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(v["monitor"]["opened"], false, "{}", again.stderr);
    assert_eq!(
        v["monitor"]["unclaimed"], "team log unreachable",
        "{}",
        again.stderr
    );
    assert!(v["monitor"]["incident"].is_string() || v["monitor"]["incident"].is_number());
    // The intake answers with the same warning, and still opens one incident per group.
    let mut at_t0 = Env::new();
    at_t0.at(T0);
    std::fs::create_dir_all(at_t0.home().join(".config/incident")).unwrap();
    at_t0.write_config(&format!(
        "[team]\nurl = \"postgres://incident@127.0.0.1:9/incident\"\ntimeout = \"2s\"\n{INTAKE}"
    ));
    let server = Server::start(&at_t0);
    let firing = recorded("01-firing-1alerts");
    let first = server.notify(&firing);
    assert_eq!(first["outcome"], "opened", "{first}");
    assert_eq!(
        first["note"], "team log unreachable: this may repeat on another machine",
        "{first}"
    );
    assert_eq!(server.notify(&firing)["outcome"], "unchanged");
    // remind sends what is due here, and says it may repeat.
    let mut breached = Env::new();
    breached.write_config(
        "[team]\nurl = \"postgres://incident@127.0.0.1:9/incident\"\ntimeout = \"2s\"\n",
    );
    breached.at(T0);
    breached.run(&["open", "P1", "Checkout 502s (eu-west-1)", "--at", "-20m"]);
    let reminded = breached.run(&["remind"]);
    assert_eq!(reminded.code, 2, "{}", reminded.stderr);
    assert!(
        reminded.stdout.contains("Checkout 502s (eu-west-1)"),
        "{}",
        reminded.stdout
    );
    assert!(
        reminded.stderr.contains(
            "reminders not claimed in the team log (team log unreachable: this may repeat on another machine)"
        ),
        "{}",
        reminded.stderr
    );
}

#[test]
fn a_fresh_copy_pulls_only_the_unresolved_incidents_before_reminding() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    at(&mut alice, T0, &["team", "init"]);
    at(
        &mut alice,
        T0,
        &[
            "open",
            "P2",
            "Checkout 502s (eu-west-1) <script>",
            "--at",
            "-2h",
        ],
    );
    at(&mut alice, T0, &["note", "1", "rolled back ingress_v2"]);
    at(
        &mut alice,
        T0,
        &["resolve", "1", "--resolution", "rollback"],
    );
    // 1,999 more resolved incidents, as the first (its events, new identities).
    let s = &db.schema;
    db.sql(&format!(
        "CREATE TEMP TABLE clones AS SELECT gen_random_uuid() AS uuid FROM generate_series(1, 1999);
         INSERT INTO {s}.incidents (uuid, number, created_by, client_id)
         SELECT c.uuid, nextval('{s}.incident_numbers'), i.created_by, i.client_id
         FROM clones c CROSS JOIN {s}.incidents i WHERE i.number = 1;
         INSERT INTO {s}.events (uuid, incident_uuid, at, recorded_at, author, kind, field, old,
                                 new, text, detail, client_id)
         SELECT gen_random_uuid(), c.uuid, e.at, e.recorded_at, e.author, e.kind, e.field, e.old,
                e.new, e.text, e.detail, e.client_id
         FROM clones c CROSS JOIN {s}.events e
         JOIN {s}.incidents i ON i.uuid = e.incident_uuid AND i.number = 1;"
    ))
    .unwrap();
    for n in 1..=5 {
        at(
            &mut alice,
            T0,
            &[
                "open",
                "P1",
                &format!("Open one #{n} (10.0.0.{n})"),
                "--at",
                "-1h",
            ],
        );
    }
    let total = count(&db, "SELECT count(*) FROM {s}.events");
    let open_events = count(
        &db,
        "SELECT count(*) FROM {s}.events e JOIN {s}.incidents i ON i.uuid = e.incident_uuid
         WHERE i.number > 2000",
    );
    assert_eq!(count(&db, "SELECT count(*) FROM {s}.incidents"), 2005);
    // A CronJob's copy: a fresh, empty SQLite file.
    let mut fresh = copy(&db, "remind-cron");
    fresh.at(T0);
    let started = std::time::Instant::now();
    let run = fresh.run(&["remind"]);
    let narrow_took = started.elapsed();
    assert_eq!(run.code, 2, "breached P1s: {}", run.stderr);
    let line =
        format!("pulled the unresolved incidents only ({open_events} events from the team log");
    assert!(run.stderr.contains(&line), "{line}\n{}", run.stderr);
    assert!(open_events * 100 < total, "{open_events} of {total}");
    // What the whole log costs the same fresh copy, for comparison.
    let mut whole = copy(&db, "laptop");
    whole.at(T0);
    let started = std::time::Instant::now();
    let synced = whole.json(&["sync", "--json"]);
    let whole_took = started.elapsed();
    // Everything, with the breaches the reminding copy recorded since.
    let now_total = count(&db, "SELECT count(*) FROM {s}.events");
    assert_eq!(synced["pulled"], now_total, "{synced}");
    eprintln!(
        "narrow pull: {open_events} of {total} events; remind on a fresh copy {narrow_took:?}, sync of the whole log {whole_took:?}"
    );
    let list = fresh.run(&["--offline", "list", "--json"]);
    let listed: Vec<Value> = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(listed.len(), 5, "{}", list.stdout);
    assert!(
        run.stdout.contains("Open one #1 (10.0.0.1)"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_claim_whose_incident_is_not_pushed_yet_holds_the_opening_until_it_is_stale() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    configure(&alice, &db, MONITOR);
    at(&mut alice, T0, &["team", "init"]);
    // Bob's copy claimed the opening a moment ago and has not pushed its incident yet.
    let claim = |ago: &str, episode: i32| {
        db.sql(&format!(
            "INSERT INTO {}.open_claims (kind, key, episode, incident_uuid, client_id, author,
                                         claimed_at)
             VALUES ('monitor', 'health', {episode}, gen_random_uuid(), gen_random_uuid(),
                     'bob_o''neil', now() - interval '{ago}')",
            db.schema
        ))
        .unwrap();
    };
    claim("1 second", 1);
    let started = std::time::Instant::now();
    let (v, err) = &check_together(&[&alice])[0];
    assert_eq!(v["monitor"]["opened"], false, "{v}\n{err}");
    assert_eq!(v["monitor"]["opened_by"], "bob_o'neil", "{v}\n{err}");
    assert!(
        err.contains("bob_o'neil's copy is opening the incident"),
        "{err}"
    );
    // It waited for the incident, within the team timeout (5 s).
    assert!(started.elapsed() >= std::time::Duration::from_secs(5));
    assert_eq!(count(&db, "SELECT count(*) FROM {s}.incidents"), 0);
    // A claim minutes old whose incident never came: its opener is gone, the next episode opens.
    claim("10 minutes", 2);
    let (v, err) = &check_together(&[&alice])[0];
    assert_eq!(v["monitor"]["opened"], true, "{v}\n{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM {s}.incidents"), 1);
    assert_eq!(
        count(&db, "SELECT max(episode)::bigint FROM {s}.open_claims"),
        3
    );
}

/// The monitor CronJob with no volume: every run a fresh working copy (a new SQLite file).
fn fresh_monitor(db: &TeamDb, now: &str, score: u32) -> Env {
    let mut env = copy(db, "health-monitor");
    env.at(now);
    configure(
        &env,
        db,
        &format!(
            "[[command]]\nname = \"ml-features\"\nrun = [\"sh\", \"-c\", \"echo 'Overall health score: {score}/100'\"]\n[health]\nrecover_after = 1\n[health.weights]\ncommands = 100\n"
        ),
    );
    env
}

#[test]
fn monitor_runs_with_no_volume_keep_one_incident_and_say_recovered_once() {
    let Some(db) = TeamDb::new() else { return };
    let mut admin = copy(&db, "alice");
    at(&mut admin, T0, &["team", "init"]);
    let run = |now: &str, score: u32| {
        let env = fresh_monitor(&db, now, score);
        let out = env.run(&["check", "--open", "--json"]);
        let v: Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|_| panic!("{}\n{}", out.stdout, out.stderr));
        (v, out.stderr)
    };
    let (v, err) = run("2026-12-05T11:20:00Z", 40);
    assert_eq!(v["monitor"]["opened"], true, "{err}");
    let (v, err) = run("2026-12-05T11:25:00Z", 45);
    assert_eq!(
        (
            v["monitor"]["opened"].clone(),
            v["monitor"]["incident"].clone()
        ),
        (false.into(), 1.into()),
        "{err}"
    );
    let (v, err) = run("2026-12-05T11:30:00Z", 95);
    assert_eq!(v["monitor"]["recovered"], true, "{err}");
    let (v, err) = run("2026-12-05T11:35:00Z", 95);
    assert_eq!(v["monitor"]["recovered"], false, "{err}");
    assert_eq!(v["monitor"]["incident"], 1, "{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM {s}.incidents"), 1);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM {s}.events WHERE kind = 'health' AND field = 'recovered'"
        ),
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM {s}.events WHERE kind = 'health' AND field = 'score'"
        ),
        // Opened at 40, then 45, then 95: each change once.
        3
    );
}

/// Holds bob's claim of `kind` + `key`, episode 1, for incident `uuid` in an open transaction
/// until a process of this test waits on it (its own claim blocked on the same key), then
/// commits it: that process loses the race it started, deterministically.
fn claim_while_they_wait(
    db: &TeamDb,
    kind: &str,
    key: &str,
    uuid: &str,
    they: impl FnOnce() + Send,
) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let s = &db.schema;
    let mut conn = rt.block_on(PgConnection::connect(&db.url)).unwrap();
    rt.block_on(sqlx::raw_sql("BEGIN").execute(&mut conn))
        .unwrap();
    rt.block_on(
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {s}.open_claims (kind, key, episode, incident_uuid, client_id, author)
             VALUES ($1, $2, 1, $3::uuid, gen_random_uuid(), 'bob')"
        )))
        .bind(kind)
        .bind(key)
        .bind(uuid)
        .execute(&mut conn),
    )
    .unwrap();
    std::thread::scope(|scope| {
        let running = scope.spawn(they);
        // This test's schema only: other tests' processes wait on locks of their own.
        wait_until("the other claim waits on ours", || {
            count(
                db,
                "SELECT count(*) FROM pg_stat_activity
                 WHERE application_name = 'incident' AND wait_event_type = 'Lock'
                   AND query LIKE '%{s}.claim_open(%'",
            ) > 0
        });
        rt.block_on(sqlx::raw_sql("COMMIT").execute(&mut conn))
            .unwrap();
        running.join().unwrap();
    });
}

/// Bob's copy opens an incident and pushes it; its UUID.
fn bobs_incident(db: &TeamDb, title: &str) -> String {
    let mut bob = copy(db, "bob");
    at(&mut bob, T0, &["open", "P1", title]);
    let shown = bob.json(&["show", "1", "--json"]);
    shown["id"].as_str().unwrap().to_string()
}

#[test]
fn a_monitor_that_loses_the_race_rolls_back_and_follows_the_winners_incident() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    configure(&alice, &db, MONITOR);
    at(&mut alice, T0, &["team", "init"]);
    let uuid = bobs_incident(&db, "Health 40.0/100: command/ml-features (prod)");
    let mut out = None;
    claim_while_they_wait(&db, "monitor", "health", &uuid, || {
        out = Some(check_together(&[&alice]).remove(0));
    });
    let (v, err) = out.unwrap();
    assert_eq!(v["monitor"]["opened"], false, "{v}\n{err}");
    assert_eq!(v["monitor"]["opened_by"], "bob", "{err}");
    assert_eq!(v["monitor"]["incident"], 1, "{err}");
    assert!(
        err.contains("bob's copy opened incident 1 first; following it"),
        "{err}"
    );
    // Alice's rolled-back incident never reached the team log; bob's has her snapshot now.
    assert_eq!(count(&db, "SELECT count(*) FROM {s}.incidents"), 1);
    let (v, err) = &check_together(&[&alice])[0];
    assert_eq!(v["monitor"]["incident"], 1, "{v}\n{err}");
}

#[test]
fn a_server_that_loses_the_race_attaches_to_the_winners_incident() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    configure(&alice, &db, INTAKE);
    at(&mut alice, T0, &["team", "init"]);
    let uuid = bobs_incident(&db, "No new rows in price_data for 2h");
    let server = Server::start(&alice);
    let firing = recorded("01-firing-1alerts");
    let key = serde_json::json!([firing["receiver"], firing["groupKey"]]).to_string();
    let mut answer = None;
    claim_while_they_wait(&db, "alert-group", &key, &uuid, || {
        answer = Some(server.notify(&firing));
    });
    let answer = answer.unwrap();
    assert_eq!(answer["outcome"], "unchanged", "{answer}");
    assert_eq!(answer["incident"], "1", "{answer}");
    assert_eq!(count(&db, "SELECT count(*) FROM {s}.incidents"), 1);
    // The group is bob's incident's now: a second alert joining is noted there.
    let two = recorded("02-firing-2alerts");
    let joined = server.notify(&two);
    assert_eq!(
        (joined["outcome"].as_str(), joined["incident"].as_str()),
        (Some("updated"), Some("1")),
        "{joined}"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM {s}.incidents"), 1);
}

#[test]
fn a_team_log_not_migrated_to_version_5_shares_the_opening_unclaimed_and_says_so() {
    let Some(db) = TeamDb::new() else { return };
    let mut alice = copy(&db, "alice");
    configure(&alice, &db, MONITOR);
    at(&mut alice, T0, &["team", "init"]);
    db.sql(&format!(
        "UPDATE {}.meta SET value = '4' WHERE key = 'version'",
        db.schema
    ))
    .unwrap();
    let run = alice.run(&["check", "--open"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "the team log (version 4) cannot claim openings; `incident team migrate` upgrades it"
        ) && run
            .stderr
            .contains("(team log at version 4: this may repeat on another machine)"),
        "{}",
        run.stderr
    );
    // Shared all the same, on the same connection.
    assert_eq!(count(&db, "SELECT count(*) FROM {s}.incidents"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM {s}.open_claims"), 0);
}
