//! IAM-style policies: `Allow`/`Deny` on `nova-act:<Action>` and resource ARNs with `*` wildcards.

use serde::Deserialize;
use serde_json::Value;

/// A policy document, as `nova-act permissions` prints it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Policy {
    #[serde(rename = "Statement", default)]
    statements: Vec<Statement>,
}

#[derive(Clone, Debug, Deserialize)]
struct Statement {
    #[serde(rename = "Effect")]
    effect: String,
    #[serde(rename = "Action")]
    action: OneOrMany,
    #[serde(rename = "Resource", default = "any_resource")]
    resource: OneOrMany,
}

fn any_resource() -> OneOrMany {
    OneOrMany(vec!["*".to_owned()])
}

#[derive(Clone, Debug)]
struct OneOrMany(Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(one) => Ok(Self(vec![one])),
            Value::Array(many) => Ok(Self(
                many.into_iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            )),
            _ => Err(serde::de::Error::custom(
                "expected a string or a list of strings",
            )),
        }
    }
}

/// Whether `pattern` (with `*` for any run of characters and `?` for one) matches `text`.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi].eq_ignore_ascii_case(&t[ti]) && p[pi] != '*') {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

impl Policy {
    /// Parses a policy document.
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|err| format!("not a policy document: {err}"))
    }

    /// Whether `action` on any of `resources` is allowed: an explicit `Deny` wins; otherwise
    /// some `Allow` must match.
    pub fn allows(&self, action: &str, resources: &[String]) -> bool {
        let matches = |statement: &Statement| {
            statement.action.0.iter().any(|a| glob(a, action))
                && statement
                    .resource
                    .0
                    .iter()
                    .any(|r| resources.iter().any(|res| glob(r, res)))
        };
        let denied = self
            .statements
            .iter()
            .any(|s| s.effect.eq_ignore_ascii_case("deny") && matches(s));
        let allowed = self
            .statements
            .iter()
            .any(|s| s.effect.eq_ignore_ascii_case("allow") && matches(s));
        allowed && !denied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("nova-act:*", "nova-act:CreateAct"));
        assert!(glob("*", "anything"));
        assert!(glob(
            "arn:aws:nova-act:*:*:workflow-definition/a*",
            "arn:aws:nova-act:us-east-1:1:workflow-definition/abc"
        ));
        assert!(!glob("nova-act:Get*", "nova-act:ListActs"));
        assert!(glob("nova-act:?etWorkflowRun", "nova-act:GetWorkflowRun"));
    }

    #[test]
    fn deny_wins() {
        let policy = Policy::from_json(
            r#"{"Statement": [
                {"Effect": "Allow", "Action": "nova-act:*", "Resource": "*"},
                {"Effect": "Deny", "Action": ["nova-act:DeleteWorkflowDefinition"], "Resource": "*"}
            ]}"#,
        )
        .unwrap();
        let r = vec!["arn:aws:nova-act:us-east-1:1:workflow-definition/x".to_owned()];
        assert!(policy.allows("nova-act:CreateAct", &r));
        assert!(!policy.allows("nova-act:DeleteWorkflowDefinition", &r));
        assert!(!Policy::default().allows("nova-act:CreateAct", &r));
    }
}
