//! Tools from an MCP server (the `nova-mcp-fixture` server of this crate, started over stdio)
//! offered to the model beside the user's own tools, end to end through the emulator's planner;
//! servers that do not start or answer garbage are typed errors; closing leaves no process.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use nova_act_core::RetryConfig;
use nova_act_core::model::{Call, CallResult, ToolInputSchema, ToolSpec};
use nova_act_core::runtime::*;
use nova_auth::AuthMode;
use nova_emulator::{ActView, Emulator, Planner, call};
use serde_json::{Value, json};

const FIXTURE: &str = env!("CARGO_BIN_EXE_nova-mcp-fixture");

/// Calls every tool offered, then returns what came back.
struct UsesEveryTool;

impl Planner for UsesEveryTool {
    fn plan(&self, act: &ActView, step: usize, results: &[CallResult]) -> Vec<Call> {
        if step == 0 {
            return act
                .tools
                .iter()
                .enumerate()
                .map(|(i, tool)| {
                    let input = match tool.name.as_str() {
                        "add" => json!({"a": 2, "b": 3}),
                        "shout" => json!({"text": "hello"}),
                        "lookup" => json!({"sku": "A-1"}),
                        _ => json!({}),
                    };
                    call(step, i, &tool.name, input)
                })
                .collect();
        }
        let texts: Vec<String> = results
            .iter()
            .filter_map(|r| {
                Some(format!(
                    "{}={}",
                    r.call_id.as_deref()?,
                    r.content.first()?.text.as_deref()?
                ))
            })
            .collect();
        vec![call(step, 0, "return", json!([texts.join(" | ")]))]
    }
}

#[derive(Debug)]
struct Blank;

#[async_trait]
impl Actuator for Blank {
    async fn browser(&mut self, _action: BrowserAction) -> Result<Value, CallError> {
        Ok(json!(Observation::blank("http://127.0.0.1/")))
    }
}

fn fixture(marker: &str) -> std::process::Command {
    let mut command = std::process::Command::new(FIXTURE);
    command.arg(format!("--marker={marker}"));
    command
}

/// Processes whose command line holds `marker`.
fn processes_with(marker: &str) -> Vec<(u32, String)> {
    nova_test_support::processes_mentioning(marker)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_tools_are_offered_beside_the_users_own_and_answer_the_agent() {
    let emulator = Emulator::builder()
        .planner(UsesEveryTool)
        .start()
        .await
        .unwrap();
    let client = emulator
        .client(AuthMode::ApiKey)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let marker = format!("mcp-{}", std::process::id());
    let server = Arc::new(McpServer::start(fixture(&marker)).await.unwrap());
    assert_eq!(processes_with(&marker).len(), 1);
    let names: Vec<String> = server.tool_specs().into_iter().map(|t| t.name).collect();
    assert_eq!(
        names,
        ["add", "shout", "fail"],
        "a name the service refuses is left out"
    );

    let lookup = ToolSpec {
        name: "lookup".into(),
        description: "Looks up a product.".into(),
        input_schema: ToolInputSchema {
            json: Some(json!({"type": "object"})),
        },
    };
    let actuator = WithTools::new(Blank).with_tool("lookup", |input: Value| async move {
        Ok(json!({"sku": input["sku"], "stock": 7}))
    });
    let mcp = Arc::clone(&server);
    let result = Workflow::new(&client)
        .run(|run| async move {
            let mut session = run.session(actuator).await?;
            session.mcp(mcp);
            session
                .act(ActRequest::new("Use every tool").tool(lookup))
                .await
        })
        .await
        .unwrap();
    let offered: Vec<String> = emulator.acts()[0]
        .view
        .tools
        .iter()
        .map(|t| t.name.clone())
        .collect();
    assert_eq!(offered, ["lookup", "add", "shout", "fail"]);
    insta::assert_snapshot!(result.value.unwrap().as_str().unwrap(), @r#"call-0-0={"sku":"A-1","stock":7} | call-0-1="5" | call-0-2="HELLO" | call-0-3=McpToolError: this tool always fails"#);

    server.close().await;
    assert!(
        processes_with(&marker).is_empty(),
        "the server's process is gone"
    );
}

#[tokio::test]
async fn servers_that_do_not_start_or_answer_garbage_are_typed_errors() {
    let err = McpServer::start(std::process::Command::new("/nonexistent/mcp-server"))
        .await
        .unwrap_err();
    let said = err.to_string();
    assert!(matches!(err, McpError::Start { .. }), "{err:?}");
    assert!(said.starts_with("could not start the MCP server `/nonexistent/mcp-server`"));

    let marker = format!("garbage-{}", std::process::id());
    let mut garbage = fixture(&marker);
    garbage.arg("--garbage");
    let err = McpServer::start_within(garbage, Duration::from_secs(2))
        .await
        .unwrap_err();
    assert!(matches!(err, McpError::Protocol { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("did not answer as an MCP server over stdio"),
        "{err}"
    );
    // The server that answered garbage is killed, not left running.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !processes_with(&marker).is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        processes_with(&marker).is_empty(),
        "{:?}",
        processes_with(&marker)
    );
}
