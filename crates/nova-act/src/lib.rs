//! The Rust SDK for Amazon Nova Act.
//!
//! One dependency for everything: credentials (an API key from nova.amazon.com, or AWS IAM),
//! every service operation, and the workflow runtime that runs acts.
//!
//! ```no_run
//! # async fn example() -> Result<(), nova_act::Error> {
//! use nova_act::NovaAct;
//!
//! // API key or IAM, decided by the environment: NOVA_ACT_API_KEY, NOVA_ACT_AUTH, AWS_*.
//! let nova = NovaAct::from_env().await?;
//! println!("{}", nova.identity().await?);
//! # Ok(()) }
//! ```
//!
//! The same program switches between API key and IAM by environment alone; [`NovaActBuilder`]
//! sets anything explicitly. The [`guide`] holds the guides: authentication, workflows, the
//! browser, the emulator, the command line and security.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::time::Duration;

#[doc(hidden)]
pub use nova_act_core::tls;
#[doc(inline)]
pub use nova_act_core::{
    Client, ClientBuilder, Error, ErrorMeta, OPERATIONS, Operation, OperationInfo, Resource, Retry,
    RetryConfig, RetryMode, STEP_RATE_VAR, ValidationError, endpoint, iam, limits, model, runtime,
};
#[cfg(feature = "aws")]
#[doc(hidden)]
pub use nova_auth::https_client;
// Listed one by one, so that what the facade offers is a decision, not whatever nova-auth adds.
#[doc(inline)]
pub use nova_auth::{
    API_KEY_LEN, API_KEY_URL, ApiKey, ApiKeyProvider, Attempt, Attempts, Auth, AuthBuilder,
    AuthError, AuthMode, Available, AwsCredentials, BoxError, CachedProvider, ChainProvider, Clock,
    CredentialProvider, Credentials, CredentialsError, DEFAULT_REFRESH_BEFORE, DEFAULT_REGION,
    DEFAULT_RETRY_AFTER_FAILURE, Env, EnvironmentProvider, Identity, Link, MODE_NOTICE,
    ManualClock, REDACTED, Region, RegionSource, Report, SdkSettings, Secret, Selection, Setting,
    SettingOrigin, SharedProvider, Source, SystemClock,
};
/// The API key from where production keeps it (feature `key-stores`, on by default).
#[cfg(feature = "key-stores")]
#[doc(inline)]
pub use nova_auth::{ApiKeyStore, REREAD_AFTER_REFUSAL, StorePermission};
/// The AWS credential sources that come from aws-config (feature `aws`, on by default).
#[cfg(feature = "aws")]
#[doc(inline)]
pub use nova_auth::{
    AwsSdkProvider, ContainerProvider, DEFAULT_CONTAINER_TIMEOUT, DEFAULT_IMDS_TIMEOUT,
    DefaultChain, DefaultChainBuilder, ImdsProvider, IntoAwsProvider, ProfileProvider,
    WebIdentityProvider,
};

/// A real browser to run acts in (feature `browser`, on by default).
#[cfg(feature = "browser")]
#[doc(inline)]
pub use nova_browser as browser;

#[cfg(feature = "browser")]
mod batch;
#[cfg(feature = "browser")]
#[doc(inline)]
pub use batch::{Batch, BatchFailed, BatchProgress, Task, TaskError, TaskOutcome};

#[cfg(feature = "otel")]
pub mod otel;

/// Remote browsers on Amazon Bedrock AgentCore Browser, started, signed and stopped with the same
/// credentials (feature `agentcore`).
#[cfg(feature = "agentcore")]
#[doc(inline)]
pub use nova_agentcore as agentcore;

/// Settled credentials and a client for them: the one object most programs need.
#[derive(Clone, Debug)]
pub struct NovaAct {
    auth: Auth,
    client: Client,
}

impl NovaAct {
    /// Everything from the environment: the auth mode exactly as [`Auth`] decides it, the
    /// region, and the endpoint variables.
    pub async fn from_env() -> Result<Self, Error> {
        Self::builder().build().await
    }

    /// Everything an `aws_config::SdkConfig` carries (see [`NovaActBuilder::sdk_config`]), the
    /// rest from the environment: a program that already loads the AWS SDK's configuration
    /// shares it.
    #[cfg(feature = "aws")]
    pub async fn from_sdk_config(config: &aws_types::SdkConfig) -> Result<Self, Error> {
        Self::builder().sdk_config(config).build().await
    }

    /// Explicit settings.
    pub fn builder() -> NovaActBuilder {
        NovaActBuilder::default()
    }

    /// The service client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The settled authentication.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// Which credentials are in use and where they came from (mode, source, region, expiry).
    pub async fn identity(&self) -> Result<Identity, Error> {
        Ok(self.auth.identity().await?)
    }

    /// A workflow on this client, model `nova-act-latest`: name its definition with
    /// `.definition(NAME)` or `NOVA_ACT_WORKFLOW_DEFINITION` (needed under IAM; with an API key
    /// the service has only `default`, and a named one is ignored with a warning).
    pub fn workflow(&self) -> runtime::Workflow {
        runtime::Workflow::new(&self.client)
    }
}

/// Settings for [`NovaAct`]; whatever is not set comes from the environment.
#[derive(Debug, Default)]
pub struct NovaActBuilder {
    auth: AuthBuilder,
    client: ClientBuilder,
}

/// `NovaActBuilder` methods that hand their argument to the client's builder unchanged: the
/// settings of the connection to the service, documented once here and once on
/// [`ClientBuilder`](nova_act_core::ClientBuilder).
macro_rules! client_settings {
    ($($(#[doc = $doc:literal])* $name:ident($arg:ident: $ty:ty);)*) => {$(
        $(#[doc = $doc])*
        #[must_use]
        pub fn $name(mut self, $arg: $ty) -> Self {
            self.client = self.client.$name($arg);
            self
        }
    )*};
}
impl NovaActBuilder {
    /// Uses this API key.
    #[must_use]
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.auth = self.auth.api_key(key);
        self
    }

    /// Uses this AWS profile.
    #[must_use]
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.auth = self.auth.profile_name(name);
        self
    }

    /// Uses this region.
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.auth = self.auth.region(region);
        self
    }

    /// Forces the auth mode.
    #[must_use]
    pub fn mode(mut self, mode: AuthMode) -> Self {
        self.auth = self.auth.mode(mode);
        self
    }

    /// Authenticates as `auth` is set up, for what this builder does not repeat (such as the
    /// origin a command-line tool gives its flags, which errors and [`Identity`] then name).
    /// Settings made on this builder before are replaced.
    #[must_use]
    pub fn auth(mut self, auth: AuthBuilder) -> Self {
        self.auth = auth;
        self
    }

    /// Uses your own credentials provider, of either kind: an API key from a vault, AWS keys
    /// from a parent process (see [`AuthBuilder::provider`]).
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use async_trait::async_trait;
    /// use nova_act::{
    ///     ApiKey, AwsCredentials, CredentialProvider, Credentials, CredentialsError, NovaAct, Source,
    /// };
    ///
    /// /// An API key kept in a vault.
    /// #[derive(Debug)]
    /// struct Vault;
    ///
    /// #[async_trait]
    /// impl CredentialProvider for Vault {
    ///     async fn credentials(&self) -> Result<Credentials, CredentialsError> {
    ///         let key = "0123456789abcdef0123456789abcdef0123"; // read from the vault
    ///         Ok(ApiKey::new(key, Source::custom("vault")).into())
    ///     }
    /// }
    ///
    /// /// AWS keys handed down by a parent process.
    /// #[derive(Debug)]
    /// struct Parent;
    ///
    /// #[async_trait]
    /// impl CredentialProvider for Parent {
    ///     async fn credentials(&self) -> Result<Credentials, CredentialsError> {
    ///         let id = "AKIAIOSFODNN7EXAMPLE";
    ///         let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    ///         Ok(AwsCredentials::new(id, secret, None, Source::custom("parent")).into())
    ///     }
    /// }
    ///
    /// let with_key = NovaAct::builder().credentials_provider(Vault).build().await?;
    /// let with_aws = NovaAct::builder().credentials_provider(Parent).build().await?;
    /// println!("{}\n{}", with_key.identity().await?, with_aws.identity().await?);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn credentials_provider(mut self, provider: impl CredentialProvider + 'static) -> Self {
        self.auth = self.auth.provider(provider);
        self
    }

    /// Uses what an `aws_config::SdkConfig` carries: its credentials, region, endpoint URL,
    /// FIPS and dual-stack choices, maximum attempts and backoff, retry mode, and connect and
    /// per-attempt timeouts. Settings it leaves unset keep coming from the environment.
    #[cfg(feature = "aws")]
    #[must_use]
    pub fn sdk_config(mut self, config: &aws_types::SdkConfig) -> Self {
        if let Some(provider) = AwsSdkProvider::from_sdk_config(config) {
            self.auth = self.auth.aws_provider(provider);
        }
        if let Some(region) = config.region() {
            self.auth = self.auth.region(region.to_string());
        }
        if let Some(url) = config.endpoint_url() {
            self.client = self.client.endpoint_url(url);
        }
        if let Some(on) = config.use_fips() {
            self.client = self.client.use_fips(on);
        }
        if let Some(on) = config.use_dual_stack() {
            self.client = self.client.use_dual_stack(on);
        }
        if let Some(retry) = config.retry_config() {
            self.client = self
                .client
                .retry(RetryConfig {
                    max_attempts: retry.max_attempts(),
                    base_delay: retry.initial_backoff(),
                    max_delay: retry.max_backoff(),
                })
                .retry_mode(match retry.mode() {
                    aws_smithy_types::retry::RetryMode::Adaptive => RetryMode::Adaptive,
                    _ => RetryMode::Standard,
                });
        }
        if let Some(timeouts) = config.timeout_config() {
            if let Some(connect) = timeouts.connect_timeout() {
                self.client = self.client.connect_timeout(connect);
            }
            if let Some(attempt) = timeouts.operation_attempt_timeout() {
                self.client = self.client.attempt_timeout(Some(attempt));
            }
        }
        self
    }

    client_settings! {
        /// Sends requests to this endpoint (an emulator, a proxy).
        endpoint_url(url: impl Into<String>);
        /// Lets credentials travel over plain `http://` beyond this machine (a test rig on another
        /// host), with a warning; `NOVA_ACT_ALLOW_HTTP=1` otherwise. Without it only `https://` and
        /// loopback `http://` are accepted.
        allow_http(allow: bool);
        /// Retry settings.
        retry(retry: RetryConfig);
        /// The retry mode (`AWS_RETRY_MODE` otherwise).
        retry_mode(mode: RetryMode);
        /// Time allowed to connect.
        connect_timeout(timeout: Duration);
        /// The most InvokeActStep calls per second, shared by every session and act of the client
        /// (default 5, the account's default quota; `NOVA_ACT_STEP_RATE` otherwise; `0` = off). See
        /// [`ClientBuilder::step_rate`](nova_act_core::ClientBuilder::step_rate).
        step_rate(steps_per_second: f64);
        /// How long a throttled call is repeated before its error is returned (default 300 s).
        throttle_timeout(timeout: Duration);
        /// Time allowed per attempt (`None`: no limit).
        attempt_timeout(timeout: Option<Duration>);
        /// Uses the FIPS endpoint (`AWS_USE_FIPS_ENDPOINT` otherwise).
        use_fips(on: bool);
        /// Uses the dual-stack endpoint (`AWS_USE_DUALSTACK_ENDPOINT` otherwise).
        use_dual_stack(on: bool);
    }

    /// Reads `env` instead of the process environment.
    #[must_use]
    pub fn env(mut self, env: Env) -> Self {
        self.auth = self.auth.env(env.clone());
        self.client = self.client.env(env);
        self
    }

    /// Settles the credentials (loading them once) and builds the client.
    pub async fn build(self) -> Result<NovaAct, Error> {
        let auth = self.auth.build().await?;
        Ok(NovaAct {
            client: self.client.auth(&auth).build()?,
            auth,
        })
    }
}

/// The guides, rendered here so they read on docs.rs beside the API they describe. Their code
/// compiles and runs as this crate's doc tests, so a guide cannot drift from the API.
pub mod guide {
    #[doc = include_str!("../guide/authentication.md")]
    pub mod authentication {}
    #[doc = include_str!("../guide/workflows.md")]
    pub mod workflows {}
    #[cfg(feature = "browser")]
    #[doc = include_str!("../guide/browser.md")]
    pub mod browser {}
    #[doc = include_str!("../guide/emulator.md")]
    pub mod emulator {}
    #[cfg(feature = "agentcore")]
    #[doc = include_str!("../guide/deployment.md")]
    pub mod deployment {}
    #[doc = include_str!("../guide/cli.md")]
    pub mod cli {}
    // Its OpenTelemetry example needs the feature.
    #[cfg(feature = "otel")]
    #[doc = include_str!("../guide/observability.md")]
    pub mod observability {}
    #[doc = include_str!("../guide/scaling.md")]
    pub mod scaling {}
    #[doc = include_str!("../guide/security.md")]
    pub mod security {}
    #[doc = include_str!("../guide/security-practices.md")]
    pub mod security_practices {}
}
