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

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal: on AgentCore (and under `deploy --local`) the output is
        // a log.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
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
