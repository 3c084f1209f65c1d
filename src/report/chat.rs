//! Messages for chat: what a reminder, the monitor or the intake says about one incident, laid
//! out as Slack's Block Kit (which Mattermost reads through its `text`) and as a Microsoft
//! Teams Adaptive Card. The plain line stays the fallback everywhere.

use crate::domain::model::Incident;
use crate::domain::time::{self, Timestamp};
use serde_json::{Value, json};

/// What a message says about its incident, for the chat layouts.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub number: i64,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub commander: Option<String>,
    /// What happened or is due, one line: "response OVERDUE by 5m", "opened from Alertmanager".
    pub headline: String,
    /// The clock that is due.
    pub clock: Option<Clock>,
    /// The command that deals with it.
    pub next: Option<String>,
    /// The incident's board page (`[serve] public_url`).
    pub url: Option<String>,
}

/// A deadline, as seen at `at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Clock {
    /// "response", "fix", "post-mortem", "action 7", "update".
    pub label: String,
    pub deadline: Timestamp,
    pub at: Timestamp,
}

impl Clock {
    /// How much is left, or how late: "12m left", "OVERDUE by 5m".
    pub fn remaining(&self) -> String {
        crate::domain::sla::clock(self.deadline, None, self.at).words()
    }

    pub fn late(&self) -> bool {
        self.deadline < self.at
    }

    /// The deadline in UTC, the same for every reader: `2026-11-29 09:55 UTC`.
    pub fn utc(&self) -> String {
        format!("{} UTC", self.deadline.format("%Y-%m-%d %H:%M"))
    }
}

impl Card {
    /// The incident as it stands at `at`, with the SLA clock that runs now (none while paused
    /// or once closed).
    pub fn of(incident: &Incident, at: Timestamp, headline: String, url: Option<String>) -> Card {
        Card {
            number: incident.number.0,
            title: incident.title.clone(),
            severity: incident.severity.to_string(),
            status: incident.status.to_string(),
            commander: crate::domain::roles::commander(incident).map(str::to_string),
            headline,
            clock: running_clock(incident, at),
            next: None,
            url,
        }
    }

    /// `[P1] Incident 3: title`, at most 150 characters (Block Kit's header limit).
    fn heading(&self) -> String {
        cut(
            &format!(
                "[{}] Incident {}: {}",
                self.severity, self.number, self.title
            ),
            150,
        )
    }
}

/// `text` cut to `max` characters with an ellipsis: Block Kit refuses a whole message whose
/// header passes 150 characters or a section text 3000.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// The clock an incident runs at `at`: response until acknowledged, then fix until resolved,
/// then the post-mortem until published or closed.
fn running_clock(i: &Incident, at: Timestamp) -> Option<Clock> {
    if i.paused_at.is_some() {
        return None;
    }
    let (label, deadline) = if i.status.is_unresolved() {
        match i.acknowledged_at {
            None => ("response", i.due.respond),
            Some(_) => ("fix", i.due.resolve),
        }
    } else if i.status == crate::domain::model::Status::Resolved && i.published_at.is_none() {
        ("post-mortem", i.due.postmortem?)
    } else {
        return None;
    };
    Some(Clock {
        label: label.to_string(),
        deadline,
        at,
    })
}

/// `&`, `<` and `>` as Slack asks, so that text cannot plant a link or a `<!channel>` ping.
pub fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The Slack body: `text` is the line (notifications and clients without blocks, Mattermost
/// among them, show it), `blocks` lay the same out.
pub fn slack(line: &str, card: Option<&Card>) -> Value {
    let text = slack_escape(line);
    let Some(c) = card else {
        return json!({ "text": text });
    };
    let mut fields = vec![
        json!({"type": "mrkdwn", "text": format!("*Severity*\n{}", c.severity)}),
        json!({"type": "mrkdwn", "text": format!("*Status*\n{}", c.status)}),
    ];
    if let Some(clock) = &c.clock {
        // Slack shows `<!date^…>` in the reader's own time zone; the UTC text is its fallback.
        let when = format!(
            "<!date^{}^{{date_short_pretty}} {{time}}|{}>",
            clock.deadline.timestamp(),
            clock.utc()
        );
        fields.push(json!({
            "type": "mrkdwn",
            "text": format!("*{} due*\n{when} ({})", capitalised(&slack_escape(&clock.label)), clock.remaining()),
        }));
    }
    if let Some(commander) = &c.commander {
        fields.push(
            json!({"type": "mrkdwn", "text": format!("*Commander*\n{}", slack_escape(commander))}),
        );
    }
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": c.heading(), "emoji": false}}),
        json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": cut(&format!("*{}*", slack_escape(&capitalised(&c.headline))), 3000)},
            "fields": fields,
        }),
    ];
    if let Some(next) = &c.next {
        blocks.push(json!({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": format!("Next: `{}`", slack_escape(next))}],
        }));
    }
    if let Some(url) = &c.url {
        blocks.push(json!({
            "type": "actions",
            "elements": [{
                "type": "button",
                "text": {"type": "plain_text", "text": format!("Open incident {}", c.number)},
                "url": url,
                "action_id": "open-incident",
            }],
        }));
    }
    json!({ "text": text, "blocks": blocks })
}

/// The Teams body for a workflow's "when a Teams webhook request is received": a message with
/// one Adaptive Card 1.4. Teams writes `{{DATE(…)}}` and `{{TIME(…)}}` in the reader's time.
pub fn teams(line: &str, card: Option<&Card>) -> Value {
    let mut body = Vec::new();
    let mut actions = Vec::new();
    match card {
        None => body.push(json!({"type": "TextBlock", "text": line, "wrap": true})),
        Some(c) => {
            body.push(json!({
                "type": "TextBlock", "text": c.heading(), "wrap": true,
                "size": "Large", "weight": "Bolder", "style": "heading",
            }));
            let late = c.clock.as_ref().is_some_and(Clock::late);
            body.push(json!({
                "type": "TextBlock", "text": capitalised(&c.headline), "wrap": true,
                "weight": "Bolder", "color": if late { "Attention" } else { "Default" },
            }));
            let mut facts = vec![
                json!({"title": "Severity", "value": c.severity}),
                json!({"title": "Status", "value": c.status}),
            ];
            if let Some(commander) = &c.commander {
                facts.push(json!({"title": "Commander", "value": commander}));
            }
            body.push(json!({"type": "FactSet", "facts": facts}));
            if let Some(clock) = &c.clock {
                let at = time::to_rfc3339(clock.deadline);
                body.push(json!({
                    "type": "TextBlock", "wrap": true,
                    "text": format!(
                        "{} due {{{{DATE({at}, SHORT)}}}} {{{{TIME({at})}}}} ({}; {})",
                        capitalised(&clock.label), clock.utc(), clock.remaining()
                    ),
                }));
            }
            if let Some(next) = &c.next {
                body.push(json!({
                    "type": "TextBlock", "text": format!("Next: {next}"), "wrap": true,
                    "isSubtle": true, "fontType": "Monospace",
                }));
            }
            if let Some(url) = &c.url {
                actions.push(json!({
                    "type": "Action.OpenUrl", "title": format!("Open incident {}", c.number), "url": url,
                }));
            }
        }
    }
    let mut content = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "fallbackText": line,
        "msteams": {"width": "Full"},
        "body": body,
    });
    if !actions.is_empty() {
        content["actions"] = Value::Array(actions);
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": content,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::from_rfc3339;

    fn card() -> Card {
        Card {
            number: 12,
            title: "x".repeat(300),
            severity: "P2".into(),
            status: "INVESTIGATING".into(),
            commander: Some("bob_o'neil <b@x>".into()),
            headline: "fix: 2h left".into(),
            clock: Some(Clock {
                label: "fix".into(),
                deadline: from_rfc3339("2026-11-29T12:00:00Z").unwrap(),
                at: from_rfc3339("2026-11-29T10:00:00Z").unwrap(),
            }),
            next: Some("incident resolve 12 --resolution TEXT".into()),
            url: None,
        }
    }

    #[test]
    fn a_long_title_is_cut_to_the_header_limit_and_mrkdwn_is_escaped() {
        let c = card();
        let v = slack("line <x>", Some(&c));
        let header = v["blocks"][0]["text"]["text"].as_str().unwrap();
        assert_eq!(header.chars().count(), 150);
        assert!(header.starts_with("[P2] Incident 12: xxx") && header.ends_with('…'));
        assert_eq!(v["text"], "line &lt;x&gt;");
        let fields = v["blocks"][1]["fields"].to_string();
        assert!(fields.contains("bob_o'neil &lt;b@x&gt;"), "{fields}");
        assert!(fields.contains("(2h left)"), "{fields}");
        assert!(
            v["blocks"].as_array().unwrap().len() == 3,
            "no link, no actions block"
        );
    }

    #[test]
    fn a_clock_says_what_is_left_or_how_late() {
        let mut c = card().clock.unwrap();
        assert_eq!((c.remaining(), c.late()), ("2h left".to_string(), false));
        c.at = from_rfc3339("2026-11-29T12:30:00Z").unwrap();
        assert_eq!(
            (c.remaining(), c.late()),
            ("OVERDUE by 30m".to_string(), true)
        );
        assert_eq!(c.utc(), "2026-11-29 12:00 UTC");
    }

    #[test]
    fn without_a_card_slack_gets_the_text_and_teams_a_card_of_it() {
        assert_eq!(slack("a & b", None), json!({"text": "a &amp; b"}));
        let t = teams("a & b", None);
        assert_eq!(t["type"], "message");
        assert_eq!(t["attachments"][0]["content"]["body"][0]["text"], "a & b");
        assert!(t["attachments"][0]["content"].get("actions").is_none());
    }
}
