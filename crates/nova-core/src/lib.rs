//! Transport and workflow model for Amazon Nova Act.
//!
//! This crate will hold the typed operations of the Nova Act service, request signing and
//! retries, and the workflow runtime. Today it only re-exports the credential layer it builds on.

#[doc(inline)]
pub use nova_auth as auth;
