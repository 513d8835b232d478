//! The model's constraints, checked before anything is sent.

use std::fmt;

/// An input member that breaks one of the model's rules. Values are never echoed (some members,
/// such as a task, are sensitive); the member and the rule are.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: `{member}` of {operation} {rule}")]
#[non_exhaustive]
pub struct ValidationError {
    /// The operation, e.g. `CreateAct`.
    pub operation: &'static str,
    /// The member, as named on the wire (`task`, `toolSpecs[2].name`).
    pub member: String,
    /// The rule it breaks, e.g. "must be 1..10000 characters long (it is 0)".
    pub rule: String,
}

/// Checks the members of one input, stopping at the first problem.
pub(crate) struct Check {
    operation: &'static str,
    error: Option<ValidationError>,
}

/// A character class from the model's patterns.
#[derive(Clone, Copy)]
pub(crate) enum Chars {
    /// `[a-zA-Z0-9_-]`: definition and tool names.
    Name,
    /// `[a-zA-Z0-9_/.-]`: CloudWatch log group names.
    LogGroup,
}

impl Chars {
    fn allows(self, c: char) -> bool {
        c.is_ascii_alphanumeric()
            || match self {
                Self::Name => c == '_' || c == '-',
                Self::LogGroup => matches!(c, '_' | '/' | '.' | '-'),
            }
    }

    fn pattern(self) -> &'static str {
        match self {
            Self::Name => "[a-zA-Z0-9_-]",
            Self::LogGroup => "[a-zA-Z0-9_/.-]",
        }
    }
}

impl Check {
    pub(crate) fn new(operation: &'static str) -> Self {
        Self {
            operation,
            error: None,
        }
    }

    pub(crate) fn finish(self) -> Result<(), ValidationError> {
        self.error.map_or(Ok(()), Err)
    }

    fn fail(&mut self, member: impl fmt::Display, rule: String) {
        if self.error.is_none() {
            self.error = Some(ValidationError {
                operation: self.operation,
                member: member.to_string(),
                rule,
            });
        }
    }

    /// Length in characters within `min..=max`.
    pub(crate) fn length(
        &mut self,
        member: impl fmt::Display,
        value: &str,
        min: usize,
        max: usize,
    ) -> &mut Self {
        let len = value.chars().count();
        if len < min || len > max {
            self.fail(
                member,
                format!("must be {min}..{max} characters long (it is {len})"),
            );
        }
        self
    }

    /// An optional string's length, when present.
    pub(crate) fn opt_length(
        &mut self,
        member: impl fmt::Display,
        value: Option<&str>,
        min: usize,
        max: usize,
    ) -> &mut Self {
        if let Some(value) = value {
            self.length(member, value, min, max);
        }
        self
    }

    /// Only characters of `chars`.
    pub(crate) fn chars(
        &mut self,
        member: impl fmt::Display,
        value: &str,
        chars: Chars,
    ) -> &mut Self {
        if !value.chars().all(|c| chars.allows(c)) {
            self.fail(member, format!("may only contain {}", chars.pattern()));
        }
        self
    }

    /// A workflow definition name: `[a-zA-Z0-9_-]{1,40}`.
    pub(crate) fn definition_name(&mut self, member: &str, value: &str) -> &mut Self {
        self.length(member, value, 1, 40)
            .chars(member, value, Chars::Name)
    }

    /// A lowercase UUID: `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`.
    pub(crate) fn uuid(&mut self, member: &str, value: &str) -> &mut Self {
        if !is_uuid(value) {
            self.fail(
                member,
                "must be a lowercase UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e".to_owned(),
            );
        }
        self
    }

    /// An optional lowercase UUID.
    pub(crate) fn opt_uuid(&mut self, member: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.uuid(member, value);
        }
        self
    }

    /// A client token: 33..256 characters, `[a-zA-Z0-9](-*[a-zA-Z0-9])*`.
    pub(crate) fn client_token(&mut self, value: Option<&str>) -> &mut Self {
        let Some(token) = value else { return self };
        self.length("clientToken", token, 33, 256);
        let ok = token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && token.starts_with(|c: char| c.is_ascii_alphanumeric())
            && token.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !ok {
            self.fail(
                "clientToken",
                "may only contain letters, digits and inner hyphens".to_owned(),
            );
        }
        self
    }

    /// A page size: 1..100.
    pub(crate) fn max_results(&mut self, value: Option<i32>) -> &mut Self {
        if let Some(n) = value.filter(|n| !(1..=100).contains(n)) {
            self.fail("maxResults", format!("must be 1..100 (it is {n})"));
        }
        self
    }

    /// A page token: 1..2048 characters without whitespace.
    pub(crate) fn next_token(&mut self, value: Option<&str>) -> &mut Self {
        let Some(token) = value else { return self };
        self.length("nextToken", token, 1, 2048);
        if token.chars().any(char::is_whitespace) {
            self.fail("nextToken", "may not contain whitespace".to_owned());
        }
        self
    }

    /// A count of items within `min..=max`.
    /// A serialized size: at most `max` bytes.
    pub(crate) fn size(&mut self, member: &str, bytes: usize, max: usize) -> &mut Self {
        if bytes > max {
            self.fail(
                member,
                format!("must be at most {max} bytes serialized (it is {bytes})"),
            );
        }
        self
    }

    pub(crate) fn count(&mut self, member: &str, len: usize, min: usize, max: usize) -> &mut Self {
        if len < min || len > max {
            self.fail(
                member,
                format!("must have {min}..{max} items (it has {len})"),
            );
        }
        self
    }

    /// An S3 bucket name: 3..63 characters, `[a-z0-9][a-z0-9.-]*[a-z0-9]`.
    pub(crate) fn bucket(&mut self, member: &str, value: &str) -> &mut Self {
        self.length(member, value, 3, 63);
        let inner_ok = value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
        let ends_ok = value.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && value.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !(inner_ok && ends_ok) {
            self.fail(
                member,
                "must be a valid S3 bucket name ([a-z0-9][a-z0-9.-]*[a-z0-9])".to_owned(),
            );
        }
        self
    }

    /// An S3 key prefix: 1..100 characters of `[a-zA-Z0-9!-_.*'()]` in `/`-separated parts.
    pub(crate) fn key_prefix(&mut self, member: &str, value: Option<&str>) -> &mut Self {
        let Some(prefix) = value else { return self };
        self.length(member, prefix, 1, 100);
        let part_ok = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!-_.*'()".contains(c))
        };
        if !prefix.split('/').all(part_ok) {
            self.fail(
                member,
                "must be /-separated parts of [a-zA-Z0-9!-_.*'()]".to_owned(),
            );
        }
        self
    }
}

/// Whether `value` is a lowercase hyphenated UUID.
pub(crate) fn is_uuid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(group, len)| {
            group.len() == len
                && group
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids() {
        assert!(is_uuid("0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(!is_uuid("0F8FAD5B-D9CB-469F-A165-70867728950E"));
        assert!(!is_uuid("0f8fad5b-d9cb-469f-a165-70867728950"));
        assert!(!is_uuid("0f8fad5bd9cb469fa16570867728950e"));
    }

    #[test]
    fn first_problem_is_reported() {
        let mut check = Check::new("CreateAct");
        check
            .length("task", "", 1, 10_000)
            .definition_name("workflowDefinitionName", "bad name");
        let err = check.finish().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid input: `task` of CreateAct must be 1..10000 characters long (it is 0)"
        );
    }

    #[test]
    fn client_tokens() {
        let ok = "a".repeat(33);
        assert!(Check::new("X").client_token(Some(&ok)).error.is_none());
        let hyphens = format!("a--{}-b", "c".repeat(30));
        assert!(Check::new("X").client_token(Some(&hyphens)).error.is_none());
        assert!(
            Check::new("X")
                .client_token(Some(&"a".repeat(32)))
                .error
                .is_some()
        );
        let edge = format!("-{}", "a".repeat(33));
        assert!(Check::new("X").client_token(Some(&edge)).error.is_some());
    }
}
