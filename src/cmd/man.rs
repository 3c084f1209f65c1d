//! `incident man`: the manual page (roff), generated from the same clap definitions the parser
//! uses; `--dir DIR` writes one page per subcommand as well.

use crate::ui::error::CommandError;
use crate::ui::output;
use std::path::PathBuf;

/// Print the manual page (`incident man | man -l -`), or write a page per command into DIR
/// (`incident man --dir ~/.local/share/man/man1`, then `man incident-open`)
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write incident.1 and incident-COMMAND.1 for every subcommand into DIR
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Needs no config or database: it works where the config is broken.
/// `command` is the whole command line's definition.
pub fn run(args: Args, command: clap::Command) -> Result<(), CommandError> {
    let Some(dir) = args.dir else {
        let mut page = Vec::new();
        render(&command, "incident", &mut page)?;
        let text = String::from_utf8(page)
            .map_err(|_| CommandError::new("the manual page is not UTF-8 (a bug)"))?;
        return output::out(&text);
    };
    crate::store::files::create_dir_all(&dir)
        .map_err(|e| CommandError::new(format!("cannot create {}: {e}", dir.display())))?;
    let mut written = 0usize;
    write_pages(&command, "incident", &dir, &mut written)?;
    output::status(&format!(
        "wrote {written} manual pages to {}; `man -M {} incident` reads them if that is not on MANPATH",
        dir.display(),
        dir.parent().unwrap_or(&dir).display()
    ));
    Ok(())
}

fn render(command: &clap::Command, title: &str, out: &mut Vec<u8>) -> Result<(), CommandError> {
    clap_mangen::Man::new(command.clone())
        .title(title)
        .render(out)
        .map_err(|e| CommandError::new(format!("cannot render the manual page: {e}")))
}

/// `name.1` for `command`, then each subcommand's as `name-sub.1`.
fn write_pages(
    command: &clap::Command,
    name: &str,
    dir: &std::path::Path,
    written: &mut usize,
) -> Result<(), CommandError> {
    let mut page = Vec::new();
    // Named as typed: `incident action add`, not `add`.
    let typed = name.replace('-', " ");
    let named = command.clone().bin_name(typed.clone()).display_name(typed);
    render(&named, name, &mut page)?;
    let path = dir.join(format!("{name}.1"));
    crate::ui::report::write_file(&path, &page)?;
    *written += 1;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        write_pages(sub, &format!("{name}-{}", sub.get_name()), dir, written)?;
    }
    Ok(())
}
