//! Invoking a deployed runtime, its answer read as it arrives.

use http::Method;
use nova_act_core::Retry;
use tracing::Instrument;

use super::{Deployer, failed};
use crate::aws::{Call, encode};
use crate::error::RuntimeError;

/// The answer of an invoked runtime, read as it arrives.
#[derive(Debug)]
pub struct Invoked {
    /// Its content type: `application/json`, or `text/event-stream` for a stream of events.
    pub content_type: String,
    body: reqwest::Response,
}

impl Invoked {
    /// The next part of the answer, as the runtime sent it; `None` at the end.
    pub async fn next_chunk(&mut self) -> Option<Result<Vec<u8>, RuntimeError>> {
        self.body
            .chunk()
            .await
            .map_err(|err| RuntimeError::Unreachable {
                action: "InvokeAgentRuntime",
                source: Box::new(err),
            })
            .map(|chunk| chunk.map(|bytes| bytes.to_vec()))
            .transpose()
    }
}

/// The shortest runtime session id AgentCore accepts.
pub const MIN_SESSION_ID: usize = 33;

/// A fresh runtime session id: a UUID, 36 characters.
pub fn new_session_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Deployer {
    /// Invokes the runtime `arn` with `payload` in runtime session `session_id` (at least 33
    /// characters; invocations of one session reach the same container).
    pub async fn invoke(
        &self,
        arn: &str,
        session_id: &str,
        payload: Vec<u8>,
    ) -> Result<Invoked, RuntimeError> {
        self.invoke_for_user(arn, session_id, None, payload).await
    }

    /// [`Deployer::invoke`] on behalf of `user_id`: the runtime then issues the invocation a
    /// workload access token for that user, with which AgentCore Identity hands out the API key
    /// (`NOVA_ACT_API_KEY_AGENTCORE_PROVIDER`).
    pub async fn invoke_for_user(
        &self,
        arn: &str,
        session_id: &str,
        user_id: Option<&str>,
        payload: Vec<u8>,
    ) -> Result<Invoked, RuntimeError> {
        if session_id.chars().count() < MIN_SESSION_ID {
            return Err(RuntimeError::InvalidDeployment {
                message: format!(
                    "the runtime session id `{session_id}` is too short: AgentCore takes \
                     {MIN_SESSION_ID} to 256 characters (a UUID has 36)"
                ),
            });
        }
        // The call's span: with `otel`, the runtime is handed its trace to continue.
        let span = nova_act_core::telemetry::aws_call("BedrockAgentCore", "InvokeAgentRuntime");
        let path = format!("/runtimes/{}/invocations", encode(arn));
        let mut call = Call::new(Method::POST, path, Retry::OnlyIfUnsent)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("x-amzn-bedrock-agentcore-runtime-session-id", session_id);
        if let Some(user) = user_id {
            call = call.header(crate::USER_HEADER, user);
        }
        #[cfg(feature = "otel")]
        if let Some((parent, state)) = span.in_scope(nova_act_core::telemetry::trace_context) {
            call = call.header("traceparent", parent);
            if let Some(state) = state {
                call = call.header("tracestate", state);
            }
        }
        let call = call.body(payload).streaming();
        let answer = self
            .aws
            .send(&self.runtime, &call)
            .instrument(span.clone())
            .await
            .map_err(|err| {
                span.record("otel.status_code", "ERROR");
                failed("bedrock-agentcore:InvokeAgentRuntime", err)
            })?;
        let content_type = answer
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_owned();
        Ok(Invoked {
            content_type,
            body: answer,
        })
    }
}
