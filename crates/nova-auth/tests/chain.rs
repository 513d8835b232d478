//! Chains: skip what is not configured, stop at what is broken, list every attempt.

mod support;

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use nova_auth::{
    ApiKeyProvider, ChainProvider, CredentialProvider, Credentials, CredentialsError, Env,
    EnvironmentProvider,
};
use support::{ACCESS_KEY_ID, API_KEY, SECRET_ACCESS_KEY, describe};

/// Counts how often it is asked.
#[derive(Debug, Default)]
struct Counting(Arc<AtomicUsize>);

#[async_trait]
impl CredentialProvider for Counting {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err(CredentialsError::not_configured(
            "counting",
            "never has anything",
        ))
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("counting")
    }
}

#[tokio::test]
async fn the_first_configured_provider_wins() {
    let env = Env::from_vars([
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
    ]);
    let later = Counting::default();
    let asked = later.0.clone();
    let chain = ChainProvider::new()
        .with(ApiKeyProvider::with_env(env.clone()))
        .with(EnvironmentProvider::with_env(env))
        .with(later);
    let creds = chain.credentials().await;
    assert!(describe(&creds).contains("source: environment"));
    assert_eq!(
        asked.load(Ordering::SeqCst),
        0,
        "providers after a hit are not asked"
    );
}

#[tokio::test]
async fn a_broken_provider_stops_the_chain() {
    let env = Env::from_vars([
        ("NOVA_ACT_API_KEY", "short"),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
    ]);
    let chain = ChainProvider::new()
        .with(ApiKeyProvider::with_env(env.clone()))
        .with(EnvironmentProvider::with_env(env));
    insta::assert_snapshot!(describe(&chain.credentials().await), @"error (stops the chain): the API key in NOVA_ACT_API_KEY is 5 characters long, but Nova Act API keys are 36; copy the key again from https://nova.amazon.com/act (or create a new one there)");
}

#[tokio::test]
async fn nothing_found_lists_every_source_once_nested_chains_included() {
    let env = Env::from_vars([("HOME", "/nonexistent")]);
    let inner = ChainProvider::new().with(EnvironmentProvider::with_env(env.clone()));
    let chain = ChainProvider::new()
        .with(ApiKeyProvider::with_env(env))
        .with(inner)
        .with(Counting::default());
    let err = chain.credentials().await.unwrap_err();
    let CredentialsError::NotFound(attempts) = &err else {
        panic!("expected NotFound, got {err:?}");
    };
    assert_eq!(attempts.len(), 3);
    insta::assert_snapshot!(err.to_string(), @r"
    no credentials found; sources tried, in order:
      - api key: NOVA_ACT_API_KEY is not set (keys are made at https://nova.amazon.com/act)
      - environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set
      - counting: never has anything
    To fix: set NOVA_ACT_API_KEY to an API key from https://nova.amazon.com/act, or configure AWS credentials (`aws configure`, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)
    ");
}

#[tokio::test]
async fn an_empty_chain_says_so() {
    let err = ChainProvider::new().credentials().await.unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"no credentials found: no credential sources were configured");
}

#[tokio::test]
async fn an_api_key_chain_can_be_listed_with_aws_providers() {
    let env = Env::from_vars([("NOVA_ACT_API_KEY", API_KEY)]);
    let chain = ChainProvider::new()
        .with(EnvironmentProvider::with_env(env.clone()))
        .with(ApiKeyProvider::with_env(env));
    assert_eq!(chain.providers().len(), 2);
    assert!(describe(&chain.credentials().await).contains("mode: api-key"));
}
