//! A Nova Act workflow served on the Amazon Bedrock AgentCore Runtime contract: each
//! `POST /invocations` runs one act in a headless Chromium inside the container (or, with
//! `"remote": true`, on an AgentCore Browser session) and answers with its result.
//!
//! The payload:
//! ```json
//! {"task": "Find the price of the first product", "starting_page": "https://shop.example",
//!  "NOVA_ACT_WORKFLOW_NAME": "shop-watch", "remote": false,
//!  "AC_HANDLER_ENV": {"NOVA_ACT_API_KEY": "…"}}
//! ```
//! `NOVA_ACT_WORKFLOW_NAME` is the workflow definition under IAM (`nova-act workflow invoke`
//! adds it); `AC_HANDLER_ENV` sets variables for this invocation only. On AgentCore the
//! credentials are the runtime's execution role, found by the ordinary chain.
#![allow(clippy::print_stderr)]

use nova_act::NovaAct;
use nova_act::agentcore::{BrowserSessions, Invocation, Runtime, SessionOptions};
use nova_act::browser::Browser;
use serde_json::{Value, json};

/// `NOVA_ACT_OTEL=cloudwatch`: spans to CloudWatch (X-Ray's OTLP endpoint in `AWS_REGION`),
/// signed by the runtime's role; `NOVA_ACT_OTEL=otlp`, or an `OTEL_EXPORTER_OTLP_ENDPOINT`: to
/// that collector. Unset: no export.
const OTEL_VAR: &str = "NOVA_ACT_OTEL";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Colours only on a terminal: on AgentCore (and under `deploy --local`) the output is
        // a log.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        );
    let telemetry = telemetry().await;
    let otel = telemetry.as_ref().map(nova_act::otel::Telemetry::layer);
    tracing_subscriber::registry().with(logs).with(otel).init();
    let code = serve().await;
    if let Some(telemetry) = telemetry {
        telemetry.shutdown().await;
    }
    code
}

/// The exporter [`OTEL_VAR`] asks for, if any; a failure to set it up is a warning, never a
/// runtime that does not start.
async fn telemetry() -> Option<nova_act::otel::Telemetry> {
    let wanted = std::env::var(OTEL_VAR).unwrap_or_default();
    let builder = nova_act::otel::Telemetry::builder().service_name("agentcore-workflow");
    let built = match wanted.as_str() {
        "cloudwatch" => {
            let auth = nova_act::Auth::builder()
                .mode(nova_act::AuthMode::Iam)
                .build()
                .await;
            match auth {
                Ok(auth) => {
                    let region = auth.region().to_string();
                    builder.cloudwatch(region, auth).build()
                }
                Err(err) => {
                    eprintln!(
                        "warning: no spans to CloudWatch: {}",
                        nova_act::Report(&err)
                    );
                    return None;
                }
            }
        }
        "otlp" => builder.build(),
        _ if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some() => builder.build(),
        _ => return None,
    };
    built
        .inspect_err(|err| {
            eprintln!(
                "warning: no OpenTelemetry export: {}",
                nova_act::Report(err)
            )
        })
        .ok()
}

async fn serve() -> std::process::ExitCode {
    let runtime = match Runtime::new(handle).bind().await {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: {}", nova_act::Report(&err));
            return std::process::ExitCode::FAILURE;
        }
    };
    eprintln!("listening on {}", runtime.local_addr());
    match runtime.run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", nova_act::Report(&err));
            std::process::ExitCode::FAILURE
        }
    }
}

/// One invocation: one workflow run with one act.
async fn handle(invocation: Invocation) -> Result<Value, String> {
    let payload = invocation.payload();
    let task = payload["task"]
        .as_str()
        .ok_or("the payload needs a \"task\" (a string)")?
        .to_owned();
    let starting_page = payload["starting_page"]
        .as_str()
        .unwrap_or("about:blank")
        .to_owned();
    let remote = payload["remote"].as_bool().unwrap_or(false);
    let nova = NovaAct::builder()
        .env(invocation.env().clone())
        .build()
        .await
        .map_err(|err| nova_act::Report(&err).to_string())?;
    // Which credentials this invocation uses, and from where (never the key itself).
    let credentials = nova
        .identity()
        .await
        .map_err(|err| nova_act::Report(&err).to_string())?
        .to_string();
    let mut workflow = nova.workflow().shutdown(invocation.shutdown().clone());
    if let Some(name) = payload[nova_act::agentcore::WORKFLOW_MEMBER].as_str() {
        workflow = workflow.definition(name);
    }
    let builder = Browser::builder()
        .env(invocation.env().clone())
        .starting_page(&starting_page)
        .simplified_dom(true);
    let act = |browser: Browser| {
        let task = task.clone();
        async move {
            workflow
                .run(|run| async move {
                    let mut session = run.session(browser).await?;
                    let outcome = session.act(task.as_str()).await;
                    // Awaited, so the browser is gone before the invocation answers.
                    session.actuator().close().await;
                    outcome
                })
                .await
                .map_err(|err| nova_act::Report(&err).to_string())
        }
    };
    let result = if remote {
        let sessions = BrowserSessions::builder(nova.auth())
            .env(invocation.env().clone())
            .build()
            .map_err(|err| nova_act::Report(&err).to_string())?;
        sessions
            .with_session(
                SessionOptions::new(),
                Some(invocation.shutdown()),
                |session| async move {
                    let browser = session
                        .connect(builder)
                        .await
                        .map_err(|err| nova_act::Report(&err).to_string())?;
                    act(browser).await
                },
            )
            .await
            .map_err(|err| nova_act::Report(&err).to_string())??
    } else {
        let browser = builder
            .launch()
            .await
            .map_err(|err| nova_act::Report(&err).to_string())?;
        act(browser).await?
    };
    Ok(json!({
        "answer": result.value,
        "act_id": result.act_id,
        "session_id": result.session_id,
        "steps": result.steps,
        "credentials": credentials,
    }))
}
