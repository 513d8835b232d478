//! How each operation travels: method, URI, success code, and where each member goes.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::iam::Tier;
use crate::model::*;
use crate::validate::{Chars, Check, ValidationError};

/// Whether an operation may be sent again after a failure whose outcome is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Reads, updates and deletes: repeating them changes nothing.
    Safe,
    /// Creates: safe because every attempt carries the same `clientToken`.
    WithToken,
    /// InvokeActStep: only when the request cannot have reached the service.
    OnlyIfUnsent,
}

/// The resource an operation's IAM action is authorized on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// The workflow definition named in the URI (every definition for a listing of them).
    Definition,
    /// The workflow run named in the URI, under its definition.
    Run,
    /// No resource (`*`).
    Any,
}

/// One operation's declaration, as data: what [`OPERATIONS`] lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationInfo {
    /// The operation's name, also its IAM action after `nova-act:`.
    pub name: &'static str,
    /// The HTTP method on the AWS service.
    pub method: &'static str,
    /// The URI template.
    pub uri: &'static str,
    /// The HTTP status of success.
    pub success: u16,
    /// When a failed attempt may be repeated.
    pub retry: Retry,
    /// Whether the API-key service offers it.
    pub api_key_service: bool,
    /// The lowest IAM policy tier that allows it.
    pub tier: Tier,
    /// What its IAM action is checked against.
    pub resource: Resource,
}

/// The declaration of `O` as data.
pub const fn info<O: Operation>() -> OperationInfo {
    OperationInfo {
        name: O::NAME,
        method: O::METHOD,
        uri: O::URI,
        success: O::SUCCESS,
        retry: O::RETRY,
        api_key_service: O::API_KEY_SERVICE,
        tier: O::TIER,
        resource: O::RESOURCE,
    }
}

/// The service's operations, in the order of its model's documentation: the one list from which
/// the client's typed calls ([`Client`](crate::Client)), [`OPERATIONS`] and the emulator's routing
/// are made. It hands `$callback!` one `method => Input;` line per operation, each with the typed
/// call's documentation; only a listed input can be an [`Operation`] (the list seals the trait),
/// and every listed one must be, so the list and the operations' declarations below cannot drift.
#[doc(hidden)]
#[macro_export]
macro_rules! with_operations {
    ($callback:ident) => {
        $callback! {
            /// CreateWorkflowDefinition.
            create_workflow_definition => $crate::model::CreateWorkflowDefinitionInput;
            /// GetWorkflowDefinition; takes the definition's name.
            get_workflow_definition => $crate::model::GetWorkflowDefinitionInput;
            /// ListWorkflowDefinitions (one page; [`Client::workflow_definitions`] streams them
            /// all); `()` asks for the first page.
            list_workflow_definitions => $crate::model::ListWorkflowDefinitionsInput;
            /// DeleteWorkflowDefinition; takes the definition's name.
            delete_workflow_definition => $crate::model::DeleteWorkflowDefinitionInput;
            /// CreateWorkflowRun.
            create_workflow_run => $crate::model::CreateWorkflowRunInput;
            /// GetWorkflowRun.
            get_workflow_run => $crate::model::GetWorkflowRunInput;
            /// ListWorkflowRuns (one page).
            list_workflow_runs => $crate::model::ListWorkflowRunsInput;
            /// UpdateWorkflowRun.
            update_workflow_run => $crate::model::UpdateWorkflowRunInput;
            /// DeleteWorkflowRun.
            delete_workflow_run => $crate::model::DeleteWorkflowRunInput;
            /// CreateSession.
            create_session => $crate::model::CreateSessionInput;
            /// ListSessions (one page).
            list_sessions => $crate::model::ListSessionsInput;
            /// CreateAct.
            create_act => $crate::model::CreateActInput;
            /// ListActs (one page).
            list_acts => $crate::model::ListActsInput;
            /// InvokeActStep. Not idempotent: retried only when the request cannot have arrived,
            /// or was throttled.
            invoke_act_step => $crate::model::InvokeActStepInput;
            /// UpdateAct.
            update_act => $crate::model::UpdateActInput;
            /// ListModels; `()` (or `ListModelsInput::default()`) asks for this SDK's
            /// compatibility version.
            list_models => $crate::model::ListModelsInput;
        }
    };
}

/// The table and the seal, from the list.
macro_rules! table {
    ($($(#[$doc:meta])* $method:ident => $input:ty;)+) => {
        /// Every operation of the service, in the order of the service model's documentation:
        /// what the IAM tiers, the emulator and the tests read.
        pub const OPERATIONS: &[OperationInfo] = &[$(info::<$input>()),+];

        $(impl sealed::Sealed for $input {})+
    };
}

with_operations!(table);

mod sealed {
    pub trait Sealed {}
}

/// One Nova Act operation: its input type knows how it travels. Implemented for the inputs of
/// [`crate::model`], one per operation of [`OPERATIONS`]; sealed.
pub trait Operation: Serialize + Send + Sync + sealed::Sealed {
    /// What the service answers.
    type Output: DeserializeOwned + Send;
    /// The operation's name, e.g. `CreateWorkflowRun` (also the IAM action `nova-act:<NAME>`).
    const NAME: &'static str;
    /// The HTTP method on the AWS service.
    const METHOD: &'static str;
    /// The URI template, labels in braces, exactly as in the service model.
    const URI: &'static str;
    /// The HTTP status of success.
    const SUCCESS: u16;
    /// Whether and when a failed attempt may be repeated.
    const RETRY: Retry;
    /// Whether the nova.amazon.com (API-key) service offers it.
    const API_KEY_SERVICE: bool;
    /// Whether the AWS request has a JSON body.
    const HAS_BODY: bool;
    /// The lowest IAM policy tier that allows it (`nova-act permissions --for`).
    const TIER: Tier;
    /// What its IAM action is checked against.
    const RESOURCE: Resource;

    /// Values of the URI labels, by label name.
    fn labels(&self) -> Vec<(&'static str, &str)>;

    /// Query-string members, by wire name.
    fn query(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// Checks the model's constraints.
    fn validate(&self) -> Result<(), ValidationError>;

    /// The idempotency token member, for creates.
    fn client_token(&mut self) -> Option<&mut Option<String>> {
        None
    }
}

/// Renders a URI template with percent-encoded label values.
pub(crate) fn render_uri(template: &str, labels: &[(&'static str, &str)]) -> String {
    let mut uri = template.to_owned();
    for (name, value) in labels {
        uri = uri.replace(&format!("{{{name}}}"), &encode(value));
    }
    uri
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

const DEF: &str = "workflowDefinitionName";
const RUN: &str = "workflowRunId";
const SESSION: &str = "sessionId";

macro_rules! operation {
    ($input:ty => $output:ty, $name:literal, $method:literal $uri:literal -> $code:literal,
     $retry:ident, api_key: $api_key:literal, body: $body:literal,
     iam: $tier:ident on $resource:ident,
     labels: [$($label:ident),*]) => {
        impl Operation for $input {
            type Output = $output;
            const NAME: &'static str = $name;
            const METHOD: &'static str = $method;
            const URI: &'static str = $uri;
            const SUCCESS: u16 = $code;
            const RETRY: Retry = Retry::$retry;
            const API_KEY_SERVICE: bool = $api_key;
            const HAS_BODY: bool = $body;
            const TIER: Tier = Tier::$tier;
            const RESOURCE: Resource = Resource::$resource;

            fn labels(&self) -> Vec<(&'static str, &str)> {
                let values: &[&str] = &[$(&self.$label),*];
                uri_labels(Self::URI).zip(values.iter().copied()).collect()
            }

            fn query(&self) -> Vec<(&'static str, String)> {
                Members::query(self)
            }

            fn validate(&self) -> Result<(), ValidationError> {
                let mut check = Check::new($name);
                for (label, value) in self.labels() {
                    check_label(&mut check, label, value);
                }
                Members::validate(self, &mut check);
                check.finish()
            }

            fn client_token(&mut self) -> Option<&mut Option<String>> {
                Members::token(self)
            }
        }
    };
}

/// The names of a URI template's labels, in order.
fn uri_labels(uri: &'static str) -> impl Iterator<Item = &'static str> {
    uri.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

/// The model's rule for a URI label: a definition's name, or an id (a lowercase UUID).
fn check_label(check: &mut Check, label: &'static str, value: &str) {
    if label == DEF {
        check.definition_name(label, value);
    } else {
        check.uuid(label, value);
    }
}

/// Per-input pieces the macro stitches together: query members, the checks of body and query
/// members (the URI labels are checked from the template), the idempotency token.
trait Members {
    fn query(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
    fn validate(&self, _check: &mut Check) {}
    fn token(&mut self) -> Option<&mut Option<String>> {
        None
    }
}

fn page_query(
    max_results: Option<i32>,
    next_token: Option<&String>,
) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    if let Some(n) = max_results {
        query.push(("maxResults", n.to_string()));
    }
    if let Some(token) = next_token {
        query.push(("nextToken", token.clone()));
    }
    query
}

/// The members of a listing whose only query members are its page (`maxResults`, `nextToken`).
macro_rules! paged {
    ($input:ty) => {
        impl Members for $input {
            fn query(&self) -> Vec<(&'static str, String)> {
                page_query(self.max_results, self.next_token.as_ref())
            }
            fn validate(&self, check: &mut Check) {
                check
                    .max_results(self.max_results)
                    .next_token(self.next_token.as_deref());
            }
        }
    };
}

operation!(CreateWorkflowDefinitionInput => CreateWorkflowDefinitionOutput,
    "CreateWorkflowDefinition", "PUT" "/workflow-definitions" -> 201,
    WithToken, api_key: false, body: true,
    iam: Manage on Definition,
    labels: []);
impl Members for CreateWorkflowDefinitionInput {
    fn validate(&self, check: &mut Check) {
        check
            .definition_name("name", &self.name)
            .opt_length("description", self.description.as_deref(), 1, 4000)
            .client_token(self.client_token.as_deref());
        if let Some(export) = &self.export_config {
            check
                .bucket("exportConfig.s3BucketName", &export.s3_bucket_name)
                .key_prefix("exportConfig.s3KeyPrefix", export.s3_key_prefix.as_deref());
        }
    }
    fn token(&mut self) -> Option<&mut Option<String>> {
        Some(&mut self.client_token)
    }
}

operation!(GetWorkflowDefinitionInput => GetWorkflowDefinitionOutput,
    "GetWorkflowDefinition", "GET" "/workflow-definitions/{workflowDefinitionName}" -> 200,
    Safe, api_key: false, body: false,
    iam: Read on Definition,
    labels: [workflow_definition_name]);
impl Members for GetWorkflowDefinitionInput {}

operation!(ListWorkflowDefinitionsInput => ListWorkflowDefinitionsOutput,
    "ListWorkflowDefinitions", "POST" "/workflow-definitions" -> 200,
    Safe, api_key: false, body: true,
    iam: Read on Definition,
    labels: []);
paged!(ListWorkflowDefinitionsInput);

operation!(DeleteWorkflowDefinitionInput => DeleteWorkflowDefinitionOutput,
    "DeleteWorkflowDefinition", "DELETE" "/workflow-definitions/{workflowDefinitionName}" -> 202,
    Safe, api_key: false, body: false,
    iam: Manage on Definition,
    labels: [workflow_definition_name]);
impl Members for DeleteWorkflowDefinitionInput {}

operation!(CreateWorkflowRunInput => CreateWorkflowRunOutput,
    "CreateWorkflowRun", "PUT" "/workflow-definitions/{workflowDefinitionName}/workflow-runs" -> 201,
    WithToken, api_key: true, body: true,
    iam: Run on Definition,
    labels: [workflow_definition_name]);
impl Members for CreateWorkflowRunInput {
    fn validate(&self, check: &mut Check) {
        check
            .length("modelId", &self.model_id, 1, 100)
            .client_token(self.client_token.as_deref())
            .opt_length("logGroupName", self.log_group_name.as_deref(), 1, 512)
            .opt_length(
                "clientInfo.sdkVersion",
                self.client_info.sdk_version.as_deref(),
                1,
                usize::MAX,
            );
        if let Some(group) = &self.log_group_name {
            check.chars("logGroupName", group, Chars::LogGroup);
        }
    }
    fn token(&mut self) -> Option<&mut Option<String>> {
        Some(&mut self.client_token)
    }
}

operation!(GetWorkflowRunInput => GetWorkflowRunOutput,
    "GetWorkflowRun", "GET" "/workflow-definitions/{workflowDefinitionName}/workflow-runs/{workflowRunId}" -> 200,
    Safe, api_key: false, body: false,
    iam: Read on Run,
    labels: [workflow_definition_name, workflow_run_id]);
impl Members for GetWorkflowRunInput {}

operation!(ListWorkflowRunsInput => ListWorkflowRunsOutput,
    "ListWorkflowRuns", "POST" "/workflow-definitions/{workflowDefinitionName}/workflow-runs" -> 200,
    Safe, api_key: false, body: true,
    iam: Read on Definition,
    labels: [workflow_definition_name]);
paged!(ListWorkflowRunsInput);

operation!(UpdateWorkflowRunInput => UpdateWorkflowRunOutput,
    "UpdateWorkflowRun", "PUT" "/workflow-definitions/{workflowDefinitionName}/workflow-runs/{workflowRunId}" -> 200,
    Safe, api_key: true, body: true,
    iam: Run on Run,
    labels: [workflow_definition_name, workflow_run_id]);
impl Members for UpdateWorkflowRunInput {}

operation!(DeleteWorkflowRunInput => DeleteWorkflowRunOutput,
    "DeleteWorkflowRun", "DELETE" "/workflow-definitions/{workflowDefinitionName}/workflow-runs/{workflowRunId}" -> 202,
    Safe, api_key: false, body: false,
    iam: Manage on Run,
    labels: [workflow_definition_name, workflow_run_id]);
impl Members for DeleteWorkflowRunInput {}

operation!(CreateSessionInput => CreateSessionOutput,
    "CreateSession", "PUT" "/workflow-definitions/{workflowDefinitionName}/workflow-runs/{workflowRunId}/sessions" -> 201,
    WithToken, api_key: true, body: true,
    iam: Run on Run,
    labels: [workflow_definition_name, workflow_run_id]);
impl Members for CreateSessionInput {
    fn validate(&self, check: &mut Check) {
        check.client_token(self.client_token.as_deref());
    }
    fn token(&mut self) -> Option<&mut Option<String>> {
        Some(&mut self.client_token)
    }
}

operation!(ListSessionsInput => ListSessionsOutput,
    "ListSessions", "POST" "/workflow-definitions/{workflowDefinitionName}/workflow-runs/{workflowRunId}" -> 200,
    Safe, api_key: false, body: true,
    iam: Read on Run,
    labels: [workflow_definition_name, workflow_run_id]);
paged!(ListSessionsInput);

operation!(CreateActInput => CreateActOutput,
    "CreateAct", "PUT" "/workflow-definitions/{workflowDefinitionName}/workflow-runs/{workflowRunId}/sessions/{sessionId}/acts" -> 201,
    WithToken, api_key: true, body: true,
    iam: Run on Run,
    labels: [workflow_definition_name, workflow_run_id, session_id]);
impl Members for CreateActInput {
    fn validate(&self, check: &mut Check) {
        check
            .length("task", &self.task, 1, 10_000)
            .client_token(self.client_token.as_deref());
        if let Some(tools) = &self.tool_specs {
            check
                .count(
                    "toolSpecs",
                    tools.len(),
                    0,
                    crate::limits::MAX_TOOLS_PER_ACT,
                )
                .size(
                    "toolSpecs",
                    serde_json::to_vec(tools).map_or(0, |bytes| bytes.len()),
                    crate::limits::MAX_TOOL_SPECS_BYTES,
                );
            for (i, tool) in tools.iter().enumerate() {
                let name = format!("toolSpecs[{i}].name");
                check
                    .length(&name, &tool.name, 1, 64)
                    .chars(&name, &tool.name, Chars::Name)
                    .length(
                        format!("toolSpecs[{i}].description"),
                        &tool.description,
                        1,
                        10_000,
                    );
            }
        }
    }
    fn token(&mut self) -> Option<&mut Option<String>> {
        Some(&mut self.client_token)
    }
}

operation!(ListActsInput => ListActsOutput,
    "ListActs", "POST" "/workflow-definitions/{workflowDefinitionName}/acts" -> 200,
    Safe, api_key: false, body: true,
    iam: Read on Definition,
    labels: [workflow_definition_name]);
impl Members for ListActsInput {
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if let Some(run) = &self.workflow_run_id {
            query.push((RUN, run.clone()));
        }
        if let Some(session) = &self.session_id {
            query.push((SESSION, session.clone()));
        }
        query.extend(page_query(self.max_results, self.next_token.as_ref()));
        query
    }
    fn validate(&self, check: &mut Check) {
        check
            .opt_uuid(RUN, self.workflow_run_id.as_deref())
            .opt_uuid(SESSION, self.session_id.as_deref())
            .max_results(self.max_results)
            .next_token(self.next_token.as_deref());
    }
}

operation!(InvokeActStepInput => InvokeActStepOutput,
    "InvokeActStep", "PUT" "/workflow-definitions/{workflowDefinitionName}/workflow-runs/{workflowRunId}/sessions/{sessionId}/acts/{actId}/invoke-step/" -> 200,
    OnlyIfUnsent, api_key: true, body: true,
    iam: Run on Run,
    labels: [workflow_definition_name, workflow_run_id, session_id, act_id]);
impl Members for InvokeActStepInput {
    fn validate(&self, check: &mut Check) {
        check
            .count("callResults", self.call_results.len(), 1, 100)
            .opt_uuid("previousStepId", self.previous_step_id.as_deref());
        for (i, result) in self.call_results.iter().enumerate() {
            check
                .opt_length(
                    format!("callResults[{i}].callId"),
                    result.call_id.as_deref(),
                    1,
                    100,
                )
                .count(
                    &format!("callResults[{i}].content"),
                    result.content.len(),
                    1,
                    100,
                );
        }
    }
}

operation!(UpdateActInput => UpdateActOutput,
    "UpdateAct", "PUT" "/workflow-definitions/{workflowDefinitionName}/workflow-runs/{workflowRunId}/sessions/{sessionId}/acts/{actId}" -> 200,
    Safe, api_key: true, body: true,
    iam: Run on Run,
    labels: [workflow_definition_name, workflow_run_id, session_id, act_id]);
impl Members for UpdateActInput {
    fn validate(&self, check: &mut Check) {
        if let Some(error) = &self.error {
            check
                .length("error.message", &error.message, 1, 10_000)
                .opt_length("error.type", error.error_type.as_deref(), 1, 100);
        }
    }
}

operation!(ListModelsInput => ListModelsOutput,
    "ListModels", "POST" "/models" -> 200,
    Safe, api_key: false, body: false,
    iam: Read on Any,
    labels: []);
impl Members for ListModelsInput {
    fn query(&self) -> Vec<(&'static str, String)> {
        vec![(
            "clientCompatibilityVersion",
            self.client_compatibility_version.to_string(),
        )]
    }
    fn validate(&self, _check: &mut Check) {}
}
