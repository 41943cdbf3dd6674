//! The state every handler shares: settings, the simulators, the ledger, logs, faults, and each
//! simulator's own state (tokens, idempotency keys…), kept by type.

use std::any::{Any, TypeId};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::task::JoinSet;

use super::fault::FaultTable;
use super::ledger::Ledger;
use super::log::{RequestRecord, WebhookDelivery};
use rust_decimal::Decimal;

use crate::model::ProviderId;
use crate::money::Currency;

/// The most records each log keeps; older ones are dropped (the binary may run for days).
const LOG_CAP: usize = 10_000;

/// How the sandbox was configured.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) settle_after: Duration,
    /// Access-token lifetimes set on the builder, per provider (each simulator has its default).
    pub(crate) token_lifetimes: HashMap<ProviderId, Duration>,
    pub(crate) webhook_attempts: u32,
    pub(crate) webhook_backoff: Duration,
    pub(crate) webhook_timeout: Duration,
}

impl Settings {
    /// The access-token lifetime set for `provider`, else `default`.
    pub(crate) fn token_lifetime(&self, provider: ProviderId, default: Duration) -> Duration {
        self.token_lifetimes
            .get(&provider)
            .copied()
            .unwrap_or(default)
    }
}

/// Each simulator's own state, one value per type, made on first use.
#[derive(Default)]
pub(crate) struct OwnState(HashMap<TypeId, Box<dyn Any + Send>>);

impl fmt::Debug for OwnState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnState")
            .field("values", &self.0.len())
            .finish()
    }
}

/// Everything mutable, behind one lock that is never held across an `.await`.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) rng: fastrand::Rng,
    pub(crate) ledger: Ledger,
    pub(crate) requests: VecDeque<RequestRecord>,
    pub(crate) webhooks: VecDeque<WebhookDelivery>,
    pub(crate) faults: FaultTable,
    pub(crate) webhook_urls: HashMap<ProviderId, String>,
    own: OwnState,
}

impl Inner {
    /// A simulator's own state of type `T` (its token store, its idempotency keys…).
    pub(crate) fn own<T: Default + Send + 'static>(&mut self) -> &mut T {
        self.own
            .0
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(T::default()))
            .downcast_mut()
            .expect("the value under a type's id is of that type")
    }

    /// Forgets every simulator's own state (tokens, idempotency keys, refusals…), as after a
    /// restart.
    pub(crate) fn reset_own(&mut self) {
        self.own = OwnState::default();
    }

    /// `len` characters from `alphabet`, from the seeded generator.
    pub(crate) fn random_from(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| char::from(alphabet[self.rng.usize(..alphabet.len())]))
            .collect()
    }

    /// `len` upper-case letters and digits.
    pub(crate) fn random_upper(&mut self, len: usize) -> String {
        self.random_from(b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", len)
    }

    /// `len` letters and digits of both cases.
    pub(crate) fn random_alnum(&mut self, len: usize) -> String {
        self.random_from(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            len,
        )
    }

    /// `len` lower-case hex digits.
    pub(crate) fn random_hex(&mut self, len: usize) -> String {
        self.random_from(b"0123456789abcdef", len)
    }

    pub(crate) fn log_request(&mut self, record: RequestRecord) {
        push_capped(&mut self.requests, record);
    }

    pub(crate) fn log_webhook(&mut self, delivery: WebhookDelivery) {
        push_capped(&mut self.webhooks, delivery);
    }
}

/// Appends, dropping the oldest record once the log is full (at its front: no record moves).
fn push_capped<T>(log: &mut VecDeque<T>, item: T) {
    if log.len() >= LOG_CAP {
        log.pop_front();
    }
    log.push_back(item);
}

/// The shared state.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) settings: Settings,
    inner: Mutex<Inner>,
    tasks: Mutex<JoinSet<()>>,
    pub(crate) http: reqwest::Client,
}

impl Shared {
    pub(crate) fn new(
        settings: Settings,
        opening: impl IntoIterator<Item = (ProviderId, Currency, Decimal)>,
        seed: u64,
        http: reqwest::Client,
    ) -> Shared {
        Shared {
            settings,
            inner: Mutex::new(Inner {
                rng: fastrand::Rng::with_seed(seed),
                ledger: Ledger::new(opening),
                requests: VecDeque::new(),
                webhooks: VecDeque::new(),
                faults: FaultTable::default(),
                webhook_urls: HashMap::new(),
                own: OwnState::default(),
            }),
            tasks: Mutex::new(JoinSet::new()),
            http,
        }
    }

    /// The state. A panic while the lock was held cannot leave it half-updated in a way that
    /// matters to a simulator, so a poisoned lock is simply taken over.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs a background job (settlement, webhook delivery) that ends when the sandbox does.
    pub(crate) fn spawn(&self, job: impl Future<Output = ()> + Send + 'static) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        while tasks.try_join_next().is_some() {}
        tasks.spawn(job);
    }

    /// Stops every background job.
    pub(crate) fn abort_tasks(&self) {
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .abort_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_log_drops_its_oldest_record_and_keeps_the_order() {
        let mut log = VecDeque::new();
        for i in 0..LOG_CAP + 3 {
            push_capped(&mut log, i);
        }
        assert_eq!(log.len(), LOG_CAP);
        assert_eq!(log.front(), Some(&3));
        assert_eq!(log.back(), Some(&(LOG_CAP + 2)));
        assert!(log.iter().zip(log.iter().skip(1)).all(|(a, b)| a + 1 == *b));
    }
}
