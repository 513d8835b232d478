//! Acts of a session: create, list, step, update.

use serde::{Deserialize, Serialize};

use super::{
    ActFailure, ActStatus, Call, CallResult, SortOrder, Timestamp, ToolSpec, TraceLocation,
};

input! {
    /// Input of CreateAct.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct CreateActInput [workflow_definition_name, workflow_run_id, session_id] {
        /// What to do, in words (1..10,000 characters).
        pub task: String,
        /// Tools the agent may call (up to 100).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub tool_specs: Option<Vec<ToolSpec>>,
        /// Idempotency token; filled with a UUID when empty.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub client_token: Option<String>,
    }
}

/// Output of CreateAct.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateActOutput {
    /// The new act.
    pub act_id: String,
    /// Its state.
    pub status: ActStatus,
}

input! {
    /// Input of ListActs.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct ListActsInput [workflow_definition_name] paged {
        /// Only acts of this run (query).
        #[serde(skip_serializing, default)]
        pub workflow_run_id: Option<String>,
        /// Only acts of this session (query).
        #[serde(skip_serializing, default)]
        pub session_id: Option<String>,
    }
}

page! {
    /// Output of ListActs.
    pub struct ListActsOutput { act_summaries: Vec<ActSummary> }
}

/// An act in a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActSummary {
    /// Its run.
    pub workflow_run_id: String,
    /// Its session.
    pub session_id: String,
    /// The act.
    pub act_id: String,
    /// Its state.
    pub status: ActStatus,
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
    /// Input of InvokeActStep: the results of the last step's calls; the answer is the next calls.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct InvokeActStepInput [workflow_definition_name, workflow_run_id, session_id, act_id] {
        /// Results of the previous step's calls, in order (1..100).
        pub call_results: Vec<CallResult>,
        /// The previous step; absent on the first.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub previous_step_id: Option<String>,
    }
}

/// Output of InvokeActStep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvokeActStepOutput {
    /// What to do next, in order.
    pub calls: Vec<Call>,
    /// This step.
    pub step_id: String,
}

input! {
    /// Input of UpdateAct: finishes an act.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct UpdateActInput [workflow_definition_name, workflow_run_id, session_id, act_id] {
        /// The new state.
        pub status: ActStatus,
        /// Why it failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub error: Option<ActFailure>,
    }
}

/// Output of UpdateAct (empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateActOutput {}
