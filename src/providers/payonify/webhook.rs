//! Payonify's webhook signature (`Payonify-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`) and event
//! envelope.

use crate::http::decode_json;
use crate::model::ProviderId;
use crate::webhook::{
    EventObject, HmacVerifier, SignatureEncoding, WebhookError, WebhookEvent, WebhookRequest,
};

use super::wire::{WireEvent, WirePayout};

/// The signature header.
pub const SIGNATURE_HEADER: &str = "Payonify-Signature";

/// The one signature scheme this crate accepts (`v1` = HMAC-SHA256, hex).
const SCHEME: &str = "v1";

/// A parsed `Payonify-Signature` header.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SignatureHeader<'a> {
    /// The `t` value, as sent (digits only).
    pub(crate) timestamp: &'a str,
    /// Every `v1` value, in order.
    pub(crate) signatures: Vec<&'a str>,
}

/// Parses the header strictly: comma-separated `key=value` items; exactly one `t`, all digits;
/// at least one `v1`, none empty. Items of other schemes (`v0=…`) are ignored.
pub(crate) fn parse_signature_header(header: &str) -> Result<SignatureHeader<'_>, WebhookError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        let item = item.trim();
        let Some((key, value)) = item.split_once('=') else {
            return Err(WebhookError::MalformedHeader(format!(
                "item {:?} is not key=value",
                truncate(item)
            )));
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "t" => {
                if timestamp.is_some() {
                    return Err(WebhookError::MalformedHeader(
                        "more than one t= timestamp".to_owned(),
                    ));
                }
                if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(WebhookError::InvalidTimestamp);
                }
                timestamp = Some(value);
            }
            SCHEME => {
                if value.is_empty() {
                    return Err(WebhookError::EmptySignature);
                }
                signatures.push(value);
            }
            "" => {
                return Err(WebhookError::MalformedHeader(
                    "an item has an empty key".to_owned(),
                ));
            }
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return Err(WebhookError::MalformedHeader("no t= timestamp".to_owned()));
    };
    if signatures.is_empty() {
        return Err(WebhookError::NoSupportedScheme);
    }
    Ok(SignatureHeader {
        timestamp,
        signatures,
    })
}

/// Verifies a delivery (signature first, then the timestamp window) and normalizes it.
pub(crate) fn parse(
    verifier: &HmacVerifier,
    delivery: &WebhookRequest<'_>,
) -> Result<WebhookEvent, WebhookError> {
    verify(verifier, delivery)?;
    to_event(delivery.body)
}

/// Verifies a delivery's signature, then its timestamp window; the body is not read.
pub(super) fn verify(
    verifier: &HmacVerifier,
    delivery: &WebhookRequest<'_>,
) -> Result<(), WebhookError> {
    let header = delivery.single_header(&[SIGNATURE_HEADER])?;
    let parsed = parse_signature_header(header)?;
    let message = [parsed.timestamp.as_bytes(), b".", delivery.body];
    verifier.verify_parts(&message, &parsed.signatures, SignatureEncoding::Hex)?;
    verifier.check_timestamp(parsed.timestamp)?;
    Ok(())
}

/// The verified body to a [`WebhookEvent`]: any `payout.*` event whose `data.object` is a payout;
/// status, amount and merchant reference come from that embedded payout.
pub(crate) fn to_event(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let (event, raw) = decode_json::<WireEvent>(ProviderId::PAYONIFY, 200, body)
        .map_err(|e| WebhookError::InvalidBody(format!("not a Payonify event: {e}")))?;
    if event.id.trim().is_empty() {
        return Err(WebhookError::InvalidBody(
            "the event id is empty".to_owned(),
        ));
    }
    if !event.kind.starts_with("payout.") {
        // Authentic (verified before this), just not about a payout: acknowledged, not refused.
        return Err(WebhookError::UnhandledEvent(format!(
            "Payonify event type {:?}",
            truncate(&event.kind)
        )));
    }
    let is_payout_object =
        event.data.object.get("object").and_then(|o| o.as_str()) == Some("payout");
    if !is_payout_object {
        return Err(WebhookError::InvalidBody(format!(
            "a {:?} event whose data.object is not a payout",
            truncate(&event.kind)
        )));
    }
    let payout: WirePayout = serde_json::from_value(event.data.object.clone())
        .map_err(|e| WebhookError::InvalidBody(format!("data.object is not a payout: {e}")))?;
    let mut normalized =
        WebhookEvent::new(ProviderId::PAYONIFY, EventObject::Payout, payout.status());
    normalized.event_id = Some(event.id);
    normalized.reference = payout.reference().map(|r| r.as_str().to_owned());
    normalized.amount = payout.money();
    normalized.provider_reference = Some(payout.id);
    normalized.raw = raw;
    Ok(normalized)
}

fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parses_every_v1_and_ignores_other_schemes() {
        let parsed = parse_signature_header("t=1717405200, v1=ab12,v0=ffff,v1=cd34");
        assert_eq!(
            parsed,
            Ok(SignatureHeader {
                timestamp: "1717405200",
                signatures: vec!["ab12", "cd34"],
            })
        );
    }

    #[test]
    fn header_is_parsed_strictly() {
        let cases = [
            (
                "v1=ab12",
                WebhookError::MalformedHeader("no t= timestamp".into()),
            ),
            ("t=abc,v1=ab12", WebhookError::InvalidTimestamp),
            ("t=-5,v1=ab12", WebhookError::InvalidTimestamp),
            ("t=,v1=ab12", WebhookError::InvalidTimestamp),
            (
                "t=1,t=2,v1=ab12",
                WebhookError::MalformedHeader("more than one t= timestamp".into()),
            ),
            ("t=1717405200", WebhookError::NoSupportedScheme),
            ("t=1717405200,v0=ab12", WebhookError::NoSupportedScheme),
            ("t=1717405200,v1=", WebhookError::EmptySignature),
            ("t=1717405200,v1=ab12,v1=", WebhookError::EmptySignature),
            ("t=1717405200;v1=ab12", WebhookError::InvalidTimestamp),
            (
                "garbage",
                WebhookError::MalformedHeader("item \"garbage\" is not key=value".into()),
            ),
            (
                "",
                WebhookError::MalformedHeader("item \"\" is not key=value".into()),
            ),
            (
                "t=1717405200,=ab12",
                WebhookError::MalformedHeader("an item has an empty key".into()),
            ),
        ];
        for (header, expected) in cases {
            assert_eq!(parse_signature_header(header), Err(expected), "{header:?}");
        }
    }
}

#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn header_parsing_never_panics(header in ".{0,200}") {
            let _ = parse_signature_header(&header);
        }

        #[test]
        fn well_formed_headers_round_trip(t in 0u64..=u64::from(u32::MAX), sigs in prop::collection::vec("[0-9a-f]{64}", 1..4)) {
            let header = format!("t={t},{}", sigs.iter().map(|s| format!("v1={s}")).collect::<Vec<_>>().join(","));
            let parsed = parse_signature_header(&header);
            let t = t.to_string();
            prop_assert_eq!(parsed, Ok(SignatureHeader { timestamp: &t, signatures: sigs.iter().map(String::as_str).collect() }));
        }

        #[test]
        fn event_mapping_never_panics(body in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = to_event(&body);
        }
    }
}
