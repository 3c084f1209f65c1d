//! Past incidents at open (issue 16 item 8): `open` and `show` list the earlier incidents most
//! like this one, what fixed them first, none when nothing is alike or `[open] similar = 0`,
//! and any title is a safe query.

use crate::common::Env;
use serde_json::Value;

/// Three past incidents, each opened a day apart from 2026-11-20: a payments-gateway outage
/// that was fixed (root cause and resolution recorded, closed), a slow checkout page still
/// open with neither, and an unrelated Redis one.
fn history() -> Env {
    let mut env = Env::new();
    env.at("2026-11-20T08:12:00Z");
    env.run(&[
        "open",
        "P2",
        "payments-gateway 502s on checkout",
        "-d",
        "upstream connect error or disconnect/reset before headers. reset reason: overflow\r\ntrace_id=7f3a-b2c1_09",
    ])
    .ok();
    env.at("2026-11-20T09:40:00Z");
    env.run(&[
        "update",
        "1",
        "--root-cause",
        "connection pool exhausted (max_conns=50) after the pod count doubled",
        "--resolution",
        "raised the pool to 200 and rolled the payments-gateway pods",
    ])
    .ok();
    env.run(&["resolve", "1"]).ok();
    env.run(&["close", "1"]).ok();
    env.at("2026-11-21T08:00:00Z");
    env.run(&["open", "P3", "Checkout page slow for EU users (p99 4.2s)"])
        .ok();
    env.at("2026-11-22T08:00:00Z");
    env.run(&[
        "open",
        "P1",
        "Redis connections refused on cache-01 (10.0.4.17:6379)",
    ])
    .ok();
    env.run(&["update", "3", "--root-cause", "maxclients 10000 reached"])
        .ok();
    env.run(&["resolve", "3"]).ok();
    env.at("2026-11-29T10:00:00Z");
    env
}

fn numbers(similar: &Value) -> Vec<i64> {
    similar
        .as_array()
        .unwrap_or_else(|| panic!("no list: {similar}"))
        .iter()
        .map(|p| p["number"].as_i64().unwrap())
        .collect()
}

#[test]
fn the_one_that_fixed_it_last_time_is_listed_first() {
    let env = history();
    let open = env.run(&[
        "open",
        "P1",
        "Checkout API: 502s from payments-gateway",
        "--no-snapshot",
    ]);
    let text = open.ok();
    let listed = &text[text.find("LIKE THIS BEFORE:").expect(text)..];
    // The fixed one first, with its age, root cause and resolution; the open one after it;
    // the Redis one not at all.
    let first = listed.find("#1  P2  CLOSED  9d 1h ago  payments-gateway 502s on checkout");
    let second = listed.find("#2  P3  OPEN");
    assert!(first.is_some() && first < second, "{text}");
    assert!(
        listed.contains("root cause  connection pool exhausted (max_conns=50)"),
        "{text}"
    );
    assert!(
        listed.contains("resolution  raised the pool to 200 and rolled"),
        "{text}"
    );
    assert!(!listed.contains("Redis"), "{text}");
    // `show` lists the same, never the incident itself; `--json` of both has them.
    let show = env.json(&["show", "4", "--json"]);
    assert_eq!(numbers(&show["similar"]), [1, 2], "{show}");
    let past = &show["similar"][0];
    assert_eq!(past["status"], "CLOSED");
    assert_eq!(past["opened_at"], "2026-11-20T08:12:00Z");
    assert_eq!(past["age_seconds"], 9 * 86_400 + 3_600 + 48 * 60);
    assert_eq!(
        past["resolution"],
        "raised the pool to 200 and rolled the payments-gateway pods"
    );
    let json = env.json(&["open", "P2", "payments-gateway 502s again", "--json"]);
    assert_eq!(numbers(&json["similar"]), [1, 4], "{json}");
    // Only earlier incidents: the first one's `show` lists none of those opened after it.
    assert_eq!(
        numbers(&env.json(&["show", "1", "--json"])["similar"]),
        [] as [i64; 0]
    );
    assert!(!env.run(&["show", "1"]).ok().contains("LIKE THIS BEFORE"));
}

#[test]
fn none_listed_when_nothing_matches() {
    let env = history();
    let open = env.run(&["open", "P2", "Disk full on db-02.us-east-1 /var/lib/mysql"]);
    assert!(!open.ok().contains("LIKE THIS BEFORE"), "{}", open.stdout);
    let show = env.json(&["show", "4", "--json"]);
    assert_eq!(show["similar"], serde_json::json!([]), "{show}");
}

#[test]
fn similar_zero_lists_none() {
    let env = history();
    env.write_config("[open]\nsimilar = 0\n");
    let open = env.run(&["open", "P1", "payments-gateway 502s on checkout"]);
    assert!(!open.ok().contains("LIKE THIS BEFORE"), "{}", open.stdout);
    assert_eq!(
        env.json(&["show", "4", "--json"])["similar"],
        serde_json::json!([])
    );
    // And another number is how many.
    env.write_config("[open]\nsimilar = 1\n");
    assert_eq!(numbers(&env.json(&["show", "4", "--json"])["similar"]), [1]);
}

#[test]
fn hostile_title_characters_do_not_error() {
    let mut env = Env::new();
    env.at("2026-11-20T08:00:00Z");
    env.run(&[
        "open",
        "P2",
        "José's café-backend down: \"pg_bouncer\" (pool) — 満杯",
    ])
    .ok();
    env.run(&[
        "update",
        "1",
        "--resolution",
        "restarted pg_bouncer on db-1",
    ])
    .ok();
    env.run(&["resolve", "1"]).ok();
    env.at("2026-11-29T10:00:00Z");
    for title in [
        "\"unbalanced quote",
        "(pool) NEAR(cafe backend, 2) AND OR NOT",
        "^cafe* -backend: col:value \"\" ()",
        "cafe\u{301} backend 満杯",
        "* - : ( ) \" ^ +",
        "x",
    ] {
        let run = env.run(&["open", "P3", title, "-d", "a\r\nb\"(c)\" d:e -f\r\n"]);
        run.ok();
    }
    // Diacritics, case and punctuation do not keep the café incident from being found.
    let show = env.json(&["show", "4", "--json"]);
    assert_eq!(show["similar"][0]["number"], 1, "{show}");
    assert_eq!(
        show["similar"][0]["resolution"],
        "restarted pg_bouncer on db-1"
    );
}

/// Two past incidents alike in every word, both fixed, the older affecting checkout-api and
/// the newer payments: the one sharing the new incident's service comes first, else the
/// newer one.
fn two_alike() -> Env {
    let mut env = Env::new();
    for (n, at, service, fix) in [
        (
            "1",
            "2026-11-20T08:00:00Z",
            "checkout-api",
            "rolled back release 4.12",
        ),
        (
            "2",
            "2026-11-22T08:00:00Z",
            "payments",
            "restarted the workers",
        ),
    ] {
        env.at(at);
        env.run(&[
            "open",
            "P2",
            "Checkout timeouts for EU users",
            "--service",
            service,
        ])
        .ok();
        env.run(&["update", n, "--resolution", fix]).ok();
        env.run(&["resolve", n]).ok();
    }
    env.at("2026-11-29T10:00:00Z");
    env
}

#[test]
fn a_past_incident_sharing_a_service_ranks_higher() {
    // Every word of the title (the close matches), then a word more than either holds (any
    // word), each with and without the service.
    for title in [
        "Checkout timeouts for EU users",
        "Checkout timeouts for EU users on mobile",
    ] {
        for (service, first) in [(&["--service", "checkout-api"][..], [1, 2]), (&[], [2, 1])] {
            let env = two_alike();
            let mut args = vec!["open", "P2", title, "--json"];
            args.extend(service);
            let open = env.json(&args);
            assert_eq!(numbers(&open["similar"]), first, "{title}: {open}");
        }
    }
}

#[test]
fn identifiers_with_digits_count() {
    let mut env = Env::new();
    env.at("2026-11-20T08:00:00Z");
    env.run(&[
        "open",
        "P2",
        "Orders deadlock: ORA-00060 in the nightly batch",
    ])
    .ok();
    env.run(&[
        "update",
        "1",
        "--root-cause",
        "two batch jobs lock orders in opposite order",
    ])
    .ok();
    env.run(&["resolve", "1"]).ok();
    env.at("2026-11-22T08:00:00Z");
    env.run(&[
        "open",
        "P2",
        "Orders deadlock in the nightly batch (ORA-04020)",
    ])
    .ok();
    env.run(&["update", "2", "--root-cause", "a DDL during the batch"])
        .ok();
    env.run(&["resolve", "2"]).ok();
    env.at("2026-11-29T10:00:00Z");
    // The one with the same error code first (newer ones come first otherwise), by every
    // word and identifier of the title and by any term alike.
    for title in [
        "orders deadlock ORA-00060",
        "ORA-00060 on the orders database",
    ] {
        let open = env.json(&["open", "P2", title, "--json"]);
        assert_eq!(numbers(&open["similar"])[..2], [1, 2], "{title}: {open}");
    }
    // Without it, the newer one first.
    let open = env.json(&["open", "P2", "orders deadlock in the batch", "--json"]);
    assert_eq!(numbers(&open["similar"])[..2], [2, 1], "{open}");
    // 5xx is a word of its own (it was "xx" once, and matched nothing).
    env.run(&["open", "P3", "Search 5xx on EU shard"]).ok();
    let open = env.json(&["open", "P2", "5xx from checkout", "--json"]);
    assert_eq!(numbers(&open["similar"]), [6], "{open}");
}

/// A close match older than the newest matches of the probe's words is still listed first:
/// a title word that none of those newest texts holds is looked up in the whole index before
/// the close-match queries are skipped; one that no text holds skips them, and the rest of the
/// listing is the same.
#[test]
fn an_old_close_match_beyond_the_newest_matches_is_found() {
    let mut env = Env::new();
    env.at("2026-11-20T08:00:00Z");
    env.run(&[
        "open",
        "P2",
        "Redis connections refused on cache-01 (zqold_shard)",
    ])
    .ok();
    env.run(&["update", "1", "--root-cause", "maxclients <script> reached"])
        .ok();
    env.run(&["resolve", "1"]).ok();
    env.at("2026-11-21T08:00:00Z");
    env.run(&["open", "P3", "Redis connections refused again"])
        .ok();
    // 300 newer texts holding the common words, as a busy log's notes would (indexed without
    // an incident, so none is listed): the old incident is not among the newest 200.
    {
        let conn = rusqlite::Connection::open(env.db()).unwrap();
        for i in 0..300 {
            conn.execute(
                "INSERT INTO search (rowid, text) VALUES (?1, ?2)",
                rusqlite::params![
                    1_000_000 + i,
                    format!("redis connections refused on cache-{i:02} (10.0.4.17)")
                ],
            )
            .unwrap();
        }
    }
    env.at("2026-11-29T10:00:00Z");
    let open = env.json(&[
        "open",
        "P2",
        "zqold_shard: Redis connections refused",
        "--json",
    ]);
    assert_eq!(numbers(&open["similar"])[..1], [1], "{open}");
    // A word no text holds: no close match, and none of the newest texts is an incident's.
    let open = env.json(&["open", "P2", "Redis connections refused zqnever", "--json"]);
    assert_eq!(numbers(&open["similar"]), Vec::<i64>::new(), "{open}");
}
