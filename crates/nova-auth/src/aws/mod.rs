//! The AWS credential sources that come from `aws-config`, and bridges to the AWS SDK.
//!
//! Parsing profile files, SSO, role chaining, `credential_process`, web identity and the metadata
//! clients are the AWS SDK's own code; this module decides when each applies, names the source,
//! and turns their errors into [`CredentialsError`]s that say what to do.

mod bridge;
mod container;
mod default_chain;
mod imds;
mod profile;
mod quiet;
mod web_identity;

use std::borrow::Cow;
use std::error::Error as StdError;
use std::time::Duration;

use aws_credential_types::provider::error::CredentialsError as AwsError;

pub use bridge::{AwsSdkProvider, IntoAwsProvider};
pub use container::{ContainerProvider, DEFAULT_CONTAINER_TIMEOUT};
pub use default_chain::{DefaultChain, DefaultChainBuilder};
pub use imds::{DEFAULT_IMDS_TIMEOUT, ImdsProvider};
pub use profile::ProfileProvider;
pub(crate) use profile::profile_facts;
pub(crate) use quiet::quietly;
pub use web_identity::WebIdentityProvider;

use crate::credentials::AwsCredentials;
use crate::env::Env;
use crate::error::CredentialsError;
use crate::secret::Secret;
use crate::source::Source;

/// Our environment as the AWS SDK's environment shim.
pub(crate) fn aws_env(env: &Env) -> aws_types::os_shim_internal::Env {
    if env.is_process() {
        aws_types::os_shim_internal::Env::real()
    } else {
        aws_types::os_shim_internal::Env::from(env.to_map())
    }
}

/// A provider configuration for aws-config's providers, signing STS calls in `region`.
pub(crate) fn provider_config(region: &str) -> aws_config::provider_config::ProviderConfig {
    aws_config::provider_config::ProviderConfig::without_region()
        .with_region(Some(aws_types::region::Region::new(region.to_owned())))
}

/// Converts the AWS SDK's credentials, recording `source`.
pub(crate) fn from_aws(
    creds: &aws_credential_types::Credentials,
    source: Source,
) -> AwsCredentials {
    AwsCredentials::new(
        creds.access_key_id(),
        Secret::new(creds.secret_access_key()),
        creds.session_token().map(Secret::new),
        source,
    )
    .with_expiry(creds.expiry())
    .with_account_id(creds.account_id().map(|id| id.as_str().to_owned()))
}

/// The error and every cause beneath it, joined: aws-config's top-level messages are terse.
/// Where a service (STS, the SSO portal) answered with an error, its own message and code
/// replace the SDK's generic layers ("service error: unhandled error (…)").
pub(crate) fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(cause) = next {
        if let Some(meta) = cause.downcast_ref::<aws_smithy_types::error::ErrorMetadata>() {
            parts.retain(|part| {
                !part.starts_with("service error") && !part.starts_with("unhandled error")
            });
            parts.push(format!(
                "{} ({})",
                meta.message().unwrap_or("the service gave no message"),
                meta.code().unwrap_or("unknown error")
            ));
            break;
        }
        let text = cause.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        next = cause.source();
    }
    parts.join(": ")
}

/// What an aws-config error says happened. Its top level names only the kind of failure ("the
/// credential provider was not enabled"); the causes beneath say what happened.
pub(crate) fn aws_message(err: &AwsError) -> String {
    match err.source() {
        Some(cause) => error_chain(cause),
        None => error_chain(err),
    }
}

/// Maps an aws-config error: "not loaded" stays "not configured", the rest stop the chain.
pub(crate) fn from_aws_error(provider: &'static str, err: AwsError) -> CredentialsError {
    let message = aws_message(&err);
    match err {
        AwsError::CredentialsNotLoaded(_) => {
            CredentialsError::not_configured(Cow::Borrowed(provider), message)
        }
        AwsError::ProviderTimedOut(timeout) => CredentialsError::TimedOut {
            provider: Cow::Borrowed(provider),
            timeout: timeout.timeout_duration(),
        },
        other => CredentialsError::provider_with_cause(Cow::Borrowed(provider), message, other),
    }
}

/// Maps an aws-config error from a source whose settings are present: even "not loaded" then
/// means the source is broken, and the chain must stop rather than hide it. `fix` is appended to
/// the message, since aws-config's own messages say what failed but not what to do.
pub(crate) fn configured_failure(
    provider: &'static str,
    err: AwsError,
    fix: &str,
) -> CredentialsError {
    match from_aws_error(provider, err) {
        CredentialsError::NotConfigured { provider, reason } => {
            CredentialsError::provider(provider, format!("{reason}; {fix}"))
        }
        CredentialsError::Provider {
            provider,
            message,
            cause,
        } => CredentialsError::Provider {
            provider,
            message: format!("{message}; {fix}"),
            cause,
        },
        other => other,
    }
}

/// Timeouts for the metadata and container endpoints.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
