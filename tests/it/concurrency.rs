//! Two responders writing at the same moment: both succeed, nothing is lost.

use crate::common::Env;
use std::process::Stdio;

#[test]
fn two_processes_adding_200_notes_each_end_with_400() {
    let mut env = Env::new();
    // The real clock, so that concurrent notes are not all pinned to one second.
    env.now = String::new();
    env.run(&["open", "P1", "Data collection stopped", "--at", "-1h"])
        .ok();
    let env = &env;
    std::thread::scope(|s| {
        let writers: Vec<_> = ["alice", "bob"]
            .into_iter()
            .map(|who| {
                s.spawn(move || {
                    for i in 0..200 {
                        let out = env
                            .command(&["note", "1", &format!("{who} note {i}"), "--author", who])
                            .stdout(Stdio::null())
                            .output()
                            .unwrap();
                        assert!(
                            out.status.success(),
                            "{who} note {i} failed: {}",
                            String::from_utf8_lossy(&out.stderr)
                        );
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
    });
    let show = env.json(&["show", "1", "--json"]);
    let notes: Vec<&serde_json::Value> = show["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "note")
        .collect();
    assert_eq!(notes.len(), 400);
    for who in ["alice", "bob"] {
        let mine: Vec<String> = notes
            .iter()
            .filter(|e| e["author"] == who)
            .map(|e| e["text"].as_str().unwrap().to_string())
            .collect();
        let expected: Vec<String> = (0..200).map(|i| format!("{who} note {i}")).collect();
        assert_eq!(mine, expected, "{who}'s notes are all there, in order");
    }
}

#[test]
fn two_processes_opening_at_once_get_distinct_numbers() {
    let env = Env::new();
    std::thread::scope(|s| {
        let openers: Vec<_> = (0..2)
            .map(|t| {
                let env = &env;
                s.spawn(move || {
                    for i in 0..25 {
                        env.run(&["open", "P3", &format!("opener {t} incident {i}")])
                            .ok();
                    }
                })
            })
            .collect();
        for o in openers {
            o.join().unwrap();
        }
    });
    let mut numbers: Vec<i64> = env
        .json(&["list", "--limit", "0", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_i64().unwrap())
        .collect();
    numbers.sort();
    assert_eq!(numbers, (1..=50).collect::<Vec<_>>());
}
