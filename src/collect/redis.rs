//! The Redis collector: PING with latency, and an INFO summary.
//!
//! Its data is [`RedisData`]: the round trip, and [`RedisInfo`] beside it.

use super::Stop;
use crate::domain::text::io_message;
use crate::evidence::data::{Keyspace, RedisData, RedisInfo};
use crate::evidence::settings::RedisSettings;
use crate::evidence::snapshot::Item;
use redis::{AsyncConnectionConfig, ErrorKind, RedisError};
use std::time::Duration;
use tokio::time::{Instant, timeout_at};

/// PINGs and reads INFO within `settings.timeout`. `url` has `${VAR}` already expanded.
pub async fn collect(settings: &RedisSettings, url: &str) -> Item {
    let started = Instant::now();
    let deadline = super::deadline_after(started, settings.timeout);
    let outcome = match timeout_at(deadline, gather(url, settings.timeout)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Stop::Timeout),
    };
    let duration_ms = started.elapsed().as_millis() as u64;
    super::item(&settings.name, duration_ms, outcome)
}

async fn gather(url: &str, timeout: Duration) -> Result<RedisData, Stop> {
    let client = redis::Client::open(url)
        .map_err(|e| Stop::Failed(format!("cannot use the Redis URL: {}", describe(&e))))?;
    let addr = client.get_connection_info().addr().to_string();
    // The defaults (1 s to connect, 500 ms per response) are not the configured timeout; the
    // caller's deadline bounds the whole exchange anyway.
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout));
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(|e| stop(&e, &addr))?;

    let sent = Instant::now();
    let _: String = redis::cmd("PING")
        .query_async(&mut conn)
        .await
        .map_err(|e| stop(&e, &addr))?;
    let latency_ms = ((sent.elapsed().as_secs_f64() * 10_000.0).round() / 10.0).max(0.1);

    let info: String = redis::cmd("INFO")
        .query_async(&mut conn)
        .await
        .map_err(|e| stop(&e, &addr))?;
    Ok(RedisData {
        latency_ms: Some(latency_ms),
        info: summarize(&info),
    })
}

fn stop(e: &RedisError, addr: &str) -> Stop {
    if e.is_timeout() {
        return Stop::Timeout;
    }
    if e.is_connection_refusal() {
        return Stop::Failed(format!("connection refused ({addr})"));
    }
    let auth = matches!(e.code(), Some("WRONGPASS" | "NOAUTH" | "NOPERM"))
        || e.kind() == ErrorKind::AuthenticationFailed;
    if auth {
        return Stop::Failed(format!("access denied: {}", describe(e)));
    }
    if matches!(e.kind(), ErrorKind::Parse | ErrorKind::UnexpectedReturnType) {
        return Stop::Failed(format!("unexpected answer from {addr}: {}", describe(e)));
    }
    if let Some(io) = std::error::Error::source(e).and_then(|s| s.downcast_ref::<std::io::Error>())
    {
        return Stop::Failed(format!("cannot connect to {addr}: {}", io_message(io)));
    }
    Stop::Failed(describe(e))
}

/// The error as one line, without the Debug name of its kind that redis appends.
fn describe(e: &RedisError) -> String {
    let text = e.to_string().replace(&format!(" - {:?}", e.kind()), "");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The fields of INFO a responder looks at.
fn summarize(info: &str) -> RedisInfo {
    let field = |name: &str| {
        info.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
    };
    let text = |name: &str| field(name).map(str::to_string);
    let int = |name: &str| field(name).and_then(|v| v.parse::<i64>().ok());
    let mut keys = Vec::new();
    for line in info.lines() {
        let Some((db, stats)) = line.trim().split_once(':') else {
            continue;
        };
        let is_db = db
            .strip_prefix("db")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !is_db {
            continue;
        }
        let count = stats
            .split(',')
            .find_map(|kv| kv.strip_prefix("keys="))
            .and_then(|n| n.parse::<i64>().ok());
        if let Some(count) = count {
            keys.push((db.to_string(), count));
        }
    }
    RedisInfo {
        version: text("redis_version"),
        role: text("role"),
        uptime_seconds: int("uptime_in_seconds"),
        connected_clients: int("connected_clients"),
        used_memory_human: text("used_memory_human"),
        keys: Some(Keyspace(keys)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn info_is_summarized() {
        let info = "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:1448\r\n# Clients\r\nconnected_clients:3\r\n\
                    # Memory\r\nused_memory:1\r\nused_memory_human:1.02M\r\n# Replication\r\nrole:master\r\n\
                    # Keyspace\r\ndb0:keys=12,expires=1,avg_ttl=0\r\ndb3:keys=2,expires=0,avg_ttl=0\r\n";
        let data = serde_json::to_value(summarize(info)).unwrap();
        assert_eq!(
            data,
            json!({
                "version": "7.0.15", "role": "master", "uptime_seconds": 1448, "connected_clients": 3,
                "used_memory_human": "1.02M", "keys": {"db0": 12, "db3": 2}
            })
        );
    }
}
