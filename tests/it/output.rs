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
