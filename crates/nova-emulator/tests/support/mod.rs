//! What the emulator's tests share: clients of a running emulator in either mode, and the
//! resources an act lives under.
#![allow(dead_code, unreachable_pub)]

use nova_act_core::model::{
    CreateActInput, CreateSessionInput, CreateWorkflowDefinitionInput, CreateWorkflowRunInput,
};
use nova_act_core::{Client, ClientBuilder, RetryConfig};
use nova_auth::{
    ApiKey, AuthMode, AwsCredentials, CredentialProvider, Credentials, Env, Secret, Source,
};
use nova_emulator::{AccessKey, RunningEmulator};

/// `key` as AWS credentials (with its session token, for issued keys).
pub fn aws(key: &AccessKey) -> Credentials {
    AwsCredentials::new(
        &key.access_key_id,
        key.secret_access_key.as_str(),
        key.session_token.clone().map(Secret::new),
        Source::Code,
    )
    .into()
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

/// Creates workflow definition `name`.
pub async fn define(client: &Client, name: &str) {
    client
        .create_workflow_definition(CreateWorkflowDefinitionInput {
            name: name.into(),
            ..Default::default()
        })
        .await
        .unwrap();
}

/// Creates a run, a session and an act under `definition`; returns their ids.
pub async fn open_act(client: &Client, definition: &str) -> (String, String, String) {
    let run = client
        .create_workflow_run(CreateWorkflowRunInput::new(definition, "nova-act-latest"))
        .await
        .unwrap()
        .workflow_run_id;
    let session = client
        .create_session(CreateSessionInput {
            workflow_definition_name: definition.into(),
            workflow_run_id: run.clone(),
            client_token: None,
        })
        .await
        .unwrap()
        .session_id;
    let act = client
        .create_act(CreateActInput {
            workflow_definition_name: definition.into(),
            workflow_run_id: run.clone(),
            session_id: session.clone(),
            task: "t".into(),
            tool_specs: None,
            client_token: None,
        })
        .await
        .unwrap()
        .act_id;
    (run, session, act)
}
