//! `incident team`: create, upgrade and inspect the team log in PostgreSQL.

use crate::app::App;
use crate::app::purge::PurgeError;
use crate::team::{Team, display_url};
use crate::ui::error::CommandError;
use crate::ui::output;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create the team log's schema in PostgreSQL ([team] url and schema); run as its owner
    Init,
    /// Upgrade the team log's schema to this binary's version; run as its owner
    Migrate,
    /// The team log: where it is (without secrets), its version, and who pushed lately
    Status {
        /// One JSON object, for scripts
        #[arg(long)]
        json: bool,
    },
    /// Replace a secret pasted into a pushed event with a tombstone on every working copy (as
    /// the team log's owner): the event keeps its place in the timeline, its words become
    /// "[purged by WHO at TIME: REASON]" in the team log now and on each copy at its next pull,
    /// and the team log records who purged what, when and why. Notes, field changes and
    /// command lines can be purged; openings, status and severity changes cannot
    Purge {
        /// The event: its UUID, or at least its first 8 hex digits (`incident show N --json`
        /// lists them, timeline[].uuid)
        event: String,
        /// Why (shown to everyone in the tombstone; do not repeat the secret)
        #[arg(long)]
        reason: String,
        /// One JSON object: event, kind, incident, purged {by, at, reason}, tombstone, here
        #[arg(long)]
        json: bool,
    },
}

pub fn run(app: &App, cmd: Command) -> Result<(), CommandError> {
    let Some(settings) = &app.settings.team else {
        return Err(CommandError::new("no team log is configured").with_hint(
            "add [team] url = \"postgres://incident@db.example/incidents\" to the config \
             (`incident config default` documents it), or set $INCIDENT_TEAM_URL; \
             --offline turns it off",
        ));
    };
    if let Command::Purge {
        event,
        reason,
        json,
    } = cmd
    {
        return purge(app, settings, &event, &reason, json);
    }
    let mut team = Team::connect(settings, &|k| std::env::var(k).ok())?;
    let shown = display_url(&settings.url);
    match cmd {
        Command::Init => {
            let done = team.init()?;
            output::status(&format!(
                "created the team log '{}' at version {} in {shown}",
                done.schema, done.to
            ));
            Ok(())
        }
        Command::Migrate => {
            let done = team.migrate()?;
            let line = if done.newer_than_known {
                format!(
                    "the team log '{}' is at version {}, newer than this binary knows ({}); it still accepts this binary, nothing to do",
                    done.schema,
                    done.from,
                    crate::team::schema::latest()
                )
            } else if done.from == done.to {
                format!(
                    "the team log '{}' is up to date (version {})",
                    done.schema, done.to
                )
            } else {
                format!(
                    "upgraded the team log '{}' from version {} to {}",
                    done.schema, done.from, done.to
                )
            };
            output::status(&line);
            Ok(())
        }
        Command::Status { json } => {
            let status = team.status(&settings.url)?;
            let here = here(app)?;
            if json {
                let mut value = serde_json::to_value(&status)
                    .map_err(|e| CommandError::new(format!("cannot write JSON: {e}")))?;
                value["here"] = serde_json::to_value(&here)
                    .map_err(|e| CommandError::new(format!("cannot write JSON: {e}")))?;
                return output::out_json(&value);
            }
            let mut text = format!(
                "team log   {}\nschema     {} (version {}, accepts incident {} and newer)\nholds      {} incidents, {} events\n",
                status.url,
                status.schema,
                status.version,
                status.min_binary,
                status.incidents,
                status.events
            );
            if status.clients.is_empty() {
                text.push_str("pushed     nobody in the last 7 days\n");
            }
            for c in &status.clients {
                text.push_str(&format!(
                    "pushed     {} ({}) at {}\n",
                    c.author,
                    c.client_id,
                    c.last_push.as_deref().unwrap_or("-")
                ));
            }
            text.push_str(&format!(
                "this copy  {}, last pushed {}, {} change{} waiting\n",
                here.client_id.as_deref().unwrap_or("(never pushed)"),
                here.last_sync.as_deref().unwrap_or("never"),
                here.waiting,
                if here.waiting == 1 { "" } else { "s" }
            ));
            output::out(&text)
        }
        Command::Purge { .. } => unreachable!("handled before connecting"),
    }
}

fn purge(
    app: &App,
    settings: &crate::config::TeamSettings,
    event: &str,
    reason: &str,
    json: bool,
) -> Result<(), CommandError> {
    let done = crate::app::purge::purge(app, settings, event, reason).map_err(|e| {
        let hint = e.hint();
        match (e, hint) {
            (PurgeError::Sync(e), _) => CommandError::from(e),
            (e, Some(hint)) => CommandError::new(e.to_string()).with_hint(hint),
            (e, None) => CommandError::new(e.to_string()),
        }
    })?;
    if json {
        let value = serde_json::to_value(&done)
            .map_err(|e| CommandError::new(format!("cannot write JSON: {e}")))?;
        return output::out_json(&value);
    }
    let incident = done
        .incident
        .map_or_else(String::new, |n| format!(" of incident {n}"));
    output::status(&format!(
        "purged {} {}{incident}: {}; every working copy shows it from its next pull",
        done.kind, done.event, done.tombstone
    ));
    Ok(())
}

/// This working copy's side of the sharing.
#[derive(Debug, serde::Serialize)]
struct Here {
    client_id: Option<String>,
    last_sync: Option<String>,
    waiting: i64,
}

fn here(app: &App) -> Result<Here, CommandError> {
    if !app.settings.db.exists() {
        return Ok(Here {
            client_id: None,
            last_sync: None,
            waiting: 0,
        });
    }
    Ok(app.read(|txn| {
        let seen = txn.sync_seen()?;
        Ok(Here {
            client_id: seen.as_ref().map(|s| s.client_id.clone()),
            last_sync: seen
                .and_then(|s| s.last_sync)
                .map(crate::domain::time::to_rfc3339),
            waiting: txn.events_waiting()?,
        })
    })?)
}
