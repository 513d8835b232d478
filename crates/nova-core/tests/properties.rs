//! Bad input of every kind gives an error, never a panic: API keys, profile names, regions,
//! endpoint URLs, every request's validation, boxes, and service answers.

mod support;

use nova_auth::{ApiKeyProvider, AuthMode, CredentialProvider, Env, ProfileProvider};
use nova_core::endpoint::{EndpointParams, resolve};
use nova_core::model::*;
use nova_core::runtime::BBox;
use nova_core::{Client, Operation};
use proptest::prelude::*;
use support::*;

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn api_keys_are_checked_without_panics_or_echoes(key in "\\PC{0,80}") {
        let answer = block_on(ApiKeyProvider::new(key.clone()).credentials());
        let length = key.trim().chars().count();
        prop_assert_eq!(answer.is_ok(), length == 36);
        if let Err(err) = answer {
            let text = format!("{err} {err:?}");
            if key.trim().chars().count() > 8 {
                prop_assert!(!text.contains(key.trim()), "the key was echoed: {}", text);
            }
        }
    }

    #[test]
    fn any_profile_name_is_an_error_not_a_panic(name in "\\PC{0,60}") {
        let home = std::env::temp_dir().join("nova-core-properties-empty-home");
        let env = Env::from_vars([("HOME", home.display().to_string())]);
        let answer = block_on(ProfileProvider::with_env(env).profile_name(name).credentials());
        prop_assert!(answer.is_err());
    }

    #[test]
    fn any_region_resolves_or_fails_cleanly(region in "\\PC{0,40}", fips: bool, dual: bool) {
        let params = EndpointParams { region: Some(region.clone()), use_fips: fips, use_dual_stack: dual, endpoint: None };
        if let Ok(url) = resolve(&params) {
            prop_assert!(url.starts_with("https://nova-act"), "{}", url);
        }
        let client = Client::builder()
            .credentials_provider(aws_credentials(), AuthMode::Iam)
            .env(Env::from_vars([("X", "")]))
            .region(region)
            .build();
        let _ = client.map(|c| c.endpoint().url().to_owned());
    }

    #[test]
    fn any_endpoint_url_builds_or_fails_cleanly(url in "\\PC{0,60}") {
        let client = Client::builder()
            .credentials_provider(aws_credentials(), AuthMode::Iam)
            .env(Env::from_vars([("X", "")]))
            .endpoint_url(url)
            .build();
        if let Ok(client) = client {
            // Preparing a signed request with a nonsense endpoint is an error, not a panic.
            let _ = block_on(client.signed_request(ListModelsInput::default()));
        }
    }

    #[test]
    fn request_validation_never_panics(
        name in "\\PC{0,60}",
        id in "\\PC{0,50}",
        task in "\\PC{0,50}",
        token in proptest::option::of("\\PC{0,300}"),
        max in proptest::option::of(any::<i32>()),
        next in proptest::option::of("\\PC{0,40}"),
    ) {
        let ok_name = !name.is_empty() && name.chars().count() <= 40
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        prop_assert_eq!(GetWorkflowDefinitionInput { workflow_definition_name: name.clone() }.validate().is_ok(), ok_name);
        let _ = CreateWorkflowRunInput { client_token: token.clone(), ..CreateWorkflowRunInput::new(name.clone(), task.clone()) }.validate();
        let _ = ListWorkflowRunsInput { workflow_definition_name: name.clone(), max_results: max, next_token: next.clone(), sort_order: None }.validate();
        let _ = ListActsInput { workflow_definition_name: name.clone(), workflow_run_id: Some(id.clone()), session_id: Some(id.clone()), max_results: max, next_token: next, sort_order: None }.validate();
        let _ = CreateActInput { workflow_definition_name: name.clone(), workflow_run_id: id.clone(), session_id: id.clone(), task: task.clone(), tool_specs: Some(vec![ToolSpec { name: task.clone(), description: task.clone(), input_schema: ToolInputSchema::default() }]), client_token: token }.validate();
        let _ = UpdateActInput { workflow_definition_name: name.clone(), workflow_run_id: id.clone(), session_id: id.clone(), act_id: id.clone(), status: ActStatus::Failed, error: Some(ActError { message: task.clone(), error_type: Some(task) }) }.validate();
        let _ = InvokeActStepInput { workflow_definition_name: name, workflow_run_id: id.clone(), session_id: id.clone(), act_id: id.clone(), call_results: vec![CallResult::text(id.clone(), id.clone())], previous_step_id: Some(id) }.validate();
    }

    #[test]
    fn any_box_text_parses_or_fails_cleanly(text in "\\PC{0,60}") {
        if let Ok(b) = BBox::parse(&text) {
            prop_assert!(b.left <= b.right && b.top <= b.bottom);
        }
    }

    #[test]
    fn numeric_boxes_parse(l in 0u32..1000, t in 0u32..1000, w in 0u32..1000, h in 0u32..1000) {
        let text = format!("<bbox>{l},{t},{},{}</bbox>", l + w, t + h);
        let b = BBox::parse(&text).unwrap();
        prop_assert_eq!(b.center(), ((l as f64 + (l + w) as f64) / 2.0, (t as f64 + (t + h) as f64) / 2.0));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Service answers of any shape: truncated, not JSON, wrong types, huge, with any status.
    #[test]
    fn any_answer_is_a_result_not_a_panic(body in proptest::collection::vec(any::<u8>(), 0..2048), status in 200u16..600, big in any::<bool>()) {
        block_on(async move {
            use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};
            let server = MockServer::start().await;
            let body = if big { [body.as_slice(), &vec![b'{'; 2 * 1024 * 1024]].concat() } else { body };
            Mock::given(any()).respond_with(ResponseTemplate::new(status).set_body_bytes(body)).mount(&server).await;
            let client = Client::builder()
                .credentials_provider(aws_credentials(), AuthMode::Iam)
                .endpoint_url(server.uri())
                .env(Env::from_vars([("X", "")]))
                .retry(nova_core::RetryConfig::disabled())
                .build()
                .unwrap();
            let _ = client.create_workflow_run(CreateWorkflowRunInput::new("flow", "m")).await;
            let _ = client.list_models().await;
        });
    }
}
