//! `incident check`: the guide's "run health check" step: a snapshot of everything configured,
//! its health score with the breakdown and the severity it implies (the exit code says which),
//! and with `--open` the health monitor that opens, escalates and follows an incident itself.

use crate::app::App;
use crate::app::check::{AsMonitor, Checked};
use crate::app::monitor::Outcome;
use crate::domain::model::Severity;
use crate::domain::time;
use crate::ui::error::CommandError;
use crate::ui::evidence::snapshot_text;
use crate::ui::output::{self, Paint};
use std::time::Duration;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 healthy, 1 an error, 2 P3, 3 P2, 4 P1 (the severity the health implies; cron alerts on it).\nThe score and thresholds are set in [health] and [snapshot.data_age]; `incident config default` documents them."
)]
pub struct Args {
    /// Print JSON: the snapshot with its health (and what the monitor did)
    #[arg(long)]
    pub json: bool,
    /// Act as the health monitor: open an incident when health is P3 or worse, escalate it,
    /// and note when health has recovered
    #[arg(long)]
    pub open: bool,
    /// Title of an incident the monitor opens [default: the score and what cost most]
    #[arg(long, requires = "open")]
    pub title: Option<String>,
    /// Keep checking, every --interval, until SIGINT or SIGTERM
    #[arg(long)]
    pub watch: bool,
    /// How often --watch checks
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "5m",
        requires = "watch"
    )]
    pub interval: String,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    crate::app::snapshot::require_collectors(app)?;
    if args.watch {
        return watch(app, &args);
    }
    let severity = once(app, &args)?;
    match severity {
        None => Ok(()),
        Some(s) => Err(CommandError::exit(exit_code(s))),
    }
}

/// The exit code of a check that found this severity.
pub fn exit_code(severity: Severity) -> u8 {
    match severity {
        Severity::P3 => 2,
        Severity::P2 => 3,
        Severity::P1 => 4,
    }
}

/// One check: collect, score, act as the monitor if asked, print. Returns the severity.
fn once(app: &App, args: &Args) -> Result<Option<Severity>, CommandError> {
    let describe =
        |health: &_, verdict: &str| crate::ui::health::breakdown(health, verdict, &Paint::plain());
    let as_monitor = args.open.then(|| AsMonitor {
        title: args.title.clone(),
        describe: &describe,
    });
    let Checked {
        snap,
        health,
        verdict,
        outcome,
    } = crate::app::check::check(
        app,
        as_monitor.as_ref(),
        &mut crate::ui::progress::on_stderr(),
    )?;
    if args.json {
        let mut v = serde_json::json!(snap);
        v["health"] = serde_json::json!(health);
        v["health"]["verdict"] = verdict.into();
        if let Some(o) = &outcome {
            v["monitor"] = monitor_json(o);
        }
        output::out_json(&v)?;
    } else {
        let paint = Paint::stdout();
        let mut text = snapshot_text("health check", &snap, &paint);
        text.push('\n');
        text.push_str(&crate::ui::health::breakdown(&health, &verdict, &paint));
        output::out(&text)?;
    }
    Ok(health.severity)
}

fn monitor_json(o: &Outcome) -> serde_json::Value {
    serde_json::json!({
        "incident": o.incident.as_ref().map(|i| i.number),
        "severity": o.incident.as_ref().map(|i| i.severity.as_str()),
        "opened": o.opened,
        "snapshot": o.snapshot,
        "escalated_from": o.escalated_from.map(Severity::as_str),
        "previous_score": o.previous_score,
        "recovered": o.recovered,
        "degraded": o.degraded,
        "healthy_streak": o.healthy_streak,
        "held_by_cancelled": o.held_by_cancelled,
        "unclaimed": o.unclaimed,
        "opened_by": o.opened_by,
    })
}

/// Checks every `interval` until SIGINT or SIGTERM; each check runs on its own clock reading.
/// A check that fails is reported and the watch goes on: the monitor is needed most when
/// things fail.
fn watch(app: &App, args: &Args) -> Result<(), CommandError> {
    let interval = time::parse_duration_at_most(&args.interval, time::MAX_WATCH_INTERVAL)?;
    if interval < Duration::from_secs(1) {
        return Err(CommandError::new(format!(
            "--interval {} is too short: checks take seconds",
            args.interval
        ))
        .with_hint("use --interval 1s or longer (5m suits a monitor)"));
    }
    crate::ui::watch::watch(interval, "checking health", "incident check --open", || {
        let now_app = App {
            settings: app.settings.clone(),
            now: time::now()?,
            notice: app.notice,
        };
        if let Err(e) = once(&now_app, args) {
            output::status(&format!(
                "error: {}; checking again at the next interval",
                e.line()
            ));
        }
        Ok(())
    })
}
