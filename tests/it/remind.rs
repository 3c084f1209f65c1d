//! `incident remind` through the real binary: reminders reach stdout, a webhook served by the
//! test and a command, each exactly once, through failures, hangs, concurrent runs and a
//! simulated day; `--watch` survives a held write lock and stops on SIGTERM.

use crate::common::{Env, wait_until};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the test webhook does with the next request.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Answers with this status (200, 404, 500, …).
    Status(u16),
    /// Accepts the request and never answers.
    Hang,
}

/// One request the webhook received, with the status it answered (none while hanging).
#[derive(Debug, Clone)]
struct Seen {
    body: Value,
    answered: Option<u16>,
    /// The `Idempotency-Key` and `X-Incident-Delivery` headers.
    delivery: (Option<String>, Option<String>),
}

/// A webhook on a random loopback port (tiny_http, one thread).
struct Hook {
    port: u16,
    mode: Arc<Mutex<Mode>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Hook {
    fn start() -> Hook {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        let mode = Arc::new(Mutex::new(Mode::Status(200)));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (m, log) = (Arc::clone(&mode), Arc::clone(&seen));
        std::thread::spawn(move || {
            // Requests left hanging are kept here, unanswered and open.
            let mut held = Vec::new();
            for mut request in server.incoming_requests() {
                let mut text = String::new();
                request.as_reader().read_to_string(&mut text).unwrap();
                let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
                let header = |name: &'static str| {
                    request
                        .headers()
                        .iter()
                        .find(|h| h.field.equiv(name))
                        .map(|h| h.value.to_string())
                };
                let delivery = (header("Idempotency-Key"), header("X-Incident-Delivery"));
                let mode = *m.lock().unwrap();
                let status = match mode {
                    Mode::Hang => None,
                    Mode::Status(code) => Some(code),
                };
                log.lock().unwrap().push(Seen {
                    body,
                    answered: status,
                    delivery,
                });
                let Some(code) = status else {
                    held.push(request);
                    continue;
                };
                let reply = if code == 404 { "no_such_hook" } else { "ok" };
                // Written by hand to say `Connection: close`, which tiny_http drops (see
                // tests/it/common/kube.rs): concurrent runs must not queue behind kept-alive ones.
                let head = format!(
                    "HTTP/1.1 {code} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    tiny_http::StatusCode(code).default_reason_phrase(),
                    reply.len(),
                );
                let mut writer = request.into_writer();
                let _ = writer.write_all(head.as_bytes());
                let _ = writer.flush();
            }
        });
        Hook { port, mode, seen }
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// `incident/kind/level` of each reminder the webhook accepted, in arrival order.
    fn delivered(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter(|s| s.answered.is_some_and(|c| (200..300).contains(&c)))
            .map(|s| key(&s.body))
            .collect()
    }

    /// A `[[notify]]` entry for this webhook: generic JSON, 1 s timeout.
    fn notify(&self, name: &str) -> String {
        format!(
            "[[notify]]\nname = \"{name}\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{}/hook\"\nformat = \"json\"\ntimeout = \"1s\"\n",
            self.port
        )
    }
}

/// `incident/kind/level` of a reminder as JSON (webhook body or `--json` line).
fn key(v: &Value) -> String {
    format!(
        "{}/{}/{}",
        v["incident"]["number"],
        v["kind"].as_str().unwrap_or("?"),
        v["level"].as_str().unwrap_or("?")
    )
}

/// A command channel appending each message it gets on stdin to `file`.
fn mailbox(name: &str, file: &Path) -> String {
    format!(
        "[[notify]]\nname = \"{name}\"\nkind = \"command\"\nrun = [\"sh\", \"-c\", \"cat >> '{}'\"]\ntimeout = \"5s\"\n",
        file.display()
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

const BREACHED: &str = "[P1] incident 1 \"Data collection stopped\" (OPEN, commander alice): response OVERDUE by 5m (was due 2026-11-29 09:55). Next: incident ack 1\n";

#[test]
fn every_channel_gets_each_due_reminder_once_however_often_remind_runs() {
    let mut env = Env::new();
    let hook = Hook::start();
    let inbox = env.home().join("inbox");
    env.write_config(&(hook.notify("hook") + &mailbox("mail", &inbox)));
    env.run(&["open", "P1", "Data collection stopped", "--at", "-20m"])
        .ok();

    let first = env.run(&["remind"]);
    assert_eq!((first.code, first.stderr.as_str()), (2, ""), "breached");
    // The approaching reminder was superseded by the breach: only the breach goes out.
    assert_eq!(first.stdout, BREACHED);
    assert_eq!(hook.delivered(), ["1/respond/breached"]);
    assert_eq!(
        hook.requests()[0].body["text"].as_str().unwrap(),
        BREACHED.trim_end()
    );
    assert_eq!(read(&inbox), BREACHED, "the command got it on stdin");

    for _ in 0..3 {
        let again = env.run(&["remind"]);
        assert_eq!(
            (again.code, again.stdout.as_str(), again.stderr.as_str()),
            (2, "", "")
        );
    }
    assert_eq!(hook.requests().len(), 1);
    assert_eq!(read(&inbox), BREACHED);
    let show = env.json(&["show", "1", "--json"]);
    let sla: Vec<&Value> = show["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "sla")
        .collect();
    assert_eq!(sla.len(), 1, "the breach is in the timeline once");
    assert_eq!(
        sla[0]["text"],
        "response deadline 2026-11-29 09:55 breached"
    );

    // 15 minutes after the deadline the P1 repeat is due, once.
    env.at("2026-11-29T10:10:00Z");
    let repeat = env.run(&["remind"]);
    assert_eq!(repeat.code, 2);
    assert!(
        repeat
            .stdout
            .contains("(was due 2026-11-29 09:55; still overdue)")
    );
    assert_eq!(env.run(&["remind"]).stdout, "");
    assert_eq!(
        hook.delivered(),
        ["1/respond/breached", "1/respond/repeat-1"]
    );
    assert_eq!(read(&inbox).lines().count(), 2);

    // Acknowledged: the response clock stopped, nothing is breached and nothing is due.
    env.run(&["ack", "1"]).ok();
    let calm = env.run(&["remind"]);
    assert_eq!(
        (calm.code, calm.stdout.as_str(), calm.stderr.as_str()),
        (0, "", "")
    );
}

#[test]
fn a_webhook_that_fails_then_hangs_gets_the_reminder_once_after_it_recovers() {
    let env = Env::new();
    let hook = Hook::start();
    env.write_config(&hook.notify("hook"));
    env.run(&["open", "P1", "Data collection stopped", "--at", "-20m"])
        .ok();

    hook.set(Mode::Status(500));
    let failed = env.run(&["remind"]);
    assert_eq!(failed.code, 2);
    assert_eq!(failed.stdout, BREACHED, "stdout is a channel of its own");
    assert_eq!(
        failed.stderr,
        "warning: notify channel hook: answered 500 Internal Server Error: ok; 1 reminder not sent, tried again on the next run\n"
    );

    hook.set(Mode::Hang);
    let started = Instant::now();
    let hung = env.run(&["remind"]);
    let took = started.elapsed();
    assert_eq!((hung.code, hung.stdout.as_str()), (2, ""));
    assert_eq!(
        hung.stderr,
        "warning: notify channel hook: no answer within 1.0s; 1 reminder not sent, tried again on the next run\n"
    );
    // The 1 s answer timeout, not a hang (generous above it: 2 busy cores).
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(20),
        "{took:?}"
    );

    hook.set(Mode::Status(200));
    let recovered = env.run(&["remind"]);
    assert_eq!(
        (
            recovered.code,
            recovered.stdout.as_str(),
            recovered.stderr.as_str()
        ),
        (2, "", "")
    );
    let after = env.run(&["remind"]);
    assert_eq!((after.stdout.as_str(), after.stderr.as_str()), ("", ""));

    let seen = hook.requests();
    let answers: Vec<Option<u16>> = seen.iter().map(|s| s.answered).collect();
    assert_eq!(answers, [Some(500), None, Some(200)]);
    assert!(
        seen.iter().all(|s| s.body == seen[0].body),
        "the same reminder each time"
    );
    assert_eq!(hook.delivered(), ["1/respond/breached"]);
}

/// A webhook that accepted the reminder but answered after the client's timeout gets it again
/// on the next run (at least once): with the same delivery id in both headers and the body,
/// which it drops the second copy by. A command channel gets the same kind of id in its
/// environment, and another reminder gets another id.
#[test]
fn a_retried_reminder_carries_the_same_delivery_id_so_the_receiver_can_drop_it() {
    let env = Env::new();
    let hook = Hook::start();
    let ids = env.home().join("ids");
    let command = format!(
        "[[notify]]\nname = \"pager_cli-2\"\nkind = \"command\"\nrun = [\"sh\", \"-c\", \"echo \\\"$INCIDENT_DELIVERY_ID\\\" >> '{}'\"]\ntimeout = \"5s\"\n",
        ids.display()
    );
    env.write_config(&format!("{}{command}", hook.notify("hook")));
    env.run(&["open", "P1", "Data collection stopped", "--at", "-20m"])
        .ok();

    hook.set(Mode::Hang);
    let late = env.run(&["remind"]);
    assert!(
        late.stderr.contains("no answer within 1.0s"),
        "{}",
        late.stderr
    );
    hook.set(Mode::Status(200));
    env.run(&["open", "P1", "Checkout 5xx on api_gw-2", "--at", "-20m"])
        .ok();
    let retried = env.run(&["remind"]);
    assert_eq!(retried.stderr, "");

    let seen = hook.requests();
    let keys: Vec<String> = seen.iter().map(|s| key(&s.body)).collect();
    assert_eq!(
        keys,
        [
            "1/respond/breached",
            "1/respond/breached",
            "2/respond/breached"
        ]
    );
    let id = |s: &Seen| {
        let body = s.body["delivery_id"].as_str().map(String::from);
        assert_eq!(
            s.delivery.0, body,
            "Idempotency-Key is the body's delivery_id"
        );
        assert_eq!(
            s.delivery.1, body,
            "X-Incident-Delivery is the body's delivery_id"
        );
        body.expect("a delivery_id")
    };
    let (first, retry, other) = (id(&seen[0]), id(&seen[1]), id(&seen[2]));
    assert_eq!(
        first, retry,
        "the retry carries the id the late answer left unconfirmed"
    );
    assert_ne!(first, other, "another reminder, another id");
    assert_eq!(first.len(), 36, "a UUID: {first}");

    let commands: Vec<String> = read(&ids).lines().map(String::from).collect();
    assert_eq!(
        commands.len(),
        2,
        "each reminder once to the command: {commands:?}"
    );
    assert!(commands.iter().all(|c| c.len() == 36), "{commands:?}");
    assert_ne!(commands[0], commands[1]);
    assert!(
        !commands.contains(&first),
        "each channel's delivery has its own id"
    );
}

#[test]
fn a_4xx_is_a_configuration_error_and_one_bad_channel_does_not_stop_the_others() {
    let env = Env::new();
    let (bad, good) = (Hook::start(), Hook::start());
    bad.set(Mode::Status(404));
    // A port nobody listens on: bound, then let go.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = format!(
        "[[notify]]\nname = \"dead\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{dead}/hook\"\ntimeout = \"1s\"\n"
    );
    env.write_config(&(bad.notify("bad") + &refused + &good.notify("good")));
    env.run(&["open", "P1", "Data collection stopped", "--at", "-20m"])
        .ok();

    for _ in 0..2 {
        let run = env.run(&["remind"]);
        assert_eq!(run.code, 2);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{}", run.stderr);
        assert_eq!(
            lines[0],
            "error: notify channel bad: answered 404 Not Found: no_such_hook: a configuration error, check its url in the config; 1 reminder not sent, tried again on the next run"
        );
        assert!(
            lines[1].starts_with("warning: notify channel dead: ")
                && lines[1].ends_with("; 1 reminder not sent, tried again on the next run"),
            "{}",
            lines[1]
        );
    }
    assert_eq!(bad.requests().len(), 2, "not recorded: tried on each run");
    assert_eq!(good.delivered(), ["1/respond/breached"]);

    bad.set(Mode::Status(200));
    env.run(&["remind"]);
    env.run(&["remind"]);
    assert_eq!(bad.delivered(), ["1/respond/breached"]);
    assert_eq!(good.delivered(), ["1/respond/breached"]);
}

#[test]
fn two_runs_started_together_deliver_each_reminder_once() {
    let mut env = Env::new();
    let hook = Hook::start();
    let inbox = env.home().join("inbox");
    env.write_config(&(hook.notify("hook") + &mailbox("mail", &inbox)));
    let mut printed = Vec::new();
    for round in 0..6 {
        // Each round a new incident found late, and the earlier ones' repeats come due.
        env.at(&format!("2026-11-29T10:{:02}:00Z", round * 8));
        env.run(&["open", "P1", &format!("round {round}"), "--at", "-20m"])
            .ok();
        let spawn = || {
            env.command(&["remind", "--json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(2));
            assert_eq!(String::from_utf8_lossy(&out.stderr), "");
            for line in String::from_utf8(out.stdout).unwrap().lines() {
                printed.push(key(&serde_json::from_str(line).unwrap()));
            }
        }
    }
    let mut delivered = hook.delivered();
    let arrived = delivered.len();
    delivered.sort();
    delivered.dedup();
    assert_eq!(delivered.len(), arrived, "no reminder twice: {delivered:?}");
    assert!(arrived >= 10, "{delivered:?}");
    printed.sort();
    assert_eq!(
        printed, delivered,
        "stdout, across both processes, once each"
    );
    assert_eq!(read(&inbox).lines().count(), arrived);
}

#[test]
fn dry_run_shows_what_is_due_and_delivers_and_records_nothing() {
    let env = Env::new();
    let hook = Hook::start();
    let inbox = env.home().join("inbox");
    env.write_config(&(hook.notify("hook") + &mailbox("mail", &inbox)));
    env.run(&["open", "P1", "Data collection stopped", "--at", "-20m"])
        .ok();
    let before = env.db_bytes(&env.db());

    let dry = env.run(&["remind", "--dry-run"]);
    assert_eq!((dry.code, dry.stdout.as_str()), (2, BREACHED));
    assert_eq!(
        dry.stderr,
        "dry run at 2026-11-29 10:00: 1 reminder to deliver, 1 clock past its deadline; nothing was sent or recorded\n"
    );
    let json = env.run(&["remind", "--dry-run", "--json"]);
    let v: Value = serde_json::from_str(json.stdout.trim()).unwrap();
    assert_eq!(key(&v), "1/respond/breached");
    assert_eq!(v["channels"], serde_json::json!(["stdout", "hook", "mail"]));
    assert_eq!(v["next"], "incident ack 1");
    // Later, in a dry run only: the fix deadline (10:40) has passed too.
    let later = env.run(&["remind", "--dry-run", "--at", "+1h"]);
    assert!(
        later.stdout.contains("fix OVERDUE by 20m"),
        "{}",
        later.stdout
    );
    let future = env.run(&["remind", "--at", "+1h"]);
    assert!(future.err().contains("is in the future"));

    assert_eq!(env.db_bytes(&env.db()), before, "nothing recorded");
    assert!(hook.requests().is_empty());
    assert!(!inbox.exists());

    env.run(&["remind"]);
    assert_eq!(hook.delivered(), ["1/respond/breached"]);
    let nothing = env.run(&["remind", "--dry-run"]);
    assert_eq!(nothing.stdout, "");
    assert!(
        nothing
            .stderr
            .contains(": 0 reminders to deliver, 1 clock past")
    );
}

/// What the responders did at `hhmm` on the simulated day, before that step's `remind`.
fn responders_act(env: &Env, hhmm: &str) {
    match hhmm {
        "09:00" => {
            env.run(&["open", "P1", "Data collection stopped"]).ok();
            env.run(&["open", "P2", "Data collection degraded"]).ok();
        }
        "09:30" => {
            env.run(&["ack", "1"]).ok();
        }
        "11:10" => {
            env.run(&[
                "resolve",
                "1",
                "--root-cause",
                "updater stuck",
                "--resolution",
                "restarted it",
            ])
            .ok();
            env.run(&[
                "action",
                "add",
                "1",
                "Alert on data age",
                "--due",
                "+10h50m",
            ])
            .ok();
        }
        "12:30" => {
            env.run(&["ack", "2"]).ok();
        }
        "15:00" => {
            env.run(&["note", "2", "still degraded; watching the collector"])
                .ok();
        }
        "20:00" => {
            env.run(&[
                "close",
                "1",
                "--prevention",
                "age alert",
                "--lessons",
                "watch it",
            ])
            .ok();
        }
        _ => {}
    }
}

/// Runs `remind` at each step of a day with the pinned clock, doing what the responders did
/// at that time first, and checks the exact sequence the webhook received and each exit code.
#[test]
fn a_simulated_day_sends_approaching_breached_and_repeat_reminders_in_order() {
    let mut env = Env::new();
    let hook = Hook::start();
    // A 4 h post-mortem window, so that its deadline and one repeat fall within the day.
    env.write_config(&format!(
        "[sla]\npostmortem = \"4h\"\n{}",
        hook.notify("hook")
    ));
    let start = incident::domain::time::from_rfc3339("2026-11-29T09:00:00Z").unwrap();
    let mut at = start;
    let mut sent_at: Vec<(String, String)> = Vec::new();
    let mut codes: Vec<(String, i32)> = Vec::new();
    while at <= start + chrono::Duration::hours(24) {
        let hhmm = at.format("%H:%M").to_string();
        env.at(&incident::domain::time::to_rfc3339(at));
        responders_act(&env, &hhmm);
        let before = hook.delivered().len();
        let run = env.run(&["remind"]);
        assert_eq!(run.stderr, "", "{hhmm}");
        codes.push((hhmm.clone(), run.code));
        for k in &hook.delivered()[before..] {
            sent_at.push((hhmm.clone(), k.clone()));
        }
        at += chrono::Duration::minutes(10);
    }
    let expected = [
        // The response deadline 09:15 passed at the 09:20 check: the breach supersedes the
        // approaching reminder (due 09:11:15).
        ("09:20", "1/respond/breached"),
        ("09:50", "1/resolve/at-0.75"),
        // 10:00 is exactly the fix deadline: on time. Then every 15 minutes from 10:00.
        ("10:10", "1/resolve/breached"),
        ("10:20", "1/resolve/repeat-1"),
        ("10:30", "1/resolve/repeat-2"),
        ("10:50", "1/resolve/repeat-3"),
        ("11:00", "1/resolve/repeat-4"),
        ("12:00", "2/respond/at-0.75"),
        ("14:40", "2/stale/2026-11-29T12:30:00Z"),
        ("15:20", "1/postmortem/overdue"),
        ("17:10", "2/stale/2026-11-29T15:00:00Z"),
        ("19:10", "1/postmortem/repeat-1"),
        ("22:10", "1/action/action-1"),
        ("03:00", "2/resolve/at-0.75"),
    ];
    let got: Vec<(&str, &str)> = sent_at
        .iter()
        .map(|(t, k)| (t.as_str(), k.as_str()))
        .collect();
    assert_eq!(got, expected);
    let breached: Vec<&str> = codes
        .iter()
        .filter(|(_, c)| *c == 2)
        .map(|(t, _)| t.as_str())
        .collect();
    assert_eq!(
        breached,
        [
            "09:20", "10:10", "10:20", "10:30", "10:40", "10:50", "11:00", "15:20", "15:30",
            "15:40", "15:50", "16:00", "16:10", "16:20", "16:30", "16:40", "16:50", "17:00",
            "17:10", "17:20", "17:30", "17:40", "17:50", "18:00", "18:10", "18:20", "18:30",
            "18:40", "18:50", "19:00", "19:10", "19:20", "19:30", "19:40", "19:50"
        ]
    );
    assert!(codes.iter().all(|(_, c)| *c == 0 || *c == 2));
    // The last check is exactly at P2's fix deadline (09:00 next day): on time, exit 0.
    assert_eq!(codes.last().unwrap(), &("09:00".to_string(), 0));
}

/// `incident remind --watch --interval INTERVAL`, running, and the lines it prints, read on
/// threads: (is stderr, line).
fn watch(env: &Env, interval: &str) -> (Child, Receiver<(bool, String)>) {
    let mut child = env
        .command(&["remind", "--watch", "--interval", interval])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = channel();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    for (is_err, stream) in [
        (false, Box::new(out) as Box<dyn Read + Send>),
        (true, Box::new(err)),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { return };
                if tx.send((is_err, line)).is_err() {
                    return;
                }
            }
        });
    }
    (child, rx)
}

/// Waits for a stdout line, collecting the stderr lines on the way.
fn next_stdout(
    rx: &Receiver<(bool, String)>,
    stderr: &mut Vec<String>,
    within: Duration,
) -> String {
    let give_up = Instant::now() + within;
    loop {
        let left = give_up.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((false, line)) => return line,
            Ok((true, line)) => stderr.push(line),
            Err(_) => panic!("no stdout line within {within:?}; stderr: {stderr:?}"),
        }
    }
}

/// Sends SIGTERM with `kill` and returns how long the child took to exit, and its exit code.
fn terminate(child: &mut Child) -> (Duration, Option<i32>) {
    let sent = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (sent.elapsed(), status.code());
        }
        assert!(sent.elapsed() < Duration::from_secs(20), "still running");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn watch_stops_on_sigterm_without_waiting_out_its_interval() {
    let env = Env::new();
    env.run(&["open", "P1", "Data collection stopped", "--at", "-20m"])
        .ok();
    let (mut child, rx) = watch(&env, "5m");
    let mut stderr = Vec::new();
    let line = next_stdout(&rx, &mut stderr, Duration::from_secs(30));
    assert_eq!(format!("{line}\n"), BREACHED);
    let (took, code) = terminate(&mut child);
    assert_eq!(code, Some(0));
    // Far less than the 5-minute interval it was sleeping through.
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn watch_keeps_checking_while_another_process_holds_the_write_lock() {
    let env = Env::new();
    env.run(&["open", "P1", "Data collection stopped", "--at", "-20m"])
        .ok();
    let (mut child, rx) = watch(&env, "200ms");
    let mut stderr = Vec::new();
    next_stdout(&rx, &mut stderr, Duration::from_secs(30));
    // The line is printed before the delivery is marked sent; marking waits out a held lock
    // (a claim left 'sending' would go out twice), so wait until every claim is marked.
    let db = env.db();
    wait_until("the deliveries are marked sent", || {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row(
            "SELECT count(*) FILTER (WHERE state = 'sent'),
                    count(*) FILTER (WHERE state = 'sending')
             FROM deliveries",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )
        .is_ok_and(|(sent, sending)| sent > 0 && sending == 0)
    });

    let holder = rusqlite::Connection::open(env.db()).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    // Held until a check has run into it and said so.
    let until = Instant::now() + Duration::from_secs(30);
    while !stderr.iter().any(|l| l.contains("locked")) {
        let left = until.saturating_duration_since(Instant::now());
        let (is_err, line) = rx.recv_timeout(left).expect("a check reports the lock");
        assert!(is_err, "nothing delivered while locked: {line}");
        stderr.push(line);
    }
    assert!(child.try_wait().unwrap().is_none(), "still watching");
    holder.execute_batch("COMMIT").unwrap();
    drop(holder);
    while let Ok((is_err, line)) = rx.try_recv() {
        assert!(is_err, "nothing delivered while locked: {line}");
        stderr.push(line);
    }
    let locked: Vec<&String> = stderr.iter().filter(|l| l.contains("locked")).collect();
    assert!(!locked.is_empty(), "{stderr:?}");
    assert!(
        locked.iter().all(|l| l.starts_with("error: the database ")
            && l.ends_with("is locked by another process; trying again at the next check")),
        "{locked:?}"
    );

    // Once the lock is gone the next check delivers what came due.
    env.run(&["open", "P1", "Redis down", "--at", "-20m"]).ok();
    let line = next_stdout(&rx, &mut stderr, Duration::from_secs(30));
    assert!(line.starts_with("[P1] incident 2 \"Redis down\""), "{line}");
    let (_, code) = terminate(&mut child);
    assert_eq!(code, Some(0));
}
