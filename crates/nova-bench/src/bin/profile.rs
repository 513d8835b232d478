//! Runs one round trip many times, for a profiler:
//! `profile <list|create|step> <ours|signed-floor|floor> [n]`.
//! `valgrind --tool=callgrind target/release/profile list ours 2000` counts where the
//! instructions go on both sides (client and the in-process emulator).
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use nova_act_core::model::CreateWorkflowRunInput;
use nova_bench::{
    SignedFloor, answer, create_run_body, emulator, nova_act_client, observation, open_act, runtime,
};

/// Who sends the requests.
enum Side {
    Ours,
    SignedFloor(SignedFloor),
    Floor(reqwest::Client),
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let op = args.first().map_or("list", String::as_str);
    let side = args.get(1).map_or("ours", String::as_str);
    let n: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1000);
    let runtime = runtime();
    runtime.block_on(async {
        let emulator = emulator(side == "floor").await;
        let client = nova_act_client(&emulator);
        let sender = match side {
            "ours" => Side::Ours,
            "signed-floor" => Side::SignedFloor(SignedFloor::new(&emulator)),
            "floor" => Side::Floor(nova_act_core::tls::http_client().build().unwrap()),
            _ => panic!("usage: profile <list|create|step> <ours|signed-floor|floor> [n]"),
        };
        let base = emulator.url().to_owned();
        let text = observation(200 * 1024);
        let act = open_act(&client).await;
        let list = format!("{base}/models?clientCompatibilityVersion=1");
        let runs = format!("{base}/workflow-definitions/bench/workflow-runs");
        for _ in 0..n {
            match (op, &sender) {
                ("list", Side::Ours) => drop(
                    client
                        .list_models(nova_act_core::model::ListModelsInput::default())
                        .await
                        .unwrap(),
                ),
                ("list", Side::SignedFloor(floor)) => {
                    drop(floor.send("POST", list.clone(), Vec::new()).await);
                }
                ("list", Side::Floor(http)) => drop(answer(http.post(&list)).await),
                ("create", Side::Ours) => drop(
                    client
                        .create_workflow_run(CreateWorkflowRunInput::new(
                            "bench",
                            "nova-act-latest",
                        ))
                        .await
                        .unwrap(),
                ),
                ("create", Side::SignedFloor(floor)) => {
                    drop(floor.send("PUT", runs.clone(), create_run_body()).await);
                }
                ("create", Side::Floor(http)) => {
                    drop(answer(http.put(&runs).body(create_run_body())).await);
                }
                ("step", Side::Ours) => act.step(&client, &text).await,
                ("step", Side::SignedFloor(floor)) => {
                    act.step_signed_floor(floor, &base, &text).await;
                }
                ("step", Side::Floor(http)) => act.step_floor(http, &base, &text).await,
                _ => panic!("usage: profile <list|create|step> <ours|signed-floor|floor> [n]"),
            }
        }
    });
    println!("{n} × {op} ({side})");
}
