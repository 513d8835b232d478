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

    /// Resolves the region: `code`, then `AWS_REGION`, `AWS_DEFAULT_REGION`, then the `region` of
    /// the selected profile (`profile` in code, else `AWS_PROFILE`, else `default`), then
    /// [`DEFAULT_REGION`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use nova_auth::{Env, Region};
    ///
    /// let env = Env::from_vars([("AWS_DEFAULT_REGION", "eu-west-1")]);
    /// let region = Region::resolve(None, &env, None).await;
    /// assert_eq!(region.to_string(), "eu-west-1 (from AWS_DEFAULT_REGION)");
    /// # }
    /// ```
    pub async fn resolve(code: Option<&str>, env: &Env, profile: Option<&str>) -> Self {
        if let Some(name) = code.map(str::trim).filter(|name| !name.is_empty()) {
            return Self::new(name);
        }
        for var in [env::REGION, env::DEFAULT_REGION] {
            if let Some(name) = env.get(var) {
                return Self {
                    name,
                    source: RegionSource::Environment(var),
                };
            }
        }
        if let Some(region) = Self::from_profile(env, profile).await {
            return region;
        }
        Self {
            name: DEFAULT_REGION.to_owned(),
            source: RegionSource::Default,
        }
    }

    #[cfg(feature = "aws")]
    async fn from_profile(env: &Env, profile: Option<&str>) -> Option<Self> {
        let (name, profile, file) = crate::aws::profile_region(env, profile).await?;
        Some(Self {
            name,
            source: RegionSource::Profile {
                name: profile,
                file,
            },
        })
    }

    #[cfg(not(feature = "aws"))]
    async fn from_profile(_env: &Env, _profile: Option<&str>) -> Option<Self> {
        None
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
