//! The cache: refresh before expiry, one load for all callers, old credentials kept on failure.

mod support;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use nova_auth::{
    AwsCredentials, CachedProvider, CredentialProvider, Credentials, CredentialsError, ManualClock,
    Source,
};
use support::{Logs, describe};

const START: Duration = Duration::from_secs(1_800_000_000);

fn start() -> SystemTime {
    SystemTime::UNIX_EPOCH + START
}

fn creds(id: &str, expiry: Option<SystemTime>) -> Credentials {
    AwsCredentials::new(
        id,
        "secret-value-that-must-not-leak",
        None,
        Source::custom("script"),
    )
    .with_expiry(expiry)
    .into()
}

/// Credentials `id` that expire `secs` after [`start`], as a load's answer.
fn expiring(id: &str, secs: u64) -> Result<Credentials, CredentialsError> {
    Ok(creds(id, Some(start() + Duration::from_secs(secs))))
}

/// A load that fails as a metadata service that is down fails.
fn down() -> Result<Credentials, CredentialsError> {
    Err(CredentialsError::provider(
        "script",
        "metadata service down",
    ))
}

/// Answers from a script, counting loads; each load yields to the scheduler first so that
/// concurrent callers really do overlap it.
#[derive(Debug, Clone, Default)]
struct Scripted {
    answers: Arc<Mutex<VecDeque<Result<Credentials, CredentialsError>>>>,
    loads: Arc<AtomicUsize>,
}

impl Scripted {
    fn then(self, answer: Result<Credentials, CredentialsError>) -> Self {
        self.answers.lock().unwrap().push_back(answer);
        self
    }

    fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl CredentialProvider for Scripted {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await;
        self.answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| Err(CredentialsError::provider("script", "out of answers")))
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("script")
    }
}

#[tokio::test]
async fn credentials_are_reused_until_five_minutes_before_expiry() {
    let clock = ManualClock::new(start());
    let expiry = start() + Duration::from_secs(3600);
    let script = Scripted::default()
        .then(Ok(creds("AKIAFIRST0000001", Some(expiry))))
        .then(Ok(creds(
            "AKIASECOND000002",
            Some(expiry + Duration::from_secs(3600)),
        )));
    let cache = CachedProvider::new(script.clone()).with_clock(clock.clone());

    assert!(describe(&cache.credentials().await).contains("****0001"));
    clock.advance(Duration::from_secs(3600 - 301));
    assert!(describe(&cache.credentials().await).contains("****0001"));
    assert_eq!(script.loads(), 1);

    clock.advance(Duration::from_secs(2)); // now 299 s before expiry: inside the window
    assert!(describe(&cache.credentials().await).contains("****0002"));
    assert_eq!(script.loads(), 2);
}

#[tokio::test]
async fn credentials_without_expiry_are_loaded_once() {
    let script = Scripted::default().then(Ok(creds("AKIAFOREVER00001", None)));
    let cache = CachedProvider::new(script.clone());
    for _ in 0..10 {
        cache.credentials().await.unwrap();
    }
    assert_eq!(script.loads(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_callers_at_expiry_share_one_load() {
    let clock = ManualClock::new(start());
    let script = Scripted::default()
        .then(expiring("AKIAOLD000000001", 600))
        .then(expiring("AKIANEW000000002", 7200));
    let cache = CachedProvider::new(script.clone()).with_clock(clock.clone());
    cache.credentials().await.unwrap();
    clock.advance(Duration::from_secs(400)); // inside the refresh window

    let callers: Vec<_> = (0..1000)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.credentials().await })
        })
        .collect();
    for caller in callers {
        let answer = caller.await.unwrap();
        assert!(describe(&answer).contains("****0002"));
    }
    assert_eq!(
        script.loads(),
        2,
        "one initial load and exactly one refresh"
    );
}

#[tokio::test]
async fn a_failed_refresh_keeps_valid_credentials_and_warns() {
    let (logs, _guard) = Logs::capture();
    let clock = ManualClock::new(start());
    let script = Scripted::default()
        .then(expiring("AKIAOLD000000001", 600))
        .then(down())
        .then(expiring("AKIANEW000000002", 7200));
    let cache = CachedProvider::new(script.clone()).with_clock(clock.clone());
    cache.credentials().await.unwrap();

    clock.advance(Duration::from_secs(400));
    assert!(describe(&cache.credentials().await).contains("****0001"));
    assert!(logs.text().contains("WARN"), "{}", logs.text());
    assert!(
        logs.text().contains("metadata service down"),
        "{}",
        logs.text()
    );

    // Within the quiet period after a failure, no new load is tried.
    clock.advance(Duration::from_secs(5));
    assert!(describe(&cache.credentials().await).contains("****0001"));
    assert_eq!(script.loads(), 2);

    // After it, the next refresh succeeds.
    clock.advance(Duration::from_secs(10));
    assert!(describe(&cache.credentials().await).contains("****0002"));
    assert_eq!(script.loads(), 3);
    assert!(!logs.text().contains("secret-value-that-must-not-leak"));
}

#[tokio::test]
async fn a_failed_refresh_after_expiry_is_an_error() {
    let clock = ManualClock::new(start());
    let script = Scripted::default()
        .then(expiring("AKIAOLD000000001", 600))
        .then(down());
    let cache = CachedProvider::new(script).with_clock(clock.clone());
    cache.credentials().await.unwrap();
    clock.advance(Duration::from_secs(601));
    insta::assert_snapshot!(describe(&cache.credentials().await), @"error (stops the chain): script: metadata service down");
}

#[tokio::test]
async fn credentials_that_arrive_expired_are_refused() {
    let clock = ManualClock::new(start());
    let script = Scripted::default().then(Ok(creds(
        "AKIASTALE0000001",
        Some(start() - Duration::from_secs(60)),
    )));
    let cache = CachedProvider::new(script).with_clock(clock);
    insta::assert_snapshot!(describe(&cache.credentials().await), @"error (stops the chain): the credentials from custom: script expired at 2027-01-15T07:59:00Z; refresh them at their source (for example `aws sso login`, or new keys) and try again");
}

#[tokio::test]
async fn invalidate_forces_a_load() {
    let script = Scripted::default()
        .then(Ok(creds("AKIAFIRST0000001", None)))
        .then(Ok(creds("AKIASECOND000002", None)));
    let cache = CachedProvider::new(script.clone());
    cache.credentials().await.unwrap();
    cache.invalidate();
    assert!(describe(&cache.credentials().await).contains("****0002"));
}
