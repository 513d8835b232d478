//! Transport and workflow model for Amazon Nova Act.
//!
//! This crate will hold the typed operations of the Nova Act service, request signing and
//! retries, and the workflow runtime. Today it only re-exports the credential layer it builds on.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

#[doc(inline)]
pub use nova_auth as auth;
