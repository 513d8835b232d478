//! ECS and EKS (Pod Identity) container credentials.

use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::ecs::EcsCredentialsProvider;
use aws_credential_types::provider::ProvideCredentials;

use super::{configured_failure, from_aws};
use crate::credentials::Credentials;
use crate::env::Env;
use crate::error::CredentialsError;
use crate::provider::CredentialProvider;
use crate::source::Source;

const NAME: &str = "container";
const RELATIVE_URI: &str = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
const FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";

/// Total time allowed for the container endpoint by default, retries included.
pub const DEFAULT_CONTAINER_TIMEOUT: Duration = Duration::from_secs(10);

/// Credentials from the ECS task role or EKS Pod Identity endpoint.
///
/// Configured by `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (ECS) or
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI` (EKS, or a custom endpoint: `https`, or `http` to a
/// loopback or the ECS/EKS link-local address only), with `AWS_CONTAINER_AUTHORIZATION_TOKEN` or
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`. The request is made by `aws-config`, which reads
/// those variables from the process environment; the injected [`Env`] decides only whether the
/// source is configured.
#[derive(Debug)]
pub struct ContainerProvider {
    env: Env,
    connect_timeout: Duration,
    read_timeout: Duration,
    timeout: Duration,
    delegate: OnceLock<EcsCredentialsProvider>,
}

impl ContainerProvider {
    /// Reads the process environment.
    pub fn new() -> Self {
        Self::with_env(Env::process())
    }

    /// Decides from `env` whether the source is configured.
    pub fn with_env(env: Env) -> Self {
        Self {
            env,
            connect_timeout: super::DEFAULT_CONNECT_TIMEOUT,
            read_timeout: Duration::from_secs(5),
            timeout: DEFAULT_CONTAINER_TIMEOUT,
            delegate: OnceLock::new(),
        }
    }

    crate::setters! {
        /// Time allowed to connect to the endpoint (default 1 s).
        connect_timeout(timeout: Duration) => connect_timeout = timeout;
        /// Time allowed for the endpoint's answer (default 5 s).
        read_timeout(timeout: Duration) => read_timeout = timeout;
        /// Total time allowed, retries included (default [`DEFAULT_CONTAINER_TIMEOUT`]).
        timeout(timeout: Duration) => timeout = timeout;
    }
}

#[async_trait]
impl CredentialProvider for ContainerProvider {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        if !self.env.is_set(RELATIVE_URI) && !self.env.is_set(FULL_URI) {
            return Err(CredentialsError::not_configured(
                NAME,
                format!("{RELATIVE_URI} and {FULL_URI} are not set"),
            ));
        }
        let delegate = self.delegate.get_or_init(|| {
            EcsCredentialsProvider::builder()
                .configure(&super::no_region_config())
                .connect_timeout(self.connect_timeout)
                .read_timeout(self.read_timeout)
                .build()
        });
        match tokio::time::timeout(self.timeout, super::quietly(delegate.provide_credentials()))
            .await
        {
            Ok(Ok(creds)) => Ok(from_aws(&creds, Source::Container).into()),
            Ok(Err(err)) => Err(configured_failure(
                NAME,
                err,
                &format!(
                    "the container credentials endpoint gave no credentials; check the task \
                     role (ECS) or pod identity association (EKS), and \
                     {RELATIVE_URI} / {FULL_URI} and the authorization token"
                ),
            )),
            Err(_elapsed) => Err(CredentialsError::TimedOut {
                provider: Cow::Borrowed(NAME),
                timeout: self.timeout,
            }),
        }
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(NAME)
    }

    fn mode(&self) -> Option<crate::AuthMode> {
        Some(crate::AuthMode::Iam)
    }
}
