//! The example's server started as a process and driven as AgentCore Runtime drives it:
//! `/ping`, an invocation with the session header whose workflow runs a real act (local
//! headless Chromium, the emulator as Nova Act), bad payloads, two invocations at once
//! (HealthyBusy), and SIGTERM, which ends the running workflows FAILED and the process cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};

use nova_act::model::{Call, CallResult};
use nova_emulator::{ActView, Emulator, Planner, call};
use serde_json::{Value, json};

const API_KEY: &str = "0c2f9a4e-71d3-4b8a-9e55-3f1d2c7b8a90";

/// Answers "price" at once; holds "slow" acts in a long wait, saying when each got there.
struct Agent(Mutex<mpsc::Sender<String>>);

impl Planner for Agent {
    fn plan(&self, act: &ActView, step: usize, _results: &[CallResult]) -> Vec<Call> {
        let (name, input) = match (act.task.as_str(), step) {
            (_, 0) => ("takeObservation", json!([])),
            ("price", _) => ("return", json!(["4.99"])),
            (_, _) => {
                let _ = self.0.lock().unwrap().send(act.task.clone());
                ("wait", json!([60]))
            }
        };
        vec![call(step, 0, name, input)]
    }
}

/// The example's server, started with `PORT=0`; its process and address.
fn start() -> (Child, String, Arc<Mutex<String>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_agentcore-workflow"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("PORT", "0")
        .env("RUST_LOG", "debug")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(std::env::var_os("CHROME_PATH").map(|path| ("CHROME_PATH", path)))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut address = None;
    for line in lines.by_ref().map_while(Result::ok) {
        if let Some(at) = line.strip_prefix("listening on ") {
            address = Some(at.replace("0.0.0.0", "127.0.0.1"));
            break;
        }
    }
    // Everything it logs, kept for the secret check.
    let log = Arc::new(Mutex::new(String::new()));
    let keep = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let mut log = keep.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    (
        child,
        format!(
            "http://{}",
            address.expect("the server said where it listens")
        ),
        log,
    )
}

async fn ping(http: &reqwest::Client, base: &str) -> Value {
    http.get(format!("{base}/ping"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn invoke(http: &reqwest::Client, base: &str, session: &str, body: String) -> (u16, Value) {
    let response = http
        .post(format!("{base}/invocations"))
        .header("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", session)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn payload(task: &str, page: &str, emulator: &str) -> String {
    json!({
        "task": task,
        "starting_page": page,
        "AC_HANDLER_ENV": {
            "NOVA_ACT_API_KEY": API_KEY,
            "NOVA_ACT_API_ENDPOINT": emulator,
            "NOVA_ACT_HEADLESS": "true",
        },
    })
    .to_string()
}

fn browser_missing(answer: &Value) -> bool {
    answer["error"]
        .as_str()
        .is_some_and(|e| e.contains("no Chrome or Chromium found"))
        && std::env::var_os("NOVA_BROWSER_REQUIRED").is_none()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_keeps_the_agentcore_runtime_contract() {
    let (said, waiting) = mpsc::channel();
    let emulator = Emulator::builder()
        .api_key(API_KEY)
        .planner(Agent(Mutex::new(said)))
        .start()
        .await
        .unwrap();
    let page = "about:blank";
    let (mut child, base, log) = start();
    let http = nova_act::tls::http_client().build().unwrap();
    let session = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d-0001";

    // Idle: Healthy, and the time stays put while nothing changes.
    let idle = ping(&http, &base).await;
    assert_eq!(idle["status"], "Healthy");
    assert_eq!(ping(&http, &base).await, idle);

    // One invocation: a real act in Chromium against the emulator, with the session header.
    let (status, answer) = invoke(
        &http,
        &base,
        session,
        payload("price", page, emulator.url()),
    )
    .await;
    if browser_missing(&answer) {
        let _ = child.kill();
        return;
    }
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["answer"], "4.99");
    assert_eq!(answer["steps"], 2);
    let act = emulator.acts().pop().unwrap();
    assert_eq!(act.status.to_string(), "SUCCEEDED");

    // Bad payloads: not JSON is a 400 with a JSON error; a handler error is a 500 with its text.
    let (status, answer) = invoke(&http, &base, session, "{not json".to_owned()).await;
    assert_eq!((status, &answer["error"]), (400, &json!("Invalid JSON")));
    let (status, answer) = invoke(
        &http,
        &base,
        session,
        json!({"starting_page": page}).to_string(),
    )
    .await;
    assert_eq!(status, 500);
    assert_eq!(answer["error"], "the payload needs a \"task\" (a string)");
    assert_eq!(ping(&http, &base).await["status"], "Healthy");

    // Two at once: busy while they run.
    let slow = |task: &str| {
        let (http, base, body) = (
            http.clone(),
            base.clone(),
            payload(task, page, emulator.url()),
        );
        tokio::spawn(async move { invoke(&http, &base, session, body).await })
    };
    let first = slow("slow one");
    let second = slow("slow two");
    let mut held =
        tokio::task::spawn_blocking(move || vec![waiting.recv().unwrap(), waiting.recv().unwrap()])
            .await
            .unwrap();
    held.sort();
    assert_eq!(held, ["slow one", "slow two"]);
    let busy = ping(&http, &base).await;
    assert_eq!(busy["status"], "HealthyBusy");
    assert!(busy["time_of_last_update"].as_u64() >= idle["time_of_last_update"].as_u64());
    assert_eq!(
        ping(&http, &base).await,
        busy,
        "the time changes only with the status"
    );

    // SIGTERM: the running workflows end FAILED, the invocations answer, the process exits 0.
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    for invocation in [first, second] {
        let (status, answer) = invocation.await.unwrap();
        assert_eq!(status, 500, "{answer}");
        assert!(
            answer["error"]
                .as_str()
                .unwrap()
                .contains("interrupted by SIGTERM"),
            "{answer}"
        );
    }
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(exit.success(), "{exit}");
    let acts = emulator.acts();
    let slow_acts: Vec<String> = acts
        .iter()
        .filter(|a| a.view.task.starts_with("slow"))
        .map(|a| a.status.to_string())
        .collect();
    assert_eq!(slow_acts, ["FAILED", "FAILED"]);

    // The API key travelled in the payload; it never reached the log.
    let log = log.lock().unwrap().clone();
    assert!(
        log.contains("NOVA_ACT_API_KEY"),
        "the variable's name is logged:\n{log}"
    );
    assert!(
        !log.contains(API_KEY),
        "the API key reached the log:\n{log}"
    );
    emulator.shutdown().await;
}
