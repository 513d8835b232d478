//! The act features Python SDK users rely on, end to end through the emulator's planner:
//! structured answers, a person in the loop and guardrails. Each act's ending (status and the
//! error UpdateAct recorded) is read back from the emulator.

mod support;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use nova_act_core::Client;
use nova_act_core::model::{ActStatus, Call, CallResult};
use nova_act_core::runtime::*;
use nova_emulator::{
    ActState, ActView, Emulator, Planner, Quotas, RunningEmulator, ScriptedPlanner, call,
};
use serde_json::{Value, json};
use support::*;

/// A page at a URL that a click may change, as a browser's would.
#[derive(Debug)]
struct Page {
    url: String,
    after_click: Option<String>,
    visited: Vec<String>,
}

impl Page {
    fn at(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            after_click: None,
            visited: Vec::new(),
        }
    }
}

#[async_trait]
impl Actuator for Page {
    async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError> {
        match action {
            BrowserAction::TakeObservation => {
                let mut observed = Observation::blank(&self.url);
                observed.screenshot_base64 = "data:image/jpeg;base64,U0hPVA==".to_owned();
                Ok(json!(observed))
            }
            BrowserAction::GoToUrl { url } => {
                self.visited.push(url.clone());
                self.url = url;
                Ok(Value::Null)
            }
            BrowserAction::Click { .. } => {
                if let Some(next) = self.after_click.take() {
                    self.url = next;
                }
                Ok(Value::Null)
            }
            _ => Ok(Value::Null),
        }
    }

    async fn current_url(&mut self) -> Option<String> {
        Some(self.url.clone())
    }
}

async fn start(planner: impl Planner) -> (RunningEmulator, Client) {
    let emulator = Emulator::builder().planner(planner).start().await.unwrap();
    let client = iam(&emulator, emulator.access_key());
    define(&client, "acts").await;
    (emulator, client)
}

/// Runs `body` in a session on `page` under a fresh run.
async fn session<T, F>(client: &Client, page: Page, body: F) -> Result<T, ActError>
where
    F: AsyncFnOnce(&mut Session<Page>) -> Result<T, ActError>,
{
    let run = Workflow::new(client)
        .definition("acts")
        .run(|run| async move {
            let mut session = run.session(page).await?;
            body(&mut session).await
        })
        .await;
    run.map_err(|err| match err {
        WorkflowError::Body(err) => err,
        other => panic!("the run failed: {other}"),
    })
}

fn last_act(emulator: &RunningEmulator) -> ActState {
    emulator.acts().pop().expect("an act")
}

fn ending(state: &ActState) -> (ActStatus, Option<String>, Option<String>) {
    let error = state.error.clone();
    (
        state.status.clone(),
        error.as_ref().and_then(|e| e.error_type.clone()),
        error.map(|e| e.message),
    )
}

#[tokio::test]
async fn structured_answers_are_checked_parsed_and_carry_their_metadata() {
    let planner = ScriptedPlanner::new()
        .script(
            "price",
            vec![vec![(
                "return",
                json!([r#"{"amount": 3.5, "currency": "EUR"}"#]),
            )]],
        )
        .script(
            "vague",
            vec![vec![("return", json!(["about three euros"]))]],
        );
    let (emulator, client) = start(planner).await;
    let schema = json!({
        "type": "object",
        "properties": {"amount": {"type": "number"}, "currency": {"type": "string"}},
        "required": ["amount", "currency"]
    });

    let result = session(&client, Page::at("http://127.0.0.1/shop"), async |s| {
        s.act_get("Find the price", schema.clone()).await
    })
    .await
    .unwrap();
    assert_eq!(
        result.value,
        Some(json!({"amount": 3.5, "currency": "EUR"}))
    );
    let act = last_act(&emulator);
    assert_eq!(result.act_id, act.act_id);
    assert_eq!(
        act.view.task,
        format!("Find the price, format output with jsonschema: {schema}")
    );
    assert_eq!(result.steps, 1);
    assert_eq!(result.step_latencies.len(), 1);
    assert!(!result.session_id.is_empty());
    assert!(result.ended_at >= result.started_at);
    assert_eq!(result.human_wait, std::time::Duration::ZERO);
    assert_eq!(
        result.time_worked(),
        result.ended_at.duration_since(result.started_at).unwrap()
    );

    // A typed answer: the schema comes from the type.
    #[derive(Debug, PartialEq, serde::Deserialize, schemars::JsonSchema)]
    struct Price {
        amount: f64,
        currency: String,
    }
    let (price, _) = session(&client, Page::at("http://127.0.0.1/shop"), async |s| {
        s.act_as::<Price>("What is the price?").await
    })
    .await
    .unwrap();
    assert_eq!(
        price,
        Price {
            amount: 3.5,
            currency: "EUR".into()
        }
    );
    assert!(last_act(&emulator).view.task.contains("\"$schema\""));

    // An answer that does not match: a typed error with the raw answer, and a FAILED act.
    let err = session(&client, Page::at("http://127.0.0.1/shop"), async |s| {
        s.act_get("Be vague", schema.clone()).await
    })
    .await
    .unwrap_err();
    let ActError::AnswerMismatch { act_id, mismatch } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(mismatch.raw, "about three euros");
    assert!(
        mismatch.errors[0].starts_with("it is not JSON"),
        "{mismatch}"
    );
    let act = last_act(&emulator);
    assert_eq!(&act.act_id, act_id);
    let (status, kind, message) = ending(&act);
    assert_eq!(status, ActStatus::Failed);
    assert_eq!(kind.as_deref(), Some("ActInvalidModelGenerationError"));
    assert!(message.unwrap().contains("about three euros"));

    // The string schema takes any text.
    let result = session(&client, Page::at("http://127.0.0.1/shop"), async |s| {
        s.act(ActRequest::new("Be vague").schema(AnswerSchema::string()))
            .await
    })
    .await
    .unwrap();
    assert_eq!(result.value, Some(json!("about three euros")));

    // An invalid schema is refused before any act is created.
    let acts = emulator.created().acts;
    let err = session(&client, Page::at("http://127.0.0.1/shop"), async |s| {
        s.act_get("Find the price", json!({"type": "money"})).await
    })
    .await
    .unwrap_err();
    assert!(matches!(err, ActError::InvalidSchema(_)), "{err:?}");
    assert!(err.to_string().contains("not a valid JSON Schema"), "{err}");
    assert_eq!(emulator.created().acts, acts);
}

/// Asks for approval when the tool is offered, and reports what it got back.
struct AsksFirst;

impl Planner for AsksFirst {
    fn plan(&self, act: &ActView, step: usize, results: &[CallResult]) -> Vec<Call> {
        let offered = act.tools.iter().any(|t| t.name == APPROVE_TOOL);
        let asks_anyway = act.task.contains("anyway");
        match step {
            0 if offered || asks_anyway => {
                vec![call(
                    0,
                    0,
                    APPROVE_TOOL,
                    json!({"message": "Pay 3.50 EUR?"}),
                )]
            }
            0 => vec![call(0, 0, "return", json!(["no one to ask"]))],
            _ => {
                let answer = results
                    .iter()
                    .find_map(|r| r.content.first()?.text.clone())
                    .unwrap_or_default();
                vec![call(step, 0, "return", json!([answer]))]
            }
        }
    }
}

/// What a person was shown: the message, the act id and the screenshot.
type Shown = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

/// A person who gives one answer to approvals, and records what they were shown.
#[derive(Debug)]
struct Person {
    approve: Approval,
    seen: Shown,
}

#[async_trait]
impl HumanInput for Person {
    async fn approve(&self, request: HumanRequest<'_>) -> Approval {
        self.seen.lock().unwrap().push((
            request.message.to_owned(),
            request.act_id.to_owned(),
            request.screenshot.map(str::to_owned),
        ));
        self.approve
    }

    async fn ui_takeover(&self, _request: HumanRequest<'_>) -> Takeover {
        Takeover::Complete
    }
}

#[tokio::test]
async fn a_person_in_the_loop_approves_or_cancels_and_is_offered_only_when_present() {
    let (emulator, client) = start(AsksFirst).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    // Pays, with a person at hand who answers `approve`.
    let pay = async |approve| {
        let seen = seen.clone();
        session(&client, Page::at("http://127.0.0.1/pay"), async |s| {
            s.human_input(Person { approve, seen });
            s.act("Pay for the order").await
        })
        .await
    };

    // Approved: the agent gets `yes`, the time waited is recorded.
    let result = pay(Approval::Yes).await.unwrap();
    assert_eq!(result.value, Some(json!("\"yes\"")));
    assert!(result.human_wait > std::time::Duration::ZERO);
    assert!(result.time_worked() < result.ended_at.duration_since(result.started_at).unwrap());
    let act = last_act(&emulator);
    let offered: Vec<&str> = act.view.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(offered, [APPROVE_TOOL, UI_TAKEOVER_TOOL]);
    {
        let seen = seen.lock().unwrap();
        let (message, act_id, screenshot) = &seen[0];
        assert_eq!(message, "Pay 3.50 EUR?");
        assert_eq!(act_id, &result.act_id);
        assert_eq!(
            screenshot.as_deref(),
            Some("data:image/jpeg;base64,U0hPVA==")
        );
    }

    // Cancelled: a typed error, and a FAILED act.
    let err = pay(Approval::Cancel).await.unwrap_err();
    assert!(
        matches!(&err, ActError::HumanCanceled { tool, message, .. } if *tool == APPROVE_TOOL && message == "Pay 3.50 EUR?"),
        "{err:?}"
    );
    let (status, kind, _) = ending(&last_act(&emulator));
    assert_eq!(status, ActStatus::Failed);
    assert_eq!(kind.as_deref(), Some("ApproveCanceledError"));

    // No person: the tools are not offered, and a call to one anyway is a failed call the agent
    // sees, as for any tool nobody offered.
    let result = session(&client, Page::at("http://127.0.0.1/pay"), async |s| {
        s.act("Pay for the order").await
    })
    .await
    .unwrap();
    assert_eq!(result.value, Some(json!("no one to ask")));
    assert!(last_act(&emulator).view.tools.is_empty());
    let result = session(&client, Page::at("http://127.0.0.1/pay"), async |s| {
        s.act("Pay for the order anyway").await
    })
    .await
    .unwrap();
    let answer = result.value.unwrap();
    assert!(
        answer.as_str().unwrap().starts_with("UnknownTool: "),
        "{answer}"
    );
}

/// Never finishes: looks at the page again, step after step.
struct Wanders;

impl Planner for Wanders {
    fn plan(&self, _act: &ActView, step: usize, _results: &[CallResult]) -> Vec<Call> {
        vec![call(step, 0, "takeObservation", json!([]))]
    }
}

#[tokio::test]
async fn the_services_step_limit_ends_the_act_with_one_error() {
    // The service's quotas with a step limit of 3 rather than 200, so that the act meets it
    // within its own max_steps (which the SDK keeps below 200).
    let emulator = Emulator::builder()
        .planner(Wanders)
        .quotas(Quotas::service().steps_per_act(3))
        .start()
        .await
        .unwrap();
    let client = iam(&emulator, emulator.access_key());
    define(&client, "acts").await;
    let err = session(&client, Page::at("https://shop.example.com/"), async |s| {
        s.act(ActRequest::new("look around").max_steps(10)).await
    })
    .await
    .unwrap_err();
    let ActError::StepLimit { act_id, source } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(err.code(), "ActExceededMaxStepsError");
    assert!(
        err.to_string()
            .contains("reached the service's limit of 200 steps per act"),
        "{err}"
    );
    assert_eq!(source.meta().unwrap().name, "ValidationException");
    let state = last_act(&emulator);
    assert_eq!(&state.act_id, act_id);
    assert_eq!(
        ending(&state),
        (
            ActStatus::Failed,
            Some("ActExceededMaxStepsError".to_owned()),
            Some("reached the service's limit of 200 steps per act".to_owned())
        )
    );
}

#[tokio::test]
async fn guardrails_block_before_a_navigation_and_after_an_action() {
    let planner = ScriptedPlanner::new()
        .script(
            "open the admin page",
            vec![vec![("goToUrl", json!(["https://shop.example.com/admin"]))]],
        )
        .script(
            "click through",
            vec![
                vec![("agentClick", json!(["<bbox>1,1,10,10</bbox>"]))],
                vec![("return", json!(["clicked"]))],
            ],
        );
    let (emulator, client) = start(planner).await;
    let policy = || {
        UrlPolicy::new()
            .allow("*.example.com")
            .unwrap()
            .block("*.example.com/admin")
            .unwrap()
    };

    // Before a navigation: the browser never goes there.
    let (err, visited) = session(&client, Page::at("https://shop.example.com/"), async |s| {
        s.guardrail(policy());
        let err = s.act("Open the admin page").await.unwrap_err();
        Ok((err, s.actuator().visited.clone()))
    })
    .await
    .unwrap();
    assert!(
        matches!(&err, ActError::Blocked { url, .. } if url == "https://shop.example.com/admin"),
        "{err:?}"
    );
    assert!(visited.is_empty(), "{visited:?}");
    let (status, kind, _) = ending(&last_act(&emulator));
    assert_eq!(
        (status, kind.as_deref()),
        (ActStatus::Failed, Some("ActStateGuardrailError"))
    );

    // After an action that lands on a blocked page.
    let mut page = Page::at("https://shop.example.com/");
    page.after_click = Some("https://tracker.elsewhere.net/".to_owned());
    let err = session(&client, page, async |s| {
        s.guardrail(policy());
        s.act("Click through").await
    })
    .await
    .unwrap_err();
    assert!(
        matches!(&err, ActError::Blocked { url, .. } if url == "https://tracker.elsewhere.net/"),
        "{err:?}"
    );

    // A guardrail that passes changes nothing; so does a closure guardrail.
    let result = session(&client, Page::at("https://shop.example.com/"), async |s| {
        s.guardrail(|_: &PageState<'_>| Decision::Pass);
        s.act("Click through").await
    })
    .await
    .unwrap();
    assert_eq!(result.value, Some(json!("clicked")));

    // The starting page is checked too: a file:// page is blocked unless its folder is allowed.
    let err = session(&client, Page::at("file:///etc/passwd"), async |s| {
        s.guardrail(UrlPolicy::new());
        s.act("Click through").await
    })
    .await
    .unwrap_err();
    assert!(matches!(err, ActError::Blocked { .. }), "{err:?}");
}

/// Flags typing into the field at `<bbox>0,0,1,1</bbox>` as a password, as a browser does for
/// an `input[type=password]`.
#[derive(Debug)]
struct Login(Page);

#[async_trait]
impl Actuator for Login {
    async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError> {
        if let BrowserAction::Type { target, .. } = &action
            && target.right <= 1.0
        {
            return Ok(json!({ SENSITIVE: true }));
        }
        self.0.browser(action).await
    }
}

#[tokio::test]
async fn traces_hold_each_step_and_never_a_password() {
    let planner = ScriptedPlanner::new().script(
        "sign in",
        vec![
            vec![
                ("agentType", json!(["ada", "<bbox>5,5,9,9</bbox>"])),
                (
                    "agentType",
                    json!(["correct horse battery", "<bbox>0,0,1,1</bbox>"]),
                ),
                ("takeObservation", json!([])),
            ],
            vec![("return", json!(["signed in"]))],
        ],
    );
    let (emulator, client) = start(planner).await;
    let logs = tempfile::tempdir().unwrap();
    let path = logs.path().to_owned();

    let run = Workflow::new(&client)
        .definition("acts")
        .run(|run| async move {
            let mut session = run
                .session(Login(Page::at("http://127.0.0.1/login")))
                .await?;
            session.logs_dir(&path).unwrap();
            let result = session.act("Sign in as ada").await?;
            Ok::<_, ActError>((result, session.id().to_owned()))
        })
        .await
        .unwrap();
    let (result, session_id) = run;
    let files = result.trace.clone().expect("a trace");
    assert_eq!(
        files.json,
        logs.path()
            .join(&session_id)
            .join(format!("act_{}_traces.json", result.act_id))
    );
    let json_text = std::fs::read_to_string(&files.json).unwrap();
    let html = std::fs::read_to_string(&files.html).unwrap();
    for text in [&json_text, &html] {
        assert!(!text.contains("correct horse battery"), "{text}");
        assert!(!text.contains(emulator.access_key().secret_access_key.as_str()));
    }
    let trace: Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(trace["actId"], result.act_id.as_str());
    assert_eq!(trace["ending"], "SUCCEEDED");
    assert_eq!(trace["answer"], "signed in");
    let steps = trace["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0]["observation"]["url"], "http://127.0.0.1/login");
    assert_eq!(
        steps[0]["observation"]["screenshot"],
        "data:image/jpeg;base64,U0hPVA=="
    );
    let calls: Vec<(&str, &Value)> = steps[0]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), &c["input"]))
        .collect();
    assert_eq!(
        calls[0],
        ("agentType", &json!(["ada", "<bbox>5,5,9,9</bbox>"]))
    );
    assert_eq!(calls[1], ("agentType", &json!(nova_auth::REDACTED)));
    assert_eq!(calls[2].0, "takeObservation");
    assert!(html.contains("<img alt=\"screenshot\" src=\"data:image/jpeg;base64,U0hPVA==\">"));

    // Beside it, the Python SDK's trajectory file: its name, its schema, the same redaction.
    let trajectory = files.trajectory.clone().expect("a trajectory");
    assert_eq!(
        trajectory,
        logs.path().join(&session_id).join(format!(
            "act_{}_Sign_in_as_ada_trajectory.json",
            result.act_id
        ))
    );
    let text = std::fs::read_to_string(&trajectory).unwrap();
    assert!(!text.contains("correct horse battery"), "{text}");
    let value: Value = serde_json::from_str(&text).unwrap();
    trajectory_schema().check(&value).unwrap();
    assert!(
        trajectory_schema()
            .check(&json!({"prompt": 1, "steps": []}))
            .is_err()
    );
    let read = Trajectory::read(&trajectory).unwrap();
    assert_eq!(read.prompt, "Sign in as ada");
    assert_eq!(read.steps.len(), 2);
    assert_eq!(read.steps[0].active_url, "http://127.0.0.1/login");
    assert_eq!(read.steps[0].image, "data:image/jpeg;base64,U0hPVA==");
    let calls = &read.steps[0].program.calls;
    assert_eq!(
        Value::Object(calls[0].kwargs.clone()),
        json!({"value": "ada", "box": "<bbox>5,5,9,9</bbox>", "pressEnter": false})
    );
    assert_eq!(calls[1].kwargs["value"], nova_auth::REDACTED);
    assert!(!calls[0].is_tool && !calls[0].is_return);
    let metadata = read.metadata.unwrap();
    assert_eq!(metadata.act_id, result.act_id);
    assert_eq!(metadata.session_id, session_id);
    assert_eq!(metadata.num_steps_executed, 2);
    assert_eq!(metadata.step_server_times_s.len(), 2);
    assert_eq!(metadata.workflow_definition_name.as_deref(), Some("acts"));
    assert!(metadata.workflow_run_id.is_some());
    assert!(metadata.start_time.unwrap() <= metadata.end_time.unwrap());

    // A folder that cannot be written is refused when it is set, before any act.
    let err = Workflow::new(&client)
        .definition("acts")
        .run(|run| async move {
            let mut session = run.session(Page::at("http://127.0.0.1/")).await?;
            Ok::<_, ActError>(
                session
                    .logs_dir("/proc/no-traces-here")
                    .map(drop)
                    .unwrap_err(),
            )
        })
        .await
        .unwrap();
    assert!(
        err.to_string()
            .contains("cannot write traces into /proc/no-traces-here"),
        "{err}"
    );
}

/// The JSON Schema written from the Python SDK's trajectory models.
fn trajectory_schema() -> AnswerSchema {
    let text = include_str!("../../nova-act-core/schemas/trajectory.schema.json");
    AnswerSchema::new(serde_json::from_str(text).unwrap()).unwrap()
}
