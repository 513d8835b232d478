//! Bridges to the AWS SDK, web identity, and the default chain end to end.
#![cfg(feature = "aws")]

mod support;

use aws_credential_types::provider::ProvideCredentials;
use nova_auth::{
    ApiKeyProvider, Auth, AwsSdkProvider, CredentialProvider, DefaultChain, Env,
    EnvironmentProvider, IntoAwsProvider, WebIdentityProvider,
};
use support::{
    ACCESS_KEY_ID, API_KEY, SECRET_ACCESS_KEY, SESSION_TOKEN, describe, in_child, isolated, report,
};

fn static_aws() -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        Some(SESSION_TOKEN.to_owned()),
        None,
        "test",
    )
}

#[tokio::test]
async fn an_sdk_config_provides_credentials() {
    let config = aws_types::SdkConfig::builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(static_aws()),
        )
        .build();
    let provider = AwsSdkProvider::from_sdk_config(&config).unwrap();
    insta::assert_snapshot!(describe(&provider.credentials().await), @r"
    mode: iam
    source: custom: aws-config
    id: ****MPLE
    session token: true
    account: -
    ");
    let named = AwsSdkProvider::new(static_aws()).named("boto-like session");
    assert!(describe(&named.credentials().await).contains("source: custom: boto-like session"));
    assert!(AwsSdkProvider::from_sdk_config(&aws_types::SdkConfig::builder().build()).is_none());
}

#[tokio::test]
async fn an_sdk_config_can_drive_auth() {
    let auth = Auth::builder()
        .env(Env::from_vars([("NOVA_ACT_API_KEY", API_KEY)]))
        .mode(nova_auth::AuthMode::Iam)
        .aws_provider(AwsSdkProvider::new(static_aws()))
        .build()
        .await;
    // A choice in code wins over the key in the environment.
    assert_eq!(auth.unwrap().mode(), nova_auth::AuthMode::Iam);
    let auth = Auth::builder()
        .aws_provider(AwsSdkProvider::new(static_aws()))
        .build()
        .await
        .unwrap();
    assert_eq!(auth.mode(), nova_auth::AuthMode::Iam);
}

#[tokio::test]
async fn our_providers_feed_aws_sdk_clients() {
    let env = Env::from_vars([
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN),
    ]);
    let shared = IntoAwsProvider::new(EnvironmentProvider::with_env(env)).into_shared();
    let creds = shared.provide_credentials().await.unwrap();
    assert_eq!(creds.access_key_id(), ACCESS_KEY_ID);
    assert_eq!(creds.secret_access_key(), SECRET_ACCESS_KEY);
    assert_eq!(creds.session_token(), Some(SESSION_TOKEN));
}

#[tokio::test]
async fn an_api_key_cannot_sign_aws_requests() {
    let shared = IntoAwsProvider::new(ApiKeyProvider::new(API_KEY));
    let err = shared.provide_credentials().await.unwrap_err();
    let text = nova_auth_error_text(&err);
    assert!(
        text.contains("an API key cannot sign AWS requests"),
        "{text}"
    );
    assert!(!text.contains(API_KEY));
}

#[tokio::test]
async fn not_configured_stays_not_loaded_for_aws_chains() {
    let shared = IntoAwsProvider::new(EnvironmentProvider::with_env(Env::empty()));
    let err = shared.provide_credentials().await.unwrap_err();
    assert!(matches!(
        err,
        aws_credential_types::provider::error::CredentialsError::CredentialsNotLoaded(_)
    ));
}

fn nova_auth_error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

#[tokio::test]
async fn web_identity_without_its_role_stops_the_chain() {
    let env = Env::from_vars([("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token")]);
    let out = describe(&WebIdentityProvider::with_env(env).credentials().await);
    insta::assert_snapshot!(out, @"error (stops the chain): web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not; set the role to assume");
    let env = Env::from_vars([("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/Nova")]);
    let out = describe(&WebIdentityProvider::with_env(env).credentials().await);
    insta::assert_snapshot!(out, @"error (stops the chain): web identity: AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not; set the token file");
}

#[tokio::test]
async fn web_identity_with_a_missing_token_file_stops_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-token");
    let env = Env::from_vars([
        ("AWS_WEB_IDENTITY_TOKEN_FILE", missing.display().to_string()),
        (
            "AWS_ROLE_ARN",
            "arn:aws:iam::123456789012:role/Nova".to_owned(),
        ),
    ]);
    let out = describe(&WebIdentityProvider::with_env(env).credentials().await);
    assert!(
        out.starts_with("error (stops the chain): web identity:"),
        "{out}"
    );
    let out = out.replace(&dir.path().display().to_string(), "[DIR]");
    insta::assert_snapshot!(out, @r"
        error (stops the chain): web identity: AWS_WEB_IDENTITY_TOKEN_FILE points at [DIR]/no-token, which cannot be read; fix the path or unset AWS_WEB_IDENTITY_TOKEN_FILE
          caused by: No such file or directory (os error 2)
    ");
}

/// With nothing configured and a metadata endpoint that accepts connections but never answers,
/// the default chain still answers "nothing found", listing every source.
#[tokio::test]
async fn nothing_configured_and_a_silent_metadata_endpoint() {
    const TEST: &str = "nothing_configured_and_a_silent_metadata_endpoint";
    if in_child(TEST) {
        let out = describe(&DefaultChain::new().credentials().await);
        report(out.replace(
            &std::env::var("AWS_EC2_METADATA_SERVICE_ENDPOINT").unwrap(),
            "[IMDS]",
        ));
        return;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    // Accept and hold connections without ever answering.
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let out = isolated(
        TEST,
        vec![
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint),
            ("HOME", "/nonexistent".to_owned()),
        ],
    )
    .await;
    silent.abort();
    insta::assert_snapshot!(out, @r"
    error (not configured): no credentials found; sources tried, in order:
      - environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set
      - profile file: no `default` profile in /nonexistent/.aws/credentials or /nonexistent/.aws/config
      - web identity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not set
      - container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set
      - imds: no answer from the instance metadata service at [IMDS] within 1s (not on EC2?)
    To fix: set NOVA_ACT_API_KEY to an API key from https://nova.amazon.com/act, or configure AWS credentials (`aws configure`, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)
    ");
}
