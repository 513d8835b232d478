//! The client: every operation as a typed async call, retried and traced. The client decides
//! whether and when to try (`attempts`); each attempt goes through the transport's `Wire`,
//! from signing to the decoded answer. Settings are in `builder`, listings in `paginate`.

mod builder;
mod paginate;

pub use builder::{ClientBuilder, DEFAULT_THROTTLE_TIMEOUT, STEP_RATE_VAR};

use std::sync::Arc;
use std::time::Duration;

use nova_auth::{AuthMode, CredentialProvider, Credentials, SharedProvider};
use tracing::Instrument;

use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::model::CreateWorkflowDefinitionInput;
use crate::operation::Operation;
use crate::retry::{RetryConfig, RetryMode};
use crate::transport::{self, Prepared, Wire};

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
    /// How each attempt reaches the service.
    wire: Wire,
    provider: SharedProvider,
    mode: AuthMode,
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
    workflow_definition: Option<String>,
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
        &self.inner.wire.region
    }

    /// Where requests go.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.wire.endpoint
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
        self.inner.wire.attempt_timeout
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
        let span = crate::telemetry::call(O::NAME);
        let result = self.attempts::<O>(&prepared).instrument(span.clone()).await;
        if let Err(err) = &result {
            crate::telemetry::failed(&span, err.kind());
        }
        result
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
        transport::prepare(input, &self.inner.wire.endpoint)
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
        self.inner
            .wire
            .sign(&prepared, &credentials)
            .map(|req| req.map(|body| body.to_vec()))
    }

    async fn attempts<O: Operation>(&self, prepared: &Prepared) -> Result<O::Output, Error> {
        let retry = &self.inner.retry;
        let adaptive = self.inner.retry_mode == RetryMode::Adaptive;
        if adaptive && let Some(until) = self.throttled_until() {
            tokio::time::sleep_until(until).await;
        }
        let step = O::NAME == crate::model::InvokeActStepInput::NAME;
        let governor = self.inner.governor.as_ref().filter(|_| step);
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
                    if step && result.is_ok() {
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

    /// One attempt: the credentials of the moment, then the wire (sign, send, decode); then
    /// whether it may be repeated (retry.rs decides).
    async fn attempt<O: Operation>(&self, prepared: &Prepared, attempt: u32) -> Outcome<O::Output> {
        // Credentials that cannot be had would fail the same way again.
        let credentials = match self.credentials_for_attempt().await {
            Ok(credentials) => credentials,
            Err(err) => return Outcome::Done(Err(err)),
        };
        let mut sent = self
            .inner
            .wire
            .attempt::<O>(prepared, &credentials, attempt)
            .await;
        // A refused key may have been rotated at its store: the provider reads it again (rarely,
        // once for all callers) and the request goes once more with the new key.
        if let (Err(Error::ApiKeyRejected { .. }), _) = &sent
            && let Some(fresh) = self.inner.provider.refused(&credentials).await
            && fresh.mode() == self.inner.mode
        {
            tracing::debug!(source = %fresh.source(), "the API key was refused; sending again with the key read anew");
            sent = self
                .inner
                .wire
                .attempt::<O>(prepared, &fresh, attempt)
                .await;
        }
        match sent {
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

impl Client {
    /// Creates the workflow definition unless one of its name exists; `true` when it was
    /// created. It is read first, so that once it exists a caller allowed only to read and run
    /// needs no more; one created meanwhile by someone else (a Conflict) counts as existing.
    ///
    /// ```no_run
    /// # async fn example(client: nova_act_core::Client) -> Result<(), nova_act_core::Error> {
    /// use nova_act_core::model::CreateWorkflowDefinitionInput;
    ///
    /// let created = client
    ///     .ensure_workflow_definition(CreateWorkflowDefinitionInput {
    ///         name: "price-watch".into(),
    ///         ..Default::default()
    ///     })
    ///     .await?;
    /// println!("price-watch {}", if created { "created" } else { "exists" });
    /// # Ok(()) }
    /// ```
    pub async fn ensure_workflow_definition(
        &self,
        input: CreateWorkflowDefinitionInput,
    ) -> Result<bool, Error> {
        match self.get_workflow_definition(input.name.as_str()).await {
            Ok(_) => return Ok(false),
            Err(Error::ResourceNotFound { .. }) => {}
            Err(err) => return Err(err),
        }
        match self.create_workflow_definition(input).await {
            Ok(_) => Ok(true),
            Err(Error::Conflict { .. }) => Ok(false),
            Err(err) => Err(err),
        }
    }
}
