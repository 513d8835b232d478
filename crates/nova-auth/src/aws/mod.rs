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
use crate::error::{CredentialsError, Report};
use crate::secret::Secret;
use crate::source::Source;

/// Each provider's default reads the process environment: `new()`.
macro_rules! default_is_new {
    ($($provider:ty),+) => {
        $(
            impl Default for $provider {
                fn default() -> Self {
                    Self::new()
                }
            }
        )+
    };
}

default_is_new!(
    ProfileProvider,
    DefaultChain,
    ContainerProvider,
    WebIdentityProvider,
    ImdsProvider
);

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
    no_region_config().with_region(Some(aws_types::region::Region::new(region.to_owned())))
}

/// A provider configuration with the HTTP client and no region (IMDS and container endpoints).
pub(crate) fn no_region_config() -> aws_config::provider_config::ProviderConfig {
    aws_config::provider_config::ProviderConfig::without_region().with_http_client(https_client())
}

/// The HTTP client of every AWS SDK client and aws-config provider of this SDK: rustls with the
/// `ring` provider, the platform's roots, built once. aws-config is built without a default
/// client (it would bring `aws-lc-rs`), so a client that is not given this one cannot connect.
#[doc(hidden)]
pub fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    static CLIENT: std::sync::OnceLock<aws_smithy_runtime_api::client::http::SharedHttpClient> =
        std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            aws_smithy_http_client::Builder::new()
                .tls_provider(Provider::Rustls(CryptoMode::Ring))
                .build_https()
        })
        .clone()
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

/// `aws` as the AWS SDK's credentials: for its providers, and for signing with `aws-sigv4`.
pub(crate) fn to_sdk(aws: &AwsCredentials) -> aws_credential_types::Credentials {
    let mut builder = aws_credential_types::Credentials::builder()
        .access_key_id(aws.access_key_id())
        .secret_access_key(aws.secret_access_key().expose())
        .provider_name("nova-auth");
    builder.set_session_token(aws.session_token().map(|t| t.expose().to_owned()));
    builder.set_expiry(aws.expiry());
    builder.set_account_id(aws.account_id().map(Into::into));
    builder.build()
}

/// Maps an aws-config error: "not loaded" stays "not configured", the rest stop the chain with
/// `message` (what failed, in our words) above aws-config's error.
pub(crate) fn from_aws_error(
    provider: &'static str,
    err: AwsError,
    message: &str,
) -> CredentialsError {
    match err {
        AwsError::CredentialsNotLoaded(_) => {
            CredentialsError::not_configured(Cow::Borrowed(provider), Report(&err).to_string())
        }
        other => configured_failure(provider, other, message),
    }
}

/// Credentials from an AWS SDK provider that is configured here, with its request dumps kept
/// out of TRACE logs; a failure is `provider`'s, said with `message` (what to check).
pub(crate) async fn delegated(
    delegate: &impl aws_credential_types::provider::ProvideCredentials,
    source: Source,
    provider: &'static str,
    message: impl FnOnce() -> String,
) -> Result<crate::Credentials, CredentialsError> {
    match quietly(delegate.provide_credentials()).await {
        Ok(creds) => Ok(from_aws(&creds, source).into()),
        Err(err) => Err(configured_failure(provider, err, &message())),
    }
}

/// Maps an aws-config error from a source whose settings are present: even "not loaded" then
/// means the source is broken, and the chain must stop rather than hide it. `message` says what
/// failed and what to do, since aws-config's own messages say only the first.
pub(crate) fn configured_failure(
    provider: &'static str,
    err: AwsError,
    message: &str,
) -> CredentialsError {
    match err {
        AwsError::ProviderTimedOut(timeout) => CredentialsError::TimedOut {
            provider: Cow::Borrowed(provider),
            timeout: timeout.timeout_duration(),
        },
        other => CredentialsError::provider_with_cause(Cow::Borrowed(provider), message, other),
    }
}

/// The variables that move STS and the SSO portal; aws-config reads them when it assumes a role,
/// exchanges a web identity token or asks the SSO portal for credentials.
const CREDENTIAL_ENDPOINTS: &[&str] = &[
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_SSO",
    "AWS_ENDPOINT_URL",
];

/// Whether `url` is plain `http://` to anything but this machine (127.0.0.0/8, `::1`,
/// `localhost`). Anything it cannot read as such — a user name, a backslash, a host that is not
/// plainly a loopback address — counts as beyond loopback: this only ever refuses.
pub(crate) fn plain_http_beyond_loopback(url: &str) -> bool {
    let url = url.trim();
    let Some(rest) = url
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
        .map(|_| &url[7..])
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains(['@', '\\']) {
        return true;
    }
    let loopback = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed
            .split(']')
            .next()
            .and_then(|ip| ip.parse::<std::net::Ipv6Addr>().ok())
            .is_some_and(|ip| ip.is_loopback())
    } else {
        let host = authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host);
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    !loopback
}

/// Refuses, before aws-config sends anything, to reach STS or the SSO portal over plain HTTP
/// beyond this machine: those requests carry a web identity token, an SSO bearer token or a
/// session token. `NOVA_ACT_ALLOW_HTTP=1` lets a test rig through, with a warning.
pub(crate) fn refuse_cleartext(provider: &'static str, env: &Env) -> Result<(), CredentialsError> {
    for var in CREDENTIAL_ENDPOINTS {
        if let Some(url) = env.get(var) {
            refuse_cleartext_at(provider, env, (var, &url), CREDENTIALS_TRAVEL)?;
        }
    }
    Ok(())
}

/// What would travel in cleartext, in the words of the warning and the refusal.
pub(crate) struct Cleartext {
    /// What travels: `credentials`.
    pub(crate) what: &'static str,
    /// What is refused: `send credentials`.
    pub(crate) doing: &'static str,
    /// Why it matters: `the request would carry a token`.
    pub(crate) because: &'static str,
}

const CREDENTIALS_TRAVEL: Cleartext = Cleartext {
    what: "credentials",
    doing: "send credentials",
    because: "the request would carry a token",
};

/// Refuses `url`, the value of `var`, when it is plain HTTP beyond this machine, unless
/// `NOVA_ACT_ALLOW_HTTP=1` lets a test rig through (with a warning): the one rule for every
/// endpoint a secret travels to or from.
pub(crate) fn refuse_cleartext_at(
    provider: &'static str,
    env: &Env,
    (var, url): (&str, &str),
    travel: Cleartext,
) -> Result<(), CredentialsError> {
    if !plain_http_beyond_loopback(url) {
        return Ok(());
    }
    if env.allows_http() {
        tracing::warn!(
            variable = var,
            endpoint = %url,
            "{} will travel in cleartext: {} allows plain HTTP beyond this machine",
            travel.what,
            Env::ALLOW_HTTP
        );
        return Ok(());
    }
    Err(CredentialsError::provider(
        provider,
        format!(
            "refusing to {} in cleartext: {var} is `{url}`, plain http:// to a host beyond this \
             machine, and {}; use https://, or for a test rig you trust set {}=1",
            travel.doing,
            travel.because,
            Env::ALLOW_HTTP
        ),
    ))
}

/// Timeouts for the metadata and container endpoints.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_beyond_this_machine_is_refused() {
        for (url, refused) in [
            ("https://sts.us-east-1.amazonaws.com", false),
            ("http://127.0.0.1:8080", false),
            ("http://127.9.9.9", false),
            ("HTTP://localhost:4566/", false),
            ("http://[::1]:8080", false),
            ("http://10.0.0.5:8080", true),
            ("http://sts.us-east-1.amazonaws.com", true),
            ("http://127.0.0.1.evil.example", true),
            ("http://localhost.evil.example:80", true),
            ("http://user@127.0.0.1", true),
            ("http://127.0.0.1\\@evil.example", true),
            ("http://[::]:80", true),
            ("http://0.0.0.0", true),
        ] {
            assert_eq!(plain_http_beyond_loopback(url), refused, "{url}");
        }
    }

    #[test]
    fn a_token_is_not_sent_to_plain_http_beyond_loopback_unless_allowed() {
        let env = |allow: &str| {
            Env::from_vars([
                ("AWS_ENDPOINT_URL_SSO", "http://10.0.0.5:8080"),
                ("NOVA_ACT_ALLOW_HTTP", allow),
            ])
        };
        let err = refuse_cleartext("profile file", &env("")).unwrap_err();
        assert!(
            err.to_string()
                .contains("AWS_ENDPOINT_URL_SSO is `http://10.0.0.5:8080`"),
            "{err}"
        );
        assert!(!err.is_not_configured(), "a broken source stops the chain");
        assert!(refuse_cleartext("profile file", &env("1")).is_ok());
        let local = Env::from_vars([("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")]);
        assert!(refuse_cleartext("web identity", &local).is_ok());
    }
}
