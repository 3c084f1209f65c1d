//! The Kubernetes collector against stand-in API servers on 127.0.0.1: a faithful one serving
//! k8s-openapi objects, one that never answers, one that answers garbage, and nobody at all.

use crate::common::kube::{Reply, Seen, TOKEN, json_reply, kubeconfig, list, serve, status};
use incident::collect::kubernetes::collect;
use incident::evidence::settings::{KubeSettings, LogSource};
use incident::evidence::snapshot::{Item, ItemStatus};
use k8s_openapi::api::batch::v1::{
    CronJob, CronJobSpec, CronJobStatus, Job, JobCondition, JobStatus,
};
use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateTerminated, ContainerStateWaiting, ContainerStatus,
    Event, EventSeries, ObjectReference, Pod, PodCondition, PodSpec, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference, Time};
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

fn settings(
    kubeconfig: &Path,
    namespaces: &[&str],
    logs: Vec<LogSource>,
    timeout: Duration,
) -> KubeSettings {
    KubeSettings {
        context: None,
        kubeconfig: Some(kubeconfig.to_path_buf()),
        namespaces: namespaces.iter().map(|s| s.to_string()).collect(),
        logs,
        timeout,
    }
}

fn selector_source(namespace: &str, selector: &str) -> LogSource {
    LogSource {
        namespace: namespace.to_string(),
        selector: Some(selector.to_string()),
        pod: None,
        container: None,
        tail: 50,
        max_pods: 2,
        limit_bytes: 65_536,
    }
}

/// Whole seconds since the epoch when the test started, so fixtures and expectations agree.
struct Clock(i64);

impl Clock {
    fn now() -> Clock {
        Clock(chrono::Utc::now().timestamp())
    }

    fn ago(&self, seconds: i64) -> Time {
        Time(Timestamp::from_second(self.0 - seconds).unwrap())
    }

    fn micro_ago(&self, seconds: i64) -> MicroTime {
        MicroTime(Timestamp::from_second(self.0 - seconds).unwrap())
    }

    fn rfc3339_ago(&self, seconds: i64) -> String {
        incident::domain::time::to_rfc3339(
            chrono::DateTime::from_timestamp(self.0 - seconds, 0).unwrap(),
        )
    }
}

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

fn meta(name: &str, created: Time) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some("prod".to_string()),
        creation_timestamp: Some(created),
        ..Default::default()
    }
}

fn controller(kind: &str, name: &str) -> Vec<OwnerReference> {
    vec![OwnerReference {
        api_version: "apps/v1".to_string(),
        kind: kind.to_string(),
        name: name.to_string(),
        uid: "0000".to_string(),
        controller: Some(true),
        ..Default::default()
    }]
}

fn container(name: &str) -> Container {
    Container {
        name: name.to_string(),
        image: Some(format!("registry.local/{name}:1")),
        ..Default::default()
    }
}

fn running(name: &str, ready: bool, restarts: i32) -> ContainerStatus {
    ContainerStatus {
        name: name.to_string(),
        image: format!("registry.local/{name}:1"),
        image_id: String::new(),
        ready,
        restart_count: restarts,
        ..Default::default()
    }
}

fn ready_condition(ready: bool) -> Vec<PodCondition> {
    vec![PodCondition {
        type_: "Ready".to_string(),
        status: if ready { "True" } else { "False" }.to_string(),
        ..Default::default()
    }]
}

fn updater_pod(
    clock: &Clock,
    name: &str,
    created: i64,
    statuses: Vec<ContainerStatus>,
    ready: bool,
) -> Pod {
    let mut metadata = meta(name, clock.ago(created));
    metadata.labels = Some(BTreeMap::from([("app".to_string(), "updater".to_string())]));
    metadata.owner_references = Some(controller("ReplicaSet", "materialized-updater-7f9"));
    Pod {
        metadata,
        spec: Some(PodSpec {
            containers: vec![container("main"), container("proxy")],
            node_name: Some("node-a".to_string()),
            ..Default::default()
        }),
        status: Some(PodStatus {
            phase: Some("Running".to_string()),
            conditions: Some(ready_condition(ready)),
            container_statuses: Some(statuses),
            start_time: Some(clock.ago(created)),
            ..Default::default()
        }),
    }
}

/// The pods of `prod`: newest first they are crash, ok, old; and a pending one elsewhere.
fn prod_pods(clock: &Clock) -> Vec<Pod> {
    let mut crashing = running("main", false, 7);
    crashing.state = Some(ContainerState {
        waiting: Some(ContainerStateWaiting {
            reason: Some("CrashLoopBackOff".to_string()),
            message: Some("back-off 5m0s restarting failed container".to_string()),
        }),
        ..Default::default()
    });
    crashing.last_state = Some(ContainerState {
        terminated: Some(ContainerStateTerminated {
            exit_code: 1,
            reason: Some("Error".to_string()),
            ..Default::default()
        }),
        ..Default::default()
    });
    let crash = updater_pod(
        clock,
        "materialized-updater-7f9-crash",
        HOUR,
        vec![crashing, running("proxy", true, 0)],
        false,
    );
    let ok = updater_pod(
        clock,
        "materialized-updater-7f9-ok",
        2 * HOUR,
        vec![running("main", true, 0), running("proxy", true, 0)],
        true,
    );
    let old = updater_pod(
        clock,
        "materialized-updater-7f9-old",
        3 * DAY,
        vec![running("main", true, 0), running("proxy", true, 0)],
        true,
    );
    let pending = Pod {
        metadata: meta("api-5c4-pending", clock.ago(600)),
        spec: Some(PodSpec {
            containers: vec![container("api")],
            ..Default::default()
        }),
        status: Some(PodStatus {
            phase: Some("Pending".to_string()),
            conditions: Some(vec![PodCondition {
                type_: "PodScheduled".to_string(),
                status: "False".to_string(),
                reason: Some("Unschedulable".to_string()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
    };
    // Name order, as the API server lists them.
    vec![pending, crash, ok, old]
}

fn prod_cronjobs(clock: &Clock) -> Vec<CronJob> {
    vec![CronJob {
        metadata: meta("materialized-refresh", clock.ago(30 * DAY)),
        spec: Some(CronJobSpec {
            schedule: "*/15 * * * *".to_string(),
            time_zone: Some("Etc/UTC".to_string()),
            suspend: Some(false),
            ..Default::default()
        }),
        status: Some(CronJobStatus {
            last_schedule_time: Some(clock.ago(5 * DAY)),
            last_successful_time: Some(clock.ago(6 * DAY)),
            active: None,
        }),
    }]
}

fn prod_jobs(clock: &Clock) -> Vec<Job> {
    let mut metadata = meta("materialized-refresh-29001", clock.ago(5 * DAY));
    metadata.owner_references = Some(vec![OwnerReference {
        api_version: "batch/v1".to_string(),
        kind: "CronJob".to_string(),
        name: "materialized-refresh".to_string(),
        uid: "0001".to_string(),
        controller: Some(true),
        ..Default::default()
    }]);
    vec![Job {
        metadata,
        spec: None,
        status: Some(JobStatus {
            failed: Some(6),
            start_time: Some(clock.ago(5 * DAY)),
            conditions: Some(vec![JobCondition {
                type_: "Failed".to_string(),
                status: "True".to_string(),
                reason: Some("BackoffLimitExceeded".to_string()),
                message: Some("Job has reached the specified backoff limit".to_string()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
    }]
}

fn event(name: &str, type_: &str, reason: &str, kind: &str, object: &str, message: &str) -> Event {
    Event {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some("prod".to_string()),
            ..Default::default()
        },
        type_: Some(type_.to_string()),
        reason: Some(reason.to_string()),
        involved_object: ObjectReference {
            kind: Some(kind.to_string()),
            name: Some(object.to_string()),
            ..Default::default()
        },
        message: Some(message.to_string()),
        ..Default::default()
    }
}

/// An older warning counted in `series` (as events.k8s.io writers do), a normal event the
/// collector must drop (the stand-in ignores the field selector), and a recent warning.
fn prod_events(clock: &Clock) -> Vec<Event> {
    let mut scheduling = event(
        "api.1",
        "Warning",
        "FailedScheduling",
        "Pod",
        "api-5c4-pending",
        "0/3 nodes are available: 3 Insufficient memory.",
    );
    scheduling.event_time = Some(clock.micro_ago(600));
    scheduling.series = Some(EventSeries {
        count: Some(3),
        last_observed_time: Some(clock.micro_ago(120)),
    });
    let mut pulled = event(
        "updater.1",
        "Normal",
        "Pulled",
        "Pod",
        "materialized-updater-7f9-ok",
        "image pulled",
    );
    pulled.last_timestamp = Some(clock.ago(30));
    let mut backoff = event(
        "updater.2",
        "Warning",
        "BackOff",
        "Pod",
        "materialized-updater-7f9-crash",
        "Back-off restarting failed container main",
    );
    backoff.count = Some(42);
    backoff.first_timestamp = Some(clock.ago(HOUR));
    backoff.last_timestamp = Some(clock.ago(60));
    vec![scheduling, pulled, backoff]
}

fn faithful_route(clock: Clock) -> impl Fn(&Seen) -> Reply + Send + 'static {
    move |seen| {
        let selector = seen.query.get("labelSelector").map(String::as_str);
        match seen.path.as_str() {
            "/api/v1/namespaces/prod/pods" => {
                let pods = prod_pods(&clock);
                match selector {
                    Some("app=updater") => list(
                        pods.into_iter()
                            .filter(|p| {
                                p.metadata
                                    .name
                                    .as_deref()
                                    .unwrap()
                                    .starts_with("materialized-updater")
                            })
                            .collect(),
                    ),
                    None => list(pods),
                    Some(other) => panic!("unexpected selector {other}"),
                }
            }
            "/apis/batch/v1/namespaces/prod/cronjobs" => list(prod_cronjobs(&clock)),
            "/apis/batch/v1/namespaces/prod/jobs" => list(prod_jobs(&clock)),
            "/api/v1/namespaces/prod/events" => list(prod_events(&clock)),
            "/api/v1/namespaces/prod/pods/materialized-updater-7f9-crash/log" => {
                let text = if seen.query.contains_key("previous") {
                    "starting updater\npanic: connection refused (postgres:5432)\n"
                } else {
                    "starting updater\n"
                };
                Reply {
                    status: 200,
                    content_type: "text/plain",
                    body: text.to_string(),
                }
            }
            "/api/v1/namespaces/prod/pods/materialized-updater-7f9-ok/log" => Reply {
                status: 200,
                content_type: "text/plain",
                // No newline at the end, as when limitBytes cuts a line.
                body: "tick 1\ntick 2".to_string(),
            },
            "/api/v1/namespaces/prod/pods/api-5c4-pending/log" => status(
                400,
                "BadRequest",
                "container \"api\" in pod \"api-5c4-pending\" is waiting to start: ContainerCreating",
            ),
            "/api/v1/namespaces/staging/pods" => list(Vec::<Pod>::new()),
            "/apis/batch/v1/namespaces/staging/cronjobs" => status(
                403,
                "Forbidden",
                "cronjobs.batch is forbidden: User \"oncall\" cannot list resource \"cronjobs\" in API group \"batch\" in the namespace \"staging\"",
            ),
            "/apis/batch/v1/namespaces/staging/jobs" => list(Vec::<Job>::new()),
            "/api/v1/namespaces/staging/events" => list(Vec::<Event>::new()),
            path if path.starts_with("/api/v1/namespaces/prod/pods/")
                && !path.ends_with("/log") =>
            {
                let name = &path["/api/v1/namespaces/prod/pods/".len()..];
                match prod_pods(&clock)
                    .into_iter()
                    .find(|p| p.metadata.name.as_deref() == Some(name))
                {
                    Some(pod) => json_reply(200, serde_json::to_string(&pod).unwrap()),
                    None => status(404, "NotFound", &format!("pods \"{name}\" not found")),
                }
            }
            other => status(
                404,
                "NotFound",
                &format!("the server could not find the requested resource ({other})"),
            ),
        }
    }
}

fn item<'a>(items: &'a [Item], collector: &str, name: &str) -> &'a Item {
    items
        .iter()
        .find(|i| i.collector == collector && i.name == name)
        .unwrap_or_else(|| panic!("no item {collector}/{name} in {items:#?}"))
}

fn by_name<'a>(values: &'a Value, name: &str) -> &'a Value {
    values
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {values}"))
}

#[tokio::test]
async fn a_faithful_server_yields_pods_cronjobs_jobs_events_and_logs() {
    let clock = Clock::now();
    let expected_five_days_ago = clock.rfc3339_ago(5 * DAY);
    let (port, seen) = serve(faithful_route(Clock(clock.0)));
    let dir = tempfile::tempdir().unwrap();
    let settings = faithful_settings(dir.path(), port);

    let items = collect(&settings).await;

    assert_eq!(items.len(), 4, "{items:#?}");
    let prod = item(&items, "kubernetes", "prod");
    assert_eq!(prod.status, ItemStatus::Ok, "{prod:#?}");
    assert_eq!(prod.error, None);
    assert_eq!(prod.raw, "");
    let data = &prod.data;
    assert_eq!(data["namespace"], "prod");
    assert_eq!(data["errors"], json!([]));

    assert_prod_pods(&data["pods"], &clock);
    assert_prod_cronjobs_jobs_and_events(data, &clock, &expected_five_days_ago);
    assert_staging_lists_what_it_may(&items);
    assert_log_items(&items);

    let seen = seen.lock().unwrap().clone();
    assert_every_request_authorized_and_events_filtered(&seen);
    assert_log_requests(&seen);
}

/// Namespaces prod and staging, in the context `standin`; logs of the pods matching
/// `app=updater` and of the one pending pod.
fn faithful_settings(dir: &Path, port: u16) -> KubeSettings {
    let mut settings = settings(
        // The current context points nowhere: the named one must be the one used.
        &kubeconfig(dir, port, "nowhere"),
        &["prod", "staging"],
        vec![
            selector_source("prod", "app=updater"),
            LogSource {
                namespace: "prod".to_string(),
                selector: None,
                pod: Some("api-5c4-pending".to_string()),
                container: Some("api".to_string()),
                tail: 20,
                max_pods: 1,
                limit_bytes: 1_000,
            },
        ],
        Duration::from_secs(5),
    );
    settings.context = Some("standin".to_string());
    settings
}

fn assert_prod_pods(pods: &Value, clock: &Clock) {
    assert_eq!(pods.as_array().unwrap().len(), 4);
    assert_eq!(
        by_name(pods, "materialized-updater-7f9-crash"),
        &json!({
            "name": "materialized-updater-7f9-crash",
            "phase": "Running",
            "ready": false,
            "ready_containers": 1,
            "containers": 2,
            "restarts": 7,
            "waiting_reason": "CrashLoopBackOff",
            "last_termination_reason": "Error",
            "started_at": clock.rfc3339_ago(HOUR),
            "node": "node-a",
            "owner": "ReplicaSet/materialized-updater-7f9",
        })
    );
    let ok = by_name(pods, "materialized-updater-7f9-ok");
    assert_eq!(ok["ready"], true);
    assert_eq!(ok["ready_containers"], 2);
    assert_eq!(ok["restarts"], 0);
    assert_eq!(ok["waiting_reason"], Value::Null);
    assert_eq!(ok["last_termination_reason"], Value::Null);
    assert_eq!(
        by_name(pods, "api-5c4-pending"),
        &json!({
            "name": "api-5c4-pending",
            "phase": "Pending",
            "ready": false,
            "ready_containers": 0,
            "containers": 1,
            "restarts": 0,
            "waiting_reason": null,
            "last_termination_reason": null,
            "started_at": null,
            "node": null,
            "owner": null,
        })
    );
}

fn assert_prod_cronjobs_jobs_and_events(data: &Value, clock: &Clock, expected_five_days_ago: &str) {
    assert_eq!(
        data["cronjobs"],
        json!([{
            "name": "materialized-refresh",
            "schedule": "*/15 * * * *",
            "time_zone": "Etc/UTC",
            "suspended": false,
            "last_schedule": expected_five_days_ago,
            "last_successful": clock.rfc3339_ago(6 * DAY),
            "active": 0,
        }])
    );
    assert_eq!(
        data["jobs"],
        json!([{
            "name": "materialized-refresh-29001",
            "cronjob": "materialized-refresh",
            "succeeded": 0,
            "failed": 6,
            "active": 0,
            "started_at": expected_five_days_ago,
            "completed_at": null,
            "failed_reason": "BackoffLimitExceeded",
        }])
    );
    assert_eq!(
        data["events"],
        json!([
            {
                "type": "Warning",
                "reason": "BackOff",
                "object": "Pod/materialized-updater-7f9-crash",
                "message": "Back-off restarting failed container main",
                "count": 42,
                "last_seen": clock.rfc3339_ago(60),
            },
            {
                "type": "Warning",
                "reason": "FailedScheduling",
                "object": "Pod/api-5c4-pending",
                "message": "0/3 nodes are available: 3 Insufficient memory.",
                "count": 3,
                "last_seen": clock.rfc3339_ago(120),
            },
        ])
    );
}

/// A forbidden list is an error in the item, not a failed item: the pods came back.
fn assert_staging_lists_what_it_may(items: &[Item]) {
    let staging = item(items, "kubernetes", "staging");
    assert_eq!(staging.status, ItemStatus::Ok, "{staging:#?}");
    assert_eq!(staging.data["pods"], json!([]));
    assert_eq!(staging.data["cronjobs"], Value::Null);
    assert_eq!(
        staging.data["errors"],
        json!([
            "cronjobs: forbidden: cronjobs.batch is forbidden: User \"oncall\" cannot list resource \"cronjobs\" in API group \"batch\" in the namespace \"staging\""
        ])
    );
}

fn assert_log_items(items: &[Item]) {
    let logs = item(items, "logs", "app=updater");
    assert_eq!(logs.status, ItemStatus::Ok, "{logs:#?}");
    assert_eq!(
        logs.data,
        json!({
            "namespace": "prod",
            "selector": "app=updater",
            "pod": null,
            "pods": [
                {"pod": "materialized-updater-7f9-crash", "container": "main", "previous": true,
                 "lines": 2, "bytes": 59, "error": null},
                {"pod": "materialized-updater-7f9-crash", "container": "main", "previous": false,
                 "lines": 1, "bytes": 17, "error": null},
                {"pod": "materialized-updater-7f9-ok", "container": "main", "previous": false,
                 "lines": 2, "bytes": 13, "error": null},
            ],
        })
    );
    assert_eq!(
        logs.raw,
        "==> materialized-updater-7f9-crash/main (previous) <==\n\
         starting updater\n\
         panic: connection refused (postgres:5432)\n\
         \n\
         ==> materialized-updater-7f9-crash/main <==\n\
         starting updater\n\
         \n\
         ==> materialized-updater-7f9-ok/main <==\n\
         tick 1\n\
         tick 2\n"
    );

    let pending = item(items, "logs", "pod/api-5c4-pending");
    assert_eq!(pending.status, ItemStatus::Failed, "{pending:#?}");
    let refusal = "bad request: container \"api\" in pod \"api-5c4-pending\" is waiting to start: ContainerCreating";
    assert_eq!(pending.error.as_deref(), Some(refusal));
    assert_eq!(pending.data["pods"][0]["error"], refusal);
    assert_eq!(pending.raw, "");
}

fn assert_every_request_authorized_and_events_filtered(seen: &[Seen]) {
    for request in seen {
        assert_eq!(
            request.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str()),
            "{request:?}"
        );
    }
    let events = seen
        .iter()
        .find(|s| s.path == "/api/v1/namespaces/prod/events")
        .unwrap();
    assert_eq!(
        events.query.get("fieldSelector").map(String::as_str),
        Some("type=Warning")
    );
}

fn assert_log_requests(seen: &[Seen]) {
    let log_requests: Vec<&Seen> = seen.iter().filter(|s| s.path.ends_with("/log")).collect();
    let query = |pod: &str, previous: bool| {
        log_requests
            .iter()
            .find(|s| s.path.contains(pod) && s.query.contains_key("previous") == previous)
            .map(|s| s.query.clone())
    };
    let expected = |previous: bool| {
        let mut q = BTreeMap::from([
            ("container".to_string(), "main".to_string()),
            ("tailLines".to_string(), "50".to_string()),
            // limit_bytes and 4 KiB more: the tail is redacted, then cut at the limit.
            ("limitBytes".to_string(), (65536 + 4096).to_string()),
        ]);
        if previous {
            q.insert("previous".to_string(), "true".to_string());
        }
        Some(q)
    };
    assert_eq!(
        query("materialized-updater-7f9-crash", true),
        expected(true)
    );
    assert_eq!(
        query("materialized-updater-7f9-crash", false),
        expected(false)
    );
    assert_eq!(query("materialized-updater-7f9-ok", false), expected(false));
    // No previous log of a container that never restarted (the API answers 400), and the
    // third, oldest pod is past max_pods.
    assert_eq!(query("materialized-updater-7f9-ok", true), None);
    assert!(
        log_requests.iter().all(|s| !s.path.contains("-old")),
        "{log_requests:#?}"
    );
    let pending_log = log_requests
        .iter()
        .find(|s| s.path.contains("api-5c4-pending"))
        .unwrap();
    assert_eq!(
        pending_log.query.get("container").map(String::as_str),
        Some("api")
    );
    assert_eq!(
        pending_log.query.get("tailLines").map(String::as_str),
        Some("20")
    );
    assert_eq!(
        pending_log.query.get("limitBytes").map(String::as_str),
        Some("5096")
    );
    assert_eq!(log_requests.len(), 4, "{log_requests:#?}");
}

/// A server that accepts connections and never says a word.
fn silent_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    port
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_on_time() {
    let port = silent_server();
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(
        &kubeconfig(dir.path(), port, "standin"),
        &["prod", "staging"],
        vec![selector_source("prod", "app=updater")],
        Duration::from_secs(2),
    );

    let started = Instant::now();
    let items = collect(&settings).await;
    let wall = started.elapsed();

    // On time: not held by the silent server (generous, for 2 busy cores).
    assert!(wall < Duration::from_secs(20), "took {wall:?}");
    assert!(
        wall >= Duration::from_millis(1_900),
        "gave up early: {wall:?}"
    );
    assert_eq!(items.len(), 3);
    for item in &items {
        assert_eq!(item.status, ItemStatus::Timeout, "{item:#?}");
        assert_eq!(
            item.error.as_deref(),
            Some("no answer within 2.0s"),
            "{item:#?}"
        );
        assert!((1_900..2_500).contains(&item.duration_ms), "{item:#?}");
    }
}

#[tokio::test]
async fn malformed_answers_fail_and_say_so() {
    let (port, _) = serve(|seen| {
        let mut segments = seen.path.split('/');
        let namespace = segments
            .find(|s| *s == "namespaces")
            .and_then(|_| segments.next());
        let namespace = namespace.unwrap_or_default().to_string();
        match namespace.as_str() {
            "truncated" => json_reply(200, r#"{"items": ["#.to_string()),
            "html" => Reply {
                status: 200,
                content_type: "text/html",
                body: "<html><body>Sign in to continue</body></html>".to_string(),
            },
            _ => Reply {
                status: 502,
                content_type: "text/html",
                body: "<html>\n<head><title>502 Bad Gateway</title></head>\n</html>\n".to_string(),
            },
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(
        &kubeconfig(dir.path(), port, "standin"),
        &["truncated", "html", "gateway"],
        vec![selector_source("truncated", "app=updater")],
        Duration::from_secs(3),
    );

    let items = collect(&settings).await;

    assert_eq!(items.len(), 4);
    for item in &items {
        assert_eq!(item.status, ItemStatus::Failed, "{item:#?}");
        assert_eq!(item.data, Value::Null, "nothing came back: {item:#?}");
    }
    let error = |collector: &str, name: &str| item(&items, collector, name).error.clone().unwrap();
    assert_eq!(
        error("kubernetes", "truncated"),
        "the API server answered with malformed JSON: EOF while parsing a list at line 1 column 11"
    );
    assert_eq!(
        error("kubernetes", "html"),
        "the API server answered with malformed JSON: expected value at line 1 column 1"
    );
    assert_eq!(
        error("kubernetes", "gateway"),
        "the API server answered HTTP 502: <html> <head><title>502 Bad Gateway</title></head> </html>"
    );
    assert!(
        error("logs", "app=updater").starts_with("the API server answered with malformed JSON")
    );
}

#[tokio::test]
async fn connection_refused_fails_quickly() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(
        &kubeconfig(dir.path(), port, "standin"),
        &["prod"],
        vec![selector_source("prod", "app=updater")],
        Duration::from_secs(60),
    );

    let started = Instant::now();
    let items = collect(&settings).await;
    let wall = started.elapsed();

    // Refused, not timed out: far under the 60 s timeout however busy the machine is.
    assert!(wall < Duration::from_secs(20), "took {wall:?}");
    assert_eq!(items.len(), 2);
    for item in &items {
        assert_eq!(item.status, ItemStatus::Failed, "{item:#?}");
        assert_eq!(
            item.error.as_deref(),
            Some(format!("connection refused (http://127.0.0.1:{port})").as_str())
        );
    }
}

/// Its own runtime, dropped inside the measurement: a runtime waits for its blocking tasks
/// when it shuts down, so a plugin run with `spawn_blocking` would hold this test for 3 s.
#[test]
fn a_hanging_credential_plugin_times_out_without_holding_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1
kind: Config
current-context: eks
clusters:
- name: eks
  cluster:
    server: http://127.0.0.1:9
contexts:
- name: eks
  context:
    cluster: eks
    user: sso
users:
- name: sso
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: sh
      args: [\"-c\", \"sleep 60\"]
      interactiveMode: Never
",
    )
    .unwrap();
    let settings = settings(&path, &["prod"], vec![], Duration::from_secs(1));

    let started = Instant::now();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let items = runtime.block_on(collect(&settings));
    drop(runtime);
    let wall = started.elapsed();

    // The 1 s timeout, not the plugin's 60 s.
    assert!(wall < Duration::from_secs(20), "took {wall:?}");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].status, ItemStatus::Timeout, "{:#?}", items[0]);
}

#[tokio::test]
async fn kubeconfig_problems_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent");
    let items = collect(&settings(
        &missing,
        &["prod"],
        vec![],
        Duration::from_secs(1),
    ))
    .await;
    assert_eq!(items[0].status, ItemStatus::Failed);
    assert_eq!(
        items[0].error.as_deref(),
        Some(
            format!(
                "cannot read kubeconfig {}: No such file or directory (os error 2)",
                missing.display()
            )
            .as_str()
        )
    );

    let mut unknown_context = settings(
        &kubeconfig(dir.path(), 9, "standin"),
        &["prod"],
        vec![],
        Duration::from_secs(1),
    );
    unknown_context.context = Some("prod-eu".to_string());
    let items = collect(&unknown_context).await;
    assert_eq!(items[0].status, ItemStatus::Failed);
    assert_eq!(
        items[0].error.as_deref(),
        Some("kubeconfig has no context 'prod-eu'")
    );
}

/// What the collector brings back is what the health score reads: the faithful server's prod
/// namespace (2 of 4 pods not ready, its one CronJob 5 days late, its one Job failed) costs
/// pods 10 of 20, cronjobs 10 of 10 and jobs 5 of 5; a cluster that never answers costs all 35.
#[tokio::test]
async fn health_scores_what_the_cluster_shows() {
    use incident::evidence::health::{HealthSettings, assess};
    use incident::evidence::settings::Collectors;
    let clock = Clock::now();
    let (port, _) = serve(faithful_route(Clock(clock.0)));
    let dir = tempfile::tempdir().unwrap();
    let kube = settings(
        &kubeconfig(dir.path(), port, "standin"),
        &["prod"],
        vec![],
        Duration::from_secs(5),
    );
    let collectors = Collectors {
        kubernetes: Some(kube.clone()),
        ..Collectors::default()
    };
    let now = chrono::Utc::now();
    let health = assess(
        &collect(&kube).await,
        &collectors,
        &HealthSettings::default(),
        now,
    );
    let lost: Vec<(&str, f64, usize)> = health
        .signals
        .iter()
        .map(|s| (s.name, s.lost, s.targets))
        .collect();
    assert_eq!(
        lost,
        [("pods", 10.0, 4), ("cronjobs", 10.0, 1), ("jobs", 5.0, 1)]
    );
    assert_eq!(health.score, 75.0);
    assert_eq!(health.severity, Some(incident::domain::model::Severity::P2));
    let subjects: Vec<&str> = health.signals[0]
        .costs
        .iter()
        .map(|c| c.subject.as_str())
        .collect();
    assert_eq!(
        subjects,
        ["pod/api-5c4-pending", "pod/materialized-updater-7f9-crash"]
    );

    let port = silent_server();
    let silent = settings(
        &kubeconfig(dir.path(), port, "standin"),
        &["prod"],
        vec![],
        Duration::from_secs(1),
    );
    let health = assess(
        &collect(&silent).await,
        &collectors,
        &HealthSettings::default(),
        now,
    );
    assert_eq!(health.score, 65.0);
    assert!(
        health.signals[0].costs[0]
            .reason
            .starts_with("namespace prod no answer"),
        "{:?}",
        health.signals[0].costs
    );
}
