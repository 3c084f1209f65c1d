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

/// Writes the whole report or nothing, readable by its owner only (store::files), and says so.
pub fn write_whole(path: &std::path::Path, text: &str) -> Result<(), CommandError> {
    write_file(path, text.as_bytes())?;
    crate::ui::output::status(&format!("wrote {}", path.display()));
    Ok(())
}

/// Writes a whole file or nothing, readable by its owner only (store::files); the error names
/// the file and what failed.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), CommandError> {
    crate::store::files::write_whole(path, bytes).map_err(|e| {
        CommandError::new(format!(
            "cannot {} {}: {}",
            e.action,
            path.display(),
            e.source
        ))
        .with_hint("check the directory exists and is writable")
    })
}
