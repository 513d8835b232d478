//! Reading the API key from a store, against fakes of the stores: the signed request, the
//! shapes of a secret, refusals, time limits, the cleartext rule, and precedence.
#![cfg(feature = "key-stores")]

mod support;

use std::time::Duration;

use nova_auth::{
    ApiKeyStore, Auth, AuthError, AuthMode, CredentialProvider, CredentialsError, Env, Selection,
};
use nova_test_support::mount;
use serde_json::json;
use support::{ACCESS_KEY_ID, API_KEY, Logs, SECRET_ACCESS_KEY};
use wiremock::{MockServer, ResponseTemplate};

/// AWS keys in the environment, and the stores' endpoints at `url`.
fn env(url: &str, extra: &[(&'static str, &str)]) -> Env {
    let mut vars: Vec<(&str, String)> = vec![
        ("HOME", "/nonexistent".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", url.into()),
        ("AWS_ENDPOINT_URL_SSM", url.into()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    Env::from_vars(vars)
}

async fn store_answering(body: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/",
        ResponseTemplate::new(200).set_body_json(body),
    )
    .await;
    server
}

#[tokio::test]
async fn a_secret_arn_is_read_signed_for_its_own_region() {
    let server = store_answering(json!({ "SecretString": API_KEY })).await;
    let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/key-AbCdEf";
    let store = ApiKeyStore::secrets_manager(arn).env(env(&server.uri(), &[]));
    let key = store.credentials().await.unwrap();
    assert_eq!(key.mode(), AuthMode::ApiKey);
    assert_eq!(
        key.source().to_string(),
        format!("Secrets Manager secret {arn}")
    );
    let requests = server.received_requests().await.unwrap();
    let request = &requests[0];
    assert_eq!(
        request.headers["x-amz-target"],
        "secretsmanager.GetSecretValue"
    );
    assert_eq!(
        request.headers["content-type"],
        "application/x-amz-json-1.1"
    );
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body, json!({ "SecretId": arn }));
    nova_test_support::verify_sigv4(request, SECRET_ACCESS_KEY, "eu-west-1", "secretsmanager");
    // Read once, then kept; and never shown.
    store.credentials().await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert!(!format!("{store:?}").contains(API_KEY));
}

#[tokio::test]
async fn many_refusals_at_once_read_the_store_again_once() {
    use wiremock::matchers::method;
    const NEW: &str = "fedcba98-7654-3210-fedc-ba9876543210";
    let server = MockServer::start().await;
    // The first read hands out the old key, every later one the new.
    wiremock::Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "SecretString": API_KEY })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    wiremock::Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "SecretString": NEW })))
        .mount(&server)
        .await;
    let clock = nova_auth::ManualClock::new(std::time::SystemTime::now());
    let auth = Auth::builder()
        .env(env(
            &server.uri(),
            &[("NOVA_ACT_API_KEY_SECRET_ID", "prod/key")],
        ))
        .clock(clock.clone())
        .build()
        .await
        .unwrap();
    let old = auth.credentials().await.unwrap();
    let mut refusals = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (auth, old) = (auth.clone(), old.clone());
        refusals.spawn(async move { auth.refused(&old).await });
    }
    for fresh in refusals.join_all().await {
        let fresh = fresh.expect("the new key");
        assert_eq!(fresh.as_api_key().unwrap().key().expose(), NEW);
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "one read, one re-read"
    );
    // Every clone now has the new key, without another read.
    let now = auth.credentials().await.unwrap();
    assert_eq!(now.as_api_key().unwrap().key().expose(), NEW);
    // Refused again within the minute: not read again.
    assert!(auth.refused(&now).await.is_none());
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    clock.advance(Duration::from_secs(61));
    assert!(auth.refused(&now).await.is_none(), "unchanged: reported");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_parameter_is_read_with_decryption_and_a_plain_one_warns() {
    let (logs, _guard) = Logs::capture();
    let server = store_answering(json!({ "Parameter": {
        "Name": "/prod/key", "Type": "String", "Value": API_KEY
    }}))
    .await;
    let store = ApiKeyStore::parameter("/prod/key").env(env(&server.uri(), &[]));
    let key = store.credentials().await.unwrap();
    assert_eq!(
        key.source().to_string(),
        "Parameter Store parameter /prod/key"
    );
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(request.headers["x-amz-target"], "AmazonSSM.GetParameter");
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body, json!({ "Name": "/prod/key", "WithDecryption": true }));
    nova_test_support::verify_sigv4(request, SECRET_ACCESS_KEY, "us-east-1", "ssm");
    let logs = logs.text();
    assert!(logs.contains("store it as a SecureString"), "{logs}");
    assert!(!logs.contains(API_KEY), "the key is in the log: {logs}");
}

#[tokio::test]
async fn secrets_that_hold_no_usable_key_are_refused_without_showing_values() {
    for (answer, expected) in [
        (
            json!({ "SecretBinary": "c2VjcmV0" }),
            "holds only SecretBinary",
        ),
        (
            json!({ "SecretString": r#"{"username":"u-secret-value","password":"p-secret-value"}"# }),
            "a JSON object without a `NOVA_ACT_API_KEY` member (its members: password, username)",
        ),
        (
            json!({ "SecretString": "too-short" }),
            "is 9 characters long",
        ),
    ] {
        let server = store_answering(answer).await;
        let err = ApiKeyStore::secrets_manager("prod/key")
            .env(env(&server.uri(), &[]))
            .credentials()
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{err}");
        assert!(
            !err.contains("secret-value") && !err.contains("too-short"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_refusal_names_the_permission_and_the_resource() {
    let server = MockServer::start().await;
    let refused = ResponseTemplate::new(400).set_body_json(json!({
        "__type": "AccessDeniedException",
        "message": "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: secretsmanager:GetSecretValue"
    }));
    mount(&server, "POST", "/", refused).await;
    let err = ApiKeyStore::secrets_manager("prod/key")
        .env(env(&server.uri(), &[("AWS_ACCOUNT_ID", "123456789012")]))
        .credentials()
        .await
        .unwrap_err();
    let CredentialsError::StoreDenied {
        action, resource, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(*action, "secretsmanager:GetSecretValue");
    assert_eq!(
        resource,
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/key-??????"
    );
    insta::assert_snapshot!(err, @"Secrets Manager refused to hand out the API key (User: arn:aws:iam::123456789012:user/ci is not authorized to perform: secretsmanager:GetSecretValue); the AWS identity reading it needs `secretsmanager:GetSecretValue` on arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/key-??????");
}

#[tokio::test(start_paused = true)]
async fn a_store_that_does_not_answer_fails_in_ten_seconds() {
    // Accepts connections (the backlog does) and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let err = ApiKeyStore::secrets_manager("prod/key")
        .env(env(&url, &[]))
        .credentials()
        .await
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::TimedOut { timeout, .. } if timeout == Duration::from_secs(10)),
        "{err}"
    );
}

#[tokio::test]
async fn the_key_never_travels_in_cleartext_beyond_this_machine() {
    let err = ApiKeyStore::parameter("/prod/key")
        .env(env("http://10.0.0.5:8080", &[]))
        .credentials()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("AWS_ENDPOINT_URL_SSM is `http://10.0.0.5:8080`"),
        "{err}"
    );
}

#[tokio::test]
async fn precedence_api_key_then_one_store_then_the_aws_chain() {
    let server = store_answering(json!({ "SecretString": API_KEY })).await;
    let uri = server.uri();
    let auth = |extra: &[(&'static str, &str)]| {
        let env = env(&uri, extra);
        async move { Auth::builder().env(env).build().await }
    };

    let by_store = auth(&[("NOVA_ACT_API_KEY_SECRET_ID", "prod/key")])
        .await
        .unwrap();
    assert_eq!(by_store.mode(), AuthMode::ApiKey);
    assert_eq!(
        by_store.selection(),
        Selection::KeyStore("NOVA_ACT_API_KEY_SECRET_ID")
    );
    let identity = by_store.identity().await.unwrap();
    assert!(identity.to_string().contains(
        "from Secrets Manager secret prod/key (chosen by NOVA_ACT_API_KEY_SECRET_ID being set)"
    ));
    let listed: Vec<String> = identity.available.iter().map(ToString::to_string).collect();
    assert!(
        listed.contains(&"api-key from NOVA_ACT_API_KEY_SECRET_ID (prod/key)".to_owned()),
        "{listed:?}"
    );

    let (logs, _guard) = Logs::capture();
    let key_wins = auth(&[
        ("NOVA_ACT_API_KEY_SECRET_ID", "prod/key"),
        ("NOVA_ACT_API_KEY", API_KEY),
    ])
    .await
    .unwrap();
    assert_eq!(key_wins.selection(), Selection::ApiKeyVariable);
    assert!(
        logs.text()
            .contains("NOVA_ACT_API_KEY_SECRET_ID is ignored"),
        "{}",
        logs.text()
    );

    let iam = auth(&[
        ("NOVA_ACT_API_KEY_PARAMETER", "/p"),
        ("NOVA_ACT_AUTH", "iam"),
    ])
    .await
    .unwrap();
    assert_eq!(iam.mode(), AuthMode::Iam);
    assert!(
        logs.text()
            .contains("NOVA_ACT_API_KEY_PARAMETER (a store holding an API key) is ignored")
    );

    let two = auth(&[
        ("NOVA_ACT_API_KEY_SECRET_ID", "prod/key"),
        ("NOVA_ACT_API_KEY_AGENTCORE_PROVIDER", "nova"),
    ])
    .await
    .unwrap_err();
    assert!(matches!(two, AuthError::TwoStores { .. }));
    insta::assert_snapshot!(two, @"both NOVA_ACT_API_KEY_SECRET_ID and NOVA_ACT_API_KEY_AGENTCORE_PROVIDER are set, and each names a store for the API key; unset one");
    // Only the store reads touched the fake: one for the store-selected auth.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[test]
fn a_workload_access_token_shows_in_no_debug() {
    let store = ApiKeyStore::agentcore_identity("nova").workload_access_token("wat-very-secret");
    assert!(!format!("{store:?}").contains("wat-very-secret"));
}
