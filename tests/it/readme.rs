//! The README stays true: its walk-through runs as pasted, and its config is the built-in one.

use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The first ```sh or ```toml block after `marker`.
fn block_after(text: &str, marker: &str, lang: &str) -> String {
    let rest = &text[text
        .find(marker)
        .unwrap_or_else(|| panic!("README lacks {marker}"))..];
    let start = rest.find(&format!("```{lang}\n")).unwrap() + lang.len() + 4;
    let end = rest[start..].find("```").unwrap();
    rest[start..start + end].to_string()
}

#[test]
fn the_walkthrough_runs_as_pasted() {
    let script = block_after(&readme(), "<!-- walkthrough -->", "sh");
    let home = tempfile::tempdir().unwrap();
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_incident"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let out = Command::new("sh")
        .args(["-e", "-c", &script])
        .env_clear()
        .env("PATH", path)
        .env("HOME", home.path())
        .env("TMPDIR", home.path())
        .env("TZ", "UTC")
        .env("USER", "oncall")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "walk-through failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("STATUS: CLOSED"), "{stdout}");
    assert!(
        stdout.contains("Respond by") && stdout.contains("met, "),
        "{stdout}"
    );
    assert!(
        stdout.contains("CrashLoopBackOff"),
        "the piped note is in the log: {stdout}"
    );
    assert!(
        !home.path().join(".local").exists(),
        "the walk-through kept to its own database"
    );
}

#[test]
fn the_documented_config_is_the_built_in_default() {
    let documented = block_after(&readme(), "## Configuration", "toml");
    assert_eq!(documented, incident::config::DEFAULT_CONFIG);
}
