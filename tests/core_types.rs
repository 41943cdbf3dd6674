//! Public types are Send + Sync, usable behind Arc<dyn PayoutProvider>, and validate their input.

use std::sync::Arc;

use disburse::http::{HttpClient, HttpConfig};
use disburse::{
    CallbackUrl, Country, Currency, Destination, Error, Money, Msisdn, Payout, PayoutProvider,
    PayoutRequest, Reference, Refund, RefundRequest, Status, WebhookEvent,
};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn public_types_are_send_and_sync() {
    assert_send_sync::<Error>();
    assert_send_sync::<HttpClient>();
    assert_send_sync::<HttpConfig>();
    assert_send_sync::<Money>();
    assert_send_sync::<Msisdn>();
    assert_send_sync::<PayoutRequest>();
    assert_send_sync::<RefundRequest>();
    assert_send_sync::<Payout>();
    assert_send_sync::<Refund>();
    assert_send_sync::<WebhookEvent>();
    assert_send_sync::<Arc<dyn PayoutProvider>>();
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<Error>();
}

#[test]
fn references_are_validated() {
    assert!(Reference::new("PAYOUT-2024-001_a").is_ok());
    assert!(Reference::new("a".repeat(50)).is_ok());
    for (bad, reason) in [
        ("", "must not be empty"),
        ("order 42", "may hold only"),
        ("ünï", "may hold only"),
        ("a/b", "may hold only"),
    ] {
        match Reference::new(bad) {
            Err(Error::InvalidRequest {
                field: "reference",
                reason: r,
                ..
            }) => assert!(r.contains(reason), "{bad:?}: {r}"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    assert!(matches!(
        Reference::new("a".repeat(51)),
        Err(Error::InvalidRequest {
            field: "reference",
            ..
        })
    ));
}

#[test]
fn callback_urls_must_be_https_except_on_loopback() {
    for ok in [
        "https://merchant.example/hooks/payouts?x=1",
        "http://127.0.0.1:8080/hook",
        "http://127.9.9.9/hook",
        "http://localhost:3000/hook",
        "http://[::1]:3000/hook",
    ] {
        assert!(CallbackUrl::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://merchant.example/hook",
        "http://10.0.0.1/hook",
        "ftp://merchant.example/hook",
        "/relative/hook",
        "not a url",
    ] {
        assert!(
            matches!(
                CallbackUrl::parse(bad),
                Err(Error::InvalidRequest {
                    field: "callback_url",
                    ..
                })
            ),
            "{bad}"
        );
    }
}

#[test]
fn destinations_know_their_country_and_network() {
    let kenyan = Msisdn::parse("+254733123456").unwrap();
    let d = Destination::mobile(kenyan.clone());
    assert_eq!(d.country(), Some(Country::Kenya));
    assert_eq!(d.network(), Some(disburse::Network::Airtel));
    // A ported number: the caller's network wins.
    let ported = Destination::mobile_on(kenyan, disburse::Network::Safaricom);
    assert_eq!(ported.network(), Some(disburse::Network::Safaricom));
    let bank = Destination::bank(Country::Nigeria, "058", "0123456789").unwrap();
    assert_eq!(bank.country(), Some(Country::Nigeria));
    assert_eq!(bank.network(), None);
    assert!(matches!(
        Destination::bank(Country::Nigeria, " ", "0123456789"),
        Err(Error::InvalidRequest {
            field: "destination.bank_code",
            ..
        })
    ));
    assert!(matches!(
        Destination::bank(Country::Nigeria, "058", ""),
        Err(Error::InvalidRequest {
            field: "destination.account_number",
            ..
        })
    ));
}

#[test]
fn status_finality() {
    assert!(!Status::Pending.is_final());
    assert!(Status::Succeeded.is_final());
    assert!(Status::failed(disburse::FailureReason::InsufficientFunds, None).is_final());
    assert!(!Status::Unknown("weird".into()).is_final());
}

#[test]
fn payout_request_builder_keeps_every_field() {
    let request = PayoutRequest::new(
        Reference::new("r-1").unwrap(),
        Money::parse("10.00", Currency::KES).unwrap(),
        Destination::mobile(Msisdn::parse("+254712345678").unwrap()),
    )
    .with_narration("salary")
    .with_channel("63902")
    .with_metadata("k", "v")
    .with_callback_url(CallbackUrl::parse("https://m.example/cb").unwrap());
    assert_eq!(request.narration.as_deref(), Some("salary"));
    assert_eq!(request.channel.as_deref(), Some("63902"));
    assert_eq!(request.metadata.get("k").map(String::as_str), Some("v"));
    assert_eq!(
        request.callback_url.as_ref().map(CallbackUrl::as_str),
        Some("https://m.example/cb")
    );
    // Debug of a request masks the phone number.
    let shown = format!("{request:?}");
    assert!(!shown.contains("712345678"), "{shown}");
}

#[test]
fn error_classification() {
    let invalid = Error::invalid("amount", "must be positive");
    assert!(!invalid.may_have_been_sent());
    assert!(!invalid.is_retryable());
    assert_eq!(invalid.http_status(), None);
    assert_eq!(
        invalid.to_string(),
        "invalid request: `amount` must be positive"
    );
    let unsupported = Error::unsupported(disburse::ProviderId::PAYONIFY, "create_refund");
    assert_eq!(
        unsupported.to_string(),
        "payonify does not support create_refund"
    );
    assert!(!unsupported.may_have_been_sent());
}

#[test]
fn phone_and_money_errors_convert_to_invalid_request_with_their_cause() {
    fn parse() -> Result<(Msisdn, Money), Error> {
        let phone = Msisdn::parse_with_default("0712345678", Country::Kenya)?;
        let amount = Money::parse("1.5", Currency::UGX)?;
        Ok((phone, amount))
    }
    let err = parse().unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { field: "amount", reason, .. } if reason == "UGX allows 0 decimal places, the amount has 1"),
        "{err:?}"
    );
    let cause = std::error::Error::source(&err).unwrap();
    assert!(cause.downcast_ref::<disburse::MoneyError>().is_some());
    let phone_err: Error = Msisdn::parse("12").unwrap_err().into();
    assert!(matches!(
        phone_err,
        Error::InvalidRequest {
            field: "msisdn",
            ..
        }
    ));
}

#[test]
fn status_words_and_details_are_one_vocabulary() {
    use disburse::{FailureReason, Status};
    let cases = [
        (Status::Pending, "pending", None),
        (Status::Succeeded, "succeeded", None),
        (
            Status::failed(FailureReason::InsufficientFunds, Some("balance low".into())),
            "failed",
            Some("insufficient_funds: balance low"),
        ),
        (
            Status::failed(FailureReason::Other("E42".into()), None),
            "failed",
            Some("E42"),
        ),
        (
            Status::Unknown("on_hold".into()),
            "unknown",
            Some("on_hold"),
        ),
    ];
    for (status, word, detail) in cases {
        assert_eq!(status.word(), word);
        assert_eq!(status.detail().as_deref(), detail);
    }
}
