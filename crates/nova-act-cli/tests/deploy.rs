//! `nova-act workflow deploy`, `invoke` and `undeploy` against local fakes: the emulator for
//! Nova Act and STS, wiremock for ECR, IAM and the AgentCore control and data planes, and a
//! fake `docker` on PATH that records its arguments. Each test checks the sequence of calls
//! and their parameters: a first deploy, a redeploy (update), a runtime that fails, and a
//! refused permission, which must name the action.

mod support;

use nova_test_support::mount;
use std::path::Path;

use serde_json::{Value, json};
use support::*;
use wiremock::matchers::{body_string_contains, header, method};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ACCOUNT: &str = "123456789012";
const RUNTIME_ARN: &str =
    "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/price_watch-a1B2c3D4e5";
const RUNTIME_ID: &str = "price_watch-a1B2c3D4e5";

/// The fakes of one test.
struct Aws {
    ecr: MockServer,
    iam: MockServer,
    control: MockServer,
    data: MockServer,
}

impl Aws {
    async fn start() -> Self {
        Self {
            ecr: MockServer::start().await,
            iam: MockServer::start().await,
            control: MockServer::start().await,
            data: MockServer::start().await,
        }
    }

    /// Every call the fakes received, in order per service, named by operation.
    async fn calls(&self) -> String {
        let mut out = Vec::new();
        for (service, server) in [
            ("ecr", &self.ecr),
            ("iam", &self.iam),
            ("control", &self.control),
            ("data", &self.data),
        ] {
            for request in server.received_requests().await.unwrap_or_default() {
                out.push(format!("{service}: {}", describe(&request)));
            }
        }
        out.join("\n")
    }
}

/// An operation and the parameters that matter.
fn describe(request: &Request) -> String {
    let body = String::from_utf8_lossy(&request.body).into_owned();
    if let Some(target) = request.headers.get("x-amz-target") {
        let op = target
            .to_str()
            .unwrap_or_default()
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_owned();
        return format!("{op} {body}");
    }
    if body.starts_with("Action=") {
        let fields: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let mut text = get("Action").unwrap_or_default();
        text.push_str(&format!(" {}", get("RoleName").unwrap_or_default()));
        if let Some(policy) = get("PolicyName") {
            text.push_str(&format!(" policy {policy}"));
        }
        if let Some(document) = get("PolicyDocument").or_else(|| get("AssumeRolePolicyDocument")) {
            let document: Value = serde_json::from_str(&document).unwrap();
            let sids: Vec<&str> = document["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|s| s["Sid"].as_str())
                .collect();
            text.push_str(&format!(" [{}]", sids.join(", ")));
        }
        return text;
    }
    let mut text = format!("{} {}", request.method, request.url.path());
    if !body.is_empty() {
        let mut value: Value = serde_json::from_str(&body).unwrap_or(Value::String(body));
        if let Some(object) = value.as_object_mut() {
            object.remove("clientToken");
        }
        text.push_str(&format!(" {value}"));
    }
    text
}

fn json_1_1(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/x-amz-json-1.1")
        .set_body_json(body)
}

fn xml(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "text/xml")
        .set_body_string(body)
}

fn role_xml(operation: &str, name: &str) -> String {
    format!(
        "<{operation}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><{operation}Result><Role>\
         <Path>/</Path><RoleName>{name}</RoleName><RoleId>AROAEXAMPLEID0000001</RoleId>\
         <Arn>arn:aws:iam::{ACCOUNT}:role/{name}</Arn><CreateDate>2026-12-02T00:00:00Z</CreateDate>\
         </Role></{operation}Result><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></{operation}Response>"
    )
}

fn ok_xml(operation: &str) -> String {
    format!(
        "<{operation}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ResponseMetadata>\
         <RequestId>r-1</RequestId></ResponseMetadata></{operation}Response>"
    )
}

fn iam_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    xml(
        status,
        &format!(
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
             <Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
        ),
    )
}

/// Answers requests to `server` that `matcher` picks with `answer`.
async fn answer(
    server: &MockServer,
    matcher: impl wiremock::Match + 'static,
    answer: ResponseTemplate,
) {
    Mock::given(matcher)
        .respond_with(answer)
        .mount(server)
        .await;
}

/// IAM answers `action` with success (its `Role` for GetRole and CreateRole).
async fn iam_ok(aws: &Aws, action: &str) {
    let body = if action.ends_with("Role") && !action.starts_with("Delete") {
        role_xml(action, "nova-act-price-watch-role")
    } else {
        ok_xml(action)
    };
    answer(&aws.iam, iam_action(action), xml(200, &body)).await;
}

/// IAM with the role already there: its trust and policy are brought up to date.
async fn existing_role(aws: &Aws) {
    for action in ["GetRole", "UpdateAssumeRolePolicy", "PutRolePolicy"] {
        iam_ok(aws, action).await;
    }
}

fn iam_action(action: &str) -> impl wiremock::Match + use<> {
    body_string_contains(format!("Action={action}&"))
}

fn ecr_target(operation: &str) -> impl wiremock::Match + use<> {
    header(
        "x-amz-target",
        format!("AmazonEC2ContainerRegistry_V20150921.{operation}").as_str(),
    )
}

/// ECR with no repository yet: it is created, and a login token is handed out.
async fn fresh_registry(aws: &Aws) {
    let missing = "The repository with name 'nova-act/price-watch' does not exist";
    let not_found = json!({"__type": "RepositoryNotFoundException", "message": missing});
    answer(
        &aws.ecr,
        ecr_target("DescribeRepositories"),
        json_1_1(400, not_found),
    )
    .await;
    let repository = json!({"repository": {
        "repositoryArn": format!("arn:aws:ecr:us-east-1:{ACCOUNT}:repository/nova-act/price-watch"),
        "registryId": ACCOUNT,
        "repositoryName": "nova-act/price-watch",
        "repositoryUri": format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/nova-act/price-watch"),
    }});
    answer(
        &aws.ecr,
        ecr_target("CreateRepository"),
        json_1_1(200, repository),
    )
    .await;
    answer(
        &aws.ecr,
        ecr_target("GetAuthorizationToken"),
        json_1_1(
            200,
            json!({"authorizationData": [{
                // base64 of "AWS:registry-password"
                "authorizationToken": "QVdTOnJlZ2lzdHJ5LXBhc3N3b3Jk",
                "proxyEndpoint": format!("https://{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"),
            }]}),
        ),
    )
    .await;
}

/// IAM with no role yet.
async fn no_role(aws: &Aws) {
    answer(
        &aws.iam,
        iam_action("GetRole"),
        iam_error(
            404,
            "NoSuchEntity",
            "The role with name nova-act-price-watch-role cannot be found.",
        ),
    )
    .await;
    iam_ok(aws, "CreateRole").await;
    iam_ok(aws, "PutRolePolicy").await;
}

fn runtime_json(status: &str, version: &str) -> Value {
    json!({
        "agentRuntimeArn": RUNTIME_ARN,
        "agentRuntimeId": RUNTIME_ID,
        "agentRuntimeName": "price_watch",
        "agentRuntimeVersion": version,
        "createdAt": "2026-12-02T00:00:00Z",
        "lastUpdatedAt": "2026-12-02T00:01:00Z",
        "roleArn": format!("arn:aws:iam::{ACCOUNT}:role/nova-act-price-watch-role"),
        "status": status,
        "description": "",
    })
}

/// The control plane: no runtime yet, or one; then READY, or a failure.
async fn control(aws: &Aws, existing: bool, end: &str) {
    let listed = if existing {
        vec![runtime_json("READY", "1")]
    } else {
        Vec::new()
    };
    mount(
        &aws.control,
        "POST",
        "/runtimes",
        ResponseTemplate::new(200).set_body_json(json!({"agentRuntimes": listed})),
    )
    .await;
    mount(
        &aws.control,
        "PUT",
        "/runtimes",
        ResponseTemplate::new(202).set_body_json(runtime_json("CREATING", "1")),
    )
    .await;
    mount(
        &aws.control,
        "PUT",
        format!("/runtimes/{RUNTIME_ID}"),
        ResponseTemplate::new(202).set_body_json(runtime_json("UPDATING", "2")),
    )
    .await;
    let mut got = runtime_json(end, "1");
    if end.ends_with("FAILED") {
        got["failureReason"] = json!("the image nova-act/price-watch could not be pulled");
    }
    mount(
        &aws.control,
        "GET",
        format!("/runtimes/{RUNTIME_ID}"),
        ResponseTemplate::new(200).set_body_json(got),
    )
    .await;
}

/// A `docker` that records each call's arguments (and what `login` read on stdin) in
/// `calls.txt` beside it.
fn fake_docker(dir: &Path) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("docker");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = login ]; then read -r secret; echo \"$* <stdin: $secret>\" >> {log}; else echo \"$*\" >> {log}; fi\n",
            log = dir.join("calls.txt").display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    format!("{}:/usr/bin:/bin", bin.display())
}

/// `workflow deploy price-watch` of a prebuilt image, which must fail: its stderr.
async fn failed_deploy(emulator: &nova_emulator::RunningEmulator, aws: &Aws) -> String {
    let home = home();
    let image = format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/nova-act/price-watch:v1");
    let out = nova_act(
        emulator,
        aws,
        home.path(),
        "/usr/bin:/bin",
        &["workflow", "deploy", "price-watch", "--image", &image],
    )
    .await;
    assert!(out.starts_with("exit 1"), "{out}");
    out.split("--- stderr\n").nth(1).unwrap().to_owned()
}

/// `nova-act args…` as the emulator's key, with every endpoint on the fakes.
async fn nova_act(
    emulator: &nova_emulator::RunningEmulator,
    aws: &Aws,
    home: &Path,
    path_var: &str,
    args: &[&str],
) -> String {
    let key = emulator.access_key().clone();
    let vars: Vec<(String, String)> = vec![
        ("PATH".into(), path_var.to_owned()),
        ("AWS_ACCESS_KEY_ID".into(), key.access_key_id.clone()),
        (
            "AWS_SECRET_ACCESS_KEY".into(),
            key.secret_access_key.clone(),
        ),
        ("AWS_REGION".into(), "us-east-1".into()),
        (
            "AWS_ENDPOINT_URL_NOVA_ACT".into(),
            emulator.url().to_owned(),
        ),
        ("AWS_ENDPOINT_URL_STS".into(), emulator.url().to_owned()),
        ("AWS_ENDPOINT_URL_ECR".into(), aws.ecr.uri()),
        ("AWS_ENDPOINT_URL_IAM".into(), aws.iam.uri()),
        (
            "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL".into(),
            aws.control.uri(),
        ),
        ("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE".into(), aws.data.uri()),
    ];
    let (home, args, secret) = (
        home.to_owned(),
        args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>(),
        key.secret_access_key.clone(),
    );
    tokio::task::spawn_blocking(move || {
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_keeping(&home, &args, &vars, &[secret.as_str(), "registry-password"])
    })
    .await
    .unwrap()
}

/// The image tag is the time of the build.
fn scrub_tag(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("price-watch:") {
        let (head, tail) = rest.split_at(at + "price-watch:".len());
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        if digits >= 9 {
            out.push_str("[time]");
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

fn project(home: &Path) -> String {
    let dir = home.join("project");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Dockerfile"), "FROM scratch\n").unwrap();
    dir.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_deploy_creates_everything_in_order_and_builds_with_docker() {
    let emulator = nova_emulator::Emulator::builder().start().await.unwrap();
    let aws = Aws::start().await;
    fresh_registry(&aws).await;
    no_role(&aws).await;
    control(&aws, false, "READY").await;
    let home = home();
    let path_var = fake_docker(home.path());
    let dir = project(home.path());
    let out = nova_act(
        &emulator,
        &aws,
        home.path(),
        &path_var,
        &[
            "workflow",
            "deploy",
            "price-watch",
            "--build",
            &dir,
            "--env",
            "LOG_LEVEL=debug",
        ],
    )
    .await;
    assert!(out.starts_with("exit 0"), "{out}");
    let out = out.replace(&dir, "[project]");
    let out = scrub_tag(&out);
    insta::assert_snapshot!(out, @r#"
        exit 0
        --- stdout
        deploying price-watch to AgentCore Runtime in account 123456789012, us-east-1
          ✓ workflow definition: created
          ✓ image repository: created
          ✓ build: 123456789012.dkr.ecr.us-east-1.amazonaws.com/nova-act/price-watch:[time]
          ✓ registry login: logged in
          ✓ push: pushed
          ✓ execution role: created
          ✓ runtime: created
          ✓ ready: READY
        created price_watch: arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/price_watch-a1B2c3D4e5
        invoke it: nova-act workflow invoke price-watch --payload '{"task": "…"}'
        --- stderr
    "#);
    insta::assert_snapshot!(scrub_tag(&aws.calls().await), @r#"
        ecr: DescribeRepositories {"repositoryNames":["nova-act/price-watch"]}
        ecr: CreateRepository {"repositoryName":"nova-act/price-watch"}
        ecr: GetAuthorizationToken {}
        iam: GetRole nova-act-price-watch-role
        iam: CreateRole nova-act-price-watch-role [AgentCoreRuntime]
        iam: PutRolePolicy nova-act-price-watch-role policy nova-act-workflow [NovaActRunWorkflows, NovaActListModels, PullImage, RegistryLogin, Logs]
        control: POST /runtimes
        control: PUT /runtimes {"agentRuntimeArtifact":{"containerConfiguration":{"containerUri":"123456789012.dkr.ecr.us-east-1.amazonaws.com/nova-act/price-watch:[time]"}},"agentRuntimeName":"price_watch","environmentVariables":{"LOG_LEVEL":"debug"},"networkConfiguration":{"networkMode":"PUBLIC"},"roleArn":"arn:aws:iam::123456789012:role/nova-act-price-watch-role","tags":{"nova-act-workflow-definition-v1":"price-watch"}}
        control: GET /runtimes/price_watch-a1B2c3D4e5
    "#);
    let docker = std::fs::read_to_string(home.path().join("calls.txt")).unwrap();
    let docker = scrub_tag(&docker.replace(&dir, "[project]"));
    insta::assert_snapshot!(docker, @r"
        build --platform linux/arm64 -t 123456789012.dkr.ecr.us-east-1.amazonaws.com/nova-act/price-watch:[time] [project]
        login --username AWS --password-stdin https://123456789012.dkr.ecr.us-east-1.amazonaws.com <stdin: registry-password>
        push 123456789012.dkr.ecr.us-east-1.amazonaws.com/nova-act/price-watch:[time]
    ");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redeploy_updates_the_runtime_and_the_role() {
    let emulator = nova_emulator::Emulator::builder().start().await.unwrap();
    let aws = Aws::start().await;
    existing_role(&aws).await;
    control(&aws, true, "READY").await;
    let home = home();
    let image = format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/nova-act/price-watch:v2");
    let args = [
        "workflow",
        "deploy",
        "price-watch",
        "--image",
        image.as_str(),
        "--remote-browser",
        "--api-key-from",
        "secrets-manager:prod/nova-act",
    ];
    // The first call creates the definition; the second finds it (Conflict) and goes on.
    let _ = nova_act(&emulator, &aws, home.path(), "/usr/bin:/bin", &args).await;
    for server in [&aws.ecr, &aws.iam, &aws.control, &aws.data] {
        server.reset().await;
    }
    existing_role(&aws).await;
    control(&aws, true, "READY").await;
    let out = nova_act(&emulator, &aws, home.path(), "/usr/bin:/bin", &args).await;
    assert!(out.starts_with("exit 0"), "{out}");
    insta::assert_snapshot!(out, @r#"
        exit 0
        --- stdout
        deploying price-watch to AgentCore Runtime in account 123456789012, us-east-1
          ✓ workflow definition: exists
          ✓ execution role: updated
          ✓ runtime: updated
          ✓ ready: READY
        updated price_watch: arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/price_watch-a1B2c3D4e5
        invoke it: nova-act workflow invoke price-watch --payload '{"task": "…"}'
        --- stderr
    "#);
    insta::assert_snapshot!(aws.calls().await, @r#"
        iam: GetRole nova-act-price-watch-role
        iam: UpdateAssumeRolePolicy nova-act-price-watch-role [AgentCoreRuntime]
        iam: PutRolePolicy nova-act-price-watch-role policy nova-act-workflow [NovaActRunWorkflows, NovaActListModels, PullImage, RegistryLogin, Logs, RemoteBrowser, ApiKeySecretsmanagerGetSecretValue]
        control: POST /runtimes
        control: PUT /runtimes/price_watch-a1B2c3D4e5 {"agentRuntimeArtifact":{"containerConfiguration":{"containerUri":"123456789012.dkr.ecr.us-east-1.amazonaws.com/nova-act/price-watch:v2"}},"environmentVariables":{"NOVA_ACT_API_KEY_SECRET_ID":"prod/nova-act"},"networkConfiguration":{"networkMode":"PUBLIC"},"roleArn":"arn:aws:iam::123456789012:role/nova-act-price-watch-role"}
        control: GET /runtimes/price_watch-a1B2c3D4e5
    "#);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_that_fails_says_why_and_what_was_created() {
    let emulator = nova_emulator::Emulator::builder().start().await.unwrap();
    let aws = Aws::start().await;
    no_role(&aws).await;
    control(&aws, false, "CREATE_FAILED").await;
    let stderr = failed_deploy(&emulator, &aws).await;
    insta::assert_snapshot!(stderr, @r"
        error: the deploy stopped at step `ready` (created before it, and left in place: workflow definition price-watch, execution role nova-act-price-watch-role, runtime price_watch)
          caused by: the runtime is CREATE_FAILED: the image nova-act/price-watch could not be pulled
    ");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_permission_names_the_action() {
    let emulator = nova_emulator::Emulator::builder().start().await.unwrap();
    let aws = Aws::start().await;
    answer(
        &aws.iam,
        iam_action("GetRole"),
        iam_error(404, "NoSuchEntity", "The role cannot be found."),
    )
    .await;
    let refusal = "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: \
                   iam:CreateRole on resource: arn:aws:iam::123456789012:role/nova-act-price-watch-role";
    answer(
        &aws.iam,
        iam_action("CreateRole"),
        iam_error(403, "AccessDenied", refusal),
    )
    .await;
    let stderr = failed_deploy(&emulator, &aws).await;
    insta::assert_snapshot!(stderr, @r"
        error: the deploy stopped at step `execution role` (created before it, and left in place: workflow definition price-watch)
          caused by: AWS refused iam:CreateRole: User: arn:aws:iam::123456789012:user/dev is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/nova-act-price-watch-role. The caller's IAM policy must allow it
          hint: `nova-act permissions --for deploy` prints a policy that allows it
    ");
    assert!(
        aws.control
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_finds_the_runtime_adds_the_workflow_and_prints_the_answer() {
    let emulator = nova_emulator::Emulator::builder().start().await.unwrap();
    let aws = Aws::start().await;
    control(&aws, true, "READY").await;
    mount(
        &aws.data,
        "POST",
        format!(
            "/runtimes/{}/invocations",
            RUNTIME_ARN.replace(':', "%3A").replace('/', "%2F")
        ),
        ResponseTemplate::new(200)
            .insert_header("content-type", "application/json")
            .set_body_json(json!({"answer": "4.99"})),
    )
    .await;
    let home = home();
    let session = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d-01";
    let out = nova_act(
        &emulator,
        &aws,
        home.path(),
        "/usr/bin:/bin",
        &[
            "workflow",
            "invoke",
            "price-watch",
            "--payload",
            r#"{"task": "Find the price"}"#,
            "--session",
            session,
        ],
    )
    .await;
    assert!(out.starts_with("exit 0"), "{out}");
    insta::assert_snapshot!(out, @r#"
        exit 0
        --- stdout
        {"answer":"4.99"}
        --- stderr
        session a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d-01 · application/json
    "#);
    let sent = aws.data.received_requests().await.unwrap();
    assert_eq!(
        sent[0]
            .headers
            .get("x-amzn-bedrock-agentcore-runtime-session-id")
            .unwrap(),
        session
    );
    let body: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(
        body,
        json!({"task": "Find the price", "NOVA_ACT_WORKFLOW_NAME": "price-watch"})
    );
    // No trace context without telemetry.
    assert!(!sent[0].headers.contains_key("traceparent"));

    // With --otel the invocation is a span, and the runtime is handed its trace to continue.
    let collector = nova_test_support::otlp::Collector::start().await;
    let otel = format!("--otel={}", collector.url());
    let traced = [
        otel.as_str(),
        "workflow",
        "invoke",
        "price-watch",
        "--payload",
        "{}",
        "--session",
        session,
    ];
    let out = nova_act(&emulator, &aws, home.path(), "/usr/bin:/bin", &traced).await;
    assert!(out.starts_with("exit 0"), "{out}");
    let sent = aws.data.received_requests().await.unwrap();
    let parent = sent.last().unwrap().headers["traceparent"]
        .to_str()
        .unwrap()
        .to_owned();
    let span = collector
        .spans()
        .into_iter()
        .find(|s| s.name == "BedrockAgentCore.InvokeAgentRuntime")
        .expect("the invocation's span");
    assert_eq!(parent, format!("00-{}-{}-01", span.trace_id, span.span_id));

    // --json: a JSON answer is one document with the answer, its type and the session.
    let invoke = [
        "workflow",
        "invoke",
        "price-watch",
        "--payload",
        "{}",
        "--session",
        session,
        "--json",
    ];
    let out = nova_act(&emulator, &aws, home.path(), "/usr/bin:/bin", &invoke).await;
    insta::assert_snapshot!(out.split("--- stderr").next().unwrap(), @r#"
        exit 0
        --- stdout
        {"answer":{"answer":"4.99"},"content_type":"application/json","session_id":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d-01"}
    "#);
    // An event stream: one line per event, then the end.
    aws.data.reset().await;
    let events =
        "data: {\"step\": 1}\n\ndata: thinking\ndata: more\n\n: a comment\n\ndata: \"done\"\n\n";
    answer(
        &aws.data,
        method("POST"),
        ResponseTemplate::new(200).set_body_raw(events, "text/event-stream"),
    )
    .await;
    let out = nova_act(&emulator, &aws, home.path(), "/usr/bin:/bin", &invoke).await;
    insta::assert_snapshot!(out.split("--- stderr").next().unwrap(), @r#"
        exit 0
        --- stdout
        {"data":{"step":1},"event":"data"}
        {"data":"thinking\nmore","event":"data"}
        {"data":"done","event":"data"}
        {"event":"end"}
    "#);
    emulator.shutdown().await;
}

#[test]
fn bad_input_is_refused_before_any_call() {
    let home = home();
    let dir = project(home.path());
    // `workflow deploy price-watch --image x` and more.
    let deploy = |more: &[&'static str]| {
        let mut args = vec!["workflow", "deploy", "price-watch", "--image", "x"];
        args.extend_from_slice(more);
        args
    };
    let cases: Vec<Vec<&str>> = vec![
        vec!["workflow", "deploy", "9lives", "--image", "x"],
        deploy(&["--env", "NOEQUALS"]),
        vec!["workflow", "deploy", "price-watch", "--build", &dir],
        deploy(&["--api-key-from", "vault:key"]),
        deploy(&[
            "--api-key-from",
            "parameter:/nova-act/key",
            "--env",
            "NOVA_ACT_API_KEY=0123456789abcdef0123456789abcdef0123",
        ]),
        vec![
            "workflow",
            "invoke",
            "price-watch",
            "--payload",
            "{not json",
        ],
        vec![
            "workflow",
            "invoke",
            "price-watch",
            "--payload",
            "{}",
            "--session",
            "short",
        ],
    ];
    let mut report = Vec::new();
    for args in cases {
        // No endpoint is reachable: any call would fail differently.
        let out = run(
            home.path(),
            &args,
            &[
                ("PATH", "/nonexistent"),
                ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE000000000"),
                ("AWS_SECRET_ACCESS_KEY", "secret"),
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ],
        );
        assert!(
            out.starts_with("exit 2\n"),
            "refused input is bad usage: {out}"
        );
        let stderr = out.split("--- stderr\n").nth(1).unwrap().trim().to_owned();
        report.push(stderr.replace(&dir, "[project]"));
    }
    insta::assert_snapshot!(report.join("\n"), @r#"
        error: the workflow name `9lives` cannot be deployed: an AgentCore runtime name must start with a letter ([a-zA-Z][a-zA-Z0-9_]{0,47})
        error: --env "NOEQUALS" is not KEY=VALUE; write it as --env NAME=value
        error: --build needs docker or podman on PATH, and neither is there; build and push the image elsewhere (for linux/arm64) and pass --image URI instead of --build [HOME]/project
        error: --api-key-from `vault` is not a store; use secrets-manager:ID, parameter:NAME or agentcore-identity:PROVIDER
        error: --api-key-from parameter:/nova-act/key and --env NOVA_ACT_API_KEY=… both say where the API key comes from; keep --api-key-from, so that no key travels in the runtime's environment
        error: the payload is not JSON (key must be a string at line 1 column 2); pass a JSON value
        error: --session "short" is too short: AgentCore takes 33 to 256 characters (a UUID has 36)
    "#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeploy_removes_the_runtime_and_with_yes_the_role_and_repository() {
    let emulator = nova_emulator::Emulator::builder().start().await.unwrap();
    let aws = Aws::start().await;
    control(&aws, true, "READY").await;
    mount(
        &aws.control,
        "DELETE",
        format!("/runtimes/{RUNTIME_ID}"),
        ResponseTemplate::new(202).set_body_json(json!({"status": "DELETING"})),
    )
    .await;
    iam_ok(&aws, "DeleteRolePolicy").await;
    iam_ok(&aws, "DeleteRole").await;
    answer(
        &aws.ecr,
        ecr_target("DeleteRepository"),
        json_1_1(
            200,
            json!({"repository": {"repositoryName": "nova-act/price-watch"}}),
        ),
    )
    .await;
    let home = home();
    let only_runtime = nova_act(
        &emulator,
        &aws,
        home.path(),
        "/usr/bin:/bin",
        &["workflow", "undeploy", "price-watch"],
    )
    .await;
    insta::assert_snapshot!(only_runtime, @r"
        exit 0
        --- stdout
        removed: runtime price_watch
        kept: execution role nova-act-price-watch-role and image repository nova-act/price-watch (pass --yes to delete them too)
        --- stderr
    ");
    let everything = nova_act(
        &emulator,
        &aws,
        home.path(),
        "/usr/bin:/bin",
        &["workflow", "undeploy", "price-watch", "--yes"],
    )
    .await;
    insta::assert_snapshot!(everything, @r"
        exit 0
        --- stdout
        removed: runtime price_watch, execution role nova-act-price-watch-role, image repository nova-act/price-watch
        --- stderr
    ");
    insta::assert_snapshot!(aws.calls().await, @r#"
        ecr: DeleteRepository {"force":true,"repositoryName":"nova-act/price-watch"}
        iam: DeleteRolePolicy nova-act-price-watch-role policy nova-act-workflow
        iam: DeleteRole nova-act-price-watch-role
        control: POST /runtimes
        control: DELETE /runtimes/price_watch-a1B2c3D4e5
        control: POST /runtimes
        control: DELETE /runtimes/price_watch-a1B2c3D4e5
    "#);
    emulator.shutdown().await;
}
