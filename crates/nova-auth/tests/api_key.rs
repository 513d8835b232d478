//! The API-key provider: trimming, the 36-character rule, and where a bad key was found.

mod support;

use nova_auth::{ApiKeyProvider, CredentialProvider, Env};
use support::{API_KEY, describe};

#[tokio::test]
async fn a_key_from_the_environment_is_trimmed_and_one_from_code_accepted() {
    let env = Env::from_vars([("NOVA_ACT_API_KEY", format!("  {API_KEY}\n"))]);
    let from_env = ApiKeyProvider::with_env(env).credentials().await;
    let from_code = ApiKeyProvider::new(API_KEY).credentials().await;
    insta::assert_snapshot!(format!("{}\n{}", describe(&from_env), describe(&from_code)), @r"
    mode: api-key
    source: environment
    id: ****8c7f
    mode: api-key
    source: code
    id: ****8c7f
    ");
    let key = from_env.unwrap();
    assert_eq!(key.as_api_key().unwrap().key().expose(), API_KEY);
}

#[tokio::test]
async fn a_short_key_in_the_environment_is_refused_naming_the_variable() {
    let env = Env::from_vars([("NOVA_ACT_API_KEY", "abc123-not-a-real-key")]);
    let err = ApiKeyProvider::with_env(env).credentials().await;
    insta::assert_snapshot!(describe(&err), @"error (stops the chain): the API key in NOVA_ACT_API_KEY is 21 characters long, but Nova Act API keys are 36; copy the key again from https://nova.amazon.com/act (or create a new one there)");
    assert!(!format!("{err:?}").contains("abc123"));
}

#[tokio::test]
async fn a_long_key_in_code_is_refused_naming_code() {
    let err = ApiKeyProvider::new(format!("{API_KEY}x"))
        .credentials()
        .await;
    insta::assert_snapshot!(describe(&err), @"error (stops the chain): the API key in code is 37 characters long, but Nova Act API keys are 36; copy the key again from https://nova.amazon.com/act (or create a new one there)");
}

#[tokio::test]
async fn a_blank_variable_counts_as_unset() {
    let mut answers = Vec::new();
    for value in ["", "   ", "\n\t"] {
        let env = Env::from_vars([("NOVA_ACT_API_KEY", value)]);
        answers.push(describe(&ApiKeyProvider::with_env(env).credentials().await));
    }
    answers.dedup();
    insta::assert_snapshot!(answers.join("\n"), @"error (not configured): api key: NOVA_ACT_API_KEY is not set (keys are made at https://nova.amazon.com/act)");
}

#[tokio::test]
async fn key_length_counts_characters_not_bytes() {
    let key = "é".repeat(36);
    assert!(ApiKeyProvider::new(key).credentials().await.is_ok());
}
