//! One namespace as the guide's first look shows it: pods, cronjobs, jobs and warning events.
//!
//! Its data is [`NamespaceData`]. The item is `ok` when the pods came back; a list that did not
//! is `null`, and says why in `errors`. `waiting_reason` falls back to an init container's when
//! the regular containers only wait for init (`PodInitializing`), since that is the one that is
//! stuck. `events` are warnings only, newest first, at most [`MAX_EVENTS`].

use super::{Cx, Failure, rfc3339};
use crate::evidence::data::{CronJobData, EventData, JobData, NamespaceData, PodData};
use crate::evidence::snapshot::Item;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ContainerStatus, Event, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{OwnerReference, Time};
use kube::Api;
use kube::api::ListParams;

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
    let pods_failure = pods.as_ref().err().cloned();
    let pods = pods.map(|list| list.items.iter().map(pod).collect());
    let pods = section(cx, &mut errors, "pods", pods);
    let cronjobs = cronjobs.map(|list| list.items.iter().map(cronjob).collect());
    let cronjobs = section(cx, &mut errors, "cronjobs", cronjobs);
    let jobs = jobs.map(|list| list.items.iter().map(job).collect());
    let jobs = section(cx, &mut errors, "jobs", jobs);
    let events = events.map(|list| warning_events(&list.items));
    let events = section(cx, &mut errors, "events", events);
    let nothing_came_back = errors.len() == 4;
    let data = NamespaceData {
        namespace: namespace.to_string(),
        pods,
        cronjobs,
        jobs,
        events,
        errors,
    };

    let duration_ms = cx.elapsed_ms();
    let Some(failure) = pods_failure else {
        return Item::collected(namespace, duration_ms, &data, String::new());
    };
    let mut item = match failure {
        Failure::Timeout => Item::timeout("kubernetes", namespace, duration_ms),
        Failure::Error(message) => Item::failed("kubernetes", namespace, duration_ms, message),
    };
    // What did come back is still evidence (events while pods are forbidden, say).
    if !nothing_came_back {
        item.data = crate::evidence::data::stored(&data);
    }
    item
}

/// A list that came back, or `None` with why it did not in `errors`.
fn section<T>(
    cx: &Cx,
    errors: &mut Vec<String>,
    what: &str,
    result: Result<Vec<T>, Failure>,
) -> Option<Vec<T>> {
    match result {
        Ok(values) => Some(values),
        Err(failure) => {
            errors.push(format!("{what}: {}", cx.message(&failure)));
            None
        }
    }
}

fn pod(pod: &Pod) -> PodData {
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
    PodData {
        name: pod.metadata.name.clone(),
        phase: status.and_then(|s| s.phase.clone()),
        ready,
        ready_containers: Some(statuses.iter().filter(|c| c.ready).count() as u64),
        containers: Some(spec.map_or(statuses.len(), |s| s.containers.len()) as u64),
        restarts: Some(restarts),
        waiting_reason: waiting_reason(statuses, init_statuses),
        last_termination_reason: last_termination_reason(statuses),
        started_at: time(status.and_then(|s| s.start_time.as_ref())),
        node: spec.and_then(|s| s.node_name.clone()),
        owner: owner(pod.metadata.owner_references.as_deref()),
    }
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

fn cronjob(cronjob: &CronJob) -> CronJobData {
    let spec = cronjob.spec.as_ref();
    let status = cronjob.status.as_ref();
    CronJobData {
        name: cronjob.metadata.name.clone(),
        schedule: spec.map(|s| s.schedule.clone()),
        time_zone: spec.and_then(|s| s.time_zone.clone()),
        suspended: Some(spec.and_then(|s| s.suspend).unwrap_or(false)),
        last_schedule: time(status.and_then(|s| s.last_schedule_time.as_ref())),
        last_successful: time(status.and_then(|s| s.last_successful_time.as_ref())),
        active: Some(status.and_then(|s| s.active.as_ref()).map_or(0, Vec::len) as u64),
    }
}

fn job(job: &Job) -> JobData {
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
    let count = |n: Option<i32>| Some(i64::from(n.unwrap_or(0)));
    JobData {
        name: job.metadata.name.clone(),
        cronjob,
        succeeded: count(status.and_then(|s| s.succeeded)),
        failed: count(status.and_then(|s| s.failed)),
        active: count(status.and_then(|s| s.active)),
        started_at: time(status.and_then(|s| s.start_time.as_ref())),
        completed_at: time(status.and_then(|s| s.completion_time.as_ref())),
        failed_reason: failed_reason.flatten(),
    }
}

/// Warnings only (the field selector asks for them; a server that ignores it is filtered here
/// too), newest first, at most [`MAX_EVENTS`].
fn warning_events(events: &[Event]) -> Vec<EventData> {
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
            EventData {
                kind: e.type_.clone(),
                reason: e.reason.clone(),
                object: Some(format!(
                    "{}/{}",
                    object.kind.as_deref().unwrap_or("?"),
                    object.name.as_deref().unwrap_or("?")
                )),
                message: e.message.clone(),
                count: Some(i64::from(count)),
                last_seen: seen.and_then(rfc3339),
            }
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
