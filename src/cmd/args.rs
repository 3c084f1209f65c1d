//! Parsing arguments several commands take: incident numbers and TEXT that may come from stdin.

use crate::ui::error::CommandError;
use std::io::Read;

/// Parses an incident number, allowing the template's `#12` form.
pub fn incident_number(s: &str) -> Result<i64, String> {
    s.trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("'{s}' is not an incident number; `incident list` shows them"))
}

/// A TEXT argument; `-` reads it from stdin, so `kubectl logs … | incident note 12 -` works.
pub fn text_arg(arg: &str) -> Result<String, CommandError> {
    if arg != "-" {
        return Ok(arg.to_string());
    }
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .map_err(|e| CommandError::new(format!("cannot read stdin: {e}")))?;
    String::from_utf8(buf).map_err(|_| {
        CommandError::new("stdin is not UTF-8 text")
            .with_hint("notes take text; attach binary logs as files")
    })
}
