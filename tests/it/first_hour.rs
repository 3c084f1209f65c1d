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
