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
use axum::http::Uri;
use axum::response::Html;
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
    requests: Arc<Mutex<Vec<String>>>,
}

impl Site {
    /// Serves the site until the test's runtime ends: `/form`, `/submitted` (the form's
    /// answer, `Thanks, NAME`) and any other path as a small page titled with its path.
    pub async fn start() -> Self {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let app = axum::Router::new()
            .fallback(serve)
            .with_state(Arc::clone(&requests));
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
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many requests `path` (without query) received.
    pub fn hits(&self, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|seen| seen.split('?').next() == Some(path))
            .count()
    }
}

async fn serve(State(requests): State<Arc<Mutex<Vec<String>>>>, uri: Uri) -> Html<String> {
    let seen = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), ToString::to_string);
    requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(seen);
    let query: HashMap<String, String> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace('+', " ")))
        .collect();
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;");
    Html(match uri.path() {
        "/form" => FORM.to_owned(),
        "/submitted" => format!(
            "<!doctype html><title>Thanks</title><h1>Thanks, {}</h1>",
            escape(query.get("name").map_or("", String::as_str))
        ),
        other => format!(
            "<!doctype html><title>{0}</title><h1>{0}</h1>",
            escape(other)
        ),
    })
}

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

/// The last observation among `results`.
fn last_observation(results: &[CallResult]) -> Option<Value> {
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
        let Some(seen) = last_observation(results) else {
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
