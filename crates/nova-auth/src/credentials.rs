//! The credential values handed to the rest of the SDK.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::secret::{Secret, mask};
use crate::source::Source;

/// How a request is authenticated: which of the two Nova Act services it goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthMode {
    /// An API key from nova.amazon.com, sent to the nova.amazon.com service.
    ApiKey,
    /// AWS IAM credentials, SigV4-signed requests to the AWS Nova Act service.
    Iam,
}

impl AuthMode {
    /// The name used by `NOVA_ACT_AUTH` and in machine output: `api-key` or `iam`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiKey => "api-key",
            Self::Iam => "iam",
        }
    }
}

impl fmt::Display for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Credentials for Nova Act: an API key or AWS credentials, with the source they came from.
///
/// Cheap to clone. Secrets inside are [`Secret`]s: printing a `Credentials` never shows them.
///
/// ```
/// use nova_auth::{ApiKey, Credentials, Source};
///
/// let creds = Credentials::from(ApiKey::new("0123456789abcdef0123456789abcdef0123", Source::Code));
/// assert_eq!(creds.source().to_string(), "code");
/// assert!(!format!("{creds:?}").contains("0123456789abcdef"));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Credentials {
    /// A nova.amazon.com API key.
    ApiKey(ApiKey),
    /// AWS IAM credentials.
    Aws(AwsCredentials),
}

impl Credentials {
    /// The service these credentials are for.
    pub fn mode(&self) -> AuthMode {
        match self {
            Self::ApiKey(_) => AuthMode::ApiKey,
            Self::Aws(_) => AuthMode::Iam,
        }
    }

    /// Where the credentials came from.
    pub fn source(&self) -> &Source {
        match self {
            Self::ApiKey(key) => key.source(),
            Self::Aws(aws) => aws.source(),
        }
    }

    /// When the credentials stop working, if they do.
    pub fn expiry(&self) -> Option<SystemTime> {
        match self {
            Self::ApiKey(_) => None,
            Self::Aws(aws) => aws.expiry(),
        }
    }

    /// The key, or the access key id, masked to its last four characters.
    pub fn masked_id(&self) -> String {
        match self {
            Self::ApiKey(key) => key.key().masked(),
            Self::Aws(aws) => mask(aws.access_key_id()),
        }
    }

    /// The same credentials, from `source`.
    pub(crate) fn with_source(self, source: Source) -> Self {
        match self {
            Self::ApiKey(key) => ApiKey::new(key.key().clone(), source).into(),
            Self::Aws(aws) => aws.with_source(source).into(),
        }
    }

    /// The API key, if these are API-key credentials.
    pub fn as_api_key(&self) -> Option<&ApiKey> {
        match self {
            Self::ApiKey(key) => Some(key),
            Self::Aws(_) => None,
        }
    }

    /// The AWS credentials, if these are IAM credentials.
    pub fn as_aws(&self) -> Option<&AwsCredentials> {
        match self {
            Self::Aws(aws) => Some(aws),
            Self::ApiKey(_) => None,
        }
    }
}

impl From<ApiKey> for Credentials {
    fn from(key: ApiKey) -> Self {
        Self::ApiKey(key)
    }
}

impl From<AwsCredentials> for Credentials {
    fn from(aws: AwsCredentials) -> Self {
        Self::Aws(aws)
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ApiKey(key) => fmt::Display::fmt(key, f),
            Self::Aws(aws) => fmt::Display::fmt(aws, f),
        }
    }
}

/// A nova.amazon.com API key. Construct it through [`crate::ApiKeyProvider`] to have it checked.
#[derive(Clone)]
pub struct ApiKey(Arc<ApiKeyInner>);

struct ApiKeyInner {
    key: Secret,
    source: Source,
}

impl ApiKey {
    /// Wraps a key as given, without checking it.
    pub fn new(key: impl Into<Secret>, source: Source) -> Self {
        Self(Arc::new(ApiKeyInner {
            key: key.into(),
            source,
        }))
    }

    /// The key.
    pub fn key(&self) -> &Secret {
        &self.0.key
    }

    /// Where the key came from.
    pub fn source(&self) -> &Source {
        &self.0.source
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("key", &self.0.key.masked())
            .field("source", &self.0.source)
            .finish()
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "API key {} from {}", self.0.key.masked(), self.0.source)
    }
}

/// AWS IAM credentials: access key id, secret access key and, for temporary credentials, a session
/// token and an expiry.
#[derive(Clone)]
pub struct AwsCredentials(Arc<AwsInner>);

#[derive(Clone)]
struct AwsInner {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
    expiry: Option<SystemTime>,
    account_id: Option<String>,
    source: Source,
}

impl AwsCredentials {
    /// Long-term or temporary credentials. Add an expiry or account id with the `with_` methods.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<Secret>,
        session_token: Option<Secret>,
        source: Source,
    ) -> Self {
        Self(Arc::new(AwsInner {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token,
            expiry: None,
            account_id: None,
            source,
        }))
    }

    /// The same credentials, expiring at `expiry`.
    #[must_use]
    pub fn with_expiry(self, expiry: Option<SystemTime>) -> Self {
        self.edit(|inner| inner.expiry = expiry)
    }

    /// The same credentials, recording the AWS account they belong to.
    #[must_use]
    pub fn with_account_id(self, account_id: Option<String>) -> Self {
        self.edit(|inner| inner.account_id = account_id)
    }

    /// The same credentials, from `source`.
    pub(crate) fn with_source(self, source: Source) -> Self {
        self.edit(|inner| inner.source = source)
    }

    fn edit(self, change: impl FnOnce(&mut AwsInner)) -> Self {
        let mut inner = Arc::unwrap_or_clone(self.0);
        change(&mut inner);
        Self(Arc::new(inner))
    }

    /// The access key id (not a secret, but masked whenever this crate prints it).
    pub fn access_key_id(&self) -> &str {
        &self.0.access_key_id
    }

    /// The secret access key.
    pub fn secret_access_key(&self) -> &Secret {
        &self.0.secret_access_key
    }

    /// The session token of temporary credentials.
    pub fn session_token(&self) -> Option<&Secret> {
        self.0.session_token.as_ref()
    }

    /// When temporary credentials expire.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.0.expiry
    }

    /// The AWS account id, when the source reports it.
    pub fn account_id(&self) -> Option<&str> {
        self.0.account_id.as_deref()
    }

    /// Where the credentials came from.
    pub fn source(&self) -> &Source {
        &self.0.source
    }

    /// Whether `other` is this very value (a clone of it), not merely equal: lets signers reuse
    /// work derived from credentials until the provider hands out new ones.
    pub fn same_as(&self, other: &AwsCredentials) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.0;
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &mask(&inner.access_key_id))
            .field("secret_access_key", &inner.secret_access_key)
            .field("session_token", &inner.session_token)
            .field(
                "expiry",
                &inner.expiry.map(humantime::format_rfc3339_seconds),
            )
            .field("account_id", &inner.account_id)
            .field("source", &inner.source)
            .finish()
    }
}

impl fmt::Display for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AWS credentials {} from {}",
            mask(&self.0.access_key_id),
            self.0.source
        )?;
        if let Some(expiry) = self.0.expiry {
            write!(
                f,
                ", expiring {}",
                humantime::format_rfc3339_seconds(expiry)
            )?;
        }
        Ok(())
    }
}
