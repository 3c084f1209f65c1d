//! The author when no flag, variable or config names one: git's user.name, else `$USER`, else
//! "unknown" — resolved once and remembered in a small file in the user's cache directory (it is
//! derived and can be resolved again at any time, so it is a cache, not state), so that a write
//! does not spawn `git config` (about 1.4 ms) every time.
//!
//! The rule (docs/author.md): the remembered name is used while what decided it is unchanged —
//! `$USER`, the git variables that choose config files, and the size and modification time of
//! git's global and system config files (`git config --global user.name NAME` rewrites one of
//! them, so the next write resolves again). `incident config show` always resolves again and
//! remembers what it found: the refresh for anything else (a name set by an `include.path` file,
//! say). A name set in one repository's own `.git/config` is not followed from directory to
//! directory; set `author` or `INCIDENT_AUTHOR` for that.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The author when no flag, variable or config names one, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FallbackAuthor {
    pub name: String,
    /// `git user.name` or `$USER`; none when neither gave a name and it is "unknown".
    pub from: Option<&'static str>,
    /// True when this process resolved it (git was asked); false when it was remembered.
    pub resolved_now: bool,
    /// The file it is remembered in, when there is a place for one.
    pub remembered_in: Option<PathBuf>,
}

/// The name recorded when nothing names the author (containers often have neither source).
pub const UNKNOWN_AUTHOR: &str = "unknown";

const FROM_GIT: &str = "git user.name";
const FROM_USER: &str = "$USER";

/// What the file holds.
#[derive(Debug, Serialize, Deserialize)]
struct Remembered {
    name: String,
    /// `git user.name`, `$USER`, or empty for "unknown".
    from: String,
    /// What decided the name ([`fingerprint`]); a different one means resolve again.
    fingerprint: String,
}

/// The author when no flag, variable or config names one: remembered if what decides it has not
/// changed since, else resolved (git's user.name, then `$USER`) and remembered.
pub fn fallback_author() -> FallbackAuthor {
    let env = |k: &str| std::env::var(k).ok();
    remembered_or(&env, &resolve_git)
}

/// [`fallback_author`] resolved again whatever is remembered, and remembered: what `config show`
/// prints, and the way to refresh the remembered name.
pub fn resolve_fallback_author() -> FallbackAuthor {
    let env = |k: &str| std::env::var(k).ok();
    resolve_and_remember(&env, &resolve_git)
}

fn remembered_or(
    env: &dyn Fn(&str) -> Option<String>,
    git: &dyn Fn() -> Option<String>,
) -> FallbackAuthor {
    let path = state_file(env);
    if let Some(path) = &path {
        let print = fingerprint(env);
        let kept = std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Remembered>(&bytes).ok())
            .filter(|r| r.fingerprint == print && !r.name.trim().is_empty());
        if let Some(r) = kept {
            let from = match r.from.as_str() {
                FROM_GIT => Some(FROM_GIT),
                FROM_USER => Some(FROM_USER),
                _ => None,
            };
            return FallbackAuthor {
                name: r.name,
                from,
                resolved_now: false,
                remembered_in: Some(path.clone()),
            };
        }
    }
    resolve_and_remember(env, git)
}

fn resolve_and_remember(
    env: &dyn Fn(&str) -> Option<String>,
    git: &dyn Fn() -> Option<String>,
) -> FallbackAuthor {
    // The fingerprint is taken before git is asked: a config file changed meanwhile makes the
    // next process resolve again rather than keep a name older than the file.
    let print = fingerprint(env);
    let (name, from) = match git() {
        Some(name) => (name, Some(FROM_GIT)),
        None => match env("USER").map(|u| u.trim().to_string()) {
            Some(user) if !user.is_empty() => (user, Some(FROM_USER)),
            _ => (UNKNOWN_AUTHOR.to_string(), None),
        },
    };
    let remembered_in = state_file(env).filter(|path| {
        let r = Remembered {
            name: name.clone(),
            from: from.unwrap_or_default().to_string(),
            fingerprint: print,
        };
        remember(path, &r).is_ok()
    });
    FallbackAuthor {
        name,
        from,
        resolved_now: true,
        remembered_in,
    }
}

/// `git config --get user.name`, trimmed; none when git is missing, fails or says nothing.
fn resolve_git() -> Option<String> {
    std::process::Command::new("git")
        .args(["config", "--get", "user.name"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// `$XDG_CACHE_HOME/incident/author.json`, else `~/.cache/incident/author.json`.
pub fn state_file(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let var = |k: &str| env(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|h| h.join(".cache")))?;
    Some(base.join("incident").join("author.json"))
}

/// Written beside and renamed into place, so a reader never sees half a file.
fn remember(path: &Path, r: &Remembered) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".author.json.{}", std::process::id()));
    let text = serde_json::to_vec(r).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// What decides the fallback author without asking git: `$USER`, the variables that choose
/// git's config files, and each of those files' size and modification time (or its absence).
fn fingerprint(env: &dyn Fn(&str) -> Option<String>) -> String {
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    let mut print = String::new();
    for k in [
        "USER",
        "HOME",
        "XDG_CONFIG_HOME",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_CONFIG_NOSYSTEM",
        "GIT_CONFIG_COUNT",
        "GIT_CONFIG_PARAMETERS",
    ] {
        print.push_str(&format!("{k}={:?};", var(k)));
    }
    let home = var("HOME").map(PathBuf::from);
    let mut files: Vec<PathBuf> = Vec::new();
    match var("GIT_CONFIG_GLOBAL") {
        Some(global) => files.push(PathBuf::from(global)),
        None => {
            let config_home = var("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".config")));
            files.extend(config_home.map(|c| c.join("git").join("config")));
            files.extend(home.as_ref().map(|h| h.join(".gitconfig")));
        }
    }
    files.push(
        var("GIT_CONFIG_SYSTEM")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/etc/gitconfig")),
    );
    for file in files {
        let stamp = std::fs::metadata(&file).ok().map(|m| {
            let modified = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            format!("{}@{modified}", m.len())
        });
        print.push_str(&format!(
            "{}={};",
            file.display(),
            stamp.as_deref().unwrap_or("-")
        ));
    }
    print
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::collections::HashMap;

    fn env_of(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<&str, String> = pairs.into_iter().collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn resolved_once_then_remembered_until_a_git_config_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().to_string_lossy().to_string();
        let env = env_of(vec![("HOME", home.clone()), ("USER", "r.okafor".into())]);
        let asked = Cell::new(0_u32);
        let name = Cell::new(Some("Rúben O'Kafor-Ng"));
        let git = || {
            asked.set(asked.get().saturating_add(1));
            name.get().map(str::to_string)
        };
        let first = remembered_or(&env, &git);
        assert_eq!(
            (first.name.as_str(), first.from),
            ("Rúben O'Kafor-Ng", Some(FROM_GIT))
        );
        assert!(first.resolved_now);
        let file = dir.path().join(".cache/incident/author.json");
        assert_eq!(first.remembered_in.as_deref(), Some(file.as_path()));
        let second = remembered_or(&env, &git);
        assert_eq!(
            (second.name.as_str(), second.resolved_now),
            ("Rúben O'Kafor-Ng", false)
        );
        assert_eq!(asked.get(), 1);

        // `git config --global user.name …` writes ~/.gitconfig: resolved again.
        name.set(Some("r-okafor (on call)"));
        std::fs::write(dir.path().join(".gitconfig"), "[user]\n\tname = x\n").unwrap();
        let third = remembered_or(&env, &git);
        assert_eq!(
            (third.name.as_str(), third.resolved_now),
            ("r-okafor (on call)", true)
        );
        assert_eq!(asked.get(), 2);

        // Another $USER and no git name: resolved again, from $USER.
        name.set(None);
        let env = env_of(vec![("HOME", home), ("USER", "ops_2".into())]);
        let fourth = remembered_or(&env, &git);
        assert_eq!(
            (fourth.name.as_str(), fourth.from),
            ("ops_2", Some(FROM_USER))
        );
        assert_eq!(asked.get(), 3);
        // An explicit refresh asks git whatever is remembered.
        assert!(resolve_and_remember(&env, &git).resolved_now);
        assert_eq!(asked.get(), 4);
    }

    #[test]
    fn unknown_is_remembered_too_and_no_home_means_nothing_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let env = env_of(vec![(
            "XDG_CACHE_HOME",
            state.to_string_lossy().to_string(),
        )]);
        let first = remembered_or(&env, &|| None);
        assert_eq!((first.name.as_str(), first.from), (UNKNOWN_AUTHOR, None));
        assert!(first.resolved_now);
        assert!(state.join("incident/author.json").exists());
        assert!(!remembered_or(&env, &|| None).resolved_now);

        let nowhere = env_of(vec![]);
        let a = remembered_or(&nowhere, &|| Some("a".into()));
        assert_eq!((a.resolved_now, a.remembered_in), (true, None));
    }

    #[test]
    fn a_damaged_state_file_is_resolved_again() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_of(vec![("HOME", dir.path().to_string_lossy().to_string())]);
        let file = state_file(&env).unwrap();
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, "{\"name\": \"<script>").unwrap();
        let got = remembered_or(&env, &|| Some("alice".into()));
        assert_eq!((got.name.as_str(), got.resolved_now), ("alice", true));
    }
}
