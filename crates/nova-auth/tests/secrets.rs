//! Secrets never appear in Debug, Display, errors or logs (TRACE, every crate).

mod support;

use nova_auth::{
    ApiKeyProvider, Auth, AuthError, CachedProvider, ChainProvider, CredentialProvider, Env,
    EnvironmentProvider, Secret,
};
use support::{ACCESS_KEY_ID, API_KEY, Logs, SECRET_ACCESS_KEY, SESSION_TOKEN};

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
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        format!(
            "[default]\naws_access_key_id = {ACCESS_KEY_ID}\naws_secret_access_key = {SECRET_ACCESS_KEY}\naws_session_token = {SESSION_TOKEN}\n"
        ),
    )
    .unwrap();
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
