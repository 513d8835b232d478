//! `nova-act run --otel=URL` on Chromium against an emulator, exporting to an OTLP/HTTP collector
//! stand-in: the run's spans arrive as one tree (run → session → act → steps → calls and
//! actions) with their attributes and no secret, and the metrics arrive by name.

mod support;

use std::collections::BTreeMap;

use nova_emulator::Emulator;
use nova_test_support::otlp::{Collector, Span};
use support::*;

fn one<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    let found: Vec<&Span> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(found.len(), 1, "one {name} in {spans:#?}");
    found[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runs_spans_reach_the_collector_as_one_tree_without_the_secret() {
    // Typed into a GET form, so the page's address holds it URL-encoded (which `forms` covers).
    const PASSWORD: &str = "o\"tel s3cret & Pa55";
    let site = nova_test_support::act::Site::start().await;
    let collector = Collector::start().await;
    let emulator = recording(sign_in_planner()).await;
    let global = vec![format!("--otel={}", collector.url())];
    let vars = vec![("OTEL_SERVICE_NAME", "checkout-bot".to_owned())];
    let form = site.url("/form");
    let Some(_) = sign_in((emulator.url(), &form), PASSWORD, (global, vec![]), vars).await else {
        return;
    };
    // The command flushed before it exited: everything is here.
    let spans = collector.spans();
    let run = one(&spans, "nova_act.workflow_run");
    let session = one(&spans, "nova_act.session");
    let act = one(&spans, "nova_act.act");
    let steps: Vec<&Span> = spans.iter().filter(|s| s.name == "nova_act.step").collect();
    let actions: Vec<&Span> = spans
        .iter()
        .filter(|s| s.name == "nova_act.action")
        .collect();

    // One trace, one tree.
    assert!(
        spans.iter().all(|s| s.trace_id == run.trace_id),
        "{spans:#?}"
    );
    assert!(spans.iter().all(|s| s.service == "checkout-bot"));
    assert_eq!(run.parent_span_id, "");
    assert_eq!(session.parent_span_id, run.span_id);
    assert_eq!(act.parent_span_id, session.span_id);
    assert_eq!(steps.len(), 2);
    assert!(steps.iter().all(|s| s.parent_span_id == act.span_id));
    let names: Vec<&str> = actions
        .iter()
        .map(|s| s.attributes["nova_act.action"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "agentType",
            "waitForPageToSettle",
            "takeObservation",
            "return"
        ]
    );
    assert!(
        actions
            .iter()
            .all(|s| s.parent_span_id == steps[0].span_id || s.parent_span_id == steps[1].span_id)
    );

    // Calls: each a child of the span it was made in, named and attributed as AWS SDKs do.
    let by_id: BTreeMap<&str, &Span> = spans.iter().map(|s| (s.span_id.as_str(), s)).collect();
    let invoke: Vec<&Span> = spans
        .iter()
        .filter(|s| s.name == "NovaAct.InvokeActStep")
        .collect();
    assert_eq!(invoke.len(), 2);
    for call in &invoke {
        assert_eq!(by_id[call.parent_span_id.as_str()].name, "nova_act.step");
        assert_eq!(call.attributes["rpc.system"], "aws-api");
        assert_eq!(call.attributes["rpc.service"], "NovaAct");
        assert_eq!(call.attributes["rpc.method"], "InvokeActStep");
        assert!(call.attributes.contains_key("aws.request_id"), "{call:#?}");
    }
    let create_act = one(&spans, "NovaAct.CreateAct");
    assert_eq!(create_act.parent_span_id, act.span_id);
    assert_eq!(
        one(&spans, "NovaAct.CreateWorkflowRun").parent_span_id,
        run.span_id
    );

    // The ids and outcomes.
    assert!(!run.attributes["nova_act.workflow_run_id"].is_empty());
    assert_eq!(run.attributes["nova_act.status"], "SUCCEEDED");
    assert_eq!(run.attributes["nova_act.model_id"], "nova-act-latest");
    assert_eq!(act.attributes["nova_act.act.status"], "SUCCEEDED");
    assert_eq!(act.attributes["nova_act.act.steps"], "2");
    assert_eq!(
        act.attributes["nova_act.session_id"],
        session.attributes["nova_act.session_id"]
    );
    assert!(!act.attributes["nova_act.act_id"].is_empty());
    assert_eq!(steps[0].attributes["nova_act.step"], "1");
    assert!(!steps[0].attributes["nova_act.step_id"].is_empty());
    assert!(
        steps[0].attributes["nova_act.step.server_time_s"]
            .parse::<f64>()
            .unwrap()
            > 0.0
    );
    assert_eq!(
        steps[0].attributes["nova_act.step.calls"],
        "agentType,waitForPageToSettle,takeObservation"
    );
    assert!(
        actions
            .iter()
            .all(|s| s.attributes["nova_act.action.ok"] == "true")
    );

    // The metrics, by name.
    assert_eq!(
        collector.metric_names(),
        ["nova_act.acts", "nova_act.step.duration", "nova_act.steps"]
    );

    // No form of the secret, nor of the API key, in anything sent.
    for body in collector.bodies() {
        let body = String::from_utf8_lossy(&body).into_owned();
        for form in forms(PASSWORD).into_iter().chain(forms(KEY)) {
            assert!(!body.contains(&form), "`{form}` reached the collector");
        }
    }
}

/// A collector that is down costs the command nothing: it does its work, says so once, and
/// exits within the flush limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_that_is_down_is_one_warning_and_no_hang() {
    let collector = Collector::start().await;
    collector.set_down(true);
    let emulator = Emulator::builder().api_key(KEY).start().await.unwrap();
    let home = home();
    let (url, base) = (emulator.url().to_owned(), collector.url().to_owned());
    let home_path = home.path().to_owned();
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        run(
            &home_path,
            &["--endpoint-url", &url, "auth", "doctor"],
            &[
                ("NOVA_ACT_API_KEY", KEY),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &base),
            ],
        )
    })
    .await
    .unwrap();
    assert!(out.contains("key accepted"), "{out}");
    assert!(collector.refused() >= 1, "{out}");
    assert_eq!(
        out.matches("the OpenTelemetry collector cannot take spans")
            .count(),
        1,
        "{out}"
    );
    // The flush limit is 5 s; the command's own work is well under a second.
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
}
