//! The `serde` feature: every documented type survives a JSON round trip unchanged (10,000
//! generated cases each), amounts are never JSON numbers, and deserializing refuses what the
//! constructors refuse, with the constructor's error text.
#![cfg(feature = "serde")]

use chrono::{DateTime, TimeZone, Utc};
use disburse::{
    CallbackUrl, Country, Currency, Destination, EventObject, FailureReason, Money, Msisdn,
    Network, Payout, PayoutRequest, ProviderId, RawJson, Reference, Refund, Status, WebhookEvent,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

const CASES: u32 = 10_000;

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

fn currency() -> impl Strategy<Value = Currency> {
    proptest::sample::select(Currency::ALL.to_vec())
}

fn money() -> impl Strategy<Value = Money> {
    (currency(), 0i64..=999_999_999_999, 0u32..=2).prop_map(|(currency, mantissa, scale)| {
        let scale = scale.min(currency.minor_units());
        Money::new(Decimal::new(mantissa, scale), currency).unwrap()
    })
}

fn msisdn() -> impl Strategy<Value = Msisdn> {
    (
        proptest::sample::select(Country::ALL.to_vec()),
        any::<proptest::sample::Index>(),
        "[0-9]{12}",
    )
        .prop_map(|(country, pick, digits)| {
            let prefixes = country.mobile_prefixes();
            let prefix = prefixes[pick.index(prefixes.len())];
            let rest = &digits[..country.national_number_len() - prefix.len()];
            Msisdn::parse(&format!("+{}{prefix}{rest}", country.calling_code())).unwrap()
        })
}

fn reference() -> impl Strategy<Value = Reference> {
    "[A-Za-z0-9_-]{1,50}".prop_map(|text| Reference::new(text).unwrap())
}

fn failure_reason() -> impl Strategy<Value = FailureReason> {
    prop_oneof![
        Just(FailureReason::InsufficientFunds),
        Just(FailureReason::InvalidRecipient),
        Just(FailureReason::RecipientBlocked),
        Just(FailureReason::LimitExceeded),
        Just(FailureReason::Declined),
        Just(FailureReason::ProviderTimeout),
        // Including the words of a known reason: `Other("declined")` stays `Other`.
        prop_oneof![".{0,30}", Just("declined".to_owned())].prop_map(FailureReason::Other),
    ]
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![
        Just(Status::Pending),
        Just(Status::Succeeded),
        (failure_reason(), proptest::option::of(".{0,30}"))
            .prop_map(|(reason, detail)| Status::failed(reason, detail)),
        ".{0,20}".prop_map(Status::Unknown),
    ]
}

fn provider() -> impl Strategy<Value = ProviderId> {
    proptest::sample::select(vec![
        ProviderId::VESICASH,
        ProviderId::JPAY,
        ProviderId::PAYONIFY,
        ProviderId::custom("acme-pay"),
    ])
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1.0e9f64..1.0e9).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn raw() -> impl Strategy<Value = RawJson> {
    prop_oneof![Just(RawJson::empty()), json_value().prop_map(RawJson::from),]
}

fn created_at() -> impl Strategy<Value = Option<DateTime<Utc>>> {
    proptest::option::of(
        (0i64..4_102_444_800, 0u32..1_000_000_000)
            .prop_map(|(secs, nanos)| Utc.timestamp_opt(secs, nanos).unwrap()),
    )
}

fn text_id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.-]{1,24}"
}

fn payout() -> impl Strategy<Value = Payout> {
    (
        provider(),
        text_id(),
        proptest::option::of(text_id()),
        proptest::option::of(reference()),
        proptest::option::of(money()),
        status(),
        created_at(),
        raw(),
    )
        .prop_map(
            |(provider, id, provider_reference, reference, amount, status, created_at, raw)| {
                let mut payout = Payout::new(provider, id, status);
                payout.provider_reference = provider_reference;
                payout.reference = reference;
                payout.amount = amount;
                payout.created_at = created_at;
                payout.raw = raw;
                payout
            },
        )
}

fn refund() -> impl Strategy<Value = Refund> {
    (
        provider(),
        text_id(),
        proptest::option::of(reference()),
        proptest::option::of(text_id()),
        proptest::option::of(money()),
        status(),
        created_at(),
        raw(),
    )
        .prop_map(
            |(provider, id, reference, payment_reference, amount, status, created_at, raw)| {
                let mut refund = Refund::new(provider, id, status);
                refund.reference = reference;
                refund.payment_reference = payment_reference;
                refund.amount = amount;
                refund.created_at = created_at;
                refund.raw = raw;
                refund
            },
        )
}

fn destination() -> impl Strategy<Value = Destination> {
    let network = proptest::sample::select(vec![
        Network::Safaricom,
        Network::Airtel,
        Network::Telkom,
        Network::Econet,
        Network::NetOne,
        Network::Telecel,
    ]);
    prop_oneof![
        msisdn().prop_map(Destination::mobile),
        (msisdn(), network).prop_map(|(m, n)| Destination::mobile_on(m, n)),
        (
            proptest::sample::select(Country::ALL.to_vec()),
            "[0-9]{1,6}",
            "[A-Za-z0-9]{1,20}"
        )
            .prop_map(
                |(country, bank, account)| Destination::bank(country, bank, account).unwrap()
            ),
    ]
}

fn callback_url() -> impl Strategy<Value = CallbackUrl> {
    ("[a-z]{1,10}", "[a-z0-9]{0,10}")
        .prop_map(|(host, path)| CallbackUrl::parse(&format!("https://{host}.example/{path}")))
        .prop_map(Result::unwrap)
}

fn payout_request() -> impl Strategy<Value = PayoutRequest> {
    (
        reference(),
        money(),
        destination(),
        proptest::option::of(".{0,40}"),
        proptest::option::of(callback_url()),
        proptest::option::of("[0-9]{1,6}"),
        proptest::collection::btree_map("[a-z_]{1,10}", ".{0,10}", 0..3),
    )
        .prop_map(
            |(reference, amount, destination, narration, callback, channel, metadata)| {
                let mut request = PayoutRequest::new(reference, amount, destination);
                request.narration = narration;
                request.callback_url = callback;
                request.channel = channel;
                request.metadata = metadata;
                request
            },
        )
}

fn webhook_event() -> impl Strategy<Value = WebhookEvent> {
    (
        provider(),
        proptest::option::of(text_id()),
        prop_oneof![Just(EventObject::Payout), Just(EventObject::Refund)],
        proptest::option::of(text_id()),
        proptest::option::of(text_id()),
        proptest::option::of(money()),
        status(),
        raw(),
    )
        .prop_map(
            |(provider, event_id, object, provider_reference, reference, amount, status, raw)| {
                let mut event = WebhookEvent::new(provider, object, status);
                event.event_id = event_id;
                event.provider_reference = provider_reference;
                event.reference = reference;
                event.amount = amount;
                event.raw = raw;
                event
            },
        )
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/// Serializes, deserializes, and compares; returns the JSON as a tree.
fn round_trip<T>(value: &T) -> Value
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let text = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(&back, value, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// Every `"amount"` outside the provider's `raw` JSON is a `{amount: string, currency}` object.
fn assert_amounts_are_strings(value: &Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "raw" {
                    continue;
                }
                if key == "amount" && !inner.is_null() {
                    assert!(inner.get("amount").is_some_and(Value::is_string), "{value}");
                } else {
                    assert_amounts_are_strings(inner);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(assert_amounts_are_strings),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn money_round_trips_as_a_decimal_string(money in money()) {
        let json = round_trip(&money);
        let amount = money.amount().to_string();
        prop_assert_eq!(json["amount"].as_str(), Some(amount.as_str()));
        prop_assert_eq!(json["currency"].as_str(), Some(money.currency().code()));
    }

    #[test]
    fn currency_round_trips(currency in currency()) {
        prop_assert_eq!(round_trip(&currency), Value::from(currency.code()));
    }

    #[test]
    fn msisdn_round_trips_as_e164(msisdn in msisdn()) {
        prop_assert_eq!(round_trip(&msisdn), Value::from(msisdn.e164()));
    }

    #[test]
    fn reference_round_trips(reference in reference()) {
        prop_assert_eq!(round_trip(&reference), Value::from(reference.as_str()));
    }

    #[test]
    fn failure_reason_round_trips(reason in failure_reason()) {
        round_trip(&reason);
    }

    #[test]
    fn status_round_trips(status in status()) {
        let json = round_trip(&status);
        prop_assert_eq!(json["status"].as_str(), Some(status.word()));
    }

    #[test]
    fn payout_round_trips(payout in payout()) {
        assert_amounts_are_strings(&round_trip(&payout));
    }

    #[test]
    fn refund_round_trips(refund in refund()) {
        assert_amounts_are_strings(&round_trip(&refund));
    }

    #[test]
    fn payout_request_round_trips(request in payout_request()) {
        assert_amounts_are_strings(&round_trip(&request));
    }

    #[test]
    fn webhook_event_round_trips(event in webhook_event()) {
        assert_amounts_are_strings(&round_trip(&event));
    }
}

// ---------------------------------------------------------------------------------------------
// Shapes and refusals
// ---------------------------------------------------------------------------------------------

#[test]
fn the_documented_shapes() {
    let money = Money::parse("1000.50", Currency::KES).unwrap();
    assert_eq!(
        serde_json::to_string(&money).unwrap(),
        r#"{"amount":"1000.50","currency":"KES"}"#
    );
    let request = PayoutRequest::new(
        Reference::new("order-1042").unwrap(),
        money,
        Destination::mobile(Msisdn::parse("+254712345678").unwrap()),
    )
    .with_callback_url(CallbackUrl::parse("https://shop.example/hooks").unwrap());
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        serde_json::json!({
            "reference": "order-1042",
            "amount": {"amount": "1000.50", "currency": "KES"},
            "destination": {"type": "mobile_wallet", "msisdn": "+254712345678"},
            "callback_url": "https://shop.example/hooks"
        })
    );
    let failed = Status::failed(FailureReason::Other("wallet_closed".into()), None);
    assert_eq!(
        serde_json::to_string(&failed).unwrap(),
        r#"{"status":"failed","reason":{"other":"wallet_closed"}}"#
    );
    let mut payout = Payout::new(ProviderId::JPAY, "P-1", Status::Succeeded);
    payout.raw = RawJson::from(serde_json::json!({"status": "completed", "amount": "10.00"}));
    assert_eq!(
        serde_json::to_string(&payout).unwrap(),
        r#"{"provider":"jpay","id":"P-1","provider_reference":null,"reference":null,"amount":null,"status":{"status":"succeeded"},"created_at":null,"raw":{"amount":"10.00","status":"completed"}}"#
    );
}

/// The refusal's text, after checking it is a data error (not a syntax error).
fn refusal<T: DeserializeOwned + std::fmt::Debug>(json: &str) -> String {
    let err = serde_json::from_str::<T>(json).expect_err(json);
    assert_eq!(err.classify(), serde_json::error::Category::Data, "{err}");
    err.to_string()
}

#[test]
fn a_json_number_is_never_an_amount() {
    for json in [
        r#"{"amount": 12.5, "currency": "KES"}"#,
        r#"{"amount": 12, "currency": "KES"}"#,
        r#"{"amount": 1e3, "currency": "KES"}"#,
    ] {
        let text = refusal::<Money>(json);
        assert!(
            text.contains("expected a decimal amount as a JSON string"),
            "{text}"
        );
    }
}

#[test]
fn deserializing_refuses_what_the_constructors_refuse() {
    let too_many = Money::parse("1.005", Currency::KES)
        .unwrap_err()
        .to_string();
    let text = refusal::<Money>(r#"{"amount": "1.005", "currency": "KES"}"#);
    assert!(text.starts_with(&too_many), "{text}");
    let whole = Money::parse("1.5", Currency::UGX).unwrap_err().to_string();
    assert!(refusal::<Money>(r#"{"amount": "1.5", "currency": "UGX"}"#).starts_with(&whole));
    let negative = Money::parse("-1", Currency::KES).unwrap_err().to_string();
    assert!(refusal::<Money>(r#"{"amount": "-1", "currency": "KES"}"#).starts_with(&negative));
    let exponent = Money::parse("1e3", Currency::KES).unwrap_err().to_string();
    assert!(refusal::<Money>(r#"{"amount": "1e3", "currency": "KES"}"#).starts_with(&exponent));
    assert!(refusal::<Money>(r#"{"amount": "1", "currency": "XYZ"}"#).contains("XYZ"));

    let bad_phone = Msisdn::parse("+2547").unwrap_err().to_string();
    assert!(refusal::<Msisdn>(r#""+2547""#).starts_with(&bad_phone));

    let empty = Reference::new("").unwrap_err().to_string();
    assert!(refusal::<Reference>(r#""""#).starts_with(&empty));
    let long = "x".repeat(51);
    assert!(refusal::<Reference>(&format!("\"{long}\"")).contains("at most 50"));

    let plain = CallbackUrl::parse("http://shop.example/hooks")
        .unwrap_err()
        .to_string();
    let request = r#"{"reference": "r-1", "amount": {"amount": "1.00", "currency": "KES"},
        "destination": {"type": "mobile_wallet", "msisdn": "+254712345678"},
        "callback_url": "http://shop.example/hooks"}"#;
    assert!(refusal::<PayoutRequest>(request).starts_with(&plain));

    let bank =
        r#"{"type": "bank_account", "country": "KE", "bank_code": " ", "account_number": "1"}"#;
    let blank = Destination::bank(Country::Kenya, " ", "1")
        .unwrap_err()
        .to_string();
    assert!(refusal::<Destination>(bank).starts_with(&blank));

    let status = refusal::<Status>(r#"{"status": "maybe"}"#);
    assert!(status.contains("unknown variant `maybe`"), "{status}");
    let provider = refusal::<Payout>(
        r#"{"provider": "Not A Name", "id": "x", "status": {"status": "pending"}}"#,
    );
    assert!(provider.contains("is not a provider name"), "{provider}");
}
