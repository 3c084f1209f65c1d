//! The health score end to end: `check` exit codes and breakdown, `open auto`, and the health
//! monitor (`check --open`) over a simulated day against a real MariaDB table, run concurrently,
//! and under `--watch`.

use crate::common::services::{service, unique};
use crate::common::{Env, wait_until};
use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection, MySqlConnection};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A config whose only collector is a command printing `score` as the guide's monitor does.
fn scored(env: &Env, score: &str, sleep: &str) {
    env.write_config(&format!(
            "[[command]]\nname = \"ml-features\"\nrun = [\"sh\", \"-c\", \"sleep {sleep}; echo 'Overall health score: {score}/100'\"]\n[health.weights]\ncommands = 100\n"
        ),
    );
}

fn mysql_url() -> Option<String> {
    service(
        "MariaDB",
        "INCIDENT_TEST_MYSQL_URL",
        "mysql://root@127.0.0.1:3306/test",
    )
}

fn sql(url: &str, statement: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut conn = MySqlConnection::connect(url).await.unwrap();
        sqlx::raw_sql(AssertSqlSafe(statement.to_string()))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    });
}

fn incidents(env: &Env) -> Vec<Value> {
    env.json(&["list", "--json"])
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn check_prints_score_breakdown_and_exits_by_severity() {
    let mut env = Env::new();
    for (score, code, severity) in [
        ("100", 0, Value::Null),
        ("95", 0, Value::Null),
        ("94.9", 2, "P3".into()),
        ("80", 2, "P3".into()),
        ("79.9", 3, "P2".into()),
        ("60", 3, "P2".into()),
        ("59.9", 4, "P1".into()),
    ] {
        scored(&env, score, "0");
        let run = env.run(&["check", "--json"]);
        assert_eq!(run.code, code, "score {score}: {}", run.stderr);
        let v: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(v["health"]["score"].as_f64().unwrap().to_string(), score);
        assert_eq!(v["health"]["severity"], severity, "score {score}");
        assert_eq!(v["health"]["signals"][0]["name"], "commands");
    }
    scored(&env, "72.5", "0");
    let run = env.run(&["check"]);
    assert_eq!(run.code, 3);
    let tail: Vec<&str> = run.stdout.lines().rev().take(3).collect();
    assert_eq!(
        tail,
        [
            "    -27.5 command/ml-features: printed health score 72.5",
            "  commands    -27.5 of 100  1 target",
            "HEALTH 72.5/100: P2 (score 72.5 below 80: P2)",
        ]
    );
    // Checking alone records nothing.
    env.at("2026-11-29T10:05:00Z");
    assert!(incidents(&env).is_empty());
}

#[test]
fn open_auto_takes_its_severity_from_the_snapshot() {
    let env = Env::new();
    scored(&env, "99", "0");
    let db = env.db();
    let before = env.db_bytes(&db);
    let err = env.run(&["open", "auto", "prices stale"]).err().to_string();
    assert!(
        err.starts_with("error: nothing to open: the checks find the system healthy (score 99.0)"),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    assert_eq!(env.db_bytes(&db), before, "a refusal writes nothing");

    let v = env.json(&["open", "auto", "prices stale", "--force", "--json"]);
    assert_eq!(
        (v["number"].as_i64(), v["severity"].as_str()),
        (Some(1), Some("P3"))
    );

    scored(&env, "58", "0");
    let out = env
        .run(&["open", "auto", "prices stopped"])
        .ok()
        .to_string();
    assert!(out.starts_with("incident 2: P1 prices stopped\n"), "{out}");
    assert!(
        out.contains("HEALTH 58.0/100: P1 (score 58.0 below 60: P1)"),
        "{out}"
    );
    let show = env.json(&["show", "2", "--json"]);
    let kinds: Vec<&str> = show["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["opened", "snapshot", "health"]);

    let err = env.run(&["open", "P2", "x", "--force"]).err().to_string();
    assert!(err.contains("--force only goes with"), "{err}");
    let err = env
        .run(&["open", "auto", "x", "--no-snapshot"])
        .err()
        .to_string();
    assert!(err.contains("--no-snapshot cannot go with it"), "{err}");
}

/// The guide's scenario: a table stops receiving rows at 06:00 and nobody notices. Checks
/// every 15 minutes (and one second past each threshold) over a day: nothing while fresh, P3
/// opened once the data is over 1 h old, P2 over 2 h, P1 over 4 h, recovered three checks
/// after rows resume at 12:00, and one incident throughout.
#[test]
fn monitor_over_a_simulated_day_with_mariadb() {
    let Some(url) = mysql_url() else { return };
    let table = unique("prices_day");
    sql(
        &url,
        &format!("CREATE TABLE {table} (ts DATETIME NOT NULL)"),
    );
    let mut env = monitored_prices(&url, &table);
    let day = chrono::DateTime::parse_from_rfc3339("2026-11-28T00:00:00Z").unwrap();
    let mut opened_at = None;
    for t in check_times() {
        check_at(&mut env, &url, &table, day, t, &mut opened_at);
    }
    assert_one_incident_escalated_then_recovered(&env);
    assert_snapshots_until_recovery(&env);
    sql(&url, &format!("DROP TABLE {table}"));
}

/// A monitor whose only collector is the freshness of `table`, author `health-monitor`.
fn monitored_prices(url: &str, table: &str) -> Env {
    let mut env = Env::new();
    env.author = "health-monitor".into();
    env.write_config(&format!(
            "[[database]]\nname = \"prices\"\nurl = \"{url}\"\ntimeout = \"5s\"\n[[database.freshness]]\ntable = \"{table}\"\ncolumn = \"ts\"\n"
        ),
    );
    env
}

/// Seconds into the day of each check: every 15 minutes, and one second past 07:00, 08:00 and
/// 10:00 (just over the 1 h, 2 h and 4 h thresholds).
fn check_times() -> Vec<i64> {
    let mut times: Vec<i64> = (1..=96).map(|q| q * 900).collect();
    for extra in [7, 8, 10] {
        times.push(extra * 3_600 + 1);
    }
    times.sort();
    times
}

/// One check `t` seconds into `day`: a row first while the data flows, then `check --open`,
/// and what it must have decided.
fn check_at(
    env: &mut Env,
    url: &str,
    table: &str,
    day: chrono::DateTime<chrono::FixedOffset>,
    t: i64,
    opened_at: &mut Option<i64>,
) {
    let now = day + chrono::Duration::seconds(t);
    let hour = t as f64 / 3_600.0;
    let fresh = hour <= 6.0 || hour >= 12.0;
    if fresh {
        sql(
            url,
            &format!(
                "INSERT INTO {table} VALUES ('{}')",
                now.format("%Y-%m-%d %H:%M:%S")
            ),
        );
    }
    env.at(&now.to_rfc3339());
    // The data's age, as the check sees it: rows stop at 06:00 and resume at 12:00.
    let age = if fresh { 0 } else { t - 6 * 3_600 };
    let (expected_code, expected) = match age {
        a if a > 4 * 3_600 => (4, Some("P1")),
        a if a > 2 * 3_600 => (3, Some("P2")),
        a if a > 3_600 => (2, Some("P3")),
        _ => (0, None),
    };
    let run = env.run(&["check", "--open", "--json"]);
    assert_eq!(run.code, expected_code, "at {now}: {}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["health"]["data_age"].as_i64(), Some(age), "at {now}");
    let list = incidents(env);
    match (expected, *opened_at) {
        (None, None) => assert!(list.is_empty(), "no incident while fresh, at {now}"),
        (Some(_), None) => {
            assert_eq!(
                t,
                7 * 3_600 + 1,
                "opened the first second data is over 1 h old"
            );
            assert_eq!(v["monitor"]["opened"], true);
            assert!(
                run.stderr.contains("health monitor opened incident 1 (P3)"),
                "{}",
                run.stderr
            );
            *opened_at = Some(t);
        }
        _ => {
            assert_eq!(v["monitor"]["opened"], false, "at {now}");
            assert_eq!(v["monitor"]["incident"], 1);
        }
    }
    assert!(
        list.len() <= 1,
        "one incident throughout, at {now}: {list:?}"
    );
    if let (Some(want), Some(i)) = (expected, list.first()) {
        assert_eq!(i["severity"], want, "escalated at {now}");
    }
}

/// The incident stays open at P1, and its timeline holds the opening, each escalation and the
/// recovery, at the checks that saw them.
fn assert_one_incident_escalated_then_recovered(env: &Env) {
    let show = env.json(&["show", "1", "--json"]);
    assert_eq!(
        show["status"], "OPEN",
        "the monitor never resolves by itself"
    );
    assert_eq!(show["severity"], "P1", "nor lowers the severity");
    assert_eq!(show["created_by"], "health-monitor");
    let marks: Vec<(String, String)> = show["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            ["opened", "severity"].contains(&e["kind"].as_str().unwrap())
                || e["field"] == "recovered"
        })
        .map(|e| {
            let what = match e["kind"].as_str().unwrap() {
                "health" => "recovered".to_string(),
                "opened" => format!("opened {}", e["new"].as_str().unwrap()),
                _ => format!(
                    "{} → {}",
                    e["old"].as_str().unwrap(),
                    e["new"].as_str().unwrap()
                ),
            };
            (e["at"].as_str().unwrap().to_string(), what)
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("2026-11-28T07:00:01Z", "opened P3"),
        ("2026-11-28T08:00:01Z", "P3 → P2"),
        ("2026-11-28T10:00:01Z", "P2 → P1"),
        ("2026-11-28T12:30:00Z", "recovered"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(marks, expected);
}

/// Snapshots from opening until recovery (07:00:01 … 12:30, two extra checks), none after.
fn assert_snapshots_until_recovery(env: &Env) {
    let snapshots = env.json(&["snapshot", "1", "--list", "--json"]);
    let taken: Vec<&str> = snapshots
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["taken_at"].as_str().unwrap())
        .collect();
    assert_eq!(taken.first(), Some(&"2026-11-28T07:00:01Z"));
    assert_eq!(taken.last(), Some(&"2026-11-28T12:30:00Z"));
    assert_eq!(
        taken.len(),
        25,
        "07:00:01, 07:15…12:30 (22), 08:00:01 and 10:00:01: {taken:?}"
    );
}

#[test]
fn concurrent_monitors_open_one_incident() {
    let env = Env::new();
    // The collection overlaps; the decision is serialised by the write lock.
    scored(&env, "40", "0.3");
    let started = Instant::now();
    let children: Vec<_> = (0..4)
        .map(|_| {
            env.command(&["check", "--open", "--json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<Value> = children
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            assert_eq!(
                o.status.code(),
                Some(4),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
            serde_json::from_slice(&o.stdout).unwrap()
        })
        .collect();
    assert!(started.elapsed() < Duration::from_secs(10));
    let opened = outs
        .iter()
        .filter(|v| v["monitor"]["opened"] == true)
        .count();
    assert_eq!(opened, 1, "{outs:?}");
    assert!(outs.iter().all(|v| v["monitor"]["incident"] == 1));
    assert_eq!(incidents(&env).len(), 1);
    let snaps = env.json(&["snapshot", "1", "--list", "--json"]);
    assert_eq!(
        snaps.as_array().unwrap().len(),
        4,
        "each check filed its snapshot"
    );
}

#[test]
fn monitor_notes_score_changes_only_and_reopens_after_a_human_resolves() {
    let mut env = Env::new();
    scored(&env, "90", "0");
    assert_eq!(env.run(&["check", "--open"]).code, 2);
    env.at("2026-11-29T10:05:00Z");
    assert_eq!(env.run(&["check", "--open"]).code, 2);
    scored(&env, "85", "0");
    env.at("2026-11-29T10:10:00Z");
    let run = env.run(&["check", "--open"]);
    assert!(
        run.stderr.contains("incident 1: health 90.0 → 85.0"),
        "{}",
        run.stderr
    );
    let show = env.json(&["show", "1", "--json"]);
    let health: Vec<(&str, &str)> = show["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "health")
        .map(|e| (e["old"].as_str().unwrap_or(""), e["new"].as_str().unwrap()))
        .collect();
    assert_eq!(
        health,
        [("", "90.0"), ("90.0", "85.0")],
        "an unchanged score is not noted again"
    );
    // A responder resolves it while health is still poor: the next check opens a new one.
    env.run(&["resolve", "1", "--no-snapshot"]).ok();
    env.at("2026-11-29T10:15:00Z");
    let run = env.run(&["check", "--open", "--json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        (
            v["monitor"]["opened"].as_bool(),
            v["monitor"]["incident"].as_i64()
        ),
        (Some(true), Some(2))
    );
}

#[test]
fn recovery_is_told_once_and_a_relapse_is_noted() {
    let mut env = Env::new();
    env.write_config("[[command]]\nname = \"probe\"\nrun = [\"sh\", \"-c\", \"exit $(cat $HOME/code)\"]\n[health]\nrecover_after = 2\n[[notify]]\nname = \"pager\"\nkind = \"command\"\nrun = [\"sh\", \"-c\", \"cat >> $HOME/told; echo >> $HOME/told\"]\n",
    );
    let code = env.home().join("code");
    let check = |env: &mut Env, minute: u32, exit: &str| -> Value {
        std::fs::write(&code, exit).unwrap();
        env.at(&format!("2026-11-29T10:{minute:02}:00Z"));
        let run = env.run(&["check", "--open", "--json"]);
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr))
    };
    assert_eq!(check(&mut env, 0, "1")["monitor"]["opened"], true);
    assert_eq!(check(&mut env, 5, "0")["monitor"]["recovered"], false);
    let v = check(&mut env, 10, "0");
    assert_eq!(
        (
            v["monitor"]["recovered"].as_bool(),
            v["monitor"]["healthy_streak"].as_i64()
        ),
        (Some(true), Some(2))
    );
    assert_eq!(
        check(&mut env, 15, "0")["monitor"]["recovered"],
        false,
        "told once"
    );
    assert_eq!(check(&mut env, 20, "1")["monitor"]["degraded"], true);
    let show = env.json(&["show", "1", "--json"]);
    let fields: Vec<&str> = show["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "health")
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["score", "score", "recovered", "degraded"]);
    let text = env.run(&["show", "1"]).ok().to_string();
    assert!(
        text.contains("health recovered: healthy (score 100.0) for 2 checks in a row"),
        "{text}"
    );
    // The responder heard of the opening, the recovery and the relapse, once each.
    let told = std::fs::read_to_string(env.home().join("told")).unwrap();
    let lines: Vec<&str> = told.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{told}");
    assert!(
        lines[0].starts_with("health monitor opened incident 1 (P3)"),
        "{told}"
    );
    assert!(
        lines[1].starts_with("incident 1: health recovered"),
        "{told}"
    );
    assert!(
        lines[2].starts_with("incident 1: health degraded again"),
        "{told}"
    );
}

#[test]
fn watch_checks_until_sigterm_and_keeps_one_incident() {
    let env = Env::new();
    scored(&env, "50", "0");
    let mut cmd = env.command(&["check", "--open", "--watch", "--interval", "1s", "--json"]);
    cmd.env_remove("INCIDENT_NOW");
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read as it comes; SIGTERM once two checks are out (not after a guessed sleep).
    let mut out = child.stdout.take().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let reader = {
        let seen = seen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = std::io::Read::read(&mut out, &mut buf) {
                seen.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    let checks_in = |bytes: &[u8]| {
        serde_json::Deserializer::from_slice(bytes)
            .into_iter::<Value>()
            .take_while(Result::is_ok)
            .count()
    };
    wait_until("two checks", || checks_in(&seen.lock().unwrap()) >= 2);
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let sent = Instant::now();
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = child.wait().unwrap();
    reader.join().unwrap();
    assert!(sent.elapsed() < Duration::from_secs(20));
    assert_eq!(status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    let checks: Vec<Value> = serde_json::Deserializer::from_str(&stdout)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect();
    assert!(checks.len() >= 2, "{stdout}");
    assert_eq!(checks[0]["monitor"]["opened"], true);
    assert!(
        checks[1..]
            .iter()
            .all(|c| c["monitor"]["opened"] == false && c["monitor"]["incident"] == 1)
    );
    assert_eq!(incidents(&env).len(), 1);
}

/// The ConfigMaps in deploy/ carry configs the binary accepts (a typo there would only show in
/// the cluster, at 3 a.m.).
#[test]
fn deploy_manifests_carry_valid_configs() {
    let env = Env::new();
    for manifest in [
        "deploy/monitor-cronjob.yaml",
        "deploy/remind-cronjob.yaml",
        "deploy/serve.yaml",
        "deploy/remind-team-cronjob.yaml",
        "deploy/monitor-team-cronjob.yaml",
    ] {
        let yaml = std::fs::read_to_string(manifest).unwrap();
        let mut lines = yaml.lines().skip_while(|l| l.trim() != "config.toml: |");
        let key = lines
            .next()
            .unwrap_or_else(|| panic!("{manifest}: no config.toml"));
        let indent = key.len() - key.trim_start().len() + 2;
        let toml: String = lines
            .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() >= indent)
            .map(|l| format!("{}\n", l.get(indent..).unwrap_or("")))
            .collect();
        let path = env.home().join("deployed.toml");
        std::fs::write(&path, &toml).unwrap();
        let run = env
            .command(&["--config", path.to_str().unwrap(), "config", "show"])
            .env("CRYPTO_DB_PASSWORD", "x")
            .env("INCIDENT_INTAKE_TOKEN", "x")
            .env("INCIDENT_BOARD_TOKEN", "y")
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{manifest}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        if manifest.contains("monitor") {
            let shown = String::from_utf8_lossy(&run.stdout);
            assert!(shown.contains("crypto_prices"), "{shown}");
        }
        if manifest.contains("-team-") {
            // No volume claim: a fresh SQLite file on an emptyDir, the team url from a Secret.
            assert!(!yaml.contains("persistentVolumeClaim"), "{manifest}");
            let data = yaml.split("- name: data\n").nth(2).unwrap_or("");
            assert!(data.trim_start().starts_with("emptyDir:"), "{manifest}");
            assert!(yaml.contains("INCIDENT_TEAM_URL"), "{manifest}");
            assert!(yaml.contains("secretRef:"), "{manifest}");
        }
    }
}

/// The Alertmanager receiver to paste passes the real `amtool check-config` (Debian's
/// prometheus-alertmanager ships it), and carries what the intake relies on.
#[test]
fn the_alertmanager_receiver_passes_amtool() {
    let path = "deploy/alertmanager-receiver.yaml";
    let yaml = std::fs::read_to_string(path).unwrap();
    for needed in [
        "url: \"http://incident.crypto-data-collection.svc:8787/api/v1/alertmanager\"",
        "send_resolved: true",
        "max_alerts: 100",
        "type: Bearer",
        "credentials_file: ",
    ] {
        assert!(yaml.contains(needed), "{path} lacks {needed}");
    }
    let Some(amtool) = crate::common::services::program(
        "amtool",
        "the_alertmanager_receiver_passes_amtool",
        "prometheus-alertmanager",
    ) else {
        return;
    };
    let out = std::process::Command::new(amtool)
        .args(["check-config", path])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("1 receivers"),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Reachability and freshness through the real collectors: Redis up and one nobody listens
/// on cost half the Redis weight; PostgreSQL reporting a lag of 2 h 0 m 1 s makes it P2.
#[test]
fn redis_and_postgres_signals_come_from_the_real_services() {
    let Some(redis) = service("Redis", "INCIDENT_TEST_REDIS_URL", "redis://127.0.0.1:6379") else {
        return;
    };
    let Some(pg) = service(
        "PostgreSQL",
        "INCIDENT_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    ) else {
        return;
    };
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let env = Env::new();
    env.write_config(&format!(
            "[[redis]]\nname = \"cache\"\nurl = \"{redis}\"\ntimeout = \"2s\"\n[[redis]]\nname = \"gone\"\nurl = \"redis://127.0.0.1:{port}\"\ntimeout = \"2s\"\n[[database]]\nname = \"pg\"\nurl = \"{pg}\"\ntimeout = \"5s\"\n[[database.freshness]]\nname = \"lag\"\nquery = \"SELECT 7201\"\nreturns = \"lag_seconds\"\n"
        ),
    );
    let run = env.run(&["check", "--json"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let h = &v["health"];
    assert_eq!(h["data_age"], 7201);
    assert_eq!(
        (h["by_age"].as_str(), h["severity"].as_str()),
        (Some("P2"), Some("P2"))
    );
    // Freshness at warning: half of 40; one of two Redis down: half of 5.
    assert_eq!(h["score"], 77.5);
    let redis_signal = h["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "redis")
        .unwrap();
    assert_eq!(redis_signal["costs"][0]["subject"], "redis/gone");
    assert_eq!(redis_signal["lost"], 2.5);
}
