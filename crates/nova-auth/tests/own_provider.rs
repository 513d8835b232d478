//! A provider of your own, of either kind: the mode it says or its first load decides, a mode
//! it cannot serve is refused naming both, and it keeps to one kind afterwards.

mod support;

use std::borrow::Cow;
use std::sync::Mutex;

use async_trait::async_trait;
use nova_auth::{
    ApiKey, Auth, AuthError, AuthMode, AwsCredentials, CredentialProvider, Credentials,
    CredentialsError, Env, Source,
};
use support::{ACCESS_KEY_ID, API_KEY, SECRET_ACCESS_KEY};

/// Hands out the credentials scripted for it, one per load (the last one again when they run
/// out), and says its kind only when told to.
#[derive(Debug)]
struct Vault {
    loads: Mutex<Vec<Credentials>>,
    says: Option<AuthMode>,
}

impl Vault {
    fn new(loads: Vec<Credentials>, says: Option<AuthMode>) -> Self {
        Self {
            loads: Mutex::new(loads),
            says,
        }
    }
}

#[async_trait]
impl CredentialProvider for Vault {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let mut loads = self.loads.lock().unwrap();
        Ok(if loads.len() > 1 {
            loads.remove(0)
        } else {
            loads[0].clone()
        })
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("vault")
    }

    fn mode(&self) -> Option<AuthMode> {
        self.says
    }
}

fn api_key() -> Credentials {
    ApiKey::new(API_KEY, Source::Code).into()
}

fn aws() -> Credentials {
    AwsCredentials::new(
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        None,
        Source::custom("vault"),
    )
    .into()
}

fn empty() -> Env {
    Env::from_vars([("HOME", "/nonexistent")])
}

async fn build(vault: Vault, env: Env) -> Result<Auth, AuthError> {
    Auth::builder().provider(vault).env(env).build().await
}

#[tokio::test]
async fn an_api_key_provider_selects_api_key_mode_and_is_named() {
    // Says nothing of its kind: the first load decides.
    let auth = build(Vault::new(vec![api_key()], None), empty())
        .await
        .unwrap();
    assert_eq!(auth.mode(), AuthMode::ApiKey);
    let identity = auth.identity().await.unwrap();
    // Credentials it labelled only "code" are shown as the provider's.
    insta::assert_snapshot!(
        identity.to_string(),
        @"api-key credentials ****8c7f from custom: vault (chosen by the program's settings), region us-east-1 (from default)"
    );
    assert_eq!(identity.available[0].source, "code (provider `vault`)");
    // The key your provider hands out shows in no description of it.
    let shown = format!("{auth:?}{identity:?}{identity}");
    assert!(!shown.contains(API_KEY), "{shown}");
}

#[tokio::test]
async fn an_aws_keys_provider_selects_iam_even_beside_an_api_key_variable() {
    let env = Env::from_vars([("HOME", "/nonexistent"), ("NOVA_ACT_API_KEY", API_KEY)]);
    let auth = build(Vault::new(vec![aws()], Some(AuthMode::Iam)), env)
        .await
        .unwrap();
    assert_eq!(auth.mode(), AuthMode::Iam);
    assert!(
        auth.identity()
            .await
            .unwrap()
            .to_string()
            .starts_with("iam credentials ****MPLE from custom: vault"),
    );
}

#[tokio::test]
async fn a_forced_mode_the_provider_cannot_serve_is_refused_naming_both() {
    let env = Env::from_vars([("HOME", "/nonexistent"), ("NOVA_ACT_AUTH", "iam")]);
    let err = build(Vault::new(vec![api_key()], Some(AuthMode::ApiKey)), env)
        .await
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"your provider `vault` hands out api-key credentials, but NOVA_ACT_AUTH=iam selects iam mode; give a provider of that kind, or choose api-key mode");
    // One that does not say its kind is held to the forced mode at its first load.
    let err = Auth::builder()
        .provider(Vault::new(vec![api_key()], None))
        .mode(AuthMode::Iam)
        .env(empty())
        .build()
        .await
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"vault: handed out api-key credentials, but it serves a client built for iam mode; a provider keeps to one kind");
    assert!(!format!("{err:?}").contains(API_KEY), "{err:?}");
}

#[tokio::test]
async fn a_provider_that_changes_kind_later_fails_that_load() {
    let auth = build(Vault::new(vec![aws(), api_key()], None), empty())
        .await
        .unwrap();
    assert_eq!(auth.mode(), AuthMode::Iam);
    // The build loaded once to learn the kind and once through the cache; when the cache is
    // emptied (as on a refusal), the next load is the API key.
    auth.provider().invalidate();
    let err = auth.credentials().await.unwrap_err();
    assert!(
        err.to_string().contains("handed out api-key credentials"),
        "{err}"
    );
}

#[tokio::test]
async fn a_provider_beside_other_credentials_in_code_is_a_conflict() {
    let err = Auth::builder()
        .provider(Vault::new(vec![api_key()], None))
        .api_key(API_KEY)
        .env(empty())
        .build()
        .await
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"both your provider `vault` and an API key were given in code; keep one (a provider can hand out either kind of credentials)");
}
