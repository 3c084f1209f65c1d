//! Writing to the terminal: data to stdout, status to stderr, colour only where it helps.

use crate::ui::error::CommandError;
use std::io::{IsTerminal, Write};

/// Colours for one stream: on only for a terminal, and never with NO_COLOR set.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
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

/// Writes data to stdout. A closed pipe (`incident list | head`) is not an error.
pub fn out(text: &str) -> Result<(), CommandError> {
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

/// Writes a JSON document to stdout.
pub fn out_json(value: &serde_json::Value) -> Result<(), CommandError> {
    out(&format!("{value:#}\n"))
}

/// A status line or hint on stderr.
pub fn status(text: &str) {
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
