//! `incident serve`'s HTTP server: axum's router on hyper connections accepted by our own loop
//! (so that a client slow to send its headers is cut off after `[serve] header_timeout`, and a
//! stop drains in-flight requests for at most a second). Endpoints: `GET /healthz`, `GET
//! /readyz`, `GET /metrics` (`metrics.rs`), the incidents' JSON (`api.rs`), the board's HTML
//! pages (`board.rs`) and the Alertmanager intake (`intake.rs`). Prints nothing: the command
//! says what happens.

mod api;
mod board;
mod intake;
mod metrics;
mod snapshots;

use crate::config::{ServeSettings, Settings, Tokens};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// How long in-flight requests may finish after SIGTERM or SIGINT.
pub const DRAIN: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the server: {0}")]
    Start(std::io::Error),
}

/// What the server runs with.
pub struct Server {
    /// Where to listen (every address the host resolved to).
    pub addrs: Vec<SocketAddr>,
    /// The settings each request's write uses; their author is the intake's.
    pub settings: Settings,
    pub serve: ServeSettings,
    pub tokens: Tokens,
    /// Where status lines and warnings go (stderr): a channel that could not be told, a
    /// notification opened without a claim in the team log, another server's opening.
    pub notice: fn(&str),
}

/// Shared by every request.
pub(crate) struct Shared {
    pub settings: Settings,
    pub serve: ServeSettings,
    /// SHA-256 of the intake token, compared in constant time.
    pub intake_token: Option<[u8; 32]>,
    /// One intake write at a time: two notifications of a new group must not both open one.
    pub write_lock: std::sync::Mutex<()>,
    /// SHA-256 of `[serve] board_token`, compared in constant time.
    pub board_token: Option<[u8; 32]>,
    pub metrics: metrics::Metrics,
    /// Snapshots of the incidents the intake opened, collecting after the answer.
    pub snapshots: Arc<snapshots::Snapshots>,
    pub notice: fn(&str),
}

/// Listens until SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish for
/// at most [`DRAIN`], and returns. `ready` is told the addresses it listens on.
pub fn run(server: Server, ready: &dyn Fn(&[SocketAddr])) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(ServeError::Start)?;
    let mut bound = Vec::new();
    for addr in &server.addrs {
        let l = std::net::TcpListener::bind(addr).map_err(|source| ServeError::Bind {
            addr: *addr,
            source,
        })?;
        l.set_nonblocking(true).map_err(ServeError::Start)?;
        bound.push(l);
    }
    let local: Vec<SocketAddr> = bound.iter().filter_map(|l| l.local_addr().ok()).collect();
    let header_timeout = server.serve.header_timeout;
    let shared = Arc::new(Shared {
        intake_token: server.tokens.intake.as_deref().map(intake::digest),
        board_token: server.tokens.board.as_deref().map(intake::digest),
        metrics: metrics::Metrics::default(),
        notice: server.notice,
        settings: server.settings,
        serve: server.serve,
        write_lock: std::sync::Mutex::new(()),
        snapshots: Arc::default(),
    });
    let (snapshots, settings) = (shared.snapshots.clone(), shared.settings.clone());
    let result = runtime.block_on(async move {
        let listeners = bound
            .into_iter()
            .map(tokio::net::TcpListener::from_std)
            .collect::<Result<Vec<_>, _>>()
            .map_err(ServeError::Start)?;
        let stop = stop_signal().map_err(ServeError::Start)?;
        ready(&local);
        accept(listeners, router(shared), header_timeout, stop).await;
        Ok(())
    });
    // Whatever still runs (a write past the drain) is abandoned: its transaction never commits.
    runtime.shutdown_background();
    snapshots.abandon(&settings);
    result
}

fn router(shared: Arc<Shared>) -> Router {
    let limit = shared.serve.request_timeout;
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::metrics))
        .route("/api/v1/alertmanager", post(intake::alertmanager))
        .route("/api/v1/alertmanager/dry-run", post(intake::dry_run))
        .route("/api/v1/incidents", get(api::incidents))
        .route("/api/v1/incidents/{number}", get(api::incident))
        .route("/", get(board::board))
        .route("/incidents/{number}", get(board::incident))
        .route("/incidents/{number}/postmortem", get(board::postmortem))
        .route("/review", get(board::review))
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            metrics::count,
        ))
        .with_state(shared)
        .layer(axum::middleware::from_fn_with_state(limit, bounded))
}

/// Ready when the log opens and its schema is this binary's (an older one is updated by the
/// next write; a log not created yet is created by the first): 200 `ready`, else 503 with why.
/// Read only, no token: what Kubernetes' readiness probe asks.
async fn readyz(State(shared): State<Arc<Shared>>) -> Response {
    let db = shared.settings.db.clone();
    let opened =
        tokio::task::spawn_blocking(move || crate::store::Store::inspect(&db).map(|i| (db, i)))
            .await;
    match opened {
        Ok(Ok((_, crate::store::Inspected::Current(_) | crate::store::Inspected::Absent))) => {
            reply(StatusCode::OK, "ready")
        }
        Ok(Ok((db, crate::store::Inspected::Older { version, .. }))) => reply(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!(
                "the log {} has schema version {version}; this binary writes {} (the next write updates it)",
                db.display(),
                crate::store::LATEST_VERSION
            ),
        ),
        Ok(Err(e)) => reply(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
        Err(_) => reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "the readiness check failed",
        ),
    }
}

/// Answers 503 when a request takes longer than `[serve] request_timeout`.
async fn bounded(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "the request took longer than [serve] request_timeout",
        ),
    }
}

/// A one-line plain-text answer.
pub(crate) fn reply(status: StatusCode, text: &str) -> Response {
    (status, format!("{}\n", text.replace(['\n', '\r'], " "))).into_response()
}

/// Resolves on SIGTERM or SIGINT.
fn stop_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

async fn accept(
    listeners: Vec<tokio::net::TcpListener>,
    router: Router,
    header_timeout: Duration,
    stop: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    tokio::pin!(stop);
    loop {
        let accepts = listeners.iter().map(|l| Box::pin(l.accept()));
        tokio::select! {
            (accepted, _, _) = futures::future::select_all(accepts) => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let service = TowerToHyperService::new(router.clone());
                let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            () = &mut stop => break,
        }
    }
    drop(listeners);
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
}
