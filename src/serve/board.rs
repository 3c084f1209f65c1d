//! The incident board in the browser: `GET /` (the unresolved incidents, breached first, with
//! their SLA clocks counting down), `GET /incidents/N` (one incident: clocks, roles, timeline,
//! evidence, action items), `GET /incidents/N/postmortem` and `GET /review` (the HTML reports
//! `incident postmortem N --format html` and `incident review --format html` write). Rendered
//! from the templates `board.html`, `board-incident.html` (both import `board-parts.html`),
//! `postmortem.html` and `review.html`, overridable like every report's; `?context` answers the
//! JSON a board template receives instead. Read only, behind the board token when one is set
//! (a browser asks for it: the token is Basic auth's password).

use super::{Shared, reply};
use crate::app::{App, AppError};
use crate::domain::model::Number;
use crate::report::render::Templates;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;

/// Why a page could not be shown, as its status and one line.
enum Failure {
    BadRequest(String),
    NotFound(String),
    Unavailable(String),
    /// A template (the user's, most likely) would not render.
    Template(String),
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Failure {
        if e.is_not_found() {
            Failure::NotFound(e.line())
        } else {
            Failure::Unavailable(e.line())
        }
    }
}

/// What a page handler produces: the template and its context.
struct Page {
    template: String,
    context: Value,
}

/// Whether the query asks for the context rather than the page (`?context`).
fn wants_context(query: Option<&str>) -> bool {
    form_urlencoded::parse(query.unwrap_or("").as_bytes()).any(|(k, _)| k == "context")
}

/// Runs `read` off the async threads in an app at the clock's now, and renders what it gives
/// (or its context as JSON, for `?context`).
async fn page(
    shared: Arc<Shared>,
    headers: &HeaderMap,
    uri: &Uri,
    read: impl FnOnce(&App) -> Result<Page, Failure> + Send + 'static,
) -> Response {
    if let Some(denied) = super::metrics::deny(&shared, headers) {
        return denied;
    }
    let context_only = wants_context(uri.query());
    let app = match super::api::app_of(&shared) {
        Ok(app) => app,
        Err(line) => return reply(StatusCode::INTERNAL_SERVER_ERROR, &line),
    };
    let done = tokio::task::spawn_blocking(move || {
        let page = read(&app)?;
        if context_only {
            return Ok((page.context.to_string(), "application/json"));
        }
        let templates = Templates::new(app.settings.templates.as_deref());
        let html = templates
            .render(&page.template, &page.context)
            .map_err(|e| Failure::Template(format!("{e}; {}", e.hint())))?;
        Ok::<_, Failure>((html, "text/html; charset=utf-8"))
    })
    .await;
    match done {
        Ok(Ok((body, kind))) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, kind),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response(),
        Ok(Err(Failure::BadRequest(line))) => reply(StatusCode::BAD_REQUEST, &line),
        Ok(Err(Failure::NotFound(line))) => reply(StatusCode::NOT_FOUND, &line),
        Ok(Err(Failure::Unavailable(line))) => reply(StatusCode::SERVICE_UNAVAILABLE, &line),
        Ok(Err(Failure::Template(line))) => reply(StatusCode::INTERNAL_SERVER_ERROR, &line),
        Err(_) => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the page stopped unexpectedly",
        ),
    }
}

/// An incident number from the path; a one-line 400 otherwise.
fn number(text: &str) -> Result<Number, Failure> {
    text.parse::<i64>()
        .map(Number)
        .map_err(|_| Failure::BadRequest(format!("{text:?} is not an incident number")))
}

/// `GET /`: the unresolved incidents (not cancelled), breached first, then by severity and age.
pub(super) async fn board(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    page(shared, &headers, &uri, |app| {
        let unresolved = app.read(|txn| Ok(txn.unresolved_at(app.now)?))?;
        Ok(Page {
            template: "board.html".into(),
            context: crate::report::board::board(&unresolved, app.now),
        })
    })
    .await
}

/// `GET /incidents/N`: what `show` shows of it, with live clocks and its evidence in summary.
pub(super) async fn incident(
    State(shared): State<Arc<Shared>>,
    Path(n): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    page(shared, &headers, &uri, move |app| {
        let number = number(&n)?;
        let (shown, evidence) = app.read(|txn| {
            let shown = crate::app::show::load(app, txn, number)?;
            let evidence = crate::report::board::evidence(txn, shown.incident.pk)?;
            Ok((shown, evidence))
        })?;
        let json = crate::app::show::json(app, &shown);
        Ok(Page {
            template: "board-incident.html".into(),
            context: crate::report::board::incident_page(&shown.incident, json, evidence, app.now),
        })
    })
    .await
}

/// `GET /incidents/N/postmortem`: `incident postmortem N --format html`.
pub(super) async fn postmortem(
    State(shared): State<Arc<Shared>>,
    Path(n): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    page(shared, &headers, &uri, move |app| {
        let number = number(&n)?;
        let context = app.read(|txn| {
            let incident = crate::app::record::load(txn, number)?;
            Ok(crate::report::postmortem::context(
                txn,
                &incident,
                &app.settings.policy,
                app.now,
            )?)
        })?;
        Ok(Page {
            template: "postmortem.html".into(),
            context,
        })
    })
    .await
}

/// `GET /review?week=2026-W49` or `?since=&until=` (no parameter: the last complete week):
/// `incident review --format html` with the same arguments.
pub(super) async fn review(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let query = uri.query().unwrap_or("").to_string();
    page(shared, &headers, &uri, move |app| {
        let (mut week, mut since, mut until) = (None, None, None);
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match key.as_ref() {
                "week" => &mut week,
                "since" => &mut since,
                "until" => &mut until,
                "context" => continue,
                other => {
                    return Err(Failure::BadRequest(format!(
                        "unknown parameter {other:?}: use week, or since and until"
                    )));
                }
            };
            *slot = Some(value.into_owned());
        }
        if week.is_some() && (since.is_some() || until.is_some()) {
            return Err(Failure::BadRequest(
                "week names the whole window: give week, or since and until, not both".into(),
            ));
        }
        if until.is_some() && since.is_none() {
            return Err(Failure::BadRequest(
                "until needs since: the window runs from since up to until".into(),
            ));
        }
        let window = crate::app::review::window(
            app.now,
            week.as_deref(),
            since.as_deref(),
            until.as_deref(),
        )
        .map_err(|e| Failure::BadRequest(format!("{e}; {}", e.hint())))?;
        let context = app.read(|txn| {
            Ok(crate::report::review::context(
                txn,
                &window,
                &app.settings.policy,
                app.now,
            )?)
        })?;
        Ok(Page {
            template: "review.html".into(),
            context,
        })
    })
    .await
}
