//! The client: every operation as a typed async call, retried and traced.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{self, Stream, StreamExt, TryStreamExt};
use nova_auth::{
    Auth, AuthMode, Clock, CredentialProvider, Credentials, Env, SdkSettings, Setting,
    SharedProvider, SystemClock,
};
use tracing::Instrument;

use crate::endpoint::{self, API_KEY_ENDPOINT, Endpoint, EndpointParams, SUPPORTED_REGIONS};
use crate::error::Error;
use crate::model::*;
use crate::operation::Operation;
use crate::retry::{RetryConfig, RetryMode};
use crate::transport::{self, Prepared};

/// Default time allowed to connect.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time allowed for one attempt, answer included.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);

/// A Nova Act client: cheap to clone, safe to share.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use nova_act_core::Client;
/// use nova_act_core::model::ListModelsInput;
///
/// let auth = nova_auth::Auth::from_env().await?;
/// let client = Client::builder().auth(&auth).build()?;
/// let models = client.list_models(()).await?;
/// for model in models.model_summaries {
///     println!("{} {}", model.model_id, model.model_lifecycle.status);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    provider: SharedProvider,
    mode: AuthMode,
    region: String,
    endpoint: Endpoint,
    retry: RetryConfig,
    retry_mode: RetryMode,
    /// Adaptive retries: no first attempt starts before this, once the service throttled.
    throttled_until: std::sync::Mutex<Option<tokio::time::Instant>>,
    /// Paces InvokeActStep for every session and act of this client and its clones.
    governor: Option<crate::governor::Governor>,
    /// InvokeActStep calls that succeeded.
    steps: std::sync::atomic::AtomicU64,
    /// How long a call keeps being repeated while the service throttles it.
    throttle_timeout: Duration,
    attempt_timeout: Option<Duration>,
    clock: Arc<dyn Clock>,
    client_source: String,
    workflow_definition: Option<String>,
    /// The signing identity of the credentials last signed with.
    signing: transport::SigningCache,
}

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

    /// The AWS region (default: from [`ClientBuilder::auth`], else `us-east-1`).
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// A custom endpoint, such as `http://127.0.0.1:8080` for the emulator. Without it:
    /// `AWS_ENDPOINT_URL_NOVA_ACT`, then `AWS_ENDPOINT_URL` (IAM), or `NOVA_ACT_API_ENDPOINT`
    /// (API key), then the service's own endpoint.
    #[must_use]
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Lets credentials travel over plain `http://` to hosts beyond this machine, for a test rig
    /// you trust on another host; every client built so warns. Without it:
    /// `NOVA_ACT_ALLOW_HTTP=1`, else only `https://` and loopback `http://` (the emulator) are
    /// accepted, and any other endpoint fails before anything is sent.
    #[must_use]
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = Some(allow);
        self
    }

    /// Uses the FIPS endpoint (IAM). Without it: `AWS_USE_FIPS_ENDPOINT`, then the profile's
    /// `use_fips_endpoint`, then off.
    #[must_use]
    pub fn use_fips(mut self, on: bool) -> Self {
        self.use_fips = Some(on);
        self
    }

    /// Uses the dual-stack endpoint (IAM). Without it: `AWS_USE_DUALSTACK_ENDPOINT`, then the
    /// profile's `use_dualstack_endpoint`, then off.
    #[must_use]
    pub fn use_dual_stack(mut self, on: bool) -> Self {
        self.use_dual_stack = Some(on);
        self
    }

    /// Retry settings. Without them: the defaults, with `max_attempts` from
    /// `AWS_MAX_ATTEMPTS`, then the profile's `max_attempts`.
    #[must_use]
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The retry mode. Without it: `AWS_RETRY_MODE`, then the profile's `retry_mode`, then
    /// standard.
    #[must_use]
    pub fn retry_mode(mut self, mode: RetryMode) -> Self {
        self.retry_mode = Some(mode);
        self
    }

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
    #[must_use]
    pub fn step_rate(mut self, steps_per_second: f64) -> Self {
        self.step_rate = Some(steps_per_second);
        self
    }

    /// How long a call the service throttles keeps being repeated, with backoff, before the
    /// throttling error is returned (default 300 s). Throttled attempts do not count against
    /// [`RetryConfig::max_attempts`]: a throttled request was not processed. With retries off
    /// ([`RetryConfig::disabled`]) a throttled call fails at once.
    #[must_use]
    pub fn throttle_timeout(mut self, timeout: Duration) -> Self {
        self.throttle_timeout = timeout;
        self
    }

    /// Time allowed to connect (default 5 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt, answer included (default 60 s); `None` for no limit.
    #[must_use]
    pub fn attempt_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Reads endpoint variables from `env` instead of the process environment.
    #[must_use]
    pub fn env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// The clock used for signing (tests fix it).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Sends through this `reqwest` client (its timeouts then apply instead).
    #[must_use]
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The client. Fails when no credentials were given, when the endpoint settings contradict
    /// each other, or when a shared AWS setting has a value it cannot use. A region this SDK
    /// does not know is used anyway, with a warning (it may be new).
    pub fn build(self) -> Result<Client, Error> {
        let Some((provider, mode)) = self.provider else {
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
            .unwrap_or_else(|| nova_auth::DEFAULT_REGION.to_owned());
        let settings = self
            .settings
            .unwrap_or_else(|| SdkSettings::from_env(&self.env));
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
        let endpoint = match mode {
            AuthMode::ApiKey => Endpoint::ApiKey {
                url: self
                    .endpoint_url
                    .or_else(|| self.env.get("NOVA_ACT_API_ENDPOINT"))
                    .unwrap_or_else(|| API_KEY_ENDPOINT.to_owned()),
            },
            AuthMode::Iam => {
                let custom = self
                    .endpoint_url
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
                    region: Some(region.clone()),
                    use_fips,
                    use_dual_stack,
                    endpoint: custom.clone(),
                })?;
                // As the AWS SDKs do: a region this SDK does not know may be new, so it is sent.
                if custom.is_none() && !SUPPORTED_REGIONS.contains(&region.as_str()) {
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
        let step_rate = match self.step_rate {
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
        };
        let workflow_definition = self.env.get(crate::runtime::DEFINITION_VAR);
        let client_source = self
            .env
            .get("NOVA_ACT_CLIENT_SOURCE")
            .filter(|s| matches!(s.as_str(), "sdk" | "extension" | "playground"))
            .unwrap_or_else(|| "sdk".to_owned());
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                provider,
                mode,
                region,
                endpoint,
                retry,
                retry_mode,
                throttled_until: std::sync::Mutex::new(None),
                governor: crate::governor::Governor::new(step_rate),
                steps: std::sync::atomic::AtomicU64::new(0),
                throttle_timeout: self.throttle_timeout,
                attempt_timeout: self.attempt_timeout,
                clock: self.clock,
                client_source,
                workflow_definition,
                signing: transport::SigningCache::default(),
            }),
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

/// How one attempt ended.
enum Outcome<T> {
    Done(Result<T, Error>),
    Retry(Error, Option<Duration>),
}

impl Client {
    /// Settings for a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// API key or IAM.
    pub fn mode(&self) -> AuthMode {
        self.inner.mode
    }

    /// The region requests are signed for.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// Where requests go.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The rate the step governor paces InvokeActStep at, in steps per second; `None` when
    /// pacing is off (see [`ClientBuilder::step_rate`]).
    pub fn step_rate(&self) -> Option<f64> {
        self.inner.governor.as_ref().map(|g| g.ceiling())
    }

    /// How many InvokeActStep calls this client and its clones have made that succeeded: for
    /// progress displays and rates (a batch's steps per second against [`step_rate`](Self::step_rate)).
    pub fn steps_taken(&self) -> u64 {
        self.inner.steps.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The retry settings in force.
    pub fn retry_config(&self) -> &RetryConfig {
        &self.inner.retry
    }

    /// The workflow definition `NOVA_ACT_WORKFLOW_DEFINITION` named when the client was built;
    /// workflows use it unless code names one.
    pub fn workflow_definition(&self) -> Option<&str> {
        self.inner.workflow_definition.as_deref()
    }

    /// The time allowed per attempt (`None`: no limit).
    pub fn attempt_timeout(&self) -> Option<Duration> {
        self.inner.attempt_timeout
    }

    /// The retry mode in force.
    pub fn retry_mode(&self) -> RetryMode {
        self.inner.retry_mode
    }

    /// The credentials the next request will use.
    pub async fn credentials(&self) -> Result<Credentials, Error> {
        Ok(self.inner.provider.credentials().await?)
    }

    /// Sends any operation: checks it, fills its idempotency token, then tries up to
    /// `max_attempts` times as its [`Retry`](crate::Retry) class allows.
    pub async fn send<O: Operation>(&self, mut input: O) -> Result<O::Output, Error> {
        let prepared = self.ready(&mut input)?;
        let span = tracing::debug_span!("nova_act", operation = O::NAME);
        self.attempts::<O>(&prepared).instrument(span).await
    }

    /// Checks `input`, fills its idempotency token once, and lays it out for the endpoint.
    fn ready<O: Operation>(&self, input: &mut O) -> Result<Prepared, Error> {
        if self.inner.mode == AuthMode::ApiKey && !O::API_KEY_SERVICE {
            return Err(Error::NeedsIam { operation: O::NAME });
        }
        if let Some(token) = input.client_token()
            && token.is_none()
        {
            *token = Some(uuid::Uuid::new_v4().to_string());
        }
        input.validate()?;
        transport::prepare(input, &self.inner.endpoint)
    }

    /// The request `send` would make first for `input`, credentials applied, without sending it:
    /// for logging, dry runs and tests. Secrets in it (the `Authorization` and API-key headers)
    /// are marked sensitive.
    pub async fn signed_request<O: Operation>(
        &self,
        mut input: O,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        let prepared = self.ready(&mut input)?;
        let credentials = self.inner.provider.credentials().await?;
        transport::request(
            &prepared,
            &credentials,
            (&self.inner.region, self.inner.clock.now()),
            &self.inner.client_source,
            &self.inner.signing,
        )
        .map(|req| req.map(|body| body.to_vec()))
    }

    async fn attempts<O: Operation>(&self, prepared: &Prepared) -> Result<O::Output, Error> {
        let retry = &self.inner.retry;
        let adaptive = self.inner.retry_mode == RetryMode::Adaptive;
        if adaptive && let Some(until) = self.throttled_until() {
            tokio::time::sleep_until(until).await;
        }
        let governor = self
            .inner
            .governor
            .as_ref()
            .filter(|_| O::NAME == crate::model::InvokeActStepInput::NAME);
        let mut attempt = 1;
        let mut throttles = 0;
        let mut throttled_since = None;
        let mut waited = Duration::ZERO;
        loop {
            if let Some(governor) = governor {
                waited += governor.acquire().await;
            }
            match self.attempt::<O>(prepared, attempt).await {
                Outcome::Done(result) => {
                    if O::NAME == crate::model::InvokeActStepInput::NAME && result.is_ok() {
                        self.inner
                            .steps
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    if let Some(governor) = governor.filter(|_| result.is_ok()) {
                        governor.passed();
                    }
                    crate::governor::Pacing::record(throttles > 0, waited);
                    return result;
                }
                // A throttled request was not processed: it is repeated until the throttle
                // timeout, without spending an attempt.
                Outcome::Retry(err @ Error::Throttling { .. }, retry_after) => {
                    if let Some(governor) = governor {
                        governor.throttled();
                    }
                    throttles += 1;
                    let wait = retry.delay(throttles.min(4), retry_after);
                    if adaptive {
                        self.throttle_for(wait);
                    }
                    let since = *throttled_since.get_or_insert_with(tokio::time::Instant::now);
                    // Retries turned off (`RetryConfig::disabled`) are off for throttling too.
                    if retry.max_attempts <= 1 || since.elapsed() >= self.inner.throttle_timeout {
                        crate::governor::Pacing::record(true, waited);
                        return Err(err);
                    }
                    waited += wait;
                    tracing::debug!(
                        throttles,
                        wait_ms = wait.as_millis() as u64,
                        "throttled; repeating"
                    );
                    tokio::time::sleep(wait).await;
                }
                Outcome::Retry(err, retry_after) => {
                    let wait = retry.delay(attempt, retry_after);
                    if adaptive && matches!(err, Error::Throttling { .. }) {
                        self.throttle_for(wait);
                    }
                    if attempt >= retry.max_attempts {
                        return Err(err);
                    }
                    tracing::debug!(attempt, error = %err, wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    /// Adaptive retries: when the last throttle's backoff ends, if it has not yet.
    fn throttled_until(&self) -> Option<tokio::time::Instant> {
        let until = (*self.inner.throttled_until.lock().ok()?)?;
        (until > tokio::time::Instant::now()).then_some(until)
    }

    /// Adaptive retries: holds back every call's first attempt for `wait`.
    fn throttle_for(&self, wait: Duration) {
        if let Ok(mut until) = self.inner.throttled_until.lock() {
            let end = tokio::time::Instant::now() + wait;
            *until = Some(until.map_or(end, |current| current.max(end)));
        }
    }

    /// One attempt: credentials → request (signed) → exchange → decoded answer or typed error,
    /// then whether it may be repeated (retry.rs decides).
    async fn attempt<O: Operation>(&self, prepared: &Prepared, attempt: u32) -> Outcome<O::Output> {
        // Credentials or a request that cannot be had would fail the same way again.
        let credentials = match self.credentials_for_attempt().await {
            Ok(credentials) => credentials,
            Err(err) => return Outcome::Done(Err(err)),
        };
        let request = match self.request::<O>(prepared, &credentials) {
            Ok(request) => request,
            Err(err) => return Outcome::Done(Err(err)),
        };
        let started = Instant::now();
        let sent = self.exchange(request).await;
        let latency_ms = started.elapsed().as_millis() as u64;
        match self.decode::<O>(sent, &credentials, attempt, latency_ms) {
            (Ok(output), _) => Outcome::Done(Ok(output)),
            (Err(err), unsent) => match crate::retry::retryable(&err, O::RETRY, unsent) {
                Some(wait) => Outcome::Retry(err, wait),
                None => Outcome::Done(Err(err)),
            },
        }
    }

    /// The credentials for an attempt: asked on every attempt, so refreshed credentials are
    /// picked up mid-run, and of the kind the client was built for.
    async fn credentials_for_attempt(&self) -> Result<Credentials, Error> {
        let inner = &self.inner;
        let credentials = inner.provider.credentials().await?;
        if credentials.mode() != inner.mode {
            return Err(Error::Credentials(nova_auth::CredentialsError::provider(
                "client",
                format!(
                    "the client was built for {} but its provider returned {} credentials",
                    inner.mode,
                    credentials.mode()
                ),
            )));
        }
        Ok(credentials)
    }

    /// The request of an attempt, credentials applied, ready for the HTTP client.
    fn request<O: Operation>(
        &self,
        prepared: &Prepared,
        credentials: &Credentials,
    ) -> Result<reqwest::Request, Error> {
        let inner = &self.inner;
        let request = transport::request(
            prepared,
            credentials,
            (&inner.region, inner.clock.now()),
            &inner.client_source,
            &inner.signing,
        )?;
        reqwest::Request::try_from(request).map_err(|err| Error::Encode {
            operation: O::NAME,
            message: format!("the HTTP request is not valid ({err})"),
        })
    }

    /// Sends `request` and reads the whole answer, within the attempt timeout.
    async fn exchange(&self, request: reqwest::Request) -> Sent {
        let inner = &self.inner;
        let exchange = async {
            let mut response = inner.http.execute(request).await?;
            let status = response.status().as_u16();
            let headers = std::mem::take(response.headers_mut());
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        };
        match inner.attempt_timeout {
            Some(limit) => match tokio::time::timeout(limit, exchange).await {
                Ok(result) => Sent::Done(result),
                Err(_) => Sent::TimedOut(limit),
            },
            None => Sent::Done(exchange.await),
        }
    }

    /// What an exchange amounts to: the typed output, or the typed error and whether the
    /// request cannot have reached the service.
    fn decode<O: Operation>(
        &self,
        sent: Sent,
        credentials: &Credentials,
        attempt: u32,
        latency_ms: u64,
    ) -> (Result<O::Output, Error>, bool) {
        let (status, headers, body) = match sent {
            Sent::TimedOut(limit) => {
                tracing::debug!(attempt, latency_ms, "attempt timed out");
                let err = Error::Timeout {
                    operation: O::NAME,
                    after: limit,
                };
                return (Err(err), false);
            }
            Sent::Done(Err(err)) => {
                tracing::debug!(attempt, latency_ms, error = %err, "attempt failed to send");
                // A refused connection cannot have reached the service.
                let unsent = err.is_connect();
                let err = Error::Transport {
                    operation: O::NAME,
                    endpoint: self.inner.endpoint.url().to_owned(),
                    source: Box::new(err),
                };
                return (Err(err), unsent);
            }
            Sent::Done(Ok(answer)) => answer,
        };
        let request_id = transport::request_id(&headers);
        tracing::debug!(
            attempt,
            status,
            request_id = request_id.as_deref().unwrap_or("-"),
            latency_ms,
            "answer"
        );
        if (200..300).contains(&status) {
            let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
                b"{}"
            } else {
                &body
            };
            let output = serde_json::from_slice(body).map_err(|err| Error::InvalidResponse {
                operation: O::NAME,
                status,
                request_id,
                message: format!("{err} (the body was {} bytes)", body.len()),
            });
            return (output, false);
        }
        let key_source = credentials
            .as_api_key()
            .map(|key| describe_key_source(key.source()));
        let err = transport::service_error(O::NAME, status, &headers, &body, key_source.as_deref());
        (Err(err), false)
    }
}

/// How an exchange ended.
enum Sent {
    /// The answer (status, headers, body), or the HTTP client's failure.
    Done(Result<(u16, http::HeaderMap, bytes::Bytes), reqwest::Error>),
    /// No whole answer within the attempt timeout.
    TimedOut(Duration),
}

fn describe_key_source(source: &nova_auth::Source) -> String {
    match source {
        nova_auth::Source::Environment => "NOVA_ACT_API_KEY".to_owned(),
        other => other.to_string(),
    }
}

/// The typed calls, one per operation, each `name(input)` with the operation's input (or anything
/// that converts into it, such as a definition's name), all through [`Client::send`].
macro_rules! calls {
    ($($(#[$doc:meta])* $method:ident => $input:ty;)+) => {
        impl Client {
            $(
                $(#[$doc])*
                pub async fn $method(
                    &self,
                    input: impl Into<$input>,
                ) -> Result<<$input as Operation>::Output, Error> {
                    self.send(input.into()).await
                }
            )+
        }
    };
}

crate::with_operations!(calls);

/// The items of one page and the token of the next.
type Page<T> = (Vec<T>, Option<String>);

/// A stream of every item of a List operation, following `nextToken` page by page.
fn paginate<I, T>(
    client: &Client,
    input: I,
    set_token: fn(&mut I, Option<String>),
    split: fn(I::Output) -> Page<T>,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    I: Operation + Clone + 'static,
    T: Send + 'static,
{
    let client = client.clone();
    stream::try_unfold(Some(input), move |next| {
        let client = client.clone();
        async move {
            let Some(input) = next else {
                return Ok::<_, Error>(None);
            };
            let page = client.send(input.clone()).await?;
            let (items, token) = split(page);
            let next = token.filter(|t| !t.is_empty()).map(|token| {
                let mut input = input;
                set_token(&mut input, Some(token));
                input
            });
            Ok(Some((
                stream::iter(items.into_iter().map(Ok::<T, Error>)),
                next,
            )))
        }
    })
    .try_flatten()
    .boxed()
}

/// Every item of the List operations, as streams.
impl Client {
    /// Every workflow definition.
    pub fn workflow_definitions(
        &self,
        input: ListWorkflowDefinitionsInput,
    ) -> impl Stream<Item = Result<WorkflowDefinitionSummary, Error>> + Send + 'static {
        paginate(
            self,
            input,
            |input, token| input.next_token = token,
            |page| (page.workflow_definition_summaries, page.next_token),
        )
    }

    /// Every run of a workflow definition.
    pub fn workflow_runs(
        &self,
        input: ListWorkflowRunsInput,
    ) -> impl Stream<Item = Result<WorkflowRunSummary, Error>> + Send + 'static {
        paginate(
            self,
            input,
            |input, token| input.next_token = token,
            |page| (page.workflow_run_summaries, page.next_token),
        )
    }

    /// Every session of a run.
    pub fn sessions(
        &self,
        input: ListSessionsInput,
    ) -> impl Stream<Item = Result<SessionSummary, Error>> + Send + 'static {
        paginate(
            self,
            input,
            |input, token| input.next_token = token,
            |page| (page.session_summaries, page.next_token),
        )
    }

    /// Every act matching the filters.
    pub fn acts(
        &self,
        input: ListActsInput,
    ) -> impl Stream<Item = Result<ActSummary, Error>> + Send + 'static {
        paginate(
            self,
            input,
            |input, token| input.next_token = token,
            |page| (page.act_summaries, page.next_token),
        )
    }
}
