//! A wrong password for the team log, against the real PostgreSQL: writes still succeed here and
//! say once why they were not shared, `sync` and `team status` fail with a one-line error that
//! names the user and where the password came from, and no password is ever shown.
//!
//! The test PostgreSQL trusts every login, so only one role, `incident_password_test`, is asked
//! for its password: `.ci/run` puts its pg_hba.conf rule first. The role is machine-wide (test
//! processes share it), so it is created if missing and always given the same password.

use crate::common::Env;
use crate::common::services::REQUIRE_ENV;
use crate::team::{TeamDb, readme_role_sql};
use serde_json::Value;
use sqlx::{Connection, PgConnection};
use std::io::Write;

const ROLE: &str = "incident_password_test";
const RIGHT: &str = "right-pw-incident-7Qx2";
const WRONG: &str = "wrong-pw-incident-K9d4";
const RULE: &str = "host all incident_password_test 127.0.0.1/32 scram-sha-256";

/// `host:port/database` of the test PostgreSQL's url, for urls that log in as ROLE.
fn server(db: &TeamDb) -> String {
    let after_user = db.url.rsplit_once('@').map_or(db.url.as_str(), |(_, r)| r);
    after_user.split(['?', '#']).next().unwrap().to_string()
}

/// Creates ROLE if it is missing and sets its password. Another test process may be doing the
/// same at the same moment (a duplicate role, or "tuple concurrently updated"): tried again.
fn ensure_role(db: &TeamDb) {
    let sql = format!(
        "DO $$ BEGIN
           IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
             CREATE ROLE {ROLE} LOGIN;
           END IF;
         END $$;
         ALTER ROLE {ROLE} LOGIN PASSWORD '{RIGHT}'"
    );
    let mut last = String::new();
    for _ in 0..10 {
        match db.sql(&sql) {
            Ok(()) => return,
            Err(e) => last = e,
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("cannot create or update the role {ROLE}: {last}");
}

/// Whether PostgreSQL asks ROLE for its password: a wrong one must be refused (28P01).
fn password_required(db: &TeamDb) -> bool {
    let url = format!("postgres://{ROLE}:{WRONG}@{}", server(db));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    match rt.block_on(PgConnection::connect(&url)) {
        Ok(conn) => {
            let _ = rt.block_on(conn.close());
            false
        }
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("28P01") => true,
        Err(e) => panic!("connecting as {ROLE} with a wrong password: {e}"),
    }
}

/// Skips (or, under INCIDENT_REQUIRE_SERVICES=1, fails) when the server trusts ROLE, as the
/// services' own check does: the test could not fail there.
fn require_password_rule(db: &TeamDb) -> bool {
    if password_required(db) {
        return true;
    }
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let fix = format!(
        "put `{RULE}` first in pg_hba.conf (`SHOW hba_file`) and run `SELECT pg_reload_conf()` \
         as postgres; .ci/run does"
    );
    if std::env::var(REQUIRE_ENV).as_deref() == Ok("1") {
        panic!(
            "{test}: PostgreSQL lets {ROLE} in with a wrong password and {REQUIRE_ENV}=1; {fix}"
        );
    }
    let line = format!(
        "SKIPPED: {test}: PostgreSQL lets {ROLE} in with a wrong password; {fix}, or set \
         {REQUIRE_ENV}=1 to fail instead\n"
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
    false
}

/// Runs `args` with `vars` set; asserts neither password shows anywhere in what it printed.
fn run(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> crate::common::Run {
    let mut cmd = env.command(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let run: crate::common::Run = cmd.output().unwrap().into();
    for pw in [RIGHT, WRONG] {
        assert!(
            !run.stdout.contains(pw) && !run.stderr.contains(pw),
            "{args:?} showed a password: {}{}",
            run.stdout,
            run.stderr
        );
    }
    run
}

#[test]
fn a_wrong_password_is_named_once_and_never_shown_and_the_right_one_syncs() {
    let Some(db) = TeamDb::new() else { return };
    db.env().run(&["team", "init"]).ok();
    ensure_role(&db);
    if !require_password_rule(&db) {
        return;
    }
    // The working copies' role as the README grants it, without its CREATE ROLE: it exists.
    let grants: String = readme_role_sql(&db.schema, ROLE)
        .lines()
        .filter(|l| !l.starts_with("CREATE ROLE"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(grants.contains(&format!("TO {ROLE}")), "{grants}");
    db.sql(&grants).unwrap();

    let env = Env::new();
    env.write_config(&format!(
        "[team]\nurl = \"postgres://{ROLE}:${{TEAM_PW}}@{}\"\nschema = \"{}\"\ntimeout = \"5s\"\n",
        server(&db),
        db.schema
    ));
    let wrong = [("TEAM_PW", WRONG)];
    let refused = format!("the team log refused the password for user '{ROLE}'");
    let hint = "check the password given through ${TEAM_PW}";

    // A write is recorded here all the same, and says once why it was not shared.
    let open = run(
        &env,
        &["open", "P2", "Checkout 502s (ingress-nginx)"],
        &wrong,
    );
    assert_eq!(open.code, 0, "recorded here: {}", open.stderr);
    let said: Vec<&str> = open
        .stderr
        .lines()
        .filter(|l| l.contains("team log"))
        .collect();
    assert_eq!(said.len(), 1, "one line: {}", open.stderr);
    assert!(
        said[0].contains(&format!(
            "{refused} ({hint}); recorded here, 1 change waiting"
        )),
        "{}",
        open.stderr
    );
    let note = run(
        &env,
        &["note", "L1", "upstream=10.0.0.5:8080 → 502"],
        &wrong,
    );
    assert_eq!(note.code, 0, "{}", note.stderr);
    assert!(note.stderr.contains("2 changes waiting"), "{}", note.stderr);

    // An explicit sync, and the status, fail: one line, exit 1.
    for args in [&["sync"][..], &["team", "status"][..]] {
        let out = run(&env, args, &wrong);
        assert_eq!(out.err(), format!("error: {refused}; {hint}"), "{args:?}");
    }

    // The right password: everything waiting goes.
    let right = [("TEAM_PW", RIGHT)];
    let sync = run(&env, &["sync", "--json"], &right);
    let sync: Value = serde_json::from_str(sync.ok()).unwrap();
    assert_eq!(
        (sync["pushed"].as_i64(), sync["waiting"].as_i64()),
        (Some(2), Some(0))
    );
    let status = run(&env, &["team", "status", "--json"], &right);
    let status: Value = serde_json::from_str(status.ok()).unwrap();
    assert_eq!(status["events"], 2);
    assert_eq!(
        status["url"],
        format!("postgres://{ROLE}:***@{}", server(&db))
    );
}

#[test]
fn a_wrong_password_from_pgpassword_or_pgpass_is_named_as_such() {
    let Some(db) = TeamDb::new() else { return };
    db.env().run(&["team", "init"]).ok();
    ensure_role(&db);
    if !require_password_rule(&db) {
        return;
    }
    db.sql(&format!(
        "GRANT USAGE ON SCHEMA {} TO {ROLE}; GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {ROLE}",
        db.schema, db.schema
    ))
    .unwrap();
    let env = Env::new();
    env.write_config(&format!(
        "[team]\nurl = \"postgres://{ROLE}@{}\"\nschema = \"{}\"\ntimeout = \"5s\"\n",
        server(&db),
        db.schema
    ));
    let refused = format!("error: the team log refused the password for user '{ROLE}'");

    let out = run(&env, &["team", "status"], &[("PGPASSWORD", WRONG)]);
    assert_eq!(
        out.err(),
        format!("{refused}; check the password given through PGPASSWORD")
    );
    run(&env, &["team", "status"], &[("PGPASSWORD", RIGHT)]).ok();

    // No PGPASSWORD: ~/.pgpass (host:port:database:user:password, readable by its owner only).
    let (host_port, database) = server(&db)
        .split_once('/')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .unwrap();
    let pgpass = env.home().join(".pgpass");
    let write_pgpass = |pw: &str| {
        std::fs::write(&pgpass, format!("{host_port}:{database}:{ROLE}:{pw}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    };
    write_pgpass(WRONG);
    let out = run(&env, &["team", "status"], &[]);
    assert_eq!(
        out.err(),
        format!(
            "{refused}; check the password in ~/.pgpass, or give one through ${{VAR}} in \
             [team] url or PGPASSWORD"
        )
    );
    write_pgpass(RIGHT);
    run(&env, &["team", "status"], &[]).ok();
}
