//! A provider of your own, of either kind, runs a whole workflow against the emulator: the
//! same builder call for an API key from a vault and for AWS keys from a parent process.

use std::borrow::Cow;

use async_trait::async_trait;
use nova_act::{
    ApiKey, AuthMode, CredentialProvider, Credentials, CredentialsError, Env, NovaAct, Source,
};
use nova_test_support::pretend_act;
use serde_json::json;

/// Credentials kept somewhere the SDK does not know, handed over on every load.
#[derive(Debug)]
struct Vault(Credentials);

#[async_trait]
impl CredentialProvider for Vault {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        Ok(self.0.clone())
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("vault")
    }
}

#[tokio::test]
async fn a_workflow_runs_with_an_api_key_or_aws_keys_from_your_own_provider() {
    let emulator = nova_emulator::Emulator::builder().start().await.unwrap();
    let iam = emulator.client(AuthMode::Iam).build().unwrap();
    nova_test_support::define(&iam, "default").await;
    let kinds: [(Credentials, &str); 2] = [
        (
            ApiKey::new(emulator.api_key(), Source::Code).into(),
            "api-key credentials ****",
        ),
        (emulator.access_key().credentials(), "iam credentials ****"),
    ];
    for (credentials, shown) in kinds {
        let nova = NovaAct::builder()
            .credentials_provider(Vault(credentials))
            .endpoint_url(emulator.url())
            .env(Env::from_vars([
                ("HOME", "/nonexistent"),
                ("NOVA_ACT_WORKFLOW_DEFINITION", "default"),
            ]))
            .build()
            .await
            .unwrap();
        let identity = nova.identity().await.unwrap().to_string();
        assert!(identity.starts_with(shown), "{identity}");
        assert!(identity.contains(" from custom: vault "), "{identity}");
        let result = pretend_act(
            nova.client(),
            "default",
            "http://127.0.0.1/vault",
            "What page is this?",
        )
        .await
        .unwrap();
        assert_eq!(result.value, Some(json!("http://127.0.0.1/vault")));
    }
    assert_eq!(emulator.created().runs, 2);
    emulator.shutdown().await;
}
