//! The SDK arm: a real adapter client pointed at the local server, one `create_payout` per
//! payout, the request built from the same inputs the raw arm formats by hand.

use std::sync::Arc;

use disburse::providers::jpay::{JpayClient, JpayConfig};
use disburse::providers::payonify::{PayonifyClient, PayonifyConfig};
use disburse::providers::vesicash::{Environment, VesicashClient, VesicashConfig};
use disburse::{
    CallbackUrl, Currency, Destination, Money, Msisdn, PayoutProvider, PayoutRequest, Reference,
};
use secrecy::SecretString;

use crate::inputs::{self, Provider};

pub struct SdkArm {
    client: Arc<dyn PayoutProvider>,
    provider: Provider,
    callback: Option<CallbackUrl>,
    currency: Currency,
}

impl SdkArm {
    pub fn new(provider: Provider, base_url: &str) -> Result<SdkArm, String> {
        let base = Environment::Custom(base_url.to_owned());
        let e = |e: disburse::Error| e.to_string();
        let (client, callback, currency): (Arc<dyn PayoutProvider>, _, _) = match provider {
            Provider::Jpay => (
                Arc::new(
                    JpayClient::new(
                        JpayConfig::new(
                            SecretString::from(inputs::JPAY_APP_KEY),
                            SecretString::from(inputs::JPAY_APP_SECRET),
                            SecretString::from(inputs::JPAY_CALLBACK_SECRET),
                        )
                        .with_environment(base),
                    )
                    .map_err(e)?,
                ),
                Some(CallbackUrl::parse(inputs::JPAY_CALLBACK).map_err(e)?),
                Currency::KES,
            ),
            Provider::Vesicash => (
                Arc::new(
                    VesicashClient::new(VesicashConfig::new(
                        SecretString::from(inputs::VESICASH_SECRET_KEY),
                        SecretString::from(inputs::VESICASH_PUBLIC_KEY),
                        SecretString::from("whsec_unused"),
                        base,
                    ))
                    .map_err(e)?,
                ),
                Some(CallbackUrl::parse(inputs::VESICASH_WEBHOOK).map_err(e)?),
                Currency::ZMW,
            ),
            Provider::Payonify => (
                Arc::new(
                    PayonifyClient::new(
                        PayonifyConfig::new(
                            SecretString::from(inputs::PAYONIFY_PUBLISHABLE),
                            SecretString::from(inputs::PAYONIFY_SECRET),
                            SecretString::from("whsec_unused"),
                        )
                        .with_base_url(base_url),
                    )
                    .map_err(e)?,
                ),
                None,
                Currency::USD,
            ),
        };
        Ok(SdkArm {
            client,
            provider,
            callback,
            currency,
        })
    }
}

impl crate::Arm for SdkArm {
    async fn send(&self, index: usize) -> Result<(), String> {
        let input = inputs::payout(self.provider, index);
        let mut request = PayoutRequest::new(
            Reference::new(input.reference).map_err(|e| e.to_string())?,
            Money::parse(input.amount, self.currency).map_err(|e| e.to_string())?,
            Destination::mobile(Msisdn::parse(input.phone).map_err(|e| e.to_string())?),
        )
        .with_narration(input.narration);
        if let Some(callback) = &self.callback {
            request = request.with_callback_url(callback.clone());
        }
        let payout = self
            .client
            .create_payout(&request)
            .await
            .map_err(|e| e.to_string())?;
        if payout.id.is_empty() {
            return Err("a payout without an id".into());
        }
        Ok(())
    }
}
