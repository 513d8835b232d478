//! Routing a request to its operation, after checking who sent it and whether they may.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use nova_act_core::iam::PolicyScope;
use nova_act_core::model::*;
use nova_act_core::{Operation, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ServiceError, set_request_id};
use crate::identity::{self, Identities, Signer};
use crate::planner::Planner;
use crate::sigv4;
use crate::store::{self, Store};

/// Everything the handlers share.
pub(crate) struct Shared {
    /// The keys that may sign, own and issued, and the policies they are held to.
    pub(crate) identities: Identities,
    /// Derived signing keys and the count of general-path verifications.
    pub(crate) sigv4: sigv4::Cache,
    pub(crate) api_keys: Vec<String>,
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
}

impl Shared {
    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// ARNs in the forms the SDK's policies name (one definition of them, in nova-act-core).
    fn arns(&self) -> PolicyScope {
        PolicyScope {
            region: Some(self.region.clone()),
            account: Some(self.account.clone()),
            ..PolicyScope::default()
        }
    }

    fn definition_arn(&self, name: &str) -> String {
        self.arns().definition_arn(name)
    }

    fn run_arn(&self, definition: &str, run: &str) -> String {
        self.arns().run_arn(definition, run)
    }
}

/// Who is calling.
enum Caller<'a> {
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

fn query_int(uri: &Uri, name: &str) -> Result<Option<i32>, ServiceError> {
    query(uri, name)
        .map(|v| {
            v.parse()
                .map_err(|_| ServiceError::field(name, "must be an integer"))
        })
        .transpose()
}

/// `maxResults` and `nextToken` from the query string of a List operation.
fn paging(uri: &Uri) -> Result<(Option<i32>, Option<String>), ServiceError> {
    Ok((query_int(uri, "maxResults")?, query(uri, "nextToken")))
}

/// The body as the operation's input (an empty body counts as `{}`).
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ServiceError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(bytes).map_err(|err| {
        ServiceError::bad_body(format!("the body is not valid for this operation: {err}"))
    })
}

fn ok<T: Serialize>(status: u16, value: &T) -> Result<(u16, serde_json::Value), ServiceError> {
    serde_json::to_value(value)
        .map(|v| (status, v))
        .map_err(|e| ServiceError::bad_body(e.to_string()))
}

/// The whole service: one handler for every path, so authentication sees the raw request.
pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let path = uri.path().to_owned();
    let api_key_service = path.starts_with("/agent/");
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
    } else {
        serve(&shared, &method, &uri, &headers, &bytes)
    };
    tracing::debug!(%method, path, status = outcome.as_ref().map_or_else(|e| e.status, |(s, _)| *s), "request");
    if let Ok((201, _)) = &outcome
        && shared.drop_first_create_response
        && let Some(create) = create_operation(&method, &path)
    {
        let mut dropped = shared.dropped.lock().unwrap_or_else(|p| p.into_inner());
        if !dropped.contains(&create) {
            dropped.push(create);
            tracing::info!(operation = create, "fault injection: the response is lost");
            return lost_response();
        }
    }
    match outcome {
        Ok((status, value)) => {
            let mut response = (
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                axum::Json(value),
            )
                .into_response();
            set_request_id(&mut response, &request_id, api_key_service);
            response
        }
        Err(err) => err.into_response_with(&request_id, api_key_service),
    }
}

/// Which create a successful request was, by its path.
fn create_operation(method: &Method, path: &str) -> Option<&'static str> {
    if method != Method::PUT {
        return None;
    }
    let path = path.trim_end_matches('/');
    if path.ends_with("/workflow-runs") {
        Some("CreateWorkflowRun")
    } else if path.ends_with("/sessions") {
        Some("CreateSession")
    } else if path.ends_with("/acts") {
        Some("CreateAct")
    } else if path.ends_with("/workflow-definitions") {
        Some("CreateWorkflowDefinition")
    } else {
        None
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

fn authenticate<'a>(
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
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let key = bearer.or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()));
        return match key {
            None => Err(ServiceError::api_key(
                401,
                "missing API key: send Authorization: Bearer <key> or X-Api-Key",
            )),
            Some(key) if shared.api_keys.iter().any(|k| k == key) => Ok(Caller::ApiKey),
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

fn authorize(
    shared: &Shared,
    caller: &Caller<'_>,
    operation: &str,
    resource: &str,
) -> Result<(), ServiceError> {
    let Caller::Iam(key) = caller else {
        return Ok(());
    };
    let Some(policy) = shared.identities.policy(key) else {
        return Ok(());
    };
    let action = format!("nova-act:{operation}");
    if policy.allows(&action, &[resource.to_owned()]) {
        Ok(())
    } else {
        Err(ServiceError::access_denied(&action, resource))
    }
}

/// Authorizes `input`'s operation on the resource its declaration names, formed from the URI's
/// labels: its IAM action and resource come from nova-act-core, not restated here.
fn authorize_op<O: Operation>(
    shared: &Shared,
    caller: &Caller<'_>,
    input: &O,
) -> Result<(), ServiceError> {
    let labels = input.labels();
    let label = |name: &str| {
        labels
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("*", |(_, value)| *value)
    };
    let resource = match O::RESOURCE {
        Resource::Any => "*".to_owned(),
        Resource::Definition => shared.definition_arn(label("workflowDefinitionName")),
        Resource::Run => shared.run_arn(label("workflowDefinitionName"), label("workflowRunId")),
    };
    authorize(shared, caller, O::NAME, &resource)
}

/// Checks the model's constraints with the SDK's own validator.
fn valid<O: Operation>(input: O) -> Result<O, ServiceError> {
    input
        .validate()
        .map_err(|err| ServiceError::field(&err.member, err.rule))?;
    Ok(input)
}

fn serve(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    bytes: &Bytes,
) -> Result<(u16, serde_json::Value), ServiceError> {
    let caller = authenticate(shared, method, uri, headers, bytes, "nova-act")?;
    let api_key = matches!(caller, Caller::ApiKey) && uri.path().starts_with("/agent/");
    let path = uri.path();
    let rest = path
        .strip_prefix("/agent")
        .filter(|_| api_key)
        .unwrap_or(path);
    let segments: Vec<String> = rest.trim_matches('/').split('/').map(decode).collect();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let m = method.as_str();
    let unknown = || ServiceError::unknown_operation(method.as_str(), path);
    if api_key {
        if m != "PUT" {
            return Err(unknown());
        }
        shared.store().ensure_default();
        if seg.get(1).is_some_and(|d| *d != "default") {
            return Err(ServiceError::not_found("WorkflowDefinition", seg[1]));
        }
    }
    let def_arn = |d: &str| shared.definition_arn(d);
    let run_arn = |d: &str, r: &str| shared.run_arn(d, r);
    match (m, seg.as_slice()) {
        ("POST", ["models"]) if !api_key => {
            authorize(shared, &caller, "ListModels", "*")?;
            let version = query_int(uri, "clientCompatibilityVersion")?
                .ok_or_else(|| ServiceError::field("clientCompatibilityVersion", "is required"))?;
            ok(200, &store::models(version))
        }
        ("PUT", ["workflow-definitions"]) if !api_key => {
            let input: CreateWorkflowDefinitionInput = valid(body(bytes)?)?;
            authorize(
                shared,
                &caller,
                "CreateWorkflowDefinition",
                &def_arn(&input.name),
            )?;
            ok(201, &shared.store().create_definition(input)?)
        }
        ("POST", ["workflow-definitions"]) if !api_key => {
            let mut input: ListWorkflowDefinitionsInput = body(bytes)?;
            (input.max_results, input.next_token) = paging(uri)?;
            let input = valid(input)?;
            authorize_op(shared, &caller, &input)?;
            ok(200, &shared.store().list_definitions(&input, def_arn)?)
        }
        ("GET", ["workflow-definitions", d]) if !api_key => {
            let input = valid(GetWorkflowDefinitionInput {
                workflow_definition_name: (*d).to_owned(),
            })?;
            authorize_op(shared, &caller, &input)?;
            ok(
                200,
                &shared
                    .store()
                    .get_definition(&input.workflow_definition_name, def_arn(d))?,
            )
        }
        ("DELETE", ["workflow-definitions", d]) if !api_key => {
            let input = valid(DeleteWorkflowDefinitionInput {
                workflow_definition_name: (*d).to_owned(),
            })?;
            authorize_op(shared, &caller, &input)?;
            ok(
                202,
                &shared
                    .store()
                    .delete_definition(&input.workflow_definition_name)?,
            )
        }
        ("PUT", ["workflow-definitions", d, "workflow-runs"]) => {
            let mut input: CreateWorkflowRunInput = body(bytes)?;
            input.workflow_definition_name = (*d).to_owned();
            let input = valid(input)?;
            authorize_op(shared, &caller, &input)?;
            ok(201, &shared.store().create_run(input)?)
        }
        ("POST", ["workflow-definitions", d, "workflow-runs"]) if !api_key => {
            let mut input: ListWorkflowRunsInput = body(bytes)?;
            input.workflow_definition_name = (*d).to_owned();
            (input.max_results, input.next_token) = paging(uri)?;
            let input = valid(input)?;
            authorize_op(shared, &caller, &input)?;
            ok(200, &shared.store().list_runs(&input, |r| run_arn(d, r))?)
        }
        ("GET", ["workflow-definitions", d, "workflow-runs", r]) if !api_key => {
            let input = valid(GetWorkflowRunInput {
                workflow_definition_name: (*d).to_owned(),
                workflow_run_id: (*r).to_owned(),
            })?;
            authorize_op(shared, &caller, &input)?;
            ok(200, &shared.store().get_run(&input, run_arn(d, r))?)
        }
        ("PUT", ["workflow-definitions", d, "workflow-runs", r]) => {
            let mut input: UpdateWorkflowRunInput = body(bytes)?;
            input.workflow_definition_name = (*d).to_owned();
            input.workflow_run_id = (*r).to_owned();
            let input = valid(input)?;
            authorize_op(shared, &caller, &input)?;
            ok(200, &shared.store().update_run(input)?)
        }
        ("DELETE", ["workflow-definitions", d, "workflow-runs", r]) if !api_key => {
            let input = valid(DeleteWorkflowRunInput {
                workflow_definition_name: (*d).to_owned(),
                workflow_run_id: (*r).to_owned(),
            })?;
            authorize_op(shared, &caller, &input)?;
            ok(202, &shared.store().delete_run(&input)?)
        }
        ("POST", ["workflow-definitions", d, "workflow-runs", r]) if !api_key => {
            let mut input: ListSessionsInput = body(bytes)?;
            input.workflow_definition_name = (*d).to_owned();
            input.workflow_run_id = (*r).to_owned();
            (input.max_results, input.next_token) = paging(uri)?;
            let input = valid(input)?;
            authorize_op(shared, &caller, &input)?;
            ok(200, &shared.store().list_sessions(&input)?)
        }
        ("PUT", ["workflow-definitions", d, "workflow-runs", r, "sessions"]) => {
            let mut input: CreateSessionInput = body(bytes)?;
            input.workflow_definition_name = (*d).to_owned();
            input.workflow_run_id = (*r).to_owned();
            let input = valid(input)?;
            authorize_op(shared, &caller, &input)?;
            ok(201, &shared.store().create_session(input)?)
        }
        (
            "PUT",
            [
                "workflow-definitions",
                d,
                "workflow-runs",
                r,
                "sessions",
                s,
                "acts",
            ],
        ) => {
            let mut input: CreateActInput = body(bytes)?;
            input.workflow_definition_name = (*d).to_owned();
            input.workflow_run_id = (*r).to_owned();
            input.session_id = (*s).to_owned();
            let input = valid(input)?;
            authorize_op(shared, &caller, &input)?;
            ok(201, &shared.store().create_act(input)?)
        }
        (
            "PUT",
            [
                "workflow-definitions",
                d,
                "workflow-runs",
                r,
                "sessions",
                s,
                "acts",
                a,
            ],
        ) => {
            let mut input: UpdateActInput = body(bytes)?;
            input.workflow_definition_name = (*d).to_owned();
            input.workflow_run_id = (*r).to_owned();
            input.session_id = (*s).to_owned();
            input.act_id = (*a).to_owned();
            let input = valid(input)?;
            authorize_op(shared, &caller, &input)?;
            ok(200, &shared.store().update_act(input)?)
        }
        (
            "PUT",
            [
                "workflow-definitions",
                d,
                "workflow-runs",
                r,
                "sessions",
                s,
                "acts",
                a,
                "invoke-step",
            ],
        ) => {
            let mut input: InvokeActStepInput = body(bytes)?;
            input.workflow_definition_name = (*d).to_owned();
            input.workflow_run_id = (*r).to_owned();
            input.session_id = (*s).to_owned();
            input.act_id = (*a).to_owned();
            let input = valid(input)?;
            authorize_op(shared, &caller, &input)?;
            ok(
                200,
                &shared.store().invoke_step(input, shared.planner.as_ref())?,
            )
        }
        ("POST", ["workflow-definitions", d, "acts"]) if !api_key => {
            let mut input: ListActsInput = body(bytes)?;
            input.workflow_definition_name = (*d).to_owned();
            input.workflow_run_id = query(uri, "workflowRunId");
            input.session_id = query(uri, "sessionId");
            (input.max_results, input.next_token) = paging(uri)?;
            let input = valid(input)?;
            authorize_op(shared, &caller, &input)?;
            ok(200, &shared.store().list_acts(&input)?)
        }
        _ => Err(unknown()),
    }
}
