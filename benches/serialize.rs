//! Request serialization per provider: the adapter's own checks and encoding of a
//! `PayoutRequest` into the body bytes it sends (through `disburse::internals::encode`), each
//! checked once against the provider's request fixture before it is timed.
//!
//! `cargo bench --all-features --bench serialize`

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use disburse::internals::encode;
use disburse::providers::jpay::{JpayClient, JpayConfig};
use disburse::providers::vesicash::{Environment, VesicashClient, VesicashConfig};
use disburse::{CallbackUrl, Currency, Destination, Money, Msisdn, PayoutRequest, Reference};
use secrecy::SecretString;

/// A base URL nothing listens on: the benches never send anything.
const NOWHERE: &str = "http://127.0.0.1:9";

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("JSON")
}

fn vesicash() -> (VesicashClient, PayoutRequest) {
    let config = VesicashConfig::new(
        SecretString::from("sk"),
        SecretString::from("pk"),
        SecretString::from("whsec"),
        Environment::Custom(NOWHERE.into()),
    );
    let client = VesicashClient::new(config).expect("client");
    let request = PayoutRequest::new(
        Reference::new("order-1042").expect("reference"),
        Money::parse("150", Currency::ZMW).expect("money"),
        Destination::mobile(Msisdn::parse("+260999993000").expect("msisdn")),
    )
    .with_narration("Winnings payout")
    .with_callback_url(
        CallbackUrl::parse("https://merchant.example.com/webhooks/vesicash").expect("url"),
    );
    (client, request)
}

fn jpay() -> (JpayClient, PayoutRequest) {
    let config = JpayConfig::new(
        SecretString::from("test-app-key"),
        SecretString::from("test-app-secret"),
        SecretString::from("test-callback-secret"),
    )
    .with_environment(disburse::providers::jpay::Environment::Custom(
        NOWHERE.into(),
    ));
    let client = JpayClient::new(config).expect("client");
    let request = PayoutRequest::new(
        Reference::new("PAYOUT-2024-001").expect("reference"),
        Money::parse("1000.00", Currency::KES).expect("money"),
        Destination::mobile(Msisdn::parse("+254712345678").expect("msisdn")),
    )
    .with_narration("Commission Payment #456")
    .with_callback_url(CallbackUrl::parse("https://yourdomain.com/webhook").expect("url"));
    (client, request)
}

fn payonify() -> PayoutRequest {
    PayoutRequest::new(
        Reference::new("po-2024-0001").expect("reference"),
        Money::parse("1.00", Currency::USD).expect("money"),
        Destination::mobile(Msisdn::parse("+263 77 111 1111").expect("msisdn")),
    )
    .with_narration("March stipend")
    .with_metadata("order_id", "A-1001")
}

fn serialize(c: &mut Criterion) {
    let (vesicash, v_request) = vesicash();
    let (jpay, j_request) = jpay();
    let p_request = payonify();

    // The bytes are the adapters' real output: checked against the fixtures first.
    let v_call = encode::vesicash_payout(&vesicash, &v_request, "2").expect("vesicash body");
    assert_eq!(
        v_call.body().expect("body"),
        &fixture("vesicash/payout_mobile_request.json")[..]
    );
    let j_call = encode::jpay_payout(&jpay, &j_request, 12345).expect("jpay body");
    assert_eq!(
        json(j_call.body().expect("body")),
        json(&fixture("jpay/payout-request-mpesa.json"))
    );
    let p_call = encode::payonify_payout(&p_request).expect("payonify body");
    assert_eq!(
        json(p_call.body().expect("body")),
        json(&fixture("payonify/create_request.json"))
    );

    let mut group = c.benchmark_group("serialize_payout");
    group.throughput(Throughput::Elements(1));
    group.bench_function("vesicash mobile", |b| {
        b.iter(|| encode::vesicash_payout(&vesicash, black_box(&v_request), "2"))
    });
    group.bench_function("jpay mpesa (signed callback url)", |b| {
        b.iter(|| encode::jpay_payout(&jpay, black_box(&j_request), 12345))
    });
    group.bench_function("payonify ecocash", |b| {
        b.iter(|| encode::payonify_payout(black_box(&p_request)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = serialize
}
criterion_main!(benches);
