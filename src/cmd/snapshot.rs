//! `incident snapshot`: collect evidence into an incident, list its snapshots, or diff two.

use super::args::{IncidentRef, incident_ref};
use crate::app::record;
use crate::app::{App, snapshot};
use crate::domain::model::Number;
use crate::ui::error::CommandError;
use crate::ui::evidence::{diff_text, snapshot_text};
use crate::ui::output::{self, Paint};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    pub diff: Option<Sub>,
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref, required = true)]
    pub number: Option<IncidentRef>,
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
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
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
    // Required unless `diff` is given, which returned above.
    let number = match &args.number {
        Some(r) => app.number(r)?,
        None => crate::domain::model::Number(0),
    };
    if args.list {
        return list(app, number, args.json);
    }
    let incident = app.read(|txn| record::load(txn, number))?;
    snapshot::require_collectors(app)?;
    let (seq, snap) = snapshot::take(app, &incident, &mut crate::ui::progress::on_stderr())?;
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

fn list(app: &App, number: Number, json: bool) -> Result<(), CommandError> {
    let snaps = app.read(|txn| {
        let incident = record::load(txn, number)?;
        Ok(txn.snapshots(incident.pk)?)
    })?;
    if json {
        let items: Vec<_> = snaps
            .iter()
            .map(|s| {
                serde_json::json!({
                    "seq": s.seq,
                    "taken_at": crate::domain::time::to_rfc3339(s.snapshot.taken_at),
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
                crate::domain::time::display(s.snapshot.taken_at),
                s.snapshot.summary
            )
        })
        .collect();
    output::out(&text)
}

fn diff(app: &App, args: DiffArgs) -> Result<(), CommandError> {
    let number = app.number(&args.number)?;
    let from = snapshot::load(app, number, Some(args.from.unwrap_or(1)))?;
    let to = snapshot::load(app, number, args.to)?;
    let changes = crate::evidence::diff::diff(&from.snapshot.items, &to.snapshot.items);
    if args.json {
        return output::out_json(&serde_json::json!({
            "incident": number,
            "from": from.seq,
            "to": to.seq,
            "changes": changes,
        }));
    }
    let title = format!(
        "incident {}: snapshot {} ({}) → snapshot {} ({})",
        number,
        from.seq,
        crate::domain::time::display(from.snapshot.taken_at),
        to.seq,
        crate::domain::time::display(to.snapshot.taken_at)
    );
    output::out(&diff_text(&title, &changes, &Paint::stdout()))
}
