//! Properties of webhook verification (issue 7), 10,000 cases each: a signature made by `sign`
//! verifies under every encoding; any single-bit change of the message, the signature or the
//! timestamp makes it fail, with the reason stated; another secret fails; a blank secret verifies
//! nothing.
//!
//! Inputs are kept small (messages up to 128 bytes, secrets up to 23 characters) so the whole
//! file runs in seconds in a debug build; the case count is not reduced.

mod common;

use std::sync::{Arc, LazyLock};

use base64::Engine as _;
use disburse::providers::payonify::{self, PayonifyClient, PayonifyConfig};
use disburse::webhook::{FixedClock, HmacVerifier, SignatureEncoding, sign};
use disburse::{Error, PayoutProvider, WebhookError, WebhookRequest};
use proptest::prelude::*;
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::SecretString;

use common::fixture;

const CASES: u32 = 10_000;
const ENCODINGS: [SignatureEncoding; 2] = [SignatureEncoding::Hex, SignatureEncoding::Base64];

fn verifier(secret: &str) -> HmacVerifier {
    HmacVerifier::new(SecretString::from(secret))
}

/// A usable secret: any characters but NUL, not blank (a blank secret is refused, see below).
///
/// NUL is left out because HMAC pads a short key with zero bytes: `"k"` and `"k\0"` are the same
/// key by construction, which is not what "another secret" means here.
fn secret() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>().prop_filter("no NUL", |c| *c != '\0'), 1..24)
        .prop_map(|chars| chars.into_iter().collect::<String>())
        .prop_filter("a usable secret", |s| !s.trim().is_empty())
}

fn message() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..128)
}

fn non_empty_message() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 1..128)
}

fn encoding() -> impl Strategy<Value = SignatureEncoding> {
    prop::sample::select(ENCODINGS.to_vec())
}

fn decode(encoding: SignatureEncoding, text: &str) -> Vec<u8> {
    match encoding {
        SignatureEncoding::Hex => hex::decode(text).expect("sign writes hex"),
        _ => base64::engine::general_purpose::STANDARD
            .decode(text)
            .expect("sign writes base64"),
    }
}

fn encode(encoding: SignatureEncoding, bytes: &[u8]) -> String {
    match encoding {
        SignatureEncoding::Hex => hex::encode(bytes),
        _ => base64::engine::general_purpose::STANDARD.encode(bytes),
    }
}

fn encoding_name(encoding: SignatureEncoding) -> &'static str {
    match encoding {
        SignatureEncoding::Hex => "hex",
        _ => "base64",
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn what_sign_makes_verifies_under_every_encoding(secret in secret(), message in message()) {
        for encoding in ENCODINGS {
            let signature = sign(secret.as_bytes(), &message, encoding);
            prop_assert_eq!(verifier(&secret).verify(&message, &[&signature], encoding), Ok(()));
        }
    }

    #[test]
    fn a_single_bit_change_of_the_message_fails(
        secret in secret(),
        message in non_empty_message(),
        position in any::<prop::sample::Index>(),
        bit in 0u8..8,
        encoding in encoding(),
    ) {
        let signature = sign(secret.as_bytes(), &message, encoding);
        let mut changed = message.clone();
        changed[position.index(message.len())] ^= 1 << bit;
        prop_assert_eq!(
            verifier(&secret).verify(&changed, &[&signature], encoding),
            Err(WebhookError::SignatureMismatch)
        );
    }

    /// A bit of the MAC itself, written back in the same encoding.
    #[test]
    fn a_single_bit_change_of_the_signature_fails(
        secret in secret(),
        message in message(),
        position in 0usize..32,
        bit in 0u8..8,
        encoding in encoding(),
    ) {
        let mut mac = decode(encoding, &sign(secret.as_bytes(), &message, encoding));
        prop_assert_eq!(mac.len(), 32);
        mac[position] ^= 1 << bit;
        let changed = encode(encoding, &mac);
        prop_assert_eq!(
            verifier(&secret).verify(&message, &[&changed], encoding),
            Err(WebhookError::SignatureMismatch)
        );
    }

    /// A bit of the signature as written on the wire (ASCII, so bits 0 to 6). It is refused as
    /// a mismatch or as not decoding, except one change that is no change: hex is read in
    /// either case, so flipping bit 5 of a hex letter gives the same signature.
    #[test]
    fn a_single_bit_change_of_the_written_signature_fails_unless_it_only_changes_hex_case(
        secret in secret(),
        message in message(),
        position in any::<prop::sample::Index>(),
        bit in 0u8..7,
        encoding in encoding(),
    ) {
        let signature = sign(secret.as_bytes(), &message, encoding);
        let mut bytes = signature.clone().into_bytes();
        bytes[position.index(signature.len())] ^= 1 << bit;
        let changed = String::from_utf8(bytes).expect("ASCII stays ASCII below bit 7");
        let outcome = verifier(&secret).verify(&message, &[&changed], encoding);
        let same_hex = encoding == SignatureEncoding::Hex && changed.eq_ignore_ascii_case(&signature);
        if same_hex {
            prop_assert_eq!(outcome, Ok(()));
        } else {
            prop_assert!(
                outcome == Err(WebhookError::SignatureMismatch)
                    || outcome == Err(WebhookError::BadEncoding(encoding_name(encoding))),
                "{:?} for {:?}", outcome, changed
            );
        }
    }

    #[test]
    fn another_secret_fails(
        secret in secret(),
        other in secret(),
        message in message(),
        encoding in encoding(),
    ) {
        prop_assume!(secret != other);
        let forged = sign(other.as_bytes(), &message, encoding);
        prop_assert_eq!(
            verifier(&secret).verify(&message, &[&forged], encoding),
            Err(WebhookError::SignatureMismatch)
        );
    }

    #[test]
    fn a_blank_secret_verifies_nothing(
        blank in "[ \t\r\n]{0,8}",
        message in message(),
        encoding in encoding(),
    ) {
        let signature = sign(blank.as_bytes(), &message, encoding);
        prop_assert_eq!(
            verifier(&blank).verify(&message, &[&signature], encoding),
            Err(WebhookError::EmptySecret)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The timestamp, through a timestamped provider (Payonify: `t=<unix>,v1=<hex>` over "{t}.{body}")
// ---------------------------------------------------------------------------------------------

const PAYONIFY_SECRET: &str = "whsec_test_KeDo8bT3p1u9vYxJ";
const NOW: i64 = 1_717_405_260;

static PAYONIFY: LazyLock<PayonifyClient> = LazyLock::new(|| {
    PayonifyClient::new(
        PayonifyConfig::new(
            SecretString::from("pk_test_51Hq8ZvKx2pLmN4rT"),
            SecretString::from("sk_test_51Hq8ZvKx9sWqB7yU"),
            SecretString::from(PAYONIFY_SECRET),
        )
        .with_base_url("http://127.0.0.1:9")
        .with_clock(Arc::new(FixedClock(NOW))),
    )
    .expect("valid Payonify config")
});

static BODY: LazyLock<String> =
    LazyLock::new(|| fixture("payonify/webhooks/payout_succeeded.json"));

fn deliver(client: &PayonifyClient, header: &[u8], body: &[u8]) -> Result<(), Error> {
    let mut headers = HeaderMap::new();
    headers.insert(
        payonify::SIGNATURE_HEADER,
        HeaderValue::from_bytes(header).expect("deliverable header bytes"),
    );
    client
        .parse_webhook(&WebhookRequest::post(
            "https://merchant.example/hook",
            &headers,
            body,
        ))
        .map(|_| ())
}

/// Why a timestamp changed into `value` is refused: still a number, the signature (checked
/// first) no longer matches; not text, the header is malformed; otherwise it is no timestamp.
fn expected_for_changed_timestamp(value: &[u8]) -> WebhookError {
    if !value.is_ascii() {
        return WebhookError::MalformedHeader(format!(
            "{} is not text",
            payonify::SIGNATURE_HEADER
        ));
    }
    let trimmed = value.trim_ascii();
    if !trimmed.is_empty() && trimmed.iter().all(u8::is_ascii_digit) {
        WebhookError::SignatureMismatch
    } else {
        WebhookError::InvalidTimestamp
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Every bit except bit 5: flipping it turns a digit into a control character, which no HTTP
    /// header can carry (`HeaderValue` refuses it), so such a delivery cannot reach the crate.
    #[test]
    fn a_single_bit_change_of_the_timestamp_fails(
        skew in -300i64..=300,
        position in any::<prop::sample::Index>(),
        bit in prop::sample::select(vec![0u8, 1, 2, 3, 4, 6, 7]),
    ) {
        let (client, body) = (&*PAYONIFY, &*BODY);
        let t = (NOW + skew).to_string();
        let signature = sign(
            PAYONIFY_SECRET.as_bytes(),
            format!("{t}.{body}").as_bytes(),
            SignatureEncoding::Hex,
        );
        let genuine = format!("t={t},v1={signature}");
        prop_assert!(deliver(client, genuine.as_bytes(), body.as_bytes()).is_ok());

        let mut changed = t.clone().into_bytes();
        changed[position.index(t.len())] ^= 1 << bit;
        let mut header = b"t=".to_vec();
        header.extend_from_slice(&changed);
        header.extend_from_slice(format!(",v1={signature}").as_bytes());
        let expected = expected_for_changed_timestamp(&changed);
        match deliver(client, &header, body.as_bytes()) {
            Err(Error::Webhook(got)) => prop_assert_eq!(got, expected),
            other => prop_assert!(false, "{:?}: {:?}", String::from_utf8_lossy(&header), other),
        }
    }
}
