//! The review's charts: geometry for inline SVG, so the templates only place what is
//! computed here.

use super::context::secs;
use super::window::Window;
use crate::domain::model::Severity;
use crate::domain::sla::Policy;
use crate::domain::time::human_duration;
use crate::store::review::ReviewData;
use chrono::{Local, NaiveDate};
use serde_json::{Value, json};

/// One decimal place is plenty for SVG coordinates and keeps the output short and stable.
fn px(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The smallest step of 1, 2 or 5 × 10^k that covers `max` in four ticks or fewer.
fn tick_step(max: i64) -> i64 {
    let mut magnitude = 1;
    loop {
        for m in [1, 2, 5] {
            if m * magnitude * 4 >= max {
                return m * magnitude;
            }
        }
        magnitude *= 10;
    }
}

/// The longest window, in days, with a per-day chart.
const MAX_CHART_DAYS: i64 = 366;

/// Incidents opened per local day, stacked by severity (P1 at the bottom).
pub(super) fn per_day_chart(window: &Window, data: &ReviewData) -> Value {
    const WIDTH: f64 = 720.0;
    const HEIGHT: f64 = 220.0;
    const LEFT: f64 = 36.0;
    const RIGHT: f64 = 8.0;
    const TOP: f64 = 18.0;
    const BOTTOM: f64 = 34.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;

    let first = window.since.with_timezone(&Local).date_naive();
    let last = (window.until)
        .checked_sub_signed(chrono::TimeDelta::seconds(1))
        .unwrap_or(window.until)
        .with_timezone(&Local)
        .date_naive();
    // A bar a day fits 720 px for about a year; a longer window (the range reaches back to
    // 1970) would be millions of sub-pixel bars, so it has no per-day chart.
    if last.signed_duration_since(first).num_days() >= MAX_CHART_DAYS {
        return json!({"any": false, "bars": [], "ticks": [], "max": 0});
    }
    let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
    let n = days.len().max(1) as f64;
    let count_of = |day: &str, s: Severity| {
        data.per_day
            .iter()
            .find(|c| c.day == day && c.severity == s)
            .map_or(0, |c| c.count)
    };
    let totals: Vec<i64> = days
        .iter()
        .map(|d| {
            let day = d.to_string();
            Severity::ALL.iter().map(|s| count_of(&day, *s)).sum()
        })
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0);
    let step = tick_step(max.max(1));
    let scale = (((max.max(1) + step - 1) / step) * step) as f64;
    let slot = plot_w / n;
    let bar_w = (slot * 0.7).max(1.0);
    // Label every day while they fit, else every k-th.
    let every = days.len().div_ceil(14).max(1);
    let bottom = TOP + plot_h;

    let bars: Vec<Value> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let day = d.to_string();
            let x = LEFT + i as f64 * slot + (slot - bar_w) / 2.0;
            let mut y = bottom;
            let segments: Vec<Value> = Severity::ALL
                .iter()
                .filter_map(|s| {
                    let c = count_of(&day, *s);
                    (c > 0).then(|| {
                        let h = c as f64 / scale * plot_h;
                        y -= h;
                        json!({"severity": s, "count": c, "y": px(y), "h": px(h)})
                    })
                })
                .collect();
            json!({
                "date": day,
                "label": d.format("%a %-d").to_string(),
                "show_label": i % every == 0,
                "x": px(x),
                "w": px(bar_w),
                "cx": px(x + bar_w / 2.0),
                "total": totals[i],
                "top": px(y),
                "segments": segments,
            })
        })
        .collect();
    let ticks: Vec<Value> = (0..=(scale as i64 / step))
        .map(|k| {
            let v = k * step;
            json!({"value": v, "y": px(bottom - v as f64 / scale * plot_h)})
        })
        .collect();
    json!({
        "any": max > 0,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": bottom,
        "label_y": bottom + 16.0,
        "max": max,
        "ticks": ticks,
        "bars": bars,
    })
}

/// Median and p90 time to resolve per severity against its fix target, every row on one
/// logarithmic scale: a longer time is always a longer bar (per-row scales drew a 30-minute P1
/// longer than a 3h 20m P2), and P1's hour and P3's three days still both read. The ticks
/// below name the scale; the target line sits where it falls and a bar turns red past it.
pub(super) fn resolve_chart(data: &ReviewData, policy: &Policy) -> Value {
    const WIDTH: f64 = 720.0;
    const ROW: f64 = 54.0;
    const PLOT_X: f64 = 90.0;
    const PLOT_W: f64 = 400.0;
    const TEXT_X: f64 = 510.0;
    let find = |group: &str| {
        data.times
            .iter()
            .find(|t| t.measure == "resolve" && t.group == group && t.current)
    };
    let longest = Severity::ALL
        .iter()
        .map(|s| {
            let target = secs(policy.target(*s).resolve);
            find(s.as_str())
                .map_or(0, |t| t.p90.max(t.median))
                .max(target)
        })
        .max()
        .unwrap_or(0);
    let scale = log_minutes(longest as f64 * 1.1).max(f64::MIN_POSITIVE);
    let w = |v: i64| px(log_minutes(v as f64) / scale * PLOT_W);
    let rows: Vec<Value> = Severity::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let y = 6.0 + i as f64 * ROW;
            let target = secs(policy.target(*s).resolve);
            let stat = find(s.as_str());
            let bar = |v: i64, dy: f64| {
                json!({
                    "x": PLOT_X,
                    "y": px(y + dy),
                    "w": w(v).max(1.0),
                    "h": 14.0,
                    "over": v > target,
                    "seconds": v,
                    "text": human_duration(v),
                })
            };
            json!({
                "severity": s,
                "y": px(y),
                "label_y": px(y + 20.0),
                "target_label_y": px(y + 38.0),
                "n": stat.map_or(0, |t| t.n),
                "median": stat.map(|t| bar(t.median, 6.0)),
                "p90": stat.map(|t| bar(t.p90, 24.0)),
                "median_text_y": px(y + 17.0),
                "p90_text_y": px(y + 35.0),
                "target_x": px(PLOT_X + w(target)),
                "target_y1": px(y + 2.0),
                "target_y2": px(y + 44.0),
                "target_seconds": target,
                "target_text": human_duration(target),
            })
        })
        .collect();
    let axis_y = 6.0 + 3.0 * ROW;
    let ticks: Vec<Value> = [
        60,
        600,
        3_600,
        4 * 3_600,
        86_400,
        3 * 86_400,
        7 * 86_400,
        30 * 86_400,
    ]
    .into_iter()
    .filter(|t| (*t as f64) <= longest as f64 * 1.1)
    .map(|t| json!({"x": px(PLOT_X + w(t)), "text": human_duration(t)}))
    .collect();
    json!({
        "width": WIDTH,
        "height": axis_y + 20.0,
        "plot_x": PLOT_X,
        "text_x": TEXT_X,
        "rows": rows,
        "axis_y": px(axis_y),
        "tick_label_y": px(axis_y + 14.0),
        "ticks": ticks,
    })
}

/// Where a time falls on the chart's logarithmic scale: ln(1 + minutes), zero at zero.
fn log_minutes(seconds: f64) -> f64 {
    (seconds.max(0.0) / 60.0).ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_cover_the_tallest_bar() {
        assert_eq!(tick_step(1), 1);
        assert_eq!(tick_step(4), 1);
        assert_eq!(tick_step(5), 2);
        assert_eq!(tick_step(137), 50);
    }
}
