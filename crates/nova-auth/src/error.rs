//! Why credentials could not be had, said so that a person knows what to do next.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::source::Source;

/// A boxed error from a lower layer.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Where API keys are made.
pub const API_KEY_URL: &str = "https://nova.amazon.com/act";

/// The failure of a [`crate::CredentialProvider`].
///
/// [`CredentialsError::NotConfigured`] means "nothing here, try the next source"; a chain moves on.
/// Every other variant means the source is configured but broken; a chain stops there, because
/// silently falling through to other credentials would hide the mistake.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The provider's source is not configured on this machine.
    #[error("{provider}: {reason}")]
    NotConfigured {
        /// The provider that looked.
        provider: Cow<'static, str>,
        /// What it looked for.
        reason: String,
    },

    /// An API key that cannot be valid, refused before any network call.
    #[error(
        "the API key in {origin} is {length} characters long, but Nova Act API keys are 36; \
         copy the key again from {API_KEY_URL} (or create a new one there)"
    )]
    MalformedApiKey {
        /// Where the key was found (`NOVA_ACT_API_KEY`, or code).
        origin: &'static str,
        /// Its length in characters, after trimming whitespace.
        length: usize,
    },

    /// One half of an environment key pair without the other.
    #[error(
        "{present} is set but {missing} is not; set both, or unset {present} to use another \
         credential source"
    )]
    IncompleteEnvironment {
        /// The variable that is set.
        present: &'static str,
        /// The variable that is missing.
        missing: &'static str,
    },

    /// A profile named in code or `AWS_PROFILE` that no file defines.
    #[error(
        "profile `{name}` (named in {origin}) does not exist in {}; {}",
        display_paths(files),
        display_profiles(available)
    )]
    ProfileNotFound {
        /// The profile asked for.
        name: String,
        /// Who asked for it: `AWS_PROFILE` or code.
        origin: &'static str,
        /// The files searched.
        files: Vec<PathBuf>,
        /// The profiles that do exist.
        available: Vec<String>,
    },

    /// The source handed out credentials that had already expired.
    #[error(
        "the credentials from {from} expired at {}; refresh them at their source (for example \
         `aws sso login`, or new keys) and try again",
        humantime::format_rfc3339_seconds(*expired_at)
    )]
    Expired {
        /// Where the credentials came from.
        from: Source,
        /// When they expired.
        expired_at: SystemTime,
    },

    /// A configured source did not answer in time.
    #[error("{provider} did not answer within {}", humantime::format_duration(*timeout))]
    TimedOut {
        /// The provider.
        provider: Cow<'static, str>,
        /// The time allowed.
        timeout: Duration,
    },

    /// A configured source failed.
    #[error("{provider}: {message}")]
    Provider {
        /// The provider.
        provider: Cow<'static, str>,
        /// What went wrong and what to do.
        message: String,
        /// The underlying error.
        #[source]
        cause: Option<BoxError>,
    },

    /// A key store refused the read for want of a permission.
    #[error(
        "{store} refused to hand out the API key ({message}); the AWS identity reading it needs \
         `{action}` on {resource}"
    )]
    StoreDenied {
        /// The store: `Secrets Manager`, `Parameter Store`, `AgentCore Identity`.
        store: &'static str,
        /// The IAM action that is missing.
        action: &'static str,
        /// The resource it is needed on.
        resource: String,
        /// The store's message.
        message: String,
    },

    /// No provider of a chain was configured; lists what each one looked for.
    #[error("{0}")]
    NotFound(Attempts),
}

impl CredentialsError {
    /// A "not configured here" answer from `provider`.
    pub fn not_configured(
        provider: impl Into<Cow<'static, str>>,
        reason: impl Into<String>,
    ) -> Self {
        Self::NotConfigured {
            provider: provider.into(),
            reason: reason.into(),
        }
    }

    /// A failure of a configured provider.
    pub fn provider(provider: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::Provider {
            provider: provider.into(),
            message: message.into(),
            cause: None,
        }
    }

    /// A failure of a configured provider, with its cause.
    pub fn provider_with_cause(
        provider: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
        cause: impl Into<BoxError>,
    ) -> Self {
        Self::Provider {
            provider: provider.into(),
            message: message.into(),
            cause: Some(cause.into()),
        }
    }

    /// Whether a chain should move on to its next provider.
    pub fn is_not_configured(&self) -> bool {
        matches!(self, Self::NotConfigured { .. } | Self::NotFound(_))
    }
}

/// What a chain tried, in order: one line per provider.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attempts(pub(crate) Vec<Attempt>);

impl Attempts {
    /// The attempts in order.
    pub fn iter(&self) -> impl Iterator<Item = &Attempt> {
        self.0.iter()
    }

    /// How many sources were tried.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing was tried (an empty chain).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One source a chain tried and why it had nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The provider.
    pub provider: Cow<'static, str>,
    /// What it looked for.
    pub reason: String,
}

impl fmt::Display for Attempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no credentials found: no credential sources were configured");
        }
        f.write_str("no credentials found; sources tried, in order:")?;
        for attempt in &self.0 {
            write!(f, "\n  - {}: {}", attempt.provider, attempt.reason)?;
        }
        write!(
            f,
            "\nTo fix: set NOVA_ACT_API_KEY to an API key from {API_KEY_URL}, or configure AWS \
             credentials (`aws configure`, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or \
             AWS_PROFILE)"
        )
    }
}

fn display_paths(files: &[PathBuf]) -> String {
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    match names.as_slice() {
        [] => "any AWS config file".to_owned(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn display_profiles(available: &[String]) -> String {
    if available.is_empty() {
        "no profiles are defined there; create one with `aws configure --profile NAME`".to_owned()
    } else {
        format!("profiles that exist: {}", available.join(", "))
    }
}

/// Why an auth mode could not be settled or its first credentials loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Settings for both kinds of credentials were given in code.
    #[error(
        "both an API key and AWS settings ({aws}) were given in code; keep one: the API key for \
         nova.amazon.com, or the AWS settings for the AWS Nova Act service"
    )]
    Conflict {
        /// The AWS settings given.
        aws: String,
    },

    /// A provider of your own was given in code beside other credentials.
    #[error(
        "both your provider `{provider}` and {other} were given in code; keep one (a provider \
         can hand out either kind of credentials)"
    )]
    TwoProviders {
        /// Your provider's name.
        provider: String,
        /// The other credentials given.
        other: String,
    },

    /// Two variables name a store for the API key.
    #[error("both {first} and {second} are set, and each names a store for the API key; unset one")]
    TwoStores {
        /// The first variable set.
        first: &'static str,
        /// The second.
        second: &'static str,
    },

    /// A variable names a key store, but this build has none.
    #[error(
        "{variable} is set, but this build of the SDK reads no key stores (nova-auth's \
         `key-stores` feature is off); enable it, or set NOVA_ACT_API_KEY instead"
    )]
    NoKeyStores {
        /// The variable set.
        variable: &'static str,
    },

    /// A provider of your own cannot serve the mode chosen beside it.
    #[error(
        "your provider `{provider}` hands out {provides} credentials, but {selected_by} selects \
         {mode} mode; give a provider of that kind, or choose {provides} mode"
    )]
    ProviderMode {
        /// Your provider's name.
        provider: String,
        /// The kind it hands out.
        provides: crate::credentials::AuthMode,
        /// The mode chosen.
        mode: crate::credentials::AuthMode,
        /// What chose it.
        selected_by: crate::selection::Selection,
    },

    /// `NOVA_ACT_AUTH` holds a value that is not a mode.
    #[error("NOVA_ACT_AUTH is `{value}`, which is not a mode; use `api-key` or `iam`, or unset it")]
    UnknownMode {
        /// The value found.
        value: String,
    },

    /// API-key mode was chosen but there is no key.
    #[error(
        "{selected_by} selects API-key mode, but NOVA_ACT_API_KEY is not set; create a key at \
         {API_KEY_URL} and set NOVA_ACT_API_KEY to it"
    )]
    ApiKeyMissing {
        /// What chose the mode.
        selected_by: crate::selection::Selection,
    },

    /// IAM mode was chosen but no AWS credentials were found.
    #[error("{selected_by} selects IAM mode, but no AWS credentials were found.\n{attempts}")]
    IamCredentialsMissing {
        /// What chose the mode.
        selected_by: crate::selection::Selection,
        /// What the chain tried.
        attempts: Attempts,
    },

    /// The chosen source is configured but failed.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
}

/// An error and every cause beneath it, each said once: the one way this workspace turns an
/// error chain into text.
///
/// Errors here print one layer and reach their causes through
/// [`source()`](std::error::Error::source); `Report` walks that chain. `{}` writes it on one line
/// (`a: b: c`), for a list entry or a log field; `{:#}` writes each cause on its own
/// `caused by:` line, for a person at a terminal. A cause whose text an earlier layer already
/// holds is left out. Where an AWS service answered with an error, its own message and code
/// replace the AWS SDK's generic layers ("service error", "unhandled error").
///
/// ```
/// use nova_auth::{CredentialsError, Report};
///
/// let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
/// let err = CredentialsError::provider_with_cause("vault", "could not read the token", io);
/// assert_eq!(Report(&err).to_string(), "vault: could not read the token: no such file");
/// assert_eq!(
///     format!("{:#}", Report(&err)),
///     "vault: could not read the token\n  caused by: no such file"
/// );
/// ```
#[derive(Clone, Copy)]
pub struct Report<'a>(pub &'a (dyn StdError + 'static));

impl Report<'_> {
    /// Each layer's text, top first, each said once.
    fn layers(&self) -> Vec<String> {
        let mut layers: Vec<String> = Vec::new();
        let mut next = Some(self.0);
        while let Some(cause) = next {
            #[cfg(feature = "aws")]
            if let Some(meta) = cause.downcast_ref::<aws_smithy_types::error::ErrorMetadata>() {
                layers.retain(|layer| {
                    !layer.starts_with("service error") && !layer.starts_with("unhandled error")
                });
                layers.push(format!(
                    "{} ({})",
                    meta.message().unwrap_or("the service gave no message"),
                    meta.code().unwrap_or("unknown error")
                ));
                break;
            }
            // aws-config's credential and token errors only name the kind of failure ("an error
            // occurred while loading credentials"); what happened is beneath them.
            #[cfg(feature = "aws")]
            if cause.source().is_some()
                && (cause.is::<aws_credential_types::provider::error::CredentialsError>()
                    || cause.is::<aws_credential_types::provider::error::TokenError>())
            {
                next = cause.source();
                continue;
            }
            let text = cause.to_string();
            if !layers.iter().any(|layer| layer.contains(&text)) {
                layers.push(text);
            }
            next = cause.source();
        }
        layers
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let separator = if f.alternate() {
            "\n  caused by: "
        } else {
            ": "
        };
        f.write_str(&self.layers().join(separator))
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:#}")
    }
}
