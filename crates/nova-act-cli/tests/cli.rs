//! The `nova-act` command as a user runs it: a process with a temporary HOME and only the
//! environment each case sets; outputs are snapshots.

mod support;

use nova_act::model::{Call, CallResult};
use nova_emulator::{ActView, Planner};
use nova_test_support::mount;
use std::process::Command;

use serde_json::json;
use support::{AKID, KEY, SECRET, browser_missing, home, run, run_async, run_keeping, stdout_of};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[test]
fn status_with_nothing_configured_lists_every_source_and_exits_1() {
    let home = home();
    insta::assert_snapshot!(run(home.path(), &["auth", "status"], &[]));
}

#[test]
fn status_with_an_api_key() {
    let home = home();
    insta::assert_snapshot!(run(
        home.path(),
        &["auth", "status"],
        &[("NOVA_ACT_API_KEY", KEY)]
    ));
    insta::assert_snapshot!(run(
        home.path(),
        &["auth", "status", "--json"],
        &[("NOVA_ACT_API_KEY", KEY)]
    ));
}

#[test]
fn status_with_a_malformed_api_key_names_the_fix() {
    let home = home();
    insta::assert_snapshot!(run(
        home.path(),
        &["auth", "status"],
        &[("NOVA_ACT_API_KEY", "abc")]
    ));
}

#[test]
fn status_with_aws_environment_variables() {
    let home = home();
    let vars = [
        ("AWS_ACCESS_KEY_ID", AKID),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_REGION", "us-east-1"),
    ];
    insta::assert_snapshot!(run(home.path(), &["auth", "status", "--json"], &vars));
}

#[test]
fn status_with_a_profile() {
    let credentials = format!(
        "[dev]\naws_access_key_id = AKIADEVDEVDEV00001\naws_secret_access_key = {SECRET}\n"
    );
    let config = "[profile dev]\nregion = us-east-1\n";
    let home = nova_test_support::aws_home(Some(&credentials), Some(config));
    insta::assert_snapshot!(run(
        home.path(),
        &["auth", "status"],
        &[("AWS_PROFILE", "dev")]
    ));
    insta::assert_snapshot!(run(
        home.path(),
        &["--profile", "prod", "auth", "status"],
        &[]
    ));
}

/// A fake of STS (POST / with Action=GetCallerIdentity) and of Nova Act's ListModels.
async fn aws(models_status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(body_string_contains("Action=GetCallerIdentity"))
        .respond_with(ResponseTemplate::new(200).insert_header("content-type", "text/xml").set_body_string(
            r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/dev</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#,
        ))
        .mount(&server)
        .await;
    let models = if models_status == 200 {
        ResponseTemplate::new(200).set_body_json(json!({
            "modelSummaries": [{"modelId": "nova-act-v1", "modelLifecycle": {"status": "ACTIVE"}, "minimumCompatibilityVersion": 1}],
            "modelAliases": [{"aliasName": "nova-act-latest", "latestModelId": "nova-act-v1"}],
            "compatibilityInformation": {"clientCompatibilityVersion": 1, "supportedModelIds": ["nova-act-v1"]}
        }))
    } else {
        ResponseTemplate::new(models_status)
            .insert_header("x-amzn-ErrorType", "AccessDeniedException")
            .insert_header("x-amzn-RequestId", "req-1")
            .set_body_json(
                json!({"message": "User is not authorized to perform nova-act:ListModels"}),
            )
    };
    mount(&server, "POST", "/models", models).await;
    server
}

fn iam_vars(server: &MockServer) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", AKID.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET.to_owned()),
        ("AWS_ENDPOINT_URL_STS", server.uri()),
        ("AWS_ENDPOINT_URL_NOVA_ACT", server.uri()),
    ]
}

#[tokio::test]
async fn doctor_passes_every_check_with_working_iam_credentials() {
    let server = aws(200).await;
    let home = home();
    let out = run_async(home.path(), &["auth", "doctor"], iam_vars(&server)).await;
    insta::assert_snapshot!(out.replace(&server.uri(), "[endpoint]"));
}

#[tokio::test]
async fn doctor_names_the_missing_permission() {
    let server = aws(403).await;
    let home = home();
    let out = run_async(
        home.path(),
        &["auth", "doctor", "--json"],
        iam_vars(&server),
    )
    .await;
    insta::assert_snapshot!(out.replace(&server.uri(), "[endpoint]"));
}

/// With an API key, doctor asks the service whether it accepts the key (a call that changes
/// nothing) and tells an accepted key from a refused one and from no answer at all.
#[tokio::test]
async fn doctor_with_an_api_key_asks_the_service_and_skips_what_does_not_apply() {
    let emulator = nova_emulator::Emulator::builder()
        .api_key(KEY)
        .start()
        .await
        .unwrap();
    let url = emulator.url().to_owned();
    let outputs = tokio::task::spawn_blocking(move || {
        let home = home();
        let other = "0123456789abcdef0123456789abcdef0123";
        let closed = "http://127.0.0.1:9";
        [(KEY, url.as_str()), (other, url.as_str()), (KEY, closed)]
            .iter()
            .map(|(key, endpoint)| {
                let out = run_keeping(
                    home.path(),
                    &["auth", "doctor"],
                    &[
                        ("NOVA_ACT_API_KEY", key),
                        ("NOVA_ACT_API_ENDPOINT", endpoint),
                    ],
                    &[KEY, other],
                );
                support::regex_lite(&out.replace(&url, "[emulator]"))
            })
            .chain(std::iter::once({
                let vars = [("NOVA_ACT_API_KEY", KEY), ("NOVA_ACT_API_ENDPOINT", &url)];
                let out = run(home.path(), &["auth", "doctor", "--json"], &vars);
                let value: serde_json::Value = serde_json::from_str(stdout_of(&out)).unwrap();
                assert_eq!(value["ok"], true, "{value:#}");
                format!("--json: {}", value["checks"][4]).replace(&url, "[emulator]")
            }))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert!(outputs[0].starts_with("exit 0\n"), "{}", outputs[0]);
    assert!(outputs[1].starts_with("exit 1\n"), "{}", outputs[1]);
    assert!(outputs[2].starts_with("exit 1\n"), "{}", outputs[2]);
    insta::assert_snapshot!(outputs.join("\n"));
}

#[test]
fn doctor_with_nothing_configured_fails_with_the_fix() {
    let home = home();
    insta::assert_snapshot!(run(home.path(), &["auth", "doctor"], &[]));
}

#[test]
fn permissions_are_least_privilege_and_scoped() {
    let home = home();
    insta::assert_snapshot!(run(
        home.path(),
        &["permissions", "--workflow", "nightly"],
        &[]
    ));
    insta::assert_snapshot!(run(home.path(), &["permissions", "--for", "read"], &[]));
    insta::assert_snapshot!(run(
        home.path(),
        &[
            "permissions",
            "--for",
            "manage",
            "--workflow",
            "nightly",
            "--account",
            "111122223333",
            "--region",
            "us-east-1"
        ],
        &[]
    ));
    let unknown = run(home.path(), &["permissions", "--for", "admin"], &[]);
    assert!(unknown.starts_with("exit 2\n"), "{unknown}");
    assert!(
        unknown.contains(
            "[possible values: read, run, manage, remote-browser, deploy, api-key-store]"
        ),
        "{unknown}"
    );
    // Remote browsers: the AgentCore Browser session and stream actions on the browser ARNs.
    let remote = run(
        home.path(),
        &[
            "permissions",
            "--for",
            "remote-browser",
            "--account",
            "111122223333",
            "--region",
            "eu-west-1",
        ],
        &[],
    );
    let document: serde_json::Value = serde_json::from_str(stdout_of(&remote)).unwrap();
    assert_eq!(
        document["Statement"][0]["Resource"],
        json!(["arn:aws:bedrock-agentcore:eu-west-1:111122223333:browser/*"])
    );
    assert_eq!(
        document["Statement"][0]["Action"][0],
        "bedrock-agentcore:StartBrowserSession"
    );
    // Deploying: manage, the image repositories, the execution roles (passed to AgentCore
    // only) and the runtimes.
    let deploy = run(
        home.path(),
        &[
            "permissions",
            "--for",
            "deploy",
            "--account",
            "111122223333",
            "--region",
            "eu-west-1",
        ],
        &[],
    );
    insta::assert_snapshot!(stdout_of(&deploy), @r#"
        {
          "Statement": [
            {
              "Action": [
                "nova-act:CreateWorkflowDefinition",
                "nova-act:DeleteWorkflowDefinition",
                "nova-act:DeleteWorkflowRun",
                "nova-act:CreateWorkflowRun",
                "nova-act:UpdateWorkflowRun",
                "nova-act:CreateSession",
                "nova-act:CreateAct",
                "nova-act:InvokeActStep",
                "nova-act:UpdateAct",
                "nova-act:GetWorkflowDefinition",
                "nova-act:ListWorkflowDefinitions",
                "nova-act:GetWorkflowRun",
                "nova-act:ListWorkflowRuns",
                "nova-act:ListSessions",
                "nova-act:ListActs"
              ],
              "Effect": "Allow",
              "Resource": [
                "arn:aws:nova-act:eu-west-1:111122223333:workflow-definition/*",
                "arn:aws:nova-act:eu-west-1:111122223333:workflow-definition/*/workflow-run/*"
              ],
              "Sid": "NovaActManageWorkflows"
            },
            {
              "Action": [
                "nova-act:ListModels"
              ],
              "Effect": "Allow",
              "Resource": "*",
              "Sid": "NovaActListModels"
            },
            {
              "Action": [
                "ecr:CreateRepository",
                "ecr:DescribeRepositories",
                "ecr:DeleteRepository",
                "ecr:BatchCheckLayerAvailability",
                "ecr:InitiateLayerUpload",
                "ecr:UploadLayerPart",
                "ecr:CompleteLayerUpload",
                "ecr:PutImage",
                "ecr:BatchGetImage"
              ],
              "Effect": "Allow",
              "Resource": [
                "arn:aws:ecr:eu-west-1:111122223333:repository/nova-act/*"
              ],
              "Sid": "NovaActDeployRepositories"
            },
            {
              "Action": [
                "ecr:GetAuthorizationToken"
              ],
              "Effect": "Allow",
              "Resource": [
                "*"
              ],
              "Sid": "NovaActDeployRegistryLogin"
            },
            {
              "Action": [
                "iam:CreateRole",
                "iam:GetRole",
                "iam:PutRolePolicy",
                "iam:UpdateAssumeRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:DeleteRole"
              ],
              "Effect": "Allow",
              "Resource": [
                "arn:aws:iam::111122223333:role/nova-act-*"
              ],
              "Sid": "NovaActDeployExecutionRoles"
            },
            {
              "Action": [
                "iam:PassRole"
              ],
              "Condition": {
                "StringEquals": {
                  "iam:PassedToService": "bedrock-agentcore.amazonaws.com"
                }
              },
              "Effect": "Allow",
              "Resource": [
                "arn:aws:iam::111122223333:role/nova-act-*"
              ],
              "Sid": "NovaActDeployPassRole"
            },
            {
              "Action": [
                "bedrock-agentcore:CreateAgentRuntime",
                "bedrock-agentcore:UpdateAgentRuntime",
                "bedrock-agentcore:GetAgentRuntime",
                "bedrock-agentcore:ListAgentRuntimes",
                "bedrock-agentcore:DeleteAgentRuntime",
                "bedrock-agentcore:InvokeAgentRuntime"
              ],
              "Effect": "Allow",
              "Resource": [
                "arn:aws:bedrock-agentcore:eu-west-1:111122223333:runtime/*",
                "arn:aws:bedrock-agentcore:eu-west-1:111122223333:*"
              ],
              "Sid": "NovaActDeployRuntimes"
            }
          ],
          "Version": "2012-10-17"
        }
    "#);
}

#[tokio::test]
async fn models_lists_models_and_aliases() {
    let server = aws(200).await;
    let home = home();
    insta::assert_snapshot!(run_async(home.path(), &["models"], iam_vars(&server)).await);
}

#[test]
fn bad_usage_exits_2() {
    let home = home();
    let out = run(home.path(), &["auth", "frobnicate"], &[]);
    assert!(out.starts_with("exit 2\n"), "{out}");
}

#[test]
fn quickstart_runs_a_whole_workflow_on_the_embedded_emulator() {
    let home = home();
    let out = run(home.path(), &["quickstart"], &[]);
    // Ports, ids and timings change from run to run.
    let stable: Vec<String> = out.lines().map(scrub_varying).collect();
    insta::assert_snapshot!(stable.join("\n"));
}

#[test]
fn quickstart_drives_a_real_browser_on_a_local_page() {
    let home = home();
    let out = run(home.path(), &["quickstart", "--browser"], &[]);
    if out.contains("no Chrome or Chromium found")
        && std::env::var_os("NOVA_BROWSER_REQUIRED").is_none()
    {
        return; // No browser on this machine; CI sets NOVA_BROWSER_REQUIRED and never skips.
    }
    let stable: Vec<String> = out.lines().map(scrub_varying).collect();
    insta::assert_snapshot!(stable.join("\n"));
}

/// Replaces what varies between runs: the port, UUIDs, the generated key id, timings.
fn scrub_varying(line: &str) -> String {
    let words: Vec<String> = line
        .split(' ')
        .map(|word| {
            let w = word.trim_end_matches([',', ')']);
            let tail = &word[w.len()..];
            if let Some(rest) = w.strip_prefix("http://127.0.0.1:") {
                let path = rest.trim_start_matches(|c: char| c.is_ascii_digit());
                format!("http://127.0.0.1:[port]{path}{tail}")
            } else if w.len() == 36 && w.matches('-').count() == 4 {
                format!("[uuid]{tail}")
            } else if w.starts_with("****") {
                format!("****[key]{tail}")
            } else if w.ends_with('s') && w[..w.len() - 1].parse::<f64>().is_ok() {
                "[t]s".to_owned()
            } else if w.ends_with("ms") && w[..w.len() - 2].parse::<u64>().is_ok() {
                format!("[n]ms{tail}")
            } else {
                word.to_owned()
            }
        })
        .collect();
    words.join(" ")
}

/// What varies between runs in JSON output: ids, times, ports, generated keys.
fn json_filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[uuid]",
        ),
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
            "[rfc3339]",
        ),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        (r#""elapsed_s":[0-9.e-]+"#, r#""elapsed_s":[t]"#),
        (
            r#""step_latencies_ms":\[[0-9,]*\]"#,
            r#""step_latencies_ms":[ms]"#,
        ),
        (r"\*\*\*\*[A-Z0-9]{4}", "****[key]"),
    ]
}

/// `nova-act …` against an emulator started here, with its generated IAM key.
async fn against_emulator(
    emulator: &nova_emulator::RunningEmulator,
    args: &'static [&'static str],
) -> String {
    let key = emulator.access_key();
    as_key(emulator, key, args)
        .await
        .replace(&key.access_key_id, "[akid]")
}

#[tokio::test]
async fn every_workflow_command_prints_typed_json() {
    let emulator = nova_emulator::Emulator::builder().start().await.unwrap();
    let mut outputs = Vec::new();
    for args in [
        &[
            "workflow",
            "create",
            "nightly",
            "--description",
            "Every night",
            "--export-bucket",
            "my-traces",
            "--export-prefix",
            "nightly/traces",
            "--json",
        ][..],
        &["workflow", "show", "nightly", "--json"],
        &["workflow", "list", "--json"],
        &["workflow", "runs", "nightly", "--json"],
        &["models", "--json"],
        &["workflow", "delete", "nightly", "--json"],
    ] {
        let out = against_emulator(&emulator, args).await;
        assert!(out.starts_with("exit 0\n"), "{args:?}: {out}");
        outputs.push(format!("$ nova-act {}\n{out}", args.join(" ")));
    }
    insta::with_settings!({ filters => json_filters() }, {
        insta::assert_snapshot!(outputs.join("\n"));
    });
    emulator.shutdown().await;
}

#[tokio::test]
async fn workflow_runs_json_keeps_types_and_rfc3339_times() {
    let emulator = nova_emulator::Emulator::builder().start().await.unwrap();
    let out = against_emulator(&emulator, &["quickstart", "--live"]).await;
    assert!(out.starts_with("exit 0\n"), "{out}");
    let out = against_emulator(&emulator, &["workflow", "runs", "quickstart", "--json"]).await;
    let stdout = stdout_of(&out);
    let value: serde_json::Value = serde_json::from_str(stdout).unwrap();
    let run = &value["workflow_runs"][0];
    assert_eq!(run["status"], "SUCCEEDED", "{value:#}");
    for field in ["started_at", "ended_at"] {
        let text = run[field].as_str().unwrap();
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|err| panic!("{field} = {text}: {err}"));
    }
    emulator.shutdown().await;
}

#[test]
fn every_other_command_prints_json() {
    let home = home();
    let api_key = [("NOVA_ACT_API_KEY", KEY)];
    let mut outputs = Vec::new();
    for (args, vars) in [
        (&["auth", "status", "--json"][..], &api_key[..]),
        (&["permissions", "--json"], &[]),
        (&["completions", "fish", "--json"], &[]),
    ] {
        let out = run(home.path(), args, vars);
        assert!(out.starts_with("exit 0\n"), "{args:?}: {out}");
        let stdout = stdout_of(&out);
        let value: serde_json::Value = serde_json::from_str(stdout)
            .unwrap_or_else(|err| panic!("{args:?} is not JSON ({err}): {stdout}"));
        // The shape: each key with the type of its value.
        outputs.push(format!(
            "$ nova-act {}\n{}",
            args.join(" "),
            shape(&value, 0)
        ));
    }
    insta::assert_snapshot!(outputs.join("\n"));
}

/// Keys and value types, nested, one per line.
fn shape(value: &serde_json::Value, depth: usize) -> String {
    use serde_json::Value;
    let pad = "  ".repeat(depth);
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(key, value)| match value {
                Value::Object(_) | Value::Array(_) => {
                    format!("{pad}{key}:\n{}", shape(value, depth + 1))
                }
                other => format!("{pad}{key}: {}", kind(other)),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Array(items) => match items.first() {
            Some(first) => format!(
                "{pad}[{} items, first:]\n{}",
                items.len(),
                shape(first, depth + 1)
            ),
            None => format!("{pad}[]"),
        },
        other => format!("{pad}{}", kind(other)),
    }
}

fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

#[test]
fn quickstart_json_is_one_event_per_line() {
    let home = home();
    let out = run(home.path(), &["quickstart", "--json"], &[]);
    assert!(out.starts_with("exit 0\n"), "{out}");
    let stdout = stdout_of(&out);
    for line in stdout.lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(event["event"].is_string(), "{line}");
    }
    insta::with_settings!({ filters => json_filters() }, {
        insta::assert_snapshot!(out);
    });
}

#[test]
fn completions_for_each_shell_and_a_usage_error_for_others() {
    let home = home();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef nova-act"),
        ("fish", "complete -c nova-act"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = run(home.path(), &["completions", shell], &[]);
        assert!(out.starts_with("exit 0\n"), "{shell}: {out}");
        assert!(out.contains(marker), "{shell}: no `{marker}`");
        assert!(out.contains("workflow"), "{shell}: no subcommands");
    }
    insta::assert_snapshot!(run(home.path(), &["completions", "tcsh"], &[]));
}

#[test]
fn colour_follows_no_color_and_clicolor_force() {
    let home = home();
    let doctor = |vars: &[(&str, &str)]| {
        let mut all = vec![("NOVA_ACT_API_KEY", KEY)];
        all.extend_from_slice(vars);
        run(home.path(), &["auth", "doctor"], &all)
    };
    // Not a terminal: no colour, unless forced; NO_COLOR wins over everything.
    assert!(!doctor(&[]).contains('\x1b'));
    assert!(doctor(&[("CLICOLOR_FORCE", "1")]).contains("\x1b[32m"));
    assert!(!doctor(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains('\x1b'));
}

#[test]
fn bad_shared_settings_are_usage_errors_naming_the_value() {
    let home = home();
    let api_key = ("NOVA_ACT_API_KEY", KEY);
    let outputs = [
        run(
            home.path(),
            &["--retry-mode", "legacy", "auth", "status"],
            &[api_key],
        ),
        run(
            home.path(),
            &["auth", "status"],
            &[api_key, ("AWS_MAX_ATTEMPTS", "three")],
        ),
        run(
            home.path(),
            &["auth", "status"],
            &[api_key, ("AWS_RETRY_MODE", "sometimes")],
        ),
    ];
    for out in &outputs {
        assert!(out.starts_with("exit 2\n"), "{out}");
    }
    insta::assert_snapshot!(outputs.join("\n"));
}

#[test]
fn help_lists_the_environment_variables_flags_read() {
    let home = home();
    let out = run(home.path(), &["--help"], &[]);
    for var in [
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_ENDPOINT_URL_NOVA_ACT",
        "AWS_MAX_ATTEMPTS",
        "AWS_RETRY_MODE",
    ] {
        assert!(
            out.contains(&format!("[env: {var}")),
            "--help lacks {var}:\n{out}"
        );
    }
}

#[tokio::test]
async fn an_api_key_ignores_a_named_definition_with_one_notice() {
    let emulator = nova_emulator::Emulator::builder().start().await.unwrap();
    let home = home();
    let vars = vec![
        ("NOVA_ACT_API_KEY", emulator.api_key().to_owned()),
        ("NOVA_ACT_API_ENDPOINT", emulator.url().to_owned()),
        ("NOVA_ACT_WORKFLOW_DEFINITION", "nightly".to_owned()),
    ];
    let out = run_async(home.path(), &["quickstart", "--live"], vars).await;
    assert!(out.starts_with("exit 0\n"), "{out}");
    let stderr = out.split("--- stderr\n").nth(1).unwrap();
    insta::assert_snapshot!(stderr, @"note: workflow definition `nightly` is ignored: the API-key service has only `default` (with IAM credentials `nightly` is used)");
    assert!(out.contains("workflow run SUCCEEDED"), "{out}");
    emulator.shutdown().await;
}

/// Runs `nova-act args` as the holder of `key` against `emulator`.
async fn as_key(
    emulator: &nova_emulator::RunningEmulator,
    key: &nova_emulator::AccessKey,
    args: &'static [&'static str],
) -> String {
    let home = home();
    let vars = vec![
        ("AWS_ACCESS_KEY_ID", key.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", key.secret_access_key.clone()),
        ("AWS_ENDPOINT_URL_NOVA_ACT", emulator.url().to_owned()),
        ("AWS_ENDPOINT_URL_STS", emulator.url().to_owned()),
    ];
    run_async(home.path(), args, vars).await
}

/// Each command works with only the policy of the tier docs/cli.md names for it, and the tier
/// below is refused with an error naming the action and the tier to print.
#[tokio::test]
async fn every_command_works_with_its_tier_and_not_the_one_below() {
    use nova_act::iam::{PolicyScope, Tier, policy};
    use nova_emulator::{Policy, generate_access_key};

    let admin = generate_access_key();
    let nothing = generate_access_key();
    let tiered: Vec<(Tier, nova_emulator::AccessKey)> = Tier::ALL
        .into_iter()
        .map(|tier| (tier, generate_access_key()))
        .collect();
    let mut builder = nova_emulator::Emulator::builder()
        .access_key(admin.clone())
        .access_key(nothing.clone())
        .policy(
            &nothing.access_key_id,
            Policy::from_json(r#"{"Version": "2012-10-17", "Statement": []}"#).unwrap(),
        );
    for (tier, key) in &tiered {
        let document = policy(&PolicyScope {
            tier: *tier,
            ..Default::default()
        });
        builder = builder.access_key(key.clone()).policy(
            &key.access_key_id,
            Policy::from_json(&document.to_string()).unwrap(),
        );
    }
    let emulator = builder.start().await.unwrap();
    for args in [
        &["workflow", "create", "quickstart"],
        &["workflow", "create", "kept"],
        &["workflow", "create", "doomed"],
    ] {
        let out = as_key(&emulator, &admin, args).await;
        assert!(out.starts_with("exit 0\n"), "{out}");
    }
    let key_of = |tier: Option<Tier>| match tier {
        None => &nothing,
        Some(tier) => &tiered.iter().find(|(t, _)| *t == tier).unwrap().1,
    };
    let cases: [(&'static [&'static str], Tier, &str); 8] = [
        (&["models"], Tier::Read, "nova-act:ListModels"),
        (&["auth", "doctor"], Tier::Read, "nova-act:ListModels"),
        (
            &["workflow", "list"],
            Tier::Read,
            "nova-act:ListWorkflowDefinitions",
        ),
        (
            &["workflow", "show", "kept"],
            Tier::Read,
            "nova-act:GetWorkflowDefinition",
        ),
        (
            &["workflow", "runs", "kept"],
            Tier::Read,
            "nova-act:ListWorkflowRuns",
        ),
        (
            &["quickstart", "--live"],
            Tier::Run,
            "nova-act:CreateWorkflowRun",
        ),
        (
            &["workflow", "create", "fresh"],
            Tier::Manage,
            "nova-act:CreateWorkflowDefinition",
        ),
        (
            &["workflow", "delete", "doomed"],
            Tier::Manage,
            "nova-act:DeleteWorkflowDefinition",
        ),
    ];
    for (args, tier, action) in cases {
        let below = as_key(&emulator, key_of(tier.below()), args).await;
        assert!(
            below.starts_with("exit 1\n"),
            "{args:?} below {tier}: {below}"
        );
        assert!(below.contains(action), "{args:?} below {tier}: {below}");
        if args[0] != "auth" {
            let hint = format!("nova-act permissions --for {tier}");
            assert!(below.contains(&hint), "{args:?}: no `{hint}` in {below}");
        }
        let with = as_key(&emulator, key_of(Some(tier)), args).await;
        assert!(with.starts_with("exit 0\n"), "{args:?} with {tier}: {with}");
    }
    emulator.shutdown().await;
}

#[test]
fn both_kinds_configured_are_shown_and_the_choice_is_explained() {
    let home = home();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        format!("[default]\naws_access_key_id = AKIADEFAULT000000001\naws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    let both = [
        ("NOVA_ACT_API_KEY", KEY),
        ("AWS_ACCESS_KEY_ID", AKID),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
    ];
    insta::assert_snapshot!(run(home.path(), &["auth", "status"], &both));
    insta::assert_snapshot!(run(
        home.path(),
        &["--auth", "iam", "auth", "status", "--json"],
        &both
    ));
    let mut forced = both.to_vec();
    forced.push(("NOVA_ACT_AUTH", "IAM"));
    let by_variable = run(home.path(), &["auth", "status"], &forced);
    assert!(
        by_variable.contains("chosen by NOVA_ACT_AUTH=iam"),
        "{by_variable}"
    );
    assert!(!by_variable.contains("note:"), "{by_variable}");
    let unknown = run(home.path(), &["--auth", "both", "auth", "status"], &both);
    assert!(unknown.starts_with("exit 2\n"), "{unknown}");
    assert!(
        unknown.contains("[possible values: api-key, iam]"),
        "{unknown}"
    );
}

/// An agent that looks once, then waits and waits: an act long enough to interrupt.
struct SlowAgent;

impl Planner for SlowAgent {
    fn plan(&self, _act: &ActView, step: usize, _results: &[CallResult]) -> Vec<Call> {
        let (name, input) = match step {
            0 => ("takeObservation", json!([])),
            _ => ("wait", json!([30])),
        };
        vec![nova_emulator::call(step, 0, name, input)]
    }
}

/// Processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    nova_test_support::processes_mentioning(needle)
        .into_iter()
        .map(|(_, command)| command)
        .collect()
}

/// SIGINT in the middle of `quickstart --browser`, and of `run`: the act and the run end
/// FAILED, exit 130, and no browser process and no file in TMPDIR (our profile, Chromium's
/// scratch folder) remain.
#[cfg(unix)]
#[tokio::test]
async fn sigint_during_a_browser_act_leaves_nothing_behind() {
    let emulator = nova_emulator::Emulator::builder()
        .planner(SlowAgent)
        .start()
        .await
        .unwrap();
    interrupt(&emulator, &["quickstart", "--browser", "--live"]).await;
    let run = [
        "run",
        "Wait a while",
        "--starting-page",
        "about:blank",
        "--definition",
        "quickstart",
    ];
    interrupt(&emulator, &run).await;
    // On a remote browser: the AgentCore Browser session is stopped too (its Chromium runs in
    // the emulator, not under the command's TMPDIR).
    let remote = [&run[..], &["--remote"]].concat();
    interrupt(&emulator, &remote).await;
    assert_eq!(emulator.browser_sessions_started(), 1);
    assert!(
        emulator.browser_sessions().is_empty(),
        "the session was stopped"
    );
    emulator.shutdown().await;
}

/// `nova-act` with the emulator's key, `HOME` and `TMPDIR`, and nothing else of the environment
/// but `PATH` and `CHROME_PATH`.
#[cfg(unix)]
fn under_iam(
    emulator: &nova_emulator::RunningEmulator,
    home: &std::path::Path,
    tmp: &std::path::Path,
) -> Command {
    let key = emulator.access_key();
    let mut command = Command::new(env!("CARGO_BIN_EXE_nova-act"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("TMPDIR", tmp)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", &key.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &key.secret_access_key)
        .env("AWS_ENDPOINT_URL_NOVA_ACT", emulator.url())
        .env("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", emulator.url())
        .envs(std::env::var_os("CHROME_PATH").map(|path| ("CHROME_PATH", path)));
    command
}

/// Runs `nova-act args` (an act under definition `quickstart`), sends SIGINT once the browser
/// has answered its first action, and checks that the act and the run ended FAILED and that
/// nothing is left behind.
#[cfg(unix)]
async fn interrupt(emulator: &nova_emulator::RunningEmulator, args: &[&str]) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let home = home();
    let tmp = tempfile::tempdir().unwrap();
    let key = emulator.access_key();
    let mut child = under_iam(emulator, home.path(), tmp.path())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    // Read until the browser has answered its first action; the next one waits 30 s.
    let seen = tokio::task::spawn_blocking(move || {
        let mut seen = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            seen.push_str(&line);
            seen.push('\n');
            if line.contains("takeObservation") {
                break;
            }
        }
        seen
    })
    .await
    .unwrap();
    if !seen.contains("takeObservation") {
        let mut err = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut err).unwrap();
        let _ = child.kill();
        let _ = child.wait();
        if browser_missing(&err) {
            return;
        }
        panic!("the act never started:\n{seen}\n{err}");
    }
    let remote = args.contains(&"--remote");
    if remote {
        assert_eq!(
            emulator.browser_sessions().len(),
            1,
            "a remote session runs"
        );
    } else {
        assert!(
            !processes_mentioning(&tmp.path().display().to_string()).is_empty(),
            "the browser runs under TMPDIR"
        );
    }
    nova_test_support::signal(child.id(), "INT");
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert_eq!(
        err.trim(),
        "interrupted by SIGINT: the act and the workflow run were marked FAILED"
    );

    nova_test_support::assert_nothing_left(tmp.path());

    // The emulator saw the run and the act end FAILED.
    let runs = as_key(emulator, key, &["workflow", "runs", "quickstart", "--json"]).await;
    let runs: serde_json::Value = serde_json::from_str(stdout_of(&runs)).unwrap();
    let statuses: Vec<&serde_json::Value> = runs["workflow_runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| &run["status"])
        .collect();
    assert!(
        !statuses.is_empty() && statuses.iter().all(|s| **s == json!("FAILED")),
        "{statuses:?}"
    );
    let client = emulator.client(nova_act::AuthMode::Iam).build().unwrap();
    let acts = client
        .list_acts(nova_act::model::ListActsInput {
            workflow_definition_name: "quickstart".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let statuses: Vec<String> = acts
        .act_summaries
        .iter()
        .map(|a| a.status.to_string())
        .collect();
    assert!(
        !statuses.is_empty() && statuses.iter().all(|s| s == "FAILED"),
        "{statuses:?}"
    );
}

/// A browser quickstart that ends normally leaves nothing in TMPDIR either (Chromium's own
/// scratch folder included).
#[test]
fn a_browser_quickstart_leaves_nothing_in_tmpdir() {
    let home = home();
    let tmp = tempfile::tempdir().unwrap();
    let tmp_path = tmp.path().display().to_string();
    let mut vars = vec![("TMPDIR", tmp_path.as_str())];
    let chrome = std::env::var("CHROME_PATH").unwrap_or_default();
    if !chrome.is_empty() {
        vars.push(("CHROME_PATH", chrome.as_str()));
    }
    let path = std::env::var("PATH").unwrap_or_default();
    vars.push(("PATH", path.as_str()));
    let out = run(home.path(), &["quickstart", "--browser"], &vars);
    if browser_missing(&out) {
        return;
    }
    assert!(out.starts_with("exit 0\n"), "{out}");
    nova_test_support::assert_nothing_left(tmp.path());
}

/// Credentials never travel in cleartext beyond this machine: with `HTTP_PROXY` pointing at a
/// listener here and a plain-HTTP endpoint on another host, nothing reaches the proxy and the
/// error says why, under IAM (with a session token) and with an API key. With the opt-in the
/// request goes through the proxy, with a warning.
#[tokio::test]
async fn credentials_never_go_in_cleartext_beyond_loopback() {
    let proxy = MockServer::start().await;
    mount(&proxy, "POST", "/models", ResponseTemplate::new(200).set_body_json(json!({
            "modelSummaries": [{"modelId": "nova-act-v1", "modelLifecycle": {"status": "ACTIVE"}, "minimumCompatibilityVersion": 1}],
            "modelAliases": [],
            "compatibilityInformation": {"clientCompatibilityVersion": 1, "supportedModelIds": ["nova-act-v1"]}
        }))).await;
    let remote = "http://10.255.255.1:8080";
    let home = home();
    let iam = |extra: Option<(&'static str, String)>| {
        let mut vars = vec![
            ("AWS_ACCESS_KEY_ID", AKID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.to_owned()),
            (
                "AWS_SESSION_TOKEN",
                "IQoJsessiontokenforthecleartexttest".to_owned(),
            ),
            ("AWS_ENDPOINT_URL_NOVA_ACT", remote.to_owned()),
            ("HTTP_PROXY", proxy.uri()),
        ];
        vars.extend(extra);
        vars
    };
    let refused = run_async(home.path(), &["models"], iam(None)).await;
    assert!(refused.starts_with("exit 1\n"), "{refused}");
    insta::assert_snapshot!(refused.lines().last().unwrap(), @"error: refusing to send credentials in cleartext to `http://10.255.255.1:8080`: plain http:// is only for this machine (127.0.0.1, ::1, localhost); use `https://10.255.255.1:8080`, or, for a test rig you trust on another host, allow it with ClientBuilder::allow_http(true) or NOVA_ACT_ALLOW_HTTP=1; fix the endpoint setting (code, AWS_ENDPOINT_URL_NOVA_ACT or AWS_ENDPOINT_URL)");
    let api_key = vec![
        ("NOVA_ACT_API_KEY", KEY.to_owned()),
        ("NOVA_ACT_API_ENDPOINT", remote.to_owned()),
        ("HTTP_PROXY", proxy.uri()),
    ];
    let refused = run_async(home.path(), &["quickstart", "--live"], api_key).await;
    assert!(refused.starts_with("exit 1\n"), "{refused}");
    assert!(
        refused.contains("refusing to send credentials in cleartext"),
        "{refused}"
    );
    assert!(
        proxy.received_requests().await.unwrap().is_empty(),
        "a request reached the proxy"
    );

    let allowed = run_async(
        home.path(),
        &["models"],
        iam(Some(("NOVA_ACT_ALLOW_HTTP", "1".to_owned()))),
    )
    .await;
    assert!(allowed.starts_with("exit 0\n"), "{allowed}");
    assert!(
        allowed.contains("credentials will travel in cleartext"),
        "{allowed}"
    );
    let received = proxy.received_requests().await.unwrap();
    assert_eq!(received.len(), 1, "the request went through the proxy");
    assert_eq!(received[0].url.host_str(), Some("10.255.255.1"));
}

/// SIGINT in the middle of `run --tasks`: the acts in flight end FAILED, the tasks not yet
/// started are reported NOT_STARTED (one line each, in order), the run ends FAILED, exit 130,
/// and no browser process and no file in TMPDIR remain.
#[cfg(unix)]
#[tokio::test]
async fn sigint_during_a_batch_leaves_nothing_behind_and_reports_every_task() {
    use std::process::Stdio;

    let emulator = nova_emulator::Emulator::builder()
        .planner(SlowAgent)
        .start()
        .await
        .unwrap();
    let key = emulator.access_key().clone();
    let created = as_key(&emulator, &key, &["workflow", "create", "quickstart"]).await;
    assert!(created.starts_with("exit 0\n"), "{created}");
    let home = home();
    let tmp = tempfile::tempdir().unwrap();
    let tasks = home.path().join("tasks.jsonl");
    let line = json!({"task": "Wait a while", "starting_page": "about:blank"}).to_string();
    std::fs::write(&tasks, [line.as_str(); 4].join("\n")).unwrap();
    let child = under_iam(&emulator, home.path(), tmp.path())
        .args(["run", "--tasks"])
        .arg(&tasks)
        .args(["--concurrency", "2", "--definition", "quickstart"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Both acts in flight have looked at their page; their next call waits 30 s.
    let looked = |emulator: &nova_emulator::RunningEmulator| {
        emulator.acts().iter().filter(|a| a.steps >= 1).count()
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while looked(&emulator) < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    if looked(&emulator) < 2 {
        let output = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&output.stderr).into_owned();
        if browser_missing(&err) {
            return;
        }
        panic!("the acts never started:\n{err}");
    }
    nova_test_support::signal(child.id(), "INT");
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{err}");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let summary: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap().to_owned(),
                l["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("1", "FAILED"),
            ("2", "FAILED"),
            ("3", "NOT_STARTED"),
            ("4", "NOT_STARTED")
        ]
        .map(|(id, status)| (id.to_owned(), status.to_owned())),
        "{err}"
    );
    assert_eq!(lines[0]["error"]["code"], "ActInterrupted");
    nova_test_support::assert_nothing_left(tmp.path());
    let statuses: Vec<String> = emulator
        .acts()
        .iter()
        .map(|a| a.status.to_string())
        .collect();
    assert_eq!(statuses, ["FAILED", "FAILED"]);
    let runs = as_key(
        &emulator,
        &key,
        &["workflow", "runs", "quickstart", "--json"],
    )
    .await;
    let runs: serde_json::Value = serde_json::from_str(stdout_of(&runs)).unwrap();
    assert_eq!(runs["workflow_runs"][0]["status"], "FAILED");
}
