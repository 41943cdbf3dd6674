//! [`Sandbox`] and its builder: start, base URLs, inspection, test hooks, shutdown.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::app;
use super::fault::{Fault, Route};
use super::jpay::refusal::JpayRefusal;
use super::kind::ProviderKind;
use super::ledger::{LedgerEntry, Payment};
use super::log::{RequestRecord, WebhookDelivery};
use super::routes::Endpoint;
use super::state::{Settings, Shared};
use super::{jpay, mtn_momo, payonify, vesicash};
use crate::error::Error;
use crate::model::ProviderId;
use crate::money::{Currency, Money};

/// The default settle delay: long enough to see `pending`, short enough for examples.
pub const DEFAULT_SETTLE_AFTER: Duration = Duration::from_millis(300);
/// The default JPay access-token lifetime, as documented.
pub const DEFAULT_JPAY_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The JPay refresh-token lifetime, as documented.
pub const JPAY_REFRESH_LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// The default MTN MoMo access-token lifetime, as documented (`expires_in` 3600).
pub const DEFAULT_MTN_MOMO_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// The default seed of the generator behind ids and tokens.
pub const DEFAULT_SEED: u64 = 0x5EED_D15B_0125;

/// Configures and starts a [`Sandbox`].
#[must_use]
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    bind: SocketAddr,
    settle_after: Duration,
    seed: u64,
    jpay_token_lifetime: Duration,
    mtn_momo_token_lifetime: Duration,
    webhook_attempts: u32,
    webhook_backoff: Duration,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        SandboxBuilder {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            settle_after: DEFAULT_SETTLE_AFTER,
            seed: DEFAULT_SEED,
            jpay_token_lifetime: DEFAULT_JPAY_TOKEN_LIFETIME,
            mtn_momo_token_lifetime: DEFAULT_MTN_MOMO_TOKEN_LIFETIME,
            webhook_attempts: 4,
            webhook_backoff: Duration::from_millis(50),
        }
    }
}

impl SandboxBuilder {
    /// How long a payout stays pending before it settles (default 300 ms; zero in tests).
    pub fn settle_after(mut self, delay: Duration) -> Self {
        self.settle_after = delay;
        self
    }

    /// The seed of the generator behind every id and token (a fixed default otherwise), so two
    /// runs with the same seed and the same requests give the same ids.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How long a JPay access token lives (default 15 minutes).
    pub fn jpay_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.jpay_token_lifetime = lifetime;
        self
    }

    /// How long an MTN MoMo access token lives (default an hour; whole seconds are reported in
    /// `expires_in`).
    pub fn mtn_momo_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.mtn_momo_token_lifetime = lifetime;
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// How many times a webhook is attempted (default 4) and the first pause between attempts
    /// (default 50 ms, doubling).
    pub fn webhook_retries(mut self, attempts: u32, first_backoff: Duration) -> Self {
        self.webhook_attempts = attempts.max(1);
        self.webhook_backoff = first_backoff;
        self
    }

    /// Binds and starts serving in the background of the current Tokio runtime.
    pub async fn start(self) -> Result<Sandbox, Error> {
        let listener = tokio::net::TcpListener::bind(self.bind)
            .await
            .map_err(|e| Error::Config {
                message: format!("the sandbox could not listen on {}", self.bind),
                source: Some(Box::new(e)),
            })?;
        let addr = listener.local_addr().map_err(|e| Error::Config {
            message: "the sandbox could not read its own address".to_owned(),
            source: Some(Box::new(e)),
        })?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .user_agent(concat!("disburse-sandbox/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config {
                message: "the sandbox could not build its webhook client".to_owned(),
                source: Some(Box::new(e)),
            })?;
        let settings = Settings {
            settle_after: self.settle_after,
            jpay_token_lifetime: self.jpay_token_lifetime,
            jpay_refresh_lifetime: JPAY_REFRESH_LIFETIME,
            mtn_momo_token_lifetime: self.mtn_momo_token_lifetime,
            webhook_attempts: self.webhook_attempts,
            webhook_backoff: self.webhook_backoff,
            webhook_timeout: Duration::from_secs(5),
        };
        let shared = Arc::new(Shared::new(settings, self.seed, http));
        let router = app::router(&shared);
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "sandbox server stopped");
            }
        });
        Ok(Sandbox {
            addr,
            shared,
            stop: Some(stop),
            server: Some(server),
            state: std::sync::Mutex::new(None),
        })
    }
}

/// The running simulator of Vesicash, JPay, Payonify and MTN MoMo. It stops when dropped (or on
/// [`shutdown`](Sandbox::shutdown)).
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    /// The state file kept by [`Sandbox::keep_state`], if any.
    pub(super) state: std::sync::Mutex<Option<Arc<super::persist::StateKeeper>>>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.shared.abort_tasks();
    }
}

impl Sandbox {
    /// Starts a sandbox on a free loopback port with the defaults.
    pub async fn start() -> Result<Sandbox, Error> {
        SandboxBuilder::default().start().await
    }

    /// A builder for the settings.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The state every handler shares, for the sandbox's other modules.
    pub(super) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The address the sandbox listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (the loopback address when bound to all interfaces).
    pub fn base_url(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    /// Vesicash's base URL, `http://127.0.0.1:PORT/vesicash` (paths `/v1/…`).
    pub fn base_url_vesicash(&self) -> String {
        self.base_url_of(ProviderKind::Vesicash)
    }

    /// JPay's base URL, `http://127.0.0.1:PORT/jpay/api/v1` (paths `/auth/…`, `/payments/…`).
    pub fn base_url_jpay(&self) -> String {
        self.base_url_of(ProviderKind::Jpay)
    }

    /// Payonify's base URL, `http://127.0.0.1:PORT/payonify` (paths `/v1/…`).
    pub fn base_url_payonify(&self) -> String {
        self.base_url_of(ProviderKind::Payonify)
    }

    /// MTN MoMo's base URL, `http://127.0.0.1:PORT/mtn_momo` (paths `/disbursement/…`).
    pub fn base_url_mtn_momo(&self) -> String {
        self.base_url_of(ProviderKind::MtnMomo)
    }

    /// The base URL of `provider`; `None` for a provider the sandbox does not simulate.
    pub fn base_url_for(&self, provider: ProviderId) -> Option<String> {
        ProviderKind::from_id(provider).map(|k| self.base_url_of(k))
    }

    fn base_url_of(&self, kind: ProviderKind) -> String {
        format!("{}{}", self.base_url(), kind.prefix())
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().requests.clone()
    }

    /// Every webhook delivered (or given up on) so far, oldest first.
    pub fn webhooks(&self) -> Vec<WebhookDelivery> {
        self.shared.lock().webhooks.clone()
    }

    /// Every payout and refund `provider` accepted, oldest first.
    pub fn ledger(&self, provider: ProviderId) -> Vec<LedgerEntry> {
        let Some(kind) = ProviderKind::from_id(provider) else {
            return Vec::new();
        };
        self.shared.lock().ledger.entries(kind).cloned().collect()
    }

    /// The payout or refund with the provider's id `id`.
    pub fn entry(&self, provider: ProviderId, id: &str) -> Option<LedgerEntry> {
        let kind = ProviderKind::from_id(provider)?;
        self.shared.lock().ledger.get(kind, id).cloned()
    }

    /// The payouts and refunds a merchant reference names (see
    /// [`LedgerEntry::matches_reference`]): more than one means it was paid twice.
    pub fn payouts_for_reference(&self, provider: ProviderId, reference: &str) -> Vec<LedgerEntry> {
        self.ledger(provider)
            .into_iter()
            .filter(|e| e.matches_reference(reference))
            .collect()
    }

    /// The balance of `provider` in `currency` (JPay: the payout wallet, KES).
    pub fn balance(&self, provider: ProviderId, currency: Currency) -> Option<Money> {
        let kind = ProviderKind::from_id(provider)?;
        let amount = self.shared.lock().ledger.balance(kind, currency);
        Money::new(amount, currency).ok()
    }

    /// Sets the balance of `provider` in the amount's currency. Does nothing for a provider the
    /// sandbox does not simulate.
    pub fn set_balance(&self, provider: ProviderId, amount: Money) {
        if let Some(kind) = ProviderKind::from_id(provider) {
            self.shared.lock().ledger.set_balance(kind, amount);
        }
    }

    /// Records a successful Vesicash payment of `amount` (credited to the balance) and returns
    /// its reference, for refund tests.
    pub fn vesicash_create_payment(&self, amount: Money) -> String {
        let mut inner = self.shared.lock();
        let reference = format!("PAY_{}", inner.random_upper(16));
        inner.ledger.add_payment(Payment {
            reference: reference.clone(),
            amount,
        });
        inner.ledger.credit(ProviderKind::Vesicash, &amount);
        reference
    }

    /// How much of a Vesicash payment is refunded or being refunded.
    pub fn vesicash_refunded(&self, payment_reference: &str) -> Decimal {
        self.shared
            .lock()
            .ledger
            .refunded(ProviderKind::Vesicash, payment_reference)
    }

    /// Makes every JPay access token issued so far invalid (the next call gets 401 "Invalid or
    /// expired token"); refresh tokens keep working.
    pub fn expire_jpay_tokens(&self) {
        self.shared.lock().jpay_tokens.expire_access();
    }

    /// Makes every MTN MoMo access token issued so far invalid (the next call gets 401).
    pub fn expire_mtn_momo_tokens(&self) {
        self.shared.lock().mtn_momo_tokens.expire();
    }

    /// Records a successful MTN MoMo Collection request-to-pay of `amount` and returns its
    /// reference id (a UUID), the `referenceIdToRefund` of refund tests.
    pub fn mtn_momo_create_payment(&self, amount: Money) -> String {
        let mut inner = self.shared.lock();
        let hex = inner.random_hex(32);
        let reference = format!(
            "{}-{}-4{}-a{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..32]
        );
        inner.ledger.add_payment(Payment {
            reference: reference.clone(),
            amount,
        });
        reference
    }

    /// Makes every JPay refresh token issued so far invalid, so only a new app token helps.
    pub fn expire_jpay_refresh_tokens(&self) {
        self.shared.lock().jpay_tokens.expire_refresh();
    }

    /// Makes JPay refuse every payout with the documented 403 for `refusal` (the account's
    /// state, not the request's fault); `None` lifts it.
    pub fn jpay_refuse(&self, refusal: Option<JpayRefusal>) {
        self.shared.lock().jpay_refusal = refusal;
    }

    /// The dashboard webhook endpoint of `provider`: where webhooks go when the request names no
    /// callback URL. Payonify has no per-request URL, so its webhooks only go here. `None`
    /// removes it.
    pub fn set_webhook_url(&self, provider: ProviderId, url: Option<&str>) {
        let Some(kind) = ProviderKind::from_id(provider) else {
            return;
        };
        let mut inner = self.shared.lock();
        match url {
            Some(u) => inner.webhook_urls.insert(kind, u.to_owned()),
            None => inner.webhook_urls.remove(&kind),
        };
    }

    /// Makes the next `times` requests of `provider` that match `route` suffer `fault`.
    /// Injections fire in the order they were made. Does nothing for a provider the sandbox does
    /// not simulate.
    pub fn inject(&self, provider: ProviderId, route: Route, fault: Fault, times: u32) {
        if let Some(kind) = ProviderKind::from_id(provider) {
            self.shared.lock().faults.add(kind, route, fault, times);
        }
    }

    /// Forgets every fault not fired yet.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Stops accepting connections, lets requests in flight finish (up to 2 seconds) and stops
    /// settlement and webhook delivery.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.shared.abort_tasks();
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

/// The endpoints the sandbox serves for `provider`, relative to its base URL (empty for a
/// provider it does not simulate).
pub fn routes(provider: ProviderId) -> Vec<Endpoint> {
    match ProviderKind::from_id(provider) {
        Some(ProviderKind::Vesicash) => vesicash::ROUTES.iter().map(|(e, _)| *e).collect(),
        Some(ProviderKind::Jpay) => jpay::ROUTES.iter().map(|(e, _)| *e).collect(),
        Some(ProviderKind::Payonify) => payonify::ROUTES.iter().map(|(e, _)| *e).collect(),
        Some(ProviderKind::MtnMomo) => mtn_momo::ROUTES.iter().map(|(e, _)| *e).collect(),
        None => Vec::new(),
    }
}
