//! The Kubernetes collector (kube-rs): pods, cronjobs, jobs, warning events and log tails.
//!
//! One `kubernetes` item per namespace ([`namespace`]; its data is
//! [`NamespaceData`](crate::evidence::data::NamespaceData)) and one `logs` item per log source
//! ([`logs`]; [`LogsData`](crate::evidence::data::LogsData)). Warning events come from core/v1
//! `events`, the API `kubectl get events` reads, with `count` and `lastTimestamp` as the
//! responder knows them.
//!
//! Everything runs under one deadline, `settings.timeout` from the start of [`collect`]: the
//! client is built against it, every API call is cut at it, and an item's `duration_ms` counts
//! from the start, because building the client is part of every item's wait.

mod logs;
mod namespace;

use crate::evidence::redact::Redactor;
use crate::evidence::settings::KubeSettings;
use crate::evidence::snapshot::Item;
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::{Client, Config};
use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

/// Collects every configured namespace and log source. Never takes longer than
/// `settings.timeout`; failures and timeouts are items, never errors. Log tails cut at their
/// `limit_bytes` are redacted by the rules alone before the cut.
pub async fn collect(settings: &KubeSettings) -> Vec<Item> {
    collect_redacted(settings, &Redactor::default()).await
}

/// `collect`, a log tail cut at its `limit_bytes` redacted by `redactor` before the cut: a
/// secret the cut falls in is replaced whole, not kept in part (the snapshot redacts the items
/// again).
pub async fn collect_redacted(settings: &KubeSettings, redactor: &Redactor) -> Vec<Item> {
    if settings.namespaces.is_empty() && settings.logs.is_empty() {
        return Vec::new();
    }
    let started = Instant::now();
    let deadline = super::deadline_after(tokio::time::Instant::now(), settings.timeout);
    let built = tokio::time::timeout_at(deadline, connect(settings)).await;
    let (client, server) = match built {
        Ok(Ok(built)) => built,
        // Building the client reads the kubeconfig and talks to nothing: a failure here is
        // the config's (an unreadable file, a context it does not have), not the cluster's.
        Ok(Err(error)) => {
            return every_item(settings, |collector, name| Item {
                duration_ms: elapsed_ms(started),
                ..Item::misconfigured(collector, name, error.clone())
            });
        }
        Err(_) => {
            return every_item(settings, |collector, name| {
                Item::timeout(collector, name, elapsed_ms(started))
            });
        }
    };
    let cx = Cx {
        client,
        server,
        deadline,
        timeout: settings.timeout,
        started,
        redactor: redactor.clone(),
    };
    let namespaces = futures::future::join_all(
        settings
            .namespaces
            .iter()
            .map(|ns| namespace::collect(&cx, ns)),
    );
    let logs = futures::future::join_all(
        settings
            .logs
            .iter()
            .map(|source| logs::collect(&cx, source)),
    );
    let (mut items, log_items) = futures::join!(namespaces, logs);
    items.extend(log_items);
    items
}

/// The same outcome for every item, when there is no client to ask with.
fn every_item(settings: &KubeSettings, make: impl Fn(&str, &str) -> Item) -> Vec<Item> {
    let namespaces = settings.namespaces.iter().map(|ns| make("kubernetes", ns));
    let logs = settings
        .logs
        .iter()
        .map(|source| make("logs", &logs::source_name(source)));
    namespaces.chain(logs).collect()
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// What every API call of one `collect` shares.
struct Cx {
    client: Client,
    /// The API server's URL, for errors that are about reaching it.
    server: String,
    deadline: tokio::time::Instant,
    timeout: Duration,
    started: Instant,
    /// Redacts a log tail before it is cut to its limit.
    redactor: Redactor,
}

/// Why one API call gave nothing.
#[derive(Debug, Clone)]
enum Failure {
    Timeout,
    Error(String),
}

impl Cx {
    /// Runs one API call, cut at the deadline whatever the client's own timeouts do.
    async fn call<T>(
        &self,
        call: impl Future<Output = Result<T, kube::Error>>,
    ) -> Result<T, Failure> {
        match tokio::time::timeout_at(self.deadline, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(describe(&error, &self.server)),
            Err(_) => Err(Failure::Timeout),
        }
    }

    fn message(&self, failure: &Failure) -> String {
        match failure {
            Failure::Timeout => format!(
                "timed out after {}",
                crate::domain::time::human_millis(
                    u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX)
                )
            ),
            Failure::Error(message) => message.clone(),
        }
    }

    fn elapsed_ms(&self) -> u64 {
        elapsed_ms(self.started)
    }
}

/// Builds the client off the async workers, because exec credential plugins (`aws eks
/// get-token`, `gke-gcloud-auth-plugin`) run synchronously while it is built and may hang.
///
/// A plain thread rather than `spawn_blocking`: a runtime waits for its blocking tasks when it
/// shuts down, so a hung plugin would keep the CLI from exiting long after this gave up on it.
/// The thread enters the runtime because the client spawns its buffer task while it is built.
async fn connect(settings: &KubeSettings) -> Result<(Client, String), String> {
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| "the Kubernetes collector needs a Tokio runtime".to_string())?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let kubeconfig = settings.kubeconfig.clone();
    let context = settings.context.clone();
    let timeout = settings.timeout;
    std::thread::Builder::new()
        .name("kube-client".to_string())
        .spawn(move || {
            let _entered = runtime.enter();
            // The receiver is gone when the deadline passed first; nobody wants the client then.
            let _ = tx.send(build_client(kubeconfig.as_deref(), context, timeout));
        })
        .map_err(|e| format!("cannot start a thread for the Kubernetes client: {e}"))?;
    rx.await
        .map_err(|_| "building the Kubernetes client crashed".to_string())?
}

fn build_client(
    kubeconfig: Option<&Path>,
    context: Option<String>,
    timeout: Duration,
) -> Result<(Client, String), String> {
    let mut config = load_config(kubeconfig, context)?;
    // kube's defaults suit controllers, not a snapshot taken mid-outage: no read timeout,
    // a 30 s connect timeout, and retries with backoff on 429/503/504.
    config.connect_timeout = Some(timeout);
    config.read_timeout = Some(timeout);
    config.write_timeout = Some(timeout);
    config.reset_reader_on_write = true;
    config.default_retry = false;
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let client = Client::try_from(config).map_err(|e| match describe(&e, &server) {
        Failure::Error(message) => message,
        Failure::Timeout => format!("timed out building the client ({server})"),
    })?;
    Ok((client, server))
}

/// The kubeconfig (the given file, else $KUBECONFIG or ~/.kube/config), else in-cluster.
fn load_config(path: Option<&Path>, context: Option<String>) -> Result<Config, String> {
    let kubeconfig = match path {
        Some(path) => Kubeconfig::read_from(path).map_err(|e| kubeconfig_error(&e))?,
        None => match Kubeconfig::read() {
            Ok(kubeconfig) => kubeconfig,
            // A named context only exists in a kubeconfig: no point trying in-cluster then.
            Err(e) if context.is_none() && kubeconfig_missing(&e) => {
                return Config::incluster().map_err(|_| {
                    format!(
                        "no kubeconfig ({}) and not running in a cluster",
                        kubeconfig_error(&e)
                    )
                });
            }
            Err(e) => return Err(kubeconfig_error(&e)),
        },
    };
    let options = KubeConfigOptions {
        context,
        ..KubeConfigOptions::default()
    };
    // Async in signature only: it reads nothing and awaits nothing.
    futures::executor::block_on(Config::from_custom_kubeconfig(kubeconfig, &options))
        .map_err(|e| kubeconfig_error(&e))
}

fn kubeconfig_missing(error: &KubeconfigError) -> bool {
    match error {
        KubeconfigError::FindPath => true,
        KubeconfigError::ReadConfig(io, _) => io.kind() == std::io::ErrorKind::NotFound,
        _ => false,
    }
}

fn kubeconfig_error(error: &KubeconfigError) -> String {
    match error {
        KubeconfigError::ReadConfig(io, path) => {
            format!("cannot read kubeconfig {}: {io}", path.display())
        }
        KubeconfigError::FindPath => "no home directory to find ~/.kube/config in".to_string(),
        KubeconfigError::LoadContext(name) => format!("kubeconfig has no context '{name}'"),
        KubeconfigError::CurrentContextNotSet => {
            "kubeconfig has no current-context; name a context in the config".to_string()
        }
        other => format!("kubeconfig: {other}"),
    }
}

/// A short, human reading of a kube error: what a responder needs, not a Debug dump.
fn describe(error: &kube::Error, server: &str) -> Failure {
    match error {
        kube::Error::Api(status) => Failure::Error(describe_status(status)),
        kube::Error::SerdeError(e) => {
            Failure::Error(format!("the API server answered with malformed JSON: {e}"))
        }
        kube::Error::FromUtf8(_) => {
            Failure::Error("the API server answered with text that is not UTF-8".to_string())
        }
        kube::Error::Auth(e) => Failure::Error(describe_auth(e)),
        kube::Error::ProxyProtocolDisabled { proxy_url, .. }
        | kube::Error::ProxyProtocolUnsupported { proxy_url } => Failure::Error(format!(
            "a proxy is configured ({proxy_url}, from the kubeconfig or HTTPS_PROXY) and this build cannot use it"
        )),
        other => describe_transport(other, server),
    }
}

/// Connection-level errors: the io error at the bottom of the chain says what happened.
fn describe_transport(error: &kube::Error, server: &str) -> Failure {
    let mut innermost: &dyn std::error::Error = error;
    let mut current: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind;
            let what = match io.kind() {
                ErrorKind::TimedOut => return Failure::Timeout,
                ErrorKind::ConnectionRefused => "connection refused",
                ErrorKind::ConnectionReset => "connection reset by the API server",
                ErrorKind::ConnectionAborted => "connection aborted",
                ErrorKind::UnexpectedEof => "the API server closed the connection",
                _ => "",
            };
            if !what.is_empty() {
                return Failure::Error(format!("{what} ({server})"));
            }
        }
        innermost = e;
        current = e.source();
    }
    Failure::Error(format!("{innermost} ({server})"))
}

/// `Status` bodies say why in `reason` (Forbidden, NotFound, …) and `message`.
fn describe_status(status: &kube::core::Status) -> String {
    // kube makes a Status of an error body that is not one (a proxy's HTML page, plain text).
    if status.reason == "Failed to parse error data" {
        return format!(
            "the API server answered HTTP {}: {}",
            status.code,
            snippet(&status.message, 200)
        );
    }
    let reason = words(&status.reason);
    let message = snippet(&status.message, 500);
    match (reason.is_empty(), message.is_empty()) {
        (true, true) => format!("the API server answered HTTP {}", status.code),
        (true, false) => format!("HTTP {}: {message}", status.code),
        (false, true) => reason,
        (false, false)
            if message.eq_ignore_ascii_case(&reason)
                || message.eq_ignore_ascii_case(&status.reason) =>
        {
            reason
        }
        (false, false) => format!("{reason}: {message}"),
    }
}

fn describe_auth(error: &kube::client::AuthError) -> String {
    use kube::client::AuthError;
    match error {
        AuthError::AuthExecRun { cmd, out } => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            format!(
                "credential plugin '{cmd}' failed ({}): {}",
                out.status,
                snippet(&stderr, 300)
            )
        }
        AuthError::AuthExecStart(io) => {
            format!("cannot run the kubeconfig's credential plugin: {io}")
        }
        other => format!("authentication: {other}"),
    }
}

/// `NotFound` → `not found`.
fn words(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len() + 4);
    for (i, c) in reason.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Whitespace collapsed (HTML pages span many lines), cut at `max` characters.
fn snippet(text: &str, max: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &collapsed[..cut]),
        None => collapsed,
    }
}

/// RFC 3339 UTC, whole seconds; kube hands out `jiff` timestamps, the crate speaks chrono.
fn rfc3339(timestamp: k8s_openapi::jiff::Timestamp) -> Option<String> {
    chrono::DateTime::from_timestamp(timestamp.as_second(), 0).map(crate::domain::time::to_rfc3339)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_reasons_read_as_words() {
        let forbidden =
            kube::core::Status::failure("pods is forbidden: User \"x\" cannot list", "Forbidden")
                .with_code(403);
        assert_eq!(
            describe_status(&forbidden),
            "forbidden: pods is forbidden: User \"x\" cannot list"
        );
        let unauthorized =
            kube::core::Status::failure("Unauthorized", "Unauthorized").with_code(401);
        assert_eq!(describe_status(&unauthorized), "unauthorized");
        let html = kube::core::Status::failure(
            "<html>\n <body>Bad   Gateway</body></html>",
            "Failed to parse error data",
        )
        .with_code(502);
        assert_eq!(
            describe_status(&html),
            "the API server answered HTTP 502: <html> <body>Bad Gateway</body></html>"
        );
    }

    #[test]
    fn snippets_cut_on_character_boundaries() {
        assert_eq!(snippet("ééé", 2), "éé…");
        assert_eq!(snippet("a\n b", 10), "a b");
    }
}
