//! No API key, secret access key or session token in TRACE logs (every crate), errors or Debug.

mod support;

use nova_act_core::model::*;
use nova_auth::AuthMode;
use serde_json::json;
use support::*;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn calls(mode: AuthMode) -> String {
    let (logs, _guard) = nova_test_support::Logs::capture();
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"workflowRunId": ID, "status": "RUNNING"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"message": "denied"})))
        .mount(&server)
        .await;
    let client = client_at(&server.uri(), mode);
    let create =
        || client.create_workflow_run(CreateWorkflowRunInput::new("default", "nova-act-latest"));
    let ok = create().await.unwrap();
    let err = create().await.unwrap_err();
    let request = client.signed_request(ListModelsInput::default()).await;
    let text = logs.text();
    assert!(
        text.contains("TRACE") || text.contains("DEBUG"),
        "logs were captured:\n{text}"
    );
    format!(
        "{text}\n{ok:?}\n{err}\n{err:?}\n{client:?}\n{:?}",
        request.map(|r| r.headers().clone())
    )
}

fn assert_clean(text: &str) {
    for secret in [API_KEY, SECRET_ACCESS_KEY, SESSION_TOKEN] {
        assert!(!text.contains(secret), "a secret leaked:\n{text}");
    }
}

#[tokio::test]
async fn iam_calls_leak_nothing() {
    assert_clean(&calls(AuthMode::Iam).await);
}

#[tokio::test]
async fn api_key_calls_leak_nothing() {
    assert_clean(&calls(AuthMode::ApiKey).await);
}
