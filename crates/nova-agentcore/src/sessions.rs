//! Starting, attaching to and stopping remote browser sessions through AgentCore's session API,
//! on the credentials and region nova-auth settled.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use http::Method;
use nova_act_core::Retry;
use nova_act_core::runtime::Shutdown;
use nova_auth::{Auth, CredentialProvider, Env};
use nova_browser::{Browser, BrowserBuilder, Remote};

use crate::aws::{AwsClient, Call, Protocol, Service, encode};
use crate::error::SessionError;
use crate::options::SessionOptions;
use crate::stream::{SIGNING_NAME, automation_url, data_plane, sign_handshake};

/// The variable the AWS SDKs read for this service's endpoint.
pub const ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE";

/// Remote browser sessions on Amazon Bedrock AgentCore Browser, under the credentials and
/// region of an [`Auth`] (IAM mode).
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use nova_agentcore::{BrowserSessions, SessionOptions};
///
/// let auth = nova_auth::Auth::builder().mode(nova_auth::AuthMode::Iam).build().await?;
/// let sessions = BrowserSessions::builder(&auth).build()?;
/// let session = sessions.start(SessionOptions::new()).await?;
/// let browser = session.connect(nova_browser::Browser::builder()).await?;
/// // … run acts on `browser` …
/// session.stop().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct BrowserSessions {
    client: AwsClient,
    service: Service,
    auth: Auth,
    endpoint: String,
}

/// Settings for [`BrowserSessions`].
#[derive(Debug)]
#[must_use]
pub struct BrowserSessionsBuilder {
    auth: Auth,
    env: Option<Env>,
    endpoint: Option<String>,
    allow_http: bool,
}

impl BrowserSessions {
    /// Sessions under `auth`'s credentials and region.
    pub fn builder(auth: &Auth) -> BrowserSessionsBuilder {
        BrowserSessionsBuilder {
            auth: auth.clone(),
            env: None,
            endpoint: None,
            allow_http: false,
        }
    }

    /// The data-plane endpoint calls and streams go to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Starts a session with `options` (checked first: nothing is sent when they break a limit).
    pub async fn start(&self, options: SessionOptions) -> Result<RemoteSession, SessionError> {
        options.check()?;
        let (width, height) = options.viewport;
        let body = serde_json::json!({
            "name": options.name_or_generated(),
            "sessionTimeoutSeconds": options.timeout.as_secs(),
            "viewPort": {"width": width, "height": height},
            "clientToken": uuid::Uuid::new_v4().to_string(),
        });
        let path = format!("/browsers/{}/sessions/start", encode(&options.browser));
        let started = self
            .call(
                "StartBrowserSession",
                Call::rest_json(Method::PUT, path, &body, Retry::WithToken),
            )
            .await?;
        let field = |name: &str| {
            started[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| SessionError::Service {
                    action: "StartBrowserSession",
                    code: "MalformedAnswer".to_owned(),
                    message: format!("the answer has no `{name}`"),
                })
        };
        let (browser, id) = (field("browserIdentifier")?, field("sessionId")?);
        let session = RemoteSession(Arc::new(Inner {
            sessions: self.clone(),
            browser,
            id,
            viewport: options.viewport,
            stopped: AtomicBool::new(false),
        }));
        tracing::info!(session_id = %session.0.id, browser = %session.0.browser, "remote browser session started");
        Ok(session)
    }

    /// The session's status as the service reports it: `READY`, or `TERMINATED` once it was
    /// stopped or timed out.
    pub async fn status(&self, session: &RemoteSession) -> Result<String, SessionError> {
        let path = format!(
            "/browsers/{}/sessions/get?sessionId={}",
            encode(session.browser_identifier()),
            encode(session.id())
        );
        let got = self
            .call(
                "GetBrowserSession",
                Call::new(Method::GET, path, Retry::Safe),
            )
            .await?;
        Ok(got["status"].as_str().unwrap_or("UNKNOWN").to_owned())
    }

    /// The ids of the sessions of browser `browser` that are running (every page of
    /// ListBrowserSessions): what is left to stop, and what counts against the quota.
    pub async fn running(&self, browser: &str) -> Result<Vec<String>, SessionError> {
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        let path = format!("/browsers/{}/sessions/list", encode(browser));
        loop {
            let mut body = serde_json::json!({"status": "READY", "maxResults": 100});
            if let Some(token) = token {
                body["nextToken"] = token.into();
            }
            let page = self
                .call(
                    "ListBrowserSessions",
                    Call::rest_json(Method::POST, path.clone(), &body, Retry::Safe),
                )
                .await?;
            let items = page["items"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            ids.extend(
                items
                    .iter()
                    .filter_map(|s| Some(s["sessionId"].as_str()?.to_owned())),
            );
            token = page["nextToken"].as_str().map(str::to_owned);
            if token.is_none() {
                return Ok(ids);
            }
        }
    }

    /// One call of the session API: its answer, or its failure named for `action`.
    async fn call(
        &self,
        action: &'static str,
        call: Call,
    ) -> Result<serde_json::Value, SessionError> {
        self.client
            .json(&self.service, &call)
            .await
            .map_err(|err| err.into_session_error(action))
    }

    /// Starts a session, runs `body` with it, and stops the session whatever happens: when
    /// `body` returns, when it panics (the panic then goes on), and when `shutdown` is
    /// triggered (Ctrl-C or SIGTERM with [`Shutdown::on_signals`]), which ends `body` and
    /// returns [`SessionError::Interrupted`]. The stop is awaited in every case, so no
    /// session is left running on the service.
    pub async fn with_session<F, Fut, T>(
        &self,
        options: SessionOptions,
        shutdown: Option<&Shutdown>,
        body: F,
    ) -> Result<T, SessionError>
    where
        F: FnOnce(RemoteSession) -> Fut,
        Fut: Future<Output = T>,
    {
        let session = self.start(options).await?;
        guard(session.clone(), shutdown, body(session)).await
    }
}

/// Runs `work` on `session` and then stops the session, whatever happens (see
/// [`BrowserSessions::with_session`]).
pub(crate) async fn guard<T>(
    session: RemoteSession,
    shutdown: Option<&Shutdown>,
    work: impl Future<Output = T>,
) -> Result<T, SessionError> {
    use futures_util::FutureExt;
    // On the heap: `work` holds a browser and an act, and this future sits inside the caller's.
    let run = std::panic::AssertUnwindSafe(Box::pin(work)).catch_unwind();
    let outcome = match shutdown {
        Some(shutdown) => tokio::select! {
            biased;
            () = shutdown.triggered() => Err(shutdown.reason().unwrap_or("a shutdown").to_owned()),
            outcome = run => Ok(outcome),
        },
        None => Ok(run.await),
    };
    let stopped = session.stop().await;
    match outcome {
        Err(reason) => Err(SessionError::Interrupted {
            session_id: session.id().to_owned(),
            reason,
        }),
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Ok(Ok(value)) => {
            stopped?;
            Ok(value)
        }
    }
}

impl BrowserSessionsBuilder {
    nova_auth::setters! {
        /// Reads `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE`, `AWS_ENDPOINT_URL` and
        /// `NOVA_ACT_ALLOW_HTTP` from `env` instead of the process.
        env(env: Env) => env = Some(env);
        /// Sends the calls and the stream to `url` instead of the region's data plane.
        endpoint_url(url: impl Into<String>) => endpoint = Some(url.into());
        /// Allows `http://` beyond this machine (for a test rig you trust; credentials would travel
        /// in cleartext).
        allow_http(allow: bool) => allow_http = allow;
    }

    /// The client, once the endpoint passes the cleartext rule of every Nova Act call.
    pub fn build(self) -> Result<BrowserSessions, SessionError> {
        let env = self.env.unwrap_or_else(Env::process);
        let region = self.auth.region().name().to_owned();
        let endpoint = self
            .endpoint
            .or_else(|| env.get(ENDPOINT_VAR))
            .or_else(|| env.get("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| data_plane(&region));
        nova_act_core::endpoint::transport(&endpoint, self.allow_http || env.allows_http())
            .map_err(|err| SessionError::InvalidOptions {
                message: err.to_string(),
            })?;
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        Ok(BrowserSessions {
            client: AwsClient::new(&self.auth)
                .map_err(|err| err.into_session_error("an HTTP client"))?,
            service: Service::regional(
                "bedrock-agentcore",
                SIGNING_NAME,
                &region,
                Protocol::Json,
                Some(endpoint.clone()),
            ),
            auth: self.auth,
            endpoint,
        })
    }
}

/// A started remote browser session (clones share it). Stop it with [`RemoteSession::stop`],
/// or use [`BrowserSessions::with_session`], which always does. When the last clone is dropped
/// unstopped, a stop is spawned on the current Tokio runtime as a last resort (it cannot be
/// awaited, and a signal skips it); the service also ends the session at its timeout.
#[derive(Clone, Debug)]
pub struct RemoteSession(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    sessions: BrowserSessions,
    browser: String,
    id: String,
    viewport: (u32, u32),
    stopped: AtomicBool,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if self.stopped.load(Ordering::SeqCst) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(session_id = %self.id, "a remote browser session was dropped unstopped outside a runtime; the service ends it at its timeout");
            return;
        };
        tracing::warn!(session_id = %self.id, "a remote browser session was dropped unstopped; stopping it");
        let (sessions, browser, id) =
            (self.sessions.clone(), self.browser.clone(), self.id.clone());
        runtime.spawn(async move {
            let _ = stop(&sessions, &browser, &id).await;
        });
    }
}

/// StopBrowserSession for `id`.
async fn stop(sessions: &BrowserSessions, browser: &str, id: &str) -> Result<(), SessionError> {
    let path = format!(
        "/browsers/{}/sessions/stop?sessionId={}",
        encode(browser),
        encode(id)
    );
    let body = serde_json::json!({"clientToken": uuid::Uuid::new_v4().to_string()});
    sessions
        .client
        .send(
            &sessions.service,
            &Call::rest_json(Method::PUT, path, &body, Retry::WithToken),
        )
        .await
        .map_err(|err| err.into_session_error("StopBrowserSession"))?;
    tracing::info!(session_id = %id, "remote browser session stopped");
    Ok(())
}

/// A handshake IAM refused names the permission, like any other refused call.
fn refused_stream(err: nova_browser::BrowserError) -> SessionError {
    if let nova_browser::BrowserError::Connect { reason, .. } = &err
        && reason.contains("AccessDeniedException")
    {
        let message = reason
            .find('{')
            .and_then(|at| serde_json::from_str::<serde_json::Value>(&reason[at..]).ok())
            .and_then(|body| body.get("message")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| reason.clone());
        return SessionError::AccessDenied {
            action: "ConnectBrowserAutomationStream",
            message,
        };
    }
    SessionError::Browser(err)
}

impl RemoteSession {
    /// The session's id.
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The browser it runs on.
    pub fn browser_identifier(&self) -> &str {
        &self.0.browser
    }

    /// The automation stream's URL.
    pub fn automation_url(&self) -> Result<String, SessionError> {
        automation_url(&self.0.sessions.endpoint, &self.0.browser, &self.0.id)
    }

    /// Attaches `builder`'s actuator settings to the session's browser, over the automation
    /// stream, signed now with the current credentials (so a reconnect signs again). The
    /// session's viewport becomes the window size.
    pub async fn connect(&self, builder: BrowserBuilder) -> Result<Browser, SessionError> {
        let url = self.automation_url()?;
        let credentials = self.0.sessions.auth.credentials().await?;
        let Some(aws) = credentials.as_aws() else {
            return Err(SessionError::Signing(crate::error::SigningError {
                message: "remote browsers need AWS credentials (IAM mode), not an API key"
                    .to_owned(),
                source: None,
            }));
        };
        let region = self.0.sessions.auth.region().name().to_owned();
        let mut remote = Remote::new(&url)?.existing_page(true);
        for (name, value) in sign_handshake(&url, aws, &region, SystemTime::now())? {
            remote = remote.header(name, value);
        }
        tracing::debug!(session_id = %self.0.id, service = SIGNING_NAME, "connecting to the automation stream");
        builder
            .window_size(self.0.viewport.0, self.0.viewport.1)
            .connect(remote)
            .await
            .map_err(refused_stream)
    }

    /// Stops the session (and with it the remote browser); once, whichever clone asks.
    pub async fn stop(&self) -> Result<(), SessionError> {
        if self.0.stopped.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        stop(&self.0.sessions, &self.0.browser, &self.0.id).await
    }
}
