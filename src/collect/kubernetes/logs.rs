//! Log tails: the pods of a label selector (or one pod by name), like `kubectl logs --tail`.
//!
//! Its data is [`LogsData`], one [`LogData`] per log asked for. `raw` is the text, each part
//! headed `==> POD/CONTAINER <==` (` (previous)` for the last run of a restarted container), as
//! `tail` heads files. A restarted container's previous run comes before its current one: that
//! is the order they ran in, and in a CrashLoopBackOff the previous run is the one that says
//! why. The item is `ok` when any log came back.

use super::{Cx, Failure};
use crate::evidence::data::{LogData, LogsData};
use crate::evidence::redact::OVERLAP;
use crate::evidence::settings::LogSource;
use crate::evidence::snapshot::Item;
use futures::AsyncReadExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ListParams, LogParams};

/// The item's name: the selector, else `pod/NAME`.
pub(super) fn source_name(source: &LogSource) -> String {
    match (&source.selector, &source.pod) {
        (Some(selector), _) => selector.clone(),
        (None, Some(pod)) => format!("pod/{pod}"),
        (None, None) => "(no selector or pod)".to_string(),
    }
}

/// One log to ask for.
struct Fetch {
    pod: String,
    /// `None` when the pod has no containers to name (a malformed object).
    container: Option<String>,
    previous: bool,
}

pub(super) async fn collect(cx: &Cx, source: &LogSource) -> Item {
    let name = source_name(source);
    let api: Api<Pod> = Api::namespaced(cx.client.clone(), &source.namespace);
    let pods = match (&source.selector, &source.pod) {
        (Some(selector), _) => cx
            .call(api.list(&ListParams::default().labels(selector)))
            .await
            .map(|list| newest(list.items, source.max_pods)),
        (None, Some(pod)) => cx.call(api.get(pod)).await.map(|pod| vec![pod]),
        (None, None) => {
            return Item::failed(
                "logs",
                &name,
                cx.elapsed_ms(),
                "a log source needs a selector or a pod",
            );
        }
    };
    let pods = match pods {
        Ok(pods) => pods,
        Err(Failure::Timeout) => return Item::timeout("logs", &name, cx.elapsed_ms()),
        Err(Failure::Error(message)) => {
            return Item::failed("logs", &name, cx.elapsed_ms(), message);
        }
    };

    let fetches: Vec<Fetch> = pods.iter().flat_map(|pod| plan(pod, source)).collect();
    let results =
        futures::future::join_all(fetches.iter().map(|fetch| read(cx, &api, fetch, source))).await;

    let mut raw = String::new();
    let mut entries = Vec::with_capacity(fetches.len());
    let mut failures = Vec::new();
    for (fetch, result) in fetches.iter().zip(results) {
        let container = fetch.container.as_deref().unwrap_or_default();
        match result {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                if !raw.is_empty() {
                    raw.push('\n');
                }
                let previous = if fetch.previous { " (previous)" } else { "" };
                raw.push_str(&format!("==> {}/{container}{previous} <==\n", fetch.pod));
                raw.push_str(&text);
                // limit_bytes may cut mid-line; the next header still starts a line.
                if !text.is_empty() && !text.ends_with('\n') {
                    raw.push('\n');
                }
                entries.push(entry(fetch, text.lines().count(), bytes.len(), None));
            }
            Err(failure) => {
                entries.push(entry(fetch, 0, 0, Some(cx.message(&failure))));
                failures.push(failure);
            }
        }
    }

    let data = LogsData {
        namespace: source.namespace.clone(),
        selector: source.selector.clone(),
        pod: source.pod.clone(),
        pods: entries,
    };
    let duration_ms = cx.elapsed_ms();
    if failures.len() < fetches.len() {
        return Item::collected(&name, duration_ms, &data, raw);
    }
    let mut item = if fetches.is_empty() {
        let what = source.selector.as_deref().unwrap_or_default();
        Item::failed(
            "logs",
            &name,
            duration_ms,
            format!("no pods match {what} in namespace {}", source.namespace),
        )
    } else if let Some(message) = failures.iter().find_map(|f| match f {
        Failure::Error(message) => Some(message.clone()),
        Failure::Timeout => None,
    }) {
        Item::failed("logs", &name, duration_ms, message)
    } else {
        Item::timeout("logs", &name, duration_ms)
    };
    item.data = crate::evidence::data::stored(&data);
    item
}

/// The newest `max` pods: a rollout's new pods are the ones still failing.
fn newest(mut pods: Vec<Pod>, max: usize) -> Vec<Pod> {
    pods.sort_by(|a, b| {
        let created = |p: &Pod| p.metadata.creation_timestamp.as_ref().map(|t| t.0);
        created(b).cmp(&created(a))
    });
    pods.truncate(max);
    pods
}

/// The configured container (else the pod's first; a multi-container pod answers 400 without
/// one), and its previous run too when it restarted (asking for it otherwise answers 400).
fn plan(pod: &Pod, source: &LogSource) -> Vec<Fetch> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let container = source.container.clone().or_else(|| {
        pod.spec
            .as_ref()?
            .containers
            .first()
            .map(|c| c.name.clone())
    });
    let restarts = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|statuses| {
            statuses
                .iter()
                .find(|c| Some(&c.name) == container.as_ref())
        })
        .map_or(0, |c| c.restart_count);
    let current = Fetch {
        pod: name.clone(),
        container: container.clone(),
        previous: false,
    };
    if restarts > 0 {
        let previous = Fetch {
            pod: name,
            container,
            previous: true,
        };
        vec![previous, current]
    } else {
        vec![current]
    }
}

async fn read(
    cx: &Cx,
    api: &Api<Pod>,
    fetch: &Fetch,
    source: &LogSource,
) -> Result<Vec<u8>, Failure> {
    let Some(container) = fetch.container.clone() else {
        return Err(Failure::Error("the pod has no containers".to_string()));
    };
    let limit_bytes = (source.limit_bytes > 0).then_some(source.limit_bytes);
    // OVERLAP bytes more than the limit, for redaction to see a secret across it whole; the
    // tail is cut at the limit after it is redacted.
    let overlap = OVERLAP as i64;
    let params = LogParams {
        container: Some(container),
        previous: fetch.previous,
        tail_lines: (source.tail >= 0).then_some(source.tail),
        limit_bytes: limit_bytes.map(|n| n.saturating_add(overlap)),
        ..LogParams::default()
    };
    cx.call(async {
        // The stream, not `Api::logs`: that refuses the whole log when limit_bytes cut a
        // UTF-8 character in two, and this keeps a server that ignores the limit in check.
        let stream = api.log_stream(&fetch.pod, &params).await?;
        let mut bytes = Vec::new();
        stream
            .take(limit_bytes.map_or(u64::MAX, |n| n.saturating_add(overlap).unsigned_abs()))
            .read_to_end(&mut bytes)
            .await
            .map_err(kube::Error::ReadEvents)?;
        Ok(match limit_bytes {
            Some(n) => {
                let cap = usize::try_from(n).unwrap_or(usize::MAX);
                cx.redactor.redact_capped(&bytes, cap).0
            }
            None => bytes,
        })
    })
    .await
}

fn entry(fetch: &Fetch, lines: usize, bytes: usize, error: Option<String>) -> LogData {
    LogData {
        pod: fetch.pod.clone(),
        container: fetch.container.clone(),
        previous: fetch.previous,
        lines: lines as u64,
        bytes: bytes as u64,
        error,
    }
}
