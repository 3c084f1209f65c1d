//! `incident check`: the guide's "run health check" step: a snapshot of everything configured,
//! its health score with the breakdown and the severity it implies (the exit code says which),
//! and with `--open` the health monitor that opens, escalates and follows an incident itself.

use crate::app::App;
use crate::app::monitor::{self, Outcome};
use crate::domain::model::Severity;
use crate::domain::time;
use crate::evidence::health::{self, Health};
use crate::notify::{Outcome as Delivery, Sender};
use crate::report::reminder::Message;
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
    // The monitor's incident, if one is open: its last snapshot tells restarts since then.
    let kept = if args.open && app.settings.db.exists() {
        app.read(|txn| Ok(txn.monitor_incident()?))?.map(|(i, _)| i)
    } else {
        None
    };
    let snap =
        crate::app::snapshot::collect(app, kept.as_ref(), &mut crate::ui::progress::on_stderr())?;
    let settings = &app.settings;
    let health = health::assess(&snap.items, &settings.collectors, &settings.health, app.now);
    let verdict = health.verdict(&settings.health, &settings.collectors.data_age);
    let outcome = if args.open {
        let title = args
            .title
            .clone()
            .unwrap_or_else(|| monitor::title(&health));
        let description = crate::ui::health::breakdown(&health, &verdict, &Paint::plain());
        let outcome = app.write(|txn, actor| {
            monitor::step(
                txn,
                actor,
                &snap,
                &health,
                &settings.health,
                &verdict,
                &title,
                &description,
            )
        })?;
        tell(app, &outcome, &health, &verdict);
        Some(outcome)
    } else {
        None
    };
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
    })
}

/// What the monitor did that a responder must hear about: said on stderr and sent to every
/// [[notify]] channel (a failed delivery is reported, and the next change is sent anyway).
fn tell(app: &App, o: &Outcome, health: &Health, verdict: &str) {
    let Some(incident) = &o.incident else { return };
    let n = incident.number;
    let what = if o.opened {
        format!(
            "health monitor opened incident {n} ({}): {}; `incident ack {n}` to take it",
            incident.severity, incident.title
        )
    } else if let Some(from) = o.escalated_from {
        format!(
            "health monitor escalated incident {n} from {from} to {}: {verdict}",
            incident.severity
        )
    } else if o.recovered {
        format!(
            "incident {n}: health recovered: {verdict} for {} checks in a row; `incident resolve {n}` once the cause is confirmed",
            o.healthy_streak
        )
    } else if o.degraded {
        format!("incident {n}: health degraded again after recovering: {verdict}")
    } else {
        if let Some(prev) = o.previous_score.filter(|p| *p != health.score) {
            output::status(&format!(
                "incident {n}: health {prev:.1} → {:.1}",
                health.score
            ));
        }
        return;
    };
    output::status(&what);
    let message = Message {
        text: what,
        context: serde_json::json!({
            "kind": "health",
            "incident": n,
            "severity": incident.severity.as_str(),
            "title": incident.title,
            "score": health.score,
            "verdict": verdict,
            "opened": o.opened,
            "escalated_from": o.escalated_from.map(Severity::as_str),
            "recovered": o.recovered,
            "at": time::to_rfc3339(app.now),
        }),
    };
    for channel in &app.settings.channels {
        match Sender::new(channel).send(&message) {
            Delivery::Sent => {}
            Delivery::Failed(e) | Delivery::Misconfigured(e) => output::status(&format!(
                "warning: could not tell channel '{}': {e}",
                channel.name
            )),
        }
    }
}

/// Checks every `interval` until SIGINT or SIGTERM; each check runs on its own clock reading.
/// A check that fails is reported and the watch goes on: the monitor is needed most when
/// things fail.
fn watch(app: &App, args: &Args) -> Result<(), CommandError> {
    let interval = time::parse_duration(&args.interval)?;
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
