//! `POST /api/v1/alertmanager/dry-run`: the intake's token, body and payload checks with no
//! write (for trying a receiver, and the intake benchmark's baseline, benches/intake.rs).

use crate::common::Env;
use crate::serve::Server;
use std::process::Stdio;

const TOKEN: &str = "dry_run-token-1";

fn post(port: u16, route: &str, token: Option<&str>, body: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent
        .post(&format!("http://127.0.0.1:{port}{route}"))
        .header("Content-Type", "application/json");
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut r = req.send(body).unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

#[test]
fn the_dry_run_checks_like_the_intake_and_writes_nothing() {
    let env = Env::new();
    env.write_config("[intake]\ntoken = \"${AM_TOKEN}\"\n[serve]\nbody_limit = \"4KiB\"\n");
    let server = Server::launch(&env, TOKEN, Stdio::null(), true);
    let port = server.port();
    let body = crate::serve::recorded("02-firing-2alerts").to_string();
    let dry = "/api/v1/alertmanager/dry-run";

    let (status, text) = post(port, dry, Some(TOKEN), &body);
    assert_eq!(status, 200, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (v["outcome"].as_str(), v["alerts"].as_u64()),
        (Some("dry-run"), Some(2))
    );
    // The same refusals as the intake, one line each.
    let (status, text) = post(port, dry, Some("wrong <script>"), &body);
    assert_eq!((status, text.lines().count()), (401, 1), "{text}");
    assert_eq!(post(port, dry, None, &body).0, 401);
    let (status, text) = post(port, dry, Some(TOKEN), "{\"version\": \"4\", ");
    assert_eq!(status, 400);
    assert!(text.starts_with("malformed JSON"), "{text}");
    let (status, text) = post(port, dry, Some(TOKEN), &"x".repeat(5000));
    assert_eq!(status, 413, "{text}");
    // Nothing recorded; the real intake then records the same payload.
    assert_eq!(env.json(&["list", "--json"]), serde_json::json!([]));
    let (status, text) = post(port, "/api/v1/alertmanager", Some(TOKEN), &body);
    assert_eq!(status, 200, "{text}");
    assert_eq!(env.json(&["list", "--json"]).as_array().unwrap().len(), 1);
}
