//! Resolving credentials with a fresh chain, ours against aws-config's `DefaultCredentialsChain`.
//! `cargo xtask bench` runs it once per scenario with the environment set (`NOVA_BENCH_SCENARIO`
//! names it): AWS variables, or a profile file in a temporary HOME.

use criterion::{Criterion, criterion_group, criterion_main};

fn credentials(c: &mut Criterion) {
    let scenario = std::env::var("NOVA_BENCH_SCENARIO").unwrap_or_else(|_| "env".to_owned());
    let runtime = nova_bench::runtime();
    // Both must find credentials in this environment, or the comparison means nothing.
    assert!(
        runtime.block_on(nova_bench::resolve_ours()),
        "nova-auth found no credentials"
    );
    assert!(
        runtime.block_on(nova_bench::resolve_aws_config()),
        "aws-config found no credentials"
    );
    let mut group = c.benchmark_group(format!("credentials_{scenario}"));
    group.bench_function("nova-auth", |b| {
        b.to_async(&runtime).iter(nova_bench::resolve_ours);
    });
    group.bench_function("aws-config", |b| {
        b.to_async(&runtime).iter(nova_bench::resolve_aws_config);
    });
    group.finish();
}

criterion_group!(benches, credentials);
criterion_main!(benches);
