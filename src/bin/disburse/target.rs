//! The provider a command talks to: the real one from the environment, or the embedded sandbox.

use std::sync::Arc;
use std::time::Duration;

use disburse::providers::jpay::{JpayClient, JpayConfig};
use disburse::providers::mtn_momo::{MtnMomoClient, MtnMomoConfig};
use disburse::providers::payonify::{PayonifyClient, PayonifyConfig};
use disburse::providers::vesicash::{VesicashClient, VesicashConfig};
use disburse::sandbox::Sandbox;
use disburse::{CallbackUrlSupport, Error, Money, PayoutProvider};
use rust_decimal::Decimal;

/// The balance set in every currency of the sandbox's provider.
const SANDBOX_FLOAT: i64 = 1_000_000_000;

use crate::args::{ProviderName, TargetArgs};

/// A connected provider; holds the sandbox (if any) for as long as the command runs.
pub struct Target {
    pub provider: Arc<dyn PayoutProvider>,
    pub sandbox: Option<Sandbox>,
}

impl Target {
    pub async fn connect(args: &TargetArgs) -> Result<Target, Error> {
        if !args.sandbox {
            let provider: Arc<dyn PayoutProvider> = match args.provider {
                ProviderName::Vesicash => {
                    Arc::new(VesicashClient::new(VesicashConfig::from_env()?)?)
                }
                ProviderName::Jpay => Arc::new(JpayClient::new(JpayConfig::from_env()?)?),
                ProviderName::Payonify => {
                    Arc::new(PayonifyClient::new(PayonifyConfig::from_env()?)?)
                }
                ProviderName::MtnMomo => Arc::new(MtnMomoClient::new(MtnMomoConfig::from_env()?)?),
            };
            return Ok(Target {
                provider,
                sandbox: None,
            });
        }
        // Payouts settle at once, and one webhook attempt is enough: nobody listens.
        let sandbox = Sandbox::builder()
            .settle_after(Duration::ZERO)
            .webhook_retries(1, Duration::from_millis(10))
            .start()
            .await?;
        let provider: Arc<dyn PayoutProvider> = match args.provider {
            ProviderName::Vesicash => Arc::new(sandbox.vesicash_client()?),
            ProviderName::Jpay => Arc::new(sandbox.jpay_client()?),
            ProviderName::Payonify => Arc::new(sandbox.payonify_client()?),
            ProviderName::MtnMomo => Arc::new(sandbox.mtn_momo_client()?),
        };
        // Enough float for any batch: the sandbox's opening balances suit tests, not payrolls.
        for &currency in &provider.capabilities().currencies {
            if let Ok(float) = Money::new(Decimal::from(SANDBOX_FLOAT), currency) {
                sandbox.set_balance(provider.id(), float);
            }
        }
        Ok(Target {
            provider,
            sandbox: Some(sandbox),
        })
    }

    /// In sandbox mode, a callback URL for rows without one, for a provider that requires one
    /// per payout (the others take webhook endpoints from their dashboards or configuration).
    pub fn default_callback(&self) -> Option<String> {
        let sandbox = self.sandbox.as_ref()?;
        (self.provider.capabilities().callback_url == CallbackUrlSupport::Required)
            .then(|| format!("http://{}/disburse-cli/callback", sandbox.addr()))
    }
}
