//! Shapes shared by several operations.

use serde::{Deserialize, Serialize};

use super::TraceLocationType;

/// Where a workflow's data is exported.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowExportConfig {
    /// The bucket (3..63 characters).
    pub s3_bucket_name: String,
    /// A key prefix inside the bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_key_prefix: Option<String>,
}

/// Where the trace of a run or act is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceLocation {
    /// The kind of store.
    pub location_type: TraceLocationType,
    /// The location in it.
    pub location: String,
}

/// Who is calling: sent with every new workflow run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientInfo {
    /// The protocol version the client speaks (1).
    pub compatibility_version: i32,
    /// The SDK's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk_version: Option<String>,
}

impl ClientInfo {
    /// This SDK: compatibility version 1 and `nova-act-rust/<version>`.
    pub fn this_sdk() -> Self {
        Self {
            compatibility_version: crate::COMPATIBILITY_VERSION,
            sdk_version: Some(crate::SDK_VERSION.to_owned()),
        }
    }
}

/// A tool the agent may call, described by a JSON schema of its input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolSpec {
    /// `^[a-zA-Z0-9_-]{1,64}$`.
    pub name: String,
    /// What the tool does (1..10,000 characters).
    pub description: String,
    /// The schema of the tool's input.
    pub input_schema: ToolInputSchema,
}

/// A tool's input schema.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolInputSchema {
    /// The JSON schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Value>,
}

/// A call the service asks the client to make.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    /// Identifies the call in its result.
    pub call_id: String,
    /// A JSON array (a browser action's positional arguments) or object (a tool's input).
    pub input: serde_json::Value,
    /// The action or tool.
    pub name: String,
}

/// The outcome of a call, sent with the next step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallResult {
    /// The call this answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// The result (1..100 items).
    pub content: Vec<CallResultContent>,
}

impl CallResult {
    /// One text result for `call_id`.
    pub fn text(call_id: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            call_id: Some(call_id.into()),
            content: vec![CallResultContent {
                text: Some(text.into()),
            }],
        }
    }
}

/// One piece of a call's result: `{"text": "..."}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallResultContent {
    /// The text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Why an act failed, reported with UpdateAct.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActFailure {
    /// What happened (1..10,000 characters).
    pub message: String,
    /// A short name for the kind of failure (1..100 characters).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
}

/// A member the service found invalid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationExceptionField {
    /// The member.
    pub name: String,
    /// What is wrong with it.
    pub message: String,
}
