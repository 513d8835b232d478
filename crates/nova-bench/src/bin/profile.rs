//! Runs one round trip many times, for a profiler: `profile <list|create|step> <ours|floor> [n]`.
//! `valgrind --tool=callgrind target/release/profile list ours 2000` counts where the
//! instructions go on both sides (client and the in-process emulator).
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use nova_bench::{create_run_body, emulator, nova_client, observation, open_act, runtime};
use nova_core::model::CreateWorkflowRunInput;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let op = args.first().map_or("list", String::as_str);
    let side = args.get(1).map_or("ours", String::as_str);
    let n: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1000);
    let runtime = runtime();
    runtime.block_on(async {
        let open = side == "floor";
        let emulator = emulator(open).await;
        let client = nova_client(&emulator);
        let http = reqwest::Client::new();
        let base = emulator.url().to_owned();
        let text = observation(200 * 1024);
        let act = open_act(&client).await;
        for _ in 0..n {
            match (op, open) {
                ("list", false) => drop(client.list_models().await.unwrap()),
                ("list", true) => drop(
                    http.post(format!("{base}/models?clientCompatibilityVersion=1"))
                        .send()
                        .await
                        .unwrap()
                        .bytes()
                        .await
                        .unwrap(),
                ),
                ("create", false) => drop(
                    client
                        .create_workflow_run(CreateWorkflowRunInput::new(
                            "bench",
                            "nova-act-latest",
                        ))
                        .await
                        .unwrap(),
                ),
                ("create", true) => drop(
                    http.put(format!("{base}/workflow-definitions/bench/workflow-runs"))
                        .body(create_run_body())
                        .send()
                        .await
                        .unwrap()
                        .bytes()
                        .await
                        .unwrap(),
                ),
                ("step", false) => act.step(&client, &text).await,
                ("step", true) => act.step_floor(&http, &base, &text).await,
                _ => panic!("usage: profile <list|create|step> <ours|floor> [n]"),
            }
        }
    });
    println!("{n} × {op} ({side})");
}
