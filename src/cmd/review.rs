//! `incident review`: the weekly review.

use crate::app::App;
use crate::app::review::ChoiceError;
use crate::report::review::{self, Window};
use crate::ui::error::CommandError;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The ISO week, like 2026-W48 (Monday 00:00 to Monday 00:00, local time) [default: last week]
    #[arg(long, value_name = "YYYY-Www", conflicts_with_all = ["since", "until"])]
    pub week: Option<String>,
    /// The start of the window (TIME); with no --until the window runs up to now
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// The end of the window (TIME), not included
    #[arg(
        long,
        value_name = "TIME",
        allow_hyphen_values = true,
        requires = "since"
    )]
    pub until: Option<String>,
    /// md, html (one self-contained file with charts) or json
    #[arg(long, default_value = "md")]
    pub format: String,
    /// A template by name instead of the default for the format
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// Print the JSON the template receives instead of rendering it
    #[arg(long)]
    pub context: bool,
    /// Write to FILE instead of stdout (all of it or, on error, nothing)
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Md,
    Html,
    Json,
}

impl Format {
    fn parse(s: &str) -> Result<Format, CommandError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(Format::Md),
            "html" => Ok(Format::Html),
            "json" => Ok(Format::Json),
            _ => Err(CommandError::new(format!("unknown format '{s}'"))
                .with_hint("use --format md, html or json")),
        }
    }
}

/// The window the arguments name: --week, --since/--until, or the last complete week.
fn window(app: &App, args: &Args) -> Result<Window, CommandError> {
    crate::app::review::window(
        app.now,
        args.week.as_deref(),
        args.since.as_deref(),
        args.until.as_deref(),
    )
    .map_err(|e| {
        let hint = e.hint();
        let line = match &e {
            ChoiceError::Time { flag, message } => format!("--{flag}: {message}"),
            ChoiceError::Window(w) => w.to_string(),
        };
        CommandError::new(line).with_hint(hint)
    })
}

/// What makes the window's review empty, if it is: nothing opened in it and nothing left
/// unresolved at its end (and whether the log holds anything at all).
fn nothing_in(
    txn: &crate::store::Txn,
    window: &Window,
) -> Result<Option<&'static str>, crate::store::StoreError> {
    let newest = |since| {
        txn.list(&crate::store::ListFilter {
            since,
            limit: Some(1),
            ..Default::default()
        })
    };
    if newest(None)?.0.is_empty() {
        return Ok(Some("the log holds no incidents yet, so nothing happened"));
    }
    let opened = newest(Some(window.since))?
        .0
        .iter()
        .any(|i| i.opened_at < window.until);
    let unresolved = !txn.unresolved_at(window.until)?.is_empty();
    Ok((!opened && !unresolved).then_some("no incident was opened or unresolved"))
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    // What teammates recorded first (within the team timeout; never fails the command).
    app.refresh();
    let format = Format::parse(&args.format)?;
    let template = match (format, &args.template) {
        (Format::Json, Some(_)) => {
            return Err(CommandError::new("--template renders md or html")
                .with_hint("with --format json the context is printed as it is"));
        }
        (_, Some(name)) => name.clone(),
        (Format::Html, None) => "review.html".into(),
        _ => "review.md".into(),
    };
    let window = window(app, &args)?;
    let (context, empty) = app.read(|txn| {
        let context = review::context(txn, &window, &app.settings.policy, app.now)?;
        Ok((context, nothing_in(txn, &window)?))
    })?;
    let defaulted = args.week.is_none() && args.since.is_none();
    if let Some(what) = empty.filter(|_| defaulted) {
        // The default window is last week: a new user's first review is all zeros.
        let this_week = Window::week_of(app.now).label;
        crate::ui::output::status(&format!(
            "{what} in {}, the last complete week (the default); `incident review --week {this_week}` reviews this week so far, `--since -30d` the last 30 days",
            window.label
        ));
    }
    match (format, &args.out) {
        // JSON is the context itself, whole to a file like any report.
        (Format::Json, Some(path)) if !args.context => {
            crate::ui::report::write_whole(path, &format!("{context:#}\n"))
        }
        (Format::Json, _) => crate::ui::output::out_json(&context),
        _ => crate::ui::report::emit_report(
            app.settings.templates.as_deref(),
            &template,
            &context,
            args.context,
            args.out.as_deref(),
        ),
    }
}
