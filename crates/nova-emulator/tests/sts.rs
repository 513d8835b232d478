//! The emulator's STS and SSO portal, driven by the AWS SDK's own STS client: the temporary keys
//! they issue carry a session token and their role, sign Nova Act calls, and are held to the
//! role's policy.

mod support;

use aws_sdk_sts::error::ProvideErrorMetadata;
use nova_act_core::model::{CreateWorkflowRunInput, ListWorkflowDefinitionsInput};
use nova_emulator::{ACCOUNT_ID, AccessKey, Emulator, Policy, RunningEmulator};

fn sts(emulator: &RunningEmulator, key: Option<&AccessKey>) -> aws_sdk_sts::Client {
    let mut config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new("us-east-1"))
        .endpoint_url(emulator.url());
    if let Some(key) = key {
        config = config.credentials_provider(aws_credential_types::Credentials::new(
            &key.access_key_id,
            &key.secret_access_key,
            key.session_token.clone(),
            None,
            "test",
        ));
    }
    aws_sdk_sts::Client::from_conf(config.build())
}

/// The issued credentials as a key the test clients sign with.
fn issued(creds: &aws_sdk_sts::types::Credentials, arn: &str) -> AccessKey {
    AccessKey {
        access_key_id: creds.access_key_id().to_owned(),
        secret_access_key: creds.secret_access_key().to_owned(),
        session_token: Some(creds.session_token().to_owned()),
        arn: arn.to_owned(),
    }
}

async fn assume(emulator: &RunningEmulator, by: &AccessKey, role: &str) -> AccessKey {
    let out = sts(emulator, Some(by))
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT_ID}:role/{role}"))
        .role_session_name("test-session")
        .send()
        .await
        .unwrap();
    let user = out.assumed_role_user().unwrap();
    assert_eq!(
        user.arn(),
        format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/test-session")
    );
    assert!(user.assumed_role_id().starts_with("AROA"));
    issued(out.credentials().unwrap(), user.arn())
}

/// The error code STS gives `by` for assuming `role_arn`.
async fn refusal(emulator: &RunningEmulator, by: &AccessKey, role_arn: &str) -> (String, String) {
    let err = sts(emulator, Some(by))
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("s1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    (
        err.code().unwrap_or_default().to_owned(),
        err.message().unwrap_or_default().to_owned(),
    )
}

fn read_only() -> Policy {
    Policy::from_json(
        r#"{"Statement": [{"Effect": "Allow", "Action": ["nova-act:List*", "nova-act:Get*"], "Resource": "*"}]}"#,
    )
    .unwrap()
}

#[tokio::test]
async fn assumed_roles_sign_nova_act_calls_and_answer_as_the_role() {
    let emulator = Emulator::builder().start().await.unwrap();
    let own = emulator.access_key().clone();
    let role = assume(&emulator, &own, "Runner").await;
    assert!(role.access_key_id.starts_with("ASIA"));

    let me = sts(&emulator, Some(&role))
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.arn(), Some(role.arn.as_str()));
    assert_eq!(me.account(), Some(ACCOUNT_ID));
    assert!(me.user_id().unwrap().ends_with(":test-session"));

    // A chain: the role's session assumes a second role.
    let second = assume(&emulator, &role, "Deployer").await;
    let client = support::iam(&emulator, &second);
    support::define(&client, "chained").await;
    support::open_act(&client, "chained").await;

    // Without its session token the issued key is refused.
    let tokenless = AccessKey {
        session_token: None,
        ..second.clone()
    };
    let err = support::iam(&emulator, &tokenless)
        .list_workflow_definitions(ListWorkflowDefinitionsInput::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("security token"), "{err}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_role_with_a_policy_holds_its_sessions_to_it() {
    let emulator = Emulator::builder()
        .role("Reader", read_only())
        .start()
        .await
        .unwrap();
    let own = emulator.access_key().clone();
    support::define(&support::iam(&emulator, &own), "kept").await;
    let reader = support::iam(&emulator, &assume(&emulator, &own, "Reader").await);
    reader
        .list_workflow_definitions(ListWorkflowDefinitionsInput::default())
        .await
        .unwrap();
    let err = reader
        .create_workflow_run(CreateWorkflowRunInput::new("kept", "nova-act-latest"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("nova-act:CreateWorkflowRun"),
        "{err}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn roles_outside_the_account_or_the_named_ones_are_refused() {
    let emulator = Emulator::builder()
        .role("Reader", read_only())
        .only_named_roles()
        .start()
        .await
        .unwrap();
    let own = emulator.access_key().clone();
    assume(&emulator, &own, "Reader").await;
    for arn in [
        format!("arn:aws:iam::{ACCOUNT_ID}:role/Admin"),
        "arn:aws:iam::999999999999:role/Reader".to_owned(),
    ] {
        let (code, message) = refusal(&emulator, &own, &arn).await;
        assert_eq!(code, "AccessDenied", "{arn}");
        assert!(message.contains(&arn), "{message}");
    }
    let (code, _) = refusal(&emulator, &own, "not-an-arn").await;
    assert_eq!(code, "ValidationError");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_caller_policy_must_allow_sts_assume_role() {
    let limited = nova_emulator::generate_access_key();
    let emulator = Emulator::builder()
        .access_key(limited.clone())
        .policy(&limited.access_key_id, read_only())
        .start()
        .await
        .unwrap();
    let role = format!("arn:aws:iam::{ACCOUNT_ID}:role/Runner");
    assert_eq!(refusal(&emulator, &limited, &role).await.0, "AccessDenied");
    emulator.shutdown().await;
}

#[tokio::test]
async fn web_identity_tokens_are_accepted_unless_restricted() {
    let open = Emulator::builder().start().await.unwrap();
    let out = sts(&open, None)
        .assume_role_with_web_identity()
        .role_arn(format!("arn:aws:iam::{ACCOUNT_ID}:role/Pods"))
        .role_session_name("pod-1")
        .web_identity_token("eyJhbGciOiJSUzI1NiJ9.any.token")
        .send()
        .await
        .unwrap();
    let arn = out.assumed_role_user().unwrap().arn().to_owned();
    assert_eq!(
        arn,
        format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/Pods/pod-1")
    );
    let key = issued(out.credentials().unwrap(), &arn);
    support::define(&support::iam(&open, &key), "from-a-pod").await;
    open.shutdown().await;

    let strict = Emulator::builder()
        .web_identity_token("the-one-token")
        .start()
        .await
        .unwrap();
    let err = sts(&strict, None)
        .assume_role_with_web_identity()
        .role_arn(format!("arn:aws:iam::{ACCOUNT_ID}:role/Pods"))
        .role_session_name("pod-1")
        .web_identity_token("some-other-token")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("InvalidIdentityToken"));
    strict.shutdown().await;
}

#[tokio::test]
async fn the_sso_portal_issues_role_credentials_for_a_bearer_token() {
    let emulator = Emulator::builder()
        .sso_access_token("sso-token-1")
        .start()
        .await
        .unwrap();
    let http = nova_act_core::tls::http_client().build().unwrap();
    let url = format!(
        "{}/federation/credentials?role_name=Developer&account_id={ACCOUNT_ID}",
        emulator.url()
    );
    let answer = http
        .get(&url)
        .header("x-amz-sso_bearer_token", "sso-token-1")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    let creds = &body["roleCredentials"];
    assert!(creds["expiration"].as_u64().unwrap() > 1_700_000_000_000);
    let key = AccessKey {
        access_key_id: creds["accessKeyId"].as_str().unwrap().to_owned(),
        secret_access_key: creds["secretAccessKey"].as_str().unwrap().to_owned(),
        session_token: creds["sessionToken"].as_str().map(str::to_owned),
        arn: String::new(),
    };
    let me = sts(&emulator, Some(&key))
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/Developer/sso-user").as_str())
    );

    for (token, status) in [(Some("wrong"), 401), (None, 401)] {
        let mut request = http.get(&url);
        if let Some(token) = token {
            request = request.header("x-amz-sso_bearer_token", token);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), status);
        assert_eq!(
            answer.headers()["x-amzn-ErrorType"],
            "UnauthorizedException"
        );
    }
    let elsewhere = url.replace(ACCOUNT_ID, "999999999999");
    let answer = http
        .get(&elsewhere)
        .header("x-amz-sso_bearer_token", "sso-token-1")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    emulator.shutdown().await;
}
