//! Webhook verification per provider, on the fixture deliveries, against a raw `hmac` + `sha2`
//! baseline over the same bytes.
//!
//! For each provider three things are timed, one delivery per iteration:
//! - `raw hmac`: what a hand-written verifier must do at least. A fresh `Hmac<Sha256>` keyed with
//!   the secret (as the SDK does: no precomputed key state), fed the signed bytes (Vesicash: the
//!   body; Payonify: `t`, `.`, the body, fed in three `update`s without building a message;
//!   JPay: the `ref_no`), the signature hex-decoded into a stack array
//!   (`hex::decode_to_slice`, no allocation) and compared in constant time
//!   (`Mac::verify_slice`). The signature text is given already extracted from its header or
//!   URL, and the `ref_no` already extracted from the body: the baseline does no parsing.
//! - `sdk verify`: the adapter's own check alone (`disburse::internals::verify`): header lookup
//!   (refusing duplicates), signature parsing, HMAC, constant-time compare, and for Payonify the
//!   300 s timestamp window. For JPay the URL's query is parsed for the token; the `ref_no` is
//!   passed in, as the adapter reads it from the body before this step.
//! - `sdk parse_webhook`: the public entry point, verification then the payload read into a
//!   `WebhookEvent` (JSON parsing, status mapping, raw JSON kept).
//!
//! `cargo bench --all-features --bench webhook`

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use disburse::internals::verify;
use disburse::providers::jpay::{JpayClient, JpayConfig};
use disburse::providers::payonify::{PayonifyClient, PayonifyConfig};
use disburse::providers::vesicash::{Environment, VesicashClient, VesicashConfig};
use disburse::webhook::FixedClock;
use disburse::{CallbackUrl, PayoutProvider, Reference, WebhookRequest};
use hmac::{Hmac, Mac};
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::SecretString;
use sha2::Sha256;

const NOWHERE: &str = "http://127.0.0.1:9";
const VESICASH_SECRET: &str = "whsec_vesicash_fixture_secret";
const PAYONIFY_SECRET: &str = "whsec_test_KeDo8bT3p1u9vYxJ";
/// The `t` the Payonify fixtures were signed at; the client's clock is pinned there.
const PAYONIFY_T: i64 = 1_717_405_260;
const JPAY_CALLBACK_SECRET: &str = "test-callback-secret";
const HOOK_URL: &str = "https://merchant.example.com/hooks";

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn text(path: &str) -> String {
    String::from_utf8(fixture(path))
        .expect("UTF-8")
        .trim()
        .to_owned()
}

/// The baseline: HMAC-SHA256 of `parts` (concatenated) under `key`, against the hex signature.
fn raw_hmac_verify(key: &[u8], parts: &[&[u8]], signature_hex: &str) -> bool {
    let mut expected = [0u8; 32];
    if hex::decode_to_slice(signature_hex, &mut expected).is_err() {
        return false;
    }
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return false;
    };
    for part in parts {
        mac.update(part);
    }
    mac.verify_slice(&expected).is_ok()
}

fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    group
}

fn vesicash(c: &mut Criterion) {
    let client = VesicashClient::new(VesicashConfig::new(
        SecretString::from("sk"),
        SecretString::from("pk"),
        SecretString::from(VESICASH_SECRET),
        Environment::Custom(NOWHERE.into()),
    ))
    .expect("client");
    let body = fixture("vesicash/webhook_payout.json");
    let signature = text("vesicash/webhook_payout.signature");
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-vesicash-signature",
        HeaderValue::from_str(&signature).expect("header"),
    );
    let delivery = WebhookRequest::post(HOOK_URL, &headers, &body);
    assert!(raw_hmac_verify(
        VESICASH_SECRET.as_bytes(),
        &[&body],
        &signature
    ));
    assert_eq!(verify::vesicash(&client, &delivery), Ok(()));
    assert!(client.parse_webhook(&delivery).is_ok());

    let mut g = group(c, "webhook_vesicash");
    g.bench_function("raw hmac", |b| {
        b.iter(|| raw_hmac_verify(VESICASH_SECRET.as_bytes(), &[black_box(&body)], &signature))
    });
    g.bench_function("sdk verify", |b| {
        b.iter(|| verify::vesicash(&client, black_box(&delivery)))
    });
    g.bench_function("sdk parse_webhook", |b| {
        b.iter(|| client.parse_webhook(black_box(&delivery)))
    });
    g.finish();
}

fn payonify(c: &mut Criterion) {
    let client = PayonifyClient::new(
        PayonifyConfig::new(
            SecretString::from("pk_test_51Hq8ZvKx2pLmN4rT"),
            SecretString::from("sk_test_51Hq8ZvKx9sWqB7yU"),
            SecretString::from(PAYONIFY_SECRET),
        )
        .with_base_url(NOWHERE)
        .with_clock(Arc::new(FixedClock(PAYONIFY_T))),
    )
    .expect("client");
    let body = fixture("payonify/webhooks/payout_succeeded.json");
    let header = text("payonify/webhooks/payout_succeeded.signature");
    let (t, v1) = header
        .split_once(",v1=")
        .map(|(t, v1)| (t.trim_start_matches("t="), v1))
        .expect("t=…,v1=…");
    let mut headers = HeaderMap::new();
    headers.insert(
        "payonify-signature",
        HeaderValue::from_str(&header).expect("header"),
    );
    let delivery = WebhookRequest::post(HOOK_URL, &headers, &body);
    let parts: [&[u8]; 3] = [t.as_bytes(), b".", &body];
    assert!(raw_hmac_verify(PAYONIFY_SECRET.as_bytes(), &parts, v1));
    assert_eq!(verify::payonify(&client, &delivery), Ok(()));
    assert!(client.parse_webhook(&delivery).is_ok());

    let mut g = group(c, "webhook_payonify");
    g.bench_function("raw hmac", |b| {
        b.iter(|| raw_hmac_verify(PAYONIFY_SECRET.as_bytes(), black_box(&parts), v1))
    });
    g.bench_function("sdk verify", |b| {
        b.iter(|| verify::payonify(&client, black_box(&delivery)))
    });
    g.bench_function("sdk parse_webhook", |b| {
        b.iter(|| client.parse_webhook(black_box(&delivery)))
    });
    g.finish();
}

fn jpay(c: &mut Criterion) {
    let client = JpayClient::new(
        JpayConfig::new(
            SecretString::from("test-app-key"),
            SecretString::from("test-app-secret"),
            SecretString::from(JPAY_CALLBACK_SECRET),
        )
        .with_environment(disburse::providers::jpay::Environment::Custom(
            NOWHERE.into(),
        )),
    )
    .expect("client");
    let body = fixture("jpay/callback-completed.json");
    let ref_no = "PAYOUT-2024-001";
    // The URL JPay calls: the merchant's callback URL as the adapter signed it.
    let url = client
        .signed_callback_url(
            &CallbackUrl::parse("https://yourdomain.com/webhook").expect("url"),
            &Reference::new(ref_no).expect("reference"),
        )
        .expect("signed url");
    let token = url
        .split_once("disburse_token=")
        .map(|(_, token)| token.to_owned())
        .expect("token");
    let headers = HeaderMap::new();
    let delivery = WebhookRequest::post(&url, &headers, &body);
    assert!(raw_hmac_verify(
        JPAY_CALLBACK_SECRET.as_bytes(),
        &[ref_no.as_bytes()],
        &token
    ));
    assert_eq!(verify::jpay(&client, &url, ref_no), Ok(()));
    assert!(client.parse_webhook(&delivery).is_ok());

    let mut g = group(c, "webhook_jpay");
    g.bench_function("raw hmac", |b| {
        b.iter(|| {
            raw_hmac_verify(
                JPAY_CALLBACK_SECRET.as_bytes(),
                &[black_box(ref_no).as_bytes()],
                &token,
            )
        })
    });
    g.bench_function("sdk verify", |b| {
        b.iter(|| verify::jpay(&client, black_box(&url), ref_no))
    });
    g.bench_function("sdk parse_webhook", |b| {
        b.iter(|| client.parse_webhook(black_box(&delivery)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = vesicash, payonify, jpay
}
criterion_main!(benches);
