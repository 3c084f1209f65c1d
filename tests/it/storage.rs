//! What the database file looks like after many short-lived commands, and what a database an
//! older version wrote still reads.

use crate::common::Env;

#[test]
fn the_wal_stays_bounded_across_many_processes() {
    let env = Env::new();
    env.run(&["open", "P2", "lagging"]).ok();
    let wal = std::path::PathBuf::from(format!("{}-wal", env.db().display()));
    let note = "x".repeat(8 * 1024);
    let mut largest = 0;
    // 60 notes of 8 KiB: about 750 KiB of WAL frames if nothing checkpointed.
    for _ in 0..60 {
        env.run(&["note", "1", &note]).ok();
        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    let limit = incident::store::WAL_LIMIT;
    assert!(
        largest > limit / 2,
        "the notes did go through the WAL ({largest} bytes)"
    );
    assert!(
        largest <= limit + 64 * 1024,
        "WAL reached {largest} bytes; the limit is {limit}"
    );
    let show = env.json(&["show", "1", "--json"]);
    assert_eq!(
        show["timeline"].as_array().unwrap().len(),
        61,
        "every note is there"
    );
}

/// A database as schema version 2 left it: the first two migrations, an incident, and two
/// snapshots whose items hold the JSON that version's collectors wrote (`git show
/// e68e794:src/collect/…`): the updater in CrashLoopBackOff with 12 restarts, five-day-old
/// prices; then, half an hour later, the updater ready after 14 and the prices two minutes old.
fn version_2_database(path: &std::path::Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(include_str!("../../src/store/migrations/0001_initial.sql"))
        .unwrap();
    conn.execute_batch(include_str!(
        "../../src/store/migrations/0002_snapshots.sql"
    ))
    .unwrap();
    conn.pragma_update(None, "user_version", 2).unwrap();
    conn.execute_batch(
        "INSERT INTO incidents (uuid, number, title, severity, status, detected_at, opened_at,
             created_by, updated_at)
         VALUES ('u-1', 1, 'Prices stale', 'P1', 'OPEN', '2026-11-29T09:00:00Z',
             '2026-11-29T09:20:00Z', 'alice', '2026-11-29T09:50:00Z');
         INSERT INTO events (incident_pk, at, recorded_at, author, kind, new_value, text)
         VALUES (1, '2026-11-29T09:20:00Z', '2026-11-29T09:20:00Z', 'alice', 'opened', NULL, 'Prices stale'),
                (1, '2026-11-29T09:20:00Z', '2026-11-29T09:20:00Z', 'alice', 'snapshot', '1', 'first'),
                (1, '2026-11-29T09:50:00Z', '2026-11-29T09:50:00Z', 'alice', 'snapshot', '2', 'second');
         INSERT INTO snapshots (incident_pk, seq, taken_at, duration_ms, summary, findings)
         VALUES (1, 1, '2026-11-29T09:20:00Z', 40, 'first', '[]'),
                (1, 2, '2026-11-29T09:50:00Z', 40, 'second', '[]');",
    )
    .unwrap();
    let mut insert = conn
        .prepare(
            "INSERT INTO snapshot_items (snapshot_id, collector, name, status, duration_ms, error, data, raw)
             VALUES (?1, ?2, ?3, ?4, 5, ?5, ?6, ?7)",
        )
        .unwrap();
    for item in version_2_items() {
        let (collector, name) = item.label.split_once('/').unwrap();
        let status = if item.error.is_none() { "ok" } else { "failed" };
        insert
            .execute(rusqlite::params![
                item.snapshot,
                collector,
                name,
                status,
                item.error,
                item.data,
                item.raw
            ])
            .unwrap();
    }
}

/// A `snapshot_items` row: `label` is `collector/name`; failed when there is an error.
struct StoredItem {
    snapshot: i64,
    label: &'static str,
    error: Option<&'static str>,
    data: String,
    raw: &'static str,
}

fn version_2_items() -> Vec<StoredItem> {
    let pods = |waiting: &str, ready: bool, restarts: i64, last_schedule: &str| {
        let waiting = if waiting.is_empty() {
            "null".to_string()
        } else {
            format!("\"{waiting}\"")
        };
        let ready_containers = u8::from(ready);
        format!(
            r#"{{"namespace":"prices","pods":[{{"name":"updater-7f9","phase":"Running","ready":{ready},"ready_containers":{ready_containers},"containers":1,"restarts":{restarts},"waiting_reason":{waiting},"last_termination_reason":"OOMKilled","started_at":"2026-11-29T08:00:00Z","node":"node-a7","owner":"ReplicaSet/updater"}}],"cronjobs":[{{"name":"prices-collector","schedule":"*/5 * * * *","time_zone":null,"suspended":false,"last_schedule":"{last_schedule}","last_successful":"{last_schedule}","active":0}}],"jobs":[{{"name":"prices-collector-29","cronjob":"prices-collector","succeeded":0,"failed":6,"active":0,"started_at":"2026-11-24T10:00:00Z","completed_at":null,"failed_reason":"BackoffLimitExceeded"}}],"events":[{{"type":"Warning","reason":"BackOff","object":"Pod/updater-7f9","message":"Back-off restarting failed container","count":41,"last_seen":"2026-11-29T09:19:00Z"}}],"errors":[]}}"#
        )
    };
    let database = |age: i64, newest: &str| {
        format!(
            r#"{{"engine":"postgres","version":"16.4","latency_ms":1.0,"freshness":[{{"name":"price_data.timestamp","newest":"{newest}","age_seconds":{age},"error":null}},{{"name":"features","newest":null,"age_seconds":null,"error":"relation \"features\" does not exist"}}]}}"#
        )
    };
    let redis = r#"{"latency_ms":0.4,"version":"7.0.15","role":"master","uptime_seconds":1448,"connected_clients":3,"used_memory_human":"1.02M","keys":{"db0":12,"db3":2}}"#;
    let command = r#"{"argv":["./health.sh","--all"],"exit_code":3,"signal":null,"timed_out":false,"duration_ms":12,"stdout_bytes":21,"stderr_bytes":0,"truncated":false}"#;
    let logs = r#"{"namespace":"prices","selector":"app=updater","pod":null,"pods":[{"pod":"updater-7f9","container":"updater","previous":true,"lines":1,"bytes":24,"error":null}]}"#;
    let item = |snapshot, label, error, data: String, raw| StoredItem {
        snapshot,
        label,
        error,
        data,
        raw,
    };
    vec![
        item(
            1,
            "kubernetes/prices",
            None,
            pods("CrashLoopBackOff", false, 12, "2026-11-24T10:00:00Z"),
            "",
        ),
        item(
            1,
            "logs/app=updater",
            None,
            logs.into(),
            "==> updater-7f9/updater (previous) <==\npanic: deadlock detected\n",
        ),
        item(
            1,
            "database/crypto_prices",
            None,
            database(439_200, "2026-11-24T07:20:00Z"),
            "",
        ),
        item(1, "redis/api-gateway", None, redis.into(), ""),
        item(
            1,
            "command/health",
            Some("exit code 3"),
            command.into(),
            "Health score: 41/100\n",
        ),
        item(
            2,
            "kubernetes/prices",
            None,
            pods("", true, 14, "2026-11-29T09:45:00Z"),
            "",
        ),
        item(
            2,
            "database/crypto_prices",
            None,
            database(120, "2026-11-29T09:48:00Z"),
            "",
        ),
        item(
            2,
            "redis/api-gateway",
            Some("connection refused (10.0.0.7:6379)"),
            "null".into(),
            "",
        ),
    ]
}

#[test]
fn snapshots_stored_by_schema_version_2_read_back() {
    let mut env = Env::new();
    env.at("2026-11-29T10:00:00Z");
    version_2_database(&env.db());
    version_2_evidence_text(&env);

    // The diff reads pods, cronjobs and freshness checks of both.
    let diff_text = env.run(&["snapshot", "diff", "1"]);
    assert_eq!(
        diff_text.ok().lines().skip(1).collect::<Vec<_>>(),
        [
            "  pod/updater-7f9: restarted, 2 more restart(s), 12 → 14",
            "  pod/updater-7f9: recovered, CrashLoopBackOff → ready",
            "  cronjob/prices-collector: ran, last scheduled 2026-11-29 09:45",
            "  logs/app=updater: went down, not collected",
            "  database/crypto_prices/price_data.timestamp: fresher, data age 5d 2h → 2m",
            "  redis/api-gateway: went down, connection refused (10.0.0.7:6379)",
        ]
    );

    // The post-mortem's impact: the data age the first snapshot measured.
    let context = env.json(&["postmortem", "1", "--context"]);
    let ages = &context["impact"]["data_age"];
    assert_eq!(ages[0]["check"], "price_data.timestamp");
    assert_eq!(ages[0]["age_seconds"], 439_200);
    assert_eq!(
        ages.as_array().unwrap().len(),
        1,
        "the failed check has none"
    );

    version_2_findings_and_health(&env);

    // The export carries the stored JSON as it is.
    let export = env.run(&["export", "1", "--out", "-"]);
    for item in version_2_items() {
        assert!(
            export.ok().contains(&item.data),
            "{} in the export",
            item.data
        );
    }
}

/// `show --snapshot 1`: every value below sits under a key a rename would lose.
fn version_2_evidence_text(env: &Env) {
    let show = env.run(&["show", "1", "--snapshot", "1"]);
    let text = show.ok();
    let row = |first: &str| -> String {
        let line = text.lines().find(|l| l.trim_start().starts_with(first));
        let line = line.unwrap_or_else(|| panic!("no {first} row in {text}"));
        line.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    assert_eq!(
        row("updater-7f9"),
        "updater-7f9 0/1 CrashLoopBackOff 12 OOMKilled 1h 20m ago node-a7"
    );
    assert_eq!(
        row("prices-collector "),
        "prices-collector */5 * * * * false 4d 23h ago 4d 23h ago 0"
    );
    assert_eq!(
        row("prices-collector-29"),
        "prices-collector-29 0 6 0 4d 23h ago BackoffLimitExceeded"
    );
    for line in [
        "  1m ago Pod/updater-7f9 x41 BackOff: Back-off restarting failed container\n",
        "  postgres 16.4, round trip 1.0 ms\n",
        "  price_data.timestamp: newest 2026-11-24 07:20, data age 5d 2h\n",
        "  features: relation \"features\" does not exist\n",
        "  redis 7.0.15 (master), round trip 0.4 ms, 3 clients, 1.02M memory, 14 keys (db0 12, db3 2)\n",
        "  $ ./health.sh --all   (exit 3)\n",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
}

/// Findings and health of the stored items, as the library reads them.
fn version_2_findings_and_health(env: &Env) {
    use incident::evidence::{findings, health, settings};
    let mut store = incident::store::Store::open(&env.db(), incident::store::Mode::Read).unwrap();
    let txn = store.read().unwrap();
    let pk = txn
        .incident(incident::domain::model::Number(1))
        .unwrap()
        .unwrap()
        .pk;
    let first = txn.snapshot(pk, Some(1)).unwrap().unwrap().snapshot;
    let second = txn.snapshot(pk, Some(2)).unwrap().unwrap().snapshot;
    let now = first.taken_at;
    let thresholds = settings::DataAgeThresholds::default();
    let lines = |found: &[incident::evidence::snapshot::Finding]| -> Vec<String> {
        let line = |f: &incident::evidence::snapshot::Finding| {
            format!("{:?} {}: {}", f.level, f.subject, f.message)
        };
        found.iter().map(line).collect()
    };
    let found = findings::derive(&first.items, None, now, &thresholds);
    assert_eq!(
        lines(&found),
        [
            "Critical pod/updater-7f9: CrashLoopBackOff (12 restarts, last exit: OOMKilled)",
            "Critical database/crypto_prices/price_data.timestamp: data age 5d 2h (over 4h)",
            "Warning cronjob/prices-collector: late: last run 4d 23h ago (schedule */5 * * * *)",
            "Warning job/prices-collector-29: failed (BackoffLimitExceeded)",
            "Warning database/crypto_prices/features: freshness check failed: relation \"features\" does not exist",
            "Warning command/health: exit code 3",
        ]
    );
    assert_eq!(
        findings::summary(&first.items, &found),
        "1 pod (1 CrashLoopBackOff), 1 cronjob (1 late: last run 4d 23h ago), 1 job failed, crypto_prices reachable (data age 5d 2h), api-gateway ok, health exit 3"
    );
    let later = findings::derive(&second.items, Some(&first.items), now, &thresholds);
    assert!(lines(&later).contains(
        &"Warning pod/updater-7f9: restarted 2 time(s) since the previous snapshot".to_string()
    ));

    let timeout = std::time::Duration::from_secs(5);
    let check = |name: &str| settings::FreshnessCheck {
        name: name.into(),
        source: settings::FreshnessSource::Query("SELECT 1".into()),
        returns: settings::Returns::Timestamp,
    };
    let collectors = settings::Collectors {
        kubernetes: Some(settings::KubeSettings {
            context: None,
            kubeconfig: None,
            namespaces: vec!["prices".into()],
            logs: vec![],
            timeout,
        }),
        databases: vec![settings::DatabaseSettings {
            name: "crypto_prices".into(),
            url: "postgres://x@127.0.0.1/test".into(),
            timeout,
            freshness: vec![check("price_data.timestamp"), check("features")],
        }],
        ..settings::Collectors::default()
    };
    let h = health::assess(&first.items, &collectors, &Default::default(), now);
    assert_eq!(h.data_age, Some(439_200));
    let costs: Vec<String> = h
        .signals
        .iter()
        .flat_map(|s| {
            s.costs
                .iter()
                .map(move |c| format!("{} {}: {}", s.name, c.subject, c.reason))
        })
        .collect();
    assert_eq!(
        costs,
        [
            "freshness database/crypto_prices/price_data.timestamp: data age 5d 2h (over 4h)",
            "freshness database/crypto_prices/features: check failed: relation \"features\" does not exist",
            "pods pod/updater-7f9: not ready (Running, CrashLoopBackOff)",
            "cronjobs cronjob/prices-collector: late: last run 4d 23h ago (schedule */5 * * * *)",
            "jobs job/prices-collector-29: failed (BackoffLimitExceeded)",
        ]
    );
}

#[test]
fn an_empty_file_stays_empty_when_read_and_a_fifo_is_refused_at_once() {
    let env = Env::new();
    let empty = env.home().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let path = empty.to_str().unwrap();
    let list = env.run(&["--db", path, "list"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert_eq!(
        std::fs::metadata(&empty).unwrap().len(),
        0,
        "a read creates nothing"
    );
    // A write makes it a database.
    env.run(&[
        "--db",
        path,
        "open",
        "P3",
        "Disk 91% on pg-0",
        "--no-snapshot",
    ])
    .ok();
    assert!(std::fs::metadata(&empty).unwrap().len() > 0);
    let fifo = env.home().join("fifo.db");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let started = std::time::Instant::now();
    let run = env.run(&["--db", fifo.to_str().unwrap(), "list"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("it is not a regular file"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// Another program's SQLite file that uses `user_version` itself: refused as not an incident
/// database before any migration, whatever the version, and left byte for byte as it was.
#[test]
fn a_foreign_database_with_a_user_version_is_refused_before_any_migration() {
    let env = Env::new();
    let newest = incident::store::LATEST_VERSION;
    for version in [1, 3, 7, newest - 1, newest, newest + 5] {
        let other = env.home().join(format!("billing-v{version}.sqlite"));
        {
            let conn = rusqlite::Connection::open(&other).unwrap();
            conn.execute_batch(&format!(
                "CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id TEXT, total_cents INTEGER);
                 INSERT INTO invoices (customer_id, total_cents) VALUES ('cus_9f-Ä1', 129900);
                 PRAGMA user_version = {version};"
            ))
            .unwrap();
        }
        let before = env.db_bytes(&other);
        let o = other.to_str().unwrap();
        for args in [
            &["--db", o, "list"][..],
            &["--db", o, "open", "P2", "Checkout 502s"],
        ] {
            let run = env.run(args);
            let line = run.err();
            assert!(
                line.contains("is an SQLite database, but not an incident database"),
                "user_version {version}: {line}"
            );
            assert!(!line.contains("schema version"), "{line}");
            assert!(
                env.db_bytes(&other) == before,
                "user_version {version}: changed"
            );
        }
    }
}

/// A character device and a socket are refused at once, like a FIFO.
#[test]
fn a_device_or_a_socket_is_refused_as_a_database() {
    let env = Env::new();
    let socket_path = env.home().join("incident.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket_path).unwrap();
    for path in [std::path::Path::new("/dev/null"), &socket_path] {
        let p = path.to_str().unwrap();
        for args in [&["--db", p, "list"][..], &["--db", p, "open", "P3", "x"]] {
            let run = env.run(args);
            assert!(
                run.err().contains("it is not a regular file"),
                "{args:?}: {}",
                run.stderr
            );
        }
    }
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata(&socket_path)
            .unwrap()
            .file_type()
            .is_socket(),
        "the socket is still there"
    );
}
