//! Issue 18 item 11 through the real binary: the fallback author (no --author, INCIDENT_AUTHOR
//! or config) is resolved once and remembered, so a write does not spawn `git config` every
//! time; `config show` resolves it again, names it and its source; "unknown" is said once.

use crate::common::Env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A `git` first on PATH that counts its invocations (one line each in `count`) and prints
/// the name in `name` (exit 1, nothing printed, when that file is absent: no user.name).
struct FakeGit {
    bin: PathBuf,
    count: PathBuf,
    name: PathBuf,
}

impl FakeGit {
    fn new(env: &Env) -> FakeGit {
        let bin = env.home().join("fake-bin");
        std::fs::create_dir_all(&bin).unwrap();
        let count = env.home().join("git-calls");
        let name = env.home().join("git-name");
        let script = format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\n[ -f '{}' ] || exit 1\ncat '{}'\n",
            count.display(),
            name.display(),
            name.display()
        );
        let git = bin.join("git");
        std::fs::write(&git, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&git, std::fs::Permissions::from_mode(0o755)).unwrap();
        FakeGit { bin, count, name }
    }

    fn calls(&self) -> usize {
        std::fs::read_to_string(&self.count)
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    fn command(&self, env: &Env, args: &[&str], user: Option<&str>) -> Command {
        let mut cmd = env.command(args);
        let path = std::env::var("PATH").unwrap_or_default();
        cmd.env_remove("INCIDENT_AUTHOR")
            .env("PATH", format!("{}:{path}", self.bin.display()));
        if let Some(user) = user {
            cmd.env("USER", user);
        }
        cmd
    }

    fn run(&self, env: &Env, args: &[&str], user: Option<&str>) -> (String, String) {
        let out = self.command(env, args, user).output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        );
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        (stdout, stderr)
    }
}

fn authors(env: &Env, number: &str) -> Vec<String> {
    env.json(&["show", number, "--json"])["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["author"].as_str().unwrap().to_string())
        .collect()
}

fn state_file(home: &Path) -> PathBuf {
    home.join(".cache/incident/author.json")
}

#[test]
fn the_author_from_git_is_resolved_once_and_remembered() {
    let env = Env::new();
    let git = FakeGit::new(&env);
    std::fs::write(&git.name, "Rúben O'Kafor-Ng\n").unwrap();
    git.run(
        &env,
        &[
            "open",
            "P2",
            "checkout-api 5xx (lb-eu-1, 10.0.4.17)",
            "--no-snapshot",
        ],
        Some("r_okafor"),
    );
    assert_eq!(git.calls(), 1, "the first write asks git");
    for n in 0..3 {
        git.run(
            &env,
            &["note", "1", &format!("checked <script> {n}")],
            Some("r_okafor"),
        );
    }
    assert_eq!(git.calls(), 1, "later writes reuse the remembered name");
    assert_eq!(authors(&env, "1"), vec!["Rúben O'Kafor-Ng"; 4]);
    assert!(state_file(env.home()).exists());

    // `config show` resolves again, names the author and its source, and where it is kept.
    let (shown, _) = git.run(&env, &["config", "show"], Some("r_okafor"));
    assert_eq!(git.calls(), 2, "config show resolves again");
    assert!(
        shown.contains("author     Rúben O'Kafor-Ng (from git user.name)"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!(
            "remembered in {}",
            state_file(env.home()).display()
        )),
        "{shown}"
    );

    // `git config --global user.name …` rewrites ~/.gitconfig: the next write asks again.
    std::fs::write(&git.name, "r-okafor (on call)\n").unwrap();
    std::fs::write(
        env.home().join(".gitconfig"),
        "[user]\n\tname = r-okafor (on call)\n",
    )
    .unwrap();
    git.run(&env, &["note", "1", "after the rename"], Some("r_okafor"));
    assert_eq!(git.calls(), 3);
    git.run(&env, &["note", "1", "and again"], Some("r_okafor"));
    assert_eq!(git.calls(), 3);
    let got = authors(&env, "1");
    assert_eq!(
        got[got.len().saturating_sub(2)..],
        ["r-okafor (on call)"; 2]
    );

    // Another $USER is another fingerprint; git is still first.
    git.run(&env, &["note", "1", "as another login"], Some("ops_2"));
    assert_eq!(git.calls(), 4);
    // An explicit author never asks git.
    env.run(&["note", "1", "pinned"]).ok();
    assert_eq!(git.calls(), 4);
}

#[test]
fn unknown_is_said_once_and_user_is_remembered() {
    let env = Env::new();
    let git = FakeGit::new(&env); // no name file: git has no user.name
    let (_, stderr) = git.run(
        &env,
        &["open", "P3", "Disk 91% on db-7", "--no-snapshot"],
        None,
    );
    assert!(
        stderr.contains("recorded as 'unknown': nothing names you"),
        "{stderr}"
    );
    let (_, stderr) = git.run(&env, &["note", "1", "checked the disk"], None);
    assert!(!stderr.contains("unknown"), "said once: {stderr}");
    assert_eq!(git.calls(), 1);
    assert_eq!(authors(&env, "1"), vec!["unknown"; 2]);
    let (shown, _) = git.run(&env, &["config", "show"], None);
    assert!(
        shown.contains("author     unknown (no git user.name or $USER"),
        "{shown}"
    );

    // With $USER the fingerprint differs: resolved again, then remembered.
    git.run(&env, &["note", "1", "as r_okafor"], Some("r_okafor"));
    git.run(&env, &["note", "1", "again"], Some("r_okafor"));
    assert_eq!(git.calls(), 3);
    let got = authors(&env, "1");
    assert_eq!(got[got.len().saturating_sub(2)..], ["r_okafor"; 2]);
    let (shown, _) = git.run(&env, &["config", "show"], Some("r_okafor"));
    assert!(
        shown.contains("author     r_okafor (from $USER)"),
        "{shown}"
    );
}
