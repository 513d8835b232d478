//! The Rust SDK for Amazon Nova Act.
//!
//! One dependency for everything: credentials (API key or AWS IAM) today, the service client and
//! workflow runtime as they land. Authentication is settled once, from the environment or code:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), nova_act::AuthError> {
//! use nova_act::{Auth, Env};
//!
//! // In a real program: `Auth::from_env().await?`.
//! let env = Env::from_vars([("NOVA_ACT_API_KEY", "0123456789abcdef0123456789abcdef0123")]);
//! let auth = Auth::builder().env(env).build().await?;
//! println!("{} credentials, chosen by {}", auth.mode(), auth.selection());
//! # Ok(()) }
//! ```
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

#[doc(inline)]
pub use nova_auth::*;

#[doc(inline)]
pub use nova_core as core;

/// The code in `README.md`, compiled as doc tests so the front page cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadMe;
