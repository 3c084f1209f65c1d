//! `${VAR}` references in settings: expanded only when used, so that their values (secrets)
//! are known to redaction and never written back.

/// Expands `${VAR}` references. Returns the expanded text and the values it put in (secrets
/// to redact), or the name of a variable that is not set.
pub fn expand_env(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<String>), String> {
    let mut out = String::with_capacity(text.len());
    let mut values = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let name = &after[..end];
        let value = env(name).ok_or_else(|| name.to_string())?;
        if !value.is_empty() {
            values.push(value.clone());
        }
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok((out, values))
}

/// The names of the `${VAR}` references in `text`.
pub fn env_references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        names.push(after[..end].to_string());
        rest = &after[end + 1..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_references_expand_and_report_their_values() {
        let env = |k: &str| (k == "PW").then(|| "s3cret".to_string());
        let (url, secrets) = expand_env("mysql://root:${PW}@127.0.0.1/db", &env).unwrap();
        assert_eq!(url, "mysql://root:s3cret@127.0.0.1/db");
        assert_eq!(secrets, vec!["s3cret"]);
        assert_eq!(expand_env("x${MISSING}y", &env).unwrap_err(), "MISSING");
        assert_eq!(env_references("a${A}b${B}"), vec!["A", "B"]);
        assert_eq!(expand_env("no refs", &env).unwrap().0, "no refs");
    }
}
