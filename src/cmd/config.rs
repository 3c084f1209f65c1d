//! `incident config`: print the commented default config, or the settings in effect.

use crate::app::App;
use crate::config::DEFAULT_CONFIG;
use crate::domain::model::Severity;
use crate::domain::time::human_duration;
use crate::ui::error::CommandError;
use crate::ui::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub what: What,
}

#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// Print the default config, commented; a starting point for config.toml
    Default,
    /// Print the settings in effect: database, config file, author (and where that name comes
    /// from), templates, team log, SLA targets and calendars
    Show,
}

/// `config show`'s author line: the name the next change is recorded under, where it comes
/// from, and where the fallback is remembered (docs/author.md).
fn author_line(s: &crate::config::Settings) -> String {
    // The name the next change is recorded under, and where it comes from.
    let author = match &s.author {
        Some(name) => format!("{name} (--author, INCIDENT_AUTHOR or the config)"),
        None => {
            // Resolved again here, and remembered: `config show` is the refresh.
            let fallback = crate::config::resolve_fallback_author();
            let mut line = match fallback.from {
                Some(from) => format!("{} (from {from})", fallback.name),
                None => format!(
                    "{} (no git user.name or $USER: set --author, INCIDENT_AUTHOR or author)",
                    fallback.name
                ),
            };
            match &fallback.remembered_in {
                Some(path) => line.push_str(&format!(
                    "\n           remembered in {}: writes reuse it until $USER or git's config files change; `config show` resolves it again",
                    path.display()
                )),
                None => line.push_str(
                    "\n           not remembered (no writable HOME or XDG_CACHE_HOME): every write asks git again",
                ),
            }
            line
        }
    };
    format!("author     {author}\n")
}

/// `config default`: needs no settings (`cmd::run` calls it before reading them), so it works
/// where the config is broken.
pub fn print_default() -> Result<(), CommandError> {
    output::out(DEFAULT_CONFIG)
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    match args.what {
        What::Default => print_default(),
        What::Show => {
            let s = &app.settings;
            let mut text = format!("database   {}\n", s.db.display());
            let config = s.config_file.as_ref().map(|p| p.display().to_string());
            text.push_str(&format!(
                "config     {}\n",
                config.as_deref().unwrap_or("(none; built-in defaults)")
            ));
            text.push_str(&author_line(s));
            let templates = s.templates.as_ref().map(|p| p.display().to_string());
            text.push_str(&format!(
                "templates  {}\n",
                templates.as_deref().unwrap_or("(built-in)")
            ));
            match &s.team {
                Some(t) => text.push_str(&format!(
                    "team log   {} (schema {}, timeout {})\n",
                    crate::team::display_url(&t.url),
                    t.schema,
                    humantime::format_duration(t.timeout)
                )),
                None => text.push_str("team log   (none; this copy alone)\n"),
            }
            text.push_str(&sla_lines(s));
            let c = &s.collectors;
            let mut sources: Vec<String> = Vec::new();
            if let Some(k) = &c.kubernetes {
                sources.push(format!("kubernetes ({})", k.namespaces.join(", ")));
            }
            sources.extend(c.databases.iter().map(|d| format!("database {}", d.name)));
            sources.extend(c.redis.iter().map(|r| format!("redis {}", r.name)));
            sources.extend(c.commands.iter().map(|x| format!("command {}", x.name)));
            text.push_str(&format!(
                "snapshots  {}\n",
                if sources.is_empty() {
                    "(no collectors)".to_string()
                } else {
                    sources.join(", ")
                }
            ));
            let r = &s.reminders;
            let shares: Vec<String> = r.at.iter().map(|a| format!("{:.0}%", a * 100.0)).collect();
            let cadence: Vec<String> = crate::domain::model::Severity::ALL
                .into_iter()
                .filter_map(|sev| {
                    let every = r.update_every(sev)?;
                    Some(format!("{sev} {}", human_duration(every.as_secs() as i64)))
                })
                .collect();
            text.push_str(&format!(
                "reminders  at {} of a window; repeat P1 {}, P2 {}, P3 {}; stale after {}; updates {}\n",
                if shares.is_empty() { "none".to_string() } else { shares.join(", ") },
                human_duration(r.repeat_p1.as_secs() as i64),
                human_duration(r.repeat_p2.as_secs() as i64),
                human_duration(r.repeat_p3.as_secs() as i64),
                human_duration(r.stale.as_secs() as i64),
                if cadence.is_empty() { "not expected".to_string() } else { format!("every {}", cadence.join(", ")) },
            ));
            let h = &s.health;
            let w = &h.weights;
            let a = &c.data_age;
            text.push_str(&format!(
                "health     P1 below {} or data over {}, P2 below {} or over {}, P3 below {} or over {}; recovered after {} healthy checks\n\
                 weights    freshness {}, pods {}, cronjobs {}, jobs {}, databases {}, redis {}, commands {}\n",
                h.below[0],
                human_duration(a.critical.as_secs() as i64),
                h.below[1],
                human_duration(a.warning.as_secs() as i64),
                h.below[2],
                human_duration(a.info.as_secs() as i64),
                h.recover_after,
                w.freshness, w.pods, w.cronjobs, w.jobs, w.databases, w.redis, w.commands,
            ));
            let channels: Vec<&str> = s.channels.iter().map(|c| c.name.as_str()).collect();
            text.push_str(&format!(
                "notify     stdout{}\n",
                channels
                    .iter()
                    .map(|c| format!(", {c}"))
                    .collect::<String>()
            ));
            output::out(&text)
        }
    }
}

/// The SLA targets, the calendars their clocks count on, and every calendar defined.
fn sla_lines(s: &crate::config::Settings) -> String {
    let mut text = String::new();
    let on = |c: Option<&crate::domain::calendar::Calendar>| match c {
        Some(c) => format!(" (on calendar {})", c.name),
        None => String::new(),
    };
    for sev in Severity::ALL {
        let t = s.policy.target(sev);
        text.push_str(&format!(
            "sla {sev}     respond {}, resolve {}{}\n",
            human_duration(t.respond.as_secs() as i64),
            human_duration(t.resolve.as_secs() as i64),
            on(s.policy.calendar(sev))
        ));
    }
    text.push_str(&format!(
        "post-mortem due {} after resolution{}\n",
        human_duration(s.policy.postmortem.as_secs() as i64),
        on(s.policy.postmortem_calendar.as_ref())
    ));
    if s.calendars.is_empty() {
        text.push_str("calendars  (none; every clock counts every hour)\n");
    }
    for calendar in s.calendars.values() {
        let span = match (calendar.holidays.first(), calendar.holidays.last()) {
            (Some(a), Some(b)) => format!(", {a} to {b}"),
            _ => String::new(),
        };
        text.push_str(&format!("calendar   {}{span}\n", calendar.describe()));
    }
    text
}
