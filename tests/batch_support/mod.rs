//! Helpers for the batch tests: requests per provider, a provider wrapper that counts what is in
//! flight, a store wrapper that loses outcomes, and ledger checks.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use disburse::batch::BatchItem;
use disburse::sandbox::Sandbox;
use disburse::store::{
    Applied, Claim, ClaimedItem, DeferredItem, ItemRecord, ItemState, NewItem, PayoutStore,
    StatusChange, Store, WorkerId,
};
use disburse::{
    CallbackUrl, Capabilities, Currency, Destination, Error, Money, Msisdn, Payout, PayoutProvider,
    PayoutRequest, ProviderId, Reference, Refund, RefundRequest, WebhookEvent, WebhookRequest,
};
use futures_util::{Stream, StreamExt};

/// A sandbox whose payouts settle at once.
pub async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .settle_after(Duration::ZERO)
        .start()
        .await
        .expect("sandbox starts")
}

pub fn reference(text: &str) -> Reference {
    Reference::new(text).expect("valid reference")
}

/// A JPay payout of KES `amount` to a Kenyan wallet whose last four digits are `last4`.
pub fn jpay_request(reference_text: &str, amount: &str, last4: u32) -> PayoutRequest {
    PayoutRequest::new(
        reference(reference_text),
        Money::parse(amount, Currency::KES).expect("amount"),
        Destination::mobile(Msisdn::parse(&format!("+25471234{last4:04}")).expect("number")),
    )
    .with_narration("batch test")
    .with_callback_url(CallbackUrl::parse(NOWHERE).expect("loopback URL"))
}

/// A loopback callback URL nobody listens on (JPay requires one; the tests read the ledger).
pub const NOWHERE: &str = "http://127.0.0.1:9/callbacks";

/// A Payonify payout of USD `amount` to an EcoCash wallet whose last four digits are `last4`.
pub fn payonify_request(reference_text: &str, amount: &str, last4: u32) -> PayoutRequest {
    PayoutRequest::new(
        reference(reference_text),
        Money::parse(amount, Currency::USD).expect("amount"),
        Destination::mobile(Msisdn::parse(&format!("+26377123{last4:04}")).expect("number")),
    )
    .with_narration("batch test")
}

/// A Vesicash payout of ZMW `amount` to a Zambian wallet whose last four digits are `last4`.
pub fn vesicash_request(reference_text: &str, amount: &str, last4: u32) -> PayoutRequest {
    PayoutRequest::new(
        reference(reference_text),
        Money::parse(amount, Currency::ZMW).expect("amount"),
        Destination::mobile(Msisdn::parse(&format!("+26097712{last4:04}")).expect("number")),
    )
    // Vesicash has no reference field; its ledger (like a merchant's dashboard) finds the
    // reference in the narration.
    .with_narration(format!("payroll {reference_text}"))
}

/// `count` ordinary JPay payouts `prefix-0000…`, to numbers ending 6000 and up (never scripted).
pub fn jpay_batch(prefix: &str, count: u32) -> Vec<PayoutRequest> {
    (0..count)
        .map(|i| jpay_request(&format!("{prefix}-{i:04}"), "150.00", 6000 + i))
        .collect()
}

pub fn payonify_batch(prefix: &str, count: u32) -> Vec<PayoutRequest> {
    (0..count)
        .map(|i| payonify_request(&format!("{prefix}-{i:04}"), "5.00", 6000 + i))
        .collect()
}

pub fn vesicash_batch(prefix: &str, count: u32) -> Vec<PayoutRequest> {
    (0..count)
        .map(|i| vesicash_request(&format!("{prefix}-{i:04}"), "25.00", 6000 + i))
        .collect()
}

pub async fn collect(stream: impl Stream<Item = BatchItem>) -> Vec<BatchItem> {
    stream.collect().await
}

/// Results by reference text (each reference must appear once).
pub fn by_reference(items: Vec<BatchItem>) -> BTreeMap<String, BatchItem> {
    let mut map = BTreeMap::new();
    for item in items {
        let key = item.reference.to_string();
        assert!(map.insert(key.clone(), item).is_none(), "{key} twice");
    }
    map
}

/// How many results have each outcome word.
pub fn tally(items: &BTreeMap<String, BatchItem>) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for item in items.values() {
        *counts.entry(item.outcome.as_str()).or_insert(0) += 1;
    }
    counts
}

/// Asserts that every request's reference has exactly one payout in the ledger, and that the
/// ledger holds nothing else.
pub fn assert_paid_exactly_once(
    sandbox: &Sandbox,
    provider: ProviderId,
    requests: &[PayoutRequest],
) {
    for request in requests {
        let entries = sandbox.payouts_for_reference(provider, request.reference.as_str());
        assert_eq!(
            entries.len(),
            1,
            "{provider}: {} has {} payouts",
            request.reference,
            entries.len()
        );
        assert_eq!(entries[0].amount, request.amount, "{}", request.reference);
    }
    assert_eq!(
        sandbox.ledger(provider).len(),
        requests.len(),
        "{provider} ledger size"
    );
}

/// How many POSTs reached a provider path.
pub fn posts(sandbox: &Sandbox, path: &str) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .count()
}

/// A provider that passes every call through and counts creates, lookups and the most calls in
/// flight at once.
#[derive(Debug)]
pub struct Counting {
    inner: Arc<dyn PayoutProvider>,
    in_flight: AtomicUsize,
    /// The references whose create call has not returned.
    creating: std::sync::Mutex<std::collections::BTreeSet<Reference>>,
    pub max_in_flight: AtomicUsize,
    pub creates: AtomicU64,
    pub finds: AtomicU64,
}

impl Counting {
    pub fn new(inner: Arc<dyn PayoutProvider>) -> Arc<Counting> {
        Arc::new(Counting {
            inner,
            in_flight: AtomicUsize::new(0),
            creating: std::sync::Mutex::default(),
            max_in_flight: AtomicUsize::new(0),
            creates: AtomicU64::new(0),
            finds: AtomicU64::new(0),
        })
    }

    /// Calls in flight now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// The references whose create call has not returned yet.
    pub fn creating(&self) -> Vec<Reference> {
        self.creating
            .lock()
            .expect("lock")
            .iter()
            .cloned()
            .collect()
    }

    fn enter(&self) -> Leave<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Leave(&self.in_flight)
    }
}

struct Leave<'a>(&'a AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl PayoutProvider for Counting {
    fn id(&self) -> ProviderId {
        self.inner.id()
    }
    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }
    async fn create_payout(&self, request: &PayoutRequest) -> Result<Payout, Error> {
        let _leave = self.enter();
        self.creates.fetch_add(1, Ordering::SeqCst);
        self.creating
            .lock()
            .expect("lock")
            .insert(request.reference.clone());
        let answer = self.inner.create_payout(request).await;
        self.creating
            .lock()
            .expect("lock")
            .remove(&request.reference);
        answer
    }
    async fn get_payout(&self, id: &str) -> Result<Payout, Error> {
        self.inner.get_payout(id).await
    }
    async fn find_payout(&self, reference: &Reference) -> Result<Option<Payout>, Error> {
        let _leave = self.enter();
        self.finds.fetch_add(1, Ordering::SeqCst);
        self.inner.find_payout(reference).await
    }
    async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, Error> {
        self.inner.create_refund(request).await
    }
    fn parse_webhook(&self, delivery: &WebhookRequest<'_>) -> Result<WebhookEvent, Error> {
        self.inner.parse_webhook(delivery)
    }
}

/// A store that records everything in `inner` but refuses every outcome: a process that dies
/// after the provider answered and before the outcome reached the database.
pub struct LosesOutcomes(pub Arc<dyn PayoutStore>);

impl fmt::Debug for LosesOutcomes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LosesOutcomes").field(&self.0).finish()
    }
}

#[async_trait]
impl PayoutStore for LosesOutcomes {
    fn lease(&self) -> Duration {
        self.0.lease()
    }
    async fn register_worker(&self, worker: &WorkerId) -> Result<(), Error> {
        self.0.register_worker(worker).await
    }
    async fn heartbeat(&self, worker: &WorkerId) -> Result<(), Error> {
        self.0.heartbeat(worker).await
    }
    async fn retire_worker(&self, worker: &WorkerId) -> Result<(), Error> {
        self.0.retire_worker(worker).await
    }
    async fn claim(&self, worker: &WorkerId, item: NewItem<'_>) -> Result<Claim, Error> {
        self.0.claim(worker, item).await
    }
    async fn claim_abandoned(
        &self,
        worker: &WorkerId,
        batch: &str,
        provider: ProviderId,
        limit: u32,
    ) -> Result<Vec<ClaimedItem>, Error> {
        self.0.claim_abandoned(worker, batch, provider, limit).await
    }
    async fn take_deferred(
        &self,
        worker: &WorkerId,
        batch: &str,
        provider: ProviderId,
        limit: u32,
    ) -> Result<Vec<DeferredItem>, Error> {
        self.0.take_deferred(worker, batch, provider, limit).await
    }
    async fn held_elsewhere(
        &self,
        worker: &WorkerId,
        batch: &str,
        provider: ProviderId,
    ) -> Result<u64, Error> {
        // The items this run lost the outcome of look held by it to itself only; to the store
        // they are in flight under this worker. Nothing else runs the batch.
        self.0.held_elsewhere(worker, batch, provider).await
    }
    async fn record_intent(
        &self,
        worker: &WorkerId,
        provider: ProviderId,
        reference: &Reference,
    ) -> Result<(), Error> {
        self.0.record_intent(worker, provider, reference).await
    }
    async fn record_outcome(
        &self,
        _: &WorkerId,
        _: ProviderId,
        _: &Reference,
        _: &ItemRecord,
    ) -> Result<(), Error> {
        Err(Error::store("disk gone (test)"))
    }
    async fn record_status(&self, change: &StatusChange) -> Result<Applied, Error> {
        self.0.record_status(change).await
    }
}

/// A fresh SQLite store in memory.
pub async fn memory_store() -> Arc<Store> {
    Arc::new(Store::sqlite_in_memory().await.expect("memory store"))
}

/// The stored state of `reference` at `provider`.
pub async fn state_of(store: &Store, provider: ProviderId, reference: &str) -> Option<ItemState> {
    store
        .item(provider, &Reference::new(reference).expect("reference"))
        .await
        .expect("read the store")
        .map(|i| i.record.state)
}

/// A JPay client for a sandbox served by another process (the parent of a killed child).
pub fn jpay_client_for(base_url: &str) -> disburse::providers::jpay::JpayClient {
    use disburse::config::Environment;
    use disburse::providers::jpay::{JpayClient, JpayConfig};
    use disburse::sandbox::{JPAY_CREDENTIALS, sandbox_http_config};
    use secrecy::SecretString;
    let secret = |s: &str| SecretString::from(s.to_owned());
    let config = JpayConfig::new(
        secret(JPAY_CREDENTIALS.app_key),
        secret(JPAY_CREDENTIALS.app_secret),
        secret(JPAY_CREDENTIALS.callback_secret),
    )
    .with_environment(Environment::Custom(base_url.to_owned()))
    .with_http(sandbox_http_config());
    JpayClient::new(config).expect("client")
}
