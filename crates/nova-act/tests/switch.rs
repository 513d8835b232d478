//! One program, two kinds of credentials: which one is used is decided by the environment alone.

use nova_act::{AuthMode, Env, NovaAct};
use nova_test_support::PretendPage;
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

/// The user's program: unchanged between the two runs below. It names its workflow definition,
/// which IAM needs and the API-key service (only `default`) ignores.
async fn program(env: Env, endpoint: &str) -> Result<Option<Value>, Box<dyn std::error::Error>> {
    let nova = NovaAct::builder()
        .env(env)
        .endpoint_url(endpoint)
        .build()
        .await?;
    let result = nova
        .workflow()
        .definition("nightly")
        .act_once(
            PretendPage::at("https://example.com/"),
            "Read the page title",
        )
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
                            .starts_with("/workflow-definitions/nightly/")
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
async fn a_region_the_sdk_does_not_know_is_used_anyway() {
    let env = Env::from_vars([
        ("HOME", "/nonexistent"),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        ("AWS_REGION", "ap-south-1"),
    ]);
    let nova = NovaAct::builder().env(env).build().await.unwrap();
    assert_eq!(
        nova.client().endpoint().url(),
        "https://nova-act.ap-south-1.amazonaws.com"
    );
}

#[tokio::test]
async fn an_sdk_config_carries_credentials_region_endpoint_retries_and_timeouts() {
    use std::time::Duration;

    use aws_smithy_types::retry::RetryConfig;
    use aws_smithy_types::timeout::TimeoutConfig;

    let credentials = aws_credential_types::Credentials::new(
        "AKIASDKCONFIG0000001",
        "sdk-config-secret",
        None,
        None,
        "test",
    );
    let config = aws_types::SdkConfig::builder()
        .region(aws_types::region::Region::new("eu-central-1"))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
        )
        .endpoint_url("http://127.0.0.1:9")
        .retry_config(
            RetryConfig::adaptive()
                .with_max_attempts(6)
                .with_initial_backoff(Duration::from_millis(50))
                .with_max_backoff(Duration::from_secs(4)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(9))
                .build(),
        )
        .build();
    let nova = NovaAct::builder()
        // Nothing from this machine: what the SdkConfig does not set stays unset.
        .env(Env::from_vars([("HOME", "/nonexistent")]))
        .sdk_config(&config)
        .build()
        .await
        .unwrap();
    let client = nova.client();
    assert_eq!(client.region(), "eu-central-1");
    assert_eq!(client.endpoint().url(), "http://127.0.0.1:9");
    assert_eq!(
        client.retry_config(),
        &nova_act::RetryConfig {
            max_attempts: 6,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(4),
        }
    );
    assert_eq!(client.retry_mode(), nova_act::RetryMode::Adaptive);
    assert_eq!(client.attempt_timeout(), Some(Duration::from_secs(9)));
    let credentials = client.credentials().await.unwrap();
    assert_eq!(
        credentials.as_aws().unwrap().access_key_id(),
        "AKIASDKCONFIG0000001"
    );
}

#[tokio::test]
async fn the_definition_comes_from_code_then_the_environment_and_iam_needs_one() {
    let iam = |extra: &[(&str, &str)]| {
        let mut vars = vec![
            ("HOME", "/nonexistent"),
            ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
            (
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ];
        vars.extend_from_slice(extra);
        Env::from_vars(vars)
    };
    let server = service().await;
    let run = |env: Env, code: Option<&'static str>| {
        let uri = server.uri();
        async move {
            let nova = NovaAct::builder()
                .env(env)
                .endpoint_url(uri)
                .build()
                .await
                .unwrap();
            let mut workflow = nova.workflow();
            if let Some(name) = code {
                workflow = workflow.definition(name);
            }
            workflow
                .run(|run| async move { Ok::<_, std::convert::Infallible>(run.definition().to_owned()) })
                .await
        }
    };
    let from_env = iam(&[("NOVA_ACT_WORKFLOW_DEFINITION", "from-env")]);
    assert_eq!(run(from_env.clone(), None).await.unwrap(), "from-env");
    assert_eq!(run(from_env, Some("from-code")).await.unwrap(), "from-code");

    // Under IAM with neither: refused before any request, naming both ways and the command.
    let before = server.received_requests().await.unwrap().len();
    let err = run(iam(&[]), None).await.unwrap_err();
    assert!(
        matches!(err, nova_act::runtime::WorkflowError::DefinitionMissing),
        "{err}"
    );
    insta::assert_snapshot!(err.to_string(), @"no workflow definition was named: under IAM every workflow run belongs to a workflow definition of your account. Name it in code (`.definition(\"NAME\")`) or set NOVA_ACT_WORKFLOW_DEFINITION=NAME, naming one made with CreateWorkflowDefinition");
    assert_eq!(server.received_requests().await.unwrap().len(), before);

    // A name the model refuses is refused before sending, naming the rule.
    let err = run(iam(&[]), Some("no spaces allowed")).await.unwrap_err();
    assert!(err.to_string().contains("[a-zA-Z0-9_-]"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), before);
}

#[tokio::test]
async fn a_definition_that_does_not_exist_says_which_account_region_and_how_to_create_it() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-amzn-ErrorType", "ResourceNotFoundException")
                .insert_header("x-amzn-RequestId", "req-404")
                .set_body_json(json!({
                    "message": "Workflow definition nightly not found",
                    "resourceId": "nightly",
                    "resourceType": "WorkflowDefinition"
                })),
        )
        .mount(&server)
        .await;
    let env = Env::from_vars([
        ("HOME", "/nonexistent"),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        ("AWS_ACCOUNT_ID", "111122223333"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("NOVA_ACT_WORKFLOW_DEFINITION", "nightly"),
    ]);
    let nova = NovaAct::builder()
        .env(env)
        .endpoint_url(server.uri())
        .build()
        .await
        .unwrap();
    let err = nova
        .workflow()
        .run(|_run| async move { Ok::<_, std::convert::Infallible>(()) })
        .await
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"workflow definition `nightly` (from NOVA_ACT_WORKFLOW_DEFINITION) does not exist in account 111122223333, region us-east-1; create it there (CreateWorkflowDefinition), or name one that exists (ListWorkflowDefinitions)");
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("req-404"), "{source}");
}
