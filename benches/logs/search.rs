//! The search half of the logs benchmark (issue 13, item 5): the same work on both sides.
//!
//! For each query kind (a rare word, a request id, a phrase, a prefix, a common word in more
//! than 5% of lines), over the eight files attached to one incident of the 100,000-incident
//! database and the same files on disk:
//!
//! - every line: `incident search Q --kind log --limit 0` (every matching line with its log
//!   and line number) against `rg -n` (every matching line with its file and line number);
//! - the default page: `incident search Q --kind log` (20 lines and the exact total, "more
//!   than 10000" beyond) against `rg -n`;
//! - the totals: `incident search Q --kind log --count` against `rg -c`;
//! - for the common word, every line against `rg -n -z` over the same files zstd-compressed
//!   (the same decompression work as reading the stored chunks).
//!
//! Before anything is timed, both sides' outputs are compared: the same (file, line, text)
//! for every line, the page's 20 lines being the first 20 of rg's in the search's order and
//! its total rg's count, the counts per file equal. A difference stops the benchmark.
//! rg is given the pattern the tokenizer's rules make of the query (a word between
//! non-alphanumeric characters, case-insensitive), and every output goes to a file (rg stops
//! at the first match when its stdout is /dev/null).

use super::*;
use std::collections::BTreeMap;

/// "Letters and digits make words", as `unicode61` splits them, for rg.
const EDGE_BEFORE: &str = r"(?:^|[^\p{L}\p{N}])";
const EDGE_AFTER: &str = r"(?:[^\p{L}\p{N}]|$)";

/// The common word: the WARN level, about 13% of lines.
const COMMON: &str = "WARN";

pub(crate) struct Query {
    pub label: &'static str,
    /// What `incident search` is given.
    pub fts: String,
    /// What rg is given: the pattern (a regex), or a single word (`-F -w -i`).
    pub rg: String,
}

impl Query {
    fn fixed_word(&self) -> bool {
        self.rg.chars().all(char::is_alphanumeric)
    }
}

fn queries(probe: &str) -> Vec<Query> {
    // A single word: rg's fastest path, a fixed string matched whole (`-F -w -i`); `-w` counts
    // `_` as a word character where the tokenizer does not, and the check before timing
    // would say so if a log of this benchmark held the word next to one.
    let word = |w: &str| w.to_string();
    vec![
        Query {
            label: "rare word (`segfault`)",
            fts: RARE.into(),
            rg: word(RARE),
        },
        Query {
            label: "request id",
            fts: probe.into(),
            rg: word(probe),
        },
        Query {
            label: "phrase (`\"connection refused\"`)",
            fts: "\"connection refused\"".into(),
            rg: format!("(?i){EDGE_BEFORE}connection[^\\p{{L}}\\p{{N}}]+refused{EDGE_AFTER}"),
        },
        Query {
            label: "prefix (`replica*`)",
            fts: "replica*".into(),
            rg: format!("(?i){EDGE_BEFORE}replica"),
        },
        Query {
            label: "common word (`WARN`)",
            fts: COMMON.into(),
            rg: word(COMMON),
        },
    ]
}

/// What is timed for a query.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Case {
    Page,
    Every,
    Count,
    RgN,
    RgC,
    RgNz,
}

pub(crate) fn search(home: &Path, logs: &Logs, runs: usize) {
    let db = home.join("search.db");
    let fill = Instant::now();
    fill_incidents(&db, home);
    println!(
        "\nsearch database: {INCIDENTS} incidents, {EVENTS} events in {:.1} s ({})",
        fill.elapsed().as_secs_f64(),
        mib(file_size(&db))
    );
    let attach = Instant::now();
    let target = TARGET.to_string();
    let mut args = vec![OsStr::new("attach"), OsStr::new(&target)];
    args.extend(logs.files.iter().map(|f| f.as_os_str()));
    timed(incident(&db, home, &args), home);
    println!(
        "attached the log to incident {TARGET} of it in {:.1} s ({:.1} MB/s); database {}",
        attach.elapsed().as_secs_f64(),
        logs.bytes as f64 / 1e6 / attach.elapsed().as_secs_f64(),
        mib(file_size(&db))
    );
    // The first search indexes the notes written since the last one: here all of them.
    let catch_up = Instant::now();
    timed(
        incident(&db, home, &["search", "anything"].map(OsStr::new)),
        home,
    );
    println!(
        "first search, indexing the {EVENTS} events' notes: {:.1} s",
        catch_up.elapsed().as_secs_f64()
    );
    let zst = compress(home, logs);
    let queries = queries(&logs.probe);
    let dirs = Dirs {
        logs: logs.files[0]
            .parent()
            .expect("the logs' directory")
            .to_path_buf(),
        zst,
    };
    let matching: Vec<u64> = queries
        .iter()
        .map(|q| check_query(&db, home, &dirs, q))
        .collect();
    let mut cases = Vec::new();
    for (q, query) in queries.iter().enumerate() {
        for case in [Case::Page, Case::Every, Case::Count, Case::RgN, Case::RgC] {
            cases.push((q, case));
        }
        if query.fts == COMMON {
            cases.push((q, Case::RgNz));
        }
    }
    let out_file = home.join("search-out.txt");
    let samples = measure(
        &cases,
        |(q, case), _| {
            let mut cmd = command(&db, home, &dirs, &queries[*q], *case);
            cmd.stdout(File::create(&out_file).expect("create the output file"));
            cmd
        },
        1,
        runs,
        home,
    );
    let median = |q: usize, case: Case| {
        let i = cases.iter().position(|c| *c == (q, case)).expect("timed");
        stats(&samples[i]).0
    };
    print_search_tables(&queries, &matching, runs, logs, &median);
}

struct Dirs {
    logs: PathBuf,
    zst: PathBuf,
}

/// The command a case runs.
fn command(db: &Path, home: &Path, dirs: &Dirs, query: &Query, case: Case) -> Command {
    let q = OsStr::new(&query.fts);
    let search = |extra: &[&str]| {
        let mut args = vec![
            OsStr::new("search"),
            q,
            OsStr::new("--kind"),
            OsStr::new("log"),
        ];
        args.extend(extra.iter().map(OsStr::new));
        incident(db, home, &args)
    };
    let rg = |flags: &[&str], dir: &Path| {
        let mut cmd = child(rg_path(), home);
        cmd.arg("--no-config").args(flags);
        if query.fixed_word() {
            cmd.args(["-F", "-w", "-i"]);
        }
        cmd.arg("-e").arg(&query.rg).arg(dir);
        cmd
    };
    match case {
        Case::Page => search(&[]),
        Case::Every => search(&["--limit", "0"]),
        Case::Count => search(&["--count"]),
        Case::RgN => rg(&["-n"], &dirs.logs),
        Case::RgC => rg(&["-c"], &dirs.logs),
        Case::RgNz => rg(&["-n", "-z"], &dirs.zst),
    }
}

/// rg: $INCIDENT_BENCH_RG, else /usr/bin/rg.
pub(crate) fn rg_path() -> PathBuf {
    std::env::var_os("INCIDENT_BENCH_RG")
        .map_or_else(|| PathBuf::from("/usr/bin/rg"), PathBuf::from)
}

/// The logs zstd-compressed (level 3, as `incident` stores them), for `rg -z`.
fn compress(home: &Path, logs: &Logs) -> PathBuf {
    let dir = home.join("logs-zst");
    std::fs::create_dir_all(&dir).expect("create the zstd directory");
    for file in &logs.files {
        let name = file.file_name().expect("a file name");
        let mut cmd = child("/usr/bin/zstd", home);
        cmd.args(["-q", "-3", "-f", "-o"])
            .arg(dir.join(format!("{}.zst", name.to_string_lossy())))
            .arg(file);
        timed(cmd, home);
    }
    dir
}

/// stdout and stderr of a command that must succeed.
fn run(mut cmd: Command) -> (Vec<u8>, String) {
    let out = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success() || out.status.code() == Some(1) && out.stdout.is_empty(),
        "{cmd:?} failed with {}",
        out.status
    );
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (file name, line, text) of rg's `path:N:text` lines.
fn rg_lines(out: &[u8]) -> Vec<(String, u64, Vec<u8>)> {
    out.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut parts = l.splitn(3, |b| *b == b':');
            let path = String::from_utf8_lossy(parts.next().expect("a path")).into_owned();
            let name = path
                .rsplit('/')
                .next()
                .unwrap_or(&path)
                .trim_end_matches(".zst")
                .to_string();
            let n = std::str::from_utf8(parts.next().expect("a line number"))
                .ok()
                .and_then(|n| n.parse().ok())
                .expect("a line number");
            (name, n, parts.next().unwrap_or_default().to_vec())
        })
        .collect()
}

/// (log name, line, text) of `incident search`'s output, in its order: a header per log
/// (`incident N  log  attachment K NAME  TIME  M lines match`), then `N:text` lines.
fn search_lines(out: &[u8]) -> Vec<(String, u64, Vec<u8>)> {
    let mut name = String::new();
    let mut lines = Vec::new();
    for l in out.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        if l.starts_with(b"incident ") {
            let header = String::from_utf8_lossy(l);
            let place = header.split("  ").nth(2).expect("the log's place");
            name = place
                .splitn(3, ' ')
                .nth(2)
                .expect("the log's name")
                .to_string();
            continue;
        }
        let colon = l.iter().position(|b| *b == b':').expect("N:text");
        let n = std::str::from_utf8(&l[..colon])
            .ok()
            .and_then(|n| n.parse().ok())
            .expect("N");
        lines.push((name.clone(), n, l[colon + 1..].to_vec()));
    }
    lines
}

/// Compares both sides for a query, before any timing; returns rg's matching lines.
fn check_query(db: &Path, home: &Path, dirs: &Dirs, query: &Query) -> u64 {
    let mut rg = rg_lines(&run(command(db, home, dirs, query, Case::RgN)).0);
    rg.sort();
    // Every line, compared as sets of (file, line, text), then the search's own order: the
    // newest log first (the eight are attached at once: the last, pods-7, first), file order.
    let every = search_lines(&run(command(db, home, dirs, query, Case::Every)).0);
    let mut sorted = every.clone();
    sorted.sort();
    assert!(
        sorted == rg,
        "{}: every line differs from rg -n ({} against {} lines)",
        query.label,
        every.len(),
        rg.len()
    );
    let mut in_order = rg.clone();
    in_order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    assert!(every == in_order, "{}: lines out of order", query.label);
    // The page: the first 20 and the total.
    let (page, said) = run(command(db, home, dirs, query, Case::Page));
    let page = search_lines(&page);
    assert!(
        page[..] == in_order[..in_order.len().min(20)],
        "{}: the page is not rg's first 20",
        query.label
    );
    let total = rg.len() as u64;
    let logs = rg
        .iter()
        .map(|l| &l.0)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let expected = if total > 10_000 {
        format!("more than 10000 lines in {logs} logs")
    } else {
        format!(
            "{total} line{} in {logs} log",
            if total == 1 { "" } else { "s" }
        )
    };
    assert!(
        total == 0 || said.contains(&expected),
        "{}: the page says {said:?}, rg finds {total} lines in {logs} logs",
        query.label
    );
    // The counts per file.
    let (counted, _) = run(command(db, home, dirs, query, Case::Count));
    let counted = String::from_utf8_lossy(&counted).into_owned();
    let ours: BTreeMap<String, u64> = counted
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("total:"))
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols[3].to_string(), cols[4].parse().expect("a count"))
        })
        .collect();
    let (rg_c, _) = run(command(db, home, dirs, query, Case::RgC));
    let theirs: BTreeMap<String, u64> = String::from_utf8_lossy(&rg_c)
        .lines()
        .map(|l| {
            let (path, n) = l.rsplit_once(':').expect("path:count");
            (
                path.rsplit('/').next().unwrap_or(path).to_string(),
                n.parse().expect("a count"),
            )
        })
        .collect();
    assert_eq!(ours, theirs, "{}: --count against rg -c", query.label);
    if query.fts == COMMON {
        let mut z = rg_lines(&run(command(db, home, dirs, query, Case::RgNz)).0);
        z.sort();
        assert!(z == rg, "{}: rg -z finds other lines", query.label);
    }
    println!(
        "{}: the same {total} lines on both sides, in {logs} logs; page and counts agree",
        query.label
    );
    total
}

fn print_search_tables(
    queries: &[Query],
    matching: &[u64],
    runs: usize,
    logs: &Logs,
    median: &dyn Fn(usize, Case) -> f64,
) {
    println!(
        "\nmedians of {runs} runs, ms, over {} MB ({} lines); both sides write to a file:",
        logs.bytes / 1_000_000,
        logs.lines
    );
    println!(
        "\n| query | matching lines | page + total | `rg -n` | speed-up (goal ≥ 10) | every line `--limit 0` | speed-up vs `rg -n` (goal ≥ 3 up to 1,000 lines) | `--count` | `rg -c` | ratio (goal ≤ 1) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (q, query) in queries.iter().enumerate() {
        let (page, every, count) = (
            median(q, Case::Page),
            median(q, Case::Every),
            median(q, Case::Count),
        );
        let (rg_n, rg_c) = (median(q, Case::RgN), median(q, Case::RgC));
        println!(
            "| {} | {} | {page:.1} | {rg_n:.1} | {:.1} | {every:.1} | {:.1} | {count:.1} | {rg_c:.1} | {:.2} |",
            query.label,
            matching[q],
            rg_n / page,
            rg_n / every,
            count / rg_c
        );
        if query.fts == COMMON {
            let z = median(q, Case::RgNz);
            println!(
                "\n{}: every line {every:.1} ms against `rg -n -z` over the zstd files {z:.1} ms: ratio {:.2} (goal ≤ 1.5)\n",
                query.label,
                every / z
            );
        }
    }
}
