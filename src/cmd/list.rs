//! `incident list`: a compact table of incidents, newest first.

use crate::app::App;
use crate::domain::model::{Incident, Severity, Status};
use crate::domain::sla::{self, Clocks};
use crate::domain::time::{Timestamp, display, human_duration};
use crate::store::ListFilter;
use crate::ui::error::CommandError;
use crate::ui::output::{self, Paint};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this status (repeatable): OPEN, INVESTIGATING, RESOLVED, CLOSED, CANCELLED
    #[arg(long, value_name = "S")]
    pub status: Vec<String>,
    /// Cancelled incidents too (left out otherwise, unless --status CANCELLED)
    #[arg(long)]
    pub all: bool,
    /// Only this severity (repeatable): P1, P2, P3
    #[arg(long, value_name = "P")]
    pub severity: Vec<String>,
    /// Only incidents opened at or after TIME
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Only incidents affecting this service (repeatable: any of them)
    #[arg(long, value_name = "NAME")]
    pub service: Vec<String>,
    /// Only incidents whose response or fix target is breached
    #[arg(long)]
    pub breached: bool,
    /// At most N incidents; 0 for all
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: u64,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    // What teammates recorded first (within the team timeout; never fails the command).
    app.refresh();
    let filter = ListFilter {
        statuses: args
            .status
            .iter()
            .map(|s| s.parse())
            .collect::<Result<Vec<Status>, _>>()?,
        severities: args
            .severity
            .iter()
            .map(|s| s.parse())
            .collect::<Result<Vec<Severity>, _>>()?,
        since: app.time(args.since.as_deref())?,
        breached: args.breached.then_some(app.now),
        limit: (args.limit > 0).then_some(args.limit),
        services: super::args::service_names(&args.service)?,
        include_cancelled: args.all,
    };
    let (incidents, more, any) = app.read(|txn| {
        let (incidents, more) = txn.list(&filter)?;
        // Whether the log holds anything at all: a mistyped --db is an empty new file.
        let any = !incidents.is_empty()
            || !txn
                .list(&ListFilter {
                    limit: Some(1),
                    ..ListFilter::default()
                })?
                .0
                .is_empty();
        Ok((incidents, more, any))
    })?;
    if args.json {
        let items: Vec<_> = incidents
            .iter()
            .map(|i| crate::report::view::incident(i, app.now))
            .collect();
        output::out_json(&serde_json::Value::Array(items))?;
    } else if !any {
        // Reads create no database: a mistyped --db is a file that does not exist.
        let db = &app.settings.db;
        let what = if db.exists() {
            "no incidents in"
        } else {
            "no database at"
        };
        output::status(&format!(
            "{what} {} yet (`incident config show` says which database is in use)",
            db.display()
        ));
    } else if incidents.is_empty() {
        output::status("no incidents match");
    } else {
        output::out(&table(&incidents, app.now, &Paint::stdout()))?;
    }
    if more {
        output::status(&format!(
            "showing the newest {}; --limit 0 shows all",
            incidents.len()
        ));
    }
    Ok(())
}

fn table(incidents: &[Incident], now: Timestamp, paint: &Paint) -> String {
    // The affected services get a column once any listed incident names one.
    let services = incidents.iter().any(|i| !i.services.is_empty());
    let mut head = vec!["#", "SEV", "STATUS", "OPENED", "SLA"];
    if services {
        head.push("SERVICES");
    }
    head.push("TITLE");
    let mut rows = vec![head.into_iter().map(String::from).collect::<Vec<_>>()];
    let mut alarming = vec![false];
    for i in incidents {
        let c = sla::clocks(i, now);
        alarming.push(c.late());
        let mut row = vec![
            i.number.to_string(),
            i.severity.to_string(),
            i.status.to_string(),
            display(i.opened_at),
            sla_cell(i.status, &c),
        ];
        if services {
            row.push(match i.services.as_slice() {
                [] => "-".to_string(),
                names => names.join(","),
            });
        }
        row.push(i.title.clone());
        rows.push(row);
    }
    output::table(&rows, |r, c, cell| match (r, c) {
        (0, _) => paint.bold(cell),
        (_, 4) if alarming[r] => paint.red(cell),
        _ => cell.to_string(),
    })
}

/// The clock that matters now: the response while nobody has acknowledged, then the fix;
/// once resolved, whether the targets were met.
fn sla_cell(status: Status, c: &Clocks) -> String {
    let running = |name: &str, clock: &sla::Clock| {
        if clock.breached() {
            format!("{name} overdue {}", human_duration(clock.margin))
        } else if clock.state == sla::ClockState::Paused {
            format!("{name} paused ({} left)", human_duration(clock.margin))
        } else {
            format!("{name} in {}", human_duration(clock.margin))
        }
    };
    match status {
        Status::Open => running("respond", &c.respond),
        Status::Investigating => running("fix", &c.resolve),
        Status::Resolved
            if c.postmortem
                .is_some_and(|p| p.state == sla::ClockState::Overdue) =>
        {
            let late = c.postmortem.map_or(0, |p| p.margin);
            format!("post-mortem overdue {}", human_duration(late))
        }
        Status::Resolved | Status::Closed => match (c.respond.breached(), c.resolve.breached()) {
            (false, false) => "met".into(),
            (true, false) => "respond breached".into(),
            (false, true) => "fix breached".into(),
            (true, true) => "both breached".into(),
        },
        Status::Cancelled => "cancelled".into(),
    }
}
