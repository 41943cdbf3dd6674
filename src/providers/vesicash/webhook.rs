//! Vesicash webhook deliveries: the lenient payload reading (the signature scheme is a value,
//! [`super::webhook_scheme`], checked by the shared [`crate::webhook::WebhookScheme::verify`]).

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use super::wire::{self, TransferData};
use crate::error::Error;
use crate::model::ProviderId;
use crate::money::{Currency, Money};
use crate::webhook::{EventObject, WebhookError, WebhookEvent};

/// Reads a verified body: `{event?, data: {reference, status, amount, …}}` or the same fields
/// flat. Payout or refund comes from an `event`/`type` word (one containing "refund" is a refund,
/// one containing "payout" a payout), else from the reference (`PY_` is a payout), else from a
/// `payment_reference` field (a refund); failing all of those it is a payout.
pub(crate) fn parse(body: &[u8]) -> Result<WebhookEvent, Error> {
    let invalid = |why: String| Error::Webhook(WebhookError::InvalidBody(why));
    let top: BTreeMap<String, Box<RawValue>> =
        serde_json::from_slice(body).map_err(|e| invalid(format!("not a JSON object: {e}")))?;
    let raw: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| invalid(format!("not JSON: {e}")))?;

    let nested = top
        .get("data")
        .filter(|d| d.get().trim_start().starts_with('{'));
    let data: TransferData = match nested {
        Some(data) => wire::from_raw(data),
        None => serde_json::from_slice(body),
    }
    .map_err(|e| invalid(format!("no reference and status: {e}")))?;
    if data.reference.trim().is_empty() {
        return Err(invalid("the reference is empty".into()));
    }

    let word_of = |key: &str| -> Option<String> {
        let top_level = top
            .get(key)
            .and_then(|raw| serde_json::from_str(raw.get()).ok());
        let in_data = raw
            .get("data")
            .and_then(|d| d.get(key))
            .and_then(|v| v.as_str().map(str::to_owned));
        top_level.or(in_data)
    };
    let event_word = word_of("event").or_else(|| word_of("type"));
    let object = classify(event_word.as_deref(), &data);

    let amount = match (data.amount(), data.currency()) {
        (Some(amount), Some(code)) => {
            Currency::from_code(code.trim()).and_then(|currency| Money::new(amount, currency).ok())
        }
        _ => None,
    };
    let event_id = word_of("event_id").or_else(|| word_of("id"));

    let mut event = WebhookEvent::new(ProviderId::VESICASH, object, data.status());
    event.event_id = event_id;
    event.provider_reference = Some(data.reference.trim().to_owned());
    event.amount = amount;
    // Parsed above, so the body is JSON, hence UTF-8 text.
    let text = std::str::from_utf8(body).map_err(|e| invalid(format!("not UTF-8: {e}")))?;
    event.raw = crate::RawJson::from_decoded_text(text);
    Ok(event)
}

fn classify(event_word: Option<&str>, data: &TransferData) -> EventObject {
    if let Some(word) = event_word.map(str::to_ascii_lowercase) {
        if word.contains("refund") {
            return EventObject::Refund;
        }
        if word.contains("payout") {
            return EventObject::Payout;
        }
    }
    let reference = data.reference.trim().to_ascii_uppercase();
    if reference.starts_with("PY_") {
        return EventObject::Payout;
    }
    if reference.starts_with("RF_") || reference.starts_with("REF_") {
        return EventObject::Refund;
    }
    if data.payment_reference().is_some() {
        return EventObject::Refund;
    }
    EventObject::Payout
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FailureReason, Status};

    #[test]
    fn nested_and_flat_bodies_parse() {
        let nested = br#"{"event":"refund.completed","data":{"reference":"RX1","status":"successful","amount":"10.5","currency":"NGN"}}"#;
        let e = parse(nested).unwrap();
        assert_eq!(e.object, EventObject::Refund);
        assert_eq!(e.status, Status::Succeeded);
        assert_eq!(e.provider_reference.as_deref(), Some("RX1"));
        assert_eq!(e.amount.unwrap().amount().to_string(), "10.5");

        let flat =
            br#"{"reference":"PY_1","status":"failed","amount":5,"reason":"INSUFFICIENT_FUNDS"}"#;
        let e = parse(flat).unwrap();
        assert_eq!(e.object, EventObject::Payout);
        assert_eq!(
            e.status,
            Status::failed(
                FailureReason::InsufficientFunds,
                Some("INSUFFICIENT_FUNDS".into())
            )
        );
        assert_eq!(e.amount, None);

        let by_payment =
            br#"{"data":{"reference":"X9","status":"weird","payment_reference":"PAY_1"}}"#;
        let e = parse(by_payment).unwrap();
        assert_eq!(e.object, EventObject::Refund);
        assert_eq!(e.status, Status::Unknown("weird".into()));
    }

    #[test]
    fn bodies_without_reference_or_status_are_invalid() {
        for body in [
            &b"[]"[..],
            b"not json",
            br#"{"data":{"status":"successful"}}"#,
            br#"{"reference":"PY_1"}"#,
            br#"{"reference":" ","status":"successful"}"#,
        ] {
            assert!(
                matches!(
                    parse(body),
                    Err(Error::Webhook(WebhookError::InvalidBody(_)))
                ),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = parse(&body);
        }

        #[test]
        fn any_status_word_parses_to_some_status(word in "\\PC{0,16}", amount in "\\PC{0,8}") {
            let body = serde_json::json!({"data": {"reference": "PY_1", "status": word, "amount": amount, "currency": "NGN"}});
            let event = parse(body.to_string().as_bytes());
            proptest::prop_assert!(event.is_ok());
        }
    }
}
