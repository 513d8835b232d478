//! Every case of the service's official endpoint tests, and the client's endpoint choices.

use nova_act_core::endpoint::{EndpointParams, resolve};
use nova_act_core::{Client, Error, RetryConfig, RetryMode};
use nova_auth::{ApiKey, AuthMode, AwsCredentials, Credentials, Env, Source};
use serde_json::Value;

mod support;

#[test]
fn every_official_endpoint_case() {
    let path = support::reference("endpoint-tests-1.json");
    let tests: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = tests["testCases"].as_array().unwrap();
    assert!(cases.len() >= 20, "the file should hold the official cases");
    for case in cases {
        let params = &case["params"];
        let input = EndpointParams {
            region: params["Region"].as_str().map(str::to_owned),
            use_fips: params["UseFIPS"].as_bool().unwrap_or(false),
            use_dual_stack: params["UseDualStack"].as_bool().unwrap_or(false),
            endpoint: params["Endpoint"].as_str().map(str::to_owned),
        };
        let got = resolve(&input);
        let doc = case["documentation"].as_str().unwrap_or("");
        match (&case["expect"]["endpoint"]["url"], &case["expect"]["error"]) {
            (Value::String(url), _) => assert_eq!(got.as_deref(), Ok(url.as_str()), "{doc}"),
            (_, Value::String(error)) => {
                assert_eq!(got.map_err(|e| e.0), Err(error.clone()), "{doc}")
            }
            _ => panic!("case without an expectation: {case}"),
        }
    }
}

fn aws() -> Credentials {
    AwsCredentials::new("AKIAIOSFODNN7EXAMPLE", "secret", None, Source::Code).into()
}

fn iam(env: &[(&str, &str)]) -> nova_act_core::ClientBuilder {
    Client::builder()
        .credentials_provider(aws(), AuthMode::Iam)
        .env(Env::from_vars(env.iter().copied()))
}

#[test]
fn the_default_endpoint_is_regional() {
    let client = iam(&[]).build().unwrap();
    assert_eq!(
        client.endpoint().url(),
        "https://nova-act.us-east-1.amazonaws.com"
    );
    let fips = iam(&[]).use_fips(true).build().unwrap();
    assert_eq!(
        fips.endpoint().url(),
        "https://nova-act-fips.us-east-1.amazonaws.com"
    );
}

#[test]
fn a_region_this_sdk_does_not_know_is_sent_anyway_unless_the_rules_refuse_it() {
    // The AWS SDKs do not refuse new regions either; a warning names the known ones.
    let client = iam(&[]).region("eu-west-1").build().unwrap();
    assert_eq!(
        client.endpoint().url(),
        "https://nova-act.eu-west-1.amazonaws.com"
    );
    // The endpoint rules still decide: ISO partitions have no dual-stack endpoint.
    let err = iam(&[("AWS_USE_DUALSTACK_ENDPOINT", "true")])
        .region("us-iso-east-1")
        .build()
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"DualStack is enabled but this partition does not support DualStack");
}

#[test]
fn shared_aws_settings_come_from_the_environment_and_code_wins() {
    let fips = iam(&[("AWS_USE_FIPS_ENDPOINT", "TRUE")]).build().unwrap();
    assert_eq!(
        fips.endpoint().url(),
        "https://nova-act-fips.us-east-1.amazonaws.com"
    );
    let dual = iam(&[("AWS_USE_DUALSTACK_ENDPOINT", "true")])
        .build()
        .unwrap();
    assert_eq!(dual.endpoint().url(), "https://nova-act.us-east-1.api.aws");
    let overridden = iam(&[("AWS_USE_FIPS_ENDPOINT", "true")])
        .use_fips(false)
        .build()
        .unwrap();
    assert_eq!(
        overridden.endpoint().url(),
        "https://nova-act.us-east-1.amazonaws.com"
    );

    let retries = iam(&[("AWS_MAX_ATTEMPTS", "5"), ("AWS_RETRY_MODE", "adaptive")])
        .build()
        .unwrap();
    assert_eq!(retries.retry_config().max_attempts, 5);
    assert_eq!(retries.retry_mode(), RetryMode::Adaptive);
    let code = iam(&[("AWS_MAX_ATTEMPTS", "5"), ("AWS_RETRY_MODE", "adaptive")])
        .retry(RetryConfig::disabled())
        .retry_mode(RetryMode::Standard)
        .build()
        .unwrap();
    assert_eq!(code.retry_config().max_attempts, 1);
    assert_eq!(code.retry_mode(), RetryMode::Standard);
    let defaults = iam(&[]).build().unwrap();
    assert_eq!(defaults.retry_config(), &RetryConfig::default());
    assert_eq!(defaults.retry_mode(), RetryMode::Standard);
}

#[test]
fn a_shared_setting_the_client_cannot_use_is_an_error_naming_it() {
    let cases = [
        ("AWS_MAX_ATTEMPTS", "three"),
        ("AWS_MAX_ATTEMPTS", "0"),
        ("AWS_RETRY_MODE", "legacy"),
        ("AWS_USE_FIPS_ENDPOINT", "yes"),
        ("AWS_USE_DUALSTACK_ENDPOINT", "1"),
    ];
    let errors: Vec<String> = cases
        .iter()
        .map(|(var, value)| {
            let err = iam(&[(var, value)]).build().unwrap_err();
            assert!(matches!(err, Error::Setting { .. }), "{err}");
            err.to_string()
        })
        .collect();
    insta::assert_snapshot!(errors.join("\n"), @r"
    AWS_MAX_ATTEMPTS is `three`; expected a whole number of attempts, 1 or more
    AWS_MAX_ATTEMPTS is `0`; expected a whole number of attempts, 1 or more
    AWS_RETRY_MODE is `legacy`; expected `standard` or `adaptive`
    AWS_USE_FIPS_ENDPOINT is `yes`; expected `true` or `false`
    AWS_USE_DUALSTACK_ENDPOINT is `1`; expected `true` or `false`
    ");
}

#[tokio::test]
async fn shared_aws_settings_come_from_the_selected_profile() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        "[profile ci]\nregion = us-east-1\naws_access_key_id = AKIAPROFILE000000001\n\
         aws_secret_access_key = profile-secret\nuse_fips_endpoint = true\nmax_attempts = 7\n\
         retry_mode = adaptive\n[profile broken]\naws_access_key_id = AKIAPROFILE000000002\n\
         aws_secret_access_key = profile-secret\nmax_attempts = many\n",
    )
    .unwrap();
    let vars = |profile: &str| {
        vec![
            ("AWS_CONFIG_FILE", config.display().to_string()),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.path().join("none").display().to_string(),
            ),
            ("AWS_PROFILE", profile.to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ]
    };
    let env = |profile: &str| Env::from_vars(vars(profile));
    let auth = nova_auth::Auth::builder()
        .env(env("ci"))
        .mode(AuthMode::Iam)
        .build()
        .await
        .unwrap();
    let client = Client::builder()
        .auth(&auth)
        .env(env("ci"))
        .build()
        .unwrap();
    assert_eq!(
        client.endpoint().url(),
        "https://nova-act-fips.us-east-1.amazonaws.com"
    );
    assert_eq!(client.retry_config().max_attempts, 7);
    assert_eq!(client.retry_mode(), RetryMode::Adaptive);

    // The environment variable wins over the profile, as in the AWS SDKs.
    let mut with_variable = vars("ci");
    with_variable.push(("AWS_MAX_ATTEMPTS", "2".to_owned()));
    let auth = nova_auth::Auth::builder()
        .env(Env::from_vars(with_variable))
        .build()
        .await
        .unwrap();
    let client = Client::builder().auth(&auth).build().unwrap();
    assert_eq!(client.retry_config().max_attempts, 2);

    let broken = nova_auth::Auth::builder()
        .env(env("broken"))
        .build()
        .await
        .unwrap();
    let err = Client::builder().auth(&broken).build().unwrap_err();
    let text = err
        .to_string()
        .replace(&dir.path().display().to_string(), "[DIR]");
    insta::assert_snapshot!(text, @"`max_attempts` of profile broken ([DIR]/config) is `many`; expected a whole number of attempts, 1 or more");
}

#[test]
fn a_custom_endpoint_allows_any_region() {
    let client = iam(&[])
        .region("eu-west-1")
        .endpoint_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    assert_eq!(client.endpoint().url(), "http://127.0.0.1:9");
}

#[test]
fn endpoint_variables_follow_the_aws_sdk_convention() {
    let both = [
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
        ("AWS_ENDPOINT_URL_NOVA_ACT", "http://127.0.0.1:2"),
    ];
    assert_eq!(
        iam(&both).build().unwrap().endpoint().url(),
        "http://127.0.0.1:2"
    );
    assert_eq!(
        iam(&both[..1]).build().unwrap().endpoint().url(),
        "http://127.0.0.1:1"
    );
    let code = iam(&both)
        .endpoint_url("http://127.0.0.1:3")
        .build()
        .unwrap();
    assert_eq!(code.endpoint().url(), "http://127.0.0.1:3");
    let err = iam(&both).use_fips(true).build().unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"Invalid Configuration: FIPS and custom endpoint are not supported");
}

#[test]
fn the_api_key_service_has_its_own_endpoint_and_variable() {
    let key: Credentials = ApiKey::new("0123456789abcdef0123456789abcdef0123", Source::Code).into();
    let builder = || Client::builder().credentials_provider(key.clone(), AuthMode::ApiKey);
    let default = builder().env(Env::from_vars([("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]));
    assert_eq!(
        default.build().unwrap().endpoint().url(),
        "https://api.nova.amazon.com"
    );
    let env = Env::from_vars([("NOVA_ACT_API_ENDPOINT", "http://127.0.0.1:4")]);
    assert_eq!(
        builder().env(env).build().unwrap().endpoint().url(),
        "http://127.0.0.1:4"
    );
    // Regions do not apply to the API-key service.
    assert!(
        builder()
            .env(Env::empty())
            .region("eu-west-1")
            .build()
            .is_ok()
    );
}

#[test]
fn an_endpoint_that_is_not_an_absolute_url_is_refused_at_build() {
    for bad in [
        "",
        "127.0.0.1:8080",
        "/relative",
        "ftp://127.0.0.1",
        "http://",
    ] {
        let err = iam(&[]).endpoint_url(bad).build().unwrap_err();
        assert!(matches!(err, Error::Endpoint(_)), "{bad:?}: {err}");
    }
    let err = iam(&[("AWS_ENDPOINT_URL_NOVA_ACT", "localhost:8080")])
        .build()
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"`localhost:8080` is not an absolute http(s) URL with a host, such as http://127.0.0.1:8080; fix the endpoint setting (code, AWS_ENDPOINT_URL_NOVA_ACT or AWS_ENDPOINT_URL)");
}
