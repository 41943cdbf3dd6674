//! Webhook deliveries through the adapters' public `parse_webhook`: Payonify's `t=…,v1=…`
//! header and Vesicash's signature header, with fuzzed header text and body.
//!
//! Input: the header value up to the first `\n`, then the body. When the input's first byte is
//! odd the header is replaced by a correct signature of the body, so the body parsing behind
//! the signature check is fuzzed too.
#![no_main]

use std::sync::{Arc, LazyLock};

use disburse::internals::decode;
use disburse::providers::payonify::{PayonifyClient, PayonifyConfig, SIGNATURE_HEADER};
use disburse::providers::vesicash::{Environment, VesicashClient, VesicashConfig};
use disburse::webhook::{FixedClock, SignatureEncoding, sign};
use disburse::{Error, PayoutProvider, WebhookRequest};
use libfuzzer_sys::fuzz_target;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::SecretString;

const SECRET: &str = "whsec_fuzz";
const NOW: i64 = 1_717_405_260;

static PAYONIFY: LazyLock<PayonifyClient> = LazyLock::new(|| {
    let config = PayonifyConfig::new(
        SecretString::from("pk_test_fuzz"),
        SecretString::from("sk_test_fuzz"),
        SecretString::from(SECRET),
    )
    .with_clock(Arc::new(FixedClock(NOW)));
    PayonifyClient::new(config).expect("a valid config")
});

static VESICASH: LazyLock<VesicashClient> = LazyLock::new(|| {
    let config = VesicashConfig::new(
        SecretString::from("sk"),
        SecretString::from("pk"),
        SecretString::from(SECRET),
        Environment::Sandbox,
    );
    VesicashClient::new(config).expect("a valid config")
});

fn deliver(client: &dyn PayoutProvider, header: &'static str, value: &str, body: &[u8]) {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(header), value);
    }
    let delivery = WebhookRequest::post("https://merchant.example/webhooks", &headers, body);
    match client.parse_webhook(&delivery) {
        Ok(event) => assert_eq!(event.provider, client.id()),
        Err(Error::Webhook(_)) => {}
        Err(other) => panic!("a webhook failed with a non-webhook error: {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let header = String::from_utf8_lossy(&data[..split]);
    let body = data.get(split + 1..).unwrap_or(&[]);
    let signed = data.first().is_some_and(|b| b % 2 == 1);

    // The header parser alone.
    if let Err(e) = decode::payonify_signature_header(&header) {
        assert!(matches!(e, Error::Webhook(_)), "{e:?}");
    }

    let payonify_header = if signed {
        let mut message = NOW.to_string().into_bytes();
        message.push(b'.');
        message.extend_from_slice(body);
        let v1 = sign(SECRET.as_bytes(), &message, SignatureEncoding::Hex);
        format!("t={NOW},v1={v1}")
    } else {
        header.to_string()
    };
    deliver(&*PAYONIFY, "payonify-signature", &payonify_header, body);
    debug_assert_eq!(SIGNATURE_HEADER.to_ascii_lowercase(), "payonify-signature");

    let vesicash_header = if signed {
        sign(SECRET.as_bytes(), body, SignatureEncoding::Hex)
    } else {
        header.to_string()
    };
    deliver(&*VESICASH, "x-vesicash-signature", &vesicash_header, body);
});
