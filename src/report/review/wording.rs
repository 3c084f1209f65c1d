//! How the review words a figure next to the previous window's: changes with their direction,
//! counts, durations and compliance shares.

use crate::domain::time::human_duration;
use crate::store::review::ClockCounts;
use serde_json::{Value, json};

/// `▲2`, `▼15m`, `±0`: a change with its direction, the amount written by `unit`.
pub(super) fn delta(change: i64, unit: impl Fn(i64) -> String) -> String {
    match change.signum() {
        1 => format!("▲{}", unit(change)),
        -1 => format!("▼{}", unit(-change)),
        _ => "±0".into(),
    }
}

/// A count next to the previous window's: `4 (▲2)`.
pub(super) fn count(current: i64, previous: i64) -> Value {
    json!({
        "value": current,
        "previous": previous,
        "change": current - previous,
        "text": format!("{current} ({})", delta(current - previous, |d| d.to_string())),
    })
}

/// `2h 10m (▼15m)`; `–` where there is no value.
pub(super) fn duration_text(current: Option<i64>, previous: Option<i64>) -> String {
    match (current, previous) {
        (Some(c), Some(p)) => format!("{} ({})", human_duration(c), delta(c - p, human_duration)),
        (Some(c), None) => format!("{} (was –)", human_duration(c)),
        (None, Some(p)) => format!("– (was {})", human_duration(p)),
        (None, None) => "–".into(),
    }
}

/// Met as a whole percentage of the decided clocks, rounded half up; none when none decided.
pub(super) fn percent(c: &ClockCounts) -> Option<i64> {
    let decided = c.met + c.breached;
    (decided > 0).then(|| (200 * c.met + decided) / (2 * decided))
}

/// `75% (3/4, ▲25 pts)`: the share of decided clocks met, next to the previous window's.
pub(super) fn share(current: ClockCounts, previous: ClockCounts, target: Option<i64>) -> Value {
    let (c, p) = (percent(&current), percent(&previous));
    let decided = current.met + current.breached;
    let text = match (c, p) {
        (Some(c), Some(p)) => format!(
            "{c}% ({}/{decided}, {})",
            current.met,
            delta(c - p, |d| format!("{d} pts"))
        ),
        (Some(c), None) => format!("{c}% ({}/{decided}, was –)", current.met),
        (None, Some(p)) => format!("– (none decided, was {p}%)"),
        (None, None) => "–".into(),
    };
    let side = |k: &ClockCounts| {
        let decided = k.met + k.breached;
        json!({
            "met": k.met,
            "breached": k.breached,
            "running": k.running,
            "decided": decided,
            "share": (decided > 0).then(|| k.met as f64 / decided as f64),
            "percent": percent(k),
        })
    };
    let mut v = side(&current);
    v["previous"] = side(&previous);
    v["change_points"] = json!(c.zip(p).map(|(c, p)| c - p));
    v["text"] = text.into();
    v["target_seconds"] = json!(target);
    v["target_text"] = target.map(human_duration).unwrap_or_default().into();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_round_half_up_and_word_the_change() {
        let c = |met, breached| ClockCounts {
            met,
            breached,
            running: 0,
        };
        assert_eq!(percent(&c(2, 1)), Some(67));
        assert_eq!(percent(&c(1, 1)), Some(50));
        assert_eq!(percent(&c(1, 7)), Some(13)); // 12.5 rounds up
        assert_eq!(percent(&c(0, 0)), None);
        assert_eq!(share(c(3, 1), c(1, 1), None)["text"], "75% (3/4, ▲25 pts)");
        assert_eq!(
            share(c(0, 0), c(1, 0), None)["text"],
            "– (none decided, was 100%)"
        );
        assert_eq!(count(4, 2)["text"], "4 (▲2)");
        assert_eq!(count(1, 3)["text"], "1 (▼2)");
        assert_eq!(count(3, 3)["text"], "3 (±0)");
        assert_eq!(duration_text(Some(7_800), Some(8_700)), "2h 10m (▼15m)");
        assert_eq!(duration_text(None, Some(60)), "– (was 1m)");
    }
}
