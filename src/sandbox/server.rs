//! [`Sandbox`] and its builder: start, base URLs, inspection, test hooks, shutdown.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use std::collections::HashMap;

use super::fault::{Fault, Route};
use super::ledger::LedgerEntry;
use super::log::{RequestRecord, WebhookDelivery};
use super::routes::Endpoint;
use super::simulator::Simulator;
use super::state::{Settings, Shared};
use super::{app, registry};
use crate::error::Error;
use crate::model::ProviderId;
use crate::money::{Currency, Money};

/// The default settle delay: long enough to see `pending`, short enough for examples.
pub const DEFAULT_SETTLE_AFTER: Duration = Duration::from_millis(300);
/// The default seed of the generator behind ids and tokens.
pub const DEFAULT_SEED: u64 = 0x5EED_D15B_0125;

/// Configures and starts a [`Sandbox`].
#[must_use]
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    bind: SocketAddr,
    settle_after: Duration,
    seed: u64,
    token_lifetimes: HashMap<ProviderId, Duration>,
    webhook_attempts: u32,
    webhook_backoff: Duration,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        SandboxBuilder {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            settle_after: DEFAULT_SETTLE_AFTER,
            seed: DEFAULT_SEED,
            token_lifetimes: HashMap::new(),
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

    /// How long `provider`'s access tokens live (each simulator has its documented default).
    pub(crate) fn token_lifetime(mut self, provider: ProviderId, lifetime: Duration) -> Self {
        self.token_lifetimes.insert(provider, lifetime);
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
            token_lifetimes: self.token_lifetimes,
            webhook_attempts: self.webhook_attempts,
            webhook_backoff: self.webhook_backoff,
            webhook_timeout: Duration::from_secs(5),
        };
        let opening = registry::SIMULATORS.iter().flat_map(|sim| {
            sim.opening_balances()
                .iter()
                .map(|&(currency, amount)| (sim.id(), currency, Decimal::from(amount)))
        });
        let shared = Arc::new(Shared::new(settings, opening, self.seed, http));
        let router = app::router(&shared, registry::SIMULATORS);
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

/// The running simulator of every provider in the [module docs](crate::sandbox). It stops when
/// dropped (or on [`shutdown`](Sandbox::shutdown)).
pub struct Sandbox {
    addr: SocketAddr,
    pub(super) shared: Arc<Shared>,
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

    /// The base URL of `provider`; `None` for a provider the sandbox does not simulate.
    pub fn base_url_for(&self, provider: ProviderId) -> Option<String> {
        simulated(provider).map(|sim| format!("{}{}", self.base_url(), sim.prefix()))
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().requests.iter().cloned().collect()
    }

    /// Every webhook delivered (or given up on) so far, oldest first.
    pub fn webhooks(&self) -> Vec<WebhookDelivery> {
        self.shared.lock().webhooks.iter().cloned().collect()
    }

    /// Every payout and refund `provider` accepted, oldest first.
    pub fn ledger(&self, provider: ProviderId) -> Vec<LedgerEntry> {
        self.shared
            .lock()
            .ledger
            .entries(provider)
            .cloned()
            .collect()
    }

    /// The payout or refund with the provider's id `id`.
    pub fn entry(&self, provider: ProviderId, id: &str) -> Option<LedgerEntry> {
        self.shared.lock().ledger.get(provider, id).cloned()
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
        simulated(provider)?;
        let amount = self.shared.lock().ledger.balance(provider, currency);
        Money::new(amount, currency).ok()
    }

    /// Sets the balance of `provider` in the amount's currency. Does nothing for a provider the
    /// sandbox does not simulate.
    pub fn set_balance(&self, provider: ProviderId, amount: Money) {
        if simulated(provider).is_some() {
            self.shared.lock().ledger.set_balance(provider, amount);
        }
    }

    /// The dashboard webhook endpoint of `provider`: where webhooks go when the request names no
    /// callback URL. Payonify has no per-request URL, so its webhooks only go here. `None`
    /// removes it.
    pub fn set_webhook_url(&self, provider: ProviderId, url: Option<&str>) {
        if simulated(provider).is_none() {
            return;
        }
        let mut inner = self.shared.lock();
        match url {
            Some(u) => inner.webhook_urls.insert(provider, u.to_owned()),
            None => inner.webhook_urls.remove(&provider),
        };
    }

    /// Makes the next `times` requests of `provider` that match `route` suffer `fault`.
    /// Injections fire in the order they were made. Does nothing for a provider the sandbox does
    /// not simulate.
    pub fn inject(&self, provider: ProviderId, route: Route, fault: Fault, times: u32) {
        if simulated(provider).is_some() {
            self.shared.lock().faults.add(provider, route, fault, times);
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
    simulated(provider)
        .map(|sim| sim.endpoints())
        .unwrap_or_default()
}

/// The simulator of `provider`; `None` for a provider the sandbox does not simulate.
fn simulated(provider: ProviderId) -> Option<&'static dyn Simulator> {
    registry::by_id(provider)
}
