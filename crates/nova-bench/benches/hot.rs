//! The hot paths: a cache hit, signing, and request round trips against the local emulator.

use std::sync::Arc;
use std::time::SystemTime;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nova_act_core::model::CreateWorkflowRunInput;
use nova_auth::{CachedProvider, CredentialProvider};
use nova_bench::*;

fn cache(c: &mut Criterion) {
    let runtime = runtime();
    let cache = CachedProvider::new(nova_auth::EnvironmentProvider::with_env(
        nova_auth::Env::from_vars([
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
        ]),
    ));
    runtime.block_on(cache.credentials()).unwrap();
    let mut group = c.benchmark_group("cache_hit");
    group.bench_function("nova-auth", |b| {
        b.to_async(criterion::async_executor::FuturesExecutor)
            .iter(|| cache.credentials());
    });
    group.finish();
}

fn signing(c: &mut Criterion) {
    let creds = credentials();
    let identity = identity();
    let now = SystemTime::now();
    for (name, size) in [("sign_small", 200), ("sign_200kb", 200 * 1024)] {
        let prototype = request(size);
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(prototype.body().len() as u64));
        group.bench_function("nova-act-core", |b| {
            b.iter_batched(
                || prototype.clone(),
                |mut req| sign_ours(&mut req, &creds, now),
                criterion::BatchSize::SmallInput,
            );
        });
        group.bench_function("aws-sigv4", |b| {
            b.iter_batched(
                || prototype.clone(),
                |mut req| sign_direct(&mut req, &identity, now),
                criterion::BatchSize::SmallInput,
            );
        });
        group.finish();
    }
}

fn round_trips(c: &mut Criterion) {
    let runtime = runtime();
    let (signed, open) = runtime.block_on(async { (emulator(false).await, emulator(true).await) });
    let ours = nova_act_client(&signed);
    let sdk = sdk_client(&signed);
    let floor = nova_act_core::tls::http_client().build().unwrap();
    let floor_base = open.url().to_owned();
    let floor_client = nova_act_client(&open);
    let signed_floor = SignedFloor::new(&signed);
    let signed_base = signed.url().to_owned();

    let mut group = c.benchmark_group("round_trip_list_models");
    group.bench_function("nova-act-core", |b| {
        b.to_async(&runtime).iter(|| async {
            ours.list_models(nova_act_core::model::ListModelsInput::default())
                .await
                .unwrap()
        })
    });
    group.bench_function("aws-sdk-novaact", |b| {
        b.to_async(&runtime).iter(|| async {
            sdk.list_models()
                .client_compatibility_version(1)
                .send()
                .await
                .unwrap()
        })
    });
    let models = format!("{signed_base}/models?clientCompatibilityVersion=1");
    group.bench_function("signed-floor", |b| {
        b.to_async(&runtime)
            .iter(|| signed_floor.send("POST", models.clone(), Vec::new()))
    });
    group.bench_function("floor", |b| {
        b.to_async(&runtime).iter(|| {
            answer(floor.post(format!("{floor_base}/models?clientCompatibilityVersion=1")))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("round_trip_create_workflow_run");
    group.bench_function("nova-act-core", |b| {
        b.to_async(&runtime).iter(|| async {
            ours.create_workflow_run(CreateWorkflowRunInput::new("bench", "nova-act-latest"))
                .await
                .unwrap()
        })
    });
    group.bench_function("aws-sdk-novaact", |b| {
        b.to_async(&runtime)
            .iter(|| async { nova_test_support::sdk_run(&sdk, "bench").await })
    });
    let runs = format!("{signed_base}/workflow-definitions/bench/workflow-runs");
    group.bench_function("signed-floor", |b| {
        b.to_async(&runtime)
            .iter(|| signed_floor.send("PUT", runs.clone(), create_run_body()))
    });
    group.bench_function("floor", |b| {
        b.to_async(&runtime).iter(|| {
            answer(
                floor
                    .put(format!(
                        "{floor_base}/workflow-definitions/bench/workflow-runs"
                    ))
                    .body(create_run_body()),
            )
        })
    });
    group.finish();

    let observation = Arc::new(observation(200 * 1024));
    let (ours_act, sdk_act, floor_act, signed_floor_act) = runtime.block_on(async {
        (
            open_act(&ours).await,
            open_act(&ours).await,
            open_act(&floor_client).await,
            open_act(&ours).await,
        )
    });
    let mut group = c.benchmark_group("round_trip_invoke_step_200kb");
    group.bench_function("nova-act-core", |b| {
        b.to_async(&runtime)
            .iter(|| ours_act.step(&ours, &observation))
    });
    group.bench_function("aws-sdk-novaact", |b| {
        b.to_async(&runtime)
            .iter(|| sdk_act.step_sdk(&sdk, &observation))
    });
    group.bench_function("signed-floor", |b| {
        b.to_async(&runtime)
            .iter(|| signed_floor_act.step_signed_floor(&signed_floor, &signed_base, &observation))
    });
    group.bench_function("floor", |b| {
        b.to_async(&runtime)
            .iter(|| floor_act.step_floor(&floor, &floor_base, &observation))
    });
    group.finish();
}

criterion_group!(benches, cache, signing, round_trips);
criterion_main!(benches);
