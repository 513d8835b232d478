//! Local pages on 127.0.0.1, a planner that reads the page the browser observed, and a client
//! for the emulator.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use nova_act_core::model::{Call, CallResult};
use nova_act_core::{Client, RetryConfig};
use nova_auth::AuthMode;
use nova_browser::{Browser, BrowserBuilder, BrowserError};
use nova_emulator::{ActView, Emulator, Planner, RunningEmulator, call};
use serde_json::Value;

/// Form submissions the site received, as query maps.
pub type Submissions = Arc<Mutex<Vec<HashMap<String, String>>>>;

/// A small site: a form, the page it posts to, a second page, a long list and an events page.
pub struct Site {
    pub addr: SocketAddr,
    pub submissions: Submissions,
}

impl Site {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A browser started on page `path` of the site, sending simplified DOMs (see [`launch`]).
    pub async fn browser(&self, path: &str) -> Option<Browser> {
        launch(
            Browser::builder()
                .starting_page(self.url(path))
                .simplified_dom(true),
        )
        .await
    }
}

const FORM: &str = r#"<!doctype html><title>Sign up</title>
<h1>Sign up</h1>
<form action="/submitted" method="get">
  <p><input name="name" placeholder="Name" value="old text"></p>
  <p><input name="email" placeholder="Email"></p>
  <p><button type="submit">Submit</button></p>
</form>"#;

const EVENTS: &str = r#"<!doctype html><title>Events</title>
<style>button { position: absolute; width: 200px; height: 60px; }</style>
<script>window.log = [];</script>
<button id="one" style="left: 100px; top: 100px"
  onclick="log.push('click')" ondblclick="log.push('dblclick')"
  oncontextmenu="log.push('contextmenu'); return false">Press</button>
<button id="two" style="left: 400px; top: 100px" onmouseover="log.push('hover')">Hover</button>
<button id="three" style="left: 700px; top: 100px" onclick="alert('blocked?'); log.push('after alert')">Alert</button>
<a href="/next" target="_blank" style="position: absolute; left: 1000px; top: 100px; width: 200px; height: 60px; display: block">New tab</a>
<form action="/submitted" method="get" style="position: absolute; left: 100px; top: 300px">
  <input name="q" style="width: 300px; height: 40px" placeholder="Search">
</form>"#;

fn list_page() -> String {
    let items: String = (1..=200).map(|i| format!("<li>Item {i}</li>")).collect();
    let lines: String = (1..=50).map(|i| format!("<div>Line {i}</div>")).collect();
    format!(
        r#"<!doctype html><title>List</title>
<div id="box" style="position: fixed; right: 40px; top: 40px; width: 300px; height: 200px; overflow: auto; border: 1px solid">{lines}<div>Last line</div></div>
<ul>{items}</ul>"#
    )
}

async fn submitted(
    State(submissions): State<Submissions>,
    Query(query): Query<HashMap<String, String>>,
) -> Html<String> {
    let name = query
        .get("name")
        .or(query.get("q"))
        .cloned()
        .unwrap_or_default();
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;");
    let email = escape(query.get("email").map_or("", String::as_str));
    let name = escape(&name);
    submissions.lock().unwrap().push(query);
    Html(format!(
        r#"<!doctype html><title>Thanks</title><h1>Thanks, {name}</h1><p id="email">{email}</p>
<p><a href="/next">Next page</a></p>"#
    ))
}

/// Serves the site on 127.0.0.1 until the test ends.
pub async fn site() -> Site {
    let submissions = Submissions::default();
    let app = axum::Router::new()
        .route("/form", get(|| async { Html(FORM) }))
        .route("/events", get(|| async { Html(EVENTS) }))
        .route(
            "/downloads",
            get(|| async {
                Html(
                    r#"<!doctype html><title>Files</title><h1>Files</h1>
<a id="report" href="/file" style="position: absolute; left: 100px; top: 100px; width: 300px; height: 60px; display: block">Report</a>"#,
                )
            }),
        )
        .route(
            "/upload",
            get(|| async {
                Html(
                    r#"<!doctype html><title>Upload</title><h1>Upload</h1>
<input id="f" type="file" style="position: absolute; left: 100px; top: 100px; width: 300px; height: 60px"
  onchange="document.getElementById('chosen').textContent = this.files[0].name">
<a href="/file" style="position: absolute; left: 100px; top: 300px; width: 300px; height: 60px; display: block">Report</a>
<p id="chosen" style="position: absolute; top: 500px">nothing</p>"#,
                )
            }),
        )
        .route(
            "/file",
            get(|| async {
                (
                    [
                        ("content-type", "text/plain"),
                        ("content-disposition", "attachment; filename=\"../report.txt\""),
                    ],
                    "quarterly numbers",
                )
            }),
        )
        .route(
            "/login",
            get(|| async {
                Html(
                    r#"<!doctype html><title>Sign in</title><h1>Sign in</h1>
<p><input name="user" placeholder="User"></p><p><input name="pass" type="password" placeholder="Password"></p>"#,
                )
            }),
        )
        .route("/list", get(|| async { Html(list_page()) }))
        .route(
            "/next",
            get(|| async { Html("<!doctype html><title>Next</title><h1>Second page</h1>") }),
        )
        .route("/submitted", get(submitted))
        .with_state(Arc::clone(&submissions));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Site { addr, submissions }
}

/// The browser the tests use, or `None` (test skipped) when none is installed and
/// `NOVA_BROWSER_REQUIRED` is not set. CI sets it, so CI never skips.
#[allow(clippy::print_stderr)] // The skip must be visible in the test's output.
pub async fn launch(builder: BrowserBuilder) -> Option<Browser> {
    match builder.launch().await {
        Ok(browser) => Some(browser),
        Err(err @ (BrowserError::NotFound { .. } | BrowserError::BadExecutable { .. }))
            if std::env::var_os("NOVA_BROWSER_REQUIRED").is_none() =>
        {
            eprintln!("skipped: {err}");
            None
        }
        Err(err) => panic!("the browser did not start: {err}"),
    }
}

pub use nova_test_support::act::observation;

/// The text of the page's first `h1`.
pub async fn heading(browser: &Browser) -> Value {
    browser
        .page()
        .evaluate("document.querySelector('h1').textContent")
        .await
        .unwrap()
}

/// The `<bbox>` of the first simplified-DOM line containing `needle`.
pub fn bbox(observation: &Value, needle: &str) -> String {
    let dom = observation["simplifiedDOM"].as_str().unwrap_or_default();
    let line = dom
        .lines()
        .find(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} is not on the page:\n{dom}"));
    let start = line.find("bbox=\"").unwrap() + 6;
    let end = start + line[start..].find('"').unwrap();
    format!("<bbox>{}</bbox>", &line[start..end])
}

/// The text of the first simplified-DOM element with tag `tag`.
pub fn text_of(observation: &Value, tag: &str) -> String {
    let dom = observation["simplifiedDOM"].as_str().unwrap_or_default();
    let open = format!("<{tag} ");
    let line = dom
        .lines()
        .find(|line| line.starts_with(&open))
        .unwrap_or_else(|| panic!("no <{tag}> on the page:\n{dom}"));
    let start = line.find('>').unwrap() + 1;
    let end = line.rfind("</").unwrap();
    line[start..end].to_owned()
}

type Plan = dyn Fn(usize, Option<&Value>) -> Vec<(&'static str, Value)> + Send + Sync;

/// A planner that decides each step from the last observation, as the real agent does.
pub struct Reader(pub Box<Plan>);

impl Planner for Reader {
    fn plan(&self, _act: &ActView, step: usize, results: &[CallResult]) -> Vec<Call> {
        (self.0)(step, observation(results).as_ref())
            .into_iter()
            .enumerate()
            .map(|(i, (name, input))| call(step, i, name, input))
            .collect()
    }
}

/// An emulator with `planner`, and an API-key client for it.
pub async fn service(planner: impl Planner) -> (RunningEmulator, Client) {
    let emulator = Emulator::builder().planner(planner).start().await.unwrap();
    let client = emulator
        .client(AuthMode::ApiKey)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    (emulator, client)
}

/// Process ids whose command line mentions `marker` (the browser's profile folder).
pub fn processes_mentioning(marker: &Path) -> Vec<u32> {
    nova_test_support::processes_mentioning(&marker.to_string_lossy())
        .into_iter()
        .map(|(pid, _)| pid)
        .collect()
}

/// Waits (bounded) until no process mentions `marker`; returns those still left.
pub async fn gone(marker: &Path) -> Vec<u32> {
    for _ in 0..100 {
        if processes_mentioning(marker).is_empty() {
            return Vec::new();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    processes_mentioning(marker)
}

#[cfg(target_os = "linux")]
#[allow(unused_imports)] // not every test binary that includes this module uses them
pub use nova_test_support::{listening_sockets, process_group};
