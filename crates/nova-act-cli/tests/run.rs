//! `nova-act run` against an emulator started here and a page served on 127.0.0.1: a task
//! answered with JSON that must match a schema, each step printed, a trace written; and bad
//! input refused before a browser starts or a request is sent.

mod support;

use std::path::Path;

use nova_emulator::{Emulator, RunningEmulator, ScriptedPlanner};
use serde_json::json;
use support::*;

const PAGE: &str = "<!doctype html><title>Shop</title><h1>Red apple</h1>\
    <p>Price: <span id=\"price\">$4.99</span></p>";

/// Serves [`PAGE`] at `/` on 127.0.0.1 until the test ends; its URL.
async fn page() -> String {
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(|| async { axum::response::Html(PAGE) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

async fn emulator() -> RunningEmulator {
    let planner = ScriptedPlanner::new().script(
        "price",
        vec![
            vec![("takeObservation", json!([]))],
            vec![(
                "return",
                json!([r#"{"product": "Red apple", "price": 4.99}"#]),
            )],
        ],
    );
    Emulator::builder()
        .planner(planner)
        .api_key(KEY)
        .start()
        .await
        .unwrap()
}

/// `run --tasks FILE --starting-page PAGE`, then `more`.
fn tasks_args(tasks: &Path, page: &str, more: &[&str]) -> Vec<String> {
    let mut args = vec![
        "--tasks".to_owned(),
        tasks.display().to_string(),
        "--starting-page".to_owned(),
        page.to_owned(),
    ];
    args.extend(more.iter().map(|arg| (*arg).to_owned()));
    args
}

/// `nova-act run args…` with the API key, against `emulator`.
async fn nova_act_run(emulator: &RunningEmulator, home: &Path, args: Vec<String>) -> String {
    let (home, url) = (home.to_owned(), emulator.url().to_owned());
    tokio::task::spawn_blocking(move || {
        let mut all = vec!["--endpoint-url".to_owned(), url, "run".to_owned()];
        all.extend(args);
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        run(&home, &all, &[("NOVA_ACT_API_KEY", KEY)])
    })
    .await
    .unwrap()
}

fn schema_file(dir: &Path, name: &str, schema: &serde_json::Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, schema.to_string()).unwrap();
    path.display().to_string()
}

/// Ids, ports, timings and the key's last characters vary from run to run.
fn scrub(out: &str, page: &str, emulator: &RunningEmulator) -> String {
    let out = out
        .replace(page, "[page]/")
        .replace(emulator.url(), "[emulator]");
    regex_lite(&out)
        .lines()
        .map(|line| {
            line.split(' ')
                .map(|word| {
                    let seconds = word
                        .strip_suffix('s')
                        .is_some_and(|n| n.parse::<f64>().is_ok());
                    if seconds {
                        "[t]s".to_owned()
                    } else if word.starts_with("****") {
                        "****[key]".to_owned()
                    } else {
                        word.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_with_a_schema_prints_each_step_the_answer_and_its_trace() {
    let (emulator, page) = (emulator().await, page().await);
    let home = home();
    let schema = json!({
        "type": "object",
        "properties": {"product": {"type": "string"}, "price": {"type": "number"}},
        "required": ["product", "price"]
    });
    let schema = schema_file(home.path(), "price.json", &schema);
    let logs = home.path().join("logs");
    let args = vec![
        "Find the price of the product".to_owned(),
        "--starting-page".to_owned(),
        page.clone(),
        "--schema".to_owned(),
        schema,
        "--logs-dir".to_owned(),
        logs.display().to_string(),
        "--allow-url".to_owned(),
        "127.0.0.1".to_owned(),
    ];
    let out = nova_act_run(&emulator, home.path(), args).await;
    if browser_missing(&out) {
        return;
    }
    insta::assert_snapshot!(scrub(&out, &page, &emulator), @r#"
        exit 0
        --- stdout
        Nova Act at [emulator] · credentials: api-key credentials ****[key] from environment (chosen by NOVA_ACT_API_KEY being set), region us-east-1 (from default)
        browser: headless Chromium at [page]/
        act: Find the price of the product
        workflow run [uuid]
        session [uuid]
            [t]s  takeObservation   [page]/
            [t]s  takeObservation   [page]/
        answer: {"price":4.99,"product":"Red apple"}
        2 steps, [t]s worked
        trace: [HOME]/logs/[uuid]/act_[uuid].html
        workflow run SUCCEEDED
        --- stderr
    "#);
    // The trace is there, and the act and the run are SUCCEEDED on the service.
    let traces: Vec<_> = walk(&logs);
    assert_eq!(traces.len(), 3, "{traces:?}");
    // The Python SDK's trajectory file among them, as its models define it.
    let trajectory = traces
        .iter()
        .find(|path| {
            path.to_string_lossy()
                .ends_with("_Find_the_price_of_the_product_trajectory.json")
        })
        .unwrap_or_else(|| panic!("{traces:?}"));
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(trajectory).unwrap()).unwrap();
    let schema = include_str!("../../nova-act-core/schemas/trajectory.schema.json");
    nova_act::runtime::AnswerSchema::new(serde_json::from_str(schema).unwrap())
        .unwrap()
        .check(&value)
        .unwrap();
    let read = nova_act::runtime::Trajectory::read(trajectory).unwrap();
    assert_eq!(read.steps.len(), 2);
    assert!(
        read.steps[0].image.starts_with("data:image/"),
        "a real screenshot"
    );
    assert!(read.steps[0].active_url.starts_with("http://127.0.0.1"));
    let act = emulator.acts().pop().unwrap();
    assert_eq!(act.status.to_string(), "SUCCEEDED");
    assert!(
        act.view
            .task
            .starts_with("Find the price of the product, format output with jsonschema: ")
    );

    // An answer that does not match: exit 1, the answer and the problems, FAILED.
    let strict = schema_file(
        home.path(),
        "sku.json",
        &json!({"type": "object", "required": ["sku"]}),
    );
    let args = vec![
        "Find the price".to_owned(),
        "--starting-page".to_owned(),
        page.clone(),
        "--schema".to_owned(),
        strict,
    ];
    let out = nova_act_run(&emulator, home.path(), args).await;
    let stderr = out.split("--- stderr\n").nth(1).unwrap();
    insta::assert_snapshot!(regex_lite(stderr), @r#"
    error: the answer of act [uuid] does not match its schema
      answer: {"product": "Red apple", "price": 4.99}
      problems: "sku" is a required property
    The workflow run was marked FAILED.
    "#);
    assert_eq!(emulator.acts().pop().unwrap().status.to_string(), "FAILED");
}

/// Runs `nova-act ARGS` under the emulator's IAM keys, with AgentCore Browser on the emulator
/// too, after creating the workflow definition `remote` that the runs use.
async fn under_iam(emulator: &RunningEmulator, home: &Path, args: Vec<String>) -> String {
    let key = emulator.access_key().clone();
    let (url, home) = (emulator.url().to_owned(), home.to_owned());
    tokio::task::spawn_blocking(move || {
        let vars = [
            ("AWS_ACCESS_KEY_ID", key.access_key_id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", key.secret_access_key.as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL_NOVA_ACT", url.as_str()),
            ("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", url.as_str()),
            ("AWS_ENDPOINT_URL_STS", url.as_str()),
            ("NOVA_ACT_WORKFLOW_DEFINITION", "remote"),
        ];
        let created = run(&home, &["workflow", "create", "remote"], &vars);
        assert!(created.starts_with("exit 0"), "{created}");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_keeping(&home, &args, &vars, &[key.secret_access_key.as_str()])
    })
    .await
    .unwrap()
}

/// `--remote`: the act runs on an AgentCore Browser session the emulator plays (a Chromium it
/// launched), with the IAM credentials the run uses, and the session is stopped afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_runs_on_a_remote_browser_session_that_is_stopped_after() {
    let (emulator, page) = (emulator().await, page().await);
    let home = home();
    let out = under_iam(
        &emulator,
        home.path(),
        vec![
            "run".into(),
            "Find the price of the product".into(),
            "--starting-page".into(),
            page.clone(),
            "--remote".into(),
        ],
    )
    .await;
    if browser_missing(&out) {
        return;
    }
    let out = scrub(&out, &page, &emulator);
    let session_line = out
        .lines()
        .find(|l| l.starts_with("browser: "))
        .unwrap_or_default()
        .to_owned();
    insta::assert_snapshot!(out.replace(&session_line, "browser: [session line]"), @r#"
        exit 0
        --- stdout
        Nova Act at [emulator] · credentials: iam credentials ****[key] from environment (chosen by the default (no NOVA_ACT_API_KEY)), region us-east-1 (from AWS_REGION)
        browser: [session line]
        act: Find the price of the product
        workflow run [uuid]
        session [uuid]
            [t]s  takeObservation   [page]/
            [t]s  takeObservation   [page]/
        answer: "{\"product\": \"Red apple\", \"price\": 4.99}"
        2 steps, [t]s worked
        workflow run SUCCEEDED
        --- stderr
    "#);
    assert!(
        session_line.starts_with("browser: AgentCore Browser session ")
            && session_line.ends_with("(aws.browser.v1) at [page]/"),
        "{session_line}"
    );
    assert_eq!(emulator.browser_sessions_started(), 1);
    assert!(
        emulator.browser_sessions().is_empty(),
        "the session was stopped"
    );
    assert_eq!(
        emulator.acts().pop().unwrap().status.to_string(),
        "SUCCEEDED"
    );

    // Under an API key there is no remote browser: said before anything starts.
    let out = nova_act_run(
        &emulator,
        home.path(),
        vec![
            "Find the price".into(),
            "--starting-page".into(),
            page.clone(),
            "--remote".into(),
        ],
    )
    .await;
    let stderr = out.split("--- stderr\n").nth(1).unwrap();
    insta::assert_snapshot!(stderr, @r"error: --remote runs the act on Amazon Bedrock AgentCore Browser, which takes AWS IAM credentials; this run resolved an API key (unset NOVA_ACT_API_KEY, or set NOVA_ACT_AUTH=iam)");
    assert_eq!(emulator.browser_sessions_started(), 1);
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.path().is_dir() {
            files.extend(walk(&entry.path()));
        } else {
            files.push(entry.path());
        }
    }
    files
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_starts() {
    let emulator = emulator().await;
    let home = home();
    let bad_schema = schema_file(home.path(), "bad.json", &json!({"type": "money"}));
    let not_json = home.path().join("not.json");
    std::fs::write(&not_json, "{ nope").unwrap();
    // A starting page the URL options refuse is never requested: the site counts.
    let site = nova_test_support::act::Site::start().await;
    let form = site.url("/form");
    let port9 = "http://127.0.0.1:9/";
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (port9, vec!["--schema", &bad_schema]),
        (port9, vec!["--schema", not_json.to_str().unwrap()]),
        (port9, vec!["--allow-url", "ftp://example.com"]),
        (port9, vec!["--block-url", "exa mple.com"]),
        (port9, vec!["--logs-dir", "/proc/no-logs-here"]),
        (port9, vec!["--timeout", "1"]),
        (port9, vec!["--max-steps", "500"]),
        (&form, vec!["--block-url", "127.0.0.1"]),
        (&form, vec!["--allow-url", "example.com"]),
        ("example.com", vec![]),
        (port9, vec!["--secret", "password=NOVA_TEST_NOT_SET"]),
        (
            port9,
            vec!["--secret", "user=HOME", "--secret", "user=HOME"],
        ),
        (port9, vec!["--totp", "site=HOME"]),
        (port9, vec!["--secret-hosts", "nobody=example.com"]),
        (port9, vec!["--secret", "password"]),
    ];
    let mut outputs = Vec::new();
    for (page, extra) in cases {
        let mut args = vec![
            "A task".to_owned(),
            "--starting-page".to_owned(),
            page.to_owned(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let out = nova_act_run(&emulator, home.path(), args).await;
        assert!(out.starts_with("exit 2\n--- stdout\n--- stderr"), "{out}");
        let stderr = out.split("--- stderr\n").nth(1).unwrap().trim();
        outputs.push(stderr.replace(&form, "[page]"));
    }
    assert_eq!(site.requests(), Vec::<String>::new());
    insta::assert_snapshot!(outputs.join("\n"), @r#"
        error: [HOME]/bad.json: the answer schema is not a valid JSON Schema (Draft 7): at /type: "money" is not valid under any of the schemas listed in the 'anyOf' keyword; fix the schema
        error: [HOME]/not.json is not JSON: key must be a string at line 1 column 3
        error: --allow-url: `ftp://example.com` is not a URL pattern: the scheme must be http, https, file or *; write [scheme://]host[:port][/path], where the host may start with `*.` or be `*`
        error: --block-url: `exa mple.com` is not a URL pattern: the host is not a host name (a `*` may only start it, as `*.`); write [scheme://]host[:port][/path], where the host may start with `*.` or be `*`
        error: cannot write traces into /proc/no-logs-here; choose a folder you can write to
          caused by: No such file or directory (os error 2)
        error: invalid act: timeout must be 2..1800 seconds (it is 1s)
        error: invalid act: max_steps must be 1..199 (it is 500)
        error: --starting-page [page] is blocked by --block-url 127.0.0.1
        error: --starting-page [page] is not allowed by --allow-url example.com
        error: --starting-page `example.com` is not a URL (relative URL without a base); write it in full, such as https://example.com/
        error: --secret password: the variable NOVA_TEST_NOT_SET is not set, or empty
        error: --secret user: the secret `user` is given twice; give each name once
        error: --totp site: the seed in HOME is refused: the seed is not base32 (letters A-Z and digits 2-7), nor an otpauth://totp/ URI
        error: --secret-hosts names `nobody`, which no --secret gives
        error: --secret `password` is not NAME=VAR (the value is read from the variable VAR)
    "#);
    // Nothing reached the service.
    assert_eq!(emulator.created().runs, 0);
}

/// Many tasks through `run --tasks` against an emulator with the service's quotas (5 steps a
/// second): every line gets one result line, in the input's order, with its answer, or why it
/// failed; a failed task makes the exit code 1 and the run FAILED, and no browser is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_run_at_once_within_the_quota_with_one_result_line_each_in_order() {
    let (emulator, url) = (emulator().await, page().await);
    let home = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = (0..11)
        .map(|i| json!({"id": format!("t{i}"), "task": "price"}).to_string())
        .collect();
    // Two steps are needed; one is allowed: this task fails, and only it.
    lines.insert(
        5,
        json!({"id": "short", "task": "price", "max_steps": 1}).to_string(),
    );
    lines.insert(3, String::new());
    let tasks = home.path().join("tasks.jsonl");
    std::fs::write(&tasks, lines.join("\n")).unwrap();
    let results = home.path().join("results.jsonl");
    let out = nova_act_run(
        &emulator,
        home.path(),
        tasks_args(
            &tasks,
            &url,
            &[
                "--concurrency",
                "4",
                "--results",
                &results.display().to_string(),
            ],
        ),
    )
    .await;
    if browser_missing(&out) {
        return;
    }
    assert!(out.starts_with("exit 1\n"), "{out}");
    assert!(out.contains("1 of 12 tasks did not succeed"), "{out}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&results)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "t0", "t1", "t2", "t3", "t4", "short", "t5", "t6", "t7", "t8", "t9", "t10"
        ]
    );
    for line in &lines {
        if line["id"] == "short" {
            assert_eq!(line["status"], "FAILED");
            assert_eq!(line["error"]["code"], "ActExceededMaxStepsError");
        } else {
            assert_eq!(line["status"], "SUCCEEDED", "{line}");
            // Without a schema the answer is the agent's text, as `run`'s result event has it.
            assert_eq!(line["value"], r#"{"product": "Red apple", "price": 4.99}"#);
            assert_eq!(line["steps"], 2);
            assert!(line["error"].is_null());
        }
        assert!(
            line["session_id"].is_string() && line["act_id"].is_string(),
            "{line}"
        );
    }
    let created = emulator.created();
    assert_eq!(created.acts, 12);
    let acts = emulator.acts();
    assert!(
        acts.iter().all(|a| a.status.to_string() != "RUNNING"),
        "{acts:?}"
    );
}

#[tokio::test]
async fn a_tasks_file_is_checked_before_anything_starts() {
    let emulator = emulator().await;
    let home = tempfile::tempdir().unwrap();
    let tasks = home.path().join("tasks.jsonl");
    std::fs::write(
        &tasks,
        "{\"task\": \"a\"}\n{\"task\": \"b\", \"max_steps\": 0}\n",
    )
    .unwrap();
    let out = nova_act_run(
        &emulator,
        home.path(),
        tasks_args(&tasks, "https://example.com/", &[]),
    )
    .await;
    assert!(out.starts_with("exit 2\n"), "{out}");
    assert!(
        out.contains("line 2: invalid act: max_steps must be 1..199 (it is 0)"),
        "{out}"
    );
    assert_eq!(emulator.created().runs, 0);
    let both = nova_act_run(
        &emulator,
        home.path(),
        vec![
            "a task".into(),
            "--tasks".into(),
            tasks.display().to_string(),
        ],
    )
    .await;
    assert!(
        both.starts_with("exit 2\n") && both.contains("cannot be used with"),
        "{both}"
    );
}

/// `run --tasks --remote`: each task on a fresh AgentCore Browser session (a Chromium the
/// emulator launched), at most `--concurrency` at once; every session is stopped after its task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_run_on_remote_sessions_each_stopped_after() {
    let (emulator, page) = (emulator().await, page().await);
    let home = home();
    let tasks = home.path().join("tasks.jsonl");
    let lines: Vec<String> = (0..3)
        .map(|i| json!({"id": format!("r{i}"), "task": "price"}).to_string())
        .collect();
    std::fs::write(&tasks, lines.join("\n")).unwrap();
    let out = under_iam(
        &emulator,
        home.path(),
        vec![
            "--json".into(),
            "run".into(),
            "--tasks".into(),
            tasks.display().to_string(),
            "--starting-page".into(),
            page.clone(),
            "--remote".into(),
            "--concurrency".into(),
            "2".into(),
        ],
    )
    .await;
    if browser_missing(&out) {
        return;
    }
    assert!(out.starts_with("exit 0\n"), "{out}");
    let stdout = out
        .split("--- stdout\n")
        .nth(1)
        .and_then(|rest| rest.split("--- stderr").next())
        .unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["r0", "r1", "r2"]);
    assert!(
        lines
            .iter()
            .all(|l| l["status"] == "SUCCEEDED" && l["steps"] == 2),
        "{lines:?}"
    );
    assert_eq!(emulator.browser_sessions_started(), 3);
    assert!(
        emulator.browser_sessions().is_empty(),
        "every session was stopped"
    );
    assert_eq!(emulator.created().acts, 3);
}

/// `run "Sign in with {{secret:password}}" --secret password=SITE_PASS` on Chromium: the site
/// receives the password (its GET form puts it in the address, and the answer page shows it);
/// the service receives only the placeholder, and no trace, trajectory or output line holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_is_typed_into_the_page_and_never_reaches_the_service() {
    const PASSWORD: &str = "p@ss \"word\" & more";
    let site = nova_test_support::act::Site::start().await;
    let emulator = recording(sign_in_planner()).await;
    let logs = tempfile::tempdir().unwrap();
    let more = vec!["--logs-dir".to_owned(), logs.path().display().to_string()];
    let form = site.url("/form");
    let Some(_) = sign_in((emulator.url(), &form), PASSWORD, (vec![], more), vec![]).await else {
        return;
    };
    let submitted = site.wait_for("/submitted").await;
    let sent: String = url::form_urlencoded::byte_serialize(PASSWORD.as_bytes()).collect();
    assert!(submitted.contains(&sent), "the site got {submitted}");

    // Every request body the service received, every file of the logs folder.
    let received: Vec<String> = emulator.recorded().into_iter().map(|r| r.body).collect();
    assert!(
        received
            .iter()
            .any(|body| body.contains("{{secret:password}}"))
    );
    let mut everything = received;
    for file in walk(logs.path()) {
        everything.push(std::fs::read_to_string(file).unwrap());
    }
    for text in &everything {
        for form in forms(PASSWORD) {
            assert!(!text.contains(&form), "`{form}` reached:\n{text}");
        }
    }
}

/// A site whose sign-in takes a user, a password and a one-time code, and whose home page
/// greets a signed-in visitor; it counts the greetings.
async fn shop_with_sign_in(
    seed: &'static str,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use axum::http::{HeaderMap, header};
    use axum::response::{Html, IntoResponse, Redirect};
    const LOGIN: &str = r#"<!doctype html><title>Sign in</title>
<style>input { position: absolute; left: 100px; width: 400px; height: 50px }</style>
<form action="/signin" method="get">
  <input name="user" style="top: 100px"><input name="password" type="password" style="top: 200px">
  <input name="code" style="top: 300px">
  <button type="submit" style="position: absolute; top: 400px; left: 100px">Sign in</button>
</form>"#;
    let greeted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = greeted.clone();
    let app = axum::Router::new()
        .route("/login", axum::routing::get(|| async { Html(LOGIN) }))
        .route(
            "/signin",
            axum::routing::get(move |uri: axum::http::Uri| async move {
                let query: std::collections::HashMap<String, String> =
                    url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
                        .into_owned()
                        .collect();
                let totp = nova_act::runtime::Totp::parse(seed).unwrap();
                let now = std::time::SystemTime::now();
                let codes = [
                    totp.code_at(now),
                    totp.code_at(now - std::time::Duration::from_secs(30)),
                ];
                let ok = query.get("user").map(String::as_str) == Some("ada")
                    && query.get("password").map(String::as_str) == Some("p@ss word&1")
                    && query.get("code").is_some_and(|c| codes.contains(c));
                if ok {
                    (
                        [(header::SET_COOKIE, "session=signed-in; Path=/")],
                        Redirect::to("/home"),
                    )
                        .into_response()
                } else {
                    Html("<p>Wrong sign-in</p>").into_response()
                }
            }),
        )
        .route(
            "/home",
            axum::routing::get(move |headers: HeaderMap| async move {
                let signed_in = headers
                    .get(header::COOKIE)
                    .and_then(|c| c.to_str().ok())
                    .is_some_and(|c| c.contains("session=signed-in"));
                if signed_in {
                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Html("<p>Welcome back</p>")
                } else {
                    Html("<p>Please sign in</p>")
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, greeted)
}

/// The issue's own run: signed in with a user, a password and a one-time code from the
/// environment, the state saved; a second run with the same `--state` is already signed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_with_placeholders_is_kept_by_state_for_the_next_run() {
    const SEED: &str = "JBSWY3DPEHPK3PXP";
    let (site, greeted) = shop_with_sign_in(SEED).await;
    // Fields at 100..500 × 100..150, 200..250, 300..350 px of the 1600 × 900 viewport.
    let planner = ScriptedPlanner::new()
        .script(
            "Sign in",
            vec![
                vec![
                    ("agentType", json!(["{{secret:user}}", "<bbox>62,111,312,166</bbox>"])),
                    ("agentType", json!(["{{secret:password}}", "<bbox>62,222,312,277</bbox>"])),
                    ("agentType", json!(["{{totp:site}}", "<bbox>62,333,312,388</bbox>", {"pressEnter": true}])),
                    ("waitForPageToSettle", json!([])),
                    ("takeObservation", json!([])),
                ],
                vec![("return", json!(["signed in"]))],
            ],
        )
        .script("Open home", vec![vec![("return", json!(["home"]))]]);
    let emulator = recording(planner).await;
    let home = home();
    let state = home.path().join("private").join("state.json");
    let run_with = |task: &'static str, page: String| {
        let (url, home_path, state) = (
            emulator.url().to_owned(),
            home.path().to_owned(),
            state.display().to_string(),
        );
        tokio::task::spawn_blocking(move || {
            let args = [
                "--endpoint-url",
                &url,
                "run",
                task,
                "--starting-page",
                &page,
                "--secret",
                "user=SITE_USER",
                "--secret",
                "password=SITE_PASS",
                "--totp",
                "site=SITE_TOTP",
                "--state",
                &state,
            ];
            run_keeping(
                &home_path,
                &args,
                &[
                    ("NOVA_ACT_API_KEY", KEY),
                    ("SITE_USER", "ada"),
                    ("SITE_PASS", "p@ss word&1"),
                    ("SITE_TOTP", SEED),
                ],
                &["p@ss word&1", SEED],
            )
        })
    };
    let first = run_with(
        "Sign in as {{secret:user}} with {{secret:password}} and code {{totp:site}}",
        format!("{site}/login"),
    )
    .await
    .unwrap();
    if browser_missing(&first) {
        return;
    }
    assert!(first.starts_with("exit 0"), "{first}");
    assert!(first.contains("state: saved to"), "{first}");
    assert_eq!(
        greeted.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "signed in: {first}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let second = run_with("Open home", format!("{site}/home")).await.unwrap();
    assert!(second.starts_with("exit 0"), "{second}");
    assert!(second.contains("state: restored from"), "{second}");
    assert_eq!(
        greeted.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "already signed in: {second}"
    );
    // No request body the service received holds the password or the seed, in any form.
    for request in emulator.recorded() {
        for form in forms("p@ss word&1").into_iter().chain(forms(SEED)) {
            assert!(
                !request.body.contains(&form),
                "`{form}` reached {}",
                request.path
            );
        }
    }
}
