//! `incident lesson`: the post-mortem's lessons, in three lists (what went well, what went
//! wrong, where we got lucky), each one a timeline entry.

use super::args::{IncidentRef, incident_ref, text_arg};
use crate::app::App;
use crate::app::record;
use crate::domain::postmortem::{LessonKind, Record};
use crate::ui::error::CommandError;
use crate::ui::output::{self, Paint};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add a lesson to one of the three lists
    Add(AddArgs),
    /// The lessons learned: the written summary, then the three lists
    List(ListArgs),
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("list").required(true).args(["went_well", "went_wrong", "lucky"])))]
pub struct AddArgs {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// Something that went well (`-` reads stdin)
    #[arg(long, value_name = "TEXT")]
    pub went_well: Option<String>,
    /// Something that went wrong (`-` reads stdin)
    #[arg(long, value_name = "TEXT")]
    pub went_wrong: Option<String>,
    /// Where we got lucky (`-` reads stdin)
    #[arg(long, value_name = "TEXT")]
    pub lucky: Option<String>,
    /// When it was learned (TIME), not before the impact start [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// Print JSON: lessons_learned, and went_well, went_wrong, lucky [{text, at, author}]
    #[arg(long)]
    pub json: bool,
}

pub fn run(app: &App, cmd: Command) -> Result<(), CommandError> {
    match cmd {
        Command::Add(args) => add(app, args),
        Command::List(args) => list(app, args),
    }
}

fn add(app: &App, args: AddArgs) -> Result<(), CommandError> {
    // The group lets exactly one through.
    let (kind, text) = match (args.went_well, args.went_wrong, args.lucky) {
        (Some(t), _, _) => (LessonKind::WentWell, t),
        (_, Some(t), _) => (LessonKind::WentWrong, t),
        (_, _, Some(t)) => (LessonKind::Lucky, t),
        (None, None, None) => {
            return Err(CommandError::new("no lesson given")
                .with_hint("give one of --went-well, --went-wrong or --lucky with its text"));
        }
    };
    let text = text_arg(&text)?;
    let at = app.time(args.at.as_deref())?;
    let number = app.number(&args.number)?;
    let incident = app.write(|txn, actor| {
        let mut change = record::begin(txn, actor, "the lesson", number, at)?;
        change.lesson(kind, &text)?;
        record::save(txn, actor, change)
    })?;
    output::out(&format!(
        "incident {}: lesson added to \"{}\"\n",
        incident.number,
        kind.heading()
    ))
}

fn list(app: &App, args: ListArgs) -> Result<(), CommandError> {
    let number = app.number(&args.number)?;
    let (incident, timeline) = app.read(|txn| {
        let incident = record::load(txn, number)?;
        let timeline = txn.timeline(incident.pk)?;
        Ok((incident, timeline))
    })?;
    let r = Record::of(&timeline);
    if args.json {
        let mut v = crate::report::view::lessons(&r);
        v["incident"] = crate::report::view::number(incident.number.0);
        v["lessons_learned"] = incident.lessons_learned.clone().into();
        return output::out_json(&v);
    }
    let paint = Paint::stdout();
    let mut s = format!("{}\n", paint.bold("LESSONS LEARNED:"));
    match incident.lessons_learned.as_str() {
        "" => s.push_str(&format!("  {}\n", paint.dim("(not recorded)"))),
        text => text.lines().for_each(|l| s.push_str(&format!("  {l}\n"))),
    }
    s.push_str(&crate::ui::postmortem::lesson_lists(
        &r,
        &paint,
        Some(incident.number),
    ));
    output::out(&s)
}
