//! Sessions of a run: create, list.

use serde::{Deserialize, Serialize};

use super::SortOrder;

/// Input of CreateSession.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSessionInput {
    /// The definition (path).
    #[serde(skip_serializing, default)]
    pub workflow_definition_name: String,
    /// The run (path).
    #[serde(skip_serializing, default)]
    pub workflow_run_id: String,
    /// Idempotency token; filled with a UUID when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// Output of CreateSession.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSessionOutput {
    /// The new session.
    pub session_id: String,
}

/// Input of ListSessions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListSessionsInput {
    /// The definition (path).
    #[serde(skip_serializing, default)]
    pub workflow_definition_name: String,
    /// The run (path).
    #[serde(skip_serializing, default)]
    pub workflow_run_id: String,
    /// Page size, 1..100 (query).
    #[serde(skip_serializing, default)]
    pub max_results: Option<i32>,
    /// Where to continue (query).
    #[serde(skip_serializing, default)]
    pub next_token: Option<String>,
    /// Order by creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<SortOrder>,
}

/// Output of ListSessions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListSessionsOutput {
    /// This page.
    pub session_summaries: Vec<SessionSummary>,
    /// Where the next page starts, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// A session in a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionSummary {
    /// The session.
    pub session_id: String,
}
