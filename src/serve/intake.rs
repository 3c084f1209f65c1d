//! `POST /api/v1/alertmanager`: the token, the body, the payload, then one write. Refusals are
//! 4xx with a one-line reason and write nothing; 5xx only when the log cannot be written
//! (Alertmanager retries 5xx, and drops 4xx).

use super::{Shared, reply};
use crate::app::{App, AppError, intake};
use crate::domain::intake::Notification;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// SHA-256 of a token: comparing digests in constant time (`subtle`) tells nothing about the
/// token's length or its first differing byte.
pub(super) fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn authorized(headers: &HeaderMap, expected: &[u8; 32]) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, token)) = value.split_once(' ') else {
        return false;
    };
    let given = digest(token.trim());
    scheme.eq_ignore_ascii_case("bearer") && bool::from(given.ct_eq(expected))
}

/// What the intake does before it writes: the token, the body (at most `[serve] body_limit`),
/// the payload. A refusal is the response to send.
async fn notification(shared: &Shared, req: Request) -> Result<Notification, Response> {
    let Some(expected) = &shared.intake_token else {
        return Err(reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "the intake has no token: set [intake] token = \"${VAR}\" and VAR in the server's environment",
        ));
    };
    if !authorized(req.headers(), expected) {
        let mut r = reply(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token (Authorization: Bearer TOKEN)",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return Err(r);
    }
    let limit = shared.serve.body_limit;
    let body = match Limited::new(req.into_body(), limit).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "the body is over [serve] body_limit ({limit} bytes); set max_alerts in Alertmanager's webhook_configs"
                ),
            ));
        }
        Err(e) => {
            return Err(reply(
                StatusCode::BAD_REQUEST,
                &format!("cannot read the body: {e}"),
            ));
        }
    };
    crate::domain::intake::parse(&body).map_err(|e| reply(StatusCode::BAD_REQUEST, &e.to_string()))
}

/// `POST /api/v1/alertmanager/dry-run`: the intake's token, body and payload checks, and no
/// write: 200 with the alerts the payload holds. For trying a receiver's token and payloads
/// without recording anything, and the baseline of the intake benchmark (benches/intake.rs:
/// the same server doing the same work up to the write).
pub(super) async fn dry_run(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    match notification(&shared, req).await {
        Ok(n) => {
            let body = serde_json::json!({ "outcome": "dry-run", "alerts": n.alerts.len() });
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                format!("{body}\n"),
            )
                .into_response()
        }
        Err(refused) => refused,
    }
}

pub(super) async fn alertmanager(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let notification = match notification(&shared, req).await {
        Ok(n) => n,
        Err(refused) => return refused,
    };
    let receiver = notification.receiver.clone();
    let worker = shared.clone();
    let done = tokio::task::spawn_blocking(move || {
        let _one_at_a_time = worker.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let now = crate::domain::time::now()
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        let app = App {
            settings: worker.settings.clone(),
            now,
            notice: worker.notice,
        };
        intake::receive(&app, &worker.serve.intake, &notification).map_err(|e| match e {
            AppError::Store(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot write the log: {}", e.line()),
            ),
            // Another server opens it: Alertmanager retries a 5xx, and the retry attaches.
            AppError::OpenedElsewhere(_) => (StatusCode::SERVICE_UNAVAILABLE, e.line()),
            // Refused by the lifecycle (nothing written): retrying would not help.
            other => (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("cannot record the notification: {}", other.line()),
            ),
        })
    })
    .await;
    match done {
        Ok(Ok(outcome)) => {
            shared.metrics.notification(outcome.kind());
            if let intake::Outcome::Opened { number, .. } = outcome {
                shared.snapshots.start(&shared.settings, number);
            }
            announce(&shared, &outcome, receiver);
            let mut body = serde_json::json!({
                "outcome": outcome.kind(),
                "incident": outcome.number().map(|n| n.to_string()),
            });
            // Only an opening the team log could not claim: it may repeat on another machine.
            if let Some(note) = outcome.note() {
                body["note"] = note.into();
            }
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                format!("{body}\n"),
            )
                .into_response()
        }
        Ok(Err((status, line))) => reply(status, &line),
        Err(_) => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the write stopped unexpectedly",
        ),
    }
}

/// Tells the `[[notify]]` channels about an incident the intake opened or reopened, on a
/// blocking thread of its own: the webhook has its answer already, and each channel is bounded
/// by its own timeout. A server stopping abandons it (its claims expire like a crashed
/// `remind`'s).
fn announce(shared: &Arc<Shared>, outcome: &intake::Outcome, receiver: String) {
    if shared.settings.channels.is_empty()
        || !matches!(
            outcome,
            intake::Outcome::Opened { .. } | intake::Outcome::Reopened { .. }
        )
    {
        return;
    }
    let (shared, outcome) = (shared.clone(), outcome.clone());
    tokio::task::spawn_blocking(move || {
        let Ok(now) = crate::domain::time::now() else {
            return;
        };
        let app = App {
            settings: shared.settings.clone(),
            now,
            notice: shared.notice,
        };
        if let Err(e) = crate::app::announce::announce(&app, &outcome, &receiver) {
            (shared.notice)(&format!(
                "warning: cannot announce incident {}: {}",
                outcome.number().map(|n| n.to_string()).unwrap_or_default(),
                e.line()
            ));
        }
    });
}
