//! The client-side rate limiter: evenly spaced sends, halved on a 429 and recovered gradually.
//!
//! - With a ceiling of `r` per second, sends start at least `1/r` apart.
//! - On [`Error::RateLimited`](crate::Error::RateLimited) every send pauses for the provider's
//!   `Retry-After` (at most [`MAX_PAUSE`]), and the rate halves (at most once per
//!   [`ADJUST_EVERY`], so a burst of 429s from concurrent requests counts once), down to
//!   [`MIN_RATE`]. Without a ceiling the rate measured over the last second is halved.
//! - After [`ADJUST_EVERY`] without a 429, the rate grows by a quarter per success, up to the
//!   ceiling; without a ceiling it becomes unlimited again once it is back at the rate that was
//!   throttled.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

/// The lowest rate the limiter falls to, per second.
pub const MIN_RATE: f64 = 1.0;
/// The shortest time between two rate changes.
pub const ADJUST_EVERY: Duration = Duration::from_secs(1);
/// The longest pause a `Retry-After` imposes.
pub const MAX_PAUSE: Duration = Duration::from_secs(300);

#[derive(Debug)]
pub(crate) struct RateLimiter {
    ceiling: Option<f64>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The current rate per second; `None` is unlimited.
    rate: Option<f64>,
    /// Without a ceiling: the rate to return to unlimited at.
    recover_at: Option<f64>,
    next_slot: Instant,
    paused_until: Instant,
    last_change: Option<Instant>,
    window_start: Instant,
    window_sends: u32,
    last_window_rate: f64,
}

impl RateLimiter {
    pub(crate) fn new(per_second: Option<u32>) -> RateLimiter {
        let now = Instant::now();
        let ceiling = per_second.map(|r| f64::from(r.max(1)));
        RateLimiter {
            ceiling,
            state: Mutex::new(State {
                rate: ceiling,
                recover_at: None,
                next_slot: now,
                paused_until: now,
                last_change: None,
                window_start: now,
                window_sends: 0,
                last_window_rate: 0.0,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for this send's slot.
    pub(crate) async fn acquire(&self) {
        let start = {
            let mut s = self.lock();
            let now = Instant::now();
            let start = now.max(s.paused_until).max(s.next_slot);
            if let Some(rate) = s.rate {
                s.next_slot = start + Duration::from_secs_f64(1.0 / rate);
            }
            let elapsed = now.saturating_duration_since(s.window_start);
            if elapsed >= Duration::from_secs(1) {
                s.last_window_rate = f64::from(s.window_sends) / elapsed.as_secs_f64();
                s.window_start = now;
                s.window_sends = 0;
            }
            s.window_sends = s.window_sends.saturating_add(1);
            start
        };
        tokio::time::sleep_until(start).await;
    }

    /// A send went through unthrottled.
    pub(crate) fn on_success(&self) {
        let mut s = self.lock();
        let Some(rate) = s.rate else { return };
        let now = Instant::now();
        if s.last_change
            .is_some_and(|t| now.duration_since(t) < ADJUST_EVERY)
        {
            return;
        }
        if self.ceiling.is_some_and(|c| rate >= c) {
            return;
        }
        let grown = (rate * 1.25).max(rate + 1.0);
        s.rate = match (self.ceiling, s.recover_at) {
            (Some(ceiling), _) => Some(grown.min(ceiling)),
            (None, Some(target)) if grown >= target => None,
            (None, _) => Some(grown),
        };
        if s.rate.is_none() {
            s.recover_at = None;
        }
        s.last_change = Some(now);
    }

    /// The provider answered 429.
    pub(crate) fn on_throttled(&self, retry_after: Option<Duration>) {
        let mut s = self.lock();
        let now = Instant::now();
        let pause = retry_after.unwrap_or(Duration::ZERO).min(MAX_PAUSE);
        s.paused_until = s.paused_until.max(now + pause);
        s.next_slot = s.next_slot.max(s.paused_until);
        if s.last_change
            .is_some_and(|t| now.duration_since(t) < ADJUST_EVERY)
        {
            return;
        }
        let base = match s.rate {
            Some(rate) => rate,
            None => {
                let elapsed = now.saturating_duration_since(s.window_start).as_secs_f64();
                let current = if elapsed > 0.0 {
                    f64::from(s.window_sends) / elapsed.max(0.1)
                } else {
                    0.0
                };
                let measured = s.last_window_rate.max(current).max(MIN_RATE);
                s.recover_at = Some(measured);
                measured
            }
        };
        s.rate = Some((base / 2.0).max(MIN_RATE));
        s.last_change = Some(now);
    }

    /// The current rate per second, rounded down (`None`: unlimited).
    pub(crate) fn current(&self) -> Option<u32> {
        // The rate is at least MIN_RATE and at most a u32 ceiling (or a measured rate).
        self.lock()
            .rate
            .map(|r| r.floor().min(f64::from(u32::MAX)) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn sends_are_spaced_by_the_rate() {
        let limiter = RateLimiter::new(Some(10));
        let start = Instant::now();
        for _ in 0..11 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_halves_once_per_burst_pauses_and_recovers_to_the_ceiling() {
        let limiter = RateLimiter::new(Some(40));
        limiter.on_throttled(Some(Duration::from_secs(2)));
        limiter.on_throttled(Some(Duration::from_secs(2)));
        assert_eq!(limiter.current(), Some(20));
        // Successes within a second of the change do not raise it.
        limiter.on_success();
        assert_eq!(limiter.current(), Some(20));
        let start = Instant::now();
        limiter.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        limiter.on_success();
        assert_eq!(limiter.current(), Some(25));
        for _ in 0..5 {
            tokio::time::advance(ADJUST_EVERY).await;
            limiter.on_success();
        }
        assert_eq!(limiter.current(), Some(40));
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_halves_the_measured_rate_then_returns_to_unlimited() {
        let limiter = RateLimiter::new(None);
        for _ in 0..100 {
            limiter.acquire().await;
            tokio::time::advance(Duration::from_millis(20)).await;
        }
        // 50 per second measured.
        limiter.on_throttled(None);
        assert_eq!(limiter.current(), Some(25));
        for _ in 0..4 {
            tokio::time::advance(ADJUST_EVERY).await;
            limiter.on_success();
        }
        assert_eq!(limiter.current(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_never_falls_below_the_floor() {
        let limiter = RateLimiter::new(Some(3));
        for _ in 0..5 {
            limiter.on_throttled(None);
            tokio::time::advance(ADJUST_EVERY).await;
        }
        assert_eq!(limiter.current(), Some(1));
    }
}
