//! Snapshots and their diffs, printed for people.

use crate::domain::time::{Timestamp, display, from_rfc3339, human_duration, human_millis};
use crate::evidence::diff::Change;
use crate::evidence::snapshot::{Finding, Item, ItemStatus, Level, Snapshot};
use crate::ui::output::{Paint, table};
use serde_json::Value;

fn s(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(x)) => x.clone(),
        Some(Value::Null) | None => "-".into(),
        Some(other) => other.to_string(),
    }
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn when(v: &Value, key: &str, now: Timestamp) -> String {
    match v.get(key).and_then(Value::as_str).and_then(from_rfc3339) {
        Some(t) => format!("{} ago", human_duration((now - t).num_seconds())),
        None => "-".into(),
    }
}

fn level(f: &Finding, paint: &Paint) -> String {
    match f.level {
        Level::Critical => paint.red("critical"),
        Level::Warning => paint.yellow("warning "),
        Level::Info => "info    ".into(),
    }
}

/// The findings, most severe first, one per line.
pub fn findings_text(findings: &[Finding], paint: &Paint) -> String {
    findings
        .iter()
        .map(|f| format!("  {}  {}: {}\n", level(f, paint), f.subject, f.message))
        .collect()
}

/// A whole snapshot: header, findings, then what each collector saw.
pub fn snapshot_text(title: &str, snap: &Snapshot, paint: &Paint) -> String {
    let mut out = format!(
        "{}\n  taken {} in {}\n  {}\n",
        paint.bold(title),
        display(snap.taken_at),
        human_millis(snap.duration_ms),
        snap.summary
    );
    if !snap.findings.is_empty() {
        out.push_str(&format!("\n{}\n", paint.bold("FINDINGS")));
        out.push_str(&findings_text(&snap.findings, paint));
    }
    for item in &snap.items {
        out.push('\n');
        out.push_str(&item_text(item, snap.taken_at, paint));
    }
    out
}

fn item_text(item: &Item, now: Timestamp, paint: &Paint) -> String {
    let state = match item.status {
        ItemStatus::Ok => paint.green("ok"),
        ItemStatus::Failed => paint.red("failed"),
        ItemStatus::Timeout => paint.red("timeout"),
    };
    let mut out = format!(
        "{} ({state}, {})\n",
        paint.bold(&format!("{} {}", item.collector.to_uppercase(), item.name)),
        human_millis(item.duration_ms)
    );
    if let Some(error) = &item.error {
        out.push_str(&format!("  {error}\n"));
    }
    let d = &item.data;
    let indent = |text: String| -> String { text.lines().map(|l| format!("  {l}\n")).collect() };
    match item.collector.as_str() {
        "kubernetes" if item.status == ItemStatus::Ok => {
            let mut rows = vec![
                [
                    "POD",
                    "READY",
                    "STATUS",
                    "RESTARTS",
                    "LAST EXIT",
                    "STARTED",
                    "NODE",
                ]
                .map(String::from)
                .to_vec(),
            ];
            for p in list(d, "pods") {
                let status = match p.get("waiting_reason").and_then(Value::as_str) {
                    Some(w) => w.to_string(),
                    None => s(p, "phase"),
                };
                rows.push(vec![
                    s(p, "name"),
                    format!("{}/{}", s(p, "ready_containers"), s(p, "containers")),
                    status,
                    s(p, "restarts"),
                    s(p, "last_termination_reason"),
                    when(p, "started_at", now),
                    s(p, "node"),
                ]);
            }
            out.push_str(&indent(table(&rows, |_, _, c| c.to_string())));
            if !list(d, "cronjobs").is_empty() {
                let mut rows = vec![
                    [
                        "CRONJOB",
                        "SCHEDULE",
                        "SUSPENDED",
                        "LAST SCHEDULE",
                        "LAST SUCCESS",
                        "ACTIVE",
                    ]
                    .map(String::from)
                    .to_vec(),
                ];
                for c in list(d, "cronjobs") {
                    rows.push(vec![
                        s(c, "name"),
                        s(c, "schedule"),
                        s(c, "suspended"),
                        when(c, "last_schedule", now),
                        when(c, "last_successful", now),
                        s(c, "active"),
                    ]);
                }
                out.push_str(&indent(table(&rows, |_, _, c| c.to_string())));
            }
            if !list(d, "jobs").is_empty() {
                let mut rows = vec![
                    ["JOB", "SUCCEEDED", "FAILED", "ACTIVE", "STARTED", "REASON"]
                        .map(String::from)
                        .to_vec(),
                ];
                for j in list(d, "jobs") {
                    rows.push(vec![
                        s(j, "name"),
                        s(j, "succeeded"),
                        s(j, "failed"),
                        s(j, "active"),
                        when(j, "started_at", now),
                        s(j, "failed_reason"),
                    ]);
                }
                out.push_str(&indent(table(&rows, |_, _, c| c.to_string())));
            }
            if !list(d, "events").is_empty() {
                out.push_str("  WARNING EVENTS\n");
                for e in list(d, "events") {
                    out.push_str(&format!(
                        "  {} {} x{} {}: {}\n",
                        when(e, "last_seen", now),
                        s(e, "object"),
                        s(e, "count"),
                        s(e, "reason"),
                        s(e, "message")
                    ));
                }
            }
            for e in list(d, "errors") {
                out.push_str(&format!("  partial: {}\n", e.as_str().unwrap_or_default()));
            }
        }
        "database" if item.status == ItemStatus::Ok => {
            out.push_str(&format!(
                "  {} {}, round trip {} ms\n",
                s(d, "engine"),
                s(d, "version"),
                s(d, "latency_ms")
            ));
            for c in list(d, "freshness") {
                match c.get("error").and_then(Value::as_str) {
                    Some(e) => out.push_str(&format!("  {}: {e}\n", s(c, "name"))),
                    None => {
                        let newest = c
                            .get("newest")
                            .and_then(Value::as_str)
                            .and_then(from_rfc3339)
                            .map(display);
                        let age = c
                            .get("age_seconds")
                            .and_then(Value::as_i64)
                            .map(human_duration);
                        out.push_str(&format!(
                            "  {}: newest {}, data age {}\n",
                            s(c, "name"),
                            newest.unwrap_or_else(|| "-".into()),
                            age.unwrap_or_else(|| "-".into())
                        ));
                    }
                }
            }
        }
        "redis" if item.status == ItemStatus::Ok => {
            out.push_str(&format!(
                "  redis {} ({}), round trip {} ms, {} clients, {} memory, keys {}\n",
                s(d, "version"),
                s(d, "role"),
                s(d, "latency_ms"),
                s(d, "connected_clients"),
                s(d, "used_memory_human"),
                d.get("keys")
                    .map(Value::to_string)
                    .unwrap_or_else(|| "-".into())
            ));
        }
        "command" => {
            let argv: Vec<String> = list(d, "argv")
                .iter()
                .filter_map(|a| a.as_str().map(String::from))
                .collect();
            if !argv.is_empty() {
                out.push_str(&format!(
                    "  $ {}   (exit {})\n",
                    argv.join(" "),
                    s(d, "exit_code")
                ));
            }
        }
        _ => {}
    }
    if !item.raw.is_empty() {
        out.push_str(&indent(item.raw.trim_end().to_string()));
    }
    out
}

/// A diff, one change per line.
pub fn diff_text(title: &str, changes: &[Change], paint: &Paint) -> String {
    let mut out = format!("{}\n", paint.bold(title));
    if changes.is_empty() {
        out.push_str("  no changes\n");
    }
    for c in changes {
        let what = match c.what.as_str() {
            "recovered" | "came back" | "fresher" => paint.green(&c.what),
            "broke" | "went down" | "staler" | "restarted" | "vanished" => paint.red(&c.what),
            _ => c.what.clone(),
        };
        out.push_str(&format!("  {}: {what}, {}\n", c.subject, c.detail));
    }
    out
}
