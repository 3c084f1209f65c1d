//! Collecting a snapshot: every configured collector at once, each under its own timeout and
//! all under one deadline, so a snapshot takes as long as its slowest collector.

pub mod command;
pub mod database;
pub mod kubernetes;
pub mod redis;

use crate::domain::time::Timestamp;
use crate::evidence::data::CollectorData;
use crate::evidence::redact::Redactor;
use crate::evidence::settings::Collectors;
use crate::evidence::snapshot::Item;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Time a collector gets beyond its own timeout before it is cut off from outside: collectors
/// keep their timeouts themselves, this only guards against one that does not.
const GRACE: Duration = Duration::from_millis(500);

/// What a snapshot in progress tells whoever watches it; collectors print nothing themselves.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// A collector finished with these items, this long after the snapshot started.
    Finished { items: &'a [Item], elapsed_ms: u64 },
    /// These collectors (`collector/name`) are still running (told every 200 ms).
    Waiting {
        labels: &'a [String],
        elapsed_ms: u64,
    },
    /// Every collector has finished or been cut off at the deadline.
    Done,
}

/// Runs every collector concurrently on a runtime started for this alone, and returns their
/// redacted items in configuration order and the wall time. `progress` hears of each collector
/// finishing and of those still running.
pub fn collect(
    collectors: &Collectors,
    env: &dyn Fn(&str) -> Option<String>,
    now: Timestamp,
    progress: &mut dyn FnMut(Progress),
) -> (Vec<Item>, u64) {
    let started = Instant::now();
    // The commands redact their output before they cut it, with every collector's secrets:
    // known once all are planned, set before any runs.
    let cell = Arc::new(OnceLock::new());
    let (tasks, secrets) = plan(collectors, env, now, &cell);
    let redactor = cell.get_or_init(|| Redactor::new(secrets)).clone();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let items = tasks
                .iter()
                .map(|t| {
                    Item::failed(
                        &t.collector,
                        &t.name,
                        0,
                        format!("cannot start the async runtime: {e}"),
                    )
                })
                .collect();
            return (items, 0);
        }
    };
    let items = runtime.block_on(run(tasks, collectors.deadline, progress));
    // Collectors stuck past the deadline are abandoned, not waited for.
    runtime.shutdown_background();
    let items = items
        .into_iter()
        .map(|mut item| {
            redactor.redact_item(&mut item);
            item
        })
        .collect();
    (items, started.elapsed().as_millis() as u64)
}

/// One collector to run: what it is called (for progress and for a timeout item), its own
/// timeout, and the work.
struct Task {
    collector: String,
    name: String,
    timeout: Duration,
    work: futures::future::BoxFuture<'static, Vec<Item>>,
}

fn plan(
    collectors: &Collectors,
    env: &dyn Fn(&str) -> Option<String>,
    now: Timestamp,
    redactor: &Arc<OnceLock<Redactor>>,
) -> (Vec<Task>, Vec<String>) {
    use futures::FutureExt;
    let mut tasks = Vec::new();
    let mut secrets = Vec::new();
    let unset = |collector: &str,
                 name: &str,
                 var: String|
     -> futures::future::BoxFuture<'static, Vec<Item>> {
        let item = Item::misconfigured(
            collector,
            name,
            format!(
                "the environment variable {var} is not set (the config refers to it as ${{{var}}})"
            ),
        );
        async move { vec![item] }.boxed()
    };
    if let Some(k) = collectors.kubernetes.clone() {
        tasks.push(Task {
            collector: "kubernetes".into(),
            name: k.namespaces.join(","),
            timeout: k.timeout,
            work: {
                let redactor = Arc::clone(redactor);
                async move {
                    let redactor = redactor.get().cloned().unwrap_or_default();
                    kubernetes::collect_redacted(&k, &redactor).await
                }
                .boxed()
            },
        });
    }
    for db in collectors.databases.iter() {
        let work = match crate::domain::env::expand_env(&db.url, env) {
            Ok((url, values)) => {
                secrets.extend(values);
                let settings = db.clone();
                async move { vec![database::collect(&settings, &url, now).await] }.boxed()
            }
            Err(var) => unset("database", &db.name, var),
        };
        tasks.push(Task {
            collector: "database".into(),
            name: db.name.clone(),
            timeout: db.timeout,
            work,
        });
    }
    for r in collectors.redis.iter() {
        let work = match crate::domain::env::expand_env(&r.url, env) {
            Ok((url, values)) => {
                secrets.extend(values);
                let settings = r.clone();
                async move { vec![redis::collect(&settings, &url).await] }.boxed()
            }
            Err(var) => unset("redis", &r.name, var),
        };
        tasks.push(Task {
            collector: "redis".into(),
            name: r.name.clone(),
            timeout: r.timeout,
            work,
        });
    }
    for c in collectors.commands.iter() {
        let expanded: Result<Vec<(String, Vec<String>)>, String> = c
            .run
            .iter()
            .map(|a| crate::domain::env::expand_env(a, env))
            .collect();
        let work = match expanded {
            Ok(args) => {
                let mut settings = c.clone();
                settings.run = args
                    .into_iter()
                    .map(|(arg, values)| {
                        secrets.extend(values);
                        arg
                    })
                    .collect();
                let redactor = Arc::clone(redactor);
                async move {
                    let redactor = redactor.get().cloned().unwrap_or_default();
                    vec![command::collect_redacted(&settings, &redactor).await]
                }
                .boxed()
            }
            Err(var) => unset("command", &c.name, var),
        };
        tasks.push(Task {
            collector: "command".into(),
            name: c.name.clone(),
            timeout: c.timeout,
            work,
        });
    }
    (tasks, secrets)
}

async fn run(
    tasks: Vec<Task>,
    deadline: Duration,
    progress: &mut dyn FnMut(Progress),
) -> Vec<Item> {
    let started = Instant::now();
    let total = tasks.len();
    let labels: Vec<(String, String)> = tasks
        .iter()
        .map(|t| (t.collector.clone(), t.name.clone()))
        .collect();
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<(usize, Vec<Item>)>();
    for (i, task) in tasks.into_iter().enumerate() {
        let tx = done_tx.clone();
        let guard = task.timeout.saturating_add(GRACE);
        let (collector, name) = (task.collector.clone(), task.name.clone());
        tokio::spawn(async move {
            let t0 = Instant::now();
            // A collector that panics is a bug, and says so: left unanswered it would be
            // recorded as still running at the deadline, evidence of a timeout that never was.
            let work = std::panic::AssertUnwindSafe(tokio::time::timeout(guard, task.work));
            let items = futures::FutureExt::catch_unwind(work).await;
            let ms = t0.elapsed().as_millis() as u64;
            let items = match items {
                Ok(Ok(items)) => items,
                Ok(Err(_)) => vec![Item::timeout(&collector, &name, ms)],
                Err(_) => vec![Item::failed(
                    &collector,
                    &name,
                    ms,
                    "the collector stopped on an internal error (a bug): its answer is unknown",
                )],
            };
            let _ = tx.send((i, items));
        });
    }
    drop(done_tx);
    let mut results: Vec<Option<Vec<Item>>> = vec![None; total];
    let mut finished = 0;
    let end = deadline_after(tokio::time::Instant::now(), deadline);
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    while finished < total {
        tokio::select! {
            done = done_rx.recv() => match done {
                Some((i, items)) => {
                    let elapsed_ms = started.elapsed().as_millis() as u64;
                    progress(Progress::Finished { items: &items, elapsed_ms });
                    results[i] = Some(items);
                    finished += 1;
                }
                None => break,
            },
            _ = tick.tick() => {
                let waiting: Vec<String> = labels
                    .iter()
                    .zip(&results)
                    .filter(|(_, r)| r.is_none())
                    .map(|((c, n), _)| format!("{c}/{n}"))
                    .collect();
                if !waiting.is_empty() {
                    let elapsed_ms = started.elapsed().as_millis() as u64;
                    progress(Progress::Waiting { labels: &waiting, elapsed_ms });
                }
            }
            _ = tokio::time::sleep_until(end) => break,
        }
    }
    // Only a collector cut off at the deadline was still running; one whose task ended without
    // an answer (the runtime shutting down) is not evidence of a timeout.
    let deadline_passed = tokio::time::Instant::now() >= end;
    progress(Progress::Done);
    // Whatever has not finished by the deadline is recorded as such.
    let at_deadline = started.elapsed().as_millis() as u64;
    results
        .into_iter()
        .zip(labels)
        .flat_map(|(r, (collector, name))| {
            r.unwrap_or_else(|| {
                if !deadline_passed {
                    let why = "the collector ended without an answer";
                    return vec![Item::failed(&collector, &name, at_deadline, why)];
                }
                let mut item = Item::timeout(&collector, &name, at_deadline);
                item.error = Some(format!(
                    "still running at the snapshot deadline ({})",
                    crate::domain::time::human_millis(deadline.as_millis() as u64)
                ));
                vec![item]
            })
        })
        .collect()
}

/// `start + timeout` without overflow (see `time::instant_after`).
pub(crate) fn deadline_after(
    start: tokio::time::Instant,
    timeout: Duration,
) -> tokio::time::Instant {
    tokio::time::Instant::from_std(crate::domain::time::instant_after(
        start.into_std(),
        timeout,
    ))
}

/// Why a collector that talks to one service stopped short.
pub(crate) enum Stop {
    Failed(String),
    Timeout,
}

/// The item of a collector that yields its data or stops short.
pub(crate) fn item<T: CollectorData>(
    name: &str,
    duration_ms: u64,
    outcome: Result<T, Stop>,
) -> Item {
    match outcome {
        Ok(data) => Item::collected(name, duration_ms, &data, String::new()),
        Err(Stop::Failed(e)) => Item::failed(T::COLLECTOR, name, duration_ms, e),
        Err(Stop::Timeout) => Item::timeout(T::COLLECTOR, name, duration_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    fn task(name: &str, work: futures::future::BoxFuture<'static, Vec<Item>>) -> Task {
        Task {
            collector: "command".into(),
            name: name.into(),
            timeout: Duration::from_secs(3_600),
            work,
        }
    }

    #[test]
    fn a_collector_that_panics_is_failed_not_a_timeout_at_the_deadline() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let tasks = vec![
            task("crashes", async { panic!("index out of bounds") }.boxed()),
            task(
                "answers",
                async { vec![Item::failed("command", "answers", 3, "exit 2")] }.boxed(),
            ),
        ];
        let items = runtime.block_on(run(tasks, Duration::from_secs(30), &mut |_| {}));
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[0].status,
            crate::evidence::snapshot::ItemStatus::Failed
        );
        let error = items[0].error.as_deref().unwrap_or_default();
        assert!(error.contains("internal error"), "{error}");
        assert!(!error.contains("deadline"), "{error}");
        assert_eq!(items[1].error.as_deref(), Some("exit 2"));
    }
}
