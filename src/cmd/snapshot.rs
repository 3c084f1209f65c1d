//! `incident snapshot`: collect evidence into an incident, list its snapshots, or diff two.

use super::App;
use super::evidence::{diff_text, snapshot_text};
use crate::cli::incident_number;
use crate::error::CommandError;
use crate::model::Incident;
use crate::output::{self, Paint};
use crate::snapshot::Snapshot;
use crate::store::StoredSnapshot;
use crate::workflow::{Change, WorkflowError};
use std::io::IsTerminal;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    pub diff: Option<Sub>,
    /// The incident number
    #[arg(value_parser = incident_number, required = true)]
    pub number: Option<i64>,
    /// List the incident's snapshots instead of taking one
    #[arg(long)]
    pub list: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// What changed between two snapshots (default: the first and the latest)
    Diff(DiffArgs),
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The incident number
    #[arg(value_parser = incident_number)]
    pub number: i64,
    /// The earlier snapshot [default: 1]
    pub from: Option<i64>,
    /// The later snapshot [default: the latest]
    pub to: Option<i64>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    if let Some(Sub::Diff(d)) = args.diff {
        return diff(app, d);
    }
    let number = args.number.unwrap_or_default();
    if args.list {
        return list(app, number, args.json);
    }
    let incident = app.read(|txn| txn.incident(number)?.ok_or(WorkflowError::NotFound(number)))?;
    require_collectors(app)?;
    let (seq, snap) = take(app, &incident)?;
    if args.json {
        return output::out_json(
            &serde_json::json!({"incident": number, "seq": seq, "snapshot": snap}),
        );
    }
    output::out(&snapshot_text(
        &format!("snapshot {seq} of incident {number}"),
        &snap,
        &Paint::stdout(),
    ))
}

/// Refuses when nothing is configured to collect, saying how to configure it.
pub(super) fn require_collectors(app: &App) -> Result<(), CommandError> {
    if app.settings.collectors.is_empty() {
        return Err(CommandError::new(
            "nothing to collect: the config has no [kubernetes], [[database]], [[redis]] or [[command]]",
        )
        .with_hint("`incident config default` shows how to add them"));
    }
    Ok(())
}

/// Collects a snapshot now (no database lock is held meanwhile), derives its findings against
/// the incident's previous snapshot, and stores it with a timeline event in one transaction.
pub(super) fn take(app: &App, incident: &Incident) -> Result<(i64, Snapshot), CommandError> {
    let snap = collect(app, Some(incident))?;
    let number = incident.number;
    let summary = snap.summary.clone();
    let seq = app.write(|txn, actor| {
        let mut change = Change::begin(txn, actor, "the snapshot", number, Some(snap.taken_at))?;
        let seq = txn.insert_snapshot(Some(change.incident.pk), &snap)?;
        change.snapshot(seq, &summary);
        change.save(txn, actor)?;
        Ok(seq)
    })?;
    Ok((seq, snap))
}

/// Takes a snapshot for a command whose real work is already done (open, resolve): a failure
/// to collect or store it is reported and does not fail the command.
pub(super) fn take_or_warn(app: &App, incident: &Incident) -> Option<(i64, Snapshot)> {
    match take(app, incident) {
        Ok(taken) => Some(taken),
        Err(e) => {
            output::status(&format!(
                "warning: incident {} is recorded, but its snapshot was not: {}",
                incident.number,
                e.line()
            ));
            None
        }
    }
}

/// Collects a snapshot; with an incident, its previous snapshot tells restarts since then.
pub(super) fn collect(app: &App, incident: Option<&Incident>) -> Result<Snapshot, CommandError> {
    let collectors = &app.settings.collectors;
    let previous = match incident {
        Some(i) => app.read(|txn| Ok(txn.snapshot(i.pk, None)?))?,
        None => None,
    };
    let progress = std::io::stderr().is_terminal();
    let (items, duration_ms) =
        crate::collect::collect(collectors, &|k| std::env::var(k).ok(), app.now, progress);
    let findings = crate::findings::derive(
        &items,
        previous.as_ref().map(|p| p.snapshot.items.as_slice()),
        app.now,
        &collectors.data_age,
    );
    let summary = crate::findings::summary(&items, &findings);
    Ok(Snapshot {
        taken_at: app.now,
        duration_ms,
        items,
        findings,
        summary,
    })
}

fn list(app: &App, number: i64, json: bool) -> Result<(), CommandError> {
    let snaps = app.read(|txn| {
        let incident = txn
            .incident(number)?
            .ok_or(WorkflowError::NotFound(number))?;
        Ok(txn.snapshots(incident.pk)?)
    })?;
    if json {
        let items: Vec<_> = snaps
            .iter()
            .map(|s| {
                serde_json::json!({
                    "seq": s.seq,
                    "taken_at": crate::time::to_rfc3339(s.snapshot.taken_at),
                    "duration_ms": s.snapshot.duration_ms,
                    "summary": s.snapshot.summary,
                    "findings": s.snapshot.findings,
                })
            })
            .collect();
        return output::out_json(&serde_json::Value::Array(items));
    }
    if snaps.is_empty() {
        output::status(&format!(
            "incident {number} has no snapshots; `incident snapshot {number}` takes one"
        ));
        return Ok(());
    }
    let text: String = snaps
        .iter()
        .map(|s| {
            format!(
                "{:>3}  {}  {}\n",
                s.seq,
                crate::time::display(s.snapshot.taken_at),
                s.snapshot.summary
            )
        })
        .collect();
    output::out(&text)
}

/// Loads snapshot `seq` (None: the latest) of incident `number`, with a clear error if missing.
pub(super) fn load(
    app: &App,
    number: i64,
    seq: Option<i64>,
) -> Result<StoredSnapshot, CommandError> {
    let found = app.read(|txn| {
        let incident = txn
            .incident(number)?
            .ok_or(WorkflowError::NotFound(number))?;
        Ok(txn.snapshot(incident.pk, seq)?)
    })?;
    found.ok_or_else(|| {
        let which = seq
            .map(|s| format!("snapshot {s}"))
            .unwrap_or_else(|| "any snapshot".into());
        CommandError::new(format!("incident {number} has no {which}"))
            .with_hint(format!("`incident snapshot {number} --list` lists them"))
    })
}

fn diff(app: &App, args: DiffArgs) -> Result<(), CommandError> {
    let from = load(app, args.number, Some(args.from.unwrap_or(1)))?;
    let to = load(app, args.number, args.to)?;
    let changes = crate::diff::diff(&from.snapshot.items, &to.snapshot.items);
    if args.json {
        return output::out_json(&serde_json::json!({
            "incident": args.number,
            "from": from.seq,
            "to": to.seq,
            "changes": changes,
        }));
    }
    let title = format!(
        "incident {}: snapshot {} ({}) → snapshot {} ({})",
        args.number,
        from.seq,
        crate::time::display(from.snapshot.taken_at),
        to.seq,
        crate::time::display(to.snapshot.taken_at)
    );
    output::out(&diff_text(&title, &changes, &Paint::stdout()))
}
