//! The reference for search by line: every test log is also loaded into an in-memory FTS5
//! table, one row per line, with the same tokenizer; the same MATCH runs over it, and the
//! lines `search` returns must be exactly its rows, for a few hundred queries drawn from the
//! logs themselves, over generated logs of realistic shapes and real samples
//! (tests/data/logs, README there says whence). Words with punctuation are also checked
//! against a grep of their own: every line holding one, between token boundaries, is found.

use super::query::parse;
use super::{SearchError, SearchQuery, TOKENIZE};
use crate::store::{Chunker, Found, Txn};
use rusqlite::Connection;
use std::collections::BTreeSet;

/// xorshift64*: the same logs and queries on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One line of a log of one of the shapes seen during incidents.
fn line(rng: &mut Rng, i: usize) -> String {
    let (mm, ss, ms) = (i / 60 % 60, i % 60, rng.below(1000));
    let ip = format!("10.0.{}.{}", rng.below(4), rng.below(255));
    let hex = format!("{:08x}", rng.next() as u32);
    let user = rng.pick(&[
        "root",
        "admin",
        "bob_smith",
        "svc-updater",
        "webmaster",
        "josé",
    ]);
    let sym = rng.pick(&["BTCUSDT", "ETHUSDT", "binance", "kraken", "coinbase-pro"]);
    match rng.below(16) {
        0 => format!(
            "2026-11-29T09:{mm:02}:{ss:02}.{ms:03}Z INFO  [worker-{}] req_id=req_{hex} user={user}@example.com GET /api/v1/prices/{sym}?limit=100 200 {}ms",
            rng.below(8),
            rng.below(900)
        ),
        1 => format!(
            "2026-11-29 09:{mm:02}:{ss:02},{ms:03} ERROR [main] c.e.updater.PriceJob - Failed to fetch quotes from {ip}:3306 (timeout after {}s)",
            rng.below(60)
        ),
        2 => format!(
            "\tat com.example.updater.PriceJob.run(PriceJob.java:{})",
            rng.below(400)
        ),
        3 => "Caused by: java.net.SocketTimeoutException: connect timed out".into(),
        4 => format!(
            "  File \"/srv/app/updater/fetch.py\", line {}, in fetch_quotes\n    raise KeyError('{sym}')",
            rng.below(200)
        ),
        5 => format!(
            "[Sun Dec 04 04:{mm:02}:{ss:02} 2005] [error] mod_jk child workerEnv in error state {}",
            rng.below(9)
        ),
        6 => format!(
            "[Sun Dec 04 04:{mm:02}:{ss:02} 2005] [notice] jk2_init() Found child {} in scoreboard slot {}",
            6000 + rng.below(900),
            rng.below(12)
        ),
        7 => format!(
            "Dec 10 06:{mm:02}:{ss:02} LabSZ sshd[{}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}",
            24000 + rng.below(999)
        ),
        8 => format!(
            "Dec 10 06:{mm:02}:{ss:02} LabSZ sshd[{}]: {} password for {}{user} from {ip} port {} ssh2",
            24000 + rng.below(999),
            rng.pick(&["Failed", "Accepted", "Failed"]),
            rng.pick(&["", "invalid user "]),
            30000 + rng.below(30000)
        ),
        9 => format!(
            "E1129 09:{mm:02}:{ss:02}.{ms:03}456       1 reflector.go:138] pkg/mod/k8s.io/client-go@v0.28.4/tools/cache/reflector.go:229: Failed to watch *v1.Pod: unknown (get pods)"
        ),
        10 => format!(
            "level=warn ts=2026-11-29T09:{mm:02}:{ss:02}Z caller=lag.go:88 msg=\"replica lag high\" lag_seconds={} pod=updater-5c9f7d-{hex}",
            rng.below(90)
        ),
        11 => format!(
            "2026-11-29 09:{mm:02} WARN utilisateur «{user}» a échoué: connexion refusée — réessai №{} 用户 登录 失败",
            rng.below(5)
        ),
        12 => format!(
            "{{\"ts\":\"2026-11-29T09:{mm:02}:{ss:02}Z\",\"level\":\"error\",\"msg\":\"upstream timeout\",\"upstream\":\"{sym}\",\"attempt\":{},\"trace_id\":\"{hex}{hex}\"}}",
            rng.below(5)
        ),
        13 => format!(
            "workerEnv.init() ok /etc/httpd/conf/workers2.properties; sshd(pam_unix) session opened for user {user} by (uid=0)"
        ),
        14 => ["", "----", "  ", "==> done <=="][rng.below(4)].into(),
        _ => format!("INFO tick {i} ok; lag 0s; $HOME=/root; key=value; a.b.c"),
    }
}

/// A log of `lines` lines: CRLF on some, a few lines longer than a chunk, and maybe no
/// newline at the end.
fn generated_log(rng: &mut Rng, lines: usize) -> String {
    let mut log = String::new();
    for i in 0..lines {
        if rng.below(2000) == 0 {
            // Longer than a chunk (64 KiB): indexed and found as the one line it is.
            let mut long = String::from("BEGIN huge payload");
            while long.len() < 70_000 + rng.below(80_000) {
                long.push_str(&format!(" tok{} ", rng.below(50_000)));
                long.push_str(&line(rng, i).replace('\n', " "));
            }
            long.push_str(" END huge payload");
            log.push_str(&long);
        } else {
            log.push_str(&line(rng, i));
        }
        log.push_str(if rng.below(10) == 0 { "\r\n" } else { "\n" });
    }
    if rng.below(2) == 0 {
        log.pop();
    }
    log
}

/// The queries: words, pieces with punctuation as they appear, prefixes, phrases, the
/// operators, NEAR, ^start, groups and lowercase operator words, from random lines.
fn queries(rng: &mut Rng, logs: &[Vec<u8>], n: usize) -> Vec<String> {
    let lines: Vec<String> = logs
        .iter()
        .flat_map(|l| {
            String::from_utf8_lossy(l)
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|l| l.len() < 400 && l.chars().any(char::is_alphanumeric))
        .collect();
    let mut out = Vec::new();
    while out.len() < n {
        let line = rng.pick(&lines).clone();
        let pieces: Vec<&str> = line.split_whitespace().collect();
        let words: Vec<&str> = line
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        if pieces.is_empty() || words.is_empty() {
            continue;
        }
        let other = rng.pick(&lines).clone();
        let other_word = other
            .split(|c: char| !c.is_alphanumeric())
            .find(|w| w.len() > 2)
            .unwrap_or("ok")
            .to_string();
        let piece = *rng.pick(&pieces);
        let word = *rng.pick(&words);
        let w2 = *rng.pick(&words);
        let at = rng.below(words.len());
        let phrase = words[at..(at + 3).min(words.len())].join(" ");
        let q = match rng.below(12) {
            0 | 1 => piece.to_string(),
            2 => word.to_string(),
            3 => format!("{}*", word.chars().take(3).collect::<String>()),
            4 => format!("\"{phrase}\""),
            5 => format!("{word} AND {other_word}"),
            6 => format!("{word} OR {other_word}"),
            7 => format!("{word} NOT {w2}"),
            8 => format!("NEAR({word} {w2}, 3)"),
            9 => format!("^{}", words[0]),
            10 => format!("({piece} OR {other_word}) {w2}"),
            _ => format!("{word} and {w2}"),
        };
        out.push(q);
    }
    out
}

/// The lines of `text` as the index splits them: on `\n`, a last line without one counted.
fn lines_of(text: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// A store in memory with one incident and `logs` attached to it, in order.
fn store_with(conn: &mut Connection, logs: &[Vec<u8>]) {
    crate::store::migrations::migrate(conn).unwrap();
    conn.execute_batch(
        "INSERT INTO incidents (uuid, number, title, severity, status, detected_at, opened_at,
             created_by, updated_at)
         VALUES ('u', 1, 'Updater stuck', 'P1', 'OPEN', '2026-11-29T09:00:00Z',
             '2026-11-29T09:00:00Z', 'a', '2026-11-29T09:00:00Z');",
    )
    .unwrap();
    let txn = Txn {
        tx: conn.transaction().unwrap(),
        path: std::path::Path::new(":memory:"),
    };
    for (i, log) in logs.iter().enumerate() {
        let mut writer = txn.blob_writer().unwrap();
        let mut chunks = Chunker::new(&log[..]);
        while let Some(chunk) = chunks.next_chunk().unwrap() {
            writer.push(chunk).unwrap();
        }
        let blob = writer.finish().unwrap();
        let at = crate::domain::time::from_rfc3339("2026-11-29T10:00:00Z").unwrap();
        txn.insert_attachment(1, &format!("log{i}"), blob.id, 0, "a", at)
            .unwrap();
    }
    txn.tx.commit().unwrap();
}

/// Each log in its own FTS5 table `ref{i}`, one row per line, rowid = line number.
fn reference(logs: &[Vec<u8>]) -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    for (i, log) in logs.iter().enumerate() {
        conn.execute_batch(&format!(
            "CREATE VIRTUAL TABLE ref{i} USING fts5(text, tokenize = '{TOKENIZE}')"
        ))
        .unwrap();
        let mut insert = conn
            .prepare(&format!("INSERT INTO ref{i} (rowid, text) VALUES (?1, ?2)"))
            .unwrap();
        for (n, line) in lines_of(log).iter().enumerate() {
            insert
                .execute(rusqlite::params![
                    n as i64 + 1,
                    String::from_utf8_lossy(line)
                ])
                .unwrap();
        }
    }
    conn
}

fn search(txn: &Txn, query: &str, limit: Option<usize>, count: bool) -> Result<Found, SearchError> {
    txn.search(&SearchQuery {
        query,
        incident: None,
        since: None,
        kind: Some("log"),
        limit,
        count,
        mark: ("[", "]"),
    })
}

/// Lines of each log (attachment seq - 1 = index in `logs`) `found` shows.
fn shown(found: &Found, logs: usize) -> Vec<Vec<u64>> {
    let mut per_log = vec![Vec::new(); logs];
    for m in &found.logs {
        let seq: usize = m.log.reference["attachment ".len()..].parse().unwrap();
        per_log[seq - 1] = m.shown.clone();
    }
    per_log
}

/// Lines holding `piece` between token boundaries (ASCII case folded): what a phrase of its
/// parts must find, by a grep that knows nothing of FTS5.
fn grep_piece(log: &[u8], piece: &str) -> BTreeSet<u64> {
    let piece = piece.to_ascii_lowercase();
    let token = |b: u8| b.is_ascii_alphanumeric() || b >= 0x80;
    let (p, first, last) = (
        piece.as_bytes(),
        piece.as_bytes()[0],
        piece.as_bytes()[piece.len() - 1],
    );
    let mut found = BTreeSet::new();
    for (n, line) in lines_of(log).iter().enumerate() {
        let lower = line.to_ascii_lowercase();
        let hit = (0..lower.len().saturating_sub(p.len() - 1)).any(|at| {
            lower[at..].starts_with(p)
                && !(token(first) && at > 0 && token(lower[at - 1]))
                && !(token(last) && at + p.len() < lower.len() && token(lower[at + p.len()]))
        });
        if hit {
            found.insert(n as u64 + 1);
        }
    }
    found
}

/// Compares `search` with the reference for every query; returns how many were compared.
fn compare(logs: &[Vec<u8>], queries: &[String]) -> usize {
    let mut conn = Connection::open_in_memory().unwrap();
    store_with(&mut conn, logs);
    let reference = reference(logs);
    let txn = Txn {
        tx: conn.transaction().unwrap(),
        path: std::path::Path::new(":memory:"),
    };
    let mut compared = 0;
    for query in queries {
        let expr = match parse(query) {
            Ok(expr) => expr,
            Err(why) => {
                // Refused: it must be the query's one-line error, not the database's.
                let err = search(&txn, query, None, false).unwrap_err();
                assert!(matches!(err, SearchError::Query(_)), "{query}: {err}");
                assert!(!why.contains('\n'), "{query}: {why}");
                continue;
            }
        };
        let fts = expr.fts();
        let want: Vec<Vec<u64>> = (0..logs.len())
            .map(|i| {
                reference
                    .prepare(&format!(
                        "SELECT rowid FROM ref{i} WHERE ref{i} MATCH ?1 ORDER BY rowid"
                    ))
                    .unwrap()
                    .query_map([&fts], |r| r.get::<_, i64>(0).map(|n| n as u64))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap()
            })
            .collect();
        let all = search(&txn, query, None, false).unwrap();
        let got = shown(&all, logs.len());
        for (i, (got, want)) in got.iter().zip(&want).enumerate() {
            let (g, w): (BTreeSet<u64>, BTreeSet<u64>) = (
                got.iter().copied().collect(),
                want.iter().copied().collect(),
            );
            let missing: Vec<_> = w.difference(&g).take(5).collect();
            let extra: Vec<_> = g.difference(&w).take(5).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{query} ({fts}) in log {i}: lines missing {missing:?}, extra {extra:?}"
            );
            assert_eq!(got, want, "{query}: lines in file order");
        }
        let total: u64 = want.iter().map(|w| w.len() as u64).sum();
        assert_eq!((all.line_total, all.lines_exact), (total, true), "{query}");
        let counted = search(&txn, query, None, true).unwrap();
        assert_eq!(counted.line_total, total, "--count {query}");
        // The default page: the newest log first (the last attached), lines in file order,
        // and its total exact up to COUNTED_LINES.
        let page = search(&txn, query, Some(20), false).unwrap();
        let in_order: Vec<(usize, u64)> = (0..logs.len())
            .rev()
            .flat_map(|i| want[i].iter().map(move |n| (i, *n)))
            .take(20)
            .collect();
        let paged: Vec<(usize, u64)> = (0..logs.len())
            .rev()
            .flat_map(|i| {
                shown(&page, logs.len())[i]
                    .iter()
                    .map(move |n| (i, *n))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(paged, in_order, "page of {query}");
        if total <= super::COUNTED_LINES {
            assert_eq!(
                (page.line_total, page.lines_exact),
                (total, true),
                "{query}"
            );
        } else {
            assert!(
                !page.lines_exact && page.line_total > super::COUNTED_LINES,
                "{query}"
            );
        }
        // A word with punctuation: every line a grep finds it in, between token boundaries.
        if query.is_ascii()
            && !query.contains(['"', '*', '^', '(', ')', ' '])
            && query.chars().any(|c| !c.is_alphanumeric())
        {
            for (i, log) in logs.iter().enumerate() {
                let found: BTreeSet<u64> = want[i].iter().copied().collect();
                let grep = grep_piece(log, query);
                assert!(
                    grep.is_subset(&found),
                    "{query} in log {i}: grep finds {:?}",
                    grep.difference(&found).take(3).collect::<Vec<_>>()
                );
            }
        }
        compared += 1;
    }
    compared
}

#[test]
fn every_matching_line_of_generated_logs_and_no_other() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let logs: Vec<Vec<u8>> = [6_000, 3_000, 1]
        .iter()
        .map(|n| generated_log(&mut rng, *n).into_bytes())
        .collect();
    let mut qs = queries(&mut rng, &logs, 300);
    qs.extend(
        [
            "jk2_init()",
            "sshd(pam_unix)",
            "workerEnv.init()",
            "password NOT invalid",
            "Accepted AND Failed",
            "\"connection refused\"",
            "\"huge payload\"",
            "key=value",
            "$HOME",
            "a.b.c",
            "/etc/httpd/conf/workers2.properties",
            "10.0.1.5:3306",
            "user@example.com",
            "José",
            "jose",
            "用户",
            "refusée",
            "tok1*",
        ]
        .map(String::from),
    );
    let compared = compare(&logs, &qs);
    assert!(
        compared >= 250,
        "only {compared} of {} queries compared",
        qs.len()
    );
}

#[test]
fn every_matching_line_of_real_logs_and_no_other() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/logs");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    names.sort();
    assert!(names.len() >= 5, "{names:?}");
    let logs: Vec<Vec<u8>> = names.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let qs = queries(&mut rng, &logs, 300);
    let compared = compare(&logs, &qs);
    assert!(
        compared >= 250,
        "only {compared} of {} queries compared",
        qs.len()
    );
}
