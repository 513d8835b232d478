//! Sessions of a run: create, list.

use serde::{Deserialize, Serialize};

use super::SortOrder;

input! {
    /// Input of CreateSession.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct CreateSessionInput [workflow_definition_name, workflow_run_id] {
        /// Idempotency token; filled with a UUID when empty.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub client_token: Option<String>,
    }
}

/// Output of CreateSession.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSessionOutput {
    /// The new session.
    pub session_id: String,
}

input! {
    /// Input of ListSessions.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct ListSessionsInput [workflow_definition_name, workflow_run_id] paged {}
}

page! {
    /// Output of ListSessions.
    pub struct ListSessionsOutput { session_summaries: Vec<SessionSummary> }
}

/// A session in a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionSummary {
    /// The session.
    pub session_id: String,
}
