//! Bridges between this crate's providers and the AWS SDK's `ProvideCredentials`.

use std::borrow::Cow;

use async_trait::async_trait;
use aws_credential_types::provider::error::CredentialsError as AwsError;
use aws_credential_types::provider::{
    self as aws_provider, ProvideCredentials, SharedCredentialsProvider,
};

use super::{from_aws, from_aws_error, to_sdk};
use crate::credentials::Credentials;
use crate::error::CredentialsError;
use crate::provider::{CredentialProvider, SharedProvider};
use crate::source::Source;

/// Any AWS SDK credentials provider as a [`CredentialProvider`]: an `aws_config::SdkConfig`'s
/// provider (the counterpart of a boto3 session) or any `aws-config` provider.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use nova_auth::{AwsSdkProvider, CredentialProvider};
///
/// let sdk_config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
/// let provider = AwsSdkProvider::from_sdk_config(&sdk_config).expect("a credentials provider");
/// let creds = provider.credentials().await?;
/// println!("{}", creds.source()); // custom: aws-config
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AwsSdkProvider {
    inner: SharedCredentialsProvider,
    name: Cow<'static, str>,
}

impl AwsSdkProvider {
    /// Wraps an AWS SDK provider; its credentials report the source `custom: aws-config`.
    pub fn new(provider: impl ProvideCredentials + 'static) -> Self {
        Self {
            inner: SharedCredentialsProvider::new(provider),
            name: Cow::Borrowed("aws-config"),
        }
    }

    /// The credentials provider of an `SdkConfig`, if it has one.
    pub fn from_sdk_config(config: &aws_types::SdkConfig) -> Option<Self> {
        config.credentials_provider().map(|provider| Self {
            inner: provider,
            name: Cow::Borrowed("aws-config"),
        })
    }

    /// Names the source in [`Source::Custom`] (default `aws-config`).
    #[must_use]
    pub fn named(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = name.into();
        self
    }
}

#[async_trait]
impl CredentialProvider for AwsSdkProvider {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let creds = super::quietly(self.inner.provide_credentials())
            .await
            .map_err(|err| from_aws_error("aws-config", err, "the AWS SDK provider failed"))?;
        Ok(from_aws(&creds, Source::Custom(self.name.clone())).into())
    }

    fn name(&self) -> Cow<'static, str> {
        self.name.clone()
    }

    fn mode(&self) -> Option<crate::AuthMode> {
        Some(crate::AuthMode::Iam)
    }
}

/// One of this crate's providers as an AWS SDK `ProvideCredentials`, so AWS SDK clients can use
/// it. API-key credentials cannot sign AWS requests and are refused.
///
/// ```
/// use nova_auth::{EnvironmentProvider, IntoAwsProvider};
///
/// let for_aws_sdk = IntoAwsProvider::new(EnvironmentProvider::new()).into_shared();
/// # let _ = for_aws_sdk;
/// ```
#[derive(Clone, Debug)]
pub struct IntoAwsProvider(SharedProvider);

impl IntoAwsProvider {
    /// Wraps `provider`.
    pub fn new(provider: impl CredentialProvider + 'static) -> Self {
        Self(SharedProvider::new(provider))
    }

    /// As the AWS SDK's shared provider type.
    pub fn into_shared(self) -> SharedCredentialsProvider {
        SharedCredentialsProvider::new(self)
    }

    async fn load(&self) -> aws_provider::Result {
        let creds = self.0.credentials().await.map_err(|err| {
            if err.is_not_configured() {
                AwsError::not_loaded(err)
            } else {
                AwsError::provider_error(err)
            }
        })?;
        let Credentials::Aws(aws) = creds else {
            return Err(AwsError::invalid_configuration(
                "an API key cannot sign AWS requests; configure AWS credentials instead",
            ));
        };
        Ok(to_sdk(&aws))
    }
}

impl ProvideCredentials for IntoAwsProvider {
    fn provide_credentials<'a>(&'a self) -> aws_provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_provider::future::ProvideCredentials::new(self.load())
    }
}
