//! Messages people act on, through the real binary: what `incident remind`, `check --open` and
//! the Alertmanager intake of `incident serve` send to Slack (Block Kit), Teams (an Adaptive
//! Card) and generic JSON webhooks, with and without `[serve] public_url` and a commander,
//! pinned byte for byte in tests/it/golden/chat-*.json; what a Mattermost-shaped receiver
//! shows of the Slack body; and the intake answering at once while a channel hangs.

use crate::common::golden::assert_golden;
use crate::common::{Env, wait_until};
use crate::serve::{Server, recorded};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Got {
    path: String,
    body: Value,
    content_type: Option<String>,
    delivery: Option<String>,
}

/// A webhook receiver on a random loopback port; with `hang`, it never answers.
struct Hook {
    port: u16,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Hook {
    fn start(hang: bool) -> Hook {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&got);
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for mut request in server.incoming_requests() {
                let mut text = String::new();
                request.as_reader().read_to_string(&mut text).unwrap();
                let header = |name: &'static str| {
                    request
                        .headers()
                        .iter()
                        .find(|h| h.field.equiv(name))
                        .map(|h| h.value.to_string())
                };
                log.lock().unwrap().push(Got {
                    path: request.url().to_string(),
                    body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
                    content_type: header("Content-Type"),
                    delivery: header("X-Incident-Delivery"),
                });
                if hang {
                    held.push(request);
                    continue;
                }
                let mut w = request.into_writer();
                let _ = w.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                );
                let _ = w.flush();
            }
        });
        Hook { port, got }
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// The body posted to `/path`, the only one there.
    fn body(&self, path: &str) -> Value {
        let at: Vec<Got> = self.got().into_iter().filter(|g| g.path == path).collect();
        assert_eq!(at.len(), 1, "{path}: {at:?}");
        at[0].body.clone()
    }

    /// `[[notify]]` entries: one webhook per format, at `/slack`, `/teams` and `/json`.
    fn channels(&self) -> String {
        ["slack", "teams", "json"]
            .iter()
            .map(|f| {
                format!(
                    "[[notify]]\nname = \"{f}-hook\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{}/{f}\"\nformat = \"{f}\"\ntimeout = \"5s\"\n",
                    self.port
                )
            })
            .collect()
    }
}

const PUBLIC_URL: &str = "[serve]\npublic_url = \"https://incident.example.com/\"\n";
const TITLE: &str =
    "<script>alert(1)</script> & <!channel> checkout-api_v2 (eu-west-1) — Zahlung ❌";

/// Compares each format's body with its golden file `chat-{name}-{format}.json`. The JSON
/// body's `delivery_id` (from the incident's random UUID) is the header's, then pinned as
/// `DELIVERY`.
fn assert_bodies(hook: &Hook, name: &str) {
    for format in ["slack", "teams", "json"] {
        let mut body = hook.body(&format!("/{format}"));
        if format == "json" {
            let sent = hook.got().into_iter().find(|g| g.path == "/json").unwrap();
            assert_eq!(body["delivery_id"].as_str(), sent.delivery.as_deref());
            body["delivery_id"] = json!("DELIVERY");
        }
        let text = serde_json::to_string_pretty(&body).unwrap() + "\n";
        assert_golden(&format!("chat-{name}-{format}.json"), &text);
    }
}

/// A breached response clock, reminded through every format.
fn remind(public_url: bool, commander: bool) -> Hook {
    let hook = Hook::start(false);
    let env = Env::new();
    let config = if public_url { PUBLIC_URL } else { "" };
    env.write_config(&format!("{config}{}", hook.channels()));
    env.run(&["open", "P1", TITLE, "--at", "-20m"]).ok();
    if !commander {
        env.run(&["role", "1", "commander", "-"]).ok();
    }
    let run = env.run(&["remind"]);
    assert_eq!((run.code, run.stderr.as_str()), (2, ""), "{}", run.stdout);
    assert_eq!(hook.got().len(), 3);
    hook
}

#[test]
fn reminders_are_block_kit_adaptive_cards_and_json_with_the_board_link() {
    let hook = remind(true, true);
    assert_bodies(&hook, "reminder");
    let slack = hook.body("/slack");
    let text = slack["text"].as_str().unwrap();
    assert!(
        text.ends_with("Next: incident ack 1 — https://incident.example.com/incidents/1"),
        "{text}"
    );
    assert!(
        !text.contains('<') && text.contains("&lt;!channel&gt;"),
        "{text}"
    );
    let button = &slack["blocks"].as_array().unwrap().last().unwrap()["elements"][0];
    assert_eq!(button["url"], "https://incident.example.com/incidents/1");
    assert_eq!(
        hook.body("/json")["url"],
        "https://incident.example.com/incidents/1"
    );
    let card = &hook.body("/teams")["attachments"][0];
    assert_eq!(
        card["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(card["content"]["version"], "1.4");
    assert_eq!(
        card["content"]["actions"][0]["url"],
        "https://incident.example.com/incidents/1"
    );
    for g in hook.got() {
        assert_eq!(g.content_type.as_deref(), Some("application/json"));
        assert!(g.delivery.is_some_and(|d| d.len() == 36));
    }
}

#[test]
fn without_public_url_or_commander_messages_carry_neither() {
    let hook = remind(false, false);
    assert_bodies(&hook, "reminder-plain");
    let slack = hook.body("/slack");
    let all = slack.to_string();
    assert!(
        !all.contains("https://") && !all.contains("Commander"),
        "{all}"
    );
    assert!(!slack["blocks"].to_string().contains("\"actions\""));
    let json = hook.body("/json");
    assert!(json.get("url").is_none());
    assert_eq!(json["incident"]["commander"], Value::Null);
    let teams = hook.body("/teams");
    assert!(teams["attachments"][0]["content"].get("actions").is_none());
    assert!(!teams.to_string().contains("Commander"));
}

/// What Mattermost shows of an incoming webhook's body: it reads `text` (and Slack-style
/// `attachments`), ignores fields it does not know such as `blocks`, turns `<!channel>` into
/// an @channel mention, and renders the text as Markdown, where `&lt;` is `<`.
fn mattermost_shows(body: &Value) -> String {
    let known = [
        "text",
        "attachments",
        "username",
        "icon_url",
        "channel",
        "props",
        "type",
    ];
    let mut shown = body["text"].as_str().unwrap_or("").to_string();
    for a in body["attachments"].as_array().into_iter().flatten() {
        shown.push('\n');
        shown.push_str(a["text"].as_str().unwrap_or(""));
    }
    for key in body.as_object().unwrap().keys() {
        assert!(known.contains(&key.as_str()) || key == "blocks", "{key}");
    }
    shown
        .replace("<!channel>", "@channel")
        .replace("<!here>", "@here")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[test]
fn a_mattermost_shaped_receiver_shows_everything_in_the_text() {
    let hook = remind(true, true);
    let shown = mattermost_shows(&hook.body("/slack"));
    assert_eq!(
        shown,
        format!(
            "[P1] incident 1 \"{TITLE}\" (OPEN, commander alice): response OVERDUE by 5m (was due 2026-11-29 09:55). Next: incident ack 1 — https://incident.example.com/incidents/1"
        )
    );
    assert!(!shown.contains("@channel"), "no mention planted: {shown}");
}

/// Starts `incident serve` on a free port; its stderr goes to `stderr.log` in the env's home
/// (a channel that failed is said there).
fn serve(env: &Env) -> Server {
    let stderr = std::fs::File::create(env.home().join("stderr.log")).unwrap();
    Server::launch(env, "example-token", stderr.into(), true)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// The recorded Alertmanager notification with `summary` as its title.
fn alert(summary: &str) -> Value {
    let mut v = recorded("01-firing-1alerts");
    v["commonAnnotations"]["summary"] = json!(summary);
    v
}

fn post(port: u16, body: &Value) -> (u16, Duration) {
    let started = Instant::now();
    let r = agent()
        .post(&format!("http://127.0.0.1:{port}/api/v1/alertmanager"))
        .header("Authorization", "Bearer example-token")
        .header("Content-Type", "application/json")
        .send(body.to_string().as_bytes())
        .unwrap();
    (r.status().as_u16(), started.elapsed())
}

const INTAKE: &str = "[intake]\ntoken = \"${AM_TOKEN}\"\n";

#[test]
fn the_intake_announces_an_incident_it_opens_once_with_its_board_link() {
    let hook = Hook::start(false);
    let mut env = Env::new();
    env.at("2026-12-05T11:19:30Z");
    env.write_config(&format!("{PUBLIC_URL}{INTAKE}{}", hook.channels()));
    let server = serve(&env);
    let port = server.port();
    let body = alert(TITLE);
    assert_eq!(post(port, &body).0, 200);
    wait_until("three channels told", || hook.got().len() == 3);
    // Resent, as Alertmanager does: nothing new, nothing announced.
    assert_eq!(post(port, &body).0, 200);
    std::thread::sleep(Duration::from_millis(500));
    drop(server);
    assert_eq!(hook.got().len(), 3, "announced once");
    assert_bodies(&hook, "intake");
    let text = hook.body("/json")["text"].as_str().unwrap().to_string();
    assert!(
        text.starts_with(&format!("[P1] incident 1 \"{TITLE}\" (OPEN): opened from Alertmanager; response due by 2026-12-05 11:")),
        "{text}"
    );
    assert!(
        text.ends_with("Next: incident ack 1 — https://incident.example.com/incidents/1"),
        "{text}"
    );
    let shown = mattermost_shows(&hook.body("/slack"));
    assert!(
        shown.contains(TITLE) && !shown.contains("@channel"),
        "{shown}"
    );
}

#[test]
fn the_intake_answers_at_once_while_a_channel_hangs() {
    let hook = Hook::start(true);
    let mut env = Env::new();
    env.at("2026-12-05T11:19:30Z");
    // And a channel whose port nobody listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    env.write_config(&format!(
        "{INTAKE}{}[[notify]]\nname = \"gone\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{dead_port}/hook\"\n",
        hook.channels()
    ));
    let server = serve(&env);
    let port = server.port();
    let (status, took) = post(port, &alert("Checkout down"));
    assert_eq!(status, 200);
    eprintln!("the intake answered in {took:?} while every channel hung");
    assert!(took < Duration::from_secs(2), "answered in {took:?}");
    wait_until("every channel asked", || hook.got().len() == 3);
    let log = env.home().join("stderr.log");
    wait_until("the dead channel reported", || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("notify channel gone"))
    });
    drop(server);
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(
        said.contains("warning: notify channel gone: ")
            && said.contains("; incident 1 was not announced there")
            && !said.contains(&dead_port.to_string()),
        "{said}"
    );
    let text = hook.body("/json")["text"].as_str().unwrap().to_string();
    assert!(!text.contains("https://"), "no public_url, no link: {text}");
}

#[test]
fn the_monitor_links_the_incident_it_opens() {
    let hook = Hook::start(false);
    let env = Env::new();
    env.write_config(&format!(
        "{PUBLIC_URL}[[command]]\nname = \"probe\"\nrun = [\"sh\", \"-c\", \"exit 1\"]\n{}",
        hook.channels()
    ));
    let run = env.run(&["check", "--open"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert_eq!(hook.got().len(), 3, "{}", run.stderr);
    assert_bodies(&hook, "monitor");
    assert_eq!(
        hook.body("/json")["url"],
        "https://incident.example.com/incidents/1"
    );
    assert!(
        hook.body("/slack")["text"]
            .as_str()
            .unwrap()
            .ends_with(" — https://incident.example.com/incidents/1")
    );
}

#[test]
fn a_reopened_incident_is_announced_and_a_new_one_names_the_previous() {
    let hook = Hook::start(false);
    let mut env = Env::new();
    let channel = format!(
        "[[notify]]\nname = \"room\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{}/json\"\nformat = \"json\"\ntimeout = \"5s\"\n",
        hook.port
    );
    env.write_config(&format!(
        "{PUBLIC_URL}{INTAKE}auto_resolve = true\nreopen_window = \"30m\"\n{channel}"
    ));
    // At each moment a server posts what Alertmanager sent, until the room has `told` messages.
    let mut step = |at: &str, body: Value, told: usize| {
        env.at(at);
        let server = serve(&env);
        let port = server.port();
        assert_eq!(post(port, &body).0, 200);
        wait_until("the room told", || hook.got().len() >= told);
        std::thread::sleep(Duration::from_millis(200));
        drop(server);
        assert_eq!(hook.got().len(), told);
    };
    step("2026-12-05T11:19:00Z", recorded("01-firing-1alerts"), 1);
    step("2026-12-05T11:21:30Z", recorded("03-resolved-2alerts"), 1);
    let mut again = recorded("01-firing-1alerts");
    again["alerts"][0]["startsAt"] = json!("2026-12-05T11:40:30Z");
    step("2026-12-05T11:41:00Z", again, 2);
    let mut done = recorded("03-resolved-2alerts");
    done["alerts"][0]["endsAt"] = json!("2026-12-05T11:45:00Z");
    done["alerts"][1]["endsAt"] = json!("2026-12-05T11:45:00Z");
    step("2026-12-05T11:50:00Z", done, 2);
    let mut later = recorded("01-firing-1alerts");
    later["alerts"][0]["startsAt"] = json!("2026-12-05T12:59:00Z");
    step("2026-12-05T13:00:00Z", later, 3);

    let told: Vec<Value> = hook.got().into_iter().map(|g| g.body).collect();
    let summary: Vec<(String, String, Value)> = told
        .iter()
        .map(|b| {
            (
                b["event"].as_str().unwrap().to_string(),
                b["url"].as_str().unwrap().to_string(),
                b["previous"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "opened".into(),
                "https://incident.example.com/incidents/1".into(),
                Value::Null
            ),
            (
                "reopened".into(),
                "https://incident.example.com/incidents/1".into(),
                Value::Null
            ),
            (
                "opened".into(),
                "https://incident.example.com/incidents/2".into(),
                json!(1)
            ),
        ]
    );
    let reopened = told[1]["text"].as_str().unwrap();
    assert!(
        reopened.starts_with("[P1] incident 1 \"No new rows in price_data for 2h\" (INVESTIGATING): reopened: the alert group fires again; fix due by "),
        "{reopened}"
    );
    let third = told[2]["text"].as_str().unwrap();
    assert!(
        third.contains("opened from Alertmanager (the same alert group fired before: incident 1); response due by 2026-12-05 13:15 (15m left)"),
        "{third}"
    );
    let ids: std::collections::BTreeSet<_> = hook.got().into_iter().map(|g| g.delivery).collect();
    assert_eq!(ids.len(), 3, "each announcement its own delivery id");
}

#[test]
fn remind_json_lines_and_stdout_carry_the_link_too() {
    let env = Env::new();
    env.write_config(PUBLIC_URL);
    env.run(&["open", "P1", TITLE, "--at", "-20m"]).ok();
    let dry = env.run(&["remind", "--dry-run", "--json"]);
    let line: Value = serde_json::from_str(dry.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(line["url"], "https://incident.example.com/incidents/1");
    assert_eq!(line["channels"], json!(["stdout"]));
    let run = env.run(&["remind"]);
    assert!(
        run.stdout
            .trim_end()
            .ends_with("Next: incident ack 1 — https://incident.example.com/incidents/1"),
        "{}",
        run.stdout
    );
}
