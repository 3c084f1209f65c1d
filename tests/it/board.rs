//! The incident board in the browser (`incident serve`: `/`, `/incidents/N`,
//! `/incidents/N/postmortem`, `/review`), end to end: the real binary on a free port at a
//! pinned clock (tests/it/serve.rs' `Server`), its pages checked against what the commands say
//! on the same database, and once in a real browser (Debian's headless Chromium).

use crate::common::Env;
use crate::serve::{Server, agent};
use base64::Engine;
use serde_json::Value;
use std::process::Stdio;

/// The board token the server's config reads from `${AM_TOKEN}` (the `Server` sets it).
const TOKEN: &str = "example-token";
const NOW: &str = "2026-11-29T10:00:00Z";
const SCRIPT_NOTE: &str = "<script>alert(1)</script> then <script>document.title='pwned';document.body.setAttribute('data-pwned','1')</script> from 10.0.0.7";

/// A log with the board token; every page needs it.
fn board_env() -> Env {
    let mut env = Env::new();
    env.at(NOW);
    env.write_config("[serve]\nboard_token = \"${AM_TOKEN}\"\n");
    env
}

fn ok(env: &Env, args: &[&str]) -> String {
    env.run(args).ok().to_string()
}

/// Six incidents: four unresolved (one breached), one cancelled, one resolved. Incident 2
/// (P1, commander, services) has a note with `<script>`s, a retracted note, an action item and
/// an attached log.
fn seed(env: &Env) {
    let open = |sev: &str, title: &str, at: &str, services: &[&str]| {
        let mut args = vec!["open", sev, title, "--at", at, "--no-snapshot"];
        for s in services {
            args.extend(["--service", s]);
        }
        ok(env, &args);
    };
    open(
        "P3",
        "Disk filling on db-01 (eu_west-1)",
        "2026-11-29T08:00:00Z",
        &["postgres_main"],
    );
    open(
        "P1",
        "Checkout 5xx <b>spike</b> für Kunden",
        "2026-11-29T09:50:00Z",
        &["checkout-api", "payments_gw"],
    );
    open("P2", "Stale replica (ancient)", "2026-11-28T09:00:00Z", &[]);
    open(
        "P3",
        "Cache warmer slow (cache_warmer)",
        "2026-11-29T07:00:00Z",
        &[],
    );
    open("P1", "Opened by mistake", "2026-11-29T09:55:00Z", &[]);
    ok(env, &["cancel", "5", "--reason", "opened by mistake"]);
    open("P1", "Fixed already", "2026-11-29T09:00:00Z", &[]);
    ok(env, &["resolve", "6"]);

    ok(
        env,
        &[
            "sla",
            "pause",
            "4",
            "--reason",
            "waiting on AWS support (case 123-45)",
        ],
    );
    ok(env, &["role", "2", "commander", "Zoë (SRE)"]);
    ok(env, &["note", "2", "wrong incident: db-01 disk at 91%"]);
    let shown = env.json(&["show", "2", "--json"]);
    let uuid = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "note")
        .unwrap()["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        env,
        &["retract", "2", &uuid, "--reason", "belongs to #1 (disk)"],
    );
    ok(env, &["note", "2", SCRIPT_NOTE]);
    ok(
        env,
        &[
            "action",
            "add",
            "2",
            "Alert on 5xx rate > 2% (checkout)",
            "--owner",
            "bob",
        ],
    );
    let log = env.home().join("checkout_api-7f9c.log");
    std::fs::write(&log, "10.0.0.7 GET /pay 502\n10.0.0.8 GET /pay 502\n").unwrap();
    ok(env, &["attach", "2", log.to_str().unwrap()]);
}

fn basic(password: &str) -> String {
    let pair = format!("board-user:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// GET with `authorization` (none: no header): status, WWW-Authenticate, body.
fn fetch(server: &Server, path: &str, authorization: Option<&str>) -> (u16, String, String) {
    let mut req = agent().get(&server.url(path));
    if let Some(a) = authorization {
        req = req.header("Authorization", a);
    }
    let mut r = req.call().unwrap();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (
        r.status().as_u16(),
        challenge,
        r.body_mut().read_to_string().unwrap(),
    )
}

/// A page the token opens: its body, after checking it is a 200.
fn page(server: &Server, path: &str) -> String {
    let (status, _, body) = fetch(server, path, Some(&basic(TOKEN)));
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// The incidents' numbers in the order the board lists them.
fn order(html: &str) -> Vec<String> {
    html.split("<tr class=\"incident")
        .skip(1)
        .map(|row| attr(row, "data-number").unwrap())
        .collect()
}

/// The value of the first `name="…"` in `html`.
fn attr(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("{name}=\""))? + name.len() + 2;
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_string())
}

/// The tag of clock `key` of the row of incident `number`.
fn clock_tag<'a>(html: &'a str, number: &str, key: &str) -> &'a str {
    let row = html
        .split("<tr class=\"incident")
        .find(|r| attr(r, "data-number").as_deref() == Some(number))
        .unwrap_or_else(|| panic!("no row for incident {number}"));
    let at = row
        .find(&format!("data-clock=\"{key}\""))
        .unwrap_or_else(|| panic!("incident {number} has no {key} clock"));
    &row[at..at + row[at..].find('>').unwrap()]
}

#[test]
fn the_board_lists_the_unresolved_breached_first_with_the_deadlines_sla_reports() {
    let env = board_env();
    let server = Server::start(&env);
    let empty = page(&server, "/");
    assert!(empty.contains("No unresolved incidents"), "{empty}");
    assert!(order(&empty).is_empty());

    seed(&env);
    let html = page(&server, "/");
    // Breached first (3: its respond clock ran out yesterday), then P1 before P3, then the
    // older P3 first; neither the cancelled (5) nor the resolved (6) one.
    assert_eq!(order(&html), ["3", "2", "4", "1"], "{html}");
    assert!(!html.contains("No unresolved incidents"));
    assert!(html.contains("<tr class=\"incident breached\" data-number=\"3\""));
    // What people typed stays text.
    assert!(html.contains("Checkout 5xx &lt;b&gt;spike&lt;&#x2f;b&gt; für Kunden"));
    assert!(!html.contains("<b>spike"));
    assert!(html.contains("Zoë (SRE)"));
    assert!(html.contains("checkout-api, payments_gw"));

    // Every clock carries the deadline `sla --json` reports, the server's words for it, and
    // (while it runs) the moment it turns overdue.
    let sla = env.json(&["sla", "--json"]);
    let listed = sla.as_array().unwrap();
    assert_eq!(listed.len(), 4);
    for i in listed {
        let n = i["number"].to_string();
        for key in ["respond", "resolve"] {
            let tag = clock_tag(&html, &n, key);
            let clock = &i["sla"][key];
            assert_eq!(
                attr(tag, "data-deadline").as_deref(),
                clock["deadline"].as_str(),
                "incident {n} {key}: {tag}"
            );
            assert_eq!(attr(tag, "data-state").as_deref(), clock["state"].as_str());
            let running = clock["state"] == "running";
            assert_eq!(
                attr(tag, "data-next-change").as_deref(),
                running.then(|| clock["deadline"].as_str().unwrap()),
                "{tag}"
            );
        }
    }
    let tag = clock_tag(&html, "2", "respond");
    assert!(tag.contains("data-counting=\"true\""), "{tag}");
    let respond = &html[html.find(tag).unwrap()..];
    assert!(respond.starts_with(&format!("{tag}>5m left<")), "{respond}");
    assert!(clock_tag(&html, "3", "respond").contains("data-state=\"overdue\""));
    // Paused: its time left holds still, and the row says why.
    let paused = clock_tag(&html, "4", "resolve");
    assert!(
        paused.contains("data-state=\"paused\" data-counting=\"false\""),
        "{paused}"
    );
    assert!(html.contains("paused: waiting on AWS support (case 123-45)"));

    // The same board as JSON, for template authors.
    let context: Value = serde_json::from_str(&page(&server, "/?context")).unwrap();
    assert_eq!(context["count"], 4);
    assert_eq!(context["breached"], 1);
    assert_eq!(
        context["incidents"][0]["board"]["clocks"][0]["text"],
        "OVERDUE by 21h"
    );
    server.stop();
}

#[test]
fn an_incident_page_shows_its_timeline_evidence_and_actions_and_the_reports_match_the_cli() {
    let env = board_env();
    seed(&env);
    let server = Server::start(&env);
    let html = page(&server, "/incidents/2");
    assert!(html.contains("Incident 2: Checkout 5xx &lt;b&gt;spike&lt;&#x2f;b&gt; für Kunden"));
    // The note's scripts are text; the page's one script is the board's own.
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; then &lt;script&gt;"));
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    // The retracted note: struck through, with who took it back and why.
    let retracted = &html[html.find("<tr class=\"note retracted\">").expect(&html)..];
    let retracted = &retracted[..retracted.find("</tr>").unwrap()];
    assert!(
        retracted.contains("wrong incident: db-01 disk at 91%"),
        "{retracted}"
    );
    assert!(retracted.contains("retracted by alice at 2026-11-29 10:00: belongs to #1 (disk)"));
    for text in [
        "<dt>commander</dt><dd>Zoë (SRE)</dd>",
        "Alert on 5xx rate &gt; 2% (checkout)",
        "<td>bob</td>",
        "Log 1: checkout_api-7f9c.log, 2 lines, 44 bytes",
        "data-deadline=\"2026-11-29T10:05:00Z\"",
        "href=\"&#x2f;incidents&#x2f;2&#x2f;postmortem\"",
        "checkout-api, payments_gw",
    ] {
        assert!(html.contains(text), "{text} missing from {html}");
    }
    let context: Value = serde_json::from_str(&page(&server, "/incidents/2?context")).unwrap();
    assert_eq!(context["evidence"]["attachments"][0]["lines"], 2);
    assert_eq!(
        context["incident"]["timeline"],
        env.json(&["show", "2", "--json"])["timeline"]
    );

    // Absent, or not a number.
    let (status, _, body) = fetch(&server, "/incidents/99", Some(&basic(TOKEN)));
    assert_eq!((status, body.lines().count()), (404, 1), "{body}");
    assert!(body.contains("99"), "{body}");
    let (status, _, body) = fetch(&server, "/incidents/2x", Some(&basic(TOKEN)));
    assert_eq!(
        (status, body.as_str()),
        (400, "\"2x\" is not an incident number\n")
    );
    let (status, _, _) = fetch(&server, "/incidents/99/postmortem", Some(&basic(TOKEN)));
    assert_eq!(status, 404);

    // The reports are the commands' HTML, byte for byte.
    assert_eq!(
        page(&server, "/incidents/2/postmortem"),
        ok(&env, &["postmortem", "2", "--format", "html"])
    );
    assert_eq!(
        page(&server, "/review?week=2026-W48"),
        ok(&env, &["review", "--week", "2026-W48", "--format", "html"])
    );
    assert_eq!(
        page(
            &server,
            "/review?since=2026-11-20&until=2026-11-29T09:30:00Z"
        ),
        ok(
            &env,
            &[
                "review",
                "--since",
                "2026-11-20",
                "--until",
                "2026-11-29T09:30:00Z",
                "--format",
                "html"
            ]
        )
    );
    assert_eq!(
        page(&server, "/review"),
        ok(&env, &["review", "--format", "html"])
    );
    for (query, says) in [
        ("week=2026-W60", "there is no week 60 in 2026"),
        ("week=soon", "malformed week 'soon'"),
        ("since=yesterday-ish", "since: "),
        ("until=2026-11-20", "until needs since"),
        ("week=2026-W48&since=2026-11-01", "not both"),
        ("weeks=2026-W48", "unknown parameter \"weeks\""),
        ("week=2027-W10", "has not started yet"),
    ] {
        let (status, _, body) = fetch(&server, &format!("/review?{query}"), Some(&basic(TOKEN)));
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body.lines().count(), 1, "{query}: {body}");
        assert!(body.contains(says), "{query}: {body}");
    }
    server.stop();
}

#[test]
fn every_page_asks_for_the_board_token_and_is_read_only() {
    let env = board_env();
    seed(&env);
    let server = Server::start(&env);
    for path in [
        "/",
        "/?context",
        "/incidents/2",
        "/incidents/2/postmortem",
        "/review?week=2026-W48",
    ] {
        for auth in [None, Some(basic("wrong-token")), Some("Bearer nope".into())] {
            let (status, challenge, body) = fetch(&server, path, auth.as_deref());
            assert_eq!(status, 401, "{path} {auth:?}");
            assert_eq!(challenge, "Basic realm=\"incident\"");
            assert!(!body.contains("Checkout"), "{body}");
        }
        // Any user name; the token is the password. Or the token as a bearer.
        assert_eq!(fetch(&server, path, Some(&basic(TOKEN))).0, 200, "{path}");
        let bearer = format!("Bearer {TOKEN}");
        assert_eq!(fetch(&server, path, Some(&bearer)).0, 200, "{path}");
    }
    let before = env.json(&["list", "--all", "--json"]);
    for path in ["/", "/incidents/2", "/review"] {
        let r = agent()
            .post(&server.url(path))
            .header("Authorization", &basic(TOKEN))
            .send(&b"{}"[..])
            .unwrap();
        assert_eq!(r.status().as_u16(), 405, "POST {path}");
    }
    assert_eq!(env.json(&["list", "--all", "--json"]), before);
    server.stop();
}

/// Debian's Chromium, or None (the test then says it skipped) unless services are required.
fn chromium_binary() -> Option<&'static str> {
    crate::common::services::program("chromium", "board browser test", "chromium")
}

/// The DOM after Chromium ran the page's script for 5 s of virtual time. A dialog (a typed
/// `alert()` that ran) would block it forever: after a minute it is killed and the test fails.
fn dump_dom(bin: &str, profile: &std::path::Path, url: &str) -> String {
    let dom_file = profile.join("dom.html");
    let err_file = profile.join("chromium.err");
    let mut child = std::process::Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            &format!("--user-data-dir={}", profile.join("profile").display()),
            "--dump-dom",
            "--virtual-time-budget=5000",
            url,
        ])
        .env("HOME", profile)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&dom_file).unwrap())
        .stderr(std::fs::File::create(&err_file).unwrap())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium did not finish {url} within 60 s: did a dialog (a typed alert()) open?"
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let dom = std::fs::read_to_string(&dom_file).unwrap();
    assert!(
        status.success() && dom.contains("</html>"),
        "chromium failed: {}",
        std::fs::read_to_string(&err_file).unwrap_or_default()
    );
    dom
}

#[test]
fn a_real_browser_shows_the_board_counting_down_and_a_typed_script_as_text() {
    let Some(bin) = chromium_binary() else {
        return;
    };
    let env = board_env();
    seed(&env);
    let server = Server::start(&env);
    let profile = tempfile::tempdir().unwrap();
    // The token as Basic auth's password, as a person types it when the browser asks.
    let url = |path: &str| {
        server
            .url(path)
            .replace("http://", &format!("http://viewer:{TOKEN}@"))
    };

    let board = dump_dom(bin, profile.path(), &url("/"));
    assert_eq!(order(&board), ["3", "2", "4", "1"], "{board}");
    assert!(
        board.contains("Checkout 5xx &lt;b&gt;spike&lt;/b&gt; für Kunden"),
        "{board}"
    );
    // The script ran: the respond clock of incident 2 (5m left at the server's now) counted
    // down a few seconds of virtual time, and the server's words were replaced.
    let tag = clock_tag(&board, "2", "respond");
    let text = &board[board.find(tag).unwrap() + tag.len() + 1..];
    assert!(text.starts_with("4m left<"), "{tag} {text}");
    // A paused clock is not counted down.
    let tag = clock_tag(&board, "4", "respond");
    let text = &board[board.find(tag).unwrap() + tag.len() + 1..];
    assert!(text.starts_with("PAUSED with 21h left<"), "{tag} {text}");

    let incident = dump_dom(bin, profile.path(), &url("/incidents/2"));
    assert!(
        incident.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt; then &lt;script&gt;document.title='pwned'"
        ),
        "{incident}"
    );
    // The typed scripts never ran: the title is the page's, nothing marked the body, and the
    // only script element is the board's.
    assert!(
        incident.contains(
            "<title>Incident 2: Checkout 5xx &lt;b&gt;spike&lt;/b&gt; für Kunden</title>"
        ),
        "{incident}"
    );
    assert!(!incident.contains("data-pwned=\""), "{incident}");
    assert_eq!(incident.matches("<script").count(), 1, "{incident}");
    server.stop();
}

#[test]
fn a_clock_on_a_calendar_next_changes_when_the_calendar_opens() {
    let mut env = Env::new();
    // Sunday 10:00 UTC: the business calendar is closed until Monday 09:00.
    env.at(NOW);
    env.write_config(
        "[sla.P3]\nrespond = \"24h\"\nresolve = \"72h\"\ncalendar = \"business\"\n\n\
         [calendars.business]\nhours = [\"Mon-Fri 09:00-17:00\"]\ntimezone = \"UTC\"\n",
    );
    ok(
        &env,
        &["open", "P3", "Slow exports (reports_v2)", "--no-snapshot"],
    );
    let server = Server::start(&env);
    let html = page(&server, "/");
    let sla = env.json(&["sla", "--json"]);
    let tag = clock_tag(&html, "1", "respond");
    // 8 h Monday, Tuesday and Wednesday.
    assert_eq!(sla[0]["sla"]["respond"]["deadline"], "2026-12-02T17:00:00Z");
    assert_eq!(
        attr(tag, "data-deadline").as_deref(),
        Some("2026-12-02T17:00:00Z")
    );
    assert_eq!(
        attr(tag, "data-next-change").as_deref(),
        Some("2026-11-30T09:00:00Z"),
        "{tag}"
    );
    assert!(tag.contains("calendar business (closed)"), "{tag}");
    server.stop();
}

#[test]
fn the_board_templates_are_listed_and_overridable() {
    let env = board_env();
    let list = ok(&env, &["template", "list"]);
    for name in ["board.html", "board-incident.html", "board-parts.html"] {
        assert!(list.contains(&format!("{name:<20} built in")), "{list}");
    }
    seed(&env);
    let dir = env.home().join("my-templates");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("board.html"),
        "{% import \"board-parts.html\" as parts %}<ul>{% for i in incidents %}<li>#{{ i.number }} {{ i.title }} {{ parts.clock(i.board.clocks[0]) }}</li>{% endfor %}</ul>\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("board-incident.html"),
        "<p>{{ incident.nope }}</p>\n",
    )
    .unwrap();
    env.write_config(&format!(
        "templates = \"{}\"\n[serve]\nboard_token = \"${{AM_TOKEN}}\"\n",
        dir.display()
    ));
    let server = Server::start(&env);
    let html = page(&server, "/");
    assert!(
        html.starts_with("<ul><li>#3 Stale replica (ancient) <span class=\"clock overdue\""),
        "{html}"
    );
    assert!(html.contains("<li>#2 Checkout 5xx &lt;b&gt;spike&lt;&#x2f;b&gt; für Kunden"));
    // A broken template: a one-line 500 that names the file and line.
    let (status, _, body) = fetch(&server, "/incidents/2", Some(&basic(TOKEN)));
    assert_eq!(status, 500, "{body}");
    assert_eq!(body.lines().count(), 1, "{body}");
    let file = dir.join("board-incident.html");
    assert!(
        body.contains(&format!("template {} line 1", file.display())),
        "{body}"
    );
    server.stop();
}
