//! Route each payout to the providers that serve the recipient's country and currency.
//!
//! The router is a `Vec<Arc<dyn PayoutProvider>>`. Each payout is one `PayoutRequest`
//! (reference, money, destination, narration, callback URL), built once and sent unchanged to
//! every provider whose `capabilities().supports(&destination, currency)` is true: no provider
//! needs the request adapted (a provider that takes webhook endpoints only from its dashboard,
//! Payonify, accepts the callback URL and says in `capabilities().callback_url` that it ignores
//! it). A Kenyan Safaricom number in KES fits both JPay and M-Pesa Daraja (the merchant's own
//! shortcode); `route_kenya_mpesa` shows choosing one by configuration. A payout no provider fits
//! is refused clearly, before anything is sent.
//!
//! Run: `cargo run --example route_by_country`. Against the embedded sandbox by default; a
//! provider whose credentials are in the environment (its `from_env()` succeeds) is used for real
//! instead. Prints the routing table; exits non-zero if a payout is not accepted by exactly the
//! providers expected.

use std::sync::Arc;
use std::time::Duration;

use disburse::providers::jpay::{JpayClient, JpayConfig};
use disburse::providers::mpesa_daraja::{DarajaClient, DarajaConfig};
use disburse::providers::mtn_momo::{MtnMomoClient, MtnMomoConfig, TargetEnvironment};
use disburse::providers::payonify::{PayonifyClient, PayonifyConfig};
use disburse::providers::vesicash::{VesicashClient, VesicashConfig};
use disburse::sandbox::Sandbox;
use disburse::{
    CallbackUrlSupport, Country, Currency, Destination, Error, Money, Msisdn, Payout,
    PayoutProvider, PayoutRequest, Reference,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A demo payout: label, number, default country, amount, currency, the providers expected to
/// pay it.
type DemoPayout = (
    &'static str,
    &'static str,
    Country,
    &'static str,
    Currency,
    &'static [&'static str],
);

/// Sends each payout to the providers that can pay it.
struct Router {
    providers: Vec<(&'static str, Arc<dyn PayoutProvider>)>,
}

impl Router {
    fn route(&self, request: &PayoutRequest) -> Vec<&(&'static str, Arc<dyn PayoutProvider>)> {
        self.providers
            .iter()
            .filter(|(_, p)| {
                p.capabilities()
                    .supports(&request.destination, request.amount.currency())
            })
            .collect()
    }

    /// The same request, unchanged, through every provider that fits it. (A real router pays
    /// through one of them; the demo sends it through each to show none needs it adapted.)
    async fn pay_everywhere(
        &self,
        request: &PayoutRequest,
    ) -> Result<Vec<(&'static str, Payout, CallbackUrlSupport)>, Error> {
        let fitting = self.route(request);
        if fitting.is_empty() {
            return Err(Error::invalid(
                "destination",
                format!(
                    "no configured provider pays {} in {}",
                    request
                        .destination
                        .country()
                        .map_or("this country", |c| c.iso_alpha2()),
                    request.amount.currency()
                ),
            ));
        }
        let mut paid = Vec::new();
        for (name, provider) in fitting {
            let payout = provider.create_payout(request).await?;
            paid.push((*name, payout, provider.capabilities().callback_url));
        }
        Ok(paid)
    }
}

fn client<C: PayoutProvider + 'static>(
    name: &'static str,
    real: Result<C, Error>,
    simulated: Result<C, Error>,
) -> Result<(&'static str, Arc<dyn PayoutProvider>), Error> {
    match real {
        Ok(c) => {
            println!("{name}: real sandbox (credentials in the environment)");
            Ok((name, Arc::new(c)))
        }
        Err(_) => {
            println!("{name}: embedded sandbox");
            Ok((name, Arc::new(simulated?)))
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let sandbox = Sandbox::builder()
        .settle_after(Duration::from_millis(200))
        .start()
        .await?;
    let mut router = Router {
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
            // MTN MoMo Uganda and Zambia: the simulator serves every named target environment.
            client(
                "MTN MoMo (Uganda)",
                MtnMomoConfig::from_env().and_then(MtnMomoClient::new),
                MtnMomoClient::new(
                    sandbox
                        .mtn_momo_config()
                        .with_target(TargetEnvironment::Uganda),
                ),
            )?,
            client(
                "MTN MoMo (Zambia)",
                Err(Error::config("one MTN MoMo account from the environment")),
                MtnMomoClient::new(
                    sandbox
                        .mtn_momo_config()
                        .with_target(TargetEnvironment::Zambia),
                ),
            )?,
        ],
    };
    // Every request names the merchant's webhook endpoint; a loopback one is fine for the demo.
    let callback = disburse::CallbackUrl::parse("http://127.0.0.1:9/hooks/payouts")?;
    // M-Pesa Daraja needs a ResultURL in its configuration; a request's callback URL replaces it
    // for that payout. (Nobody listens in this demo: results are not followed.)
    router.providers.push(client(
        "M-Pesa Daraja",
        DarajaConfig::from_env().and_then(DarajaClient::new),
        DarajaClient::new(sandbox.mpesa_daraja_config(callback.clone(), callback.clone())),
    )?);
    let stamp = chrono::Utc::now().timestamp_millis();

    let payouts: [DemoPayout; 5] = [
        (
            "KE M-Pesa",
            "0712345678",
            Country::Kenya,
            "700.00",
            Currency::KES,
            &["JPay", "M-Pesa Daraja"],
        ),
        (
            "ZW EcoCash",
            "0771111111",
            Country::Zimbabwe,
            "20.00",
            Currency::USD,
            &["Payonify"],
        ),
        (
            "ZM mobile",
            "0961234567",
            Country::Zambia,
            "95.00",
            Currency::ZMW,
            &["Vesicash", "MTN MoMo (Zambia)"],
        ),
        (
            "UG MTN MoMo",
            "0772123456",
            Country::Uganda,
            "5000",
            Currency::UGX,
            &["MTN MoMo (Uganda)"],
        ),
        (
            "UG mobile in KES",
            "0772123456",
            Country::Uganda,
            "500.00",
            Currency::KES,
            &[],
        ),
    ];

    let mut surprises = 0;
    println!("\n| payout | currency | paid by | result | callback URL | as expected |");
    println!("|---|---|---|---|---|---|");
    for (i, (label, number, country, amount, currency, expected)) in payouts.iter().enumerate() {
        // One request, built once, sent unchanged wherever it fits.
        let request = PayoutRequest::new(
            Reference::new(format!("route-{i}-{stamp}"))?,
            Money::parse(amount, *currency)?,
            Destination::mobile(Msisdn::parse_with_default(number, *country)?),
        )
        .with_narration(format!("Payout {label}"))
        .with_callback_url(callback.clone());
        let rows: Vec<(String, String, String)> = match router.pay_everywhere(&request).await {
            Ok(paid) => paid
                .into_iter()
                .map(|(name, payout, support)| {
                    (
                        name.to_owned(),
                        format!("{} {:?}", payout.id, payout.status),
                        format!("{support:?}"),
                    )
                })
                .collect(),
            Err(e) => vec![("-".to_owned(), e.to_string(), "-".to_owned())],
        };
        let paid_by: Vec<&str> = rows
            .iter()
            .map(|(name, ..)| name.as_str())
            .filter(|name| *name != "-")
            .collect();
        let ok = paid_by == *expected;
        for (name, result, support) in &rows {
            println!(
                "| {label} | {currency} | {name} | {result} | {support} | {} |",
                if ok { "yes" } else { "NO" }
            );
        }
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
