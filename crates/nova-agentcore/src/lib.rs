//! Amazon Bedrock AgentCore for Amazon Nova Act: remote Chromium sessions on AgentCore Browser,
//! started and stopped through AgentCore's session API with the credentials nova-auth settled,
//! their automation stream signed with SigV4 and driven by nova-browser exactly as a local
//! browser.
//!
//! - [`BrowserSessions`] starts sessions ([`SessionOptions`]: browser, timeout, viewport, name,
//!   checked against the service's limits before any call).
//! - [`RemoteSession::connect`] signs the handshake ([`sign_handshake`]) and attaches a
//!   [`nova_browser::Browser`]; [`RemoteSession::stop`] ends the session.
//!
//! - [`BrowserPool`] runs many acts at once, each on a fresh session, and stops them all.
//! - With feature `serve`, `serve` is the AgentCore Runtime container contract
//!   (`POST /invocations`, `GET /ping`, SIGTERM), so a workflow program can be deployed as a
//!   runtime.
//! - [`DeployNames`], [`deploy_policy`] and [`execution_role_policy`] name and scope what a
//!   deploy creates; with feature `deploy`, `Deployer` creates it (ECR, IAM, the AgentCore
//!   control plane) and invokes the runtime.
//!
//! Errors name the missing permission (`bedrock-agentcore:StartBrowserSession`, …) and the
//! quota when the service refuses.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod aws;
#[cfg(feature = "deploy")]
mod deployer;
mod error;
mod iam;
mod options;
mod plan;
mod pool;
#[cfg(feature = "serve")]
mod serve;
mod sessions;
mod stream;

#[cfg(feature = "deploy")]
pub use deployer::{
    DeployError, DeployRequest, Deployed, Deployer, FoundRuntime, Image, Invoked, MIN_SESSION_ID,
    Progress, ROLE_POLICY_NAME, Step, container_tool, invoke_local, new_session_id,
};
pub use error::{RuntimeError, SessionError, SigningError};
pub use iam::{BROWSER_ACTIONS, browser_policy};
pub use options::{
    DEFAULT_BROWSER, DEFAULT_SESSION_TIMEOUT, DEFAULT_VIEWPORT, MAX_SESSION_TIMEOUT,
    SessionOptions, VIEWPORT_HEIGHTS, VIEWPORT_WIDTHS,
};
pub use plan::{
    DeployNames, NAME_PREFIX, REPOSITORY_ACTIONS, ROLE_ACTIONS, RUNTIME_ACTIONS, WORKFLOW_TAG,
    deploy_policy, execution_role_policy, execution_trust_policy,
};
pub use pool::{BrowserPool, DEFAULT_CONCURRENCY, PoolError};
#[cfg(feature = "serve")]
pub use serve::{
    BoundRuntime, DEFAULT_GRACE, DEFAULT_PORT, ENV_MEMBER, Invocation, PORT_VAR, REQUEST_HEADER,
    Runtime, ServeError, WORKFLOW_MEMBER, serve,
};
pub use sessions::{BrowserSessions, BrowserSessionsBuilder, ENDPOINT_VAR, RemoteSession};

/// The header that names the runtime session an invocation belongs to.
pub const SESSION_HEADER: &str = "x-amzn-bedrock-agentcore-runtime-session-id";
/// The header naming the user an AgentCore Runtime invocation is made for: the runtime issues
/// the invocation a workload access token for that user (AgentCore Identity).
pub const USER_HEADER: &str = "x-amzn-bedrock-agentcore-runtime-user-id";
pub use stream::{SIGNING_NAME, automation_url, data_plane, sign_handshake};
