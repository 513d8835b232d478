//! The step governor: one per client (clones share it), so every session and act of an account
//! paces its InvokeActStep calls at the quota instead of finding it by being throttled.
//!
//! Each step reserves the next free slot, spaced `1 / rate` apart, and waits for it; the service
//! meters a bucket that holds one second's worth, so evenly spaced steps never empty it. When the
//! service throttles anyway (another program on the account, a lower quota), the rate drops to
//! 0.7 of itself (never below [`MIN_RATE`]) and climbs back by a fiftieth of the set rate with
//! each step that passes, never above it: a quota AWS raised is used by setting one number.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The rate a throttled governor never goes below, in steps per second.
pub(crate) const MIN_RATE: f64 = 0.5;

#[derive(Debug)]
pub(crate) struct Governor {
    /// The set rate, steps per second.
    ceiling: f64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    rate: f64,
    next_free: Option<Instant>,
}

impl Governor {
    /// A governor at `rate` steps per second; `None` for 0 (no pacing).
    pub(crate) fn new(rate: f64) -> Option<Self> {
        (rate > 0.0).then(|| Self {
            ceiling: rate,
            state: Mutex::new(State {
                rate,
                next_free: None,
            }),
        })
    }

    /// The set rate, steps per second.
    pub(crate) fn ceiling(&self) -> f64 {
        self.ceiling
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves the next slot and waits for it; returns how long it waited.
    pub(crate) async fn acquire(&self) -> Duration {
        let now = Instant::now();
        let slot = {
            let mut state = self.state();
            let slot = state.next_free.map_or(now, |free| free.max(now));
            state.next_free = Some(slot + Duration::from_secs_f64(1.0 / state.rate));
            slot
        };
        tokio::time::sleep_until(slot).await;
        slot.saturating_duration_since(now)
    }

    /// The service throttled a step: slow down.
    pub(crate) fn throttled(&self) {
        let mut state = self.state();
        state.rate = (state.rate * 0.7).max(MIN_RATE.min(self.ceiling));
        tracing::debug!(rate = state.rate, "step governor: throttled, slowing down");
    }

    /// A step passed: speed back up towards the set rate.
    pub(crate) fn passed(&self) {
        let mut state = self.state();
        if state.rate < self.ceiling {
            state.rate = (state.rate + self.ceiling / 50.0).min(self.ceiling);
        }
    }

    /// The rate now, steps per second.
    #[cfg(test)]
    pub(crate) fn rate(&self) -> f64 {
        self.state().rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn steps_are_spaced_at_the_rate_and_the_rate_adapts() {
        let governor = Governor::new(5.0).unwrap();
        let start = Instant::now();
        for _ in 0..11 {
            governor.acquire().await;
        }
        // Eleven steps at 5/s: the first at once, the last 2 s later.
        assert_eq!(start.elapsed(), Duration::from_secs(2));

        governor.throttled();
        assert!((governor.rate() - 3.5).abs() < 1e-9);
        for _ in 0..20 {
            governor.throttled();
        }
        assert_eq!(governor.rate(), MIN_RATE);
        for _ in 0..1000 {
            governor.passed();
        }
        assert_eq!(governor.rate(), 5.0, "never above the set rate");
        assert!(Governor::new(0.0).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_steps_share_one_pace() {
        let governor = std::sync::Arc::new(Governor::new(10.0).unwrap());
        let start = Instant::now();
        let mut waits = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let governor = governor.clone();
            waits.spawn(async move { governor.acquire().await });
        }
        waits.join_all().await;
        assert_eq!(start.elapsed(), Duration::from_millis(1900));
    }
}

/// What the quota cost the calls made inside [`Pacing::measure`] (one act's steps): how many
/// were throttled at least once, and how long they waited for the pace and for throttles.
#[derive(Clone, Debug, Default)]
pub(crate) struct Pacing(std::sync::Arc<Mutex<(u32, Duration)>>);

tokio::task_local! {
    static PACING: Pacing;
}

impl Pacing {
    /// Runs `calls`, counting what the quota cost them.
    pub(crate) async fn measure<F: std::future::Future>(&self, calls: F) -> F::Output {
        PACING.scope(self.clone(), calls).await
    }

    /// Calls throttled at least once, and the time waited.
    pub(crate) fn totals(&self) -> (u32, Duration) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The totals of the act being measured now, if any.
    pub(crate) fn current() -> Option<(u32, Duration)> {
        PACING.try_with(Pacing::totals).ok()
    }

    /// Records, for the act being measured (if any), a call throttled `throttled` times and the
    /// time it waited.
    pub(crate) fn record(throttled: bool, waited: Duration) {
        let _ = PACING.try_with(|pacing| {
            let mut totals = pacing.0.lock().unwrap_or_else(|p| p.into_inner());
            totals.0 += u32::from(throttled);
            totals.1 += waited;
        });
    }
}
