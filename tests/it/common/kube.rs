//! A stand-in Kubernetes API server on 127.0.0.1 for tests: it answers with what a route
//! function returns and records every request it saw.

use serde_json::json;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub const TOKEN: &str = "t0ken-for-the-stand-in";

/// One request the stand-in saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub authorization: Option<String>,
}

pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

pub fn json_reply(status: u16, body: String) -> Reply {
    Reply {
        status,
        content_type: "application/json",
        body,
    }
}

pub fn list<T: k8s_openapi::ListableResource + serde::Serialize>(items: Vec<T>) -> Reply {
    let list = k8s_openapi::List {
        items,
        metadata: Default::default(),
    };
    json_reply(200, serde_json::to_string(&list).unwrap())
}

/// A Kubernetes `Status` error body, as the API server sends it.
pub fn status(code: u16, reason: &str, message: &str) -> Reply {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code,
    });
    json_reply(code, body.to_string())
}

/// A tiny_http server on a random loopback port, one thread, answering with `route`.
pub fn serve(route: impl Fn(&Seen) -> Reply + Send + 'static) -> (u16, Arc<Mutex<Vec<Seen>>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let (path, query) = request.url().split_once('?').unwrap_or((request.url(), ""));
            let query = query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (decode(k), decode(v))
                })
                .collect();
            let authorization = request
                .headers()
                .iter()
                .find(|h| h.field.equiv("Authorization"))
                .map(|h| h.value.to_string());
            let request_seen = Seen {
                path: path.to_string(),
                query,
                authorization,
            };
            let reply = route(&request_seen);
            log.lock().unwrap().push(request_seen);
            // Written by hand to say `Connection: close` (tiny_http drops that header): tiny_http
            // serves each connection on a pooled thread for as long as it is kept alive, and a
            // burst of concurrent connections (the collector's lists) queues behind them.
            let mut writer = request.into_writer();
            let head = format!(
                "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                reply.status,
                tiny_http::StatusCode(reply.status).default_reason_phrase(),
                reply.content_type,
                reply.body.len(),
            );
            let _ = writer.write_all(head.as_bytes());
            let _ = writer.write_all(reply.body.as_bytes());
            let _ = writer.flush();
        }
    });
    (port, seen)
}

/// Percent-decoding for the query values kube sends (`app%3Dupdater`).
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// A kubeconfig with a context for `port` (bearer token) and one for a port nobody uses, the
/// latter current unless `current` says otherwise.
pub fn kubeconfig(dir: &Path, port: u16, current: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    let text = format!(
        "apiVersion: v1
kind: Config
current-context: {current}
clusters:
- name: standin
  cluster:
    server: http://127.0.0.1:{port}
- name: nowhere
  cluster:
    server: http://127.0.0.1:9
contexts:
- name: standin
  context:
    cluster: standin
    user: oncall
- name: nowhere
  context:
    cluster: nowhere
    user: oncall
users:
- name: oncall
  user:
    token: {TOKEN}
"
    );
    std::fs::write(&path, text).unwrap();
    path
}
