//! Reports rendered from minijinja templates: built into the binary, overridable from a directory.

use crate::domain::time;
use minijinja::{Environment, UndefinedBehavior, value::Serde};
use std::path::{Path, PathBuf};

/// The built-in templates, by name. A file of the same name in the user's templates directory
/// replaces one.
pub const BUILTIN: &[(&str, &str)] = &[
    ("log.txt", include_str!("../../templates/log.txt")),
    (
        "postmortem.md",
        include_str!("../../templates/postmortem.md"),
    ),
    (
        "postmortem.html",
        include_str!("../../templates/postmortem.html"),
    ),
    (
        "postmortem-lite.md",
        include_str!("../../templates/postmortem-lite.md"),
    ),
    ("review.md", include_str!("../../templates/review.md")),
    ("review.html", include_str!("../../templates/review.html")),
    ("reminder.txt", include_str!("../../templates/reminder.txt")),
    ("board.html", include_str!("../../templates/board.html")),
    (
        "board-incident.html",
        include_str!("../../templates/board-incident.html"),
    ),
    (
        "board-parts.html",
        include_str!("../../templates/board-parts.html"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("there is no template '{0}'")]
    NotFound(String),
    #[error("template {file} line {line}: {message}")]
    Broken {
        file: String,
        line: usize,
        message: String,
    },
}

impl RenderError {
    pub fn hint(&self) -> String {
        match self {
            RenderError::NotFound(_) => "`incident template list` lists them".into(),
            // Reminders have no --context: the built-in template shows what it may use.
            RenderError::Broken { file, .. } if file.ends_with("reminder.txt") => {
                "`incident template show reminder.txt` prints the built-in one, whose opening comment lists what it receives; nothing was sent".into()
            }
            RenderError::Broken { .. } => {
                "`--context` prints the JSON the template receives; nothing was written".into()
            }
        }
    }
}

pub struct Templates {
    env: Environment<'static>,
    dir: Option<PathBuf>,
}

impl Templates {
    /// Built-in templates, with those in `dir` (if given) taking precedence.
    pub fn new(dir: Option<&Path>) -> Templates {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Text reports: a block tag on its own line leaves no blank line behind.
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("static syntax config is valid");
        env.set_syntax(syntax);
        env.add_filter("datetime", datetime);
        env.add_filter("duration", duration);
        // Text people typed, placed in Markdown (report::markdown says what each guards).
        env.add_filter("md", |t: &str| super::markdown::escape(t));
        env.add_filter("md_cell", |t: &str| super::markdown::cell(t));
        env.add_filter("fence", |t: &str| super::markdown::fence(t));
        env.add_filter("code", |t: &str| super::markdown::code(t));
        env.add_filter("fenced", |t: &str, indent: Option<usize>| {
            super::markdown::fenced(t, indent.unwrap_or(0))
        });
        let user_dir = dir.map(Path::to_path_buf);
        env.set_loader(move |name| {
            if let Some(dir) = &user_dir {
                let path = dir.join(name);
                match std::fs::read_to_string(&path) {
                    Ok(text) => return Ok(Some(text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(minijinja::Error::new(
                            minijinja::ErrorKind::TemplateNotFound,
                            format!("cannot read {}: {e}", path.display()),
                        ));
                    }
                }
            }
            Ok(BUILTIN
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| text.to_string()))
        });
        Templates {
            env,
            dir: dir.map(Path::to_path_buf),
        }
    }

    /// Where a template comes from: the user's file, or the binary.
    pub fn origin(&self, name: &str) -> String {
        match &self.dir {
            Some(dir) if dir.join(name).is_file() => dir.join(name).display().to_string(),
            _ => format!("built-in {name}"),
        }
    }

    /// Renders the whole output or nothing: an error names the file and line.
    pub fn render(&self, name: &str, context: &serde_json::Value) -> Result<String, RenderError> {
        let fail = |e: minijinja::Error| {
            if e.kind() == minijinja::ErrorKind::TemplateNotFound
                && e.name().is_none_or(|n| n == name)
            {
                return RenderError::NotFound(name.to_string());
            }
            let file = e
                .name()
                .map(|n| self.origin(n))
                .unwrap_or_else(|| self.origin(name));
            let message = match e.detail() {
                Some(detail) => format!("{}: {detail}", e.kind()),
                None => e.kind().to_string(),
            };
            RenderError::Broken {
                file,
                line: e.line().unwrap_or(1),
                message,
            }
        };
        let template = self.env.get_template(name).map_err(fail)?;
        template.render(Serde(context)).map_err(fail)
    }
}

/// `{{ t | datetime }}`: an RFC 3339 time as local `YYYY-MM-DD HH:MM`; none as an empty string.
fn datetime(value: Option<String>) -> Result<String, minijinja::Error> {
    match value {
        None => Ok(String::new()),
        Some(s) => time::from_rfc3339(&s).map(time::display).ok_or_else(|| {
            minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("'{s}' is not an RFC 3339 time"),
            )
        }),
    }
}

/// `{{ seconds | duration }}`: a span such as `5d 2h` (the sign is dropped).
fn duration(seconds: i64) -> String {
    time::human_duration(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_user_template_overrides_the_builtin_and_errors_name_its_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("log.txt"), "#{{ incident.number }}\n").unwrap();
        let t = Templates::new(Some(dir.path()));
        assert_eq!(
            t.render("log.txt", &json!({"incident": {"number": 7}}))
                .unwrap(),
            "#7\n"
        );

        std::fs::write(
            dir.path().join("log.txt"),
            "line one\n{{ incident.nope }}\n",
        )
        .unwrap();
        let err = Templates::new(Some(dir.path()))
            .render("log.txt", &json!({"incident": {"number": 7}}))
            .unwrap_err()
            .to_string();
        let file = dir.path().join("log.txt").display().to_string();
        assert!(
            err.starts_with(&format!("template {file} line 2: ")),
            "{err}"
        );
        assert!(err.contains("undefined"), "{err}");

        std::fs::write(dir.path().join("log.txt"), "{% if %}\n").unwrap();
        let err = Templates::new(Some(dir.path()))
            .render("log.txt", &json!({}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("syntax"), "{err}");

        let missing = Templates::new(Some(dir.path()))
            .render("nope.md", &json!({}))
            .unwrap_err();
        assert!(
            matches!(missing, RenderError::NotFound(ref n) if n == "nope.md"),
            "{missing}"
        );
    }

    #[test]
    fn html_templates_escape_user_text() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.html"), "<p>{{ note }}</p>").unwrap();
        let out = Templates::new(Some(dir.path()))
            .render("x.html", &json!({"note": "<script>alert(1)</script>"}))
            .unwrap();
        assert_eq!(out, "<p>&lt;script&gt;alert(1)&lt;&#x2f;script&gt;</p>");
    }
}
