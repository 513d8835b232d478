//! The AWS SDKs' shared settings beyond credentials and region: endpoint variants and retries.

use std::fmt;
use std::path::PathBuf;

use crate::env::Env;
use crate::region::{DEFAULT_REGION, Region, RegionSource};

/// A shared setting: its environment variable and its key in a profile.
struct Key {
    var: &'static str,
    profile_key: &'static str,
}

const KEYS: [Key; 4] = [
    Key {
        var: "AWS_USE_FIPS_ENDPOINT",
        profile_key: "use_fips_endpoint",
    },
    Key {
        var: "AWS_USE_DUALSTACK_ENDPOINT",
        profile_key: "use_dualstack_endpoint",
    },
    Key {
        var: "AWS_MAX_ATTEMPTS",
        profile_key: "max_attempts",
    },
    Key {
        var: "AWS_RETRY_MODE",
        profile_key: "retry_mode",
    },
];

/// A value of a shared setting and where it was found, so a bad value can be named with its
/// origin. The value is as written: the client checks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The value as written.
    pub value: String,
    /// Where it was written.
    pub origin: SettingOrigin,
}

/// Where a [`Setting`] was found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SettingOrigin {
    /// An environment variable, such as `AWS_MAX_ATTEMPTS`.
    Environment(&'static str),
    /// A key of a profile in the AWS config file.
    Profile {
        /// The key, such as `max_attempts`.
        key: &'static str,
        /// The profile.
        name: String,
        /// The file.
        file: PathBuf,
    },
}

impl fmt::Display for SettingOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Environment(var) => f.write_str(var),
            Self::Profile { key, name, file } => {
                write!(f, "`{key}` of profile {name} ({})", file.display())
            }
        }
    }
}

/// The shared settings the AWS SDKs read for every client, each from its environment variable,
/// else from the selected profile (`AWS_USE_FIPS_ENDPOINT` / `use_fips_endpoint`,
/// `AWS_USE_DUALSTACK_ENDPOINT` / `use_dualstack_endpoint`, `AWS_MAX_ATTEMPTS` /
/// `max_attempts`, `AWS_RETRY_MODE` / `retry_mode`).
///
/// ```
/// use nova_auth::{Env, SdkSettings};
///
/// let settings = SdkSettings::from_env(&Env::from_vars([("AWS_MAX_ATTEMPTS", "5")]));
/// let max = settings.max_attempts.unwrap();
/// assert_eq!((max.value.as_str(), max.origin.to_string().as_str()), ("5", "AWS_MAX_ATTEMPTS"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SdkSettings {
    /// Whether to use the FIPS endpoint.
    pub use_fips_endpoint: Option<Setting>,
    /// Whether to use the dual-stack endpoint.
    pub use_dualstack_endpoint: Option<Setting>,
    /// Attempts in all, the first included.
    pub max_attempts: Option<Setting>,
    /// `standard` or `adaptive`.
    pub retry_mode: Option<Setting>,
}

impl SdkSettings {
    /// The settings the environment alone gives.
    pub fn from_env(env: &Env) -> Self {
        Self::from_parts(env, None)
    }

    /// The settings from the environment, then the selected profile (`profile` in code, else
    /// `AWS_PROFILE`, else `default`).
    pub async fn resolve(env: &Env, profile: Option<&str>) -> Self {
        let facts = load_profile(env, profile.map(|name| (name, "code"))).await;
        Self::from_parts(env, facts.as_ref())
    }

    /// Builds the settings from the environment and the profile's values.
    fn from_parts(env: &Env, profile: Option<&ProfileFacts>) -> Self {
        let mut found = KEYS.iter().enumerate().map(|(i, key)| {
            if let Some(value) = env.get(key.var) {
                return Some(Setting {
                    value,
                    origin: SettingOrigin::Environment(key.var),
                });
            }
            let profile = profile?;
            Some(Setting {
                value: profile.values.get(i + 1)?.clone()?,
                origin: SettingOrigin::Profile {
                    key: key.profile_key,
                    name: profile.name.clone(),
                    file: profile.config_file.clone(),
                },
            })
        });
        Self {
            use_fips_endpoint: found.next().flatten(),
            use_dualstack_endpoint: found.next().flatten(),
            max_attempts: found.next().flatten(),
            retry_mode: found.next().flatten(),
        }
    }
}

impl Region {
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
        let facts = load_profile(env, profile.map(|name| (name, "code"))).await;
        resolve(env, code, facts.as_ref()).0
    }
}

/// What is needed from the selected profile: its name, the config file (where `region` and the
/// shared settings live), the file that defines its credentials, and the values of `region`
/// and every shared setting's key, in the order of [`PROFILE_KEYS`].
#[derive(Debug)]
pub(crate) struct ProfileFacts {
    pub(crate) name: String,
    pub(crate) config_file: PathBuf,
    pub(crate) defining_file: PathBuf,
    pub(crate) values: Vec<Option<String>>,
}

/// `region`, then every shared setting's profile key.
#[cfg(feature = "aws")]
const PROFILE_KEYS: [&str; 5] = [
    "region",
    KEYS[0].profile_key,
    KEYS[1].profile_key,
    KEYS[2].profile_key,
    KEYS[3].profile_key,
];

/// Reads the selected profile once (`chosen` in code, else `AWS_PROFILE`, else `default`).
#[cfg(feature = "aws")]
pub(crate) async fn load_profile(
    env: &Env,
    chosen: Option<(&str, &'static str)>,
) -> Option<ProfileFacts> {
    crate::aws::profile_facts(env, chosen, &PROFILE_KEYS).await
}

#[cfg(not(feature = "aws"))]
pub(crate) async fn load_profile(
    _env: &Env,
    _chosen: Option<(&str, &'static str)>,
) -> Option<ProfileFacts> {
    None
}

/// The region and the shared settings, from the environment and the profile read once.
pub(crate) fn resolve(
    env: &Env,
    region_in_code: Option<&str>,
    profile: Option<&ProfileFacts>,
) -> (Region, SdkSettings) {
    let from_profile = profile.and_then(|facts| {
        Some(Region::with_source(
            facts.values.first()?.clone()?,
            RegionSource::Profile {
                name: facts.name.clone(),
                file: facts.config_file.clone(),
            },
        ))
    });
    let region = Region::from_sources(region_in_code, env, from_profile)
        .unwrap_or_else(|| Region::with_source(DEFAULT_REGION, RegionSource::Default));
    (region, SdkSettings::from_parts(env, profile))
}
