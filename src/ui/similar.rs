//! Past incidents like one, printed for the responder (`open`, `show`).

use crate::domain::model::number_label;
use crate::domain::time::{Timestamp, human_duration};
use crate::store::Similar;
use crate::ui::output::Paint;

/// The block: each past incident's number, age, status and title, then the first line of its
/// root cause and resolution. Empty when there is none.
pub fn past_text(past: &[Similar], now: Timestamp, paint: &Paint) -> String {
    if past.is_empty() {
        return String::new();
    }
    let mut s = format!("\n{}\n", paint.bold("LIKE THIS BEFORE:"));
    for p in past {
        let age = human_duration(now.signed_duration_since(p.opened_at).num_seconds());
        s.push_str(&format!(
            "  #{}  {}  {}  {age} ago  {}\n",
            number_label(p.number),
            p.severity,
            p.status,
            paint.bold(&p.title)
        ));
        for (label, text) in [("root cause", &p.root_cause), ("resolution", &p.resolution)] {
            let line = match text.lines().find(|l| !l.trim().is_empty()) {
                Some(l) => l.trim().to_string(),
                None => paint.dim("(not recorded)"),
            };
            s.push_str(&format!("      {label:<11} {line}\n"));
        }
    }
    s
}
