//! The workflow runtime: a workflow run opens sessions, a session runs acts, and an act loops
//! through the service's plan, executing each call with an [`Actuator`].

mod act;
mod actuator;
#[cfg(feature = "schema")]
mod answer;
mod calls;
mod events;
mod guardrail;
mod human;
#[cfg(feature = "mcp")]
mod mcp;
mod secrets;
mod shutdown;
mod tools;
mod trace;
mod trajectory;
mod workflow;

pub use act::{ActError, ActRequest, ActResult, DEFAULT_MAX_STEPS, MAX_STEPS_LIMIT, TIMEOUT_RANGE};
pub use actuator::{Actuator, Observation};
#[cfg(feature = "schema")]
pub use answer::{AnswerSchema, InvalidSchema, Mismatch};
pub use calls::{BBox, BrowserAction, CallError, ClickType, ScrollDirection};
pub use events::{ActEvent, ActEvents, EVENT_BUFFER, Missed};
pub use guardrail::{Decision, PageState, PatternError, StateGuardrail, UrlPattern, UrlPolicy};
pub use human::{APPROVE_TOOL, Approval, HumanInput, HumanRequest, Takeover, UI_TAKEOVER_TOOL};
#[cfg(feature = "mcp")]
pub use mcp::{MCP_START_TIMEOUT, McpError, McpServer};
pub use secrets::{
    FRESH_FOR_AT_LEAST, PlaceholderKind, SecretError, SecretValues, Totp, TotpAlgorithm, TotpError,
};
pub use shutdown::{SHUTDOWN_GRACE, SHUTDOWN_NOTICE, Shutdown};
pub use tools::WithTools;
pub use trace::{SENSITIVE, TraceError, TraceFiles, Traces};
pub use trajectory::{Program, ProgramCall, Trajectory, TrajectoryMetadata, TrajectoryStep};
pub use workflow::{
    API_KEY_DEFINITION, DEFAULT_MODEL, DEFINITION_NOTICE, DEFINITION_VAR, Run, Session, Workflow,
    WorkflowError,
};
