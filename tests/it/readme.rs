//! The documentation stays true: the README's walk-through runs as pasted, docs/configuration.md's
//! config is the built-in one, and every link between the README and docs/ leads somewhere.

use std::process::Command;

fn readme() -> String {
    doc("README.md")
}

fn doc(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
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
    let documented = block_after(&doc("docs/configuration.md"), "# Configuration", "toml");
    assert_eq!(documented, incident::config::DEFAULT_CONFIG);
}

/// Every relative link of the README, docs/ and deploy/README.md names a file that exists, and
/// its `#anchor` a heading of that file (as GitHub derives anchors from headings).
#[test]
fn links_between_the_readme_and_docs_lead_somewhere() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec!["README.md".to_string(), "deploy/README.md".to_string()];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".md") {
            pages.push(format!("docs/{name}"));
        }
    }
    let link = regex::Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    let mut broken = Vec::new();
    for page in &pages {
        let text = doc(page);
        let dir = std::path::Path::new(page).parent().unwrap();
        for m in link.captures_iter(&text) {
            let target = &m[1];
            if target.starts_with("http") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let path = if file.is_empty() {
                std::path::PathBuf::from(page)
            } else {
                dir.join(file)
            };
            let Ok(linked) = std::fs::read_to_string(root.join(&path)) else {
                broken.push(format!("{page}: {target}: no file {}", path.display()));
                continue;
            };
            if !anchor.is_empty() && !anchors(&linked).iter().any(|a| a == anchor) {
                broken.push(format!("{page}: {target}: no heading for #{anchor}"));
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
    assert!(pages.len() >= 10, "docs/ holds the manual: {pages:?}");
}

/// GitHub's anchors of a Markdown file's headings (outside code fences).
fn anchors(markdown: &str) -> Vec<String> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim().to_lowercase();
        out.push(
            title
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect(),
        );
    }
    out
}
