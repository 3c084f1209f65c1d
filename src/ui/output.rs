//! Writing to the terminal: data to stdout, status to stderr, colour only where it helps.

use crate::ui::error::CommandError;
use std::io::{IsTerminal, Write};

/// Colours for one stream: on only for a terminal, and never with NO_COLOR set.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    /// Private: `terminal` keeps escape sequences only when this is on.
    on: bool,
}

impl Paint {
    /// No colour: for text whose width is measured before it is styled.
    pub fn plain() -> Self {
        Paint { on: false }
    }

    pub fn stdout() -> Self {
        Paint {
            on: std::io::stdout().is_terminal() && no_color_unset(),
        }
    }

    pub fn stderr() -> Self {
        Paint {
            on: std::io::stderr().is_terminal() && no_color_unset(),
        }
    }

    pub fn paint(&self, style: anstyle::Style, text: &str) -> String {
        if self.on {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    pub fn red(&self, text: &str) -> String {
        self.paint(anstyle::AnsiColor::Red.on_default().bold(), text)
    }

    pub fn yellow(&self, text: &str) -> String {
        self.paint(anstyle::AnsiColor::Yellow.on_default(), text)
    }

    pub fn green(&self, text: &str) -> String {
        self.paint(anstyle::AnsiColor::Green.on_default(), text)
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint(anstyle::Style::new().bold(), text)
    }

    pub fn dim(&self, text: &str) -> String {
        self.paint(anstyle::Style::new().dimmed(), text)
    }
}

fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The styles `Paint` writes, start and reset: the only escape sequences text for the
/// terminal may carry as they are.
static STYLES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    let styles = [
        anstyle::AnsiColor::Red.on_default().bold(),
        anstyle::AnsiColor::Yellow.on_default(),
        anstyle::AnsiColor::Green.on_default(),
        anstyle::Style::new().bold(),
        anstyle::Style::new().dimmed(),
    ];
    let mut all: Vec<String> = styles
        .iter()
        .flat_map(|s| [s.render().to_string(), s.render_reset().to_string()])
        .collect();
    // Longest first: a style that begins with a shorter one's bytes is matched whole.
    all.sort_by_key(|s| std::cmp::Reverse(s.len()));
    all.dedup();
    all
});

/// Text as the terminal gets it: every control character in it shown escaped (`\x1b`), so
/// nothing people typed (or a server answered) can drive the terminal; the colours `paint`
/// added itself are kept when it is on. Every text output goes through here: `out`, `status`,
/// and the commands that stream (`search`, `logs`, progress).
pub fn terminal<'a>(text: &'a str, paint: &Paint) -> std::borrow::Cow<'a, str> {
    let keep: Vec<&str> = if paint.on {
        STYLES.iter().map(String::as_str).collect()
    } else {
        Vec::new()
    };
    crate::domain::text::escape_controls(text, &keep)
}

/// Writes data to stdout, control characters escaped. A closed pipe (`incident list | head`)
/// is not an error.
pub fn out(text: &str) -> Result<(), CommandError> {
    write_stdout(&terminal(text, &Paint::stdout()))
}

fn write_stdout(text: &str) -> Result<(), CommandError> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CommandError::new(format!("cannot write to stdout: {e}"))),
        Ok(()) => Ok(()),
    }
}

/// Writes a JSON document to stdout. serde_json escapes C0 controls; DEL and C1 controls,
/// which it leaves, can only be inside strings, where `\u00XX` is the same value.
pub fn out_json(value: &serde_json::Value) -> Result<(), CommandError> {
    out_json_text(&format!("{value:#}\n"))
}

/// Writes JSON text serde_json wrote (a document, or lines of them) to stdout, its DEL and C1
/// controls as `\u00XX` like `out_json`: never `out`, whose escapes are not JSON's.
pub fn out_json_text(text: &str) -> Result<(), CommandError> {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return write_stdout(text);
    }
    let mut safe = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => safe.push(c),
            c if c.is_control() => safe.push_str(&format!("\\u{:04x}", c as u32)),
            c => safe.push(c),
        }
    }
    write_stdout(&safe)
}

/// A status line or hint on stderr, control characters escaped.
pub fn status(text: &str) {
    let text = terminal(text, &Paint::stderr());
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Pads cells to column widths counted in characters, so arrows and accents line up.
pub fn table(rows: &[Vec<String>], paint_row: impl Fn(usize, usize, &str) -> String) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for (r, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let last = c + 1 == row.len();
            let pad = if last {
                0
            } else {
                widths[c] - cell.chars().count() + 2
            };
            line.push_str(&paint_row(r, c, cell));
            line.push_str(&" ".repeat(pad));
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_keeps_our_colours_and_escapes_everything_else() {
        let on = Paint { on: true };
        let text = format!("{} {}", on.red("error:"), "title \x1b[2J\x1b]0;x\x07");
        let shown = terminal(&text, &on);
        assert!(shown.starts_with(&on.red("error:")), "{shown:?}");
        assert!(shown.ends_with("title \\x1b[2J\\x1b]0;x\\x07"), "{shown:?}");
        assert_eq!(
            terminal(&text, &Paint::plain()),
            text.replace('\x1b', "\\x1b").replace('\x07', "\\x07")
        );
    }
}
