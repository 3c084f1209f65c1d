//! `incident doctor`: checks the database and the config, says what is wrong and how to fix it.

use crate::app::App;
use crate::app::doctor::Diagnosis;
use crate::ui::error::CommandError;
use crate::ui::output::{self, Paint};

/// Check the database and the config: what is wrong and how to fix it (exit 1 when anything is)
///
/// Read-only. The database: PRAGMA integrity_check and foreign_key_check, every incident's
/// timeline beginning with its opening, every stored time between 1970-01-01 and 9999-12-31,
/// the search index against what it indexes, the WAL's size. The config: every collector run
/// once (nothing stored) and every notify channel connected to (nothing sent), each under
/// its timeout.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 healthy, 1 something is wrong (each finding says how to fix it)."
)]
pub struct Args {
    /// Print JSON: every finding, and what each check found
    #[arg(long)]
    pub json: bool,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let progress = &mut crate::ui::progress::on_stderr();
    let diagnosis = crate::app::doctor::diagnose(app, progress)?;
    if args.json {
        output::out_json(&serde_json::json!(diagnosis))?;
    } else {
        output::out(&text(&diagnosis, &Paint::stdout()))?;
    }
    if diagnosis.healthy {
        Ok(())
    } else {
        Err(CommandError::exit(1))
    }
}

/// One line per finding (`ok` or `FAIL`, the check, what it found), a fix under each that
/// failed, and the verdict.
fn text(d: &Diagnosis, paint: &Paint) -> String {
    let mut out = String::new();
    for f in &d.findings {
        let mark = if f.ok {
            paint.green("ok  ")
        } else {
            paint.red("FAIL")
        };
        out.push_str(&format!("{mark}  {}: {}\n", f.check.label(), f.what));
        if let Some(fix) = &f.fix {
            out.push_str(&format!("      fix: {fix}\n"));
        }
    }
    let wrong = d.findings.iter().filter(|f| !f.ok).count();
    out.push_str(&if wrong == 0 {
        paint.green("healthy")
    } else {
        paint.red(&format!(
            "{wrong} problem{} found",
            if wrong == 1 { "" } else { "s" }
        ))
    });
    out.push('\n');
    out
}
