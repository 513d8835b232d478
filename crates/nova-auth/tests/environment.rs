//! AWS credentials from environment variables.

mod support;

use nova_auth::{CredentialProvider, Env, EnvironmentProvider};
use support::{ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, describe};

async fn resolve(vars: &[(&str, &str)]) -> String {
    let env = Env::from_vars(vars.iter().copied());
    describe(&EnvironmentProvider::with_env(env).credentials().await)
}

#[tokio::test]
async fn long_term_keys_and_temporary_keys_with_account() {
    let long_term = resolve(&[
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
    ])
    .await;
    let temporary = resolve(&[
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN),
        ("AWS_ACCOUNT_ID", "123456789012"),
    ])
    .await;
    insta::assert_snapshot!(format!("{long_term}\n{temporary}"), @r"
    mode: iam
    source: environment
    id: ****MPLE
    session token: false
    account: -
    mode: iam
    source: environment
    id: ****MPLE
    session token: true
    account: 123456789012
    ");
}

#[tokio::test]
async fn a_blank_session_token_counts_as_unset() {
    let out = resolve(&[
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
        ("AWS_SESSION_TOKEN", " "),
    ])
    .await;
    assert!(out.contains("session token: false"), "{out}");
}

#[tokio::test]
async fn an_id_without_its_secret_names_the_missing_variable() {
    let out = resolve(&[
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", "  "),
    ])
    .await;
    insta::assert_snapshot!(out, @"error (stops the chain): AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both, or unset AWS_ACCESS_KEY_ID to use another credential source");
}

#[tokio::test]
async fn a_secret_without_its_id_names_the_missing_variable() {
    let out = resolve(&[("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)]).await;
    insta::assert_snapshot!(out, @"error (stops the chain): AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not; set both, or unset AWS_SECRET_ACCESS_KEY to use another credential source");
    assert!(!out.contains(SECRET_ACCESS_KEY));
}

#[tokio::test]
async fn nothing_set_is_not_configured() {
    let out = resolve(&[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")]).await;
    insta::assert_snapshot!(out, @"error (not configured): environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
}
