//! What settled the auth mode: a leaf that the errors and the mode selection both name.

use std::fmt;

use crate::credentials::AuthMode;
use crate::env;

/// What settled the auth mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Selection {
    /// The program chose (a mode, an API key, or AWS settings in code).
    Code,
    /// The program chose the mode on behalf of a setting it names, such as `--auth`.
    Option(&'static str),
    /// `NOVA_ACT_AUTH` forced the mode.
    AuthVariable(AuthMode),
    /// `NOVA_ACT_API_KEY` is set.
    ApiKeyVariable,
    /// A variable naming a store that holds the API key is set (`NOVA_ACT_API_KEY_SECRET_ID`,
    /// `NOVA_ACT_API_KEY_PARAMETER`, `NOVA_ACT_API_KEY_AGENTCORE_PROVIDER`).
    KeyStore(&'static str),
    /// Nothing chose; with no API key the AWS credential chain applies.
    Default,
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Code => f.write_str("the program's settings"),
            Self::Option(name) => f.write_str(name),
            Self::AuthVariable(mode) => write!(f, "{}={mode}", env::AUTH_MODE),
            Self::ApiKeyVariable => write!(f, "{} being set", env::API_KEY),
            Self::KeyStore(var) => write!(f, "{var} being set"),
            Self::Default => write!(f, "the default (no {})", env::API_KEY),
        }
    }
}
