//! Measurements that do not fit a micro-benchmark, printed as one JSON object:
//! - `nothing N`: a fresh chain with nothing configured and a silent metadata endpoint (the
//!   environment, set by `cargo xtask bench`, points IMDS at it), ours and aws-config's, N times;
//! - `emulator SECONDS`: signed InvokeActStep requests per second and p99 latency with 1, 16 and
//!   64 concurrent clients;
//! - `cache`: 1,000 concurrent callers at expiry, counting loads.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

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
            other => panic!("unknown measurement {other:?}: nothing | emulator | cache"),
        }
    });
    println!("{out}");
}
