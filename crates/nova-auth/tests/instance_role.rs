//! Instance roles: EC2 IMDSv2 and ECS/EKS container credentials, against local fakes.
//!
//! aws-config, which makes these requests, reads the process environment, so every case runs in a
//! child process whose environment is exactly what the test sets (see `support::isolated`).
#![cfg(feature = "aws")]

mod support;

use nova_test_support::mount;
use std::time::Duration;

use nova_auth::{CachedProvider, ContainerProvider, CredentialProvider, ImdsProvider};
use support::{Logs, SECRET_ACCESS_KEY, describe, in_child, isolated, report};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN_PATH: &str = "/latest/api/token";
const ROLE_PATH: &str = "/latest/meta-data/iam/security-credentials/";

fn credentials_json(id: &str, expiration: &str) -> String {
    format!(
        r#"{{"Code":"Success","LastUpdated":"2026-11-26T00:00:00Z","Type":"AWS-HMAC","AccessKeyId":"{id}","SecretAccessKey":"{SECRET_ACCESS_KEY}","Token":"session-token-value","Expiration":"{expiration}"}}"#
    )
}

/// An IMDS that hands out a token, then (only with that token) a role and its credentials.
async fn imds(credentials: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(TOKEN_PATH))
        .and(header("x-aws-ec2-metadata-token-ttl-seconds", "21600"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-aws-ec2-metadata-token-ttl-seconds", "21600")
                .set_body_string("imds-token"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(ROLE_PATH))
        .and(header("x-aws-ec2-metadata-token", "imds-token"))
        .respond_with(ResponseTemplate::new(200).set_body_string("nova-role"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{ROLE_PATH}nova-role")))
        .and(header("x-aws-ec2-metadata-token", "imds-token"))
        .respond_with(credentials)
        .mount(&server)
        .await;
    server
}

fn imds_env(server: &MockServer) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.uri()),
        ("HOME", "/nonexistent".to_owned()),
    ]
}

/// In the child: resolve through IMDS with a short total timeout and report, checking that
/// nothing secret reached the TRACE logs of any crate (aws-config's included).
async fn child_imds() {
    let (logs, _guard) = Logs::capture();
    let provider = ImdsProvider::new().timeout(Duration::from_millis(500));
    let answer = provider.credentials().await;
    let seen = format!("{}\n{answer:?}\n{}", describe(&answer), logs.text());
    assert!(
        !seen.contains(SECRET_ACCESS_KEY) && !seen.contains("session-token-value"),
        "{seen}"
    );
    report(describe(&answer));
}

#[tokio::test]
async fn imds_v2_credentials() {
    const TEST: &str = "imds_v2_credentials";
    if in_child(TEST) {
        return child_imds().await;
    }
    let body = credentials_json("ASIAIMDSIMDSIMDS01", "2099-01-01T00:00:00Z");
    let server = imds(ResponseTemplate::new(200).set_body_string(body)).await;
    let out = isolated(TEST, imds_env(&server)).await;
    insta::assert_snapshot!(out, @r"
    mode: iam
    source: imds
    id: ****DS01
    session token: true
    account: -
    expiry: 2099-01-01T00:00:00Z
    ");
}

#[tokio::test]
async fn imds_refusing_the_token_is_not_configured() {
    const TEST: &str = "imds_refusing_the_token_is_not_configured";
    if in_child(TEST) {
        return child_imds().await;
    }
    let server = MockServer::start().await;
    mount(&server, "PUT", TOKEN_PATH, ResponseTemplate::new(403)).await;
    let out = isolated(TEST, imds_env(&server)).await;
    let out = out.replace(&server.uri(), "[IMDS]");
    insta::assert_snapshot!(out, @"error (not configured): imds: the instance metadata service at [IMDS] could not be used (failed to load IMDS session token: service error: request forbidden: IMDS is disabled or the caller has insufficient permissions.); IMDS is off here, or this is not an EC2 instance");
}

#[tokio::test]
async fn imds_silent_past_the_timeout_is_not_configured() {
    const TEST: &str = "imds_silent_past_the_timeout_is_not_configured";
    if in_child(TEST) {
        return child_imds().await;
    }
    let server = MockServer::start().await;
    mount(
        &server,
        "PUT",
        TOKEN_PATH,
        ResponseTemplate::new(200).set_delay(Duration::from_secs(30)),
    )
    .await;
    let out = isolated(TEST, imds_env(&server)).await;
    let out = out.replace(&server.uri(), "[IMDS]");
    assert!(out.starts_with("error (not configured): imds:"), "{out}");
}

#[tokio::test]
async fn imds_server_errors_stop_the_chain() {
    const TEST: &str = "imds_server_errors_stop_the_chain";
    if in_child(TEST) {
        return child_imds().await;
    }
    let server = imds(ResponseTemplate::new(500)).await;
    let out = isolated(TEST, imds_env(&server)).await;
    assert!(out.starts_with("error (stops the chain): imds:"), "{out}");
    assert!(out.contains("500"), "{out}");
}

#[tokio::test]
async fn imds_garbage_json_stops_the_chain() {
    const TEST: &str = "imds_garbage_json_stops_the_chain";
    if in_child(TEST) {
        return child_imds().await;
    }
    let server = imds(ResponseTemplate::new(200).set_body_string("{\"Code\": tru")).await;
    let out = isolated(TEST, imds_env(&server)).await;
    assert!(out.starts_with("error (stops the chain): imds:"), "{out}");
}

#[tokio::test]
async fn imds_credentials_that_arrive_expired_are_stretched_by_aws_config() {
    const TEST: &str = "imds_credentials_that_arrive_expired_are_stretched_by_aws_config";
    if in_child(TEST) {
        // aws-config's static stability: expired IMDS credentials are handed out with a few
        // minutes' grace (and a warning) rather than stopping the program; the cache accepts them
        // because they are valid for that grace period.
        let provider = CachedProvider::new(ImdsProvider::new().timeout(Duration::from_millis(500)));
        let answer = provider.credentials().await;
        let expiry = answer.as_ref().ok().and_then(|c| c.expiry());
        report(format!(
            "ok: {}, expiry in the future: {}",
            answer.is_ok(),
            expiry.is_some_and(|e| e > std::time::SystemTime::now())
        ));
        return;
    }
    let body = credentials_json("ASIAIMDSIMDSIMDS05", "2020-01-01T00:00:00Z");
    let server = imds(ResponseTemplate::new(200).set_body_string(body)).await;
    let out = isolated(TEST, imds_env(&server)).await;
    insta::assert_snapshot!(out, @"ok: true, expiry in the future: true");
}

#[tokio::test]
async fn imds_disabled_makes_no_request() {
    const TEST: &str = "imds_disabled_makes_no_request";
    if in_child(TEST) {
        return child_imds().await;
    }
    let server = MockServer::start().await;
    let mut env = imds_env(&server);
    env.push(("AWS_EC2_METADATA_DISABLED", "TRUE".to_owned()));
    let out = isolated(TEST, env).await;
    insta::assert_snapshot!(out, @"error (not configured): imds: AWS_EC2_METADATA_DISABLED is true");
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// A container credentials endpoint that demands `Authorization: <token>`.
async fn container(credentials: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/creds"))
        .and(header("authorization", "container-auth-token"))
        .respond_with(credentials)
        .mount(&server)
        .await;
    server
}

fn container_env(server: &MockServer) -> Vec<(&'static str, String)> {
    vec![
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/creds", server.uri()),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "container-auth-token".to_owned(),
        ),
        ("HOME", "/nonexistent".to_owned()),
    ]
}

/// In the child: resolve through the container endpoint (cached, as the SDK uses it) and report.
async fn child_container() {
    let (logs, _guard) = Logs::capture();
    let provider = CachedProvider::new(
        ContainerProvider::new()
            .connect_timeout(Duration::from_millis(500))
            .read_timeout(Duration::from_millis(500))
            .timeout(Duration::from_millis(
                std::env::var("TEST_TOTAL_TIMEOUT_MS")
                    .ok()
                    .and_then(|ms| ms.parse().ok())
                    .unwrap_or(5000),
            )),
    );
    let answer = provider.credentials().await;
    let seen = format!("{}\n{answer:?}\n{}", describe(&answer), logs.text());
    for secret in [
        SECRET_ACCESS_KEY,
        "session-token-value",
        "container-auth-token",
    ] {
        assert!(!seen.contains(secret), "{seen}");
    }
    report(describe(&answer));
}

#[tokio::test]
async fn container_credentials_with_an_authorization_token() {
    const TEST: &str = "container_credentials_with_an_authorization_token";
    if in_child(TEST) {
        return child_container().await;
    }
    let body = credentials_json("ASIACONTAINERCON02", "2099-01-01T00:00:00Z");
    let server = container(ResponseTemplate::new(200).set_body_string(body)).await;
    let out = isolated(TEST, container_env(&server)).await;
    insta::assert_snapshot!(out, @r"
    mode: iam
    source: container
    id: ****ON02
    session token: true
    account: -
    expiry: 2099-01-01T00:00:00Z
    ");
}

#[tokio::test]
async fn container_authorization_token_file() {
    const TEST: &str = "container_authorization_token_file";
    if in_child(TEST) {
        return child_container().await;
    }
    let body = credentials_json("ASIACONTAINERCON03", "2099-01-01T00:00:00Z");
    let server = container(ResponseTemplate::new(200).set_body_string(body)).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "container-auth-token").unwrap();
    let mut env = container_env(&server);
    env.retain(|(name, _)| *name != "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    env.push((
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        token_file.display().to_string(),
    ));
    let out = isolated(TEST, env).await;
    assert!(out.contains("id: ****ON03"), "{out}");
}

#[tokio::test]
async fn container_errors_stop_the_chain() {
    const TEST: &str = "container_errors_stop_the_chain";
    if in_child(TEST) {
        return child_container().await;
    }
    let answers = [
        ResponseTemplate::new(400).set_body_string("bad request"),
        ResponseTemplate::new(500),
        ResponseTemplate::new(200).set_body_string("<html>not json</html>"),
        ResponseTemplate::new(200).set_delay(Duration::from_secs(30)),
    ];
    // aws-config retries 5xx and unreadable answers with backoff (about 2 s in all), so the
    // cases run side by side; the silent one gets a 1 s total timeout.
    let mut runs = Vec::new();
    for (i, answer) in answers.into_iter().enumerate() {
        runs.push(tokio::spawn(async move {
            let server = container(answer).await;
            let mut env = container_env(&server);
            let total = if i == 3 { "1000" } else { "5000" };
            env.push(("TEST_TOTAL_TIMEOUT_MS", total.to_owned()));
            let out = isolated(TEST, env).await;
            out.replace(&server.uri(), "[ENDPOINT]")
        }));
    }
    let mut outcomes = Vec::new();
    for run in runs {
        outcomes.push(run.await.unwrap());
    }
    insta::assert_snapshot!(outcomes.join("\n"), @r#"
        error (stops the chain): container: the container credentials endpoint gave no credentials; check the task role (ECS) or pod identity association (EKS), and AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / AWS_CONTAINER_CREDENTIALS_FULL_URI and the authorization token
          caused by: Non-success status from HTTP credential provider: StatusCode(400)
        error (stops the chain): container: the container credentials endpoint gave no credentials; check the task role (ECS) or pod identity association (EKS), and AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / AWS_CONTAINER_CREDENTIALS_FULL_URI and the authorization token
          caused by: Non-success status from HTTP credential provider: StatusCode(500)
        error (stops the chain): container: the container credentials endpoint gave no credentials; check the task role (ECS) or pod identity association (EKS), and AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / AWS_CONTAINER_CREDENTIALS_FULL_URI and the authorization token
          caused by: invalid JSON in response: Error at offset 0: unexpected token '<'. Expected one of '{', '[', '"', 'null', 'true', 'false', <number>
        error (stops the chain): container did not answer within 1s
    "#);
}

#[tokio::test]
async fn container_credentials_that_arrive_expired_are_refused() {
    const TEST: &str = "container_credentials_that_arrive_expired_are_refused";
    if in_child(TEST) {
        return child_container().await;
    }
    let body = credentials_json("ASIACONTAINERCON04", "2020-01-01T00:00:00Z");
    let server = container(ResponseTemplate::new(200).set_body_string(body)).await;
    let out = isolated(TEST, container_env(&server)).await;
    insta::assert_snapshot!(out, @"error (stops the chain): the credentials from container expired at 2020-01-01T00:00:00Z; refresh them at their source (for example `aws sso login`, or new keys) and try again");
}

#[tokio::test]
async fn container_full_uri_outside_the_allow_list_is_refused() {
    const TEST: &str = "container_full_uri_outside_the_allow_list_is_refused";
    if in_child(TEST) {
        return child_container().await;
    }
    let out = isolated(
        TEST,
        vec![
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://192.0.2.10/creds".to_owned(),
            ),
            ("HOME", "/nonexistent".to_owned()),
        ],
    )
    .await;
    assert!(
        out.starts_with("error (stops the chain): container"),
        "{out}"
    );
    assert!(out.contains("192.0.2.10"), "{out}");
}
