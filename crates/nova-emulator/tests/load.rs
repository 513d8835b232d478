//! Load: many act loops at once, then many in sequence with memory checked. Scaled so CI stays
//! fast; `NOVA_LOAD_FULL=1` runs the full size (500 concurrent, 10,000 sequential).

use nova_test_support::pretend_act;
use std::sync::Arc;

use nova_act_core::Client;
use nova_auth::AuthMode;
use nova_emulator::{Emulator, Quotas, RunningEmulator};
use serde_json::json;
use support::{aws, builder, define};

mod support;

fn full() -> bool {
    std::env::var("NOVA_LOAD_FULL").is_ok_and(|v| v == "1")
}

async fn setup() -> (RunningEmulator, Client) {
    // Opted out of the service's quotas: this measures the emulator and the act loop under
    // load, far beyond 5 steps a second (the quotas have their own tests, tests/quotas.rs).
    let emulator = Emulator::builder()
        .quotas(Quotas::unlimited())
        .start()
        .await
        .unwrap();
    let client = builder(&emulator, aws(emulator.access_key()), AuthMode::Iam)
        .step_rate(0.0)
        .build()
        .unwrap();
    define(&client, "default").await;
    (emulator, client)
}

async fn one_act(client: &Client) -> Result<(), String> {
    let result = pretend_act(
        client,
        "default",
        "http://127.0.0.1/load",
        "What page is this?",
    )
    .await
    .map_err(|e| e.to_string())?;
    if result.value == Some(json!("http://127.0.0.1/load")) {
        Ok(())
    } else {
        Err(format!("{:?}", result.value))
    }
}

/// Resident memory of this process, from /proc (Linux), in bytes.
fn rss() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_act_loops_all_succeed() {
    let (emulator, client) = setup().await;
    let count = if full() { 500 } else { 100 };
    let client = Arc::new(client);
    let tasks: Vec<_> = (0..count)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { one_act(&client).await })
        })
        .collect();
    let mut errors = Vec::new();
    for task in tasks {
        if let Err(err) = task.await.unwrap() {
            errors.push(err);
        }
    }
    assert!(
        errors.is_empty(),
        "{} of {count} failed: {:?}",
        errors.len(),
        &errors[..errors.len().min(3)]
    );
    assert_eq!(emulator.created().acts, count);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_acts_do_not_grow_memory_beyond_a_bound() {
    let (emulator, client) = setup().await;
    let count = if full() { 10_000 } else { 1_000 };
    // Warm up allocators and connection pools before the baseline.
    for _ in 0..50 {
        one_act(&client).await.unwrap();
    }
    let before = rss();
    for _ in 0..count {
        one_act(&client).await.unwrap();
    }
    let after = rss();
    // The emulator keeps every run, session and act it was given (about 1 KB each here); the
    // SDK itself must keep nothing. 8 KB per act bounds both with room for allocator slack.
    if let (Some(before), Some(after)) = (before, after) {
        let growth = after.saturating_sub(before);
        #[allow(clippy::print_stderr)]
        {
            eprintln!("memory: {before} -> {after} bytes over {count} acts (+{growth})");
        }
        let bound = 8 * 1024 * count as u64 + 16 * 1024 * 1024;
        assert!(
            growth <= bound,
            "memory grew by {growth} bytes over {count} acts (bound {bound})"
        );
    }
    assert_eq!(emulator.created().acts, count + 50);
}
