//! The state every handler shares: settings, the ledger, logs, faults, tokens, idempotency.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::task::JoinSet;

use super::fault::FaultTable;
use super::jpay::refusal::JpayRefusal;
use super::jpay::token::TokenStore;
use super::kind::ProviderKind;
use super::ledger::Ledger;
use super::log::{RequestRecord, WebhookDelivery};
use super::mtn_momo::auth::TokenStore as MtnTokenStore;
use super::payonify::idempotency::IdempotencyStore;

/// The most records each log keeps; older ones are dropped (the binary may run for days).
const LOG_CAP: usize = 10_000;

/// How the sandbox was configured.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) settle_after: Duration,
    pub(crate) jpay_token_lifetime: Duration,
    pub(crate) jpay_refresh_lifetime: Duration,
    pub(crate) mtn_momo_token_lifetime: Duration,
    pub(crate) webhook_attempts: u32,
    pub(crate) webhook_backoff: Duration,
    pub(crate) webhook_timeout: Duration,
}

/// Everything mutable, behind one lock that is never held across an `.await`.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) rng: fastrand::Rng,
    pub(crate) ledger: Ledger,
    pub(crate) requests: Vec<RequestRecord>,
    pub(crate) webhooks: Vec<WebhookDelivery>,
    pub(crate) faults: FaultTable,
    pub(crate) jpay_tokens: TokenStore,
    pub(crate) jpay_refusal: Option<JpayRefusal>,
    pub(crate) mtn_momo_tokens: MtnTokenStore,
    pub(crate) idempotency: IdempotencyStore,
    pub(crate) webhook_urls: HashMap<ProviderKind, String>,
}

impl Inner {
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

fn push_capped<T>(log: &mut Vec<T>, item: T) {
    if log.len() >= LOG_CAP {
        log.remove(0);
    }
    log.push(item);
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
    pub(crate) fn new(settings: Settings, seed: u64, http: reqwest::Client) -> Shared {
        Shared {
            settings,
            inner: Mutex::new(Inner {
                rng: fastrand::Rng::with_seed(seed),
                ledger: Ledger::new(),
                requests: Vec::new(),
                webhooks: Vec::new(),
                faults: FaultTable::default(),
                jpay_tokens: TokenStore::default(),
                jpay_refusal: None,
                mtn_momo_tokens: MtnTokenStore::default(),
                idempotency: IdempotencyStore::default(),
                webhook_urls: HashMap::new(),
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
