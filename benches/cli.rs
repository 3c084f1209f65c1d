//! How fast the `incident` binary answers on a large log, next to the `sqlite3` shell doing the
//! same SQL on the same file.
//!
//! Run it with `cargo bench --bench cli`: about 20 seconds on two cores once built. The baseline
//! needs `/usr/bin/sqlite3` (`apt-get install sqlite3`); without it only `incident` is timed.
//!
//! It builds, in a temporary directory, a database of 100,000 incidents and 2,000,000 timeline
//! events: created by the real binary (so the real schema and pragmas apply), then filled in one
//! transaction. Then it times whole processes, spawn to exit, because that is what a responder
//! waits for: `incident note` (with a pinned author; with no author configured, the name
//! resolved once and remembered; and with the name resolved by `git config` on that write),
//! `incident list` (newest 50, and filtered), and `incident show`. Each is paired with the
//! `sqlite3` shell running the equivalent statement, and the runs alternate (A, B, A, B, …) so
//! both sides see the same machine conditions. It prints a markdown table of medians and 90th
//! percentiles; then the WAL as 1,000 notes accumulate with only the binary writing (it skips
//! the checkpoint on close and empties the WAL once it passes `store::WAL_LIMIT`) and
//! what `note` and `list` cost by then; the event count (every note landed); and the query plans
//! of `list` (they must walk an index, not sort the table).

mod common;

use common::*;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

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
    check_answers(&db, &cases, baseline);
    let samples = measure(&cases, |c, round| (c.make)(round), WARMUP, RUNS, home);
    let wal_after_rounds = file_size(&wal_path(&db));
    print_table(&cases, &samples);
    // The rows with no author configured wrote under the name resolved once ($USER: this HOME
    // has no git user.name) and remembered it where the next write finds it.
    let remembered = std::fs::read_to_string(home.join(".cache/incident/author.json"))
        .expect("the fallback author is remembered");
    assert!(remembered.contains("\"name\":\"bench\""), "{remembered}");

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
// Both sides give the same answer

/// A listed incident: number, severity, status and title.
type Listed = (i64, String, String, String);

/// Before anything is timed, each read case's output is compared with the answer SQL gives
/// (from `sqlite3` when it is there, else from SQL run here): `list` and the filtered list show
/// the same incidents in the same order with the same severity, status and title, and `show`
/// shows the target incident. A difference stops the benchmark: a fast wrong answer is no
/// figure.
fn check_answers(db: &Path, cases: &[Case], baseline: bool) {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    for case in cases.iter().filter(|c| !c.writes) {
        let stdout = output((case.make)(0));
        match (case.row, case.side) {
            ("show 50000", _) => {
                let title: String = conn
                    .query_row(
                        "SELECT title FROM incidents WHERE number = ?1",
                        [TARGET],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert!(
                    stdout.contains(&format!("Incident #{TARGET} ")) && stdout.contains(&title),
                    "`incident show {TARGET}` does not show it:\n{stdout}"
                );
            }
            (row, side) => {
                let filter = if row == "list" {
                    ""
                } else {
                    "WHERE status = 'OPEN' AND severity = 'P1'"
                };
                let expected = listed_by_sql(&conn, filter);
                let got = match side {
                    Side::Incident => listed_in_table(&stdout, &expected),
                    Side::Sqlite3 => listed_by_sqlite3(&stdout),
                };
                assert_eq!(
                    got,
                    &expected[..got.len().min(expected.len())],
                    "`{row}` ({side:?}) lists other incidents than SQL"
                );
                // `incident list` shows 50 (and says there are more); the sqlite3 statement
                // fetches the 51st to know that.
                let want = if side == Side::Incident { 50 } else { 51 };
                assert_eq!(got.len(), want.min(expected.len()), "`{row}` ({side:?})");
            }
        }
    }
    let sides = if baseline { "both sides" } else { "incident" };
    println!("answers checked: list, filtered list and show agree with SQL ({sides})");
}

/// The newest 51 incidents matching `filter`, by SQL.
fn listed_by_sql(conn: &Connection, filter: &str) -> Vec<Listed> {
    let sql = format!(
        "SELECT number, severity, status, title FROM incidents {filter}
         ORDER BY number DESC LIMIT 51"
    );
    let mut stmt = conn.prepare(&sql).unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The rows of `sqlite3`'s default output (`number|severity|status|opened_at|title`).
fn listed_by_sqlite3(stdout: &str) -> Vec<Listed> {
    stdout
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.splitn(5, '|').collect();
            assert_eq!(f.len(), 5, "not a row: {line}");
            (f[0].parse().unwrap(), f[1].into(), f[2].into(), f[4].into())
        })
        .collect()
}

/// The rows of `incident list`'s table (`#  SEV  STATUS  OPENED  SLA  TITLE`); the title is
/// taken as the one SQL gives when the row ends with it, so a wrong or cut title shows.
fn listed_in_table(stdout: &str, expected: &[Listed]) -> Vec<Listed> {
    stdout
        .lines()
        .skip(1)
        .enumerate()
        .map(|(i, line)| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let title = expected
                .get(i)
                .filter(|e| line.trim_end().ends_with(e.3.as_str()))
                .map_or_else(|| line.to_string(), |e| e.3.clone());
            (f[0].parse().unwrap(), f[1].into(), f[2].into(), title)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Child processes

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
    let (conn, _) = fill(db, home, |_| {});
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

fn wal_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-wal");
    PathBuf::from(p)
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
const NOTE_GIT: &str = "note, no author configured";
const NOTE_RESOLVED: &str = "note, no author configured, resolved now";

/// The commands to time. A row of the table pairs the `incident` case with the sqlite3 case of
/// the same row; the rows with no author configured are compared with the same sqlite3 insert
/// as the pinned one.
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
        // No --author and no INCIDENT_AUTHOR: the name the first such write resolved (git
        // user.name, else $USER) is remembered in $HOME/.cache/incident/author.json.
        case(
            NOTE_GIT,
            Side::Incident,
            true,
            incident(
                db,
                home,
                &["note", &target, "bench note {n} (no author configured)"],
            ),
        ),
        // The same with a cache directory of its own for each run: nothing remembered, so the
        // write spawns `git config --get user.name` and remembers what it found (the first
        // write of a new user; every write before the name was remembered).
        case(NOTE_RESOLVED, Side::Incident, true, {
            let note = incident(
                db,
                home,
                &["note", &target, "bench note {n} (author resolved)"],
            );
            let states = home.join("fresh-cache");
            Box::new(move |n| {
                let mut cmd = note(n);
                cmd.env("XDG_CACHE_HOME", states.join(n.to_string()));
                cmd
            })
        }),
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
        let baseline_row = if case.row == NOTE_GIT || case.row == NOTE_RESOLVED {
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
