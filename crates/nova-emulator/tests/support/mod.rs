//! What the emulator's tests share: clients of a running emulator in either mode, and the
//! resources an act lives under.
#![allow(dead_code, unreachable_pub, unused_imports)]

use nova_act_core::model::{CreateActInput, CreateSessionInput, CreateWorkflowRunInput};
use nova_act_core::{Client, ClientBuilder, RetryConfig};
use nova_auth::{ApiKey, AuthMode, CredentialProvider, Credentials, Env, Source};
use nova_emulator::{AccessKey, RunningEmulator};

/// `key` as AWS credentials (with its session token, for issued keys).
pub fn aws(key: &AccessKey) -> Credentials {
    key.credentials()
}

/// A client builder for `emulator` with `provider`; nothing read from the environment.
pub fn builder(
    emulator: &RunningEmulator,
    provider: impl CredentialProvider + 'static,
    mode: AuthMode,
) -> ClientBuilder {
    Client::builder()
        .credentials_provider(provider, mode)
        .endpoint_url(emulator.url())
        .env(Env::empty())
}

/// An IAM client signing with `key`, without retries.
pub fn iam(emulator: &RunningEmulator, key: &AccessKey) -> Client {
    builder(emulator, aws(key), AuthMode::Iam)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
}

/// An API-key client with `key`, without retries.
pub fn api_key(emulator: &RunningEmulator, key: &str) -> Client {
    builder(
        emulator,
        Credentials::from(ApiKey::new(key, Source::Code)),
        AuthMode::ApiKey,
    )
    .retry(RetryConfig::disabled())
    .build()
    .unwrap()
}

pub use nova_test_support::define;

/// Creates a run, a session and an act under `definition`; returns their ids.
pub async fn open_act(client: &Client, definition: &str) -> (String, String, String) {
    nova_test_support::open_act(client, definition, "t").await
}

pub use nova_test_support::{aws_sdk, sdk_run, sdk_session};
