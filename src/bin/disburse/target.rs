//! The providers a command talks to: the real ones from the environment, or the embedded
//! sandbox (feature `sandbox`).

use std::collections::BTreeMap;
use std::sync::Arc;

use disburse::providers::jpay::{JpayClient, JpayConfig};
use disburse::providers::mpesa_daraja::{DarajaClient, DarajaConfig};
use disburse::providers::mtn_momo::{MtnMomoClient, MtnMomoConfig};
use disburse::providers::payonify::{PayonifyClient, PayonifyConfig};
use disburse::providers::vesicash::{VesicashClient, VesicashConfig};
use disburse::{CallbackUrlSupport, Error, PayoutProvider};

use crate::args::{ProviderName, TargetArgs};

/// The embedded simulator, when the binary has it.
#[cfg(feature = "sandbox")]
pub type Sandbox = disburse::sandbox::Sandbox;
/// The embedded simulator is not compiled in (feature `sandbox` off).
#[cfg(not(feature = "sandbox"))]
pub enum Sandbox {}

/// Connected providers; holds the sandbox (if any) for as long as the command runs.
pub struct Targets {
    providers: BTreeMap<ProviderName, Arc<dyn PayoutProvider>>,
    pub sandbox: Option<Sandbox>,
}

/// One connected provider (single-payout commands).
pub struct Target {
    pub provider: Arc<dyn PayoutProvider>,
    targets: Targets,
}

impl Target {
    pub async fn connect(args: &TargetArgs) -> Result<Target, Error> {
        let targets = Targets::connect(&[args.provider], args.sandbox).await?;
        Ok(Target {
            provider: targets.get(args.provider)?,
            targets,
        })
    }

    /// A callback URL for payouts without one (see [`Targets::default_callback`]).
    pub fn default_callback(&self) -> Option<String> {
        self.targets.default_callback(&self.provider)
    }
}

impl Targets {
    /// Connects every provider of `names`: from their environment variables, or to one embedded
    /// sandbox.
    pub async fn connect(names: &[ProviderName], sandbox: bool) -> Result<Targets, Error> {
        let mut targets = Targets {
            providers: BTreeMap::new(),
            sandbox: if sandbox {
                Some(start_sandbox().await?)
            } else {
                None
            },
        };
        for &name in names {
            let provider = match &targets.sandbox {
                None => from_env(name)?,
                #[cfg(feature = "sandbox")]
                Some(sandbox) => sandbox_client(sandbox, name).await?,
                #[cfg(not(feature = "sandbox"))]
                Some(never) => match *never {},
            };
            targets.providers.insert(name, provider);
        }
        Ok(targets)
    }

    /// The connected provider `name`.
    pub fn get(&self, name: ProviderName) -> Result<Arc<dyn PayoutProvider>, Error> {
        self.providers
            .get(&name)
            .cloned()
            .ok_or_else(|| Error::config(format!("provider {} is not connected", name.id())))
    }

    /// The connected provider whose id is `id` (`"jpay"`).
    pub fn by_id(&self, id: &str) -> Option<Arc<dyn PayoutProvider>> {
        self.providers
            .values()
            .find(|p| p.id().as_str() == id)
            .cloned()
    }

    /// In sandbox mode, a callback URL for rows without one, for a provider that requires one
    /// per payout (the others take webhook endpoints from their dashboards or configuration).
    pub fn default_callback(&self, provider: &Arc<dyn PayoutProvider>) -> Option<String> {
        #[cfg(feature = "sandbox")]
        {
            let sandbox = self.sandbox.as_ref()?;
            (provider.capabilities().callback_url == CallbackUrlSupport::Required)
                .then(|| format!("http://{}/disburse-cli/callback", sandbox.addr()))
        }
        #[cfg(not(feature = "sandbox"))]
        {
            let _ = (provider, CallbackUrlSupport::Required);
            None
        }
    }
}

/// The provider `name`, configured from its environment variables.
fn from_env(name: ProviderName) -> Result<Arc<dyn PayoutProvider>, Error> {
    Ok(match name {
        ProviderName::Vesicash => Arc::new(VesicashClient::new(VesicashConfig::from_env()?)?),
        ProviderName::Jpay => Arc::new(JpayClient::new(JpayConfig::from_env()?)?),
        ProviderName::Payonify => Arc::new(PayonifyClient::new(PayonifyConfig::from_env()?)?),
        ProviderName::MtnMomo => Arc::new(MtnMomoClient::new(MtnMomoConfig::from_env()?)?),
        ProviderName::MpesaDaraja => Arc::new(DarajaClient::new(DarajaConfig::from_env()?)?),
    })
}

#[cfg(feature = "sandbox")]
async fn start_sandbox() -> Result<Sandbox, Error> {
    // Payouts settle at once, and one webhook attempt is enough: nobody listens.
    Sandbox::builder()
        .settle_after(std::time::Duration::ZERO)
        .webhook_retries(1, std::time::Duration::from_millis(10))
        .start()
        .await
}

#[cfg(not(feature = "sandbox"))]
async fn start_sandbox() -> Result<Sandbox, Error> {
    Err(Error::config(
        "--sandbox needs a disburse built with the `sandbox` feature \
         (cargo install disburse --features cli,sandbox); or start `disburse-sandbox` and source \
         the variables it prints",
    ))
}

/// The balance set in every currency of the sandbox's providers.
#[cfg(feature = "sandbox")]
const SANDBOX_FLOAT: i64 = 1_000_000_000;

#[cfg(feature = "sandbox")]
async fn sandbox_client(
    sandbox: &Sandbox,
    name: ProviderName,
) -> Result<Arc<dyn PayoutProvider>, Error> {
    let provider: Arc<dyn PayoutProvider> = match name {
        ProviderName::Vesicash => Arc::new(sandbox.vesicash_client()?),
        ProviderName::Jpay => Arc::new(sandbox.jpay_client()?),
        ProviderName::Payonify => Arc::new(sandbox.payonify_client()?),
        ProviderName::MtnMomo => Arc::new(sandbox.mtn_momo_client()?),
        ProviderName::MpesaDaraja => {
            // Results arrive only by callback: a receiver hands them to this same client.
            let receiver = crate::callback_receiver::CallbackReceiver::bind().await?;
            let url = disburse::CallbackUrl::parse(&receiver.url(name.id().as_str()))?;
            let client: Arc<dyn PayoutProvider> = Arc::new(DarajaClient::new(
                sandbox.mpesa_daraja_config(url.clone(), url),
            )?);
            receiver.serve(client.clone());
            client
        }
    };
    // Enough float for any batch: the sandbox's opening balances suit tests, not payrolls.
    for &currency in &provider.capabilities().currencies {
        if let Ok(float) =
            disburse::Money::new(rust_decimal::Decimal::from(SANDBOX_FLOAT), currency)
        {
            sandbox.set_balance(provider.id(), float);
        }
    }
    Ok(provider)
}
