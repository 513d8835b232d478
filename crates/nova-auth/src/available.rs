//! Which kinds of credentials are configured, whichever one is used: conflicts are shown, not
//! guessed at.

use std::fmt;

use crate::credentials::AuthMode;
use crate::env::{self, Env};
use crate::settings::ProfileFacts;

/// A kind of credentials found configured, whether or not it is the one in use.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Available {
    /// API key or IAM.
    pub mode: AuthMode,
    /// Where: `code`, `NOVA_ACT_API_KEY`, `NOVA_ACT_API_KEY_SECRET_ID (NAME)` and the other
    /// key stores' variables, `environment (AWS_ACCESS_KEY_ID)`,
    /// `profile NAME (FILE)`, `web identity (AWS_ROLE_ARN)`, `container (VARIABLE)`.
    pub source: String,
}

impl fmt::Display for Available {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} from {}", self.mode, self.source)
    }
}

/// What the settings in code and the environment make available, without any network call (an
/// instance role is not probed, so it is not listed).
pub(crate) fn available(
    own: Option<(AuthMode, String)>,
    api_key_in_code: bool,
    aws_in_code: Option<String>,
    profile: Option<&ProfileFacts>,
    env: &Env,
) -> Vec<Available> {
    let mut found = Vec::new();
    let mut add = |mode, source: String| found.push(Available { mode, source });
    if let Some((mode, name)) = own {
        add(mode, format!("code (provider `{name}`)"));
    }
    if api_key_in_code {
        add(AuthMode::ApiKey, "code".to_owned());
    }
    if env.is_set(env::API_KEY) {
        add(AuthMode::ApiKey, env::API_KEY.to_owned());
    }
    for var in env::API_KEY_STORES {
        if let Some(name) = env.get(var) {
            add(AuthMode::ApiKey, format!("{var} ({name})"));
        }
    }
    if let Some(what) = aws_in_code {
        add(AuthMode::Iam, format!("code ({what})"));
    }
    if env.is_set(env::ACCESS_KEY_ID) {
        add(
            AuthMode::Iam,
            format!("environment ({})", env::ACCESS_KEY_ID),
        );
    }
    if let Some(facts) = profile {
        let file = facts.defining_file.display();
        add(AuthMode::Iam, format!("profile {} ({file})", facts.name));
    }
    if env.is_set("AWS_ROLE_ARN") && env.is_set("AWS_WEB_IDENTITY_TOKEN_FILE") {
        add(AuthMode::Iam, "web identity (AWS_ROLE_ARN)".to_owned());
    }
    for var in [
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        if env.is_set(var) {
            add(AuthMode::Iam, format!("container ({var})"));
        }
    }
    found
}
