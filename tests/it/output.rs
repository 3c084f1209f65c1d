//! Output that cannot be hijacked: text people typed stays text in every Markdown document
//! (read back with a CommonMark parser, as a renderer would), and control characters reach the
//! terminal escaped.

use crate::common::Env;
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

/// A note pasted from a terminal that tries to close the code block it lands in and then
/// plant HTML: a line of three backticks, an image with an error handler, a script. CRLF and a
/// lone CR, an id with `_` and `-`, an IP and unicode, as pasted text has.
const HOSTILE_NOTE: &str = "kubectl logs api-7f9c_x2 -n prod → 10.0.3.17 refused\r\n\
```\r\n\
<img src=x onerror=alert(1)>\n\
<script>alert(2)</script>\r\
# Root cause\n\
the end ````` of it";

/// What a Markdown renderer sees: raw HTML (block or inline), and the text of each code block.
struct Read {
    html: Vec<String>,
    code_blocks: Vec<String>,
    code_spans: Vec<String>,
    headings: Vec<String>,
}

fn read(markdown: &str) -> Read {
    let mut read = Read {
        html: vec![],
        code_blocks: vec![],
        code_spans: vec![],
        headings: vec![],
    };
    let (mut block, mut heading) = (None::<String>, None::<String>);
    for event in Parser::new(markdown) {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => read.html.push(h.to_string()),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => block = Some(String::new()),
            Event::End(TagEnd::CodeBlock) => read.code_blocks.extend(block.take()),
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => read.headings.extend(heading.take()),
            Event::Code(c) => read.code_spans.push(c.to_string()),
            Event::Text(t) => {
                if let Some(b) = block.as_mut() {
                    b.push_str(&t);
                }
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            _ => {}
        }
    }
    read
}

fn hostile(severity: &str) -> Env {
    let env = Env::new();
    env.run(&["open", severity, "Checkout <b>down</b> & `api` 5xx"])
        .ok();
    env.run_stdin(&["note", "1", "-"], HOSTILE_NOTE).ok();
    env.run(&[
        "note",
        "1",
        "one line <img src=y onerror=alert(3)> \\<script>",
    ])
    .ok();
    env.run(&[
        "update",
        "1",
        "--root-cause",
        "## Resolution\nfaked <script>x</script>",
    ])
    .ok();
    env
}

/// Every line of the note is inside one code block, as typed (line endings aside).
fn assert_contained(markdown: &str, what: &str) {
    let read = read(markdown);
    assert!(
        read.html.is_empty(),
        "{what}: raw HTML {:?}\n{markdown}",
        read.html
    );
    let lines: Vec<&str> = HOSTILE_NOTE
        .split(['\r', '\n'])
        .filter(|l| !l.is_empty())
        .collect();
    assert!(
        read.code_blocks.iter().any(|b| {
            let got: Vec<&str> = b.lines().collect();
            got == lines
        }),
        "{what}: the note is not one code block: {:?}\n{markdown}",
        read.code_blocks
    );
    for fake in ["Root cause", "Resolution"] {
        assert!(
            read.headings.iter().filter(|h| h.as_str() == fake).count() <= 1,
            "{what}: typed text made a heading {fake:?}: {:?}",
            read.headings
        );
    }
    assert!(
        markdown.contains("Checkout \\<b\\>down\\</b\\> \\& \\`api\\` 5xx"),
        "{what}: the title is not escaped\n{markdown}"
    );
}

#[test]
fn typed_text_cannot_close_a_code_block_or_plant_html_in_a_post_mortem() {
    // P2 gets postmortem.md, P3 postmortem-lite.md.
    for (severity, template) in [("P2", "postmortem.md"), ("P3", "postmortem-lite.md")] {
        let env = hostile(severity);
        let markdown = env.run(&["postmortem", "1"]);
        assert_contained(markdown.ok(), template);
    }
}

/// The cells of each row of every table, as a GFM renderer splits them.
fn table_rows(markdown: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut cell) = (None::<Vec<String>>, None::<String>);
    for event in Parser::new_ext(markdown, pulldown_cmark::Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::TableHead | Tag::TableRow) => row = Some(Vec::new()),
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => rows.extend(row.take()),
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                if let (Some(r), Some(c)) = (row.as_mut(), cell.take()) {
                    r.push(c);
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(c) = cell.as_mut() {
                    c.push_str(&t);
                }
            }
            Event::Html(h) | Event::InlineHtml(h) => panic!("raw HTML {h:?} in\n{markdown}"),
            _ => {}
        }
    }
    rows
}

#[test]
fn a_table_cell_holds_typed_pipes_backslashes_and_tags_as_text() {
    let env = hostile("P2");
    let text = "drain api_gw-2 | then \\| restart <img src=x onerror=alert(4)> & `ok`";
    env.run(&["action", "add", "1", text, "--owner", "bob|ops"])
        .ok();
    let run = env.run(&["postmortem", "1"]);
    let rows = table_rows(run.ok());
    let action = rows
        .iter()
        .find(|r| r.len() > 1 && r[1].starts_with("drain"))
        .unwrap_or_else(|| panic!("no action row in {rows:?}"));
    assert_eq!(
        action.len(),
        rows[0].len(),
        "a typed | added a column: {action:?}"
    );
    assert_eq!(action[1], text);
    assert_eq!(action[3], "bob|ops");
}

#[test]
fn typed_text_stays_text_in_the_markdown_export() {
    let env = hostile("P2");
    env.run(&["exec", "1", "--", "echo", "`id`", "a``b"]).ok();
    let run = env.run(&["export", "1", "--format", "md"]);
    let markdown = run.ok();
    let read = read(markdown);
    assert!(read.html.is_empty(), "raw HTML {:?}\n{markdown}", read.html);
    assert!(
        read.code_spans.iter().any(|c| c == "echo '`id`' 'a``b'"),
        "the command line is not one code span: {:?}\n{markdown}",
        read.code_spans
    );
    assert!(
        !read.headings.iter().any(|h| h == "Resolution"),
        "typed text made a heading: {:?}",
        read.headings
    );
}

/// What a terminal must never receive from typed text: an escape (clear screen, set the window
/// title), a bell, a lone CR that would overwrite the line, a C1 CSI.
fn assert_no_controls(what: &str, text: &str) {
    for c in ['\x1b', '\x07', '\u{9b}', '\x7f'] {
        assert!(!text.contains(c), "{what}: raw {c:?} in {text:?}");
    }
    assert!(
        !text.replace("\r\n", "\n").contains('\r'),
        "{what}: a lone CR in {text:?}"
    );
}

#[test]
fn control_characters_in_typed_text_reach_the_terminal_escaped() {
    let env = Env::new();
    let title = "api_gw-2 \x1b[2Jdown\x1b]0;pwned\x07 at 10.0.0.7\rOK ✓ \u{9b}31m";
    env.run(&["open", "P2", title]).ok();
    env.run(&["note", "1", "checkout \x1b[31mred\x1b[0m\r\nsecond line"])
        .ok();
    let shown = "api_gw-2 \\x1b[2Jdown\\x1b]0;pwned\\x07 at 10.0.0.7\\x0dOK ✓ \\u{9b}31m";
    for args in [
        vec!["list"],
        vec!["show", "1"],
        vec!["sla"],
        vec!["log", "1"],
        vec!["search", "checkout"],
        vec!["search", "pwned"],
    ] {
        let run = env.run(&args);
        let out = run.ok();
        assert_no_controls(&args.join(" "), out);
        assert_no_controls(&args.join(" "), &run.stderr);
        // A search snippet folds whitespace and marks the match; the rest print the title.
        let want = if args[0] == "search" { "\\x1b[" } else { shown };
        assert!(out.contains(want), "{args:?}: {out}");
    }
    // The note keeps its CRLF and shows the escape it carried.
    let show = env.run(&["show", "1"]);
    assert!(
        show.ok().contains("checkout \\x1b[31mred\\x1b[0m"),
        "{}",
        show.stdout
    );
    // A log's matching lines, as `search` prints them.
    let log = env.home().join("gateway.log");
    std::fs::write(&log, "2026-11-29T09:58:01Z ok\r\n2026-11-29T09:59:12Z ERROR upstream \x1b[2J\x1b]52;c;cm0gLXJm\x07\r\n").unwrap();
    env.run(&["attach", "1", log.to_str().unwrap()]).ok();
    let run = env.run(&["search", "upstream"]);
    assert_no_controls("search in a log", run.ok());
    assert!(
        run.stdout
            .contains("ERROR upstream \\x1b[2J\\x1b]52;c;cm0gLXJm\\x07"),
        "{}",
        run.stdout
    );
    // --json escapes in its own way, and stays JSON.
    let json = env.json(&["show", "1", "--json"]);
    assert_eq!(json["title"], title);
    // So do reminders' JSON lines, C1 and DEL included (`\u{9b}` would not be JSON).
    let late = Env::new();
    late.run(&["open", "P1", title, "--at", "-20m"]).ok();
    let run = late.run(&["remind", "--json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_no_controls("remind --json", &run.stdout);
    let line: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(line["incident"]["title"], title);
    // An error that quotes typed text: one line, escaped.
    let err = env.run(&["open", "P\x1b[2J9\nx", "title"]);
    let line = err.err();
    assert_no_controls("error", line);
    assert!(line.contains("\\x1b[2J9\\nx"), "{line}");
}

/// Runs `incident` as `env.run` does, but under umask 000: whatever it creates is only as
/// private as the tool makes it.
fn run_umask_000(env: &Env, args: &[&str]) -> crate::common::Run {
    let plain = env.command(args);
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(plain.get_program())
        .args(plain.get_args())
        .env_clear()
        .stdin(std::process::Stdio::null());
    for (k, v) in plain.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.output().unwrap().into()
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .mode()
        & 0o777
}

#[test]
fn every_file_written_is_0600_and_every_directory_0700_under_umask_000() {
    let env = Env::new();
    run_umask_000(&env, &["open", "P2", "Checkout 5xx on api_gw-2"]).ok();
    run_umask_000(&env, &["note", "1", "rolled back deploy 2026-11-29_1"]).ok();
    let db = env.db();
    let mut files = vec![db.clone()];
    for dir in [".local", ".local/share", ".local/share/incident"] {
        assert_eq!(mode(&env.home().join(dir)), 0o700, "{dir}");
    }
    let out = env.home().join("reports");
    std::fs::create_dir(&out).unwrap();
    for (args, file) in [
        (vec!["postmortem", "1", "--out"], "pm.md"),
        (
            vec!["postmortem", "1", "--format", "html", "--out"],
            "pm.html",
        ),
        (vec!["log", "1", "--out"], "log.txt"),
        (vec!["review", "--week", "2026-W48", "--out"], "review.md"),
        (vec!["export", "--all", "--out"], "export.json"),
        (
            vec!["export", "--all", "--format", "md", "--out"],
            "export.md",
        ),
    ] {
        let path = out.join(file);
        let path_arg = path.to_str().unwrap().to_string();
        let mut args: Vec<&str> = args;
        args.push(&path_arg);
        run_umask_000(&env, &args).ok();
        files.push(path);
    }
    // A report written again over a file someone made world-readable is private again.
    std::fs::set_permissions(
        out.join("pm.md"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    run_umask_000(
        &env,
        &[
            "postmortem",
            "1",
            "--out",
            out.join("pm.md").to_str().unwrap(),
        ],
    )
    .ok();
    let templates = env.home().join("tpl/new");
    run_umask_000(&env, &["template", "export", templates.to_str().unwrap()]).ok();
    assert_eq!(mode(&templates), 0o700);
    assert_eq!(mode(&env.home().join("tpl")), 0o700);
    for entry in std::fs::read_dir(&templates).unwrap() {
        files.push(entry.unwrap().path());
    }
    for wal in ["-wal", "-shm"] {
        let p = std::path::PathBuf::from(format!("{}{wal}", db.display()));
        if p.exists() {
            files.push(p);
        }
    }
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        6,
        "no temporary file left beside the reports"
    );
}
