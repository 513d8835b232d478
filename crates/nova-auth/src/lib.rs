//! Credentials for Amazon Nova Act: an API key from nova.amazon.com, or AWS IAM credentials,
//! behind one [`CredentialProvider`] trait.
//!
//! - [`Auth`] settles the mode once: a choice in code, else `NOVA_ACT_AUTH=api-key|iam`, else a
//!   key in `NOVA_ACT_API_KEY`, else the AWS chain. It records why, and the region.
//! - Providers: [`ApiKeyProvider`], [`EnvironmentProvider`], and with the default `aws` feature
//!   [`ProfileProvider`], [`WebIdentityProvider`], [`ContainerProvider`], [`ImdsProvider`] and the
//!   [`DefaultChain`] over them, built on `aws-config`. [`ChainProvider`] and
//!   [`CachedProvider`] compose any of them.
//! - Every credential says where it came from ([`Source`]); secrets are [`Secret`]s, redacted when
//!   printed and zeroed when dropped.
//!
//! Without default features the crate keeps the trait, API key, environment, chain and cache, and
//! no AWS SDK crate.
//!
//! # Your own provider
//! ```
//! use async_trait::async_trait;
//! use nova_auth::{AwsCredentials, CredentialProvider, Credentials, CredentialsError, Source};
//!
//! #[derive(Debug)]
//! struct FromVault;
//!
//! #[async_trait]
//! impl CredentialProvider for FromVault {
//!     async fn credentials(&self) -> Result<Credentials, CredentialsError> {
//!         let (id, secret) = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
//!         Ok(AwsCredentials::new(id, secret, None, Source::custom("vault")).into())
//!     }
//! }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), nova_auth::AuthError> {
//! let auth = nova_auth::Auth::builder().aws_provider(FromVault).build().await?;
//! assert_eq!(auth.credentials().await?.source().to_string(), "custom: vault");
//! # Ok(()) }
//! ```
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api_key;
mod auth;
mod available;
#[cfg(feature = "aws")]
mod aws;
mod aws_env;
mod cache;
mod chain;
mod clock;
mod credentials;
pub mod env;
mod error;
mod kind;
mod provider;
mod region;
mod secret;
mod selection;
mod setters;
mod settings;
mod source;
#[cfg(feature = "key-stores")]
mod store;

pub use api_key::{API_KEY_LEN, ApiKeyProvider};
pub use auth::{Auth, AuthBuilder, Identity, MODE_NOTICE};
pub use available::Available;
#[cfg(feature = "aws")]
#[doc(hidden)]
pub use aws::https_client;
#[cfg(feature = "aws")]
pub use aws::{
    AwsSdkProvider, ContainerProvider, DEFAULT_CONTAINER_TIMEOUT, DEFAULT_IMDS_TIMEOUT,
    DefaultChain, DefaultChainBuilder, ImdsProvider, IntoAwsProvider, ProfileProvider,
    WebIdentityProvider,
};
pub use aws_env::EnvironmentProvider;
pub use cache::{CachedProvider, DEFAULT_REFRESH_BEFORE, DEFAULT_RETRY_AFTER_FAILURE};
pub use chain::ChainProvider;
pub use clock::{Clock, ManualClock, SystemClock};
pub use credentials::{ApiKey, AuthMode, AwsCredentials, Credentials};
pub use env::Env;
pub use error::{API_KEY_URL, Attempt, Attempts, AuthError, BoxError, CredentialsError, Report};
pub use provider::{CredentialProvider, SharedProvider};
pub use region::{DEFAULT_REGION, Region, RegionSource};
pub use secret::{REDACTED, Secret};
pub use selection::Selection;
pub use settings::{SdkSettings, Setting, SettingOrigin};
pub use source::{Link, Source};
#[cfg(feature = "key-stores")]
pub use store::{ApiKeyStore, REREAD_AFTER_REFUSAL, StorePermission};

/// The code in this crate's README, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadMe;
