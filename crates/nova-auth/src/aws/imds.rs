//! EC2 instance role credentials from the instance metadata service (IMDSv2).

use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::imds::client::Client as ImdsClient;
use aws_config::imds::client::error::ImdsError;
use aws_config::imds::credentials::ImdsCredentialsProvider;
use aws_credential_types::provider::ProvideCredentials;

use super::{from_aws, from_aws_error};
use crate::credentials::Credentials;
use crate::env::Env;
use crate::error::CredentialsError;
use crate::provider::CredentialProvider;
use crate::source::Source;

const NAME: &str = "imds";
const DISABLED: &str = "AWS_EC2_METADATA_DISABLED";
const ENDPOINT: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
const DEFAULT_ENDPOINT: &str = "http://169.254.169.254";

/// Total time allowed for IMDS by default: long enough for a real instance, short enough that a
/// laptop with nothing configured hears "no credentials" within about a second.
pub const DEFAULT_IMDS_TIMEOUT: Duration = Duration::from_secs(1);

/// Credentials of the EC2 instance role, through IMDSv2 (token first, then the role).
///
/// `AWS_EC2_METADATA_DISABLED=true` turns it off; `AWS_EC2_METADATA_SERVICE_ENDPOINT` moves it.
/// With no metadata service (not on EC2) the answer is "not configured" within
/// [`DEFAULT_IMDS_TIMEOUT`].
#[derive(Debug)]
pub struct ImdsProvider {
    env: Env,
    timeout: Duration,
    connect_timeout: Duration,
    max_attempts: u32,
    delegate: OnceLock<Result<ImdsCredentialsProvider, String>>,
}

impl ImdsProvider {
    /// Reads the process environment.
    pub fn new() -> Self {
        Self::with_env(Env::process())
    }

    /// Reads `AWS_EC2_METADATA_DISABLED` and `AWS_EC2_METADATA_SERVICE_ENDPOINT` from `env`.
    pub fn with_env(env: Env) -> Self {
        Self {
            env,
            timeout: DEFAULT_IMDS_TIMEOUT,
            connect_timeout: super::DEFAULT_CONNECT_TIMEOUT,
            max_attempts: 1,
            delegate: OnceLock::new(),
        }
    }

    crate::setters! {
        /// Total time allowed for the token and credential requests, retries included (default 1 s).
        timeout(timeout: Duration) => timeout = timeout;
        /// Time allowed to connect (default 1 s; the total timeout applies too).
        connect_timeout(timeout: Duration) => connect_timeout = timeout;
        /// Attempts per request (default 1: retries back off for longer than the default total
        /// timeout; raise both together).
        max_attempts(attempts: u32) => max_attempts = attempts.max(1);
    }

    fn endpoint(&self) -> String {
        self.env
            .get(ENDPOINT)
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned())
    }

    fn build(&self) -> Result<ImdsCredentialsProvider, String> {
        let endpoint = self.endpoint();
        // The total timeout below is the authority; the client's own timeouts sit beyond it
        // (unless a shorter connect timeout was asked for), so the outcome does not depend on
        // which timer fires first.
        let beyond = self.timeout * 2;
        let connect = if self.connect_timeout < self.timeout {
            self.connect_timeout
        } else {
            beyond
        };
        let client = ImdsClient::builder()
            .configure(&super::no_region_config())
            .endpoint(&endpoint)
            .map_err(|err| format!("{ENDPOINT} is not a valid URL ({endpoint}): {err}"))?
            .connect_timeout(connect)
            .read_timeout(beyond)
            .operation_timeout(beyond)
            .max_attempts(self.max_attempts)
            .build();
        Ok(ImdsCredentialsProvider::builder()
            .imds_client(client)
            .build())
    }
}

/// Whether IMDS could not be reached or refused the IMDSv2 token: then there is no instance
/// role here. Error answers after a token (a 500, a garbled document) mean a broken IMDS instead.
fn unreachable(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(cause) = next {
        if let Some(ImdsError::FailedToLoadToken(_) | ImdsError::IoError(_)) =
            cause.downcast_ref::<ImdsError>()
        {
            return true;
        }
        next = cause.source();
    }
    false
}

#[async_trait]
impl CredentialProvider for ImdsProvider {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        if self
            .env
            .get(DISABLED)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return Err(CredentialsError::not_configured(
                NAME,
                format!("{DISABLED} is true"),
            ));
        }
        let delegate = self
            .delegate
            .get_or_init(|| self.build())
            .as_ref()
            .map_err(|message| CredentialsError::provider(NAME, message.clone()))?;
        let answer =
            tokio::time::timeout(self.timeout, super::quietly(delegate.provide_credentials()))
                .await;
        match answer {
            Ok(Ok(creds)) => Ok(from_aws(&creds, Source::Imds).into()),
            Ok(Err(err)) if unreachable(&err) => Err(CredentialsError::not_configured(
                NAME,
                format!(
                    "the instance metadata service at {} could not be used ({}); IMDS is off \
                     here, or this is not an EC2 instance",
                    self.endpoint(),
                    crate::error::Report(&err)
                ),
            )),
            Ok(Err(err)) => Err(from_aws_error(
                NAME,
                err,
                "the instance metadata service gave no credentials; check the instance \
                 profile's role",
            )),
            Err(_elapsed) => Err(CredentialsError::not_configured(
                NAME,
                format!(
                    "no answer from the instance metadata service at {} within {} (not on EC2?)",
                    self.endpoint(),
                    humantime::format_duration(self.timeout)
                ),
            )),
        }
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(NAME)
    }

    fn mode(&self) -> Option<crate::AuthMode> {
        Some(crate::AuthMode::Iam)
    }
}
