//! What every simulated provider's ready-made config shares: loopback-sized timeouts and
//! retries. Each provider's `*_config()` and `*_client()` live in its folder's `hooks.rs`: the
//! same adapters a merchant uses in production, pointed at the simulator with its test
//! credentials.

use std::time::Duration;

use secrecy::SecretString;

use crate::http::{HttpConfig, RetryPolicy};

/// Timeouts and retries suited to a simulator on loopback: 10 s per attempt (a third of the
/// production default), long enough that a stalled CI machine does not turn a healthy answer
/// into a timeout, short enough that an injected hang fails a test quickly. A test of timeouts
/// sets its own with [`HttpConfig::with_timeout`].
pub fn sandbox_http_config() -> HttpConfig {
    HttpConfig::default()
        .with_connect_timeout(Duration::from_secs(10))
        .with_timeout(Duration::from_secs(10))
        .with_retry(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(20), Duration::from_millis(200))
                .with_max_retry_after(Duration::from_secs(2)),
        )
}

/// A sandbox credential as the configs take it.
pub(crate) fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}
