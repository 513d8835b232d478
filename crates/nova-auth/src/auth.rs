//! Choosing between an API key and AWS IAM, once, with the reason recorded.

use std::borrow::Cow;
use std::sync::Arc;

use async_trait::async_trait;

use crate::api_key::ApiKeyProvider;
use crate::available::Available;
use crate::cache::CachedProvider;
use crate::clock::{Clock, SystemClock};
use crate::credentials::{AuthMode, Credentials};
use crate::env::{self, Env};
use crate::error::{Attempt, Attempts, AuthError, CredentialsError};
use crate::provider::{CredentialProvider, SharedProvider};
use crate::region::Region;
use crate::selection::Selection;
use crate::settings::SdkSettings;

/// The `tracing` target of the warning that an API key wins over AWS credentials in the
/// environment, so that a program which tells its user itself (as the `nova-act` command does)
/// can turn it off.
pub const MODE_NOTICE: &str = "nova_act::auth_mode";

/// Settings for [`Auth`]; anything left unset comes from the environment.
#[derive(Clone, Debug, Default)]
pub struct AuthBuilder {
    mode: Option<(AuthMode, Selection)>,
    api_key: Option<crate::Secret>,
    profile: Option<(String, &'static str)>,
    aws_provider: Option<SharedProvider>,
    own: Option<SharedProvider>,
    region: Option<String>,
    env: Option<Env>,
    clock: Option<Arc<dyn Clock>>,
}

impl AuthBuilder {
    crate::setters! {
        /// Forces the mode.
        mode(mode: AuthMode) => mode = Some((mode, Selection::Code));
        /// Forces the mode on behalf of `origin` (such as `--auth`), which [`Identity`] names.
        /// For command-line tools that name the option that chose it; plumbing of the `nova-act`
        /// command, hidden from the documentation.
        #[doc(hidden)]
        mode_from(mode: AuthMode, origin: &'static str)
            => mode = Some((mode, Selection::Option(origin)));
        /// Uses this API key (API-key mode).
        api_key(key: impl Into<crate::Secret>) => api_key = Some(key.into());
    }

    crate::setters! {
        /// Uses this AWS profile (IAM mode).
        profile_name(name: impl Into<String>) => profile = Some((name.into(), "code"));
        /// [`AuthBuilder::profile_name`] chosen by `origin` (`--profile`), which errors name.
        #[doc(hidden)]
        profile_name_from(name: impl Into<String>, origin: &'static str)
            => profile = Some((name.into(), origin));
        /// Uses this provider for AWS credentials (IAM mode), for example an
        /// [`AwsSdkProvider`](crate::AwsSdkProvider) over an `SdkConfig`, or your own.
        aws_provider(provider: impl CredentialProvider + 'static)
            => aws_provider = Some(SharedProvider::new(provider));
        /// Uses your own provider, of either kind: an API key from a vault or a keychain, AWS
        /// keys from a parent process. Its [`CredentialProvider::mode`] gives the mode when it
        /// says; otherwise its first load does. A mode forced beside it that it cannot serve, or
        /// a later load of the other kind, is an error naming both.
        provider(provider: impl CredentialProvider + 'static)
            => own = Some(SharedProvider::new(provider));
        /// Uses this region.
        region(region: impl Into<String>) => region = Some(region.into());
        /// Reads `env` instead of the process environment.
        env(env: Env) => env = Some(env);
        /// Uses `clock` for credential expiry.
        clock(clock: impl Clock + 'static) => clock = Some(Arc::new(clock));
    }

    fn env_or_process(&self) -> Env {
        self.env.clone().unwrap_or_default()
    }

    /// Decides the mode without loading anything: code, then `NOVA_ACT_AUTH`, then
    /// `NOVA_ACT_API_KEY`, then IAM. `None` for a [provider](AuthBuilder::provider) of your
    /// own that does not say its kind (and no mode forced): its first load decides.
    pub fn select(&self) -> Result<(Option<AuthMode>, Selection), AuthError> {
        if let Some(own) = &self.own {
            return self.select_own(own);
        }
        self.select_settings().map(|(mode, by)| (Some(mode), by))
    }

    /// The mode beside a provider of your own: the one forced, if it can serve it, else the
    /// kind it says it is.
    fn select_own(&self, own: &SharedProvider) -> Result<(Option<AuthMode>, Selection), AuthError> {
        if let Some(other) = self
            .aws_in_code()
            .or_else(|| self.api_key.as_ref().map(|_| "an API key".to_owned()))
        {
            return Err(AuthError::TwoProviders {
                provider: own.name().into_owned(),
                other,
            });
        }
        let forced = match self.mode {
            Some(forced) => Some(forced),
            None => auth_variable(&self.env_or_process())?,
        };
        match (forced, own.mode()) {
            (Some((mode, by)), Some(provides)) if provides != mode => {
                Err(AuthError::ProviderMode {
                    provider: own.name().into_owned(),
                    provides,
                    mode,
                    selected_by: by,
                })
            }
            (Some((mode, by)), _) => Ok((Some(mode), by)),
            (None, provides) => Ok((provides, Selection::Code)),
        }
    }

    /// The mode from the settings alone (no provider of your own).
    fn select_settings(&self) -> Result<(AuthMode, Selection), AuthError> {
        let aws_in_code = self.aws_in_code();
        let forced = self.mode.map(|(mode, _)| mode);
        match (forced, &self.api_key, aws_in_code) {
            (Some(AuthMode::Iam), Some(_), aws) | (None, Some(_), aws @ Some(_)) => {
                return Err(AuthError::Conflict {
                    aws: aws.unwrap_or_else(|| "IAM mode".to_owned()),
                });
            }
            (Some(AuthMode::ApiKey), _, Some(aws)) => return Err(AuthError::Conflict { aws }),
            (Some(mode), _, _) => {
                let by = self.mode.map_or(Selection::Code, |(_, by)| by);
                return Ok((mode, by));
            }
            (None, Some(_), None) => return Ok((AuthMode::ApiKey, Selection::Code)),
            (None, None, Some(_)) => return Ok((AuthMode::Iam, Selection::Code)),
            (None, None, None) => {}
        }
        let env = self.env_or_process();
        let store = store_variable(&env)?;
        if let Some(forced) = auth_variable(&env)? {
            if let (Some(var), AuthMode::Iam) = (store, forced.0) {
                tracing::warn!(
                    target: MODE_NOTICE,
                    ignored = var,
                    "NOVA_ACT_AUTH=iam, so IAM is used and {var} (a store holding an API key) is \
                     ignored"
                );
            }
            return Ok(forced);
        }
        if env.is_set(env::API_KEY) {
            if let Some(var) = store {
                tracing::warn!(
                    target: MODE_NOTICE,
                    ignored = var,
                    "NOVA_ACT_API_KEY is set, so the key in it is used and {var} is ignored; \
                     unset one of them"
                );
            }
            let ignored: Vec<&str> = [env::ACCESS_KEY_ID, env::PROFILE]
                .into_iter()
                .filter(|var| env.is_set(var))
                .collect();
            if !ignored.is_empty() {
                tracing::warn!(
                    target: MODE_NOTICE,
                    ignored = %ignored.join(", "),
                    "NOVA_ACT_API_KEY is set, so API-key mode is used and the AWS credentials in \
                     the environment are ignored; set NOVA_ACT_AUTH=iam to use them instead"
                );
            }
            return Ok((AuthMode::ApiKey, Selection::ApiKeyVariable));
        }
        // The AWS credentials of the environment then read the key: no notice that they are
        // unused.
        if let Some(var) = store {
            return Ok((AuthMode::ApiKey, Selection::KeyStore(var)));
        }
        Ok((AuthMode::Iam, Selection::Default))
    }

    /// The AWS settings given in code, described.
    fn aws_in_code(&self) -> Option<String> {
        match (&self.profile, &self.aws_provider) {
            (Some((name, _)), _) => Some(format!("profile `{name}`")),
            (None, Some(provider)) => Some(format!("provider `{}`", provider.name())),
            (None, None) => None,
        }
    }

    /// The provider for `mode`; `None` only for a provider of your own that decides by its
    /// first load.
    fn provider_for(&self, mode: Option<AuthMode>) -> SharedProvider {
        if let Some(own) = &self.own {
            return SharedProvider::new(crate::kind::OneKind::new(own.clone(), mode));
        }
        match mode {
            Some(AuthMode::ApiKey) => match &self.api_key {
                Some(key) => SharedProvider::new(ApiKeyProvider::new(key.clone())),
                None => self.key_store().unwrap_or_else(|| {
                    SharedProvider::new(ApiKeyProvider::with_env(self.env_or_process()))
                }),
            },
            // IAM: without a provider of your own the selection always names a mode.
            Some(AuthMode::Iam) | None => match &self.aws_provider {
                Some(provider) => provider.clone(),
                None => self.aws_chain(),
            },
        }
    }

    /// The store the environment names for the key, unless `NOVA_ACT_API_KEY` is set (it wins).
    #[cfg(feature = "key-stores")]
    fn key_store(&self) -> Option<SharedProvider> {
        let env = self.env_or_process();
        if env.is_set(env::API_KEY) {
            return None;
        }
        let mut store = crate::ApiKeyStore::from_env(&env).ok().flatten()?;
        if let Some(region) = &self.region {
            store = store.region(region.clone());
        }
        if let Some(clock) = &self.clock {
            store = store.clock(clock.clone());
        }
        Some(SharedProvider::new(store))
    }

    #[cfg(not(feature = "key-stores"))]
    fn key_store(&self) -> Option<SharedProvider> {
        None
    }

    #[cfg(feature = "aws")]
    fn aws_chain(&self) -> SharedProvider {
        let mut chain = crate::DefaultChain::builder().env(self.env_or_process());
        if let Some((name, origin)) = &self.profile {
            chain = chain.profile_name_from(name.clone(), origin);
        }
        SharedProvider::new(chain.build())
    }

    #[cfg(not(feature = "aws"))]
    fn aws_chain(&self) -> SharedProvider {
        SharedProvider::new(crate::EnvironmentProvider::with_env(self.env_or_process()))
    }

    /// Selects the mode, resolves the region and loads the first credentials, so that a
    /// misconfiguration shows up here rather than at the first request.
    pub async fn build(self) -> Result<Auth, AuthError> {
        let (chosen, selection) = self.select()?;
        let env = self.env_or_process();
        let clock = self.clock.clone().unwrap_or_else(|| Arc::new(SystemClock));
        let cache = CachedProvider::new(self.provider_for(chosen)).with_clock(clock);
        let first = cache.credentials().await;
        // A provider of your own that does not say its kind: its first load decides.
        let mode = match chosen {
            Some(mode) => mode,
            None => match first {
                Ok(ref credentials) => credentials.mode(),
                Err(err) => return Err(err.into()),
            },
        };
        let first = match (mode, selection, first) {
            (_, _, Ok(creds)) => creds,
            (AuthMode::ApiKey, _, Err(err)) if err.is_not_configured() => {
                return Err(AuthError::ApiKeyMissing {
                    selected_by: selection,
                });
            }
            (AuthMode::Iam, Selection::Default, Err(CredentialsError::NotFound(attempts))) => {
                let mut all = vec![Attempt {
                    provider: Cow::Borrowed("api key"),
                    reason: format!("{} is not set", env::API_KEY),
                }];
                all.extend(attempts.0);
                return Err(CredentialsError::NotFound(Attempts(all)).into());
            }
            (AuthMode::Iam, _, Err(CredentialsError::NotFound(attempts))) => {
                return Err(AuthError::IamCredentialsMissing {
                    selected_by: selection,
                    attempts,
                });
            }
            (_, _, Err(err)) => return Err(err.into()),
        };
        // One read of the profile files serves the region, the shared settings and the list
        // of configured credentials.
        let chosen = self
            .profile
            .as_ref()
            .map(|(name, origin)| (name.as_str(), *origin));
        let profile = crate::settings::load_profile(&env, chosen).await;
        let (region, settings) =
            crate::settings::resolve(&env, self.region.as_deref(), profile.as_ref());
        let available = crate::available::available(
            self.own.as_ref().map(|own| (mode, own.name().into_owned())),
            self.api_key.is_some(),
            self.aws_in_code(),
            profile.as_ref(),
            &env,
        );
        tracing::debug!(
            mode = %mode,
            selected_by = %selection,
            source = %first.source(),
            region = %region,
            "credentials resolved"
        );
        Ok(Auth {
            mode,
            selection,
            region,
            settings,
            available,
            provider: cache,
        })
    }
}

/// The one variable naming a store for the API key, if one is set; two are a conflict.
fn store_variable(env: &Env) -> Result<Option<&'static str>, AuthError> {
    let set: Vec<&'static str> = env::API_KEY_STORES
        .into_iter()
        .filter(|var| env.is_set(var))
        .collect();
    match set.as_slice() {
        [] => Ok(None),
        [first, second, ..] => Err(AuthError::TwoStores { first, second }),
        #[cfg(feature = "key-stores")]
        [one] => Ok(Some(one)),
        #[cfg(not(feature = "key-stores"))]
        [one] => Err(AuthError::NoKeyStores { variable: one }),
    }
}

/// The mode `NOVA_ACT_AUTH` forces, if it is set.
fn auth_variable(env: &Env) -> Result<Option<(AuthMode, Selection)>, AuthError> {
    let Some(value) = env.get(env::AUTH_MODE) else {
        return Ok(None);
    };
    let mode = match value.to_ascii_lowercase().as_str() {
        "api-key" | "apikey" | "api_key" => AuthMode::ApiKey,
        "iam" | "aws" => AuthMode::Iam,
        _ => return Err(AuthError::UnknownMode { value }),
    };
    Ok(Some((mode, Selection::AuthVariable(mode))))
}

/// The settled authentication: mode, why, region, and a cached provider for every request.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), nova_auth::AuthError> {
/// use nova_auth::{Auth, AuthMode, Env};
///
/// let env = Env::from_vars([("NOVA_ACT_API_KEY", "0123456789abcdef0123456789abcdef0123")]);
/// let auth = Auth::builder().env(env).build().await?;
/// assert_eq!(auth.mode(), AuthMode::ApiKey);
/// assert_eq!(auth.selection().to_string(), "NOVA_ACT_API_KEY being set");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Auth {
    mode: AuthMode,
    selection: Selection,
    region: Region,
    settings: SdkSettings,
    available: Vec<Available>,
    provider: CachedProvider,
}

impl Auth {
    /// Everything from the process environment.
    pub async fn from_env() -> Result<Self, AuthError> {
        Self::builder().build().await
    }

    /// Settings to override the environment.
    pub fn builder() -> AuthBuilder {
        AuthBuilder::default()
    }

    /// API key or IAM.
    pub fn mode(&self) -> AuthMode {
        self.mode
    }

    /// What chose the mode.
    pub fn selection(&self) -> Selection {
        self.selection
    }

    /// The region and where it came from.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The AWS SDKs' shared settings (endpoint variants, retries) from the environment and the
    /// selected profile, for the clients built on this authentication.
    pub fn sdk_settings(&self) -> &SdkSettings {
        &self.settings
    }

    /// The cached provider behind [`Auth::credentials`].
    pub fn provider(&self) -> &CachedProvider {
        &self.provider
    }
}

/// Which credentials are in use and where they came from, for logs, status lines and tools.
/// Holds no secret: the key or access key id is masked to its last four characters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Identity {
    /// API key or IAM.
    pub mode: AuthMode,
    /// What chose the mode.
    pub selected_by: Selection,
    /// Where the credentials came from.
    pub source: crate::Source,
    /// The key or access key id, masked (`****WXYZ`).
    pub masked_id: String,
    /// The AWS account, when known.
    pub account_id: Option<String>,
    /// When the credentials expire.
    pub expires_at: Option<std::time::SystemTime>,
    /// The region and where it came from.
    pub region: Region,
    /// Every kind of credentials configured (in code or the environment, without probing an
    /// instance role), the one in use among them; `selected_by` says why that one.
    pub available: Vec<Available>,
}

impl Auth {
    /// The credentials in use now (from the cache), described without secrets.
    pub async fn identity(&self) -> Result<Identity, CredentialsError> {
        let credentials = self.credentials().await?;
        Ok(Identity {
            mode: self.mode,
            selected_by: self.selection,
            source: credentials.source().clone(),
            masked_id: credentials.masked_id(),
            account_id: credentials
                .as_aws()
                .and_then(|aws| aws.account_id().map(str::to_owned)),
            expires_at: credentials.expiry(),
            region: self.region.clone(),
            available: self.available.clone(),
        })
    }
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} credentials {} from {} (chosen by {}), region {}",
            self.mode, self.masked_id, self.source, self.selected_by, self.region
        )?;
        if let Some(at) = self.expires_at {
            write!(f, ", expiring {}", humantime::format_rfc3339_seconds(at))?;
        }
        Ok(())
    }
}

#[async_trait]
impl CredentialProvider for Auth {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.provider.credentials().await
    }

    fn name(&self) -> Cow<'static, str> {
        self.provider.name()
    }

    async fn refused(&self, refused: &Credentials) -> Option<Credentials> {
        self.provider.refused(refused).await
    }
}
