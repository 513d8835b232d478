//! A small MCP server over stdio, for the tests of MCP tools: `add` ({a, b} → their sum),
//! `shout` ({text} → it in capitals) and `fail` (a tool error). With `--garbage` it prints a
//! line that is not JSON-RPC and waits instead.
#![allow(missing_docs, clippy::print_stdout)]

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Value, json};

struct Fixture;

fn schema(value: Value) -> Arc<serde_json::Map<String, Value>> {
    match value {
        Value::Object(map) => Arc::new(map),
        _ => Arc::default(),
    }
}

impl ServerHandler for Fixture {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let number = json!({"type": "number"});
        Ok(ListToolsResult::with_all_items(vec![
            Tool::new(
                "add",
                "Adds two numbers.",
                schema(
                    json!({"type": "object", "properties": {"a": number, "b": number}, "required": ["a", "b"]}),
                ),
            ),
            Tool::new(
                "shout",
                "Writes a text in capitals.",
                schema(
                    json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}),
                ),
            ),
            Tool::new("fail", "Always fails.", schema(json!({"type": "object"}))),
            Tool::new(
                "not a name",
                "A name the service refuses.",
                schema(json!({"type": "object"})),
            ),
        ]))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.unwrap_or_default();
        let number = |key: &str| args.get(key).and_then(Value::as_f64).unwrap_or_default();
        let result = match request.name.as_ref() {
            "add" => CallToolResult::success(vec![ContentBlock::text(
                (number("a") + number("b")).to_string(),
            )]),
            "shout" => {
                let text = args.get("text").and_then(Value::as_str).unwrap_or_default();
                CallToolResult::success(vec![ContentBlock::text(text.to_uppercase())])
            }
            _ => CallToolResult::error(vec![ContentBlock::text("this tool always fails")]),
        };
        Ok(CallToolResponse::Complete(result))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if std::env::args().any(|arg| arg == "--garbage") {
        println!("this is not JSON-RPC");
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        return;
    }
    let running = Fixture
        .serve(rmcp::transport::stdio())
        .await
        .expect("the handshake");
    let _ = running.waiting().await;
}
