//! How fast the `incident` binary answers on a large log, next to the `sqlite3` shell doing the
//! same SQL on the same file.
//!
//! Run it with `cargo bench --bench cli`: about 20 seconds on two cores once built. The baseline
//! needs `/usr/bin/sqlite3` (`apt-get install sqlite3`); without it only `incident` is timed.
//!
//! It builds, in a temporary directory, a database of 100,000 incidents and 2,000,000 timeline
//! events: created by the real binary (so the real schema and pragmas apply), then filled in one
//! transaction. Then it times whole processes, spawn to exit, because that is what a responder
//! waits for: `incident note` (with a pinned author, and with the author looked up in git),
//! `incident list` (newest 50, and filtered), and `incident show`. Each is paired with the
//! `sqlite3` shell running the equivalent statement, and the runs alternate (A, B, A, B, …) so
//! both sides see the same machine conditions. It prints a markdown table of medians and 90th
//! percentiles; then the WAL as 1,000 notes accumulate with only the binary writing (it skips
//! the checkpoint on close and empties the WAL once it passes `store::WAL_LIMIT`) and
//! what `note` and `list` cost by then; the event count (every note landed); and the query plans
//! of `list` (they must walk an index, not sort the table).

use chrono::DateTime;
use rusqlite::{Connection, OpenFlags, params};
use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BIN: &str = env!("CARGO_BIN_EXE_incident");
const SQLITE3: &str = "/usr/bin/sqlite3";

const INCIDENTS: i64 = 100_000;
const EVENTS: i64 = 2_000_000;
/// The incident every note goes to and `show` prints: one from the middle of the log.
const TARGET: i64 = 50_000;

const WARMUP: usize = 5;
const RUNS: usize = 60;
/// Consecutive `incident note` runs after the timed rounds, enough to fill the WAL past the
/// store's limit many times over.
const WAL_NOTES: usize = 1_000;

/// The columns the store selects (`store::rows::INCIDENT_COLUMNS`, private to the library), so
/// the query plan printed below is the plan of the query `incident list` runs.
const INCIDENT_COLUMNS: &str = "pk, uuid, number, title, description, severity, status, \
     root_cause, resolution, prevention, lessons_learned, detected_at, opened_at, \
     acknowledged_at, resolved_at, closed_at, created_by, updated_at";

fn main() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let home = dir.path();
    let db = home.join("incidents.db");

    let baseline = Path::new(SQLITE3).exists();
    print_versions(baseline, home);

    let generation = Instant::now();
    let generated = generate(&db, home);
    println!(
        "generated {INCIDENTS} incidents and {EVENTS} events in {:.1} s; database {}",
        generation.elapsed().as_secs_f64(),
        mib(file_size(&db))
    );
    println!("{generated}");

    if !baseline {
        println!(
            "\n{SQLITE3} not found: install it with `apt-get install sqlite3` to measure the \
             baseline; measuring incident alone, without ratios."
        );
    }
    let cases = cases(&db, home, baseline);
    let samples = measure(&cases, home);
    let wal_after_rounds = file_size(&wal_path(&db));
    print_table(&cases, &samples);

    let notes_in_rounds = (WARMUP + RUNS) * cases.iter().filter(|c| c.writes).count();
    println!();
    // Every sqlite3 shell run, the last connection to close, checkpoints and removes the WAL,
    // so in the rounds above each `incident` command starts without one; `wal_growth` shows the
    // WAL when only the binary writes.
    println!(
        "WAL after the timed rounds: {wal_after_rounds} bytes{}",
        if baseline {
            " (every sqlite3 shell run checkpoints and removes it when it closes)"
        } else {
            ""
        }
    );
    let list = cases
        .iter()
        .position(|c| c.row == "list" && c.side == Side::Incident)
        .unwrap();
    let list_in_table = stats(&samples[list]).0;
    wal_growth(&db, home, list_in_table);

    let notes = (notes_in_rounds + WAL_NOTES) as i64;
    let events = count_events(&db);
    println!("events after the runs: {events} (= {EVENTS} + {notes} notes)");
    assert_eq!(events, EVENTS + notes, "some notes did not land");

    print_plans(&db);
    println!(
        "\nwhole benchmark: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------------
// Child processes

/// A command for a child process in a controlled environment: nothing from the caller's shell
/// (INCIDENT_DB, INCIDENT_CONFIG, INCIDENT_NOW, INCIDENT_AUTHOR, XDG_*, GIT_*, NO_COLOR, a
/// ~/.sqliterc) reaches it. HOME and the working directory are the temporary directory, so no
/// user config is read and `git config` does not find this repository's `.git`.
fn child(program: impl AsRef<OsStr>, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        // git may live in /usr/local/bin, so keep the caller's search path.
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        // The author `incident` falls back to when git has no user.name.
        .env("USER", "bench")
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .current_dir(home)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    cmd
}

/// Runs a child to completion and returns its wall time, spawn to exit. Its stderr goes to a file
/// (opened before the clock starts) so a failure can be reported; a benchmark of failing commands
/// measures nothing.
fn timed(mut cmd: Command, scratch: &Path) -> Duration {
    let stderr_path = scratch.join("stderr.txt");
    let stderr = File::create(&stderr_path).expect("create the stderr file");
    cmd.stderr(stderr);
    let start = Instant::now();
    let status = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
        .wait()
        .expect("wait for the child");
    let elapsed = start.elapsed();
    if !status.success() {
        let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        panic!("{cmd:?} failed with {status}:\n{stderr}");
    }
    elapsed
}

/// Runs a child that must succeed and returns its stdout.
fn output(mut cmd: Command) -> String {
    let out = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn print_versions(baseline: bool, home: &Path) {
    let shell = if baseline {
        let mut cmd = child(SQLITE3, home);
        cmd.arg("--version");
        output(cmd).trim().to_string()
    } else {
        "not installed".to_string()
    };
    println!(
        "SQLite in incident (rusqlite, bundled): {}",
        rusqlite::version()
    );
    println!("SQLite in {SQLITE3}: {shell}");
    if !Path::new(BIN).exists() {
        panic!("{BIN} is missing");
    }
}

// ---------------------------------------------------------------------------------------------
// The database

/// What the generated data looks like, for the printout.
struct Generated {
    statuses: Vec<(String, i64)>,
    severities: Vec<(String, i64)>,
    open_p1: i64,
    kinds: Vec<(String, i64)>,
    first: String,
    last: String,
}

impl std::fmt::Display for Generated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let join = |counts: &[(String, i64)]| {
            counts
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(
            f,
            "statuses: {}; severities: {}; OPEN P1: {}\nevents: {}\nopened {} .. {}",
            join(&self.statuses),
            join(&self.severities),
            self.open_p1,
            join(&self.kinds),
            self.first,
            self.last
        )
    }
}

/// Creates the database with the real binary, fills it, checkpoints it and closes it, so every
/// round starts from one compact file.
fn generate(db: &Path, home: &Path) -> Generated {
    let now = unix_now();
    // Two years of incidents up to an hour ago. The seed, made by the binary, is incident 1 and
    // the oldest: its clock is pinned to the start so numbers and open times rise together.
    let start = now - 730 * 86_400;
    let mut seed = child(BIN, home);
    seed.env("INCIDENT_NOW", rfc3339(start))
        .arg("--db")
        .arg(db)
        .args(["--author", "bench", "open", "P2", "seed"]);
    timed(seed, home);

    let mut conn = Connection::open(db).expect("open the seeded database");
    // Throwaway data: durability during the fill buys nothing.
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    conn.pragma_update(None, "cache_size", -512 * 1024).unwrap();
    let tx = conn.transaction().unwrap();
    let max_events = insert_incidents(&tx, start, now - 3_600, now);
    insert_events(&tx, max_events);
    tx.commit().unwrap();

    let busy: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(busy, 0, "the checkpoint after the fill was blocked");
    let generated = describe(&conn);
    conn.close().map_err(|(_, e)| e).unwrap();
    generated
}

fn describe(conn: &Connection) -> Generated {
    let counts = |table: &str, column: &str| -> Vec<(String, i64)> {
        let sql = format!("SELECT {column}, count(*) FROM {table} GROUP BY 1 ORDER BY 2 DESC");
        let mut stmt = conn.prepare(&sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let one = |sql: &str| -> String { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let (incidents, events): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM events)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((incidents, events), (INCIDENTS, EVENTS));
    // The data must look like the binary wrote it: each status with exactly its times, in order,
    // and nothing in the future.
    let now = rfc3339(unix_now());
    let inconsistent: i64 = conn
        .query_row(
            "SELECT count(*) FROM incidents WHERE NOT (
                 detected_at <= opened_at AND opened_at <= updated_at AND updated_at <= ?1
                 AND (acknowledged_at IS NULL) = (status = 'OPEN')
                 AND (resolved_at IS NULL) = (status IN ('OPEN', 'INVESTIGATING'))
                 AND (closed_at IS NULL) = (status <> 'CLOSED')
                 AND ifnull(acknowledged_at >= opened_at, 1)
                 AND ifnull(resolved_at >= acknowledged_at, 1)
                 AND ifnull(closed_at >= resolved_at, 1)
                 AND (status <> 'CLOSED' OR (root_cause <> '' AND resolution <> '')))",
            [&now],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        inconsistent, 0,
        "incidents with inconsistent status and times"
    );
    let early_or_future: i64 = conn
        .query_row(
            "SELECT count(*) FROM events e JOIN incidents i ON i.pk = e.incident_pk
             WHERE e.at < i.opened_at OR e.at > ?1",
            [&now],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        early_or_future, 0,
        "events before their incident opened, or in the future"
    );
    Generated {
        statuses: counts("incidents", "status"),
        severities: counts("incidents", "severity"),
        kinds: counts("events", "kind"),
        open_p1: conn
            .query_row(
                "SELECT count(*) FROM incidents WHERE status = 'OPEN' AND severity = 'P1'",
                [],
                |r| r.get(0),
            )
            .unwrap(),
        first: one("SELECT min(opened_at) FROM incidents"),
        last: one("SELECT max(opened_at) FROM incidents"),
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs() as i64
}

/// The storage format, from the library itself: RFC 3339 UTC, whole seconds.
fn rfc3339(epoch: i64) -> String {
    incident::time::to_rfc3339(DateTime::from_timestamp(epoch, 0).expect("a valid time"))
}

/// SplitMix64: a fixed seed gives the same incidents (relative to now) on every run, so runs
/// compare.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A whole number of seconds in `lo..hi`.
    fn secs(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo) as u64) as i64
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const RESPONDERS: &[&str] = &[
    "alice", "bob", "chen", "dana", "emeka", "farah", "gus", "hana",
];
const SERVICES: &[&str] = &[
    "checkout API",
    "payments worker",
    "login",
    "search",
    "image CDN",
    "orders database",
    "mobile push",
    "billing export",
    "status page",
    "VPN gateway",
];
const SYMPTOMS: &[&str] = &[
    "5xx spike",
    "latency above 2 s",
    "timeouts for EU customers",
    "queue backlog growing",
    "certificate expiring",
    "disk 95% full",
    "error rate 12%",
    "down for all users",
];
const CAUSES: &[&str] = &[
    "a config push disabled the connection pool",
    "an expired TLS certificate on the load balancer",
    "a slow query after the index was dropped in a migration",
    "the upstream provider throttled our API key",
    "a memory leak in the new release",
];
const FIXES: &[&str] = &[
    "rolled back the release",
    "renewed the certificate and added an expiry alert",
    "restored the index and killed the long-running queries",
    "raised the quota and added retries with backoff",
    "scaled out and restarted the workers",
];

/// Inserts incidents 2..=INCIDENTS (the seed is 1), and for each a row of a temporary `plan`
/// table that tells the events statement what the timeline looks like. Returns the most events
/// any incident has.
fn insert_incidents(tx: &rusqlite::Transaction, start: i64, end: i64, now: i64) -> i64 {
    tx.execute_batch(
        "CREATE TEMP TABLE plan (
             pk INTEGER PRIMARY KEY, n INTEGER, life INTEGER, sev0 TEXT, sev TEXT, title TEXT,
             created_by TEXT, root_cause TEXT, resolution TEXT,
             o INTEGER, a INTEGER, r INTEGER, c INTEGER, ns INTEGER, ne INTEGER)",
    )
    .unwrap();
    let mut incident = tx
        .prepare(
            "INSERT INTO incidents (pk, uuid, number, title, description, severity, status,
                 root_cause, resolution, detected_at, opened_at, acknowledged_at, resolved_at,
                 closed_at, created_by, updated_at)
             VALUES (?1, ?2, ?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )
        .unwrap();
    let mut plan = tx
        .prepare(
            "INSERT INTO plan VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
                 ?14, ?15)",
        )
        .unwrap();
    let mut rng = Rng(0x1DE4_7B0B);
    let counts = event_counts(&mut rng);
    let spacing = (end - start) / INCIDENTS;
    for (number, &n) in (2..=INCIDENTS).zip(&counts) {
        let i = Shape::draw(&mut rng, start + (number - 1) * spacing, spacing, now);
        let ts = |t: Option<i64>| t.map(rfc3339);
        incident
            .execute(params![
                number,
                uuid(&mut rng),
                i.title,
                format!("Paged by the {} alert; customers affected.", i.service),
                i.severity,
                i.status.name(),
                i.root_cause,
                i.resolution,
                rfc3339(i.detected),
                rfc3339(i.opened),
                ts(i.acknowledged()),
                ts(i.resolved()),
                ts(i.closed()),
                i.created_by,
                rfc3339(i.updated()),
            ])
            .unwrap();
        let (notes_from, notes_to) = i.note_window(now);
        plan.execute(params![
            number,
            n,
            i.status.life_events(),
            i.severity0,
            i.severity,
            i.title,
            i.created_by,
            i.root_cause,
            i.resolution,
            i.opened,
            i.acknowledged(),
            i.resolved(),
            i.closed(),
            notes_from,
            notes_to,
        ])
        .unwrap();
    }
    *counts.iter().max().unwrap()
}

/// Events per generated incident: 8 to 32 (a closed incident needs 7 for its lifecycle), paired
/// around 20 so the total is exactly EVENTS including the seed's one `opened` event.
fn event_counts(rng: &mut Rng) -> Vec<i64> {
    let generated = (INCIDENTS - 1) as usize;
    let mut counts = Vec::with_capacity(generated);
    while counts.len() + 2 <= generated {
        let d = rng.below(13) as i64;
        counts.extend([20 + d, 20 - d]);
    }
    let rest = EVENTS - 1 - counts.iter().sum::<i64>();
    counts.resize(generated, rest);
    assert_eq!(counts.iter().sum::<i64>(), EVENTS - 1);
    assert!((8..=40).contains(&rest), "remainder {rest} out of range");
    counts
}

/// A random v4 UUID; the seeded generator makes them unique in practice, and the schema's
/// UNIQUE constraint would stop the fill otherwise.
fn uuid(rng: &mut Rng) -> String {
    let (hi, lo) = (rng.next(), rng.next());
    let hi = (hi & !0xF000) | 0x4000;
    let lo = (lo & !(0b11 << 62)) | (0b10 << 62);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Open,
    Investigating,
    Resolved,
    Closed,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::Open => "OPEN",
            Stage::Investigating => "INVESTIGATING",
            Stage::Resolved => "RESOLVED",
            Stage::Closed => "CLOSED",
        }
    }

    /// The events at the end of the timeline that brought it to this status: acknowledge;
    /// resolve; root cause, resolution, close.
    fn life_events(self) -> i64 {
        match self {
            Stage::Open => 0,
            Stage::Investigating => 1,
            Stage::Resolved => 2,
            Stage::Closed => 5,
        }
    }
}

/// One generated incident: its severity, status and the times its lifecycle happened.
struct Shape {
    service: &'static str,
    title: String,
    severity: &'static str,
    /// The severity it was opened with; 8% were escalated or downgraded since.
    severity0: &'static str,
    status: Stage,
    created_by: &'static str,
    root_cause: &'static str,
    resolution: &'static str,
    detected: i64,
    opened: i64,
    /// When it was (or would be) acknowledged, resolved and closed.
    ack: i64,
    fix: i64,
    close: i64,
}

impl Shape {
    fn draw(rng: &mut Rng, slot: i64, spacing: i64, now: i64) -> Shape {
        let service = rng.pick(SERVICES);
        let title = format!("{service} {}", rng.pick(SYMPTOMS));
        let severity = match rng.below(100) {
            0..10 => "P1",
            10..45 => "P2",
            _ => "P3",
        };
        let severity0 = if rng.below(100) < 8 {
            match severity {
                "P1" | "P3" => "P2",
                _ => ["P1", "P3"][rng.below(2) as usize],
            }
        } else {
            severity
        };
        // Around each severity's targets (P1 15 min / 1 h, P2 4 h / 24 h, P3 24 h / 72 h):
        // most met, some breached.
        let (min, hour) = (60, 3_600);
        let (ack_in, fix_in) = match severity {
            "P1" => (rng.secs(min, 20 * min), rng.secs(20 * min, 3 * hour)),
            "P2" => (rng.secs(5 * min, 5 * hour), rng.secs(hour, 30 * hour)),
            _ => (rng.secs(30 * min, 30 * hour), rng.secs(2 * hour, 96 * hour)),
        };
        let opened = slot + rng.secs(0, spacing / 2);
        let ack = opened + ack_in;
        let fix = ack + fix_in;
        let close = fix + rng.secs(hour, 7 * 24 * hour);
        // A few are left behind at some stage; the rest are as far along as the clock allows,
        // which makes the newest ones the open ones.
        let meant = match rng.below(1000) {
            0..3 => Stage::Open,
            3..10 => Stage::Investigating,
            10..30 => Stage::Resolved,
            _ => Stage::Closed,
        };
        let reached = if ack > now {
            Stage::Open
        } else if fix > now {
            Stage::Investigating
        } else if close > now {
            Stage::Resolved
        } else {
            Stage::Closed
        };
        let status = meant.min(reached);
        let closed = status == Stage::Closed;
        Shape {
            service,
            title,
            severity,
            severity0,
            status,
            created_by: rng.pick(RESPONDERS),
            root_cause: if closed { rng.pick(CAUSES) } else { "" },
            resolution: if closed { rng.pick(FIXES) } else { "" },
            detected: opened - [0, rng.secs(60, 900)][rng.below(2) as usize],
            opened,
            ack,
            fix,
            close,
        }
    }

    fn acknowledged(&self) -> Option<i64> {
        (self.status >= Stage::Investigating).then_some(self.ack)
    }

    fn resolved(&self) -> Option<i64> {
        (self.status >= Stage::Resolved).then_some(self.fix)
    }

    fn closed(&self) -> Option<i64> {
        (self.status >= Stage::Closed).then_some(self.close)
    }

    /// The last change other than a note: what `updated_at` records.
    fn updated(&self) -> i64 {
        let escalated = (self.severity0 != self.severity).then_some(self.opened + 300);
        [
            self.closed(),
            self.resolved(),
            self.acknowledged(),
            escalated,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(self.opened)
    }

    /// Notes fall between the acknowledgement (or the opening) and the fix (or now).
    fn note_window(&self, now: i64) -> (i64, i64) {
        let from = self.acknowledged().unwrap_or(self.opened);
        let to = self.resolved().unwrap_or(now - 60).max(from);
        (from, to)
    }
}

/// Appends every incident's timeline in one INSERT … SELECT: the `plan` rows joined to a counter
/// 1..n, each position turned into the event the workflow would have recorded there. Event 1 is
/// `opened`, event 2 a severity change if there was one, the last `life` events the status
/// changes (and the fields a close requires), notes in between.
fn insert_events(tx: &rusqlite::Transaction, max_events: i64) {
    // The same text SQLite's strftime makes below must be what the binary stores.
    let check: String = tx
        .query_row(
            "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 1700000000, 'unixepoch')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(check, rfc3339(1_700_000_000));

    let responders = values(RESPONDERS);
    let notes = [
        "checked the dashboards: errors started at the deploy",
        "paged the database on-call",
        "customer support reports tickets from EU users",
        "rolled back one canary; error rate unchanged",
        "found connection pool exhaustion in the logs",
        "scaled the workers from 8 to 16",
        "status page updated",
        "waiting on the provider's support ticket",
        "latency back under 300 ms on the canary",
        "handed over to the next shift",
        "added a temporary rate limit",
        "confirmed with the reporter that it works again",
    ];
    let (n_responders, n_notes) = (RESPONDERS.len(), notes.len());
    let notes = values(&notes);
    let sql = format!(
        "WITH RECURSIVE
             seq(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM seq WHERE j < ?1),
             responders(id, name) AS (VALUES {responders}),
             notes(id, text) AS (VALUES {notes}),
             slots AS (
                 SELECT p.*, s.j,
                     CASE
                         WHEN s.j = 1 THEN 'opened'
                         WHEN s.j = 2 AND p.sev0 <> p.sev THEN 'severity'
                         WHEN s.j > p.n - p.life THEN 'life'
                         ELSE 'note'
                     END AS slot,
                     s.j - (p.n - p.life) AS m,
                     -- notes are numbered 1..k between the opening (and escalation) and the life
                     s.j - 1 - (p.sev0 <> p.sev) AS k,
                     p.n - p.life - 1 - (p.sev0 <> p.sev) AS notes
                 FROM plan p JOIN seq s ON s.j <= p.n
             ),
             timeline AS (
                 SELECT pk, j,
                     CASE slot
                         WHEN 'opened' THEN o
                         WHEN 'severity' THEN o + 300
                         WHEN 'note' THEN ns + (ne - ns) * k / (notes + 1)
                         ELSE CASE m WHEN 1 THEN a WHEN 2 THEN r
                             WHEN 3 THEN r + (c - r) / 3 WHEN 4 THEN r + 2 * (c - r) / 3
                             ELSE c END
                     END AS at,
                     CASE slot WHEN 'opened' THEN created_by
                         ELSE (SELECT name FROM responders WHERE id = (pk * 3 + j) % {n_responders}) END
                         AS author,
                     CASE slot WHEN 'life' THEN CASE WHEN m IN (3, 4) THEN 'field' ELSE 'status'
                         END ELSE slot END AS kind,
                     CASE WHEN slot = 'life' AND m = 3 THEN 'root_cause'
                         WHEN slot = 'life' AND m = 4 THEN 'resolution' END AS field,
                     CASE slot WHEN 'severity' THEN sev0
                         WHEN 'life' THEN CASE m WHEN 1 THEN 'OPEN' WHEN 2 THEN 'INVESTIGATING'
                             WHEN 5 THEN 'RESOLVED' ELSE '' END
                     END AS old_value,
                     CASE slot WHEN 'opened' THEN sev0 WHEN 'severity' THEN sev
                         WHEN 'life' THEN CASE m WHEN 1 THEN 'INVESTIGATING' WHEN 2 THEN 'RESOLVED'
                             WHEN 3 THEN root_cause WHEN 4 THEN resolution ELSE 'CLOSED' END
                     END AS new_value,
                     CASE slot WHEN 'opened' THEN title
                         WHEN 'note' THEN (SELECT text FROM notes WHERE id = (pk * 7 + j * 5) % {n_notes})
                         ELSE '' END AS text
                 FROM slots
             )
         INSERT INTO events (incident_pk, at, recorded_at, author, kind, field, old_value,
             new_value, text)
         SELECT pk, strftime('%Y-%m-%dT%H:%M:%SZ', at, 'unixepoch'),
             strftime('%Y-%m-%dT%H:%M:%SZ', at, 'unixepoch'),
             author, kind, field, old_value, new_value, text
         FROM timeline ORDER BY pk, j"
    );
    let inserted = tx.execute(&sql, [max_events]).unwrap();
    assert_eq!(inserted as i64, EVENTS - 1);
}

/// `(0, 'a'), (1, 'b'), …` for a VALUES list.
fn values(items: &[&str]) -> String {
    items
        .iter()
        .enumerate()
        .map(|(i, s)| format!("({i}, '{}')", s.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn wal_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-wal");
    PathBuf::from(p)
}

/// A file's size, 0 when it does not exist (SQLite removes the WAL when the last connection
/// closes with a checkpoint).
fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn count_events(db: &Path) -> i64 {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap()
}

/// The plans of the queries `incident list` runs, from the SQL the store builds.
fn print_plans(db: &Path) {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let queries = [
        (
            "list",
            format!("SELECT {INCIDENT_COLUMNS} FROM incidents ORDER BY number DESC LIMIT 51"),
        ),
        (
            "list --status OPEN --severity P1",
            format!(
                "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE status IN ('OPEN') \
                 AND severity IN ('P1') ORDER BY number DESC LIMIT 51"
            ),
        ),
    ];
    for (name, sql) in queries {
        println!("\nEXPLAIN QUERY PLAN of `{name}`:");
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let details: Vec<String> = stmt
            .query_map([], |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for d in &details {
            println!("  {d}");
        }
        // A full scan or a sort of 100,000 rows is what the indexes exist to prevent.
        if details.iter().any(|d| d.contains("TEMP B-TREE"))
            || !details.iter().any(|d| d.contains("INDEX"))
        {
            println!("  WARNING: this plan does not walk an index in order");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Measuring

/// One command to time; `make(n)` builds its `n`th run.
struct Case {
    /// The table row, as the `incident` arguments after `--db DB`.
    row: &'static str,
    side: Side,
    /// Whether it appends a note (for the event count).
    writes: bool,
    make: Box<dyn Fn(usize) -> Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Incident,
    Sqlite3,
}

/// `incident --db DB ARGS…`, with `{n}` in an argument replaced by the run number.
fn incident(db: &Path, home: &Path, args: &[&str]) -> Box<dyn Fn(usize) -> Command> {
    let (db, home) = (db.to_path_buf(), home.to_path_buf());
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    Box::new(move |n| {
        let mut cmd = child(BIN, &home);
        cmd.arg("--db").arg(&db);
        cmd.args(args.iter().map(|a| a.replace("{n}", &n.to_string())));
        cmd
    })
}

/// `sqlite3 DB SQL`, with `{n}` in the SQL replaced by the run number.
fn sqlite3(db: &Path, home: &Path, sql: &str) -> Box<dyn Fn(usize) -> Command> {
    let (db, home, sql) = (db.to_path_buf(), home.to_path_buf(), sql.to_string());
    Box::new(move |n| {
        let mut cmd = child(SQLITE3, &home);
        cmd.arg(&db).arg(sql.replace("{n}", &n.to_string()));
        cmd
    })
}

const NOTE_PINNED: &str = "note --author bench";
const NOTE_GIT: &str = "note (author from git)";

/// The commands to time. A row of the table pairs the `incident` case with the sqlite3 case of
/// the same row; the git row is compared with the same sqlite3 insert as the pinned one.
fn cases(db: &Path, home: &Path, baseline: bool) -> Vec<Case> {
    let target = TARGET.to_string();
    let case = |row, side, writes, make| Case {
        row,
        side,
        writes,
        make,
    };
    // The insert `incident note` makes, found by number the way the binary finds it.
    let insert = format!(
        "INSERT INTO events (incident_pk, at, recorded_at, author, kind, text) VALUES (
             (SELECT pk FROM incidents WHERE number = {TARGET}),
             strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
             'bench', 'note', 'sqlite3 note {{n}}')"
    );
    let list = |filter: &str| {
        format!(
            "SELECT number, severity, status, opened_at, title FROM incidents {filter}
             ORDER BY number DESC LIMIT 51"
        )
    };
    let filtered = "list --status OPEN --severity P1";
    let mut cases = vec![
        case(
            NOTE_PINNED,
            Side::Incident,
            true,
            incident(
                db,
                home,
                &["--author", "bench", "note", &target, "bench note {n}"],
            ),
        ),
        case(NOTE_PINNED, Side::Sqlite3, true, sqlite3(db, home, &insert)),
        // No --author and no INCIDENT_AUTHOR: the binary spawns `git config --get user.name`.
        case(
            NOTE_GIT,
            Side::Incident,
            true,
            incident(
                db,
                home,
                &["note", &target, "bench note {n} (author from git)"],
            ),
        ),
        case("list", Side::Incident, false, incident(db, home, &["list"])),
        case("list", Side::Sqlite3, false, sqlite3(db, home, &list(""))),
        case(
            filtered,
            Side::Incident,
            false,
            incident(db, home, &["list", "--status", "OPEN", "--severity", "P1"]),
        ),
        case(
            filtered,
            Side::Sqlite3,
            false,
            sqlite3(db, home, &list("WHERE status = 'OPEN' AND severity = 'P1'")),
        ),
        case(
            "show 50000",
            Side::Incident,
            false,
            incident(db, home, &["show", &target]),
        ),
    ];
    assert_eq!(TARGET, 50_000, "rename the show row");
    if !baseline {
        cases.retain(|c| c.side == Side::Incident);
    }
    cases
}

/// Runs every case once per round, in order, for WARMUP + RUNS rounds; keeps the last RUNS.
/// Interleaving puts every case under the same conditions (page cache, CPU frequency, other
/// load) instead of giving one side a quiet minute and the other a busy one.
fn measure(cases: &[Case], scratch: &Path) -> Vec<Vec<Duration>> {
    let mut samples = vec![Vec::with_capacity(RUNS); cases.len()];
    for round in 0..WARMUP + RUNS {
        for (case, samples) in cases.iter().zip(&mut samples) {
            let took = timed((case.make)(round), scratch);
            if round >= WARMUP {
                samples.push(took);
            }
        }
    }
    samples
}

/// Median and 90th percentile (nearest rank), in milliseconds.
fn stats(samples: &[Duration]) -> (f64, f64) {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let n = ms.len();
    let median = if n.is_multiple_of(2) {
        (ms[n / 2 - 1] + ms[n / 2]) / 2.0
    } else {
        ms[n / 2]
    };
    let p90 = ms[(n * 9).div_ceil(10) - 1];
    (median, p90)
}

fn print_table(cases: &[Case], samples: &[Vec<Duration>]) {
    let find = |row: &str, side: Side| {
        cases
            .iter()
            .position(|c| c.row == row && c.side == side)
            .map(|i| stats(&samples[i]))
    };
    println!(
        "\n{RUNS} runs each after {WARMUP} warm-up runs, interleaved; wall time of the whole \
         process, spawn to exit\n"
    );
    println!(
        "| operation | incident median ms | incident p90 ms | sqlite3 median ms | sqlite3 p90 ms | ratio |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for case in cases.iter().filter(|c| c.side == Side::Incident) {
        let (median, p90) = find(case.row, Side::Incident).unwrap();
        let baseline_row = if case.row == NOTE_GIT {
            NOTE_PINNED
        } else {
            case.row
        };
        let (base_median, base_p90, ratio) = match find(baseline_row, Side::Sqlite3) {
            Some((m, p)) => (
                format!("{m:.2}"),
                format!("{p:.2}"),
                format!("{:.2}", median / m),
            ),
            None => ("–".into(), "–".into(), "–".into()),
        };
        println!(
            "| `incident {}` | {median:.2} | {p90:.2} | {base_median} | {base_p90} | {ratio} |",
            case.row
        );
    }
}

/// Runs WAL_NOTES `incident note` in a row with nothing else touching the file, the way a team
/// that only uses the binary writes, and reports the WAL as it grows and what the commands cost
/// at the end. The binary skips the checkpoint on close and checkpoints after a write once the
/// WAL passes `store::WAL_LIMIT`, so the WAL must never grow much past that.
fn wal_growth(db: &Path, home: &Path, list_in_table: f64) {
    let wal = wal_path(db);
    let note = incident(
        db,
        home,
        &[
            "--author",
            "bench",
            "note",
            &TARGET.to_string(),
            "wal note {n}",
        ],
    );
    let mut took = Vec::with_capacity(WAL_NOTES);
    let mut sizes = Vec::new();
    let mut largest = 0;
    for n in 0..WAL_NOTES {
        took.push(timed(note(n), home));
        largest = largest.max(file_size(&wal));
        if (n + 1) % (WAL_NOTES / 4) == 0 {
            sizes.push(format!("{} after {}", mib(file_size(&wal)), n + 1));
        }
    }
    let list = incident(db, home, &["list"]);
    let lists: Vec<Duration> = (0..RUNS).map(|n| timed(list(n), home)).collect();

    let page_size: u32 = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| c.query_row("PRAGMA page_size", [], |r| r.get(0)))
        .unwrap();
    // The write that crosses the limit checkpoints; allow it 16 frames (page + header).
    let bound = incident::store::WAL_LIMIT + 16 * (u64::from(page_size) + 24);
    let ms = |d: &[Duration]| stats(d).0;
    println!(
        "WAL over {WAL_NOTES} consecutive `incident note` runs (no sqlite3 in between): {}",
        sizes.join(", ")
    );
    println!(
        "  largest WAL seen: {} KiB, {} the store's limit plus one write ({} KiB)",
        largest / 1024,
        if largest > bound {
            "LARGER than"
        } else {
            "within"
        },
        bound / 1024
    );
    println!(
        "  `incident note` median: {:.2} ms over the first 100 runs, {:.2} ms over the last 100",
        ms(&took[..100]),
        ms(&took[took.len() - 100..])
    );
    println!(
        "  `incident list` median with this WAL: {:.2} ms ({list_in_table:.2} ms in the table above)",
        ms(&lists)
    );
}
