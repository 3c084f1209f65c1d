//! The Markdown export, for people: each incident's fields, timeline, snapshots, action items,
//! logs and commands. The content of logs is not included; `incident logs` prints it.

use super::export::{Counts, Failure};
use super::record::{
    ActionRecord, AttachmentRecord, CommandRunRecord, IncidentRecord, SnapshotRecord,
};
use crate::domain::event::Event;
use crate::domain::postmortem::{LessonKind, Link, Record};
use crate::domain::time::{self, Timestamp};
use crate::report::markdown::{cell, code, escape};
use crate::store::Txn;
use std::io::{Result, Write};

pub fn write(
    txn: &Txn,
    pks: &[i64],
    now: Timestamp,
    out: &mut dyn Write,
) -> std::result::Result<Counts, Failure> {
    let mut counts = Counts::default();
    writeln!(out, "# Incident export\n")?;
    writeln!(
        out,
        "{} incident{}, exported {}.",
        pks.len(),
        if pks.len() == 1 { "" } else { "s" },
        time::display(now)
    )?;
    for pk in pks {
        let r = IncidentRecord::read(txn, *pk)?;
        let timeline = txn.timeline(*pk)?;
        counts.add(&r);
        incident(&r, &timeline, out)?;
    }
    Ok(counts)
}

/// A stored time as people read it.
fn when(t: &str) -> String {
    time::from_rfc3339(t)
        .map(time::display)
        .unwrap_or_else(|| t.to_string())
}

fn opt(t: &Option<String>) -> String {
    t.as_deref().map(when).unwrap_or_else(|| "-".into())
}

fn incident(r: &IncidentRecord, timeline: &[Event], out: &mut dyn Write) -> Result<()> {
    writeln!(
        out,
        "\n## Incident #{}: {}\n",
        r.number,
        escape(&one_line(&r.title))
    )?;
    writeln!(out, "| | |\n|---|---|")?;
    for (label, value) in [
        ("Id", r.uuid.clone()),
        ("Severity", r.severity.clone()),
        ("Status", r.status.clone()),
        (
            "Impact start",
            when(r.started_at.as_deref().unwrap_or(&r.detected_at)),
        ),
        ("Detected", when(&r.detected_at)),
        (
            "Declared",
            format!("{} by {}", when(&r.opened_at), r.created_by),
        ),
        ("Acknowledged", opt(&r.acknowledged_at)),
        ("Resolved", opt(&r.resolved_at)),
        ("Closed", opt(&r.closed_at)),
        ("Roles", roles(r)),
        (
            "Services",
            r.services
                .as_ref()
                .filter(|s| !s.is_empty())
                .map_or_else(|| "-".to_string(), |s| s.join(", ")),
        ),
    ] {
        writeln!(out, "| {label} | {} |", cell(&value))?;
    }
    if let Some(e) = crate::domain::projection::cancelled_by(&r.status, timeline) {
        let why = format!("{} by {}: {}", time::display(e.at), e.author, e.text);
        writeln!(out, "| Cancelled | {} |", cell(&why))?;
    }
    for (label, text) in [
        ("Description", &r.description),
        ("Impact", &r.impact),
        ("Root cause", &r.root_cause),
        ("Trigger", &r.trigger),
        ("Resolution", &r.resolution),
        ("Detection", &r.detection),
        ("Prevention", &r.prevention),
        ("Lessons learned", &r.lessons_learned),
    ] {
        if !text.is_empty() {
            writeln!(out, "\n### {label}\n\n{}", escape(text))?;
        }
    }
    let pm = Record::of(timeline);
    postmortem(&pm, out)?;
    write_timeline(timeline, out)?;
    snapshots(&r.snapshots, out)?;
    actions(&r.actions, &pm, out)?;
    logs(&r.attachments, out)?;
    commands(&r.command_runs, out)
}

/// `commander alice, scribe bo`, or `-` (a file from before roles: its timeline says).
fn roles(r: &IncidentRecord) -> String {
    r.roles
        .as_ref()
        .map(crate::domain::roles::roles_line)
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "-".to_string())
}

fn write_timeline(timeline: &[Event], out: &mut dyn Write) -> Result<()> {
    writeln!(out, "\n### Timeline\n")?;
    let summaries = crate::domain::projection::summaries(timeline);
    for (e, summary) in timeline.iter().zip(summaries) {
        let mut lines = summary.lines();
        writeln!(
            out,
            "- {} {} ({}): {}",
            time::display(e.at),
            e.kind.as_str(),
            escape(&e.author),
            escape(lines.next().unwrap_or_default())
        )?;
        for more in lines {
            writeln!(out, "  {}", escape(more))?;
        }
    }
    Ok(())
}

fn snapshots(snapshots: &[SnapshotRecord], out: &mut dyn Write) -> Result<()> {
    if snapshots.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n### Snapshots\n")?;
    for s in snapshots {
        let failed = s.items.iter().filter(|i| i.status != "ok").count();
        writeln!(
            out,
            "- #{} {}: {} ({} item{}{})",
            s.seq,
            when(&s.taken_at),
            escape(&one_line(&s.summary)),
            s.items.len(),
            if s.items.len() == 1 { "" } else { "s" },
            if failed > 0 {
                format!(", {failed} not ok")
            } else {
                String::new()
            }
        )?;
    }
    Ok(())
}

/// The post-mortem's authors and status, its three lessons lists and its supporting links:
/// what the timeline says of them (nothing when it says nothing).
fn postmortem(pm: &Record, out: &mut dyn Write) -> Result<()> {
    if !pm.authors.is_empty() || pm.status.is_some() {
        let status = pm.status.map_or("not started".into(), |s| s.to_string());
        writeln!(out, "\n### Post-mortem\n\n- Status: {status}")?;
        if !pm.authors.is_empty() {
            writeln!(out, "- Authors: {}", escape(&pm.authors.join(", ")))?;
        }
    }
    for kind in LessonKind::ALL {
        let mut lessons = pm.lessons_of(kind).peekable();
        if lessons.peek().is_some() {
            writeln!(out, "\n### {}\n", kind.heading())?;
        }
        for l in lessons {
            writeln!(out, "- {}", escape(&one_line(&l.text)))?;
        }
    }
    let mut links = pm.supporting().peekable();
    if links.peek().is_some() {
        writeln!(out, "\n### Supporting information\n")?;
    }
    for l in links {
        writeln!(out, "- {}", link(l))?;
    }
    Ok(())
}

fn link(l: &Link) -> String {
    match l.title.as_str() {
        // `check_link` keeps `<`, `>` and whitespace out of a URL: the autolink holds.
        "" => format!("<{}>", l.url),
        title => format!("{}: <{}>", escape(&one_line(title)), l.url),
    }
}

fn actions(actions: &[ActionRecord], pm: &Record, out: &mut dyn Write) -> Result<()> {
    if actions.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n### Action items\n")?;
    for a in actions {
        let mut detail = vec![a.kind.clone()];
        if let Some(owner) = &a.owner {
            detail.push(format!("owner {}", escape(owner)));
        }
        if let Some(due) = &a.due_at {
            detail.push(format!("due {}", when(due)));
        }
        if let Some(done) = &a.done_at {
            detail.push(format!("done {}", when(done)));
        }
        for bug in pm.bugs_of(&a.id.to_string()) {
            detail.push(format!("bug {}", link(bug)));
        }
        writeln!(
            out,
            "- [{}] {} {} ({})",
            if a.done_at.is_some() { "x" } else { " " },
            a.id,
            escape(&one_line(&a.text)),
            detail.join(", ")
        )?;
    }
    Ok(())
}

fn logs(attachments: &[AttachmentRecord], out: &mut dyn Write) -> Result<()> {
    if attachments.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n### Logs\n")?;
    for a in attachments {
        writeln!(
            out,
            "- {} {} attached {} by {}, sha256 {}",
            a.seq,
            code(&a.name),
            when(&a.added_at),
            escape(&a.added_by),
            a.sha256
        )?;
    }
    Ok(())
}

fn commands(runs: &[CommandRunRecord], out: &mut dyn Write) -> Result<()> {
    if runs.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n### Commands\n")?;
    for c in runs {
        let ended = match (c.exit_code, c.signal) {
            (_, Some(signal)) => format!("signal {signal}"),
            (Some(code), None) => format!("exit {code}"),
            (None, None) => "exit ?".into(),
        };
        writeln!(
            out,
            "- {} {} {} by {}: {ended}, {}, {} bytes of output",
            c.seq,
            code(&c.command),
            when(&c.started_at),
            escape(&c.run_by),
            time::human_millis(c.duration_ms.max(0) as u64),
            c.output_bytes
        )?;
    }
    Ok(())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
