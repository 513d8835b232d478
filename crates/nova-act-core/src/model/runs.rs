//! Workflow runs: create, get, list, update, delete.

use serde::{Deserialize, Serialize};

use super::{ClientInfo, SortOrder, Timestamp, TraceLocation, WorkflowRunStatus};

input! {
    /// Input of CreateWorkflowRun.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct CreateWorkflowRunInput [workflow_definition_name] {
        /// The model, e.g. `nova-act-latest`.
        pub model_id: String,
        /// Idempotency token; filled with a UUID when empty.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub client_token: Option<String>,
        /// A CloudWatch log group for the run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub log_group_name: Option<String>,
        /// Who is calling.
        pub client_info: ClientInfo,
    }
}

impl CreateWorkflowRunInput {
    /// A run of `definition` on `model_id`, announcing this SDK.
    pub fn new(definition: impl Into<String>, model_id: impl Into<String>) -> Self {
        Self {
            workflow_definition_name: definition.into(),
            model_id: model_id.into(),
            client_token: None,
            log_group_name: None,
            client_info: ClientInfo::this_sdk(),
        }
    }
}

/// Output of CreateWorkflowRun.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateWorkflowRunOutput {
    /// The new run.
    pub workflow_run_id: String,
    /// Its state.
    pub status: WorkflowRunStatus,
}

input! {
    /// Input of GetWorkflowRun.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct GetWorkflowRunInput [workflow_definition_name, workflow_run_id] {}
}

/// Output of GetWorkflowRun.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetWorkflowRunOutput {
    /// The run's ARN.
    pub workflow_run_arn: String,
    /// The run.
    pub workflow_run_id: String,
    /// Its state.
    pub status: WorkflowRunStatus,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: Timestamp,
    /// When it ended.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub ended_at: Option<Timestamp>,
    /// The model.
    pub model_id: String,
    /// Its log group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_group_name: Option<String>,
}

input! {
    /// Input of ListWorkflowRuns.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct ListWorkflowRunsInput [workflow_definition_name] paged {}
}

page! {
    /// Output of ListWorkflowRuns.
    pub struct ListWorkflowRunsOutput { workflow_run_summaries: Vec<WorkflowRunSummary> }
}

/// A run in a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowRunSummary {
    /// The run's ARN.
    pub workflow_run_arn: String,
    /// The run.
    pub workflow_run_id: String,
    /// Its state.
    pub status: WorkflowRunStatus,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: Timestamp,
    /// When it ended.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub ended_at: Option<Timestamp>,
    /// Where its trace is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_location: Option<TraceLocation>,
}

input! {
    /// Input of UpdateWorkflowRun: finishes (or otherwise moves) a run.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct UpdateWorkflowRunInput [workflow_definition_name, workflow_run_id] {
        /// The new state.
        pub status: WorkflowRunStatus,
    }
}

/// Output of UpdateWorkflowRun (empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateWorkflowRunOutput {}

input! {
    /// Input of DeleteWorkflowRun.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct DeleteWorkflowRunInput [workflow_definition_name, workflow_run_id] {}
}

/// Output of DeleteWorkflowRun.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteWorkflowRunOutput {
    /// Its state (`DELETING`).
    pub status: WorkflowRunStatus,
}
