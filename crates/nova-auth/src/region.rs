//! Which AWS region, and why.

use std::fmt;
use std::path::PathBuf;

use crate::env::{self, Env};

/// The region used when nothing names one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// An AWS region and where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    name: String,
    source: RegionSource,
}

/// Where a [`Region`] came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegionSource {
    /// Set by the program.
    Code,
    /// An environment variable: `AWS_REGION` or `AWS_DEFAULT_REGION`.
    Environment(&'static str),
    /// The `region` of a profile in the AWS config file.
    Profile {
        /// The profile.
        name: String,
        /// The file.
        file: PathBuf,
    },
    /// Nothing named one; [`DEFAULT_REGION`] applies.
    Default,
}

impl Region {
    /// A region set in code.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            source: RegionSource::Code,
        }
    }

    /// The region name, such as `us-east-1`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where it came from.
    pub fn source(&self) -> &RegionSource {
        &self.source
    }

    /// A region found at `source`.
    pub(crate) fn with_source(name: impl Into<String>, source: RegionSource) -> Self {
        Self {
            name: name.into(),
            source,
        }
    }

    /// The first region of: `code`, `AWS_REGION`, `AWS_DEFAULT_REGION`, then `profile`'s.
    /// [`Region::resolve`] reads the profile.
    pub(crate) fn from_sources(
        code: Option<&str>,
        env: &Env,
        profile: Option<Self>,
    ) -> Option<Self> {
        if let Some(name) = code.map(str::trim).filter(|name| !name.is_empty()) {
            return Some(Self::new(name));
        }
        for var in [env::REGION, env::DEFAULT_REGION] {
            if let Some(name) = env.get(var) {
                return Some(Self::with_source(name, RegionSource::Environment(var)));
            }
        }
        profile
    }
}

impl fmt::Display for RegionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Code => f.write_str("code"),
            Self::Environment(var) => f.write_str(var),
            Self::Profile { name, file } => write!(f, "profile {name} ({})", file.display()),
            Self::Default => f.write_str("default"),
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (from {})", self.name, self.source)
    }
}
