//! `incident export`: incidents with everything recorded about them, as JSON for `incident
//! import` on another machine, or as Markdown to read. Streamed a chunk of log at a time.

use super::args::incident_number;
use crate::app::App;
use crate::app::record;
use crate::domain::model::Event;
use crate::domain::time;
use crate::store::transfer::{self, BlobRecord, IncidentRecord};
use crate::store::{Mode, StoreError, Txn};
use crate::ui::error::CommandError;
use crate::ui::output;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident numbers
    #[arg(value_parser = incident_number, required_unless_present = "all", conflicts_with = "all")]
    pub numbers: Vec<i64>,
    /// Every incident
    #[arg(long)]
    pub all: bool,
    /// json (everything, for `incident import`) or md (to read)
    #[arg(long, value_name = "FORMAT", default_value = "json")]
    pub format: String,
    /// Write to FILE (all of it or, on error, nothing) instead of stdout; `-` is stdout
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Markdown,
}

/// What went out, for the status line.
#[derive(Debug, Default)]
struct Counts {
    incidents: u64,
    events: u64,
    snapshots: u64,
    actions: u64,
    logs: u64,
    commands: u64,
    /// Uncompressed bytes of the logs and output carried.
    content: u64,
}

/// Why an export stopped: the store, or the output.
enum Failure {
    Store(StoreError),
    Write(std::io::Error),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Write(e)
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        Failure::Write(e.into())
    }
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let format = match args.format.as_str() {
        "json" => Format::Json,
        "md" | "markdown" => Format::Markdown,
        other => {
            return Err(
                CommandError::new(format!("unknown format '{other}': use json or md"))
                    .with_hint("json is what `incident import` reads; md is for people"),
            );
        }
    };
    let mut store = app.store(Mode::Read)?;
    let txn = store.read()?;
    let pks = if args.all {
        txn.all_incident_pks()?
    } else {
        let mut pks = Vec::new();
        for n in &args.numbers {
            let pk = record::load(&txn, *n)?.pk;
            if !pks.contains(&pk) {
                pks.push(pk);
            }
        }
        pks
    };
    let target = match args.out.as_deref() {
        None | Some("-") => None,
        Some(path) => Some(PathBuf::from(path)),
    };
    let (counts, bytes) = match &target {
        None => {
            let stdout = std::io::stdout();
            let mut out =
                Counting::new(std::io::BufWriter::with_capacity(64 * 1024, stdout.lock()));
            match write(&txn, &pks, format, app.now, &mut out).and_then(|c| {
                out.flush()?;
                Ok(c)
            }) {
                Ok(counts) => (counts, out.bytes),
                // A closed pipe (`incident export --all | head`) is the reader's choice.
                Err(Failure::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    return Ok(());
                }
                Err(Failure::Write(e)) => {
                    return Err(CommandError::new(format!("cannot write to stdout: {e}")));
                }
                Err(Failure::Store(e)) => return Err(e.into()),
            }
        }
        Some(path) => write_file(path, |out| write(&txn, &pks, format, app.now, out))?,
    };
    let to = target
        .as_ref()
        .map(|p| format!(" to {}", p.display()))
        .unwrap_or_default();
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    // The Markdown lists logs and command runs without their content.
    let content = match format {
        Format::Json => format!(
            "; {} of log and output content",
            plural(counts.content, "byte", "bytes")
        ),
        Format::Markdown => String::new(),
    };
    output::status(&format!(
        "exported {} ({}, {}, {}, {}, {}{content}){to}: {bytes} bytes",
        plural(counts.incidents, "incident", "incidents"),
        plural(counts.events, "event", "events"),
        plural(counts.snapshots, "snapshot", "snapshots"),
        plural(counts.actions, "action item", "action items"),
        plural(counts.logs, "log", "logs"),
        plural(counts.commands, "command run", "command runs"),
    ));
    Ok(())
}

/// Writes beside the target (readable by its owner only: it holds what the database holds)
/// and renames over it, so the file is whole or absent.
fn write_file(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<Counts, Failure>,
) -> Result<(Counts, u64), CommandError> {
    use std::os::unix::fs::OpenOptionsExt;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    let fail = |action: &str, e: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        CommandError::new(format!("cannot {action} {}: {e}", path.display()))
            .with_hint("check the directory exists and is writable; nothing was written")
    };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| fail("write", e))?;
    let mut out = Counting::new(std::io::BufWriter::with_capacity(256 * 1024, file));
    let counts = match fill(&mut out) {
        Ok(counts) => counts,
        Err(Failure::Write(e)) => return Err(fail("write", e)),
        Err(Failure::Store(e)) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
    };
    let bytes = out.bytes;
    let file = out
        .inner
        .into_inner()
        .map_err(|e| fail("write", e.into_error()))?;
    file.sync_all().map_err(|e| fail("write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| fail("replace", e))?;
    Ok((counts, bytes))
}

/// A writer that counts what passes through it.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W> Counting<W> {
    fn new(inner: W) -> Self {
        Counting { inner, bytes: 0 }
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn write(
    txn: &Txn,
    pks: &[i64],
    format: Format,
    now: time::Timestamp,
    out: &mut dyn Write,
) -> Result<Counts, Failure> {
    match format {
        Format::Json => write_json(txn, pks, now, out),
        Format::Markdown => write_markdown(txn, pks, now, out),
    }
}

/// One JSON document: a header, the content once per hash (first, so that import has it
/// before the incidents that refer to it), then the incidents, a line each.
fn write_json(
    txn: &Txn,
    pks: &[i64],
    now: time::Timestamp,
    out: &mut dyn Write,
) -> Result<Counts, Failure> {
    let mut counts = Counts::default();
    let blobs = txn.blobs_of(pks)?;
    write!(
        out,
        "{{\"format\":\"{}\",\"version\":{},\"exported_at\":\"{}\",\"generator\":{},\"incident_count\":{},\"blob_count\":{},\"max_action_id\":{},\n\"blobs\":[",
        transfer::FORMAT,
        transfer::VERSION,
        time::to_rfc3339(now),
        serde_json::to_string(&format!("incident {}", env!("CARGO_PKG_VERSION")))?,
        pks.len(),
        blobs.len(),
        txn.max_action_id(pks)?
    )?;
    for (i, blob) in blobs.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        write_blob(txn, blob, out)?;
        counts.content += blob.size as u64;
    }
    out.write_all(b"\n],\n\"incidents\":[")?;
    for (i, pk) in pks.iter().enumerate() {
        let record = txn.incident_record(*pk)?;
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *out, &record)?;
        count(&mut counts, &record);
    }
    out.write_all(b"\n]}\n")?;
    Ok(counts)
}

/// A blob's sizes and hash, then its chunks a line each, read and written one at a time.
fn write_blob(txn: &Txn, blob: &BlobRecord, out: &mut dyn Write) -> Result<(), Failure> {
    let header = serde_json::to_string(blob)?;
    // The header's closing brace gives way to the chunks.
    out.write_all(&header.as_bytes()[..header.len() - 1])?;
    out.write_all(b",\"chunks\":[")?;
    let mut first = true;
    txn.stored_chunks(blob.id, |chunk| -> Result<(), Failure> {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        serde_json::to_writer(&mut *out, chunk)?;
        Ok(())
    })?;
    out.write_all(b"\n]}")?;
    Ok(())
}

fn count(counts: &mut Counts, r: &IncidentRecord) {
    counts.incidents += 1;
    counts.events += r.events.len() as u64;
    counts.snapshots += r.snapshots.len() as u64;
    counts.actions += r.actions.len() as u64;
    counts.logs += r.attachments.len() as u64;
    counts.commands += r.command_runs.len() as u64;
}

/// For people: each incident's fields, timeline, snapshots, action items, logs and commands.
/// The content of logs is not included; `incident logs` prints it.
fn write_markdown(
    txn: &Txn,
    pks: &[i64],
    now: time::Timestamp,
    out: &mut dyn Write,
) -> Result<Counts, Failure> {
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
        let r = txn.incident_record(*pk)?;
        let timeline = txn.timeline(*pk)?;
        count(&mut counts, &r);
        markdown_incident(&r, &timeline, out)?;
    }
    Ok(counts)
}

fn markdown_incident(
    r: &IncidentRecord,
    timeline: &[Event],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let when = |t: &str| {
        time::from_rfc3339(t)
            .map(time::display)
            .unwrap_or_else(|| t.to_string())
    };
    let opt = |t: &Option<String>| t.as_deref().map(when).unwrap_or_else(|| "-".into());
    writeln!(out, "\n## Incident #{}: {}\n", r.number, one_line(&r.title))?;
    writeln!(out, "| | |\n|---|---|")?;
    for (label, value) in [
        ("Id", r.uuid.clone()),
        ("Severity", r.severity.clone()),
        ("Status", r.status.clone()),
        ("Detected", when(&r.detected_at)),
        (
            "Opened",
            format!("{} by {}", when(&r.opened_at), r.created_by),
        ),
        ("Acknowledged", opt(&r.acknowledged_at)),
        ("Resolved", opt(&r.resolved_at)),
        ("Closed", opt(&r.closed_at)),
    ] {
        writeln!(out, "| {label} | {} |", cell(&value))?;
    }
    for (label, text) in [
        ("Description", &r.description),
        ("Root cause", &r.root_cause),
        ("Resolution", &r.resolution),
        ("Prevention", &r.prevention),
        ("Lessons learned", &r.lessons_learned),
    ] {
        if !text.is_empty() {
            writeln!(out, "\n### {label}\n\n{text}")?;
        }
    }
    writeln!(out, "\n### Timeline\n")?;
    for e in timeline {
        let summary = e.summary();
        let mut lines = summary.lines();
        writeln!(
            out,
            "- {} {} ({}): {}",
            time::display(e.at),
            e.kind.as_str(),
            e.author,
            lines.next().unwrap_or_default()
        )?;
        for more in lines {
            writeln!(out, "  {more}")?;
        }
    }
    if !r.snapshots.is_empty() {
        writeln!(out, "\n### Snapshots\n")?;
        for s in &r.snapshots {
            let failed = s.items.iter().filter(|i| i.status != "ok").count();
            writeln!(
                out,
                "- #{} {}: {} ({} item{}{})",
                s.seq,
                when(&s.taken_at),
                one_line(&s.summary),
                s.items.len(),
                if s.items.len() == 1 { "" } else { "s" },
                if failed > 0 {
                    format!(", {failed} not ok")
                } else {
                    String::new()
                }
            )?;
        }
    }
    if !r.actions.is_empty() {
        writeln!(out, "\n### Action items\n")?;
        for a in &r.actions {
            let mut detail = vec![a.kind.clone()];
            if let Some(owner) = &a.owner {
                detail.push(format!("owner {owner}"));
            }
            if let Some(due) = &a.due_at {
                detail.push(format!("due {}", when(due)));
            }
            if let Some(done) = &a.done_at {
                detail.push(format!("done {}", when(done)));
            }
            writeln!(
                out,
                "- [{}] {} {} ({})",
                if a.done_at.is_some() { "x" } else { " " },
                a.id,
                one_line(&a.text),
                detail.join(", ")
            )?;
        }
    }
    if !r.attachments.is_empty() {
        writeln!(out, "\n### Logs\n")?;
        for a in &r.attachments {
            writeln!(
                out,
                "- {} `{}` attached {} by {}, sha256 {}",
                a.seq,
                one_line(&a.name),
                when(&a.added_at),
                a.added_by,
                a.sha256
            )?;
        }
    }
    if !r.command_runs.is_empty() {
        writeln!(out, "\n### Commands\n")?;
        for c in &r.command_runs {
            let ended = match (c.exit_code, c.signal) {
                (_, Some(signal)) => format!("signal {signal}"),
                (Some(code), None) => format!("exit {code}"),
                (None, None) => "exit ?".into(),
            };
            writeln!(
                out,
                "- {} `{}` {} by {}: {ended}, {}, {} bytes of output",
                c.seq,
                one_line(&c.command),
                when(&c.started_at),
                c.run_by,
                time::human_millis(c.duration_ms.max(0) as u64),
                c.output_bytes
            )?;
        }
    }
    Ok(())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A value inside a Markdown table row.
fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}
