//! `workflow deploy --local`, `invoke --local` and `undeploy --local`: the example workflow
//! (`examples/agentcore-workflow`, built by `cargo test --workspace`) served in the background
//! on the AgentCore Runtime contract, invoked, its act run in Chromium against the emulator the
//! supervisor runs, and then stopped with nothing left behind.
#![cfg(unix)]

mod support;

use std::path::PathBuf;

use support::*;

/// The example's runtime, where `cargo test --workspace` built it.
fn example_runtime() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let candidate = exe.parent()?.parent()?.join("agentcore-workflow");
    candidate.is_file().then_some(candidate)
}

#[allow(clippy::print_stderr)] // The skip must be visible in the test's output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_deploy_serves_invokes_and_stops_the_workflow() {
    let Some(runtime) = example_runtime() else {
        eprintln!(
            "skipped: examples/agentcore-workflow is not built (cargo test --workspace builds it)"
        );
        return;
    };
    let home = home();
    let path = std::env::var("PATH").unwrap_or_default();
    let chrome = std::env::var("CHROME_PATH").unwrap_or_default();
    let runtime_arg = runtime.display().to_string();
    let home_path = home.path().to_owned();
    let outputs = tokio::task::spawn_blocking(move || {
        let vars = [("PATH", path.as_str()), ("CHROME_PATH", chrome.as_str())];
        let deploy = |more: &[&str]| {
            let mut args = vec!["workflow", "deploy", "price-watch", "--local", "--binary"];
            args.push(&runtime_arg);
            args.extend_from_slice(more);
            run(&home_path, &args, &vars)
        };
        let invoke = |more: &[&str]| {
            let mut args = vec!["workflow", "invoke", "price-watch", "--local"];
            args.extend_from_slice(more);
            args.extend([
                "--payload",
                r#"{"task": "Which page is open?", "starting_page": "about:blank"}"#,
            ]);
            run(&home_path, &args, &vars)
        };
        let deployed = deploy(&[]);
        let invoked = invoke(&[]);
        // Again, with the API key in a store of the account the emulator plays.
        let with_store = deploy(&["--api-key-from", "agentcore-identity:nova-act-key"]);
        let invoked_with_store = invoke(&["--user-id", "alice"]);
        let removed = run(
            &home_path,
            &["workflow", "undeploy", "price-watch", "--local"],
            &vars,
        );
        (deployed, invoked, with_store, invoked_with_store, removed)
    })
    .await
    .unwrap();
    let (deployed, invoked, with_store, invoked_with_store, removed) = outputs;
    assert!(deployed.starts_with("exit 0"), "{deployed}");
    assert!(with_store.starts_with("exit 0"), "{with_store}");
    for (invoked, credentials) in [
        (&invoked, "iam credentials"),
        (
            &invoked_with_store,
            "from AgentCore Identity provider nova-act-key (chosen by NOVA_ACT_API_KEY_AGENTCORE_PROVIDER being set)",
        ),
    ] {
        let answered = invoked.starts_with("exit 0");
        let browser_missing = invoked.contains("no Chrome or Chromium found")
            && std::env::var_os("NOVA_BROWSER_REQUIRED").is_none();
        assert!(answered || browser_missing, "{invoked}");
        if answered {
            let answer: serde_json::Value =
                serde_json::from_str(stdout_of(invoked).trim()).unwrap();
            assert_eq!(answer["answer"], "about:blank", "{invoked}");
            assert_eq!(answer["steps"], 2);
            let used = answer["credentials"].as_str().unwrap();
            assert!(used.contains(credentials), "{used}");
        }
    }
    assert!(removed.starts_with("exit 0"), "{removed}");
    assert!(
        removed.contains("removed: local runtime price_watch"),
        "{removed}"
    );
    // Nothing is left: no supervisor, no runtime, no record.
    let left = nova_test_support::processes_mentioning(&runtime.display().to_string());
    assert!(left.is_empty(), "processes left: {left:?}");
    assert!(
        !home
            .path()
            .join(".nova-act/local/price-watch.json")
            .exists()
    );
}
