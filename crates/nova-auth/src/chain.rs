//! Providers tried in order.

use std::borrow::Cow;

use async_trait::async_trait;

use crate::credentials::Credentials;
use crate::error::{Attempt, Attempts, CredentialsError};
use crate::provider::{CredentialProvider, SharedProvider};

/// Tries providers in order and returns the first credentials found.
///
/// A provider that is not configured passes to the next. One that is configured but fails stops
/// the chain with its own error. When none is configured, [`CredentialsError::NotFound`] lists
/// every provider tried and what it looked for.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use nova_auth::{ApiKeyProvider, ChainProvider, CredentialProvider, EnvironmentProvider, Env};
///
/// let env = Env::from_vars([("HOME", "/nowhere")]);
/// let chain = ChainProvider::new()
///     .with(ApiKeyProvider::with_env(env.clone()))
///     .with(EnvironmentProvider::with_env(env));
/// let err = chain.credentials().await.unwrap_err();
/// assert!(err.to_string().contains("NOVA_ACT_API_KEY is not set"));
/// assert!(err.to_string().contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"));
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct ChainProvider {
    providers: Vec<SharedProvider>,
}

impl ChainProvider {
    /// An empty chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// The chain with `provider` appended.
    #[must_use]
    pub fn with(mut self, provider: impl CredentialProvider + 'static) -> Self {
        self.push(provider);
        self
    }

    /// Appends `provider`.
    pub fn push(&mut self, provider: impl CredentialProvider + 'static) {
        self.providers.push(SharedProvider::new(provider));
    }

    /// The providers, in order.
    pub fn providers(&self) -> &[SharedProvider] {
        &self.providers
    }
}

#[async_trait]
impl CredentialProvider for ChainProvider {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let mut attempts = Vec::with_capacity(self.providers.len());
        for provider in &self.providers {
            match provider.credentials().await {
                Ok(credentials) => {
                    tracing::debug!(
                        provider = %provider.name(),
                        source = %credentials.source(),
                        "credentials found"
                    );
                    return Ok(credentials);
                }
                Err(CredentialsError::NotConfigured { provider, reason }) => {
                    tracing::debug!(%provider, %reason, "credential source not configured");
                    attempts.push(Attempt { provider, reason });
                }
                Err(CredentialsError::NotFound(inner)) => attempts.extend(inner.0),
                Err(err) => {
                    tracing::debug!(provider = %provider.name(), error = %err, "credential source failed");
                    return Err(err);
                }
            }
        }
        Err(CredentialsError::NotFound(Attempts(attempts)))
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("chain")
    }
}
