//! Entry point: parse the command line, run the command, turn the outcome into an exit code.

use clap::Parser;
use incident::cmd::Cli;
use incident::ui::error::exit;
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
        // A usage error as clap writes it: the error, the usage line, where to find more
        // (issue 18: squashed onto one line it read badly). Exit 1 like every error (clap's
        // own 2 would read as `remind`'s "a deadline has passed").
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(exit::ERROR);
        }
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
