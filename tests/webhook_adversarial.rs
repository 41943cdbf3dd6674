//! Adversarial webhook suite (issue 7): forged and damaged deliveries, each refused with its
//! precise reason, none accepted; and the positive cases (rotation, header-name case).
//!
//! Everything goes through the public API: a client built from its config (with a fixed clock
//! where the config takes one), `PayoutProvider::parse_webhook` and a `WebhookRequest`. No
//! network is used: parsing a webhook never calls the provider, so the base URLs point at a
//! closed local port.
//!
//! Each provider has one table of `(name, client, delivery, expectation)`; the runner checks every
//! row, reports every mismatch at once, and prints `N cases, 0 accepted, M positive cases
//! verified`.

mod common;

use std::sync::Arc;

use disburse::providers::jpay::{self, JpayClient, JpayConfig};
use disburse::providers::payonify::{self, PayonifyClient, PayonifyConfig};
use disburse::providers::vesicash::{Environment, SignedMessage, VesicashClient, VesicashConfig};
use disburse::webhook::{FixedClock, SignatureEncoding, sign};
use disburse::{
    Error, PayoutProvider, Reference, Status, WebhookError, WebhookEvent, WebhookRequest,
};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::SecretString;

use common::fixture;

/// Nothing listens here: a webhook parse must never reach the network.
const CLOSED_PORT: &str = "http://127.0.0.1:9";
const MEGABYTE: usize = 1024 * 1024;
const MIN_CASES_PER_SIGNED_PROVIDER: usize = 40;

// ---------------------------------------------------------------------------------------------
// The table and its runner
// ---------------------------------------------------------------------------------------------

/// One HTTP delivery as the merchant's server would see it.
#[derive(Clone)]
struct Delivery {
    url: String,
    /// In order; a name may repeat (a duplicated header). Values are raw bytes.
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Delivery {
    fn new(url: &str, body: impl Into<Vec<u8>>) -> Delivery {
        Delivery {
            url: url.to_owned(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Delivery {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in &self.headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("test header name"),
                HeaderValue::from_bytes(value).expect("test header value"),
            );
        }
        map
    }
}

/// What a row expects.
enum Expect {
    /// Refused with exactly this reason.
    Rejected(WebhookError),
    /// Accepted, about this provider reference, with this status.
    Accepted {
        provider_reference: &'static str,
        status: Status,
    },
}

struct Case {
    name: String,
    client: Arc<dyn PayoutProvider>,
    delivery: Delivery,
    expect: Expect,
}

fn rejected(
    name: impl Into<String>,
    client: &Arc<dyn PayoutProvider>,
    delivery: Delivery,
    error: WebhookError,
) -> Case {
    Case {
        name: name.into(),
        client: Arc::clone(client),
        delivery,
        expect: Expect::Rejected(error),
    }
}

fn accepted(
    name: impl Into<String>,
    client: &Arc<dyn PayoutProvider>,
    delivery: Delivery,
    provider_reference: &'static str,
    status: Status,
) -> Case {
    Case {
        name: name.into(),
        client: Arc::clone(client),
        delivery,
        expect: Expect::Accepted {
            provider_reference,
            status,
        },
    }
}

/// The figures of one provider's table.
#[derive(Debug, PartialEq, Eq)]
struct Tally {
    forged: usize,
    accepted_forged: usize,
    positive: usize,
}

/// Runs every row, prints the figures and fails with every mismatch listed.
fn run(provider: &str, cases: Vec<Case>) -> Tally {
    let mut failures = Vec::new();
    let mut tally = Tally {
        forged: 0,
        accepted_forged: 0,
        positive: 0,
    };
    for case in cases {
        let headers = case.delivery.header_map();
        let request = WebhookRequest::post(&case.delivery.url, &headers, &case.delivery.body);
        let outcome = case.client.parse_webhook(&request);
        match (&case.expect, outcome) {
            (Expect::Rejected(expected), Err(Error::Webhook(got))) => {
                tally.forged += 1;
                if &got != expected {
                    failures.push(format!("{}: expected {expected:?}, got {got:?}", case.name));
                }
            }
            (Expect::Rejected(expected), Ok(event)) => {
                tally.forged += 1;
                tally.accepted_forged += 1;
                failures.push(format!(
                    "{}: ACCEPTED (expected {expected:?}): {:?} {:?}",
                    case.name, event.provider_reference, event.status
                ));
            }
            (Expect::Rejected(expected), Err(other)) => {
                tally.forged += 1;
                failures.push(format!(
                    "{}: expected {expected:?}, got a non-webhook error {other:?}",
                    case.name
                ));
            }
            (
                Expect::Accepted {
                    provider_reference,
                    status,
                },
                outcome,
            ) => {
                tally.positive += 1;
                if let Err(why) = check_event(outcome, provider_reference, status) {
                    failures.push(format!("{} (positive): {why}", case.name));
                }
            }
        }
    }
    println!(
        "{provider}: {} cases, {} accepted, {} positive cases verified",
        tally.forged, tally.accepted_forged, tally.positive
    );
    assert!(
        failures.is_empty(),
        "{provider}: {} of the rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    tally
}

fn check_event(
    outcome: Result<WebhookEvent, Error>,
    provider_reference: &str,
    status: &Status,
) -> Result<(), String> {
    let event = outcome.map_err(|e| format!("refused: {e:?}"))?;
    if event.provider_reference.as_deref() != Some(provider_reference) {
        return Err(format!(
            "provider_reference {:?}, expected {provider_reference:?}",
            event.provider_reference
        ));
    }
    if &event.status != status {
        return Err(format!("status {:?}, expected {status:?}", event.status));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Damage helpers
// ---------------------------------------------------------------------------------------------

/// `text` with bit 0 of byte `i` flipped.
fn flip_byte(text: &[u8], i: usize) -> Vec<u8> {
    let mut out = text.to_vec();
    out[i] ^= 0x01;
    out
}

/// What a one-byte change does to a hex signature: still hex, it is another (wrong) signature;
/// otherwise it is not hex at all.
fn expected_for_damaged_hex(damaged: &[u8]) -> WebhookError {
    if damaged.iter().all(u8::is_ascii_hexdigit) {
        WebhookError::SignatureMismatch
    } else {
        WebhookError::BadEncoding("hex")
    }
}

fn hex_sign(secret: &str, message: &[u8]) -> String {
    sign(secret.as_bytes(), message, SignatureEncoding::Hex)
}

fn base64_sign(secret: &str, message: &[u8]) -> String {
    sign(secret.as_bytes(), message, SignatureEncoding::Base64)
}

/// The same JSON, re-serialized by serde_json (keys sorted, compact).
fn reserialized(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .expect("fixture JSON")
        .to_string()
}

/// The same JSON, pretty-printed.
fn respaced(body: &str) -> String {
    serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(body).expect("JSON"))
        .expect("JSON")
}

/// Every way of re-encoding a JSON body that keeps its meaning but not its bytes.
fn same_meaning_other_bytes(body: &str) -> Vec<(&'static str, String)> {
    vec![
        ("JSON re-serialized (keys sorted)", reserialized(body)),
        ("JSON pretty-printed", respaced(body)),
        (
            "JSON with a space after each colon",
            body.replace("\":", "\": "),
        ),
        ("JSON with a trailing newline", format!("{body}\n")),
        ("JSON with a leading space", format!(" {body}")),
        ("JSON with CRLF appended", format!("{body}\r\n")),
        (
            "JSON with a unicode escape",
            body.replacen('a', "\\u0061", 1),
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Vesicash: HMAC-SHA256 of the raw body, hex, `X-Vesicash-Signature` (or `mor-signature`)
// ---------------------------------------------------------------------------------------------

const VESICASH_SECRET: &str = "whsec_vesicash_fixture_secret";
const VESICASH_URL: &str = "https://merchant.example.com/webhooks/vesicash";
const VESICASH_REFERENCE: &str = "PY_8f2c1d9e4b7a";
const VESICASH_HEADER: &str = "X-Vesicash-Signature";
const VESICASH_TIMESTAMP_HEADER: &str = "X-Vesicash-Timestamp";
/// The fixed clock of the timestamped Vesicash scheme.
const VESICASH_NOW: i64 = 1_720_000_000;

fn vesicash_config(secret: &str) -> VesicashConfig {
    VesicashConfig::new(
        SecretString::from("sk_test_5f2a9c0e7d3b"),
        SecretString::from("pk_test_8e1d4a6b2c0f"),
        SecretString::from(secret),
        Environment::Custom(CLOSED_PORT.to_owned()),
    )
}

fn vesicash(config: VesicashConfig) -> Arc<dyn PayoutProvider> {
    Arc::new(VesicashClient::new(config).expect("valid Vesicash config"))
}

fn vesicash_timestamped() -> Arc<dyn PayoutProvider> {
    let config = vesicash_config(VESICASH_SECRET).with_webhook_scheme(
        disburse::providers::vesicash::webhook_scheme()
            .with_signed_message(SignedMessage::timestamp_dot_body(VESICASH_TIMESTAMP_HEADER)),
    );
    Arc::new(
        VesicashClient::new(config)
            .expect("valid Vesicash config")
            .with_webhook_clock(Arc::new(FixedClock(VESICASH_NOW))),
    )
}

fn vesicash_cases() -> Vec<Case> {
    let client = vesicash(vesicash_config(VESICASH_SECRET));
    let body = fixture("vesicash/webhook_payout.json");
    let signature = fixture("vesicash/webhook_payout.signature");
    assert_eq!(signature, hex_sign(VESICASH_SECRET, body.as_bytes()));
    let signed =
        |value: &[u8]| Delivery::new(VESICASH_URL, body.clone()).header(VESICASH_HEADER, value);
    let good = signed(signature.as_bytes());
    let mut cases = Vec::new();

    // One flipped byte at every position of the body and of the signature.
    for i in 0..body.len() {
        let damaged = Delivery {
            body: flip_byte(body.as_bytes(), i),
            ..good.clone()
        };
        let name = format!("body byte {i} flipped");
        cases.push(rejected(
            name,
            &client,
            damaged,
            WebhookError::SignatureMismatch,
        ));
    }
    for i in 0..signature.len() {
        let damaged = flip_byte(signature.as_bytes(), i);
        let expected = expected_for_damaged_hex(&damaged);
        let name = format!("signature byte {i} flipped");
        cases.push(rejected(name, &client, signed(&damaged), expected));
    }

    // Same meaning, other bytes: the signature covers bytes, not meaning.
    for (name, other) in same_meaning_other_bytes(&body) {
        let delivery =
            Delivery::new(VESICASH_URL, other).header(VESICASH_HEADER, signature.as_str());
        cases.push(rejected(
            name,
            &client,
            delivery,
            WebhookError::SignatureMismatch,
        ));
    }
    let reordered = r#"{"data":{"status":"successful","reference":"PY_8f2c1d9e4b7a","currency":"ZMW","amount":"150.00"},"event":"payout.successful"}"#;
    cases.push(rejected(
        "JSON with keys re-ordered by hand",
        &client,
        Delivery::new(VESICASH_URL, reordered).header(VESICASH_HEADER, signature.as_str()),
        WebhookError::SignatureMismatch,
    ));
    let tampered = body.replace("150.00", "1500.00");
    cases.push(rejected(
        "amount changed, signature kept",
        &client,
        Delivery::new(VESICASH_URL, tampered).header(VESICASH_HEADER, signature.as_str()),
        WebhookError::SignatureMismatch,
    ));
    cases.push(rejected(
        "signature of another genuine body (the refund fixture)",
        &client,
        signed(fixture("vesicash/webhook_refund.signature").as_bytes()),
        WebhookError::SignatureMismatch,
    ));

    // Secrets.
    cases.push(rejected(
        "signed with another secret",
        &client,
        signed(hex_sign("whsec_attacker", body.as_bytes()).as_bytes()),
        WebhookError::SignatureMismatch,
    ));
    cases.push(rejected(
        "signed with the secret's case changed",
        &client,
        signed(hex_sign(&VESICASH_SECRET.to_uppercase(), body.as_bytes()).as_bytes()),
        WebhookError::SignatureMismatch,
    ));
    cases.push(rejected(
        "signed with an empty key",
        &client,
        signed(hex_sign("", body.as_bytes()).as_bytes()),
        WebhookError::SignatureMismatch,
    ));
    // The crate builds a client without a webhook secret (it may only send payouts), and then
    // refuses every delivery, even one "signed" with the empty key.
    let no_secret = vesicash(vesicash_config(""));
    cases.push(rejected(
        "client with an empty secret, delivery signed with the empty key",
        &no_secret,
        signed(hex_sign("", body.as_bytes()).as_bytes()),
        WebhookError::EmptySecret,
    ));
    cases.push(rejected(
        "client with an empty secret, genuine delivery",
        &no_secret,
        good.clone(),
        WebhookError::EmptySecret,
    ));
    let blank_secret = vesicash(vesicash_config("   "));
    cases.push(rejected(
        "client with a blank secret, delivery signed with that blank key",
        &blank_secret,
        signed(hex_sign("   ", body.as_bytes()).as_bytes()),
        WebhookError::EmptySecret,
    ));

    // The header: missing, renamed, duplicated, empty, not text, huge.
    let missing = WebhookError::MissingSignature(format!("header {VESICASH_HEADER}"));
    cases.push(rejected(
        "no signature header",
        &client,
        Delivery::new(VESICASH_URL, body.clone()),
        missing.clone(),
    ));
    for name in [
        "X-Vesicash-Signatures",
        "Vesicash-Signature",
        "X-Signature",
        "Signature",
    ] {
        cases.push(rejected(
            format!("signature under another header name ({name})"),
            &client,
            Delivery::new(VESICASH_URL, body.clone()).header(name, signature.as_str()),
            missing.clone(),
        ));
    }
    cases.push(rejected(
        "signature header twice (same value)",
        &client,
        good.clone().header(VESICASH_HEADER, signature.as_str()),
        WebhookError::DuplicateHeader(VESICASH_HEADER.to_owned()),
    ));
    cases.push(rejected(
        "signature header twice (a forged one first)",
        &client,
        signed(&hex_sign("whsec_attacker", body.as_bytes()).into_bytes())
            .header(VESICASH_HEADER, signature.as_str()),
        WebhookError::DuplicateHeader(VESICASH_HEADER.to_owned()),
    ));
    cases.push(rejected(
        "docs header mor-signature twice",
        &client,
        Delivery::new(VESICASH_URL, body.clone())
            .header("mor-signature", signature.as_str())
            .header("MOR-SIGNATURE", signature.as_str()),
        WebhookError::DuplicateHeader("mor-signature".to_owned()),
    ));
    for (name, value) in [
        ("empty signature", ""),
        ("blank signature", "   "),
        ("sha256= and nothing", "sha256="),
    ] {
        cases.push(rejected(
            name,
            &client,
            signed(value.as_bytes()),
            WebhookError::EmptySignature,
        ));
    }
    cases.push(rejected(
        "signature header not UTF-8",
        &client,
        signed(&[0xff, 0xfe, b'a', b'b']),
        WebhookError::MalformedHeader(format!("{VESICASH_HEADER} is not text")),
    ));
    cases.push(rejected(
        "1 MB of hex digits",
        &client,
        signed(&vec![b'a'; MEGABYTE]),
        WebhookError::SignatureMismatch,
    ));
    cases.push(rejected(
        "1 MB of hex digits plus one (odd length)",
        &client,
        signed(&vec![b'a'; MEGABYTE + 1]),
        WebhookError::BadEncoding("hex"),
    ));
    cases.push(rejected(
        "1 MB of non-hex text",
        &client,
        signed(&vec![b'z'; MEGABYTE]),
        WebhookError::BadEncoding("hex"),
    ));
    cases.push(rejected(
        "1 MB of non-UTF-8 bytes",
        &client,
        signed(&vec![0xC0; MEGABYTE]),
        WebhookError::MalformedHeader(format!("{VESICASH_HEADER} is not text")),
    ));

    // The signature's length and alphabet.
    let length_cases = [
        (
            "signature truncated to 62 digits",
            signature[..62].to_owned(),
            WebhookError::SignatureMismatch,
        ),
        (
            "signature truncated to 32 digits",
            signature[..32].to_owned(),
            WebhookError::SignatureMismatch,
        ),
        (
            "signature truncated to 2 digits",
            signature[..2].to_owned(),
            WebhookError::SignatureMismatch,
        ),
        (
            "signature truncated to 63 digits",
            signature[..63].to_owned(),
            WebhookError::BadEncoding("hex"),
        ),
        (
            "signature with 00 appended",
            format!("{signature}00"),
            WebhookError::SignatureMismatch,
        ),
        (
            "signature written twice",
            signature.repeat(2),
            WebhookError::SignatureMismatch,
        ),
        (
            "signature with one digit appended",
            format!("{signature}0"),
            WebhookError::BadEncoding("hex"),
        ),
        (
            "non-hex letter in the signature",
            signature.replacen('c', "g", 1),
            WebhookError::BadEncoding("hex"),
        ),
        (
            "signature with a space inside",
            format!("{} {}", &signature[..32], &signature[32..]),
            WebhookError::BadEncoding("hex"),
        ),
        (
            "signature as base64",
            base64_sign(VESICASH_SECRET, body.as_bytes()),
            WebhookError::BadEncoding("hex"),
        ),
        (
            "signature with 0x prefix",
            format!("0x{signature}"),
            WebhookError::BadEncoding("hex"),
        ),
        (
            "SHA256= prefix (upper case is not the sha256= prefix)",
            format!("SHA256={signature}"),
            WebhookError::BadEncoding("hex"),
        ),
        (
            "sha256= prefix twice",
            format!("sha256=sha256={signature}"),
            WebhookError::BadEncoding("hex"),
        ),
        (
            "Payonify-style t=…,v1=… value",
            format!("t=1,v1={signature}"),
            WebhookError::BadEncoding("hex"),
        ),
        (
            "all-zero signature",
            "0".repeat(64),
            WebhookError::SignatureMismatch,
        ),
    ];
    for (name, value, expected) in length_cases {
        cases.push(rejected(name, &client, signed(value.as_bytes()), expected));
    }

    // Rotation: old and new verify, a third does not.
    let rotating = vesicash(
        vesicash_config("whsec_vesicash_new")
            .with_previous_webhook_secret(SecretString::from(VESICASH_SECRET)),
    );
    cases.push(rejected(
        "rotation: signed with a third secret",
        &rotating,
        signed(hex_sign("whsec_vesicash_third", body.as_bytes()).as_bytes()),
        WebhookError::SignatureMismatch,
    ));

    let blank_previous = vesicash(
        vesicash_config(VESICASH_SECRET).with_previous_webhook_secret(SecretString::from("  ")),
    );
    cases.push(rejected(
        "rotation with a blank previous secret: signed with that blank key",
        &blank_previous,
        signed(hex_sign("  ", body.as_bytes()).as_bytes()),
        WebhookError::SignatureMismatch,
    ));

    // Positive cases.
    let ok = |name: &str, client: &Arc<dyn PayoutProvider>, delivery: Delivery| {
        accepted(
            name,
            client,
            delivery,
            VESICASH_REFERENCE,
            Status::Succeeded,
        )
    };
    cases.push(ok("genuine delivery", &client, good.clone()));
    for name in [
        "X-Vesicash-Signature",
        "x-vesicash-signature",
        "X-VESICASH-SIGNATURE",
        "x-VeSiCaSh-SiGnAtUrE",
        "mor-signature",
        "MOR-SIGNATURE",
        "Mor-Signature",
    ] {
        cases.push(ok(
            &format!("header name {name}"),
            &client,
            Delivery::new(VESICASH_URL, body.clone()).header(name, signature.as_str()),
        ));
    }
    cases.push(ok(
        "upper-case hex",
        &client,
        signed(signature.to_uppercase().as_bytes()),
    ));
    cases.push(ok(
        "sha256= prefix",
        &client,
        signed(format!("sha256={signature}").as_bytes()),
    ));
    cases.push(ok(
        "rotation: signed with the previous secret",
        &rotating,
        good.clone(),
    ));
    cases.push(ok(
        "rotation: signed with the new secret",
        &rotating,
        signed(hex_sign("whsec_vesicash_new", body.as_bytes()).as_bytes()),
    ));
    cases
}

/// The other documented Vesicash scheme: HMAC of `timestamp + "." + body`, 300 s window.
fn vesicash_timestamped_cases() -> Vec<Case> {
    let client = vesicash_timestamped();
    let body = fixture("vesicash/webhook_payout.json");
    let signature_at = |t: &str| hex_sign(VESICASH_SECRET, format!("{t}.{body}").as_bytes());
    let delivery = |t: &[u8], signature: &str| {
        Delivery::new(VESICASH_URL, body.clone())
            .header(VESICASH_HEADER, signature)
            .header(VESICASH_TIMESTAMP_HEADER, t)
    };
    let now = VESICASH_NOW.to_string();
    let signature = signature_at(&now);
    let mut cases = Vec::new();

    // A flipped timestamp digit: outside the window it is refused as such (the window is checked
    // first), inside it the signature no longer matches.
    for i in 0..now.len() {
        let damaged = flip_byte(now.as_bytes(), i);
        let value: i64 = std::str::from_utf8(&damaged).unwrap().parse().unwrap();
        let skew = value - VESICASH_NOW;
        let expected = if skew.abs() > 300 {
            WebhookError::TimestampOutOfWindow {
                skew_secs: skew,
                tolerance_secs: 300,
            }
        } else {
            WebhookError::SignatureMismatch
        };
        cases.push(rejected(
            format!("timestamp byte {i} flipped"),
            &client,
            delivery(&damaged, &signature),
            expected,
        ));
    }
    for skew in [-301_i64, 301, -86_400, 86_400] {
        let t = (VESICASH_NOW + skew).to_string();
        cases.push(rejected(
            format!("genuinely signed at now{skew:+}s"),
            &client,
            delivery(t.as_bytes(), &signature_at(&t)),
            WebhookError::TimestampOutOfWindow {
                skew_secs: skew,
                tolerance_secs: 300,
            },
        ));
    }
    for bad in [
        "",
        "abc",
        "1e9",
        "1.5",
        "0x66",
        "99999999999999999999",
        "1720000000s",
    ] {
        cases.push(rejected(
            format!("timestamp {bad:?}"),
            &client,
            delivery(bad.as_bytes(), &signature_at(bad)),
            WebhookError::InvalidTimestamp,
        ));
    }
    cases.push(rejected(
        "timestamp -1",
        &client,
        delivery(b"-1", &signature_at("-1")),
        WebhookError::TimestampOutOfWindow {
            skew_secs: -1 - VESICASH_NOW,
            tolerance_secs: 300,
        },
    ));
    // The same instant written another way: the signature covers the bytes that were sent.
    for (name, t) in [
        ("timestamp with a + sign", format!("+{now}")),
        ("timestamp with a leading zero", format!("0{now}")),
    ] {
        cases.push(rejected(
            format!("{name}, signature of the plain timestamp"),
            &client,
            delivery(t.as_bytes(), &signature),
            WebhookError::SignatureMismatch,
        ));
    }
    cases.push(rejected(
        "no timestamp header",
        &client,
        Delivery::new(VESICASH_URL, body.clone()).header(VESICASH_HEADER, signature.as_str()),
        WebhookError::MissingSignature(format!("header {VESICASH_TIMESTAMP_HEADER}")),
    ));
    cases.push(rejected(
        "timestamp header twice",
        &client,
        delivery(now.as_bytes(), &signature).header(VESICASH_TIMESTAMP_HEADER, now.as_str()),
        WebhookError::DuplicateHeader(VESICASH_TIMESTAMP_HEADER.to_owned()),
    ));
    cases.push(rejected(
        "timestamp header not UTF-8",
        &client,
        delivery(&[0xff, b'1'], &signature),
        WebhookError::MalformedHeader(format!("{VESICASH_TIMESTAMP_HEADER} is not text")),
    ));
    cases.push(rejected(
        "1 MB timestamp",
        &client,
        delivery(&vec![b'1'; MEGABYTE], &signature),
        WebhookError::InvalidTimestamp,
    ));
    cases.push(rejected(
        "body-only signature under the timestamped scheme",
        &client,
        delivery(
            now.as_bytes(),
            &fixture("vesicash/webhook_payout.signature"),
        ),
        WebhookError::SignatureMismatch,
    ));

    for skew in [-300_i64, 0, 300] {
        let t = (VESICASH_NOW + skew).to_string();
        cases.push(accepted(
            format!("signed at now{skew:+}s"),
            &client,
            delivery(t.as_bytes(), &signature_at(&t)),
            VESICASH_REFERENCE,
            Status::Succeeded,
        ));
    }
    cases
}

#[test]
fn vesicash_refuses_every_forged_or_damaged_delivery_with_its_precise_reason() {
    let tally = run("vesicash", vesicash_cases());
    assert_eq!(tally.accepted_forged, 0);
    assert!(tally.forged >= MIN_CASES_PER_SIGNED_PROVIDER, "{tally:?}");
    assert_eq!(tally.positive, 12);
}

#[test]
fn vesicash_timestamped_scheme_refuses_every_forged_or_damaged_delivery() {
    let tally = run("vesicash (timestamp.body)", vesicash_timestamped_cases());
    assert_eq!(tally.accepted_forged, 0);
    assert!(tally.forged >= 20, "{tally:?}");
    assert_eq!(tally.positive, 3);
}

// ---------------------------------------------------------------------------------------------
// Payonify: `Payonify-Signature: t=<unix>,v1=<hex>`, HMAC-SHA256 of "{t}.{body}", 300 s window
// ---------------------------------------------------------------------------------------------

const PAYONIFY_SECRET: &str = "whsec_test_KeDo8bT3p1u9vYxJ";
const PAYONIFY_URL: &str = "https://merchant.example/payonify/webhooks";
/// The `t` of the webhook fixtures: 2024-06-03 09:01:00 UTC.
const PAYONIFY_T: i64 = 1_717_405_260;
const PAYONIFY_REFERENCE: &str = "po_1PNa7qGx2bV5mKd9Lw3Hs8Ty";

fn payonify_config(secret: &str, now: i64) -> PayonifyConfig {
    PayonifyConfig::new(
        SecretString::from("pk_test_51Hq8ZvKx2pLmN4rT"),
        SecretString::from("sk_test_51Hq8ZvKx9sWqB7yU"),
        SecretString::from(secret),
    )
    .with_base_url(CLOSED_PORT)
    .with_clock(Arc::new(FixedClock(now)))
}

fn payonify(config: PayonifyConfig) -> Arc<dyn PayoutProvider> {
    Arc::new(PayonifyClient::new(config).expect("valid Payonify config"))
}

fn payonify_cases() -> Vec<Case> {
    let header = payonify::SIGNATURE_HEADER;
    assert_eq!(header, "Payonify-Signature");
    let client = payonify(payonify_config(PAYONIFY_SECRET, PAYONIFY_T));
    let body = fixture("payonify/webhooks/payout_succeeded.json");
    let good_header = fixture("payonify/webhooks/payout_succeeded.signature");
    let t = PAYONIFY_T.to_string();
    let sig_for =
        |secret: &str, t: &str, body: &str| hex_sign(secret, format!("{t}.{body}").as_bytes());
    let signature = sig_for(PAYONIFY_SECRET, &t, &body);
    assert_eq!(good_header, format!("t={t},v1={signature}"));
    let with_header =
        |value: &[u8]| Delivery::new(PAYONIFY_URL, body.clone()).header(header, value);
    let genuine_at = |t: &str| {
        let value = format!("t={t},v1={}", sig_for(PAYONIFY_SECRET, t, &body));
        Delivery::new(PAYONIFY_URL, body.clone()).header(header, value)
    };
    let good = with_header(good_header.as_bytes());
    let mut cases = Vec::new();

    // One flipped byte at every position of the body, the timestamp and the signature. The
    // signature is checked before the window, so a changed timestamp is a mismatch.
    for i in 0..body.len() {
        let damaged = Delivery {
            body: flip_byte(body.as_bytes(), i),
            ..good.clone()
        };
        cases.push(rejected(
            format!("body byte {i} flipped"),
            &client,
            damaged,
            WebhookError::SignatureMismatch,
        ));
    }
    for i in 0..t.len() {
        let damaged = String::from_utf8(flip_byte(t.as_bytes(), i)).unwrap();
        cases.push(rejected(
            format!("timestamp byte {i} flipped"),
            &client,
            with_header(format!("t={damaged},v1={signature}").as_bytes()),
            WebhookError::SignatureMismatch,
        ));
    }
    for i in 0..signature.len() {
        let damaged = flip_byte(signature.as_bytes(), i);
        let expected = expected_for_damaged_hex(&damaged);
        let mut value = format!("t={t},v1=").into_bytes();
        value.extend_from_slice(&damaged);
        cases.push(rejected(
            format!("signature byte {i} flipped"),
            &client,
            with_header(&value),
            expected,
        ));
    }

    // Same meaning, other bytes.
    for (name, other) in same_meaning_other_bytes(&body) {
        let delivery = Delivery::new(PAYONIFY_URL, other).header(header, good_header.as_str());
        cases.push(rejected(
            name,
            &client,
            delivery,
            WebhookError::SignatureMismatch,
        ));
    }
    let status_changed = body.replace("\"paid\"", "\"failed\"");
    cases.push(rejected(
        "status changed, signature kept",
        &client,
        Delivery::new(PAYONIFY_URL, status_changed).header(header, good_header.as_str()),
        WebhookError::SignatureMismatch,
    ));
    cases.push(rejected(
        "header of another genuine delivery (payout_failed)",
        &client,
        with_header(fixture("payonify/webhooks/payout_failed.signature").as_bytes()),
        WebhookError::SignatureMismatch,
    ));
    cases.push(rejected(
        "signature of the body alone (no timestamp in the message)",
        &client,
        with_header(format!("t={t},v1={}", hex_sign(PAYONIFY_SECRET, body.as_bytes())).as_bytes()),
        WebhookError::SignatureMismatch,
    ));
    cases.push(rejected(
        "signature of t + body without the dot",
        &client,
        with_header(
            format!(
                "t={t},v1={}",
                hex_sign(PAYONIFY_SECRET, format!("{t}{body}").as_bytes())
            )
            .as_bytes(),
        ),
        WebhookError::SignatureMismatch,
    ));

    // Secrets.
    cases.push(rejected(
        "signed with another secret",
        &client,
        with_header(format!("t={t},v1={}", sig_for("whsec_attacker", &t, &body)).as_bytes()),
        WebhookError::SignatureMismatch,
    ));
    cases.push(rejected(
        "signed with the secret without its whsec_ prefix",
        &client,
        with_header(format!("t={t},v1={}", sig_for("test_KeDo8bT3p1u9vYxJ", &t, &body)).as_bytes()),
        WebhookError::SignatureMismatch,
    ));
    let no_secret = payonify(payonify_config("", PAYONIFY_T));
    cases.push(rejected(
        "client with an empty secret, delivery signed with the empty key",
        &no_secret,
        with_header(format!("t={t},v1={}", sig_for("", &t, &body)).as_bytes()),
        WebhookError::EmptySecret,
    ));
    cases.push(rejected(
        "client with an empty secret, genuine delivery",
        &no_secret,
        good.clone(),
        WebhookError::EmptySecret,
    ));
    let blank_secret = payonify(payonify_config(" \t ", PAYONIFY_T));
    cases.push(rejected(
        "client with a blank secret, delivery signed with that blank key",
        &blank_secret,
        with_header(format!("t={t},v1={}", sig_for(" \t ", &t, &body)).as_bytes()),
        WebhookError::EmptySecret,
    ));

    // The header: missing, renamed, duplicated, not text, huge.
    let missing = WebhookError::MissingSignature(format!("header {header}"));
    cases.push(rejected(
        "no signature header",
        &client,
        Delivery::new(PAYONIFY_URL, body.clone()),
        missing.clone(),
    ));
    for name in [
        "X-Payonify-Signature",
        "Payonify-Signatures",
        "Stripe-Signature",
        "Signature",
    ] {
        cases.push(rejected(
            format!("signature under another header name ({name})"),
            &client,
            Delivery::new(PAYONIFY_URL, body.clone()).header(name, good_header.as_str()),
            missing.clone(),
        ));
    }
    cases.push(rejected(
        "signature header twice (same value)",
        &client,
        good.clone().header(header, good_header.as_str()),
        WebhookError::DuplicateHeader(header.to_owned()),
    ));
    cases.push(rejected(
        "signature header twice (a forged one first)",
        &client,
        with_header(format!("t={t},v1={}", "0".repeat(64)).as_bytes())
            .header("payonify-signature", good_header.as_str()),
        WebhookError::DuplicateHeader(header.to_owned()),
    ));
    cases.push(rejected(
        "signature header not UTF-8",
        &client,
        with_header(&[b't', b'=', 0xff]),
        WebhookError::MalformedHeader(format!("{header} is not text")),
    ));
    let mut huge = format!("t={t},v1=").into_bytes();
    huge.resize(MEGABYTE, b'a');
    cases.push(rejected(
        "1 MB v1 value",
        &client,
        with_header(&huge),
        WebhookError::SignatureMismatch,
    ));
    let mut many = format!("t={t}").into_bytes();
    while many.len() < MEGABYTE {
        many.extend_from_slice(b",v0=00");
    }
    cases.push(rejected(
        "1 MB of v0 items",
        &client,
        with_header(&many),
        WebhookError::NoSupportedScheme,
    ));
    cases.push(rejected(
        "1 MB without any =",
        &client,
        with_header(&vec![b'x'; MEGABYTE]),
        WebhookError::MalformedHeader(format!("item {:?} is not key=value", "x".repeat(40))),
    ));
    cases.push(rejected(
        "1 MB of non-UTF-8 bytes",
        &client,
        with_header(&vec![0xC0; MEGABYTE]),
        WebhookError::MalformedHeader(format!("{header} is not text")),
    ));

    // The header's structure and schemes.
    let structure = [
        (
            "unknown scheme only (v0)",
            format!("t={t},v0={signature}"),
            WebhookError::NoSupportedScheme,
        ),
        (
            "unknown scheme only (v2)",
            format!("t={t},v2={signature}"),
            WebhookError::NoSupportedScheme,
        ),
        (
            "scheme name in upper case (V1)",
            format!("t={t},V1={signature}"),
            WebhookError::NoSupportedScheme,
        ),
        (
            "timestamp only",
            format!("t={t}"),
            WebhookError::NoSupportedScheme,
        ),
        (
            "empty v1=",
            format!("t={t},v1="),
            WebhookError::EmptySignature,
        ),
        (
            "empty v1= after a good one",
            format!("t={t},v1={signature},v1="),
            WebhookError::EmptySignature,
        ),
        (
            "blank v1=",
            format!("t={t},v1=  "),
            WebhookError::EmptySignature,
        ),
        (
            "no t=",
            format!("v1={signature}"),
            WebhookError::MalformedHeader("no t= timestamp".to_owned()),
        ),
        (
            "T= in upper case",
            format!("T={t},v1={signature}"),
            WebhookError::MalformedHeader("no t= timestamp".to_owned()),
        ),
        (
            "two t=",
            format!("t={t},t={t},v1={signature}"),
            WebhookError::MalformedHeader("more than one t= timestamp".to_owned()),
        ),
        (
            "semicolon separators",
            format!("t={t};v1={signature}"),
            WebhookError::InvalidTimestamp,
        ),
        (
            "item without =",
            format!("t={t},v1{signature}"),
            WebhookError::MalformedHeader(format!(
                "item {:?} is not key=value",
                format!("v1{}", &signature[..38])
            )),
        ),
        (
            "empty key",
            format!("t={t},={signature}"),
            WebhookError::MalformedHeader("an item has an empty key".to_owned()),
        ),
        (
            "trailing comma",
            format!("{good_header},"),
            WebhookError::MalformedHeader("item \"\" is not key=value".to_owned()),
        ),
        (
            "empty header",
            String::new(),
            WebhookError::MalformedHeader("item \"\" is not key=value".to_owned()),
        ),
        (
            "vesicash-style bare hex",
            signature.clone(),
            WebhookError::MalformedHeader(format!("item {:?} is not key=value", &signature[..40])),
        ),
    ];
    for (name, value, expected) in structure {
        cases.push(rejected(
            name,
            &client,
            with_header(value.as_bytes()),
            expected,
        ));
    }

    // The signature's length and alphabet.
    let signatures = [
        (
            "signature truncated to 62 digits",
            signature[..62].to_owned(),
            WebhookError::SignatureMismatch,
        ),
        (
            "signature truncated to 2 digits",
            signature[..2].to_owned(),
            WebhookError::SignatureMismatch,
        ),
        (
            "signature truncated to 63 digits",
            signature[..63].to_owned(),
            WebhookError::BadEncoding("hex"),
        ),
        (
            "signature with 00 appended",
            format!("{signature}00"),
            WebhookError::SignatureMismatch,
        ),
        (
            "signature written twice",
            signature.repeat(2),
            WebhookError::SignatureMismatch,
        ),
        (
            "non-hex letter in the signature",
            signature.replacen('d', "x", 1),
            WebhookError::BadEncoding("hex"),
        ),
        (
            "signature as base64",
            base64_sign(PAYONIFY_SECRET, format!("{t}.{body}").as_bytes()),
            WebhookError::BadEncoding("hex"),
        ),
        (
            "signature with sha256= prefix",
            format!("sha256={signature}"),
            WebhookError::BadEncoding("hex"),
        ),
        (
            "all-zero signature",
            "0".repeat(64),
            WebhookError::SignatureMismatch,
        ),
    ];
    for (name, value, expected) in signatures {
        cases.push(rejected(
            name,
            &client,
            with_header(format!("t={t},v1={value}").as_bytes()),
            expected,
        ));
    }

    // The timestamp: window (checked on an authentic signature), syntax, overflow.
    for skew in [-301_i64, 301, -3600, 86_400] {
        let at = (PAYONIFY_T + skew).to_string();
        cases.push(rejected(
            format!("genuinely signed at now{skew:+}s"),
            &client,
            genuine_at(&at),
            WebhookError::TimestampOutOfWindow {
                skew_secs: skew,
                tolerance_secs: 300,
            },
        ));
    }
    let replay_later = payonify(payonify_config(PAYONIFY_SECRET, PAYONIFY_T + 301));
    cases.push(rejected(
        "the genuine delivery replayed 301 s later",
        &replay_later,
        good.clone(),
        WebhookError::TimestampOutOfWindow {
            skew_secs: -301,
            tolerance_secs: 300,
        },
    ));
    for bad in [
        "-1",
        "1e9",
        "abc",
        "",
        "1717405260.0",
        "+1717405260",
        "0x665D8A4C",
        " 17174 05260",
    ] {
        // Each signed as a sender would sign it: the syntax, not the signature, is at fault.
        let value = format!("t={bad},v1={}", sig_for(PAYONIFY_SECRET, bad, &body));
        cases.push(rejected(
            format!("timestamp {bad:?}"),
            &client,
            with_header(value.as_bytes()),
            WebhookError::InvalidTimestamp,
        ));
    }
    let overflow = "99999999999999999999";
    cases.push(rejected(
        "overflowing timestamp, correctly signed",
        &client,
        genuine_at(overflow),
        WebhookError::InvalidTimestamp,
    ));
    cases.push(rejected(
        "overflowing timestamp, original signature",
        &client,
        with_header(format!("t={overflow},v1={signature}").as_bytes()),
        WebhookError::SignatureMismatch,
    ));
    cases.push(rejected(
        "timestamp with a leading zero, original signature",
        &client,
        with_header(format!("t=0{t},v1={signature}").as_bytes()),
        WebhookError::SignatureMismatch,
    ));

    // Rotation: a third secret fails.
    let rotating = payonify(
        payonify_config("whsec_new_rotation", PAYONIFY_T)
            .with_previous_webhook_secret(SecretString::from(PAYONIFY_SECRET)),
    );
    cases.push(rejected(
        "rotation: signed with a third secret",
        &rotating,
        with_header(format!("t={t},v1={}", sig_for("whsec_third", &t, &body)).as_bytes()),
        WebhookError::SignatureMismatch,
    ));

    // Positive cases.
    let ok = |name: &str, client: &Arc<dyn PayoutProvider>, delivery: Delivery| {
        accepted(
            name,
            client,
            delivery,
            PAYONIFY_REFERENCE,
            Status::Succeeded,
        )
    };
    cases.push(ok("genuine delivery", &client, good.clone()));
    for name in [
        "Payonify-Signature",
        "payonify-signature",
        "PAYONIFY-SIGNATURE",
        "pAyOnIfY-sIgNaTuRe",
    ] {
        cases.push(ok(
            &format!("header name {name}"),
            &client,
            Delivery::new(PAYONIFY_URL, body.clone()).header(name, good_header.as_str()),
        ));
    }
    for skew in [-300_i64, 300] {
        cases.push(ok(
            &format!("signed at now{skew:+}s"),
            &client,
            genuine_at(&(PAYONIFY_T + skew).to_string()),
        ));
    }
    cases.push(ok(
        "a v0 and a wrong v1 beside the right v1, spaces after commas",
        &client,
        with_header(format!("t={t}, v0=abcd, v1={}, v1={signature}", "0".repeat(64)).as_bytes()),
    ));
    cases.push(ok(
        "upper-case hex",
        &client,
        with_header(format!("t={t},v1={}", signature.to_uppercase()).as_bytes()),
    ));
    cases.push(ok(
        "rotation: signed with the previous secret",
        &rotating,
        good.clone(),
    ));
    cases.push(ok(
        "rotation: signed with the new secret",
        &rotating,
        with_header(format!("t={t},v1={}", sig_for("whsec_new_rotation", &t, &body)).as_bytes()),
    ));
    cases
}

#[test]
fn payonify_refuses_every_forged_or_damaged_delivery_with_its_precise_reason() {
    let tally = run("payonify", payonify_cases());
    assert_eq!(tally.accepted_forged, 0);
    assert!(tally.forged >= MIN_CASES_PER_SIGNED_PROVIDER, "{tally:?}");
    assert_eq!(tally.positive, 11);
}

// ---------------------------------------------------------------------------------------------
// JPay: unsigned callbacks, authenticated by the `disburse_token` the crate put in the URL
// ---------------------------------------------------------------------------------------------

const JPAY_SECRET: &str = "test-callback-secret";
const JPAY_CALLBACK: &str = "https://yourdomain.com/webhook";
const JPAY_REFERENCE: &str = "PAYOUT-2024-001";
const JPAY_TRANS_ID: &str = "QGX7654321";

fn jpay_config(secret: &str) -> JpayConfig {
    JpayConfig::new(
        SecretString::from("test-app-key"),
        SecretString::from("test-app-secret"),
        SecretString::from(secret),
    )
    .with_environment(jpay::Environment::Custom(CLOSED_PORT.to_owned()))
}

fn jpay_cases() -> Vec<Case> {
    let param = jpay::CALLBACK_TOKEN_PARAM;
    assert_eq!(param, "disburse_token");
    let jpay_client = JpayClient::new(jpay_config(JPAY_SECRET)).expect("valid JPay config");
    let signed_url = jpay_client
        .signed_callback_url(
            &disburse::CallbackUrl::parse(JPAY_CALLBACK).unwrap(),
            &Reference::new(JPAY_REFERENCE).unwrap(),
        )
        .unwrap();
    let client: Arc<dyn PayoutProvider> = Arc::new(jpay_client);
    let body = fixture("jpay/callback-completed.json");
    let token = hex_sign(JPAY_SECRET, JPAY_REFERENCE.as_bytes());
    assert_eq!(signed_url, format!("{JPAY_CALLBACK}?{param}={token}"));
    let at = |url: &str| Delivery::new(url, body.clone());
    let with_token = |value: &str| at(&format!("{JPAY_CALLBACK}?{param}={value}"));
    let mut cases = Vec::new();

    let missing = WebhookError::MissingSignature(format!("query parameter {param}"));
    for (name, url) in [
        ("no query at all", JPAY_CALLBACK.to_owned()),
        (
            "another parameter only",
            format!("{JPAY_CALLBACK}?order=42"),
        ),
        (
            "token in the fragment only",
            format!("{JPAY_CALLBACK}#{param}={token}"),
        ),
        (
            "parameter name in another case",
            format!("{JPAY_CALLBACK}?Disburse_Token={token}"),
        ),
        (
            "parameter name misspelt",
            format!("{JPAY_CALLBACK}?disburse-token={token}"),
        ),
        (
            "token in the path",
            format!("{JPAY_CALLBACK}/{param}/{token}"),
        ),
    ] {
        cases.push(rejected(name, &client, at(&url), missing.clone()));
    }
    cases.push(rejected(
        "token for another reference",
        &client,
        with_token(&hex_sign(JPAY_SECRET, b"PAYOUT-2024-002")),
        WebhookError::SignatureMismatch,
    ));
    cases.push(rejected(
        "token for the reference with a trailing space",
        &client,
        with_token(&hex_sign(JPAY_SECRET, b"PAYOUT-2024-001 ")),
        WebhookError::SignatureMismatch,
    ));
    cases.push(rejected(
        "token made with another secret",
        &client,
        with_token(&hex_sign("another-secret", JPAY_REFERENCE.as_bytes())),
        WebhookError::SignatureMismatch,
    ));
    cases.push(rejected(
        "token made with the empty key",
        &client,
        with_token(&hex_sign("", JPAY_REFERENCE.as_bytes())),
        WebhookError::SignatureMismatch,
    ));
    let twice =
        WebhookError::MalformedHeader(format!("query parameter {param} appears more than once"));
    cases.push(rejected(
        "token present twice (same value)",
        &client,
        at(&format!("{signed_url}&{param}={token}")),
        twice.clone(),
    ));
    cases.push(rejected(
        "token present twice (a forged one first)",
        &client,
        at(&format!(
            "{JPAY_CALLBACK}?{param}={}&{param}={token}",
            "0".repeat(64)
        )),
        twice.clone(),
    ));
    cases.push(rejected(
        "token present twice, once percent-encoded",
        &client,
        at(&format!("{signed_url}&disburse%5Ftoken={token}")),
        twice,
    ));
    cases.push(rejected(
        "empty token",
        &client,
        with_token(""),
        WebhookError::EmptySignature,
    ));
    for i in 0..token.len() {
        let damaged = flip_byte(token.as_bytes(), i);
        let expected = expected_for_damaged_hex(&damaged);
        // Percent-encode so the damaged byte reaches the token as it is.
        let encoded: String = url::form_urlencoded::byte_serialize(&damaged).collect();
        cases.push(rejected(
            format!("token byte {i} flipped"),
            &client,
            with_token(&encoded),
            expected,
        ));
    }
    for (name, value, expected) in [
        (
            "token truncated to 62 digits",
            token[..62].to_owned(),
            WebhookError::SignatureMismatch,
        ),
        (
            "token truncated to 63 digits",
            token[..63].to_owned(),
            WebhookError::BadEncoding("hex"),
        ),
        (
            "token with 00 appended",
            format!("{token}00"),
            WebhookError::SignatureMismatch,
        ),
        (
            "token written twice",
            token.repeat(2),
            WebhookError::SignatureMismatch,
        ),
        (
            "non-hex token",
            "not-hex".to_owned(),
            WebhookError::BadEncoding("hex"),
        ),
        (
            "token as base64",
            base64_sign(JPAY_SECRET, JPAY_REFERENCE.as_bytes()),
            WebhookError::BadEncoding("hex"),
        ),
        (
            "1 MB token",
            "a".repeat(MEGABYTE),
            WebhookError::SignatureMismatch,
        ),
    ] {
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        cases.push(rejected(name, &client, with_token(&encoded), expected));
    }
    let other_reference = body.replace(JPAY_REFERENCE, "PAYOUT-2024-002");
    cases.push(rejected(
        "body about another payout, genuine token",
        &client,
        Delivery::new(&signed_url, other_reference),
        WebhookError::SignatureMismatch,
    ));

    cases.push(accepted(
        "genuine callback",
        &client,
        at(&signed_url),
        JPAY_TRANS_ID,
        Status::Succeeded,
    ));
    cases.push(accepted(
        "genuine token among the merchant's own parameters",
        &client,
        at(&format!(
            "{JPAY_CALLBACK}?order=42&{param}={token}&note=a%20b#frag"
        )),
        JPAY_TRANS_ID,
        Status::Succeeded,
    ));
    cases.push(accepted(
        "genuine token in upper-case hex, relative URL",
        &client,
        at(&format!("/webhook?{param}={}", token.to_uppercase())),
        JPAY_TRANS_ID,
        Status::Succeeded,
    ));
    cases
}

#[test]
fn jpay_refuses_every_callback_without_a_genuine_token() {
    let tally = run("jpay", jpay_cases());
    assert_eq!(tally.accepted_forged, 0);
    assert!(tally.forged >= MIN_CASES_PER_SIGNED_PROVIDER, "{tally:?}");
    assert_eq!(tally.positive, 3);
}

#[test]
fn jpay_refuses_to_build_a_client_with_an_empty_callback_secret() {
    for secret in ["", "   "] {
        match JpayClient::new(jpay_config(secret)) {
            Err(Error::Config { message, .. }) => {
                assert_eq!(message, "jpay: callback_secret is empty");
            }
            other => panic!("{secret:?}: expected a config error, got {other:?}"),
        }
    }
}
