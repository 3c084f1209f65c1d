//! `incident show`: every field, the SLA clocks and the whole timeline of one incident.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::domain::event::Event;
use crate::domain::model::{ActionItem, Field, Incident};
use crate::domain::postmortem::Record;
use crate::domain::sla;
use crate::domain::time::{Timestamp, display};
use crate::ui::clock::clock_line;
use crate::ui::error::CommandError;
use crate::ui::output::{self, Paint};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// Print snapshot K of the incident in full instead
    #[arg(long, value_name = "K")]
    pub snapshot: Option<i64>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Print each timeline entry's id (for `incident retract`)
    #[arg(long)]
    pub ids: bool,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    // What teammates recorded first (within the team timeout; never fails the command).
    app.refresh();
    let number = app.number(&args.number)?;
    if let Some(seq) = args.snapshot {
        let stored = crate::app::snapshot::load(app, number, Some(seq))?;
        if args.json {
            return output::out_json(&serde_json::json!({
                "incident": number,
                "seq": stored.seq,
                "snapshot": stored.snapshot,
            }));
        }
        let title = format!("snapshot {} of incident {}", stored.seq, number);
        return output::out(&crate::ui::evidence::snapshot_text(
            &title,
            &stored.snapshot,
            &Paint::stdout(),
        ));
    }
    let shown = app.read(|txn| crate::app::show::load(app, txn, number))?;
    if args.json {
        return output::out_json(&crate::app::show::json(app, &shown));
    }
    let crate::app::show::Shown {
        incident,
        timeline,
        actions,
        past,
        next_update,
        alerts,
        ..
    } = shown;
    let paint = Paint::stdout();
    let text = render(
        app,
        &incident,
        &timeline,
        &actions,
        next_update,
        args.ids,
        &paint,
    );
    output::out(&text)?;
    output::out(&alerts_text(&alerts))?;
    output::out(&crate::ui::similar::past_text(&past, app.now, &paint))
}

/// The alerts Alertmanager sent for the incident (`incident serve`): each one's state, labels
/// and where it came from; none for an incident opened by hand.
fn alerts_text(alerts: &[crate::store::intake::StoredAlert]) -> String {
    if alerts.is_empty() {
        return String::new();
    }
    let mut s = String::from("\nALERTS\n");
    for a in alerts {
        let labels: Vec<String> = crate::app::show::pairs(&a.labels)
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let since = match a.ends_at {
            Some(end) => format!("{} to {}", display(a.starts_at), display(end)),
            None => format!("since {}", display(a.starts_at)),
        };
        s.push_str(&format!(
            "  {:<8}  {since}  {}\n",
            a.status.as_str(),
            labels.join(" ")
        ));
        if !a.generator_url.is_empty() {
            s.push_str(&format!("            {}\n", a.generator_url));
        }
    }
    s
}

fn render(
    app: &App,
    i: &Incident,
    timeline: &[Event],
    actions: &[ActionItem],
    next_update: Option<(Timestamp, std::time::Duration)>,
    ids: bool,
    paint: &Paint,
) -> String {
    let c = sla::clocks(i, app.now);
    let time =
        |t: Option<crate::domain::time::Timestamp>| t.map(display).unwrap_or_else(|| "-".into());
    let mut s = format!(
        "{}  {}\n",
        paint.bold(&format!(
            "Incident #{}  {}  {}",
            i.number, i.severity, i.status
        )),
        paint.bold(&i.title)
    );
    s.push_str(&format!("  id            {}\n", i.uuid));
    // Every moment of the incident's clock model, in order: the SLA clocks count from the
    // detection, the time to restore from the impact start.
    s.push_str(&format!("  impact start  {}\n", display(i.started_at)));
    s.push_str(&format!("  detected      {}\n", display(i.detected_at)));
    s.push_str(&format!(
        "  declared      {} by {}\n",
        display(i.opened_at),
        i.created_by
    ));
    s.push_str(&format!("  acknowledged  {}\n", time(i.acknowledged_at)));
    s.push_str(&format!("  resolved      {}\n", time(i.resolved_at)));
    s.push_str(&format!("  closed        {}\n", time(i.closed_at)));
    if let Some(e) = crate::domain::projection::cancellation(i, timeline) {
        s.push_str(&format!(
            "  cancelled     {} by {}: {}\n",
            display(e.at),
            e.author,
            e.text
        ));
    }
    s.push_str(&roles_and_services(i));
    s.push_str(&sla_lines(i, &c, paint));
    if let Some((due, every)) = next_update {
        // When stakeholders next expect to hear from the responders (`update_every`).
        let every = i64::try_from(every.as_secs()).unwrap_or(i64::MAX);
        s.push_str(&format!(
            "  next update   {} (every {})\n",
            clock_line(&sla::clock(due, None, app.now), paint),
            crate::domain::time::human_duration(every)
        ));
    }
    // The post-mortem's order (impact, root cause, trigger, resolution, detection).
    for field in [
        Field::Description,
        Field::Impact,
        Field::RootCause,
        Field::Trigger,
        Field::Resolution,
        Field::Detection,
        Field::Prevention,
        Field::LessonsLearned,
    ] {
        let label = field.label();
        let mut heading = label.to_uppercase();
        heading.push(':');
        s.push_str(&format!("\n{}\n", paint.bold(&heading)));
        match i.field(field) {
            "" => s.push_str(&format!("  {}\n", paint.dim("(not recorded)"))),
            text => text.lines().for_each(|l| s.push_str(&format!("  {l}\n"))),
        }
    }
    let r = Record::of(timeline);
    s.push_str(&crate::ui::postmortem::postmortem_block(&r, paint));
    s.push_str(&action_lines(app, actions, &r, paint));
    s.push_str(&format!("\n{}\n", paint.bold("TIMELINE:")));
    let who = timeline
        .iter()
        .map(|e| e.author.chars().count())
        .max()
        .unwrap_or(0);
    let summaries = crate::domain::projection::summaries(timeline);
    for (e, summary) in timeline.iter().zip(summaries) {
        let mut lines = summary.lines();
        let first = lines.next().unwrap_or_default();
        // Backdated entries say when they were actually written down.
        let late = e.recorded_at.signed_duration_since(e.at).num_seconds() >= 60;
        let recorded = if late {
            paint.dim(&format!(" (recorded {})", display(e.recorded_at)))
        } else {
            String::new()
        };
        let author = format!("{:<who$}", e.author);
        // `--ids`: the id `incident retract` takes, first on the line so it is easy to copy.
        let id = if ids {
            format!(
                "{:<8}  ",
                crate::domain::event::short_id(e.uuid.as_deref().unwrap_or(""))
            )
        } else {
            String::new()
        };
        s.push_str(&format!(
            "  {id}{}  {author}  {:<10}  {first}{recorded}\n",
            display(e.at),
            e.kind.as_str()
        ));
        let indent = " ".repeat(2 + id.len() + 16 + 2 + who + 2 + 10 + 2);
        for more in lines {
            s.push_str(&format!("{indent}{more}\n"));
        }
    }
    s
}

/// The SLA section: each clock's deadline and state, and the pause under way.
fn sla_lines(i: &Incident, c: &sla::Clocks, paint: &Paint) -> String {
    // A clock on a calendar says so: its deadline skips the calendar's closed hours.
    let on = |rule: &Option<crate::domain::terms::Rule>| {
        rule.as_ref()
            .and_then(|r| r.calendar.as_ref())
            .map_or(String::new(), |cal| format!(", calendar {}", cal.name))
    };
    let rules = &i.due.rules;
    let mut s = String::new();
    s.push_str(&format!("\n{}\n", paint.bold("SLA")));
    s.push_str(&format!(
        "  respond       {}{}\n",
        clock_line(&c.respond, paint),
        on(&rules.respond)
    ));
    s.push_str(&format!(
        "  fix           {}{}\n",
        clock_line(&c.resolve, paint),
        on(&rules.resolve)
    ));
    if let Some(pm) = &c.postmortem {
        s.push_str(&format!(
            "  post-mortem   {}{}\n",
            clock_line(pm, paint),
            on(&rules.postmortem)
        ));
    }
    if let Some(since) = i.paused_at {
        s.push_str(&format!(
            "  {}\n",
            paint.yellow(&format!(
                "PAUSED since {}: {}",
                display(since),
                i.pause_reason
            ))
        ));
    }
    s
}

/// The ACTION ITEMS block: each with its state, owner, due date and bug links.
fn action_lines(app: &App, actions: &[ActionItem], r: &Record, paint: &Paint) -> String {
    let mut s = String::new();
    if !actions.is_empty() {
        s.push_str(&format!("\n{}\n", paint.bold("ACTION ITEMS:")));
        for a in actions {
            let state = match (a.done_at, a.overdue(app.now)) {
                (Some(_), _) => paint.green("done"),
                (None, true) => paint.red("overdue"),
                (None, false) => "open".into(),
            };
            let owner = a.owner.as_deref().unwrap_or("no owner");
            let due = a
                .due_at
                .map(|d| format!(", due {}", display(d)))
                .unwrap_or_default();
            let bugs: String = r
                .bugs_of(&a.id.to_string())
                .map(|l| format!(", bug {}", l.url))
                .collect();
            s.push_str(&format!(
                "  {:>3}  {state}  {} ({}, {owner}{due}{bugs})\n",
                a.id.to_string(),
                a.text,
                a.kind.as_str()
            ));
        }
    }
    s
}

/// Who holds which role, commander first, and the services it affects.
fn roles_and_services(i: &Incident) -> String {
    let or_none = |s: String| if s.is_empty() { "-".to_string() } else { s };
    let roles = crate::domain::roles::roles_line(&i.roles);
    format!(
        "  roles         {}\n  services      {}\n",
        or_none(roles),
        or_none(i.services.join(", "))
    )
}
