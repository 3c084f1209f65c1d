//! The end of every report command: the template's context, or the rendered report on stdout
//! or written whole to a file.

use crate::ui::error::CommandError;

/// The end of every report command: print the template's context (`--context`), or render
/// the template and print it or write it to `out` whole. A template error writes nothing.
pub fn emit_report(
    templates: Option<&std::path::Path>,
    template: &str,
    context: &serde_json::Value,
    print_context: bool,
    out: Option<&std::path::Path>,
) -> Result<(), CommandError> {
    if print_context {
        return crate::ui::output::out_json(context);
    }
    let text = crate::report::render::Templates::new(templates).render(template, context)?;
    match out {
        None => crate::ui::output::out(&text),
        Some(path) => write_whole(path, &text),
    }
}

/// Writes beside the target and renames over it, so a reader never sees half a report.
pub fn write_whole(path: &std::path::Path, text: &str) -> Result<(), CommandError> {
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
    crate::ui::output::status(&format!("wrote {}", path.display()));
    Ok(())
}
