//! The `nova-emulator` program as a user runs it: its flags, its first line, keys from the
//! environment, and a clean stop on SIGTERM.

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};

use nova_act_core::model::{CreateWorkflowRunInput, ListModelsInput};
use nova_act_core::{Client, RetryConfig};
use nova_auth::{ApiKey, AuthMode, AwsCredentials, Credentials, Env, Source};

const BIN: &str = env!("CARGO_BIN_EXE_nova-emulator");
const ID: &str = "AKIAEMULATORBINARY01";
const SECRET: &str = "emulator-binary-secret-not-in-ps";
const API_KEY: &str = "0f2b6d0e-6a1c-4c7e-9a57-3f6a1b2c9d10";
const INLINE_KEY: &str = "7c4e2a91-3b5d-4f60-8e12-9a0b1c2d3e4f";

/// The program with nothing from this machine's environment but `PATH`.
/// Starts `command` with its output piped: the child, its stdout's lines, and the first one
/// (`listening on URL`).
fn started(command: &mut Command) -> (Child, Lines<BufReader<ChildStdout>>, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    (child, lines, first)
}

fn program() -> Command {
    let mut command = Command::new(BIN);
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command
}

fn client(url: &str, credentials: Credentials, mode: AuthMode) -> Client {
    Client::builder()
        .credentials_provider(credentials, mode)
        .endpoint_url(url)
        .env(Env::empty())
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
}

#[tokio::test]
async fn keys_from_the_environment_first_line_and_a_clean_sigterm() {
    let mut command = program();
    command
        .args(["--listen", "127.0.0.1:0"])
        .env(
            "NOVA_EMULATOR_ACCESS_KEYS",
            format!("AKIAOTHERKEY00000000:other,{ID}:{SECRET}"),
        )
        .env("NOVA_EMULATOR_API_KEYS", API_KEY);
    let (mut child, mut lines, first) = started(&mut command);
    let url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {first}"))
        .to_owned();
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert!(url.starts_with("http://127.0.0.1:") && port != 0, "{first}");
    let rest: Vec<String> = lines.by_ref().take(15).map(Result::unwrap).collect();
    assert!(
        rest.iter()
            .any(|l| l.contains(&format!("export AWS_ENDPOINT_URL_NOVA_ACT={url}"))),
        "{rest:#?}"
    );
    assert!(
        rest.iter()
            .any(|l| l.contains(&format!("export NOVA_ACT_API_KEY={API_KEY}"))),
        "{rest:#?}"
    );

    // A key given only through the environment signs a request the emulator accepts.
    let aws = AwsCredentials::new(ID, SECRET, None, Source::Code);
    let models = client(&url, aws.into(), AuthMode::Iam)
        .send(ListModelsInput::default())
        .await
        .unwrap();
    assert!(
        models
            .model_aliases
            .iter()
            .any(|a| a.alias_name == "nova-act-preview"),
        "{models:?}"
    );
    // The API key too, with the model the Python SDK sends in API-key mode.
    let api = client(
        &url,
        ApiKey::new(API_KEY, Source::Code).into(),
        AuthMode::ApiKey,
    );
    api.send(CreateWorkflowRunInput::new("default", "nova-act-preview"))
        .await
        .unwrap();

    // Keys given in the environment never show on the command line.
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&cmdline).contains(SECRET));

    nova_test_support::signal(child.id(), "TERM");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "a clean stop on SIGTERM");
}

/// A key in each store, one from a file so it stays out of `ps`, read by the SDK's stores.
#[tokio::test]
async fn key_stores_serve_values_given_inline_or_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    std::fs::write(&file, format!("{API_KEY}\n")).unwrap();
    let mut command = program();
    command
        .args(["--listen", "127.0.0.1:0"])
        .arg("--secrets-manager-secret")
        .arg(format!("prod/key=@{}", file.display()))
        .args(["--ssm-parameter", &format!("/prod/key={INLINE_KEY}")])
        .arg("--record")
        .arg(dir.path().join("requests.jsonl"))
        .env("NOVA_EMULATOR_ACCESS_KEYS", format!("{ID}:{SECRET}"));
    let (mut child, _lines, first) = started(&mut command);
    let url = first.strip_prefix("listening on ").unwrap().to_owned();
    let env = Env::from_vars([
        ("HOME", "/nonexistent"),
        ("AWS_ACCESS_KEY_ID", ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", &url),
        ("AWS_ENDPOINT_URL_SSM", &url),
    ]);
    for (store, expected) in [
        (nova_auth::ApiKeyStore::secrets_manager("prod/key"), API_KEY),
        (nova_auth::ApiKeyStore::parameter("/prod/key"), INLINE_KEY),
    ] {
        use nova_auth::CredentialProvider;
        let key = store.env(env.clone()).credentials().await.unwrap();
        assert_eq!(key.as_api_key().unwrap().key().expose(), expected);
    }
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&cmdline).contains(API_KEY));
    // --record: one JSON line per request, in a file only its owner can read.
    let record = dir.path().join("requests.jsonl");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&record)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["method"], "POST");
    assert_eq!(lines[0]["status"], 200);
    assert_eq!(lines[0]["body"], r#"{"SecretId":"prod/key"}"#);
    assert!(lines[1]["at"].as_str().unwrap().ends_with('Z'));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&record).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn help_and_version_exit_zero() {
    let help = program().arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--listen",
        "--access-key",
        "--api-key",
        "--region",
        "--script",
        "NOVA_EMULATOR_ACCESS_KEYS",
        "NOVA_EMULATOR_API_KEYS",
    ] {
        assert!(text.contains(flag), "--help lacks {flag}:\n{text}");
    }
    let version = program().arg("--version").output().unwrap();
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("nova-emulator {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn malformed_values_are_usage_errors_that_name_the_form() {
    let cases = [
        (vec!["--access-key", "AKIANOCOLON"], "expected ID:SECRET"),
        (vec!["--access-key", "AKIAEMPTYSECRET:"], "empty secret"),
        (vec!["--access-key", ":hunter2-secret"], "empty ID"),
        (vec!["--listen", "not an address"], "expected HOST:PORT"),
        (
            vec!["--secrets-manager-secret", "no-equals-hunter2"],
            "value is not NAME=VALUE or NAME=@FILE",
        ),
        (
            vec!["--ssm-parameter", "key=@/nonexistent/key-file"],
            "cannot read /nonexistent",
        ),
    ];
    for (args, expected) in cases {
        let out = program().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("hunter2"),
            "a secret in the error: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // The same through the environment.
    let out = program()
        .env("NOVA_EMULATOR_ACCESS_KEYS", "AKIAONE:s1,AKIATWO")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected ID:SECRET"));
}

#[test]
fn a_non_loopback_address_is_served_with_a_warning() {
    let (mut child, _stdout, first) = started(program().args(["--listen", "0.0.0.0:0"]));
    assert!(first.starts_with("listening on http://0.0.0.0:"), "{first}");
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let warning = stderr
        .by_ref()
        .map(Result::unwrap)
        .find(|line| line.starts_with("warning:"))
        .unwrap();
    assert!(warning.contains("development service"), "{warning}");
    child.kill().unwrap();
    child.wait().unwrap();
}
