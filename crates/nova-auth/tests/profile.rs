//! Profiles in `~/.aws/credentials` and `~/.aws/config`, in a temporary HOME.
#![cfg(feature = "aws")]

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use nova_auth::{CredentialProvider, DefaultChain, Env, ProfileProvider, Region};
use support::{ACCESS_KEY_ID, SECRET_ACCESS_KEY, describe, in_child, isolated, report};

/// A temporary HOME with the given `.aws/credentials` and `.aws/config` (None = no file).
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(credentials: Option<&str>, config: Option<&str>) -> Self {
        Self {
            dir: nova_test_support::aws_home(credentials, config),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn env(&self, vars: &[(&str, &str)]) -> Env {
        let mut all = vec![("HOME".to_owned(), self.path().display().to_string())];
        all.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        Env::from_vars(all)
    }

    /// Replaces the temporary path so snapshots are stable.
    fn scrub(&self, text: String) -> String {
        text.replace(&self.path().display().to_string(), "[HOME]")
    }

    async fn resolve(&self, provider: ProfileProvider) -> String {
        self.scrub(describe(&provider.credentials().await))
    }
}

fn keys(profile_header: &str, id: &str) -> String {
    format!(
        "[{profile_header}]\naws_access_key_id = {id}\naws_secret_access_key = {SECRET_ACCESS_KEY}\n"
    )
}

#[tokio::test]
async fn the_default_profile_in_the_credentials_file() {
    let home = Home::new(Some(&keys("default", ACCESS_KEY_ID)), None);
    let out = home.resolve(ProfileProvider::with_env(home.env(&[]))).await;
    insta::assert_snapshot!(out, @r"
    mode: iam
    source: profile default ([HOME]/.aws/credentials)
    id: ****MPLE
    session token: false
    account: -
    ");
}

#[tokio::test]
async fn aws_profile_selects_a_profile_of_the_config_file() {
    let config = format!(
        "{}region = eu-west-1\n",
        keys("profile dev", "AKIADEVDEVDEV0001")
    );
    let home = Home::new(Some(&keys("default", ACCESS_KEY_ID)), Some(&config));
    let out = home
        .resolve(ProfileProvider::with_env(
            home.env(&[("AWS_PROFILE", "dev")]),
        ))
        .await;
    insta::assert_snapshot!(out, @r"
    mode: iam
    source: profile dev ([HOME]/.aws/config)
    id: ****0001
    session token: false
    account: -
    ");
}

#[tokio::test]
async fn a_profile_named_in_code_wins_over_aws_profile() {
    let credentials = format!(
        "{}{}",
        keys("default", ACCESS_KEY_ID),
        keys("ci", "AKIACICICICICI0002")
    );
    let home = Home::new(Some(&credentials), None);
    let provider =
        ProfileProvider::with_env(home.env(&[("AWS_PROFILE", "default")])).profile_name("ci");
    let out = home.resolve(provider).await;
    assert!(
        out.contains("source: profile ci ([HOME]/.aws/credentials)"),
        "{out}"
    );
    assert!(out.contains("****0002"), "{out}");
}

#[tokio::test]
async fn a_session_token_and_account_id_are_read() {
    let credentials = format!(
        "{}aws_session_token = TOKEN-VALUE\naws_account_id = 111122223333\n",
        keys("default", ACCESS_KEY_ID)
    );
    let home = Home::new(Some(&credentials), None);
    let out = home.resolve(ProfileProvider::with_env(home.env(&[]))).await;
    assert!(out.contains("session token: true"), "{out}");
    assert!(out.contains("account: 111122223333"), "{out}");
}

#[tokio::test]
async fn a_missing_profile_named_in_aws_profile_lists_those_that_exist() {
    let config = "[profile staging]\nregion = us-east-1\n[profile prod]\nregion = us-east-1\n";
    let home = Home::new(Some(&keys("default", ACCESS_KEY_ID)), Some(config));
    let out = home
        .resolve(ProfileProvider::with_env(
            home.env(&[("AWS_PROFILE", "prd")]),
        ))
        .await;
    insta::assert_snapshot!(out, @"error (stops the chain): profile `prd` (named in AWS_PROFILE) does not exist in [HOME]/.aws/credentials or [HOME]/.aws/config; profiles that exist: default, prod, staging");
}

#[tokio::test]
async fn a_missing_profile_named_in_code_with_no_files_says_how_to_create_one() {
    let home = Home::new(None, None);
    let out = home
        .resolve(ProfileProvider::with_env(home.env(&[])).profile_name("dev"))
        .await;
    insta::assert_snapshot!(out, @"error (stops the chain): profile `dev` (named in code) does not exist in [HOME]/.aws/credentials or [HOME]/.aws/config; no profiles are defined there; create one with `aws configure --profile NAME`");
}

#[tokio::test]
async fn no_files_and_no_named_profile_is_not_configured() {
    let home = Home::new(None, None);
    let out = home.resolve(ProfileProvider::with_env(home.env(&[]))).await;
    insta::assert_snapshot!(out, @"error (not configured): profile file: no `default` profile in [HOME]/.aws/credentials or [HOME]/.aws/config");
}

#[tokio::test]
async fn no_home_is_not_configured() {
    let err = ProfileProvider::with_env(Env::from_vars([("X", "y")]))
        .credentials()
        .await;
    insta::assert_snapshot!(describe(&err), @"error (not configured): profile file: HOME is not set, so there are no AWS profile files to read");
}

#[tokio::test]
async fn a_default_profile_without_credentials_is_not_configured_but_a_named_one_is_broken() {
    let config = "[default]\nregion = eu-central-1\n[profile empty]\noutput = json\n";
    let home = Home::new(None, Some(config));
    let default = home.resolve(ProfileProvider::with_env(home.env(&[]))).await;
    insta::assert_snapshot!(default, @"error (not configured): profile file: profile `default` has no credentials (no aws_access_key_id, role_arn, sso_session, credential_process or web_identity_token_file)");
    let named = home
        .resolve(ProfileProvider::with_env(
            home.env(&[("AWS_PROFILE", "empty")]),
        ))
        .await;
    insta::assert_snapshot!(named, @"error (stops the chain): profile file: profile `empty` has no credentials (no aws_access_key_id, role_arn, sso_session, credential_process or web_identity_token_file)");
}

#[tokio::test]
async fn file_locations_come_from_the_environment_with_tilde_expansion() {
    let home = Home::new(None, None);
    let custom: PathBuf = home.path().join("elsewhere");
    fs::create_dir_all(&custom).unwrap();
    fs::write(custom.join("creds"), keys("team", "AKIATEAMTEAMTEAM03")).unwrap();
    fs::write(custom.join("conf"), "[profile team]\nregion = ap-south-1\n").unwrap();
    let env = home.env(&[
        ("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds"),
        (
            "AWS_CONFIG_FILE",
            &custom.join("conf").display().to_string(),
        ),
        ("AWS_PROFILE", "team"),
    ]);
    let out = home.resolve(ProfileProvider::with_env(env.clone())).await;
    assert!(
        out.contains("source: profile team ([HOME]/elsewhere/creds)"),
        "{out}"
    );
    let region = Region::resolve(None, &env, None).await;
    insta::assert_snapshot!(home.scrub(region.to_string()), @"ap-south-1 (from profile team ([HOME]/elsewhere/conf))");
}

#[tokio::test]
async fn region_order_is_code_then_variables_then_profile_then_default() {
    let home = Home::new(None, Some("[default]\nregion = eu-west-3\n"));
    let env = |vars: &[(&str, &str)]| home.env(vars);
    let both = [
        ("AWS_REGION", "us-west-2"),
        ("AWS_DEFAULT_REGION", "eu-north-1"),
    ];
    let cases = [
        Region::resolve(Some("ca-central-1"), &env(&both), None).await,
        Region::resolve(None, &env(&both), None).await,
        Region::resolve(None, &env(&both[1..]), None).await,
        Region::resolve(None, &env(&[]), None).await,
        Region::resolve(None, &Env::from_vars([("HOME", "/nonexistent")]), None).await,
    ];
    let lines: Vec<String> = cases.iter().map(|r| home.scrub(r.to_string())).collect();
    insta::assert_snapshot!(lines.join("\n"), @r"
    ca-central-1 (from code)
    us-west-2 (from AWS_REGION)
    eu-north-1 (from AWS_DEFAULT_REGION)
    eu-west-3 (from profile default ([HOME]/.aws/config))
    us-east-1 (from default)
    ");
}

#[tokio::test]
async fn a_malformed_file_stops_the_chain_with_the_fix() {
    let home = Home::new(Some("[default\naws_access_key_id = x\n"), None);
    let out = home.resolve(ProfileProvider::with_env(home.env(&[]))).await;
    assert!(
        out.starts_with(
            "error (stops the chain): profile file: could not read the AWS profile files"
        ),
        "{out}"
    );
    assert!(out.contains("AWS_SHARED_CREDENTIALS_FILE"), "{out}");
}

#[tokio::test]
async fn environment_variables_come_before_profiles_in_the_default_chain() {
    let home = Home::new(Some(&keys("default", "AKIAPROFILEPROF004")), None);
    let env = home.env(&[
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
    ]);
    let creds = DefaultChain::builder().env(env).build().credentials().await;
    assert!(describe(&creds).contains("source: environment"));
    let creds = DefaultChain::builder()
        .env(home.env(&[]))
        .build()
        .credentials()
        .await;
    assert!(
        home.scrub(describe(&creds))
            .contains("source: profile default")
    );
}

// The cases below are resolved by aws-config itself, which reads the process environment, so
// they run in a child process whose environment is exactly what the test sets.

#[tokio::test]
async fn credential_process_is_run_by_aws_config() {
    const TEST: &str = "credential_process_is_run_by_aws_config";
    if in_child(TEST) {
        let out = describe(&ProfileProvider::new().credentials().await);
        report(out.replace(&std::env::var("HOME").unwrap(), "[HOME]"));
        return;
    }
    let json = format!(
        r#"{{"Version":1,"AccessKeyId":"AKIAPROCESSPROC005","SecretAccessKey":"{SECRET_ACCESS_KEY}","SessionToken":"tok","Expiration":"2099-01-01T00:00:00Z"}}"#
    );
    let config = format!("[profile proc]\ncredential_process = printf '%s' '{json}'\n");
    let home = Home::new(None, Some(&config));
    let out = isolated(
        TEST,
        vec![
            ("HOME", home.path().display().to_string()),
            ("AWS_PROFILE", "proc".to_owned()),
            ("PATH", std::env::var("PATH").unwrap_or_default()),
        ],
    )
    .await;
    insta::assert_snapshot!(out, @r"
    mode: iam
    source: profile proc ([HOME]/.aws/config)
    id: ****C005
    session token: true
    account: -
    expiry: 2099-01-01T00:00:00Z
    ");
}

#[tokio::test]
async fn role_chaining_to_a_missing_source_profile_stops_the_chain() {
    const TEST: &str = "role_chaining_to_a_missing_source_profile_stops_the_chain";
    if in_child(TEST) {
        report(describe(&ProfileProvider::new().credentials().await));
        return;
    }
    let config =
        "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = base\n";
    let home = Home::new(None, Some(config));
    let out = isolated(
        TEST,
        vec![
            ("HOME", home.path().display().to_string()),
            ("AWS_PROFILE", "admin".to_owned()),
        ],
    )
    .await;
    assert!(
        out.starts_with("error (stops the chain): profile file:"),
        "{out}"
    );
    assert!(out.contains("base"), "{out}");
}

#[tokio::test]
async fn sso_without_a_login_stops_the_chain_naming_the_fix() {
    const TEST: &str = "sso_without_a_login_stops_the_chain_naming_the_fix";
    if in_child(TEST) {
        report(describe(&ProfileProvider::new().credentials().await));
        return;
    }
    let config = "[profile sso-dev]\nsso_session = corp\nsso_account_id = 123456789012\n\
                  sso_role_name = Developer\nregion = us-east-1\n\
                  [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n\
                  sso_region = us-east-1\n";
    let home = Home::new(None, Some(config));
    let out = isolated(
        TEST,
        vec![
            ("HOME", home.path().display().to_string()),
            ("AWS_PROFILE", "sso-dev".to_owned()),
        ],
    )
    .await;
    insta::assert_snapshot!(home.scrub(out), @r"
        error (stops the chain): profile file: profile `sso-dev` gave no credentials; sign in with `aws sso login --profile sso-dev` and try again
          caused by: failed to load the cached SSO token
    ");
}

/// A role profile whose STS is moved to plain HTTP on another host stops before aws-config sends
/// the signed request (and any session token) there.
#[tokio::test]
async fn a_role_profile_refuses_sts_over_plain_http_beyond_loopback() {
    let config = "[profile runner]\nrole_arn = arn:aws:iam::123456789012:role/Runner\n\
                  source_profile = base\n";
    let credentials = format!(
        "[base]\naws_access_key_id = {ACCESS_KEY_ID}\naws_secret_access_key = {SECRET_ACCESS_KEY}\n"
    );
    let home = Home::new(Some(&credentials), Some(config));
    let env = home.env(&[
        ("AWS_PROFILE", "runner"),
        ("AWS_ENDPOINT_URL_STS", "http://10.255.255.1:8080"),
    ]);
    let err = ProfileProvider::with_env(env)
        .credentials()
        .await
        .unwrap_err();
    insta::assert_snapshot!(err, @"profile file: refusing to send credentials in cleartext: AWS_ENDPOINT_URL_STS is `http://10.255.255.1:8080`, plain http:// to a host beyond this machine, and the request would carry a token; use https://, or for a test rig you trust set NOVA_ACT_ALLOW_HTTP=1");
}
