//! An adapter written outside the crate, on the public API alone: Acme Pay, a made-up provider
//! (`examples/acme/mod.rs`), sending one payout to a local stand-in for Acme's API.
//!
//! Run: `cargo run --example external_adapter`. Its tests: `cargo test --test external_adapter`.

#[path = "acme/mod.rs"]
mod acme;

use disburse::{Currency, Destination, Money, Msisdn, PayoutProvider, PayoutRequest, Reference};
use secrecy::SecretString;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A stand-in for Acme's API, so the example runs without a network.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/transfers"))
        .respond_with(ResponseTemplate::new(201).set_body_string(
            r#"{"id":"tr_1","reference":"order-1","status":"pending","amount_minor":10000,"currency":"KES"}"#,
        ))
        .mount(&server)
        .await;

    let mut config = acme::AcmeConfig::new(SecretString::from("ak_1"), SecretString::from("whsec"))
        .with_idempotency_keys(true);
    config.settings = config.settings.with_base_url(server.uri());
    let client = acme::AcmeClient::new(config)?;
    let request = PayoutRequest::new(
        Reference::new("order-1")?,
        Money::parse("100", Currency::KES)?,
        Destination::mobile(Msisdn::parse("+254712345678")?),
    );
    let payout = client.create_payout(&request).await?;
    println!("{} {} is {:?}", client.id(), payout.id, payout.status);
    Ok(())
}
