//! Retries, backoff, timeouts and every kind of error answer, against local fakes.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use nova_act_core::model::*;
use nova_act_core::{Client, ClientBuilder, Error, RetryConfig, RetryMode};
use nova_auth::{
    AuthMode, AwsCredentials, CredentialProvider, Credentials, CredentialsError, Env, Source,
};
use serde_json::json;
use support::*;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .credentials_provider(aws_credentials(), AuthMode::Iam)
        .endpoint_url(server.uri())
        .env(Env::empty())
        // No timers while a request is in flight, so a paused clock only moves for backoff.
        .attempt_timeout(None)
        .http_client(untimed_http())
}

/// A `reqwest` client with no timers of its own (no idle-pool reaper), for paused-clock tests.
fn untimed_http() -> reqwest::Client {
    nova_act_core::tls::http_client()
        .pool_idle_timeout(None)
        .build()
        .unwrap()
}

/// Answers from a list, in order; the last one repeats.
async fn scripted(answers: Vec<ResponseTemplate>) -> MockServer {
    let server = MockServer::start().await;
    let answers = Arc::new(answers);
    let next = Arc::new(AtomicUsize::new(0));
    Mock::given(any())
        .respond_with(move |_: &Request| {
            let i = next.fetch_add(1, Ordering::SeqCst).min(answers.len() - 1);
            answers[i].clone()
        })
        .mount(&server)
        .await;
    server
}

fn run_created() -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({"workflowRunId": ID, "status": "RUNNING"}))
}

fn models() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "modelSummaries": [],
        "modelAliases": [],
        "compatibilityInformation": {"clientCompatibilityVersion": 1, "supportedModelIds": []}
    }))
}

fn error(status: u16, name: &str, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-amzn-ErrorType", name)
        .insert_header("x-amzn-RequestId", "req-42")
        .set_body_json(body)
}

fn step() -> InvokeActStepInput {
    InvokeActStepInput {
        workflow_definition_name: "flow".into(),
        workflow_run_id: ID.into(),
        session_id: ID.into(),
        act_id: ID.into(),
        call_results: vec![CallResult::text("initiateAct", "{}")],
        previous_step_id: None,
    }
}

async fn count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_after_the_retry_after_header() {
    let server = scripted(vec![
        error(429, "ThrottlingException", json!({"message": "slow down"}))
            .insert_header("Retry-After", "7"),
        models(),
    ])
    .await;
    let started = tokio::time::Instant::now();
    builder(&server)
        .build()
        .unwrap()
        .list_models(())
        .await
        .unwrap();
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(7),
        "waited exactly Retry-After"
    );
    assert_eq!(count(&server).await, 2);
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried_with_capped_exponential_backoff() {
    let server = scripted(vec![
        ResponseTemplate::new(503),
        ResponseTemplate::new(502),
        models(),
    ])
    .await;
    let retry = RetryConfig {
        max_attempts: 3,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(20),
    };
    let started = tokio::time::Instant::now();
    builder(&server)
        .retry(retry)
        .build()
        .unwrap()
        .list_models(())
        .await
        .unwrap();
    assert_eq!(count(&server).await, 3);
    // Full jitter: the first wait is below 1 s, the second below 2 s.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn retries_stop_at_max_attempts_with_the_last_error() {
    let server = scripted(vec![error(
        500,
        "InternalServerException",
        json!({"message": "model failed", "reason": "InvalidModelGeneration"}),
    )])
    .await;
    let err = builder(&server)
        .build()
        .unwrap()
        .list_models(())
        .await
        .unwrap_err();
    assert_eq!(count(&server).await, 3);
    insta::assert_snapshot!(err.to_string(), @"ListModels: the service failed (InternalServerException, HTTP 500, request id req-42, InvalidModelGeneration): model failed");
    assert_eq!(err.request_id(), Some("req-42"));
}

#[tokio::test(start_paused = true)]
async fn a_retried_create_carries_one_client_token() {
    let server = scripted(vec![
        ResponseTemplate::new(500),
        ResponseTemplate::new(503),
        run_created(),
    ])
    .await;
    let client = builder(&server).build().unwrap();
    client
        .create_workflow_run(CreateWorkflowRunInput::new("flow", "nova-act-latest"))
        .await
        .unwrap();
    let tokens: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["clientToken"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(tokens.len(), 3);
    assert!(tokens.iter().all(|t| t == &tokens[0]), "{tokens:?}");
    // A second logical call gets a new token.
    client
        .create_workflow_run(CreateWorkflowRunInput::new("flow", "nova-act-latest"))
        .await
        .unwrap();
    let last = server.received_requests().await.unwrap().pop().unwrap();
    let fresh: serde_json::Value = serde_json::from_slice(&last.body).unwrap();
    assert_ne!(fresh["clientToken"].as_str().unwrap(), tokens[0]);
}

#[tokio::test(start_paused = true)]
async fn invoke_act_step_is_not_repeated_after_a_server_error() {
    let server = scripted(vec![ResponseTemplate::new(500), ResponseTemplate::new(200)]).await;
    let err = builder(&server)
        .build()
        .unwrap()
        .invoke_act_step(step())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InternalServer { .. }));
    assert_eq!(
        count(&server).await,
        1,
        "the step may have run; it must not run twice"
    );
}

#[tokio::test(start_paused = true)]
async fn invoke_act_step_is_repeated_when_throttled() {
    let server = scripted(vec![
        error(429, "ThrottlingException", json!({"message": "slow down"})),
        ResponseTemplate::new(200).set_body_json(json!({"calls": [], "stepId": ID})),
    ])
    .await;
    builder(&server)
        .build()
        .unwrap()
        .invoke_act_step(step())
        .await
        .unwrap();
    assert_eq!(count(&server).await, 2);
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::builder()
        .credentials_provider(aws_credentials(), AuthMode::Iam)
        .endpoint_url(&url)
        .env(Env::empty())
        .retry(RetryConfig {
            base_delay: Duration::from_millis(1),
            ..RetryConfig::default()
        })
        .build()
        .unwrap();
    let err = client.invoke_act_step(step()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    // One layer in Display; the HTTP client's error is the source, and a report shows both.
    let text = err.to_string().replace(&url, "[endpoint]");
    assert_eq!(
        text,
        "InvokeActStep: could not reach Nova Act at [endpoint]; check the network and the endpoint"
    );
    assert!(std::error::Error::source(&err).is_some());
    let report = format!("{:#}", nova_act_core::auth::Report(&err));
    assert!(
        report.contains("\n  caused by: ") && report.contains("Connection refused"),
        "{report}"
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_and_invoke_act_step_is_not_repeated() {
    let server = scripted(vec![
        ResponseTemplate::new(200).set_delay(Duration::from_secs(30)),
    ])
    .await;
    let client = builder(&server)
        .attempt_timeout(Some(Duration::from_millis(200)))
        .build()
        .unwrap();
    let err = client.invoke_act_step(step()).await.unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"InvokeActStep: no answer from Nova Act within 200ms (attempt timeout); raise it or check the network");
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn every_modelled_error_is_typed_and_says_what_to_do() {
    let answers = [
        error(403, "AccessDeniedException", json!({"message": "User is not authorized"})),
        error(
            400,
            "ValidationException",
            json!({"message": "bad", "reason": "FieldValidationFailed", "fieldList": [{"name": "modelId", "message": "unknown model"}]}),
        ),
        error(404, "ResourceNotFoundException", json!({"message": "no such workflow", "resourceId": "flow", "resourceType": "WorkflowDefinition"})),
        error(409, "ConflictException", json!({"message": "exists", "resourceId": "flow", "resourceType": "WorkflowDefinition"})),
        error(
            402,
            "ServiceQuotaExceededException",
            json!({"message": "too many", "resourceId": "flow", "resourceType": "WorkflowRun", "serviceCode": "nova-act", "quotaCode": "L-1"}),
        ),
        // The name from the body's `code`, then from `__type` with a namespace and a suffix.
        ResponseTemplate::new(404).set_body_json(json!({"code": "ResourceNotFoundException", "message": "gone", "resourceId": "r", "resourceType": "T"})),
        ResponseTemplate::new(409).set_body_json(json!({"__type": "com.amazon.novaact#ConflictException:http://internal", "message": "busy", "resourceId": "r", "resourceType": "T"})),
        ResponseTemplate::new(418).set_body_string("I'm a teapot"),
    ];
    let mut lines = Vec::new();
    for answer in answers {
        let server = scripted(vec![answer]).await;
        let err = builder(&server)
            .retry(RetryConfig::disabled())
            .build()
            .unwrap()
            .create_workflow_run(CreateWorkflowRunInput::new("flow", "nova-act-latest"))
            .await
            .unwrap_err();
        lines.push(err.to_string());
    }
    insta::assert_snapshot!(lines.join("\n"), @r"
    CreateWorkflowRun: access denied to nova-act:CreateWorkflowRun (AccessDeniedException, HTTP 403, request id req-42): User is not authorized. Allow `nova-act:CreateWorkflowRun` for these credentials in IAM (it is in the SDK's `run` policy tier)
    CreateWorkflowRun: the service refused the request as invalid (FieldValidationFailed; ValidationException, HTTP 400, request id req-42): bad; `modelId`: unknown model
    CreateWorkflowRun: WorkflowDefinition `flow` was not found (ResourceNotFoundException, HTTP 404, request id req-42): no such workflow
    CreateWorkflowRun: conflict on WorkflowDefinition `flow` (ConflictException, HTTP 409, request id req-42): exists
    CreateWorkflowRun: quota L-1 of nova-act exceeded for WorkflowRun `flow` (ServiceQuotaExceededException, HTTP 402, request id req-42): too many. Free resources or request a quota increase
    CreateWorkflowRun: T `r` was not found (ResourceNotFoundException, HTTP 404, no request id): gone
    CreateWorkflowRun: conflict on T `r` (ConflictException, HTTP 409, no request id): busy
    CreateWorkflowRun: the service answered with an error (Imateapot, HTTP 418, no request id): I'm a teapot
    ");
}

#[tokio::test]
async fn a_refused_api_key_names_its_source_and_the_fix() {
    let server = scripted(vec![
        ResponseTemplate::new(401)
            .insert_header("x-amz-rid", "rid-7")
            .set_body_json(json!({"message": "Unauthorized"})),
    ])
    .await;
    let client = client_at(&server.uri(), AuthMode::ApiKey);
    let err = client
        .create_workflow_run(CreateWorkflowRunInput::new("default", "nova-act-latest"))
        .await
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"CreateWorkflowRun: the API key from NOVA_ACT_API_KEY was refused (Unauthorized, HTTP 401, request id rid-7): Unauthorized. Check the key at https://nova.amazon.com/act, or create a new one there");
    assert!(!format!("{err:?}").contains(API_KEY));
}

#[tokio::test]
async fn unreadable_answers_are_clear_errors() {
    let answers = [
        ResponseTemplate::new(201).set_body_string(r#"{"workflowRunId": "0f8f"#),
        ResponseTemplate::new(201).set_body_string("<html>proxy error</html>"),
        ResponseTemplate::new(201).set_body_json(json!({"workflowRunId": 5, "status": "RUNNING"})),
        ResponseTemplate::new(201)
            .insert_header("x-amzn-RequestId", "req-9")
            .set_body_json(json!({"status": "RUNNING"})),
    ];
    let mut lines = Vec::new();
    for answer in answers {
        let server = scripted(vec![answer]).await;
        let err = builder(&server)
            .build()
            .unwrap()
            .create_workflow_run(CreateWorkflowRunInput::new("flow", "nova-act-latest"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidResponse { .. }), "{err:?}");
        lines.push(err.to_string());
    }
    insta::assert_snapshot!(lines.join("\n"), @r"
    CreateWorkflowRun: the service's answer could not be read (HTTP 201): EOF while parsing a string at line 1 column 23 (the body was 23 bytes)
    CreateWorkflowRun: the service's answer could not be read (HTTP 201): expected value at line 1 column 1 (the body was 24 bytes)
    CreateWorkflowRun: the service's answer could not be read (HTTP 201): invalid type: integer `5`, expected a string at line 1 column 37 (the body was 38 bytes)
    CreateWorkflowRun: the service's answer could not be read (HTTP 201, request id req-9): missing field `workflowRunId` at line 1 column 20 (the body was 20 bytes)
    ");
}

/// Hands out a new access key id on every call, as a refreshing provider would.
#[derive(Debug, Default)]
struct Rotating(AtomicUsize);

#[async_trait::async_trait]
impl CredentialProvider for Rotating {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        Ok(AwsCredentials::new(
            format!("AKIAROTATING{n:08}"),
            SECRET_ACCESS_KEY,
            None,
            Source::Code,
        )
        .into())
    }
}

#[tokio::test(start_paused = true)]
async fn credentials_are_asked_for_on_every_attempt() {
    let server = scripted(vec![ResponseTemplate::new(503), models()]).await;
    let client = Client::builder()
        .credentials_provider(Rotating::default(), AuthMode::Iam)
        .endpoint_url(server.uri())
        .env(Env::empty())
        .attempt_timeout(None)
        .http_client(untimed_http())
        .build()
        .unwrap();
    client.list_models(()).await.unwrap();
    let ids: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            verify_sigv4(r, SECRET_ACCESS_KEY, "us-east-1");
            let auth = r.headers.get("authorization").unwrap().to_str().unwrap();
            auth.split("Credential=")
                .nth(1)
                .unwrap()
                .split('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, ["AKIAROTATING00000000", "AKIAROTATING00000001"]);
}

#[tokio::test]
async fn list_streams_follow_next_token() {
    let server = MockServer::start().await;
    let page = |ids: &[&str], next: Option<&str>| {
        let mut body = json!({"sessionSummaries": ids.iter().map(|id| json!({"sessionId": id})).collect::<Vec<_>>()});
        if let Some(next) = next {
            body["nextToken"] = json!(next);
        }
        ResponseTemplate::new(200).set_body_json(body)
    };
    use wiremock::matchers::{query_param, query_param_is_missing};
    Mock::given(query_param_is_missing("nextToken"))
        .respond_with(page(&["a", "b"], Some("p2")))
        .mount(&server)
        .await;
    Mock::given(query_param("nextToken", "p2"))
        .respond_with(page(&["c"], Some("p3")))
        .mount(&server)
        .await;
    Mock::given(query_param("nextToken", "p3"))
        .respond_with(page(&[], None))
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    use futures_util::TryStreamExt;
    let all: Vec<String> = client
        .sessions(ListSessionsInput {
            workflow_definition_name: "flow".into(),
            workflow_run_id: ID.into(),
            max_results: Some(2),
            ..Default::default()
        })
        .map_ok(|s| s.session_id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all, ["a", "b", "c"]);
    assert_eq!(count(&server).await, 3);
}

/// A server that resets the first `resets` connections after reading the request, then answers
/// every later one with `answer` (a whole HTTP/1.1 response). Returns its URL and the number of
/// connections it accepted.
async fn resetting(resets: usize, answer: String) -> (String, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let mut buffer = vec![0; 64 * 1024];
            let _ = stream.read(&mut buffer).await;
            if n < resets {
                // Linger 0: closing sends RST, a reset before any byte of the response.
                let _ = stream.set_zero_linger();
                drop(stream);
            } else {
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        }
    });
    (url, accepted)
}

fn models_response() -> String {
    let body = json!({
        "modelSummaries": [],
        "modelAliases": [],
        "compatibilityInformation": {"clientCompatibilityVersion": 1, "supportedModelIds": []}
    })
    .to_string();
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-amzn-requestid: r1\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_connection_reset_before_the_answer_is_retried_when_safe() {
    let retrying = |url: &str| {
        Client::builder()
            .credentials_provider(aws_credentials(), AuthMode::Iam)
            .endpoint_url(url)
            .env(Env::empty())
            .retry(RetryConfig {
                base_delay: Duration::from_millis(1),
                ..RetryConfig::default()
            })
            .build()
            .unwrap()
    };
    // A read is retried and succeeds.
    let (url, accepted) = resetting(2, models_response()).await;
    retrying(&url).list_models(()).await.unwrap();
    assert_eq!(accepted.load(Ordering::SeqCst), 3);

    // InvokeActStep may have been carried out: one attempt, then a precise error.
    let (url, accepted) = resetting(usize::MAX, models_response()).await;
    let err = retrying(&url).invoke_act_step(step()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    let text = err.to_string().replace(&url, "[endpoint]");
    assert_eq!(
        text,
        "InvokeActStep: could not reach Nova Act at [endpoint]; check the network and the endpoint"
    );
}

#[tokio::test(start_paused = true)]
async fn adaptive_retries_hold_back_the_next_call_after_a_throttle() {
    for (mode, waits) in [(RetryMode::Adaptive, true), (RetryMode::Standard, false)] {
        let server = scripted(vec![
            ResponseTemplate::new(429)
                .insert_header("x-amzn-ErrorType", "ThrottlingException")
                .insert_header("Retry-After", "5")
                .set_body_json(json!({"message": "slow down"})),
            models(),
        ])
        .await;
        let client = builder(&server)
            .retry(RetryConfig::disabled())
            .retry_mode(mode)
            .build()
            .unwrap();
        let err = client.list_models(()).await.unwrap_err();
        assert!(matches!(err, Error::Throttling { .. }), "{err}");
        // Another call of the same client, after the throttle.
        let started = tokio::time::Instant::now();
        client.list_models(()).await.unwrap();
        let waited = started.elapsed();
        assert_eq!(
            waited >= Duration::from_secs(5),
            waits,
            "{mode:?}: waited {waited:?}"
        );
        assert_eq!(count(&server).await, 2);
    }
}

fn stepped() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"calls": [], "stepId": ID}))
}

#[tokio::test(start_paused = true)]
async fn throttled_steps_are_repeated_beyond_max_attempts_until_the_throttle_timeout() {
    let throttled = || {
        error(
            429,
            "ThrottlingException",
            json!({"message": "Rate exceeded"}),
        )
    };
    // Six throttles, then an answer: the default three attempts would have given up.
    let mut answers = vec![throttled(); 6];
    answers.push(stepped());
    let server = scripted(answers).await;
    let client = builder(&server).build().unwrap();
    client.invoke_act_step(step()).await.unwrap();
    assert_eq!(count(&server).await, 7);

    // Throttled for longer than the throttle timeout: the throttling error, once it passed.
    let server = scripted(vec![throttled()]).await;
    let client = builder(&server)
        .throttle_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let err = client.invoke_act_step(step()).await.unwrap_err();
    assert!(matches!(err, Error::Throttling { .. }), "{err:?}");
    assert!(started.elapsed() >= Duration::from_secs(10));
    assert!(count(&server).await > 3);
}

#[tokio::test(start_paused = true)]
async fn steps_of_every_clone_share_one_pace() {
    let server = scripted(vec![stepped()]).await;
    let client = builder(&server).step_rate(2.0).build().unwrap();
    let started = tokio::time::Instant::now();
    let calls = (0..5).map(|_| {
        let client = client.clone();
        async move { client.invoke_act_step(step()).await }
    });
    for outcome in futures_util::future::join_all(calls).await {
        outcome.unwrap();
    }
    // Five steps at 2 a second: the first at once, the last 2 s later.
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    assert_eq!((client.steps_taken(), client.step_rate()), (5, Some(2.0)));
    // Other operations are not paced, nor counted as steps.
    let started = tokio::time::Instant::now();
    let server = scripted(vec![models()]).await;
    let client = builder(&server).step_rate(0.5).build().unwrap();
    for _ in 0..3 {
        client.list_models(()).await.unwrap();
    }
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(client.steps_taken(), 0);
    let unpaced = builder(&server).step_rate(0.0).build().unwrap();
    assert_eq!(unpaced.step_rate(), None);
}

#[test]
fn a_step_rate_that_is_not_a_number_is_refused_naming_the_variable() {
    let built = Client::builder()
        .credentials_provider(aws_credentials(), AuthMode::Iam)
        .env(Env::from_vars([("NOVA_ACT_STEP_RATE", "fast")]))
        .build();
    let err = built.unwrap_err().to_string();
    assert!(err.contains("NOVA_ACT_STEP_RATE"), "{err}");
    assert!(err.contains("fast"), "{err}");
    for ok in ["0", "12.5"] {
        Client::builder()
            .credentials_provider(aws_credentials(), AuthMode::Iam)
            .env(Env::from_vars([("NOVA_ACT_STEP_RATE", ok)]))
            .build()
            .unwrap();
    }
}
