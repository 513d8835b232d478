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

/// 2026-11-26T10:00:00Z, the fixed signing time of the snapshot tests.
pub fn fixed_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_687_200)
}

/// Parses `x-amz-date` (`YYYYMMDDTHHMMSSZ`).
fn amz_date(value: &str) -> SystemTime {
    let n = |range: std::ops::Range<usize>| value[range].parse::<u32>().unwrap();
    let date = time::Date::from_calendar_date(
        n(0..4) as i32,
        time::Month::try_from(n(4..6) as u8).unwrap(),
        n(6..8) as u8,
    )
    .unwrap();
    let at = date
        .with_hms(n(9..11) as u8, n(11..13) as u8, n(13..15) as u8)
        .unwrap()
        .assume_utc();
    SystemTime::UNIX_EPOCH + Duration::from_secs(at.unix_timestamp() as u64)
}

/// Recomputes the SigV4 signature of a received request, the way the service does, and checks
/// it against the one sent: same key, scope (`nova-act`, `region`), signed headers and body.
pub fn verify_sigv4(request: &wiremock::Request, secret: &str, region: &str) {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;

    let header = |name: &str| {
        request
            .headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let authorization = header("authorization");
    let (scope, rest) = authorization
        .strip_prefix("AWS4-HMAC-SHA256 Credential=")
        .unwrap()
        .split_once(", SignedHeaders=")
        .unwrap();
    let (signed_headers, _) = rest.split_once(", Signature=").unwrap();
    let parts: Vec<&str> = scope.split('/').collect();
    assert_eq!(parts[2], region, "scope region");
    assert_eq!(parts[3], "nova-act", "scope service");
    let when = amz_date(&header("x-amz-date"));
    let token = request
        .headers
        .get("x-amz-security-token")
        .map(|v| v.to_str().unwrap().to_owned());
    let identity =
        aws_credential_types::Credentials::new(parts[0], secret, token, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("nova-act")
        .time(when)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let names: Vec<&str> = signed_headers.split(';').collect();
    let headers: Vec<(String, String)> = names
        .iter()
        .filter(|name| !matches!(**name, "x-amz-date" | "x-amz-security-token"))
        .map(|name| ((*name).to_owned(), header(name)))
        .collect();
    let url = request.url.to_string();
    let signable = SignableRequest::new(
        request.method.as_str(),
        &url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(&request.body),
    )
    .unwrap();
    let (_, signature) = sign(signable, &params).unwrap().into_parts();
    assert!(
        authorization.ends_with(&format!("Signature={signature}")),
        "the signature does not verify for {} {url}",
        request.method
    );
}

/// An empty JSON object, for operations whose output has no members.
pub fn empty() -> Value {
    json!({})
}
