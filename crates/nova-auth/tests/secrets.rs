//! Secrets never appear in Debug, Display, errors or logs (TRACE, every crate).

mod support;

use nova_auth::{
    ApiKeyProvider, Auth, AuthError, CachedProvider, ChainProvider, CredentialProvider, Env,
    EnvironmentProvider, Secret,
};
use support::{ACCESS_KEY_ID, API_KEY, Logs, SECRET_ACCESS_KEY, SESSION_TOKEN};
#[cfg(feature = "aws")]
use support::{in_child, isolated, report};

const SECRETS: &[&str] = &[API_KEY, SECRET_ACCESS_KEY, SESSION_TOKEN];

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "a secret leaked into {what}:\n{text}"
        );
        // Not even a long fragment of one.
        let fragment = &secret[..20];
        assert!(
            !text.contains(fragment),
            "part of a secret leaked into {what}:\n{text}"
        );
    }
}

#[tokio::test]
async fn api_key_mode_leaks_nothing() {
    let (logs, _guard) = Logs::capture();
    let env = Env::from_vars([
        ("NOVA_ACT_API_KEY", API_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
    ]);
    let auth = Auth::builder().env(env.clone()).build().await.unwrap();
    let creds = auth.credentials().await.unwrap();
    let mut seen = format!("{auth:?}\n{creds:?}\n{creds:#?}\n{creds}\n{env:?}\n");
    seen += &format!("{:?}\n", ApiKeyProvider::new(API_KEY));
    seen += &format!("{:?}\n", Secret::new(API_KEY));

    // A key one character short: refused, and not echoed back.
    let wrong = &API_KEY[..35];
    let err = ApiKeyProvider::new(wrong).credentials().await.unwrap_err();
    seen += &format!("{err}\n{err:?}\n");
    let err = Auth::builder().api_key(wrong).build().await.unwrap_err();
    seen += &format!("{err}\n{err:?}\n");
    assert!(matches!(err, AuthError::Credentials(_)));

    assert!(!logs.text().is_empty(), "TRACE logging was captured");
    seen += &logs.text();
    assert_clean("API-key mode output", &seen);
}

#[tokio::test]
async fn iam_mode_from_the_environment_leaks_nothing() {
    let (logs, _guard) = Logs::capture();
    let env = Env::from_vars([
        ("HOME", "/nonexistent"),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN),
    ]);
    let auth = Auth::builder().env(env.clone()).build().await.unwrap();
    let creds = auth.credentials().await.unwrap();
    let aws = creds.as_aws().unwrap();
    assert_eq!(aws.secret_access_key().expose(), SECRET_ACCESS_KEY);
    let mut seen = format!("{auth:?}\n{creds:?}\n{creds:#?}\n{creds}\n{aws}\n{env:?}\n");
    let cache = CachedProvider::new(EnvironmentProvider::with_env(env.clone()));
    cache.credentials().await.unwrap();
    seen += &format!("{cache:?}\n");

    // Half a pair: the error names variables, never values.
    let half = Env::from_vars([("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)]);
    let chain = ChainProvider::new().with(EnvironmentProvider::with_env(half));
    let err = chain.credentials().await.unwrap_err();
    seen += &format!("{err}\n{err:?}\n");

    seen += &logs.text();
    assert_clean("IAM mode output", &seen);
}

#[cfg(feature = "aws")]
#[tokio::test]
async fn iam_mode_from_a_profile_leaks_nothing() {
    let (logs, _guard) = Logs::capture();
    let credentials = format!(
        "[default]\naws_access_key_id = {ACCESS_KEY_ID}\naws_secret_access_key = {SECRET_ACCESS_KEY}\naws_session_token = {SESSION_TOKEN}\n"
    );
    let home = nova_test_support::aws_home(Some(&credentials), None);
    let env = Env::from_vars([("HOME", home.path().display().to_string())]);
    let auth = Auth::builder().env(env.clone()).build().await.unwrap();
    let creds = auth.credentials().await.unwrap();
    let mut seen = format!("{auth:?}\n{creds:?}\n{creds}\n");
    // A profile that does not exist: the error lists names, not contents.
    let err = Auth::builder()
        .env(env)
        .profile_name("missing")
        .build()
        .await
        .unwrap_err();
    seen += &format!("{err}\n{err:?}\n");
    seen += &logs.text();
    assert_clean("profile output", &seen);
}

/// What the STS and SSO fakes hand out, and what the user holds: none of it may be shown.
#[cfg(feature = "aws")]
mod temporary {
    pub(crate) const WEB_IDENTITY_TOKEN: &str =
        "eyJhbGciOiJSUzI1NiJ9.WEBIDENTITYTOKENOFAPOD0000000";
    pub(crate) const SSO_TOKEN: &str = "aoaAAAAAGSSOBEARERTOKENOFAUSER000000000000";
    pub(crate) const ISSUED_SECRET: &str = "IssuedSecretAccessKeyFromStsOrSso000000000";
    pub(crate) const ISSUED_TOKEN: &str = "IQoJIssuedSessionTokenFromStsOrSso0000000000";
}

/// Role assumption (accepted and refused), web identity (accepted, and with its token file
/// missing) and SSO (accepted, and with the sign-in expired): the credentials, the errors and
/// TRACE logs of every crate show none of the keys, tokens or issued secrets.
#[cfg(feature = "aws")]
#[tokio::test]
async fn role_web_identity_and_sso_paths_leak_nothing() {
    use nova_auth::{ProfileProvider, WebIdentityProvider};
    use nova_test_support::mount;
    use temporary::*;
    use wiremock::matchers::{body_string_contains, method};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const TEST: &str = "role_web_identity_and_sso_paths_leak_nothing";
    if in_child(TEST) {
        let (logs, _guard) = Logs::capture();
        let mut seen = String::new();
        let mut show =
            |what: &str, result: Result<nova_auth::Credentials, nova_auth::CredentialsError>| {
                seen += &format!("{what}: {result:?}\n");
                match &result {
                    Ok(creds) => seen += &format!("{creds}\n{creds:#?}\n"),
                    Err(err) => seen += &format!("{err}\n{err:#?}\n"),
                }
                result.is_ok()
            };
        let mut outcomes = Vec::new();
        for profile in ["assumer", "refused", "sso-dev", "sso-expired"] {
            let result = ProfileProvider::new()
                .profile_name(profile)
                .credentials()
                .await;
            outcomes.push(format!("{profile}: {}", show(profile, result)));
        }
        let result = WebIdentityProvider::new().credentials().await;
        outcomes.push(format!("web identity: {}", show("web identity", result)));
        let missing = nova_auth::Env::from_vars([
            ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/Pods"),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token"),
        ]);
        let result = WebIdentityProvider::with_env(missing).credentials().await;
        outcomes.push(format!("token file missing: {}", show("missing", result)));
        seen += &logs.text();
        assert!(!logs.text().is_empty(), "TRACE logging was captured");
        for secret in [
            SECRET_ACCESS_KEY,
            WEB_IDENTITY_TOKEN,
            SSO_TOKEN,
            ISSUED_SECRET,
            ISSUED_TOKEN,
        ] {
            if let Some(at) = seen.find(&secret[..20]) {
                let start = seen[..at].rfind('\n').unwrap_or(0);
                let end = seen[at..].find('\n').map_or(seen.len(), |n| at + n);
                panic!("{} leaked in:\n{}", &secret[..8], &seen[start..end]);
            }
        }
        report(outcomes.join("\n"));
        return;
    }

    let server = MockServer::start().await;
    let issued_xml = |action: &str| {
        format!(
            "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{action}Result>\
             <Credentials><AccessKeyId>ASIAISSUEDEXAMPLE000</AccessKeyId>\
             <SecretAccessKey>{ISSUED_SECRET}</SecretAccessKey><SessionToken>{ISSUED_TOKEN}</SessionToken>\
             <Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser>\
             <AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/R/s</Arn>\
             </AssumedRoleUser></{action}Result></{action}Response>"
        )
    };
    Mock::given(method("POST"))
        .and(body_string_contains("Refused"))
        .respond_with(ResponseTemplate::new(403).insert_header("content-type", "text/xml").set_body_string(
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform: sts:AssumeRole</Message></Error><RequestId>r</RequestId></ErrorResponse>",
        ))
        .mount(&server)
        .await;
    for action in ["AssumeRole", "AssumeRoleWithWebIdentity"] {
        Mock::given(method("POST"))
            .and(body_string_contains(format!("Action={action}&")))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "text/xml")
                    .set_body_string(issued_xml(action)),
            )
            .mount(&server)
            .await;
    }
    mount(&server, "GET", "/federation/credentials", ResponseTemplate::new(200).set_body_string(format!(
            r#"{{"roleCredentials":{{"accessKeyId":"ASIAISSUEDEXAMPLE000","secretAccessKey":"{ISSUED_SECRET}","sessionToken":"{ISSUED_TOKEN}","expiration":4070908800000}}}}"#
        ))).await;

    let home = tempfile::tempdir().unwrap();
    let write = |relative: &str, text: &str| {
        let file = home.path().join(relative);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    };
    write(
        ".aws/credentials",
        &format!(
            "[base]\naws_access_key_id = {ACCESS_KEY_ID}\naws_secret_access_key = {SECRET_ACCESS_KEY}\n"
        ),
    );
    write(
        ".aws/config",
        "[profile assumer]\nrole_arn = arn:aws:iam::123456789012:role/Runner\nsource_profile = base\n\
         [profile refused]\nrole_arn = arn:aws:iam::123456789012:role/Refused\nsource_profile = base\n\
         [profile sso-dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Dev\n\
         [profile sso-expired]\nsso_session = old\nsso_account_id = 123456789012\nsso_role_name = Dev\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n\
         [sso-session old]\nsso_start_url = https://old.awsapps.com/start\nsso_region = us-east-1\n",
    );
    for (session, expires) in [
        ("corp", "2099-01-01T00:00:00Z"),
        ("old", "2020-01-01T00:00:00Z"),
    ] {
        use sha1::Digest;
        let name: String = sha1::Sha1::digest(session.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        write(
            &format!(".aws/sso/cache/{name}.json"),
            &format!(
                r#"{{"accessToken": "{SSO_TOKEN}", "expiresAt": "{expires}", "region": "us-east-1"}}"#
            ),
        );
    }
    write("token", WEB_IDENTITY_TOKEN);
    let out = isolated(
        TEST,
        vec![
            ("HOME", home.path().display().to_string()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ENDPOINT_URL_STS", server.uri()),
            ("AWS_ENDPOINT_URL_SSO", server.uri()),
            (
                "AWS_ROLE_ARN",
                "arn:aws:iam::123456789012:role/Pods".to_owned(),
            ),
            (
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                home.path().join("token").display().to_string(),
            ),
        ],
    )
    .await;
    // Every path was taken, each to the outcome meant.
    insta::assert_snapshot!(out, @r"
    assumer: true
    refused: false
    sso-dev: true
    sso-expired: false
    web identity: true
    token file missing: false
    ");
}
