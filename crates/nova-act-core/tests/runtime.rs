//! The workflow runtime end to end against a scripted fake service: runs, sessions, the act loop
//! with browser actions and tools, and every way a run or act can end.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use async_trait::async_trait;
use nova_act_core::Client;
use nova_act_core::model::{ToolInputSchema, ToolSpec};
use nova_act_core::runtime::*;
use nova_auth::{AuthMode, Env};
use serde_json::{Value, json};
use support::*;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const RUN: &str = "11111111-1111-4111-8111-111111111111";
const SESSION: &str = "22222222-2222-4222-8222-222222222222";
const ACT: &str = "33333333-3333-4333-8333-333333333333";

/// A fake Nova Act service: answers each operation, and InvokeActStep from a script of steps
/// (the last step repeats). Every request is recorded as `OPERATION body`.
struct Service {
    server: MockServer,
    log: Arc<Mutex<Vec<String>>>,
    finished: mpsc::Receiver<String>,
}

fn operation(request: &Request) -> &'static str {
    let path = request.url.path();
    let put = request.method.as_str() == "PUT";
    if path.ends_with("/invoke-step/") || path.ends_with("/invoke-step") {
        "InvokeActStep"
    } else if path.ends_with("/acts") {
        "CreateAct"
    } else if path.contains("/acts/") {
        "UpdateAct"
    } else if path.ends_with("/sessions") {
        "CreateSession"
    } else if path.ends_with("/workflow-runs") && put {
        "CreateWorkflowRun"
    } else if path.contains("/workflow-runs/") && put {
        "UpdateWorkflowRun"
    } else {
        "Other"
    }
}

impl Service {
    async fn start(steps: Vec<Value>, step_delay: Option<Duration>) -> Self {
        let server = MockServer::start().await;
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, finished) = mpsc::channel();
        let tx = Mutex::new(tx);
        let step = AtomicUsize::new(0);
        let recorded = log.clone();
        Mock::given(any())
            .respond_with(move |request: &Request| {
                let op = operation(request);
                let mut body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                if let Some(token) = body.get_mut("clientToken") {
                    *token = json!("[token]");
                }
                recorded.lock().unwrap().push(format!("{op} {body}"));
                match op {
                    "CreateWorkflowRun" => ResponseTemplate::new(201)
                        .set_body_json(json!({"workflowRunId": RUN, "status": "RUNNING"})),
                    "CreateSession" => {
                        ResponseTemplate::new(201).set_body_json(json!({"sessionId": SESSION}))
                    }
                    "CreateAct" => ResponseTemplate::new(201)
                        .set_body_json(json!({"actId": ACT, "status": "RUNNING"})),
                    "InvokeActStep" => {
                        let n = step.fetch_add(1, Ordering::SeqCst);
                        let calls = steps[n.min(steps.len() - 1)].clone();
                        let answer = ResponseTemplate::new(200).set_body_json(json!({
                            "calls": calls,
                            "stepId": format!("44444444-4444-4444-8444-{:012}", n + 1),
                        }));
                        match step_delay {
                            Some(delay) => answer.set_delay(delay),
                            None => answer,
                        }
                    }
                    "UpdateWorkflowRun" => {
                        let _ = tx
                            .lock()
                            .unwrap()
                            .send(body["status"].as_str().unwrap_or("").to_owned());
                        ResponseTemplate::new(200).set_body_json(json!({}))
                    }
                    _ => ResponseTemplate::new(200).set_body_json(json!({})),
                }
            })
            .mount(&server)
            .await;
        Self {
            server,
            log,
            finished,
        }
    }

    fn client(&self, mode: AuthMode) -> Client {
        let credentials = match mode {
            AuthMode::Iam => aws_credentials(),
            AuthMode::ApiKey => api_key_credentials(),
        };
        Client::builder()
            .credentials_provider(credentials, mode)
            .endpoint_url(self.server.uri())
            // Workflows that name no definition in code run under `default`.
            .env(Env::from_vars([(
                "NOVA_ACT_WORKFLOW_DEFINITION",
                "default",
            )]))
            .attempt_timeout(None)
            .http_client(
                nova_act_core::tls::http_client()
                    .pool_idle_timeout(None)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// The status the run was finished with (waits for the request, up to 10 s).
    async fn finished_with(self) -> String {
        tokio::task::spawn_blocking(move || {
            self.finished.recv_timeout(Duration::from_secs(10)).unwrap()
        })
        .await
        .unwrap()
    }
}

/// One act of `request` in a run of its own, on a [`Recorder`] page.
async fn recorded_act(
    client: &Client,
    request: impl Into<ActRequest>,
) -> Result<ActResult, WorkflowError<ActError>> {
    let request = request.into();
    Workflow::new(client)
        .act_once(Recorder::default(), request)
        .await
}

/// Records what it is asked to do; `lookup` is its one tool.
#[derive(Default)]
struct Recorder {
    done: Arc<Mutex<Vec<String>>>,
}

#[async_trait]
impl Actuator for Recorder {
    async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError> {
        self.done.lock().unwrap().push(format!("{action:?}"));
        match action {
            BrowserAction::TakeObservation => {
                Ok(json!(Observation::blank("https://shop.example/")))
            }
            BrowserAction::Hover { .. } => Err(CallError::new("ElementNotFound", "nothing there")),
            _ => Ok(Value::Null),
        }
    }

    async fn tool(&mut self, name: &str, input: Value) -> Result<Value, CallError> {
        self.done
            .lock()
            .unwrap()
            .push(format!("tool {name} {input}"));
        match name {
            "lookup" => Ok(json!({"price": 4.99})),
            other => Err(CallError::new(
                "UnknownTool",
                format!("no tool named `{other}`"),
            )),
        }
    }
}

fn lookup() -> ToolSpec {
    ToolSpec {
        name: "lookup".into(),
        description: "Looks up a price".into(),
        input_schema: ToolInputSchema {
            json: Some(json!({"type": "object"})),
        },
    }
}

fn call(id: &str, name: &str, input: Value) -> Value {
    json!({"callId": id, "name": name, "input": input})
}

#[tokio::test]
async fn a_whole_act_with_browser_actions_and_a_tool() {
    let b = "<bbox>100,100,200,150</bbox>";
    let service = Service::start(
        vec![
            json!([
                call("c1", "think", json!(["I should click"])),
                call("c2", "agentClick", json!([b])),
                call("c3", "lookup", json!({"item": "apple"})),
                call("c4", "agentHover", json!([b])),
                call("c5", "teleport", json!([])),
            ]),
            json!([
                call("c6", "agentType", json!(["apple", b, {"pressEnter": true}])),
                call("c7", "takeObservation", json!([]))
            ]),
            json!([call("c8", "return", json!(["$4.99"]))]),
        ],
        None,
    )
    .await;
    let client = service.client(AuthMode::Iam);
    let recorder = Recorder::default();
    let done = recorder.done.clone();
    let result = Workflow::new(&client)
        .definition("shop")
        .act_once(
            recorder,
            ActRequest::new("Find the price of apples").tool(lookup()),
        )
        .await
        .unwrap();
    assert_eq!(result.value, Some(json!("$4.99")));
    assert_eq!(result.steps, 3);
    assert_eq!(result.step_ids.len(), 3);
    assert_eq!(result.step_latencies.len(), 3);
    insta::assert_snapshot!(done.lock().unwrap().join("\n"), @r#"
    TakeObservation
    Think { thought: "I should click" }
    Click { target: BBox { left: 100.0, top: 100.0, right: 200.0, bottom: 150.0 }, click_type: Left }
    tool lookup {"item":"apple"}
    Hover { target: BBox { left: 100.0, top: 100.0, right: 200.0, bottom: 150.0 } }
    Type { value: "apple", target: BBox { left: 100.0, top: 100.0, right: 200.0, bottom: 150.0 }, press_enter: true }
    TakeObservation
    "#);
    insta::assert_snapshot!(service.log(), @r#"
    CreateWorkflowRun {"clientInfo":{"compatibilityVersion":1,"sdkVersion":"nova-act-rust/0.1.0"},"clientToken":"[token]","modelId":"nova-act-latest"}
    CreateSession {"clientToken":"[token]"}
    CreateAct {"clientToken":"[token]","task":"Find the price of apples","toolSpecs":[{"description":"Looks up a price","inputSchema":{"json":{"type":"object"}},"name":"lookup"}]}
    InvokeActStep {"callResults":[{"callId":"initiateAct","content":[{"text":"{}"}]},{"callId":"takeObservation","content":[{"text":"{\"activeURL\":\"https://shop.example/\",\"browserDimensions\":null,\"screenshotBase64\":\"data:image/jpeg;base64,\",\"timestamp_ms\":0,\"userAgent\":\"\"}"}]}]}
    InvokeActStep {"callResults":[{"callId":"c1","content":[{"text":"null"}]},{"callId":"c2","content":[{"text":"null"}]},{"callId":"c3","content":[{"text":"{\"price\":4.99}"}]},{"callId":"c4","content":[{"text":"ElementNotFound: nothing there"}]},{"callId":"c5","content":[{"text":"UnknownAction: `teleport` is not supported by this actuator"}]}],"previousStepId":"44444444-4444-4444-8444-000000000001"}
    InvokeActStep {"callResults":[{"callId":"c6","content":[{"text":"null"}]},{"callId":"c7","content":[{"text":"{\"activeURL\":\"https://shop.example/\",\"browserDimensions\":null,\"screenshotBase64\":\"data:image/jpeg;base64,\",\"timestamp_ms\":0,\"userAgent\":\"\"}"}]}],"previousStepId":"44444444-4444-4444-8444-000000000002"}
    UpdateAct {"status":"SUCCEEDED"}
    UpdateWorkflowRun {"status":"SUCCEEDED"}
    "#);
    assert_eq!(service.finished_with().await, "SUCCEEDED");
}

#[tokio::test]
async fn an_agent_that_throws_fails_the_act_and_the_run() {
    let service = Service::start(
        vec![json!([call(
            "c1",
            "throw",
            json!(["The page needs a login"])
        )])],
        None,
    )
    .await;
    let client = service.client(AuthMode::Iam);
    let err = recorded_act(&client, "Buy apples").await.unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"the workflow failed: the agent could not do the task (act 33333333-3333-4333-8333-333333333333): The page needs a login");
    assert!(service.log().contains(r#"UpdateAct {"error":{"message":"The page needs a login","type":"ActAgentFailed"},"status":"FAILED"}"#), "{}", service.log());
    assert_eq!(service.finished_with().await, "FAILED");
}

#[tokio::test]
async fn running_out_of_steps_is_a_typed_error_and_still_updates_the_act() {
    let service = Service::start(
        vec![json!([call("c1", "think", json!(["still thinking"]))])],
        None,
    )
    .await;
    let client = service.client(AuthMode::Iam);
    let err = recorded_act(&client, ActRequest::new("Think forever").max_steps(2))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            WorkflowError::Body(ActError::MaxSteps { max_steps: 2, .. })
        ),
        "{err:?}"
    );
    let log = service.log();
    assert_eq!(log.matches("InvokeActStep").count(), 2, "{log}");
    assert!(
        log.contains(r#""type":"ActExceededMaxStepsError""#),
        "{log}"
    );
    assert_eq!(service.finished_with().await, "FAILED");
}

#[tokio::test(start_paused = true)]
async fn an_act_past_its_timeout_is_marked_timed_out() {
    let service = Service::start(
        vec![json!([call("c1", "return", json!(["late"]))])],
        Some(Duration::from_secs(3600)),
    )
    .await;
    let client = service.client(AuthMode::Iam);
    let err = recorded_act(
        &client,
        ActRequest::new("Be quick").timeout(Duration::from_secs(5)),
    )
    .await
    .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"the workflow failed: the act did not finish within 5s (act 33333333-3333-4333-8333-333333333333); raise the timeout or split the task");
    assert!(
        service.log().contains(r#""status":"TIMED_OUT""#),
        "{}",
        service.log()
    );
}

#[tokio::test]
async fn limits_are_checked_before_anything_is_sent() {
    let service = Service::start(vec![json!([])], None).await;
    let client = service.client(AuthMode::Iam);
    let err = Workflow::new(&client)
        .run(|run| async move {
            let mut session = run
                .session(Recorder::default())
                .await
                .map_err(|e| e.to_string())?;
            let too_many = session
                .act(ActRequest::new("x").max_steps(200))
                .await
                .unwrap_err();
            let too_short = session
                .act(ActRequest::new("x").timeout(Duration::from_secs(1)))
                .await
                .unwrap_err();
            Err::<(), _>(format!("{too_many}\n{too_short}"))
        })
        .await
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @r"
    the workflow failed: invalid act: max_steps must be 1..199 (it is 200)
    invalid act: timeout must be 2..1800 seconds (it is 1s)
    ");
    assert!(!service.log().contains("CreateAct"));
}

#[tokio::test]
async fn a_panicking_workflow_is_marked_failed() {
    let service = Service::start(vec![json!([])], None).await;
    let err = Workflow::new(&service.client(AuthMode::Iam))
        .run(|_run| async move {
            if true {
                panic!("the closure broke");
            }
            Ok::<(), String>(())
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, WorkflowError::Panicked(message) if message == "the closure broke"),
        "{err:?}"
    );
    assert_eq!(service.finished_with().await, "FAILED");
}

#[tokio::test]
async fn a_cancelled_workflow_is_marked_failed() {
    let service = Service::start(vec![json!([])], None).await;
    let client = service.client(AuthMode::Iam);
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        Workflow::new(&client)
            .run(|_run| async move {
                let _ = started_tx.send(());
                std::future::pending::<Result<(), String>>().await
            })
            .await
    });
    started_rx.await.unwrap();
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    assert_eq!(service.finished_with().await, "FAILED");
}

#[tokio::test]
async fn api_key_workflows_use_the_default_definition_whatever_is_named() {
    let service = Service::start(vec![json!([call("c1", "return", json!([]))])], None).await;
    let client = service.client(AuthMode::ApiKey);
    // The same program runs under IAM with its own definition; here it is ignored, with a warning.
    let result = Workflow::new(&client)
        .definition("nightly-report")
        .act_once(Recorder::default(), "Open the page")
        .await
        .unwrap();
    assert_eq!(result.value, None);
    let paths: Vec<String> = service
        .server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert!(
        paths
            .iter()
            .all(|p| p.starts_with("/agent/workflow-definitions/default/")),
        "{paths:?}"
    );
}
