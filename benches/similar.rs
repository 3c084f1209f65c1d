//! What listing past incidents costs `incident open` (issue 16 item 8): `open` on the CLI
//! benchmark's log of 100,000 incidents, with `[open] similar = 3` (the default) and with
//! `similar = 0`, whole processes alternating, 60 runs each after 5 warm-ups. Goal: the
//! medians within 2 ms.
//!
//! `cargo bench --bench similar`. The log is `benches/common`'s (titles from ten services and
//! eight symptoms, so every word of a probe matches about a tenth of the incidents: a worst
//! case for an OR query), with every incident's title, root cause and resolution in the
//! full-text index as `open` and `update` put them there.

mod common;

use common::*;
use std::path::Path;

const WARMUP: usize = 5;
const RUNS: usize = 60;
/// A probe whose words ("checkout", "api", "spike", "eu", "customer") all occur in the log,
/// with identifiers ("5xx" occurs, "lb-eu-1" does not), opened affecting `checkout-api` (as
/// every tenth incident of the log does).
const TITLE: &str = "checkout API: 5xx spike for EU customers (lb-eu-1, 10.0.4.17)";

fn main() {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    // INCIDENT_BENCH_KEEP=1 leaves the generated log behind (for a profiler), and says where.
    let (_removed_at_exit, home) = if std::env::var_os("INCIDENT_BENCH_KEEP").is_some() {
        let kept = dir.keep();
        println!("keeping {}", kept.display());
        (None, kept)
    } else {
        let path = dir.path().to_path_buf();
        (Some(dir), path)
    };
    let home = home.as_path();
    let db = home.join("incidents.db");
    let (conn, _) = fill(&db, home, index_fields);
    let docs: i64 = conn
        .query_row("SELECT count(*) FROM search_docs", [], |r| r.get(0))
        .unwrap();
    conn.close().map_err(|(_, e)| e).unwrap();
    println!(
        "{INCIDENTS} incidents, {docs} indexed fields; {}",
        mib(file_size(&db))
    );
    let with = home.join("with.toml");
    let without = home.join("without.toml");
    std::fs::write(&with, "[open]\nsimilar = 3\n").unwrap();
    std::fs::write(&without, "[open]\nsimilar = 0\n").unwrap();
    // Each run's title ends in a word of its own (`zqbc` for run 12): the runs before it are
    // incidents with the same title, which the query for every word of the title would find
    // and list, sparing the query for any word that the first run (and a new problem) needs.
    let open = |config: &Path, run: usize| {
        let tag: String = run
            .to_string()
            .bytes()
            .map(|d| char::from(d - b'0' + b'a'))
            .collect();
        let mut cmd = child(BIN, home);
        cmd.arg("--db").arg(&db).arg("--config").arg(config).args([
            "--author",
            "bench",
            "open",
            "P2",
            &format!("{TITLE} zq{tag}"),
            "--service",
            "checkout-api",
            "--no-snapshot",
        ]);
        cmd
    };
    // The answer first: past incidents listed, a closed one with its fix at the top; none
    // with similar = 0.
    let listed = output(open(&with, 1000));
    let past = &listed[listed.find("LIKE THIS BEFORE:").expect(&listed)..];
    assert!(
        past.contains("CLOSED") && !past.contains("(not recorded)\n  #"),
        "{listed}"
    );
    println!("{past}");
    assert!(!output(open(&without, 1001)).contains("LIKE THIS BEFORE"));
    let cases = [("similar = 3", &with), ("similar = 0", &without)];
    let samples = measure(&cases, |c, run| open(c.1, run), WARMUP, RUNS, home);
    println!("| `incident open` | median ms | p90 ms |\n|---|---:|---:|");
    for ((name, _), s) in cases.iter().zip(&samples) {
        let (median, p90) = stats(s);
        println!("| {name} | {median:.2} | {p90:.2} |");
    }
    let diff = stats(&samples[0]).0 - stats(&samples[1]).0;
    println!("difference of the medians: {diff:.2} ms (goal: within 2 ms)");
}

/// Every incident's title, description, root cause and resolution in the full-text index, as
/// the store's `index_fields` writes them.
fn index_fields(tx: &rusqlite::Transaction) {
    for field in ["title", "description", "root_cause", "resolution"] {
        tx.execute(
            &format!(
                "INSERT INTO search_docs (kind, incident_pk, ref, at, body)
                 SELECT 'field', pk, '{field}', updated_at, {field} FROM incidents
                 WHERE {field} <> '' AND pk NOT IN (
                     SELECT incident_pk FROM search_docs WHERE kind = 'field' AND ref = '{field}')"
            ),
            [],
        )
        .unwrap();
    }
    tx.execute(
        "INSERT INTO search (rowid, text) SELECT id, body FROM search_docs
         WHERE kind = 'field' AND id > (SELECT coalesce(max(rowid), 0) FROM search)",
        [],
    )
    .unwrap();
}
