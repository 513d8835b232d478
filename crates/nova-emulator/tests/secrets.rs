//! A full workflow in API-key mode and in IAM mode (with a session token) through the facade,
//! against the emulator, with `tracing` captured at TRACE from every crate — client, emulator,
//! HTTP stack — plus the `Display` and `Debug` of every error along the way: no API key, secret
//! access key or session token appears anywhere.

use nova_act::{Env, NovaAct};
use nova_emulator::{AccessKey, Emulator};
use nova_test_support::pretend_act;

const API_KEY: &str = "5b0c2e8a-4d1f-4c3b-9a7e-1f2d3c4b5a69";
const SECRET: &str = "s3cr3tAccessKeyThatMustNeverBeLogged0001";
const TOKEN: &str = "SessionTokenThatMustNeverBeLogged000000001";

async fn built(env: Env) -> NovaAct {
    NovaAct::builder().env(env).build().await.unwrap()
}

async fn workflow(nova: &NovaAct) -> String {
    let result = pretend_act(
        nova.client(),
        "default",
        "http://127.0.0.1/",
        "What page is this?",
    )
    .await;
    format!("{result:?}")
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_reaches_logs_or_errors_in_either_mode() {
    let (logs, _guard) = nova_test_support::Logs::capture();

    let key = AccessKey {
        access_key_id: "AKIASECRETSTEST00001".into(),
        secret_access_key: SECRET.into(),
        session_token: Some(TOKEN.into()),
        arn: "arn:aws:iam::123456789012:user/secrets".into(),
    };
    let emulator = Emulator::builder()
        .access_key(key)
        .api_key(API_KEY)
        .start()
        .await
        .unwrap();
    let mut seen = String::new();

    // API-key mode.
    let nova = built(Env::from_vars([
        ("NOVA_ACT_API_KEY", API_KEY),
        ("NOVA_ACT_API_ENDPOINT", emulator.url()),
        ("HOME", "/nonexistent"),
    ]))
    .await;
    let run = workflow(&nova).await;
    assert!(run.starts_with("Ok("), "{run}");
    seen += &run;
    seen += &format!("{nova:?}{:?}", nova.identity().await);

    // IAM mode, temporary credentials.
    let iam_env = |secret: &str| {
        Env::from_vars([
            ("AWS_ACCESS_KEY_ID", "AKIASECRETSTEST00001"),
            ("AWS_SECRET_ACCESS_KEY", secret),
            ("AWS_SESSION_TOKEN", TOKEN),
            ("AWS_ENDPOINT_URL_NOVA_ACT", emulator.url()),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("NOVA_ACT_WORKFLOW_DEFINITION", "default"),
            ("HOME", "/nonexistent"),
        ])
    };
    let nova = built(iam_env(SECRET)).await;
    // `default` exists: the API-key service above made it.
    let run = workflow(&nova).await;
    assert!(run.starts_with("Ok("), "{run}");
    seen += &run;
    seen += &format!("{nova:?}{:?}", nova.identity().await);

    // Failures: a refused API key, a wrong secret, a malformed key.
    let wrong_key = built(Env::from_vars([
        ("NOVA_ACT_API_KEY", "00000000-0000-4000-8000-000000000000"),
        ("NOVA_ACT_API_ENDPOINT", emulator.url()),
    ]))
    .await;
    let run = workflow(&wrong_key).await;
    assert!(run.contains("ApiKeyRejected"), "{run}");
    seen += &run;
    let wrong_secret = built(iam_env("wrong-secret-wrong-secret-wrong-secret00")).await;
    let run = workflow(&wrong_secret).await;
    assert!(run.contains("InvalidSignatureException"), "{run}");
    seen += &run;
    let malformed = NovaAct::builder()
        .env(Env::from_vars([("NOVA_ACT_API_KEY", &API_KEY[..30])]))
        .build()
        .await;
    seen += &format!(
        "{:?}",
        malformed
            .map(|_| ())
            .map_err(|e| (e.to_string(), format!("{e:?}")))
    );

    let text = logs.text();
    assert!(text.contains("TRACE"), "TRACE logs were captured");
    assert!(
        text.contains("nova_emulator"),
        "the emulator's logs were captured"
    );
    let everything = format!("{text}\n{seen}");
    for secret in [API_KEY, SECRET, TOKEN, &API_KEY[..30]] {
        assert!(!everything.contains(secret), "a secret leaked");
    }
}
