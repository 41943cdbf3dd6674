//! One identical `PayoutRequest` (reference, money, destination, narration, callback URL) goes
//! unchanged to every provider whose capabilities say its currency and destination fit, and each
//! accepts it. No provider turns it away over the callback URL; each does with the URL what
//! `capabilities().callback_url` says.
//!
//! The four simulated providers run against the embedded sandbox; M-Pesa Daraja (no simulator
//! yet) against a wiremock Daraja that checks the exact `ResultURL` it is sent.
#![cfg(feature = "sandbox")]

mod common;
mod e2e_support;

use std::sync::Arc;
use std::time::Duration;

use disburse::http::{HttpConfig, RetryPolicy};
use disburse::providers::mpesa_daraja::{
    DarajaClient, DarajaConfig, DarajaCredentials, PAYOUT_PATH, TOKEN_PATH,
};
use disburse::providers::mtn_momo::{MtnMomoClient, TargetEnvironment};
use disburse::sandbox::Sandbox;
use disburse::{
    CallbackUrl, CallbackUrlSupport, Country, Currency, Destination, Error, Money, Msisdn,
    PayoutProvider, PayoutRequest, ProviderId, Reference, SecretString,
};
use e2e_support::sandbox;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{catch_all, fixture};

/// The callback URL every request carries (loopback, discard port: deliveries fail fast).
const CALLBACK: &str = "http://127.0.0.1:9/hooks/payouts";

/// One request per market, each sent unchanged to every provider.
fn requests() -> Vec<PayoutRequest> {
    let stamp = chrono::Utc::now().timestamp_millis();
    [
        ("KE", "+254712345678", "150.00", Currency::KES),
        ("ZW", "+263771234567", "10.00", Currency::USD),
        ("ZM", "+260961234567", "150.00", Currency::ZMW),
        ("UG", "+256772123456", "5000", Currency::UGX),
    ]
    .into_iter()
    .map(|(market, number, amount, currency)| {
        PayoutRequest::new(
            Reference::new(format!("one-{market}-{stamp}")).expect("reference"),
            Money::parse(amount, currency).expect("amount"),
            Destination::mobile(Msisdn::parse(number).expect("number")),
        )
        .with_narration("Refund 42")
        .with_callback_url(CallbackUrl::parse(CALLBACK).expect("callback URL"))
    })
    .collect()
}

fn simulated(sandbox: &Sandbox) -> Vec<Arc<dyn PayoutProvider>> {
    let mtn = |target| {
        MtnMomoClient::new(sandbox.mtn_momo_config().with_target(target)).expect("MTN MoMo")
    };
    vec![
        Arc::new(sandbox.jpay_client().expect("JPay")),
        Arc::new(sandbox.payonify_client().expect("Payonify")),
        Arc::new(sandbox.vesicash_client().expect("Vesicash")),
        Arc::new(mtn(TargetEnvironment::Uganda)),
        Arc::new(mtn(TargetEnvironment::Zambia)),
    ]
}

fn posts(sandbox: &Sandbox) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count()
}

#[tokio::test]
async fn one_request_with_a_callback_url_is_accepted_by_every_simulated_provider_it_fits() {
    let sandbox = sandbox().await;
    let providers = simulated(&sandbox);
    let mut accepted: Vec<(ProviderId, Country)> = Vec::new();

    for request in requests() {
        let country = request.destination.country().expect("country");
        for provider in &providers {
            let id = provider.id();
            let fits = provider
                .capabilities()
                .supports(&request.destination, request.amount.currency());
            if !fits {
                // A router sends nothing where the capabilities say it does not fit.
                continue;
            }
            let before = posts(&sandbox);
            let result = provider.create_payout(&request).await;
            assert!(posts(&sandbox) > before, "{id}: sent");
            let payout = result.unwrap_or_else(|e| panic!("{id} / {country:?}: {e:?}"));
            assert_eq!(payout.reference.as_ref(), Some(&request.reference), "{id}");
            assert_eq!(payout.amount, Some(request.amount), "{id}");
            accepted.push((id, country));

            // What the provider was sent: the URL (with this crate's callback token for the
            // providers that sign nothing) when honoured, nothing when ignored.
            let entry = sandbox
                .ledger(id)
                .into_iter()
                .find(|e| e.id == payout.id)
                .unwrap_or_else(|| panic!("{id}: no ledger entry for {}", payout.id));
            match provider.capabilities().callback_url {
                CallbackUrlSupport::Ignored => {
                    assert_eq!(entry.callback_url, None, "{id}");
                    let body: Value = serde_json::from_str(&entry.request_body).expect("JSON body");
                    assert!(!entry.request_body.contains("127.0.0.1:9"), "{id}: {body}");
                }
                CallbackUrlSupport::Optional | CallbackUrlSupport::Required => {
                    let sent = entry.callback_url.unwrap_or_default();
                    assert!(sent.starts_with(CALLBACK), "{id}: {sent}");
                }
                other => panic!("{id}: {other:?}"),
            }
        }
    }

    assert_eq!(
        accepted,
        [
            (ProviderId::JPAY, Country::Kenya),
            (ProviderId::PAYONIFY, Country::Zimbabwe),
            (ProviderId::VESICASH, Country::Zambia),
            (ProviderId::MTN_MOMO, Country::Zambia),
            (ProviderId::MTN_MOMO, Country::Uganda),
        ]
    );
}

/// Daraja takes the same Kenyan request: its callback URL becomes the `ResultURL` (with the
/// callback token), and the other three requests are refused before anything is sent.
#[tokio::test]
async fn the_same_requests_go_to_daraja_where_they_fit() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TOKEN_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("mpesa_daraja/token.json"), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("mpesa_daraja/b2c-accepted.json"),
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let config = DarajaConfig::new(
        DarajaCredentials::new(
            SecretString::from("ck"),
            SecretString::from("cs"),
            "600997",
            "testapi",
            SecretString::from("Safaricom999!*!"),
            SecretString::from("callback-secret"),
        ),
        CallbackUrl::parse("https://shop.example/daraja/result").expect("url"),
        CallbackUrl::parse("https://shop.example/daraja/timeout").expect("url"),
    )
    .with_base_url(server.uri())
    .with_certificate_pem(fixture("mpesa_daraja/keys/test_certificate.cer"))
    .with_http(HttpConfig::default().with_retry(RetryPolicy::none()))
    .with_result_wait(Duration::from_secs(20));
    let daraja = DarajaClient::new(config).expect("Daraja client");
    assert_eq!(
        daraja.capabilities().callback_url,
        CallbackUrlSupport::Optional
    );

    let mut accepted = Vec::new();
    for request in requests() {
        let fits = daraja
            .capabilities()
            .supports(&request.destination, request.amount.currency());
        let result = daraja.create_payout(&request).await;
        if fits {
            let payout = result.expect("accepted");
            assert_eq!(payout.reference.as_ref(), Some(&request.reference));
            accepted.push(request);
        } else {
            assert!(
                matches!(result, Err(Error::InvalidRequest { .. })),
                "{result:?}"
            );
        }
    }
    assert_eq!(accepted.len(), 1);
    let kenyan = &accepted[0];
    assert_eq!(kenyan.destination.country(), Some(Country::Kenya));

    let sent = server.received_requests().await.expect("recorded");
    let b2c: Vec<Value> = sent
        .iter()
        .filter(|r| r.url.path() == PAYOUT_PATH)
        .map(|r| serde_json::from_slice(&r.body).expect("JSON"))
        .collect();
    assert_eq!(b2c.len(), 1);
    let result_url = b2c[0]["ResultURL"].as_str().expect("ResultURL");
    let token = disburse::webhook::sign(
        b"callback-secret",
        format!("payout:{}", kenyan.reference).as_bytes(),
        disburse::webhook::SignatureEncoding::Hex,
    );
    assert_eq!(
        result_url,
        format!(
            "{CALLBACK}?disburse_ref={}&disburse_for=payout&disburse_token={token}",
            kenyan.reference
        )
    );
    assert_eq!(b2c[0]["Amount"], "150");
    assert_eq!(b2c[0]["PartyB"], "254712345678");
    assert_eq!(b2c[0]["Remarks"], "Refund 42");
}
