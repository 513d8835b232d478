//! The service's request-rate quotas: a token bucket per operation and per caller (an AWS
//! account, or an API key), holding one second's worth of requests, as the service meters them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use nova_act_core::limits;

/// Request rates the emulator allows, per second, per caller.
///
/// ```
/// use nova_emulator::Quotas;
///
/// assert_eq!(Quotas::default(), Quotas::service());
/// assert_eq!(Quotas::service().step_rate, 5.0);
/// let raised = Quotas::service().step_rate(50.0);
/// assert_eq!(raised.step_rate, 50.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Quotas {
    /// InvokeActStep requests per second (`0` = unlimited).
    pub step_rate: f64,
    /// Requests per second of each other operation (`0` = unlimited).
    pub op_rate: f64,
    /// Steps one act may take (`0` = unlimited); the service's 200 is not adjustable, so only
    /// benchmarks that step one act thousands of times lift it.
    pub steps_per_act: u32,
}

impl Quotas {
    /// The service's default quotas: 5 steps per second, 100 of every other operation.
    pub fn service() -> Self {
        Self {
            step_rate: limits::STEP_RATE,
            op_rate: limits::OPERATION_RATE,
            steps_per_act: limits::MAX_STEPS_PER_ACT,
        }
    }

    /// No rate limits and no limit of steps per act: for benchmarks and load tests that measure
    /// beyond the quota. The fixed size limits still hold.
    pub fn unlimited() -> Self {
        Self {
            step_rate: 0.0,
            op_rate: 0.0,
            steps_per_act: 0,
        }
    }

    nova_act_core::auth::setters! {
        /// These quotas with at most `steps` steps per act (`0` = unlimited).
        steps_per_act(steps: u32) => steps_per_act = steps;
        /// These quotas with InvokeActStep at `rate` per second (`0` = unlimited).
        step_rate(rate: f64) => step_rate = rate.max(0.0);
        /// These quotas with every other operation at `rate` per second (`0` = unlimited).
        op_rate(rate: f64) => op_rate = rate.max(0.0);
    }

    fn rate(&self, operation: &str) -> f64 {
        if operation == "InvokeActStep" {
            self.step_rate
        } else {
            self.op_rate
        }
    }
}

impl Default for Quotas {
    fn default() -> Self {
        Self::service()
    }
}

/// One bucket: the tokens left, as of `at`.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of every caller and operation.
#[derive(Debug)]
pub(crate) struct Meter {
    quotas: Quotas,
    buckets: Mutex<HashMap<(String, &'static str), Bucket>>,
}

impl Meter {
    /// Steps one act may take, when limited.
    pub(crate) fn steps_per_act(&self) -> Option<usize> {
        (self.quotas.steps_per_act > 0).then_some(self.quotas.steps_per_act as usize)
    }

    pub(crate) fn new(quotas: Quotas) -> Self {
        Self {
            quotas,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `caller` may call `operation` at `now`; takes a token when it may.
    pub(crate) fn admit(&self, caller: &str, operation: &'static str, now: Instant) -> bool {
        let rate = self.quotas.rate(operation);
        if rate <= 0.0 {
            return true;
        }
        // A burst of one second's worth, and never less than one request.
        let capacity = rate.max(1.0);
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets
            .entry((caller.to_owned(), operation))
            .or_insert(Bucket {
                tokens: capacity,
                at: now,
            });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_of_one_second_then_the_rate() {
        let meter = Meter::new(Quotas::service());
        let start = Instant::now();
        let admitted = (0..8)
            .filter(|_| meter.admit("123456789012", "InvokeActStep", start))
            .count();
        assert_eq!(admitted, 5, "a burst of one second's worth");
        assert!(!meter.admit(
            "123456789012",
            "InvokeActStep",
            start + Duration::from_millis(150)
        ));
        assert!(meter.admit(
            "123456789012",
            "InvokeActStep",
            start + Duration::from_millis(200)
        ));
        // Each caller and each operation has its own bucket.
        assert!(meter.admit("key-b", "InvokeActStep", start));
        assert!(meter.admit("123456789012", "CreateAct", start));
        // A second later the bucket is full again, never fuller.
        let later = start + Duration::from_secs(10);
        let admitted = (0..8)
            .filter(|_| meter.admit("123456789012", "InvokeActStep", later))
            .count();
        assert_eq!(admitted, 5);
    }

    #[test]
    fn latencies_are_drawn_within_their_range_and_repeat_with_a_seed() {
        let range = StepLatency::between(Duration::from_millis(500), Duration::from_millis(1500));
        let draws = |seed| {
            let mut rng = fastrand::Rng::with_seed(seed);
            (0..50).map(|_| range.draw(&mut rng)).collect::<Vec<_>>()
        };
        let first = draws(7);
        assert_eq!(first, draws(7));
        assert!(first.iter().all(|d| (500..=1500).contains(&d.as_millis())));
        assert!(first.iter().any(|d| *d != first[0]));
        let mut rng = fastrand::Rng::new();
        assert_eq!(
            StepLatency::fixed(Duration::from_secs(2)).draw(&mut rng),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn unlimited_and_fractional_rates() {
        let meter = Meter::new(Quotas::unlimited());
        let now = Instant::now();
        assert!((0..1000).all(|_| meter.admit("a", "InvokeActStep", now)));
        let slow = Meter::new(Quotas::service().step_rate(0.5));
        assert!(slow.admit("a", "InvokeActStep", now));
        assert!(!slow.admit("a", "InvokeActStep", now + Duration::from_secs(1)));
        assert!(slow.admit("a", "InvokeActStep", now + Duration::from_secs(2)));
    }
}

/// The model's think time: how long each InvokeActStep takes to answer, so that concurrency
/// matters as it does in production (default none).
///
/// ```
/// use std::time::Duration;
/// use nova_emulator::StepLatency;
///
/// let fixed: StepLatency = "2000".parse().unwrap();
/// assert_eq!(fixed, StepLatency::fixed(Duration::from_secs(2)));
/// let drawn: StepLatency = "500-1500".parse().unwrap();
/// assert_eq!(drawn, StepLatency::between(Duration::from_millis(500), Duration::from_millis(1500)));
/// assert!("fast".parse::<StepLatency>().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StepLatency {
    min: std::time::Duration,
    max: std::time::Duration,
}

impl StepLatency {
    /// Every step takes `latency`.
    pub fn fixed(latency: std::time::Duration) -> Self {
        Self {
            min: latency,
            max: latency,
        }
    }

    /// Each step takes a time drawn evenly from `min..=max` (with the emulator's seed).
    pub fn between(min: std::time::Duration, max: std::time::Duration) -> Self {
        Self {
            min: min.min(max),
            max: max.max(min),
        }
    }

    /// Whether steps answer at once.
    pub fn is_zero(&self) -> bool {
        self.max.is_zero()
    }

    pub(crate) fn draw(&self, rng: &mut fastrand::Rng) -> std::time::Duration {
        if self.min == self.max {
            return self.min;
        }
        let span = (self.max - self.min).as_micros();
        let offset = rng.u64(0..=u64::try_from(span).unwrap_or(u64::MAX));
        self.min + std::time::Duration::from_micros(offset)
    }
}

impl std::str::FromStr for StepLatency {
    type Err = String;

    /// Milliseconds: `MS`, or `MIN-MAX`.
    fn from_str(text: &str) -> Result<Self, String> {
        let ms = |part: &str| {
            part.trim()
                .parse::<u64>()
                .map(std::time::Duration::from_millis)
                .map_err(|_| {
                    format!("`{text}` is not a step latency; expected milliseconds, MS or MIN-MAX")
                })
        };
        match text.split_once('-') {
            Some((min, max)) => Ok(Self::between(ms(min)?, ms(max)?)),
            None => Ok(Self::fixed(ms(text)?)),
        }
    }
}
