//! A new working copy pulling a large team log: 100,000 incidents and 2,000,000 events made
//! straight in the team schema by one SQL statement each (`generate_series`), shaped as pushes
//! store them — every incident's `opened` event with its `detail` JSON, status changes
//! (acknowledge, resolve, close), root cause and resolution, severity changes, notes with
//! stack traces over several lines, key=value, ids with `_` and `-`, IPs and unicode, some
//! written down an hour after the time they carry; events in `seq` order by time, so the
//! incidents interleave as they do when many responders push over two years.
//!
//! `incident sync` on a new, empty working copy against the floor for moving the same rows:
//! `psql \copy` of the team log's `incidents` and `events` piped into the `sqlite3` shell's
//! `.import` into an empty SQLite file with `schema.sql` applied (WAL, as `incident` makes
//! it). Both run under /usr/bin/time for their peak resident memory, alternating.
//!
//! Checked before timing: after a pull, every incident has the number of events the generator
//! gave it, and a sample of incidents (every 997th) has the title, severity, status, times,
//! root cause, resolution, author and description the generator's formulas give (computed
//! here again, in Rust); the baseline's file has every event too.
//!
//! `INCIDENT_BENCH_TEAM=pull cargo bench --bench team`. `INCIDENT_BENCH_PULL_INCIDENTS`
//! (default 100000; 20 events each on average), `INCIDENT_BENCH_PULL_RUNS` (default 3);
//! `INCIDENT_BENCH_KEEP=1` keeps the generated team log (schema `bench_team_pull`) for the next
//! run, which reuses it when it has the same size.

use super::common::pg::*;
use super::common::*;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const SCHEMA: &str = "bench_team_pull";
const TIME: &str = "/usr/bin/time";

/// What the generator makes of incident `n`, computed as the SQL below computes it.
struct Expected {
    events: i64,
    title: String,
    severity0: &'static str,
    severity: &'static str,
    stage: usize,
    opened: i64,
    detected: i64,
    ack: i64,
    fix: i64,
    close: i64,
    created_by: &'static str,
    description: String,
}

const STATUS: [&str; 4] = ["OPEN", "INVESTIGATING", "RESOLVED", "CLOSED"];
const LIFE: [i64; 4] = [0, 1, 2, 5];

impl Expected {
    fn of(n: i64, start: i64) -> Expected {
        let severity = match n % 10 {
            0 => "P1",
            1..=3 => "P2",
            _ => "P3",
        };
        let severity0 = match (n % 13 == 0, severity) {
            (false, s) => s,
            (true, "P2") => "P1",
            (true, _) => "P2",
        };
        let stage = match n % 100 {
            0 => 0,
            1..=2 => 1,
            3..=5 => 2,
            _ => 3,
        };
        let opened = start + n * 600 + n * 37 % 300;
        let ack = opened + 300 + n % 3600;
        let fix = ack + 3600 + n * 13 % 86_400;
        let description = if n % 3 == 0 {
            format!("customers see 502 on POST /api/v1/orders\nfirst report: SUP-{n} from München")
        } else {
            String::new()
        };
        Expected {
            events: 8 + n * 7919 % 25,
            title: format!(
                "{} {} (eu-west-1, req_id=a1_b-{n}){}",
                SERVICES[(n % 10) as usize],
                SYMPTOMS[(n % 8) as usize],
                if n % 7 == 0 { " — café" } else { "" }
            ),
            severity0,
            severity,
            stage,
            opened,
            detected: opened - (n % 2) * (60 + n % 840),
            ack,
            fix,
            close: fix + 3600 + n * 17 % 518_400,
            created_by: RESPONDERS[(n % 8) as usize],
            description,
        }
    }
}

/// `ARRAY['a', 'b']` for SQL.
fn array(items: &[&str]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|s| format!("'{}'", s.replace('\'', "''")))
        .collect();
    format!("ARRAY[{}]", quoted.join(", "))
}

/// A UUID (version 4 shaped) from an md5 of `key`, so the generator is deterministic.
fn uuid_sql(key: &str) -> String {
    format!("overlay(overlay(md5({key}) placing '4' from 13) placing '8' from 17)::uuid")
}

fn ts(epoch: &str) -> String {
    format!("to_char(to_timestamp({epoch}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
}

/// The incidents and their events, in two statements; `start` is the first opening's epoch.
fn generate(url: &str, n: i64, start: i64) {
    let s = SCHEMA;
    let responders = array(RESPONDERS);
    let incidents = format!(
        "INSERT INTO {s}.clients (client_id, author)
             SELECT {}, ({responders})[1 + r] FROM generate_series(0, 7) r;
         INSERT INTO {s}.incidents (uuid, number, created_by, client_id)
             SELECT {}, n, ({responders})[1 + n % 8], {}
             FROM generate_series(1, {n}) n ORDER BY n;
         SELECT setval('{s}.incident_numbers', {n});",
        uuid_sql("'c' || r"),
        uuid_sql("'i' || n"),
        uuid_sql("'c' || n % 8"),
    );
    pg_run(url, &incidents);
    pg_run(
        url,
        &format!(
            "SET synchronous_commit = off; SET work_mem = '256MB'; {}",
            events_sql(n, start)
        ),
    );
}

/// The events: a plan row per incident, a row per event position, each position turned into
/// the event a responder would have pushed there, inserted in time order.
fn events_sql(n: i64, start: i64) -> String {
    let s = SCHEMA;
    let responders = array(RESPONDERS);
    let plan = format!(
        "SELECT n, {start} + n * 600 + n * 37 % 300 AS o,
             CASE n % 10 WHEN 0 THEN 'P1' WHEN 1 THEN 'P2' WHEN 2 THEN 'P2' WHEN 3 THEN 'P2'
                 ELSE 'P3' END AS sev,
             n % 13 = 0 AS changed,
             CASE WHEN n % 100 = 0 THEN 0 WHEN n % 100 <= 2 THEN 1 WHEN n % 100 <= 5 THEN 2
                 ELSE 3 END AS stage,
             8 + n * 7919 % 25 AS k
         FROM generate_series(1, {n}) n"
    );
    let note = "CASE (n * 7 + j * 5) % 12
        WHEN 0 THEN 'checked the dashboards: errors started at the deploy of checkout-api v2.' || n % 50 || '.' || j % 10
        WHEN 1 THEN 'upstream=10.' || n % 250 || '.' || j % 250 || '.7:8080 → 502 (req_id=a1_b-' || n || '-' || j || ')'
        WHEN 2 THEN 'panicked at checkout-svc/src/pool.rs:' || j || E':9\\n  0: pool::acquire (pool.rs:88)\\n  1: handler::post_order (orders.rs:142)\\n  2: tokio::runtime::task (task.rs:' || n % 1000 || ')'
        WHEN 3 THEN 'retry_after=30s pool_size=' || 8 + n % 32 || ' client_id=cl_' || n || '-' || j || ' status=degraded'
        WHEN 4 THEN 'paged the database on-call (db-oncall_eu-west-1); p99 ' || n % 20 || 's on checkout-svc (pod checkout-7f9c-' || to_hex(n) || ')'
        WHEN 5 THEN 'customer support: tickets from München, São Paulo and 東京 (SUP-' || n || ')'
        WHEN 6 THEN 'rolled back one canary; error rate unchanged (12.' || j || '%)'
        WHEN 7 THEN 'ssh deploy@10.20.' || j % 250 || '.' || n % 250 || ' → journalctl -u checkout --since -1h | grep -c ERROR = ' || n * j % 5000
        WHEN 8 THEN E'Traceback (most recent call last):\\n  File \"/srv/app/orders.py\", line ' || 100 + j || E', in create\\n    conn = pool.get(timeout=5)\\nTimeoutError: pool exhausted (size=10, waiting=' || n % 90 || ')'
        WHEN 9 THEN 'status page updated: \"Degraded performance — investigating\" (component id cmp_' || n || ')'
        WHEN 10 THEN 'latency back under 300 ms on the canary; trace_id=' || md5(n || '.' || j)
        ELSE 'handed over to the next shift 🙏 (alice → bob)' END";
    let title = format!(
        "({})[1 + n % 10] || ' ' || ({})[1 + n % 8] || ' (eu-west-1, req_id=a1_b-' || n || ')'
         || CASE WHEN n % 7 = 0 THEN ' — café' ELSE '' END",
        array(SERVICES),
        array(SYMPTOMS)
    );
    let detected = "o - (n % 2) * (60 + n % 840)";
    let detail = format!(
        "'{{' || CASE WHEN n % 3 = 0 THEN '\"description\":' || to_json('customers see 502 on POST /api/v1/orders' || E'\\n' || 'first report: SUP-' || n || ' from München')::text || ',' ELSE '' END
         || '\"detected_at\":\"' || {} || '\",\"started_at\":\"' || {} || '\"}}'",
        ts(detected),
        ts(detected)
    );
    format!(
        "WITH p AS ({plan}),
         t AS (
             SELECT p.*, o + 300 + n % 3600 AS a FROM p),
         u AS (
             SELECT t.*, a + 3600 + n * 13 % 86400 AS r FROM t),
         v AS (
             SELECT u.*, r + 3600 + n * 17 % 518400 AS c,
                 (ARRAY[0, 1, 2, 5])[1 + stage] AS life,
                 CASE WHEN stage >= 1 THEN a ELSE o END AS ns
             FROM u),
         slots AS (
             SELECT v.*, j,
                 CASE WHEN j = 1 THEN 'opened' WHEN j = 2 AND changed THEN 'severity'
                     WHEN j > k - life THEN 'life' ELSE 'note' END AS slot,
                 j - (k - life) AS m,
                 j - 1 - changed::int AS q,
                 k - life - 1 - changed::int AS notes,
                 CASE WHEN stage >= 2 THEN r ELSE ns + 7200 END AS ne
             FROM v CROSS JOIN LATERAL generate_series(1, k) j),
         e AS (
             SELECT n, j, slot,
                 CASE slot WHEN 'opened' THEN o WHEN 'severity' THEN o + 300
                     WHEN 'note' THEN ns + (ne - ns) * q / (notes + 1)
                     ELSE CASE m WHEN 1 THEN a WHEN 2 THEN r WHEN 3 THEN r + (c - r) / 3
                         WHEN 4 THEN r + 2 * (c - r) / 3 ELSE c END END AS at,
                 CASE WHEN slot = 'note' AND (n + j) % 10 = 0 THEN 3600 ELSE 0 END AS late,
                 CASE slot WHEN 'opened' THEN n % 8 ELSE (n * 3 + j) % 8 END AS who,
                 CASE slot WHEN 'life' THEN CASE WHEN m IN (3, 4) THEN 'field' ELSE 'status' END
                     ELSE slot END AS kind,
                 CASE WHEN slot = 'life' AND m = 3 THEN 'root_cause'
                     WHEN slot = 'life' AND m = 4 THEN 'resolution' END AS field,
                 CASE slot
                     WHEN 'severity' THEN CASE sev WHEN 'P2' THEN 'P1' ELSE 'P2' END
                     WHEN 'life' THEN CASE m WHEN 1 THEN 'OPEN' WHEN 2 THEN 'INVESTIGATING'
                         WHEN 5 THEN 'RESOLVED' ELSE '' END END AS old,
                 CASE slot
                     WHEN 'opened' THEN CASE WHEN changed THEN CASE sev WHEN 'P2' THEN 'P1'
                         ELSE 'P2' END ELSE sev END
                     WHEN 'severity' THEN sev
                     WHEN 'life' THEN CASE m WHEN 1 THEN 'INVESTIGATING' WHEN 2 THEN 'RESOLVED'
                         WHEN 3 THEN ({causes})[1 + n % 5] WHEN 4 THEN ({fixes})[1 + n % 5]
                         ELSE 'CLOSED' END END AS new,
                 CASE slot WHEN 'opened' THEN {title} WHEN 'note' THEN {note} ELSE '' END AS text,
                 CASE slot WHEN 'opened' THEN {detail} END AS detail
             FROM slots)
         INSERT INTO {s}.events (uuid, incident_uuid, at, recorded_at, author, kind, field, old,
             new, text, detail, client_id)
         SELECT {}, {}, {}, {}, ({responders})[1 + who], kind, field, old, new, text, detail,
             {}
         FROM e ORDER BY at, n, j",
        uuid_sql("'e' || n || '.' || j"),
        uuid_sql("'i' || n"),
        ts("at"),
        ts("at + late"),
        uuid_sql("'c' || who"),
        causes = array(CAUSES),
        fixes = array(FIXES),
    )
}

/// The team log to pull: reused when kept from a run of the same size, else made anew.
/// Returns the generator's start (the first opening's epoch).
fn team_log(url: &str, home: &Path, n: i64) -> i64 {
    let exists = pg_count(
        url,
        &format!(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = '{SCHEMA}' AND table_name = 'bench_generated'"
        ),
    ) > 0;
    if exists {
        let kept = pg_rows(
            url,
            &format!("SELECT n::text, start::text FROM {SCHEMA}.bench_generated"),
        );
        if kept[0][0] == n.to_string() {
            println!("reusing the team log kept in schema {SCHEMA}");
            return kept[0][1].parse().unwrap();
        }
    }
    pg_run(url, &format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"));
    team_home(home, url, SCHEMA);
    output(incident(home, &["team", "init"]));
    let start = unix_now() - 700 * 86_400;
    let began = Instant::now();
    generate(url, n, start);
    pg_run(
        url,
        &format!(
            "CREATE TABLE {SCHEMA}.bench_generated (n bigint, start bigint);
             INSERT INTO {SCHEMA}.bench_generated VALUES ({n}, {start}); ANALYZE {SCHEMA}.events"
        ),
    );
    println!(
        "generated {n} incidents and {} events in {:.0} s",
        pg_count(url, &format!("SELECT count(*) FROM {SCHEMA}.events")),
        began.elapsed().as_secs_f64()
    );
    start
}

fn incident(home: &Path, args: &[&str]) -> Command {
    let mut cmd = child(bin(), home);
    cmd.args(args).env("INCIDENT_AUTHOR", "newcomer");
    cmd
}

/// A command under /usr/bin/time: its wall time and peak resident memory (KiB).
fn measured(cmd: Command, home: &Path) -> (Duration, u64) {
    let mut timed_cmd = Command::new(TIME);
    timed_cmd
        .arg("-v")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    timed_cmd.env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            timed_cmd.env(k, v);
        }
    }
    timed_cmd
        .current_dir(home)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null());
    let took = timed(timed_cmd, home);
    let report = std::fs::read_to_string(home.join("stderr.txt")).unwrap();
    let kib = report
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .expect("/usr/bin/time -v reports the peak memory");
    (took, kib)
}

/// The baseline: the team log's tables through `psql \copy` into the `sqlite3` shell's
/// `.import`, into an empty file with schema.sql applied (setup, not timed).
fn baseline(url: &str, home: &Path, db: &Path) -> Command {
    let _ = std::fs::remove_file(db);
    // schema.sql through the library's own SQLite: the shell's (3.40 on Debian 12) does not
    // know the FTS5 options the search tables use, and never touches them on an import.
    let schema_sql = include_str!("../../schema.sql");
    let conn = rusqlite::Connection::open(db).expect("create the baseline's file");
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch(schema_sql).expect("schema.sql");
    drop(conn);
    // Each row as the working copy's tables hold it: the incident's columns a pull fills from
    // its `opened` event, the events under their incident's number as row key.
    let incidents = format!(
        "SELECT i.number, i.uuid, i.number, e.text, coalesce(e.detail::json->>'description', ''),
             e.new, 'OPEN', '', '', '', '', e.detail::json->>'detected_at', e.at, NULL, NULL,
             NULL, i.created_by, e.at, '', '', e.detail::json->>'started_at', '', '', NULL,
             i.number, i.number
         FROM {SCHEMA}.incidents i JOIN {SCHEMA}.events e
             ON e.incident_uuid = i.uuid AND e.kind = 'opened' ORDER BY i.number"
    );
    let events = format!(
        "SELECT e.seq, i.number, e.at, e.recorded_at, e.author, e.kind, e.field, e.old, e.new,
             e.text, e.detail, e.uuid
         FROM {SCHEMA}.events e JOIN {SCHEMA}.incidents i ON i.uuid = e.incident_uuid
         ORDER BY e.seq"
    );
    let one_line = |sql: &str| sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let pipe = |sql: &str, table: &str| {
        format!(
            "psql -X -q -v ON_ERROR_STOP=1 '{url}' -c \"\\copy ({}) TO STDOUT (FORMAT csv)\" | sqlite3 -bail '{}' '.import --csv /dev/stdin {table}'",
            one_line(sql).replace('"', "\\\""),
            db.display()
        )
    };
    let mut cmd = child("/bin/bash", home);
    cmd.arg("-c").arg(format!(
        "set -eo pipefail; {}; {}",
        pipe(&incidents, "incidents"),
        pipe(&events, "events")
    ));
    cmd
}

pub fn run() {
    let n = env_number("INCIDENT_BENCH_PULL_INCIDENTS", 100_000) as i64;
    let runs = env_number("INCIDENT_BENCH_PULL_RUNS", 3) as usize;
    let keep = std::env::var("INCIDENT_BENCH_KEEP").is_ok_and(|v| v == "1");
    for tool in [TIME, SQLITE3, "/usr/bin/psql"] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing (apt-get install time sqlite3 postgresql-client)"
        );
    }
    let url = pg_url();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let home = dir.path();
    team_home(home, &url, SCHEMA);
    let start = team_log(&url, home, n);
    let total = pg_count(&url, &format!("SELECT count(*) FROM {SCHEMA}.events"));

    // Correctness first: one pull and one baseline import, checked.
    let copy = home.join("copy.db");
    let db_arg = copy.display().to_string();
    let pull = || incident(home, &["--db", &db_arg, "sync"]);
    let (took, kib) = measured(pull(), home);
    println!(
        "first pull: {:.1} s, {} MiB peak",
        took.as_secs_f64(),
        kib / 1024
    );
    check(&copy, n, start, total);
    let base_db = home.join("baseline.db");
    timed(baseline(&url, home, &base_db), home);
    check_baseline(&base_db, total);

    let mut samples: [Vec<(Duration, u64)>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..runs {
        for f in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{db_arg}{f}"));
        }
        samples[0].push(measured(pull(), home));
        let cmd = baseline(&url, home, &base_db);
        samples[1].push(measured(cmd, home));
    }
    report(&samples, n, total, runs);
    if !keep {
        pg_run(&url, &format!("DROP SCHEMA {SCHEMA} CASCADE"));
    }
}

/// Every incident has its events; a sample has the fields the generator's formulas give.
fn check(db: &Path, n: i64, start: i64, total: i64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let counts: Vec<(i64, i64)> = conn
        .prepare(
            "SELECT i.number, count(*) FROM events e JOIN incidents i ON i.pk = e.incident_pk
             GROUP BY i.number ORDER BY i.number",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(counts.len() as i64, n, "every incident pulled");
    for (number, count) in &counts {
        assert_eq!(
            *count,
            Expected::of(*number, start).events,
            "events of {number}"
        );
    }
    assert_eq!(counts.iter().map(|c| c.1).sum::<i64>(), total);
    let t = |e: i64| rfc3339(e);
    let mut sampled = 0;
    for number in (1..=n).step_by(997).chain([n]) {
        let x = Expected::of(number, start);
        let row: Vec<Option<String>> = conn
            .query_row(
                "SELECT title, severity, status, opened_at, detected_at, acknowledged_at,
                     resolved_at, closed_at, root_cause, resolution, created_by, description,
                     team_number
                 FROM incidents WHERE number = ?1",
                [number],
                |r| {
                    (0..13)
                        .map(|i| r.get::<_, Option<rusqlite::types::Value>>(i))
                        .collect::<Result<Vec<_>, _>>()
                },
            )
            .unwrap()
            .into_iter()
            .map(|v| match v {
                Some(rusqlite::types::Value::Text(s)) => Some(s),
                Some(rusqlite::types::Value::Integer(i)) => Some(i.to_string()),
                _ => None,
            })
            .collect();
        let closed = x.stage == 3;
        let expected: Vec<Option<String>> = vec![
            Some(x.title.clone()),
            Some(x.severity.into()),
            Some(STATUS[x.stage].into()),
            Some(t(x.opened)),
            Some(t(x.detected)),
            (x.stage >= 1).then(|| t(x.ack)),
            (x.stage >= 2).then(|| t(x.fix)),
            closed.then(|| t(x.close)),
            Some(if closed {
                CAUSES[(number % 5) as usize].into()
            } else {
                String::new()
            }),
            Some(if closed {
                FIXES[(number % 5) as usize].into()
            } else {
                String::new()
            }),
            Some(x.created_by.into()),
            Some(x.description.clone()),
            Some(number.to_string()),
        ];
        assert_eq!(
            row, expected,
            "incident {number} (severity first {})",
            x.severity0
        );
        assert!(LIFE[x.stage] < x.events);
        sampled += 1;
    }
    println!(
        "checked: {n} incidents with the generator's event counts ({total} events); \
         {sampled} sampled incidents' fields as the generator made them"
    );
}

fn check_baseline(db: &Path, total: i64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let events: i64 = conn
        .query_row("SELECT count(DISTINCT uuid) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, total, "the baseline imported every event");
}

fn report(samples: &[Vec<(Duration, u64)>; 2], n: i64, total: i64, runs: usize) {
    let median = |s: &[(Duration, u64)]| {
        let d: Vec<Duration> = s.iter().map(|x| x.0).collect();
        let mut m: Vec<u64> = s.iter().map(|x| x.1).collect();
        m.sort();
        (stats(&d).0 / 1e3, m[m.len() / 2] / 1024)
    };
    let (pull_s, pull_mib) = median(&samples[0]);
    let (base_s, base_mib) = median(&samples[1]);
    println!(
        "\n{n} incidents, {total} events; {runs} runs each, median\n\
         | | wall | peak RSS | / baseline |\n|---|---:|---:|---:|\n\
         | `incident sync`, new working copy | {pull_s:.1} s | {pull_mib} MiB | {:.2} |\n\
         | `psql \\copy` into `sqlite3 .import` | {base_s:.1} s | {base_mib} MiB | 1.00 |",
        pull_s / base_s
    );
    for (i, (p, b)) in samples[0].iter().zip(&samples[1]).enumerate() {
        println!(
            "run {i}: pull {:.1} s {} MiB; baseline {:.1} s {} MiB",
            p.0.as_secs_f64(),
            p.1 / 1024,
            b.0.as_secs_f64(),
            b.1 / 1024
        );
    }
}
