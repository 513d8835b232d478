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
    /// The URL of a runtime served on this machine; `None` for one AgentCore runs.
    local: Option<String>,
}

impl Invoked {
    fn new(body: reqwest::Response, local: Option<String>) -> Self {
        let content_type = body
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_owned();
        Self {
            content_type,
            body,
            local,
        }
    }

    /// The HTTP status of the answer: a success from a deployed runtime (AgentCore's refusals
    /// are errors), the handler's own status from [`invoke_local`].
    pub fn status(&self) -> u16 {
        self.body.status().as_u16()
    }

    /// The next part of the answer, as the runtime sent it; `None` at the end.
    pub async fn next_chunk(&mut self) -> Option<Result<Vec<u8>, RuntimeError>> {
        self.body
            .chunk()
            .await
            .map_err(|err| match &self.local {
                Some(url) => RuntimeError::LocalUnreachable {
                    url: url.clone(),
                    source: Box::new(err),
                },
                None => RuntimeError::Unreachable {
                    action: "InvokeAgentRuntime",
                    source: Box::new(err),
                },
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
            .header(crate::SESSION_HEADER, session_id);
        if let Some(user) = user_id {
            call = call.header(crate::USER_HEADER, user);
        }
        for (name, value) in trace_headers(&span) {
            call = call.header(name, value);
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
        Ok(Invoked::new(answer, None))
    }
}

/// Invokes a runtime served on this machine at `url` (by [`serve`](crate::Runtime), as in a
/// local deploy) as AgentCore Runtime invokes a container: `POST /invocations` with the
/// runtime session id and the user's id, unsigned; with `otel`, the runtime continues the
/// caller's trace. It carries no credentials: it is for a runtime on this machine, which
/// AgentCore does not stand in front of.
pub async fn invoke_local(
    url: &str,
    session_id: &str,
    user_id: Option<&str>,
    payload: Vec<u8>,
) -> Result<Invoked, RuntimeError> {
    let unreachable = |source: nova_auth::BoxError| RuntimeError::LocalUnreachable {
        url: url.to_owned(),
        source,
    };
    let client = nova_act_core::tls::http_client()
        .build()
        .map_err(|err| unreachable(Box::new(err)))?;
    let span = nova_act_core::telemetry::aws_call("BedrockAgentCore", "InvokeAgentRuntime");
    let mut request = client
        .post(format!("{}/invocations", url.trim_end_matches('/')))
        .header(crate::SESSION_HEADER, session_id)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    if let Some(user) = user_id {
        request = request.header(crate::USER_HEADER, user);
    }
    for (name, value) in trace_headers(&span) {
        request = request.header(name, value);
    }
    let answer = request
        .body(payload)
        .send()
        .instrument(span.clone())
        .await
        .map_err(|err| {
            span.record("otel.status_code", "ERROR");
            unreachable(Box::new(err))
        })?;
    Ok(Invoked::new(answer, Some(url.to_owned())))
}

/// With `otel`, the headers that hand the invoked runtime `span`'s trace to continue
/// (`traceparent`, and `tracestate` when there is one); none without.
fn trace_headers(span: &tracing::Span) -> Vec<(&'static str, String)> {
    #[cfg(feature = "otel")]
    if let Some((parent, state)) = span.in_scope(nova_act_core::telemetry::trace_context) {
        let mut headers = vec![("traceparent", parent)];
        headers.extend(state.map(|state| ("tracestate", state)));
        return headers;
    }
    let _ = span;
    Vec::new()
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A local runtime that goes away in the middle of its answer is named by its URL, not
    /// taken for AWS.
    #[tokio::test]
    async fn a_local_runtime_that_stops_mid_answer_is_named() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = [0; 4096];
            let _ = stream.read(&mut request).await.unwrap();
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                        content-length: 100\r\n\r\n{\"partial";
            stream.write_all(head.as_bytes()).await.unwrap();
        });
        let mut answer = super::invoke_local(&url, &super::new_session_id(), None, b"{}".to_vec())
            .await
            .unwrap();
        server.await.unwrap();
        let mut failure = None;
        while let Some(chunk) = answer.next_chunk().await {
            if let Err(err) = chunk {
                failure = Some(err);
                break;
            }
        }
        let failure = failure.expect("a cut answer is an error");
        assert_eq!(
            failure.to_string(),
            format!("the runtime at {url} did not answer; check that it is still running")
        );
    }
}
