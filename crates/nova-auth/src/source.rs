//! Where a credential came from, in words a person understands.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

/// The place a credential (or a region) was found.
///
/// `Display` gives the short form used in logs, errors and `nova-act auth status`:
/// `code`, `environment`, `profile dev (/home/me/.aws/credentials)`, `web identity`, `container`,
/// `imds`, `custom: vault`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// Passed in by the program itself.
    Code,
    /// Environment variables (`NOVA_ACT_API_KEY`, `AWS_ACCESS_KEY_ID`, …; Lambda lands here too).
    Environment,
    /// A named profile of the shared AWS files, and the file that defines it.
    Profile {
        /// The profile name.
        name: String,
        /// The file that holds the profile.
        file: PathBuf,
    },
    /// `AssumeRoleWithWebIdentity` from `AWS_WEB_IDENTITY_TOKEN_FILE` (EKS IRSA and the like).
    WebIdentity,
    /// The ECS/EKS container credentials endpoint.
    Container,
    /// The EC2 instance metadata service (IMDSv2).
    Imds,
    /// A provider outside this crate, by the name it gives.
    Custom(Cow<'static, str>),
}

impl Source {
    /// A custom source with the given name.
    pub fn custom(name: impl Into<Cow<'static, str>>) -> Self {
        Self::Custom(name.into())
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Code => f.write_str("code"),
            Self::Environment => f.write_str("environment"),
            Self::Profile { name, file } => write!(f, "profile {name} ({})", file.display()),
            Self::WebIdentity => f.write_str("web identity"),
            Self::Container => f.write_str("container"),
            Self::Imds => f.write_str("imds"),
            Self::Custom(name) => write!(f, "custom: {name}"),
        }
    }
}
