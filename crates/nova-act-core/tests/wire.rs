//! Every operation on the wire, against local fakes: method, path, query, body and headers, with a
//! SigV4 signature that verifies (IAM) or the API-key headers (API key).

mod support;

use std::fmt::Write as _;

use nova_act_core::model::*;
use nova_act_core::{Client, Error, Operation};
use nova_auth::{AuthMode, Credentials, ManualClock};
use serde::Serialize;
use support::*;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer, credentials: Credentials, mode: AuthMode) -> Client {
    Client::builder()
        .credentials_provider(credentials, mode)
        .endpoint_url(server.uri())
        .env(nova_auth::Env::empty())
        .clock(ManualClock::new(fixed_time()))
        .build()
        .unwrap()
}

/// Sends `input` to a fake that answers the model's sample output, and describes the request.
async fn exchange<O>(input: O, credentials: Credentials, mode: AuthMode) -> String
where
    O: Operation + Serialize,
    O::Output: Serialize,
{
    let model = model();
    let output_shape = model["operations"][O::NAME]["output"]["shape"]
        .as_str()
        .unwrap();
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(O::SUCCESS)
                .insert_header("x-amzn-RequestId", "req-1")
                .set_body_json(sample(&model, output_shape)),
        )
        .mount(&server)
        .await;
    client(&server, credentials, mode)
        .send(input)
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    if mode == AuthMode::Iam {
        verify_sigv4(request, SECRET_ACCESS_KEY, "us-east-1");
    }
    let mut out = format!(
        "{} {}",
        request.method,
        &request.url[url::Position::BeforePath..]
    );
    let mut names: Vec<&str> = request.headers.keys().map(|k| k.as_str()).collect();
    names.sort_unstable();
    for name in names {
        let value = request.headers.get(name).unwrap().to_str().unwrap();
        let shown = match name {
            "authorization" if value.starts_with("AWS4-HMAC-SHA256") => {
                "AWS4-HMAC-SHA256 (verified)".to_owned()
            }
            "host" => "127.0.0.1:[port]".to_owned(),
            "content-length" | "accept" => continue,
            _ => value.to_owned(),
        };
        write!(out, "\n  {name}: {shown}").unwrap();
    }
    if !request.body.is_empty() {
        let mut body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        if let Some(token) = body.get_mut("clientToken") {
            assert!(
                uuid::Uuid::parse_str(token.as_str().unwrap()).is_ok(),
                "clientToken is a UUID"
            );
            *token = "[uuid]".into();
        }
        write!(out, "\n  {body}").unwrap();
    }
    out
}

fn s() -> String {
    ID.to_owned()
}

#[tokio::test]
async fn every_operation_over_sigv4() {
    let c = aws_credentials;
    let iam = AuthMode::Iam;
    let tools = vec![ToolSpec {
        name: "lookup".into(),
        description: "Looks a thing up".into(),
        input_schema: ToolInputSchema {
            json: Some(serde_json::json!({"type": "object"})),
        },
    }];
    let requests = [
        exchange(
            CreateWorkflowDefinitionInput {
                name: "flow".into(),
                description: Some("d".into()),
                ..Default::default()
            },
            c(),
            iam,
        )
        .await,
        exchange(
            GetWorkflowDefinitionInput {
                workflow_definition_name: "flow".into(),
            },
            c(),
            iam,
        )
        .await,
        exchange(
            ListWorkflowDefinitionsInput {
                max_results: Some(10),
                next_token: Some("tok/en+1".into()),
                sort_order: Some(SortOrder::Descending),
            },
            c(),
            iam,
        )
        .await,
        exchange(
            DeleteWorkflowDefinitionInput {
                workflow_definition_name: "flow".into(),
            },
            c(),
            iam,
        )
        .await,
        exchange(
            CreateWorkflowRunInput::new("flow", "nova-act-latest"),
            c(),
            iam,
        )
        .await,
        exchange(
            GetWorkflowRunInput {
                workflow_definition_name: "flow".into(),
                workflow_run_id: s(),
            },
            c(),
            iam,
        )
        .await,
        exchange(
            ListWorkflowRunsInput {
                workflow_definition_name: "flow".into(),
                max_results: Some(5),
                ..Default::default()
            },
            c(),
            iam,
        )
        .await,
        exchange(
            UpdateWorkflowRunInput {
                workflow_definition_name: "flow".into(),
                workflow_run_id: s(),
                status: WorkflowRunStatus::Succeeded,
            },
            c(),
            iam,
        )
        .await,
        exchange(
            DeleteWorkflowRunInput {
                workflow_definition_name: "flow".into(),
                workflow_run_id: s(),
            },
            c(),
            iam,
        )
        .await,
        exchange(
            CreateSessionInput {
                workflow_definition_name: "flow".into(),
                workflow_run_id: s(),
                client_token: None,
            },
            c(),
            iam,
        )
        .await,
        exchange(
            ListSessionsInput {
                workflow_definition_name: "flow".into(),
                workflow_run_id: s(),
                ..Default::default()
            },
            c(),
            iam,
        )
        .await,
        exchange(
            CreateActInput {
                workflow_definition_name: "flow".into(),
                workflow_run_id: s(),
                session_id: s(),
                task: "Find the price".into(),
                tool_specs: Some(tools),
                client_token: None,
            },
            c(),
            iam,
        )
        .await,
        exchange(
            ListActsInput {
                workflow_definition_name: "flow".into(),
                workflow_run_id: Some(s()),
                session_id: Some(s()),
                max_results: Some(100),
                next_token: None,
                sort_order: Some(SortOrder::Ascending),
            },
            c(),
            iam,
        )
        .await,
        exchange(
            InvokeActStepInput {
                workflow_definition_name: "flow".into(),
                workflow_run_id: s(),
                session_id: s(),
                act_id: s(),
                call_results: vec![CallResult::text("initiateAct", "{}")],
                previous_step_id: None,
            },
            c(),
            iam,
        )
        .await,
        exchange(
            UpdateActInput {
                workflow_definition_name: "flow".into(),
                workflow_run_id: s(),
                session_id: s(),
                act_id: s(),
                status: ActStatus::Failed,
                error: Some(ActFailure {
                    message: "no such button".into(),
                    error_type: Some("ActAgentFailed".into()),
                }),
            },
            c(),
            iam,
        )
        .await,
        exchange(ListModelsInput::default(), c(), iam).await,
    ];
    insta::assert_snapshot!(requests.join("\n\n"));
}

#[tokio::test]
async fn data_plane_operations_with_an_api_key() {
    let k = api_key_credentials;
    let key = AuthMode::ApiKey;
    let requests = [
        exchange(
            CreateWorkflowRunInput::new("default", "nova-act-latest"),
            k(),
            key,
        )
        .await,
        exchange(
            CreateSessionInput {
                workflow_definition_name: "default".into(),
                workflow_run_id: s(),
                client_token: None,
            },
            k(),
            key,
        )
        .await,
        exchange(
            CreateActInput {
                workflow_definition_name: "default".into(),
                workflow_run_id: s(),
                session_id: s(),
                task: "Find the price".into(),
                ..Default::default()
            },
            k(),
            key,
        )
        .await,
        exchange(
            InvokeActStepInput {
                workflow_definition_name: "default".into(),
                workflow_run_id: s(),
                session_id: s(),
                act_id: s(),
                call_results: vec![CallResult::text("initiateAct", "{}")],
                previous_step_id: Some(s()),
            },
            k(),
            key,
        )
        .await,
        exchange(
            UpdateActInput {
                workflow_definition_name: "default".into(),
                workflow_run_id: s(),
                session_id: s(),
                act_id: s(),
                status: ActStatus::Succeeded,
                error: None,
            },
            k(),
            key,
        )
        .await,
        exchange(
            UpdateWorkflowRunInput {
                workflow_definition_name: "default".into(),
                workflow_run_id: s(),
                status: WorkflowRunStatus::Succeeded,
            },
            k(),
            key,
        )
        .await,
    ];
    let text = requests.join("\n\n").replace(API_KEY, "[the key]");
    insta::assert_snapshot!(text);
}

#[tokio::test]
async fn control_plane_operations_need_iam_and_fail_locally() {
    let server = MockServer::start().await;
    let client = client(&server, api_key_credentials(), AuthMode::ApiKey);
    let err = client.list_models(()).await.unwrap_err();
    assert!(matches!(
        err,
        Error::NeedsIam {
            operation: "ListModels"
        }
    ));
    insta::assert_snapshot!(err.to_string(), @"ListModels is only offered by the AWS Nova Act service, which needs IAM credentials; this client uses an API key. Configure AWS credentials and set NOVA_ACT_AUTH=iam (or remove NOVA_ACT_API_KEY)");
    let err = client.get_workflow_definition("flow").await.unwrap_err();
    assert!(matches!(err, Error::NeedsIam { .. }));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn invalid_input_fails_before_sending_naming_member_and_rule() {
    let server = MockServer::start().await;
    let client = client(&server, aws_credentials(), AuthMode::Iam);
    let cases = [
        client
            .get_workflow_definition("has space")
            .await
            .unwrap_err(),
        client
            .get_workflow_definition("x".repeat(41))
            .await
            .unwrap_err(),
        client
            .create_act(CreateActInput {
                workflow_definition_name: "flow".into(),
                workflow_run_id: s(),
                session_id: s(),
                task: String::new(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
        client
            .get_workflow_run(GetWorkflowRunInput {
                workflow_definition_name: "flow".into(),
                workflow_run_id: "run-1".into(),
            })
            .await
            .unwrap_err(),
        client
            .list_workflow_runs(ListWorkflowRunsInput {
                workflow_definition_name: "flow".into(),
                max_results: Some(0),
                ..Default::default()
            })
            .await
            .unwrap_err(),
        client
            .invoke_act_step(InvokeActStepInput {
                workflow_definition_name: "flow".into(),
                workflow_run_id: s(),
                session_id: s(),
                act_id: s(),
                call_results: Vec::new(),
                previous_step_id: None,
            })
            .await
            .unwrap_err(),
        client
            .create_workflow_run(CreateWorkflowRunInput {
                client_token: Some("short".into()),
                ..CreateWorkflowRunInput::new("flow", "nova-act-latest")
            })
            .await
            .unwrap_err(),
    ];
    let text: Vec<String> = cases.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(text.join("\n"), @r"
    invalid input: `workflowDefinitionName` of GetWorkflowDefinition may only contain [a-zA-Z0-9_-]
    invalid input: `workflowDefinitionName` of GetWorkflowDefinition must be 1..40 characters long (it is 41)
    invalid input: `task` of CreateAct must be 1..10000 characters long (it is 0)
    invalid input: `workflowRunId` of GetWorkflowRun must be a lowercase UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e
    invalid input: `maxResults` of ListWorkflowRuns must be 1..100 (it is 0)
    invalid input: `callResults` of InvokeActStep must have 1..100 items (it has 0)
    invalid input: `clientToken` of CreateWorkflowRun must be 33..256 characters long (it is 5)
    ");
    assert!(cases.iter().all(|e| matches!(e, Error::InvalidInput(_))));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn signed_requests_are_stable_for_a_fixed_clock_and_credentials() {
    let client = Client::builder()
        .credentials_provider(aws_credentials(), AuthMode::Iam)
        .env(nova_auth::Env::empty())
        .clock(ManualClock::new(fixed_time()))
        .build()
        .unwrap();
    let mut out = String::new();
    let step = InvokeActStepInput {
        workflow_definition_name: "flow".into(),
        workflow_run_id: s(),
        session_id: s(),
        act_id: s(),
        call_results: vec![CallResult::text("initiateAct", "{}")],
        previous_step_id: None,
    };
    for request in [
        client.signed_request(step).await.unwrap(),
        client
            .signed_request(ListModelsInput::default())
            .await
            .unwrap(),
    ] {
        write!(out, "{} {}", request.method(), request.uri()).unwrap();
        let mut headers: Vec<_> = request.headers().iter().collect();
        headers.sort_by_key(|(name, _)| name.as_str());
        for (name, value) in headers {
            write!(out, "\n  {name}: {}", value.to_str().unwrap()).unwrap();
        }
        write!(out, "\n  {}\n\n", String::from_utf8_lossy(request.body())).unwrap();
    }
    insta::assert_snapshot!(out);
}
