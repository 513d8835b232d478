//! The API key from where production keeps it — Secrets Manager, Parameter Store, AgentCore
//! Identity — runs a whole workflow against the emulator, with a key that is never in the
//! environment; a rotated key is picked up at the next refusal, once.

use std::time::{Duration, SystemTime};

use nova_act::{Auth, Env, ManualClock, NovaAct};
use nova_emulator::{Emulator, Policy, RunningEmulator, generate_api_key};
use nova_test_support::{Logs, pretend_act};
use serde_json::json;

/// The environment of a program that names `store` = `name`: AWS keys of the emulator to read
/// it with, the stores' endpoints, and no API key.
fn env(emulator: &RunningEmulator, store: (&str, &str)) -> Env {
    let key = emulator.access_key();
    let url = emulator.url();
    Env::from_vars([
        ("HOME", "/nonexistent"),
        ("AWS_ACCESS_KEY_ID", key.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", key.secret_access_key.as_str()),
        ("AWS_REGION", emulator.region()),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", url),
        ("AWS_ENDPOINT_URL_SSM", url),
        ("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", url),
        ("NOVA_ACT_WORKLOAD_NAME", "checkout-bot"),
        ("NOVA_ACT_USER_ID", "user-7"),
        store,
    ])
}

async fn nova(emulator: &RunningEmulator, env: Env, clock: &ManualClock) -> NovaAct {
    NovaAct::builder()
        .auth(Auth::builder().env(env.clone()).clock(clock.clone()))
        .env(env)
        .endpoint_url(emulator.url())
        .build()
        .await
        .unwrap()
}

async fn act(nova: &NovaAct, page: &str) -> Result<(), String> {
    let url = format!("http://127.0.0.1/{page}");
    let result = pretend_act(nova.client(), "default", &url, "What page is this?")
        .await
        .map_err(|err| err.to_string())?;
    assert_eq!(result.value, Some(json!(url)));
    Ok(())
}

#[tokio::test]
async fn a_workflow_runs_with_the_key_from_each_store() {
    let (logs, _guard) = Logs::capture();
    let key = generate_api_key();
    let emulator = Emulator::builder()
        .api_key(key.clone())
        .secret(
            "prod/nova-act",
            &format!(r#"{{"NOVA_ACT_API_KEY":"{key}","team":"web"}}"#),
        )
        .parameter("/prod/nova-act/key", &key)
        .identity_api_key("nova-act-key", &key)
        .start()
        .await
        .unwrap();
    let clock = ManualClock::new(SystemTime::now());
    let tail = &key[key.len() - 4..];
    for (var, name, shown) in [
        (
            "NOVA_ACT_API_KEY_SECRET_ID",
            "prod/nova-act",
            "Secrets Manager secret prod/nova-act",
        ),
        (
            "NOVA_ACT_API_KEY_PARAMETER",
            "/prod/nova-act/key",
            "Parameter Store parameter /prod/nova-act/key",
        ),
        (
            "NOVA_ACT_API_KEY_AGENTCORE_PROVIDER",
            "nova-act-key",
            "AgentCore Identity provider nova-act-key",
        ),
    ] {
        let env = env(&emulator, (var, name));
        assert!(!env.is_set("NOVA_ACT_API_KEY"));
        let nova = nova(&emulator, env, &clock).await;
        let identity = nova.identity().await.unwrap().to_string();
        assert!(
            identity.starts_with(&format!(
                "api-key credentials ****{tail} from {shown} (chosen by {var} being set)"
            )),
            "{identity}"
        );
        act(&nova, var).await.unwrap();
    }
    let logs = logs.text();
    assert!(
        logs.contains("key store request"),
        "TRACE was captured: {logs}"
    );
    assert!(!logs.contains(&key), "the key is in the TRACE log");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_refused_read_names_the_permission() {
    let key = generate_api_key();
    let aws = nova_emulator::generate_access_key();
    let only_nova_act = Policy::from_json(
        r#"{"Statement":[{"Effect":"Allow","Action":"nova-act:*","Resource":"*"}]}"#,
    )
    .unwrap();
    let clock = ManualClock::new(SystemTime::now());
    let emulator = Emulator::builder()
        .access_key(aws.clone())
        .policy(aws.access_key_id, only_nova_act)
        .api_key(key.clone())
        .secret("prod/nova-act", &key)
        .parameter("/prod/nova-act/key", &key)
        .start()
        .await
        .unwrap();
    for (var, name, permission) in [
        (
            "NOVA_ACT_API_KEY_SECRET_ID",
            "prod/nova-act",
            "`secretsmanager:GetSecretValue` on arn:aws:secretsmanager:us-east-1:ACCOUNT:secret:prod/nova-act-??????",
        ),
        (
            "NOVA_ACT_API_KEY_PARAMETER",
            "/prod/nova-act/key",
            "`ssm:GetParameter` on arn:aws:ssm:us-east-1:ACCOUNT:parameter/prod/nova-act/key",
        ),
    ] {
        let err = NovaAct::builder()
            .auth(
                Auth::builder()
                    .env(env(&emulator, (var, name)))
                    .clock(clock.clone()),
            )
            .endpoint_url(emulator.url())
            .build()
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(permission), "{err}");
        assert!(!err.contains(&key), "{err}");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_rotated_secret_is_picked_up_at_the_next_refusal_once() {
    let old = generate_api_key();
    let emulator = Emulator::builder()
        .api_key(old.clone())
        .secret("prod/nova-act", &old)
        .start()
        .await
        .unwrap();
    let clock = ManualClock::new(SystemTime::now());
    let arn = emulator.secret_arn("prod/nova-act");
    let nova = nova(
        &emulator,
        env(&emulator, ("NOVA_ACT_API_KEY_SECRET_ID", &arn)),
        &clock,
    )
    .await;
    act(&nova, "before").await.unwrap();

    // Rotation: the store holds a new key and the service refuses the old one.
    let rotate = |emulator: &RunningEmulator, from: &str| {
        let new = generate_api_key();
        emulator.set_secret("prod/nova-act", &new);
        emulator.accept_api_key(&new);
        emulator.revoke_api_key(from);
        new
    };
    let new = rotate(&emulator, &old);
    act(&nova, "after").await.unwrap();
    let identity = nova.identity().await.unwrap();
    assert_eq!(identity.masked_id, format!("****{}", &new[new.len() - 4..]));

    // A second rotation within the minute: the store is not read again, and the refusal names it.
    let newer = rotate(&emulator, &new);
    let err = act(&nova, "too-soon").await.unwrap_err();
    assert!(
        err.contains(&format!("Secrets Manager secret {arn}")),
        "{err}"
    );
    assert!(!err.contains(&newer) && !err.contains(&new), "{err}");

    // A minute on, the next refusal reads it again.
    clock.advance(Duration::from_secs(61));
    act(&nova, "a-minute-later").await.unwrap();
    emulator.shutdown().await;
}
