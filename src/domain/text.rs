//! Wording shared by every layer that reports an operating-system error.

/// An I/O error as a person reads it: "No such file or directory", without "(os error 2)".
pub fn io_message(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Text for a terminal: every control character but tab and newline (C0, DEL, C1) shown as an
/// escape (`\x1b`, `\u{9b}`), so text people typed (or a remote error message) cannot clear
/// the screen, move the cursor, set the window title or overwrite a line with a lone CR. A CR
/// just before a newline stays: a CRLF line looks like any other. Sequences in `keep` (the
/// colours the tool adds itself) pass as they are.
pub fn escape_controls<'a>(text: &'a str, keep: &[&str]) -> std::borrow::Cow<'a, str> {
    let shown = |c: char| c == '\t' || c == '\n' || !c.is_control();
    if text.chars().all(shown) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(k) = keep.iter().find(|k| !k.is_empty() && rest.starts_with(**k)) {
            out.push_str(k);
            rest = &rest[k.len()..];
            continue;
        }
        match c {
            '\r' if rest[1..].starts_with('\n') => out.push('\r'),
            c if shown(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
        rest = &rest[c.len_utf8()..];
    }
    std::borrow::Cow::Owned(out)
}

/// `escape_controls` for bytes that need not be UTF-8 (a log's lines): C0 controls but tab and
/// newline, DEL, and C1 controls encoded in UTF-8 are escaped; every other byte is kept as it
/// is, so a log in another encoding prints as before.
pub fn escape_control_bytes(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let c1 =
        |i: usize| bytes[i] == 0xc2 && bytes.get(i + 1).is_some_and(|b| (0x80..0xa0).contains(b));
    let control = |i: usize| {
        let b = bytes[i];
        (b < 0x20 && b != b'\t' && b != b'\n' && !(b == b'\r' && bytes.get(i + 1) == Some(&b'\n')))
            || b == 0x7f
            || c1(i)
    };
    if !(0..bytes.len()).any(control) {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() + 16);
    let mut i = 0;
    while i < bytes.len() {
        if c1(i) {
            out.extend_from_slice(format!("\\u{{{:x}}}", bytes[i + 1]).as_bytes());
            i += 2;
            continue;
        }
        if control(i) {
            out.extend_from_slice(format!("\\x{:02x}", bytes[i]).as_bytes());
        } else {
            out.push(bytes[i]);
        }
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_escaped_and_tab_newline_crlf_kept() {
        assert_eq!(
            escape_controls("a\x1b[2Jb\tc\r\nd\re\u{9b}31m\x07\x7f é", &[]),
            "a\\x1b[2Jb\tc\r\nd\\x0de\\u{9b}31m\\x07\\x7f é"
        );
        assert_eq!(
            escape_controls("\x1b[1mok\x1b[0m \x1b[2J", &["\x1b[1m", "\x1b[0m"]),
            "\x1b[1mok\x1b[0m \\x1b[2J"
        );
        assert!(matches!(
            escape_controls("plain ✓", &[]),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            &*escape_control_bytes(b"x\x1b]0;pwned\x07 \xff\xc2\x9b\xc2\xa0\r\n\r"),
            b"x\\x1b]0;pwned\\x07 \xff\\u{9b}\xc2\xa0\r\n\\x0d"
        );
    }
}
