//! Redaction held to both sides through `attach`: a corpus of realistic lines with no secret in
//! them comes back byte for byte (no false positive), and a corpus of secret shapes loses every
//! secret (no miss). The README quotes both figures and corpus sizes; this test is their source.

use crate::common::{Env, sha256_hex};

/// A small deterministic generator: the corpus is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }

    fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[(self.next() % 16) as usize]))
            .collect()
    }

    fn b64(&mut self, n: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        (0..n)
            .map(|_| char::from(ALPHABET[(self.next() % 64) as usize]))
            .collect()
    }

    fn uuid(&mut self) -> String {
        format!(
            "{}-{}-4{}-a{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(3),
            self.hex(3),
            self.hex(12)
        )
    }
}

const HOSTS: [&str; 5] = [
    "db-primary-01",
    "api-gateway-7f9c",
    "10.0.3.17",
    "cache_eu-west-1b",
    "[fe80::1]",
];

/// One innocent line of shape `kind` (a timestamp, stack frame, host:port, id, `tokens:` at the
/// end, `key=value` that is no secret, words near secret names, unicode, CRLF).
fn innocent_line(rng: &mut Lcg, i: u64) -> String {
    let ts = format!(
        "2026-03-02T{:02}:{:02}:{:02}.{:03}Z",
        (i / 3600) % 24,
        (i / 60) % 60,
        i % 60,
        rng.next() % 1000
    );
    let host = rng.pick(&HOSTS);
    let port = 1024 + rng.next() % 60_000;
    let n = rng.next() % 100_000;
    let line = Shape {
        ts: &ts,
        host,
        port,
        n,
    };
    if i % 24 < 12 {
        line.services(rng, i % 24)
    } else {
        line.systems(rng, i % 24)
    }
}

/// What an innocent line is made of.
struct Shape<'a> {
    ts: &'a str,
    host: &'a str,
    port: u64,
    n: u64,
}

impl Shape<'_> {
    /// Application lines: requests, stack frames, ids, token counts, sshd, Apache.
    fn services(&self, rng: &mut Lcg, kind: u64) -> String {
        let Shape { ts, host, port, n } = *self;
        match kind {
            0 => format!(
                "{ts} INFO request_id={} user=deploy latency_ms={}.{} status=200",
                rng.uuid(),
                n % 900,
                n % 10
            ),
            1 => format!(
                "\tat com.acme.billing.InvoiceService.render(InvoiceService.java:{})",
                n % 2000
            ),
            2 => format!(
                "\tat android.view.SurfaceControl.destroySurfaces:{}",
                n % 900
            ),
            3 => format!(
                "{ts} ERROR dial tcp {host}:{port}: connect: connection refused (retry {})",
                n % 9
            ),
            4 => format!(
                "{ts} DEBUG usage prompt_tokens={} completion_tokens={} max_tokens=4096 tokens:",
                n % 4000,
                n % 700
            ),
            5 => format!(
                "Mar  2 10:15:{:02} bastion sshd[{}]: Failed password for invalid user admin from 203.0.113.{} port {port} ssh2",
                n % 60,
                n,
                n % 250
            ),
            6 => format!(
                "{ts} INFO object 0x{} committed as {} (parent {})",
                rng.hex(12),
                rng.hex(40),
                rng.hex(7)
            ),
            7 => format!(
                "{ts} INFO cursor={} page=2 next=eyJvZmZzZXQiOjQwfQ",
                rng.b64(32)
            ),
            8 => format!(
                "{ts} WARN token bucket refilled: tokens={} rate=50/s token_type=Bearer expires_in=3600",
                n % 50
            ),
            9 => format!(
                "[Sun Dec 04 04:47:44 2005] [notice] jk2_init() Found child {} in scoreboard slot {}",
                n,
                n % 12
            ),
            10 => format!(
                "{ts} INFO secretName: db-credentials secretKeyRef.key=url password_policy=strong passwordless=true"
            ),
            11 => format!(
                "{ts} INFO GET /api/v1/tokens/verify?id={}&lang=fr HTTP/1.1 200 {} \"-\" \"kube-probe/1.29\"",
                rng.uuid(),
                n
            ),
            _ => unreachable!("kinds 0 to 11"),
        }
    }

    /// Platform lines: URLs, command lines, placeholders, unicode, hashes, CRLF, long lines.
    fn systems(&self, rng: &mut Lcg, kind: u64) -> String {
        let Shape { ts, host, port, n } = *self;
        match kind {
            12 => {
                format!("{ts} INFO connecting to postgres://app@{host}:5432/prices?sslmode=require")
            }
            13 => format!(
                "{ts} INFO ran `find /var/log -name '*.gz' -mtime +7 -print` and `gcc -pthread -O2`; mysql -h db -P 3306 -u app prices"
            ),
            14 => format!(
                "{ts} INFO password=*** token=null api_key=${{API_KEY}} secret=<hidden> passwd: ********"
            ),
            15 => format!(
                "{ts} ERROR open /etc/passwd: permission denied; Bearer authentication required for /admin"
            ),
            16 => format!(
                "{ts} INFO Zahlung für Bestellung №{} bestätigt ✓ 北京 résumé café",
                n
            ),
            17 => format!(
                "{ts} INFO sha256={} etag=\"{}\" build={}",
                rng.hex(64),
                rng.b64(22),
                rng.hex(10)
            ),
            18 => format!(
                "{ts} INFO redis-cli -h {host} -p {port} ping -> PONG; git@github.com:acme/ops-tools.git"
            ),
            19 => {
                format!(
                    "{ts} INFO Authorization: failed for service account ci-runner (scope=read)\r"
                )
            }
            20 => format!(
                "{ts} INFO pod updater-5c_x-{} (sshd(pam_unix)) workerEnv.init() ok; a.b.c = {}",
                n % 9,
                n
            ),
            21 => format!("{ts} INFO {}", "x".repeat(2000 + (n % 3000) as usize)),
            22 => format!(
                "{ts} INFO kind: Secret metadata.name=app-tls key=value monkey=3 primary_key=id"
            ),
            _ => format!(
                "{ts} INFO https://status.example.com:8443/incidents?id={}&since=1h user@host:/srv/app",
                n
            ),
        }
    }
}

/// The innocent corpus: `lines` lines, the last without a newline.
fn innocent_corpus(lines: u64) -> String {
    let mut rng = Lcg(13);
    let mut text: Vec<String> = (0..lines).map(|i| innocent_line(&mut rng, i)).collect();
    text.push(String::new());
    let mut joined = text.join("\n");
    joined.pop();
    joined
}

#[test]
fn innocent_lines_are_stored_byte_for_byte() {
    const LINES: u64 = 24_000;
    let env = Env::new();
    env.run(&["open", "P2", "Checkout errors"]).ok();
    let corpus = innocent_corpus(LINES);
    let file = env.home().join("innocent.log");
    std::fs::write(&file, &corpus).unwrap();
    let attached = env.run(&["attach", "1", file.to_str().unwrap()]);
    attached.ok();
    let err = &attached.stderr;
    assert!(!err.contains("redacted"), "{err}");
    assert!(
        err.contains(&format!(
            "{LINES} lines, sha256 {}",
            sha256_hex(corpus.as_bytes())
        )),
        "{err}"
    );
    let back = env.command(&["logs", "1", "-a", "1"]).output().unwrap();
    let changed: Vec<(&str, String)> = corpus
        .split('\n')
        .zip(
            String::from_utf8_lossy(&back.stdout)
                .split('\n')
                .map(str::to_string),
        )
        .filter(|(a, b)| a != b)
        .take(5)
        .collect();
    assert!(changed.is_empty(), "false positives: {changed:#?}");
    assert_eq!(back.stdout, corpus.as_bytes());
}

#[test]
fn real_log_samples_are_stored_byte_for_byte() {
    // tests/data/logs: what dpkg, apt, MariaDB, PostgreSQL and RabbitMQ wrote on a real
    // machine (its README says where each comes from). None holds a secret.
    let env = Env::new();
    env.run(&["open", "P3", "Real logs"]).ok();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/logs");
    let mut samples: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    samples.sort();
    assert!(samples.len() >= 5, "{samples:?}");
    for (i, path) in samples.iter().enumerate() {
        let attached = env.run(&["attach", "1", path.to_str().unwrap()]);
        attached.ok();
        assert!(!attached.stderr.contains("redacted"), "{}", attached.stderr);
        let seq = (i + 1).to_string();
        let back = env.command(&["logs", "1", "-a", &seq]).output().unwrap();
        assert!(
            back.stdout == std::fs::read(path).unwrap(),
            "{} did not come back byte for byte",
            path.display()
        );
    }
}

const ENV_SECRET: &str = "Zq7-Hunter_Two.42";

/// Lines each holding one secret (the second field): every shape the rules know, in the
/// contexts it turns up in (key=value, JSON, YAML, headers, URLs, command lines, CRLF).
fn secret_lines(rng: &mut Lcg, i: u64) -> Vec<(String, String)> {
    let ts = format!("2026-03-02T10:{:02}:{:02}Z", (i / 60) % 60, i % 60);
    let pw = format!("{}{}!", rng.b64(10).replace(['+', '/'], "x"), i);
    let token = format!("{}{}", rng.b64(24).replace(['+', '/'], "_"), rng.hex(8));
    let aws = format!("AKIA{}", rng.hex(16).to_uppercase());
    let jwt_body = format!(
        "eyJzdWIiOiJ1c2VyLXtpfSIsImlhdCI6{}",
        rng.b64(12).replace(['+', '/'], "-")
    );
    let jwts = [
        format!(
            "eyJhbGciOiJIUzI1NiJ9.{jwt_body}.{}",
            rng.b64(43).replace(['+', '/'], "_")
        ),
        format!("eyJhbGciOiJub25lIn0.{jwt_body}."),
        format!(
            "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.{}.{}.{}.{}",
            rng.b64(40).replace(['+', '/'], "-"),
            rng.b64(16).replace(['+', '/'], "-"),
            rng.b64(30).replace(['+', '/'], "-"),
            rng.b64(22).replace(['+', '/'], "-")
        ),
    ];
    let aws_secret = rng.b64(40);
    let slack = format!(
        "T{}/B{}/{}",
        rng.hex(8).to_uppercase(),
        rng.hex(8).to_uppercase(),
        rng.b64(24).replace(['+', '/'], "a")
    );
    let github = format!("ghp_{}", rng.b64(36).replace(['+', '/'], "Q"));
    let mut lines = vec![
        (format!("{ts} INFO db password={pw} user=app"), pw.clone()),
        (format!("{ts} INFO passwd: {pw}"), pw.clone()),
        (format!("{ts} DEBUG token: {token}\r"), token.clone()),
        (
            format!("{ts} DEBUG GET /v1/orders Authorization: Bearer {token}"),
            token.clone(),
        ),
        (
            format!("{{\"ts\":\"{ts}\",\"api_key\": \"{token}\",\"level\":\"info\"}}"),
            token.clone(),
        ),
        (format!("  DB_PASSWORD: '{pw}'"), pw.clone()),
        (
            format!("{ts} INFO x-api-key={token}&region=eu"),
            token.clone(),
        ),
        (
            format!("{ts} INFO aws configure: key {aws} region eu-west-1"),
            aws.clone(),
        ),
        (format!("aws_secret_access_key = {aws_secret}"), aws_secret),
        (
            format!("{ts} INFO connecting to postgres://app:{pw}@db-primary-01:5432/prices"),
            pw.clone(),
        ),
        (
            format!("{ts} INFO redis://:{pw}@cache:6379/0 connected"),
            pw.clone(),
        ),
        (
            format!("{ts} INFO notify https://hooks.slack.com/services/{slack}"),
            slack,
        ),
        (
            format!("{ts} INFO ran mysql -h db -u root -p{pw} prices"),
            pw.clone(),
        ),
        (
            format!("{ts} INFO login with {ENV_SECRET} from the config"),
            ENV_SECRET.to_string(),
        ),
        (
            format!("{ts} INFO spring.datasource.password = \"{pw} with spaces\""),
            format!("{pw} with spaces"),
        ),
        (format!("{ts} INFO --password={pw} --verbose"), pw.clone()),
        (format!("{ts} INFO clientSecret={token}"), token.clone()),
        (format!("{ts} WARN github token {github}"), github),
    ];
    for jwt in jwts {
        lines.push((format!("{ts} INFO session {jwt} issued"), jwt));
    }
    lines
}

/// A PEM private key of `lines` body lines, as a list of (line, secret): its markers are kept.
fn private_key(rng: &mut Lcg, lines: usize) -> Vec<(String, String)> {
    let mut key = vec![("-----BEGIN RSA PRIVATE KEY-----".to_string(), String::new())];
    for _ in 0..lines {
        let body = rng.b64(64);
        key.push((body.clone(), body));
    }
    key.push(("-----END RSA PRIVATE KEY-----".to_string(), String::new()));
    key
}

/// The secret corpus: secret lines, a private key across the first 64 KiB chunk boundary, and
/// innocent filler lines between them (with no secret to miss: the empty string).
fn secret_corpus() -> Vec<(String, String)> {
    let mut rng = Lcg(42);
    let mut corpus: Vec<(String, String)> = Vec::new();
    let mut size = 0;
    let mut i = 0;
    while size < 64 * 1024 - 1_000 {
        let line = innocent_line(&mut rng, i);
        size += line.len() + 1;
        corpus.push((line, String::new()));
        i += 1;
    }
    corpus.extend(private_key(&mut rng, 25));
    for i in 0..150 {
        corpus.extend(secret_lines(&mut rng, i));
        if i % 10 == 0 {
            corpus.extend(private_key(&mut rng, 1 + (i as usize % 30)));
        }
    }
    corpus
}

#[test]
fn every_secret_shape_is_caught() {
    let env = Env::new();
    env.run(&["open", "P2", "Checkout errors"]).ok();
    env.write_config(
        "[[database]]\nname = \"prices\"\nurl = \"mysql://app:${INCIDENT_TEST_SECRET}@127.0.0.1:1/prices\"\n",
    );
    let corpus = secret_corpus();
    let text: String = corpus.iter().map(|(l, _)| format!("{l}\n")).collect();
    let file = env.home().join("secrets.log");
    std::fs::write(&file, &text).unwrap();
    let out = env
        .command(&["attach", "1", file.to_str().unwrap()])
        .env("INCIDENT_TEST_SECRET", ENV_SECRET)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let back = env.command(&["logs", "1", "-a", "1"]).output().unwrap();
    let back = String::from_utf8(back.stdout).unwrap();
    let back: Vec<&str> = back.lines().collect();
    assert_eq!(
        back.len(),
        corpus.len(),
        "lines are neither added nor removed"
    );
    let mut secrets = 0;
    let mut misses = Vec::new();
    for ((line, secret), stored) in corpus.iter().zip(&back) {
        let line = line.trim_end_matches('\r');
        if secret.is_empty() {
            assert_eq!(
                line,
                stored.trim_end_matches('\r'),
                "an innocent line changed"
            );
            continue;
        }
        secrets += 1;
        if stored.contains(secret.as_str()) || !stored.contains("[REDACTED:") {
            misses.push((line.to_string(), stored.to_string()));
        }
    }
    assert!(
        misses.is_empty(),
        "{} of {secrets} secrets missed: {misses:#?}",
        misses.len()
    );
    assert_eq!(secrets, 3_340, "the README quotes the corpus sizes");
    assert!(
        err.contains(&format!("on {secrets} lines")),
        "attach reports every changed line: {err}"
    );
    assert!(
        err.contains(&format!("sha256 {} as read", sha256_hex(text.as_bytes()))),
        "{err}"
    );
}
