//! Entry point: parse the command line, run the command, turn the outcome into an exit code.

use clap::Parser;
use incident::cmd::Cli;
use incident::ui::error::{CommandError, exit};
use incident::ui::output;
use std::process::ExitCode;

fn main() -> ExitCode {
    let result = match Cli::try_parse() {
        Ok(cli) => incident::cmd::run(cli),
        // --help and --version arrive as "errors" meant for stdout.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::from(exit::OK);
        }
        // `incident` alone, or `incident action`: the help, as it is, but not a success.
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(exit::ERROR);
        }
        Err(e) => Err(usage_error(&e)),
    };
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => {
            if !e.message.is_empty() {
                let paint = output::Paint::stderr();
                // One line whatever it quotes: a newline typed into a value is shown as `\n`
                // (other control characters `status` escapes).
                let line = e.line().replace('\n', "\\n");
                output::status(&format!("{} {line}", paint.red("error:")));
            }
            ExitCode::from(e.code)
        }
    }
}

/// A usage error from clap as one line, like every other error: clap's message with its own
/// line breaks made spaces (not joined by semicolons), the usage of the command it is about,
/// and that command's `--help`.
fn usage_error(e: &clap::Error) -> CommandError {
    let rendered = e.render().to_string();
    let mut message = String::new();
    let mut usage = None;
    for line in rendered.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(u) = line.strip_prefix("Usage: ") {
            usage = Some(u.to_string());
        } else if !line.starts_with("For more information") {
            let part = line.strip_prefix("error: ").unwrap_or(line);
            if !message.is_empty() {
                message.push_str(if part.starts_with("tip:") { " (" } else { " " });
            }
            message.push_str(part);
            if part.starts_with("tip:") {
                message.push(')');
            }
        }
    }
    let Some(u) = usage else {
        // A value refused by the command's own parser: its message says what to do.
        return CommandError::new(message);
    };
    let hint = {
        {
            // `incident export <NUMBERS>...` → `incident export --help`.
            let command: Vec<&str> = u
                .split_whitespace()
                .take_while(|w| !w.starts_with(['<', '[', '-']))
                .collect();
            format!("usage: {u} (`{} --help` says more)", command.join(" "))
        }
    };
    CommandError::new(message).with_hint(hint)
}
