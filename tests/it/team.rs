//! The team log against the real PostgreSQL (each test in its own schema, dropped after):
//! `team init`, `migrate` and `status`, the version gate, append-only events, the working
//! copies' role from docs/team-log.md, and what a command says when the team log cannot be reached.

use crate::common::Env;
use crate::common::services::{service, unique};
use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::time::{Duration, Instant};

/// A schema of its own on the test PostgreSQL, dropped when the test ends.
pub struct TeamDb {
    pub(crate) url: String,
    pub(crate) schema: String,
}

impl TeamDb {
    pub(crate) fn new() -> Option<TeamDb> {
        let url = service(
            "PostgreSQL",
            "INCIDENT_TEST_POSTGRES_URL",
            "postgres://postgres@127.0.0.1:5432/test",
        )?;
        Some(TeamDb {
            url,
            schema: unique("team"),
        })
    }

    /// A working copy whose config points at this team log.
    pub(crate) fn env(&self) -> Env {
        let env = Env::new();
        env.write_config(&format!(
            "[team]\nurl = \"{}\"\nschema = \"{}\"\ntimeout = \"5s\"\n",
            self.url, self.schema
        ));
        env
    }

    /// Runs SQL as the test's superuser; the error's text when it fails.
    pub(crate) fn sql(&self, sql: &str) -> Result<(), String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut conn = PgConnection::connect(&self.url).await.unwrap();
            let out = sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
            out.map(drop).map_err(|e| e.to_string())
        })
    }
}

impl Drop for TeamDb {
    fn drop(&mut self) {
        let _ = self.sql(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }
}

/// The newest team schema this binary knows.
const LATEST: i64 = incident::team::schema::STEPS.len() as i64;

#[test]
fn init_creates_the_schema_once_and_migrate_and_status_report_it() {
    let Some(db) = TeamDb::new() else { return };
    let env = db.env();
    let init = env.run(&["team", "init"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    assert!(
        init.stderr.contains(&format!(
            "created the team log '{}' at version {LATEST}",
            db.schema
        )),
        "{}",
        init.stderr
    );
    let again = env.run(&["team", "init"]);
    assert_eq!(again.code, 1);
    assert!(
        again
            .stderr
            .contains(&format!("already exists, at version {LATEST}"))
            && again.stderr.contains("incident team migrate"),
        "{}",
        again.stderr
    );
    let migrate = env.run(&["team", "migrate"]);
    assert_eq!(migrate.code, 0, "{}", migrate.stderr);
    assert!(
        migrate
            .stderr
            .contains(&format!("is up to date (version {LATEST})")),
        "{}",
        migrate.stderr
    );
    let status: Value = env.json(&["team", "status", "--json"]);
    assert_eq!(status["schema"], db.schema.as_str());
    assert_eq!(status["version"], LATEST);
    assert_eq!(status["min_binary"], "0.1.0");
    assert_eq!(status["incidents"], 0);
    assert_eq!(status["clients"], serde_json::json!([]));
    let text = env.run(&["team", "status"]);
    assert!(
        text.ok().contains(&format!(
            "version {LATEST}, accepts incident 0.1.0 and newer"
        )),
        "{}",
        text.stdout
    );
}

#[test]
fn a_team_log_too_new_for_this_binary_is_refused_and_a_newer_additive_one_is_not() {
    let Some(db) = TeamDb::new() else { return };
    let env = db.env();
    env.run(&["team", "init"]).ok();
    // Teammates upgraded, additively: a version past this binary's, still open to 0.1.0.
    let meta = format!("{}.meta", db.schema);
    let newer = LATEST + 1;
    db.sql(&format!(
        "UPDATE {meta} SET value = '{newer}' WHERE key = 'version'"
    ))
    .unwrap();
    let migrate = env.run(&["team", "migrate"]);
    assert_eq!(migrate.code, 0, "{}", migrate.stderr);
    assert!(
        migrate.stderr.contains(&format!(
            "version {newer}, newer than this binary knows ({})",
            incident::team::schema::latest()
        )),
        "{}",
        migrate.stderr
    );
    assert_eq!(env.json(&["team", "status", "--json"])["version"], newer);
    // Then a change older binaries cannot follow.
    db.sql(&format!(
        "UPDATE {meta} SET value = '99.0.0' WHERE key = 'min_binary'"
    ))
    .unwrap();
    for args in [&["team", "status"][..], &["team", "migrate"][..]] {
        let run = env.run(args);
        assert_eq!(run.code, 1, "{args:?}");
        assert!(
            run.stderr
                .contains("needs incident 99.0.0 or newer; this is ")
                && run.stderr.contains("upgrade incident to 99.0.0 or newer"),
            "{}",
            run.stderr
        );
    }
}

/// docs/team-log.md's SQL for the working copies' role, for this test's schema and role.
pub(crate) fn readme_role_sql(schema: &str, role: &str) -> String {
    let readme = include_str!("../../docs/team-log.md");
    let block = readme
        .split("```sql\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains("CREATE ROLE incident_writer"))
        .expect("docs/team-log.md gives the SQL for the working copies' role");
    block
        .replace("incident_writer", role)
        .replace("SCHEMA incident ", &format!("SCHEMA {schema} "))
        .replace("LOGIN PASSWORD '${INCIDENT_WRITER_PASSWORD}'", "NOLOGIN")
}

#[test]
fn events_are_append_only_and_working_copies_need_only_select_and_insert() {
    let Some(db) = TeamDb::new() else { return };
    db.env().run(&["team", "init"]).ok();
    let role = unique("writer");
    db.sql(&readme_role_sql(&db.schema, &role)).unwrap();
    let s = &db.schema;
    let as_role = |sql: &str| db.sql(&format!("SET ROLE {role}; {sql}"));
    let incident = "5d8f8f5e-6a8e-4c55-9d7e-0b8f3c2a1e01";
    let client = "0f0e0d0c-0b0a-4909-8807-060504030201";
    as_role(&format!(
        "INSERT INTO {s}.incidents (uuid, number, created_by, client_id)
         VALUES ('{incident}', nextval('{s}.incident_numbers'), 'alice', '{client}');
         INSERT INTO {s}.events (uuid, incident_uuid, at, recorded_at, author, kind, text, client_id)
         VALUES (gen_random_uuid(), '{incident}', '2026-11-29T10:00:00Z', '2026-11-29T10:00:00Z',
                 'alice', 'opened', 'Payments API 502s (upstream=10.0.0.5:8080)', '{client}');
         SELECT * FROM {s}.events;"
    ))
    .unwrap();
    for change in [
        format!("UPDATE {s}.events SET text = 'rewritten'"),
        format!("DELETE FROM {s}.events"),
    ] {
        let err = as_role(&change).unwrap_err();
        assert!(err.contains("permission denied"), "{change}: {err}");
        // The owner is refused too, by the trigger.
        let err = db.sql(&change).unwrap_err();
        assert!(
            err.contains("the team log is append-only"),
            "{change}: {err}"
        );
    }
    assert!(db.sql(&format!("TRUNCATE {s}.events CASCADE")).is_err());
    db.sql(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .unwrap();
}

#[test]
fn an_unreachable_or_silent_team_log_fails_within_the_timeout_without_its_password() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    // A server that accepts the connection and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let env = Env::new();
    for (port, says) in [
        (closed_port, "connection refused (127.0.0.1:"),
        (silent_port, "no answer within 500ms"),
    ] {
        env.write_config(&format!(
            "[team]\nurl = \"postgres://incident:${{TEAM_PW}}@127.0.0.1:{port}/incidents\"\ntimeout = \"500ms\"\n"
        ));
        let started = Instant::now();
        let run = env
            .command(&["team", "status"])
            .env("TEAM_PW", "s3cret-team-pw")
            .output()
            .unwrap();
        let took = started.elapsed();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert!(
            stderr.contains("--offline"),
            "the hint says how to go on: {stderr}"
        );
        assert!(!stderr.contains("s3cret-team-pw"), "{stderr}");
        assert!(took < Duration::from_secs(10), "took {took:?}");
    }
    drop(silent);
}

#[test]
fn a_written_password_is_refused_and_offline_or_an_empty_url_means_no_team() {
    let env = Env::new();
    env.write_config("[team]\nurl = \"postgres://incident:hunter22@db.example/incidents\"\n");
    let run = env.run(&["list"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("line 2: team: the url has a password written out"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hunter22"), "{}", run.stderr);
    assert!(!env.db().exists(), "nothing was written");

    env.write_config("[team]\nurl = \"postgres://incident@db.example/incidents\"\n");
    let show = env.run(&["config", "show"]);
    assert!(
        show.ok().contains(
            "team log   postgres://incident@db.example/incidents (schema incident, timeout 2s)"
        ),
        "{}",
        show.stdout
    );
    // The environment beats the file; an empty value, or --offline, means no team.
    let from_env = env
        .command(&["config", "show"])
        .env("INCIDENT_TEAM_URL", "postgres://other@db2.example/x")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&from_env.stdout)
            .contains("team log   postgres://other@db2.example/x")
    );
    for (var, flag) in [
        ("", None),
        ("postgres://other@db2.example/x", Some("--offline")),
    ] {
        let mut cmd = env.command(&["team", "status"]);
        cmd.env("INCIDENT_TEAM_URL", var);
        if let Some(flag) = flag {
            cmd.arg(flag);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr.contains("no team log is configured"), "{stderr}");
    }
    let bad = env
        .command(&["list"])
        .env("INCIDENT_TEAM_URL", "mysql://root@db/x")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("$INCIDENT_TEAM_URL: team: url must start with postgres://"),
        "{stderr}"
    );
}

pub(crate) fn team_settings(db: &TeamDb) -> incident::config::TeamSettings {
    incident::config::TeamSettings {
        url: db.url.clone(),
        schema: db.schema.clone(),
        timeout: Duration::from_secs(10),
        pull_logs: true,
    }
}

fn event(n: usize, incident: &str, text: &str) -> incident::team::SharedEvent {
    incident::team::SharedEvent {
        uuid: format!("00000000-0000-4000-8000-{n:012}"),
        incident_uuid: incident.to_string(),
        at: format!("2026-11-29T10:{:02}:00Z", n % 60),
        recorded_at: "2026-11-29T10:59:00Z".into(),
        author: "alice".into(),
        kind: "note".into(),
        field: None,
        old: None,
        new: None,
        text: text.to_string(),
        detail: None,
    }
}

#[test]
fn a_push_retried_adds_nothing_twice_and_new_incidents_get_team_numbers() {
    use incident::team::{SharedIncident, Team};
    let Some(db) = TeamDb::new() else { return };
    db.env().run(&["team", "init"]).ok();
    let mut team = Team::connect(&team_settings(&db), &|_| None).unwrap();
    let client = "0f0e0d0c-0b0a-4909-8807-060504030201";
    team.register(client, "alice").unwrap();
    team.register(client, "alice").unwrap();
    let incidents: Vec<SharedIncident> = [
        "aaaaaaaa-0000-4000-8000-000000000001",
        "bbbbbbbb-0000-4000-8000-000000000002",
    ]
    .iter()
    .map(|u| SharedIncident {
        uuid: u.to_string(),
        created_by: "alice".into(),
    })
    .collect();
    let events: Vec<_> = (1..=2500)
        .map(|n| {
            let text = format!(
                "retry {n}: POST /api/v1/orders (order_id=ord_{n}-x) → 502 from 10.0.0.{}\r\n",
                n % 255
            );
            event(n, &incidents[n % 2].uuid, &text)
        })
        .collect();
    let first = team.push(client, &incidents, &events[..1200]).unwrap();
    assert_eq!((first.incidents, first.events), (2, 1200));
    assert_eq!(
        first.numbers.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        [1, 2]
    );
    // The retry of a push cut off after its first part: only what is missing is added.
    let again = team.push(client, &incidents, &events).unwrap();
    assert_eq!((again.incidents, again.events), (0, 1300));
    assert_eq!(again.numbers, first.numbers, "numbers are given once");
    let mut cursor = 0;
    let mut pulled = Vec::new();
    loop {
        let page = team.pull(cursor, 1000).unwrap();
        pulled.extend(page.events);
        cursor = page.cursor;
        if !page.more {
            break;
        }
    }
    assert_eq!(
        pulled, events,
        "every event once, in the order pushed, byte for byte"
    );
    let status = team.status(&db.url).unwrap();
    assert_eq!((status.incidents, status.events), (2, 2500));
    assert_eq!(status.clients.len(), 1);
    assert_eq!(status.clients[0].author, "alice");
}

#[test]
fn a_pull_never_skips_a_push_that_commits_after_a_later_one() {
    use incident::team::{SharedIncident, Team};
    let Some(db) = TeamDb::new() else { return };
    db.env().run(&["team", "init"]).ok();
    let settings = team_settings(&db);
    let incident = SharedIncident {
        uuid: "cccccccc-0000-4000-8000-000000000003".into(),
        created_by: "alice".into(),
    };
    let mut team = Team::connect(&settings, &|_| None).unwrap();
    team.push(
        "0f0e0d0c-0b0a-4909-8807-060504030201",
        std::slice::from_ref(&incident),
        &[],
    )
    .unwrap();
    // A slow pusher: it holds the push lock with its event inserted, and has not committed.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut slow = rt.block_on(PgConnection::connect(&db.url)).unwrap();
    let s = &db.schema;
    rt.block_on(sqlx::raw_sql(AssertSqlSafe(format!(
        "BEGIN; SELECT pg_advisory_xact_lock(hashtext('incident push ' || '{s}'));
         INSERT INTO {s}.events (uuid, incident_uuid, at, recorded_at, author, kind, text, client_id)
         VALUES ('00000000-0000-4000-8000-000000000001', '{}', '2026-11-29T10:01:00Z',
                 '2026-11-29T10:01:00Z', 'bob', 'note', 'slow', '0f0e0d0c-0b0a-4909-8807-060504030202');",
        incident.uuid
    )))
    .execute(&mut slow))
    .unwrap();
    // A faster pusher starts later; it waits for the lock rather than taking a later seq.
    let fast = std::thread::spawn({
        let settings = settings.clone();
        let incident = incident.clone();
        move || {
            let mut team = Team::connect(&settings, &|_| None).unwrap();
            team.push(
                "0f0e0d0c-0b0a-4909-8807-060504030203",
                std::slice::from_ref(&incident),
                &[event(2, &incident.uuid, "fast")],
            )
            .unwrap()
        }
    });
    // Until the slow push commits, a pull sees neither, and its cursor stays put.
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline && !fast.is_finished() {
        let page = team.pull(0, 100).unwrap();
        assert!(page.events.is_empty(), "{:?}", page.events);
        assert_eq!(page.cursor, 0);
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !fast.is_finished(),
        "the later push waits for the earlier one"
    );
    rt.block_on(sqlx::raw_sql("COMMIT").execute(&mut slow))
        .unwrap();
    assert_eq!(fast.join().unwrap().events, 1);
    let page = team.pull(0, 100).unwrap();
    let texts: Vec<&str> = page.events.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts, ["slow", "fast"], "both, in commit order");
}

#[test]
fn writes_push_as_they_commit_and_new_incidents_get_team_numbers() {
    let Some(db) = TeamDb::new() else { return };
    let alice = db.env();
    alice.run(&["team", "init"]).ok();
    let open = alice.run(&["open", "P2", "Checkout 502s (ingress-nginx)"]);
    assert_eq!(open.code, 0, "{}", open.stderr);
    alice
        .run(&["note", "1", "upstream=10.0.0.5:8080 → 502 (req_id=a1_b-2)"])
        .ok();
    let mut bob = db.env();
    bob.author = "bob".into();
    // Opened while the team log is reachable: the team's number at once, in what `open` prints.
    let opened = bob.run(&["open", "P3", "Grafana panel slow"]);
    assert!(
        !opened.stderr.contains("is team incident"),
        "never seen as L1, so not announced: {}",
        opened.stderr
    );
    assert!(
        opened
            .stdout
            .starts_with("incident 2: P3 Grafana panel slow"),
        "{}",
        opened.stdout
    );
    // Bob's provisional number keeps naming it on his machine.
    let shown: Value = bob.json(&["show", "L1", "--json"]);
    assert_eq!(shown["number"], 2);
    assert!(
        !opened.stderr.contains("machine's clock"),
        "this machine and the server share a clock: {}",
        opened.stderr
    );
    let status: Value = alice.json(&["team", "status", "--json"]);
    assert_eq!(
        (status["incidents"].as_i64(), status["events"].as_i64()),
        (Some(2), Some(3))
    );
    let authors: Vec<&str> = status["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["author"].as_str().unwrap())
        .collect();
    assert_eq!(authors.len(), 2, "{status}");
    assert!(authors.contains(&"alice") && authors.contains(&"bob"));
    // Nothing waits, so an explicit sync adds nothing.
    let sync: Value = alice.json(&["sync", "--json"]);
    assert_eq!(
        (sync["pushed"].as_i64(), sync["waiting"].as_i64()),
        (Some(0), Some(0))
    );
}

#[test]
fn offline_work_is_recorded_here_and_pushed_by_the_next_sync() {
    let Some(db) = TeamDb::new() else { return };
    let env = db.env();
    env.run(&["team", "init"]).ok();
    // A solo database first: written with no team at all.
    env.run(&["--offline", "open", "P1", "Payments API 5xx"])
        .ok();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let unreachable = format!("postgres://postgres@127.0.0.1:{port}/test");
    // With a team configured, the solo incident 1 is L1 until the team numbers it.
    let note = env
        .command(&["note", "L1", "rolled back payments-api to v2.3.1"])
        .env("INCIDENT_TEAM_URL", &unreachable)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&note.stderr);
    assert_eq!(
        note.status.code(),
        Some(0),
        "the note is recorded here: {stderr}"
    );
    assert!(
        stderr.contains("team log unreachable (connection refused (127.0.0.1:")
            && stderr.contains("recorded here, 2 changes waiting"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("team log unreachable").count(),
        1,
        "said once: {stderr}"
    );
    let sync = env
        .command(&["sync"])
        .env("INCIDENT_TEAM_URL", &unreachable)
        .output()
        .unwrap();
    assert_eq!(
        sync.status.code(),
        Some(1),
        "an explicit sync says it failed"
    );
    let sync: Value = env.json(&["sync", "--json"]);
    assert_eq!(sync["pushed"], 2);
    assert_eq!(sync["incidents"]["pushed"], 1);
    assert_eq!(sync["numbered"], serde_json::json!([["L1", 1]]));
    assert_eq!(sync["waiting"], 0);
    let again: Value = env.json(&["sync", "--json"]);
    assert_eq!(again["pushed"], 0, "a second sync pushes nothing twice");
    let status: Value = env.json(&["team", "status", "--json"]);
    assert_eq!(status["events"], 2);
    assert_eq!(status["here"]["waiting"], 0);
    assert_eq!(status["here"]["last_sync"], "2026-11-29T10:00:00Z");
    let text = env.run(&["team", "status"]);
    assert!(
        text.ok()
            .contains(", last pushed 2026-11-29T10:00:00Z, 0 changes waiting"),
        "{}",
        text.stdout
    );
}

/// A TCP proxy to `upstream` that forwards both ways and cuts the connection once `cut_after`
/// bytes have gone from the client to the server: a push broken at a deterministic point.
fn cutting_proxy(upstream: std::net::SocketAddr, cut_after: usize) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let Ok(mut server) = std::net::TcpStream::connect(upstream) else {
                return;
            };
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            // Server to client, unbounded.
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut s2, &mut c2);
                let _ = c2.shutdown(std::net::Shutdown::Both);
            });
            let mut sent = 0;
            let mut buf = [0u8; 4096];
            loop {
                let n = match client.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let n = n.min(cut_after - sent);
                if server.write_all(&buf[..n]).is_err() {
                    break;
                }
                sent += n;
                if sent >= cut_after {
                    break;
                }
            }
            let _ = server.shutdown(std::net::Shutdown::Both);
            let _ = client.shutdown(std::net::Shutdown::Both);
        }
    });
    port
}

#[test]
fn a_push_cut_at_any_point_and_retried_adds_every_event_once() {
    let Some(db) = TeamDb::new() else { return };
    let env = db.env();
    env.run(&["team", "init"]).ok();
    for (title, notes) in [("Checkout 502s (ingress-nginx)", 3), ("Redis p99=1.2s", 2)] {
        env.run(&["--offline", "open", "P2", title]).ok();
        for n in 0..notes {
            let text = format!("retry {n}: POST /api/v1/orders → 502 (req_id=a1_b-{n})");
            env.run(&["--offline", "note", "1", &text]).ok();
        }
    }
    let events = 7;
    let upstream = {
        let url = &db.url;
        let host_port = url.split('@').nth(1).unwrap().split('/').next().unwrap();
        host_port.parse().unwrap()
    };
    // Cut the push's connection after more and more bytes (without TLS, so that the bytes are
    // the protocol's): in the start-up, the lock, the incidents, the events, the commit, and
    // just after it, when the team log has committed and this copy never heard. Each retry
    // keeps what got through and doubles nothing, until one gets through whole.
    let mut cut = 60;
    let mut failed = 0;
    loop {
        let port = cutting_proxy(upstream, cut);
        let via = db
            .url
            .replace(&upstream.to_string(), &format!("127.0.0.1:{port}"));
        let run = env
            .command(&["sync"])
            .env("INCIDENT_TEAM_URL", format!("{via}?sslmode=disable"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!stderr.contains("panicked"), "cut at {cut}: {stderr}");
        if run.status.success() {
            break;
        }
        assert!(
            stderr.contains("team log unreachable"),
            "cut at {cut}: {stderr}"
        );
        failed += 1;
        cut += 37;
        assert!(cut < 20_000, "no push got through");
    }
    assert!(failed > 20, "the push was cut at only {failed} points");
    let sync: Value = env.json(&["sync", "--json"]);
    assert_eq!(sync["waiting"], 0, "{sync}");
    let status: Value = env.json(&["team", "status", "--json"]);
    assert_eq!(
        (status["incidents"].as_i64(), status["events"].as_i64()),
        (Some(2), Some(events))
    );
    let again: Value = env.json(&["sync", "--json"]);
    assert_eq!(again["pushed"], 0);
}
