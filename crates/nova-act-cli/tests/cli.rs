//! The `nova-act` command as a user runs it: a process with a temporary HOME and only the
//! environment each case sets; outputs are snapshots.

use std::path::Path;
use std::process::Command;

use serde_json::json;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "3f2a9c1e-7b4d-4e8a-9f6c-2d1b0a9e8c7f";
const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// Runs `nova-act args` with exactly `vars` (and a temporary HOME); returns
/// `exit N\n--- stdout\n…\n--- stderr\n…` with the HOME path scrubbed.
fn run(home: &Path, args: &[&str], vars: &[(&str, &str)]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_nova-act"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        // Never reach a real metadata service from a test.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    let text = format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = text.replace(&home.display().to_string(), "[HOME]");
    for secret in [KEY, SECRET] {
        assert!(
            !text.contains(secret),
            "a secret reached the output:\n{text}"
        );
    }
    text
}

fn home() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

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
    let home = home();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        format!(
            "[dev]\naws_access_key_id = AKIADEVDEVDEV00001\naws_secret_access_key = {SECRET}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        "[profile dev]\nregion = us-east-1\n",
    )
    .unwrap();
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
    Mock::given(method("POST"))
        .and(path("/models"))
        .respond_with(models)
        .mount(&server)
        .await;
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

async fn run_async(
    home: &Path,
    args: &'static [&'static str],
    vars: Vec<(&'static str, String)>,
) -> String {
    let home = home.to_owned();
    tokio::task::spawn_blocking(move || {
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run(&home, args, &vars)
    })
    .await
    .unwrap()
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

#[test]
fn doctor_with_an_api_key_skips_what_does_not_apply() {
    let home = home();
    insta::assert_snapshot!(run(
        home.path(),
        &["auth", "doctor"],
        &[("NOVA_ACT_API_KEY", KEY)]
    ));
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
    insta::assert_snapshot!(run(home.path(), &["permissions", "--read-only"], &[]));
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
