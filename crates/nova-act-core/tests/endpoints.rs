//! Every case of the service's official endpoint tests, and the client's endpoint choices.

use nova_act_core::endpoint::{EndpointParams, resolve};
use nova_act_core::{Client, Error};
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
fn an_unsupported_region_fails_before_sending_listing_the_supported_ones() {
    let err = iam(&[]).region("eu-west-1").build().unwrap_err();
    assert!(matches!(err, Error::UnsupportedRegion { .. }));
    insta::assert_snapshot!(err.to_string(), @"Nova Act is not offered in eu-west-1; supported regions: us-east-1. Set AWS_REGION (or the client's region) to one of them, or set a custom endpoint");
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
    insta::assert_snapshot!(err.to_string(), @"endpoint: Invalid Configuration: FIPS and custom endpoint are not supported");
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
            .env(Env::from_vars([("X", "")]))
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
    insta::assert_snapshot!(err.to_string(), @"endpoint: `localhost:8080` is not an absolute http(s) URL with a host, such as http://127.0.0.1:8080; fix the endpoint setting (code, AWS_ENDPOINT_URL_NOVA_ACT, AWS_ENDPOINT_URL or NOVA_ACT_API_ENDPOINT)");
}
