//! The `[reminders]` and `[[notify]]` sections of the config.

use super::{ConfigError, MAX_INTERVAL, MAX_TIMEOUT, Source};
use crate::domain::remind::{Channel, ChannelKind, Reminders, WebhookFormat};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RemindersFile {
    approaching: Option<Spanned<f64>>,
    at: Option<Spanned<Vec<f64>>>,
    repeat: Option<BTreeMap<String, Spanned<String>>>,
    stale: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NotifyFile {
    name: Option<String>,
    kind: Spanned<String>,
    url: Option<String>,
    format: Option<Spanned<String>>,
    run: Option<Vec<String>>,
    timeout: Option<Spanned<String>>,
}

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// `[reminders] at`, or `approaching = x` meaning `at = [x]`: each share in (0, 1), sorted,
/// duplicates dropped. An empty `at` reminds of no share.
fn shares(src: &Source, file: &RemindersFile) -> Result<Vec<f64>, ConfigError> {
    let (key, at, values) = match (&file.approaching, &file.at) {
        (Some(_), Some(at)) => {
            return Err(src.invalid(
                at.span().start,
                "reminders: set either at or approaching, not both (approaching = 0.75 means at = [0.75])".into(),
            ));
        }
        (Some(a), None) => ("approaching", a.span().start, vec![*a.get_ref()]),
        (None, Some(at)) => ("at", at.span().start, at.get_ref().clone()),
        (None, None) => return Ok(Reminders::default().at),
    };
    let mut shares = Vec::with_capacity(values.len());
    for share in values {
        if !(share > 0.0 && share < 1.0) {
            return Err(src.invalid(
                at,
                format!("reminders.{key}: {share} is not a share of the window between 0 and 1 (exclusive), like 0.75"),
            ));
        }
        shares.push(share);
    }
    shares.sort_by(f64::total_cmp);
    // Two shares one millionth apart are one reminder (its key is in millionths).
    shares.dedup_by_key(|s| crate::domain::remind::due::Level::at(*s));
    Ok(shares)
}

pub(super) fn resolve(
    src: &Source,
    reminders: Option<&RemindersFile>,
    notify: &[Spanned<NotifyFile>],
) -> Result<(Reminders, Vec<Channel>), ConfigError> {
    let mut r = Reminders::default();
    if let Some(file) = reminders {
        r.at = shares(src, file)?;
        for (severity, value) in file.repeat.iter().flatten() {
            let d = src.duration(&format!("reminders.repeat.{severity}"), value, MAX_INTERVAL)?;
            match severity.as_str() {
                "P1" => r.repeat_p1 = d,
                "P2" => r.repeat_p2 = d,
                "P3" => r.repeat_p3 = d,
                other => {
                    return Err(src.invalid(
                        value.span().start,
                        format!("reminders.repeat.{other:?}: the severities are P1, P2 and P3"),
                    ));
                }
            }
        }
        if let Some(s) = &file.stale {
            r.stale = src.duration("reminders.stale", s, MAX_INTERVAL)?;
        }
    }
    let mut channels: Vec<Channel> = Vec::new();
    for (i, n) in notify.iter().enumerate() {
        let spec = n.get_ref();
        let at = n.span().start;
        let kind = match spec.kind.get_ref().as_str() {
            "webhook" => {
                let Some(url) = spec.url.clone().filter(|u| {
                    u.starts_with("http://") || u.starts_with("https://") || u.starts_with("${")
                }) else {
                    return Err(src.invalid(
                        at,
                        "a webhook needs url = \"http://…\", \"https://…\" or \"${VAR}\"".into(),
                    ));
                };
                let format = match spec.format.as_ref().map(|f| f.get_ref().as_str()) {
                    None | Some("slack") => WebhookFormat::Slack,
                    Some("json") => WebhookFormat::Json,
                    Some("teams") => WebhookFormat::Teams,
                    Some(other) => {
                        let hint = if other.eq_ignore_ascii_case("mattermost") {
                            " (Mattermost takes slack)"
                        } else {
                            ""
                        };
                        return Err(src.invalid(
                            spec.format.as_ref().map_or(at, |f| f.span().start),
                            format!("notify format = {other:?}: use slack, teams or json{hint}"),
                        ));
                    }
                };
                ChannelKind::Webhook { url, format }
            }
            "command" => match &spec.run {
                Some(run) if !run.is_empty() && !run[0].trim().is_empty() => {
                    ChannelKind::Command { run: run.clone() }
                }
                _ => {
                    return Err(src.invalid(
                        at,
                        "a command channel needs run = [\"program\", \"arg\", …]".into(),
                    ));
                }
            },
            other => {
                return Err(src.invalid(
                    spec.kind.span().start,
                    format!("notify kind = {other:?}: use webhook or command"),
                ));
            }
        };
        let name = spec
            .name
            .clone()
            .unwrap_or_else(|| format!("{}-{}", spec.kind.get_ref(), i + 1));
        if name == "stdout" || channels.iter().any(|c| c.name == name) {
            return Err(src.invalid(
                at,
                format!("notify name {name:?} is used twice (stdout is taken)"),
            ));
        }
        let timeout = match &spec.timeout {
            Some(t) => src.duration(&format!("notify {name:?} timeout"), t, MAX_TIMEOUT)?,
            None => DEFAULT_TIMEOUT,
        };
        channels.push(Channel {
            name,
            kind,
            timeout,
        });
    }
    Ok((r, channels))
}

#[cfg(test)]
mod tests {
    use crate::domain::remind::{ChannelKind, WebhookFormat};

    use crate::config::load_text;

    #[test]
    fn the_issues_shape_resolves() {
        let s = load_text(
            "[reminders]\napproaching = 0.75\nrepeat = { P1 = \"15m\", P2 = \"1h\", P3 = \"4h\" }\n[[notify]]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:8080/hook\"\nformat = \"slack\"\n[[notify]]\nkind = \"command\"\nrun = [\"mail\", \"-s\", \"incident\", \"oncall@example.com\"]\n",
        )
        .unwrap();
        assert_eq!(s.reminders.at, [0.75]);
        assert_eq!(s.reminders.repeat_p2.as_secs(), 3_600);
        assert_eq!(s.channels.len(), 2);
        assert_eq!(s.channels[0].name, "webhook-1");
        assert_eq!(
            s.channels[0].kind,
            ChannelKind::Webhook {
                url: "http://127.0.0.1:8080/hook".into(),
                format: WebhookFormat::Slack
            }
        );
        assert_eq!(s.channels[1].name, "command-2");
        let s = load_text(
            "[[notify]]\nkind = \"webhook\"\nurl = \"${TEAMS_WORKFLOW_URL}\"\nformat = \"teams\"\n",
        )
        .unwrap();
        assert_eq!(
            s.channels[0].kind,
            ChannelKind::Webhook {
                url: "${TEAMS_WORKFLOW_URL}".into(),
                format: WebhookFormat::Teams
            }
        );
    }

    #[test]
    fn shares_are_sorted_and_deduplicated_and_approaching_is_one_share() {
        let s = load_text("[reminders]\nat = [0.9, 0.5, 0.75, 0.5]\n").unwrap();
        assert_eq!(s.reminders.at, [0.5, 0.75, 0.9]);
        let s = load_text("[reminders]\napproaching = 0.6\n").unwrap();
        assert_eq!(s.reminders.at, [0.6]);
        let s = load_text("[reminders]\nat = []\n").unwrap();
        assert!(s.reminders.at.is_empty());
        let s = load_text("[sla.P1]\nupdate_every = \"30m\"\n[sla.P3]\nupdate_every = \"1d\"\n")
            .unwrap();
        let every = |sev| s.reminders.update_every(sev).map(|d| d.as_secs());
        use crate::domain::model::Severity;
        assert_eq!(every(Severity::P1), Some(1_800));
        assert_eq!(every(Severity::P2), None);
        assert_eq!(every(Severity::P3), Some(86_400));
    }

    #[test]
    fn bad_reminder_config_points_at_the_line() {
        for (text, line, needle) in [
            ("[reminders]\napproaching = 1.5\n", 2, "between 0 and 1"),
            ("[reminders]\nat = [0.5, 1]\n", 2, "1 is not a share"),
            (
                "[reminders]\nat = [0.5, -0.25]\n",
                2,
                "-0.25 is not a share",
            ),
            (
                "[reminders]\napproaching = 0.75\n\nat = [0.5, 0.75]\n",
                4,
                "set either at or approaching, not both",
            ),
            (
                "[sla.P1]\nupdate_every = \"2d\"\n",
                2,
                "sla.P1.update_every",
            ),
            (
                "[sla.P2]\nrespond = \"1h\"\nupdate_every = \"0s\"\n",
                3,
                "sla.P2.update_every",
            ),
            (
                "[reminders]\nrepeat = { P4 = \"1h\" }\n",
                2,
                "P1, P2 and P3",
            ),
            (
                "[[notify]]\nkind = \"pager\"\n",
                2,
                "use webhook or command",
            ),
            ("[[notify]]\nkind = \"webhook\"\n", 1, "needs url"),
            (
                "[[notify]]\nkind = \"webhook\"\nurl = \"http://x\"\nformat = \"xml\"\n",
                4,
                "use slack, teams or json",
            ),
            (
                "[[notify]]\nkind = \"webhook\"\nurl = \"http://x\"\nformat = \"mattermost\"\n",
                4,
                "(Mattermost takes slack)",
            ),
        ] {
            let err = load_text(text).unwrap_err().to_string();
            assert!(err.contains(&format!("line {line}: ")), "{text}: {err}");
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
