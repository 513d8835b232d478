//! Routing a request to its operation, after checking who sent it and whether they may.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use nova_act_core::iam::PolicyScope;
use nova_act_core::model::*;
use nova_act_core::{OPERATIONS, Operation, OperationInfo, Resource, Retry, limits};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ServiceError, set_request_id};
use crate::identity::{self, Identities, Signer};
use crate::planner::Planner;
use crate::sigv4;
use crate::store::Store;

/// Everything the handlers share.
pub(crate) struct Shared {
    /// The keys that may sign, own and issued, and the policies they are held to.
    pub(crate) identities: Identities,
    /// Derived signing keys and the count of general-path verifications.
    pub(crate) sigv4: sigv4::Cache,
    pub(crate) api_keys: identity::ApiKeys,
    /// S3 objects (browser state kept there).
    pub(crate) objects: crate::s3::Objects,
    /// Every request received, when recording is on.
    pub(crate) recorder: crate::record::Recorder,
    /// Secrets Manager, Parameter Store and AgentCore Identity, holding API keys.
    pub(crate) key_stores: crate::key_stores::KeyStores,
    pub(crate) planner: Arc<dyn Planner>,
    pub(crate) region: String,
    pub(crate) account: String,
    pub(crate) store: Mutex<Store>,
    /// Skip authentication (benchmarks of the unsigned floor only).
    pub(crate) open: bool,
    /// Fault injection: lose the response of the first call of each create operation.
    pub(crate) drop_first_create_response: bool,
    /// The create operations whose first response was already lost, and how many were.
    pub(crate) dropped: Mutex<Vec<&'static str>>,
    /// AgentCore Browser sessions and their Chromiums.
    pub(crate) browsers: crate::agentcore_browser::Browsers,
    /// `HOST:PORT` served, for the stream endpoints sessions announce.
    pub(crate) host: String,
    /// The request-rate quotas, metered per caller and operation.
    pub(crate) meter: crate::quotas::Meter,
    /// The model's think time per step, and what draws it.
    pub(crate) step_latency: crate::quotas::StepLatency,
    pub(crate) latency_rng: Mutex<fastrand::Rng>,
}

impl Shared {
    /// The store, with whatever has timed out by now ended.
    pub(crate) fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        let mut store = self
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        store.expire();
        store
    }

    /// ARNs in the forms the SDK's policies name (one definition of them, in nova-act-core).
    fn arns(&self) -> PolicyScope {
        PolicyScope {
            region: Some(self.region.clone()),
            account: Some(self.account.clone()),
            ..PolicyScope::default()
        }
    }

    pub(crate) fn definition_arn(&self, name: &str) -> String {
        self.arns().definition_arn(name)
    }

    pub(crate) fn run_arn(&self, definition: &str, run: &str) -> String {
        self.arns().run_arn(definition, run)
    }
}

/// Who is calling.
pub(crate) enum Caller<'a> {
    Iam(Signer<'a>),
    ApiKey,
}

pub(crate) fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = segment
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn query(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k) == name).then(|| decode(v))
    })
}

/// The whole service: one handler for every path, so authentication sees the raw request;
/// every request is recorded with its answer's status when recording is on.
pub(crate) async fn handle(
    state: State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let recorder = state.0.clone();
    let (verb, path) = (method.to_string(), uri.to_string());
    let body = recorder.recorder.is_on().then(|| bytes.clone());
    let traceparent = headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = answer(state, method, uri, headers, bytes).await;
    if let Some(body) = body {
        let request = (verb.as_str(), path.as_str(), traceparent);
        recorder
            .recorder
            .record(request, response.status().as_u16(), &body);
    }
    response
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let path = uri.path().to_owned();
    let api_key_service = path.starts_with("/agent/");
    if crate::s3::is_s3(&headers) {
        return crate::s3::serve(&shared, &method, &uri, &headers, &bytes);
    }
    if let Some(call) = crate::key_stores::route(&method, &uri, &headers) {
        let request = sigv4::Received {
            method: &method,
            uri: &uri,
            headers: &headers,
            body: &bytes,
        };
        return crate::key_stores::serve(&shared, call, &request, &request_id);
    }
    let outcome = if path == "/" && method == Method::POST {
        let request = sigv4::Received {
            method: &method,
            uri: &uri,
            headers: &headers,
            body: &bytes,
        };
        return identity::sts(&shared, &request, &request_id);
    } else if path == "/federation/credentials" {
        return identity::sso(&shared, &method, &uri, &headers, &request_id);
    } else if path.starts_with("/browsers/") {
        return crate::agentcore_browser::api(
            &shared,
            &method,
            &uri,
            &headers,
            &bytes,
            &request_id,
        )
        .await;
    } else {
        serve(&shared, &method, &uri, &headers, &bytes)
    };
    tracing::debug!(%method, path, status = outcome.as_ref().map_or_else(|e| e.status, |(op, _)| op.success), "request");
    if let Ok((op, _)) = &outcome
        && shared.drop_first_create_response
        && op.retry == Retry::WithToken
    {
        let mut dropped = shared.dropped.lock().unwrap_or_else(|p| p.into_inner());
        if !dropped.contains(&op.name) {
            dropped.push(op.name);
            tracing::info!(operation = op.name, "fault injection: the response is lost");
            return lost_response();
        }
    }
    if let Ok((op, _)) = &outcome
        && op.name == InvokeActStepInput::NAME
        && !shared.step_latency.is_zero()
    {
        let think = {
            let mut rng = shared.latency_rng.lock().unwrap_or_else(|p| p.into_inner());
            shared.step_latency.draw(&mut rng)
        };
        tokio::time::sleep(think).await;
    }
    match outcome {
        Ok((op, value)) => {
            let mut response = (
                StatusCode::from_u16(op.success).unwrap_or(StatusCode::OK),
                axum::Json(value),
            )
                .into_response();
            set_request_id(&mut response, &request_id, api_key_service);
            response
        }
        Err(err) => err.into_response_with(&request_id, api_key_service),
    }
}

/// A response that breaks off after its headers: to the client, the connection dropped and the
/// outcome is unknown — exactly when a retry must not create a second resource.
fn lost_response() -> Response {
    let broken = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fault injection: response lost",
        ))
    });
    Response::builder()
        .status(StatusCode::CREATED)
        .body(axum::body::Body::from_stream(broken))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The API key a request carries (`Authorization: Bearer` or `X-Api-Key`).
fn api_key_of(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    bearer.or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
}

pub(crate) fn authenticate<'a>(
    shared: &'a Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    bytes: &Bytes,
    service: &str,
) -> Result<Caller<'a>, ServiceError> {
    if shared.open {
        return Ok(Caller::ApiKey);
    }
    if uri.path().starts_with("/agent/") {
        return match api_key_of(headers) {
            None => Err(ServiceError::api_key(
                401,
                "missing API key: send Authorization: Bearer <key> or X-Api-Key",
            )),
            Some(key) if shared.api_keys.accepts(key) => Ok(Caller::ApiKey),
            Some(_) => Err(ServiceError::api_key(403, "the API key is not valid")),
        };
    }
    let now = SystemTime::now();
    sigv4::verify(
        |id| shared.identities.find(id, now),
        &shared.sigv4,
        &sigv4::Received {
            method,
            uri,
            headers,
            body: bytes,
        },
        (service, &shared.region),
        now,
    )
    .map(Caller::Iam)
}

/// Whether the caller's policy allows `action` (such as `nova-act:CreateAct`) on `resource`.
pub(crate) fn authorize(
    shared: &Shared,
    caller: &Caller<'_>,
    action: &str,
    resource: &str,
) -> Result<(), ServiceError> {
    let Caller::Iam(key) = caller else {
        return Ok(());
    };
    let Some(policy) = shared.identities.policy(key) else {
        return Ok(());
    };
    if policy.allows(action, &[resource.to_owned()]) {
        Ok(())
    } else {
        Err(ServiceError::access_denied(action, resource))
    }
}

/// Authorizes `input`'s operation on the resource its declaration names, formed from the URI's
/// labels: its IAM action and resource come from nova-act-core, not restated here.
fn authorize_op<O: Serve>(
    shared: &Shared,
    caller: &Caller<'_>,
    input: &O,
) -> Result<(), ServiceError>
where
    O::Output: Serialize,
{
    let labels = input.labels();
    let label = |name: &str| {
        labels
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("*", |(_, value)| *value)
    };
    let resource = match O::RESOURCE {
        Resource::Any => "*".to_owned(),
        Resource::Definition => shared.definition_arn(
            input
                .named_definition()
                .unwrap_or_else(|| label("workflowDefinitionName")),
        ),
        Resource::Run => shared.run_arn(label("workflowDefinitionName"), label("workflowRunId")),
    };
    authorize(shared, caller, &format!("nova-act:{}", O::NAME), &resource)
}

/// Checks the model's constraints with the SDK's own validator.
fn valid<O: Operation>(input: O) -> Result<O, ServiceError> {
    input
        .validate()
        .map_err(|err| ServiceError::field(&err.member, err.rule))?;
    Ok(input)
}

/// The operation a request is for — its declaration in nova-act-core's table — and the values of
/// its URI labels. On the API-key service (`/agent/…`) every operation it offers is a `PUT`.
fn route(
    method: &str,
    path: &str,
    api_key: bool,
) -> Option<(&'static OperationInfo, Vec<(&'static str, String)>)> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    OPERATIONS.iter().find_map(|op| {
        let offered = if api_key {
            op.api_key_service && method == "PUT"
        } else {
            op.method == method
        };
        let template = op.uri.trim_matches('/').split('/');
        if !offered || template.clone().count() != segments.len() {
            return None;
        }
        let mut labels = Vec::new();
        for (part, segment) in template.zip(&segments) {
            match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(label) if !segment.is_empty() => labels.push((label, decode(segment))),
                None if part == *segment => {}
                _ => return None,
            }
        }
        Some((op, labels))
    })
}

/// Query members the model types as integers.
const INTEGER_QUERY: &[&str] = &["maxResults", "clientCompatibilityVersion"];

/// The operation's input from the request: the JSON body (for operations that have one), then
/// the query members, then the URI labels, read as the model lays them out.
fn input_of<O: Operation + DeserializeOwned>(
    labels: &[(&'static str, String)],
    uri: &Uri,
    bytes: &Bytes,
) -> Result<O, ServiceError> {
    let mut members = serde_json::Map::new();
    if O::HAS_BODY && !bytes.iter().all(u8::is_ascii_whitespace) {
        match serde_json::from_slice(bytes) {
            Ok(serde_json::Value::Object(body)) => members = body,
            Ok(_) => return Err(ServiceError::bad_body("the body must be a JSON object")),
            Err(err) => {
                return Err(ServiceError::bad_body(format!(
                    "the body is not valid for this operation: {err}"
                )));
            }
        }
    }
    for pair in uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (decode(name), decode(value));
        let value = if INTEGER_QUERY.contains(&name.as_str()) {
            let number: i64 = value
                .parse()
                .map_err(|_| ServiceError::field(&name, "must be an integer"))?;
            serde_json::Value::from(number)
        } else {
            serde_json::Value::from(value)
        };
        members.insert(name, value);
    }
    for (label, value) in labels {
        members.insert((*label).to_owned(), serde_json::Value::from(value.as_str()));
    }
    serde_json::from_value(serde_json::Value::Object(members)).map_err(|err| {
        let text = err.to_string();
        match text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(member) => ServiceError::field(member, "is required"),
            None => {
                ServiceError::bad_body(format!("the body is not valid for this operation: {text}"))
            }
        }
    })
}

/// What the emulator does for each operation, given its checked and authorized input: one call
/// into the store.
pub(crate) trait Serve: Operation + DeserializeOwned
where
    Self::Output: Serialize,
{
    fn serve(self, shared: &Shared) -> Result<Self::Output, ServiceError>;

    /// The definition a create names in its body (the resource it is authorized on).
    fn named_definition(&self) -> Option<&str> {
        None
    }
}

/// Checks, authorizes and serves one operation.
fn serve_op<O: Serve>(
    shared: &Shared,
    caller: &Caller<'_>,
    labels: &[(&'static str, String)],
    uri: &Uri,
    bytes: &Bytes,
) -> Result<serde_json::Value, ServiceError>
where
    O::Output: Serialize,
{
    let input: O = valid(input_of(labels, uri, bytes)?)?;
    authorize_op(shared, caller, &input)?;
    let output = input.serve(shared)?;
    serde_json::to_value(output).map_err(|e| ServiceError::bad_body(e.to_string()))
}

type Handler = fn(
    &Shared,
    &Caller<'_>,
    &[(&'static str, String)],
    &Uri,
    &Bytes,
) -> Result<serde_json::Value, ServiceError>;

/// The handler of each operation, from nova-act-core's one list of them: an operation the
/// emulator does not serve does not compile.
macro_rules! handlers {
    ($($(#[$doc:meta])* $method:ident => $input:ty;)+) => {
        /// The handler of the operation named `name`.
        fn handler(name: &str) -> Option<Handler> {
            [$((<$input as Operation>::NAME, serve_op::<$input> as Handler)),+]
                .into_iter()
                .find(|(op, _)| *op == name)
                .map(|(_, handler)| handler)
        }
    };
}

nova_act_core::with_operations!(handlers);

fn serve(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    bytes: &Bytes,
) -> Result<(&'static OperationInfo, serde_json::Value), ServiceError> {
    let caller = authenticate(shared, method, uri, headers, bytes, "nova-act")?;
    let api_key = matches!(caller, Caller::ApiKey) && uri.path().starts_with("/agent/");
    let path = uri.path();
    let rest = path
        .strip_prefix("/agent")
        .filter(|_| api_key)
        .unwrap_or(path);
    let unknown = || ServiceError::unknown_operation(method.as_str(), path);
    let (op, labels) = route(method.as_str(), rest, api_key).ok_or_else(unknown)?;
    if api_key {
        // The API-key service has one definition, `default`.
        shared.store().ensure_default();
        if let Some((_, name)) = labels
            .iter()
            .find(|(label, name)| *label == "workflowDefinitionName" && name != "default")
        {
            return Err(ServiceError::not_found("WorkflowDefinition", name));
        }
    }
    // The service meters an account (all its keys and roles) or an API key.
    let metered = match &caller {
        Caller::Iam(_) => shared.account.clone(),
        Caller::ApiKey => api_key_of(headers).unwrap_or_default().to_owned(),
    };
    if !shared
        .meter
        .admit(&metered, op.name, std::time::Instant::now())
    {
        return Err(ServiceError::throttled(op.name));
    }
    if op.name == InvokeActStepInput::NAME && bytes.len() > limits::MAX_STEP_PAYLOAD_BYTES {
        return Err(ServiceError::field(
            "payload",
            format!(
                "the request body is {} bytes; an InvokeActStep payload is at most {} bytes",
                bytes.len(),
                limits::MAX_STEP_PAYLOAD_BYTES
            ),
        ));
    }
    let handler = handler(op.name).ok_or_else(unknown)?;
    handler(shared, &caller, &labels, uri, bytes).map(|value| (op, value))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_of_the_table_has_a_handler() {
        for op in nova_act_core::OPERATIONS {
            assert!(super::handler(op.name).is_some(), "{}", op.name);
        }
        assert!(super::handler("GetAct").is_none());
    }
}
