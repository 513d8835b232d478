//! One program, two kinds of credentials: which one is used is decided by the environment alone.

use nova_act::runtime::{Actuator, BrowserAction, CallError, Observation};
use nova_act::{AuthMode, Env, NovaAct};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

struct Page;

#[async_trait::async_trait]
impl Actuator for Page {
    async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError> {
        match action {
            BrowserAction::TakeObservation => Ok(json!(Observation::blank("https://example.com/"))),
            other => Err(CallError::unsupported(other.name())),
        }
    }
}

/// The user's program: unchanged between the two runs below.
async fn program(env: Env, endpoint: &str) -> Result<Option<Value>, Box<dyn std::error::Error>> {
    let nova = NovaAct::builder()
        .env(env)
        .endpoint_url(endpoint)
        .build()
        .await?;
    let result = nova
        .workflow()
        .run(|run| async move {
            let mut session = run.session(Page).await?;
            session.act("Read the page title").await
        })
        .await?;
    Ok(result.value)
}

async fn service() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(|request: &Request| {
            let path = request.url.path();
            let body = if path.contains("invoke-step") {
                json!({"calls": [{"callId": "c1", "name": "return", "input": ["Example Domain"]}], "stepId": ID})
            } else if path.ends_with("/acts") {
                json!({"actId": ID, "status": "RUNNING"})
            } else if path.ends_with("/sessions") {
                json!({"sessionId": ID})
            } else if path.ends_with("/workflow-runs") {
                json!({"workflowRunId": ID, "status": "RUNNING"})
            } else {
                json!({})
            };
            let created = path.ends_with("/workflow-runs") || path.ends_with("/sessions") || path.ends_with("/acts");
            ResponseTemplate::new(if created { 201 } else { 200 }).set_body_json(body)
        })
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn the_same_program_runs_with_an_api_key_or_with_iam() {
    let key = "3f2a9c1e-7b4d-4e8a-9f6c-2d1b0a9e8c7f";
    let api_key_env = Env::from_vars([("HOME", "/nonexistent"), ("NOVA_ACT_API_KEY", key)]);
    let iam_env = Env::from_vars([
        ("HOME", "/nonexistent"),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]);
    for (env, mode) in [(api_key_env, AuthMode::ApiKey), (iam_env, AuthMode::Iam)] {
        let server = service().await;
        let value = program(env, &server.uri()).await.unwrap();
        assert_eq!(value, Some(json!("Example Domain")));
        let requests = server.received_requests().await.unwrap();
        assert_eq!(
            requests.len(),
            6,
            "run, session, act, step, update act, update run"
        );
        for request in &requests {
            let auth = request
                .headers
                .get("authorization")
                .unwrap()
                .to_str()
                .unwrap();
            match mode {
                AuthMode::ApiKey => {
                    assert!(
                        request
                            .url
                            .path()
                            .starts_with("/agent/workflow-definitions/default/")
                    );
                    assert_eq!(auth, format!("Bearer {key}"));
                }
                AuthMode::Iam => {
                    assert!(
                        request
                            .url
                            .path()
                            .starts_with("/workflow-definitions/default/")
                    );
                    assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"));
                }
            }
        }
    }
}

#[tokio::test]
async fn identity_says_which_credentials_and_from_where() {
    let env = Env::from_vars([
        ("HOME", "/nonexistent"),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        ("AWS_REGION", "us-east-1"),
    ]);
    let nova = NovaAct::builder().env(env).build().await.unwrap();
    insta::assert_snapshot!(nova.identity().await.unwrap().to_string(), @"iam credentials ****MPLE from environment (chosen by the default (no NOVA_ACT_API_KEY)), region us-east-1 (from AWS_REGION)");
    assert_eq!(
        nova.client().endpoint().url(),
        "https://nova-act.us-east-1.amazonaws.com"
    );
}

#[tokio::test]
async fn an_unsupported_region_is_reported_at_setup() {
    let env = Env::from_vars([
        ("HOME", "/nonexistent"),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        ("AWS_REGION", "ap-south-1"),
    ]);
    let err = NovaAct::builder().env(env).build().await.unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"Nova Act is not offered in ap-south-1; supported regions: us-east-1. Set AWS_REGION (or the client's region) to one of them, or set a custom endpoint");
}
