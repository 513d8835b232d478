//! The service's quotas and limits, enforced by default and answered in the service's error
//! shape, seen through the AWS SDK's own client (`aws-sdk-novaact`) with its retries off, so
//! that nothing of ours softens them.

mod support;

use aws_sdk_novaact::Client;
use aws_sdk_novaact::error::ProvideErrorMetadata;
use aws_sdk_novaact::types::{CallResult, CallResultContent, ToolInputSchema, ToolSpec};
use nova_act_core::limits;
use nova_emulator::{Emulator, ManualClock, Quotas, RunningEmulator};
use nova_test_support::pretend_act;

fn client(emulator: &RunningEmulator) -> Client {
    support::aws_sdk(emulator, &emulator.access_key().secret_access_key, false)
}

/// A new act of `task` in `session` of `run`; its id.
async fn new_act(sdk: &Client, run: &str, session: &str, task: &str) -> String {
    sdk.create_act()
        .workflow_definition_name("limits")
        .workflow_run_id(run)
        .session_id(session)
        .task(task)
        .send()
        .await
        .unwrap()
        .act_id()
        .to_owned()
}

/// A definition, a run and a session, and the ids of the latter two.
async fn session(sdk: &Client) -> (String, String) {
    sdk.create_workflow_definition()
        .name("limits")
        .send()
        .await
        .unwrap();
    let run = support::sdk_run(sdk, "limits").await;
    let session = support::sdk_session(sdk, "limits", &run).await;
    (run, session)
}

/// InvokeActStep on act `act` of the `limits` definition, its ids filled in.
fn step(
    sdk: &Client,
    run: &str,
    session: &str,
    act: &str,
) -> aws_sdk_novaact::operation::invoke_act_step::builders::InvokeActStepFluentBuilder {
    sdk.invoke_act_step()
        .workflow_definition_name("limits")
        .workflow_run_id(run)
        .session_id(session)
        .act_id(act)
}

fn result(text: &str) -> CallResult {
    CallResult::builder()
        .call_id("initiateAct")
        .content(CallResultContent::Text(text.to_owned()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn steps_beyond_five_a_second_are_throttled_as_the_service_throttles_them() {
    let emulator = Emulator::builder().start().await.unwrap();
    let sdk = client(&emulator);
    let (run, session) = session(&sdk).await;
    let act = new_act(&sdk, &run, &session, "t").await;
    // Twenty steps at once: the bucket holds one second's worth (5) and refills at 5/s, so
    // however slowly these arrive (within 2 s), at most 15 pass and the rest are throttled.
    let calls = (0..20).map(|_| {
        step(&sdk, &run, &session, &act)
            .call_results(result("{}"))
            .send()
    });
    let outcomes = futures_util::future::join_all(calls).await;
    let throttled: Vec<_> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().err())
        .filter(|e| e.code() == Some("ThrottlingException"))
        .collect();
    assert!(throttled.len() >= 5, "{} throttled", throttled.len());
    let first = throttled[0];
    assert!(
        first
            .message()
            .unwrap()
            .starts_with("Rate exceeded for InvokeActStep")
    );
    let raw = first.raw_response().unwrap();
    assert_eq!(raw.status().as_u16(), 429);
    assert!(raw.headers().get("retry-after").is_none());
    assert!(matches!(
        first.as_service_error(),
        Some(
            aws_sdk_novaact::operation::invoke_act_step::InvokeActStepError::ThrottlingException(_)
        )
    ));
    // Other operations have their own bucket: the account can still list its runs.
    sdk.list_workflow_runs()
        .workflow_definition_name("limits")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_201st_step_and_an_oversized_step_are_refused() {
    // Unlimited rate: this test is about the step limit, and 200 steps at 5/s would take 40 s.
    let emulator = Emulator::builder()
        .quotas(Quotas::unlimited().steps_per_act(limits::MAX_STEPS_PER_ACT))
        .start()
        .await
        .unwrap();
    let sdk = client(&emulator);
    let (run, session) = session(&sdk).await;
    let act = new_act(&sdk, &run, &session, "t").await;
    let step = |previous: Option<String>, text: String| {
        step(&sdk, &run, &session, &act)
            .set_previous_step_id(previous)
            .call_results(result(&text))
            .send()
    };
    let oversized = step(None, "x".repeat(limits::MAX_STEP_PAYLOAD_BYTES))
        .await
        .unwrap_err();
    assert_eq!(oversized.code(), Some("ValidationException"));
    assert!(
        oversized
            .message()
            .unwrap()
            .contains("at most 5000000 bytes"),
        "{:?}",
        oversized.message()
    );
    let mut previous = None;
    for _ in 0..limits::MAX_STEPS_PER_ACT {
        let done = step(previous.clone(), "{}".to_owned()).await.unwrap();
        previous = Some(done.step_id().to_owned());
    }
    let refused = step(previous, "{}".to_owned()).await.unwrap_err();
    assert_eq!(refused.code(), Some("ValidationException"));
    let body: serde_json::Value =
        serde_json::from_slice(refused.raw_response().unwrap().body().bytes().unwrap()).unwrap();
    assert_eq!(body["reason"], "FieldValidationFailed");
    assert_eq!(body["fieldList"][0]["name"], "steps");
    assert_eq!(
        body["fieldList"][0]["message"],
        "an act takes at most 200 steps; this would be step 201"
    );
}

#[tokio::test]
async fn too_many_tools_or_too_large_tool_specifications_are_refused() {
    let emulator = Emulator::builder().start().await.unwrap();
    let sdk = client(&emulator);
    let (run, session) = session(&sdk).await;
    let tool = |name: String, description: String| {
        ToolSpec::builder()
            .name(name)
            .description(description)
            .input_schema(ToolInputSchema::Json(aws_smithy_types::Document::Object(
                Default::default(),
            )))
            .build()
            .unwrap()
    };
    let act = |tools: Vec<ToolSpec>| {
        sdk.create_act()
            .workflow_definition_name("limits")
            .workflow_run_id(&run)
            .session_id(&session)
            .task("t")
            .set_tool_specs(Some(tools))
            .send()
    };
    let many = (0..=limits::MAX_TOOLS_PER_ACT)
        .map(|i| tool(format!("tool{i}"), "d".to_owned()))
        .collect();
    let err = act(many).await.unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));
    assert!(
        err.message().unwrap().starts_with("toolSpecs:"),
        "{:?}",
        err.message()
    );
    // 40 tools of 9,000 characters each: 360,000 bytes of descriptions alone.
    let large = (0..40)
        .map(|i| tool(format!("tool{i}"), "d".repeat(9_000)))
        .collect();
    let err = act(large).await.unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));
    assert!(
        err.message()
            .unwrap()
            .contains("at most 350000 bytes serialized"),
        "{:?}",
        err.message()
    );
    act(vec![tool("one".to_owned(), "d".to_owned())])
        .await
        .unwrap();
}

/// Three acts at once under a step quota of 2 a second, with the client's pace at `step_rate`:
/// each act's result.
async fn three_acts(step_rate: f64) -> Vec<nova_act_core::runtime::ActResult> {
    let emulator = Emulator::builder()
        .quotas(Quotas::service().step_rate(2.0))
        .start()
        .await
        .unwrap();
    let client = support::builder(
        &emulator,
        support::aws(emulator.access_key()),
        nova_auth::AuthMode::Iam,
    )
    .step_rate(step_rate)
    .build()
    .unwrap();
    support::define(&client, "default").await;
    let acts = (0..3).map(|_| {
        pretend_act(
            &client,
            "default",
            "http://127.0.0.1/quota",
            "What page is this?",
        )
    });
    futures_util::future::join_all(acts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn throttled_steps_are_repeated_and_counted_and_the_governor_avoids_them() {
    // No pacing: the acts find the quota by being throttled, and every act still succeeds.
    let unpaced = three_acts(0.0).await;
    let throttled: u32 = unpaced.iter().map(|r| r.throttled_steps).sum();
    assert!(throttled > 0, "{unpaced:?}");
    assert!(unpaced.iter().all(|r| r.value.is_some()));
    // Paced at the quota: no step is throttled; the acts waited for the pace instead.
    let paced = three_acts(2.0).await;
    assert_eq!(paced.iter().map(|r| r.throttled_steps).sum::<u32>(), 0);
    assert!(paced.iter().any(|r| !r.throttle_wait.is_zero()));
}

/// A page whose first look is over the service's step limit; with `shrinks`, its smaller looks
/// fit.
struct Huge {
    shrinks: bool,
    asked: Vec<u32>,
}

impl Huge {
    fn observation(bytes: usize) -> serde_json::Value {
        let mut observation = nova_act_core::runtime::Observation::blank("http://127.0.0.1/huge");
        observation.screenshot_base64 = format!("data:image/jpeg;base64,{}", "A".repeat(bytes));
        serde_json::json!(observation)
    }
}

#[async_trait::async_trait]
impl nova_act_core::runtime::Actuator for Huge {
    async fn browser(
        &mut self,
        action: nova_act_core::runtime::BrowserAction,
    ) -> Result<serde_json::Value, nova_act_core::runtime::CallError> {
        match action {
            nova_act_core::runtime::BrowserAction::TakeObservation => Ok(Self::observation(
                limits::MAX_STEP_PAYLOAD_BYTES + 1_000_000,
            )),
            _ => Ok(serde_json::Value::Null),
        }
    }

    async fn smaller_observation(
        &mut self,
        attempt: u32,
    ) -> Option<Result<serde_json::Value, nova_act_core::runtime::CallError>> {
        self.asked.push(attempt);
        let bytes = if self.shrinks && attempt == 2 {
            1_000
        } else {
            limits::MAX_STEP_PAYLOAD_BYTES + 10_000
        };
        Some(Ok(Self::observation(bytes)))
    }
}

#[tokio::test]
async fn a_step_over_the_size_limit_is_observed_again_smaller_or_never_sent() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = support::iam(&emulator, emulator.access_key());
    support::define(&client, "default").await;
    let act = |shrinks: bool| {
        let client = client.clone();
        async move {
            nova_act_core::runtime::Workflow::new(&client)
                .definition("default")
                .run(|run| async move {
                    let mut session = run
                        .session(Huge {
                            shrinks,
                            asked: Vec::new(),
                        })
                        .await?;
                    let outcome = session.act("What page is this?").await;
                    Ok::<_, nova_act_core::runtime::ActError>((
                        outcome,
                        session.actuator().asked.clone(),
                    ))
                })
                .await
                .unwrap()
        }
    };
    // The second smaller look fits: the act goes on as usual.
    let (outcome, asked) = act(true).await;
    assert_eq!(
        outcome.unwrap().value,
        Some(serde_json::json!("http://127.0.0.1/huge"))
    );
    // Each look of the page (the act's first, and the one the agent asks for) shrank twice.
    assert!(asked.chunks(2).all(|pair| pair == [1, 2]), "{asked:?}");
    // Nothing fits: the act ends before the step is sent, and says why.
    let (outcome, asked) = act(false).await;
    assert_eq!(asked, [1, 2, 3]);
    let err = outcome.unwrap_err();
    assert_eq!(err.code(), "ActClientError");
    assert!(
        err.to_string()
            .contains("must be at most 5000000 bytes in all"),
        "{err}"
    );
    let steps: Vec<usize> = emulator.acts().iter().map(|a| a.steps).collect();
    assert_eq!(steps.len(), 2);
    assert!(
        steps.contains(&0),
        "the oversized act sent no step: {steps:?}"
    );
}

#[tokio::test]
async fn a_step_latency_holds_each_step_that_long() {
    let emulator = Emulator::builder()
        .step_latency(nova_emulator::StepLatency::fixed(
            std::time::Duration::from_millis(300),
        ))
        .start()
        .await
        .unwrap();
    let sdk = client(&emulator);
    let (run, session) = session(&sdk).await;
    let act = new_act(&sdk, &run, &session, "t").await;
    let started = std::time::Instant::now();
    step(&sdk, &run, &session, &act)
        .call_results(result("{}"))
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
}

#[tokio::test]
async fn acts_time_out_after_a_day_and_runs_after_a_week() {
    let start = std::time::SystemTime::now();
    let clock = ManualClock::new(start);
    let emulator = Emulator::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let sdk = client(&emulator);
    let (run, session) = session(&sdk).await;
    let act = |task: &'static str| {
        sdk.create_act()
            .workflow_definition_name("limits")
            .workflow_run_id(&run)
            .session_id(&session)
            .task(task)
            .send()
    };
    let statuses = async || {
        let acts = sdk
            .list_acts()
            .workflow_definition_name("limits")
            .workflow_run_id(&run)
            .send()
            .await
            .unwrap();
        let run = sdk
            .get_workflow_run()
            .workflow_definition_name("limits")
            .workflow_run_id(&run)
            .send()
            .await
            .unwrap();
        let acts: Vec<String> = acts
            .act_summaries()
            .iter()
            .map(|a| a.status().as_str().to_owned())
            .collect();
        (
            run.status().as_str().to_owned(),
            acts,
            run.ended_at().cloned(),
        )
    };
    let first = act("a day's work").await.unwrap();
    clock.advance(limits::ACT_TIMEOUT - std::time::Duration::from_secs(1));
    assert_eq!(statuses().await.1, ["RUNNING"]);
    // An act begun later keeps its own day when the first one's ends.
    act("a week's work").await.unwrap();
    clock.advance(std::time::Duration::from_secs(1));
    assert_eq!(statuses().await.1, ["TIMED_OUT", "RUNNING"]);
    let ended = emulator.acts().remove(0);
    assert_eq!(
        ended.error.unwrap().error_type.as_deref(),
        Some("ActTimeoutError")
    );
    // A timed-out act takes no more steps.
    let refused = step(&sdk, &run, &session, first.act_id())
        .call_results(result("{}"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some("ValidationException"));
    assert!(
        refused.message().unwrap().contains("already TIMED_OUT"),
        "{:?}",
        refused.message()
    );

    // The run goes on for a week; when it times out, its open act ends with it.
    clock.advance(limits::RUN_TIMEOUT - limits::ACT_TIMEOUT - std::time::Duration::from_secs(1));
    let (status, acts, ended_at) = statuses().await;
    assert_eq!((status.as_str(), ended_at), ("RUNNING", None));
    assert_eq!(
        acts,
        ["TIMED_OUT", "TIMED_OUT"],
        "the second act's own day passed too"
    );
    act("the last hour").await.unwrap();
    clock.advance(std::time::Duration::from_secs(1));
    let (status, acts, ended_at) = statuses().await;
    assert_eq!(status, "TIMED_OUT");
    assert_eq!(acts, ["TIMED_OUT", "TIMED_OUT", "TIMED_OUT"]);
    let ended_at = std::time::SystemTime::try_from(ended_at.unwrap()).unwrap();
    assert_eq!(
        ended_at.duration_since(start).unwrap().as_secs(),
        limits::RUN_TIMEOUT.as_secs()
    );
    let late = sdk
        .create_session()
        .workflow_definition_name("limits")
        .workflow_run_id(&run)
        .send()
        .await
        .unwrap_err();
    assert!(
        late.message().unwrap().contains("already TIMED_OUT"),
        "{late:?}"
    );
}
