//! Transport and model for Amazon Nova Act: every operation of the service as a typed async call
//! that applies the right credentials (SigV4 or an API key), reaches the right endpoint, retries
//! what is safe to retry, and turns every failure into an [`Error`] a person can act on.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use futures_util::TryStreamExt;
//! use nova_act_core::{Client, model::ListWorkflowDefinitionsInput};
//!
//! let auth = nova_auth::Auth::from_env().await?;
//! let client = Client::builder().auth(&auth).build()?;
//! let all: Vec<_> = client
//!     .workflow_definitions(ListWorkflowDefinitionsInput::default())
//!     .try_collect()
//!     .await?;
//! println!("{} workflow definitions", all.len());
//! # Ok(()) }
//! ```
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
// `Error` carries the service's modelled fields by value so callers can match on them; calls are
// network-bound, so the size of a `Result` is not worth an extra allocation per error.
#![allow(clippy::result_large_err)]

mod client;
pub mod endpoint;
mod error;
mod governor;
pub mod iam;
pub mod limits;
pub mod model;
mod operation;
mod retry;
pub mod runtime;
#[doc(hidden)]
pub mod telemetry;
#[doc(hidden)]
pub mod tls;
mod transport;
mod validate;

#[doc(inline)]
pub use nova_auth as auth;

pub use client::{
    Client, ClientBuilder, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_THROTTLE_TIMEOUT, STEP_RATE_VAR,
};
pub use error::{Error, ErrorMeta};
pub use operation::{OPERATIONS, Operation, OperationInfo, Resource, Retry, info};
pub use retry::{RetryConfig, RetryMode};
#[doc(hidden)]
pub use transport::retry_after;
pub use transport::{SIGNING_NAME, USER_AGENT_VALUE, sign_request, sign_request_for};
pub use validate::ValidationError;

/// The protocol version this client speaks (`clientInfo.compatibilityVersion`).
pub const COMPATIBILITY_VERSION: i32 = 1;

/// This SDK's name and version, as sent in `clientInfo.sdkVersion`.
pub const SDK_VERSION: &str = concat!("nova-act-rust/", env!("CARGO_PKG_VERSION"));

/// The code in this crate's README, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadMe;
