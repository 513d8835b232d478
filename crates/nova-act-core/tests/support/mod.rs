//! Helpers shared by the integration tests.
#![allow(
    unused_imports,
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use nova_auth::{AwsCredentials, Credentials, Source};
use serde_json::{Map, Value, json};

pub use nova_test_support::keys::{ACCESS_KEY_ID, API_KEY, SECRET_ACCESS_KEY, SESSION_TOKEN};
pub const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

/// One of the AWS service model files (botocore's `nova-act` data), kept in `tests/reference` so
/// a clone anywhere can run the tests; xtask's hygiene tests keep them equal to the project's
/// shared reference copy when it is present.
pub fn reference(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference")
        .join(file)
}

pub fn model() -> Value {
    let path = reference("service-2.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// A JSON value for `shape` with every member present, as the service would send it.
pub fn sample(model: &Value, shape: &str) -> Value {
    let def = &model["shapes"][shape];
    match def["type"].as_str().unwrap() {
        "structure" if def["document"].as_bool() == Some(true) => json!({"any": ["json"]}),
        "structure" => {
            let mut out = Map::new();
            for (name, member) in def["members"].as_object().unwrap() {
                if member.get("location").is_none() {
                    out.insert(
                        name.clone(),
                        sample(model, member["shape"].as_str().unwrap()),
                    );
                }
            }
            Value::Object(out)
        }
        "list" => json!([sample(model, def["member"]["shape"].as_str().unwrap())]),
        "timestamp" => json!("2026-11-26T10:00:00Z"),
        "integer" => json!(7),
        "string" => match def["enum"].as_array() {
            Some(values) => values[0].clone(),
            None => json!("0f8fad5b-d9cb-469f-a165-70867728950e"),
        },
        other => panic!("shape type {other} of {shape} is not handled"),
    }
}

pub fn aws_credentials() -> Credentials {
    AwsCredentials::new(
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        Some(nova_auth::Secret::new(SESSION_TOKEN)),
        Source::Code,
    )
    .into()
}

pub fn api_key_credentials() -> Credentials {
    nova_auth::ApiKey::new(API_KEY, Source::Environment).into()
}

/// A client of `url` with the test credentials of `mode`, reading no environment.
pub fn client_at(url: &str, mode: nova_auth::AuthMode) -> nova_act_core::Client {
    let credentials = match mode {
        nova_auth::AuthMode::ApiKey => api_key_credentials(),
        _ => aws_credentials(),
    };
    nova_act_core::Client::builder()
        .credentials_provider(credentials, mode)
        .endpoint_url(url)
        .env(nova_auth::Env::empty())
        .build()
        .unwrap()
}

/// 2026-11-26T10:00:00Z, the fixed signing time of the snapshot tests.
pub fn fixed_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_687_200)
}

/// Checks a received request's SigV4 signature for `nova-act` in `region`.
pub fn verify_sigv4(request: &wiremock::Request, secret: &str, region: &str) {
    nova_test_support::verify_sigv4(request, secret, region, "nova-act");
}

/// An empty JSON object, for operations whose output has no members.
pub fn empty() -> Value {
    json!({})
}
