//! `incident action`: follow-ups owned by someone, with a due date, tracked until done.

use super::args::{IncidentRef, action_number, incident_ref};
use crate::app::App;
use crate::app::record;
use crate::domain::model::{ActionItem, ActionKind};
use crate::domain::model::{NewAction, Number};
use crate::domain::time::{self, Timestamp, display};
use crate::domain::workflow::WorkflowError;
use crate::store::ActionFilter;
use crate::ui::error::CommandError;
use crate::ui::output::{self, Paint};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add an action item to an incident
    Add(AddArgs),
    /// Mark an action item done
    Done(DoneArgs),
    /// List action items: open ones first, soonest due first
    List(ListArgs),
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// What is to be done
    pub text: String,
    /// Who does it
    #[arg(long, value_name = "WHO")]
    pub owner: Option<String>,
    /// When it is due (TIME; `+7d` counts forward from now)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub due: Option<String>,
    /// prevent, mitigate, detect, process or other
    #[arg(long, default_value = "prevent")]
    pub kind: String,
    /// When it was agreed (TIME), for a post-mortem written later; not before the incident's
    /// impact start [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// Its bug or ticket (URL); repeatable
    #[arg(long, value_name = "URL")]
    pub link: Vec<String>,
    /// The title of the --link at the same position
    #[arg(long, value_name = "T")]
    pub link_title: Vec<String>,
    /// Print the new action item as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct DoneArgs {
    /// The action item's number (`incident action list` shows them; L7 for one this copy
    /// numbered before the team did)
    #[arg(value_parser = action_number)]
    pub id: Number,
    /// When it was done (TIME), not before it was added [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only those not done
    #[arg(long)]
    pub open: bool,
    /// Only those not done and past their due date
    #[arg(long)]
    pub overdue: bool,
    /// Only those owned by WHO
    #[arg(long, value_name = "WHO")]
    pub owner: Option<String>,
    /// Only those of incident N
    #[arg(long, value_name = "N", value_parser = incident_ref)]
    pub incident: Option<IncidentRef>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(app: &App, cmd: Command) -> Result<(), CommandError> {
    match cmd {
        Command::Add(args) => add(app, args),
        Command::Done(args) => done(app, args),
        Command::List(args) => list(app, args),
    }
}

fn add(app: &App, args: AddArgs) -> Result<(), CommandError> {
    let kind: ActionKind = args.kind.parse()?;
    let new = NewAction {
        text: args.text,
        kind,
        owner: args
            .owner
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty()),
        due_at: app.time(args.due.as_deref())?,
    };
    let at = app.time(args.at.as_deref())?;
    let number = app.number(&args.number)?;
    let links = super::args::link_args(&args.link, &args.link_title)?;
    let item = app.write(|txn, actor| {
        let mut change = record::begin(txn, actor, "the action item", number, at)?;
        let id = record::add_action(txn, actor, &mut change, &new)?;
        let item = txn.action(id)?.ok_or(WorkflowError::NoAction(Number(id)))?;
        for (url, title) in &links {
            change.link(Some(item.id), url, title);
        }
        record::save(txn, actor, change)?;
        Ok(item)
    })?;
    // Shared as it was written: the team may have numbered it (and its incident) since.
    let (item, number) = match app.settings.team {
        Some(_) => {
            let item = app.read(|txn| Ok(txn.action(item.pk)?))?.unwrap_or(item);
            let number = Number(item.incident_number);
            (item, number)
        }
        None => (item, number),
    };
    if args.json {
        let mut v = crate::report::view::action(&item, app.now);
        v["bugs"] = links
            .iter()
            .map(|(url, title)| serde_json::json!({"url": url, "title": title}))
            .collect();
        return output::out_json(&v);
    }
    let due = item
        .due_at
        .map(|d| format!(", due {}", display(d)))
        .unwrap_or_default();
    let owner = item
        .owner
        .as_deref()
        .map(|o| format!(", owner {o}"))
        .unwrap_or_default();
    output::out(&format!(
        "action {} added to incident {number} ({}{owner}{due}): {}\n",
        item.id,
        item.kind.as_str(),
        item.text
    ))
}

fn done(app: &App, args: DoneArgs) -> Result<(), CommandError> {
    let at = app.time(args.at.as_deref())?;
    let item = app.write(|txn, actor| {
        let item = txn
            .action_numbered(args.id)?
            .ok_or(WorkflowError::NoAction(args.id))?;
        let mut change = record::begin(
            txn,
            actor,
            "the action's completion",
            crate::domain::model::Number(item.incident_number),
            at,
        )?;
        record::action_done(txn, actor, &mut change, &item)?;
        record::save(txn, actor, change)?;
        Ok(item)
    })?;
    output::out(&format!(
        "action {} of incident {} done: {}\n",
        item.id, item.incident_number, item.text
    ))
}

fn list(app: &App, args: ListArgs) -> Result<(), CommandError> {
    let filter_incident = args.incident.as_ref().map(|r| app.number(r)).transpose()?;
    let items = app.read(|txn| {
        let incident_pk = match filter_incident {
            Some(n) => Some(record::load(txn, n)?.pk),
            None => None,
        };
        let filter = ActionFilter {
            open: args.open,
            overdue_at: args.overdue.then_some(app.now),
            owner: args.owner.clone(),
            incident_pk,
        };
        Ok(txn.actions(&filter)?)
    })?;
    if args.json {
        return output::out_json(&serde_json::Value::Array(
            items
                .iter()
                .map(|i| crate::report::view::action(i, app.now))
                .collect(),
        ));
    }
    if items.is_empty() {
        output::status("no action items match");
        return Ok(());
    }
    let paint = Paint::stdout();
    let mut rows = vec![
        ["ID", "INCIDENT", "KIND", "OWNER", "DUE", "STATE", "TEXT"]
            .map(String::from)
            .to_vec(),
    ];
    for i in &items {
        rows.push(vec![
            i.id.to_string(),
            i.incident_number.to_string(),
            i.kind.as_str().to_string(),
            i.owner.clone().unwrap_or_else(|| "-".into()),
            i.due_at.map(display).unwrap_or_else(|| "-".into()),
            state(i, app.now),
            i.text.clone(),
        ]);
    }
    output::out(&output::table(&rows, |r, c, cell| match (r, c) {
        (0, _) => paint.bold(cell),
        (_, 5) if cell.starts_with("overdue") => paint.red(cell),
        (_, 5) if cell == "done" => paint.green(cell),
        _ => cell.to_string(),
    }))
}

/// `open`, `overdue 2d`, or `done`.
fn state(item: &ActionItem, now: Timestamp) -> String {
    match (item.done_at, item.due_at) {
        (Some(_), _) => "done".into(),
        (None, Some(due)) if due < now => format!(
            "overdue {}",
            time::human_duration(now.signed_duration_since(due).num_seconds())
        ),
        _ => "open".into(),
    }
}
