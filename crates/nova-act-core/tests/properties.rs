//! Bad input of every kind gives an error, never a panic: API keys, profile names, regions,
//! endpoint URLs, every request's validation, boxes, and service answers.

mod support;

use nova_act_core::endpoint::{EndpointParams, resolve};
use nova_act_core::model::*;
use nova_act_core::runtime::BBox;
use nova_act_core::{Client, Operation};
use nova_auth::{ApiKeyProvider, AuthMode, CredentialProvider, Env, ProfileProvider};
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
        let home = std::env::temp_dir().join("nova-act-core-properties-empty-home");
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
            .env(Env::empty())
            .region(region)
            .build();
        let _ = client.map(|c| c.endpoint().url().to_owned());
    }

    #[test]
    fn any_endpoint_url_builds_or_fails_cleanly(url in "\\PC{0,60}") {
        let client = Client::builder()
            .credentials_provider(aws_credentials(), AuthMode::Iam)
            .env(Env::empty())
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
        let _ = UpdateActInput { workflow_definition_name: name.clone(), workflow_run_id: id.clone(), session_id: id.clone(), act_id: id.clone(), status: ActStatus::Failed, error: Some(ActFailure { message: task.clone(), error_type: Some(task) }) }.validate();
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

/// Lines of an AWS shared config or credentials file: sections, keys and values, continuations,
/// comments and malformed lines. Keys that would make aws-config run a process, read another
/// file or call STS or SSO are left out: they would leave this machine.
fn profile_file() -> impl Strategy<Value = String> {
    let name = prop_oneof![Just("default".to_owned()), "[a-zA-Z0-9 _.-]{0,12}"];
    let key = prop_oneof![
        prop::sample::select(vec![
            "aws_access_key_id",
            "aws_secret_access_key",
            "aws_session_token",
            "region",
            "output",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,12}".prop_filter("keys that leave the machine", |k| {
            !["role", "sso", "credential", "web_identity", "source"]
                .iter()
                .any(|p| k.starts_with(p))
        }),
    ];
    let value = "[^\\n\\r]{0,30}";
    let line = prop_oneof![
        name.clone().prop_map(|n| format!("[{n}]")),
        name.clone().prop_map(|n| format!("[profile {n}]")),
        name.clone().prop_map(|n| format!("[sso-session {n}]")),
        name.prop_map(|n| format!("[ {n}")),
        (key.clone(), value).prop_map(|(k, v)| format!("{k} = {v}")),
        (key.clone(), value).prop_map(|(k, v)| format!("{k}={v}")),
        value.prop_map(|v| format!("  {v}")),
        key.prop_map(|k| k.to_string()),
        value.prop_map(|v| format!("= {v}")),
        value.prop_map(|v| format!("# {v}")),
        value.prop_map(|v| format!("; {v}")),
        Just(String::new()),
    ];
    prop::collection::vec(line, 0..16).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Profile files of any shape and any profile name: credentials, a region and an auth mode
    /// resolve or fail with an error, never a panic or a hang.
    #[test]
    fn any_profile_file_resolves_or_fails_cleanly(
        config in profile_file(),
        credentials in profile_file(),
        name in prop_oneof![Just("default".to_owned()), "[a-zA-Z0-9 _.-]{0,12}"],
        from_env in any::<bool>(),
    ) {
        let home = tempfile::tempdir().unwrap();
        let aws = home.path().join(".aws");
        std::fs::create_dir_all(&aws).unwrap();
        std::fs::write(aws.join("config"), &config).unwrap();
        std::fs::write(aws.join("credentials"), &credentials).unwrap();
        let mut vars = vec![
            ("HOME".to_owned(), home.path().display().to_string()),
            ("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned()),
            // Anything that still tried STS would reach a closed local port.
            ("AWS_ENDPOINT_URL_STS".to_owned(), "http://127.0.0.1:9".to_owned()),
        ];
        if from_env {
            vars.push(("AWS_PROFILE".to_owned(), name.clone()));
        }
        let env = Env::from_vars(vars);
        block_on(async {
            let provider = ProfileProvider::with_env(env.clone());
            let provider = if from_env { provider } else { provider.profile_name(name.clone()) };
            if let Ok(found) = provider.credentials().await {
                prop_assert_eq!(found.mode(), AuthMode::Iam);
            }
            let _ = nova_auth::Region::resolve(None, &env, Some(&name)).await;
            let auth = nova_auth::Auth::builder().env(env.clone()).profile_name(name.clone()).build().await;
            if let Ok(auth) = auth {
                let _ = auth.identity().await;
            }
            Ok(())
        })?;
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
                .env(Env::empty())
                .retry(nova_act_core::RetryConfig::disabled())
                .build()
                .unwrap();
            let _ = client.create_workflow_run(CreateWorkflowRunInput::new("flow", "m")).await;
            let _ = client.list_models(()).await;
        });
    }
}
