//! What the database file looks like after many short-lived commands.

use crate::common::Env;

#[test]
fn the_wal_stays_bounded_across_many_processes() {
    let env = Env::new();
    env.run(&["open", "P2", "lagging"]).ok();
    let wal = std::path::PathBuf::from(format!("{}-wal", env.db().display()));
    let note = "x".repeat(8 * 1024);
    let mut largest = 0;
    // 60 notes of 8 KiB: about 750 KiB of WAL frames if nothing checkpointed.
    for _ in 0..60 {
        env.run(&["note", "1", &note]).ok();
        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    let limit = incident::store::WAL_LIMIT;
    assert!(
        largest > limit / 2,
        "the notes did go through the WAL ({largest} bytes)"
    );
    assert!(
        largest <= limit + 64 * 1024,
        "WAL reached {largest} bytes; the limit is {limit}"
    );
    let show = env.json(&["show", "1", "--json"]);
    assert_eq!(
        show["timeline"].as_array().unwrap().len(),
        61,
        "every note is there"
    );
}
