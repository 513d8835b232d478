//! Every AWS credential source a production user has, resolved by the `nova-act` command against
//! the emulator's STS and SSO portal and then used for a whole workflow (`quickstart --live`):
//! role assumption from a profile (and a chain of two), web identity (EKS IRSA), an
//! `sso_session` profile with a cached token, and `credential_process`. Their failures name the
//! fix, and no secret or token is printed.

mod support;

use nova_emulator::{ACCOUNT_ID, AccessKey, EmulatorBuilder, RunningEmulator};
use sha1::{Digest, Sha1};

const WEB_IDENTITY_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.web-identity-token-of-a-pod";
const SSO_TOKEN: &str = "aoaAAAAAGsso-bearer-token-of-a-signed-in-user";
/// The start of every session token the emulator issues.
const ISSUED_TOKEN_PREFIX: &str = "IQoJ";

/// An emulator, a HOME for its user, and the keys of the emulator's own IAM user.
struct Rig {
    emulator: RunningEmulator,
    home: tempfile::TempDir,
    own: AccessKey,
}

impl Rig {
    async fn start(builder: EmulatorBuilder) -> Self {
        let emulator = builder.start().await.unwrap();
        let own = emulator.access_key().clone();
        Self {
            emulator,
            home: support::home(),
            own,
        }
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.home.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn path(&self, path: &str) -> String {
        self.home.path().join(path).display().to_string()
    }

    /// `[base]` in the credentials file: the emulator's own user.
    fn base_profile(&self) {
        self.write(
            ".aws/credentials",
            &format!(
                "[base]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                self.own.access_key_id, self.own.secret_access_key
            ),
        );
    }

    /// `nova-act args` with the endpoints of the emulator and `vars`; no secret may be printed.
    async fn run(&self, args: &'static [&'static str], vars: &[(&'static str, String)]) -> String {
        let url = self.emulator.url().to_owned();
        let mut all: Vec<(&'static str, String)> = vec![
            ("AWS_ENDPOINT_URL_NOVA_ACT", url.clone()),
            ("AWS_ENDPOINT_URL_STS", url.clone()),
            ("AWS_ENDPOINT_URL_SSO", url),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("PATH", std::env::var("PATH").unwrap_or_default()),
        ];
        all.extend(vars.iter().cloned());
        let home = self.home.path().to_owned();
        let secrets = [
            self.own.secret_access_key.clone(),
            WEB_IDENTITY_TOKEN.to_owned(),
            SSO_TOKEN.to_owned(),
            ISSUED_TOKEN_PREFIX.to_owned(),
        ];
        tokio::task::spawn_blocking(move || {
            let vars: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
            support::run_keeping(&home, args, &vars, &secrets)
        })
        .await
        .unwrap()
    }

    /// `auth status`, `auth doctor` (which asks STS who is calling) and a whole workflow: checks
    /// the caller and the run, and the status against the snapshot `name`.
    async fn prove(&self, name: &str, vars: &[(&'static str, String)], caller: &str) {
        let status = self.run(&["auth", "status"], vars).await;
        assert!(status.starts_with("exit 0\n"), "{status}");
        let doctor = self.run(&["auth", "doctor"], vars).await;
        assert!(doctor.starts_with("exit 0\n"), "{doctor}");
        assert!(doctor.contains(caller), "no {caller} in {doctor}");
        let workflow = self.run(&["quickstart", "--live"], vars).await;
        assert!(workflow.starts_with("exit 0\n"), "{workflow}");
        assert!(workflow.contains("workflow run SUCCEEDED"), "{workflow}");
        settings().bind(|| insta::assert_snapshot!(name, status));
    }
}

fn assumed(role: &str, session_prefix: &str) -> String {
    format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/{session_prefix}")
}

/// Masked key ids and times differ on every run.
fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\*\*\*\*[A-Z0-9]{4}", "****[id]");
    settings.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[time]");
    settings
}

fn profile(name: &str) -> Vec<(&'static str, String)> {
    vec![("AWS_PROFILE", name.to_owned())]
}

#[tokio::test]
async fn a_role_from_a_profile_and_a_chain_of_two_run_a_workflow() {
    let rig = Rig::start(nova_emulator::Emulator::builder()).await;
    rig.base_profile();
    rig.write(
        ".aws/config",
        &format!(
            "[profile runner]\nrole_arn = arn:aws:iam::{ACCOUNT_ID}:role/Runner\n\
             source_profile = base\nrole_session_name = ci-runner\n\n\
             [profile deployer]\nrole_arn = arn:aws:iam::{ACCOUNT_ID}:role/Deployer\n\
             source_profile = runner\nrole_session_name = ci-deployer\n"
        ),
    );
    for (snapshot, name, role, session) in [
        ("role_from_a_profile", "runner", "Runner", "ci-runner"),
        ("chain_of_two_roles", "deployer", "Deployer", "ci-deployer"),
    ] {
        rig.prove(snapshot, &profile(name), &assumed(role, session))
            .await;
    }
    let json = rig
        .run(&["auth", "status", "--json"], &profile("deployer"))
        .await;
    let json: serde_json::Value = serde_json::from_str(support::stdout_of(&json)).unwrap();
    assert_eq!(
        json["role_arn"],
        format!("arn:aws:iam::{ACCOUNT_ID}:role/Deployer")
    );
    assert_eq!(json["via"].as_array().map(Vec::len), Some(3), "{json:#}");
    rig.emulator.shutdown().await;
}

#[tokio::test]
async fn web_identity_from_the_environment_runs_a_workflow() {
    let rig =
        Rig::start(nova_emulator::Emulator::builder().web_identity_token(WEB_IDENTITY_TOKEN)).await;
    rig.write("eks/token", WEB_IDENTITY_TOKEN);
    let vars = vec![
        (
            "AWS_ROLE_ARN",
            format!("arn:aws:iam::{ACCOUNT_ID}:role/Pods"),
        ),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", rig.path("eks/token")),
        ("AWS_ROLE_SESSION_NAME", "pod-1".to_owned()),
    ];
    rig.prove("web_identity", &vars, &assumed("Pods", "pod-1"))
        .await;

    // The token file is gone: one error naming the file and the variable.
    let missing = vec![
        (
            "AWS_ROLE_ARN",
            format!("arn:aws:iam::{ACCOUNT_ID}:role/Pods"),
        ),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", rig.path("eks/gone")),
    ];
    let out = rig.run(&["quickstart", "--live"], &missing).await;
    settings().bind(|| insta::assert_snapshot!("web_identity_token_file_missing", out));
    rig.emulator.shutdown().await;
}

/// The SSO token cache file of `session`, as `aws sso login` writes it.
fn sso_cache(rig: &Rig, session: &str, expires_at: &str) {
    let name: String = Sha1::digest(session.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    rig.write(
        &format!(".aws/sso/cache/{name}.json"),
        &serde_json::json!({
            "accessToken": SSO_TOKEN,
            "expiresAt": expires_at,
            "region": "us-east-1",
            "startUrl": "https://corp.awsapps.com/start",
        })
        .to_string(),
    );
}

#[tokio::test]
async fn an_sso_session_profile_with_a_cached_token_runs_a_workflow() {
    let rig = Rig::start(nova_emulator::Emulator::builder().sso_access_token(SSO_TOKEN)).await;
    rig.write(
        ".aws/config",
        &format!(
            "[profile sso-dev]\nsso_session = corp\nsso_account_id = {ACCOUNT_ID}\n\
             sso_role_name = Developer\nregion = us-east-1\n\n\
             [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n\
             sso_region = us-east-1\n"
        ),
    );
    sso_cache(&rig, "corp", "2099-01-01T00:00:00Z");
    rig.prove(
        "sso_session",
        &profile("sso-dev"),
        &assumed("Developer", "sso-user"),
    )
    .await;
    // Even a TRACE log of every crate keeps the bearer token out (aws-smithy dumps request
    // headers at TRACE, and does not mark the SSO portal's as sensitive).
    let traced = rig
        .run(&["-vv", "auth", "status"], &profile("sso-dev"))
        .await;
    assert!(traced.contains("GetRoleCredentials"), "{traced}");

    // The sign-in expired: the error says to sign in again, for this profile.
    sso_cache(&rig, "corp", "2020-01-01T00:00:00Z");
    let out = rig
        .run(&["quickstart", "--live"], &profile("sso-dev"))
        .await;
    settings().bind(|| insta::assert_snapshot!("sso_token_expired", out));
    rig.emulator.shutdown().await;
}

#[tokio::test]
async fn credential_process_runs_a_workflow() {
    let rig = Rig::start(nova_emulator::Emulator::builder()).await;
    let json = serde_json::json!({
        "Version": 1,
        "AccessKeyId": rig.own.access_key_id,
        "SecretAccessKey": rig.own.secret_access_key,
        "Expiration": "2099-01-01T00:00:00Z",
    });
    rig.write(
        "bin/vault-creds",
        &format!("#!/bin/sh\ncat <<'EOF'\n{json}\nEOF\n"),
    );
    rig.write(
        ".aws/config",
        &format!(
            "[profile vault]\ncredential_process = sh {}\n",
            rig.path("bin/vault-creds")
        ),
    );
    rig.prove(
        "credential_process",
        &profile("vault"),
        &format!("arn:aws:iam::{ACCOUNT_ID}:user/nova-emulator"),
    )
    .await;
    rig.emulator.shutdown().await;
}

#[tokio::test]
async fn a_role_that_cannot_be_assumed_names_the_role_and_its_trust_policy() {
    let rig = Rig::start(nova_emulator::Emulator::builder().only_named_roles()).await;
    rig.base_profile();
    rig.write(
        ".aws/config",
        &format!(
            "[profile admin]\nrole_arn = arn:aws:iam::{ACCOUNT_ID}:role/Admin\nsource_profile = base\n"
        ),
    );
    let out = rig.run(&["quickstart", "--live"], &profile("admin")).await;
    assert!(out.starts_with("exit 1\n"), "{out}");
    settings().bind(|| insta::assert_snapshot!("role_refused", out));
    rig.emulator.shutdown().await;
}
