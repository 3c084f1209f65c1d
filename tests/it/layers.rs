//! The shape of `src/`, checked: layers that only point down, commands that never use other
//! commands, nothing printed below the terminal layer, and files a reader can hold.
//!
//! It reads the sources as text (no build of its own, no network): every `crate::x` path, and
//! every `super::x` that climbs out of a top-level module, names the module it uses.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and those it may use, lowest layer first; `src/lib.rs` says the same
/// in words. A module not listed here fails the test until it is placed.
const LAYERS: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("evidence", &["domain"]),
    ("store", &["domain", "evidence"]),
    ("collect", &["domain", "evidence"]),
    ("config", &["domain", "evidence"]),
    ("report", &["domain", "evidence", "store"]),
    ("notify", &["domain", "report"]),
    ("transfer", &["domain", "evidence", "store", "report"]),
    (
        "team",
        &["domain", "evidence", "store", "collect", "config"],
    ),
    (
        "app",
        &[
            "domain", "evidence", "store", "collect", "config", "report", "notify", "transfer",
            "team",
        ],
    ),
    (
        "serve",
        &[
            "domain", "evidence", "store", "collect", "config", "report", "notify", "transfer",
            "team", "app",
        ],
    ),
    (
        "ui",
        &[
            "domain", "evidence", "store", "collect", "config", "report", "notify", "transfer",
            "team", "app", "serve",
        ],
    ),
    (
        "cmd",
        &[
            "domain", "evidence", "store", "collect", "config", "report", "notify", "transfer",
            "team", "app", "serve", "ui",
        ],
    ),
];

/// The layers below the terminal: they report through return values and callbacks.
const SILENT: &[&str] = &[
    "domain", "evidence", "store", "collect", "config", "report", "notify", "transfer", "team",
    "app", "serve",
];

/// In `src/cmd/`, the files that are not commands: the dispatch and the argument parsers.
const CMD_SHARED: &[&str] = &["mod", "args"];

/// Lines per file, not counting its `#[cfg(test)]` module.
const MAX_LINES: usize = 700;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A file's module path below the crate: `src/store/review.rs` is `["store", "review"]`,
/// `src/store/mod.rs` is `["store"]`, `src/lib.rs` is `[]`.
fn module_path(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code of a file without comments and string literals, and the number of lines before
/// its `#[cfg(test)]` module.
fn code(text: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let mut counted = 0;
    let mut in_tests = false;
    for line in text.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            in_tests = true;
        }
        if !in_tests {
            counted += 1;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            out.push('\n');
            continue;
        }
        out.push_str(&strip_strings(line));
        out.push('\n');
    }
    (out, counted)
}

/// Blanks out `"…"` literals and trailing `//` comments, so that text about a module is not
/// read as a use of it.
fn strip_strings(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        match (in_string, c) {
            (true, '\\') => {
                chars.next();
            }
            (true, '"') => in_string = false,
            (true, _) => {}
            (false, '"') => in_string = true,
            (false, '/') if chars.peek() == Some(&'/') => break,
            (false, c) => out.push(c),
        }
    }
    out
}

/// The top-level modules a file uses, resolved from its `crate::` and `super::` paths, with
/// the second segment (for the command rule). In the file's `#[cfg(test)]` module, `super` is
/// the file's own module.
fn uses(module: &[String], code: &str) -> BTreeSet<(String, Option<String>)> {
    let (main, tests) = code.split_once("#[cfg(test)]").unwrap_or((code, ""));
    let mut inner = module.to_vec();
    inner.push("tests".into());
    let mut found = paths(module, main);
    found.extend(paths(&inner, tests));
    found
}

fn paths(module: &[String], code: &str) -> BTreeSet<(String, Option<String>)> {
    let mut found = BTreeSet::new();
    let bytes = code.as_bytes();
    let ident = |s: &str| -> Vec<String> {
        s.split("::")
            .map(|seg| {
                seg.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
            continue;
        }
        let path = ident(&code[i + "crate::".len()..]);
        if let Some(first) = path.first().filter(|s| !s.is_empty()) {
            found.insert((first.clone(), path.get(1).cloned()));
        }
    }
    for (i, _) in code.match_indices("super::") {
        if i > 0
            && (bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':')
        {
            continue;
        }
        // Count the climbs: super::super::x.
        let mut rest = &code[i..];
        let mut climbs = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            climbs += 1;
            rest = r;
        }
        let path = ident(rest);
        if module.len() >= climbs {
            let mut resolved: Vec<String> = module[..module.len() - climbs].to_vec();
            resolved.extend(path.into_iter().filter(|s| !s.is_empty()));
            if let Some(first) = resolved.first() {
                found.insert((first.clone(), resolved.get(1).cloned()));
            }
        }
    }
    found
}

struct Source {
    path: PathBuf,
    module: Vec<String>,
    code: String,
    lines: usize,
}

fn sources() -> Vec<Source> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read a source file");
            let (code, lines) = code(&text);
            Source {
                module: module_path(&path),
                path,
                code,
                lines,
            }
        })
        .collect()
}

fn layer_table() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    LAYERS
        .iter()
        .map(|(m, allowed)| (*m, allowed.iter().copied().collect()))
        .collect()
}

fn rel(path: &Path) -> String {
    path.strip_prefix(src().parent().unwrap())
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn paths_resolve_to_the_modules_they_name() {
    let module = vec!["store".to_string(), "review".to_string()];
    let code = "use crate::report::review::Bounds;\nuse super::super::app::App;\nuse super::rows;\n\
                // crate::ui::output in a comment\nlet s = \"crate::cmd\";\n\
                #[cfg(test)]\nmod tests { use super::helper; }\n";
    let (code, _) = self::code(code);
    let found: Vec<(String, Option<String>)> = uses(&module, &code).into_iter().collect();
    let some = |a: &str, b: &str| (a.to_string(), Some(b.to_string()));
    assert_eq!(
        found,
        vec![
            some("app", "App"),
            some("report", "review"),
            some("store", "review"),
            some("store", "rows"),
        ]
    );
}

#[test]
fn the_scan_sees_the_whole_tree() {
    let all = sources();
    assert!(all.len() > 50, "only {} files found under src", all.len());
    let cmd_uses: BTreeSet<String> = all
        .iter()
        .filter(|s| s.module.first().map(String::as_str) == Some("cmd"))
        .flat_map(|s| uses(&s.module, &s.code).into_iter().map(|(m, _)| m))
        .collect();
    for m in ["app", "ui", "domain", "store"] {
        assert!(cmd_uses.contains(m), "cmd/ was not seen using {m}");
    }
}

#[test]
fn the_layer_table_has_no_cycle_and_lists_only_lower_layers() {
    for (i, (module, allowed)) in LAYERS.iter().enumerate() {
        let below: BTreeSet<&str> = LAYERS[..i].iter().map(|(m, _)| *m).collect();
        for a in *allowed {
            assert!(
                below.contains(a),
                "{module} may use {a}, which is not listed below it in LAYERS"
            );
        }
    }
}

#[test]
fn modules_use_only_the_layers_below_them() {
    let table = layer_table();
    let mut wrong = Vec::new();
    for s in sources() {
        let Some(top) = s.module.first() else {
            continue; // lib.rs and main.rs sit above everything.
        };
        let Some(allowed) = table.get(top.as_str()) else {
            wrong.push(format!(
                "{}: top-level module `{top}` is not placed in LAYERS",
                rel(&s.path)
            ));
            continue;
        };
        for (used, _) in uses(&s.module, &s.code) {
            if used == *top || !table.contains_key(used.as_str()) {
                continue;
            }
            if !allowed.contains(used.as_str()) {
                wrong.push(format!("{}: {top} uses {used}", rel(&s.path)));
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn a_command_never_uses_another_command() {
    let mut wrong = Vec::new();
    for s in sources() {
        if s.module.first().map(String::as_str) != Some("cmd") || s.module.len() < 2 {
            continue;
        }
        let me = &s.module[1];
        if CMD_SHARED.contains(&me.as_str()) {
            continue;
        }
        for (top, second) in uses(&s.module, &s.code) {
            let Some(other) = second else { continue };
            if top == "cmd" && other != *me && !CMD_SHARED.contains(&other.as_str()) {
                wrong.push(format!(
                    "{}: command `{me}` uses command `{other}`",
                    rel(&s.path)
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn only_the_terminal_layers_print() {
    let printing = [
        "println!",
        "eprintln!",
        "print!",
        "eprint!",
        "dbg!",
        "std::io::stdout",
        "std::io::stderr",
        "io::stdout()",
        "io::stderr()",
    ];
    let mut wrong = Vec::new();
    for s in sources() {
        let Some(top) = s.module.first() else {
            continue;
        };
        if !SILENT.contains(&top.as_str()) {
            continue;
        }
        // The file's own tests may print what they like.
        let code = s.code.split("#[cfg(test)]").next().unwrap_or("");
        for p in printing {
            if code.contains(p) {
                wrong.push(format!("{}: {top} uses {p}", rel(&s.path)));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn files_stay_short_enough_to_read() {
    let long: Vec<String> = sources()
        .iter()
        .filter(|s| s.lines > MAX_LINES)
        .map(|s| format!("{}: {} lines", rel(&s.path), s.lines))
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines (not counting #[cfg(test)]):\n{}",
        long.join("\n")
    );
}
