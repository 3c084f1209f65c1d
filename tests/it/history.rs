//! History before the declaration and one clock model, through the real binary: an outage
//! written down the way a post-mortem is (the first rows dated before anyone declared it,
//! action items agreed during the call and typed in the next day), and the clocks every
//! command reads, counted from the detection.

use crate::common::Env;
use serde_json::Value;

/// A P1 on 2026-11-24 (UTC): checkout answers 502 after a certificate rotation on the internal
/// load balancer. Impact 14:54, paged 14:55, declared 15:06, resolved 16:00: a 66-minute
/// outage. Returns the env, its clock at the close.
fn checkout_outage() -> Env {
    let mut env = Env::new();
    env.at("2026-11-24T15:06:00Z");
    let open = env.run(&[
        "open",
        "P1",
        "Checkout returns 502 (lb-int-2 TLS handshake failures)",
        "--started",
        "2026-11-24T14:54:00Z",
        "--detected",
        "2026-11-24T14:55:00Z",
        "--no-snapshot",
    ]);
    // Paged eleven minutes ago: four of the P1's fifteen minutes are left.
    assert!(
        open.ok()
            .contains("  respond by 2026-11-24 15:10 (4m left)\n")
            && open
                .stdout
                .contains("(the clocks count from the detection at 2026-11-24 14:55)"),
        "{}",
        open.stdout
    );
    env.at("2026-11-24T15:07:00Z");
    env.run(&["ack", "1"]).ok();
    env.at("2026-11-24T15:10:00Z");
    env.run(&[
        "update",
        "1",
        "--description",
        "POST /api/v2/checkout → 502 for ~100% of EU traffic\r\nedge: upstream_status=502 upstream_addr=10.40.2.17:8443 ssl_err=\"handshake failure\"",
    ])
    .ok();
    // Written at 15:20 about what happened before the incident existed.
    env.at("2026-11-24T15:20:00Z");
    for (at, text) in BEFORE_DECLARATION {
        env.run(&["note", "1", text, "--at", at]).ok();
    }
    investigate(&mut env);
    env.at("2026-11-24T16:00:00Z");
    env.run(&[
        "resolve",
        "1",
        "--root-cause",
        "The rotation job (cert-rotator v3.2) installed the new leaf without its intermediate on lb-int-2; clients with a strict chain check (the payment SDK) refused the handshake",
        "--resolution",
        "Re-deployed the full chain (leaf + intermediate) on lb-int-2 and lb-int-3; 502s stopped at 15:59:40",
    ])
    .ok();
    post_mortem_meeting(&mut env);
    env
}

/// The five rows before the declaration (15:06).
const BEFORE_DECLARATION: [(&str, &str); 5] = [
    (
        "2026-11-24T14:54:00Z",
        "first 502 in edge logs: req_id=9f2c-41aa-b7 path=/api/v2/checkout upstream=lb-int-2 (10.40.2.17:8443)",
    ),
    (
        "2026-11-24T14:55:00Z",
        "page: CheckoutErrorRate > 5% for 1m (alertmanager, severity=page) → on-call ravi_k",
    ),
    (
        "2026-11-24T14:57:00Z",
        "ravi_k acked the page in PagerDuty; dashboard shows 502 rate 97.3% — EU only",
    ),
    (
        "2026-11-24T14:58:00Z",
        "investigation starts: payments-gw logs `javax.net.ssl.SSLHandshakeException: PKIX path building failed`",
    ),
    (
        "2026-11-24T15:02:00Z",
        "no deploy in the last 2h (argo: last sync 12:41); cert-rotator ran at 14:53:58 on lb-int-2",
    ),
];

/// Nineteen notes during the call, each a minute or more apart, some long, some multi-line.
fn investigate(env: &mut Env) {
    let notes: [(&str, &str); 19] = [
        (
            "15:21",
            "openssl s_client -connect 10.40.2.17:8443 -showcerts: depth=0 only; chain has 1 cert (expected 2)",
        ),
        (
            "15:22",
            "lb-int-3 same chain since 14:54:10; lb-int-1 still on old cert (rotation staggered)",
        ),
        (
            "15:23",
            "Traceback from payments-gw:\n  at sun.security.validator.PKIXValidator.doBuild(PKIXValidator.java:439)\n  at sun.security.ssl.CertificateMessage$T13CertificateConsumer.checkServerCerts(CertificateMessage.java:1335)\nCaused by: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path",
        ),
        (
            "15:25",
            "status page: \"Paiements indisponibles — nous enquêtons\" posted (EU, FR/DE/ES)",
        ),
        (
            "15:27",
            "hypothesis: cert-rotator v3.2 changed bundle layout (fullchain.pem → cert.pem)",
        ),
        (
            "15:29",
            "confirmed: /etc/lb/tls/current -> cert.pem, 1 PEM block (was fullchain.pem, 2 blocks)",
        ),
        (
            "15:31",
            "option A: roll back cert-rotator to v3.1 and re-run; option B: hand-install fullchain; going with B (faster)",
        ),
        (
            "15:33",
            "maria_s pulling intermediate from vault: secret/pki/int-ca-2025 (version=7)",
        ),
        (
            "15:36",
            "lb-int-1 drained from pool to keep it off the new cert until fixed (weight=0)",
        ),
        (
            "15:38",
            "EU checkout success rate 2.1%; US unaffected (different LB tier)",
        ),
        (
            "15:40",
            "support: 312 tickets in 40 min, top tag `payment_failed`",
        ),
        (
            "15:43",
            "fullchain built: sha256=4be1c0…e91; verified with `openssl verify -CAfile root.pem fullchain.pem` OK",
        ),
        (
            "15:46",
            "deploying to lb-int-2 via `lbctl tls install --host lb-int-2 --bundle fullchain.pem` (change CHG-88213)",
        ),
        (
            "15:49",
            "lb-int-2 reload failed: `nginx: [emerg] PEM_read_bio_X509_AUX(\"/etc/lb/tls/current\") failed` — trailing CRLF in bundle",
        ),
        (
            "15:52",
            "bundle re-encoded with LF endings; reload OK on lb-int-2",
        ),
        ("15:54", "502 rate on lb-int-2 down to 0.4%; lb-int-3 next"),
        (
            "15:57",
            "lb-int-3 done; lb-int-1 back in pool (weight=100) with the fixed bundle",
        ),
        (
            "15:58",
            "payment SDK handshakes OK from eu-west-1a/b/c synthetic checks (3/3 green)",
        ),
        (
            "15:59",
            "502 rate 0.00% for 60s; watching 15 more minutes before calling it",
        ),
    ];
    for (hm, text) in notes {
        env.at(&format!("2026-11-24T{hm}:00Z"));
        env.run(&["note", "1", text]).ok();
    }
}

/// The next day: action items agreed during the call, typed in with the times they were
/// agreed (one already done the evening before), the last sections written, then the close.
fn post_mortem_meeting(env: &mut Env) {
    env.at("2026-11-25T10:00:00Z");
    let add = |env: &Env, text: &str, kind: &str, at: &str, due: &str| {
        let v = env.json(&[
            "action", "add", "1", text, "--kind", kind, "--owner", "maria_s", "--at", at, "--due",
            due, "--json",
        ]);
        v["id"].as_i64().unwrap()
    };
    let chain = add(
        env,
        "cert-rotator: refuse to install a bundle whose chain does not verify",
        "prevent",
        "2026-11-24T15:45:00Z",
        "2026-12-05T17:00:00Z",
    );
    add(
        env,
        "alert on TLS handshake failures per LB host (not only the checkout error rate)",
        "detect",
        "2026-11-24T15:50:00Z",
        "2026-12-12T17:00:00Z",
    );
    add(
        env,
        "thank the support team; 312 tickets answered with the status page link",
        "other",
        "2026-11-24T16:10:00Z",
        "2026-11-26T17:00:00Z",
    );
    env.run(&[
        "action",
        "done",
        &chain.to_string(),
        "--at",
        "2026-11-24T19:30:00Z",
    ])
    .ok();
    env.run(&[
        "update",
        "1",
        "--prevention",
        "Chain verification in cert-rotator before install; staggered rotation with a canary LB",
        "--lessons",
        "The page came in a minute; the declaration took eleven. Declare first, then dig.",
    ])
    .ok();
    env.at("2026-11-25T11:00:00Z");
    env.run(&["close", "1"]).ok();
}

fn at(v: &Value, pointer: &str) -> Value {
    v.pointer(pointer)
        .cloned()
        .unwrap_or_else(|| panic!("no {pointer} in {v}"))
}

#[test]
fn an_outage_written_down_from_before_its_declaration_breaches_the_fix_clock_from_detection() {
    let env = checkout_outage();
    let show = env.json(&["show", "1", "--json"]);
    assert_eq!(at(&show, "/started_at"), "2026-11-24T14:54:00Z");
    assert_eq!(at(&show, "/detected_at"), "2026-11-24T14:55:00Z");
    assert_eq!(at(&show, "/opened_at"), "2026-11-24T15:06:00Z");
    assert!(
        show["description"]
            .as_str()
            .unwrap()
            .contains("upstream_addr=10.40.2.17:8443"),
        "{show}"
    );
    let timeline = show["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 37, "{timeline:#?}");
    let before: Vec<&str> = timeline
        .iter()
        .filter(|e| e["at"].as_str().unwrap() < "2026-11-24T15:06:00Z")
        .map(|e| e["at"].as_str().unwrap())
        .collect();
    assert_eq!(
        before,
        BEFORE_DECLARATION.map(|(at, _)| at),
        "the five rows before the declaration, first in the timeline"
    );
    // Response from the page at 14:55: acknowledged at 15:07 against 15:10.
    assert_eq!(at(&show, "/sla/respond/deadline"), "2026-11-24T15:10:00Z");
    assert_eq!(at(&show, "/sla/respond/state"), "met");
    // Fix from the page: due 15:55, resolved 16:00. Counted from the declaration (15:06) it
    // would have been met with 6 minutes to spare.
    assert_eq!(at(&show, "/sla/resolve/deadline"), "2026-11-24T15:55:00Z");
    assert_eq!(at(&show, "/sla/resolve/state"), "breached");
    assert_eq!(at(&show, "/sla/resolve/margin_seconds"), -300);
    assert_eq!(at(&show, "/sla/resolve/target_seconds"), 3_600);

    let md = env.run(&["postmortem", "1"]);
    let md = md.ok();
    for expected in [
        "- **Impact start:** 2026-11-24 14:54",
        "- **Detected:** 2026-11-24 14:55",
        "- **Declared:** 2026-11-24 15:06",
        "- **Acknowledged:** 2026-11-24 15:07",
        "- **Resolved:** 2026-11-24 16:00",
        "- **Closed:** 2026-11-25 11:00",
        "- Responded in 12m against a target of 15m: met with 3m to spare.",
        "- Fixed in 1h 5m against a target of 1h: breached by 5m.",
        "- Time to restore: restored 1h 6m after the impact began.",
        "- Impact began 1m before it was detected.",
        "- Opened 11m after it was detected.",
    ] {
        assert!(md.contains(expected), "missing {expected:?} in\n{md}");
    }
    let html = env.run(&["postmortem", "1", "--format", "html"]);
    assert!(
        html.ok()
            .contains("Fixed in 1h 5m against a target of 1h: breached by 5m"),
        "{}",
        html.stdout
    );
    let context = env.json(&["postmortem", "1", "--context"]);
    assert_eq!(at(&context, "/restore/seconds"), 66 * 60);
    assert_eq!(at(&context, "/sla/resolve/breached"), true);
}

#[test]
fn backdated_action_items_keep_the_times_they_were_agreed() {
    let env = checkout_outage();
    let items = env.json(&["action", "list", "--incident", "1", "--json"]);
    let items = items.as_array().unwrap();
    let created: Vec<&str> = items
        .iter()
        .map(|i| i["created_at"].as_str().unwrap())
        .collect();
    assert!(created.contains(&"2026-11-24T15:45:00Z"), "{items:#?}");
    let done = items.iter().find(|i| !i["done_at"].is_null()).unwrap();
    assert_eq!(done["done_at"], "2026-11-24T19:30:00Z");
    assert!(items.iter().any(|i| i["kind"] == "other"), "{items:#?}");
    // The timeline has them when they were agreed, marked as written down later.
    let show = env.run(&["show", "1"]);
    assert!(
        show.ok().contains(
            "2026-11-24 15:45  alice  action      action 1 added: cert-rotator: refuse to install a bundle whose chain does not verify (prevent, owner maria_s, due 2026-12-05 17:00) (recorded 2026-11-25 10:00)"
        ),
        "{}",
        show.stdout
    );
}

#[test]
fn the_breach_reaches_list_and_the_review() {
    let mut env = checkout_outage();
    let listed = env.json(&["list", "--breached", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    env.at("2026-12-01T09:00:00Z");
    let review = env.json(&["review", "--week", "2026-W48", "--context"]);
    assert_eq!(at(&review, "/times/restore/all/median_seconds"), 66 * 60);
    assert_eq!(at(&review, "/times/resolve/all/median_seconds"), 65 * 60);
    assert_eq!(
        at(&review, "/times/acknowledge/all/median_seconds"),
        12 * 60
    );
    assert_eq!(at(&review, "/sla/breaches/total"), 1);
}

#[test]
fn times_out_of_order_are_refused_and_the_database_left_untouched() {
    let mut env = checkout_outage();
    let db = env.db();
    env.at("2026-11-26T09:00:00Z");
    let cases: [(&[&str], &str); 7] = [
        (
            &["note", "1", "too early", "--at", "2026-11-24T14:53:00Z"],
            "error: the note at 2026-11-24 14:53 is before the impact start at 2026-11-24 14:54; check --at",
        ),
        (
            &["action", "add", "1", "x", "--at", "2026-11-24T14:00:00Z"],
            "is before the impact start at 2026-11-24 14:54",
        ),
        (
            &["action", "done", "2", "--at", "2026-11-24T15:49:00Z"],
            "the action's completion at 2026-11-24 15:49 is before its creation at 2026-11-24 15:50",
        ),
        (
            &[
                "open",
                "P2",
                "x",
                "--started",
                "2026-11-26T08:00:00Z",
                "--detected",
                "2026-11-26T07:00:00Z",
            ],
            "the detection at 2026-11-26 07:00 is before the impact start at 2026-11-26 08:00",
        ),
        (
            &[
                "open",
                "P2",
                "x",
                "--detected",
                "2026-11-26T08:30:00Z",
                "--at",
                "2026-11-26T08:00:00Z",
            ],
            "the opening at 2026-11-26 08:00 is before the detection at 2026-11-26 08:30",
        ),
        (
            &["open", "P2", "x", "--started", "1969-12-31T23:00:00Z"],
            "time '1969-12-31T23:00:00Z' is out of range",
        ),
        (
            &["action", "add", "1", "x", "--due", "+99999999d"],
            "malformed time '+99999999d'",
        ),
    ];
    for (args, expected) in cases {
        let before = env.db_bytes(&db);
        let run = env.run(args);
        assert!(run.err().contains(expected), "{args:?}: {}", run.stderr);
        assert!(env.db_bytes(&db) == before, "{args:?} changed the database");
    }
}

#[test]
fn an_acknowledgement_counts_from_the_detection_not_the_impact_start() {
    let mut env = Env::new();
    env.at("2026-11-29T10:30:00Z");
    env.run(&[
        "open",
        "P2",
        "Redis evictions on cache-eu-1 (maxmemory 6gb reached)",
        "--started",
        "2026-11-29T09:00:00Z",
        "--detected",
        "2026-11-29T10:00:00Z",
        "--no-snapshot",
    ])
    .ok();
    // A note from the impact start is history; an acknowledgement before the page is not.
    env.run(&[
        "note",
        "1",
        "evicted_keys climbing",
        "--at",
        "2026-11-29T09:05:00Z",
    ])
    .ok();
    let early = env.run(&["ack", "1", "--at", "2026-11-29T09:59:00Z"]);
    assert!(
        early.err().contains(
            "the acknowledgement at 2026-11-29 09:59 is before the detection at 2026-11-29 10:00"
        ),
        "{}",
        early.stderr
    );
    let early = env.run(&["resolve", "1", "--at", "2026-11-29T09:59:00Z"]);
    assert!(
        early.err().contains("is before the detection"),
        "{}",
        early.stderr
    );
    env.run(&["ack", "1", "--at", "2026-11-29T10:00:00Z"]).ok();
    // An incident opened the moment it was noticed is judged as before: from the open.
    env.run(&["open", "P3", "Slow dashboard", "--no-snapshot"])
        .ok();
    let plain = env.json(&["show", "2", "--json"]);
    assert_eq!(plain["started_at"], plain["opened_at"]);
    assert_eq!(at(&plain, "/sla/respond/deadline"), "2026-11-30T10:30:00Z");
}

#[test]
fn a_page_answered_late_is_overdue_in_sla_and_remind_from_the_detection() {
    let mut env = Env::new();
    env.at("2026-11-29T10:12:00Z");
    // Paged at 10:00, declared at 10:12: three minutes left on the P1's 15, not fifteen.
    env.run(&[
        "open",
        "P1",
        "orders-db primary unreachable (10.0.3.21:5432 ECONNREFUSED)",
        "--detected",
        "2026-11-29T10:00:00Z",
        "--no-snapshot",
    ])
    .ok();
    let sla = env.json(&["sla", "--json"]);
    assert_eq!(at(&sla, "/0/sla/respond/deadline"), "2026-11-29T10:15:00Z");
    assert_eq!(at(&sla, "/0/sla/respond/state"), "running");
    env.at("2026-11-29T10:16:00Z");
    let sla = env.json(&["sla", "--json"]);
    assert_eq!(at(&sla, "/0/sla/respond/state"), "overdue");
    let remind = env.run(&["remind", "--dry-run", "--json"]);
    assert_eq!(
        remind.code, 2,
        "a clock past its deadline: {}",
        remind.stderr
    );
    let first: Value = serde_json::from_str(remind.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(
        (&first["kind"], &first["level"]),
        (&Value::from("respond"), &Value::from("breached")),
        "{first}"
    );
    let listed = env.json(&["list", "--breached", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[test]
fn export_and_import_carry_the_impact_start_and_older_files_still_import() {
    let env = checkout_outage();
    let md = env.run(&["export", "1", "--format", "md"]);
    for row in [
        "| Impact start | 2026-11-24 14:54 |",
        "| Detected | 2026-11-24 14:55 |",
        "| Declared | 2026-11-24 15:06 by alice |",
    ] {
        assert!(md.ok().contains(row), "missing {row:?} in\n{}", md.stdout);
    }
    let file = env.home().join("checkout.json");
    env.run(&["export", "1", "--out", file.to_str().unwrap()])
        .ok();
    let text = std::fs::read_to_string(&file).unwrap();
    let mut export: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(export["version"], incident::transfer::VERSION);
    assert_eq!(
        at(&export, "/incidents/0/started_at"),
        "2026-11-24T14:54:00Z"
    );

    // Into another database: the same moments, the same verdicts.
    let other = Env::new();
    other.run(&["import", file.to_str().unwrap()]).ok();
    let show = other.json(&["show", "1", "--json"]);
    assert_eq!(at(&show, "/started_at"), "2026-11-24T14:54:00Z");
    assert_eq!(at(&show, "/sla/resolve/state"), "breached");
    assert_eq!(at(&show, "/sla/resolve/deadline"), "2026-11-24T15:55:00Z");

    // A version 1 file knows no impact start: it is the detection.
    export["version"] = 1.into();
    let incident = &mut export["incidents"][0];
    incident.as_object_mut().unwrap().remove("started_at");
    let opened = &mut incident["events"][0];
    assert_eq!(opened["kind"], "opened");
    opened["detail"]
        .as_object_mut()
        .unwrap()
        .remove("started_at");
    // Rows before the detection cannot be in a file written before version 2.
    let events = incident["events"].as_array_mut().unwrap();
    events.retain(|e| e["at"].as_str().unwrap() >= "2026-11-24T14:55:00Z");
    let old = other.home().join("v1.json");
    std::fs::write(&old, serde_json::to_string(&export).unwrap()).unwrap();
    let third = Env::new();
    third.run(&["import", old.to_str().unwrap()]).ok();
    let show = third.json(&["show", "1", "--json"]);
    assert_eq!(at(&show, "/started_at"), "2026-11-24T14:55:00Z");
    assert_eq!(at(&show, "/sla/resolve/state"), "breached");
}

#[test]
fn a_changed_policy_judges_again_only_the_clocks_recorded_before_terms() {
    let mut env = Env::new();
    env.at("2026-11-29T15:00:00Z");
    let open_and_ack = |env: &Env, title: &str, n: &str| {
        env.run(&[
            "open",
            "P2",
            title,
            "--at",
            "2026-11-29T10:00:00Z",
            "--no-snapshot",
        ])
        .ok();
        env.run(&["ack", n, "--at", "2026-11-29T14:30:00Z"]).ok();
    };
    let breached = |env: &Env| -> Vec<i64> {
        let list = env.json(&["list", "--breached", "--json"]);
        let numbers = list.as_array().unwrap().iter();
        let mut numbers: Vec<i64> = numbers.map(|i| i["number"].as_i64().unwrap()).collect();
        numbers.sort_unstable();
        numbers
    };
    // #1 as an incident recorded before the timeline kept the terms its clocks run under; #2
    // recorded under the 4h response target.
    open_and_ack(
        &env,
        "Search indexer lagging (consumer group search-idx, lag=1.8M)",
        "1",
    );
    env.forget_terms();
    open_and_ack(
        &env,
        "Checkout latency p99 2.4s (eu-west-1, pod checkout-7f9c)",
        "2",
    );
    assert_eq!(breached(&env), [1, 2]);
    env.write_config("[sla.P2]\nrespond = \"6h\"\nresolve = \"24h\"\n");
    let list = env.run(&["list", "--breached"]);
    assert!(
        list.stderr.contains(
            "the SLA policy changed: judged the SLA clocks of 2 incidents again, 1 with a different verdict"
        ),
        "{}",
        list.stderr
    );
    // #1 follows the config (acknowledged after 4h 30m, within the new 6h); #2 keeps the
    // terms it was recorded under: a config change does not rewrite history.
    assert_eq!(breached(&env), [2]);
    let explain = env.run(&["sla", "explain", "1"]);
    assert!(
        explain.ok().contains("follows the config as it is now"),
        "{}",
        explain.stdout
    );
    assert!(
        !env.run(&["sla", "explain", "2"])
            .ok()
            .contains("follows the config")
    );
    // Judged once: the next command says nothing more.
    let again = env.run(&["list", "--breached"]);
    assert!(!again.stderr.contains("policy changed"), "{}", again.stderr);
}
