//! Attached logs at the scale of issue 6: `incident attach` of a 1 GB pod-like log next to the
//! `sqlite3` shell loading the same lines into an FTS5 table, and `incident search` over those
//! logs plus 100,000 incidents next to ripgrep searching the same logs as plain files.
//!
//! Run it with `cargo bench --bench logs` (about 8 minutes on two cores once built, most of it
//! the ingest runs). It needs `/usr/bin/sqlite3` (`apt-get install sqlite3`), `/usr/bin/rg`
//! (`apt-get install ripgrep`) and GNU `/usr/bin/time` (`apt-get install time`, for peak
//! memory), and stops with exit code 2 naming what is missing. `INCIDENT_BENCH_LOG_MB=100`
//! makes the log smaller for a quick run (default 1000, i.e. 1 GB); `INCIDENT_BENCH_INGEST_RUNS`
//! and `INCIDENT_BENCH_SEARCH_RUNS` change the number of runs (3 and 15);
//! `INCIDENT_BENCH_KEEP=1` keeps the temporary directory (databases and logs) for profiling.
//!
//! The log is generated with a fixed seed into eight files (pods-0.log … pods-7.log, one per
//! node, like `kubectl logs` of the pods on it): timestamps, levels, pod names, request ids,
//! HTTP access lines, messages from a vocabulary of a few hundred words with a skewed
//! frequency, error texts, and one line in 200 a long JSON payload.
//!
//! Ingest: each run starts from an empty database on both sides. `incident attach 1 FILE…`
//! (all eight in one transaction, redacted, compressed, deduplicated, indexed) alternates with
//! the `sqlite3` shell importing the same files line by line into
//! a contentless `fts5(line, content = '', tokenize = 'unicode61 remove_diacritics 2')` (the tokenizer `incident` uses) in
//! one transaction, in WAL mode like `incident`. Both run under `/usr/bin/time` for their peak
//! resident memory; each side closes by checkpointing its WAL into the database.
//!
//! Search (`logs/search.rs`): a database of 100,000 incidents and 2,000,000 events
//! (benches/common) with the eight files attached to one incident. For a rare word, a request
//! id, a phrase, a prefix and a common word: every matching line (`--limit 0`) and the default
//! page against `rg -n`, `--count` against `rg -c`, and the common word against `rg -n -z` over
//! the files zstd-compressed; both sides' outputs are compared line for line before timing,
//! and any difference stops the benchmark. rg is `$INCIDENT_BENCH_RG`, else /usr/bin/rg.
//! (Version 10's migration was timed here too, on the attach database taken back to version 9;
//! once later versions changed other tables, a version 9 could no longer be made that way and
//! the step failed, so it was removed: BENCHMARKS.md keeps its last figures.)

mod common;
#[path = "logs/search.rs"]
mod search;

use common::*;
use rusqlite::Connection;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TIME: &str = "/usr/bin/time";
const ZSTD: &str = "/usr/bin/zstd";

/// The log is split like the logs of the pods on eight nodes, which also lets rg use every core.
const FILES: usize = 8;

/// The incident the logs are attached to in the search database.
const TARGET: i64 = INCIDENTS;

fn main() {
    let started = Instant::now();
    let rg = search::rg_path();
    let rg_name = rg.display().to_string();
    let missing: Vec<String> = [
        (SQLITE3, "sqlite3"),
        (rg_name.as_str(), "ripgrep"),
        (TIME, "time"),
        (ZSTD, "zstd"),
    ]
    .iter()
    .filter(|(path, _)| !Path::new(path).exists())
    .map(|(path, package)| format!("{path} (apt-get install {package})"))
    .collect();
    if !missing.is_empty() {
        eprintln!(
            "error: the baselines are missing: {}; nothing was measured",
            missing.join(", ")
        );
        std::process::exit(2);
    }
    let log_mb: u64 = env_number("INCIDENT_BENCH_LOG_MB", 1000);
    let ingest_runs = env_number("INCIDENT_BENCH_INGEST_RUNS", 3) as usize;
    let search_runs = env_number("INCIDENT_BENCH_SEARCH_RUNS", 15) as usize;

    let dir = tempfile::tempdir().expect("create a temporary directory");
    let home = dir.path().to_path_buf();
    // For profiling afterwards: the databases and logs stay.
    let _remove_at_exit = if std::env::var_os("INCIDENT_BENCH_KEEP").is_some() {
        println!("keeping {}", dir.keep().display());
        None
    } else {
        Some(dir)
    };
    let home = home.as_path();
    println!(
        "SQLite in incident (rusqlite, bundled): {}; {}; {}",
        rusqlite::version(),
        version(SQLITE3, home),
        version(&rg_name, home).lines().next().unwrap_or_default()
    );

    let generation = Instant::now();
    let logs = generate_logs(&home.join("logs"), log_mb * 1_000_000);
    println!(
        "generated {} bytes, {} lines in {FILES} files in {:.1} s (request id probed: {})",
        logs.bytes,
        logs.lines,
        generation.elapsed().as_secs_f64(),
        logs.probe
    );

    ingest(home, &logs, ingest_runs);
    search::search(home, &logs, search_runs);
    println!(
        "\nwhole benchmark: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a whole number")),
        Err(_) => default,
    }
}

// ---------------------------------------------------------------------------------------------
// Child processes

/// `incident --db DB --author bench ARGS…`
fn incident(db: &Path, home: &Path, args: &[&OsStr]) -> Command {
    let mut cmd = child(BIN, home);
    cmd.arg("--db")
        .arg(db)
        .args(["--author", "bench"])
        .args(args);
    cmd
}

fn version(program: &str, home: &Path) -> String {
    let mut cmd = child(program, home);
    cmd.arg("--version");
    let v = output(cmd).trim().to_string();
    format!("{program}: {v}")
}

/// The same command under GNU time, which writes the child's peak resident set (kB) to `rss`.
fn with_peak_memory(cmd: &Command, rss: &Path) -> Command {
    let mut timed = Command::new(TIME);
    timed
        .args(["-f", "%M", "-o"])
        .arg(rss)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env_clear()
        .envs(
            cmd.get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    if let Some(dir) = cmd.get_current_dir() {
        timed.current_dir(dir);
    }
    timed
}

fn read_rss_kb(path: &Path) -> u64 {
    let text = std::fs::read_to_string(path).expect("GNU time wrote the peak memory");
    text.lines()
        .rev()
        .find_map(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak memory in {}: {text}", path.display()))
}

fn remove_db(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

// ---------------------------------------------------------------------------------------------
// The log

struct Logs {
    files: Vec<PathBuf>,
    bytes: u64,
    lines: u64,
    /// A request id from the middle of pods-3.log, for the request-id query.
    probe: String,
}

const LEVELS: [&str; 4] = ["INFO", "DEBUG", "WARN", "ERROR"];

const SERVICES: &[&str] = &[
    "checkout-api",
    "payments-worker",
    "login",
    "search-indexer",
    "image-resizer",
    "orders-db-proxy",
    "mobile-push",
    "billing-export",
    "status-page",
    "vpn-gateway",
    "inventory",
    "recommendations",
    "cart",
    "shipping-quotes",
    "fraud-check",
    "email-sender",
    "price-collector",
    "materialized-updater",
    "session-cache",
    "audit-log",
];

const METHODS: &[&str] = &["GET", "GET", "GET", "POST", "PUT", "DELETE"];

const RESOURCES: &[&str] = &[
    "orders",
    "carts",
    "users",
    "sessions",
    "products",
    "prices",
    "invoices",
    "shipments",
    "payments",
    "refunds",
    "coupons",
    "reviews",
];

const STATUSES: &[&str] = &[
    "200", "200", "200", "200", "201", "204", "304", "400", "404", "500",
];

/// Message words, most frequent first (the generator picks the low indices far more often).
const WORDS: &[&str] = &[
    "request",
    "completed",
    "started",
    "processing",
    "batch",
    "user",
    "order",
    "cache",
    "hit",
    "miss",
    "worker",
    "queue",
    "message",
    "received",
    "sent",
    "retrying",
    "upstream",
    "database",
    "query",
    "took",
    "rows",
    "returned",
    "connection",
    "pool",
    "acquired",
    "released",
    "handler",
    "event",
    "published",
    "consumer",
    "offset",
    "committed",
    "partition",
    "assigned",
    "session",
    "created",
    "expired",
    "refreshed",
    "price",
    "updated",
    "inventory",
    "reserved",
    "payment",
    "authorized",
    "captured",
    "declined",
    "shipment",
    "scheduled",
    "label",
    "printed",
    "email",
    "queued",
    "delivered",
    "bounced",
    "webhook",
    "called",
    "response",
    "validated",
    "schema",
    "migration",
    "applied",
    "skipped",
    "lock",
    "waiting",
    "granted",
    "timeout",
    "deadline",
    "exceeded",
    "circuit",
    "breaker",
    "opened",
    "closed",
    "half",
    "health",
    "check",
    "passed",
    "failed",
    "liveness",
    "readiness",
    "probe",
    "replica",
    "replicas",
    "replication",
    "lag",
    "leader",
    "elected",
    "follower",
    "snapshot",
    "compaction",
    "segment",
    "flushed",
    "memory",
    "usage",
    "heap",
    "gc",
    "pause",
    "threads",
    "goroutines",
    "scaled",
    "autoscaler",
    "node",
    "drained",
    "evicted",
    "restarted",
    "container",
    "image",
    "pulled",
    "volume",
    "mounted",
    "secretless",
    "config",
    "reloaded",
    "feature",
    "flag",
    "enabled",
    "disabled",
    "rollout",
    "canary",
    "promoted",
    "rolled",
    "back",
    "throttled",
    "rate",
    "limit",
    "quota",
    "remaining",
    "tenant",
    "region",
    "eu",
    "us",
    "west",
    "east",
    "zone",
    "failover",
    "dns",
    "resolved",
    "certificate",
    "renewed",
    "tls",
    "handshake",
    "grpc",
    "stream",
    "reset",
    "http2",
    "keepalive",
    "idle",
    "closing",
    "socket",
    "bytes",
    "written",
    "read",
    "disk",
    "pressure",
    "inode",
    "file",
    "rotated",
    "archive",
    "uploaded",
    "bucket",
    "object",
    "checksum",
    "mismatch",
    "verified",
    "signature",
    "token",
    "refresh",
    "login",
    "logout",
    "password",
    "reset",
    "requested",
    "coupon",
    "redeemed",
    "cart",
    "abandoned",
    "recommendation",
    "model",
    "loaded",
    "inference",
    "latency",
    "p99",
    "slo",
    "budget",
    "burn",
    "alert",
    "fired",
    "silenced",
    "paged",
    "oncall",
    "acknowledged",
    "kafka",
    "rebalance",
    "redis",
    "postgres",
    "mysql",
    "elasticsearch",
    "index",
    "refreshing",
    "shard",
    "relocated",
    "cluster",
    "yellow",
    "green",
    "red",
];

const ERRORS: &[&str] = &[
    "connection refused",
    "context deadline exceeded",
    "connection reset by peer",
    "no route to host",
    "i/o timeout",
    "too many open files",
    "deadlock detected",
    "duplicate key value violates unique constraint",
    "upstream connect error or disconnect/reset before headers",
    "certificate has expired",
    "broken pipe",
    "out of memory",
];

/// The word the rare-word query looks for: about one line in 200,000.
const RARE: &str = "segfault";

struct LineGen {
    rng: Rng,
    pods: Vec<String>,
    micros: i64,
    rid: String,
    rid_left: u64,
}

impl LineGen {
    fn new() -> LineGen {
        let mut rng = Rng(0x1065_2026);
        let mut pods = Vec::new();
        for service in SERVICES {
            for _ in 0..3 {
                let replicaset = format!("{:x}", rng.next() & 0xff_ffff);
                for _ in 0..4 {
                    let suffix: String = (0..5)
                        .map(|_| b"bcdfghjklmnpqrstvwxz2456789"[rng.below(27) as usize] as char)
                        .collect();
                    pods.push(format!("{service}-{replicaset}-{suffix}"));
                }
            }
        }
        LineGen {
            rng,
            pods,
            // 2026-11-29T00:00:00Z
            micros: 1_795_910_400_000_000,
            rid: String::new(),
            rid_left: 0,
        }
    }

    /// A word index skewed to the front of the list: the product of two uniform draws.
    fn word(&mut self) -> &'static str {
        let n = WORDS.len() as u64;
        let i = self.rng.below(n) * self.rng.below(n) / n;
        WORDS[i as usize]
    }

    fn line(&mut self, out: &mut String) {
        self.micros += 1 + self.rng.below(2_000) as i64;
        if self.rid_left == 0 {
            // A request spans a few lines.
            self.rid = format!("{:016x}", self.rng.next());
            self.rid_left = 1 + self.rng.below(4);
        }
        self.rid_left -= 1;
        let ts = chrono::DateTime::from_timestamp_micros(self.micros).expect("a valid time");
        let level = match self.rng.below(100) {
            0..60 => LEVELS[0],
            60..80 => LEVELS[1],
            80..93 => LEVELS[2],
            _ => LEVELS[3],
        };
        let pod = &self.pods[self.rng.below(self.pods.len() as u64) as usize];
        let _ = write!(
            out,
            "{} {level:<5} {pod} req={} ",
            ts.format("%Y-%m-%dT%H:%M:%S%.6fZ"),
            self.rid
        );
        match self.rng.below(1000) {
            0..450 => {
                let method = self.rng.pick(METHODS);
                let resource = self.rng.pick(RESOURCES);
                let id = self.rng.below(1_000_000);
                let status = self.rng.pick(STATUSES);
                let slow = self.rng.below(2_000) + 1;
                let ms = self.rng.below(slow);
                let bytes = self.rng.below(50_000);
                let _ = write!(
                    out,
                    "{method} /api/v1/{resource}/{id} {status} {ms}ms bytes={bytes}"
                );
            }
            450..995 => {
                for i in 0..4 + self.rng.below(12) {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(self.word());
                }
                if level == "WARN" || level == "ERROR" {
                    let error = self.rng.pick(ERRORS);
                    let _ = write!(out, " error=\"{error}\"");
                }
            }
            _ => {
                out.push_str("payload={\"items\":[");
                for i in 0..20 + self.rng.below(100) {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(
                        out,
                        "{{\"sku\":\"{}-{}\",\"qty\":{},\"price\":{}.{:02},\"warehouse\":\"{}\"}}",
                        self.rng.pick(RESOURCES),
                        self.rng.below(100_000),
                        1 + self.rng.below(9),
                        self.rng.below(500),
                        self.rng.below(100),
                        self.word()
                    );
                }
                out.push_str("]}");
            }
        }
        if self.rng.below(200_000) == 0 {
            let _ = write!(out, " {RARE} in worker thread, core dumped");
        }
        out.push('\n');
    }
}

/// Writes about `total` bytes of log lines into FILES files; deterministic for a given size.
fn generate_logs(dir: &Path, total: u64) -> Logs {
    std::fs::create_dir_all(dir).expect("create the log directory");
    let mut generator = LineGen::new();
    let per_file = total / FILES as u64;
    let mut logs = Logs {
        files: Vec::new(),
        bytes: 0,
        lines: 0,
        probe: String::new(),
    };
    let mut line = String::with_capacity(16 * 1024);
    for f in 0..FILES {
        let path = dir.join(format!("pods-{f}.log"));
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&path).expect("create a log"));
        let mut written = 0u64;
        while written < per_file {
            line.clear();
            generator.line(&mut line);
            if f == 3 && logs.probe.is_empty() && written >= per_file / 2 {
                logs.probe = generator.rid.clone();
            }
            w.write_all(line.as_bytes()).expect("write the log");
            written += line.len() as u64;
            logs.lines += 1;
        }
        w.flush().expect("write the log");
        logs.bytes += written;
        logs.files.push(path);
    }
    logs
}

// ---------------------------------------------------------------------------------------------
// Ingest

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ingest {
    Attach,
    Import,
}

fn ingest(home: &Path, logs: &Logs, runs: usize) {
    let attach_db = home.join("attach.db");
    let import_db = home.join("import.db");
    let script = write_import_script(home, logs);

    println!("\ningest: {runs} runs of each side, alternating, each from an empty database");
    let sides = [Ingest::Attach, Ingest::Import];
    let samples = measure(
        &sides,
        |side, round| match side {
            Ingest::Attach => {
                remove_db(&attach_db);
                let open = ["open", "P2", "logs"].map(OsStr::new);
                output(incident(&attach_db, home, &open));
                let mut args = vec![OsStr::new("attach"), OsStr::new("1")];
                args.extend(logs.files.iter().map(|f| f.as_os_str()));
                with_peak_memory(
                    &incident(&attach_db, home, &args),
                    &rss_file(home, *side, round),
                )
            }
            Ingest::Import => {
                remove_db(&import_db);
                let mut shell = child(SQLITE3, home);
                shell.arg(&import_db);
                let mut cmd = with_peak_memory(&shell, &rss_file(home, *side, round));
                cmd.stdin(File::open(&script).expect("open the import script"));
                cmd
            }
        },
        0,
        runs,
        home,
    );

    check_both_sides_hold_every_line(&attach_db, &import_db, logs);
    print_ingest_table(home, logs, runs, &samples);
    index_size(home, &attach_db, logs);
}

/// The line index's share of the database, from the `sqlite3` shell's dbstat.
fn index_size(home: &Path, db: &Path, logs: &Logs) {
    let mut cmd = child(SQLITE3, home);
    cmd.arg(db).arg(
        "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'search_line%'; \
         SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = 'blob_chunks';",
    );
    let out = output(cmd);
    let sizes: Vec<u64> = out.lines().filter_map(|l| l.trim().parse().ok()).collect();
    let gb = logs.bytes as f64 / 1e9;
    println!(
        "line index (search_line): {} = {:.0} MB per GB of logs; chunks (zstd): {} = {:.0} MB per GB",
        mib(sizes[0]),
        sizes[0] as f64 / 1e6 / gb,
        mib(sizes[1]),
        sizes[1] as f64 / 1e6 / gb
    );
}

/// The `sqlite3` shell's side: a script importing every log file line by line into an FTS5
/// table with `incident`'s tokenizer, in WAL mode and one transaction.
fn write_import_script(home: &Path, logs: &Logs) -> PathBuf {
    let script = home.join("import.sql");
    let mut sql = String::from(
        "PRAGMA journal_mode = WAL;\n\
         CREATE VIRTUAL TABLE logs USING fts5(line, content = '', tokenize = 'unicode61 remove_diacritics 2');\n\
         .mode ascii\n\
         .separator \"\\037\" \"\\n\"\n\
         BEGIN;\n",
    );
    for file in &logs.files {
        let _ = writeln!(sql, ".import '{}' logs", file.display());
    }
    sql.push_str("COMMIT;\n");
    std::fs::write(&script, sql).expect("write the import script");
    script
}

/// Where GNU time writes the peak memory of one side's run.
fn rss_file(home: &Path, side: Ingest, round: usize) -> PathBuf {
    let name = if side == Ingest::Attach {
        "attach"
    } else {
        "import"
    };
    home.join(format!("rss-{name}-{round}.txt"))
}

/// Both sides hold every line: the blob counts them, the FTS5 table has a row each.
fn check_both_sides_hold_every_line(attach_db: &Path, import_db: &Path, logs: &Logs) {
    let attach = Connection::open(attach_db).expect("open the attach database");
    let (blob_bytes, blob_lines, stored): (i64, i64, i64) = attach
        .query_row(
            "SELECT sum(size), sum(lines), sum(stored) FROM blobs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (blob_bytes as u64, blob_lines as u64),
        (logs.bytes, logs.lines)
    );
    let import = Connection::open(import_db).expect("open the import database");
    let rows: i64 = import
        .query_row("SELECT count(*) FROM logs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        rows as u64, logs.lines,
        "the shell did not import a row per line"
    );
    println!(
        "incident: {} stored (zstd) of {}; database {}; sqlite3: database {}",
        mib(stored as u64),
        mib(blob_bytes as u64),
        mib(file_size(attach_db)),
        mib(file_size(import_db))
    );
}

/// Every run's time, then the table: median time, throughput and peak memory of each side.
fn print_ingest_table(home: &Path, logs: &Logs, runs: usize, samples: &[Vec<Duration>]) {
    let mb = logs.bytes as f64 / 1e6;
    let row = |side: Ingest, s: &[Duration]| {
        let secs: Vec<f64> = s.iter().map(Duration::as_secs_f64).collect();
        let (median_ms, _) = stats(s);
        let peak = (0..runs)
            .map(|round| read_rss_kb(&rss_file(home, side, round)))
            .max()
            .unwrap_or(0);
        (median_ms / 1e3, secs, peak)
    };
    let (attach_s, attach_all, attach_peak) = row(Ingest::Attach, &samples[0]);
    let (import_s, import_all, import_peak) = row(Ingest::Import, &samples[1]);
    let list = |v: &[f64]| {
        v.iter()
            .map(|s| format!("{s:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "attach runs (s): {}; import runs (s): {}",
        list(&attach_all),
        list(&import_all)
    );
    println!(
        "\n| {mb:.0} MB, {} lines | median time | MB/s | peak RSS |",
        logs.lines
    );
    println!("|---|---:|---:|---:|");
    println!(
        "| `incident attach` (redact, zstd, SHA-256, FTS5 row per line) | {attach_s:.1} s | {:.1} | {:.1} MB |",
        mb / attach_s,
        attach_peak as f64 / 1024.0
    );
    println!(
        "| `sqlite3` shell `.import` into contentless `fts5(line)`, one transaction | {import_s:.1} s | {:.1} | {:.1} MB |",
        mb / import_s,
        import_peak as f64 / 1024.0
    );
    println!(
        "| ratio (time, goal ≤ 1.5) | {:.2} | | |",
        attach_s / import_s
    );
}

/// The 100,000 incidents of benches/common, with their fields in the search index as the
/// store would have put them (the fill writes SQL straight into the tables; notes are indexed
/// by the first search, as they are after `incident note`).
fn fill_incidents(db: &Path, home: &Path) {
    let (conn, _) = fill(db, home, |tx| {
        for field in ["description", "root_cause", "resolution"] {
            tx.execute(
                &format!(
                    "INSERT INTO search_docs (kind, incident_pk, ref, at, body)
                     SELECT 'field', pk, '{field}', updated_at, {field} FROM incidents
                     WHERE pk > 1 AND {field} <> ''"
                ),
                [],
            )
            .unwrap();
        }
        tx.execute(
            "INSERT INTO search_docs (kind, incident_pk, ref, at, body)
             SELECT 'field', pk, 'title', updated_at, title FROM incidents WHERE pk > 1",
            [],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO search (rowid, text) SELECT id, body FROM search_docs WHERE kind = 'field'
                 AND incident_pk > 1",
            [],
        )
        .unwrap();
    });
    conn.close().map_err(|(_, e)| e).unwrap();
}
