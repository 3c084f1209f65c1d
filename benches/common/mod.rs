//! Shared by the benchmarks: a realistic incident database (100,000 incidents, 2,000,000
//! timeline events, action items) filled straight into SQLite, and timing helpers.

#![allow(dead_code)]

pub mod pg;

use chrono::DateTime;
use rusqlite::params;
use std::ffi::OsStr;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const BIN: &str = env!("CARGO_BIN_EXE_incident");

pub const SQLITE3: &str = "/usr/bin/sqlite3";

pub const INCIDENTS: i64 = 100_000;

pub const EVENTS: i64 = 2_000_000;

/// Runs a child to completion and returns its wall time, spawn to exit; a failure panics with
/// its stderr.
pub fn timed(mut cmd: Command, scratch: &Path) -> Duration {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Incident,
    Sqlite3,
}

/// Median and 90th percentile (nearest rank), in milliseconds.
pub fn stats(samples: &[Duration]) -> (f64, f64) {
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

/// Action items as a team files them: at the close (or the resolution, for a post-mortem still
/// being written) of about a quarter of the incidents, one or two, mostly owned, due within two
/// weeks, most done by now, some late.
pub struct ActionItems<'t> {
    insert: rusqlite::Statement<'t>,
}

pub const ACTION_TEXTS: &[&str] = &[
    "Alert on the error rate before customers notice",
    "Add the missing index back and a migration check",
    "Runbook for the rollback",
    "Expiry alert for every certificate",
    "Load test the new release before the sale",
    "Raise the connection pool limit and document it",
];

pub const ACTION_KINDS: &[&str] = &["prevent", "mitigate", "detect", "process"];

impl<'t> ActionItems<'t> {
    fn new(tx: &'t rusqlite::Transaction) -> ActionItems<'t> {
        let insert = tx
            .prepare(
                "INSERT INTO action_items (incident_pk, text, kind, owner, due_at, created_at,
                     created_by, done_at, done_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .unwrap();
        ActionItems { insert }
    }

    fn add(&mut self, rng: &mut Rng, pk: i64, i: &Shape, now: i64) {
        let Some(created) = i.closed().or(i.resolved()) else {
            return;
        };
        if rng.below(100) >= 25 {
            return;
        }
        for _ in 0..1 + rng.below(2) {
            let due = created + rng.secs(86_400, 14 * 86_400);
            let done = (rng.below(100) < 85)
                .then(|| created + rng.secs(3_600, due - created + 5 * 86_400))
                .filter(|d| *d < now - 60);
            let owner = (rng.below(10) > 0).then(|| rng.pick(RESPONDERS));
            self.insert
                .execute(params![
                    pk,
                    rng.pick(ACTION_TEXTS),
                    rng.pick(ACTION_KINDS),
                    owner,
                    rfc3339(due),
                    rfc3339(created),
                    i.created_by,
                    done.map(rfc3339),
                    done.map(|_| rng.pick(RESPONDERS)),
                ])
                .unwrap();
        }
    }
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs() as i64
}

/// The storage format, from the library itself: RFC 3339 UTC, whole seconds.
pub fn rfc3339(epoch: i64) -> String {
    incident::domain::time::to_rfc3339(DateTime::from_timestamp(epoch, 0).expect("a valid time"))
}

/// A file's size, 0 when it does not exist.
pub fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// SplitMix64: a fixed seed gives the same incidents (relative to now) on every run, so runs
/// compare.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A whole number of seconds in `lo..hi`.
    fn secs(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo) as u64) as i64
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

pub const RESPONDERS: &[&str] = &[
    "alice", "bob", "chen", "dana", "emeka", "farah", "gus", "hana",
];

pub const SERVICES: &[&str] = &[
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

pub const SYMPTOMS: &[&str] = &[
    "5xx spike",
    "latency above 2 s",
    "timeouts for EU customers",
    "queue backlog growing",
    "certificate expiring",
    "disk 95% full",
    "error rate 12%",
    "down for all users",
];

pub const CAUSES: &[&str] = &[
    "a config push disabled the connection pool",
    "an expired TLS certificate on the load balancer",
    "a slow query after the index was dropped in a migration",
    "the upstream provider throttled our API key",
    "a memory leak in the new release",
];

pub const FIXES: &[&str] = &[
    "rolled back the release",
    "renewed the certificate and added an expiry alert",
    "restored the index and killed the long-running queries",
    "raised the quota and added retries with backoff",
    "scaled out and restarted the workers",
];

/// Inserts incidents 2..=INCIDENTS (the seed is 1), their action items, and for each incident a
/// row of a temporary `plan` table that tells the events statement what the timeline looks
/// like. Returns the most events any incident has. (As in benches/cli.rs, plus the similarity
/// keys and the action items.)
pub fn insert_incidents(tx: &rusqlite::Transaction, start: i64, end: i64, now: i64) -> i64 {
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
                 closed_at, created_by, updated_at, title_key, root_cause_key, services, roles,
                 started_at, respond_due_at, resolve_due_at, postmortem_due_at)
             VALUES (?1, ?2, ?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                 ?17, ?18, json_object('commander', ?14), ?9, ?19, ?20, ?21)",
        )
        .unwrap();
    let mut plan = tx
        .prepare(
            "INSERT INTO plan VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
                 ?14, ?15)",
        )
        .unwrap();
    let mut actions = ActionItems::new(tx);
    let mut rng = Rng(0x1DE4_7B0B);
    let counts = event_counts(&mut rng);
    let spacing = (end - start) / INCIDENTS;
    // The deadlines the store keeps (version 11), by the default policy and the current
    // severity, from the detection; the impact starts at the detection.
    let policy = incident::domain::sla::Policy::default();
    let secs = |d: std::time::Duration| d.as_secs() as i64;
    for (number, &n) in (2..=INCIDENTS).zip(&counts) {
        let i = Shape::draw(&mut rng, start + (number - 1) * spacing, spacing, now);
        let ts = |t: Option<i64>| t.map(rfc3339);
        let target = policy.target(i.severity.parse().unwrap());
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
                // The keys the store keeps on every write, from the library's own function.
                incident::domain::similar::key(&i.title),
                incident::domain::similar::key(i.root_cause),
                services(number, i.service),
                rfc3339(i.detected + secs(target.respond)),
                rfc3339(i.detected + secs(target.resolve)),
                ts(i.resolved().map(|r| r + secs(policy.postmortem))),
            ])
            .unwrap();
        actions.add(&mut rng, number, &i, now);
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

/// The services an incident affects, as the store keeps them (a sorted JSON array): the one its
/// title names and, for every fourth incident, another (so the review's per-service rows count
/// some incidents twice). Drawn from the number, not the generator, so every other figure of
/// the generated log stays as it was.
fn services(number: i64, service: &str) -> String {
    let name = |s: &str| s.to_lowercase().replace(' ', "-");
    let mut all = vec![name(service)];
    let other = name(SERVICES[(number as usize / 4) % SERVICES.len()]);
    if number % 4 == 0 && other != all[0] {
        all.push(other);
    }
    all.sort();
    serde_json::to_string(&all).unwrap()
}

/// Events per generated incident: 8 to 32 (a closed incident needs 7 for its lifecycle), paired
/// around 20 so the total is exactly EVENTS including the seed's one `opened` event.
pub fn event_counts(rng: &mut Rng) -> Vec<i64> {
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
pub fn uuid(rng: &mut Rng) -> String {
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
pub enum Stage {
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
pub struct Shape {
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
pub fn insert_events(tx: &rusqlite::Transaction, max_events: i64) {
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
pub fn values(items: &[&str]) -> String {
    items
        .iter()
        .enumerate()
        .map(|(i, s)| format!("({i}, '{}')", s.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs every case once per round, in order, for `warmup + runs` rounds; keeps the last `runs`.
/// Interleaving puts every case under the same conditions (page cache, CPU frequency, other
/// load) instead of giving one side a quiet minute and the other a busy one.
pub fn measure<C>(
    cases: &[C],
    command: impl Fn(&C, usize) -> Command,
    warmup: usize,
    runs: usize,
    scratch: &Path,
) -> Vec<Vec<Duration>> {
    let mut samples = vec![Vec::with_capacity(runs); cases.len()];
    for round in 0..warmup + runs {
        for (case, samples) in cases.iter().zip(&mut samples) {
            let took = timed(command(case, round), scratch);
            if round >= warmup {
                samples.push(took);
            }
        }
    }
    samples
}

/// A command for a child process in a controlled environment: nothing from the caller's shell
/// (INCIDENT_*, XDG_*, a ~/.sqliterc, a ripgrep config) reaches it, HOME and the working
/// directory are the temporary directory, TZ is UTC, and `USER` is the author `incident`
/// falls back to when git has no user.name.
pub fn child(program: impl AsRef<OsStr>, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("USER", "bench")
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .current_dir(home)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    cmd
}

/// Runs a child that must succeed and returns its stdout.
pub fn output(mut cmd: Command) -> String {
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

/// The database every benchmark measures against: incident 1 opened by the binary (its clock
/// pinned two years back, so numbers and open times rise together), then two years of
/// incidents up to an hour ago and their events filled straight into SQLite, with `extra`
/// in the same transaction, and the WAL checkpointed away. Returns the connection, still
/// open, and the fill's `now`.
pub fn fill(
    db: &Path,
    home: &Path,
    extra: impl FnOnce(&rusqlite::Transaction),
) -> (rusqlite::Connection, i64) {
    let now = unix_now();
    let start = now - 730 * 86_400;
    let mut seed = child(BIN, home);
    seed.env("INCIDENT_NOW", rfc3339(start))
        .arg("--db")
        .arg(db)
        .args(["--author", "bench", "open", "P2", "seed"]);
    timed(seed, home);

    let mut conn = rusqlite::Connection::open(db).expect("open the seeded database");
    // Throwaway data: durability during the fill buys nothing.
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    conn.pragma_update(None, "cache_size", -512 * 1024).unwrap();
    let tx = conn.transaction().unwrap();
    let max_events = insert_incidents(&tx, start, now - 3_600, now);
    insert_events(&tx, max_events);
    extra(&tx);
    tx.commit().unwrap();

    let busy: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(busy, 0, "the checkpoint after the fill was blocked");
    (conn, now)
}
