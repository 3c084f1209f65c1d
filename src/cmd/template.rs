//! `incident template`: the report templates, to read and to start customising from.

use crate::app::App;
use crate::report::render::BUILTIN;
use crate::ui::error::CommandError;
use crate::ui::output;
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// The templates there are, and which ones the templates directory overrides
    List,
    /// Print a template as it is used (the override if there is one)
    Show {
        /// The template's name, like postmortem.md
        name: String,
    },
    /// Write the built-in templates into DIR, to edit and point --template-dir at
    Export {
        dir: PathBuf,
        /// Replace files that exist
        #[arg(long)]
        force: bool,
    },
}

pub fn run(app: &App, cmd: Command) -> Result<(), CommandError> {
    let dir = app.settings.templates.as_deref();
    match cmd {
        Command::List => {
            let mut text = String::new();
            for (name, _) in BUILTIN {
                let overridden = dir.map(|d| d.join(name)).filter(|p| p.is_file());
                match overridden {
                    Some(path) => {
                        text.push_str(&format!("{name:<20} overridden by {}\n", path.display()))
                    }
                    None => text.push_str(&format!("{name:<20} built in\n")),
                }
            }
            output::out(&text)
        }
        Command::Show { name } => {
            let builtin = BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t);
            let user = dir.map(|d| d.join(&name)).filter(|p| p.is_file());
            match (user, builtin) {
                (Some(path), _) => {
                    let text = std::fs::read_to_string(&path).map_err(|e| {
                        CommandError::new(format!("cannot read {}: {e}", path.display()))
                    })?;
                    output::status(&format!("# {}", path.display()));
                    output::out(&text)
                }
                (None, Some(text)) => output::out(text),
                (None, None) => Err(CommandError::new(format!("there is no template '{name}'"))
                    .with_hint("`incident template list` lists them")),
            }
        }
        Command::Export { dir, force } => {
            crate::store::files::create_dir_all(&dir)
                .map_err(|e| CommandError::new(format!("cannot create {}: {e}", dir.display())))?;
            // A file that is still the built-in one (an earlier, untouched export) is no
            // conflict; only one that differs holds someone's edits.
            let edited: Vec<String> = BUILTIN
                .iter()
                .filter(|(n, text)| {
                    let path = dir.join(n);
                    path.exists() && std::fs::read(&path).ok().as_deref() != Some(text.as_bytes())
                })
                .map(|(n, _)| n.to_string())
                .collect();
            if !edited.is_empty() && !force {
                return Err(CommandError::new(format!(
                    "{} already has {} that differ from the built-in ones; nothing was written",
                    dir.display(),
                    edited.join(", ")
                ))
                .with_hint("--force replaces them (your edits are lost)"));
            }
            for (name, text) in BUILTIN {
                let path = dir.join(name);
                crate::ui::report::write_file(&path, text.as_bytes())?;
            }
            output::status(&format!(
                "wrote {count} templates to {dir}; use them with --template-dir {dir} or templates = \"{dir}\" in the config",
                count = BUILTIN.len(),
                dir = dir.display()
            ));
            Ok(())
        }
    }
}
