//! `GET /api/v1/incidents` and `GET /api/v1/incidents/N`: the JSON of `incident list --json`
//! (query parameters as `list`'s flags: `status`, `severity` and `service` repeatable, `since`,
//! `breached`, `all`, `limit`) and of `incident show N --json`. Read only, behind the board
//! token when one is set.

use super::{Shared, reply};
use crate::app::App;
use crate::domain::model::{Number, Severity, Status};
use crate::store::ListFilter;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The default and the bound of `limit`, as `list`'s.
const DEFAULT_LIMIT: u64 = 50;

/// The app a read runs in, at the clock's now (the error's line when the clock is refused).
pub(super) fn app_of(shared: &Shared) -> Result<App, String> {
    let now = crate::domain::time::now().map_err(|e| e.to_string())?;
    Ok(App {
        settings: shared.settings.clone(),
        now,
        notice: |_| {},
    })
}

fn json_response(v: &serde_json::Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{v}\n"),
    )
        .into_response()
}

/// `list`'s filter from the query string; a one-line 400 for a value `list` would refuse.
fn filter(query: Option<&str>, app: &App) -> Result<ListFilter, String> {
    let mut f = ListFilter {
        limit: Some(DEFAULT_LIMIT),
        ..ListFilter::default()
    };
    let yes = |v: &str| matches!(v, "" | "1" | "true" | "yes");
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "status" => f
                .statuses
                .push(value.parse::<Status>().map_err(|e| e.to_string())?),
            "severity" => f
                .severities
                .push(value.parse::<Severity>().map_err(|e| e.to_string())?),
            "service" => f.services.push(value.into_owned()),
            "since" => {
                let t = crate::domain::time::parse_time(&value, app.now)
                    .map_err(|e| format!("since: {e}"))?;
                f.since = Some(t);
            }
            "breached" => f.breached = yes(&value).then_some(app.now),
            "all" => f.include_cancelled = yes(&value),
            "limit" => {
                let n: u64 = value
                    .parse()
                    .map_err(|_| format!("limit {value:?} is not a number (0 for all)"))?;
                f.limit = (n > 0).then_some(n);
            }
            other => {
                return Err(format!(
                    "unknown parameter {other:?}: use status, severity, service, since, breached, all or limit"
                ));
            }
        }
    }
    Ok(f)
}

pub(super) async fn incidents(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    if let Some(denied) = super::metrics::deny(&shared, req.headers()) {
        return denied;
    }
    let app = match app_of(&shared) {
        Ok(app) => app,
        Err(line) => return reply(StatusCode::INTERNAL_SERVER_ERROR, &line),
    };
    let f = match filter(req.uri().query(), &app) {
        Ok(f) => f,
        Err(line) => return reply(StatusCode::BAD_REQUEST, &line),
    };
    let read = tokio::task::spawn_blocking(move || {
        let (list, _) = app.read(|txn| Ok(txn.list(&f)?))?;
        let items: Vec<_> = list
            .iter()
            .map(|i| crate::report::view::incident(i, app.now))
            .collect();
        Ok::<_, crate::app::AppError>(serde_json::Value::Array(items))
    })
    .await;
    match read {
        Ok(Ok(v)) => json_response(&v),
        Ok(Err(e)) => reply(StatusCode::SERVICE_UNAVAILABLE, &e.line()),
        Err(_) => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the read stopped unexpectedly",
        ),
    }
}

pub(super) async fn incident(
    State(shared): State<Arc<Shared>>,
    Path(number): Path<String>,
    req: Request,
) -> Response {
    if let Some(denied) = super::metrics::deny(&shared, req.headers()) {
        return denied;
    }
    let Ok(n) = number.parse::<i64>() else {
        return reply(
            StatusCode::BAD_REQUEST,
            &format!("{number:?} is not an incident number"),
        );
    };
    let app = match app_of(&shared) {
        Ok(app) => app,
        Err(line) => return reply(StatusCode::INTERNAL_SERVER_ERROR, &line),
    };
    let read = tokio::task::spawn_blocking(move || {
        let shown = app.read(|txn| crate::app::show::load(&app, txn, Number(n)))?;
        Ok::<_, crate::app::AppError>(crate::app::show::json(&app, &shown))
    })
    .await;
    match read {
        Ok(Ok(v)) => json_response(&v),
        Ok(Err(e)) if e.is_not_found() => reply(StatusCode::NOT_FOUND, &e.line()),
        Ok(Err(e)) => reply(StatusCode::SERVICE_UNAVAILABLE, &e.line()),
        Err(_) => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the read stopped unexpectedly",
        ),
    }
}
