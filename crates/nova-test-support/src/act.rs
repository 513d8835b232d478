//! The act every way of getting a browser must pass alike — launched, attached to a Chromium
//! started elsewhere, or remote on an (emulated) AgentCore Browser session — so that a
//! difference between them is found by the suite, not by a user whose clicks miss.
//!
//! The planner plays the model honestly: it places its boxes as fractions of the viewport the
//! observation reports, as the model does of the screenshot it sees. An SDK that converts them
//! back with another size clicks beside the field, and the form never reaches the site.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use nova_act_core::Client;
use nova_act_core::model::{Call, CallResult};
use nova_act_core::runtime::Workflow;
use nova_browser::Browser;
use nova_emulator::{ActView, Planner, call};
use serde_json::{Value, json};

/// The viewport every browser of the check is asked for: the SDK's default.
pub const VIEWPORT: (u32, u32) = nova_browser::DEFAULT_WINDOW;

/// The task the check's act is given.
pub const TASK: &str = "Sign up as Ada";

/// Where the form's controls are, in CSS pixels: `(left, top, width, height)`.
const NAME_FIELD: (f64, f64, f64, f64) = (100.0, 100.0, 400.0, 50.0);
const SUBMIT: (f64, f64, f64, f64) = (100.0, 300.0, 200.0, 60.0);

const FORM: &str = r#"<!doctype html><title>Sign up</title>
<style>* { margin: 0; box-sizing: border-box; } .at { position: absolute; }</style>
<h1>Sign up</h1>
<form action="/submitted" method="get">
  <input class="at" name="name" value="old text" style="left: 100px; top: 100px; width: 400px; height: 50px">
  <button class="at" type="submit" style="left: 100px; top: 300px; width: 200px; height: 60px">Submit</button>
</form>"#;

/// A site on 127.0.0.1 that serves the form and counts every request it receives, by path.
#[derive(Clone, Debug)]
pub struct Site {
    addr: SocketAddr,
    requests: Requests,
}

/// The requests a site received, and a signal for each new one.
#[derive(Clone, Debug, Default)]
struct Requests(Arc<(Mutex<Vec<String>>, tokio::sync::Notify)>);

impl Site {
    /// Serves the site until the test's runtime ends: `/form`, `/submitted` (the form's
    /// answer, `Thanks, NAME`) and any other path as a small page titled with its path.
    pub async fn start() -> Self {
        let requests = Requests::default();
        let app = axum::Router::new()
            .fallback(serve)
            .with_state(requests.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, requests }
    }

    /// The URL of `path` (with its query) on this site.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The host and port this site answers on.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Every request received so far, as path and query, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .0
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits (20 s at most) until `path` (without query) has been requested; its first
    /// request, with the query.
    ///
    /// # Panics
    ///
    /// When it is not requested in time.
    pub async fn wait_for(&self, path: &str) -> String {
        let (_, signal) = &*self.requests.0;
        let wait = async {
            loop {
                let next = signal.notified();
                if let Some(seen) = self
                    .requests()
                    .into_iter()
                    .find(|seen| seen.split('?').next() == Some(path))
                {
                    return seen;
                }
                next.await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(20), wait)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{path} was not requested; the site saw {:?}",
                    self.requests()
                )
            })
    }

    /// How many requests `path` (without query) received.
    pub fn hits(&self, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|seen| seen.split('?').next() == Some(path))
            .count()
    }
}

async fn serve(State(requests): State<Requests>, uri: Uri) -> Response {
    let seen = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), ToString::to_string);
    let (list, signal) = &*requests.0;
    list.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(seen);
    signal.notify_waiters();
    let query: HashMap<String, String> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace('+', " ")))
        .collect();
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;");
    let page = match uri.path() {
        "/form" => FORM.to_owned(),
        "/probe" => PROBE.to_owned(),
        "/redirect" => {
            let to = query.get("to").cloned().unwrap_or_default();
            return (StatusCode::FOUND, [(header::LOCATION, to)], String::new()).into_response();
        }
        "/worker.js" => {
            return ([(header::CONTENT_TYPE, "text/javascript")], WORKER).into_response();
        }
        "/submitted" => format!(
            "<!doctype html><title>Thanks</title><h1>Thanks, {}</h1>",
            escape(query.get("name").map_or("", String::as_str))
        ),
        other => format!(
            "<!doctype html><title>{0}</title><h1>{0}</h1>",
            escape(other)
        ),
    };
    Html(page).into_response()
}

/// A page that tries every way a page can make a request to `/secret/…`: an image, a frame, a
/// `fetch`, a redirect, a worker's `fetch`, a beacon and a WebSocket. When each has succeeded
/// or failed it requests `/done?RESULTS` (and titles itself with them). Clicking (0..200,
/// 0..50) opens `/secret/tab` in a new tab; clicking (0..200, 100..150) follows a link to
/// `/secret/link`.
const PROBE: &str = r#"<!doctype html><title>Probe</title>
<button style="position: absolute; left: 0; top: 0; width: 200px; height: 50px"
  onclick="window.open('/secret/tab')">Open a tab</button>
<a href="/secret/link" style="position: absolute; left: 0; top: 100px; width: 200px; height: 50px">A link</a>
<img src="/secret/image"><iframe src="/secret/frame"></iframe>
<script>
const outcome = (name, promise) => promise.then(() => name + '_reached', () => name + '_refused');
const tries = [
  outcome('fetch', fetch('/secret/fetch')),
  outcome('redirect', fetch('/redirect?to=/secret/redirected')),
  new Promise(done => {
    const worker = new Worker('/worker.js');
    worker.onmessage = event => done(event.data);
    worker.onerror = () => done('worker_failed');
  }),
  new Promise(done => {
    const socket = new WebSocket('ws://' + location.host + '/secret/socket');
    socket.onopen = () => done('websocket_reached');
    socket.onerror = () => done('websocket_failed');
  }),
];
navigator.sendBeacon('/secret/beacon', 'x');
window.open('/secret/tab');
Promise.all(tries).then(results => {
  document.title = results.join('.');
  return fetch('/done?' + results.join('.'));
});
</script>"#;

const WORKER: &str = "fetch('/secret/worker').then(() => postMessage('worker_reached'), () => postMessage('worker_refused'));";

/// The planner of the check: types "Ada" into the name field and clicks Submit, each placed
/// from the viewport the observation reports; then returns what it saw after the click.
#[derive(Clone, Copy, Debug, Default)]
pub struct FormPlanner;

/// `(left, top, width, height)` as the agent's `<bbox>`, in thousandths of `viewport`.
fn bbox((left, top, width, height): (f64, f64, f64, f64), (w, h): (f64, f64)) -> String {
    let x = |px: f64| (px / w * 1000.0).round();
    let y = |px: f64| (px / h * 1000.0).round();
    format!(
        "<bbox>{},{},{},{}</bbox>",
        x(left),
        y(top),
        x(left + width),
        y(top + height)
    )
}

/// The last observation among `results` (what a planner reads the page from).
pub fn observation(results: &[CallResult]) -> Option<Value> {
    results.iter().rev().find_map(|result| {
        let text = result.content.first()?.text.as_deref()?;
        let value: Value = serde_json::from_str(text).ok()?;
        value.get("activeURL").is_some().then_some(value)
    })
}

/// `[windowWidth, windowHeight]` of an observation, as reported.
fn dimensions_of(seen: &Value) -> Value {
    let dimensions = &seen["browserDimensions"];
    json!([dimensions["windowWidth"], dimensions["windowHeight"]])
}

impl Planner for FormPlanner {
    fn plan(&self, _act: &ActView, step: usize, results: &[CallResult]) -> Vec<Call> {
        let Some(seen) = observation(results) else {
            return vec![call(step, 0, "throw", json!(["no observation to act on"]))];
        };
        let dimensions = &seen["browserDimensions"];
        let size = |key: &str| dimensions[key].as_f64().unwrap_or(0.0);
        let viewport = (size("windowWidth"), size("windowHeight"));
        let calls = match step {
            0 => vec![
                ("agentType", json!(["Ada", bbox(NAME_FIELD, viewport)])),
                ("agentClick", json!([bbox(SUBMIT, viewport)])),
                ("takeObservation", json!([])),
            ],
            _ => vec![(
                "return",
                json!([{ "url": seen["activeURL"], "viewport": dimensions_of(&seen) }]),
            )],
        };
        calls
            .into_iter()
            .enumerate()
            .map(|(i, (name, input))| call(step, i, name, input))
            .collect()
    }
}

/// Runs [`TASK`] on `browser`, which shows `site`'s `/form`, through `client` (an emulator
/// planning with [`FormPlanner`]; `definition` for IAM), and asserts what every browser must
/// show alike: the viewport the agent saw is [`VIEWPORT`], one CSS pixel per device pixel, the
/// typing and the click landed (the site received the form once, with "Ada"), and the page
/// answered.
///
/// # Panics
///
/// When any of that does not hold: this is a test's assertion.
pub async fn check_form_act(
    client: &Client,
    definition: Option<&str>,
    browser: Browser,
    site: &Site,
) {
    let mut workflow = Workflow::new(client);
    if let Some(name) = definition {
        workflow = workflow.definition(name);
    }
    let (answer, ratio) = workflow
        .run(|run| async move {
            let mut session = run.session(browser).await?;
            let answer = session.act(TASK).await?;
            let ratio = session
                .actuator()
                .page()
                .evaluate("[innerWidth, innerHeight, devicePixelRatio]")
                .await;
            session.actuator().close().await;
            Ok::<_, nova_act_core::runtime::ActError>((answer, ratio))
        })
        .await
        .expect("the act succeeds");
    let answer = answer.value.expect("the act returns what it saw");
    let (width, height) = VIEWPORT;
    assert_eq!(
        answer["viewport"],
        json!([width, height]),
        "the viewport the agent saw"
    );
    assert_eq!(
        ratio.expect("the page answers"),
        json!([width, height, 1]),
        "innerWidth, innerHeight and devicePixelRatio after the act"
    );
    let submitted: Vec<String> = site
        .requests()
        .into_iter()
        .filter(|seen| seen.starts_with("/submitted"))
        .collect();
    assert_eq!(
        submitted,
        ["/submitted?name=Ada"],
        "the typing and the click reached the form"
    );
    assert_eq!(answer["url"], json!(site.url("/submitted?name=Ada")));
}

/// A policy that blocks every URL under `site`'s `/secret`.
///
/// # Panics
///
/// Never: the pattern is well formed.
pub fn blocking_policy(site: &Site) -> nova_act_core::runtime::UrlPolicy {
    nova_act_core::runtime::UrlPolicy::new()
        .block(&format!("{}/secret", site.host()))
        .expect("a pattern")
}

/// On `browser`, started on `site`'s `/probe` with [`blocking_policy`], asserts that no
/// request under `/secret` reaches the site, however the page makes it: sub-requests (an
/// image, a frame, `fetch`, a redirect, a worker's `fetch`, a beacon), a tab the page opens, a
/// link followed, a navigation asked for. The page's own requests go on. A WebSocket
/// handshake is the exception, and is asserted to be one; `/secret/elsewhere` is left to
/// callers that open it in a tab that is not the browser's.
///
/// # Panics
///
/// When a blocked request reaches the site: this is a test's assertion.
pub async fn check_blocking(mut browser: Browser, site: &Site) {
    let done = site.wait_for("/done").await;
    let page = browser.page().clone();
    // A new tab, from a click (so no popup blocker stands in the way).
    page.click((100.0, 25.0), nova_browser::MouseButton::Left, 1)
        .await
        .expect("a click");
    // A navigation asked for is refused by the browser.
    let refused = page
        .goto(&site.url("/secret/goto"), nova_browser::Settle::default())
        .await
        .expect_err("the navigation is refused");
    assert!(
        refused.to_string().contains("ERR_BLOCKED_BY_CLIENT"),
        "{refused}"
    );
    // A link followed from an allowed page.
    page.goto(&site.url("/probe"), nova_browser::Settle::default())
        .await
        .expect("the probe opens again");
    page.click((100.0, 125.0), nova_browser::MouseButton::Left, 1)
        .await
        .expect("a click");
    page.settle(nova_browser::Settle::default()).await;
    // What a guardrail judges after the click: the page the tab tried to open.
    let url = nova_act_core::runtime::Actuator::current_url(&mut browser).await;
    assert_eq!(
        url,
        Some(site.url("/secret/link")),
        "the tab's URL after the link"
    );
    let targets = page
        .call("Target.getTargets", json!({}))
        .await
        .expect("the targets");
    browser.close().await;
    let leaked: Vec<String> = site
        .requests()
        .into_iter()
        .filter(|seen| {
            seen.starts_with("/secret")
                && !seen.starts_with("/secret/socket")
                && !seen.starts_with("/secret/elsewhere")
        })
        .collect();
    assert_eq!(
        leaked,
        Vec::<String>::new(),
        "blocked requests reached the site"
    );
    assert!(
        site.hits("/probe") >= 2 && site.hits("/worker.js") >= 1,
        "the page's own requests go on: {:?}",
        site.requests()
    );
    let tabs: Vec<&str> = targets["targetInfos"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["type"] == "page")
        .filter_map(|t| t["url"].as_str())
        .collect();
    assert!(
        tabs.iter().any(|url| url.contains("/secret/tab")),
        "the page opened its tab: {tabs:?}"
    );
    let results = done.split_once('?').map_or("", |(_, q)| q);
    assert_eq!(
        results, "fetch_refused.redirect_refused.worker_refused.websocket_failed",
        "what the page found"
    );
    // DevTools' Fetch domain does not pause WebSocket handshakes: the handshake reaches the
    // site (and fails there only because it is not a WebSocket server). docs/browser.md says
    // so; this fails when Chromium changes, so that the guide can.
    assert!(site.hits("/secret/socket") >= 1, "the WebSocket handshake");
}
