//! The session API against a wiremock data plane: what a start and a stop send, signed how,
//! settings refused before any call, refusals that name the permission or the quota, and
//! throttled or failed calls repeated as the AWS SDKs repeat them.

use nova_test_support::{answer, mount};
use std::time::Duration;

use nova_agentcore::{BrowserSessions, SessionError, SessionOptions};
use nova_auth::{Auth, AuthMode, AwsCredentials, Credentials, Env, Source};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Where StartBrowserSession goes for the AWS-managed browser.
const START: &str = "/browsers/aws.browser.v1/sessions/start";

/// The session API's refusal: `status`, the error's name in `x-amzn-errortype`, its message.
fn refuse(status: u16, kind: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-amzn-errortype", kind)
        .set_body_json(json!({"message": message}))
}

async fn auth() -> Auth {
    let aws = AwsCredentials::new("AKIDEXAMPLE", "secret", Some("token".into()), Source::Code);
    Auth::builder()
        .mode(AuthMode::Iam)
        .aws_provider(Credentials::from(aws))
        .region("us-west-2")
        .env(Env::empty())
        .build()
        .await
        .unwrap()
}

async fn sessions(server: &MockServer) -> BrowserSessions {
    BrowserSessions::builder(&auth().await)
        .env(Env::empty())
        .endpoint_url(server.uri())
        .build()
        .unwrap()
}

fn started() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "browserIdentifier": "aws.browser.v1",
        "sessionId": "01JSESSION",
        "createdAt": "2026-12-02T00:00:00Z",
        "streams": {
            "automationStream": {"streamEndpoint": "wss://example/automation", "streamStatus": "ENABLED"},
            "liveViewStream": {"streamEndpoint": "https://example/live-view"}
        }
    }))
}

#[tokio::test]
async fn a_session_starts_with_its_settings_and_stops_by_id() {
    let server = MockServer::start().await;
    answer("PUT", START, started())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/browsers/aws.browser.v1/sessions/stop"))
        .and(query_param("sessionId", "01JSESSION"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "browserIdentifier": "aws.browser.v1",
            "sessionId": "01JSESSION",
            "lastUpdatedAt": "2026-12-02T00:01:00Z"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let sessions = sessions(&server).await;
    let session = sessions
        .start(
            SessionOptions::new()
                .timeout(Duration::from_secs(900))
                .viewport(1280, 800)
                .name("price-watch"),
        )
        .await
        .unwrap();
    assert_eq!(session.id(), "01JSESSION");
    let host = server.uri().trim_start_matches("http://").to_owned();
    assert_eq!(
        session.automation_url().unwrap(),
        format!("ws://{host}/browser-streams/aws.browser.v1/sessions/01JSESSION/automation")
    );
    session.stop().await.unwrap();

    let requests = server.received_requests().await.unwrap();
    let start: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(start["name"], "price-watch");
    assert_eq!(start["sessionTimeoutSeconds"], 900);
    assert_eq!(start["viewPort"], json!({"width": 1280, "height": 800}));
    assert!(start["clientToken"].as_str().is_some_and(|t| t.len() >= 33));
    // Signed for bedrock-agentcore in the auth's region, as the AWS SDK's signer signs.
    for request in &requests {
        nova_test_support::verify_sigv4(request, "secret", "us-west-2", "bedrock-agentcore");
    }
}

#[tokio::test]
async fn settings_out_of_range_are_refused_before_any_call() {
    let server = MockServer::start().await;
    let sessions = sessions(&server).await;
    for options in [
        SessionOptions::new().viewport(640, 480),
        SessionOptions::new().timeout(Duration::from_secs(28_801)),
        SessionOptions::new().browser("not a browser"),
    ] {
        let err = sessions.start(options).await.unwrap_err();
        assert!(matches!(err, SessionError::InvalidOptions { .. }), "{err}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
    // An endpoint in cleartext beyond this machine is refused too.
    let err = BrowserSessions::builder(&auth().await)
        .env(Env::empty())
        .endpoint_url("http://10.0.0.5:8080")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("cleartext"), "{err}");
}

#[tokio::test]
async fn calls_are_signed_for_agentcore_and_throttled_ones_are_repeated() {
    let server = MockServer::start().await;
    answer(
        "PUT",
        START,
        refuse(429, "ThrottlingException", "Rate exceeded"),
    )
    .up_to_n_times(1)
    .mount(&server)
    .await;
    mount(&server, "PUT", START, started()).await;
    let session = sessions(&server)
        .await
        .start(SessionOptions::new())
        .await
        .unwrap();
    assert_eq!(session.id(), "01JSESSION");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "one throttled attempt, one more");
    let bodies: Vec<Value> = requests
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(
        bodies[0]["clientToken"], bodies[1]["clientToken"],
        "a repeated start carries the same idempotency token"
    );
    let authorization = requests[1].headers["authorization"].to_str().unwrap();
    assert!(
        authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
            && authorization.contains("/us-west-2/bedrock-agentcore/aws4_request"),
        "{authorization}"
    );
    assert_eq!(requests[1].headers["x-amz-security-token"], "token");
    session.stop().await.ok();

    // A server error of a stop (safe to repeat) is repeated; the answer, once it fails every
    // attempt, says what the service said.
    let failing = MockServer::start().await;
    mount(
        &failing,
        "PUT",
        START,
        refuse(500, "InternalServerException", "try again"),
    )
    .await;
    let err = sessions(&failing)
        .await
        .start(SessionOptions::new())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "AgentCore StartBrowserSession failed: try again (InternalServerException)"
    );
    assert_eq!(failing.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn refusals_name_the_permission_or_the_quota() {
    let server = MockServer::start().await;
    answer(
        "PUT",
        START,
        refuse(
            403,
            "AccessDeniedException",
            "User is not authorized to perform: bedrock-agentcore:StartBrowserSession",
        ),
    )
    .up_to_n_times(1)
    .mount(&server)
    .await;
    mount(
        &server,
        "PUT",
        START,
        refuse(
            402,
            "ServiceQuotaExceededException",
            "Too many browser sessions",
        ),
    )
    .await;
    let sessions = sessions(&server).await;
    let denied = sessions.start(SessionOptions::new()).await.unwrap_err();
    assert!(
        matches!(
            denied,
            SessionError::AccessDenied {
                action: "StartBrowserSession",
                ..
            }
        ),
        "{denied:?}"
    );
    let quota = sessions.start(SessionOptions::new()).await.unwrap_err();
    assert!(
        matches!(quota, SessionError::QuotaExceeded { .. }),
        "{quota:?}"
    );
    insta::assert_snapshot!(format!("{denied}\n{quota}"), @r"
        AgentCore refused StartBrowserSession: User is not authorized to perform: bedrock-agentcore:StartBrowserSession. Allow `bedrock-agentcore:StartBrowserSession` on arn:aws:bedrock-agentcore:REGION:ACCOUNT:browser/* in the caller's IAM policy
        AgentCore refused StartBrowserSession: Too many browser sessions. The account's quota of browser sessions is used up: stop sessions you no longer need, lower the concurrency, or request a quota increase
    ");
}

/// A data plane that starts sessions and counts stops.
async fn data_plane_counting_stops() -> MockServer {
    let server = MockServer::start().await;
    mount(&server, "PUT", START, started()).await;
    mount(
        &server,
        "PUT",
        "/browsers/aws.browser.v1/sessions/stop",
        ResponseTemplate::new(200).set_body_json(json!({
            "browserIdentifier": "aws.browser.v1",
            "sessionId": "01JSESSION",
            "lastUpdatedAt": "2026-12-02T00:01:00Z"
        })),
    )
    .await;
    server
}

async fn stops(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/sessions/stop"))
        .count()
}

#[tokio::test]
async fn a_session_is_stopped_when_its_body_returns_panics_or_is_interrupted() {
    let server = data_plane_counting_stops().await;
    let sessions = sessions(&server).await;

    // Returns: stopped once, even though the body stopped it too.
    let id = sessions
        .with_session(SessionOptions::new(), None, |session| async move {
            session.stop().await.unwrap();
            session.id().to_owned()
        })
        .await
        .unwrap();
    assert_eq!(id, "01JSESSION");
    assert_eq!(stops(&server).await, 1);

    // Panics: stopped, and the panic goes on.
    let panicked = tokio::spawn({
        let sessions = sessions.clone();
        async move {
            sessions
                .with_session(SessionOptions::new(), None, |_session| async move {
                    panic!("the workflow broke");
                })
                .await
        }
    })
    .await;
    assert!(panicked.unwrap_err().is_panic());
    assert_eq!(stops(&server).await, 2);

    // Interrupted (Ctrl-C through a Shutdown): the body ends, the session is stopped.
    let shutdown = nova_act_core::runtime::Shutdown::new();
    let trigger = shutdown.clone();
    let err = sessions
        .with_session(
            SessionOptions::new(),
            Some(&shutdown),
            |_session| async move {
                trigger.trigger("SIGINT");
                std::future::pending::<()>().await;
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "interrupted by SIGINT; remote browser session 01JSESSION was stopped"
    );
    assert_eq!(stops(&server).await, 3);
}

#[tokio::test]
async fn a_session_dropped_unstopped_is_stopped_as_a_last_resort() {
    let server = data_plane_counting_stops().await;
    let session = sessions(&server)
        .await
        .start(SessionOptions::new())
        .await
        .unwrap();
    let clone = session.clone();
    drop(session);
    assert_eq!(stops(&server).await, 0, "a clone still holds it");
    drop(clone);
    // The stop runs on the runtime; wait for it a bounded while.
    for _ in 0..200 {
        if stops(&server).await == 1 {
            return;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the dropped session was never stopped");
}
