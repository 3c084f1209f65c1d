//! `incident completion SHELL`: the shell's completion script, generated from the same clap
//! definitions the parser uses.

use crate::ui::error::CommandError;
use crate::ui::output;

/// Print the completion script for SHELL, to source or to install:
/// bash: `incident completion bash > ~/.local/share/bash-completion/completions/incident`;
/// zsh: `incident completion zsh > "${fpath[1]}/_incident"`;
/// fish: `incident completion fish > ~/.config/fish/completions/incident.fish`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// bash, zsh, fish, elvish or powershell
    pub shell: clap_complete::Shell,
}

/// Needs no config or database: it works where the config is broken.
/// `command` is the whole command line's definition.
pub fn run(args: Args, mut command: clap::Command) -> Result<(), CommandError> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "incident", &mut script);
    let text = String::from_utf8(script)
        .map_err(|_| CommandError::new("the completion script is not UTF-8 (a bug)"))?;
    output::out(&text)
}
