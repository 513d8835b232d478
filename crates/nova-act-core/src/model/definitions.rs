//! Workflow definitions: create, get, list, delete.

use serde::{Deserialize, Serialize};

use super::{SortOrder, Timestamp, WorkflowDefinitionStatus, WorkflowExportConfig};

/// Input of CreateWorkflowDefinition.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateWorkflowDefinitionInput {
    /// `^[a-zA-Z0-9_-]{1,40}$`.
    pub name: String,
    /// What the workflow does (1..4,000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where to export run data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_config: Option<WorkflowExportConfig>,
    /// Idempotency token; filled with a UUID when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// Output of CreateWorkflowDefinition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateWorkflowDefinitionOutput {
    /// The new definition's state.
    pub status: WorkflowDefinitionStatus,
}

input! {
    /// Input of GetWorkflowDefinition.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct GetWorkflowDefinitionInput [workflow_definition_name] {}
}

/// Output of GetWorkflowDefinition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetWorkflowDefinitionOutput {
    /// The name.
    pub name: String,
    /// The ARN.
    pub arn: String,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: Timestamp,
    /// What it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where run data is exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_config: Option<WorkflowExportConfig>,
    /// Its state.
    pub status: WorkflowDefinitionStatus,
}

input! {
    /// Input of ListWorkflowDefinitions.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct ListWorkflowDefinitionsInput [] paged {}
}

page! {
    /// Output of ListWorkflowDefinitions.
    pub struct ListWorkflowDefinitionsOutput { workflow_definition_summaries: Vec<WorkflowDefinitionSummary> }
}

/// A workflow definition in a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowDefinitionSummary {
    /// The ARN.
    pub workflow_definition_arn: String,
    /// The name.
    pub workflow_definition_name: String,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: Timestamp,
    /// Its state.
    pub status: WorkflowDefinitionStatus,
}

input! {
    /// Input of DeleteWorkflowDefinition.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct DeleteWorkflowDefinitionInput [workflow_definition_name] {}
}

/// Output of DeleteWorkflowDefinition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteWorkflowDefinitionOutput {
    /// Its state (`DELETING`).
    pub status: WorkflowDefinitionStatus,
}

/// A definition named by its name, as `Client::get_workflow_definition("nightly")` takes it.
macro_rules! named_by_definition {
    ($($input:ident),+) => {$(
        impl From<&str> for $input {
            fn from(name: &str) -> Self {
                Self { workflow_definition_name: name.to_owned() }
            }
        }

        impl From<String> for $input {
            fn from(name: String) -> Self {
                Self { workflow_definition_name: name }
            }
        }
    )+};
}

named_by_definition!(GetWorkflowDefinitionInput, DeleteWorkflowDefinitionInput);
