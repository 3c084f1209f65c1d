//! `GET /metrics` in the Prometheus text format: requests by endpoint and status, intake
//! notifications by outcome, incidents the intake opened. Counted since the process started,
//! as Prometheus counters are. Behind `[serve] board_token` when one is set (as a bearer token,
//! or the password of HTTP Basic auth).

use super::{Shared, reply};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq;

/// The counters.
#[derive(Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    notifications: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    /// One notification the intake answered, by outcome (`opened`, `unchanged`, …, or
    /// `refused` for a 4xx, `failed` for a 5xx).
    pub(crate) fn notification(&self, outcome: &'static str) {
        let mut n = self.notifications.lock().unwrap_or_else(|p| p.into_inner());
        let count = n.entry(outcome).or_default();
        *count = count.saturating_add(1);
    }

    fn request(&self, endpoint: &str, status: u16) {
        let mut r = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let count = r.entry((endpoint.to_string(), status)).or_default();
        *count = count.saturating_add(1);
    }

    fn text(&self) -> String {
        let requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let notifications = self.notifications.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::from(
            "# HELP incident_http_requests_total HTTP requests answered, by endpoint and status.\n\
             # TYPE incident_http_requests_total counter\n",
        );
        for ((endpoint, status), n) in requests.iter() {
            out.push_str(&format!(
                "incident_http_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {n}\n"
            ));
        }
        out.push_str(
            "# HELP incident_intake_notifications_total Alertmanager and Grafana notifications, by outcome.\n\
             # TYPE incident_intake_notifications_total counter\n",
        );
        for (outcome, n) in notifications.iter() {
            out.push_str(&format!(
                "incident_intake_notifications_total{{outcome=\"{outcome}\"}} {n}\n"
            ));
        }
        let opened = notifications.get("opened").copied().unwrap_or(0);
        out.push_str(&format!(
            "# HELP incident_incidents_opened_total Incidents the intake opened.\n\
             # TYPE incident_incidents_opened_total counter\n\
             incident_incidents_opened_total {opened}\n"
        ));
        out
    }
}

/// Counts every routed request by its route and status (a route layer: it sees only requests
/// a route matched, and axum tells which: the route's pattern, `/incidents/{number}`, is the
/// endpoint label, as a label per raw URL would grow without bound); a refused or failed
/// notification by its status class too.
pub(crate) async fn count(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let endpoint = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("other", |m| m.as_str())
        .to_string();
    let response = next.run(req).await;
    let status = response.status();
    shared.metrics.request(&endpoint, status.as_u16());
    if endpoint == "/api/v1/alertmanager" {
        if status.is_client_error() {
            shared.metrics.notification("refused");
        } else if status.is_server_error() {
            shared.metrics.notification("failed");
        }
    }
    response
}

/// Whether the request presents the board token, as a bearer token or Basic auth's password.
fn board_authorized(headers: &HeaderMap, expected: &[u8; 32]) -> bool {
    let Some((scheme, value)) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
    else {
        return false;
    };
    let token = if scheme.eq_ignore_ascii_case("bearer") {
        value.trim().to_string()
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        match decoded.as_deref().and_then(|d| d.split_once(':')) {
            Some((_, password)) => password.to_string(),
            None => return false,
        }
    } else {
        return false;
    };
    bool::from(super::intake::digest(&token).ct_eq(expected))
}

/// The 401 for a request without the board token, when one is set; none when it may pass.
pub(crate) fn deny(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let expected = shared.board_token.as_ref()?;
    if board_authorized(headers, expected) {
        return None;
    }
    let mut r = reply(
        StatusCode::UNAUTHORIZED,
        "missing or wrong board token ([serve] board_token, as a bearer token or Basic auth's password)",
    );
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Basic realm=\"incident\""),
    );
    Some(r)
}

pub(crate) async fn metrics(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(denied) = deny(&shared, &headers) {
        return denied;
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        shared.metrics.text(),
    )
        .into_response()
}
