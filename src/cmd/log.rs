//! `incident log`: the incident in the guide's Incident Log Template, rendered from a template.

use super::App;
use crate::cli::incident_number;
use crate::error::CommandError;
use crate::output;
use crate::render::Templates;
use crate::time;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident number
    #[arg(value_parser = incident_number)]
    pub number: i64,
    /// The template to render, by name (a file in the templates directory, or built in)
    #[arg(long, value_name = "NAME", default_value = "log.txt")]
    pub template: String,
    /// Print the JSON the template receives instead of rendering it
    #[arg(long)]
    pub context: bool,
    /// Write to FILE instead of stdout (all of it or, on error, nothing)
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let (incident, timeline) = super::shared::incident_and_timeline(app, args.number)?;
    let context = serde_json::json!({
        "incident": crate::view::incident_with_timeline(&incident, &timeline, &app.settings.policy, app.now),
        "generated_at": time::to_rfc3339(app.now),
    });
    if args.context {
        return output::out_json(&context);
    }
    let text =
        Templates::new(app.settings.templates.as_deref()).render(&args.template, &context)?;
    match &args.out {
        None => output::out(&text),
        Some(path) => write_whole(path, &text),
    }
}

/// Writes beside the target and renames over it, so a reader never sees half a report.
fn write_whole(path: &std::path::Path, text: &str) -> Result<(), CommandError> {
    let tmp = path.with_extension(format!(
        "{}.tmp{}",
        path.extension().and_then(|e| e.to_str()).unwrap_or(""),
        std::process::id()
    ));
    let fail = |action: &str, e: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        CommandError::new(format!("cannot {action} {}: {e}", path.display()))
            .with_hint("check the directory exists and is writable")
    };
    std::fs::write(&tmp, text).map_err(|e| fail("write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| fail("replace", e))?;
    output::status(&format!("wrote {}", path.display()));
    Ok(())
}
