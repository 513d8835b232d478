//! A local Amazon Nova Act service, for developing and testing workflows with no AWS account and
//! no network.
//!
//! - Every operation at the real paths, with the real success codes, JSON shapes and error
//!   shapes (`x-amzn-ErrorType`, a JSON body with `message` and the modelled fields,
//!   `x-amzn-RequestId`), and the API-key service under `/agent/…`.
//! - Every request is authenticated: SigV4 recomputed with `aws-sigv4` from the request as
//!   received and compared in constant time, or the API key. An access key may carry an IAM-style
//!   policy.
//! - InvokeActStep is answered by a [`Planner`]; the default [`ScriptedPlanner`] follows scripts
//!   and otherwise observes the page and returns its URL.
//! - STS `GetCallerIdentity`, `AssumeRole` and `AssumeRoleWithWebIdentity` at `POST /`, and the
//!   SSO portal's `GetRoleCredentials`: the temporary keys they issue carry a session token and
//!   their role, and are accepted until they expire. Profiles with `role_arn`, web identity
//!   (EKS IRSA) and IAM Identity Center work offline (`AWS_ENDPOINT_URL_STS`,
//!   `AWS_ENDPOINT_URL_SSO`).
//!
//! - Amazon Bedrock AgentCore Browser: Start/Get/Stop/ListBrowserSessions at the service's
//!   paths, SigV4-checked for `bedrock-agentcore` (the automation stream's handshake too) and
//!   authorized on `bedrock-agentcore:*` actions; each session is a local headless Chromium whose
//!   DevTools pipe the automation stream is relayed to. Stopping a session, its timeout and the
//!   emulator's shutdown kill it; a quota refuses sessions past a limit.
//!
//! It is a development tool for loopback use, not a production service.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let emulator = nova_emulator::Emulator::builder().start().await?;
//! println!("Nova Act on {} for key {}", emulator.url(), emulator.access_key().access_key_id);
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod agentcore_browser;
mod error;
mod identity;
mod key_stores;
mod planner;
mod policy;
mod quotas;
mod record;
mod s3;
mod server;
mod sigv4;
mod store;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::DefaultBodyLimit;

pub use agentcore_browser::DEFAULT_SESSION_QUOTA;
pub use error::ServiceError;
pub use nova_act_core::auth::{Clock, ManualClock};
pub use planner::{ActView, Planner, ScriptedPlanner, call};
pub use policy::Policy;
pub use quotas::{Quotas, StepLatency};
pub use record::RecordedRequest;
pub use sigv4::AccessKey;
pub use store::{ActState, Created, MODEL_ALIAS, MODEL_ALIASES, MODEL_ID, MODEL_PREVIEW_ALIAS};

/// The account every resource belongs to.
pub const ACCOUNT_ID: &str = "123456789012";
/// The largest request body accepted (observations carry screenshots).
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Settings for an emulator.
pub struct EmulatorBuilder {
    keys: Vec<AccessKey>,
    api_keys: Vec<String>,
    key_stores: key_stores::KeyStores,
    recorder: record::Recorder,
    policies: Vec<(String, Policy)>,
    trust: identity::Trust,
    planner: Arc<dyn Planner>,
    region: String,
    open: bool,
    drop_first_create_response: bool,
    browser_quota: usize,
    launcher: agentcore_browser::Launcher,
    quotas: Quotas,
    step_latency: StepLatency,
    seed: Option<u64>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("keys", &self.keys.len())
            .field("api_keys", &self.api_keys.len())
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// A fresh access key: `AKIA` + 16 characters, with a random secret.
pub fn generate_access_key() -> AccessKey {
    let id: String = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .to_uppercase()
        .chars()
        .take(16)
        .collect();
    AccessKey {
        access_key_id: format!("AKIA{id}"),
        secret_access_key: uuid::Uuid::new_v4().simple().to_string(),
        session_token: None,
        arn: format!("arn:aws:iam::{ACCOUNT_ID}:user/nova-emulator"),
    }
}

/// A fresh API key: 36 characters, as nova.amazon.com makes them.
pub fn generate_api_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            keys: Vec::new(),
            api_keys: Vec::new(),
            key_stores: key_stores::KeyStores::default(),
            recorder: record::Recorder::default(),
            policies: Vec::new(),
            trust: identity::Trust::default(),
            planner: Arc::new(ScriptedPlanner::new()),
            region: "us-east-1".to_owned(),
            open: false,
            drop_first_create_response: false,
            browser_quota: DEFAULT_SESSION_QUOTA,
            launcher: Arc::new(|| nova_browser::Browser::builder().headless(true)),
            quotas: Quotas::service(),
            step_latency: StepLatency::default(),
            seed: None,
            clock: Arc::new(nova_act_core::auth::SystemClock),
        }
    }
}

impl EmulatorBuilder {
    nova_act_core::auth::setters! {
        /// The request rates allowed per caller (an AWS account, or an API key): the service's by
        /// default ([`Quotas::service`]: 5 InvokeActStep and 100 of every other operation per
        /// second); a call beyond them is refused with 429 `ThrottlingException`, as the service
        /// refuses it. Tests that measure beyond the quota say so with [`Quotas::unlimited`].
        ///
        /// ```
        /// # async fn example() -> std::io::Result<()> {
        /// use nova_emulator::{Emulator, Quotas};
        ///
        /// // A load test of the SDK, not of the quota: the emulator must not be the bottleneck.
        /// let emulator = Emulator::builder().quotas(Quotas::unlimited()).start().await?;
        /// # drop(emulator); Ok(()) }
        /// ```
        quotas(quotas: Quotas) => quotas = quotas;
        /// How long each InvokeActStep takes to answer: the model's think time (default none), so
        /// that many acts at once meet the quota as they do in production.
        step_latency(latency: StepLatency) => step_latency = latency;
        /// The clock runs and acts time out by (the system's by default): an act still open after
        /// 24 hours, or a run after a week, ends `TIMED_OUT` as the service ends it. A
        /// [`ManualClock`] lets a test cross those without waiting. Only timeouts and the
        /// timestamps the service reports follow it; signatures are checked against the real time.
        ///
        /// ```
        /// # async fn example() -> std::io::Result<()> {
        /// use std::time::SystemTime;
        /// use nova_emulator::{Emulator, ManualClock};
        ///
        /// let clock = ManualClock::new(SystemTime::now());
        /// let emulator = Emulator::builder().clock(clock.clone()).start().await?;
        /// // … create a run and an act, then:
        /// clock.advance(nova_act_core::limits::ACT_TIMEOUT);
        /// // the act is now TIMED_OUT.
        /// # drop(emulator); Ok(()) }
        /// ```
        clock(clock: impl Clock + 'static) => clock = Arc::new(clock);
        /// The seed latencies drawn from a range use, for runs that repeat exactly.
        seed(seed: u64) => seed = Some(seed);
    }

    /// Accepts requests signed with `key`. Without any, one is generated.
    #[must_use]
    pub fn access_key(mut self, key: AccessKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Accepts this API key. Without any, one is generated.
    #[must_use]
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_keys.push(key.into());
        self
    }

    /// A Secrets Manager secret `name` holding `value` (its ARN is `name`, `-` and six letters,
    /// as the service makes it), read with `secretsmanager:GetSecretValue`.
    #[must_use]
    pub fn secret(self, name: &str, value: &str) -> Self {
        self.key_stores.set(key_stores::Kind::Secret, name, value);
        self
    }

    /// An SSM parameter `name` (a SecureString) holding `value`, read with `ssm:GetParameter`.
    #[must_use]
    pub fn parameter(self, name: &str, value: &str) -> Self {
        self.key_stores
            .set(key_stores::Kind::Parameter, name, value);
        self
    }

    /// An AgentCore Identity API-key credential provider `provider` holding `key`, read with
    /// `bedrock-agentcore:GetResourceApiKey` and a workload access token the emulator issued.
    #[must_use]
    pub fn identity_api_key(self, provider: &str, key: &str) -> Self {
        self.key_stores
            .set(key_stores::Kind::IdentityApiKey, provider, key);
        self
    }

    /// Keeps every request it receives (method, path, status, body) for
    /// [`RunningEmulator::recorded`]: the proof, in a test, that a value never reached the
    /// service.
    #[must_use]
    pub fn record_requests(mut self) -> Self {
        self.recorder = self.recorder.in_memory();
        self
    }

    /// Appends every request it receives to `path` as JSON Lines (`{"at", "method", "path",
    /// "status", "body"}`); a new file is created 0600.
    pub fn record_to(mut self, path: &std::path::Path) -> std::io::Result<Self> {
        self.recorder = self.recorder.into_file(path)?;
        Ok(self)
    }

    /// Limits what `access_key_id` may do. Keys without a policy may do everything.
    #[must_use]
    pub fn policy(mut self, access_key_id: impl Into<String>, policy: Policy) -> Self {
        self.policies.push((access_key_id.into(), policy));
        self
    }

    /// Holds sessions of the role `name` (from AssumeRole, AssumeRoleWithWebIdentity or the SSO
    /// portal) to `policy`. Roles not named here can be assumed too, without limits, unless
    /// [`only_named_roles`](Self::only_named_roles) is set.
    #[must_use]
    pub fn role(mut self, name: impl Into<String>, policy: Policy) -> Self {
        self.trust.roles.push((name.into(), policy));
        self
    }

    /// Refuses to start sessions of roles not given with [`role`](Self::role): the emulator's
    /// stand-in for a trust policy.
    #[must_use]
    pub fn only_named_roles(mut self) -> Self {
        self.trust.only_named_roles = true;
        self
    }

    /// Accepts only these web identity tokens in AssumeRoleWithWebIdentity (repeatable).
    /// Without any, every token is accepted: the emulator cannot check an identity provider.
    #[must_use]
    pub fn web_identity_token(mut self, token: impl Into<String>) -> Self {
        self.trust.web_identity_tokens.push(token.into());
        self
    }

    /// Accepts only these bearer tokens at the SSO portal (repeatable). Without any, every
    /// token is accepted.
    #[must_use]
    pub fn sso_access_token(mut self, token: impl Into<String>) -> Self {
        self.trust.sso_tokens.push(token.into());
        self
    }

    nova_act_core::auth::setters! {
        /// Answers InvokeActStep with `planner`.
        planner(planner: impl Planner) => planner = Arc::new(planner);
        /// The region signatures must be scoped to (default `us-east-1`).
        region(region: impl Into<String>) => region = region.into();
    }

    /// Accepts requests without any authentication. Only for measuring the unsigned floor in
    /// benchmarks; never for anything that resembles the real service.
    #[must_use]
    pub fn without_authentication(mut self) -> Self {
        self.open = true;
        self
    }

    /// Fault injection: the first successful call of each create operation (definition, run,
    /// session, act) is carried out, but its response is lost — the connection breaks after the
    /// headers. A client that retries with the same `clientToken` must still end up with exactly
    /// one of each; [`RunningEmulator::created`] counts them.
    #[must_use]
    pub fn drop_first_create_response(mut self) -> Self {
        self.drop_first_create_response = true;
        self
    }

    /// How many AgentCore Browser sessions may run at once (default
    /// [`DEFAULT_SESSION_QUOTA`]); StartBrowserSession past it is refused with
    /// `ServiceQuotaExceededException`. Each session is a local Chromium.
    #[must_use]
    pub fn browser_session_quota(mut self, sessions: usize) -> Self {
        self.browser_quota = sessions;
        self
    }

    /// How each AgentCore Browser session's Chromium is launched (headless by default; the
    /// session's viewport becomes its window size). Called once per session.
    #[must_use]
    pub fn session_browser(
        mut self,
        launcher: impl Fn() -> nova_browser::BrowserBuilder + Send + Sync + 'static,
    ) -> Self {
        self.launcher = Arc::new(launcher);
        self
    }

    /// Serves on an ephemeral port of 127.0.0.1.
    pub async fn start(self) -> std::io::Result<RunningEmulator> {
        self.start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Serves on `addr`.
    pub async fn start_on(mut self, addr: SocketAddr) -> std::io::Result<RunningEmulator> {
        if self.keys.is_empty() {
            self.keys.push(generate_access_key());
        }
        if self.api_keys.is_empty() {
            self.api_keys.push(generate_api_key());
        }
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let shared = Arc::new(server::Shared {
            identities: identity::Identities::new(self.keys, self.policies, self.trust),
            sigv4: sigv4::Cache::default(),
            api_keys: identity::ApiKeys::new(self.api_keys),
            key_stores: self.key_stores,
            recorder: self.recorder,
            objects: s3::Objects::default(),
            planner: self.planner,
            region: self.region,
            account: ACCOUNT_ID.to_owned(),
            store: Mutex::new(store::Store::new(self.clock)),
            open: self.open,
            drop_first_create_response: self.drop_first_create_response,
            dropped: Mutex::new(Vec::new()),
            browsers: agentcore_browser::Browsers::new(self.browser_quota, self.launcher),
            host: local.to_string(),
            meter: quotas::Meter::new(self.quotas),
            step_latency: self.step_latency,
            latency_rng: Mutex::new(
                self.seed
                    .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed),
            ),
        });
        let app = Router::new()
            .route(
                "/browser-streams/{browser}/sessions/{session}/automation",
                axum::routing::get(agentcore_browser::automation),
            )
            .fallback(server::handle)
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .with_state(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(err) = served {
                tracing::warn!(error = %err, "the emulator stopped");
            }
        });
        tracing::info!(url = %format!("http://{local}"), "nova emulator listening");
        Ok(RunningEmulator {
            url: format!("http://{local}"),
            addr: local,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// The entry point: settings, then [`EmulatorBuilder::start`].
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// Settings for an emulator.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// A serving emulator; stops when dropped or shut down.
#[derive(Debug)]
pub struct RunningEmulator {
    url: String,
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for server::Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl RunningEmulator {
    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The first access key it accepts.
    pub fn access_key(&self) -> &AccessKey {
        &self.shared.identities.own()[0]
    }

    /// The first API key it accepts.
    pub fn api_key(&self) -> &str {
        self.shared.api_keys.first()
    }

    /// A client of this emulator in `mode`: its first access key (IAM) or API key, its URL and
    /// region, and nothing read from the environment, so a test of your own workflow cannot
    /// pick up the machine's credentials. Build it as it is, or set more first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use nova_act_core::auth::AuthMode;
    ///
    /// let emulator = nova_emulator::Emulator::builder().start().await?;
    /// let client = emulator.client(AuthMode::Iam).build()?;
    /// let models = client.list_models(()).await?;
    /// assert!(!models.model_summaries.is_empty());
    /// # emulator.shutdown().await; Ok(()) }
    /// ```
    pub fn client(&self, mode: nova_act_core::auth::AuthMode) -> nova_act_core::ClientBuilder {
        use nova_act_core::auth::{ApiKey, AuthMode, Credentials, Source};
        let credentials: Credentials = match mode {
            AuthMode::ApiKey => ApiKey::new(self.api_key(), Source::Code).into(),
            _ => self.access_key().credentials(),
        };
        nova_act_core::Client::builder()
            .credentials_provider(credentials, mode)
            .endpoint_url(self.url())
            .region(self.region())
            .env(nova_act_core::auth::Env::empty())
    }

    /// The requests received so far, when [`EmulatorBuilder::record_requests`] asked.
    pub fn recorded(&self) -> Vec<RecordedRequest> {
        self.shared.recorder.recorded()
    }

    /// Changes secret `name` to `value` while the emulator runs (a rotation).
    pub fn set_secret(&self, name: &str, value: &str) {
        self.shared
            .key_stores
            .set(key_stores::Kind::Secret, name, value);
    }

    /// Changes parameter `name` to `value` while the emulator runs.
    pub fn set_parameter(&self, name: &str, value: &str) {
        self.shared
            .key_stores
            .set(key_stores::Kind::Parameter, name, value);
    }

    /// Changes the key of AgentCore Identity provider `provider` while the emulator runs.
    pub fn set_identity_api_key(&self, provider: &str, key: &str) {
        self.shared
            .key_stores
            .set(key_stores::Kind::IdentityApiKey, provider, key);
    }

    /// Accepts API key `key` from now on.
    pub fn accept_api_key(&self, key: &str) {
        self.shared.api_keys.add(key);
    }

    /// Refuses API key `key` from now on (HTTP 403), as nova.amazon.com refuses a deleted key.
    pub fn revoke_api_key(&self, key: &str) {
        self.shared.api_keys.revoke(key);
    }

    /// A workload access token for `workload`, as AgentCore Runtime hands one to each
    /// invocation; AgentCore Identity's `GetResourceApiKey` accepts it.
    pub fn workload_access_token(&self, workload: &str) -> String {
        key_stores::issue_token(&self.shared.key_stores, workload)
    }

    /// The ARN of secret `name`.
    pub fn secret_arn(&self, name: &str) -> String {
        key_stores::secret_arn(self.region(), ACCOUNT_ID, name)
    }

    /// The region signatures are scoped to.
    pub fn region(&self) -> &str {
        &self.shared.region
    }

    /// How many of each resource were ever created.
    pub fn created(&self) -> Created {
        self.shared.store().created
    }

    /// Every act, oldest first: its task and tools as the planner saw them, and how it ended
    /// (status and the error UpdateAct recorded).
    pub fn acts(&self) -> Vec<ActState> {
        self.shared.store().acts()
    }

    /// The create operations whose first response fault injection lost.
    pub fn lost_responses(&self) -> Vec<&'static str> {
        self.shared
            .dropped
            .lock()
            .map(|d| d.clone())
            .unwrap_or_default()
    }

    /// How many valid-looking signatures needed aws-sigv4's general canonicalization because
    /// the fast path (plain paths, queries and headers, cached signing keys) did not cover them
    /// or refused them. Every request the SDKs send takes the fast path.
    pub fn general_signature_checks(&self) -> u64 {
        self.shared.sigv4.general()
    }

    /// The AgentCore Browser sessions still running, by id.
    pub fn browser_sessions(&self) -> Vec<String> {
        self.shared.browsers.running()
    }

    /// How many AgentCore Browser sessions were ever started.
    pub fn browser_sessions_started(&self) -> usize {
        self.shared.browsers.started()
    }

    /// The process ids of the running sessions' Chromiums.
    pub fn browser_session_pids(&self) -> Vec<u32> {
        self.shared.browsers.pids()
    }

    /// Resolves once AgentCore Browser session `id` has ended: stopped, timed out, or shut
    /// down (at once for a session that is unknown or over).
    pub fn browser_session_ended(&self, id: &str) -> impl Future<Output = ()> + use<> {
        self.shared.browsers.ended(id)
    }

    /// Stops serving, ends every browser session (their Chromiums are killed) and waits for
    /// the server to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.shared.browsers.stop_all().await;
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The code in this crate's README, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadMe;
