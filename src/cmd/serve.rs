//! `incident serve`: the Alertmanager intake over HTTP (`POST /api/v1/alertmanager`), the
//! incident board, the incidents' JSON, health and metrics endpoints, until SIGTERM or SIGINT.

use crate::app::App;
use crate::serve::{self, Server};
use crate::store::Mode;
use crate::ui::error::CommandError;
use crate::ui::output;
use std::net::{SocketAddr, ToSocketAddrs};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Endpoints: POST /api/v1/alertmanager (Alertmanager's webhook, or Grafana's; Authorization: Bearer [intake] token); the board: GET / (unresolved incidents, live SLA clocks), /incidents/N, /incidents/N/postmortem, /review; GET /api/v1/incidents[/N] (list/show --json); GET /metrics; GET /healthz, /readyz (no token). The board, the API and /metrics take [serve] board_token (Basic auth's password, or Bearer).\nPlain HTTP: put it behind the ingress or proxy that terminates TLS. Listening beyond loopback needs [serve] board_token."
)]
pub struct Args {
    /// Where to listen: host:port or [::1]:port [default: [serve] listen, else 127.0.0.1:8787]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), CommandError> {
    let config = &app.settings.serve;
    let listen = args.listen.unwrap_or_else(|| config.listen.clone());
    crate::config::check_listen(&listen).map_err(CommandError::new)?;
    let mut addrs: Vec<SocketAddr> = listen
        .to_socket_addrs()
        .map_err(|e| CommandError::new(format!("cannot resolve {listen}: {e}")))?
        .collect();
    addrs.sort();
    addrs.dedup();
    let tokens = config
        .expand_tokens(&|k| std::env::var(k).ok())
        .map_err(|e| {
            CommandError::new(e).with_hint("set the variable in the server's environment")
        })?;
    if let Some(open) = addrs.iter().find(|a| !a.ip().is_loopback())
        && tokens.board.is_none()
    {
        return Err(CommandError::new(format!(
            "refusing to listen on {open} (not loopback) without a board token"
        ))
        .with_hint(
            "set [serve] board_token = \"${INCIDENT_BOARD_TOKEN}\" and the variable, or --listen 127.0.0.1:8787",
        ));
    }
    // The log opens (and is migrated) before anything is accepted.
    drop(app.store(Mode::ReadWrite)?);
    if tokens.intake.is_none() {
        output::status(
            "warning: no [intake] token: POST /api/v1/alertmanager answers 503 until one is set",
        );
    }
    let mut settings = app.settings.clone();
    settings.author = Some(config.intake.author.clone());
    let server = Server {
        addrs,
        settings,
        serve: config.clone(),
        tokens,
        notice: app.notice,
    };
    serve::run(server, &|bound| {
        for a in bound {
            output::status(&format!("incident serve: listening on http://{a}"));
        }
    })
    .map_err(|e| CommandError::new(e.to_string()))?;
    output::status("incident serve: stopped");
    Ok(())
}
