//! Settings for a client, from code and from the environment and shared AWS settings.

use std::sync::Arc;
use std::time::Duration;

use nova_auth::{
    Auth, AuthMode, Clock, CredentialProvider, Env, SdkSettings, Setting, SharedProvider,
    SystemClock,
};

use super::{Client, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, Inner};
use crate::endpoint::{self, API_KEY_ENDPOINT, Endpoint, EndpointParams, SUPPORTED_REGIONS};
use crate::error::Error;
use crate::retry::{RetryConfig, RetryMode};
use crate::transport::{self, Wire};

/// Settings for a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    provider: Option<(SharedProvider, AuthMode)>,
    region: Option<String>,
    endpoint_url: Option<String>,
    use_fips: Option<bool>,
    use_dual_stack: Option<bool>,
    retry: Option<RetryConfig>,
    retry_mode: Option<RetryMode>,
    settings: Option<SdkSettings>,
    connect_timeout: Duration,
    attempt_timeout: Option<Duration>,
    env: Env,
    clock: Arc<dyn Clock>,
    http: Option<reqwest::Client>,
    allow_http: Option<bool>,
    step_rate: Option<f64>,
    throttle_timeout: Duration,
}

/// How long a throttled call is repeated, by default, before its error is returned.
pub const DEFAULT_THROTTLE_TIMEOUT: Duration = Duration::from_secs(300);

/// The variable that sets the step governor's rate (see [`ClientBuilder::step_rate`]).
pub const STEP_RATE_VAR: &str = "NOVA_ACT_STEP_RATE";

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            provider: None,
            region: None,
            endpoint_url: None,
            use_fips: None,
            use_dual_stack: None,
            retry: None,
            retry_mode: None,
            settings: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            attempt_timeout: Some(DEFAULT_ATTEMPT_TIMEOUT),
            env: Env::process(),
            clock: Arc::new(SystemClock),
            http: None,
            allow_http: None,
            step_rate: None,
            throttle_timeout: DEFAULT_THROTTLE_TIMEOUT,
        }
    }
}

impl ClientBuilder {
    /// Uses settled authentication: its mode, its cached provider, its region, and the shared
    /// AWS settings it found (endpoint variants and retries from the environment and profile).
    #[must_use]
    pub fn auth(mut self, auth: &Auth) -> Self {
        self.provider = Some((SharedProvider::new(auth.clone()), auth.mode()));
        self.region
            .get_or_insert_with(|| auth.region().name().to_owned());
        self.settings = Some(auth.sdk_settings().clone());
        self
    }

    /// Uses `provider`, whose credentials are of kind `mode`. Wrap slow providers in a
    /// [`nova_auth::CachedProvider`]: it is asked for every attempt.
    #[must_use]
    pub fn credentials_provider(
        mut self,
        provider: impl CredentialProvider + 'static,
        mode: AuthMode,
    ) -> Self {
        self.provider = Some((SharedProvider::new(provider), mode));
        self
    }

    nova_auth::setters! {
        /// The AWS region (default: from [`ClientBuilder::auth`], else `us-east-1`).
        region(region: impl Into<String>) => region = Some(region.into());
        /// A custom endpoint, such as `http://127.0.0.1:8080` for the emulator. Without it:
        /// `AWS_ENDPOINT_URL_NOVA_ACT`, then `AWS_ENDPOINT_URL` (IAM), or `NOVA_ACT_API_ENDPOINT`
        /// (API key), then the service's own endpoint.
        endpoint_url(url: impl Into<String>) => endpoint_url = Some(url.into());
        /// Lets credentials travel over plain `http://` to hosts beyond this machine, for a test rig
        /// you trust on another host; every client built so warns. Without it:
        /// `NOVA_ACT_ALLOW_HTTP=1`, else only `https://` and loopback `http://` (the emulator) are
        /// accepted, and any other endpoint fails before anything is sent.
        allow_http(allow: bool) => allow_http = Some(allow);
        /// Uses the FIPS endpoint (IAM). Without it: `AWS_USE_FIPS_ENDPOINT`, then the profile's
        /// `use_fips_endpoint`, then off.
        use_fips(on: bool) => use_fips = Some(on);
        /// Uses the dual-stack endpoint (IAM). Without it: `AWS_USE_DUALSTACK_ENDPOINT`, then the
        /// profile's `use_dualstack_endpoint`, then off.
        use_dual_stack(on: bool) => use_dual_stack = Some(on);
        /// Retry settings. Without them: the defaults, with `max_attempts` from
        /// `AWS_MAX_ATTEMPTS`, then the profile's `max_attempts`.
        retry(retry: RetryConfig) => retry = Some(retry);
        /// The retry mode. Without it: `AWS_RETRY_MODE`, then the profile's `retry_mode`, then
        /// standard.
        retry_mode(mode: RetryMode) => retry_mode = Some(mode);
        /// The most InvokeActStep calls per second this client (and every clone of it) makes: the
        /// account's quota (default [`limits::STEP_RATE`](crate::limits::STEP_RATE), 5; set it to
        /// the quota AWS raised for your account). Steps of every session and act share it; when the
        /// service throttles anyway, the pace drops and climbs back, never above this. `0` turns
        /// pacing off. Without it: `NOVA_ACT_STEP_RATE`, then 5.
        ///
        /// ```
        /// let builder = nova_act_core::Client::builder().step_rate(50.0);
        /// # drop(builder);
        /// ```
        step_rate(steps_per_second: f64) => step_rate = Some(steps_per_second);
        /// How long a call the service throttles keeps being repeated, with backoff, before the
        /// throttling error is returned (default 300 s). Throttled attempts do not count against
        /// [`RetryConfig::max_attempts`]: a throttled request was not processed. With retries off
        /// ([`RetryConfig::disabled`]) a throttled call fails at once.
        throttle_timeout(timeout: Duration) => throttle_timeout = timeout;
        /// Time allowed to connect (default 5 s).
        connect_timeout(timeout: Duration) => connect_timeout = timeout;
        /// Time allowed for one attempt, answer included (default 60 s); `None` for no limit.
        attempt_timeout(timeout: Option<Duration>) => attempt_timeout = timeout;
        /// Reads endpoint variables from `env` instead of the process environment.
        env(env: Env) => env = env;
        /// The clock used for signing (tests fix it).
        clock(clock: impl Clock + 'static) => clock = Arc::new(clock);
        /// Sends through this `reqwest` client (its timeouts then apply instead): for tests of the
        /// transport; not part of the supported interface.
        #[doc(hidden)]
        http_client(http: reqwest::Client) => http = Some(http);
    }

    /// The client. Fails when no credentials were given, when the endpoint settings contradict
    /// each other, or when a shared AWS setting has a value it cannot use. A region this SDK
    /// does not know is used anyway, with a warning (it may be new).
    pub fn build(mut self) -> Result<Client, Error> {
        let Some((provider, mode)) = self.provider.take() else {
            return Err(Error::Credentials(
                nova_auth::CredentialsError::not_configured(
                    "client",
                    "no credentials were given to the client; call ClientBuilder::auth with \
                 nova_auth::Auth::from_env()",
                ),
            ));
        };
        let region = self
            .region
            .take()
            .unwrap_or_else(|| nova_auth::DEFAULT_REGION.to_owned());
        let settings = match self.settings.take() {
            Some(settings) => settings,
            None => SdkSettings::from_env(&self.env),
        };
        let endpoint = self.endpoint(mode, &region, &settings)?;
        let step_rate = self.governed_rate()?;
        let retry = match self.retry {
            Some(retry) => retry,
            None => RetryConfig {
                max_attempts: setting(
                    &settings.max_attempts,
                    "a whole number of attempts, 1 or more",
                    |v| v.parse::<u32>().ok().filter(|n| *n >= 1),
                )?
                .unwrap_or(RetryConfig::default().max_attempts),
                ..RetryConfig::default()
            },
        };
        let retry_mode = match self.retry_mode {
            Some(mode) => mode,
            None => setting(&settings.retry_mode, "`standard` or `adaptive`", |v| {
                v.parse().ok()
            })?
            .unwrap_or_default(),
        };
        let allow_http = self.allow_http.unwrap_or_else(|| self.env.allows_http());
        let transport = endpoint::transport(endpoint.url(), allow_http).map_err(|err| {
            let from = match mode {
                AuthMode::Iam => "AWS_ENDPOINT_URL_NOVA_ACT or AWS_ENDPOINT_URL",
                AuthMode::ApiKey => "NOVA_ACT_API_ENDPOINT",
            };
            endpoint::EndpointError(format!("{err}; fix the endpoint setting (code, {from})"))
        })?;
        if transport == endpoint::Transport::Cleartext {
            tracing::warn!(
                endpoint = endpoint.url(),
                "credentials will travel in cleartext: plain HTTP to a host beyond this machine \
                 was allowed (ClientBuilder::allow_http or {}); anyone on the path can read and \
                 reuse them",
                endpoint::ALLOW_HTTP_VAR
            );
        }
        let http = match self.http {
            Some(http) => http,
            None => crate::tls::http_client()
                .connect_timeout(self.connect_timeout)
                .user_agent(transport::USER_AGENT_VALUE)
                .build()
                .map_err(|err| Error::Transport {
                    operation: "client",
                    endpoint: endpoint.url().to_owned(),
                    source: Box::new(err),
                })?,
        };
        let workflow_definition = self.env.get(crate::runtime::DEFINITION_VAR);
        let client_source = self
            .env
            .get("NOVA_ACT_CLIENT_SOURCE")
            .filter(|s| matches!(s.as_str(), "sdk" | "extension" | "playground"))
            .unwrap_or_else(|| "sdk".to_owned());
        Ok(Client {
            inner: Arc::new(Inner {
                wire: Wire {
                    http,
                    endpoint,
                    region,
                    clock: self.clock,
                    client_source,
                    attempt_timeout: self.attempt_timeout,
                    signing: transport::SigningCache::default(),
                },
                provider,
                mode,
                retry,
                retry_mode,
                throttled_until: std::sync::Mutex::new(None),
                governor: crate::governor::Governor::new(step_rate),
                steps: std::sync::atomic::AtomicU64::new(0),
                throttle_timeout: self.throttle_timeout,
                workflow_definition,
            }),
        })
    }

    /// Where requests go: the API-key service's endpoint, or the AWS one resolved for `region`
    /// from the code's, the environment's and the shared settings.
    fn endpoint(
        &self,
        mode: AuthMode,
        region: &str,
        settings: &SdkSettings,
    ) -> Result<Endpoint, Error> {
        Ok(match mode {
            AuthMode::ApiKey => Endpoint::ApiKey {
                url: self
                    .endpoint_url
                    .clone()
                    .or_else(|| self.env.get("NOVA_ACT_API_ENDPOINT"))
                    .unwrap_or_else(|| API_KEY_ENDPOINT.to_owned()),
            },
            AuthMode::Iam => {
                let custom = self
                    .endpoint_url
                    .clone()
                    .or_else(|| self.env.get("AWS_ENDPOINT_URL_NOVA_ACT"))
                    .or_else(|| self.env.get("AWS_ENDPOINT_URL"));
                const FLAG: &str = "`true` or `false`";
                let use_fips = match self.use_fips {
                    Some(on) => on,
                    None => setting(&settings.use_fips_endpoint, FLAG, boolean)?.unwrap_or(false),
                };
                let use_dual_stack = match self.use_dual_stack {
                    Some(on) => on,
                    None => {
                        setting(&settings.use_dualstack_endpoint, FLAG, boolean)?.unwrap_or(false)
                    }
                };
                let url = endpoint::resolve(&EndpointParams {
                    region: Some(region.to_owned()),
                    use_fips,
                    use_dual_stack,
                    endpoint: custom.clone(),
                })?;
                // As the AWS SDKs do: a region this SDK does not know may be new, so it is sent.
                if custom.is_none() && !SUPPORTED_REGIONS.contains(&region) {
                    let known = SUPPORTED_REGIONS.join(", ");
                    tracing::warn!(
                        region = %region,
                        "Nova Act is not known to be offered in this region (this SDK knows \
                         {known}); sending to {url} anyway"
                    );
                }
                Endpoint::Aws {
                    url,
                    custom: custom.is_some(),
                }
            }
        })
    }

    /// The step governor's rate: the code's, `NOVA_ACT_STEP_RATE`, or the service's quota.
    fn governed_rate(&self) -> Result<f64, Error> {
        Ok(match self.step_rate {
            Some(rate) => rate,
            None => match self.env.get(STEP_RATE_VAR) {
                None => crate::limits::STEP_RATE,
                Some(value) => value
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|rate| rate.is_finite() && *rate >= 0.0)
                    .ok_or(Error::Setting {
                        origin: STEP_RATE_VAR.to_owned(),
                        value,
                        expected: "steps per second: a positive decimal, or 0 for no pacing",
                    })?,
            },
        })
    }
}

/// A shared setting's value parsed by `parse`, or an error naming where it was written and
/// what it may be.
fn setting<T>(
    found: &Option<Setting>,
    expected: &'static str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<Option<T>, Error> {
    let Some(found) = found else {
        return Ok(None);
    };
    match parse(found.value.trim()) {
        Some(value) => Ok(Some(value)),
        None => Err(Error::Setting {
            origin: found.origin.to_string(),
            value: found.value.clone(),
            expected,
        }),
    }
}

/// `true` or `false`, in any case, as the AWS SDKs read their flags.
fn boolean(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}
