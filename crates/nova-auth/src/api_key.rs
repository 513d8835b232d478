//! The nova.amazon.com API key, from code or `NOVA_ACT_API_KEY`.

use std::borrow::Cow;

use async_trait::async_trait;

use crate::credentials::{ApiKey, Credentials};
use crate::env::{self, Env};
use crate::error::{API_KEY_URL, CredentialsError};
use crate::provider::CredentialProvider;
use crate::secret::Secret;
use crate::source::Source;

/// The length of every Nova Act API key.
pub const API_KEY_LEN: usize = 36;

/// Provides a nova.amazon.com API key, checked before it is ever sent.
///
/// Whitespace around the key is trimmed; a key of any length but 36 is refused with an error that
/// says where it was found and where to get a good one.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), nova_auth::CredentialsError> {
/// use nova_auth::{ApiKeyProvider, CredentialProvider, Env};
///
/// let env = Env::from_vars([("NOVA_ACT_API_KEY", " 0123456789abcdef0123456789abcdef0123\n")]);
/// let creds = ApiKeyProvider::with_env(env).credentials().await?;
/// assert_eq!(creds.source().to_string(), "environment");
///
/// let err = ApiKeyProvider::new("too-short").credentials().await.unwrap_err();
/// assert!(err.to_string().contains("https://nova.amazon.com/act"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ApiKeyProvider {
    from: KeyFrom,
}

#[derive(Clone, Debug)]
enum KeyFrom {
    Code(Secret),
    Env(Env),
}

impl ApiKeyProvider {
    /// A key given in code.
    pub fn new(key: impl Into<Secret>) -> Self {
        Self {
            from: KeyFrom::Code(key.into()),
        }
    }

    /// The key in `NOVA_ACT_API_KEY` of the process environment.
    pub fn from_env() -> Self {
        Self::with_env(Env::process())
    }

    /// The key in `NOVA_ACT_API_KEY` of `env`.
    pub fn with_env(env: Env) -> Self {
        Self {
            from: KeyFrom::Env(env),
        }
    }
}

/// Trims and checks a key, naming `origin` in the error.
pub(crate) fn check_key(
    raw: &str,
    origin: &'static str,
    source: Source,
) -> Result<ApiKey, CredentialsError> {
    let key = raw.trim();
    let length = key.chars().count();
    if length != API_KEY_LEN {
        return Err(CredentialsError::MalformedApiKey { origin, length });
    }
    Ok(ApiKey::new(key, source))
}

#[async_trait]
impl CredentialProvider for ApiKeyProvider {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        match &self.from {
            KeyFrom::Code(key) => check_key(key.expose(), "code", Source::Code).map(Into::into),
            KeyFrom::Env(env) => match env.get(env::API_KEY).map(Secret::new) {
                Some(key) => {
                    check_key(key.expose(), env::API_KEY, Source::Environment).map(Into::into)
                }
                None => Err(CredentialsError::not_configured(
                    self.name(),
                    format!(
                        "{} is not set (keys are made at {API_KEY_URL})",
                        env::API_KEY
                    ),
                )),
            },
        }
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("api key")
    }

    fn mode(&self) -> Option<crate::AuthMode> {
        Some(crate::AuthMode::ApiKey)
    }
}
