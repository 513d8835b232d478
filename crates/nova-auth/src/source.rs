//! Where a credential came from, in words a person understands.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

/// The place a credential (or a region) was found.
///
/// `Display` gives the short form used in logs, errors and `nova-act auth status`:
/// `code`, `environment`, `profile dev (/home/me/.aws/credentials)`,
/// `web identity (role arn:aws:iam::123456789012:role/Pods)`, `container`, `imds`,
/// `custom: vault`. How a profile got its credentials (the roles it assumed, SSO,
/// `credential_process`) is in [`Source::chain`].
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
        /// How the profile's settings obtain credentials, first link first: the keys, sign-in
        /// or process at the start, then each role assumed with the credentials before it.
        chain: Vec<Link>,
    },
    /// `AssumeRoleWithWebIdentity` from `AWS_WEB_IDENTITY_TOKEN_FILE` (EKS IRSA and the like).
    WebIdentity {
        /// The role assumed (`AWS_ROLE_ARN`).
        role_arn: String,
    },
    /// The ECS/EKS container credentials endpoint.
    Container,
    /// The EC2 instance metadata service (IMDSv2).
    Imds,
    /// A provider outside this crate, by the name it gives.
    Custom(Cow<'static, str>),
    /// A store that keeps the API key: a Secrets Manager secret, a Parameter Store parameter,
    /// an AgentCore Identity provider.
    KeyStore {
        /// What holds it, such as `Secrets Manager secret`.
        store: Cow<'static, str>,
        /// Its name (or ARN) there.
        name: String,
    },
}

impl Source {
    /// A custom source with the given name.
    pub fn custom(name: impl Into<Cow<'static, str>>) -> Self {
        Self::Custom(name.into())
    }

    /// How a profile obtained its credentials, first link first; empty for other sources.
    pub fn chain(&self) -> &[Link] {
        match self {
            Self::Profile { chain, .. } => chain,
            _ => &[],
        }
    }

    /// The IAM role the credentials are a session of, when the settings name one (`role_arn`,
    /// `AWS_ROLE_ARN`).
    pub fn role_arn(&self) -> Option<&str> {
        match self {
            Self::WebIdentity { role_arn } => Some(role_arn),
            Self::Profile { chain, .. } => match chain.last()? {
                Link::Role { role_arn, .. } | Link::WebIdentity { role_arn, .. } => Some(role_arn),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether the chain says more than "the profile's own keys".
    pub fn has_chain(&self) -> bool {
        match self {
            Self::Profile { name, chain, .. } => {
                !matches!(chain.as_slice(), [Link::Keys { profile }] if profile == name)
            }
            _ => false,
        }
    }
}

/// One step of the way a profile obtains credentials.
///
/// ```
/// use nova_auth::Link;
///
/// let chain = [
///     Link::Keys { profile: "base".into() },
///     Link::Role {
///         profile: "runner".into(),
///         role_arn: "arn:aws:iam::123456789012:role/Runner".into(),
///     },
/// ];
/// assert_eq!(
///     Link::path(&chain),
///     "keys of profile base → role arn:aws:iam::123456789012:role/Runner (profile runner)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Link {
    /// The static keys (`aws_access_key_id`) of a profile.
    Keys {
        /// The profile holding them.
        profile: String,
    },
    /// The keys a profile's `credential_process` printed.
    Process {
        /// The profile naming the process.
        profile: String,
    },
    /// IAM Identity Center (SSO): a role in an account, through a cached sign-in.
    Sso {
        /// The profile naming the account and role.
        profile: String,
        /// `sso_account_id`.
        account_id: String,
        /// `sso_role_name`.
        role_name: String,
        /// The `sso_session`, or the legacy `sso_start_url`, whose sign-in is used.
        session: String,
    },
    /// A role assumed with a profile's `web_identity_token_file`.
    WebIdentity {
        /// The profile naming the token file.
        profile: String,
        /// The role assumed.
        role_arn: String,
    },
    /// A profile's `credential_source`: `Environment`, `Ec2InstanceMetadata` or `EcsContainer`.
    CredentialSource {
        /// The profile naming the source.
        profile: String,
        /// The source's name, as written.
        source: String,
    },
    /// A role assumed with the credentials of the link before.
    Role {
        /// The profile naming the role.
        profile: String,
        /// The role assumed.
        role_arn: String,
    },
}

impl Link {
    /// The links one after the other, as `auth status` and error messages show a chain.
    pub fn path(links: &[Link]) -> String {
        let shown: Vec<String> = links.iter().map(ToString::to_string).collect();
        shown.join(" → ")
    }
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Keys { profile } => write!(f, "keys of profile {profile}"),
            Self::Process { profile } => write!(f, "credential_process of profile {profile}"),
            Self::Sso {
                profile,
                account_id,
                role_name,
                session,
            } => write!(
                f,
                "SSO role {role_name} in account {account_id} (profile {profile}, sign-in {session})"
            ),
            Self::WebIdentity { profile, role_arn } => {
                write!(f, "role {role_arn} by web identity (profile {profile})")
            }
            Self::CredentialSource { profile, source } => {
                write!(f, "credential_source {source} (profile {profile})")
            }
            Self::Role { profile, role_arn } => write!(f, "role {role_arn} (profile {profile})"),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Code => f.write_str("code"),
            Self::Environment => f.write_str("environment"),
            Self::Profile { name, file, .. } => write!(f, "profile {name} ({})", file.display()),
            Self::WebIdentity { role_arn } => write!(f, "web identity (role {role_arn})"),
            Self::Container => f.write_str("container"),
            Self::Imds => f.write_str("imds"),
            Self::Custom(name) => write!(f, "custom: {name}"),
            Self::KeyStore { store, name } => write!(f, "{store} {name}"),
        }
    }
}
