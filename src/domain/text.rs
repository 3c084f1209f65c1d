//! Wording shared by every layer that reports an operating-system error.

/// An I/O error as a person reads it: "No such file or directory", without "(os error 2)".
pub fn io_message(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}
