//! The services the collector tests talk to (PostgreSQL, MariaDB, Redis on loopback): where
//! they are, and whether a test runs, skips, or fails when one is missing.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Set to 1 (CI does) to fail, rather than skip, a test whose service is not reachable.
pub const REQUIRE_ENV: &str = "INCIDENT_REQUIRE_SERVICES";

/// The service's URL (from `env_var`, else `default_url`) if a TCP connection to its host and
/// port opens within 1 s. Otherwise panics when INCIDENT_REQUIRE_SERVICES=1 (`.ci/run`), or
/// writes a SKIPPED line that `cargo test` shows and returns None so the test can return early.
pub fn service(name: &str, env_var: &str, default_url: &str) -> Option<String> {
    let url = std::env::var(env_var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default_url.to_string());
    let addr = host_port(&url);
    let reachable = addr
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|sa| TcpStream::connect_timeout(&sa, Duration::from_secs(1)).is_ok());
    if reachable {
        return Some(url);
    }
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    if std::env::var(REQUIRE_ENV).as_deref() == Ok("1") {
        panic!(
            "{test}: {name} is not reachable at {addr} and {REQUIRE_ENV}=1; start it with: {} \
             (or point {env_var} at a running one)",
            how_to_start(name)
        );
    }
    // Straight to the process's stderr: libtest captures `eprintln!` of a passing test, and a
    // skip must show in the output of `cargo test` (the test itself is still counted as passed).
    let line = format!(
        "SKIPPED: {test}: {name} not reachable at {addr}; start it (see README) or set \
         {REQUIRE_ENV}=1 to fail instead\n"
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
    None
}

/// `host:port` of a `scheme://[user[:password]@]host[:port][/…]` URL, with the scheme's
/// default port.
fn host_port(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let has_port = match host_port.rsplit_once(':') {
        Some((host, port)) => {
            !port.is_empty() && !host.ends_with(':') && port.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    };
    if has_port && !host_port.ends_with(']') {
        return host_port.to_string();
    }
    let port = match scheme {
        "mysql" | "mariadb" => 3306,
        "postgres" | "postgresql" => 5432,
        "redis" => 6379,
        _ => 0,
    };
    format!("{host_port}:{port}")
}

/// The command that starts the service on this machine (what `.ci/run` does).
fn how_to_start(name: &str) -> &'static str {
    let name = name.to_ascii_lowercase();
    if name.contains("postgres") {
        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
    } else if name.contains("maria") || name.contains("mysql") {
        "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"
    } else if name.contains("redis") {
        "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no"
    } else {
        "see .ci/run"
    }
}

/// A name no other test, run or concurrent test process uses (for schemas, tables, roles).
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{nanos}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A program from Debian that a test runs (`.ci/run` installs it when missing): `Some(bin)`
/// when `bin --version` runs. Without it the test fails when INCIDENT_REQUIRE_SERVICES=1,
/// else prints `SKIPPED: <test>: …` and gets None.
pub fn program(bin: &'static str, test: &str, package: &str) -> Option<&'static str> {
    let found = std::process::Command::new(bin)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Some(bin);
    }
    let install = format!("apt-get install --no-install-recommends {package}");
    if std::env::var(REQUIRE_ENV).as_deref() == Ok("1") {
        panic!("{bin} is not installed: {install}");
    }
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {test}: {bin} is not installed ({install})"
    );
    None
}
