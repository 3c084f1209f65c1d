//! A reminder in words: the context `templates/reminder.txt` receives, the text it renders, and
//! the bodies sent to webhooks.

use crate::domain::model::{ActionItem, Incident};
use crate::domain::remind::WebhookFormat;
use crate::domain::remind::due::{Kind, Reminder};
use crate::domain::time::{self, Timestamp};
use crate::report::chat::{self, Card, Clock};
use crate::report::render::{RenderError, Templates};
use serde_json::{Value, json};

/// The template every reminder is rendered with.
pub const TEMPLATE: &str = "reminder.txt";

/// A reminder ready to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// What the template rendered, trimmed.
    pub text: String,
    /// The template's context, which the JSON webhook body and `--json` carry too.
    pub context: Value,
    /// The same about its incident, for the Slack and Teams layouts (none: the text alone).
    pub card: Option<Card>,
}

impl Message {
    pub fn render(
        templates: &Templates,
        context: Value,
        card: Option<Card>,
    ) -> Result<Message, RenderError> {
        let text = templates.render(TEMPLATE, &context)?.trim().to_string();
        Ok(Message {
            text,
            context,
            card,
        })
    }

    /// The text on one line, for stdout: one line per reminder, whatever the template does.
    pub fn line(&self) -> String {
        self.text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The context with the text added: the generic JSON webhook body and a `--json` line.
    pub fn json(&self) -> Value {
        let mut v = self.context.clone();
        v["text"] = Value::String(self.text.clone());
        v
    }

    /// What a webhook of this format is sent. The JSON format carries the delivery's stable
    /// id as `delivery_id` (Slack's and Teams' take only their own fields; the headers carry
    /// it there). Slack reads `<…>` in text as a link or a mention (`<!channel>` pings
    /// everyone), so a title cannot plant one: `&`, `<` and `>` are escaped as Slack asks.
    pub fn webhook_body(&self, format: WebhookFormat, delivery: &str) -> String {
        match format {
            WebhookFormat::Slack => chat::slack(&self.text, self.card.as_ref()).to_string(),
            WebhookFormat::Teams => chat::teams(&self.text, self.card.as_ref()).to_string(),
            WebhookFormat::Json => {
                let mut v = self.json();
                v["delivery_id"] = Value::String(delivery.to_string());
                v.to_string()
            }
        }
    }
}

/// What the template receives for one reminder evaluated at `at`: the incident, what is due,
/// how late (or how much time is left), the command that deals with it, and (with `[serve]
/// public_url`) the incident's board page as `url`.
pub fn context(
    r: &Reminder,
    incident: &Incident,
    action: Option<&ActionItem>,
    at: Timestamp,
    url: Option<&str>,
) -> Value {
    let late = r.level.late();
    // How late, how much is left, or (stale) how long it has been quiet.
    let seconds = match (r.kind, &r.level) {
        (Kind::Stale | Kind::Update, crate::domain::remind::due::Level::Stale(since)) => {
            at.signed_duration_since(*since).num_seconds()
        }
        _ if late => at.signed_duration_since(r.deadline).num_seconds(),
        _ => r.deadline.signed_duration_since(at).num_seconds(),
    }
    .max(0);
    let since = match &r.level {
        crate::domain::remind::due::Level::Stale(since) => Some(time::to_rfc3339(*since)),
        _ => None,
    };
    let mut context = json!({
        "incident": {
            "number": incident.number,
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
            "commander": crate::domain::roles::commander(incident),
        },
        "kind": r.kind.as_str(),
        "clock": r.kind.clock_label(),
        "level": r.level.key(),
        "repeat": r.level.repeat(),
        "late": late,
        "seconds": seconds,
        "due_at": time::to_rfc3339(r.due_at),
        "deadline": time::to_rfc3339(r.deadline),
        "since": since,
        "action": action.map(|a| json!({"id": a.id, "text": a.text, "owner": a.owner})),
        "next": next_command(r, incident),
        "at": time::to_rfc3339(at),
    });
    if let Some(url) = url {
        context["url"] = Value::String(url.to_string());
    }
    context
}

/// The reminder for the chat layouts: what is due or how late, with its deadline.
pub fn card(
    r: &Reminder,
    incident: &Incident,
    action: Option<&ActionItem>,
    at: Timestamp,
    url: Option<&str>,
) -> Card {
    let mut card = Card::of(incident, at, String::new(), url.map(str::to_string));
    let quiet = |since: &Timestamp| {
        time::human_duration(at.signed_duration_since(*since).num_seconds().max(0))
    };
    let (label, headline) = match (r.kind, &r.level, action) {
        (Kind::Action, _, Some(a)) => {
            let owner = a
                .owner
                .as_ref()
                .map(|o| format!(" (owner {o})"))
                .unwrap_or_default();
            let late =
                time::human_duration(at.signed_duration_since(r.deadline).num_seconds().max(0));
            (
                format!("action {}", a.id),
                format!("action {} \"{}\"{owner} is OVERDUE by {late}", a.id, a.text),
            )
        }
        (Kind::Stale, crate::domain::remind::due::Level::Stale(since), _) => (
            "timeline entry".to_string(),
            format!("no timeline entry for {}", quiet(since)),
        ),
        (Kind::Update, crate::domain::remind::due::Level::Stale(since), _) => (
            "update".to_string(),
            format!("no update from a person for {}", quiet(since)),
        ),
        (kind, _, _) => {
            let label = kind.clock_label().unwrap_or(kind.as_str()).to_string();
            let clock = Clock {
                label: label.clone(),
                deadline: r.deadline,
                at,
            };
            let mut headline = format!("{label}: {}", clock.remaining());
            if r.level.repeat().is_some() {
                headline.push_str(", still overdue");
            }
            (label, headline)
        }
    };
    card.headline = headline;
    card.clock = Some(Clock {
        label,
        deadline: r.deadline,
        at,
    });
    card.next = Some(next_command(r, incident));
    card
}

/// The command that deals with what the reminder is about.
fn next_command(r: &Reminder, i: &Incident) -> String {
    let n = i.number;
    match (&r.kind, &r.level) {
        (Kind::Respond, _) => format!("incident ack {n}"),
        (Kind::Resolve, _) => format!("incident resolve {n} --resolution TEXT"),
        (Kind::Postmortem, _) => {
            // Publishing the post-mortem stops its clock as closing does; `close` refuses
            // without a root cause and a resolution: ask for what is missing.
            let mut cmd =
                format!("incident postmortem status {n} published, or incident close {n}");
            for (value, flag) in [
                (&i.root_cause, "--root-cause"),
                (&i.resolution, "--resolution"),
                (&i.prevention, "--prevention"),
                (&i.lessons_learned, "--lessons"),
            ] {
                if value.is_empty() {
                    cmd.push_str(&format!(" {flag} TEXT"));
                }
            }
            cmd
        }
        (Kind::Action, crate::domain::remind::due::Level::Action(id)) => {
            format!("incident action done {id}")
        }
        (Kind::Action, _) => "incident action list --overdue".into(),
        (Kind::Stale | Kind::Update, _) => format!("incident note {n} TEXT"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{Severity, Status};
    use crate::domain::remind::due::Level;
    use crate::domain::time::from_rfc3339;

    fn t(s: &str) -> Timestamp {
        from_rfc3339(s).unwrap()
    }

    fn incident() -> Incident {
        Incident {
            pk: 1,
            uuid: "u".into(),
            number: crate::domain::model::Number(3),
            title: "Data collection stopped".into(),
            description: String::new(),
            severity: Severity::P1,
            status: Status::Open,
            root_cause: String::new(),
            resolution: String::new(),
            prevention: String::new(),
            lessons_learned: String::new(),
            impact: String::new(),
            trigger: String::new(),
            detection: String::new(),
            started_at: t("2026-11-29T10:00:00Z"),
            detected_at: t("2026-11-29T10:00:00Z"),
            opened_at: t("2026-11-29T10:00:00Z"),
            acknowledged_at: None,
            resolved_at: None,
            closed_at: None,
            published_at: None,
            created_by: "alice".into(),
            updated_at: t("2026-11-29T10:00:00Z"),
            due: crate::domain::sla::due(
                &Incident::opened(3, Severity::P1, t("2026-11-29T10:00:00Z")),
                &[],
                &crate::domain::sla::Policy::default(),
            ),
            paused_at: None,
            pause_reason: String::new(),
            roles: crate::domain::roles::opening("alice"),
            services: Vec::new(),
        }
    }

    fn render(r: &Reminder, i: &Incident, action: Option<&ActionItem>, at: &str) -> Message {
        let card = card(r, i, action, t(at), None);
        Message::render(
            &Templates::new(None),
            context(r, i, action, t(at), None),
            Some(card),
        )
        .unwrap()
    }

    fn reminder(kind: Kind, level: Level, deadline: &str) -> Reminder {
        Reminder {
            incident: 3,
            kind,
            level,
            due_at: t(deadline),
            deadline: t(deadline),
            send: true,
        }
    }

    #[test]
    fn the_builtin_template_says_what_when_and_what_to_do() {
        // The test harness's TZ is not pinned; datetime shows local time, so compare the shape.
        let i = incident();
        let approaching = render(
            &Reminder {
                due_at: t("2026-11-29T10:11:15Z"),
                ..reminder(Kind::Respond, Level::at(0.75), "2026-11-29T10:15:00Z")
            },
            &i,
            None,
            "2026-11-29T10:12:00Z",
        );
        assert!(
            approaching.text.starts_with(
                "[P1] incident 3 \"Data collection stopped\" (OPEN, commander alice): response due by "
            ),
            "{}",
            approaching.text
        );
        assert!(
            approaching
                .text
                .ends_with(" (3m left). Next: incident ack 3"),
            "{}",
            approaching.text
        );
        let repeat = render(
            &reminder(Kind::Resolve, Level::Repeat(2), "2026-11-29T11:00:00Z"),
            &i,
            None,
            "2026-11-29T11:31:00Z",
        );
        assert!(
            repeat.text.contains(": fix OVERDUE by 31m (was due "),
            "{}",
            repeat.text
        );
        assert!(
            repeat
                .text
                .ends_with("; still overdue). Next: incident resolve 3 --resolution TEXT"),
            "{}",
            repeat.text
        );
        assert_eq!(repeat.line(), repeat.text, "one line already");
        let pm = render(
            &reminder(Kind::Postmortem, Level::Overdue, "2026-11-30T11:00:00Z"),
            &i,
            None,
            "2026-11-30T12:00:00Z",
        );
        assert!(
            pm.text.contains("post-mortem OVERDUE by 1h")
                && pm.text.ends_with(
                    "Next: incident postmortem status 3 published, or incident close 3 --root-cause TEXT --resolution TEXT --prevention TEXT --lessons TEXT"
                ),
            "{}",
            pm.text
        );
        let since = t("2026-11-29T10:30:00Z");
        let stale = render(
            &reminder(Kind::Stale, Level::Stale(since), "2026-11-29T12:30:00Z"),
            &i,
            None,
            "2026-11-29T12:45:00Z",
        );
        assert!(
            stale.text.contains("no timeline entry for 2h 15m")
                && stale.text.ends_with("Next: incident note 3 TEXT"),
            "{}",
            stale.text
        );
        let update = render(
            &reminder(Kind::Update, Level::Stale(since), "2026-11-29T11:00:00Z"),
            &i,
            None,
            "2026-11-29T11:05:00Z",
        );
        assert!(
            update
                .text
                .contains("(OPEN, commander alice): no update from a person for 35m (since ")
                && update.text.ends_with("Next: incident note 3 TEXT"),
            "{}",
            update.text
        );
    }

    #[test]
    fn action_items_and_webhook_bodies() {
        let i = incident();
        let a = ActionItem {
            pk: 7,
            id: crate::domain::model::Number(7),
            incident_number: 3,
            text: "Deploy the health monitor".into(),
            kind: crate::domain::model::ActionKind::Detect,
            owner: Some("bob".into()),
            due_at: Some(t("2026-12-01T12:00:00Z")),
            created_at: t("2026-11-29T12:00:00Z"),
            created_by: "alice".into(),
            done_at: None,
            done_by: None,
        };
        let m = render(
            &reminder(Kind::Action, Level::Action(7), "2026-12-01T12:00:00Z"),
            &i,
            Some(&a),
            "2026-12-01T15:00:00Z",
        );
        assert!(
            m.text.starts_with(
                "[P1] incident 3: action 7 \"Deploy the health monitor\" (owner bob) is OVERDUE by 3h"
            ) && m.text.ends_with("Next: incident action done 7"),
            "{}",
            m.text
        );
        let slack: Value =
            serde_json::from_str(&m.webhook_body(WebhookFormat::Slack, "d-1")).unwrap();
        assert_eq!(slack["text"], json!(m.text));
        assert_eq!(
            slack["blocks"][1]["text"]["text"],
            "*Action 7 \"Deploy the health monitor\" (owner bob) is OVERDUE by 3h*"
        );
        let mention = Message {
            text: "[P1] incident 4 \"<!channel> db & <https://x.test|login>\"".into(),
            context: json!({}),
            card: None,
        };
        let slack: Value =
            serde_json::from_str(&mention.webhook_body(WebhookFormat::Slack, "d-2")).unwrap();
        assert_eq!(
            slack["text"],
            "[P1] incident 4 \"&lt;!channel&gt; db &amp; &lt;https://x.test|login&gt;\""
        );
        let generic: Value =
            serde_json::from_str(&m.webhook_body(WebhookFormat::Json, "d-1")).unwrap();
        assert_eq!(generic["delivery_id"], "d-1");
        assert_eq!(generic["incident"]["number"], 3);
        assert_eq!(generic["kind"], "action");
        assert_eq!(generic["level"], "action-7");
        assert_eq!(generic["seconds"], 3 * 3_600);
        assert_eq!(generic["action"]["owner"], "bob");
        assert_eq!(generic["text"], Value::String(m.text.clone()));
        assert!(generic.get("url").is_none(), "no public_url, no url");
    }

    #[test]
    fn with_a_public_url_the_text_and_the_context_link_to_the_board() {
        let i = incident();
        let r = reminder(Kind::Respond, Level::Breached, "2026-11-29T10:15:00Z");
        let url = Some("https://incident.example.com/incidents/3");
        let at = t("2026-11-29T10:20:00Z");
        let m = Message::render(
            &Templates::new(None),
            context(&r, &i, None, at, url),
            Some(card(&r, &i, None, at, url)),
        )
        .unwrap();
        assert!(
            m.text
                .ends_with("Next: incident ack 3 — https://incident.example.com/incidents/3"),
            "{}",
            m.text
        );
        assert_eq!(m.context["url"], "https://incident.example.com/incidents/3");
        let c = m.card.as_ref().unwrap();
        assert_eq!(c.headline, "response: OVERDUE by 5m");
        assert_eq!(c.clock.as_ref().unwrap().remaining(), "OVERDUE by 5m");
        assert_eq!(c.commander.as_deref(), Some("alice"));
        let teams: Value =
            serde_json::from_str(&m.webhook_body(WebhookFormat::Teams, "d-1")).unwrap();
        assert_eq!(
            teams["attachments"][0]["content"]["actions"][0]["url"],
            "https://incident.example.com/incidents/3"
        );
    }
}
