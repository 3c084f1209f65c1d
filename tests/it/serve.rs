//! `incident serve` and its Alertmanager intake, end to end: the real binary on a free port,
//! fed the notifications Alertmanager 0.25 sent (fixtures/alertmanager/, recorded) and variants
//! of them, checked through `show --json` / `list --json` on the same database.

use crate::common::{Env, wait_until};
use serde_json::{Value, json};
use std::process::{Child, Stdio};

const TOKEN: &str = "example-token";
const CONFIG: &str = "[intake]\ntoken = \"${AM_TOKEN}\"\n";

/// The recorded notification `name` as Alertmanager 0.25 sent it (its body), checked to carry
/// the token the tests give the intake.
pub(crate) fn recorded(name: &str) -> Value {
    let path = format!(
        "{}/tests/it/fixtures/alertmanager/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(v["headers"]["Authorization"], format!("Bearer {TOKEN}"));
    v["body"].clone()
}

/// `incident serve` on a free loopback port (the board's tests use it too: tests/it/board.rs).
pub(crate) struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts `incident serve` at the env's pinned time and waits for /healthz.
    pub(crate) fn start(env: &Env) -> Server {
        Server::spawn(env, true)
    }

    /// `pinned`: at the env's pinned time, else on the real clock (for a real Alertmanager).
    pub(crate) fn spawn(env: &Env, pinned: bool) -> Server {
        Server::launch(env, TOKEN, Stdio::null(), pinned)
    }

    /// Starts `incident serve` for `env` on a free loopback port, `token` in its environment
    /// as the intake's `AM_TOKEN`, its stderr to `stderr`, and waits for /healthz (every
    /// test that starts a server starts it here). `pinned` as for `spawn`.
    pub(crate) fn launch(env: &Env, token: &str, stderr: Stdio, pinned: bool) -> Server {
        let port = free_port();
        let mut cmd = env.command(&["serve", "--listen", &format!("127.0.0.1:{port}")]);
        if !pinned {
            cmd.env_remove("INCIDENT_NOW");
        }
        let child = cmd
            .env("AM_TOKEN", token)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let server = Server { child, port };
        wait_until("/healthz answers", || {
            server
                .get("/healthz")
                .is_some_and(|(s, b)| s == 200 && b == "ok\n")
        });
        server
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub(crate) fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut r = agent().get(&self.url(path)).call().ok()?;
        Some((r.status().as_u16(), r.body_mut().read_to_string().unwrap()))
    }

    /// POSTs `body` to the intake with `token`; the status and the answer.
    fn post(&self, token: Option<&str>, body: &[u8]) -> (u16, String) {
        let mut req = agent()
            .post(&self.url("/api/v1/alertmanager"))
            .header("Content-Type", "application/json");
        if let Some(t) = token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        let mut r = req.send(body).unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    }

    fn notify(&self, body: &Value) -> Value {
        let (status, text) = self.post(Some(TOKEN), body.to_string().as_bytes());
        assert_eq!(status, 200, "{text}");
        serde_json::from_str(&text).unwrap()
    }

    /// SIGTERM; the exit code.
    pub(crate) fn stop(mut self) -> i32 {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let code = self.child.wait().unwrap().code().unwrap_or(-1);
        std::mem::forget(self);
        code
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(10)))
        .build()
        .into()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn env_at(now: &str, config: &str) -> Env {
    let mut env = Env::new();
    env.at(now);
    env.write_config(config);
    env
}

fn notes(env: &Env, number: &str) -> Vec<String> {
    env.json(&["show", number, "--json"])["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "note")
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect()
}

fn incidents(env: &Env) -> Vec<Value> {
    env.json(&["list", "--all", "--json"])
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn recorded_notifications_make_one_incident_and_resends_add_nothing() {
    let env = env_at("2026-12-05T11:19:30Z", CONFIG);
    let server = Server::start(&env);
    let first = recorded("01-firing-1alerts");
    assert_eq!(
        server.notify(&first),
        json!({"outcome": "opened", "incident": "1"})
    );
    assert_eq!(
        server.notify(&first),
        json!({"outcome": "unchanged", "incident": "1"})
    );
    let v = env.json(&["show", "1", "--json"]);
    assert_eq!(v["title"], "No new rows in price_data for 2h");
    assert_eq!(v["severity"], "P1", "severity=critical");
    assert_eq!(v["status"], "OPEN");
    assert_eq!(v["created_by"], "alertmanager");
    assert_eq!(
        v["started_at"], "2026-12-05T11:18:56Z",
        "the earliest startsAt"
    );
    assert_eq!(v["detected_at"], "2026-12-05T11:19:30Z", "the receipt");
    assert!(
        v["description"]
            .as_str()
            .unwrap()
            .contains("newest price_data row is 2h 05m old"),
        "{}",
        v["description"]
    );
    assert!(notes(&env, "1").is_empty(), "a resend records nothing");
    // Each alert is kept with the incident, and `show` gives it.
    let alerts = &v["alerts"];
    assert_eq!(alerts.as_array().unwrap().len(), 1, "{alerts}");
    assert_eq!(alerts[0]["status"], "firing");
    assert_eq!(alerts[0]["labels"]["instance"], "collector-0");
    assert_eq!(
        alerts[0]["annotations"]["summary"],
        "No new rows in price_data for 2h"
    );
    assert_eq!(alerts[0]["starts_at"], "2026-12-05T11:18:56Z");
    let shown = env.run(&["show", "1"]).ok().to_string();
    assert!(
        shown.contains("ALERTS\n  firing    since 2026-12-05 11:18  alertname=DataCollectionStale instance=collector-0"),
        "{shown}"
    );

    let second = recorded("02-firing-2alerts");
    assert_eq!(server.notify(&second)["outcome"], "updated");
    assert_eq!(server.notify(&second)["outcome"], "unchanged");
    assert_eq!(
        notes(&env, "1"),
        [
            "alert firing: DataCollectionStale {instance=collector-1}: No new rows in price_data for 2h"
        ]
    );

    let resolved = recorded("03-resolved-2alerts");
    assert_eq!(server.notify(&resolved)["outcome"], "updated");
    assert_eq!(server.notify(&resolved)["outcome"], "unchanged");
    let v = env.json(&["show", "1", "--json"]);
    assert_eq!(v["status"], "OPEN", "a person decides without auto_resolve");
    let last = v["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["text"], "all alerts resolved");
    assert_eq!(notes(&env, "1").len(), 4, "{:?}", notes(&env, "1"));
    assert_eq!(incidents(&env).len(), 1);

    // Each alert's labels, annotations and generator link are kept with the incident.
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let kept: Vec<(String, String, String)> = conn
        .prepare("SELECT fingerprint, labels, status FROM alerts ORDER BY fingerprint")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[1].0, "a926c06583a5beda");
    assert!(
        kept[1].1.contains("\"instance\":\"collector-0\""),
        "{}",
        kept[1].1
    );
    assert_eq!(kept[1].2, "resolved");
    assert_eq!(server.stop(), 0, "SIGTERM stops it cleanly");
}

#[test]
fn a_more_severe_alert_raises_the_severity_and_a_less_severe_one_does_not_lower_it() {
    let env = env_at("2026-12-05T11:19:30Z", CONFIG);
    let server = Server::start(&env);
    let mut warning = recorded("01-firing-1alerts");
    warning["alerts"][0]["labels"]["severity"] = json!("warning");
    warning["commonLabels"]["severity"] = json!("warning");
    server.notify(&warning);
    assert_eq!(env.json(&["show", "1", "--json"])["severity"], "P3");
    let second = recorded("02-firing-2alerts");
    let mut joined = second.clone();
    joined["alerts"][0]["labels"]["severity"] = json!("warning");
    joined["alerts"][1]["labels"]["severity"] = json!("error");
    server.notify(&joined);
    assert_eq!(
        env.json(&["show", "1", "--json"])["severity"],
        "P2",
        "raised"
    );
    let mut calmer = joined.clone();
    calmer["alerts"][1]["status"] = json!("resolved");
    calmer["alerts"][1]["endsAt"] = json!("2026-12-05T11:19:20Z");
    server.notify(&calmer);
    assert_eq!(
        env.json(&["show", "1", "--json"])["severity"],
        "P2",
        "never lowered"
    );
    let timeline = env.json(&["show", "1", "--json"])["timeline"].clone();
    let kinds: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "severity").count(),
        1,
        "{kinds:?}"
    );
}

#[test]
fn auto_resolve_resolves_at_the_last_end_and_a_quick_return_reopens() {
    let config = format!("{CONFIG}auto_resolve = true\nreopen_window = \"30m\"\n");
    let mut env = env_at("2026-12-05T11:19:00Z", &config);
    let server = Server::start(&env);
    server.notify(&recorded("01-firing-1alerts"));
    server.notify(&recorded("02-firing-2alerts"));
    drop(server);
    env.at("2026-12-05T11:21:30Z");
    let server = Server::start(&env);
    server.notify(&recorded("03-resolved-2alerts"));
    let v = env.json(&["show", "1", "--json"]);
    assert_eq!(v["status"], "RESOLVED");
    assert_eq!(v["resolved_at"], "2026-12-05T11:21:01Z", "the last endsAt");
    assert_eq!(v["resolution"], "alerts resolved");
    drop(server);

    // Firing again 20 minutes after the resolution: within the window, the incident reopens.
    env.at("2026-12-05T11:41:00Z");
    let server = Server::start(&env);
    let mut again = recorded("01-firing-1alerts");
    again["alerts"][0]["startsAt"] = json!("2026-12-05T11:40:30Z");
    assert_eq!(
        server.notify(&again),
        json!({"outcome": "reopened", "incident": "1"})
    );
    assert_eq!(
        env.json(&["show", "1", "--json"])["status"],
        "INVESTIGATING"
    );
    assert_eq!(incidents(&env).len(), 1);
    // Resolved once more, then back after the window: a new incident naming the first.
    drop(server);
    env.at("2026-12-05T11:50:00Z");
    let server = Server::start(&env);
    let mut done = recorded("03-resolved-2alerts");
    done["alerts"][0]["endsAt"] = json!("2026-12-05T11:45:00Z");
    done["alerts"][1]["endsAt"] = json!("2026-12-05T11:45:00Z");
    server.notify(&done);
    assert_eq!(env.json(&["show", "1", "--json"])["status"], "RESOLVED");
    drop(server);
    env.at("2026-12-05T13:00:00Z");
    let server = Server::start(&env);
    let mut later = recorded("01-firing-1alerts");
    later["alerts"][0]["startsAt"] = json!("2026-12-05T12:59:00Z");
    assert_eq!(
        server.notify(&later),
        json!({"outcome": "opened", "incident": "2"})
    );
    let v = env.json(&["show", "2", "--json"]);
    assert!(
        v["description"].as_str().unwrap().contains("incident 1"),
        "{}",
        v["description"]
    );
    assert_eq!(env.json(&["show", "1", "--json"])["status"], "RESOLVED");
}

#[test]
fn refusals_write_nothing() {
    let env = env_at(
        "2026-12-05T11:19:30Z",
        &format!("{CONFIG}[serve]\nbody_limit = \"1KiB\"\n"),
    );
    let server = Server::start(&env);
    let body = recorded("02-firing-2alerts").to_string();
    let (status, text) = server.post(Some("wrong-token"), body.as_bytes());
    assert_eq!((status, text.lines().count()), (401, 1), "{text}");
    let (status, _) = server.post(None, body.as_bytes());
    assert_eq!(status, 401);
    let (status, text) = server.post(Some(TOKEN), b"{\"version\": \"4\", ");
    assert_eq!(status, 400, "{text}");
    assert!(text.starts_with("malformed JSON"), "{text}");
    let mut v3 = recorded("01-firing-1alerts");
    v3["version"] = json!("3");
    let (status, text) = server.post(Some(TOKEN), v3.to_string().as_bytes());
    assert_eq!(status, 400);
    assert!(text.contains("version"), "{text}");
    let mut keyless = recorded("01-firing-1alerts");
    keyless.as_object_mut().unwrap().remove("groupKey");
    let (status, text) = server.post(Some(TOKEN), keyless.to_string().as_bytes());
    assert_eq!(status, 400);
    assert!(text.contains("groupKey"), "{text}");
    assert!(body.len() > 1024);
    let (status, text) = server.post(Some(TOKEN), body.as_bytes());
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("max_alerts"), "{text}");
    assert_eq!(text.lines().count(), 1);
    assert!(incidents(&env).is_empty(), "nothing written");
    // The server keeps answering.
    assert_eq!(server.get("/healthz").unwrap().0, 200);
}

#[test]
fn a_client_slow_to_send_its_headers_is_cut_off_and_blocks_no_one() {
    use std::io::{Read, Write};
    let env = env_at(
        "2026-12-05T11:19:30Z",
        &format!("{CONFIG}[serve]\nheader_timeout = \"1s\"\n"),
    );
    let server = Server::start(&env);
    let mut slow = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    slow.write_all(b"POST /api/v1/alertmanager HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = std::time::Instant::now();
    assert_eq!(
        server.get("/healthz").unwrap().0,
        200,
        "others are answered"
    );
    slow.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut answer = Vec::new();
    let _ = slow.read_to_end(&mut answer);
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(5),
        "cut off after about 1 s, took {took:?}"
    );
    assert!(incidents(&env).is_empty());
}

#[test]
fn a_thousand_bad_requests_write_nothing_and_the_server_keeps_answering() {
    let env = env_at("2026-12-05T11:19:30Z", CONFIG);
    let server = Server::start(&env);
    let good = recorded("01-firing-1alerts").to_string();
    let mut seen = std::collections::BTreeMap::new();
    for i in 0..1000 {
        let (status, _) = match i % 4 {
            0 => server.post(None, good.as_bytes()),
            1 => server.post(Some(&format!("{TOKEN}x")), good.as_bytes()),
            2 => server.post(Some(TOKEN), &good.as_bytes()[..i % good.len()]),
            _ => server.post(Some(TOKEN), format!("{{\"version\":\"{i}\"}}").as_bytes()),
        };
        *seen.entry(status).or_insert(0) += 1;
    }
    assert_eq!(
        seen,
        [(400, 500), (401, 500)].into_iter().collect(),
        "{seen:?}"
    );
    assert!(incidents(&env).is_empty(), "nothing written");
    assert_eq!(
        server.notify(&recorded("01-firing-1alerts"))["outcome"],
        "opened"
    );
}

#[test]
fn sigterm_stops_accepting_and_waits_at_most_a_second_for_what_is_in_flight() {
    use std::io::Write;
    let env = env_at("2026-12-05T11:19:30Z", CONFIG);
    let server = Server::start(&env);
    let port = server.port;
    // A request in flight that never finishes: its body is promised, not sent.
    let mut stuck = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stuck
        .write_all(
            format!(
                "POST /api/v1/alertmanager HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 1000\r\n\r\n{{"
            )
            .as_bytes(),
        )
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let started = std::time::Instant::now();
    assert_eq!(server.stop(), 0);
    let took = started.elapsed();
    assert!(
        took >= std::time::Duration::from_millis(900) && took < std::time::Duration::from_secs(3),
        "drained for about a second: {took:?}"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "no longer accepting"
    );
    assert!(incidents(&env).is_empty());
}

#[test]
fn without_an_intake_token_the_intake_answers_503() {
    let env = env_at("2026-12-05T11:19:30Z", "");
    let server = Server::start(&env);
    let body = recorded("01-firing-1alerts").to_string();
    let (status, text) = server.post(Some(TOKEN), body.as_bytes());
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("[intake] token"), "{text}");
    assert!(incidents(&env).is_empty());
}

#[test]
fn grafana_notifications_are_accepted() {
    let env = env_at("2026-12-05T11:19:30Z", CONFIG);
    let server = Server::start(&env);
    // Grafana's webhook contact point: version "1", Alertmanager-shaped, with its own fields.
    let grafana = json!({
        "receiver": "incident-webhook",
        "status": "firing",
        "orgId": 1,
        "alerts": [{
            "status": "firing",
            "labels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1", "severity": "error"},
            "annotations": {"description": "The system has high memory usage", "summary": "Memory above 90% in us-1"},
            "startsAt": "2026-12-05T12:18:03.157076+01:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://grafana.example/alerting/1afz29v7z/edit",
            "fingerprint": "c6eadffa33fcdf37",
            "silenceURL": "https://grafana.example/alerting/silence/new",
            "dashboardURL": "",
            "panelURL": "",
            "values": {"B": 44.23943737541908, "C": 1}
        }],
        "groupLabels": {"alertname": "High memory usage"},
        "commonLabels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1", "severity": "error"},
        "commonAnnotations": {"summary": "Memory above 90% in us-1"},
        "externalURL": "https://grafana.example/",
        "version": "1",
        "groupKey": "{}:{alertname=\"High memory usage\"}",
        "truncatedAlerts": 0,
        "title": "[FIRING:1] High memory usage (blue us-1)",
        "state": "alerting",
        "message": "**Firing**\n\nValue: B=44.2, C=1"
    });
    assert_eq!(server.notify(&grafana)["outcome"], "opened");
    let v = env.json(&["show", "1", "--json"]);
    assert_eq!(v["title"], "Memory above 90% in us-1");
    assert_eq!(v["severity"], "P2");
    assert_eq!(v["started_at"], "2026-12-05T11:18:03Z");
}

#[test]
fn a_group_cancelled_as_noise_is_absorbed_until_it_resolves() {
    let mut env = env_at("2026-12-05T11:19:30Z", CONFIG);
    let server = Server::start(&env);
    server.notify(&recorded("01-firing-1alerts"));
    drop(server);
    env.at("2026-12-05T11:19:40Z");
    env.run(&["cancel", "1", "--reason", "noise: load test on us-1"])
        .ok();
    env.at("2026-12-05T11:20:00Z");
    let server = Server::start(&env);
    assert_eq!(
        server.notify(&recorded("02-firing-2alerts"))["outcome"],
        "absorbed"
    );
    assert_eq!(
        server.notify(&recorded("03-resolved-2alerts"))["outcome"],
        "absorbed"
    );
    assert!(notes(&env, "1").is_empty());
    assert_eq!(
        server.notify(&recorded("01-firing-1alerts"))["outcome"],
        "opened"
    );
    assert_eq!(incidents(&env).len(), 2);
}

#[test]
fn beyond_loopback_without_a_board_token_it_refuses_to_start() {
    let env = env_at("2026-12-05T11:19:30Z", CONFIG);
    let serve = |listen: &str| -> crate::common::Run {
        let mut cmd = env.command(&["serve", "--listen", listen]);
        cmd.env("AM_TOKEN", TOKEN).output().unwrap().into()
    };
    let run = serve("0.0.0.0:0");
    let line = run.err();
    assert!(line.contains("board token"), "{line}");
    assert!(serve("[::]:0").err().contains("board token"));
    assert!(serve("8787").err().contains("host:port"));
    // A token's variable that is not set is named, and nothing starts.
    let line = env
        .run(&["serve", "--listen", "127.0.0.1:0"])
        .err()
        .to_string();
    assert!(line.contains("AM_TOKEN"), "{line}");
}

/// Debian's `prometheus-alertmanager` (`.ci/run` installs it); without it the smoke test fails
/// when INCIDENT_REQUIRE_SERVICES=1, else says SKIPPED.
fn alertmanager_binary() -> Option<&'static str> {
    crate::common::services::program(
        "prometheus-alertmanager",
        "serve smoke test",
        "prometheus-alertmanager",
    )
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The receiver the deploy files give to paste, pointed at the server on `port` with 1 s
/// timings: what the docs promise is what runs in the real-Alertmanager test.
fn pasted_receiver(dir: &std::path::Path, port: u16) -> String {
    let token_file = dir.join("intake-token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let mut config = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/alertmanager-receiver.yaml"
    ))
    .unwrap();
    for (from, to) in [
        (
            "http://incident.crypto-data-collection.svc:8787/api/v1/alertmanager".to_string(),
            format!("http://127.0.0.1:{}/api/v1/alertmanager", port),
        ),
        (
            "/etc/alertmanager/secrets/incident-serve-tokens/INCIDENT_INTAKE_TOKEN".to_string(),
            token_file.display().to_string(),
        ),
        ("group_wait: 30s".to_string(), "group_wait: 1s".to_string()),
        (
            "group_interval: 5m".to_string(),
            "group_interval: 1s".to_string(),
        ),
        (
            "repeat_interval: 4h".to_string(),
            "repeat_interval: 2s".to_string(),
        ),
    ] {
        assert!(
            config.contains(&from),
            "deploy/alertmanager-receiver.yaml has {from}"
        );
        config = config.replace(&from, &to);
    }
    config
}

#[test]
fn a_real_alertmanager_makes_one_incident_per_group_and_resends_add_nothing() {
    let Some(bin) = alertmanager_binary() else {
        return;
    };
    let env = env_at("2026-12-05T11:19:30Z", CONFIG);
    let server = Server::spawn(&env, false);
    let dir = env.home().join("alertmanager");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let config = pasted_receiver(&dir, server.port);
    std::fs::write(dir.join("am.yml"), config).unwrap();
    let port = free_port();
    let _am = Killed(
        std::process::Command::new(bin)
            .arg(format!("--config.file={}", dir.join("am.yml").display()))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let am = |path: &str| format!("http://127.0.0.1:{port}{path}");
    wait_until("Alertmanager is ready", || {
        agent()
            .get(&am("/-/ready"))
            .call()
            .is_ok_and(|r| r.status() == 200)
    });
    let started = chrono::Utc::now() - chrono::Duration::seconds(60);
    let alerts = |ends: Option<chrono::DateTime<chrono::Utc>>| {
        let alert = |name: &str, instance: &str, severity: &str| {
            let mut a = json!({
                "labels": {"alertname": name, "instance": instance, "severity": severity},
                "annotations": {"summary": format!("{name} on {instance}")},
                "startsAt": started.to_rfc3339(),
            });
            if let Some(e) = ends {
                a["endsAt"] = json!(e.to_rfc3339());
            }
            a
        };
        json!([
            alert("DiskFull", "db-1", "critical"),
            alert("DiskFull", "db-2", "warning"),
            alert("QueueBacklog", "worker-1", "warning"),
        ])
    };
    let post = |body: Value| {
        let r = agent()
            .post(&am("/api/v2/alerts"))
            .header("Content-Type", "application/json")
            .send(body.to_string().as_bytes())
            .unwrap();
        assert_eq!(r.status(), 200);
    };
    post(alerts(None));
    wait_until("one incident per alert group", || {
        incidents(&env).len() >= 2
    });
    // Resends every repeat_interval (2 s): wait for several, then nothing may have changed.
    std::thread::sleep(std::time::Duration::from_secs(5));
    let list = incidents(&env);
    assert_eq!(list.len(), 2, "{list:#?}");
    let disk = list
        .iter()
        .find(|i| i["title"].as_str().unwrap().starts_with("DiskFull"))
        .unwrap();
    assert_eq!(disk["severity"], "P1", "the most severe alert of the group");
    for i in &list {
        let number = i["number"].to_string();
        assert!(notes(&env, &number).is_empty(), "resends add nothing");
    }
    post(alerts(Some(chrono::Utc::now())));
    wait_until("the resolutions are recorded", || {
        list.iter().all(|i| {
            notes(&env, &i["number"].to_string())
                .last()
                .map(String::as_str)
                == Some("all alerts resolved")
        })
    });
    assert_eq!(incidents(&env).len(), 2);
    assert_eq!(server.stop(), 0);
}

/// `/readyz` (no token): ready while the log opens at this binary's schema; a log another
/// version left older says so with 503.
#[test]
fn readyz_says_whether_the_log_opens_at_this_schema() {
    let env = env_at("2026-12-05T11:19:30Z", CONFIG);
    let server = Server::start(&env);
    assert_eq!(server.get("/readyz"), Some((200, "ready\n".to_string())));
    server.notify(&recorded("01-firing-1alerts"));
    assert_eq!(server.get("/readyz").unwrap().0, 200);
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch("PRAGMA user_version = 5;").unwrap();
    drop(conn);
    let (status, text) = server.get("/readyz").unwrap();
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("has schema version 5"), "{text}");
}

/// `/metrics` in the Prometheus text format: requests by route and status, notifications by
/// outcome (refused ones too), incidents opened; behind the board token when one is set.
#[test]
fn metrics_count_requests_and_notifications_behind_the_board_token() {
    let env = env_at("2026-12-05T11:19:30Z", CONFIG);
    let server = Server::start(&env);
    server.notify(&recorded("01-firing-1alerts"));
    server.notify(&recorded("01-firing-1alerts"));
    assert_eq!(server.post(Some(TOKEN), b"{\"version\": ").0, 400);
    assert_eq!(server.get("/incidents/1").unwrap().0, 200);
    assert_eq!(server.get("/incidents/7").unwrap().0, 404);
    assert_eq!(server.get("/api/v1/incidents/1").unwrap().0, 200);
    let (status, text) = server.get("/metrics").unwrap();
    assert_eq!(status, 200, "{text}");
    for line in [
        "incident_http_requests_total{endpoint=\"/api/v1/alertmanager\",status=\"200\"} 2",
        "incident_http_requests_total{endpoint=\"/api/v1/alertmanager\",status=\"400\"} 1",
        "incident_intake_notifications_total{outcome=\"opened\"} 1",
        "incident_intake_notifications_total{outcome=\"unchanged\"} 1",
        "incident_intake_notifications_total{outcome=\"refused\"} 1",
        "incident_incidents_opened_total 1",
        // By route pattern, not by raw URL: the label's values stay bounded.
        "incident_http_requests_total{endpoint=\"/incidents/{number}\",status=\"200\"} 1",
        "incident_http_requests_total{endpoint=\"/incidents/{number}\",status=\"404\"} 1",
        "incident_http_requests_total{endpoint=\"/api/v1/incidents/{number}\",status=\"200\"} 1",
        "# TYPE incident_http_requests_total counter",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
    }
    drop(server);

    let guarded = env_at(
        "2026-12-05T11:19:30Z",
        &format!("{CONFIG}[serve]\nboard_token = \"${{AM_TOKEN}}\"\n"),
    );
    let server = Server::start(&guarded);
    assert_eq!(server.get("/metrics").unwrap().0, 401);
    assert_eq!(
        server.get("/readyz").unwrap().0,
        200,
        "readiness needs no token"
    );
    let get = |auth: &str| -> u16 {
        let r = agent()
            .get(&server.url("/metrics"))
            .header("Authorization", auth)
            .call()
            .unwrap();
        r.status().as_u16()
    };
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("lead:{TOKEN}"));
    assert_eq!(get(&format!("Basic {basic}")), 200);
    assert_eq!(get(&format!("Bearer {TOKEN}")), 200);
    assert_eq!(get("Bearer wrong-token"), 401);
}

/// `/api/v1/incidents` is `list --json` (its flags as query parameters) and
/// `/api/v1/incidents/N` is `show N --json`: the same documents.
#[test]
fn the_api_gives_what_list_and_show_give() {
    let env = env_at("2026-12-05T11:19:30Z", CONFIG);
    let server = Server::start(&env);
    server.notify(&recorded("01-firing-1alerts"));
    let get_json = |path: &str| -> (u16, Value) {
        let (status, text) = server.get(path).unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    };
    let (status, list) = get_json("/api/v1/incidents");
    assert_eq!(status, 200);
    assert_eq!(list, env.json(&["list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, p1) =
        get_json("/api/v1/incidents?severity=P1&status=OPEN&status=INVESTIGATING&limit=0");
    assert_eq!(p1.as_array().unwrap().len(), 1, "{p1}");
    let (_, p3) = get_json("/api/v1/incidents?severity=P3");
    assert_eq!(p3, serde_json::json!([]));
    let (status, shown) = get_json("/api/v1/incidents/1");
    assert_eq!(status, 200);
    assert_eq!(shown, env.json(&["show", "1", "--json"]));
    assert_eq!(server.get("/api/v1/incidents/7").unwrap().0, 404);
    for bad in [
        "/api/v1/incidents?status=SOLVED",
        "/api/v1/incidents?limit=lots",
        "/api/v1/incidents?colour=red",
        "/api/v1/incidents/seven",
    ] {
        let (status, text) = server.get(bad).unwrap();
        assert_eq!(status, 400, "{bad}: {text}");
        assert_eq!(text.lines().count(), 1, "{bad}: {text}");
    }
}

/// The timeline's snapshot entries of incident `number`.
fn snapshot_entries(env: &Env, number: &str) -> Vec<String> {
    env.json(&["show", number, "--json"])["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "snapshot")
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_new_incident_gets_its_snapshot_after_the_webhook_is_answered() {
    // A collector that takes 2 s: the webhook must not wait for it.
    let config = format!(
        "{CONFIG}[[command]]\nname = \"queue-depth\"\nrun = [\"sh\", \"-c\", \"sleep 2; echo 'depth=4120 (consumer lag-eu_1)'\"]\ntimeout = \"20s\"\n"
    );
    let env = env_at("2026-12-05T11:19:30Z", &config);
    let server = Server::start(&env);
    let started = std::time::Instant::now();
    let answer = server.notify(&recorded("01-firing-1alerts"));
    let answered = started.elapsed();
    assert_eq!(answer["outcome"], "opened");
    assert!(
        answered < std::time::Duration::from_millis(1500),
        "answered before the 2 s collector finished: {answered:?}"
    );
    assert!(snapshot_entries(&env, "1").is_empty(), "collecting still");
    wait_until("the snapshot is filed", || {
        !snapshot_entries(&env, "1").is_empty()
    });
    let entries = snapshot_entries(&env, "1");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].contains("queue-depth exit 0"), "{entries:?}");
    let snap = env.json(&["show", "1", "--snapshot", "1", "--json"]);
    assert!(snap.to_string().contains("consumer lag-eu_1"), "{snap}");
    // A resend changes nothing, and takes no snapshot.
    assert_eq!(
        server.notify(&recorded("01-firing-1alerts"))["outcome"],
        "unchanged"
    );
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(snapshot_entries(&env, "1").len(), 1);
    assert_eq!(server.stop(), 0);
}

#[test]
fn a_stop_abandons_a_snapshot_still_collecting_with_a_note() {
    let config = format!(
        "{CONFIG}[snapshot]\ndeadline = \"1m\"\n[[command]]\nname = \"slow-probe\"\nrun = [\"sleep\", \"30\"]\ntimeout = \"1m\"\n"
    );
    let env = env_at("2026-12-05T11:19:30Z", &config);
    let server = Server::start(&env);
    assert_eq!(
        server.notify(&recorded("01-firing-1alerts"))["outcome"],
        "opened"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let started = std::time::Instant::now();
    assert_eq!(server.stop(), 0);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "the stop does not wait for the collector: {:?}",
        started.elapsed()
    );
    assert!(snapshot_entries(&env, "1").is_empty());
    let notes = notes(&env, "1");
    let abandoned: Vec<_> = notes
        .iter()
        .filter(|n| n.starts_with("snapshot abandoned: incident serve stopped"))
        .collect();
    assert_eq!(abandoned.len(), 1, "{notes:?}");
    assert!(abandoned[0].contains("incident snapshot 1"), "{notes:?}");
}
