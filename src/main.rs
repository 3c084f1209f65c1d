//! Entry point: parse the command line, run the command, turn the outcome into an exit code.

use clap::Parser;
use incident::{cli::Cli, error::exit, output};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // --help and --version are not errors; every real error exits 1, as documented.
            return ExitCode::from(if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            });
        }
    };
    match incident::cmd::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let paint = output::Paint::stderr();
            output::status(&format!("{} {}", paint.red("error:"), e.line()));
            ExitCode::from(e.code)
        }
    }
}
