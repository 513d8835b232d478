//! The Amazon Bedrock AgentCore Runtime's container contract, so a workflow program can be
//! deployed as a runtime: `POST /invocations` hands the JSON payload to your handler and returns
//! its JSON, `GET /ping` tells AgentCore whether work is running, and SIGTERM finishes what runs.

use std::fmt::Display;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use nova_act_core::runtime::Shutdown;
use nova_auth::Env;
use serde_json::{Value, json};

/// The port AgentCore sends invocations to.
pub const DEFAULT_PORT: u16 = 8080;
/// The variable that moves the port (for running several on one machine; `0` picks a free
/// one, which [`BoundRuntime::local_addr`] tells).
pub const PORT_VAR: &str = "PORT";
/// The header that names the invocation.
pub const REQUEST_HEADER: &str = "x-amzn-bedrock-agentcore-runtime-request-id";
/// The headers that carry the invocation's workload access token (AgentCore Identity), the
/// current name first.
pub(crate) const WORKLOAD_TOKEN_HEADERS: [&str; 2] = [
    "workloadaccesstoken",
    "x-amz-bedrock-agentcore-identity-wat",
];
/// The payload member whose string values are set over the environment of that invocation
/// (the name the Python SDK's handler reads).
pub const ENV_MEMBER: &str = "AC_HANDLER_ENV";
/// The payload member naming the workflow (its definition under IAM): what `nova-act workflow
/// invoke` adds to an object payload, as the Python SDK's CLI does.
pub const WORKFLOW_MEMBER: &str = "NOVA_ACT_WORKFLOW_NAME";
/// How long running invocations get to finish after SIGTERM, unless
/// [`Runtime::grace`] says otherwise.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(30);

type Answer = Pin<Box<dyn Future<Output = Result<Value, String>> + Send>>;
type Handler = Arc<dyn Fn(Invocation) -> Answer + Send + Sync>;

/// One call of `POST /invocations`, as the handler sees it.
#[derive(Debug)]
pub struct Invocation {
    payload: Value,
    session_id: Option<String>,
    request_id: Option<String>,
    user_id: Option<String>,
    workload_access_token: Option<nova_auth::Secret>,
    env: Env,
    shutdown: Shutdown,
}

impl Invocation {
    /// The JSON payload (without [`ENV_MEMBER`], which became [`Invocation::env`]).
    pub fn payload(&self) -> &Value {
        &self.payload
    }

    /// The runtime session (`X-Amzn-Bedrock-AgentCore-Runtime-Session-Id`): invocations of one
    /// session reach the same container.
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// The invocation's request id, when AgentCore sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The user the invocation was made for (`X-Amzn-Bedrock-AgentCore-Runtime-User-Id`), when
    /// the caller named one; [`Invocation::env`] carries it as `NOVA_ACT_USER_ID`.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The workload access token AgentCore Runtime issued for this invocation (header
    /// `WorkloadAccessToken`, or `X-Amz-Bedrock-AgentCore-Identity-WAT`), with which AgentCore
    /// Identity hands out the API key: `ApiKeyStore::agentcore_identity(..)
    /// .workload_access_token(..)`. [`Invocation::env`] carries it as
    /// `NOVA_ACT_WORKLOAD_ACCESS_TOKEN`, so `NOVA_ACT_API_KEY_AGENTCORE_PROVIDER` alone is enough.
    pub fn workload_access_token(&self) -> Option<&nova_auth::Secret> {
        self.workload_access_token.as_ref()
    }

    /// The environment for this invocation: the process's, with the payload's
    /// [`ENV_MEMBER`] values set over it. Build the Nova Act client from it
    /// (`AuthBuilder::env`, `ClientBuilder::env`) so values such as `NOVA_ACT_API_KEY` or
    /// `NOVA_ACT_WORKFLOW_DEFINITION` apply to this invocation only. The process environment
    /// itself is never changed: other invocations run beside this one.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// Triggered when the container is asked to stop (SIGTERM): hand it to
    /// `Workflow::shutdown`, so a running workflow ends its act and run as FAILED.
    pub fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }
}

/// Why the runtime could not serve.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// `PORT` is not a port number.
    #[error(
        "PORT is {value:?}; set it to a port number (0-65535, 0 for any free port), or unset it for 8080"
    )]
    Port {
        /// The value found.
        value: String,
    },
    /// The address could not be bound.
    #[error(
        "could not listen on {address}; is another process using the port? (set PORT to move it)"
    )]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("the runtime server stopped")]
    Serve(#[source] std::io::Error),
}

/// Serves `handler` on the AgentCore Runtime contract until SIGINT or SIGTERM: `0.0.0.0:8080`
/// (`PORT` moves it), `POST /invocations` and `GET /ping`.
///
/// ```no_run
/// use serde_json::json;
///
/// #[tokio::main]
/// async fn main() -> Result<(), nova_agentcore::ServeError> {
///     nova_agentcore::serve(|invocation| async move {
///         let name = invocation.payload()["name"].as_str().unwrap_or("world").to_owned();
///         Ok::<_, String>(json!({ "greeting": format!("hello, {name}") }))
///     })
///     .await
/// }
/// ```
pub async fn serve<H, Fut, E>(handler: H) -> Result<(), ServeError>
where
    H: Fn(Invocation) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, E>> + Send + 'static,
    E: Display,
{
    Runtime::new(handler).bind().await?.run().await
}

/// The runtime server's settings; [`serve`] takes the defaults.
#[must_use]
pub struct Runtime {
    handler: Handler,
    env: Env,
    address: Option<SocketAddr>,
    shutdown: Option<Shutdown>,
    grace: Duration,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("address", &self.address)
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// A server for `handler`. Its error becomes a 500 with `{"error": message}`.
    pub fn new<H, Fut, E>(handler: H) -> Self
    where
        H: Fn(Invocation) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, E>> + Send + 'static,
        E: Display,
    {
        let handler: Handler = Arc::new(move |invocation| {
            let answer = handler(invocation);
            Box::pin(async move { answer.await.map_err(|err| err.to_string()) })
        });
        Self {
            handler,
            env: Env::process(),
            address: None,
            shutdown: None,
            grace: DEFAULT_GRACE,
        }
    }

    nova_auth::setters! {
        /// Reads `PORT` and is the base of each invocation's environment (default: the process's).
        env(env: Env) => env = env;
        /// Listens on `address` instead of `0.0.0.0:PORT`.
        address(address: SocketAddr) => address = Some(address);
        /// Stops on `shutdown` instead of on SIGINT and SIGTERM.
        shutdown(shutdown: &Shutdown) => shutdown = Some(shutdown.clone());
        /// How long running invocations get to finish once stopping (default 30 s).
        grace(grace: Duration) => grace = grace;
    }

    /// Binds the address, so a caller can learn it before serving.
    pub async fn bind(self) -> Result<BoundRuntime, ServeError> {
        let address = match self.address {
            Some(address) => address,
            None => {
                let port = match self.env.get(PORT_VAR) {
                    None => DEFAULT_PORT,
                    Some(value) => value
                        .parse::<u16>()
                        .map_err(|_| ServeError::Port { value })?,
                };
                SocketAddr::from(([0, 0, 0, 0], port))
            }
        };
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| ServeError::Bind { address, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| ServeError::Bind { address, source })?;
        Ok(BoundRuntime {
            listener,
            local,
            shared: Arc::new(Shared {
                handler: self.handler,
                env: self.env,
                health: Mutex::new(Health::new()),
                shutdown: self.shutdown.unwrap_or_else(Shutdown::on_signals),
            }),
            grace: self.grace,
        })
    }
}

/// A runtime server that is listening.
#[derive(Debug)]
pub struct BoundRuntime {
    listener: tokio::net::TcpListener,
    local: SocketAddr,
    shared: Arc<Shared>,
    grace: Duration,
}

impl BoundRuntime {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Serves until the shutdown is triggered, then lets running invocations finish (within
    /// the grace period) and returns.
    pub async fn run(self) -> Result<(), ServeError> {
        let shutdown = self.shared.shutdown.clone();
        let app = Router::new()
            .route("/ping", axum::routing::get(ping))
            .route("/invocations", axum::routing::post(invoke))
            .with_state(Arc::clone(&self.shared));
        tracing::info!(address = %self.local, "AgentCore runtime contract served");
        let server = axum::serve(self.listener, app).with_graceful_shutdown({
            let shutdown = shutdown.clone();
            async move { shutdown.triggered().await }
        });
        let mut serving = tokio::spawn(async move { server.await });
        tokio::select! {
            served = &mut serving => {
                return served.map_or(Ok(()), |served| served.map_err(ServeError::Serve));
            }
            () = shutdown.triggered() => {}
        }
        tracing::info!(
            reason = shutdown.reason().unwrap_or("a shutdown"),
            "stopping: running invocations are finishing"
        );
        match tokio::time::timeout(self.grace, &mut serving).await {
            Ok(served) => served.map_or(Ok(()), |served| served.map_err(ServeError::Serve)),
            Err(_) => {
                serving.abort();
                tracing::warn!(grace = ?self.grace, "invocations still running after the grace period; stopping anyway");
                Ok(())
            }
        }
    }
}

struct Shared {
    handler: Handler,
    env: Env,
    health: Mutex<Health>,
    shutdown: Shutdown,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

/// What `/ping` says: busy while invocations run; the time changes only when the status does.
struct Health {
    running: usize,
    since: u64,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Health {
    fn new() -> Self {
        Self {
            running: 0,
            since: now_secs(),
        }
    }

    fn status(&self) -> &'static str {
        if self.running == 0 {
            "Healthy"
        } else {
            "HealthyBusy"
        }
    }
}

/// Counts an invocation as running until it ends, however it ends (returned, failed,
/// panicked, or its connection dropped).
struct Running(Arc<Shared>);

impl Running {
    fn start(shared: &Arc<Shared>) -> Self {
        let mut health = shared.health.lock().unwrap_or_else(PoisonError::into_inner);
        health.running += 1;
        if health.running == 1 {
            health.since = now_secs();
        }
        Self(Arc::clone(shared))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut health = self.0.health.lock().unwrap_or_else(PoisonError::into_inner);
        health.running = health.running.saturating_sub(1);
        if health.running == 0 {
            health.since = now_secs();
        }
    }
}

async fn ping(State(shared): State<Arc<Shared>>) -> Response {
    let health = shared.health.lock().unwrap_or_else(PoisonError::into_inner);
    axum::Json(json!({
        "status": health.status(),
        "time_of_last_update": health.since,
    }))
    .into_response()
}

fn failure(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

async fn invoke(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut payload: Value = match serde_json::from_slice(&body) {
        Ok(payload) => payload,
        Err(err) => {
            return failure(
                StatusCode::BAD_REQUEST,
                json!({ "error": "Invalid JSON", "details": err.to_string() }),
            );
        }
    };
    let mut overrides: Vec<(String, String)> = Vec::new();
    if let Some(vars) = payload.as_object_mut().and_then(|o| o.remove(ENV_MEMBER)) {
        let Some(vars) = vars.as_object() else {
            return failure(
                StatusCode::BAD_REQUEST,
                json!({ "error": format!("{ENV_MEMBER} must be an object of strings") }),
            );
        };
        for (name, value) in vars {
            let Some(value) = value.as_str() else {
                return failure(
                    StatusCode::BAD_REQUEST,
                    json!({ "error": format!("{ENV_MEMBER}.{name} must be a string") }),
                );
            };
            overrides.push((name.clone(), value.to_owned()));
        }
    }
    // Names only: the values are often secrets (NOVA_ACT_API_KEY, AWS keys).
    let names: Vec<&str> = overrides.iter().map(|(name, _)| name.as_str()).collect();
    let session_id = header(crate::SESSION_HEADER);
    let request_id = header(REQUEST_HEADER);
    tracing::info!(session_id, request_id, env = ?names, "invocation");
    let workload_access_token = WORKLOAD_TOKEN_HEADERS.into_iter().find_map(header);
    if let Some(token) = &workload_access_token {
        overrides.push((
            nova_auth::env::WORKLOAD_ACCESS_TOKEN.to_owned(),
            token.clone(),
        ));
    }
    // The user the invocation is made for: where no runtime issued a token (a local run), the
    // workflow asks for one for this user.
    let user_id = header(crate::USER_HEADER);
    if let Some(user) = &user_id {
        overrides.push((nova_auth::env::USER_ID.to_owned(), user.clone()));
    }
    let workload_access_token = workload_access_token.map(nova_auth::Secret::new);
    let env = if overrides.is_empty() {
        shared.env.clone()
    } else {
        shared.env.with_vars(overrides)
    };
    let invocation = Invocation {
        payload,
        session_id,
        request_id,
        user_id,
        workload_access_token,
        env,
        shutdown: shared.shutdown.clone(),
    };
    let span = nova_act_core::telemetry::invocation(
        invocation.session_id.as_deref(),
        invocation.request_id.as_deref(),
    );
    #[cfg(feature = "otel")]
    nova_act_core::telemetry::continue_trace(&span, &headers);
    let running = Running::start(&shared);
    let answer = {
        use futures_util::FutureExt;
        use tracing::Instrument;
        std::panic::AssertUnwindSafe((shared.handler)(invocation).instrument(span))
            .catch_unwind()
            .await
    };
    drop(running);
    match answer {
        Ok(Ok(value)) => axum::Json(value).into_response(),
        Ok(Err(message)) => {
            tracing::warn!(error = %message, "the invocation failed");
            failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": message }),
            )
        }
        Err(_) => failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({ "error": "the handler panicked" }),
        ),
    }
}
