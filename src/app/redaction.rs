//! Redaction set up for what a command records: the built-in rules, plus the values of every
//! `${VAR}` the config refers to (database and Redis urls, commands, notify channels).

use super::App;
use crate::domain::remind::ChannelKind;
use crate::evidence::redact::Redactor;

/// The rules plus the values of the secrets the config refers to as `${VAR}` (database and
/// Redis urls, command arguments, notification urls and commands), as snapshots redact them: a
/// log or a command's output holds a database password as easily as a collector's error does.
/// A variable that is not set has no value to hide and is skipped, so that attaching never
/// depends on the collectors' environment.
pub fn redactor(app: &App) -> Redactor {
    let settings = &app.settings;
    let collectors = &settings.collectors;
    let mut texts: Vec<&str> = Vec::new();
    texts.extend(collectors.databases.iter().map(|d| d.url.as_str()));
    texts.extend(collectors.redis.iter().map(|r| r.url.as_str()));
    for command in &collectors.commands {
        texts.extend(command.run.iter().map(String::as_str));
    }
    for channel in &settings.channels {
        match &channel.kind {
            ChannelKind::Webhook { url, .. } => texts.push(url),
            ChannelKind::Command { run } => texts.extend(run.iter().map(String::as_str)),
        }
    }
    let values = texts
        .into_iter()
        .flat_map(crate::domain::env::env_references)
        .filter_map(|name| std::env::var(name).ok())
        .filter(|value| !value.is_empty());
    Redactor::new(values)
}
