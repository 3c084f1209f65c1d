//! The `[health]` section: the weights of the health score's signals, the score thresholds of
//! each severity, the pattern that finds a score a command printed, and when health counts as
//! recovered.

use super::{ConfigError, Source};
use crate::evidence::health::HealthSettings;
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HealthFile {
    score_pattern: Option<Spanned<String>>,
    recover_after: Option<Spanned<i64>>,
    below: Option<BelowFile>,
    weights: Option<WeightsFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BelowFile {
    #[serde(rename = "P1")]
    p1: Option<Spanned<f64>>,
    #[serde(rename = "P2")]
    p2: Option<Spanned<f64>>,
    #[serde(rename = "P3")]
    p3: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WeightsFile {
    freshness: Option<Spanned<f64>>,
    pods: Option<Spanned<f64>>,
    cronjobs: Option<Spanned<f64>>,
    jobs: Option<Spanned<f64>>,
    databases: Option<Spanned<f64>>,
    redis: Option<Spanned<f64>>,
    commands: Option<Spanned<f64>>,
}

pub(super) fn resolve(
    src: &Source,
    file: Option<&HealthFile>,
) -> Result<HealthSettings, ConfigError> {
    let mut h = HealthSettings::default();
    let Some(file) = file else { return Ok(h) };
    if let Some(p) = &file.score_pattern {
        let re = regex::Regex::new(p.get_ref()).map_err(|e| {
            let first = e
                .to_string()
                .lines()
                .last()
                .unwrap_or("")
                .trim()
                .to_string();
            src.invalid(p.span().start, format!("health.score_pattern: {first}"))
        })?;
        if re.captures_len() < 2 {
            return Err(src.invalid(
                p.span().start,
                "health.score_pattern needs a group around the number, like (\\d+)".into(),
            ));
        }
        h.score_pattern = Some(re);
    }
    if let Some(n) = &file.recover_after {
        if !(1..=1000).contains(n.get_ref()) {
            return Err(src.invalid(
                n.span().start,
                "health.recover_after: a number of checks from 1 to 1000".into(),
            ));
        }
        h.recover_after = *n.get_ref() as u32;
    }
    let points = |key: &str, v: &Spanned<f64>| -> Result<f64, ConfigError> {
        let x = *v.get_ref();
        if !(0.0..=100.0).contains(&x) {
            return Err(src.invalid(v.span().start, format!("{key}: points from 0 to 100")));
        }
        Ok(x)
    };
    if let Some(b) = &file.below {
        for (i, (key, v)) in [("P1", &b.p1), ("P2", &b.p2), ("P3", &b.p3)]
            .into_iter()
            .enumerate()
        {
            if let Some(v) = v {
                h.below[i] = points(&format!("health.below.{key}"), v)?;
            }
        }
        if !(h.below[0] <= h.below[1] && h.below[1] <= h.below[2]) {
            let at = [&b.p1, &b.p2, &b.p3]
                .into_iter()
                .flatten()
                .map(|v| v.span().start)
                .next()
                .unwrap_or(0);
            return Err(src.invalid(at, "health.below: P1 ≤ P2 ≤ P3".into()));
        }
    }
    if let Some(w) = &file.weights {
        let weights = &mut h.weights;
        for (key, value, slot) in [
            ("freshness", &w.freshness, &mut weights.freshness),
            ("pods", &w.pods, &mut weights.pods),
            ("cronjobs", &w.cronjobs, &mut weights.cronjobs),
            ("jobs", &w.jobs, &mut weights.jobs),
            ("databases", &w.databases, &mut weights.databases),
            ("redis", &w.redis, &mut weights.redis),
            ("commands", &w.commands, &mut weights.commands),
        ] {
            if let Some(v) = value {
                *slot = points(&format!("health.weights.{key}"), v)?;
            }
        }
    }
    Ok(h)
}

#[cfg(test)]
mod tests {

    fn load_text(text: &str) -> Result<crate::config::Settings, String> {
        crate::config::load_text(text).map_err(|e| e.to_string())
    }

    #[test]
    fn health_settings_are_read_and_checked() {
        let s = load_text(
            "[health]\nrecover_after = 5\nscore_pattern = 'score=(\\d+)'\n[health.below]\nP1 = 50\n[health.weights]\npods = 30\n",
        )
        .unwrap();
        assert_eq!(s.health.recover_after, 5);
        assert_eq!(s.health.below, [50.0, 80.0, 95.0]);
        assert_eq!(s.health.weights.pods, 30.0);
        assert_eq!(s.health.weights.freshness, 40.0);
        assert_eq!(s.health.score_pattern().as_str(), "score=(\\d+)");

        for (text, line, needle) in [
            ("[health]\nscore_pattern = 'score'\n", 2, "group"),
            (
                "[health]\nscore_pattern = '(unclosed'\n",
                2,
                "health.score_pattern",
            ),
            ("[health]\nrecover_after = 0\n", 2, "recover_after"),
            ("[health.below]\nP1 = 90\nP2 = 80\n", 2, "P1 ≤ P2 ≤ P3"),
            ("[health.weights]\n\npods = -1\n", 3, "health.weights.pods"),
            ("[health.weights]\nnodes = 1\n", 2, "nodes"),
        ] {
            let err = load_text(text).unwrap_err();
            assert!(err.contains(&format!(" line {line}: ")), "{err}");
            assert!(err.contains(needle), "{err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }
}
