//! How fast `incident review` answers on a large log, next to the `sqlite3` shell running the
//! same aggregate SQL on the same file.
//!
//! Run it with `cargo bench --bench review`: well under two minutes on two cores once built.
//! The baseline needs `/usr/bin/sqlite3` (`apt-get install sqlite3`); without it only
//! `incident` is timed.
//!
//! It builds, in a temporary directory, the database of benches/cli.rs (100,000 incidents over
//! two years and 2,000,000 timeline events; the generator is copied below) plus the similarity
//! keys the store keeps and about 37,000 action items. Then it times whole processes, spawn to
//! exit: `incident review --week W --format json` for the last complete week (about 960
//! incidents opened, a Monday's review) and, for scale, the same week a year earlier; each next
//! to the `sqlite3` shell reading a .sql file with the very statements the store runs
//! (`Txn::review_statements`, bound by `.parameter set` to the same values), runs alternating.
//! Before timing, it checks that both sides agree and that the binary's medians and p90s equal
//! a plain sort of the rows in Rust. It prints medians, the ratio (goal ≤ 1.5), and the query
//! plans of the statements: they must walk the indexes on opened_at, resolved_at, closed_at,
//! the similarity keys and done_at, and never read the timeline.

mod common;

use chrono::{DateTime, Datelike, Duration as Span, Utc};
use common::*;
use incident::store::Txn;
use incident::store::review::{Bounds, CAP};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, params};
use serde_json::Value as Json;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const WARMUP: usize = 3;
const RUNS: usize = 20;
/// The ratio the review should stay under: the binary's start-up and its JSON on top of the
/// shell running the same statements.
const GOAL: f64 = 1.5;

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
        "generated {INCIDENTS} incidents, {EVENTS} events and {} action items in {:.1} s; \
         database {}",
        generated.actions,
        generation.elapsed().as_secs_f64(),
        mib(file_size(&db))
    );
    if !baseline {
        println!(
            "\n{SQLITE3} not found: install it with `apt-get install sqlite3` to measure the \
             baseline; measuring incident alone, without ratios."
        );
    }

    let now = unix_now();
    let busy = Week::last_complete(now);
    let old = busy.weeks_before(52);
    let weeks = [("busy", busy.clone()), ("a year earlier", old)];
    let mut cases = Vec::new();
    for (name, week) in &weeks {
        let sql = home.join(format!("review-{}.sql", week.label));
        write_sql_file(&sql, week);
        let json = check(&db, home, week, &sql, baseline);
        if baseline {
            let (statements, rows) = check_every_statement(&db, home, week);
            println!(
                "{}: all {statements} review statements give the same rows in the same order \
                 in the shell and in the library ({rows} rows)",
                week.label
            );
        }
        println!(
            "{} ({name}): {} opened, {} resolved, {} closed; {} breaches, {} unresolved at its \
             end, {} recurring",
            week.label,
            json["counts"]["opened"]["total"]["value"],
            json["counts"]["resolved"]["total"]["value"],
            json["counts"]["closed"]["total"]["value"],
            json["sla"]["breaches"]["total"],
            json["at_end"]["unresolved"]["count"]["value"],
            json["recurring"]["count"]["value"],
        );
        cases.push(Case {
            row: format!("review --week {} ({name})", week.label),
            side: Side::Incident,
            command: incident(&db, home, &week.label),
        });
        if baseline {
            cases.push(Case {
                row: format!("review --week {} ({name})", week.label),
                side: Side::Sqlite3,
                command: sqlite3(&db, home, &sql),
            });
        }
    }
    let samples = measure(&cases, |c, round| (c.command)(round), WARMUP, RUNS, home);
    print_table(&cases, &samples);
    print_plans(&db, &busy);
    println!(
        "\nwhole benchmark: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------------
// The week and the statements

/// An ISO week in UTC (the children run with TZ=UTC, so the binary's week is this one).
#[derive(Debug, Clone)]
struct Week {
    label: String,
    since: DateTime<Utc>,
}

impl Week {
    /// The last complete week before `now`: what `incident review` reviews on a Monday.
    fn last_complete(now: i64) -> Week {
        let today = DateTime::from_timestamp(now, 0)
            .expect("a valid time")
            .date_naive();
        let monday = today - Span::days(i64::from(today.weekday().num_days_from_monday()));
        Week::starting(monday - Span::days(7))
    }

    fn starting(monday: chrono::NaiveDate) -> Week {
        let w = monday.iso_week();
        Week {
            label: format!("{}-W{:02}", w.year(), w.week()),
            since: monday.and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
        }
    }

    fn weeks_before(&self, n: i64) -> Week {
        Week::starting(self.since.date_naive() - Span::days(7 * n))
    }

    fn until(&self) -> DateTime<Utc> {
        self.since + Span::days(7)
    }

    /// What the store binds for this week: the window ended, so its figures are taken at its
    /// end; the previous window is the week before.
    fn bounds(&self) -> Bounds {
        Bounds {
            since: self.since,
            until: self.until(),
            as_of: self.until(),
            prev_since: self.since - Span::days(7),
            cap: CAP,
        }
    }

    fn parameters(&self) -> Vec<(&'static str, Value)> {
        Txn::review_parameters(&self.bounds())
    }
}

/// The store's statements for the shell, bound with `.parameter set` to the same values.
fn write_sql_file(path: &Path, week: &Week) {
    let mut sql = format!(
        "-- The statements of `incident review --week {} --format json` (src/store/review.rs).\n",
        week.label
    );
    sql.push_str(&parameter_lines(week));
    for (name, statement) in Txn::review_statements() {
        sql.push_str(&format!("-- {name}\n{statement};\n"));
    }
    std::fs::write(path, sql).expect("write the .sql file");
}

/// `.parameter set` lines for the week. A text value is passed as an SQL literal ("'…'": the
/// shell strips the double quotes), so the shell cannot take 2026-11-23 for arithmetic.
fn parameter_lines(week: &Week) -> String {
    let mut sql = String::from(".parameter init\n");
    for (name, value) in week.parameters() {
        let literal = match value {
            Value::Integer(n) => n.to_string(),
            Value::Text(t) => format!("\"'{t}'\""),
            other => panic!("unexpected parameter {name} = {other:?}"),
        };
        sql.push_str(&format!(".parameter set {name} {literal}\n"));
    }
    sql
}

/// Every statement `Txn::review_statements()` returns, however many there are, run once by the
/// shell (the timed file's statements, each after a marker line, in `.mode quote`) and once
/// here by the library's SQLite with the same parameters: the same rows in the same order, value
/// for value, or the benchmark stops. Returns the statements and rows compared.
fn check_every_statement(db: &Path, home: &Path, week: &Week) -> (usize, usize) {
    let statements = Txn::review_statements();
    let marked = home.join(format!("review-{}-check.sql", week.label));
    let mut sql = format!(".mode quote\n{}", parameter_lines(week));
    for (name, statement) in statements {
        sql.push_str(&format!(".print '{MARK}{name}'\n{statement};\n"));
    }
    std::fs::write(&marked, sql).expect("write the .sql file");
    let shell = parse_quoted(&output(sqlite3(db, home, &marked)(0)));
    let names: Vec<&str> = statements.iter().map(|(n, _)| *n).collect();
    let shell_names: Vec<&str> = shell.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(shell_names, names, "the shell ran other statements");
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let parameters = week.parameters();
    let mut compared = 0;
    for ((name, statement), (_, shell_rows)) in statements.iter().zip(&shell) {
        let ours = rows_of(&conn, statement, &parameters);
        assert_eq!(
            ours.len(),
            shell_rows.len(),
            "statement {name}: {} rows here, {} in the shell",
            ours.len(),
            shell_rows.len()
        );
        for (i, (a, b)) in ours.iter().zip(shell_rows).enumerate() {
            assert!(
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_value(x, y)),
                "statement {name}, row {i}: {a:?} here, {b:?} in the shell"
            );
        }
        compared += ours.len();
    }
    (statements.len(), compared)
}

/// The marker line before each statement's rows in the shell's output.
const MARK: &str = "-- statement ";

/// A statement's rows, run here with the parameters it uses bound by name.
fn rows_of(conn: &Connection, sql: &str, parameters: &[(&str, Value)]) -> Vec<Vec<Value>> {
    let mut stmt = conn.prepare(sql).unwrap();
    for (name, value) in parameters {
        if let Some(i) = stmt.parameter_index(name).unwrap() {
            stmt.raw_bind_parameter(i, value).unwrap();
        }
    }
    let columns = stmt.column_count();
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        out.push(
            (0..columns)
                .map(|i| row.get::<_, Value>(i).unwrap())
                .collect(),
        );
    }
    out
}

/// The same value in the library and in the shell's quote mode (reals to 12 digits: the shell
/// prints 15 significant ones).
fn same_value(ours: &Value, shell: &Value) -> bool {
    match (ours, shell) {
        (Value::Real(a), Value::Real(b)) => (a - b).abs() <= 1e-12 * a.abs().max(1.0),
        (a, b) => a == b,
    }
}

/// The shell's `.mode quote` output, split at the marker lines: (statement, rows of SQL
/// literals: NULL, integers, reals, 'text' with '' for a quote, X'…' blobs).
fn parse_quoted(out: &str) -> Vec<(String, Vec<Vec<Value>>)> {
    let mut statements: Vec<(String, Vec<Vec<Value>>)> = Vec::new();
    let mut rest = out;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(MARK) {
            let (name, tail) = after.split_once('\n').expect("a marker line");
            statements.push((name.to_string(), Vec::new()));
            rest = tail;
            continue;
        }
        let (_, rows) = statements.last_mut().expect("rows after a marker");
        let mut row = Vec::new();
        loop {
            let (value, tail) = quoted_value(rest);
            row.push(value);
            let (sep, tail) = tail.split_at(1);
            rest = tail;
            if sep == "\n" {
                break;
            }
            assert_eq!(
                sep,
                ",",
                "unexpected shell output near {:?}",
                &tail[..tail.len().min(40)]
            );
        }
        rows.push(row);
    }
    statements
}

/// One SQL literal at the start of `s`, and what follows it.
fn quoted_value(s: &str) -> (Value, &str) {
    if let Some(text) = s.strip_prefix('\'') {
        let mut value = String::new();
        let mut chars = text.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\'' {
                value.push(c);
            } else if text[i + 1..].starts_with('\'') {
                value.push('\'');
                chars.next();
            } else {
                return (Value::Text(value), &text[i + 1..]);
            }
        }
        panic!("an unterminated text literal in the shell's output");
    }
    let end = s.find([',', '\n']).unwrap_or(s.len());
    let (token, tail) = s.split_at(end);
    let value = if token == "NULL" {
        Value::Null
    } else if let Ok(n) = token.parse::<i64>() {
        Value::Integer(n)
    } else if let Ok(x) = token.parse::<f64>() {
        Value::Real(x)
    } else {
        panic!("an SQL literal this check does not read: {token}")
    };
    (value, tail)
}

/// Runs both sides once and checks they agree, and that the percentiles are right: the
/// binary's medians and p90s against a plain sort in Rust of the rows they come from.
fn check(db: &Path, home: &Path, week: &Week, sql: &Path, baseline: bool) -> Json {
    let json: Json = serde_json::from_str(&output(incident(db, home, &week.label)(0)))
        .expect("the review prints JSON");
    assert_eq!(
        json["window"]["since"],
        incident::domain::time::to_rfc3339(week.since),
        "the binary reviewed another window"
    );
    if baseline {
        // The first statement's rows: event|severity|current|previous.
        let shell = output(sqlite3(db, home, sql)(0));
        let mut checked = 0;
        for line in shell.lines() {
            let cells: Vec<&str> = line.split('|').collect();
            if let [
                event @ ("opened" | "resolved" | "closed"),
                severity,
                current,
                previous,
            ] = cells[..]
            {
                let figure = &json["counts"][event][severity];
                assert_eq!(figure["value"].to_string(), current, "{line}");
                assert_eq!(figure["previous"].to_string(), previous, "{line}");
                checked += 1;
            }
        }
        assert!(checked > 0, "no counts in the shell's output:\n{shell}");
    }
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let (since, until) = (
        incident::domain::time::to_rfc3339(week.since),
        incident::domain::time::to_rfc3339(week.until()),
    );
    let measures = [
        (
            "acknowledge",
            "SELECT severity, unixepoch(acknowledged_at) - unixepoch(detected_at) FROM incidents
             WHERE opened_at >= ?1 AND opened_at < ?2 AND acknowledged_at IS NOT NULL",
        ),
        (
            "resolve",
            "SELECT severity, unixepoch(resolved_at) - unixepoch(detected_at) FROM incidents
             WHERE resolved_at >= ?1 AND resolved_at < ?2",
        ),
        (
            "restore",
            "SELECT severity, unixepoch(resolved_at) - unixepoch(started_at) FROM incidents
             WHERE resolved_at >= ?1 AND resolved_at < ?2",
        ),
        (
            "postmortem",
            "SELECT severity, unixepoch(closed_at) - unixepoch(resolved_at) FROM incidents
             WHERE closed_at >= ?1 AND closed_at < ?2",
        ),
    ];
    for (measure, query) in measures {
        let rows: Vec<(String, i64)> = conn
            .prepare(query)
            .unwrap()
            .query_map(params![since, until], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for group in ["P1", "P2", "P3", "all"] {
            let mut secs: Vec<i64> = rows
                .iter()
                .filter(|(s, _)| group == "all" || s == group)
                .map(|(_, v)| *v)
                .collect();
            secs.sort_unstable();
            // Nearest rank: the value at rank ceil(p·n), ranks counted from 1.
            let rank = |p: f64| secs[((p * secs.len() as f64).ceil() as usize).max(1) - 1];
            let t = &json["times"][measure][group];
            assert_eq!(t["n"]["value"], secs.len(), "{measure} {group} n");
            if !secs.is_empty() {
                assert_eq!(t["median_seconds"], rank(0.5), "{measure} {group} median");
                assert_eq!(t["p90_seconds"], rank(0.9), "{measure} {group} p90");
            }
        }
    }
    json
}

// ---------------------------------------------------------------------------------------------
// Child processes (as in benches/cli.rs)

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

/// `incident --db DB review --week LABEL --format json`.
fn incident(db: &Path, home: &Path, week: &str) -> Box<dyn Fn(usize) -> Command> {
    let (db, home, week) = (db.to_path_buf(), home.to_path_buf(), week.to_string());
    Box::new(move |_| {
        let mut cmd = child(BIN, &home);
        cmd.arg("--db")
            .arg(&db)
            .args(["review", "--week", &week, "--format", "json"]);
        cmd
    })
}

/// `sqlite3 DB ".read FILE"`.
fn sqlite3(db: &Path, home: &Path, sql: &Path) -> Box<dyn Fn(usize) -> Command> {
    let (db, home, sql) = (db.to_path_buf(), home.to_path_buf(), sql.to_path_buf());
    Box::new(move |_| {
        let mut cmd = child(SQLITE3, &home);
        cmd.arg(&db).arg(format!(".read '{}'", sql.display()));
        cmd
    })
}

// ---------------------------------------------------------------------------------------------
// Measuring

struct Case {
    row: String,
    side: Side,
    command: Box<dyn Fn(usize) -> Command>,
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
        "| operation | incident median ms | incident p90 ms | sqlite3 median ms | sqlite3 p90 ms | ratio (goal ≤ {GOAL}) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for case in cases.iter().filter(|c| c.side == Side::Incident) {
        let (median, p90) = find(&case.row, Side::Incident).expect("timed");
        let (base_median, base_p90, ratio) = match find(&case.row, Side::Sqlite3) {
            Some((m, p)) => {
                let ratio = median / m;
                let flag = if ratio > GOAL { " OVER THE GOAL" } else { "" };
                (
                    format!("{m:.2}"),
                    format!("{p:.2}"),
                    format!("{ratio:.2}{flag}"),
                )
            }
            None => ("–".into(), "–".into(), "–".into()),
        };
        println!(
            "| `incident {}` | {median:.2} | {p90:.2} | {base_median} | {base_p90} | {ratio} |",
            case.row
        );
    }
}

/// The plans of the review's statements, from the SQL the store runs. A table read without an
/// index, or any read of the timeline, is flagged.
fn print_plans(db: &Path, week: &Week) {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    // The tables and the aliases the statements give them (other names are subqueries).
    let tables = ["incidents", "action_items", "events", "i", "e"];
    for (name, sql) in Txn::review_statements() {
        println!("\nEXPLAIN QUERY PLAN of `{name}`:");
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        // Bound as the binary binds them: the plan can depend on the values.
        for (param, value) in week.parameters() {
            if let Some(i) = stmt.parameter_index(param).unwrap() {
                stmt.raw_bind_parameter(i, value).unwrap();
            }
        }
        let mut rows = stmt.raw_query();
        let mut depth: Vec<(i64, usize)> = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            let (id, parent, detail): (i64, i64, String) = (
                row.get(0).unwrap(),
                row.get(1).unwrap(),
                row.get(3).unwrap(),
            );
            while depth.last().is_some_and(|(p, _)| *p != parent) {
                depth.pop();
            }
            let level = depth.last().map_or(0, |(_, l)| l + 1);
            depth.push((id, level));
            let words: Vec<&str> = detail.split_whitespace().collect();
            let full_scan = words.first() == Some(&"SCAN")
                && words.get(1).is_some_and(|t| tables.contains(t))
                && !detail.contains("USING");
            let flag = if detail.contains("events") {
                "   <- WARNING: reads the timeline"
            } else if full_scan {
                "   <- WARNING: reads the whole table"
            } else {
                ""
            };
            println!("  {}{detail}{flag}", "  ".repeat(level));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The database (benches/cli.rs's generator, with the similarity keys and action items)

struct Generated {
    actions: i64,
}

/// Creates the database with the real binary, fills it in one transaction, checkpoints it and
/// closes it, so every run starts from one compact file.
fn generate(db: &Path, home: &Path) -> Generated {
    let (conn, now) = fill(db, home, |_| {});
    let (incidents, events, actions, inconsistent): (i64, i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM events),
                 (SELECT count(*) FROM action_items),
                 (SELECT count(*) FROM action_items a JOIN incidents i ON i.pk = a.incident_pk
                  WHERE a.created_at < i.opened_at OR a.done_at < a.created_at
                     OR a.done_at > ?1 OR a.created_at > ?1)",
            [rfc3339(now)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!((incidents, events), (INCIDENTS, EVENTS));
    assert_eq!(
        inconsistent, 0,
        "action items out of order or in the future"
    );
    conn.close().map_err(|(_, e)| e).unwrap();
    Generated { actions }
}
