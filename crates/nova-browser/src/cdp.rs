//! A Chrome DevTools Protocol connection: numbered commands over one WebSocket, answers matched
//! by id, and the network activity that page settling watches.
//!
//! Messages are handled as `serde_json::Value`, so a Chromium that adds events or fields never
//! breaks the connection.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use nova_act_core::runtime::{Decision, UrlPolicy};

#[cfg(unix)]
use crate::channel::pipe;
use crate::channel::websocket;
use crate::error::BrowserError;

type Reply = oneshot::Sender<Result<Value, BrowserError>>;
/// Messages to the browser, one JSON text each.
pub(crate) type ToBrowser =
    std::pin::Pin<Box<dyn futures_util::Sink<String, Error = String> + Send>>;
/// Messages from the browser; the stream ends when the browser closes the connection.
pub(crate) type FromBrowser =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<String, String>> + Send>>;

/// Commands waiting for their answer; `closed` once the socket is gone.
#[derive(Default)]
struct Pending {
    waiting: HashMap<u64, (String, Reply)>,
    closed: Option<String>,
}

/// What the browser did that the actuator watches: requests in flight on every attached page
/// and when that last changed, and tabs that pages opened.
#[derive(Debug)]
pub(crate) struct Activity {
    /// Requests in flight, each with the session that announced it.
    inflight: HashMap<String, String>,
    changed: Instant,
    /// `(new tab, the tab that opened it)`, oldest first.
    opened: Vec<(String, String)>,
    /// The proxy's user name and password, answered to its challenges.
    proxy_auth: Option<(String, nova_auth::Secret)>,
    /// The URLs no request may reach, refused as each request pauses.
    policy: Option<Arc<UrlPolicy>>,
    /// URLs of requests refused by the policy, oldest first (the newest 100).
    refused: Vec<String>,
    /// The targets whose requests pause: our tabs, what they opened and started. `None` when
    /// every target of the browser is ours (one we launched).
    ours: Option<HashSet<String>>,
    /// Downloads begun (by guid: the name the page suggested) and finished (guid, name).
    downloading: HashMap<String, String>,
    downloaded: Vec<(String, String)>,
}

impl Activity {
    /// Whether targets must pause their requests: to answer the proxy's challenges, or to
    /// refuse what the URL policy blocks.
    fn pauses(&self) -> bool {
        self.proxy_auth.is_some() || self.policy.is_some()
    }

    /// How long the network has been quiet (zero while requests are in flight).
    pub(crate) fn quiet_for(&self) -> Duration {
        if self.inflight.is_empty() {
            self.changed.elapsed()
        } else {
            Duration::ZERO
        }
    }
}

/// One DevTools connection, shared by the browser and its pages.
pub(crate) struct Connection {
    outgoing: mpsc::UnboundedSender<String>,
    pending: Arc<Mutex<Pending>>,
    activity: Arc<Mutex<Activity>>,
    next_id: Arc<AtomicU64>,
    timeout: Duration,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Connection {
    /// Connects to the browser endpoint `url` (`ws://127.0.0.1:…/devtools/browser/…`, or a
    /// `wss://` one, verified by the platform's certificate store), sending `headers` with the
    /// handshake.
    pub(crate) async fn connect(
        url: &str,
        headers: &[(String, nova_auth::Secret)],
        timeout: Duration,
    ) -> Result<Self, BrowserError> {
        let (to_browser, from_browser) = websocket(url, headers, timeout).await?;
        Ok(Self::start(to_browser, from_browser, timeout))
    }

    /// Talks to a browser started with `--remote-debugging-pipe` (see [`pipe`]).
    #[cfg(unix)]
    pub(crate) fn over_pipe(
        to_browser: std::os::fd::OwnedFd,
        from_browser: std::os::fd::OwnedFd,
        timeout: Duration,
    ) -> Result<Self, BrowserError> {
        let (to_browser, from_browser) = pipe(to_browser, from_browser)?;
        Ok(Self::start(to_browser, from_browser, timeout))
    }
    /// Runs the connection over a way to the browser and a way back.
    fn start(mut sink: ToBrowser, mut stream: FromBrowser, timeout: Duration) -> Self {
        let (outgoing, mut queue) = mpsc::unbounded_channel::<String>();
        let pending = Arc::new(Mutex::new(Pending::default()));
        let activity = Arc::new(Mutex::new(Activity {
            inflight: HashMap::new(),
            changed: Instant::now(),
            opened: Vec::new(),
            proxy_auth: None,
            policy: None,
            refused: Vec::new(),
            ours: None,
            downloading: HashMap::new(),
            downloaded: Vec::new(),
        }));
        let next_id = Arc::new(AtomicU64::new(1));
        let task = {
            let pending = Arc::clone(&pending);
            let activity = Arc::clone(&activity);
            let next_id = Arc::clone(&next_id);
            let outgoing = outgoing.clone();
            tokio::spawn(async move {
                let reason = loop {
                    tokio::select! {
                        text = queue.recv() => {
                            let Some(text) = text else { break "the browser was closed".to_owned() };
                            if let Err(err) = sink.send(text).await {
                                break err;
                            }
                        }
                        message = stream.next() => match message {
                            Some(Ok(text)) => {
                                dispatch(&text, &pending, &activity, &next_id, &outgoing);
                            }
                            None => {
                                break "the browser closed the DevTools connection".to_owned();
                            }
                            Some(Err(err)) => break err,
                        }
                    }
                };
                tracing::debug!(%reason, "DevTools connection ended");
                let mut pending = lock(&pending);
                for (_, (_, reply)) in pending.waiting.drain() {
                    let _ = reply.send(Err(BrowserError::Closed(reason.clone())));
                }
                pending.closed = Some(reason);
            })
        };
        Self {
            outgoing,
            pending,
            activity,
            next_id,
            timeout,
            task,
        }
    }

    /// Sends `method` with `params` (to page `session`, or the browser) and waits for its answer.
    pub(crate) async fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, BrowserError> {
        self.call_within(session, method, params, self.timeout)
            .await
    }

    /// [`Connection::call`], waiting up to `timeout` for the answer.
    pub(crate) async fn call_within(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, BrowserError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        {
            let mut pending = lock(&self.pending);
            if let Some(reason) = &pending.closed {
                return Err(BrowserError::Closed(reason.clone()));
            }
            pending.waiting.insert(id, (method.to_owned(), reply));
        }
        tracing::trace!(id, method, "DevTools command");
        if self
            .outgoing
            .send(command(id, session, method, params))
            .is_err()
        {
            lock(&self.pending).waiting.remove(&id);
            return Err(BrowserError::Closed("the browser was closed".to_owned()));
        }
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(BrowserError::Closed("the browser was closed".to_owned())),
            Err(_) => {
                lock(&self.pending).waiting.remove(&id);
                Err(BrowserError::Timeout {
                    method: method.to_owned(),
                    after: timeout,
                })
            }
        }
    }

    /// How long the network of every attached page has been quiet.
    pub(crate) fn network_quiet_for(&self) -> Duration {
        lock(&self.activity).quiet_for()
    }

    /// Stops talking to the browser: pending commands fail, and the socket or pipe is dropped.
    pub(crate) fn detach(&self) {
        self.task.abort();
    }

    /// Answers the proxy's challenges with `username` and `password` from now on.
    pub(crate) fn set_proxy_auth(&self, username: &str, password: nova_auth::Secret) {
        lock(&self.activity).proxy_auth = Some((username.to_owned(), password));
    }

    /// Refuses every request to a URL `policy` blocks, from now on, in every target whose
    /// requests pause ([`Connection::pauses_requests`]).
    pub(crate) fn set_policy(&self, policy: UrlPolicy) {
        lock(&self.activity).policy = Some(Arc::new(policy));
    }

    /// Whether targets must pause their requests: to answer the proxy's challenges, or to
    /// refuse what the URL policy blocks.
    pub(crate) fn pauses_requests(&self) -> bool {
        lock(&self.activity).pauses()
    }

    /// Makes requests pause only in the targets named by [`Connection::claim`] and in those
    /// they open or start: for a browser attached to, whose other tabs are not ours.
    pub(crate) fn share_browser(&self) {
        lock(&self.activity).ours = Some(HashSet::new());
    }

    /// Counts `target` among ours (see [`Connection::share_browser`]).
    pub(crate) fn claim(&self, target: &str) {
        if let Some(ours) = &mut lock(&self.activity).ours {
            ours.insert(target.to_owned());
        }
    }

    /// The URLs the policy refused since last asked, oldest first.
    pub(crate) fn take_refused(&self) -> Vec<String> {
        std::mem::take(&mut lock(&self.activity).refused)
    }

    /// Downloads finished since last asked, as `(guid, suggested name)`, and how many are still
    /// running.
    pub(crate) fn take_downloads(&self) -> (Vec<(String, String)>, usize) {
        let mut activity = lock(&self.activity);
        (
            std::mem::take(&mut activity.downloaded),
            activity.downloading.len(),
        )
    }

    /// The newest tab that tab `opener` opened since last asked, if any.
    pub(crate) fn take_opened_by(&self, opener: &str) -> Option<String> {
        let mut activity = lock(&self.activity);
        let newest = activity.opened.iter().rposition(|(_, by)| by == opener)?;
        let (target, _) = activity.opened.remove(newest);
        activity.opened.retain(|(_, by)| by != opener);
        Some(target)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Command `id` as sent: to page `session`, or to the browser.
fn command(id: u64, session: Option<&str>, method: &str, params: Value) -> String {
    let mut message = json!({ "id": id, "method": method, "params": params });
    if let Some(session) = session {
        message["sessionId"] = json!(session);
    }
    message.to_string()
}

/// Routes one message from the browser: an answer to its waiting command, or an event.
fn dispatch(
    text: &str,
    pending: &Mutex<Pending>,
    activity: &Mutex<Activity>,
    next_id: &AtomicU64,
    outgoing: &mpsc::UnboundedSender<String>,
) {
    let Ok(message) = serde_json::from_str::<Value>(text) else {
        tracing::debug!("DevTools sent a message that is not JSON");
        return;
    };
    if let Some(id) = message.get("id").and_then(Value::as_u64) {
        let Some((method, reply)) = lock(pending).waiting.remove(&id) else {
            return;
        };
        let answer = match message.get("error") {
            Some(error) => Err(BrowserError::Protocol {
                method,
                message: error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown error")
                    .to_owned(),
            }),
            None => Ok(message.get("result").cloned().unwrap_or(Value::Null)),
        };
        let _ = reply.send(answer);
        return;
    }
    let method = message.get("method").and_then(Value::as_str).unwrap_or("");
    let session = message.get("sessionId").and_then(Value::as_str);
    let params = message.get("params");
    // Request ids are unique in the browser; a worker's script is announced to its page's
    // session and finished in the worker's.
    let request = || Some(params?.get("requestId")?.as_str()?.to_owned());
    match method {
        "Network.requestWillBeSent" => {
            if let Some(key) = request() {
                let mut activity = lock(activity);
                activity
                    .inflight
                    .insert(key, session.unwrap_or_default().to_owned());
                activity.changed = Instant::now();
            }
        }
        "Network.loadingFinished" | "Network.loadingFailed" => {
            if let Some(key) = request() {
                let mut activity = lock(activity);
                activity.inflight.remove(&key);
                activity.changed = Instant::now();
            }
        }
        // Navigation abandons the previous document's requests without finishing them.
        "Page.frameNavigated" if is_main_frame(params) => {
            let navigated = session.unwrap_or_default();
            let mut activity = lock(activity);
            activity.inflight.retain(|_, of| of != navigated);
            activity.changed = Instant::now();
        }
        // A link with target=_blank or window.open: the actuator follows it.
        "Target.targetCreated" => {
            let info = params.and_then(|p| p.get("targetInfo"));
            let field = |name: &str| info?.get(name)?.as_str().map(str::to_owned);
            if field("type").as_deref() == Some("page")
                && let (Some(target), Some(opener)) = (field("targetId"), field("openerId"))
            {
                lock(activity).opened.push((target, opener));
            }
        }
        // Requests pause before they leave the browser, for the URL policy and so that a
        // proxy's challenge can be answered: a blocked URL is refused as an extension would
        // refuse it, anything else goes on unchanged.
        "Fetch.requestPaused" => {
            let Some(request) = params.and_then(|p| p.get("requestId")) else {
                return;
            };
            let url = params
                .and_then(|p| p.pointer("/request/url"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let policy = lock(activity).policy.clone();
            let blocked = policy.is_some_and(|policy| policy.decide(url) == Decision::Block);
            let id = next_id.fetch_add(1, Ordering::Relaxed);
            let message = if blocked {
                tracing::debug!(url = %without_query(url), "refused a request the URL policy blocks");
                let mut activity = lock(activity);
                if activity.refused.len() >= 100 {
                    activity.refused.remove(0);
                }
                activity.refused.push(url.to_owned());
                let params = json!({ "requestId": request, "errorReason": "BlockedByClient" });
                command(id, session, "Fetch.failRequest", params)
            } else {
                command(
                    id,
                    session,
                    "Fetch.continueRequest",
                    json!({ "requestId": request }),
                )
            };
            let _ = outgoing.send(message);
        }
        // With requests pausing, targets a page starts (workers, frames in another process,
        // tabs it opens) wait on their first request until their requests pause too.
        "Target.attachedToTarget" => {
            let Some(child) = params
                .and_then(|p| p.get("sessionId"))
                .and_then(Value::as_str)
            else {
                return;
            };
            // Only targets auto-attached at their start wait; one attached on purpose (or
            // already running when auto-attaching began) is left as it is.
            let waiting = params
                .and_then(|p| p.get("waitingForDebugger"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if !waiting {
                return;
            }
            let info = |name: &str| {
                params
                    .and_then(|p| p.pointer(&format!("/targetInfo/{name}")))
                    .and_then(Value::as_str)
            };
            let pause = {
                let mut activity = lock(activity);
                let pausing = activity.pauses();
                // Started by a target of ours (auto-attached through its session), or opened
                // by one (auto-attached by the browser, with its opener named).
                let ours = match &mut activity.ours {
                    None => true,
                    Some(ours) => {
                        let related = session.is_some()
                            || info("openerId").is_some_and(|opener| ours.contains(opener))
                            || info("targetId").is_some_and(|target| ours.contains(target));
                        if related && let Some(target) = info("targetId") {
                            ours.insert(target.to_owned());
                        }
                        related
                    }
                };
                pausing && ours
            };
            let send = |to: Option<&str>, method: &str, params: Value| {
                let id = next_id.fetch_add(1, Ordering::Relaxed);
                let _ = outgoing.send(command(id, to, method, params));
            };
            if pause {
                // A worker's script is announced to its page and finished in the worker:
                // settling must see both ends.
                send(Some(child), "Network.enable", json!({}));
                send(Some(child), "Fetch.enable", fetch_patterns());
                send(Some(child), "Target.setAutoAttach", auto_attach());
            }
            send(Some(child), "Runtime.runIfWaitingForDebugger", json!({}));
            if !pause {
                // Not ours to watch (another tab of a browser attached to): let go of it.
                send(
                    session,
                    "Target.detachFromTarget",
                    json!({ "sessionId": child }),
                );
            }
        }
        "Fetch.authRequired" => {
            let Some(request) = params.and_then(|p| p.get("requestId")) else {
                return;
            };
            let from_proxy = params
                .and_then(|p| p.pointer("/authChallenge/source"))
                .and_then(Value::as_str)
                == Some("Proxy");
            let answer = match (&lock(activity).proxy_auth, from_proxy) {
                (Some((username, password)), true) => json!({
                    "response": "ProvideCredentials",
                    "username": username,
                    "password": password.expose(),
                }),
                _ => json!({ "response": "Default" }),
            };
            let id = next_id.fetch_add(1, Ordering::Relaxed);
            let params = json!({ "requestId": request, "authChallengeResponse": answer });
            let _ = outgoing.send(command(id, session, "Fetch.continueWithAuth", params));
        }
        "Browser.downloadWillBegin" => {
            let field = |name: &str| params?.get(name)?.as_str().map(str::to_owned);
            if let (Some(guid), Some(name)) = (field("guid"), field("suggestedFilename")) {
                lock(activity).downloading.insert(guid, name);
            }
        }
        "Browser.downloadProgress" => {
            let field = |name: &str| params?.get(name)?.as_str();
            let (Some(guid), Some(state)) = (field("guid"), field("state")) else {
                return;
            };
            let mut activity = lock(activity);
            if state == "inProgress" {
                return;
            }
            if let Some(name) = activity.downloading.remove(guid)
                && state == "completed"
            {
                activity.downloaded.push((guid.to_owned(), name));
            }
        }
        // A dialog blocks the page until answered: accept it, as a user clicking OK would.
        "Page.javascriptDialogOpening" => {
            let id = next_id.fetch_add(1, Ordering::Relaxed);
            tracing::debug!("accepting a JavaScript dialog");
            let answer = json!({ "accept": true });
            let _ = outgoing.send(command(id, session, "Page.handleJavaScriptDialog", answer));
        }
        _ => {}
    }
}

/// `Fetch.enable`'s parameters: every request pauses before it is sent, and challenges are
/// handed over.
pub(crate) fn fetch_patterns() -> Value {
    json!({
        "patterns": [{ "urlPattern": "*", "requestStage": "Request" }],
        "handleAuthRequests": true,
    })
}

/// `Target.setAutoAttach`'s parameters: targets a page starts wait for us before they run.
pub(crate) fn auto_attach() -> Value {
    json!({ "autoAttach": true, "waitForDebuggerOnStart": true, "flatten": true })
}

/// `url` as logged or shown: without its query and fragment, which may carry secrets.
pub(crate) fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// The string `key` of the answer to `method`, which the protocol promises.
pub(crate) fn text_field(answer: &Value, key: &str, method: &str) -> Result<String, BrowserError> {
    answer
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| BrowserError::Protocol {
            method: method.to_owned(),
            message: format!("the answer has no `{key}`"),
        })
}

fn is_main_frame(params: Option<&Value>) -> bool {
    params
        .and_then(|p| p.get("frame"))
        .is_some_and(|frame| frame.get("parentId").is_none())
}
