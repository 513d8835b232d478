//! Measurements that do not fit a micro-benchmark, printed as one JSON object:
//! - `nothing N`: a fresh chain with nothing configured and a silent metadata endpoint (the
//!   environment, set by `cargo xtask bench`, points IMDS at it), ours and aws-config's, N times;
//! - `emulator SECONDS`: signed InvokeActStep requests per second and p99 latency with 1, 16 and
//!   64 concurrent clients;
//! - `cache`: 1,000 concurrent callers at expiry, counting loads;
//! - `interleaved ROUNDS`: the three round trips, ours and the signed floor taking turns
//!   (ours, floor, ours, floor, …) so that drift in the machine hits both alike; per round the
//!   ratio of their mean times, then the median ratio and its spread;
//! - `first-observation ROUNDS`: from "start a browser" to the first observation of its page,
//!   a local launch against an AgentCore Browser session the emulator plays (start the session,
//!   sign and connect the stream, observe), taking turns; `{"skipped": reason}` without a browser;
//! - `fleet quick|full`: many acts at once against the emulator at the service's step quota
//!   (a pretend page, so that the SDK is measured and not Chromium): the throughput against the
//!   quota, a sweep of concurrency with a 2 s think time at a raised quota, and the governor's
//!   cost on one act with no contention;
//! - `otel ROUNDS`: the act loop (a pretend page, 8 steps, the emulator's step quota raised so
//!   that only the SDK is measured) with the `otel` feature's layer exporting to a collector
//!   stand-in, against the same acts with no subscriber at all, taking turns; per round the
//!   ratio of their times, then the median ratio and its spread;
//! - `browsers quick|full`: local Chromium's memory per browser (PSS of its process tree) with
//!   1, 2 and 4 open, and each browser's time to its first observation when 8 start at once,
//!   staggered 0 to 2,000 ms apart.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use nova_test_support::pretend_act;
use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use nova_auth::{
    AwsCredentials, CachedProvider, CredentialProvider, Credentials, CredentialsError, ManualClock,
    Source,
};
use serde_json::json;

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn nothing(iterations: usize) -> serde_json::Value {
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..iterations {
        let started = Instant::now();
        assert!(
            !nova_bench::resolve_ours().await,
            "nothing should be configured"
        );
        ours.push(millis(started.elapsed()));
        let started = Instant::now();
        assert!(
            !nova_bench::resolve_aws_config().await,
            "nothing should be configured"
        );
        theirs.push(millis(started.elapsed()));
    }
    json!({"nova-auth_ms": ours, "aws-config_ms": theirs})
}

async fn emulator(seconds: f64) -> serde_json::Value {
    let emulator = nova_bench::emulator(false).await;
    let client = nova_bench::nova_act_client(&emulator);
    let mut rows = Vec::new();
    for concurrency in [1usize, 16, 64] {
        let mut acts = Vec::new();
        for _ in 0..concurrency {
            acts.push(Arc::new(nova_bench::open_act(&client).await));
        }
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        let mut tasks = Vec::new();
        for act in acts {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let started = Instant::now();
                    act.step(&client, "{}").await;
                    latencies.push(started.elapsed());
                }
                latencies
            }));
        }
        let started = Instant::now();
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        let elapsed = started.elapsed();
        all.sort_unstable();
        let p99 = all[(all.len() * 99 / 100).min(all.len() - 1)];
        rows.push(json!({
            "clients": concurrency,
            "requests": all.len(),
            "per_second": all.len() as f64 / elapsed.as_secs_f64(),
            "p50_ms": millis(all[all.len() / 2]),
            "p99_ms": millis(p99),
        }));
    }
    emulator.shutdown().await;
    json!(rows)
}

/// Hands out credentials expiring in an hour, counting loads.
#[derive(Debug)]
struct Counting {
    loads: Arc<AtomicUsize>,
    clock: ManualClock,
}

#[async_trait::async_trait]
impl CredentialProvider for Counting {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await;
        Ok(
            AwsCredentials::new("AKIAEXAMPLE", "secret", None, Source::custom("bench"))
                .with_expiry(Some(
                    nova_auth::Clock::now(&self.clock) + Duration::from_secs(3600),
                ))
                .into(),
        )
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("counting")
    }
}

async fn cache() -> serde_json::Value {
    let clock = ManualClock::new(SystemTime::now());
    let loads = Arc::new(AtomicUsize::new(0));
    let cache = CachedProvider::new(Counting {
        loads: loads.clone(),
        clock: clock.clone(),
    })
    .with_clock(clock.clone());
    cache.credentials().await.unwrap();
    clock.advance(Duration::from_secs(3600 - 60));
    let before = loads.load(Ordering::SeqCst);
    let callers: Vec<_> = (0..1000)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.credentials().await.is_ok() })
        })
        .collect();
    let mut ok = 0;
    for caller in callers {
        ok += usize::from(caller.await.unwrap());
    }
    json!({"callers": 1000, "answered": ok, "loads_at_expiry": loads.load(Ordering::SeqCst) - before})
}

/// Times one run of `one`.
async fn timed<F, Fut>(one: &F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future,
{
    let started = Instant::now();
    one().await;
    started.elapsed()
}

/// One round: `iterations` turns of one call of ours and one of the floor, each turn starting
/// with the other side, so that drift and warm caches favour neither; the ratio of their totals.
async fn round<A, FutA, B, FutB>(iterations: usize, ours: &A, floor: &B) -> f64
where
    A: Fn() -> FutA,
    FutA: std::future::Future,
    B: Fn() -> FutB,
    FutB: std::future::Future,
{
    let (mut ours_total, mut floor_total) = (Duration::ZERO, Duration::ZERO);
    for turn in 0..iterations {
        if turn % 2 == 0 {
            ours_total += timed(ours).await;
            floor_total += timed(floor).await;
        } else {
            floor_total += timed(floor).await;
            ours_total += timed(ours).await;
        }
    }
    ours_total.as_secs_f64() / floor_total.as_secs_f64()
}

/// The median, lowest and highest of `ratios`.
fn summary(mut ratios: Vec<f64>) -> serde_json::Value {
    ratios.sort_by(f64::total_cmp);
    json!({
        "median": ratios[ratios.len() / 2],
        "min": ratios[0],
        "max": ratios[ratios.len() - 1],
        "rounds": ratios.len(),
    })
}

async fn interleaved(rounds: usize) -> serde_json::Value {
    use nova_act_core::model::CreateWorkflowRunInput;
    let emulator = nova_bench::emulator(false).await;
    let ours = nova_bench::nova_act_client(&emulator);
    let floor = nova_bench::SignedFloor::new(&emulator);
    let base = emulator.url().to_owned();
    let observation = nova_bench::observation(200 * 1024);
    let (ours_act, floor_act) = (
        nova_bench::open_act(&ours).await,
        nova_bench::open_act(&ours).await,
    );
    let list_ours = || async {
        ours.list_models(()).await.unwrap();
    };
    let list_floor = || {
        floor.send(
            "POST",
            format!("{base}/models?clientCompatibilityVersion=1"),
            Vec::new(),
        )
    };
    let create_ours = || async {
        ours.create_workflow_run(CreateWorkflowRunInput::new("bench", "nova-act-latest"))
            .await
            .unwrap();
    };
    let create_floor = || {
        floor.send(
            "PUT",
            format!("{base}/workflow-definitions/bench/workflow-runs"),
            nova_bench::create_run_body(),
        )
    };
    let step_ours = || ours_act.step(&ours, &observation);
    let step_floor = || floor_act.step_signed_floor(&floor, &base, &observation);
    // Warm both paths (connections, caches) before measuring.
    round(50, &list_ours, &list_floor).await;
    let (mut list, mut create, mut step) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        list.push(round(1000, &list_ours, &list_floor).await);
        create.push(round(1000, &create_ours, &create_floor).await);
        step.push(round(300, &step_ours, &step_floor).await);
    }
    emulator.shutdown().await;
    json!({
        "list_models": summary(list),
        "create_workflow_run": summary(create),
        "invoke_step_200kb": summary(step),
    })
}

/// Takes the browser's first observation.
async fn observe(browser: &mut nova_browser::Browser) {
    use nova_act_core::runtime::{Actuator, BrowserAction};
    browser
        .browser(BrowserAction::TakeObservation)
        .await
        .expect("the first observation");
}

async fn first_observation(rounds: usize) -> serde_json::Value {
    use nova_agentcore::{BrowserSessions, SessionOptions};
    use nova_browser::Browser;
    let emulator = nova_emulator::Emulator::builder().start().await.unwrap();
    let auth = nova_auth::Auth::builder()
        .mode(nova_auth::AuthMode::Iam)
        .aws_provider(emulator.access_key().credentials())
        .region("us-east-1")
        .env(nova_auth::Env::empty())
        .build()
        .await
        .unwrap();
    let sessions = BrowserSessions::builder(&auth)
        .env(nova_auth::Env::empty())
        .endpoint_url(emulator.url())
        .build()
        .unwrap();
    let (mut local, mut remote) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let started = Instant::now();
        let mut browser = match Browser::builder().headless(true).launch().await {
            Ok(browser) => browser,
            Err(err) => return json!({ "skipped": err.to_string() }),
        };
        observe(&mut browser).await;
        local.push(millis(started.elapsed()));
        browser.close().await;

        let started = Instant::now();
        let session = sessions.start(SessionOptions::new()).await.unwrap();
        let mut browser = session.connect(Browser::builder()).await.unwrap();
        observe(&mut browser).await;
        remote.push(millis(started.elapsed()));
        browser.close().await;
        session.stop().await.unwrap();
    }
    emulator.shutdown().await;
    json!({ "local_ms": local, "remote_ms": remote })
}

/// `tasks` acts of `steps` steps each, `concurrency` at once, against an emulator with a step
/// quota of `quota`/s and `think` per step; the client paces at `step_rate`. Steps per second
/// achieved, failed acts, throttled steps and the wall time.
async fn fleet_run(
    tasks: usize,
    steps: usize,
    concurrency: usize,
    (quota, think): (f64, Duration),
    step_rate: f64,
) -> serde_json::Value {
    use futures_util::StreamExt;
    let mut script = vec![vec![("takeObservation", json!([]))]; steps - 1];
    script.push(vec![("return", json!(["done"]))]);
    let emulator = nova_emulator::Emulator::builder()
        .quotas(nova_emulator::Quotas::service().step_rate(quota))
        .step_latency(nova_emulator::StepLatency::fixed(think))
        .planner(nova_emulator::ScriptedPlanner::new().script("fleet", script))
        .start()
        .await
        .unwrap();
    let client = nova_bench::paced_client(&emulator, step_rate);
    nova_bench::define(&client, "bench").await;
    let started = Instant::now();
    let results: Vec<_> = futures_util::stream::iter(0..tasks)
        .map(|_| {
            let client = client.clone();
            async move { pretend_act(&client, "bench", "http://127.0.0.1/fleet", "fleet").await }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let wall = started.elapsed().as_secs_f64();
    let done: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let steps_taken: u32 = done.iter().map(|r| r.steps).sum();
    let throttling_errors = results
        .iter()
        .filter(|r| {
            r.as_ref()
                .err()
                .is_some_and(|e| e.to_string().contains("Throttling"))
        })
        .count();
    emulator.shutdown().await;
    json!({
        "tasks": tasks,
        "steps": steps,
        "concurrency": concurrency,
        "quota": quota,
        "think_ms": think.as_millis() as u64,
        "steps_per_second": f64::from(steps_taken) / wall,
        "failed": results.len() - done.len(),
        "throttled_steps": done.iter().map(|r| r.throttled_steps).sum::<u32>(),
        "throttling_errors": throttling_errors,
        "seconds": wall,
    })
}

async fn fleet(quick: bool) -> serde_json::Value {
    // 1. At the default quota with no think time: the pace is all that limits.
    let (tasks, steps) = if quick { (10, 3) } else { (40, 5) };
    let throughput = fleet_run(tasks, steps, 8, (5.0, Duration::ZERO), 5.0).await;
    // 2. A 2 s think time at a raised quota (50/s): throughput against concurrency.
    let think = Duration::from_millis(if quick { 200 } else { 2000 });
    let levels: &[usize] = if quick { &[1, 4] } else { &[1, 2, 4, 8, 16] };
    let mut sweep = Vec::new();
    for &concurrency in levels {
        sweep.push(fleet_run(concurrency * 2, 3, concurrency, (50.0, think), 50.0).await);
    }
    // 3. The governor on one act with no contention (300 ms think time: under 5 steps/s, so
    // it never waits), against the same act with pacing off; rounds take turns.
    let rounds = if quick { 1 } else { 5 };
    let mut ratios = Vec::new();
    for _ in 0..rounds {
        let on = fleet_run(1, 6, 1, (5.0, Duration::from_millis(300)), 5.0).await;
        let off = fleet_run(1, 6, 1, (5.0, Duration::from_millis(300)), 0.0).await;
        ratios.push(on["seconds"].as_f64().unwrap() / off["seconds"].as_f64().unwrap());
    }
    ratios.sort_by(f64::total_cmp);
    json!({
        "throughput": throughput,
        "sweep": sweep,
        "governor_ratio": ratios[ratios.len() / 2],
    })
}

/// The act loop with OpenTelemetry export on, against the same acts with no subscriber, taking
/// turns: once with the emulator answering at once (the SDK's own cost, all CPU), once with a
/// step latency that is still far below a model's.
async fn otel(rounds: usize) -> serde_json::Value {
    let at_once = otel_turns(rounds, 10, Duration::ZERO).await;
    let latency = otel_turns(rounds.div_ceil(3), 3, Duration::from_millis(50)).await;
    json!({ "at_once": at_once, "latency_50ms": latency })
}

/// `rounds` rounds of `acts` acts of 8 steps, with export on and off in turns; the median ratio.
async fn otel_turns(rounds: usize, acts: usize, latency: Duration) -> serde_json::Value {
    use tracing::instrument::WithSubscriber;
    use tracing_subscriber::layer::SubscriberExt;

    const STEPS: usize = 8;
    let mut script = vec![vec![("takeObservation", json!([]))]; STEPS - 1];
    script.push(vec![("return", json!(["done"]))]);
    // Looser than the service on purpose: its rates (5 steps, 100 calls a second) would measure
    // the quota and the client's backoff, not the SDK.
    let emulator = nova_emulator::Emulator::builder()
        .quotas(nova_emulator::Quotas::unlimited())
        .step_latency(nova_emulator::StepLatency::fixed(latency))
        .planner(nova_emulator::ScriptedPlanner::new().script("otel", script))
        .start()
        .await
        .unwrap();
    let client = nova_bench::paced_client(&emulator, 0.0);
    nova_bench::define(&client, "bench").await;
    // A collector that only counts: a real one runs elsewhere, not on the cores measured.
    let collector = nova_test_support::otlp::Collector::sink().await;
    let telemetry = nova_act::otel::Telemetry::builder()
        .env(nova_auth::Env::empty())
        .endpoint(collector.url())
        .build()
        .unwrap();
    let on = tracing::Dispatch::new(tracing_subscriber::registry().with(telemetry.layer()));
    let off = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let turn = |dispatch: tracing::Dispatch| {
        let client = client.clone();
        async move {
            let started = Instant::now();
            for _ in 0..acts {
                pretend_act(&client, "bench", "http://127.0.0.1/otel", "otel")
                    .with_subscriber(dispatch.clone())
                    .await
                    .unwrap();
            }
            started.elapsed().as_secs_f64()
        }
    };
    // Warm both paths once.
    turn(on.clone()).await;
    turn(off.clone()).await;
    let (mut ratios, mut with_total, mut without_total) = (Vec::new(), 0.0, 0.0);
    for round in 0..rounds {
        let (with, without) = if round % 2 == 0 {
            let with = turn(on.clone()).await;
            (with, turn(off.clone()).await)
        } else {
            let without = turn(off.clone()).await;
            (turn(on.clone()).await, without)
        };
        with_total += with;
        without_total += without;
        ratios.push(with / without);
    }
    telemetry.shutdown().await;
    let exports = collector.requests();
    emulator.shutdown().await;
    let per_act = |total: f64| total * 1000.0 / (acts * rounds) as f64;
    let mut out = summary(ratios);
    out["acts"] = json!(acts);
    out["steps"] = json!(STEPS);
    out["latency_ms"] = json!(latency.as_millis() as u64);
    out["exports"] = json!(exports);
    out["ms_per_act_with"] = json!(per_act(with_total));
    out["ms_per_act_without"] = json!(per_act(without_total));
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_default();
    let arg = args.next();
    let runtime = nova_bench::runtime();
    let out = runtime.block_on(async {
        match what.as_str() {
            "nothing" => nothing(arg.and_then(|a| a.parse().ok()).unwrap_or(3)).await,
            "emulator" => emulator(arg.and_then(|a| a.parse().ok()).unwrap_or(2.0)).await,
            "cache" => cache().await,
            "interleaved" => interleaved(arg.and_then(|a| a.parse().ok()).unwrap_or(7)).await,
            "first-observation" => {
                first_observation(arg.and_then(|a| a.parse().ok()).unwrap_or(5)).await
            }
            "fleet" => fleet(arg.as_deref() != Some("full")).await,
            "browsers" => nova_bench::browsers::measure(arg.as_deref() != Some("full")).await,
            "otel" => otel(arg.and_then(|a| a.parse().ok()).unwrap_or(7)).await,
            other => panic!(
                "unknown measurement {other:?}: nothing | emulator | cache | interleaved | first-observation | fleet | browsers | otel"
            ),
        }
    });
    println!("{out}");
}
