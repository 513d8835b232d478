//! Choosing API key or IAM: code, then NOVA_ACT_AUTH, then NOVA_ACT_API_KEY, then the AWS chain.

mod support;

use std::borrow::Cow;

use async_trait::async_trait;
use nova_auth::{
    Auth, AuthBuilder, AuthError, AuthMode, AwsCredentials, CredentialProvider, Credentials,
    CredentialsError, Env, Selection, Source,
};
use support::{ACCESS_KEY_ID, API_KEY, Logs, SECRET_ACCESS_KEY};

#[derive(Debug)]
struct Fixed;

#[async_trait]
impl CredentialProvider for Fixed {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        Ok(AwsCredentials::new(
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            None,
            Source::custom("fixed"),
        )
        .into())
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("fixed")
    }
}

fn aws_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("HOME", "/nonexistent"),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
        // Keep the chain away from any real metadata service.
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
}

fn with(vars: &[(&'static str, &'static str)]) -> AuthBuilder {
    let mut all = vec![
        ("HOME", "/nonexistent"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    all.extend_from_slice(vars);
    Auth::builder().env(Env::from_vars(all))
}

fn summary(auth: &Result<Auth, AuthError>) -> String {
    match auth {
        Ok(auth) => format!("{} chosen by {}", auth.mode(), auth.selection()),
        Err(err) => format!("error: {err}"),
    }
}

#[tokio::test]
async fn an_api_key_in_the_environment_selects_api_key_mode() {
    let auth = with(&[("NOVA_ACT_API_KEY", API_KEY)]).build().await;
    insta::assert_snapshot!(summary(&auth), @"api-key chosen by NOVA_ACT_API_KEY being set");
}

#[tokio::test]
async fn aws_credentials_alone_select_iam() {
    let auth = Auth::builder().env(Env::from_vars(aws_env())).build().await;
    insta::assert_snapshot!(summary(&auth), @"iam chosen by the default (no NOVA_ACT_API_KEY)");
    let auth = auth.unwrap();
    assert_eq!(
        auth.credentials().await.unwrap().source(),
        &Source::Environment
    );
}

#[tokio::test]
async fn an_api_key_wins_over_aws_credentials_in_the_environment_with_a_warning() {
    let (logs, _guard) = Logs::capture();
    let mut vars = aws_env();
    vars.push(("NOVA_ACT_API_KEY", API_KEY));
    let auth = Auth::builder().env(Env::from_vars(vars)).build().await;
    assert_eq!(auth.unwrap().mode(), AuthMode::ApiKey);
    let text = logs.text();
    assert!(text.contains("WARN"), "{text}");
    assert!(text.contains("AWS_ACCESS_KEY_ID"), "{text}");
    assert!(text.contains("NOVA_ACT_AUTH=iam"), "{text}");
    assert!(
        !text.contains(API_KEY) && !text.contains(SECRET_ACCESS_KEY),
        "{text}"
    );
}

#[tokio::test]
async fn nova_act_auth_forces_iam_over_an_api_key() {
    let mut vars = aws_env();
    vars.extend([("NOVA_ACT_API_KEY", API_KEY), ("NOVA_ACT_AUTH", "iam")]);
    let auth = Auth::builder().env(Env::from_vars(vars)).build().await;
    insta::assert_snapshot!(summary(&auth), @"iam chosen by NOVA_ACT_AUTH=iam");
}

#[tokio::test]
async fn nova_act_auth_is_case_insensitive() {
    let auth = with(&[
        ("NOVA_ACT_API_KEY", API_KEY),
        ("NOVA_ACT_AUTH", " API-KEY "),
    ])
    .build()
    .await;
    insta::assert_snapshot!(summary(&auth), @"api-key chosen by NOVA_ACT_AUTH=api-key");
}

#[tokio::test]
async fn a_choice_in_code_wins_over_the_environment() {
    let auth = with(&[("NOVA_ACT_API_KEY", API_KEY), ("NOVA_ACT_AUTH", "api-key")])
        .aws_provider(Fixed)
        .build()
        .await;
    insta::assert_snapshot!(summary(&auth), @"iam chosen by the program's settings");
    let auth = with(&[("NOVA_ACT_AUTH", "iam")])
        .api_key(API_KEY)
        .build()
        .await;
    insta::assert_snapshot!(summary(&auth), @"api-key chosen by the program's settings");
}

#[tokio::test]
async fn an_api_key_and_aws_settings_in_code_conflict() {
    let auth = with(&[])
        .api_key(API_KEY)
        .profile_name("prod")
        .build()
        .await;
    insta::assert_snapshot!(summary(&auth), @"error: both an API key and AWS settings (profile `prod`) were given in code; keep one: the API key for nova.amazon.com, or the AWS settings for the AWS Nova Act service");
    let auth = with(&[]).api_key(API_KEY).aws_provider(Fixed).build().await;
    insta::assert_snapshot!(summary(&auth), @"error: both an API key and AWS settings (provider `fixed`) were given in code; keep one: the API key for nova.amazon.com, or the AWS settings for the AWS Nova Act service");
    let auth = with(&[]).api_key(API_KEY).mode(AuthMode::Iam).build().await;
    insta::assert_snapshot!(summary(&auth), @"error: both an API key and AWS settings (IAM mode) were given in code; keep one: the API key for nova.amazon.com, or the AWS settings for the AWS Nova Act service");
    let auth = with(&[])
        .mode(AuthMode::ApiKey)
        .profile_name("prod")
        .build()
        .await;
    assert!(matches!(auth, Err(AuthError::Conflict { .. })));
}

#[tokio::test]
async fn an_unknown_nova_act_auth_lists_the_valid_values() {
    let auth = with(&[("NOVA_ACT_AUTH", "sigv4")]).build().await;
    insta::assert_snapshot!(summary(&auth), @"error: NOVA_ACT_AUTH is `sigv4`, which is not a mode; use `api-key` or `iam`, or unset it");
}

#[tokio::test]
async fn api_key_mode_without_a_key_says_how_to_get_one() {
    let auth = with(&[("NOVA_ACT_AUTH", "api-key")]).build().await;
    insta::assert_snapshot!(summary(&auth), @"error: NOVA_ACT_AUTH=api-key selects API-key mode, but NOVA_ACT_API_KEY is not set; create a key at https://nova.amazon.com/act and set NOVA_ACT_API_KEY to it");
}

#[cfg(feature = "aws")]
#[tokio::test]
async fn iam_mode_without_credentials_lists_the_chain() {
    let auth = with(&[("NOVA_ACT_AUTH", "iam")]).build().await;
    insta::assert_snapshot!(summary(&auth), @r"
    error: NOVA_ACT_AUTH=iam selects IAM mode, but no AWS credentials were found.
    no credentials found; sources tried, in order:
      - environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set
      - profile file: no `default` profile in /nonexistent/.aws/credentials or /nonexistent/.aws/config
      - web identity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not set
      - container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set
      - imds: AWS_EC2_METADATA_DISABLED is true
    To fix: set NOVA_ACT_API_KEY to an API key from https://nova.amazon.com/act, or configure AWS credentials (`aws configure`, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)
    ");
}

#[cfg(feature = "aws")]
#[tokio::test]
async fn nothing_configured_lists_the_api_key_and_every_aws_source() {
    let auth = with(&[]).build().await;
    insta::assert_snapshot!(summary(&auth), @r"
    error: no credentials found; sources tried, in order:
      - api key: NOVA_ACT_API_KEY is not set
      - environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set
      - profile file: no `default` profile in /nonexistent/.aws/credentials or /nonexistent/.aws/config
      - web identity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not set
      - container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set
      - imds: AWS_EC2_METADATA_DISABLED is true
    To fix: set NOVA_ACT_API_KEY to an API key from https://nova.amazon.com/act, or configure AWS credentials (`aws configure`, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)
    ");
}

#[tokio::test]
async fn api_key_mode_never_consults_the_aws_chain() {
    // A broken AWS setup would stop the chain; API-key mode must not even look.
    let auth = with(&[
        ("NOVA_ACT_API_KEY", API_KEY),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://192.0.2.1/never",
        ),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://192.0.2.1"),
    ])
    .build()
    .await;
    assert_eq!(auth.unwrap().mode(), AuthMode::ApiKey);
}

#[tokio::test]
async fn select_decides_without_loading() {
    let builder = with(&[("NOVA_ACT_API_KEY", API_KEY)]);
    assert_eq!(
        builder.select().unwrap(),
        (Some(AuthMode::ApiKey), Selection::ApiKeyVariable)
    );
}
