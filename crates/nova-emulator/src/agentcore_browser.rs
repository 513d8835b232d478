//! Amazon Bedrock AgentCore Browser, played locally: the session API at its real paths, one
//! headless Chromium per session, and each session's automation stream relayed to that
//! Chromium's DevTools pipe. Calls and the stream's handshake are SigV4-checked for
//! `bedrock-agentcore` and authorized on the session's browser like the service does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use nova_browser::{BrowserBuilder, DevTools, HostedBrowser};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};

use crate::error::{ServiceError, set_request_id};
use crate::server::{Shared, authenticate, authorize, query};

/// The service name requests and the stream's handshake are signed for.
pub(crate) const SIGNING_NAME: &str = "bedrock-agentcore";
/// Browser sessions that may run at once unless [`crate::EmulatorBuilder::browser_session_quota`]
/// says otherwise.
pub const DEFAULT_SESSION_QUOTA: usize = 16;
/// The session timeout when the start request names none, in seconds.
const DEFAULT_TIMEOUT: u64 = 3600;
/// The longest session timeout, in seconds.
const MAX_TIMEOUT: u64 = 28_800;

/// Makes the builder each session's browser is launched from.
pub(crate) type Launcher = Arc<dyn Fn() -> BrowserBuilder + Send + Sync>;

/// The sessions of every browser, and how to launch one.
pub(crate) struct Browsers {
    inner: Arc<Inner>,
}

struct Inner {
    quota: usize,
    launcher: Launcher,
    state: Mutex<State_>,
}

#[derive(Default)]
struct State_ {
    sessions: HashMap<String, Session>,
    /// Sessions being started: they count against the quota already.
    starting: usize,
    /// Sessions ever started.
    started: usize,
}

struct Session {
    browser: String,
    id: String,
    name: String,
    client_token: Option<String>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    timeout: u64,
    viewport: (u32, u32),
    /// The Chromium, until the session ends.
    hosted: Option<HostedBrowser>,
    /// Its DevTools, relayed to whichever client is connected.
    stream: Option<Relay>,
    /// True once the session ended (stopped, timed out, or the emulator shut down).
    ended: watch::Sender<bool>,
}

impl Session {
    fn ready(&self) -> bool {
        self.hosted.is_some()
    }

    fn status(&self) -> &'static str {
        if self.ready() { "READY" } else { "TERMINATED" }
    }
}

/// One session's DevTools pipe, pumped by its own task so the browser is never left blocked
/// writing while no client is connected; messages for nobody are dropped.
#[derive(Clone)]
struct Relay {
    to_browser: mpsc::UnboundedSender<String>,
    client: Arc<Mutex<Option<mpsc::UnboundedSender<String>>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Relay {
    fn start(mut devtools: DevTools) -> Self {
        let (to_browser, mut commands) = mpsc::unbounded_channel::<String>();
        let client: Arc<Mutex<Option<mpsc::UnboundedSender<String>>>> = Arc::default();
        let relay = Self {
            to_browser,
            client: Arc::clone(&client),
        };
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    command = commands.recv() => match command {
                        Some(command) => {
                            if devtools.send(command).await.is_err() {
                                break;
                            }
                        }
                        None => break,
                    },
                    message = devtools.next() => match message {
                        Some(Ok(message)) => {
                            if let Some(client) = lock(&client).as_ref() {
                                let _ = client.send(message);
                            }
                        }
                        _ => break,
                    },
                }
            }
            // The browser is gone: the connected client's stream ends.
            lock(&client).take();
        });
        relay
    }
}

impl Browsers {
    pub(crate) fn new(quota: usize, launcher: Launcher) -> Self {
        Self {
            inner: Arc::new(Inner {
                quota,
                launcher,
                state: Mutex::new(State_::default()),
            }),
        }
    }

    /// Sessions still running.
    pub(crate) fn running(&self) -> Vec<String> {
        let state = lock(&self.inner.state);
        let mut ids: Vec<String> = state
            .sessions
            .values()
            .filter(|s| s.ready())
            .map(|s| s.id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// How many sessions were ever started.
    pub(crate) fn started(&self) -> usize {
        lock(&self.inner.state).started
    }

    /// The process ids of the sessions' browsers.
    pub(crate) fn pids(&self) -> Vec<u32> {
        let state = lock(&self.inner.state);
        state
            .sessions
            .values()
            .filter_map(|s| s.hosted.as_ref()?.pid())
            .collect()
    }

    /// Resolves once session `id` has ended (at once when it is unknown or over).
    pub(crate) fn ended(&self, id: &str) -> impl Future<Output = ()> + use<> {
        let receiver = lock(&self.inner.state)
            .sessions
            .get(id)
            .map(|s| s.ended.subscribe());
        async move {
            if let Some(mut receiver) = receiver {
                let _ = receiver.wait_for(|ended| *ended).await;
            }
        }
    }

    /// Ends every session: the emulator is shutting down.
    pub(crate) async fn stop_all(&self) {
        let ids: Vec<String> = lock(&self.inner.state).sessions.keys().cloned().collect();
        for id in ids {
            end(&self.inner, &id).await;
        }
    }
}

/// Ends session `id`: its browser is killed and its folders removed, and it reads TERMINATED.
async fn end(inner: &Inner, id: &str) -> Option<OffsetDateTime> {
    let (hosted, updated) = {
        let mut state = lock(&inner.state);
        let session = state.sessions.get_mut(id)?;
        let hosted = session.hosted.take();
        session.stream = None;
        if hosted.is_some() {
            session.updated_at = OffsetDateTime::now_utc();
        }
        (hosted, session.updated_at)
    };
    if let Some(hosted) = hosted {
        hosted.stop().await;
        tracing::info!(
            session_id = id,
            "browser session ended; its Chromium is stopped"
        );
    }
    if let Some(session) = lock(&inner.state).sessions.get(id) {
        session.ended.send_replace(true);
    }
    Some(updated)
}

/// The browser's ARN, which policies name.
fn browser_arn(shared: &Shared, browser: &str) -> String {
    format!(
        "arn:aws:bedrock-agentcore:{}:{}:browser/{browser}",
        shared.region, shared.account
    )
}

fn respond(result: Result<Value, ServiceError>, request_id: &str) -> Response {
    match result {
        Ok(value) => {
            let mut response = (StatusCode::OK, axum::Json(value)).into_response();
            set_request_id(&mut response, request_id, false);
            response
        }
        Err(err) => err.into_response_with(request_id, false),
    }
}

/// The session API: `/browsers/{browserIdentifier}/sessions/{start|get|stop|list}`.
pub(crate) async fn api(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    bytes: &Bytes,
    request_id: &str,
) -> Response {
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let (browser, verb) = match segments.as_slice() {
        ["browsers", browser, "sessions", verb] => (crate::server::decode(browser), *verb),
        _ => {
            return respond(
                Err(ServiceError::unknown_operation(method.as_str(), uri.path())),
                request_id,
            );
        }
    };
    let action = match (method.as_str(), verb) {
        ("PUT", "start") => "StartBrowserSession",
        ("GET", "get") => "GetBrowserSession",
        ("PUT", "stop") => "StopBrowserSession",
        ("POST", "list") => "ListBrowserSessions",
        _ => {
            return respond(
                Err(ServiceError::unknown_operation(method.as_str(), uri.path())),
                request_id,
            );
        }
    };
    let checked =
        authenticate(shared, method, uri, headers, bytes, SIGNING_NAME).and_then(|caller| {
            authorize(
                shared,
                &caller,
                &format!("{SIGNING_NAME}:{action}"),
                &browser_arn(shared, &browser),
            )
        });
    tracing::debug!(%method, path = uri.path(), action, "AgentCore Browser request");
    if let Err(err) = checked {
        return respond(Err(err), request_id);
    }
    let browsers = &shared.browsers;
    let result = match action {
        "StartBrowserSession" => start(shared, browsers, &browser, bytes).await,
        "GetBrowserSession" => session_id(uri).and_then(|id| get(shared, browsers, &browser, &id)),
        "StopBrowserSession" => match session_id(uri) {
            Ok(id) => stop(browsers, &browser, &id).await,
            Err(err) => Err(err),
        },
        _ => list(browsers, &browser, bytes),
    };
    respond(result, request_id)
}

fn session_id(uri: &Uri) -> Result<String, ServiceError> {
    query(uri, "sessionId")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ServiceError::field("sessionId", "is required"))
}

fn body<T: for<'de> Deserialize<'de> + Default>(bytes: &Bytes) -> Result<T, ServiceError> {
    if bytes.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|err| ServiceError::bad_body(err.to_string()))
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartInput {
    name: Option<String>,
    session_timeout_seconds: Option<i64>,
    view_port: Option<ViewPort>,
    client_token: Option<String>,
}

#[derive(Deserialize)]
struct ViewPort {
    width: i64,
    height: i64,
}

fn streams(shared: &Shared, browser: &str, id: &str) -> Value {
    let host = shared.host.as_str();
    json!({
        "automationStream": {
            "streamEndpoint": format!("ws://{host}/browser-streams/{browser}/sessions/{id}/automation"),
            "streamStatus": "ENABLED",
        },
        "liveViewStream": {
            "streamEndpoint": format!("http://{host}/browser-streams/{browser}/sessions/{id}/live-view"),
        },
    })
}

async fn start(
    shared: &Shared,
    browsers: &Browsers,
    browser: &str,
    bytes: &Bytes,
) -> Result<Value, ServiceError> {
    let input: StartInput = body(bytes)?;
    let timeout = input
        .session_timeout_seconds
        .map_or(Ok(DEFAULT_TIMEOUT), |t| {
            u64::try_from(t)
                .ok()
                .filter(|t| (1..=MAX_TIMEOUT).contains(t))
                .ok_or_else(|| {
                    ServiceError::field(
                        "sessionTimeoutSeconds",
                        format!("must be between 1 and {MAX_TIMEOUT}"),
                    )
                })
        })?;
    let viewport = match &input.view_port {
        None => nova_browser::DEFAULT_WINDOW,
        Some(ViewPort { width, height }) => {
            let width = u32::try_from(*width)
                .ok()
                .filter(|w| (800..=1920).contains(w))
                .ok_or_else(|| ServiceError::field("viewPort.width", "must be 800 to 1920"))?;
            let height = u32::try_from(*height)
                .ok()
                .filter(|h| (600..=1080).contains(h))
                .ok_or_else(|| ServiceError::field("viewPort.height", "must be 600 to 1080"))?;
            (width, height)
        }
    };
    if let Some(name) = &input.name
        && !(1..=100).contains(&name.chars().count())
    {
        return Err(ServiceError::field("name", "must be 1 to 100 characters"));
    }
    let inner = &browsers.inner;
    {
        let mut state = lock(&inner.state);
        if let Some(token) = &input.client_token
            && let Some(earlier) = state
                .sessions
                .values()
                .find(|s| s.browser == browser && s.client_token.as_ref() == Some(token))
        {
            return Ok(json!({
                "browserIdentifier": earlier.browser,
                "sessionId": earlier.id,
                "createdAt": rfc3339(earlier.created_at),
                "streams": streams(shared, &earlier.browser, &earlier.id),
            }));
        }
        let running = state.sessions.values().filter(|s| s.ready()).count() + state.starting;
        if running >= inner.quota {
            return Err(ServiceError::other(
                402,
                "ServiceQuotaExceededException",
                format!(
                    "The number of active browser sessions ({running}) has reached the quota of {}",
                    inner.quota
                ),
            ));
        }
        state.starting += 1;
    }
    let launched = (inner.launcher)()
        .window_size(viewport.0, viewport.1)
        .host()
        .await;
    let mut hosted = match launched {
        Ok(hosted) => hosted,
        Err(err) => {
            lock(&inner.state).starting -= 1;
            return Err(ServiceError::other(
                500,
                "InternalServerException",
                format!("the session's browser did not start: {err}"),
            ));
        }
    };
    let Some(devtools) = hosted.take_devtools() else {
        lock(&inner.state).starting -= 1;
        hosted.stop().await;
        return Err(ServiceError::other(
            500,
            "InternalServerException",
            "the session's browser has no DevTools connection",
        ));
    };
    let id: String = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .to_uppercase()
        .chars()
        .take(26)
        .collect();
    let now = OffsetDateTime::now_utc();
    let session = Session {
        browser: browser.to_owned(),
        id: id.clone(),
        name: input
            .name
            .unwrap_or_else(|| format!("browser-session-{}", &id[..8].to_lowercase())),
        client_token: input.client_token,
        created_at: now,
        updated_at: now,
        timeout,
        viewport,
        hosted: Some(hosted),
        stream: Some(Relay::start(devtools)),
        ended: watch::Sender::new(false),
    };
    {
        let mut state = lock(&inner.state);
        state.starting -= 1;
        state.started += 1;
        state.sessions.insert(id.clone(), session);
    }
    // The service ends a session at its timeout; so does the emulator.
    let weak: Weak<Inner> = Arc::downgrade(inner);
    let expiring = id.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(timeout)).await;
        if let Some(inner) = weak.upgrade() {
            tracing::info!(session_id = %expiring, "browser session timed out");
            end(&inner, &expiring).await;
        }
    });
    tracing::info!(session_id = %id, browser, timeout, "browser session started");
    Ok(json!({
        "browserIdentifier": browser,
        "sessionId": id,
        "createdAt": rfc3339(now),
        "streams": streams(shared, browser, &id),
    }))
}

/// The session `id` of `browser`, described by `describe`.
fn with_session<T>(
    browsers: &Browsers,
    browser: &str,
    id: &str,
    describe: impl FnOnce(&Session) -> T,
) -> Result<T, ServiceError> {
    let state = lock(&browsers.inner.state);
    state
        .sessions
        .get(id)
        .filter(|s| s.browser == browser)
        .map(describe)
        .ok_or_else(|| ServiceError::not_found("BrowserSession", id))
}

fn get(
    shared: &Shared,
    browsers: &Browsers,
    browser: &str,
    id: &str,
) -> Result<Value, ServiceError> {
    with_session(browsers, browser, id, |s| {
        json!({
            "browserIdentifier": s.browser,
            "sessionId": s.id,
            "name": s.name,
            "status": s.status(),
            "sessionTimeoutSeconds": s.timeout,
            "viewPort": { "width": s.viewport.0, "height": s.viewport.1 },
            "createdAt": rfc3339(s.created_at),
            "lastUpdatedAt": rfc3339(s.updated_at),
            "streams": streams(shared, &s.browser, &s.id),
        })
    })
}

async fn stop(browsers: &Browsers, browser: &str, id: &str) -> Result<Value, ServiceError> {
    with_session(browsers, browser, id, |_| ())?;
    let updated = end(&browsers.inner, id)
        .await
        .ok_or_else(|| ServiceError::not_found("BrowserSession", id))?;
    Ok(json!({
        "browserIdentifier": browser,
        "sessionId": id,
        "lastUpdatedAt": rfc3339(updated),
    }))
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    max_results: Option<usize>,
    next_token: Option<String>,
    status: Option<String>,
}

fn list(browsers: &Browsers, browser: &str, bytes: &Bytes) -> Result<Value, ServiceError> {
    let input: ListInput = body(bytes)?;
    let size = input.max_results.unwrap_or(10);
    if !(1..=100).contains(&size) {
        return Err(ServiceError::field("maxResults", "must be 1 to 100"));
    }
    if let Some(status) = &input.status
        && !matches!(status.as_str(), "READY" | "TERMINATED")
    {
        return Err(ServiceError::field("status", "must be READY or TERMINATED"));
    }
    let from = match &input.next_token {
        None => 0,
        Some(token) => token
            .parse::<usize>()
            .map_err(|_| ServiceError::field("nextToken", "is not a token this service gave"))?,
    };
    let state = lock(&browsers.inner.state);
    let mut matching: Vec<&Session> = state
        .sessions
        .values()
        .filter(|s| s.browser == browser)
        .filter(|s| {
            input
                .status
                .as_deref()
                .is_none_or(|want| s.status() == want)
        })
        .collect();
    matching.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let items: Vec<Value> = matching
        .iter()
        .skip(from)
        .take(size)
        .map(|s| {
            json!({
                "browserIdentifier": s.browser,
                "sessionId": s.id,
                "name": s.name,
                "status": s.status(),
                "createdAt": rfc3339(s.created_at),
                "lastUpdatedAt": rfc3339(s.updated_at),
            })
        })
        .collect();
    let mut answer = json!({ "items": items });
    if from + size < matching.len() {
        answer["nextToken"] = json!((from + size).to_string());
    }
    Ok(answer)
}

/// `GET /browser-streams/{browser}/sessions/{session}/automation`: the handshake is checked
/// (SigV4 for `bedrock-agentcore`, `ConnectBrowserAutomationStream` on the browser, a running
/// session, no other client), then the socket is relayed to the session's browser.
pub(crate) async fn automation(
    State(shared): State<Arc<Shared>>,
    Path((browser, id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let checked = authenticate(
        &shared,
        &method,
        &uri,
        &headers,
        &Bytes::new(),
        SIGNING_NAME,
    )
    .and_then(|caller| {
        authorize(
            &shared,
            &caller,
            &format!("{SIGNING_NAME}:ConnectBrowserAutomationStream"),
            &browser_arn(&shared, &browser),
        )
    })
    .and_then(|()| {
        with_session(&shared.browsers, &browser, &id, |s| s.stream.clone())?
            .ok_or_else(|| ServiceError::not_found("BrowserSession", &id))
    });
    let relay = match checked {
        Ok(relay) => relay,
        Err(err) => {
            tracing::debug!(session_id = %id, error = %err.name, "automation stream refused");
            return err.into_response_with(&request_id, false);
        }
    };
    let (to_client, from_browser) = mpsc::unbounded_channel::<String>();
    {
        let mut client = lock(&relay.client);
        if client.as_ref().is_some_and(|c| !c.is_closed()) {
            return ServiceError::conflict(
                "BrowserSession",
                &id,
                "another client is connected to this session's automation stream",
            )
            .into_response_with(&request_id, false);
        }
        *client = Some(to_client);
    }
    upgrade.on_upgrade(move |socket| connected(socket, relay, from_browser))
}

/// Relays one client's socket until either side closes.
async fn connected(
    mut socket: WebSocket,
    relay: Relay,
    mut from_browser: mpsc::UnboundedReceiver<String>,
) {
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if relay.to_browser.send(text.as_str().to_owned()).is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            outgoing = from_browser.recv() => match outgoing {
                Some(text) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                None => {
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
            },
        }
    }
    lock(&relay.client).take();
}
