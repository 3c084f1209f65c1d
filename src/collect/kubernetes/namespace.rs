//! One namespace as the guide's first look shows it: pods, cronjobs, jobs and warning events.
//!
//! `data` of a `kubernetes` item:
//!
//! ```json
//! {"namespace": "prod",
//!  "pods": [{"name", "phase", "ready", "ready_containers", "containers", "restarts",
//!            "waiting_reason", "last_termination_reason", "started_at", "node", "owner"}],
//!  "cronjobs": [{"name", "schedule", "time_zone", "suspended", "last_schedule",
//!                "last_successful", "active"}],
//!  "jobs": [{"name", "cronjob", "succeeded", "failed", "active", "started_at",
//!            "completed_at", "failed_reason"}],
//!  "events": [{"type", "reason", "object", "message", "count", "last_seen"}],
//!  "errors": ["cronjobs: forbidden: …"]}
//! ```
//!
//! The item is `ok` when the pods came back; a list that did not is `null`, and says why in
//! `errors`. `waiting_reason` falls back to an init container's when the regular containers
//! only wait for init (`PodInitializing`), since that is the one that is stuck. `events` are
//! warnings only, newest first, at most [`MAX_EVENTS`].

use super::{Cx, Failure, rfc3339};
use crate::evidence::snapshot::Item;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ContainerStatus, Event, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{OwnerReference, Time};
use kube::Api;
use kube::api::ListParams;
use serde_json::{Value, json};

pub(super) const MAX_EVENTS: usize = 50;

pub(super) async fn collect(cx: &Cx, namespace: &str) -> Item {
    let pods: Api<Pod> = Api::namespaced(cx.client.clone(), namespace);
    let cronjobs: Api<CronJob> = Api::namespaced(cx.client.clone(), namespace);
    let jobs: Api<Job> = Api::namespaced(cx.client.clone(), namespace);
    let events: Api<Event> = Api::namespaced(cx.client.clone(), namespace);
    let all = ListParams::default();
    let warnings = ListParams::default().fields("type=Warning");
    let (pods, cronjobs, jobs, events) = tokio::join!(
        cx.call(pods.list(&all)),
        cx.call(cronjobs.list(&all)),
        cx.call(jobs.list(&all)),
        cx.call(events.list(&warnings)),
    );

    let mut errors = Vec::new();
    let mut section = |what: &str, result: Result<Vec<Value>, Failure>| match result {
        Ok(values) => Value::Array(values),
        Err(failure) => {
            errors.push(format!("{what}: {}", cx.message(&failure)));
            Value::Null
        }
    };
    let pods_failure = pods.as_ref().err().cloned();
    let pods_json = section(
        "pods",
        pods.map(|list| list.items.iter().map(pod).collect()),
    );
    let cronjobs_json = section(
        "cronjobs",
        cronjobs.map(|list| list.items.iter().map(cronjob).collect()),
    );
    let jobs_json = section(
        "jobs",
        jobs.map(|list| list.items.iter().map(job).collect()),
    );
    let events_json = section("events", events.map(|list| warning_events(&list.items)));
    let nothing_came_back = errors.len() == 4;
    let data = json!({
        "namespace": namespace,
        "pods": pods_json,
        "cronjobs": cronjobs_json,
        "jobs": jobs_json,
        "events": events_json,
        "errors": errors,
    });

    let duration_ms = cx.elapsed_ms();
    let Some(failure) = pods_failure else {
        return Item::ok("kubernetes", namespace, duration_ms, data, String::new());
    };
    let mut item = match failure {
        Failure::Timeout => Item::timeout("kubernetes", namespace, duration_ms),
        Failure::Error(message) => Item::failed("kubernetes", namespace, duration_ms, message),
    };
    // What did come back is still evidence (events while pods are forbidden, say).
    if !nothing_came_back {
        item.data = data;
    }
    item
}

fn pod(pod: &Pod) -> Value {
    let status = pod.status.as_ref();
    let spec = pod.spec.as_ref();
    let statuses: &[ContainerStatus] = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default();
    let init_statuses: &[ContainerStatus] = status
        .and_then(|s| s.init_container_statuses.as_deref())
        .unwrap_or_default();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
        });
    let restarts: i64 = statuses.iter().map(|c| i64::from(c.restart_count)).sum();
    json!({
        "name": pod.metadata.name,
        "phase": status.and_then(|s| s.phase.clone()),
        "ready": ready,
        "ready_containers": statuses.iter().filter(|c| c.ready).count(),
        "containers": spec.map_or(statuses.len(), |s| s.containers.len()),
        "restarts": restarts,
        "waiting_reason": waiting_reason(statuses, init_statuses),
        "last_termination_reason": last_termination_reason(statuses),
        "started_at": time(status.and_then(|s| s.start_time.as_ref())),
        "node": spec.and_then(|s| s.node_name.clone()),
        "owner": owner(pod.metadata.owner_references.as_deref()),
    })
}

fn waiting_reason(
    statuses: &[ContainerStatus],
    init_statuses: &[ContainerStatus],
) -> Option<String> {
    let first_waiting = |statuses: &[ContainerStatus]| {
        statuses
            .iter()
            .find_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone())
    };
    match first_waiting(statuses) {
        Some(reason) if reason != "PodInitializing" => Some(reason),
        regular => first_waiting(init_statuses).or(regular),
    }
}

/// Why a container last died: the previous run's end (OOMKilled, Error), else the current
/// run's (a failed Job's pod never restarts).
fn last_termination_reason(statuses: &[ContainerStatus]) -> Option<String> {
    let reason = |state: Option<&k8s_openapi::api::core::v1::ContainerState>| {
        let terminated = state?.terminated.as_ref()?;
        Some(
            terminated
                .reason
                .clone()
                .unwrap_or_else(|| format!("exit code {}", terminated.exit_code)),
        )
    };
    statuses
        .iter()
        .find_map(|c| reason(c.last_state.as_ref()))
        .or_else(|| statuses.iter().find_map(|c| reason(c.state.as_ref())))
}

/// `ReplicaSet/materialized-updater-7f9`: the controller if one is marked, else the first owner.
fn owner(owners: Option<&[OwnerReference]>) -> Option<String> {
    let owners = owners?;
    let owner = owners
        .iter()
        .find(|o| o.controller == Some(true))
        .or_else(|| owners.first())?;
    Some(format!("{}/{}", owner.kind, owner.name))
}

fn cronjob(cronjob: &CronJob) -> Value {
    let spec = cronjob.spec.as_ref();
    let status = cronjob.status.as_ref();
    json!({
        "name": cronjob.metadata.name,
        "schedule": spec.map(|s| s.schedule.clone()),
        "time_zone": spec.and_then(|s| s.time_zone.clone()),
        "suspended": spec.and_then(|s| s.suspend).unwrap_or(false),
        "last_schedule": time(status.and_then(|s| s.last_schedule_time.as_ref())),
        "last_successful": time(status.and_then(|s| s.last_successful_time.as_ref())),
        "active": status.and_then(|s| s.active.as_ref()).map_or(0, Vec::len),
    })
}

fn job(job: &Job) -> Value {
    let status = job.status.as_ref();
    let cronjob = job
        .metadata
        .owner_references
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|o| o.kind == "CronJob")
        .map(|o| o.name.clone());
    let failed_reason = status
        .and_then(|s| s.conditions.as_ref())
        .and_then(|conditions| {
            conditions
                .iter()
                .find(|c| c.type_ == "Failed" && c.status == "True")
        })
        .map(|c| c.reason.clone());
    json!({
        "name": job.metadata.name,
        "cronjob": cronjob,
        "succeeded": status.and_then(|s| s.succeeded).unwrap_or(0),
        "failed": status.and_then(|s| s.failed).unwrap_or(0),
        "active": status.and_then(|s| s.active).unwrap_or(0),
        "started_at": time(status.and_then(|s| s.start_time.as_ref())),
        "completed_at": time(status.and_then(|s| s.completion_time.as_ref())),
        "failed_reason": failed_reason.flatten(),
    })
}

/// Warnings only (the field selector asks for them; a server that ignores it is filtered here
/// too), newest first, at most [`MAX_EVENTS`].
fn warning_events(events: &[Event]) -> Vec<Value> {
    let mut warnings: Vec<(Option<k8s_openapi::jiff::Timestamp>, &Event)> = events
        .iter()
        .filter(|e| e.type_.as_deref() == Some("Warning"))
        .map(|e| (last_seen(e), e))
        .collect();
    warnings.sort_by_key(|(seen, _)| std::cmp::Reverse(*seen));
    warnings
        .into_iter()
        .take(MAX_EVENTS)
        .map(|(seen, e)| {
            let object = &e.involved_object;
            // Events written through events.k8s.io keep their count in `series`.
            let count = e
                .series
                .as_ref()
                .and_then(|s| s.count)
                .max(e.count)
                .unwrap_or(1);
            json!({
                "type": e.type_,
                "reason": e.reason,
                "object": format!(
                    "{}/{}",
                    object.kind.as_deref().unwrap_or("?"),
                    object.name.as_deref().unwrap_or("?")
                ),
                "message": e.message,
                "count": count,
                "last_seen": seen.and_then(rfc3339),
            })
        })
        .collect()
}

/// The latest of the times an event carries: which ones are set depends on the API version
/// and the component that wrote it.
fn last_seen(event: &Event) -> Option<k8s_openapi::jiff::Timestamp> {
    let observed = event
        .series
        .as_ref()
        .and_then(|s| s.last_observed_time.as_ref())
        .map(|t| t.0);
    [
        observed,
        event.last_timestamp.as_ref().map(|t| t.0),
        event.event_time.as_ref().map(|t| t.0),
        event.first_timestamp.as_ref().map(|t| t.0),
    ]
    .into_iter()
    .flatten()
    .max()
    .or_else(|| event.metadata.creation_timestamp.as_ref().map(|t| t.0))
}

fn time(time: Option<&Time>) -> Option<String> {
    time.and_then(|t| rfc3339(t.0))
}
