//! Tools from MCP servers: a server started as a child process, speaking the Model Context
//! Protocol over its stdin and stdout, whose tools are offered to the model beside your own.

use std::time::Duration;

use rmcp::model::{CallToolRequestParams, ContentBlock, Tool};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;
use tokio::sync::Mutex;

use super::calls::CallError;
use crate::model::{ToolInputSchema, ToolSpec};

/// How long a server may take to start and list its tools, unless told otherwise.
pub const MCP_START_TIMEOUT: Duration = Duration::from_secs(10);

/// An MCP server that could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum McpError {
    /// The process did not start.
    #[error(
        "could not start the MCP server `{command}`; check the command and that it is installed"
    )]
    Start {
        /// The command.
        command: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The process started but did not answer as an MCP server over stdio.
    #[error(
        "`{command}` did not answer as an MCP server over stdio ({what}); check that it speaks MCP on its stdin and stdout"
    )]
    Protocol {
        /// The command.
        command: String,
        /// What failed: the handshake, or listing the tools.
        what: &'static str,
        /// Why.
        #[source]
        source: Option<nova_auth::BoxError>,
    },
}

/// A running MCP server and the tools it lists. Give it to a session
/// ([`Session::mcp`](super::Session::mcp)): its tools are offered to the model with every act,
/// and the agent's calls to them go to the server. Close it with [`McpServer::close`] when done;
/// dropping it kills the process too, but cannot wait for it.
///
/// ```no_run
/// # async fn demo(session: &mut nova_act_core::runtime::Session<Box<dyn nova_act_core::runtime::Actuator>>) -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use nova_act_core::runtime::McpServer;
///
/// let mut command = std::process::Command::new("npx");
/// command.args(["-y", "@modelcontextprotocol/server-filesystem", "/srv/shared"]);
/// let files = Arc::new(McpServer::start(command).await?);
/// session.mcp(Arc::clone(&files));
/// session.act("Save the order confirmation into order.txt").await?;
/// files.close().await;
/// # Ok(()) }
/// ```
pub struct McpServer {
    command: String,
    client: Mutex<Option<RunningService<RoleClient, ()>>>,
    tools: Vec<Tool>,
}

impl std::fmt::Debug for McpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.tools.iter().map(|t| t.name.as_ref()).collect();
        f.debug_struct("McpServer")
            .field("command", &self.command)
            .field("tools", &names)
            .finish()
    }
}

/// A tool name the service takes: `[a-zA-Z0-9_-]{1,64}`.
fn offerable(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl McpServer {
    /// Starts `command` and lists its tools, within [`MCP_START_TIMEOUT`].
    pub async fn start(command: std::process::Command) -> Result<Self, McpError> {
        Self::start_within(command, MCP_START_TIMEOUT).await
    }

    /// Starts `command` and lists its tools, within `timeout`.
    pub async fn start_within(
        command: std::process::Command,
        timeout: Duration,
    ) -> Result<Self, McpError> {
        let shown = {
            std::iter::once(command.get_program())
                .chain(command.get_args())
                .map(|part| part.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let protocol = |what, source: Option<nova_auth::BoxError>| McpError::Protocol {
            command: shown.clone(),
            what,
            source,
        };
        let transport =
            TokioChildProcess::new(tokio::process::Command::from(command)).map_err(|source| {
                McpError::Start {
                    command: shown.clone(),
                    source,
                }
            })?;
        let client = match tokio::time::timeout(timeout, ().serve(transport)).await {
            Err(_) => return Err(protocol("no answer to the handshake in time", None)),
            Ok(Err(err)) => return Err(protocol("the handshake failed", Some(Box::new(err)))),
            Ok(Ok(client)) => client,
        };
        let listed = tokio::time::timeout(timeout, client.list_all_tools()).await;
        let tools = match listed {
            Ok(Ok(tools)) => tools,
            failed => {
                let source: Option<nova_auth::BoxError> = match failed {
                    Ok(Err(err)) => Some(Box::new(err)),
                    _ => None,
                };
                let _ = client.cancel().await;
                return Err(protocol("listing its tools failed", source));
            }
        };
        let (tools, skipped): (Vec<Tool>, Vec<Tool>) =
            tools.into_iter().partition(|tool| offerable(&tool.name));
        for tool in skipped {
            tracing::warn!(tool = %tool.name, "an MCP tool's name is not one the service takes ([a-zA-Z0-9_-]{{1,64}}); it is not offered");
        }
        tracing::debug!(command = %shown, tools = tools.len(), "MCP server ready");
        Ok(Self {
            command: shown,
            client: Mutex::new(Some(client)),
            tools,
        })
    }

    /// The tools the server offers, as the service declares them.
    pub fn tool_specs(&self) -> Vec<ToolSpec> {
        self.tools
            .iter()
            .map(|tool| ToolSpec {
                name: tool.name.to_string(),
                description: tool
                    .description
                    .as_deref()
                    .filter(|d| !d.is_empty())
                    .unwrap_or("A tool from an MCP server.")
                    .chars()
                    .take(10_000)
                    .collect(),
                input_schema: ToolInputSchema {
                    json: Some(Value::Object((*tool.input_schema).clone())),
                },
            })
            .collect()
    }

    /// Whether the server offers tool `name`.
    pub fn has_tool(&self, name: &str) -> bool {
        self.tools.iter().any(|tool| tool.name == name)
    }

    /// Calls tool `name` with `input` (a JSON object). Its text content comes back as one
    /// string (JSON when the server gave structured content); an error the tool reports is a
    /// failed call.
    pub async fn call(&self, name: &str, input: Value) -> Result<Value, CallError> {
        let arguments = match input {
            Value::Object(map) => map,
            Value::Null => serde_json::Map::new(),
            other => {
                return Err(CallError::invalid(format!(
                    "the input of MCP tool `{name}` must be a JSON object, not {other}"
                )));
            }
        };
        let client = self.client.lock().await;
        let Some(client) = client.as_ref() else {
            return Err(CallError::new("McpError", "the MCP server was closed"));
        };
        let params = CallToolRequestParams::new(name.to_owned()).with_arguments(arguments);
        let result = client
            .call_tool(params)
            .await
            .map_err(|err| CallError::new("McpError", nova_auth::Report(&err)))?;
        let text: Vec<String> = result
            .content
            .iter()
            .filter_map(|block| match block {
                ContentBlock::Text(text) => Some(text.text.clone()),
                _ => None,
            })
            .collect();
        if result.is_error == Some(true) {
            return Err(CallError::new("McpToolError", text.join("\n")));
        }
        Ok(match result.structured_content {
            Some(structured) => structured,
            None => Value::String(text.join("\n")),
        })
    }

    /// Ends the session with the server and waits for its process to exit.
    pub async fn close(&self) {
        if let Some(client) = self.client.lock().await.take()
            && let Err(err) = client.cancel().await
        {
            tracing::debug!(error = %err, "the MCP server did not stop cleanly");
        }
    }
}
