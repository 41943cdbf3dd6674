//! Authenticating MTN's unsigned callbacks with a token this crate puts in the callback URL.
//!
//! MTN signs nothing, and its callback body carries no reference id. When a payout (or refund)
//! is sent, the merchant's callback URL gets two more query parameters:
//! [`CALLBACK_OBJECT_PARAM`](super::CALLBACK_OBJECT_PARAM) (`payout` or `refund`) and
//! [`CALLBACK_TOKEN_PARAM`](super::CALLBACK_TOKEN_PARAM) = hex(HMAC-SHA256(callback secret,
//! `"<object>:<merchant reference>"`)); the merchant's own query is kept. When the callback
//! arrives, both are read back from the URL MTN called, the reference from the body's
//! `externalId`, and [`HmacVerifier::verify`] checks the token in constant time. A token made for
//! another reference, another object or with another secret does not verify.
//!
//! The token proves the callback is about a payout this merchant sent; it does not prove the
//! outcome it reports (anyone who saw the URL could replay or alter the body).
//! [`MtnMomoClient::parse_webhook_confirmed`](super::MtnMomoClient::parse_webhook_confirmed)
//! therefore reads the status from MTN before reporting it.

use super::wire::TransferResult;
use super::{CALLBACK_OBJECT_PARAM, CALLBACK_TOKEN_PARAM, PROVIDER};
use crate::error::Error;
use crate::model::{CallbackUrl, Reference};
use crate::raw::RawJson;
use crate::webhook::{EventObject, HmacSigner, HmacVerifier, SignatureEncoding, WebhookError};

/// What a token is about.
fn object_word(object: EventObject) -> &'static str {
    match object {
        EventObject::Refund => "refund",
        _ => "payout",
    }
}

fn message(object: &str, reference: &str) -> Vec<u8> {
    format!("{object}:{reference}").into_bytes()
}

/// The callback URL MTN is given: `url` with the object and the token appended (earlier
/// parameters of those names are replaced).
pub(super) fn signed_url(
    signer: &HmacSigner,
    url: &CallbackUrl,
    object: EventObject,
    reference: &Reference,
) -> Result<String, Error> {
    let word = object_word(object);
    let token = signer.sign(&message(word, reference.as_str()), SignatureEncoding::Hex);
    let mut signed = url.as_url().clone();
    let kept: Vec<(String, String)> = signed
        .query_pairs()
        .filter(|(name, _)| name != CALLBACK_TOKEN_PARAM && name != CALLBACK_OBJECT_PARAM)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    signed
        .query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(CALLBACK_OBJECT_PARAM, word)
        .append_pair(CALLBACK_TOKEN_PARAM, &token);
    // Revalidate: the result must still be a callback URL.
    CallbackUrl::try_from(signed).map(|u| u.to_string())
}

/// The one value of query parameter `name` in `url` (absolute, or a path with its query).
fn param(url: &str, name: &str) -> Result<Option<String>, WebhookError> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let mut found = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if key == name {
            if found.is_some() {
                return Err(WebhookError::MalformedHeader(format!(
                    "query parameter {name} appears more than once"
                )));
            }
            found = Some(value.into_owned());
        }
    }
    Ok(found)
}

/// Reads and authenticates one callback: the object it is about, the decoded body, its raw JSON.
pub(super) fn parse(
    verifier: &HmacVerifier,
    url: &str,
    body: &[u8],
) -> Result<(EventObject, Reference, TransferResult, RawJson), WebhookError> {
    let (result, raw): (TransferResult, RawJson) = crate::http::decode_json(PROVIDER, 200, body)
        .map_err(|e| {
            WebhookError::InvalidBody(match e {
                Error::Decode { source, .. } => source.to_string(),
                other => other.to_string(),
            })
        })?;
    let token = param(url, CALLBACK_TOKEN_PARAM)?.ok_or_else(|| {
        WebhookError::MissingSignature(format!("query parameter {CALLBACK_TOKEN_PARAM}"))
    })?;
    let object = match param(url, CALLBACK_OBJECT_PARAM)?.as_deref() {
        Some("payout") => EventObject::Payout,
        Some("refund") => EventObject::Refund,
        Some(other) => {
            return Err(WebhookError::MalformedHeader(format!(
                "query parameter {CALLBACK_OBJECT_PARAM} is {other:?}"
            )));
        }
        None => {
            return Err(WebhookError::MissingSignature(format!(
                "query parameter {CALLBACK_OBJECT_PARAM}"
            )));
        }
    };
    let external_id = result
        .external_id
        .clone()
        .ok_or_else(|| WebhookError::InvalidBody("no externalId".into()))?;
    verifier.verify(
        &message(object_word(object), &external_id),
        &[token.as_str()],
        SignatureEncoding::Hex,
    )?;
    let reference = Reference::new(external_id)
        .map_err(|_| WebhookError::InvalidBody("externalId is not a valid reference".into()))?;
    Ok((object, reference, result, raw))
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    const SECRET: &str = "callback-secret";

    fn signer() -> HmacSigner {
        HmacSigner::new(&SecretString::from(SECRET))
    }

    fn verifier() -> HmacVerifier {
        HmacVerifier::new(SecretString::from(SECRET))
    }

    const BODY: &[u8] =
        br#"{"externalId":"payout-000123","amount":"5000","currency":"UGX","status":"SUCCESSFUL"}"#;

    #[test]
    fn the_token_is_appended_and_verifies_only_for_its_reference_and_object() {
        let reference = Reference::new("payout-000123").unwrap();
        let url =
            CallbackUrl::parse("https://shop.example/hook?order=42&disburse_token=old").unwrap();
        let signed = signed_url(&signer(), &url, EventObject::Payout, &reference).unwrap();
        let token = crate::webhook::sign(
            SECRET.as_bytes(),
            b"payout:payout-000123",
            SignatureEncoding::Hex,
        );
        assert_eq!(
            signed,
            format!(
                "https://shop.example/hook?order=42&disburse_object=payout&disburse_token={token}"
            )
        );
        let (object, found, result, _) = parse(&verifier(), &signed, BODY).unwrap();
        assert_eq!(object, EventObject::Payout);
        assert_eq!(found, reference);
        assert_eq!(result.status, "SUCCESSFUL");

        // The same token presented for a refund, another reference, or without its object.
        let as_refund = signed.replace("disburse_object=payout", "disburse_object=refund");
        assert_eq!(
            parse(&verifier(), &as_refund, BODY).err(),
            Some(WebhookError::SignatureMismatch)
        );
        let other = String::from_utf8(BODY.to_vec())
            .unwrap()
            .replace("payout-000123", "payout-000124");
        assert_eq!(
            parse(&verifier(), &signed, other.as_bytes()).err(),
            Some(WebhookError::SignatureMismatch)
        );
        assert!(matches!(
            parse(&verifier(), "https://shop.example/hook?order=42", BODY),
            Err(WebhookError::MissingSignature(_))
        ));
        let twice = format!("{signed}&disburse_token={token}");
        assert!(matches!(
            parse(&verifier(), &twice, BODY),
            Err(WebhookError::MalformedHeader(_))
        ));
        assert!(matches!(
            parse(&verifier(), &signed, b"<html>"),
            Err(WebhookError::InvalidBody(_))
        ));
    }
}
