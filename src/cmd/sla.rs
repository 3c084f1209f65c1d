//! `incident sla`: every unresolved incident with its deadlines, breached first; its
//! subcommands pause and resume an incident's clocks and explain how they were computed (one
//! file each under `sla/`).

mod explain;
mod pause;
mod resume;

use crate::app::App;
use crate::domain::sla;
use crate::domain::time::display;
use crate::ui::clock::clock_state;
use crate::ui::error::CommandError;
use crate::ui::output::{self, Paint};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Evaluate the clocks at this moment (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Pause an OPEN or INVESTIGATING incident's respond and fix clocks (waiting on a vendor,
    /// on the customer): the paused time does not count; a clock already breached stays so
    Pause(pause::Args),
    /// Resume the clocks `sla pause` paused
    Resume(resume::Args),
    /// How each clock of an incident got its deadline and verdict, from its timeline
    Explain(explain::Args),
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    match args.command {
        Some(Command::Pause(a)) => return pause::run(app, a),
        Some(Command::Resume(a)) => return resume::run(app, a),
        Some(Command::Explain(a)) => return explain::run(app, a),
        None => {}
    }
    // What teammates recorded first (within the team timeout; never fails the command).
    app.refresh();
    let at = app.time(args.at.as_deref())?.unwrap_or(app.now);
    let incidents = app.read(|txn| Ok(txn.unresolved_at(at)?))?;
    let mut rows: Vec<_> = incidents.iter().map(|i| (i, sla::clocks(i, at))).collect();
    // Breached first; then whatever runs out soonest.
    rows.sort_by_key(|(i, c)| {
        let next = if c.respond.stopped_at.is_none() {
            c.respond.deadline.min(c.resolve.deadline)
        } else {
            c.resolve.deadline
        };
        (!c.breached(), next, i.number)
    });
    if args.json {
        let items: Vec<_> = rows
            .iter()
            .map(|(i, _)| crate::report::view::incident(i, at))
            .collect();
        return output::out_json(&serde_json::Value::Array(items));
    }
    if rows.is_empty() {
        output::status(&format!("no unresolved incidents at {}", display(at)));
        return Ok(());
    }
    let paint = Paint::stdout();
    let mut table = vec![
        [
            "#",
            "SEV",
            "STATUS",
            "RESPOND BY",
            "RESPONSE",
            "FIX BY",
            "FIX",
            "TITLE",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (i, c) in &rows {
        table.push(vec![
            i.number.to_string(),
            i.severity.to_string(),
            i.status.to_string(),
            display(c.respond.deadline),
            clock_state(&c.respond, &Paint::plain()),
            display(c.resolve.deadline),
            clock_state(&c.resolve, &Paint::plain()),
            i.title.clone(),
        ]);
    }
    let breached: Vec<bool> = std::iter::once(false)
        .chain(rows.iter().map(|(_, c)| c.breached()))
        .collect();
    output::out(&output::table(&table, |r, col, cell| match (r, col) {
        (0, _) => paint.bold(cell),
        (_, 4 | 6) if cell.contains("OVERDUE") || cell.contains("BREACHED") => paint.red(cell),
        (_, 4 | 6) if cell.contains("PAUSED") => paint.yellow(cell),
        (_, 0) if breached[r] => paint.red(cell),
        _ => cell.to_string(),
    }))
}
