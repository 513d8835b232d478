//! The README's first example (examples/readme.rs, kept equal by a hygiene test), run as a user
//! runs it: a process, credentials from the environment only, against the emulator, once with an
//! API key and once with IAM.

use std::path::PathBuf;
use std::process::Command;

use nova_act::model::CreateWorkflowDefinitionInput;
use nova_act::{AuthMode, AwsCredentials, Client, Credentials, Env, Source};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// `target/<profile>/examples/readme`, which `cargo test` builds beside this test.
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir
        .join("examples")
        .join(format!("readme{}", std::env::consts::EXE_SUFFIX))
}

#[tokio::test]
async fn the_readme_example_runs_with_an_api_key_and_with_iam() {
    let program = example();
    assert!(
        program.is_file(),
        "{} is missing: `cargo test -p nova-act` builds the examples before running this test",
        program.display()
    );
    let page = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("<h1>The README page</h1>", "text/html"),
        )
        .mount(&page)
        .await;
    let emulator = nova_emulator::Emulator::builder().start().await.unwrap();
    let key = emulator.access_key();
    // What the README tells IAM users to do first: `nova-act workflow create readme`.
    Client::builder()
        .credentials_provider(
            Credentials::from(AwsCredentials::new(
                &key.access_key_id,
                key.secret_access_key.as_str(),
                None,
                Source::Code,
            )),
            AuthMode::Iam,
        )
        .endpoint_url(emulator.url())
        .env(Env::empty())
        .build()
        .unwrap()
        .create_workflow_definition(CreateWorkflowDefinitionInput {
            name: "readme".into(),
            ..Default::default()
        })
        .await
        .unwrap();

    let url = format!("{}/", page.uri());
    let api_key = vec![
        ("NOVA_ACT_API_KEY", emulator.api_key().to_owned()),
        ("NOVA_ACT_API_ENDPOINT", emulator.url().to_owned()),
    ];
    let iam = vec![
        ("AWS_ACCESS_KEY_ID", key.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", key.secret_access_key.clone()),
        ("AWS_ENDPOINT_URL_NOVA_ACT", emulator.url().to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("NOVA_ACT_WORKFLOW_DEFINITION", "readme".to_owned()),
    ];
    for (mode, vars) in [("api-key", api_key), ("iam", iam)] {
        let home = tempfile::tempdir().unwrap();
        let mut command = Command::new(&program);
        command
            .arg(&url)
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(std::env::var_os("CHROME_PATH").map(|path| ("CHROME_PATH", path)))
            .envs(vars);
        let out = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        if stderr.contains("no Chrome or Chromium found")
            && std::env::var_os("NOVA_BROWSER_REQUIRED").is_none()
        {
            return; // No browser here; CI sets NOVA_BROWSER_REQUIRED and never skips.
        }
        assert!(out.status.success(), "{mode}: {stdout}\n{stderr}");
        assert!(
            stdout.starts_with(&format!("{mode} credentials")),
            "{mode}: {stdout}"
        );
        // The emulator's agent observes the page and returns its URL.
        assert!(
            stdout.contains(&format!("Some(String(\"{url}\"))")),
            "{mode}: {stdout}"
        );
    }
    emulator.shutdown().await;
}
