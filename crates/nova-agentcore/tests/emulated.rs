//! Remote browsers end to end against the emulator's AgentCore Browser: acts on emulated
//! sessions (one, then ten at once through a pool), the handshake's SigV4 refusals, the
//! remote-browser policy, the quota, the timeout, and a browser that goes away mid-act.
//! Each session is a real headless Chromium the emulator launched.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use nova_act_core::model::CreateWorkflowDefinitionInput;
use nova_act_core::model::{Call, CallResult};
use nova_act_core::runtime::{ActError, Workflow, WorkflowError};
use nova_act_core::{Client, RetryConfig};
use nova_agentcore::{
    BROWSER_ACTIONS, BrowserPool, BrowserSessions, SessionError, SessionOptions, browser_policy,
};
use nova_auth::{Auth, AuthMode, AwsCredentials, Credentials, Env, Source};
use nova_browser::{Browser, BrowserError, Remote};
use nova_emulator::{AccessKey, ActView, Emulator, Planner, Policy, RunningEmulator, call};
use nova_test_support::act;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const DEFINITION: &str = "remote-flow";

fn credentials(key: &AccessKey) -> Credentials {
    Credentials::from(AwsCredentials::new(
        &key.access_key_id,
        key.secret_access_key.as_str(),
        key.session_token.clone().map(Into::into),
        Source::Code,
    ))
}

async fn auth(key: &AccessKey) -> Auth {
    Auth::builder()
        .mode(AuthMode::Iam)
        .aws_provider(credentials(key))
        .region("us-east-1")
        .env(Env::empty())
        .build()
        .await
        .unwrap()
}

/// The AgentCore Browser sessions of `emulator`, for `key`.
async fn sessions_for(emulator: &RunningEmulator, key: &AccessKey) -> BrowserSessions {
    BrowserSessions::builder(&auth(key).await)
        .env(Env::empty())
        .endpoint_url(emulator.url())
        .build()
        .unwrap()
}

/// An emulator, a Nova Act client of it and its AgentCore Browser sessions.
async fn emulated() -> (RunningEmulator, Client, BrowserSessions) {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = nova_act(&emulator).await;
    let sessions = sessions_for(&emulator, emulator.access_key()).await;
    (emulator, client, sessions)
}

/// A Nova Act client of the emulator under IAM, with the workflow definition the acts use.
async fn nova_act(emulator: &RunningEmulator) -> Client {
    let client = Client::builder()
        .credentials_provider(credentials(emulator.access_key()), AuthMode::Iam)
        .endpoint_url(emulator.url())
        .env(Env::empty())
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    client
        .create_workflow_definition(CreateWorkflowDefinitionInput {
            name: DEFINITION.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    client
}

/// Whether the tests must have a browser (CI sets `NOVA_BROWSER_REQUIRED`); without one, and
/// without that variable, each test that starts a session is skipped.
#[allow(clippy::print_stderr)] // The skip must be visible in the test's output.
fn skipped(err: &SessionError) -> bool {
    let text = err.to_string();
    let missing = text.contains("no Chrome or Chromium") || text.contains("is not executable");
    if missing && std::env::var_os("NOVA_BROWSER_REQUIRED").is_none() {
        eprintln!("skipped: {text}");
        return true;
    }
    false
}

/// A page the remote browsers open: its path is echoed in its title.
async fn site() -> MockServer {
    let site = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/html")
                .set_body_string(
                    "<!doctype html><title>Remote</title><h1>Served to a remote browser</h1>",
                ),
        )
        .mount(&site)
        .await;
    site
}

use nova_test_support::alive;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_act_runs_end_to_end_on_an_emulated_session() {
    let (emulator, client, sessions) = emulated().await;
    let site = site().await;
    let page = format!("{}/pricing", site.uri());
    let mut pids = Vec::new();
    let outcome = sessions
        .with_session(SessionOptions::new().name("e2e"), None, |session| {
            let page = page.clone();
            let client = client.clone();
            let pids = &mut pids;
            let emulator = &emulator;
            async move {
                pids.extend(emulator.browser_session_pids());
                let browser = session
                    .connect(Browser::builder().starting_page(&page))
                    .await?;
                assert!(browser.is_attached());
                let answer = Workflow::new(&client)
                    .definition(DEFINITION)
                    .act_once(browser, "Which page is open?")
                    .await;
                Ok::<_, SessionError>(answer)
            }
        })
        .await;
    let answer = match outcome {
        Err(err) if skipped(&err) => return,
        other => other.unwrap().unwrap().unwrap(),
    };
    assert_eq!(answer.value, Some(json!(page)));
    assert_eq!(pids.len(), 1, "one Chromium for the session");
    assert!(
        emulator.browser_sessions().is_empty(),
        "the session was stopped"
    );
    assert!(!pids.iter().any(|pid| alive(*pid)), "its Chromium is gone");
    emulator.shutdown().await;
}

/// Runs `body` on a new session of `emulator` named `name`, under IAM, then shuts the emulator
/// down. Without a browser (and without `NOVA_BROWSER_REQUIRED`) the test is skipped.
async fn on_a_session<F, Fut>(emulator: RunningEmulator, name: &str, body: F)
where
    F: FnOnce(nova_agentcore::RemoteSession) -> Fut,
    Fut: std::future::Future<Output = Result<(), SessionError>>,
{
    let sessions = sessions_for(&emulator, emulator.access_key()).await;
    let outcome = sessions
        .with_session(SessionOptions::new().name(name), None, body)
        .await;
    match outcome {
        Err(err) if skipped(&err) => {}
        other => other.unwrap().unwrap(),
    }
    emulator.shutdown().await;
}

/// The act every browser passes alike (nova-browser's tests run it launched and attached).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_act_passes_on_a_remote_browser() {
    let emulator = Emulator::builder()
        .planner(act::FormPlanner)
        .start()
        .await
        .unwrap();
    let client = nova_act(&emulator).await;
    let site = act::Site::start().await;
    let (client, site) = (&client, &site);
    on_a_session(emulator, "shared-act", |session| async move {
        let browser = session
            .connect(Browser::builder().starting_page(site.url("/form")))
            .await?;
        act::check_form_act(client, Some(DEFINITION), browser, site).await;
        Ok(())
    })
    .await;
}

/// A URL policy holds on a remote browser as on a local one: nothing blocked reaches the site.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_browser_never_requests_a_blocked_url() {
    let emulator = Emulator::builder().start().await.unwrap();
    let site = act::Site::start().await;
    let site = &site;
    on_a_session(emulator, "blocking", |session| async move {
        let policy = || act::blocking_policy(site);
        let refused = session
            .connect(
                Browser::builder()
                    .url_policy(policy())
                    .starting_page(site.url("/secret/start")),
            )
            .await
            .expect_err("a blocked starting page is refused");
        assert!(
            matches!(
                refused,
                SessionError::Browser(BrowserError::StartingPageBlocked { .. })
            ),
            "{refused}"
        );
        assert_eq!(site.requests(), Vec::<String>::new());
        let browser = session
            .connect(
                Browser::builder()
                    .url_policy(policy())
                    .starting_page(site.url("/probe")),
            )
            .await?;
        act::check_blocking(browser, site).await;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_acts_run_at_once_on_ten_sessions_and_leave_nothing_behind() {
    let (emulator, client, sessions) = emulated().await;
    let site = site().await;
    let seen: Arc<Mutex<Vec<u32>>> = Arc::default();
    let pool = BrowserPool::new(&sessions).concurrency(10);
    let results = pool
        .run(0..10, |job, browser| {
            let client = client.clone();
            let seen = Arc::clone(&seen);
            let page = format!("{}/item/{job}", site.uri());
            let running = emulator.browser_session_pids();
            async move {
                let answer = Workflow::new(&client)
                    .definition(DEFINITION)
                    .act_once(browser, format!("Open {page} and say where you are"))
                    .await;
                seen.lock().unwrap().extend(running);
                answer.map(|result| (job, result.value))
            }
        })
        .await;
    if let Some(Err(nova_agentcore::PoolError::Session(err))) = results.first()
        && skipped(err)
    {
        return;
    }
    for (job, result) in results.into_iter().enumerate() {
        let (index, value) = result.unwrap_or_else(|err| panic!("job {job}: {err}"));
        assert_eq!(index, job);
        // The default planner observes and answers with the page's URL; the act's own
        // navigation is not scripted, so the page is the blank one each session starts on.
        assert_eq!(value, Some(json!("about:blank")));
    }
    let seen = seen.lock().unwrap().clone();
    let all_pids: std::collections::BTreeSet<u32> = seen.into_iter().collect();
    assert_eq!(emulator.acts().len(), 10);
    assert_eq!(
        emulator.browser_sessions_started(),
        10,
        "a session of its own for each act"
    );
    assert!(
        all_pids.len() >= 2,
        "sessions ran side by side: {all_pids:?}"
    );
    assert!(
        emulator.browser_sessions().is_empty(),
        "every session was stopped"
    );
    let left: Vec<u32> = all_pids.into_iter().filter(|pid| alive(*pid)).collect();
    assert!(left.is_empty(), "Chromiums left: {left:?}");
    emulator.shutdown().await;
}

/// Connects to `url` with `headers` as the handshake; the refusal's text.
async fn refusal(url: &str, headers: Vec<(String, String)>) -> String {
    let mut remote = Remote::new(url).unwrap();
    for (name, value) in headers {
        remote = remote.header(name, value);
    }
    match Browser::builder().connect(remote).await {
        Err(BrowserError::Connect { reason, .. }) => reason,
        Err(other) => panic!("not a refused handshake: {other}"),
        Ok(_) => panic!("the handshake was accepted"),
    }
}

fn aws(key: &AccessKey) -> AwsCredentials {
    AwsCredentials::new(
        &key.access_key_id,
        key.secret_access_key.as_str(),
        key.session_token.clone().map(Into::into),
        Source::Code,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshakes_with_bad_signatures_are_refused_with_the_aws_error_names() {
    let with_token = AccessKey {
        session_token: Some("the-session-token".into()),
        ..nova_emulator::generate_access_key()
    };
    let emulator = Emulator::builder()
        .access_key(nova_emulator::generate_access_key())
        .access_key(with_token.clone())
        .start()
        .await
        .unwrap();
    let sessions = sessions_for(&emulator, emulator.access_key()).await;
    let session = match sessions.start(SessionOptions::new()).await {
        Err(err) if skipped(&err) => return,
        other => other.unwrap(),
    };
    let url = session.automation_url().unwrap();
    let now = SystemTime::now();
    let sign = |key: AwsCredentials, at: SystemTime| {
        nova_agentcore::sign_handshake(&url, &key, "us-east-1", at).unwrap()
    };
    let good = emulator.access_key();
    let unknown = AwsCredentials::new("AKIAUNKNOWN000000000", "secret", None, Source::Code);
    let wrong_secret =
        AwsCredentials::new(&good.access_key_id, "not-the-secret", None, Source::Code);
    let no_token = AwsCredentials::new(
        &with_token.access_key_id,
        with_token.secret_access_key.as_str(),
        None,
        Source::Code,
    );
    // Signed for Nova Act instead of bedrock-agentcore.
    let wrong_service = {
        let host = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let path = url.trim_start_matches("ws://")[host.len()..].to_owned();
        let mut request = http::Request::get(format!("https://{host}{path}"))
            .header("host", &host)
            .body(Vec::new())
            .unwrap();
        nova_act_core::sign_request_for(&mut request, &aws(good), "us-east-1", "nova-act", now)
            .unwrap();
        request
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect()
    };
    let cases: Vec<(&str, Vec<(String, String)>)> = vec![
        ("no signature", Vec::new()),
        ("unknown key", sign(unknown, now)),
        ("wrong secret", sign(wrong_secret, now)),
        (
            "stale date",
            sign(aws(good), now - Duration::from_secs(900)),
        ),
        ("wrong service", wrong_service),
        ("missing token", sign(no_token, now)),
    ];
    let mut report = Vec::new();
    for (case, headers) in cases {
        let reason = refusal(&url, headers).await;
        report.push(format!("{case}: {reason}"));
    }
    // Signed right, the same session's stream is accepted.
    let browser = session.connect(Browser::builder()).await.unwrap();
    drop(browser);
    session.stop().await.unwrap();
    insta::assert_snapshot!(report.join("\n"), @r#"
        no signature: the server refused the handshake with HTTP 403 Forbidden MissingAuthenticationTokenException: {"message":"Missing Authentication Token"}
        unknown key: the server refused the handshake with HTTP 403 Forbidden UnrecognizedClientException: {"message":"The security token included in the request is invalid."}
        wrong secret: the server refused the handshake with HTTP 403 Forbidden InvalidSignatureException: {"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."}
        stale date: the server refused the handshake with HTTP 403 Forbidden InvalidSignatureException: {"message":"Signature expired: the request time is more than 5 minutes from the server's time"}
        wrong service: the server refused the handshake with HTTP 403 Forbidden InvalidSignatureException: {"message":"Credential should be scoped to a valid region and service: expected us-east-1/bedrock-agentcore, got us-east-1/nova-act"}
        missing token: the server refused the handshake with HTTP 403 Forbidden UnrecognizedClientException: {"message":"The security token included in the request is invalid."}
    "#);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_remote_browser_policy_is_enough_and_anything_less_is_refused() {
    let policy_without = |missing: Option<&str>| {
        let mut policy = browser_policy(Some("us-east-1"), Some(nova_emulator::ACCOUNT_ID));
        let actions: Vec<&str> = BROWSER_ACTIONS
            .iter()
            .copied()
            .filter(|action| Some(*action) != missing)
            .collect();
        policy["Statement"][0]["Action"] = json!(actions);
        Policy::from_json(&policy.to_string()).unwrap()
    };
    // Every action in use, with the whole policy: start, read, list, connect, stop.
    let key = nova_emulator::generate_access_key();
    let emulator = Emulator::builder()
        .access_key(key.clone())
        .policy(&key.access_key_id, policy_without(None))
        .start()
        .await
        .unwrap();
    let sessions = sessions_for(&emulator, &key).await;
    let session = match sessions.start(SessionOptions::new()).await {
        Err(err) if skipped(&err) => return,
        other => other.unwrap(),
    };
    assert_eq!(sessions.status(&session).await.unwrap(), "READY");
    assert_eq!(
        sessions.running("aws.browser.v1").await.unwrap(),
        [session.id().to_owned()]
    );
    let browser = session.connect(Browser::builder()).await.unwrap();
    drop(browser);
    session.stop().await.unwrap();
    emulator.shutdown().await;

    // Each action taken away is refused, by name.
    let mut refused = Vec::new();
    for missing in BROWSER_ACTIONS {
        let key = nova_emulator::generate_access_key();
        let emulator = Emulator::builder()
            .access_key(key.clone())
            .policy(&key.access_key_id, policy_without(Some(missing)))
            .start()
            .await
            .unwrap();
        let sessions = sessions_for(&emulator, &key).await;
        let outcome: Result<(), SessionError> = async {
            let session = sessions.start(SessionOptions::new()).await?;
            let steps = async {
                sessions.status(&session).await?;
                sessions.running("aws.browser.v1").await?;
                drop(session.connect(Browser::builder()).await?);
                Ok::<(), SessionError>(())
            }
            .await;
            let stopped = session.stop().await;
            steps.and(stopped)
        }
        .await;
        let err = outcome.unwrap_err();
        refused.push(format!("{missing}: {err}"));
        emulator.shutdown().await;
    }
    insta::assert_snapshot!(refused.join("\n"), @r#"
        bedrock-agentcore:StartBrowserSession: AgentCore refused StartBrowserSession: User is not authorized to perform: bedrock-agentcore:StartBrowserSession on resource: arn:aws:bedrock-agentcore:us-east-1:123456789012:browser/aws.browser.v1. Allow `bedrock-agentcore:StartBrowserSession` on arn:aws:bedrock-agentcore:REGION:ACCOUNT:browser/* in the caller's IAM policy
        bedrock-agentcore:GetBrowserSession: AgentCore refused GetBrowserSession: User is not authorized to perform: bedrock-agentcore:GetBrowserSession on resource: arn:aws:bedrock-agentcore:us-east-1:123456789012:browser/aws.browser.v1. Allow `bedrock-agentcore:GetBrowserSession` on arn:aws:bedrock-agentcore:REGION:ACCOUNT:browser/* in the caller's IAM policy
        bedrock-agentcore:ListBrowserSessions: AgentCore refused ListBrowserSessions: User is not authorized to perform: bedrock-agentcore:ListBrowserSessions on resource: arn:aws:bedrock-agentcore:us-east-1:123456789012:browser/aws.browser.v1. Allow `bedrock-agentcore:ListBrowserSessions` on arn:aws:bedrock-agentcore:REGION:ACCOUNT:browser/* in the caller's IAM policy
        bedrock-agentcore:StopBrowserSession: AgentCore refused StopBrowserSession: User is not authorized to perform: bedrock-agentcore:StopBrowserSession on resource: arn:aws:bedrock-agentcore:us-east-1:123456789012:browser/aws.browser.v1. Allow `bedrock-agentcore:StopBrowserSession` on arn:aws:bedrock-agentcore:REGION:ACCOUNT:browser/* in the caller's IAM policy
        bedrock-agentcore:ConnectBrowserAutomationStream: AgentCore refused ConnectBrowserAutomationStream: User is not authorized to perform: bedrock-agentcore:ConnectBrowserAutomationStream on resource: arn:aws:bedrock-agentcore:us-east-1:123456789012:browser/aws.browser.v1. Allow `bedrock-agentcore:ConnectBrowserAutomationStream` on arn:aws:bedrock-agentcore:REGION:ACCOUNT:browser/* in the caller's IAM policy
    "#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quota_refuses_sessions_and_the_timeout_and_shutdown_end_them() {
    let emulator = Emulator::builder()
        .browser_session_quota(1)
        .start()
        .await
        .unwrap();
    let sessions = sessions_for(&emulator, emulator.access_key()).await;
    let short = match sessions
        .start(SessionOptions::new().timeout(Duration::from_secs(1)))
        .await
    {
        Err(err) if skipped(&err) => return,
        other => other.unwrap(),
    };
    let first = emulator.browser_session_pids();
    let over = sessions.start(SessionOptions::new()).await.unwrap_err();
    // The snapshot names the action.
    assert!(matches!(over, SessionError::QuotaExceeded { .. }), "{over}");
    insta::assert_snapshot!(over.to_string(), @r"AgentCore refused StartBrowserSession: The number of active browser sessions (1) has reached the quota of 1. The account's quota of browser sessions is used up: stop sessions you no longer need, lower the concurrency, or request a quota increase");
    // The session ends at its timeout: its Chromium goes, and the quota has room again.
    tokio::time::timeout(
        Duration::from_secs(60),
        emulator.browser_session_ended(short.id()),
    )
    .await
    .expect("the session ended at its timeout");
    assert_eq!(sessions.status(&short).await.unwrap(), "TERMINATED");
    assert!(!first.iter().any(|pid| alive(*pid)));
    let kept = sessions.start(SessionOptions::new()).await.unwrap();
    let second = emulator.browser_session_pids();
    assert_eq!(second.len(), 1);
    // The emulator's shutdown ends the rest.
    emulator.shutdown().await;
    assert!(!second.iter().any(|pid| alive(*pid)));
    drop(short);
    kept.stop().await.unwrap_err();
}

/// A planner that observes, then kills the session's Chromium before asking for another
/// observation: the remote browser goes away in the middle of the act.
struct Vanishing(Arc<Mutex<Vec<u32>>>);

impl Planner for Vanishing {
    fn plan(&self, _act: &ActView, step: usize, _results: &[CallResult]) -> Vec<Call> {
        if step == 1 {
            for pid in self.0.lock().unwrap().iter() {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", "--", &format!("-{pid}")])
                    .status();
            }
        }
        vec![call(step, 0, "takeObservation", json!([]))]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_browser_that_goes_away_fails_its_act_and_the_run_is_finished() {
    let pids: Arc<Mutex<Vec<u32>>> = Arc::default();
    let emulator = Emulator::builder()
        .planner(Vanishing(Arc::clone(&pids)))
        .start()
        .await
        .unwrap();
    let client = nova_act(&emulator).await;
    let sessions = sessions_for(&emulator, emulator.access_key()).await;
    let outcome = sessions
        .with_session(SessionOptions::new(), None, |session| {
            let client = client.clone();
            let pids = Arc::clone(&pids);
            let emulator = &emulator;
            async move {
                pids.lock().unwrap().extend(emulator.browser_session_pids());
                let browser = session.connect(Browser::builder()).await?;
                Ok::<_, SessionError>(
                    Workflow::new(&client)
                        .definition(DEFINITION)
                        .act_once(browser, "Watch the page")
                        .await,
                )
            }
        })
        .await;
    let failed = match outcome {
        Err(err) if skipped(&err) => return,
        other => other.unwrap().unwrap().unwrap_err(),
    };
    let WorkflowError::Body(ActError::ActuatorGone { act_id, .. }) = &failed else {
        panic!("not the browser going away: {failed}");
    };
    let act = emulator
        .acts()
        .into_iter()
        .find(|a| &a.act_id == act_id)
        .unwrap();
    insta::assert_snapshot!(
        format!("{:?} {:?}", act.status, act.error.map(|e| e.error_type)),
        @r#"Failed Some(Some("ActActuatorError"))"#
    );
    emulator.shutdown().await;
}
