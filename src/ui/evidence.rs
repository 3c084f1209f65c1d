//! Snapshots and their diffs, printed for people.

use crate::domain::time::{Timestamp, display, from_rfc3339, human_duration, human_millis};
use crate::evidence::data::{CommandData, DatabaseData, NamespaceData, RedisData};
use crate::evidence::diff::Change;
use crate::evidence::snapshot::{Finding, Item, ItemStatus, Level, Snapshot};
use crate::ui::output::{Paint, table};

/// A value as the collector stored it, `-` when it did not.
fn or_dash(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "-".into(), |v| v.to_string())
}

/// Milliseconds as the JSON holds them: `1.0` stays `1.0`.
fn millis(value: Option<f64>) -> String {
    or_dash(value.and_then(serde_json::Number::from_f64))
}

/// How long ago an RFC 3339 time was, `-` when there is none.
fn ago(time: Option<&str>, now: Timestamp) -> String {
    match time.and_then(from_rfc3339) {
        Some(t) => format!(
            "{} ago",
            human_duration(now.signed_duration_since(t).num_seconds())
        ),
        None => "-".into(),
    }
}

/// Text indented by two spaces, line by line.
fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// A table of `header` and `rows`, indented.
fn indented_table(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut all = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    all.extend(rows);
    indent(&table(&all, |_, _, c| c.to_string()))
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
    let ok = item.status == ItemStatus::Ok;
    match item.collector.as_str() {
        "kubernetes" if ok => out.push_str(&namespace_text(&item.data_as(), now)),
        "database" if ok => out.push_str(&database_text(&item.data_as())),
        "redis" if ok => out.push_str(&redis_text(&item.data_as())),
        "command" => out.push_str(&command_text(&item.data_as())),
        _ => {}
    }
    if !item.raw.is_empty() {
        out.push_str(&indent(item.raw.trim_end()));
    }
    out
}

/// Pods (always, a header alone when there are none), cronjobs, jobs, warning events and the
/// lists that could not be read.
fn namespace_text(d: &NamespaceData, now: Timestamp) -> String {
    let pods = d.pods().iter().map(|p| {
        vec![
            or_dash(p.name.as_deref()),
            format!("{}/{}", or_dash(p.ready_containers), or_dash(p.containers)),
            match &p.waiting_reason {
                Some(w) => w.clone(),
                None => or_dash(p.phase.as_deref()),
            },
            or_dash(p.restarts),
            or_dash(p.last_termination_reason.as_deref()),
            ago(p.started_at.as_deref(), now),
            or_dash(p.node.as_deref()),
        ]
    });
    let mut out = indented_table(
        &[
            "POD",
            "READY",
            "STATUS",
            "RESTARTS",
            "LAST EXIT",
            "STARTED",
            "NODE",
        ],
        pods,
    );
    if !d.cronjobs().is_empty() {
        let cronjobs = d.cronjobs().iter().map(|c| {
            vec![
                or_dash(c.name.as_deref()),
                or_dash(c.schedule.as_deref()),
                or_dash(c.suspended),
                ago(c.last_schedule.as_deref(), now),
                ago(c.last_successful.as_deref(), now),
                or_dash(c.active),
            ]
        });
        out.push_str(&indented_table(
            &[
                "CRONJOB",
                "SCHEDULE",
                "SUSPENDED",
                "LAST SCHEDULE",
                "LAST SUCCESS",
                "ACTIVE",
            ],
            cronjobs,
        ));
    }
    if !d.jobs().is_empty() {
        let jobs = d.jobs().iter().map(|j| {
            vec![
                or_dash(j.name.as_deref()),
                or_dash(j.succeeded),
                or_dash(j.failed),
                or_dash(j.active),
                ago(j.started_at.as_deref(), now),
                or_dash(j.failed_reason.as_deref()),
            ]
        });
        out.push_str(&indented_table(
            &["JOB", "SUCCEEDED", "FAILED", "ACTIVE", "STARTED", "REASON"],
            jobs,
        ));
    }
    if !d.events().is_empty() {
        out.push_str("  WARNING EVENTS\n");
        for e in d.events() {
            out.push_str(&format!(
                "  {} {} x{} {}: {}\n",
                ago(e.last_seen.as_deref(), now),
                or_dash(e.object.as_deref()),
                or_dash(e.count),
                or_dash(e.reason.as_deref()),
                or_dash(e.message.as_deref())
            ));
        }
    }
    for e in &d.errors {
        out.push_str(&format!("  partial: {e}\n"));
    }
    out
}

/// The server, its round trip, and each freshness check's newest row and data age.
fn database_text(d: &DatabaseData) -> String {
    let mut out = format!(
        "  {} {}, round trip {} ms\n",
        or_dash(d.engine.as_deref()),
        or_dash(d.version.as_deref()),
        millis(d.latency_ms)
    );
    for c in &d.freshness {
        let name = or_dash(c.name.as_deref());
        match &c.error {
            Some(e) => out.push_str(&format!("  {name}: {e}\n")),
            None => {
                let newest = c.newest.as_deref().and_then(from_rfc3339).map(display);
                out.push_str(&format!(
                    "  {name}: newest {}, data age {}\n",
                    or_dash(newest),
                    or_dash(c.age_seconds.map(human_duration))
                ));
            }
        }
    }
    out
}

fn redis_text(d: &RedisData) -> String {
    let clients = match d.info.connected_clients {
        Some(1) => "1 client".to_string(),
        Some(n) => format!("{n} clients"),
        None => "- clients".to_string(),
    };
    format!(
        "  redis {} ({}), round trip {} ms, {clients}, {} memory, {}\n",
        or_dash(d.info.version.as_deref()),
        or_dash(d.info.role.as_deref()),
        millis(d.latency_ms),
        or_dash(d.info.used_memory_human.as_deref()),
        d.info
            .keys
            .as_ref()
            .map_or_else(|| "keys -".to_string(), ToString::to_string)
    )
}

/// The command line and its exit code (the output follows as the item's raw text).
fn command_text(d: &CommandData) -> String {
    if d.argv.is_empty() {
        return String::new();
    }
    format!(
        "  $ {}   (exit {})\n",
        d.argv.join(" "),
        or_dash(d.exit_code)
    )
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
