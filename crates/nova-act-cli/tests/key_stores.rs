//! The `nova-act` command with the API key in a store: `auth status` names the store and why it
//! was chosen, a whole workflow runs, a refused read names the permission and the policy to
//! print, and `permissions --for api-key-store` prints that policy. The key is never printed.

mod support;

use nova_emulator::{
    Emulator, EmulatorBuilder, Policy, RunningEmulator, generate_access_key, generate_api_key,
};

/// `nova-act args` with the emulator's endpoints, `aws` as the AWS keys, and `vars`.
/// An emulator that takes the API key `key` and keeps it where `keep` puts it.
async fn keeping(
    key: &str,
    keep: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder,
) -> RunningEmulator {
    keep(Emulator::builder().api_key(key))
        .start()
        .await
        .unwrap()
}

async fn run(
    emulator: &RunningEmulator,
    aws: &nova_emulator::AccessKey,
    key: &str,
    args: &'static [&'static str],
    vars: &[(&'static str, &str)],
) -> String {
    let url = emulator.url().to_owned();
    let mut all: Vec<(&'static str, String)> = vec![
        ("AWS_ENDPOINT_URL_NOVA_ACT", url.clone()),
        ("NOVA_ACT_API_ENDPOINT", url.clone()),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", url.clone()),
        ("AWS_ENDPOINT_URL_SSM", url),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", aws.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", aws.secret_access_key.clone()),
        ("PATH", std::env::var("PATH").unwrap_or_default()),
    ];
    all.extend(vars.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let secrets = [key.to_owned(), aws.secret_access_key.clone()];
    tokio::task::spawn_blocking(move || {
        let home = support::home();
        let vars: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        support::run_keeping(home.path(), args, &vars, &secrets)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_key_from_a_secret_is_named_and_runs_a_workflow() {
    let key = generate_api_key();
    let emulator = keeping(&key, |e| e.secret("prod/nova-act", &key)).await;
    let aws = emulator.access_key().clone();
    let store = [("NOVA_ACT_API_KEY_SECRET_ID", "prod/nova-act")];
    let status = run(&emulator, &aws, &key, &["auth", "status", "--json"], &store).await;
    let json: serde_json::Value = serde_json::from_str(support::stdout_of(&status)).unwrap();
    assert_eq!(json["mode"], "api-key", "{status}");
    assert_eq!(json["selected_by"], "NOVA_ACT_API_KEY_SECRET_ID being set");
    assert_eq!(json["source"], "Secrets Manager secret prod/nova-act");
    let listed = json["available"].to_string();
    assert!(
        listed.contains("NOVA_ACT_API_KEY_SECRET_ID (prod/nova-act)"),
        "{listed}"
    );
    assert!(
        listed.contains("environment (AWS_ACCESS_KEY_ID)"),
        "{listed}"
    );
    // No notice that the AWS credentials are unused: they read the key.
    assert!(!status.contains("are not;"), "{status}");

    let quickstart = run(&emulator, &aws, &key, &["quickstart", "--live"], &store).await;
    assert!(quickstart.starts_with("exit 0"), "{quickstart}");

    // NOVA_ACT_API_KEY beside it wins, with a notice naming the store ignored.
    let both = run(
        &emulator,
        &aws,
        &key,
        &["auth", "status"],
        &[store[0], ("NOVA_ACT_API_KEY", &key)],
    )
    .await;
    assert!(
        both.contains("note: NOVA_ACT_API_KEY is set, so the key in it is used and NOVA_ACT_API_KEY_SECRET_ID (prod/nova-act) is ignored"),
        "{both}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_refused_read_names_the_permission_and_the_policy_that_allows_it() {
    let key = generate_api_key();
    let aws = generate_access_key();
    let only_nova_act = Policy::from_json(
        r#"{"Statement":[{"Effect":"Allow","Action":"nova-act:*","Resource":"*"}]}"#,
    )
    .unwrap();
    let emulator = Emulator::builder()
        .access_key(aws.clone())
        .policy(aws.access_key_id.clone(), only_nova_act)
        .api_key(key.clone())
        .parameter("/prod/nova-act/key", &key)
        .start()
        .await
        .unwrap();
    let store = [("NOVA_ACT_API_KEY_PARAMETER", "/prod/nova-act/key")];
    let doctor = run(&emulator, &aws, &key, &["auth", "doctor"], &store).await;
    assert!(doctor.starts_with("exit 1"), "{doctor}");
    assert!(
        doctor.contains(
            "needs `ssm:GetParameter` on arn:aws:ssm:us-east-1:ACCOUNT:parameter/prod/nova-act/key"
        ),
        "{doctor}"
    );
    assert!(
        doctor.contains("hint: `nova-act permissions --for api-key-store`"),
        "{doctor}"
    );

    let policy = run(
        &emulator,
        &aws,
        &key,
        &[
            "permissions",
            "--for",
            "api-key-store",
            "--account",
            "123456789012",
        ],
        &store,
    )
    .await;
    insta::assert_snapshot!(support::stdout_of(&policy), @r#"
    {
      "Statement": [
        {
          "Action": [
            "ssm:GetParameter"
          ],
          "Effect": "Allow",
          "Resource": [
            "arn:aws:ssm:us-east-1:123456789012:parameter/prod/nova-act/key"
          ],
          "Sid": "ApiKeySsmGetParameter"
        },
        {
          "Action": [
            "kms:Decrypt"
          ],
          "Effect": "Allow",
          "Resource": [
            "arn:aws:kms:us-east-1:123456789012:key/*"
          ],
          "Sid": "ApiKeyKmsDecrypt"
        }
      ],
      "Version": "2012-10-17"
    }
    "#);
    emulator.shutdown().await;
}

/// Inside AgentCore Runtime the invocation carries a workload access token: the workflow reads
/// the key from AgentCore Identity with it, and nothing but the provider's name is configured.
#[tokio::test]
async fn an_invocation_s_workload_access_token_reads_the_key_from_agentcore_identity() {
    use nova_act::agentcore::{Invocation, Runtime};
    let key = generate_api_key();
    let emulator = keeping(&key, |e| e.identity_api_key("nova-act-key", &key)).await;
    let aws = emulator.access_key().clone();
    let url = emulator.url().to_owned();
    let base = nova_act::Env::from_vars([
        ("HOME", "/nonexistent"),
        ("PORT", "0"),
        ("AWS_ACCESS_KEY_ID", aws.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", aws.secret_access_key.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", url.as_str()),
        ("NOVA_ACT_API_ENDPOINT", url.as_str()),
        ("NOVA_ACT_API_KEY_AGENTCORE_PROVIDER", "nova-act-key"),
    ]);
    let shutdown = nova_act::runtime::Shutdown::new();
    let runtime = Runtime::new(|invocation: Invocation| async move {
        assert!(invocation.workload_access_token().is_some());
        let nova = nova_act::NovaAct::builder()
            .env(invocation.env().clone())
            .build()
            .await
            .map_err(|err| nova_act::Report(&err).to_string())?;
        let identity = nova.identity().await.map_err(|err| err.to_string())?;
        Ok::<_, String>(serde_json::json!({ "credentials": identity.to_string() }))
    })
    .env(base)
    .shutdown(&shutdown)
    .bind()
    .await
    .unwrap();
    let address = runtime.local_addr();
    let served = tokio::spawn(runtime.run());
    let token = emulator.workload_access_token("price_watch");
    let answer = nova_act::tls::http_client()
        .build()
        .unwrap()
        .post(format!("http://{address}/invocations"))
        .header("WorkloadAccessToken", token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
    let credentials = answer["credentials"].as_str().unwrap_or_default();
    assert!(
        credentials.starts_with(&format!(
            "api-key credentials ****{} from AgentCore Identity provider nova-act-key",
            &key[key.len() - 4..]
        )),
        "{answer}"
    );
    shutdown.trigger("the test is over");
    served.await.unwrap().unwrap();
    emulator.shutdown().await;
}
