//! The post-mortem's record in the terminal: the lessons lists, authors and status, and the
//! links, as `show` and `lesson list` print them.

use crate::domain::model::Number;
use crate::domain::postmortem::{LessonKind, Record};
use crate::domain::time::display;
use crate::ui::output::Paint;

/// The three lists as `show` and `lesson list` print them; an empty list says how to fill it
/// when `number` is given.
pub fn lesson_lists(r: &Record, paint: &Paint, number: Option<Number>) -> String {
    let mut s = String::new();
    for kind in LessonKind::ALL {
        let heading = format!("{}:", kind.heading().to_uppercase());
        let mut lessons = r.lessons_of(kind).peekable();
        if lessons.peek().is_none() && number.is_none() {
            continue;
        }
        s.push_str(&format!("\n{}\n", paint.bold(&heading)));
        if lessons.peek().is_none()
            && let Some(n) = number
        {
            let hint = format!("(none yet: `incident lesson add {n} {} TEXT`)", kind.flag());
            s.push_str(&format!("  {}\n", paint.dim(&hint)));
        }
        for l in lessons {
            let mut lines = l.text.lines();
            s.push_str(&format!(
                "  - {}  {}\n",
                lines.next().unwrap_or_default(),
                paint.dim(&format!("({}, {})", l.author, display(l.at)))
            ));
            lines.for_each(|more| s.push_str(&format!("    {more}\n")));
        }
    }
    s
}

/// `show`'s post-mortem block: its authors and status, the lessons lists that have entries,
/// and the supporting links; nothing when the timeline has none of them.
pub fn postmortem_block(r: &Record, paint: &Paint) -> String {
    let mut s = String::new();
    if !r.authors.is_empty() || r.status.is_some() {
        s.push_str(&format!("\n{}\n", paint.bold("POST-MORTEM:")));
        let status = r
            .status
            .map_or("not started".to_string(), |st| st.to_string());
        s.push_str(&format!("  status   {status}\n"));
        if !r.authors.is_empty() {
            s.push_str(&format!("  authors  {}\n", r.authors.join(", ")));
        }
    }
    s.push_str(&lesson_lists(r, paint, None));
    let links: Vec<_> = r.supporting().collect();
    if !links.is_empty() {
        s.push_str(&format!("\n{}\n", paint.bold("SUPPORTING INFORMATION:")));
        for l in links {
            match l.title.as_str() {
                "" => s.push_str(&format!("  - {}\n", l.url)),
                title => s.push_str(&format!("  - {title}: {}\n", l.url)),
            }
        }
    }
    s
}
