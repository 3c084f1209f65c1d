//! The end-to-end harness: the real binary in a temp HOME, with a pinned clock and author.

pub mod golden;
pub mod kube;
pub mod rng;
pub mod services;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Env {
    pub dir: tempfile::TempDir,
    pub now: String,
    pub author: String,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "expected success, got {}: {}{}",
            self.code, self.stdout, self.stderr
        );
        &self.stdout
    }

    /// Asserts the documented error shape: exit 1, nothing on stdout, one line on stderr.
    #[track_caller]
    pub fn err(&self) -> &str {
        assert_eq!(
            self.code, 1,
            "expected exit 1, got {}: {}{}",
            self.code, self.stdout, self.stderr
        );
        assert_eq!(self.stdout, "", "errors print nothing on stdout");
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "one-line error: {}",
            self.stderr
        );
        assert!(self.stderr.starts_with("error: "), "{}", self.stderr);
        self.stderr.trim_end()
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
            now: "2026-11-29T10:00:00Z".into(),
            author: "alice".into(),
        }
    }

    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    /// Writes the config file where `incident` looks with no --config or INCIDENT_CONFIG, and
    /// returns its path.
    pub fn write_config(&self, text: &str) -> PathBuf {
        let path = self.home().join(".config/incident/config.toml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Where the database lands with no --db, INCIDENT_DB or config.
    pub fn db(&self) -> PathBuf {
        self.home().join(".local/share/incident/incidents.db")
    }

    /// Makes every incident of the database look recorded before SLA terms were kept in the
    /// timeline (version 20): no event's detail has `terms`, and no deadline has its rule.
    pub fn forget_terms(&self) {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        conn.execute_batch(
            "DROP TRIGGER events_no_update;
             UPDATE events SET detail = json_remove(detail, '$.terms') WHERE detail IS NOT NULL;
             UPDATE events SET detail = NULL WHERE detail = '{}';
             UPDATE incidents SET clock_rules = '{}';
             CREATE TRIGGER events_no_update BEFORE UPDATE ON events
             WHEN NOT EXISTS (SELECT 1 FROM purges WHERE event_uuid = OLD.uuid)
             BEGIN
                 SELECT RAISE(ABORT, 'timeline events are append-only');
             END;",
        )
        .unwrap();
    }

    pub fn at(&mut self, now: &str) -> &mut Self {
        self.now = now.into();
        self
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_incident"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("TZ", "UTC")
            .env("INCIDENT_NOW", &self.now)
            .env("INCIDENT_AUTHOR", &self.author)
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.command(args).output().unwrap().into()
    }

    pub fn run_stdin(&self, args: &[&str], input: &str) -> Run {
        self.run_stdin_bytes(args, input.as_bytes())
    }

    /// `run_stdin` with bytes that need not be UTF-8.
    pub fn run_stdin_bytes(&self, args: &[&str], input: &[u8]) -> Run {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap().into()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let run = self.run(args);
        serde_json::from_str(run.ok()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
    }

    /// The bytes of the database and its WAL: "untouched" means these are equal before and after.
    pub fn db_bytes(&self, db: &Path) -> (Vec<u8>, Vec<u8>) {
        let wal = PathBuf::from(format!("{}-wal", db.display()));
        (
            std::fs::read(db).unwrap_or_default(),
            std::fs::read(wal).unwrap_or_default(),
        )
    }
}

/// SHA-256 of `bytes` in lowercase hex, as `attach` prints it and `sha256sum` does.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Polls `ready` every 20 ms for up to 30 s (generous: tests share 2 busy cores), failing with
/// `what`: a wait for readiness, never a fixed sleep.
#[track_caller]
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !ready() {
        assert!(std::time::Instant::now() < until, "not within 30 s: {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The processes whose parent is `pid` (from /proc).
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            // "pid (comm) state ppid …": comm may hold spaces and parentheses.
            std::fs::read_to_string(format!("/proc/{child}/stat")).is_ok_and(|stat| {
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                    .is_some_and(|ppid| ppid == pid.to_string())
            })
        })
        .collect()
}
