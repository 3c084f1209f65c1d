//! The health score in words: the verdict, and what each signal cost.

use crate::domain::model::Severity;
use crate::evidence::health::Health;
use crate::ui::output::Paint;

/// "HEALTH 62.5/100: P2 (…)" and one line per signal: points lost of its weight, and what
/// cost them.
pub fn breakdown(health: &Health, verdict: &str, paint: &Paint) -> String {
    let head = format!("HEALTH {:.1}/100", health.score);
    let verdict = match health.severity {
        None => paint.green(verdict),
        Some(Severity::P3) => paint.yellow(verdict),
        Some(_) => paint.red(verdict),
    };
    let mut out = format!("{}: {verdict}\n", paint.bold(&head));
    for s in &health.signals {
        let targets = format!(
            "{} target{}",
            s.targets,
            if s.targets == 1 { "" } else { "s" }
        );
        let lost = if s.lost > 0.0 {
            format!("-{:.1}", s.lost)
        } else {
            "0".to_string()
        };
        out.push_str(&format!(
            "  {:<10} {lost:>6} of {:<4} {}\n",
            s.name,
            format!("{:.0}", s.weight),
            paint.dim(&targets)
        ));
        for c in &s.costs {
            out.push_str(&format!(
                "    -{:.1} {}: {}\n",
                c.points, c.subject, c.reason
            ));
        }
    }
    if health.signals.is_empty() {
        out.push_str("  nothing configured that the score looks at\n");
    }
    out
}
