//! A Kenyan M-Pesa payout can go through JPay (an aggregator) or straight to Safaricom's Daraja
//! (the merchant's own B2C shortcode): the router chooses by configuration.
//!
//! `DISBURSE_KE_MPESA_VIA` = `jpay` or `daraja` names the rail for Safaricom numbers in KES; every
//! other payout goes to the first provider whose capabilities support it. Run:
//! `cargo run --example route_kenya_mpesa` (both configurations, one after the other) or with
//! `DISBURSE_KE_MPESA_VIA=daraja` (that one only).
//!
//! JPay runs against the embedded sandbox. Daraja runs against real credentials when
//! `DarajaConfig::from_env()` finds them; otherwise against a local wiremock stand-in of Daraja's
//! token and B2C endpoints, with a throwaway test certificate: only the routing is shown here.
//! For Daraja's whole path (B2C, its result callback, `await_final`) against the embedded
//! simulator, see `cargo run --example quickstart` and `examples/route_by_country.rs`. Exits
//! non-zero if a payout is not routed as configured.

use std::sync::Arc;
use std::time::Duration;

use disburse::providers::jpay::JpayClient;
use disburse::providers::mpesa_daraja::{
    DarajaClient, DarajaConfig, DarajaCredentials, Environment, PAYOUT_PATH, TOKEN_PATH,
};
use disburse::sandbox::Sandbox;
use disburse::{
    CallbackUrl, Country, Currency, Destination, Error, Money, Msisdn, Network, Payout,
    PayoutProvider, PayoutRequest, ProviderId, Reference,
};
use secrecy::SecretString;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Which rail pays Safaricom numbers in Kenya.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KenyaMpesaVia {
    Jpay,
    Daraja,
}

impl KenyaMpesaVia {
    fn parse(text: &str) -> Result<KenyaMpesaVia, Error> {
        match text.trim().to_ascii_lowercase().as_str() {
            "jpay" => Ok(KenyaMpesaVia::Jpay),
            "daraja" | "mpesa_daraja" => Ok(KenyaMpesaVia::Daraja),
            other => Err(Error::config(format!(
                "DISBURSE_KE_MPESA_VIA must be jpay or daraja, got {other:?}"
            ))),
        }
    }

    fn provider(self) -> ProviderId {
        match self {
            KenyaMpesaVia::Jpay => ProviderId::JPAY,
            KenyaMpesaVia::Daraja => ProviderId::MPESA_DARAJA,
        }
    }
}

/// Kenyan Safaricom payouts in KES go to the configured rail; the rest by capabilities.
struct Router {
    providers: Vec<Arc<dyn PayoutProvider>>,
    kenya_mpesa_via: KenyaMpesaVia,
}

impl Router {
    fn route(&self, request: &PayoutRequest) -> Option<&Arc<dyn PayoutProvider>> {
        let kenyan_mpesa = request.amount.currency() == Currency::KES
            && request.destination.country() == Some(Country::Kenya)
            && request.destination.network() == Some(Network::Safaricom);
        if kenyan_mpesa {
            let wanted = self.kenya_mpesa_via.provider();
            return self.providers.iter().find(|p| p.id() == wanted);
        }
        self.providers.iter().find(|p| {
            p.capabilities()
                .supports(&request.destination, request.amount.currency())
        })
    }

    async fn pay(&self, request: &PayoutRequest) -> Result<(ProviderId, Payout), Error> {
        let provider = self
            .route(request)
            .ok_or_else(|| Error::invalid("destination", "no configured provider pays this"))?;
        Ok((provider.id(), provider.create_payout(request).await?))
    }
}

/// Daraja from the environment, else a local stand-in of its token and B2C endpoints.
async fn daraja() -> Result<(DarajaClient, Option<MockServer>), BoxError> {
    if let Ok(client) = DarajaConfig::from_env().and_then(DarajaClient::new) {
        println!("Daraja: real (credentials in the environment)");
        return Ok((client, None));
    }
    println!("Daraja: local stand-in of the token and B2C endpoints");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"access_token": "stand-in-token", "expires_in": "3599"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "ConversationID": "AG_20240706_20106e9209f64bebd05b",
            "OriginatorConversationID": "-",
            "ResponseCode": "0",
            "ResponseDescription": "Accept the service request successfully."
        })))
        .mount(&server)
        .await;
    let certificate = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/mpesa_daraja/keys/test_certificate.cer"
    ))?;
    let config = DarajaConfig::new(
        DarajaCredentials::new(
            SecretString::from("consumer-key"),
            SecretString::from("consumer-secret"),
            "600997",
            "testapi",
            SecretString::from("initiator-password"),
            SecretString::from("callback-secret"),
        ),
        CallbackUrl::parse("https://shop.example/daraja/result")?,
        CallbackUrl::parse("https://shop.example/daraja/timeout")?,
    )
    .with_environment(Environment::Custom(server.uri()))
    .with_certificate_pem(certificate);
    Ok((DarajaClient::new(config)?, Some(server)))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let sandbox = Sandbox::builder()
        .settle_after(Duration::from_millis(200))
        .start()
        .await?;
    let jpay: JpayClient = sandbox.jpay_client()?;
    let (daraja, _stand_in) = daraja().await?;
    let configurations = match std::env::var("DISBURSE_KE_MPESA_VIA") {
        Ok(text) => vec![KenyaMpesaVia::parse(&text)?],
        Err(_) => vec![KenyaMpesaVia::Jpay, KenyaMpesaVia::Daraja],
    };
    let callback = CallbackUrl::parse("http://127.0.0.1:9/unused")?;
    let stamp = chrono::Utc::now().timestamp_millis();
    let mut surprises = 0;
    println!("\n| DISBURSE_KE_MPESA_VIA | payout | routed to | result | as configured |");
    println!("|---|---|---|---|---|");
    for (i, via) in configurations.into_iter().enumerate() {
        let router = Router {
            providers: vec![Arc::new(jpay.clone()), Arc::new(daraja.clone())],
            kenya_mpesa_via: via,
        };
        let request = PayoutRequest::new(
            Reference::new(format!("ke-mpesa-{i}-{stamp}"))?,
            Money::parse("700", Currency::KES)?,
            Destination::mobile(Msisdn::parse_with_default("0712345678", Country::Kenya)?),
        )
        .with_callback_url(callback.clone());
        let (routed, result, ok) = match router.pay(&request).await {
            Ok((id, payout)) => (
                id.to_string(),
                format!("{} {:?}", payout.id, payout.status),
                id == via.provider(),
            ),
            Err(e) => ("-".to_owned(), e.to_string(), false),
        };
        println!(
            "| {via:?} | KE M-Pesa 700 KES | {routed} | {result} | {} |",
            if ok { "yes" } else { "NO" }
        );
        if !ok {
            surprises += 1;
        }
    }
    sandbox.shutdown().await;
    if surprises > 0 {
        println!("\n{surprises} payout(s) not routed as configured");
        std::process::exit(1);
    }
    Ok(())
}
