//! Text people typed, placed in Markdown so that it reads as typed and cannot change the
//! document around it: no raw HTML (Markdown renderers pass it through, `<script>` included),
//! no code fence it can close, no heading or rule it can fake. Used by the Markdown templates
//! (as the filters `md`, `md_cell`, `fence`, `fenced` and `code`) and by the Markdown export.
//! Control characters are shown escaped (`\x1b`) in all of them: a document is read on a
//! terminal too.

use crate::domain::text::escape_controls;

/// Inline or paragraph text: `\`, `<`, `>`, `&` and backticks are backslash-escaped wherever
/// they are (so no HTML tag, entity, autolink or code span can form), and at the start of a
/// line whatever would open a block: a heading (`#`), a fence (`~~~`), a setext underline or a
/// thematic break (a line of only `-`, `=`, `*`, `_`). Lists and emphasis stay Markdown.
pub fn escape(text: &str) -> String {
    let text = &*escape_controls(text, &[]);
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    // A lone CR ends a line too (CommonMark), so it starts a line like LF does.
    for piece in text.split_inclusive(['\n', '\r']) {
        let line = piece.trim_end_matches(['\n', '\r']);
        let body = line.trim_start_matches([' ', '\t']);
        out.push_str(&line[..line.len() - body.len()]);
        if opens_block(body) {
            out.push('\\');
        }
        for c in body.chars() {
            if matches!(c, '\\' | '<' | '>' | '&' | '`') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push_str(&piece[line.len()..]);
    }
    out
}

/// Whether a line (its indentation removed) would start a block that is not a paragraph or a
/// list: a heading, a `~~~` fence, or a rule/setext underline made of one repeated mark.
fn opens_block(body: &str) -> bool {
    let marks: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let hashes = body.len() - body.trim_start_matches('#').len();
    let heading = (1..=6).contains(&hashes)
        && body[hashes..]
            .chars()
            .next()
            .is_none_or(|c| c == ' ' || c == '\t');
    heading
        || body.starts_with("~~~")
        || (!marks.is_empty()
            && ['-', '=', '*', '_']
                .iter()
                .any(|m| marks.chars().all(|c| c == *m)))
}

/// A value inside a table row: escaped, on one line, `|` escaped so it cannot add a column.
pub fn cell(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    escape(&one_line).replace('|', "\\|")
}

/// The delimiter of a fenced code block that holds `text`: backticks, one more than the
/// longest run of backticks in it and at least three, so no line of `text` can close it
/// (CommonMark: a closing fence is at least as long as the opening one).
pub fn fence(text: &str) -> String {
    "`".repeat(longest_backtick_run(text).max(2) + 1)
}

/// `text` as a whole fenced code block: the opening fence (placed where the caller stands),
/// the lines indented by `indent` spaces (a block inside a list item) and the closing fence,
/// longer than any backtick run in `text`. Every line
/// ending becomes LF: a lone CR would end a line without the indentation and so end the list
/// item, and the block with it.
pub fn fenced(text: &str, indent: usize) -> String {
    let fence = fence(text);
    let pad = " ".repeat(indent);
    let mut out = format!("{fence}\n");
    for line in text.split("\r\n").flat_map(|l| l.split(['\r', '\n'])) {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(&escape_controls(line, &[]));
        }
        out.push('\n');
    }
    out.push_str(&pad);
    out.push_str(&fence);
    out
}

/// `text` as an inline code span: delimited by a run of backticks that does not occur in it,
/// padded with a space when it starts or ends with a backtick (CommonMark strips one space on
/// each side). On one line: a line break inside a code span in a list item would end it.
pub fn code(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = escape_controls(&text, &[]);
    let ticks = "`".repeat(free_run(&text));
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

fn longest_backtick_run(text: &str) -> usize {
    runs(text).into_iter().max().unwrap_or(0)
}

/// The shortest backtick run length that does not occur in `text` (a code span closes only on
/// a run of exactly its own length).
fn free_run(text: &str) -> usize {
    let runs = runs(text);
    (1..).find(|n| !runs.contains(n)).unwrap_or(1)
}

fn runs(text: &str) -> Vec<usize> {
    let mut runs = Vec::new();
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
        } else if run > 0 {
            runs.push(run);
            run = 0;
        }
    }
    if run > 0 {
        runs.push(run);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_and_code_spans_are_escaped_and_lists_kept() {
        assert_eq!(
            escape("see <img src=x onerror=alert(1)> & `x`"),
            "see \\<img src=x onerror=alert(1)\\> \\& \\`x\\`"
        );
        // A backslash typed before `<` cannot undo the escape.
        assert_eq!(escape("\\<script>"), "\\\\\\<script\\>");
        assert_eq!(
            escape("## Root cause\r\nBob\n---\n- a\n  * b\n~~~"),
            "\\## Root cause\r\nBob\n\\---\n- a\n  * b\n\\~~~"
        );
        assert_eq!(cell("a|b\nc <d>"), "a\\|b c \\<d\\>");
        assert_eq!(escape("#1 updater\n#\n~ ok"), "#1 updater\n\\#\n~ ok");
        assert_eq!(escape("a\x1b[2J"), "a\\\\x1b[2J");
        assert_eq!(code("a\x1b[2J"), "`a\\x1b[2J`");
    }

    #[test]
    fn a_fence_is_longer_than_any_backtick_run_inside() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("```\n<script>"), "````");
        assert_eq!(fence("a ````` b"), "``````");
        assert_eq!(
            fenced("a\r\n```\r<script>\n\nend", 2),
            "````\n  a\n  ```\n  <script>\n\n  end\n  ````"
        );
    }

    #[test]
    fn a_code_span_uses_a_run_the_text_lacks() {
        assert_eq!(code("kubectl get pods"), "`kubectl get pods`");
        assert_eq!(code("echo `date`"), "`` echo `date` ``");
        assert_eq!(code("`x`` y"), "``` `x`` y ```");
        assert_eq!(code("a\nb"), "`a b`");
    }
}
