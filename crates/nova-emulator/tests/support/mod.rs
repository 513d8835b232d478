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

/// The AWS SDK's own client (`aws-sdk-novaact`) for `emulator`, signing with its access key id
/// and `secret`; with `retries` off nothing of the SDK's softens what the emulator answers.
pub fn aws_sdk(emulator: &RunningEmulator, secret: &str, retries: bool) -> aws_sdk_novaact::Client {
    let credentials = aws_credential_types::Credentials::new(
        &emulator.access_key().access_key_id,
        secret,
        None,
        None,
        "test",
    );
    let mut config = aws_sdk_novaact::Config::builder()
        .behavior_version(aws_sdk_novaact::config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .endpoint_url(emulator.url());
    if !retries {
        config = config.retry_config(aws_smithy_types::retry::RetryConfig::disabled());
    }
    aws_sdk_novaact::Client::from_conf(config.build())
}

/// CreateWorkflowRun under `definition` through the AWS SDK's client; the run's id.
pub async fn sdk_run(sdk: &aws_sdk_novaact::Client, definition: &str) -> String {
    sdk.create_workflow_run()
        .workflow_definition_name(definition)
        .model_id("nova-act-latest")
        .client_info(
            aws_sdk_novaact::types::ClientInfo::builder()
                .compatibility_version(1)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .workflow_run_id()
        .to_owned()
}
