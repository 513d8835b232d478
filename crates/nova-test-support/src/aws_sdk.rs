//! The AWS SDK's own Nova Act client (`aws-sdk-novaact`) against the emulator: the second
//! implementation the compatibility tests and the benchmarks hold ours against.

use nova_emulator::RunningEmulator;

/// `aws-sdk-novaact`'s client for `emulator`, signing with its access key id and `secret`;
/// with `retries` off nothing of the SDK's softens what the emulator answers.
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

/// CreateWorkflowRun under `definition` through `sdk`; the run's id. Panics when refused.
pub async fn sdk_run(sdk: &aws_sdk_novaact::Client, definition: &str) -> String {
    let client_info = aws_sdk_novaact::types::ClientInfo::builder()
        .compatibility_version(1)
        .build()
        .unwrap_or_else(|err| panic!("ClientInfo: {err}"));
    let run = sdk
        .create_workflow_run()
        .workflow_definition_name(definition)
        .model_id("nova-act-latest")
        .client_info(client_info)
        .send()
        .await;
    made(run, "a workflow run").workflow_run_id().to_owned()
}

/// CreateSession in `run` under `definition` through `sdk`; the session's id. Panics when refused.
pub async fn sdk_session(sdk: &aws_sdk_novaact::Client, definition: &str, run: &str) -> String {
    let session = sdk
        .create_session()
        .workflow_definition_name(definition)
        .workflow_run_id(run)
        .send()
        .await;
    made(session, "a session").session_id().to_owned()
}

fn made<T>(answer: Result<T, impl std::fmt::Debug>, what: &str) -> T {
    answer.unwrap_or_else(|err| panic!("could not create {what}: {err:?}"))
}
