//! `incident update`: change any field, the severity or the status, as one timeline entry each.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::app::record;
use crate::domain::model::{Field, Severity, Status};
use crate::domain::sla;
use crate::domain::workflow::WorkflowError;
use crate::ui::clock::clock_line;
use crate::ui::error::CommandError;
use crate::ui::output::{self, Paint};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// New status: OPEN, INVESTIGATING, RESOLVED or CLOSED (the same rules as ack, resolve, close, reopen; CANCELLED is `incident cancel`, with its reason)
    #[arg(long, value_name = "S")]
    pub status: Option<String>,
    /// New severity: P1, P2 or P3 (both deadlines move, counted from the open time)
    #[arg(long, value_name = "P")]
    pub severity: Option<String>,
    #[arg(long, value_name = "T")]
    pub title: Option<String>,
    /// What is wrong, in more detail (`-` reads stdin, as for every text below)
    #[arg(long, value_name = "D")]
    pub description: Option<String>,
    /// Who and what was hurt, and how much (the post-mortem's Impact)
    #[arg(long, value_name = "TEXT")]
    pub impact: Option<String>,
    #[arg(long, value_name = "R")]
    pub root_cause: Option<String>,
    /// What set it off (a deploy, a traffic spike), beside the root cause
    #[arg(long, value_name = "TEXT")]
    pub trigger: Option<String>,
    #[arg(long, value_name = "R")]
    pub resolution: Option<String>,
    /// How it was noticed (an alert, a customer), and how it could have been sooner
    #[arg(long, value_name = "TEXT")]
    pub detection: Option<String>,
    #[arg(long, value_name = "P")]
    pub prevention: Option<String>,
    #[arg(long, value_name = "L")]
    pub lessons: Option<String>,
    /// A link for the post-mortem's supporting information (a dashboard, a chat log, a
    /// ticket); repeatable
    #[arg(long, value_name = "URL")]
    pub link: Vec<String>,
    /// The title of the --link at the same position
    #[arg(long, value_name = "T")]
    pub link_title: Vec<String>,
    /// Add a service it affects, like checkout-api (repeatable)
    #[arg(long, value_name = "NAME")]
    pub service: Vec<String>,
    /// Remove a service it no longer affects (repeatable)
    #[arg(long, value_name = "NAME")]
    pub no_service: Vec<String>,
    /// When the change happened (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let number = app.number(&args.number)?;
    let status: Option<Status> = args.status.as_deref().map(str::parse).transpose()?;
    if status == Some(Status::Cancelled) {
        return Err(
            CommandError::new("a cancellation needs its reason; `update` takes none")
                .with_hint(format!("`incident cancel {number} --reason TEXT`")),
        );
    }
    let severity: Option<Severity> = args.severity.as_deref().map(str::parse).transpose()?;
    let given: Vec<(Field, &str)> = [
        (Field::Title, &args.title),
        (Field::Description, &args.description),
        (Field::Impact, &args.impact),
        (Field::RootCause, &args.root_cause),
        (Field::Trigger, &args.trigger),
        (Field::Resolution, &args.resolution),
        (Field::Detection, &args.detection),
        (Field::Prevention, &args.prevention),
        (Field::LessonsLearned, &args.lessons),
    ]
    .into_iter()
    .filter_map(|(f, v)| v.as_deref().map(|v| (f, v)))
    .collect();
    let fields = super::args::field_texts(given)?;
    let links = super::args::link_args(&args.link, &args.link_title)?;
    let added = super::args::service_names(&args.service)?;
    let removed = super::args::service_names(&args.no_service)?;
    let at = app.time(args.at.as_deref())?;
    let (incident, changed) = app.write(|txn, actor| {
        let services = added.is_empty() && removed.is_empty();
        if status.is_none()
            && severity.is_none()
            && fields.is_empty()
            && links.is_empty()
            && services
        {
            return Err(WorkflowError::NothingToUpdate(number).into());
        }
        let mut change = record::begin(txn, actor, "the update", number, at)?;
        // Fields first, so `--root-cause … --resolution … --status CLOSED` closes in one go.
        for (field, value) in &fields {
            let value = value.as_str();
            change.set_field(*field, value)?;
        }
        for (url, title) in &links {
            change.link(None, url, title);
        }
        for service in &removed {
            change.remove_service(service)?;
        }
        for service in &added {
            change.add_service(service);
        }
        if let Some(severity) = severity {
            change.set_severity(severity);
        }
        if let Some(status) = status {
            change.set_status(status, "")?;
        }
        let changed = !change.is_empty();
        Ok((record::save(txn, actor, change)?, changed))
    })?;
    if !changed {
        output::status(&format!(
            "incident {number}: nothing changed; the values given are the current ones"
        ));
        return Ok(());
    }
    let paint = Paint::stdout();
    let c = sla::clocks(&incident, app.now);
    output::out(&format!(
        "incident {}: {} {}\n  respond {}\n  fix     {}\n",
        incident.number,
        incident.severity,
        incident.status,
        clock_line(&c.respond, &paint),
        clock_line(&c.resolve, &paint),
    ))
}
