//! Every adapter decoder (through `disburse::internals::decode`, the exact path an adapter runs on
//! a provider's answer) never panics, and fails only with the typed error its kind of answer
//! allows: on arbitrary bytes, on arbitrary JSON, and on mutations of the real fixtures. Valid
//! fixtures decode to the expected values.

mod common;

use std::collections::BTreeMap;

use disburse::internals::decode as d;
use disburse::webhook::{SignatureEncoding, sign};
use disburse::{
    Ambiguity, Currency, Error, EventObject, FailureReason, Money, ProviderId, Reference,
    RejectCode, Status, WebhookError,
};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value, json};

const CASES: u32 = 10_000;
const CALLBACK_SECRET: &str = "cb-secret-for-tests";
const CALLBACK_REF: &str = "PAYOUT-2024-001";

fn reference() -> Reference {
    Reference::new("order-1042").unwrap()
}

fn callback_url() -> String {
    let token = sign(
        CALLBACK_SECRET.as_bytes(),
        CALLBACK_REF.as_bytes(),
        SignatureEncoding::Hex,
    );
    format!("https://merchant.example/jpay/callback?disburse_token={token}")
}

/// What kind of failure an input may legitimately produce.
#[derive(Clone, Copy, Debug)]
enum Allowed {
    /// A read: `Decode` only.
    Read(ProviderId),
    /// A read answered by Vesicash's envelope: `Decode` or the envelope's refusal.
    VesicashRead,
    /// A money-moving call: outcome unknown under the merchant reference (undecodable 200).
    MovesMoney(ProviderId, &'static str),
    /// A Vesicash money-moving call: as above, or the envelope's refusal (outcome unknown when
    /// the envelope's code is 5xx).
    VesicashMovesMoney(&'static str),
    /// A webhook body: `Webhook(InvalidBody)`, or `Webhook(UnhandledEvent)` for an event of
    /// another type.
    WebhookBody,
    /// A webhook header or an authenticated callback: any `Webhook(_)`.
    Webhook,
}

fn is_refusal(e: &Error, provider: ProviderId) -> bool {
    match e {
        Error::Rejected { provider: p, .. }
        | Error::Auth { provider: p, .. }
        | Error::RateLimited { provider: p, .. }
        | Error::ServerError { provider: p, .. } => *p == provider,
        _ => false,
    }
}

fn error_is_allowed(allowed: Allowed, e: &Error) -> bool {
    let outcome_unknown = |provider: ProviderId, operation: &str, e: &Error, vesicash: bool| {
        matches!(e, Error::OutcomeUnknown { provider: p, operation: o, reference: Some(r), cause, .. }
            if *p == provider && *o == operation && *r == reference()
                && (*cause == Ambiguity::UndecodableResponse { status: 200 }
                    || (vesicash && matches!(cause, Ambiguity::ServerError { status } if (500..=599).contains(status)))))
    };
    match allowed {
        Allowed::Read(provider) => {
            matches!(e, Error::Decode { provider: p, status: 200, .. } if *p == provider)
        }
        Allowed::VesicashRead => {
            matches!(
                e,
                Error::Decode {
                    provider: ProviderId::VESICASH,
                    status: 200,
                    ..
                }
            ) || is_refusal(e, ProviderId::VESICASH)
        }
        Allowed::MovesMoney(provider, operation) => outcome_unknown(provider, operation, e, false),
        Allowed::VesicashMovesMoney(operation) => {
            outcome_unknown(ProviderId::VESICASH, operation, e, true)
                || (is_refusal(e, ProviderId::VESICASH) && !matches!(e, Error::ServerError { .. }))
        }
        Allowed::WebhookBody => matches!(
            e,
            Error::Webhook(WebhookError::InvalidBody(_) | WebhookError::UnhandledEvent(_))
        ),
        Allowed::Webhook => matches!(e, Error::Webhook(_)),
    }
}

type Run = fn(&[u8]) -> Result<String, Error>;

/// One decoder: its name, how to run it on bytes, what it may fail with, and its fixtures.
struct Decoder {
    name: &'static str,
    run: Run,
    allowed: Allowed,
    fixtures: &'static [&'static str],
}

fn dbg<T: std::fmt::Debug>(r: Result<T, Error>) -> Result<String, Error> {
    r.map(|v| format!("{v:?}"))
}

fn decoders() -> Vec<Decoder> {
    vec![
        Decoder {
            name: "vesicash_create_payout",
            run: |b| dbg(d::vesicash_create_payout(&reference(), Currency::ZMW, b)),
            allowed: Allowed::VesicashMovesMoney("create_payout"),
            fixtures: &[
                "vesicash/payout_mobile_response.json",
                "vesicash/payout_bank_response.json",
                "vesicash/errors/insufficient_funds.json",
                "vesicash/errors/payout_provider_error.json",
            ],
        },
        Decoder {
            name: "vesicash_get_payout",
            run: |b| dbg(d::vesicash_get_payout(b)),
            allowed: Allowed::VesicashRead,
            fixtures: &[
                "vesicash/status_failed.json",
                "vesicash/status_successful.json",
                "vesicash/errors/payment_not_found.json",
            ],
        },
        Decoder {
            name: "vesicash_create_refund",
            run: |b| {
                dbg(d::vesicash_create_refund(
                    &reference(),
                    Currency::ZMW,
                    "PAY_1",
                    b,
                ))
            },
            allowed: Allowed::VesicashMovesMoney("create_refund"),
            fixtures: &[
                "vesicash/refund_response.json",
                "vesicash/errors/refund_exceeds_refundable_balance.json",
            ],
        },
        Decoder {
            name: "vesicash_countries",
            run: |b| dbg(d::vesicash_countries(b)),
            allowed: Allowed::VesicashRead,
            fixtures: &["vesicash/countries.json"],
        },
        Decoder {
            name: "vesicash_webhook_body",
            run: |b| dbg(d::vesicash_webhook_body(b)),
            allowed: Allowed::WebhookBody,
            fixtures: &[
                "vesicash/webhook_payout.json",
                "vesicash/webhook_refund.json",
            ],
        },
        Decoder {
            name: "jpay_create_payout",
            run: |b| dbg(d::jpay_create_payout(&reference(), b)),
            allowed: Allowed::MovesMoney(ProviderId::JPAY, "create_payout"),
            fixtures: &[
                "jpay/payout-response-mpesa.json",
                "jpay/payout-response-airtel.json",
                "jpay/payout-response-bank.json",
            ],
        },
        Decoder {
            name: "jpay_get_payout",
            run: |b| dbg(d::jpay_get_payout(b)),
            allowed: Allowed::Read(ProviderId::JPAY),
            fixtures: &[
                "jpay/payout-completed.json",
                "jpay/payout-failed.json",
                "jpay/payout-processing.json",
            ],
        },
        Decoder {
            name: "jpay_find_page",
            run: |b| {
                dbg(d::jpay_find_page(
                    &Reference::new("PAYOUT-2024-000").unwrap(),
                    1,
                    b,
                ))
            },
            allowed: Allowed::Read(ProviderId::JPAY),
            fixtures: &[
                "jpay/payouts-page-1.json",
                "jpay/payouts-page-2.json",
                "jpay/payouts-empty.json",
            ],
        },
        Decoder {
            name: "jpay_create_refund",
            run: |b| dbg(d::jpay_create_refund(&reference(), "PAY-9", b)),
            allowed: Allowed::MovesMoney(ProviderId::JPAY, "create_refund"),
            fixtures: &["jpay/refund-response.json"],
        },
        Decoder {
            name: "jpay_token",
            run: |b| dbg(d::jpay_token(b)),
            allowed: Allowed::Read(ProviderId::JPAY),
            fixtures: &[
                "jpay/token.json",
                "jpay/refresh.json",
                "jpay/token-without-payouts.json",
            ],
        },
        Decoder {
            name: "jpay_callback",
            run: |b| dbg(d::jpay_callback(CALLBACK_SECRET, &callback_url(), b)),
            allowed: Allowed::Webhook,
            fixtures: &[
                "jpay/callback-completed.json",
                "jpay/callback-failed.json",
                "jpay/callback-created.json",
            ],
        },
        Decoder {
            name: "payonify_create_payout",
            run: |b| dbg(d::payonify_create_payout(&reference(), b)),
            allowed: Allowed::MovesMoney(ProviderId::PAYONIFY, "create_payout"),
            fixtures: &["payonify/payout_created.json"],
        },
        Decoder {
            name: "payonify_get_payout",
            run: |b| dbg(d::payonify_get_payout(b)),
            allowed: Allowed::Read(ProviderId::PAYONIFY),
            fixtures: &["payonify/payout_paid.json", "payonify/payout_failed.json"],
        },
        Decoder {
            name: "payonify_list_page",
            run: |b| dbg(d::payonify_list_page(b)),
            allowed: Allowed::Read(ProviderId::PAYONIFY),
            fixtures: &["payonify/list_page_1.json", "payonify/list_page_2.json"],
        },
        Decoder {
            name: "payonify_validate",
            run: |b| dbg(d::payonify_validate(b)),
            allowed: Allowed::Read(ProviderId::PAYONIFY),
            fixtures: &[
                "payonify/validate_valid.json",
                "payonify/validate_invalid.json",
            ],
        },
        Decoder {
            name: "payonify_webhook_body",
            run: |b| dbg(d::payonify_webhook_body(b)),
            allowed: Allowed::WebhookBody,
            fixtures: &[
                "payonify/webhooks/payout_succeeded.json",
                "payonify/webhooks/payout_failed.json",
            ],
        },
        Decoder {
            name: "payonify_signature_header",
            run: |b| dbg(d::payonify_signature_header(&String::from_utf8_lossy(b))),
            allowed: Allowed::Webhook,
            fixtures: &[],
        },
    ]
}

type MapError = fn(u16, &[u8]) -> Result<Error, Error>;

fn error_mappers() -> Vec<(&'static str, ProviderId, MapError, &'static [&'static str])> {
    vec![
        (
            "vesicash_map_error",
            ProviderId::VESICASH,
            d::vesicash_map_error,
            &[
                "vesicash/errors/insufficient_funds.json",
                "vesicash/errors/payment_not_found.json",
                "vesicash/errors/payout_amount_less_that_0.json",
                "vesicash/errors/payout_provider_error.json",
                "vesicash/errors/refund_exceeds_refundable_balance.json",
                "vesicash/errors/refund_provider_error.json",
            ],
        ),
        (
            "jpay_map_error",
            ProviderId::JPAY,
            d::jpay_map_error,
            &[
                "jpay/error-app-inactive.json",
                "jpay/error-app-not-found.json",
                "jpay/error-channel-required.json",
                "jpay/error-duplicate-reference.json",
                "jpay/error-insufficient-balance.json",
                "jpay/error-invalid-amount.json",
                "jpay/error-invalid-channel.json",
                "jpay/error-invalid-phone.json",
                "jpay/error-invalid-token.json",
                "jpay/error-ip-not-allowed.json",
                "jpay/error-merchant-not-approved.json",
                "jpay/error-payout-not-found.json",
                "jpay/error-product-not-enabled.json",
                "jpay/error-rate-limited.json",
                "jpay/error-refresh-rejected.json",
                "jpay/error-server-error.json",
            ],
        ),
        (
            "payonify_map_error",
            ProviderId::PAYONIFY,
            d::payonify_map_error,
            &[
                "payonify/errors/api_error.json",
                "payonify/errors/authentication_error.json",
                "payonify/errors/idempotency_error.json",
                "payonify/errors/invalid_request_error.json",
                "payonify/errors/rate_limit_error.json",
                "payonify/errors/resource_missing.json",
            ],
        ),
    ]
}

/// Runs every decoder on `bytes`: no panic (proptest reports one as a failure), and any error
/// is the typed error the decoder's kind allows.
fn check_all(bytes: &[u8]) -> Result<(), TestCaseError> {
    for decoder in decoders() {
        if let Err(e) = (decoder.run)(bytes) {
            prop_assert!(
                error_is_allowed(decoder.allowed, &e),
                "{}: unexpected error {e:?} for {:?}",
                decoder.name,
                String::from_utf8_lossy(bytes)
            );
        }
    }
    Ok(())
}

/// A mapped error is a refusal of the right provider carrying the answer's status.
fn check_mapped(status: u16, bytes: &[u8]) -> Result<(), TestCaseError> {
    for (name, provider, map, _) in error_mappers() {
        match map(status, bytes) {
            Ok(mapped) => {
                prop_assert!(
                    is_refusal(&mapped, provider),
                    "{name}: {status} mapped to {mapped:?}"
                );
                if !matches!(mapped, Error::RateLimited { .. }) {
                    prop_assert_eq!(mapped.http_status(), Some(status), "{}: {:?}", name, mapped);
                }
            }
            Err(e) => prop_assert!(
                !(100..=999).contains(&status)
                    && matches!(
                        e,
                        Error::InvalidRequest {
                            field: "status",
                            ..
                        }
                    ),
                "{name}: status {status} refused with {e:?}"
            ),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Field names the decoders read, so arbitrary JSON reaches past the first `missing field`.
const KEYS: &[&str] = &[
    "status",
    "code",
    "message",
    "error",
    "data",
    "reference",
    "amount",
    "currency",
    "currency_code",
    "failure_reason",
    "error_code",
    "reason",
    "payment_reference",
    "created_at",
    "id",
    "country_id",
    "country_code",
    "event",
    "type",
    "items",
    "results",
    "pagination",
    "page",
    "total",
    "total_pages",
    "has_next",
    "next",
    "count",
    "ref_no",
    "payto",
    "result_description",
    "trans_id",
    "access",
    "refresh",
    "app_code",
    "products",
    "notification",
    "result_code",
    "external_ref",
    "object",
    "value",
    "metadata",
    "disburse_reference",
    "paging",
    "has_next_page",
    "end_cursor",
    "valid",
    "recipient",
    "first_name",
    "last_name",
    "account_status",
    "failure_code",
    "failure_message",
    "detail",
    "param",
    "created",
    "livemode",
];
const WORDS: &[&str] = &[
    "success",
    "error",
    "processing",
    "pending",
    "successful",
    "failed",
    "completed",
    "paid",
    "payout",
    "payout.succeeded",
    "payout.failed",
    "transaction.completed",
    "refund",
    "usd",
    "zwg",
    "KES",
    "NGN",
    "ZMW",
    "PY_1",
    "RF_1",
    "order-1042",
    "PAYOUT-2024-001",
    "12/04/2024 14:30:45",
    "2024-04-12T14:35:00Z",
    "1000.00",
    "0.29",
    "-1",
    "1e400",
    "",
    " ",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        proptest::sample::select(WORDS).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(KEYS).prop_map(str::to_owned),
        1 => "[a-z_]{0,8}",
    ]
}

/// Arbitrary JSON: up to 5 levels, a few dozen nodes.
fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map(key(), inner, 0..7)
                .prop_map(|m: BTreeMap<String, Value>| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every fixture any decoder reads, parsed once.
fn all_fixtures() -> &'static [(&'static str, Value)] {
    static ALL: std::sync::OnceLock<Vec<(&'static str, Value)>> = std::sync::OnceLock::new();
    ALL.get_or_init(read_fixtures)
}

fn read_fixtures() -> Vec<(&'static str, Value)> {
    let mut all: Vec<&'static str> = decoders()
        .iter()
        .flat_map(|d| d.fixtures.iter().copied())
        .collect();
    all.extend(
        error_mappers()
            .into_iter()
            .flat_map(|m| m.3.iter().copied()),
    );
    all.sort_unstable();
    all.dedup();
    all.into_iter()
        .map(|p| (p, common::fixture_json(p)))
        .collect()
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete,
    SwapType(Value),
    NumberAsString,
    Huge(Value),
    DeepNesting(usize),
    Replace(Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Delete),
        leaf().prop_map(Mutation::SwapType),
        Just(Mutation::NumberAsString),
        proptest::sample::select(vec![
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1e308),
            json!(-1e308),
            json!(f64::MIN_POSITIVE),
            json!("99999999999999999999999999999999999999"),
            json!("1e400"),
            json!(79228162514264337593543950335_u128 as f64),
            json!("-0.000000000000000000000000001"),
        ])
        .prop_map(Mutation::Huge),
        (1usize..200).prop_map(Mutation::DeepNesting),
        json().prop_map(Mutation::Replace),
    ]
}

/// Paths to every node of `value` (object keys and array indices), the root included.
fn paths(value: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                prefix.push(Value::from(k.as_str()));
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                prefix.push(Value::from(i));
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn apply(value: &mut Value, path: &[Value], mutation: &Mutation) {
    if let [last] = path
        && matches!(mutation, Mutation::Delete)
    {
        match (value, last) {
            (Value::Object(map), Value::String(k)) => {
                map.remove(k);
            }
            (Value::Array(items), Value::Number(i)) => {
                let i = usize::try_from(i.as_u64().unwrap()).unwrap();
                items.remove(i);
            }
            _ => unreachable!("paths only lead through objects and arrays"),
        }
        return;
    }
    if let Some((first, rest)) = path.split_first() {
        let child = match (value, first) {
            (Value::Object(map), Value::String(k)) => map.get_mut(k).unwrap(),
            (Value::Array(items), Value::Number(i)) => {
                &mut items[usize::try_from(i.as_u64().unwrap()).unwrap()]
            }
            _ => unreachable!("paths only lead through objects and arrays"),
        };
        return apply(child, rest, mutation);
    }
    // At the node itself.
    let old = value.take();
    *value = match mutation {
        Mutation::Delete => Value::Null, // deleting the root: an empty answer of `null`
        Mutation::SwapType(new) => match (&old, new) {
            (Value::String(s), _) => Value::Array(vec![Value::String(s.clone())]),
            (_, new) if std::mem::discriminant(&old) == std::mem::discriminant(new) => {
                Value::Object(Map::from_iter([("value".to_owned(), old.clone())]))
            }
            (_, new) => new.clone(),
        },
        Mutation::NumberAsString => match &old {
            Value::Number(n) => Value::String(n.to_string()),
            Value::String(s) => s
                .trim()
                .parse::<serde_json::Number>()
                .map_or(Value::String(s.clone()), Value::Number),
            other => Value::String(other.to_string()),
        },
        Mutation::Huge(huge) => huge.clone(),
        Mutation::DeepNesting(depth) => {
            let mut nested = old;
            for _ in 0..*depth {
                nested = Value::Array(vec![nested]);
            }
            nested
        }
        Mutation::Replace(new) => new.clone(),
    };
}

/// The fixture (by index), one of its nodes (by index) and a mutation of that node.
fn mutated_fixture() -> impl Strategy<Value = (String, Vec<u8>)> {
    (any::<Index>(), any::<Index>(), mutation()).prop_map(|(f, n, m)| {
        let fixtures = all_fixtures();
        let (name, mut value) = fixtures[f.index(fixtures.len())].clone();
        let mut all = Vec::new();
        paths(&value, &mut Vec::new(), &mut all);
        let path = all[n.index(all.len())].clone();
        apply(&mut value, &path, &m);
        let bytes = serde_json::to_vec(&value).unwrap();
        (format!("{name} at {path:?}: {m:?}"), bytes)
    })
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        check_all(&bytes)?;
    }

    #[test]
    fn decoders_never_panic_on_json_shaped_bytes(text in "[\\[\\]{}\",:0-9a-z.eE+ -]{0,80}") {
        check_all(text.as_bytes())?;
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_json(value in json()) {
        check_all(&serde_json::to_vec(&value).unwrap())?;
    }

    #[test]
    fn decoders_never_panic_on_mutated_fixtures((what, bytes) in mutated_fixture()) {
        let _ = &what;
        check_all(&bytes)?;
    }

    #[test]
    fn error_mapping_never_panics_on_arbitrary_bytes(
        status in prop_oneof![400u16..=599, 0u16..=1200],
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        check_mapped(status, &bytes)?;
    }

    #[test]
    fn error_mapping_never_panics_on_arbitrary_json(status in 400u16..=599, value in json()) {
        check_mapped(status, &serde_json::to_vec(&value).unwrap())?;
    }

    #[test]
    fn error_mapping_never_panics_on_mutated_fixtures(status in 400u16..=599, (what, bytes) in mutated_fixture()) {
        let _ = &what;
        check_mapped(status, &bytes)?;
    }

    #[test]
    fn signature_header_never_panics(header in "[tv01=, a-f0-9]{0,120}") {
        if let Err(e) = d::payonify_signature_header(&header) {
            prop_assert!(matches!(e, Error::Webhook(_)), "{e:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Valid fixtures decode to the expected values
// ---------------------------------------------------------------------------------------------

fn fx(path: &str) -> Vec<u8> {
    common::fixture(path).into_bytes()
}

fn money(amount: &str, currency: Currency) -> Option<Money> {
    Some(Money::parse(amount, currency).unwrap())
}

#[test]
fn vesicash_fixtures_decode_to_the_expected_values() {
    let payout = d::vesicash_create_payout(
        &reference(),
        Currency::ZMW,
        &fx("vesicash/payout_mobile_response.json"),
    )
    .unwrap();
    assert_eq!(payout.provider, ProviderId::VESICASH);
    assert_eq!(payout.id, "PY_8f2c1d9e4b7a");
    assert_eq!(payout.status, Status::Pending);
    assert_eq!(payout.amount, money("150", Currency::ZMW));
    assert_eq!(payout.reference, Some(reference()));
    assert_eq!(
        payout.raw,
        common::fixture_json("vesicash/payout_mobile_response.json")
    );

    let failed = d::vesicash_get_payout(&fx("vesicash/status_failed.json")).unwrap();
    assert_eq!(failed.id, "PY_8f2c1d9e4b7a");
    assert_eq!(
        failed.status,
        Status::failed(
            FailureReason::InsufficientFunds,
            Some("INSUFFICIENT_FUNDS".into())
        )
    );
    assert_eq!(failed.amount, None, "the status answer names no currency");
    assert_eq!(failed.reference, None);

    let refund = d::vesicash_create_refund(
        &reference(),
        Currency::ZMW,
        " PAY_1 ",
        &fx("vesicash/refund_response.json"),
    )
    .unwrap();
    assert_eq!(refund.id, "RF_5d1e0c7b2a90");
    assert_eq!(refund.status, Status::Pending);
    assert_eq!(refund.amount, money("0.29", Currency::ZMW));
    assert_eq!(refund.payment_reference.as_deref(), Some("PAY_1"));
    assert_eq!(refund.reference, Some(reference()));

    let countries = d::vesicash_countries(&fx("vesicash/countries.json")).unwrap();
    let listed: Vec<(&str, &str, Option<&str>)> = countries
        .iter()
        .map(|c| {
            (
                c.id.as_str(),
                c.country_code.as_str(),
                c.currency_code.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("1", "NG", Some("NGN")),
            ("2", "ZM", Some("ZMW")),
            ("3", "KE", Some("KES"))
        ]
    );

    // A refusal in a 200 envelope is a refusal, with the documented message's code.
    match d::vesicash_create_payout(
        &reference(),
        Currency::ZMW,
        &fx("vesicash/errors/insufficient_funds.json"),
    ) {
        Err(Error::Rejected {
            provider: ProviderId::VESICASH,
            status: 400,
            code: RejectCode::InsufficientBalance,
            ..
        }) => {}
        other => panic!("expected an insufficient-balance refusal, got {other:?}"),
    }
    match d::vesicash_map_error(502, &fx("vesicash/errors/bad_gateway.html")) {
        Ok(Error::ServerError {
            provider: ProviderId::VESICASH,
            status: 502,
            ..
        }) => {}
        other => panic!("expected a server error, got {other:?}"),
    }

    let event = d::vesicash_webhook_body(&fx("vesicash/webhook_payout.json")).unwrap();
    assert_eq!(event.object, EventObject::Payout);
    assert_eq!(event.status, Status::Succeeded);
    assert_eq!(event.provider_reference.as_deref(), Some("PY_8f2c1d9e4b7a"));
    assert_eq!(event.amount, money("150.00", Currency::ZMW));
}

#[test]
fn jpay_fixtures_decode_to_the_expected_values() {
    let payout =
        d::jpay_create_payout(&reference(), &fx("jpay/payout-response-mpesa.json")).unwrap();
    assert_eq!(payout.provider, ProviderId::JPAY);
    assert_eq!(payout.id, "PAYOUT-2024-001-ABC123");
    assert_eq!(payout.status, Status::Pending);
    assert_eq!(payout.amount, money("1000.00", Currency::KES));
    assert_eq!(
        payout.reference,
        Some(Reference::new("PAYOUT-2024-001").unwrap())
    );
    assert_eq!(
        payout.created_at.map(|t| t.to_rfc3339()),
        Some("2024-04-12T14:30:45+00:00".to_owned())
    );

    let scan = d::jpay_find_page(
        &Reference::new("PAYOUT-2024-000").unwrap(),
        1,
        &fx("jpay/payouts-page-1.json"),
    )
    .unwrap();
    assert_eq!(
        scan.found.as_ref().map(|p| p.id.as_str()),
        Some("PAYOUT-2024-000-ZZZ999")
    );
    assert_eq!(
        scan.found.as_ref().map(|p| p.status.clone()),
        Some(Status::Succeeded)
    );
    assert!(scan.has_more, "page 1 of total_pages 2");
    assert_eq!(scan.first_id.as_deref(), Some("PAYOUT-2024-000-ZZZ999"));
    let empty = d::jpay_find_page(&reference(), 1, &fx("jpay/payouts-empty.json")).unwrap();
    assert_eq!(
        (empty.found, empty.has_more, empty.first_id),
        (None, false, None)
    );

    let refund =
        d::jpay_create_refund(&reference(), "PAY-9", &fx("jpay/refund-response.json")).unwrap();
    assert_eq!(refund.id, "REFUND-2024-001-JKL012");
    assert_eq!(refund.payment_reference.as_deref(), Some("PAY-9"));
    assert_eq!(refund.amount, money("500.00", Currency::KES));
    assert_eq!(refund.status, Status::Pending);

    let token = d::jpay_token(&fx("jpay/token.json")).unwrap();
    assert_eq!(token.app_code, Some(12345));
    assert_eq!(
        token.products,
        Some(vec!["collections".to_owned(), "payouts".to_owned()])
    );
    assert!(token.has_refresh_token);
    // The JWTs say 900 s and 7 days (exp - iat); renewed the 60 s margin early.
    assert_eq!(token.renew_after_secs, 840);
    assert_eq!(token.refresh_until_secs, 7 * 24 * 3600 - 60);

    let event = d::jpay_callback(
        CALLBACK_SECRET,
        &callback_url(),
        &fx("jpay/callback-completed.json"),
    )
    .unwrap();
    assert_eq!(event.status, Status::Succeeded);
    assert_eq!(event.reference.as_deref(), Some(CALLBACK_REF));
    assert_eq!(event.provider_reference.as_deref(), Some("QGX7654321"));
    assert_eq!(event.amount, money("1000.00", Currency::KES));
    match d::jpay_callback(
        "another-secret",
        &callback_url(),
        &fx("jpay/callback-completed.json"),
    ) {
        Err(Error::Webhook(WebhookError::SignatureMismatch)) => {}
        other => panic!("a token made with another secret must not verify: {other:?}"),
    }
}

#[test]
fn payonify_fixtures_decode_to_the_expected_values() {
    let payout =
        d::payonify_create_payout(&reference(), &fx("payonify/payout_created.json")).unwrap();
    assert_eq!(payout.provider, ProviderId::PAYONIFY);
    assert_eq!(payout.id, "po_1PNa7qGx2bV5mKd9Lw3Hs8Ty");
    assert_eq!(payout.status, Status::Pending);
    assert_eq!(payout.amount, money("1.00", Currency::USD));
    assert_eq!(
        payout.reference,
        Some(Reference::new("po-2024-0001").unwrap())
    );

    let paid = d::payonify_get_payout(&fx("payonify/payout_paid.json")).unwrap();
    assert_eq!(paid.status, Status::Succeeded);

    let page = d::payonify_list_page(&fx("payonify/list_page_1.json")).unwrap();
    let raw = common::fixture_json("payonify/list_page_1.json");
    let ids: Vec<&str> = raw["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        page.data.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ids
    );
    assert_eq!(
        page.has_next_page,
        raw["paging"]["has_next_page"].as_bool().unwrap()
    );
    assert_eq!(
        page.end_cursor.as_deref(),
        raw["paging"]["end_cursor"].as_str()
    );
    assert_eq!(page.data[0].amount, money("2500.00", Currency::ZWG));

    let check = d::payonify_validate(&fx("payonify/validate_valid.json")).unwrap();
    assert!(check.valid);
    assert_eq!(check.account_status.as_deref(), Some("active"));

    match d::payonify_map_error(429, &fx("payonify/errors/rate_limit_error.json")) {
        Ok(Error::RateLimited {
            provider: ProviderId::PAYONIFY,
            ..
        }) => {}
        other => panic!("expected rate limited, got {other:?}"),
    }

    let header = common::fixture("payonify/webhooks/payout_succeeded.signature");
    let (t, v1) = d::payonify_signature_header(header.trim()).unwrap();
    assert_eq!(t, "1717405260");
    assert_eq!(
        v1,
        ["68dd8bfd894dbac49a5e65f340215f0531df7409bdc6b913fe7bfdd9e0273b4a"]
    );

    let event = d::payonify_webhook_body(&fx("payonify/webhooks/payout_succeeded.json")).unwrap();
    assert_eq!(
        event.event_id.as_deref(),
        Some("evt_1PNaB2Gx2bV5mKd9Hc4Rt6Uv")
    );
    assert_eq!(event.status, Status::Succeeded);
    assert_eq!(event.reference.as_deref(), Some("po-2024-0001"));
    assert_eq!(event.amount, money("1.00", Currency::USD));
}

/// Every error fixture maps to a refusal of its provider under a 4xx/5xx status, and every
/// response fixture decodes (a fixture that stopped decoding would make the properties above
/// test nothing but error paths).
#[test]
fn every_fixture_takes_its_happy_path() {
    for decoder in decoders() {
        for path in decoder.fixtures {
            let result = (decoder.run)(&fx(path));
            let is_error_fixture = path.contains("/errors/");
            match (&result, is_error_fixture) {
                (Ok(_), false) => {}
                (Err(e), true) => assert!(error_is_allowed(decoder.allowed, e), "{path}: {e:?}"),
                _ => panic!("{}: {path} gave {result:?}", decoder.name),
            }
        }
    }
    for (name, provider, map, fixtures) in error_mappers() {
        for path in fixtures {
            let mapped = map(400, &fx(path)).unwrap();
            assert!(
                is_refusal(&mapped, provider),
                "{name}: {path} mapped to {mapped:?}"
            );
        }
    }
}
