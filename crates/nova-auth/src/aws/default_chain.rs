//! The default AWS chain: environment → profile file → web identity → container → IMDS.

use std::borrow::Cow;
use std::time::Duration;

use async_trait::async_trait;

use super::{ContainerProvider, ImdsProvider, ProfileProvider, WebIdentityProvider};
use crate::aws_env::EnvironmentProvider;
use crate::chain::ChainProvider;
use crate::credentials::Credentials;
use crate::env::Env;
use crate::error::CredentialsError;
use crate::provider::CredentialProvider;

/// The AWS credential chain, in the order the AWS SDKs use:
/// environment → profile file → web identity → container → IMDS.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use nova_auth::{CredentialProvider, DefaultChain, Env};
///
/// let env = Env::from_vars([
///     ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
///     ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
/// ]);
/// let creds = DefaultChain::builder().env(env).build().credentials().await.unwrap();
/// assert_eq!(creds.source().to_string(), "environment");
/// # }
/// ```
#[derive(Debug)]
pub struct DefaultChain(ChainProvider);

impl DefaultChain {
    /// A chain over the process environment with default timeouts.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Settings for the chain.
    pub fn builder() -> DefaultChainBuilder {
        DefaultChainBuilder::default()
    }
}

/// Settings for [`DefaultChain`].
#[derive(Clone, Debug, Default)]
pub struct DefaultChainBuilder {
    env: Option<Env>,
    profile: Option<(String, &'static str)>,
    imds_timeout: Option<Duration>,
    container_timeout: Option<Duration>,
}

impl DefaultChainBuilder {
    /// Reads `env` instead of the process environment.
    #[must_use]
    pub fn env(mut self, env: Env) -> Self {
        self.env = Some(env);
        self
    }

    crate::setters! {
        /// Uses this profile in the profile-file step, whatever `AWS_PROFILE` says.
        profile_name(name: impl Into<String>) => profile = Some((name.into(), "code"));
        /// [`DefaultChainBuilder::profile_name`] chosen by `origin` (`--profile`), which errors
        /// name.
        #[doc(hidden)]
        profile_name_from(name: impl Into<String>, origin: &'static str)
            => profile = Some((name.into(), origin));
        /// Total time allowed for IMDS (default [`super::imds::DEFAULT_IMDS_TIMEOUT`]).
        imds_timeout(timeout: Duration) => imds_timeout = Some(timeout);
        /// Total time allowed for the container endpoint (default
        /// [`DEFAULT_CONTAINER_TIMEOUT`](crate::DEFAULT_CONTAINER_TIMEOUT)).
        container_timeout(timeout: Duration) => container_timeout = Some(timeout);
    }

    /// The chain.
    pub fn build(self) -> DefaultChain {
        let env = self.env.unwrap_or_default();
        let mut profile = ProfileProvider::with_env(env.clone());
        if let Some((name, origin)) = self.profile {
            profile = profile.profile_name_from(name, origin);
        }
        let mut container = ContainerProvider::with_env(env.clone());
        if let Some(timeout) = self.container_timeout {
            container = container.timeout(timeout);
        }
        let mut imds = ImdsProvider::with_env(env.clone());
        if let Some(timeout) = self.imds_timeout {
            imds = imds.timeout(timeout);
        }
        DefaultChain(
            ChainProvider::new()
                .with(EnvironmentProvider::with_env(env.clone()))
                .with(profile)
                .with(WebIdentityProvider::with_env(env))
                .with(container)
                .with(imds),
        )
    }
}

#[async_trait]
impl CredentialProvider for DefaultChain {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.0.credentials().await
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("default AWS chain")
    }

    fn mode(&self) -> Option<crate::AuthMode> {
        Some(crate::AuthMode::Iam)
    }
}
