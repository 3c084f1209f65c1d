//! Handing a reminder to a channel: an HTTP POST to a webhook, or a command fed the message on
//! stdin, each under the channel's timeout. The outcome says whether to record it as sent,
//! retry it on the next run, or report the channel as misconfigured.

use crate::domain::remind::{Channel, ChannelKind};
use crate::domain::time::human_millis;
use crate::report::reminder::Message;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How one delivery went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Worth retrying: connection refused, timeout, HTTP 5xx, 408 or 429, a command failing.
    Failed(String),
    /// Retrying will not help until the config changes: any other 3xx or 4xx, a bad url, a
    /// command that cannot be started, a `${VAR}` that is not set.
    Misconfigured(String),
}

/// One channel, ready to deliver many reminders (a webhook keeps one HTTP agent).
pub struct Sender<'a> {
    channel: &'a Channel,
    agent: Option<ureq::Agent>,
}

impl<'a> Sender<'a> {
    pub fn new(channel: &'a Channel) -> Sender<'a> {
        let agent = match channel.kind {
            ChannelKind::Webhook { .. } => Some(agent(channel.timeout)),
            ChannelKind::Command { .. } => None,
        };
        Sender { channel, agent }
    }

    /// Delivers `message`. `delivery` is its stable id, the same on every retry (and on every
    /// working copy): webhooks get it as the `Idempotency-Key` and `X-Incident-Delivery`
    /// headers (and `delivery_id` in the JSON body), commands as `INCIDENT_DELIVERY_ID`, so a
    /// receiver can drop a reminder it already has.
    pub fn send(&self, message: &Message, delivery: &str) -> Outcome {
        let env = |k: &str| std::env::var(k).ok();
        match (&self.channel.kind, &self.agent) {
            (ChannelKind::Webhook { url, format }, Some(agent)) => {
                match crate::domain::env::expand_env(url, &env) {
                    Ok((url, _)) => {
                        let body = message.webhook_body(*format, delivery);
                        post(agent, &url, &body, delivery, self.channel.timeout)
                    }
                    Err(var) => Outcome::Misconfigured(unset(&var, "url")),
                }
            }
            (ChannelKind::Command { run }, _) => {
                let mut argv = Vec::with_capacity(run.len());
                for arg in run {
                    match crate::domain::env::expand_env(arg, &env) {
                        Ok((arg, _)) => argv.push(arg),
                        Err(var) => return Outcome::Misconfigured(unset(&var, "run")),
                    }
                }
                command(&argv, &message.text, delivery, self.channel.timeout)
            }
            (ChannelKind::Webhook { .. }, None) => {
                Outcome::Misconfigured("no HTTP client was built for it".into())
            }
        }
    }
}

fn unset(var: &str, key: &str) -> String {
    format!("the environment variable {var} is not set (its {key} refers to ${{{var}}})")
}

/// An HTTP agent bounded by `timeout` as a whole and in each phase, that reports every status
/// as a response (the caller tells 4xx from 5xx) and follows no redirect: a POST redirected
/// would arrive as a GET, so a moved webhook is a configuration error.
fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .timeout_connect(Some(timeout))
        .timeout_recv_response(Some(timeout))
        .timeout_recv_body(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(concat!("incident/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

fn post(agent: &ureq::Agent, url: &str, body: &str, delivery: &str, timeout: Duration) -> Outcome {
    // The url is never quoted in an outcome: a Slack webhook's url is its secret.
    match agent
        .post(url)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", delivery)
        .header("X-Incident-Delivery", delivery)
        .send(body)
    {
        Ok(mut response) => {
            let status = response.status();
            if status.is_success() {
                return Outcome::Sent;
            }
            let mut said = String::new();
            let _ = response
                .body_mut()
                .as_reader()
                .take(200)
                .read_to_string(&mut said);
            let said = said.lines().next().unwrap_or("").trim();
            let answer = if said.is_empty() {
                format!("answered {status}")
            } else {
                format!("answered {status}: {said}")
            };
            let transient = status.is_server_error()
                || status == ureq::http::StatusCode::REQUEST_TIMEOUT
                || status == ureq::http::StatusCode::TOO_MANY_REQUESTS;
            if transient {
                Outcome::Failed(answer)
            } else {
                Outcome::Misconfigured(answer)
            }
        }
        Err(ureq::Error::Timeout(_)) => Outcome::Failed(format!(
            "no answer within {}",
            human_millis(timeout.as_millis() as u64)
        )),
        Err(ureq::Error::BadUri(_) | ureq::Error::Http(_)) => {
            Outcome::Misconfigured("its url is not a valid http(s) URL".into())
        }
        Err(ureq::Error::Io(e)) => Outcome::Failed(crate::domain::text::io_message(&e)),
        Err(ureq::Error::ConnectionFailed) => Outcome::Failed("cannot connect".into()),
        Err(ureq::Error::HostNotFound) => Outcome::Failed("host not found".into()),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// How often a running command is checked for having exited.
const POLL: Duration = Duration::from_millis(10);

/// Runs `argv` in its own process group with the message on stdin; kills the group when it
/// outlives `timeout`. Its stdout is dropped (ours carries the reminders); its stderr is ours.
fn command(argv: &[String], text: &str, delivery: &str, timeout: Duration) -> Outcome {
    let Some((program, args)) = argv.split_first() else {
        return Outcome::Misconfigured("run is empty".into());
    };
    let started = Instant::now();
    let mut child = match Command::new(program)
        .args(args)
        .env("INCIDENT_DELIVERY_ID", delivery)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .process_group(0)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            return Outcome::Misconfigured(format!(
                "cannot run '{program}': {}",
                crate::domain::text::io_message(&e)
            ));
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        let text = format!("{text}\n");
        // Written from a thread of its own: a command that never reads would block the write
        // once the pipe is full, and the timeout must still hold. A command that exits without
        // reading is no failure of the write.
        std::thread::spawn(move || {
            let _ = stdin.write_all(text.as_bytes());
        });
    }
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Outcome::Sent,
            Ok(Some(status)) => return Outcome::Failed(format!("'{program}' {status}")),
            Ok(None) if started.elapsed() < timeout => std::thread::sleep(POLL),
            Ok(None) => {
                // process_group(0) made the child the leader of a group whose id is its pid.
                if let Ok(pid) = i32::try_from(child.id()) {
                    let _ = nix::sys::signal::killpg(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
                let _ = child.wait();
                return Outcome::Failed(format!(
                    "'{program}' still running after {}; killed it",
                    human_millis(timeout.as_millis() as u64)
                ));
            }
            Err(e) => {
                return Outcome::Failed(format!(
                    "cannot wait for '{program}': {}",
                    crate::domain::text::io_message(&e)
                ));
            }
        }
    }
}

/// Whether a channel can be reached now, without delivering anything (`incident doctor`): a
/// webhook's host takes a TCP connection within the channel's timeout; a command's program
/// exists and may be run. How long it took, or why not.
pub fn reach(channel: &Channel) -> Result<Duration, String> {
    let env = |k: &str| std::env::var(k).ok();
    let started = Instant::now();
    match &channel.kind {
        ChannelKind::Webhook { url, .. } => {
            let (url, _) =
                crate::domain::env::expand_env(url, &env).map_err(|var| unset(&var, "url"))?;
            let (host, port) = host_and_port(&url)
                .ok_or_else(|| "its url has no http:// or https:// host".to_string())?;
            let addr = std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
                .map_err(|e| format!("cannot resolve {host}: {e}"))?
                .next()
                .ok_or_else(|| format!("{host} has no address"))?;
            std::net::TcpStream::connect_timeout(&addr, channel.timeout).map_err(|e| {
                if e.kind() == std::io::ErrorKind::TimedOut {
                    format!(
                        "{host}:{port} did not answer within {}",
                        human_millis(channel.timeout.as_millis() as u64)
                    )
                } else {
                    format!("cannot connect to {host}:{port}: {e}")
                }
            })?;
        }
        ChannelKind::Command { run } => {
            let program = run.first().ok_or_else(|| "its run is empty".to_string())?;
            let (program, _) =
                crate::domain::env::expand_env(program, &env).map_err(|var| unset(&var, "run"))?;
            if !runnable(&program) {
                return Err(format!("cannot find the program '{program}' to run"));
            }
        }
    }
    Ok(started.elapsed())
}

/// The host and port of an http(s) url (the scheme's port when it names none).
fn host_and_port(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let default = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = match authority.strip_prefix('[') {
        // [::1]:8080
        Some(v6) => {
            let (host, after) = v6.split_once(']')?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => default,
    };
    (!host.is_empty()).then(|| (host.to_string(), port))
}

/// Whether `program` names an executable file: as a path, or found on PATH.
fn runnable(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &std::path::Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        return executable(std::path::Path::new(program));
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| executable(&dir.join(program))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::remind::WebhookFormat;

    fn channel(run: &[&str], timeout_ms: u64) -> Channel {
        Channel {
            name: "command-1".into(),
            kind: ChannelKind::Command {
                run: run.iter().map(|s| s.to_string()).collect(),
            },
            timeout: Duration::from_millis(timeout_ms),
        }
    }

    fn message(text: &str) -> Message {
        Message {
            text: text.into(),
            context: serde_json::json!({}),
            card: None,
        }
    }

    #[test]
    fn a_command_gets_the_message_on_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("got");
        let script = format!(
            "{{ echo \"$INCIDENT_DELIVERY_ID\"; cat; }} > '{}'",
            file.display()
        );
        let c = channel(&["sh", "-c", &script], 5_000);
        assert_eq!(
            Sender::new(&c).send(&message("hello"), "0b9e-delivery_1"),
            Outcome::Sent
        );
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "0b9e-delivery_1\nhello\n"
        );
    }

    #[test]
    fn a_failing_hung_or_missing_command_is_reported() {
        let failing = channel(&["sh", "-c", "exit 3"], 5_000);
        assert!(matches!(
            Sender::new(&failing).send(&message("x"), "d"),
            Outcome::Failed(m) if m.contains("exit status: 3")
        ));
        let hung = channel(&["sh", "-c", "sleep 30"], 200);
        let started = Instant::now();
        let outcome = Sender::new(&hung).send(&message("x"), "d");
        assert!(
            matches!(&outcome, Outcome::Failed(m) if m.contains("still running after 200ms")),
            "{outcome:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        let missing = channel(&["/nonexistent/notify"], 1_000);
        assert!(matches!(
            Sender::new(&missing).send(&message("x"), "d"),
            Outcome::Misconfigured(m) if m.contains("cannot run '/nonexistent/notify'")
        ));
    }

    #[test]
    fn a_refused_connection_is_worth_retrying() {
        // Port 9 (discard) on loopback has no listener on a test machine.
        let c = Channel {
            name: "webhook-1".into(),
            kind: ChannelKind::Webhook {
                url: "http://127.0.0.1:9/hook".into(),
                format: WebhookFormat::Slack,
            },
            timeout: Duration::from_secs(2),
        };
        assert!(matches!(
            Sender::new(&c).send(&message("x"), "d"),
            Outcome::Failed(_)
        ));
    }

    #[test]
    fn a_webhook_url_gives_its_host_and_port() {
        let cases = [
            (
                "https://hooks.slack.com/services/T0/B1/x_y-z",
                Some(("hooks.slack.com", 443)),
            ),
            ("http://10.0.3.7:8080/hook?a=1", Some(("10.0.3.7", 8080))),
            (
                "http://user:p%40ss@alerts.internal:9000",
                Some(("alerts.internal", 9000)),
            ),
            ("http://[::1]:8443/x", Some(("::1", 8443))),
            ("HTTP://Example.com", Some(("Example.com", 80))),
            ("ftp://example.com/", None),
            ("http://:80/", None),
            ("http://host:99999/", None),
            ("no scheme", None),
        ];
        for (url, want) in cases {
            let got = host_and_port(url);
            assert_eq!(got.as_ref().map(|(h, p)| (h.as_str(), *p)), want, "{url}");
        }
    }
}
