//! `incident open`: record a new incident, start both SLA clocks, and list the past incidents
//! most like it.

use crate::app::record;
use crate::app::similar;
use crate::app::{App, AppError};
use crate::domain::model::{Incident, Severity};
use crate::domain::sla;
use crate::domain::workflow::NewIncident;
use crate::store::{Similar, Txn};
use crate::ui::clock::clock_line;
use crate::ui::error::CommandError;
use crate::ui::output::{self, Paint};
use crate::ui::similar::past_text;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// P1 (critical), P2 (high) or P3 (medium); `auto` takes a snapshot and sets it from the
    /// health score and data age
    pub severity: String,
    /// What is wrong, in a line (`-` reads it from stdin)
    pub title: String,
    /// More detail (`-` reads stdin)
    #[arg(long, short)]
    pub description: Option<String>,
    /// When it was declared (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// When it was noticed: the page or alert (TIME); the SLA clocks count from here
    /// [default: --at]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub detected: Option<String>,
    /// When the impact began (TIME); the timeline may hold notes, field changes and action
    /// items from here on [default: --detected]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub started: Option<String>,
    /// A service it affects, like checkout-api (repeatable)
    #[arg(long, value_name = "NAME")]
    pub service: Vec<String>,
    /// Do not take a diagnostic snapshot, even if collectors are configured
    #[arg(long)]
    pub no_snapshot: bool,
    /// With `auto`: open even when the system looks healthy (as P3)
    #[arg(long)]
    pub force: bool,
    /// Print the new incident as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    if args.severity.trim().eq_ignore_ascii_case("auto") {
        return auto(app, args);
    }
    if args.force {
        return Err(
            CommandError::new("--force only goes with `incident open auto`")
                .with_hint("`incident open auto TITLE --force` opens even when health looks fine"),
        );
    }
    let severity: Severity = args.severity.parse()?;
    let services = super::args::service_names(&args.service)?;
    let title = super::args::title_arg(&args.title, args.description.as_deref())?;
    let description = args
        .description
        .as_deref()
        .map(super::args::text_arg)
        .transpose()?
        .unwrap_or_default();
    let new = NewIncident {
        severity,
        title,
        description,
        opened_at: app.time(args.at.as_deref())?,
        detected_at: app.time(args.detected.as_deref())?,
        started_at: app.time(args.started.as_deref())?,
        services,
    };
    let (incident, past) =
        app.write_then_read(|txn, actor| record::open(txn, actor, new), past(app))?;
    let paint = Paint::stdout();
    if !args.json {
        // Printed before the snapshot starts: the number is what a responder needs first,
        // then what fixed it last time.
        output::out(&opened_text(app, &incident, &paint))?;
        output::out(&past_text(&past, app.now, &paint))?;
    }
    let collectors = &app.settings.collectors;
    let snapshot = if !args.no_snapshot && collectors.on_open && !collectors.is_empty() {
        crate::app::snapshot::take_or_warn(app, &incident, &mut crate::ui::progress::on_stderr())
    } else {
        None
    };
    if args.json {
        let mut v = crate::report::view::incident(&incident, app.now);
        v["snapshot"] = snapshot
            .map(|(seq, s)| serde_json::json!({"seq": seq, "summary": s.summary}))
            .unwrap_or_default();
        v["similar"] = serde_json::json!(crate::report::view::similar(&past, app.now));
        return output::out_json(&v);
    }
    if let Some((seq, snap)) = snapshot {
        output::out(&format!("  snapshot {seq}: {}\n", snap.summary))?;
        output::out(&crate::ui::evidence::findings_text(&snap.findings, &paint))?;
    }
    Ok(())
}

/// `open auto`: the snapshot comes first, and the severity from its health; the incident, its
/// snapshot and the verdict are written in one transaction.
fn auto(app: &App, args: Args) -> Result<(), CommandError> {
    if args.no_snapshot {
        return Err(CommandError::new(
            "`open auto` takes its severity from a snapshot, so --no-snapshot cannot go with it",
        )
        .with_hint("name the severity instead: `incident open P2 TITLE --no-snapshot`"));
    }
    crate::app::snapshot::require_collectors(app)?;
    let services = super::args::service_names(&args.service)?;
    let title = super::args::title_arg(&args.title, args.description.as_deref())?;
    let description = args
        .description
        .as_deref()
        .map(super::args::text_arg)
        .transpose()?
        .unwrap_or_default();
    let opened_at = app.time(args.at.as_deref())?;
    let detected_at = app.time(args.detected.as_deref())?;
    let started_at = app.time(args.started.as_deref())?;
    let snap = crate::app::snapshot::collect(app, None, &mut crate::ui::progress::on_stderr())?;
    let settings = &app.settings;
    let health = crate::evidence::health::assess(
        &snap.items,
        &settings.collectors,
        &settings.health,
        app.now,
    );
    let verdict = health.verdict(&settings.health, &settings.collectors.data_age);
    let severity = match (health.severity, args.force) {
        (Some(s), _) => s,
        (None, true) => Severity::P3,
        (None, false) => {
            return Err(CommandError::new(format!(
                "nothing to open: the checks find the system {verdict}"
            ))
            .with_hint(format!(
                "`incident check` shows the breakdown; add --force to open it anyway (as P3), or name a severity: `incident open P3 {:?}`",
                title
            )));
        }
    };
    let new = NewIncident {
        severity,
        title,
        description,
        opened_at,
        detected_at,
        started_at,
        services,
    };
    let ((incident, past), seq) = app.write_then_read(
        |txn, actor| {
            let incident = record::open(txn, actor, new)?;
            let mut change = record::begin(
                txn,
                actor,
                "the snapshot",
                incident.number,
                Some(snap.taken_at.max(incident.opened_at)),
            )?;
            let seq = txn.insert_snapshot(Some(incident.pk), &snap)?;
            change.snapshot(seq, &snap.summary);
            change.health("score", None, health.score, verdict.clone());
            Ok((record::save(txn, actor, change)?, seq))
        },
        |txn, (incident, seq)| Ok((past(app)(txn, incident)?, seq)),
    )?;
    if args.json {
        let mut v = crate::report::view::incident(&incident, app.now);
        v["snapshot"] = serde_json::json!({"seq": seq, "summary": snap.summary});
        v["similar"] = serde_json::json!(crate::report::view::similar(&past, app.now));
        v["health"] = serde_json::json!(health);
        v["health"]["verdict"] = verdict.into();
        return output::out_json(&v);
    }
    let paint = Paint::stdout();
    output::out(&format!(
        "{}  snapshot {seq}: {}\n",
        opened_text(app, &incident, &paint),
        snap.summary
    ))?;
    output::out(&crate::ui::health::breakdown(&health, &verdict, &paint))?;
    output::out(&past_text(&past, app.now, &paint))
}

/// The incident just opened as stored now (with a team log, the team may have numbered it),
/// and the past incidents like it (`[open] similar` of them), read in the transaction
/// `App::write_then_read` begins after the write.
fn past(app: &App) -> impl Fn(&Txn, Incident) -> Result<(Incident, Vec<Similar>), AppError> {
    |txn, incident| {
        let incident = if app.settings.team.is_some() {
            txn.incident_at(incident.pk)?
        } else {
            incident
        };
        let past = similar::past(txn, &incident, app.settings.similar)?;
        Ok((incident, past))
    }
}

/// "incident 12: P1 title" and both deadlines: what a responder needs first; and, when it was
/// noticed before it was declared, that the clocks count from then.
fn opened_text(app: &App, incident: &Incident, paint: &Paint) -> String {
    let c = sla::clocks(incident, app.now);
    let from = if incident.detected_at < incident.opened_at {
        format!(
            "  (the clocks count from the detection at {})\n",
            crate::domain::time::display(incident.detected_at)
        )
    } else {
        String::new()
    };
    let calendar = incident
        .due
        .rules
        .resolve
        .as_ref()
        .and_then(|r| r.calendar.as_ref());
    let from = match calendar {
        Some(cal) => format!(
            "{from}  (on calendar {}: only its open hours count)\n",
            cal.describe()
        ),
        None => from,
    };
    format!(
        "{} {}: {} {}\n  respond {}\n  fix     {}\n{from}",
        paint.bold("incident"),
        paint.bold(&incident.number.to_string()),
        incident.severity,
        incident.title,
        clock_line(&c.respond, paint),
        clock_line(&c.resolve, paint),
    )
}
