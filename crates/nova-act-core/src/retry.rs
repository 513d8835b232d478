//! When to try again, and how long to wait first.

use std::time::Duration;

/// Retry settings: exponential backoff with full jitter, `Retry-After` honoured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    /// Attempts in all, the first included (default 3; 1 turns retries off).
    pub max_attempts: u32,
    /// The backoff before the first retry is drawn from `0..base_delay` (default 200 ms); it
    /// doubles for each later retry.
    pub base_delay: Duration,
    /// No wait is longer than this, `Retry-After` included (default 20 s).
    pub max_delay: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(20),
        }
    }
}

/// How retries behave, as the AWS SDKs' `AWS_RETRY_MODE` / `retry_mode` name it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryMode {
    /// Backoff with jitter for each call on its own.
    #[default]
    Standard,
    /// As `Standard`, and once the service throttles, every call of the client (not only the
    /// throttled one) waits out the backoff before its first attempt, so a busy program slows
    /// down as a whole instead of spending its retries.
    Adaptive,
}

impl RetryMode {
    /// The setting's spelling: `standard` or `adaptive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Adaptive => "adaptive",
        }
    }
}

impl std::str::FromStr for RetryMode {
    type Err = ();

    /// `standard` or `adaptive`, in any case, as the AWS SDKs accept them.
    fn from_str(text: &str) -> Result<Self, ()> {
        match text.trim().to_ascii_lowercase().as_str() {
            "standard" => Ok(Self::Standard),
            "adaptive" => Ok(Self::Adaptive),
            _ => Err(()),
        }
    }
}

impl RetryConfig {
    /// No retries.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (1 for the first retry): the service's `Retry-After`
    /// when it sent one, else a random time in `0..base * 2^(retry-1)`; never above `max_delay`.
    /// The client waits this long itself; it is public for calls you retry yourself.
    ///
    /// ```
    /// use std::time::Duration;
    /// use nova_act_core::RetryConfig;
    ///
    /// let retry = RetryConfig::default();
    /// assert!(retry.delay(2, None) < Duration::from_millis(400));
    /// assert_eq!(retry.delay(1, Some(Duration::from_secs(60))), Duration::from_secs(20));
    /// ```
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_delay);
        }
        let exp = 2u32.saturating_pow(retry.saturating_sub(1));
        let ceiling = self.base_delay.saturating_mul(exp).min(self.max_delay);
        ceiling.mul_f64(fastrand::f64())
    }
}

/// Whether an attempt that ended in `err` may be repeated for an operation of class `class`,
/// and after how long the service asked (`Some(None)`: the backoff decides). `unsent` says the
/// request cannot have reached the service (a refused connection).
pub(crate) fn retryable(
    err: &crate::Error,
    class: crate::Retry,
    unsent: bool,
) -> Option<Option<Duration>> {
    use crate::Error;
    match err {
        // Throttled requests were not processed: safe to repeat for every operation.
        Error::Throttling { retry_after, .. } => Some(*retry_after),
        Error::Transport { .. } if unsent => Some(None),
        // The outcome is unknown: only operations that may run twice are repeated.
        _ if class == crate::Retry::OnlyIfUnsent => None,
        Error::Timeout { .. } | Error::Transport { .. } => Some(None),
        Error::InternalServer {
            retry_after, meta, ..
        } if matches!(meta.status, 500 | 502 | 503 | 504) => Some(*retry_after),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_and_jittered() {
        let config = RetryConfig::default();
        for retry in 1..40 {
            let ceiling = config
                .base_delay
                .saturating_mul(2u32.saturating_pow(retry - 1));
            let wait = config.delay(retry, None);
            assert!(
                wait <= ceiling.min(config.max_delay),
                "retry {retry}: {wait:?}"
            );
        }
        assert_eq!(
            config.delay(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            config.delay(1, Some(Duration::from_secs(300))),
            config.max_delay
        );
    }
}
