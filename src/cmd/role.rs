//! `incident role`: name who holds a role in an incident (commander, scribe, comms, or one of
//! the team's own), or clear it; every change is a timeline entry.

use super::args::{IncidentRef, incident_ref};
use crate::app::App;
use crate::app::record;
use crate::domain::roles;
use crate::ui::error::CommandError;
use crate::ui::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident: its number, or 6+ hex digits of its UUID
    #[arg(value_parser = incident_ref)]
    pub number: IncidentRef,
    /// commander, scribe, comms, or a role of your own (letters, digits, - and _: db-lead)
    pub role: String,
    /// Who holds it now; `-` clears it. The opener is commander until someone else is named
    #[arg(allow_hyphen_values = true)]
    pub who: String,
    /// When the change happened (TIME) [default: now]
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let number = app.number(&args.number)?;
    let role = roles::role_name(&args.role)?;
    let who = match args.who.trim() {
        "-" => None,
        "" => {
            return Err(
                CommandError::new("the role's holder is empty").with_hint(format!(
                    "name someone, or clear it: `incident role {number} {role} -`"
                )),
            );
        }
        w if w.contains(['\n', '\r']) => {
            return Err(CommandError::new("the role's holder is more than one line")
                .with_hint("give one name, like alice or \"Alice Chen\""));
        }
        w => Some(w.to_string()),
    };
    let at = app.time(args.at.as_deref())?;
    let (incident, changed) = app.write(|txn, actor| {
        let mut change = record::begin(txn, actor, "the role change", number, at)?;
        let changed = change.set_role(&role, who.as_deref());
        Ok((record::save(txn, actor, change)?, changed))
    })?;
    let now = match incident.roles.get(&role) {
        Some(w) => format!("{role} {w}"),
        None => format!("no {role}"),
    };
    if changed {
        output::status(&format!("incident {}: {now}", incident.number));
    } else {
        output::status(&format!(
            "incident {}: nothing changed; {now} already",
            incident.number
        ));
    }
    Ok(())
}
