//! Issue 18 through the real binary: what a new user meets in the first hour.

use crate::common::Env;

/// `incident open P3 -` reads the title from stdin, as the empty-title error suggests; it must
/// be one line, and stdin cannot be both the title and the description.
#[test]
fn a_dash_title_is_read_from_stdin_as_one_line() {
    let env = Env::new();
    env.run_stdin(
        &["open", "P3", "-", "--no-snapshot"],
        "Disk 91% on db-7 (/var/lib/mysql, node ip-10-0-4-17)\r\n",
    )
    .ok();
    let v = env.json(&["show", "1", "--json"]);
    assert_eq!(
        v["title"],
        "Disk 91% on db-7 (/var/lib/mysql, node ip-10-0-4-17)"
    );
    let before = env.db_bytes(&env.db());
    for (args, input, error) in [
        (
            &["open", "P3", "-", "--no-snapshot"][..],
            "Disk 91% on db-7\nsecond line of a pasted stack trace\n",
            "the title read from stdin has more than one line",
        ),
        (
            &["open", "P3", "-", "--description", "-", "--no-snapshot"][..],
            "Disk 91% on db-7\n",
            "stdin (`-`) was given for the title and the description",
        ),
    ] {
        let run = env.run_stdin(args, input);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stderr.contains(error), "{}", run.stderr);
        assert_eq!(
            run.stderr.lines().next().map(|l| l.contains(error)),
            Some(true)
        );
    }
    assert!(
        env.db_bytes(&env.db()) == before,
        "a refused open changed the database"
    );
    let empty = env.run_stdin(&["open", "P3", "-", "--no-snapshot"], "\n");
    assert_eq!(empty.code, 1, "{}", empty.stderr);
    assert_eq!(env.json(&["list", "--json"]).as_array().unwrap().len(), 1);
}

/// `incident completion SHELL` and `incident man` come from the parser's own definitions, and
/// work (with `config default`) where the config is broken.
#[test]
fn completions_and_man_pages_work_even_with_a_broken_config() {
    let env = Env::new();
    env.write_config("[sla.P2]\nrespond = 15m\n");
    let broken = env.run(&["list"]);
    assert_eq!(broken.code, 1);
    assert!(broken.stderr.contains("config.toml"), "{}", broken.stderr);
    let bash = env.run(&["completion", "bash"]).ok().to_string();
    assert!(bash.contains("_incident()"), "{bash}");
    assert!(
        env.run(&["completion", "zsh"])
            .ok()
            .starts_with("#compdef incident")
    );
    assert!(
        env.run(&["completion", "fish"])
            .ok()
            .contains("complete -c incident")
    );
    // The script completes in a real bash: the subcommand, then `sla`'s own subcommands.
    let script = env.home().join("incident.bash");
    std::fs::write(&script, &bash).unwrap();
    // As bash calls it: the words so far, the index of the one completed, and the command,
    // that word and the one before as arguments.
    let complete = |words: &str, cword: usize| -> String {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {}; COMP_WORDS=({words}); COMP_CWORD={cword}; \
                 _incident incident \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
                 echo \"${{COMPREPLY[@]}}\"",
                script.display()
            ))
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(complete("incident op", 1).trim(), "open");
    let sla = complete("incident sla ''", 2);
    for sub in ["pause", "resume", "explain"] {
        assert!(sla.split_whitespace().any(|w| w == sub), "{sla}");
    }
    let unknown = env.run(&["completion", "tcsh"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("invalid value 'tcsh'"),
        "{}",
        unknown.stderr
    );

    let man = env.run(&["man"]).ok().to_string();
    assert!(man.contains(".TH incident 1"), "{man}");
    assert!(
        man.contains("Exit codes"),
        "the exit codes belong in the manual too"
    );
    let dir = env.home().join("man1");
    let written = env.run(&["man", "--dir", dir.to_str().unwrap()]);
    assert!(written.stderr.starts_with("wrote "), "{}", written.stderr);
    let open = std::fs::read_to_string(dir.join("incident-open.1")).unwrap();
    assert!(open.contains("incident open"), "{open}");
    assert!(dir.join("incident-action-add.1").is_file());
    assert!(dir.join("incident-sla-explain.1").is_file());

    // The command a config error recommends works while the config is broken.
    let default = env.run(&["config", "default"]).ok().to_string();
    assert!(default.contains("[sla.P1]"), "{default}");
}

/// `--help` lists every exit code: `check`'s severities and `exec`'s pass-through too.
#[test]
fn help_lists_every_exit_code() {
    let env = Env::new();
    let help = env.run(&["--help"]).ok().to_string();
    for code in [
        "  0    success",
        "  1    an error",
        "  2    `remind`",
        "  2-4  `check`",
        "  N    `exec`",
    ] {
        assert!(help.contains(code), "--help lacks {code:?}:\n{help}");
    }
}

/// A usage error is one line that reads as a sentence: clap's message, the command's usage and
/// its own `--help` (it was clap's lines joined by semicolons, pointing at `incident --help`).
#[test]
fn usage_errors_read_as_one_sentence_with_the_commands_usage() {
    let env = Env::new();
    let run = env.run(&["export"]);
    assert_eq!(
        run.err(),
        "error: the following required arguments were not provided: <NUMBERS>...; usage: \
         incident export <NUMBERS>... (`incident export --help` says more)"
    );
    let run = env.run(&["open", "--foo", "P1", "x"]);
    assert_eq!(
        run.err(),
        "error: unexpected argument '--foo' found (tip: to pass '--foo' as a value, use '-- \
         --foo'); usage: incident open [OPTIONS] <SEVERITY> <TITLE> (`incident open --help` \
         says more)"
    );
}

/// `review` alone reviews the last complete week: on a new log that is all zeros, so it says
/// why and what to ask instead; `--since` alone runs up to now.
#[test]
fn an_empty_default_review_says_why_and_since_runs_up_to_now() {
    let mut env = Env::new();
    // Thursday of 2026-W49.
    env.at("2026-12-03T10:00:00Z");
    let first = env.run(&["review"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains("the log holds no incidents yet, so nothing happened in 2026-W48, the last complete week (the default); `incident review --week 2026-W49` reviews this week so far"),
        "{}",
        first.stderr
    );
    env.run(&[
        "open",
        "P2",
        "Checkout 502s from lb-eu-1 (10.0.4.17)",
        "--no-snapshot",
    ])
    .ok();
    let again = env.run(&["review"]);
    assert!(
        again
            .stderr
            .contains("no incident was opened or unresolved in 2026-W48"),
        "{}",
        again.stderr
    );
    let this_week = env.run(&["review", "--week", "2026-W49"]);
    assert_eq!(this_week.code, 0, "{}", this_week.stderr);
    assert!(
        !this_week.stderr.contains("last complete week"),
        "{}",
        this_week.stderr
    );
    let since = env.json(&["review", "--since", "-1d", "--format", "json"]);
    assert_eq!(since["window"]["until"], "2026-12-03T10:00:00Z", "{since}");
    let until_alone = env.run(&["review", "--until", "2026-12-03"]);
    assert_eq!(until_alone.code, 1);
}

/// An overdue post-mortem is late work as the review counts it: `list --breached` lists it and
/// the SLA column says so; publishing the post-mortem stops that clock everywhere, the
/// review's count included.
#[test]
fn an_overdue_post_mortem_is_listed_as_late_until_published() {
    let mut env = Env::new();
    env.at("2026-11-24T09:00:00Z");
    env.run(&[
        "open",
        "P2",
        "Search indexer lagging (lag=1.8M, group search-idx)",
        "--no-snapshot",
    ])
    .ok();
    env.at("2026-11-24T10:00:00Z");
    env.run(&[
        "resolve",
        "1",
        "--resolution",
        "restarted consumers on search-idx-2",
    ])
    .ok();
    // The post-mortem was due 24h after the resolution.
    env.at("2026-11-25T12:00:00Z");
    let listed = env.json(&["list", "--breached", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let table = env.run(&["list"]).ok().to_string();
    assert!(table.contains("post-mortem overdue 2h"), "{table}");
    let review = env.json(&["review", "--week", "2026-W48", "--format", "json"]);
    assert_eq!(
        review["at_end"]["postmortems_overdue"]["total"], 1,
        "{review}"
    );
    env.run(&["postmortem", "status", "1", "published"]).ok();
    env.at("2026-11-25T12:05:00Z");
    assert_eq!(
        env.json(&["list", "--breached", "--json"]),
        serde_json::json!([])
    );
    let table = env.run(&["list"]).ok().to_string();
    assert!(!table.contains("overdue"), "{table}");
    let review = env.json(&["review", "--week", "2026-W48", "--format", "json"]);
    assert_eq!(
        review["at_end"]["postmortems_overdue"]["total"], 0,
        "{review}"
    );
}

/// With no name anywhere (containers: no --author, no git user.name, no $USER) a change is
/// recorded as "unknown" and says so; `config show` names who changes are recorded as.
#[test]
fn an_unknown_author_is_said_out_loud_and_config_show_names_the_author() {
    let env = Env::new();
    let run = |args: &[&str], user: Option<&str>| {
        let mut cmd = env.command(args);
        cmd.env_remove("INCIDENT_AUTHOR")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null");
        if let Some(user) = user {
            cmd.env("USER", user);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, _, stderr) = run(&["open", "P3", "Disk 91% on db-7", "--no-snapshot"], None);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("recorded as 'unknown': nothing names you"),
        "{stderr}"
    );
    assert_eq!(env.json(&["show", "1", "--json"])["created_by"], "unknown");
    let (_, shown, _) = run(&["config", "show"], None);
    assert!(
        shown.contains("author     unknown (no git user.name or $USER"),
        "{shown}"
    );
    let (_, shown, _) = run(&["config", "show"], Some("r.okafor"));
    assert!(
        shown.contains("author     r.okafor (from $USER)"),
        "{shown}"
    );
    let (code, _, stderr) = run(&["note", "1", "checked the disk"], Some("r.okafor"));
    assert_eq!(code, Some(0));
    assert!(!stderr.contains("unknown"), "{stderr}");
    let shown = env.run(&["config", "show"]).ok().to_string();
    assert!(
        shown.contains("author     alice (--author, INCIDENT_AUTHOR or the config)"),
        "{shown}"
    );
}

/// Hints point at something that exists: no `show` of an incident never opened, no `--context`
/// for reminders, the config file's absence named, the database a mistyped --db made.
#[test]
fn hints_point_at_something_that_exists() {
    let env = Env::new();
    let refused = env.run(&[
        "open",
        "P3",
        "Disk 91% on db-7",
        "--at",
        "-2h",
        "--detected",
        "-1h",
    ]);
    let line = refused.err();
    assert!(!line.contains("incident show"), "{line}");
    assert!(
        line.contains("then the detection (--detected), then the open (--at)"),
        "{line}"
    );
    let check = env.run(&["check"]);
    assert!(
        check.err().contains("there is no config file"),
        "{}",
        check.stderr
    );
    let typo = env.home().join("incidnets.db");
    let listed = env.run(&["--db", typo.to_str().unwrap(), "list"]);
    assert_eq!(listed.code, 0);
    assert!(
        listed
            .stderr
            .contains(&format!("no database at {} yet", typo.display())),
        "{}",
        listed.stderr
    );
    // A broken reminder template: what to look at, and that nothing was sent.
    let templates = env.home().join("tpl");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(templates.join("reminder.txt"), "{{ incident.nope }\n").unwrap();
    env.run(&[
        "open",
        "P1",
        "Checkout down",
        "--at",
        "-1h",
        "--no-snapshot",
    ])
    .ok();
    let remind = env.run(&["--template-dir", templates.to_str().unwrap(), "remind"]);
    assert!(
        remind
            .stderr
            .contains("`incident template show reminder.txt`")
            && !remind.stderr.contains("--context"),
        "{}",
        remind.stderr
    );
}

/// Wording that does not mislead: a healthy check's JSON loses 0.0 points, never `-0.0`.
#[test]
fn a_healthy_check_loses_zero_points_not_negative_zero() {
    let env = Env::new();
    env.write_config("[[command]]\nname = \"probe\"\nrun = [\"true\"]\n");
    let run = env.run(&["check", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("-0.0"), "{}", run.stdout);
    assert!(run.stdout.contains("\"lost\": 0.0"), "{}", run.stdout);
}

/// The first reminder anyone receives, hours after a deadline, does not call itself
/// "reminder 7": the repeat count is counted from the deadline, not from what was sent.
#[test]
fn a_first_reminder_long_after_the_deadline_does_not_count_repeats() {
    let mut env = Env::new();
    env.at("2026-11-29T10:00:00Z");
    env.run(&[
        "open",
        "P1",
        "Checkout 502s (lb-eu-1)",
        "--at",
        "-3h",
        "--no-snapshot",
    ])
    .ok();
    let run = env.run(&["remind"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.contains("still overdue"), "{}", run.stdout);
    assert!(!run.stdout.contains("reminder "), "{}", run.stdout);
}

/// Post-mortem durations are to the minute, as a reader wants them, never rounded up.
#[test]
fn post_mortem_durations_have_no_seconds() {
    let mut env = Env::new();
    env.at("2026-11-29T10:00:00Z");
    env.run(&[
        "open",
        "P2",
        "Search latency p99 2.4s (search-api, eu-west-1)",
        "--no-snapshot",
    ])
    .ok();
    env.at("2026-11-29T10:00:01Z");
    env.run(&["ack", "1"]).ok();
    let pm = env.run(&["postmortem", "1"]).ok().to_string();
    assert!(
        pm.contains("Responded in 1s against a target of 4h: met with 3h 59m to spare"),
        "{pm}"
    );
    assert!(!pm.contains("59s"), "{pm}");
}

/// A monitor whose own config is broken (an unset `${VAR}`) does not page a P1 outage: it
/// says what is broken and opens nothing; `check` alone still shows the item.
#[test]
fn a_broken_monitor_config_is_an_error_not_a_p1() {
    let env = Env::new();
    env.write_config(
        "[[database]]\nname = \"down-db\"\nurl = \"mysql://root:${NC_DB_PASSWORD}@127.0.0.1:3306/test\"\n[[database.freshness]]\ntable = \"price_data\"\ncolumn = \"ts\"\n",
    );
    let run = env.run(&["check", "--open"]);
    let line = run.err();
    assert!(line.contains("the monitor's config is broken"), "{line}");
    assert!(line.contains("NC_DB_PASSWORD is not set"), "{line}");
    assert!(!env.db().exists() || env.json(&["list", "--json"]) == serde_json::json!([]));
    let check = env.run(&["check", "--json"]);
    assert!(
        check.stdout.contains("\"misconfigured\": true"),
        "{}",
        check.stdout
    );
}

/// The monitor's titles fit a line of `list`: the score and what cost most, without the
/// reason's details (the description has them).
#[test]
fn monitor_titles_fit_one_line() {
    let env = Env::new();
    env.write_config(
        "[[command]]\nname = \"materialized-updater_health (eu-west-1, shard 07)\"\nrun = [\"sh\", \"-c\", \"echo 'Overall health score: 12/100'; exit 3\"]\n[health.weights]\ncommands = 100\n",
    );
    let run = env.run(&["check", "--open"]);
    assert!(run.code >= 2, "{}", run.stderr);
    let v = env.json(&["show", "1", "--json"]);
    let title = v["title"].as_str().unwrap();
    assert!(title.starts_with("Health "), "{title}");
    assert!(
        title.chars().count() <= 80,
        "{} characters: {title}",
        title.chars().count()
    );
}

/// The review's time-to-resolve chart draws every row on one scale: a 30-minute P1 fix is a
/// shorter bar than a 3h 20m P2 fix (each row had its own scale, which drew it longer).
#[test]
fn the_resolve_chart_draws_a_longer_time_as_a_longer_bar() {
    let mut env = Env::new();
    env.at("2026-11-24T09:00:00Z");
    env.run(&["open", "P1", "Checkout 502s (lb-eu-1)", "--no-snapshot"])
        .ok();
    env.run(&[
        "open",
        "P2",
        "Search indexer lag=1.8M (search-idx)",
        "--no-snapshot",
    ])
    .ok();
    env.at("2026-11-24T09:30:00Z");
    env.run(&["resolve", "1", "--resolution", "rolled back lb-eu-1 config"])
        .ok();
    env.at("2026-11-24T12:20:00Z");
    env.run(&["resolve", "2", "--resolution", "restarted consumers"])
        .ok();
    env.at("2026-12-01T09:00:00Z");
    let r = env.json(&["review", "--week", "2026-W48", "--format", "json"]);
    let rows = &r["charts"]["resolve"]["rows"];
    let width = |row: usize| rows[row]["median"]["w"].as_f64().unwrap();
    assert!(
        width(0) < width(1),
        "P1 {} vs P2 {}: {rows}",
        width(0),
        width(1)
    );
    let ticks = r["charts"]["resolve"]["ticks"].as_array().unwrap();
    assert!(ticks.iter().any(|t| t["text"] == "1h"), "{ticks:?}");
    let html = env
        .run(&["review", "--week", "2026-W48", "--format", "html"])
        .ok()
        .to_string();
    assert!(html.contains("All rows share one logarithmic scale"));
}
