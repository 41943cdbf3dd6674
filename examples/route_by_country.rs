//! Route each payout to the provider that serves the recipient's country and currency.
//!
//! The router is a `Vec<Arc<dyn PayoutProvider>>`; for each payout it takes the first provider
//! whose `capabilities().supports(&destination, currency)` is true, and refuses clearly when none
//! does (before anything is sent).
//!
//! Run: `cargo run --example route_by_country`. Against the embedded sandbox by default; a
//! provider whose credentials are in the environment (its `from_env()` succeeds) is used for real
//! instead. Prints the routing table; exits non-zero if a payout is not routed as expected.

use std::sync::Arc;
use std::time::Duration;

use disburse::providers::jpay::{JpayClient, JpayConfig};
use disburse::providers::mtn_momo::{MtnMomoClient, MtnMomoConfig, TargetEnvironment};
use disburse::providers::payonify::{PayonifyClient, PayonifyConfig};
use disburse::providers::vesicash::{VesicashClient, VesicashConfig};
use disburse::sandbox::Sandbox;
use disburse::{
    CallbackUrlSupport, Country, Currency, Destination, Error, Money, Msisdn, Payout,
    PayoutProvider, PayoutRequest, ProviderId, Reference,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Sends each payout to a provider that can pay it.
struct Router {
    providers: Vec<Arc<dyn PayoutProvider>>,
}

impl Router {
    fn route(&self, request: &PayoutRequest) -> Option<&Arc<dyn PayoutProvider>> {
        self.providers.iter().find(|p| {
            p.capabilities()
                .supports(&request.destination, request.amount.currency())
        })
    }

    async fn pay(&self, request: &PayoutRequest) -> Result<(ProviderId, Payout), Error> {
        let provider = self.route(request).ok_or_else(|| {
            Error::invalid(
                "destination",
                format!(
                    "no configured provider pays {} in {}",
                    request
                        .destination
                        .country()
                        .map_or("this country", |c| c.iso_alpha2()),
                    request.amount.currency()
                ),
            )
        })?;
        // A provider that takes webhook URLs only from its dashboard (Payonify) refuses a
        // per-payout one; the capability says so, without naming the provider.
        let mut request = request.clone();
        if provider.capabilities().callback_url == CallbackUrlSupport::Refused {
            request.callback_url = None;
        }
        Ok((provider.id(), provider.create_payout(&request).await?))
    }
}

fn client<C: PayoutProvider + 'static>(
    name: &str,
    real: Result<C, Error>,
    simulated: Result<C, Error>,
) -> Result<Arc<dyn PayoutProvider>, Error> {
    match real {
        Ok(c) => {
            println!("{name}: real sandbox (credentials in the environment)");
            Ok(Arc::new(c))
        }
        Err(_) => {
            println!("{name}: embedded sandbox");
            Ok(Arc::new(simulated?))
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let sandbox = Sandbox::builder()
        .settle_after(Duration::from_millis(200))
        .start()
        .await?;
    let router = Router {
        providers: vec![
            client(
                "Vesicash",
                VesicashConfig::from_env().and_then(VesicashClient::new),
                sandbox.vesicash_client(),
            )?,
            client(
                "JPay",
                JpayConfig::from_env().and_then(JpayClient::new),
                sandbox.jpay_client(),
            )?,
            client(
                "Payonify",
                PayonifyConfig::from_env().and_then(PayonifyClient::new),
                sandbox.payonify_client(),
            )?,
            // MTN MoMo Uganda: the simulator serves every named target environment.
            client(
                "MTN MoMo (Uganda)",
                MtnMomoConfig::from_env().and_then(MtnMomoClient::new),
                MtnMomoClient::new(
                    sandbox
                        .mtn_momo_config()
                        .with_target(TargetEnvironment::Uganda),
                ),
            )?,
        ],
    };
    // JPay needs a callback URL for every payout; a loopback one is fine for the demo.
    let callback = disburse::CallbackUrl::parse("http://127.0.0.1:9/unused")?;
    let stamp = chrono::Utc::now().timestamp_millis();

    // (label, number, default country, amount, currency, expected provider)
    let payouts = [
        (
            "KE M-Pesa",
            "0712345678",
            Country::Kenya,
            "700.00",
            Currency::KES,
            Some(ProviderId::JPAY),
        ),
        (
            "ZW EcoCash",
            "0771111111",
            Country::Zimbabwe,
            "20.00",
            Currency::USD,
            Some(ProviderId::PAYONIFY),
        ),
        (
            "ZM mobile",
            "260999993000",
            Country::Zambia,
            "95.00",
            Currency::ZMW,
            Some(ProviderId::VESICASH),
        ),
        (
            "UG MTN MoMo",
            "0772123456",
            Country::Uganda,
            "5000",
            Currency::UGX,
            Some(ProviderId::MTN_MOMO),
        ),
        (
            "UG mobile in KES",
            "0772123456",
            Country::Uganda,
            "500.00",
            Currency::KES,
            None,
        ),
    ];

    let mut surprises = 0;
    println!("\n| payout | currency | routed to | result | as expected |");
    println!("|---|---|---|---|---|");
    for (i, (label, number, country, amount, currency, expected)) in payouts.iter().enumerate() {
        let request = PayoutRequest::new(
            Reference::new(format!("route-{i}-{stamp}"))?,
            Money::parse(amount, *currency)?,
            Destination::mobile(Msisdn::parse_with_default(number, *country)?),
        )
        .with_callback_url(callback.clone());
        let (routed, result, ok) = match router.pay(&request).await {
            Ok((id, payout)) => (
                id.to_string(),
                format!("{} {:?}", payout.id, payout.status),
                Some(id) == *expected,
            ),
            Err(e) => (
                "-".to_owned(),
                e.to_string(),
                expected.is_none() && matches!(e, Error::InvalidRequest { .. }),
            ),
        };
        println!(
            "| {label} | {currency} | {routed} | {result} | {} |",
            if ok { "yes" } else { "NO" }
        );
        if !ok {
            surprises += 1;
        }
    }
    sandbox.shutdown().await;
    if surprises > 0 {
        println!("\n{surprises} payout(s) not routed as expected");
        std::process::exit(1);
    }
    Ok(())
}
