//! The provider a command talks to: the real one from the environment, or the embedded sandbox.

use std::sync::Arc;
use std::time::Duration;

use disburse::providers::jpay::{JpayClient, JpayConfig};
use disburse::providers::payonify::{PayonifyClient, PayonifyConfig};
use disburse::providers::vesicash::{VesicashClient, VesicashConfig};
use disburse::sandbox::Sandbox;
use disburse::{Error, PayoutProvider};

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
        };
        Ok(Target {
            provider,
            sandbox: Some(sandbox),
        })
    }

    /// A default callback URL in sandbox mode, so JPay rows need none.
    pub fn default_callback(&self) -> Option<String> {
        self.sandbox
            .as_ref()
            .map(|s| format!("http://{}/disburse-cli/callback", s.addr()))
    }
}
