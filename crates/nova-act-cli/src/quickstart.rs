//! `nova-act quickstart`: a whole workflow, printed step by step, against the embedded emulator
//! (or, with `--live`, the real service).

use std::process::ExitCode;
use std::time::Instant;

use nova_act::browser::Browser;
use nova_act::model::CreateWorkflowDefinitionInput;
use nova_act::model::{Call, CallResult};
use nova_act::runtime::{ActRequest, Actuator, BrowserAction, CallError, Observation, Shutdown};
use nova_act::{AuthMode, Env, NovaAct};
use nova_emulator::{ActView, Emulator, Planner, call};
use serde_json::{Value, json};

use crate::Cli;
use crate::output::{Events, interrupted, narrated_session};

/// The task the quickstart runs.
pub(crate) const TASK: &str = "Find the price of the first product on the shop's front page";
/// The workflow definition the quickstart runs under with IAM.
const DEFINITION: &str = "quickstart";
/// The pretend browser's shop.
const PRETEND_SHOP: &str = "https://shop.example/";
/// Where the first product's link is on the front page, as the agent's 0..1000 box (the real
/// page places it there in a 1600 × 900 window).
const FIRST_PRODUCT: &str = "<bbox>80,220,320,300</bbox>";

/// The emulator's agent for [`TASK`]: open the shop, click the first product, then return the
/// price it reads from the page it observed.
struct ShopAgent {
    shop: String,
}

impl Planner for ShopAgent {
    fn plan(&self, _act: &ActView, step: usize, results: &[CallResult]) -> Vec<Call> {
        let calls = match step {
            0 => vec![
                (
                    "think",
                    json!(["I should open the shop and look at the first product."]),
                ),
                ("goToUrl", json!([self.shop])),
            ],
            1 => vec![
                ("agentClick", json!([FIRST_PRODUCT])),
                ("waitForPageToSettle", json!([])),
            ],
            2 => vec![("takeObservation", json!([]))],
            _ => match price(results) {
                Some(price) => vec![("return", json!([price]))],
                None => vec![("throw", json!(["I cannot see a price on this page."]))],
            },
        };
        calls
            .into_iter()
            .enumerate()
            .map(|(i, (name, input))| call(step, i, name, input))
            .collect()
    }
}

/// The text of the `id="price"` element in the last observation's simplified DOM.
fn price(results: &[CallResult]) -> Option<String> {
    let text = results.last()?.content.first()?.text.as_deref()?;
    let observation: Value = serde_json::from_str(text).ok()?;
    let dom = observation.get("simplifiedDOM")?.as_str()?;
    let line = dom.lines().find(|line| line.contains("id=\"price\""))?;
    let start = line.find('>')? + 1;
    let end = line.rfind("</")?;
    Some(line.get(start..end)?.to_owned())
}

/// The shop's two pages, as a real browser gets them.
const FRONT_PAGE: &str = r#"<!doctype html><title>Shop</title>
<style>a { position: absolute; left: 128px; width: 384px; height: 72px; font: 24px sans-serif }</style>
<h1>Shop</h1>
<a href="/products/1" style="top: 198px">Red apple</a>
<a href="/products/2" style="top: 300px">Pear</a>"#;
const PRODUCT_PAGE: &str = r#"<!doctype html><title>Red apple</title>
<h1>Red apple</h1><p>Price: <span id="price">$4.99</span></p>"#;

/// Serves the shop on 127.0.0.1 for as long as the command runs.
async fn serve_shop() -> Result<String, String> {
    use axum::response::Html;
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { Html(FRONT_PAGE) }))
        .route(
            "/products/1",
            axum::routing::get(|| async { Html(PRODUCT_PAGE) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|err| format!("cannot serve the shop page: {err}"))?;
    let url = format!(
        "http://{}/",
        listener
            .local_addr()
            .map_err(|err| format!("cannot serve the shop page: {err}"))?
    );
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::warn!(error = %err, "the shop page server stopped");
        }
    });
    Ok(url)
}

/// A pretend browser on a two-page shop: enough to show the act loop without a real browser.
struct PretendBrowser {
    url: String,
}

impl PretendBrowser {
    fn observe(&self) -> Value {
        let product = format!("{PRETEND_SHOP}products/1");
        let dom = if self.url == product {
            "<h1 bbox=\"0,0,200,50\">Red apple</h1>\n<span id=\"price\" bbox=\"60,60,100,80\">$4.99</span>"
        } else {
            "<h1 bbox=\"0,0,200,50\">Shop</h1>\n<a href=\"/products/1\" bbox=\"80,220,320,300\">Red apple</a>"
        };
        let mut observation = Observation::blank(&self.url);
        observation.simplified_dom = Some(dom.to_owned());
        observation.browser_dimensions = json!({"windowWidth": 1600, "windowHeight": 900});
        json!(observation)
    }
}

#[async_trait::async_trait]
impl Actuator for PretendBrowser {
    async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError> {
        match action {
            BrowserAction::TakeObservation => return Ok(self.observe()),
            BrowserAction::GoToUrl { url } => self.url = url,
            BrowserAction::Click { .. } if self.url == PRETEND_SHOP => {
                self.url = format!("{PRETEND_SHOP}products/1");
            }
            _ => {}
        }
        Ok(Value::Null)
    }
}

/// Runs the quickstart.
pub(crate) async fn run(cli: &Cli, live: bool, real_browser: bool) -> Result<ExitCode, String> {
    // From here on Ctrl-C and SIGTERM end the act and the run as FAILED and close the browser,
    // instead of ending the process with both left behind.
    let shutdown = Shutdown::on_signals();
    let shop = if real_browser {
        serve_shop().await?
    } else {
        PRETEND_SHOP.to_owned()
    };
    // Started first: a missing browser should stop the command before it touches the service.
    let browser: Box<dyn Actuator> = if real_browser {
        let browser = Browser::builder()
            .simplified_dom(true)
            .launch()
            .await
            .map_err(|err| crate::report(&err))?;
        Box::new(browser)
    } else {
        Box::new(PretendBrowser {
            url: "about:blank".into(),
        })
    };
    let emulator = if live {
        None
    } else {
        Some(
            Emulator::builder()
                .planner(ShopAgent { shop: shop.clone() })
                .start()
                .await
                .map_err(|err| {
                    format!(
                        "cannot start the embedded emulator: {}",
                        nova_act::Report(&err)
                    )
                })?,
        )
    };
    let nova = match &emulator {
        // The ordinary credential chain, fed the emulator's generated key through the environment.
        Some(emulator) => NovaAct::builder()
            .env(Env::from_vars([
                (
                    "AWS_ACCESS_KEY_ID",
                    emulator.access_key().access_key_id.as_str(),
                ),
                (
                    "AWS_SECRET_ACCESS_KEY",
                    emulator.access_key().secret_access_key.as_str(),
                ),
                ("AWS_REGION", emulator.region()),
                ("AWS_ENDPOINT_URL_NOVA_ACT", emulator.url()),
                ("AWS_EC2_METADATA_DISABLED", "true"),
            ]))
            .build()
            .await
            .map_err(|err| crate::report(&err))?,
        None => cli.nova().await?,
    };
    let identity = nova.identity().await.map_err(|err| crate::report(&err))?;
    cli.definition_notice(&nova, None);
    let events = Events { json: cli.json };
    let endpoint = nova.client().endpoint().to_string();
    events.emit(
        "started",
        json!({"endpoint": endpoint, "emulator": emulator.is_some()}),
        || match &emulator {
            Some(_) => {
                format!("Nova Act emulator on {endpoint} (no account needed; `--live` uses yours)")
            }
            None => format!("Nova Act at {endpoint}"),
        },
    );
    events.emit(
        "credentials",
        json!({
            "mode": identity.mode.as_str(),
            "source": identity.source.to_string(),
            "key": identity.masked_id,
            "region": identity.region.name(),
        }),
        || format!("credentials: {identity}"),
    );

    let mut workflow = nova.workflow();
    if identity.mode == AuthMode::Iam {
        // Created only when missing, so that the `run` tier is enough once it exists.
        let client = nova.client();
        let created = client
            .ensure_workflow_definition(CreateWorkflowDefinitionInput {
                name: DEFINITION.into(),
                description: Some("Created by `nova-act quickstart`".into()),
                ..Default::default()
            })
            .await
            .map_err(|err| crate::report(&err))?;
        events.emit(
            "workflow_definition",
            json!({"name": DEFINITION, "created": created}),
            || {
                let how = if created { "created" } else { "exists" };
                format!("workflow definition: {DEFINITION} ({how})")
            },
        );
        workflow = workflow.definition(DEFINITION);
    } else {
        events.emit(
            "workflow_definition",
            json!({"name": "default", "created": false}),
            || "workflow definition: default (the API-key service's only one)".to_owned(),
        );
    }
    if real_browser {
        events.emit(
            "browser",
            json!({"kind": "chromium", "headless": true, "page": shop}),
            || format!("browser: headless Chromium, shop page at {shop}"),
        );
    }
    events.emit("act", json!({"task": TASK}), || format!("act: {TASK}"));
    if let Some(reason) = shutdown.reason() {
        let mut browser = browser;
        browser.close().await;
        return Ok(interrupted(reason, false));
    }
    let started = Instant::now();
    let outcome = workflow
        .shutdown(shutdown.clone())
        .run(|run| async move {
            let mut session = narrated_session(&run, browser, started, events).await?;
            let outcome = session.act(ActRequest::new(TASK).max_steps(10)).await;
            // Awaited, so the browser and its folders are gone before the program ends.
            session.actuator().close().await;
            outcome
        })
        .await;
    if let Some(reason) = shutdown.reason() {
        if let Some(emulator) = emulator {
            emulator.shutdown().await;
        }
        return Ok(interrupted(reason, true));
    }
    let result = outcome.map_err(|err| crate::report_run(&err))?;
    let latencies: Vec<u128> = result
        .step_latencies
        .iter()
        .map(|d| d.as_millis())
        .collect();
    events.emit(
        "result",
        json!({
            "value": result.value,
            "steps": result.steps,
            "step_latencies_ms": latencies,
        }),
        || {
            format!(
                "result: {} in {} steps (service time per step: {})",
                result
                    .value
                    .as_ref()
                    .map_or_else(|| "(none)".to_owned(), Value::to_string),
                result.steps,
                latencies
                    .iter()
                    .map(|ms| format!("{ms}ms"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
    );
    events.emit("finished", json!({"status": "SUCCEEDED"}), || {
        "workflow run SUCCEEDED".to_owned()
    });
    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    Ok(ExitCode::SUCCESS)
}
