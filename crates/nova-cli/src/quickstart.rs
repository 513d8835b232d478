//! `nova-act quickstart`: a whole workflow, printed step by step, against the embedded emulator
//! (or, with `--live`, the real service).

use std::process::ExitCode;
use std::time::Instant;

use nova_act::model::CreateWorkflowDefinitionInput;
use nova_act::runtime::{ActRequest, Actuator, BrowserAction, CallError, Observation};
use nova_act::{AuthMode, Env, NovaAct};
use nova_emulator::{Emulator, ScriptedPlanner};
use serde_json::{Value, json};

use crate::Cli;

/// The task the quickstart runs.
pub(crate) const TASK: &str = "Find the price of the first product on the shop's front page";
const SHOP: &str = "https://shop.example/";
const PRODUCT: &str = "https://shop.example/products/1";

/// The emulator's plan for [`TASK`], step by step.
fn planner() -> ScriptedPlanner {
    ScriptedPlanner::new().script(
        "price of the first product",
        vec![
            vec![
                (
                    "think",
                    json!(["I should open the shop and look at the first product."]),
                ),
                ("goToUrl", json!([SHOP])),
            ],
            vec![
                ("agentClick", json!(["<bbox>80,220,320,300</bbox>"])),
                ("waitForPageToSettle", json!([])),
            ],
            vec![("takeObservation", json!([]))],
            vec![("return", json!(["$4.99"]))],
        ],
    )
}

/// A pretend browser on a two-page shop: enough to show the act loop without a real browser.
struct PretendBrowser {
    url: String,
    started: Instant,
}

impl PretendBrowser {
    fn say(&self, what: String) {
        println!("  {:>6.2}s  {what}", self.started.elapsed().as_secs_f64());
    }

    fn observe(&self) -> Value {
        let dom = if self.url == PRODUCT {
            "<h1>Red apple</h1><span class=price>$4.99</span>"
        } else {
            "<h1>Shop</h1><a href=/products/1>Red apple</a><a href=/products/2>Pear</a>"
        };
        let mut observation = Observation::blank(&self.url);
        observation.simplified_dom = Some(dom.to_owned());
        observation.browser_dimensions = json!({"width": 1600, "height": 900});
        json!(observation)
    }
}

#[async_trait::async_trait]
impl Actuator for PretendBrowser {
    async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError> {
        match action {
            BrowserAction::TakeObservation => {
                self.say(format!("takeObservation   {}", self.url));
                Ok(self.observe())
            }
            BrowserAction::GoToUrl { url } => {
                self.say(format!("goToUrl           {url}"));
                self.url = url;
                Ok(Value::Null)
            }
            BrowserAction::Click { target, .. } => {
                let (x, y) = target.center();
                self.say(format!("agentClick        at ({x:.0}, {y:.0}) of 1000"));
                if self.url == SHOP {
                    self.url = PRODUCT.to_owned();
                }
                Ok(Value::Null)
            }
            BrowserAction::Think { thought } => {
                self.say(format!("think             {thought}"));
                Ok(Value::Null)
            }
            other => {
                self.say(other.name().to_owned());
                Ok(Value::Null)
            }
        }
    }
}

/// Runs the quickstart.
pub(crate) async fn run(cli: &Cli, live: bool) -> Result<ExitCode, String> {
    let emulator = if live {
        None
    } else {
        Some(
            Emulator::builder()
                .planner(planner())
                .start()
                .await
                .map_err(|err| format!("cannot start the embedded emulator: {err}"))?,
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
            .map_err(|err| err.to_string())?,
        None => cli.nova().await?,
    };
    let identity = nova.identity().await.map_err(|err| err.to_string())?;
    match &emulator {
        Some(emulator) => println!(
            "Nova Act emulator on {} (no account needed; `--live` uses yours)",
            emulator.url()
        ),
        None => println!("Nova Act at {}", nova.client().endpoint()),
    }
    println!("credentials: {identity}");

    let mut workflow = nova.workflow();
    if identity.mode == AuthMode::Iam {
        let created = nova
            .client()
            .create_workflow_definition(CreateWorkflowDefinitionInput {
                name: "quickstart".into(),
                description: Some("Created by `nova-act quickstart`".into()),
                ..Default::default()
            })
            .await;
        match created {
            Ok(_) => println!("workflow definition: quickstart (created)"),
            Err(nova_act::Error::Conflict { .. }) => {
                println!("workflow definition: quickstart (exists)")
            }
            Err(err) => return Err(err.to_string()),
        }
        workflow = workflow.definition("quickstart");
    } else {
        println!("workflow definition: default (the API-key service's only one)");
    }
    println!("act: {TASK}");
    let started = Instant::now();
    let outcome = workflow
        .run(|run| async move {
            println!("workflow run {}", run.id());
            let browser = PretendBrowser {
                url: "about:blank".into(),
                started,
            };
            let mut session = run.session(browser).await?;
            println!("session {}", session.id());
            session.act(ActRequest::new(TASK).max_steps(10)).await
        })
        .await;
    let result = outcome.map_err(|err| err.to_string())?;
    println!(
        "result: {} in {} steps (service time per step: {})",
        result
            .value
            .as_ref()
            .map_or_else(|| "(none)".to_owned(), Value::to_string),
        result.steps,
        result
            .step_latencies
            .iter()
            .map(|d| format!("{}ms", d.as_millis()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("workflow run SUCCEEDED");
    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    Ok(ExitCode::SUCCESS)
}
