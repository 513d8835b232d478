//! AWS credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.

use std::borrow::Cow;

use async_trait::async_trait;

use crate::credentials::{AwsCredentials, Credentials};
use crate::env::{self, Env};
use crate::error::CredentialsError;
use crate::provider::CredentialProvider;
use crate::secret::Secret;
use crate::source::Source;

/// AWS credentials from environment variables; this is also how Lambda hands them over.
///
/// Blank variables count as unset. An access key id without its secret, or the reverse, is an
/// error naming the missing variable, not a reason to try the next source.
#[derive(Clone, Debug, Default)]
pub struct EnvironmentProvider {
    env: Env,
}

impl EnvironmentProvider {
    /// Reads the process environment.
    pub fn new() -> Self {
        Self::with_env(Env::process())
    }

    /// Reads `env`.
    pub fn with_env(env: Env) -> Self {
        Self { env }
    }
}

#[async_trait]
impl CredentialProvider for EnvironmentProvider {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let id = self.env.get(env::ACCESS_KEY_ID);
        let secret = self.env.get(env::SECRET_ACCESS_KEY).map(Secret::new);
        match (id, secret) {
            (Some(id), Some(secret)) => {
                let token = self.env.get(env::SESSION_TOKEN).map(Secret::new);
                Ok(AwsCredentials::new(id, secret, token, Source::Environment)
                    .with_account_id(self.env.get(env::ACCOUNT_ID))
                    .into())
            }
            (Some(_), None) => Err(CredentialsError::IncompleteEnvironment {
                present: env::ACCESS_KEY_ID,
                missing: env::SECRET_ACCESS_KEY,
            }),
            (None, Some(_)) => Err(CredentialsError::IncompleteEnvironment {
                present: env::SECRET_ACCESS_KEY,
                missing: env::ACCESS_KEY_ID,
            }),
            (None, None) => Err(CredentialsError::not_configured(
                self.name(),
                format!(
                    "{} and {} are not set",
                    env::ACCESS_KEY_ID,
                    env::SECRET_ACCESS_KEY
                ),
            )),
        }
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("environment")
    }

    fn mode(&self) -> Option<crate::AuthMode> {
        Some(crate::AuthMode::Iam)
    }
}
