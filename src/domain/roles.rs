//! Who holds which role in an incident (the commander, the scribe, comms, or a team's own role
//! such as `db-lead`) and which services it affects. Both come from the timeline: a `role`
//! event names a role's holder (or clears it), a `service` event adds or removes a service, and
//! `projection::apply` keeps them on the incident. The opener is the commander until someone
//! else is named.

use crate::domain::event::EventKind;
use crate::domain::model::Incident;
use crate::domain::workflow::{Change, WorkflowError};
use std::collections::BTreeMap;

/// The role the opener holds from the start, and the one reminders and reports name.
pub const COMMANDER: &str = "commander";

/// The roles every team has; any other name made of letters, digits, `-` and `_` is a role too.
pub const BUILT_IN: [&str; 3] = [COMMANDER, "scribe", "comms"];

/// Role → who holds it. A map ordered by name, so every copy lists the roles alike.
pub type Roles = BTreeMap<String, String>;

/// The longest role or service name: a name is a label, not a sentence.
const MAX_NAME: usize = 64;

/// A role or service name that cannot be one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{name}' is not a {what} name: {why}")]
pub struct BadName {
    pub what: &'static str,
    pub name: String,
    pub why: &'static str,
}

impl BadName {
    pub fn hint(&self) -> &'static str {
        match self.what {
            "role" => "use commander, scribe, comms or a name of your own like db-lead",
            _ => "use the service's short name, like checkout-api or payments.db",
        }
    }
}

/// A role's name as stored (lowercase): commander, scribe, comms or one of the team's own made
/// of letters, digits, `-` and `_`.
pub fn role_name(s: &str) -> Result<String, BadName> {
    name("role", s, |c| c.is_alphanumeric() || c == '-' || c == '_').map(|n| n.to_lowercase())
}

/// A service's name as given: letters, digits and `-`, `_`, `.`, `/`, `:` (`payments.db`,
/// `eu-west/checkout`), no spaces, so `list --service` and the review can match it exactly.
pub fn service_name(s: &str) -> Result<String, BadName> {
    name("service", s, |c| {
        c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':')
    })
}

fn name(what: &'static str, s: &str, allowed: impl Fn(char) -> bool) -> Result<String, BadName> {
    let t = s.trim();
    let bad = |why| BadName {
        what,
        name: s.to_string(),
        why,
    };
    if t.is_empty() {
        return Err(bad("it is empty"));
    }
    if t.chars().count() > MAX_NAME {
        return Err(bad("it is longer than 64 characters"));
    }
    if !t.chars().all(allowed) {
        return Err(bad(if what == "role" {
            "only letters, digits, - and _ are allowed"
        } else {
            "only letters, digits, -, _, ., / and : are allowed"
        }));
    }
    Ok(t.to_string())
}

/// The roles an incident starts with: its opener commands it.
pub fn opening(opener: &str) -> Roles {
    Roles::from([(COMMANDER.to_string(), opener.to_string())])
}

/// Who commands the incident, if anyone does.
pub fn commander(incident: &Incident) -> Option<&str> {
    incident.roles.get(COMMANDER).map(String::as_str)
}

/// The roles in the order people read them: commander, scribe, comms, then the team's own by
/// name.
pub fn in_order(roles: &Roles) -> Vec<(&str, &str)> {
    let rank = |r: &str| {
        BUILT_IN
            .iter()
            .position(|b| *b == r)
            .unwrap_or(BUILT_IN.len())
    };
    let mut all: Vec<(&str, &str)> = roles
        .iter()
        .map(|(r, w)| (r.as_str(), w.as_str()))
        .collect();
    all.sort_by_key(|(r, _)| rank(r));
    all
}

/// `commander alice, scribe bob`: the roles in one line, or an empty string.
pub fn roles_line(roles: &Roles) -> String {
    in_order(roles)
        .iter()
        .map(|(r, w)| format!("{r} {w}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a `role` event says: `field` is the role, `old` who held it, `new` who does now (empty
/// when cleared).
pub fn role_summary(role: &str, old: &str, new: &str) -> String {
    match (old, new) {
        (_, "") if old.is_empty() => format!("{role} cleared"),
        (_, "") => format!("{role} cleared (was: {old})"),
        ("", _) => format!("{role}: {new}"),
        _ => format!("{role}: {new} (was: {old})"),
    }
}

/// What a `service` event says: `new` is a service added, `old` one removed.
pub fn service_summary(old: &str, new: &str) -> String {
    if new.is_empty() {
        format!("service removed: {old}")
    } else {
        format!("service added: {new}")
    }
}

/// Applies a `role` or `service` event to the incident's roles and services.
pub(crate) fn apply(
    incident: &mut Incident,
    kind: EventKind,
    field: Option<&str>,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<(), &'static str> {
    let new = new.unwrap_or("");
    match kind {
        EventKind::Role => {
            let role = field.and_then(|f| role_name(f).ok()).ok_or("role")?;
            if new.is_empty() {
                incident.roles.remove(&role);
            } else {
                incident.roles.insert(role, new.to_string());
            }
        }
        _ if !new.is_empty() => {
            if let Err(at) = incident.services.binary_search_by(|s| s.as_str().cmp(new)) {
                incident.services.insert(at, new.to_string());
            }
        }
        _ => {
            let old = old.filter(|o| !o.is_empty()).ok_or("service")?;
            incident.services.retain(|s| s != old);
        }
    }
    Ok(())
}

impl Change {
    /// Names who holds `role` (a name from [`role_name`]), or clears it (`None`); naming the
    /// holder it has records nothing. Returns whether anything changed.
    pub fn set_role(&mut self, role: &str, who: Option<&str>) -> bool {
        // The command checks the name is one line; here it is only trimmed.
        let who = who.map(str::trim).unwrap_or("");
        let old = self.incident.roles.get(role).cloned().unwrap_or_default();
        if old == who {
            return false;
        }
        self.push(
            EventKind::Role,
            Some(role.to_string()),
            Some(old),
            Some(who.to_string()),
            String::new(),
        );
        true
    }

    /// Adds an affected service (a name from [`service_name`]); one it has records nothing.
    pub fn add_service(&mut self, service: &str) {
        if self.incident.services.iter().any(|s| s == service) {
            return;
        }
        self.push(
            EventKind::Service,
            None,
            None,
            Some(service.to_string()),
            String::new(),
        );
    }

    /// Removes an affected service; one it does not have is an error.
    pub fn remove_service(&mut self, service: &str) -> Result<(), WorkflowError> {
        if !self.incident.services.iter().any(|s| s == service) {
            return Err(WorkflowError::NoService {
                number: self.incident.number,
                service: service.to_string(),
            });
        }
        self.push(
            EventKind::Service,
            None,
            Some(service.to_string()),
            Some(String::new()),
            String::new(),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_and_service_names_are_labels() {
        assert_eq!(role_name(" Commander ").unwrap(), "commander");
        assert_eq!(role_name("db-lead_2").unwrap(), "db-lead_2");
        assert_eq!(role_name("führung").unwrap(), "führung");
        for bad in ["", "db lead", "lead;drop", "a/b", &"x".repeat(65)] {
            assert!(role_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            service_name("eu-west/checkout:443").unwrap(),
            "eu-west/checkout:443"
        );
        assert_eq!(service_name("payments.db").unwrap(), "payments.db");
        let e = service_name("checkout api").unwrap_err();
        assert_eq!(
            e.to_string(),
            "'checkout api' is not a service name: only letters, digits, -, _, ., / and : are allowed"
        );
        assert!(service_name("a,b").is_err());
    }

    #[test]
    fn roles_read_commander_first_and_summaries_say_what_changed() {
        let mut roles = opening("alice");
        roles.insert("db-lead".into(), "dmitri".into());
        roles.insert("comms".into(), "chen".into());
        roles.insert("scribe".into(), "bo".into());
        assert_eq!(
            roles_line(&roles),
            "commander alice, scribe bo, comms chen, db-lead dmitri"
        );
        assert_eq!(
            role_summary("commander", "alice", "bo"),
            "commander: bo (was: alice)"
        );
        assert_eq!(role_summary("scribe", "", "bo"), "scribe: bo");
        assert_eq!(role_summary("scribe", "bo", ""), "scribe cleared (was: bo)");
        assert_eq!(
            service_summary("", "checkout-api"),
            "service added: checkout-api"
        );
        assert_eq!(
            service_summary("checkout-api", ""),
            "service removed: checkout-api"
        );
    }
}
