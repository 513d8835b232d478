//! Caching in front of a provider: refresh before expiry, one load for all callers.

use std::borrow::Cow;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::clock::{Clock, SystemClock};
use crate::credentials::Credentials;
use crate::error::CredentialsError;
use crate::provider::{CredentialProvider, SharedProvider};

/// How long before expiry credentials are refreshed by default.
pub const DEFAULT_REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);
/// How long to wait after a failed refresh, while old credentials are still valid, before
/// trying again.
pub const DEFAULT_RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);

/// Caches a provider's credentials.
///
/// - Credentials are reused until [`DEFAULT_REFRESH_BEFORE`] (5 minutes) before they expire;
///   credentials without an expiry are kept for good.
/// - One load at a time: every caller that arrives while a load runs waits for it and shares
///   its result.
/// - If a refresh fails while the cached credentials are still valid, they are kept, the failure is
///   logged as a warning, and the next refresh is tried after [`DEFAULT_RETRY_AFTER_FAILURE`].
/// - Credentials that arrive already expired are an error, not a cache entry.
#[derive(Clone, Debug)]
pub struct CachedProvider {
    inner: SharedProvider,
    clock: Arc<dyn Clock>,
    refresh_before: Duration,
    retry_after_failure: Duration,
    state: Arc<State>,
}

#[derive(Debug, Default)]
struct State {
    current: RwLock<Cached>,
    loading: tokio::sync::Mutex<()>,
}

#[derive(Clone, Debug, Default)]
struct Cached {
    credentials: Option<Credentials>,
    /// Set after a failed refresh: no new attempt before this time.
    quiet_until: Option<SystemTime>,
}

impl CachedProvider {
    /// Caches `inner` with the defaults.
    pub fn new(inner: impl CredentialProvider + 'static) -> Self {
        Self {
            inner: SharedProvider::new(inner),
            clock: Arc::new(SystemClock),
            refresh_before: DEFAULT_REFRESH_BEFORE,
            retry_after_failure: DEFAULT_RETRY_AFTER_FAILURE,
            state: Arc::default(),
        }
    }

    crate::setters! {
        /// Uses `clock` for expiry decisions.
        with_clock(clock: impl Clock + 'static) => clock = Arc::new(clock);
        /// Refreshes this long before expiry.
        refresh_before(margin: Duration) => refresh_before = margin;
        /// Waits this long after a failed refresh before trying again (while old credentials last).
        retry_after_failure(wait: Duration) => retry_after_failure = wait;
    }

    /// The wrapped provider.
    pub fn inner(&self) -> &SharedProvider {
        &self.inner
    }

    /// Drops the cached credentials, so the next call loads anew.
    pub fn invalidate(&self) {
        *self.write() = Cached::default();
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Cached> {
        self.state
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cached credentials if they can be used now without a load.
    fn usable(&self, now: SystemTime) -> Option<Credentials> {
        // Decide under the read lock and clone only the answer: this is the hot path.
        let cached = self
            .state
            .current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let credentials = cached.credentials.as_ref()?;
        let fresh = match credentials.expiry() {
            None => true,
            Some(expiry) if now + self.refresh_before < expiry => true,
            // Inside the refresh window: reuse while a recent refresh failed and they still work.
            Some(expiry) => cached.quiet_until.is_some_and(|t| now < t) && now < expiry,
        };
        fresh.then(|| credentials.clone())
    }

    async fn load(&self) -> Result<Credentials, CredentialsError> {
        let _single_flight = self.state.loading.lock().await;
        let now = self.clock.now();
        if let Some(credentials) = self.usable(now) {
            return Ok(credentials);
        }
        let result = self.inner.credentials().await;
        let now = self.clock.now();
        match result {
            Ok(fresh) => {
                if let Some(expiry) = fresh.expiry().filter(|expiry| *expiry <= now) {
                    let err = CredentialsError::Expired {
                        from: fresh.source().clone(),
                        expired_at: expiry,
                    };
                    return self.keep_old(now, err);
                }
                *self.write() = Cached {
                    credentials: Some(fresh.clone()),
                    quiet_until: None,
                };
                Ok(fresh)
            }
            Err(err) => self.keep_old(now, err),
        }
    }

    /// After a failed refresh: the old credentials if they still work, else the error.
    fn keep_old(
        &self,
        now: SystemTime,
        err: CredentialsError,
    ) -> Result<Credentials, CredentialsError> {
        let mut cached = self.write();
        match &cached.credentials {
            Some(old) if old.expiry().is_some_and(|expiry| now < expiry) => {
                tracing::warn!(
                    provider = %self.inner.name(),
                    error = %err,
                    "refreshing credentials failed; still using the current ones until they expire"
                );
                let old = old.clone();
                cached.quiet_until = Some(now + self.retry_after_failure);
                Ok(old)
            }
            _ => Err(err),
        }
    }
}

#[async_trait]
impl CredentialProvider for CachedProvider {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        if let Some(credentials) = self.usable(self.clock.now()) {
            return Ok(credentials);
        }
        self.load().await
    }

    fn name(&self) -> Cow<'static, str> {
        self.inner.name()
    }

    fn mode(&self) -> Option<crate::AuthMode> {
        self.inner.mode()
    }

    /// Asks the source; new credentials it gives replace the cached ones for every caller.
    async fn refused(&self, refused: &Credentials) -> Option<Credentials> {
        let _single_flight = self.state.loading.lock().await;
        let fresh = self.inner.refused(refused).await?;
        *self.write() = Cached {
            credentials: Some(fresh.clone()),
            quiet_until: None,
        };
        Some(fresh)
    }
}
