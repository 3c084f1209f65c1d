//! Snapshots through the real binary: taken at open, stored with a timeline event, listed,
//! shown, diffed; never blocking the incident; and never storing a secret.

use crate::common::Env;
use crate::common::services::service;
use std::time::{Duration, Instant};

fn mysql_url() -> Option<String> {
    service(
        "MariaDB",
        "INCIDENT_TEST_MYSQL_URL",
        "mysql://root@127.0.0.1:3306/test",
    )
}

/// Runs SQL against MariaDB from the test, through the same driver the binary uses.
fn mysql(url: &str, statements: &[String]) {
    use sqlx::Connection;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut conn = sqlx::MySqlConnection::connect(url).await.unwrap();
        for sql in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    });
}

#[test]
fn open_takes_a_snapshot_and_the_timeline_keeps_it() {
    let Some(url) = mysql_url() else { return };
    let env = Env::new();
    let table = format!("e2e_prices_{}", std::process::id());
    // Pinned clock 2026-11-29T10:00:00Z: the newest row is 5 h 30 min old.
    mysql(
        &url,
        &[
            format!("DROP TABLE IF EXISTS {table}"),
            format!(
                "CREATE TABLE {table} (id INT PRIMARY KEY AUTO_INCREMENT, ts DATETIME NOT NULL)"
            ),
            format!(
                "INSERT INTO {table} (ts) VALUES ('2026-11-29 01:00:00'), ('2026-11-29 04:30:00')"
            ),
        ],
    );
    env.write_config(&format!(
        r#"
[[database]]
name = "crypto_prices"
url = "{url}"
[[database.freshness]]
table = "{table}"
column = "ts"

[[command]]
name = "ml-features"
run = ["sh", "-c", "echo 'health score: 42'"]
"#
    ));
    let open = env.run(&["open", "P1", "Data collection stopped"]);
    let out = open.ok();
    assert!(
        out.contains("snapshot 1: crypto_prices reachable (data age 5h 30m), ml-features exit 0"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "critical  database/crypto_prices/{table}.ts: data age 5h 30m (over 4h)"
        )),
        "{out}"
    );

    let show = env.json(&["show", "1", "--json"]);
    let last = show["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "snapshot");
    assert_eq!(last["new"], "1");
    let snap = env.json(&["show", "1", "--snapshot", "1", "--json"]);
    let items = snap["snapshot"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["status"], "ok");
    assert_eq!(items[0]["data"]["freshness"][0]["age_seconds"], 19_800);
    assert_eq!(items[1]["raw"], "health score: 42\n");

    // The data catches up; the next snapshot and the diff say so.
    mysql(
        &url,
        &[format!(
            "INSERT INTO {table} (ts) VALUES ('2026-11-29 09:58:00')"
        )],
    );
    let second = env.run(&["snapshot", "1"]);
    assert!(
        second.ok().contains("snapshot 2 of incident 1"),
        "{}",
        second.stdout
    );
    let list = env.run(&["snapshot", "1", "--list"]);
    assert_eq!(list.ok().lines().count(), 2, "{}", list.stdout);
    let diff = env.json(&["snapshot", "diff", "1", "--json"]);
    assert_eq!(diff["from"], 1);
    assert_eq!(diff["to"], 2);
    assert_eq!(diff["changes"][0]["what"], "fresher");
    assert_eq!(diff["changes"][0]["detail"], "data age 5h 30m → 2m");
    let text = env.run(&["snapshot", "diff", "1", "1", "2"]);
    assert!(
        text.ok().contains("fresher, data age 5h 30m → 2m"),
        "{}",
        text.stdout
    );

    mysql(&url, &[format!("DROP TABLE {table}")]);
}

#[test]
fn a_hung_collector_never_holds_up_the_incident() {
    let env = Env::new();
    env.write_config(
        r#"
[snapshot]
deadline = "1500ms"
[[command]]
name = "stuck"
run = ["sh", "-c", "sleep 30.7531 & sleep 30.7531"]
timeout = "1s"
[[command]]
name = "slower-than-the-deadline"
run = ["sleep", "30.7532"]
timeout = "20s"
[[command]]
name = "quick"
run = ["echo", "fine"]
"#,
    );
    let start = Instant::now();
    let open = env.run(&["open", "P2", "Lagging"]);
    let took = start.elapsed();
    let out = open.ok();
    // The 1.5 s deadline, not the 30 s sleeps nor the 20 s timeout.
    assert!(took < Duration::from_secs(15), "open took {took:?}");
    assert!(out.contains("incident 1: P2 Lagging"), "{out}");
    let snap = env.json(&["show", "1", "--snapshot", "1", "--json"]);
    let items = snap["snapshot"]["items"].as_array().unwrap();
    let status: Vec<(&str, &str)> = items
        .iter()
        .map(|i| (i["name"].as_str().unwrap(), i["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        status,
        vec![
            ("stuck", "timeout"),
            ("slower-than-the-deadline", "timeout"),
            ("quick", "ok")
        ]
    );
    assert!(
        items[1]["error"]
            .as_str()
            .unwrap()
            .contains("snapshot deadline"),
        "{}",
        items[1]["error"]
    );
    // Nothing of the killed process groups lives on (a SIGKILL takes a moment to land).
    let gone_by = Instant::now() + Duration::from_secs(20);
    loop {
        let ps = std::process::Command::new("pgrep")
            .args(["-f", "30.7531"])
            .output()
            .unwrap();
        if ps.stdout.is_empty() {
            break;
        }
        assert!(
            Instant::now() < gone_by,
            "left behind: {}",
            String::from_utf8_lossy(&ps.stdout)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // --no-snapshot skips it entirely.
    env.run(&["open", "P3", "Minor", "--no-snapshot"]).ok();
    assert_eq!(
        env.json(&["snapshot", "2", "--list", "--json"]),
        serde_json::json!([])
    );
}

#[test]
fn check_needs_collectors_and_prints_without_an_incident() {
    let env = Env::new();
    let none = env.run(&["check"]);
    assert!(none.err().contains("nothing to collect"), "{}", none.stderr);
    env.write_config(
        "[[command]]\nname = \"monitor\"\nrun = [\"sh\", \"-c\", \"echo score 91; exit 2\"]\n",
    );
    // A failing command costs the commands weight (10): score 90, P3, exit code 2.
    let check = env.run(&["check"]);
    assert_eq!(check.code, 2, "{}", check.stderr);
    let out = &check.stdout;
    assert!(out.contains("monitor exit 2"), "{out}");
    assert!(out.contains("score 91"), "{out}");
    assert!(
        out.contains("HEALTH 90.0/100: P3 (score 90.0 below 95: P3)"),
        "{out}"
    );
    assert!(!env.db().exists(), "check stores nothing");
    let run = env.run(&["check", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["items"][0]["data"]["exit_code"], 2);
    assert_eq!(json["findings"][0]["level"], "warning");
    assert_eq!(json["health"]["severity"], "P3");
}

#[test]
fn secrets_never_reach_the_database_or_any_output() {
    let env = Env::new();
    let token = "tok-9f8e7d6c5b4a3928";
    let mut config = format!(
        r#"
[[command]]
name = "leaky"
run = ["sh", "-c", "echo Authorization: Bearer abcdEFGH12345678; echo password=Hunter2Secret; echo --token ${{MONITOR_TOKEN}}; echo key AKIAIOSFODNN7EXAMPLE; echo $0", "{token}"]
"#
    );
    let mysql = mysql_url();
    if let Some(url) = &mysql {
        // A query that fails with its own text (and so the secret) in the error message.
        config.push_str(&format!(
            "[[database]]\nname = \"db\"\nurl = \"{url}\"\n[[database.freshness]]\nname = \"bad\"\nquery = \"SELEC ts FROM t WHERE password='MySqlSecret99' AND k='{token}'\"\n"
        ));
    }
    env.write_config(&config);
    let mut cmd = env.command(&["open", "P1", "Leaks"]);
    cmd.env("MONITOR_TOKEN", token);
    let open: crate::common::Run = cmd.output().unwrap().into();
    open.ok();
    let secrets = [
        "abcdEFGH12345678",
        "Hunter2Secret",
        token,
        "AKIAIOSFODNN7EXAMPLE",
        "MySqlSecret99",
    ];
    let mut outputs = vec![open.stdout.clone(), open.stderr.clone()];
    for args in [
        &["show", "1"][..],
        &["show", "1", "--json"],
        &["show", "1", "--snapshot", "1"],
        &["show", "1", "--snapshot", "1", "--json"],
        &["log", "1"],
        &["snapshot", "1", "--list", "--json"],
    ] {
        outputs.push(env.run(args).ok().to_string());
    }
    let snap = env.json(&["show", "1", "--snapshot", "1", "--json"]);
    let items = snap["snapshot"]["items"].as_array().unwrap();
    let by = |collector: &str| items.iter().find(|i| i["collector"] == collector).unwrap();
    let raw = by("command")["raw"].as_str().unwrap();
    assert!(
        raw.contains("[REDACTED:bearer]") && raw.contains("[REDACTED:env]"),
        "{raw}"
    );
    if mysql.is_some() {
        let error = by("database")["data"]["freshness"][0]["error"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            error.contains("SQL syntax"),
            "the database error came back: {error}"
        );
    }
    let (db, wal) = env.db_bytes(&env.db());
    for secret in secrets {
        for (i, text) in outputs.iter().enumerate() {
            assert!(!text.contains(secret), "output {i} shows {secret}: {text}");
        }
        let needle = secret.as_bytes();
        for (name, bytes) in [("db", &db), ("wal", &wal)] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{secret} is in the {name} file"
            );
        }
    }
}

mod cluster {
    //! A stand-in cluster for the binary: one deployment's pod that crash-loops until told to
    //! recover, a CronJob last scheduled five days ago, and logs with secrets in them.

    use crate::common::kube::{Reply, Seen, json_reply, list, serve};
    use k8s_openapi::api::batch::v1::CronJob;
    use k8s_openapi::api::core::v1::{Event, Pod};
    use serde_json::json;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    pub const LOG_SECRETS: [&str; 2] = [
        "SuperSecret123",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvbmNhbGwifQ.c2lnbmF0dXJlLXNpZw",
    ];

    fn pod(recovered: bool) -> Pod {
        let status = if recovered {
            json!({"name": "main", "ready": true, "restartCount": 8, "image": "u", "imageID": "",
                   "state": {"running": {"startedAt": "2026-11-29T09:59:00Z"}}})
        } else {
            json!({"name": "main", "ready": false, "restartCount": 7, "image": "u", "imageID": "",
                   "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                   "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}})
        };
        serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "materialized-updater-7f9", "namespace": "prod", "labels": {"app": "updater"},
                         "creationTimestamp": "2026-11-20T00:00:00Z"},
            "spec": {"containers": [{"name": "main", "image": "u"}], "nodeName": "node-1"},
            "status": {"phase": "Running", "startTime": "2026-11-20T00:00:00Z", "containerStatuses": [status],
                       "conditions": [{"type": "Ready", "status": if recovered { "True" } else { "False" }}]}
        }))
        .unwrap()
    }

    fn cronjob() -> CronJob {
        serde_json::from_value(json!({
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "enhanced-crypto-prices-collector", "namespace": "prod"},
            "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}},
            "status": {"lastScheduleTime": "2026-11-24T10:00:00Z", "lastSuccessfulTime": "2026-11-24T09:55:00Z"}
        }))
        .unwrap()
    }

    /// Serves the cluster; flip the returned flag to make the pod recover.
    pub fn start() -> (u16, Arc<AtomicBool>) {
        let recovered = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&recovered);
        let (port, _) = serve(move |seen: &Seen| -> Reply {
            let now = flag.load(Ordering::SeqCst);
            match seen.path.as_str() {
                "/api/v1/namespaces/prod/pods" => list(vec![pod(now)]),
                "/apis/batch/v1/namespaces/prod/cronjobs" => list(vec![cronjob()]),
                "/apis/batch/v1/namespaces/prod/jobs" => list(Vec::<k8s_openapi::api::batch::v1::Job>::new()),
                "/api/v1/namespaces/prod/events" => list(Vec::<Event>::new()),
                "/api/v1/namespaces/prod/pods/materialized-updater-7f9/log" => Reply {
                    status: 200,
                    content_type: "text/plain",
                    body: format!(
                        "connecting with DB_PASSWORD={} \nAuthorization: Bearer {}\nUpdated materialized table\n",
                        LOG_SECRETS[0], LOG_SECRETS[1]
                    ),
                },
                _ => json_reply(404, r#"{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}"#.into()),
            }
        });
        (port, recovered)
    }
}

#[test]
fn a_crashlooping_pod_recovers_between_two_snapshots() {
    let env = Env::new();
    let (port, recovered) = cluster::start();
    let kubeconfig = crate::common::kube::kubeconfig(env.home(), port, "standin");
    env.write_config(&format!(
            "[kubernetes]\nkubeconfig = \"{}\"\nnamespace = \"prod\"\ntimeout = \"5s\"\n[[kubernetes.logs]]\nselector = \"app=updater\"\ntail = 50\n",
            kubeconfig.display()
        ),
    );
    let open = env.run(&["open", "P1", "Data collection stopped"]);
    let out = open.ok();
    assert!(
        out.contains("snapshot 1: 1 pod (1 CrashLoopBackOff), 1 cronjob (1 late: last run 5d ago)"),
        "{out}"
    );
    assert!(out.contains("critical  pod/materialized-updater-7f9: CrashLoopBackOff (7 restarts, last exit: Error)"), "{out}");

    recovered.store(true, std::sync::atomic::Ordering::SeqCst);
    let second = env.run(&["snapshot", "1"]);
    assert!(
        second
            .ok()
            .contains("restarted 1 time(s) since the previous snapshot"),
        "{}",
        second.stdout
    );
    let diff = env.json(&["snapshot", "diff", "1", "--json"]);
    let changes: Vec<(String, String)> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["subject"].as_str().unwrap().to_string(),
                c["what"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            (
                "pod/materialized-updater-7f9".to_string(),
                "restarted".to_string()
            ),
            (
                "pod/materialized-updater-7f9".to_string(),
                "recovered".to_string()
            ),
        ]
    );

    // Resolving takes one more, the evidence of what the fix left behind.
    let resolved = env.run(&[
        "resolve",
        "1",
        "--root-cause",
        "stuck",
        "--resolution",
        "restarted",
    ]);
    assert!(
        resolved
            .ok()
            .contains("snapshot 3: 1 pod, 1 cronjob (1 late"),
        "{}",
        resolved.stdout
    );
    let quiet = env.run(&["reopen", "1"]);
    quiet.ok();
    let unsnapped = env.run(&["resolve", "1", "--no-snapshot"]);
    assert!(
        !unsnapped.ok().contains("snapshot 4"),
        "{}",
        unsnapped.stdout
    );

    // The log tail with its secrets went through redaction before it was stored or shown.
    let shown = env.run(&["show", "1", "--snapshot", "1"]).ok().to_string();
    assert!(shown.contains("Updated materialized table"), "{shown}");
    assert!(
        shown.contains("DB_PASSWORD=[REDACTED:secret-value]"),
        "{shown}"
    );
    let (db, wal) = env.db_bytes(&env.db());
    for secret in cluster::LOG_SECRETS {
        assert!(!shown.contains(secret), "{secret} shown");
        for bytes in [&db, &wal] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} stored"
            );
        }
    }
}
