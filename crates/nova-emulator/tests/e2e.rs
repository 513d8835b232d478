//! nova-act-core's client against the emulator: every operation in both auth modes, authentication
//! failures, policies, idempotency, state machines, pagination, and a whole workflow.

use futures_util::TryStreamExt;
use nova_act_core::model::*;
use nova_act_core::runtime::{Actuator, BrowserAction, CallError, Observation, Workflow};
use nova_act_core::{Client, Error, RetryConfig};
use nova_auth::{AuthMode, AwsCredentials, Env, Source};
use nova_emulator::{AccessKey, Emulator, Policy, ScriptedPlanner};
use serde_json::{Value, json};
use support::{api_key, aws, builder, define, iam};

mod support;

#[tokio::test]
async fn every_operation_over_sigv4() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = iam(&emulator, emulator.access_key());
    let models = client.list_models(()).await.unwrap();
    assert_eq!(models.model_aliases[0].alias_name, "nova-act-latest");

    client
        .create_workflow_definition(CreateWorkflowDefinitionInput {
            name: "flow".into(),
            description: Some("demo".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let def = client.get_workflow_definition("flow").await.unwrap();
    assert_eq!(
        def.arn,
        "arn:aws:nova-act:us-east-1:123456789012:workflow-definition/flow"
    );
    let defs: Vec<_> = client
        .workflow_definitions(ListWorkflowDefinitionsInput::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(defs.len(), 1);

    let run = client
        .create_workflow_run(CreateWorkflowRunInput::new("flow", "nova-act-latest"))
        .await
        .unwrap();
    let run_id = run.workflow_run_id;
    let got = client
        .get_workflow_run(GetWorkflowRunInput {
            workflow_definition_name: "flow".into(),
            workflow_run_id: run_id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(got.status, WorkflowRunStatus::Running);
    let session = client
        .create_session(CreateSessionInput {
            workflow_definition_name: "flow".into(),
            workflow_run_id: run_id.clone(),
            client_token: None,
        })
        .await
        .unwrap();
    let sessions = client
        .list_sessions(ListSessionsInput {
            workflow_definition_name: "flow".into(),
            workflow_run_id: run_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(sessions.session_summaries.len(), 1);
    let act = client
        .create_act(CreateActInput {
            workflow_definition_name: "flow".into(),
            workflow_run_id: run_id.clone(),
            session_id: session.session_id.clone(),
            task: "Open the page".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let step = client
        .invoke_act_step(InvokeActStepInput {
            workflow_definition_name: "flow".into(),
            workflow_run_id: run_id.clone(),
            session_id: session.session_id.clone(),
            act_id: act.act_id.clone(),
            call_results: vec![CallResult::text("initiateAct", "{}")],
            previous_step_id: None,
        })
        .await
        .unwrap();
    assert_eq!(step.calls[0].name, "takeObservation");
    client
        .update_act(UpdateActInput {
            workflow_definition_name: "flow".into(),
            workflow_run_id: run_id.clone(),
            session_id: session.session_id.clone(),
            act_id: act.act_id.clone(),
            status: ActStatus::Succeeded,
            error: None,
        })
        .await
        .unwrap();
    let acts = client
        .list_acts(ListActsInput {
            workflow_definition_name: "flow".into(),
            workflow_run_id: Some(run_id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(acts.act_summaries[0].status, ActStatus::Succeeded);
    client
        .update_workflow_run(UpdateWorkflowRunInput {
            workflow_definition_name: "flow".into(),
            workflow_run_id: run_id.clone(),
            status: WorkflowRunStatus::Succeeded,
        })
        .await
        .unwrap();
    let runs = client
        .list_workflow_runs(ListWorkflowRunsInput {
            workflow_definition_name: "flow".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        runs.workflow_run_summaries[0].status,
        WorkflowRunStatus::Succeeded
    );
    client
        .delete_workflow_run(DeleteWorkflowRunInput {
            workflow_definition_name: "flow".into(),
            workflow_run_id: run_id.clone(),
        })
        .await
        .unwrap();
    client.delete_workflow_definition("flow").await.unwrap();
    let err = client.get_workflow_definition("flow").await.unwrap_err();
    assert!(matches!(err, Error::ResourceNotFound { .. }), "{err}");
    // nova-act-core's signatures all take the emulator's fast verification path.
    assert_eq!(emulator.general_signature_checks(), 0);
}

#[tokio::test]
async fn the_api_key_service_runs_the_data_plane() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = api_key(&emulator, emulator.api_key());
    let run = client
        .create_workflow_run(CreateWorkflowRunInput::new("default", "nova-act-latest"))
        .await
        .unwrap();
    let session = client
        .create_session(CreateSessionInput {
            workflow_definition_name: "default".into(),
            workflow_run_id: run.workflow_run_id.clone(),
            client_token: None,
        })
        .await
        .unwrap();
    assert!(!session.session_id.is_empty());
    let wrong = api_key(&emulator, "00000000-0000-4000-8000-000000000000");
    let err = wrong
        .create_workflow_run(CreateWorkflowRunInput::new("default", "nova-act-latest"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ApiKeyRejected { .. }), "{err}");
}

#[tokio::test]
async fn signatures_are_checked_like_aws_does() {
    let emulator = Emulator::builder().start().await.unwrap();
    let good = emulator.access_key().clone();
    let cases = [
        AccessKey {
            secret_access_key: "wrong-secret".into(),
            ..good.clone()
        },
        AccessKey {
            access_key_id: "AKIAUNKNOWNUNKNOWN".into(),
            ..good.clone()
        },
    ];
    let mut names = Vec::new();
    for key in cases {
        let err = iam(&emulator, &key).list_models(()).await.unwrap_err();
        names.push(err.meta().unwrap().name.clone());
    }
    // A signature for the wrong region.
    let credentials = AwsCredentials::new(
        &good.access_key_id,
        good.secret_access_key.as_str(),
        None,
        Source::Code,
    );
    let elsewhere = Client::builder()
        .credentials_provider(nova_auth::Credentials::from(credentials), AuthMode::Iam)
        .endpoint_url(emulator.url())
        .region("eu-west-1")
        .env(Env::empty())
        .build()
        .unwrap();
    names.push(
        elsewhere
            .list_models(())
            .await
            .unwrap_err()
            .meta()
            .unwrap()
            .name
            .clone(),
    );
    // No signature at all.
    let raw = nova_act_core::tls::http_client()
        .build()
        .unwrap()
        .post(format!(
            "{}/models?clientCompatibilityVersion=1",
            emulator.url()
        ))
        .send()
        .await
        .unwrap();
    names.push(
        raw.headers()["x-amzn-errortype"]
            .to_str()
            .unwrap()
            .to_owned(),
    );
    assert_eq!(
        names,
        [
            "InvalidSignatureException",
            "UnrecognizedClientException",
            "InvalidSignatureException",
            "MissingAuthenticationTokenException"
        ]
    );
}

#[tokio::test]
async fn policies_allow_deny_and_name_what_was_refused() {
    let key = nova_emulator::generate_access_key();
    let policy = Policy::from_json(
        r#"{"Statement": [
            {"Effect": "Allow", "Action": "nova-act:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "nova-act:DeleteWorkflowDefinition", "Resource": "arn:aws:nova-act:*:*:workflow-definition/keep*"}
        ]}"#,
    )
    .unwrap();
    let emulator = Emulator::builder()
        .access_key(key.clone())
        .policy(&key.access_key_id, policy)
        .start()
        .await
        .unwrap();
    let client = iam(&emulator, &key);
    for name in ["keep-me", "scratch"] {
        define(&client, name).await;
    }
    client.delete_workflow_definition("scratch").await.unwrap();
    let err = client
        .delete_workflow_definition("keep-me")
        .await
        .unwrap_err();
    insta::assert_snapshot!(err.to_string().split(" (AccessDenied").next().unwrap(), @"DeleteWorkflowDefinition: access denied to nova-act:DeleteWorkflowDefinition");
    assert!(
        err.to_string().contains("workflow-definition/keep-me"),
        "{err}"
    );
}

#[tokio::test]
async fn creates_are_idempotent_and_names_unique() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = iam(&emulator, emulator.access_key());
    let token = "a".repeat(40);
    let input = CreateWorkflowDefinitionInput {
        name: "once".into(),
        client_token: Some(token.clone()),
        ..Default::default()
    };
    client
        .create_workflow_definition(input.clone())
        .await
        .unwrap();
    client.create_workflow_definition(input).await.unwrap();
    let err = client
        .create_workflow_definition(CreateWorkflowDefinitionInput {
            name: "once".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err}");
    let run = CreateWorkflowRunInput {
        client_token: Some(token),
        ..CreateWorkflowRunInput::new("once", "nova-act-latest")
    };
    let first = client.create_workflow_run(run.clone()).await.unwrap();
    let second = client.create_workflow_run(run).await.unwrap();
    assert_eq!(first.workflow_run_id, second.workflow_run_id);
    assert_eq!(emulator.created().runs, 1);
    assert_eq!(emulator.created().definitions, 1);
}

#[tokio::test]
async fn finished_runs_and_acts_refuse_updates() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = iam(&emulator, emulator.access_key());
    define(&client, "flow").await;
    let run = client
        .create_workflow_run(CreateWorkflowRunInput::new("flow", "nova-act-latest"))
        .await
        .unwrap();
    let finish = UpdateWorkflowRunInput {
        workflow_definition_name: "flow".into(),
        workflow_run_id: run.workflow_run_id.clone(),
        status: WorkflowRunStatus::Succeeded,
    };
    client.update_workflow_run(finish.clone()).await.unwrap();
    let err = client.update_workflow_run(finish).await.unwrap_err();
    assert!(invalid_status(&err), "{err}");
    let err = client
        .create_session(CreateSessionInput {
            workflow_definition_name: "flow".into(),
            workflow_run_id: run.workflow_run_id,
            client_token: None,
        })
        .await
        .unwrap_err();
    assert!(invalid_status(&err), "{err}");
    let err = client
        .create_workflow_run(CreateWorkflowRunInput::new("flow", "no-such-model"))
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Validation { .. }), "{err}");
}

/// Whether the service refused for the resource's state (`ValidationException`, reason
/// `InvalidStatus`).
fn invalid_status(err: &Error) -> bool {
    matches!(
        err,
        Error::Validation {
            reason: ValidationExceptionReason::InvalidStatus,
            ..
        }
    )
}

#[tokio::test]
async fn listings_page_with_opaque_tokens() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = iam(&emulator, emulator.access_key());
    for i in 0..7 {
        define(&client, &format!("flow-{i}")).await;
    }
    let first = client
        .list_workflow_definitions(ListWorkflowDefinitionsInput {
            max_results: Some(3),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(first.workflow_definition_summaries.len(), 3);
    assert!(first.next_token.is_some());
    let all: Vec<_> = client
        .workflow_definitions(ListWorkflowDefinitionsInput {
            max_results: Some(3),
            sort_order: Some(SortOrder::Descending),
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(all[0].workflow_definition_name, "flow-6");
}

/// A page that types into a field and reports what was typed.
#[derive(Default)]
struct FormPage {
    typed: Vec<String>,
}

#[async_trait::async_trait]
impl Actuator for FormPage {
    async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError> {
        match action {
            BrowserAction::TakeObservation => {
                Ok(json!(Observation::blank("http://127.0.0.1/form")))
            }
            BrowserAction::Type { value, .. } => {
                self.typed.push(value);
                Ok(Value::Null)
            }
            _ => Ok(Value::Null),
        }
    }
}

#[tokio::test]
async fn a_whole_workflow_with_a_scripted_planner() {
    let planner = ScriptedPlanner::new().script(
        "sign up",
        vec![
            vec![(
                "agentType",
                json!(["ada@example.com", "<bbox>10,10,200,40</bbox>", {"pressEnter": true}]),
            )],
            vec![("return", json!(["signed up"]))],
        ],
    );
    let emulator = Emulator::builder().planner(planner).start().await.unwrap();
    // The API-key service has `default` built in; on the AWS service it is created like any other.
    define(&iam(&emulator, emulator.access_key()), "default").await;
    for client in [
        iam(&emulator, emulator.access_key()),
        api_key(&emulator, emulator.api_key()),
    ] {
        let (value, typed) = Workflow::new(&client)
            .definition("default")
            .run(|run| async move {
                let mut session = run.session(FormPage::default()).await?;
                let result = session.act("Sign up for the newsletter").await?;
                Ok::<_, nova_act_core::runtime::ActError>((
                    result.value,
                    session.actuator().typed.clone(),
                ))
            })
            .await
            .unwrap();
        assert_eq!(value, Some(json!("signed up")));
        assert_eq!(typed, ["ada@example.com"]);
    }
    // The fallback plan: observe, then return the page's URL.
    let client = iam(&emulator, emulator.access_key());
    let url = Workflow::new(&client)
        .definition("default")
        .act_once(FormPage::default(), "What page is this?")
        .await
        .unwrap();
    assert_eq!(url.value, Some(json!("http://127.0.0.1/form")));
    assert_eq!(emulator.created().runs, 3);
}

/// The policy `nova-act permissions --workflow NAME` prints lets the SDK run a whole workflow
/// under that definition, and nothing beyond it.
#[tokio::test]
async fn the_printed_policy_is_enough_for_the_sdk_workflow() {
    use nova_act_core::iam::{PolicyScope, policy};

    let admin = nova_emulator::generate_access_key();
    let worker = nova_emulator::generate_access_key();
    let printed = policy(&PolicyScope {
        workflow: Some("nightly".into()),
        ..Default::default()
    });
    let emulator = Emulator::builder()
        .access_key(admin.clone())
        .access_key(worker.clone())
        .policy(
            &worker.access_key_id,
            Policy::from_json(&printed.to_string()).unwrap(),
        )
        .start()
        .await
        .unwrap();
    for name in ["nightly", "other"] {
        define(&iam(&emulator, &admin), name).await;
    }
    let client = iam(&emulator, &worker);
    client.list_models(()).await.unwrap();
    let result = Workflow::new(&client)
        .definition("nightly")
        .act_once(FormPage::default(), "What page is this?")
        .await
        .unwrap();
    assert_eq!(result.value, Some(json!("http://127.0.0.1/form")));
    client
        .list_workflow_runs(ListWorkflowRunsInput {
            workflow_definition_name: "nightly".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    // Outside the scope: another definition, and deleting.
    let elsewhere = CreateWorkflowRunInput::new("other", "nova-act-latest");
    let refused = [
        client.create_workflow_run(elsewhere).await.map(drop),
        client.delete_workflow_definition("nightly").await.map(drop),
    ];
    for refused in refused {
        assert!(
            matches!(refused, Err(Error::AccessDenied { .. })),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn stale_signatures_and_missing_session_tokens_are_refused() {
    let temporary = AccessKey {
        session_token: Some("the-session-token".into()),
        ..nova_emulator::generate_access_key()
    };
    let emulator = Emulator::builder()
        .access_key(temporary.clone())
        .start()
        .await
        .unwrap();
    let signed_by = |token: Option<&str>, clock: nova_auth::ManualClock| {
        let credentials = AwsCredentials::new(
            &temporary.access_key_id,
            temporary.secret_access_key.as_str(),
            token.map(nova_auth::Secret::new),
            Source::Code,
        );
        Client::builder()
            .credentials_provider(nova_auth::Credentials::from(credentials), AuthMode::Iam)
            .endpoint_url(emulator.url())
            .env(Env::empty())
            .retry(RetryConfig::disabled())
            .clock(clock)
            .build()
            .unwrap()
    };
    let now = std::time::SystemTime::now();
    let ok = signed_by(Some("the-session-token"), nova_auth::ManualClock::new(now));
    ok.list_models(()).await.unwrap();
    let stale = signed_by(
        Some("the-session-token"),
        nova_auth::ManualClock::new(now - std::time::Duration::from_secs(600)),
    );
    let err = stale.list_models(()).await.unwrap_err();
    assert_eq!(
        err.meta().unwrap().name,
        "InvalidSignatureException",
        "{err}"
    );
    assert!(err.to_string().contains("Signature expired"), "{err}");
    let tokenless = signed_by(None, nova_auth::ManualClock::new(now));
    let err = tokenless.list_models(()).await.unwrap_err();
    assert_eq!(
        err.meta().unwrap().name,
        "UnrecognizedClientException",
        "{err}"
    );
}

#[tokio::test]
async fn a_burst_of_malformed_requests_gets_4xx_and_the_service_keeps_serving() {
    let emulator = Emulator::builder().start().await.unwrap();
    let http = nova_act_core::tls::http_client().build().unwrap();
    let url = emulator.url().to_owned();
    let key = emulator.api_key().to_owned();
    let mut statuses = Vec::new();
    let requests = vec![
        http.put(format!(
            "{url}/agent/workflow-definitions/default/workflow-runs"
        ))
        .bearer_auth(&key)
        .body("{not json"),
        http.put(format!(
            "{url}/agent/workflow-definitions/default/workflow-runs"
        ))
        .bearer_auth(&key)
        .body("[1, 2, 3]"),
        http.put(format!(
            "{url}/agent/workflow-definitions/default/workflow-runs"
        ))
        .bearer_auth(&key)
        .body(r#"{"modelId": 5}"#),
        http.put(format!("{url}/agent/no/such/path"))
            .bearer_auth(&key)
            .body("{}"),
        http.get(format!(
            "{url}/agent/workflow-definitions/default/workflow-runs"
        ))
        .bearer_auth(&key),
        http.put(format!(
            "{url}/agent/workflow-definitions/default/workflow-runs"
        ))
        .body("{}"),
        http.put(format!(
            "{url}/agent/workflow-definitions/default/workflow-runs"
        ))
        .bearer_auth("wrong")
        .body("{}"),
        http.post(format!("{url}/models?clientCompatibilityVersion=1"))
            .header("authorization", "AWS4-HMAC-SHA256 garbage"),
        http.post(format!("{url}/models?clientCompatibilityVersion=1")),
        http.delete(format!("{url}/nothing-here")),
        http.put(format!(
            "{url}/agent/workflow-definitions/default/workflow-runs"
        ))
        .bearer_auth(&key)
        .body(vec![b'x'; nova_emulator::BODY_LIMIT + 1]),
        http.post(format!("{url}/")).body("Action=AssumeRole"),
    ];
    for request in requests {
        statuses.push(request.send().await.unwrap().status().as_u16());
    }
    assert!(
        statuses.iter().all(|s| (400..500).contains(s)),
        "{statuses:?}"
    );
    let client = api_key(&emulator, &key);
    client
        .create_workflow_run(CreateWorkflowRunInput::new("default", "nova-act-latest"))
        .await
        .unwrap();
}

#[tokio::test]
async fn scripts_load_from_a_json_file() {
    let dir = std::env::temp_dir().join(format!("nova-emulator-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("script.json");
    std::fs::write(
        &path,
        r#"{"scripts": [{"task": "greet", "steps": [[{"name": "return", "input": ["hello"]}]]}]}"#,
    )
    .unwrap();
    let planner = ScriptedPlanner::from_file(&path).unwrap();
    let emulator = Emulator::builder().planner(planner).start().await.unwrap();
    let client = api_key(&emulator, emulator.api_key());
    let result = Workflow::new(&client)
        .act_once(FormPage::default(), "Greet the user")
        .await
        .unwrap();
    assert_eq!(result.value, Some(json!("hello")));
    assert!(ScriptedPlanner::from_file(&dir.join("missing.json")).is_err());
    std::fs::remove_dir_all(dir).unwrap();
}

fn uuid_like() -> String {
    format!("{}-{:?}", std::process::id(), std::thread::current().id()).replace(['(', ')'], "")
}

/// Issue 7's "nothing duplicated": every create's first response is lost after the service
/// carried it out; the SDK retries with the same clientToken, and the emulator ends up with
/// exactly one run, one session and one act.
#[tokio::test]
async fn lost_create_responses_are_retried_without_duplicates() {
    let emulator = Emulator::builder()
        .drop_first_create_response()
        .start()
        .await
        .unwrap();
    let client = builder(&emulator, aws(emulator.access_key()), AuthMode::Iam)
        .retry(RetryConfig {
            base_delay: std::time::Duration::from_millis(5),
            ..RetryConfig::default()
        })
        .build()
        .unwrap();
    define(&client, "default").await;
    let result = Workflow::new(&client)
        .definition("default")
        .act_once(FormPage::default(), "What page is this?")
        .await
        .unwrap();
    assert_eq!(result.value, Some(json!("http://127.0.0.1/form")));
    assert_eq!(
        emulator.lost_responses(),
        [
            "CreateWorkflowDefinition",
            "CreateWorkflowRun",
            "CreateSession",
            "CreateAct"
        ]
    );
    let created = emulator.created();
    assert_eq!(
        (
            created.definitions,
            created.runs,
            created.sessions,
            created.acts
        ),
        (1, 1, 1, 1)
    );
}

/// Hands out the next of `keys` on every load, each valid for ten minutes of `clock`.
#[derive(Debug)]
struct Rotating {
    keys: Vec<AccessKey>,
    loads: std::sync::atomic::AtomicUsize,
    clock: nova_auth::ManualClock,
}

#[async_trait::async_trait]
impl nova_auth::CredentialProvider for Rotating {
    async fn credentials(&self) -> Result<nova_auth::Credentials, nova_auth::CredentialsError> {
        use nova_auth::Clock;
        let n = self.loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let key = &self.keys[n % self.keys.len()];
        let expiry = self.clock.now() + std::time::Duration::from_secs(600);
        Ok(AwsCredentials::new(
            &key.access_key_id,
            key.secret_access_key.as_str(),
            None,
            Source::Code,
        )
        .with_expiry(Some(expiry))
        .into())
    }
}

/// Records the access key id of every credentials answer.
#[derive(Debug)]
struct Recorder {
    inner: nova_auth::CachedProvider,
    used: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

#[async_trait::async_trait]
impl nova_auth::CredentialProvider for Recorder {
    async fn credentials(&self) -> Result<nova_auth::Credentials, nova_auth::CredentialsError> {
        let credentials = self.inner.credentials().await?;
        let id = credentials
            .as_aws()
            .map(|aws| aws.access_key_id().to_owned());
        self.used.lock().unwrap().push(id.unwrap_or_default());
        Ok(credentials)
    }
}

/// Moves the clock 20 minutes on at the act's first `wait`: the credentials expire mid-run.
struct Expiring {
    clock: nova_auth::ManualClock,
    waits: usize,
}

#[async_trait::async_trait]
impl Actuator for Expiring {
    async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError> {
        if let BrowserAction::Wait { .. } = action {
            self.waits += 1;
            if self.waits == 1 {
                self.clock.advance(std::time::Duration::from_secs(20 * 60));
            }
        }
        Ok(json!(Observation::blank("http://127.0.0.1/")))
    }
}

/// Credentials that expire in the middle of a workflow run: the cache loads new ones between
/// two steps, every later call is signed with them, and no call fails.
#[tokio::test]
async fn credentials_expiring_mid_run_are_refreshed_and_no_call_fails() {
    let (first, second) = (
        nova_emulator::generate_access_key(),
        nova_emulator::generate_access_key(),
    );
    let planner = ScriptedPlanner::new().script(
        "outlive",
        vec![
            vec![("wait", json!([0]))],
            vec![("wait", json!([0]))],
            vec![("return", json!(["done"]))],
        ],
    );
    let emulator = Emulator::builder()
        .access_key(first.clone())
        .access_key(second.clone())
        .planner(planner)
        .start()
        .await
        .unwrap();
    let clock = nova_auth::ManualClock::new(std::time::SystemTime::now());
    let rotating = Rotating {
        keys: vec![first.clone(), second.clone()],
        loads: Default::default(),
        clock: clock.clone(),
    };
    let used = std::sync::Arc::default();
    let recorder = Recorder {
        inner: nova_auth::CachedProvider::new(rotating).with_clock(clock.clone()),
        used: std::sync::Arc::clone(&used),
    };
    let client = builder(&emulator, recorder, AuthMode::Iam)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    define(&client, "default").await;
    let result = Workflow::new(&client)
        .definition("default")
        .act_once(Expiring { clock, waits: 0 }, "outlive the credentials")
        .await
        .unwrap();
    assert_eq!(result.value, Some(json!("done")));
    let used = used.lock().unwrap().clone();
    // Definition, run, session, act and the first step with the first key; the two steps after
    // the expiry, UpdateAct and UpdateWorkflowRun with the second (a third load would have
    // handed out the first key again).
    let switch = used
        .iter()
        .position(|id| *id == second.access_key_id)
        .unwrap();
    assert_eq!(switch, 5, "{used:?}");
    assert!(used[..switch].iter().all(|id| *id == first.access_key_id));
    assert!(used[switch..].iter().all(|id| *id == second.access_key_id));
    assert_eq!(used.len(), 9, "{used:?}");
}

/// Paths and queries that canonicalization must encode are verified by aws-sigv4's general
/// path: a correct signature is accepted, a wrong one refused.
#[tokio::test]
async fn signatures_over_encoded_paths_take_the_general_path() {
    let emulator = Emulator::builder().start().await.unwrap();
    let key = emulator.access_key();
    let send = |secret: &str, path: &str| {
        let aws = AwsCredentials::new(&key.access_key_id, secret, None, Source::Code);
        let url = format!("{}{path}", emulator.url());
        let mut signed = http::Request::get(&url).body(Vec::new()).unwrap();
        nova_act_core::sign_request(
            &mut signed,
            &aws,
            emulator.region(),
            std::time::SystemTime::now(),
        )
        .unwrap();
        let (parts, _) = signed.into_parts();
        async move {
            nova_act_core::tls::http_client()
                .build()
                .unwrap()
                .get(url)
                .headers(parts.headers)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let secret = key.secret_access_key.clone();
    // Authenticated, then refused as invalid (400) or not found (404): the signature held.
    assert_eq!(send(&secret, "/workflow-definitions/a%20b").await, 400);
    assert_eq!(
        send(&secret, "/workflow-definitions/x?b=2&a=%2F").await,
        404
    );
    assert_eq!(emulator.general_signature_checks(), 2);
    assert_eq!(send("wrong", "/workflow-definitions/a%20b").await, 403);
    assert_eq!(send("wrong", "/workflow-definitions/plain").await, 403);
}
