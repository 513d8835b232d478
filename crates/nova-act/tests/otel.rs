//! One trace across a deployed workflow: a served invocation continues the `traceparent` its
//! caller sent, the workflow's spans hang under it, and every call the workflow makes passes the
//! trace on to the service.
#![cfg(all(feature = "otel", feature = "serve"))]

use nova_act::agentcore::{Invocation, Runtime};
use nova_act::otel::Telemetry;
use nova_act::{AuthMode, Env};
use nova_emulator::Emulator;
use nova_test_support::otlp::Collector;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER: &str = "00f067aa0ba902b7";

/// Telemetry exporting to a collector, the subscriber of this thread until it is flushed.
struct Exporting(Telemetry, tracing::subscriber::DefaultGuard);

impl Exporting {
    /// Uninstalls the subscriber and flushes: every span is at the collector after it.
    async fn flush(self) {
        let Self(telemetry, guard) = self;
        drop(guard);
        telemetry.shutdown().await;
    }
}

fn export_to(collector: &Collector) -> Exporting {
    let telemetry = Telemetry::builder()
        .env(Env::empty())
        .endpoint(collector.url())
        .build()
        .unwrap();
    let guard = tracing_subscriber::registry()
        .with(telemetry.layer())
        .set_default();
    Exporting(telemetry, guard)
}

/// `runtime` served on a free loopback port until `shutdown` is triggered: its address, and the
/// task serving it.
async fn serve(
    runtime: Runtime,
    shutdown: &nova_act::runtime::Shutdown,
) -> (
    std::net::SocketAddr,
    tokio::task::JoinHandle<Result<(), nova_act::agentcore::ServeError>>,
) {
    let runtime = runtime
        .env(Env::empty())
        .address(([127, 0, 0, 1], 0).into())
        .shutdown(shutdown)
        .bind()
        .await
        .unwrap();
    (runtime.local_addr(), tokio::spawn(runtime.run()))
}

// One thread: the subscriber is this test's (`set_default`), and every task runs where it is.
#[tokio::test(flavor = "current_thread")]
async fn an_invocation_continues_the_callers_trace_and_passes_it_on() {
    let collector = Collector::start().await;
    let emulator = Emulator::builder().record_requests().start().await.unwrap();
    let exporting = export_to(&collector);

    let client = emulator.client(AuthMode::ApiKey).build().unwrap();
    let shutdown = nova_act::runtime::Shutdown::new();
    let runtime = Runtime::new(move |_: Invocation| {
        let client = client.clone();
        async move {
            let run = nova_act::runtime::Workflow::new(&client)
                .run(|run| async move { Ok::<_, String>(run.id().to_owned()) })
                .await
                .map_err(|err| err.to_string())?;
            Ok::<_, String>(serde_json::json!({ "run": run }))
        }
    });
    let (address, served) = serve(runtime, &shutdown).await;
    let answer = nova_act::tls::http_client()
        .build()
        .unwrap()
        .post(format!("http://{address}/invocations"))
        .header("traceparent", format!("00-{TRACE}-{CALLER}-01"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    shutdown.trigger("the test");
    served.await.unwrap().unwrap();
    exporting.flush().await;

    let spans = collector.spans();
    let invocation = spans
        .iter()
        .find(|s| s.name == "nova_act.invocation")
        .expect("the invocation's span");
    assert_eq!(invocation.parent_span_id, CALLER);
    let run = spans
        .iter()
        .find(|s| s.name == "nova_act.workflow_run")
        .expect("the run's span");
    assert_eq!(run.parent_span_id, invocation.span_id);
    assert!(spans.iter().all(|s| s.trace_id == TRACE), "{spans:#?}");

    // CreateWorkflowRun and UpdateWorkflowRun, each sent with the trace and its call's span.
    let recorded = emulator.recorded();
    assert_eq!(recorded.len(), 2);
    let calls: Vec<&str> = spans
        .iter()
        .filter(|s| s.name.starts_with("NovaAct."))
        .map(|s| s.span_id.as_str())
        .collect();
    for request in recorded {
        let parent = request.traceparent.expect("a traceparent on every call");
        let [version, trace, span, flags] = parent.split('-').collect::<Vec<_>>()[..] else {
            panic!("{parent}")
        };
        assert_eq!((version, trace, flags), ("00", TRACE, "01"));
        assert!(
            calls.contains(&span),
            "{span} is not a call's span: {calls:?}"
        );
    }
}

/// A runtime served on this machine and invoked with `invoke_local` (as `nova-act workflow
/// invoke --local` does) continues the caller's trace: the invocation hangs under the call's
/// `BedrockAgentCore.InvokeAgentRuntime` span.
#[cfg(feature = "deploy")]
#[tokio::test(flavor = "current_thread")]
async fn a_local_invocation_hands_the_runtime_its_trace() {
    use nova_act::agentcore::{invoke_local, new_session_id};

    let collector = Collector::start().await;
    let exporting = export_to(&collector);
    let shutdown = nova_act::runtime::Shutdown::new();
    let runtime = Runtime::new(|_: Invocation| async { Ok::<_, String>(serde_json::json!({})) });
    let (address, served) = serve(runtime, &shutdown).await;
    let url = format!("http://{address}");
    let answer = invoke_local(&url, &new_session_id(), None, b"{}".to_vec()).await;
    assert_eq!(answer.unwrap().status(), 200);
    shutdown.trigger("the test");
    served.await.unwrap().unwrap();
    exporting.flush().await;

    let spans = collector.spans();
    let named = |name: &str| {
        spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no span {name}: {spans:#?}"))
    };
    let call = named("BedrockAgentCore.InvokeAgentRuntime");
    let invocation = named("nova_act.invocation");
    assert_eq!(invocation.parent_span_id, call.span_id);
    assert_eq!(invocation.trace_id, call.trace_id);
}

/// CloudWatch takes spans signed with SigV4 as `xray`: each export is signed with the AWS
/// credentials given (checked with the AWS SDK's own signer); an API key is refused, never sent.
#[tokio::test(flavor = "current_thread")]
async fn spans_for_cloudwatch_are_signed_as_xray() {
    use nova_test_support::keys::{ACCESS_KEY_ID, SECRET_ACCESS_KEY};
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

    let xray = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/v1/traces"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&xray)
        .await;
    let credentials = nova_act::AwsCredentials::new(
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        None,
        nova_act::Source::Code,
    );
    let telemetry = Telemetry::builder()
        .env(Env::empty())
        .cloudwatch("eu-west-1", nova_act::Credentials::from(credentials))
        .endpoint(xray.uri())
        .build()
        .unwrap();
    assert_eq!(
        telemetry.metrics_endpoint(),
        None,
        "CloudWatch takes spans only"
    );
    let subscriber = tracing_subscriber::registry().with(telemetry.layer());
    let guard = subscriber.set_default();
    let emulator = Emulator::builder().start().await.unwrap();
    let client = emulator.client(AuthMode::ApiKey).build().unwrap();
    nova_act::runtime::Workflow::new(&client)
        .run(|_| async { Ok::<_, String>(()) })
        .await
        .unwrap();
    drop(guard);
    telemetry.shutdown().await;

    let received = xray.received_requests().await.unwrap();
    assert!(!received.is_empty());
    for request in &received {
        let authorization = request.headers["authorization"].to_str().unwrap();
        assert!(
            authorization.contains("/eu-west-1/xray/aws4_request"),
            "{authorization}"
        );
        nova_test_support::verify_sigv4(request, SECRET_ACCESS_KEY, "eu-west-1", "xray");
    }
}

/// Signed export to plain HTTP beyond this machine would carry a session token in cleartext.
#[tokio::test]
async fn signed_export_is_never_sent_in_cleartext() {
    let credentials = nova_act::AwsCredentials::new("AKID", "secret", None, nova_act::Source::Code);
    let err = Telemetry::builder()
        .env(Env::empty())
        .cloudwatch("us-east-1", nova_act::Credentials::from(credentials))
        .endpoint("http://collector.example:4318")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("cleartext"), "{err}");
}
