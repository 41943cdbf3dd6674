//! Authenticating JPay's unsigned callbacks with a token this crate puts in the callback URL.
//!
//! JPay signs nothing. When a payout is sent, the merchant's callback URL gets one more query
//! parameter, [`CALLBACK_TOKEN_PARAM`](super::CALLBACK_TOKEN_PARAM) = hex(HMAC-SHA256(callback
//! secret, `ref_no`)); the rest of the URL, its query included, is kept byte for byte. When the
//! callback arrives, the token is read back from the URL JPay called, the `ref_no` from the body,
//! and [`HmacVerifier::verify`] checks the pair in constant time. A token made for another payout
//! or with another secret does not verify.

use std::borrow::Cow;

use super::CALLBACK_TOKEN_PARAM;
use super::wire::{self, CallbackWire};
use crate::error::Error;
use crate::model::{CallbackUrl, ProviderId, Reference};
use crate::webhook::{
    EventObject, HmacSigner, HmacVerifier, SignatureEncoding, WebhookError, WebhookEvent,
    WebhookRequest,
};

/// The callback URL JPay is given for `reference`: the merchant's URL with the token appended
/// (an earlier token parameter is replaced).
pub(super) fn signed_url(
    signer: &HmacSigner,
    url: &CallbackUrl,
    reference: &Reference,
) -> Result<String, Error> {
    let token = token_for(signer, reference);
    crate::url_token::with_params(url, &[(CALLBACK_TOKEN_PARAM, &token)])
}

/// hex(HMAC-SHA256(secret, ref_no)).
pub(super) fn token_for(signer: &HmacSigner, reference: &Reference) -> String {
    signer.sign(reference.as_str().as_bytes(), SignatureEncoding::Hex)
}

/// The token from the URL JPay called (absolute, or a path with its query); borrowed from the
/// URL unless it was percent-encoded.
fn token_from_url(url: &str) -> Result<Cow<'_, str>, WebhookError> {
    crate::url_token::required_param(url, CALLBACK_TOKEN_PARAM)
}

/// Checks the token of the URL JPay called against `ref_no` (read from the body by the caller).
pub(super) fn verify_token(
    verifier: &HmacVerifier,
    url: &str,
    ref_no: &str,
) -> Result<(), WebhookError> {
    let token = token_from_url(url)?;
    verifier.verify(ref_no.as_bytes(), &[token.as_ref()], SignatureEncoding::Hex)
}

/// Reads, authenticates and normalizes one callback delivery.
pub(crate) fn parse(
    verifier: &HmacVerifier,
    delivery: &WebhookRequest<'_>,
) -> Result<WebhookEvent, WebhookError> {
    let (wire, raw): (CallbackWire, crate::RawJson) =
        crate::http::decode_json(ProviderId::JPAY, 200, delivery.body).map_err(|e| {
            WebhookError::InvalidBody(match e {
                Error::Decode { source, .. } => source.to_string(),
                other => other.to_string(),
            })
        })?;
    verify_token(verifier, delivery.url, &wire.data.ref_no)?;
    if !wire.notification.kind.trim().eq_ignore_ascii_case("payout") {
        return Err(WebhookError::InvalidBody(format!(
            "notification type {:?} is not a payout",
            wire.notification.kind
        )));
    }
    let data = wire.data;
    let status = wire::callback_status(
        &wire.notification.event,
        data.result_code,
        data.result_description.as_deref(),
    );
    let non_empty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    Ok(WebhookEvent {
        provider: ProviderId::JPAY,
        event_id: None,
        object: EventObject::Payout,
        provider_reference: non_empty(data.trans_id).or_else(|| non_empty(data.external_ref)),
        reference: Some(data.ref_no),
        amount: data.amount.map(|a| a.0),
        status,
        raw,
    })
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    fn signer() -> HmacSigner {
        HmacSigner::new(&SecretString::from("callback-secret"))
    }

    fn reference() -> Reference {
        Reference::new("PAYOUT-2024-001").unwrap()
    }

    #[test]
    fn the_token_is_appended_and_the_query_kept_verbatim() {
        let token = token_for(&signer(), &reference());
        assert_eq!(
            token,
            crate::webhook::sign(
                b"callback-secret",
                b"PAYOUT-2024-001",
                SignatureEncoding::Hex
            ),
            "hex(HMAC-SHA256(secret, ref_no))"
        );
        let cases = [
            (
                "https://shop.example/hook",
                format!("https://shop.example/hook?disburse_token={token}"),
            ),
            (
                "https://shop.example/hook?order=42&note=a%20b+c",
                format!("https://shop.example/hook?order=42&note=a%20b+c&disburse_token={token}"),
            ),
            (
                "https://shop.example/hook?disburse_token=old&order=42",
                format!("https://shop.example/hook?order=42&disburse_token={token}"),
            ),
            (
                "http://127.0.0.1:8080/hook?",
                format!("http://127.0.0.1:8080/hook?disburse_token={token}"),
            ),
            (
                "https://shop.example/hook#done",
                format!("https://shop.example/hook?disburse_token={token}#done"),
            ),
            (
                "https://Shop.Example:443/a%20b/",
                format!("https://shop.example/a%20b/?disburse_token={token}"),
            ),
        ];
        for (given, expected) in cases {
            let url = CallbackUrl::parse(given).unwrap();
            assert_eq!(
                signed_url(&signer(), &url, &reference()).unwrap(),
                expected,
                "{given}"
            );
        }
    }

    #[test]
    fn tokens_are_read_from_absolute_and_relative_urls() {
        assert_eq!(
            token_from_url("https://x.example/h?a=1&disburse_token=abc#frag").unwrap(),
            "abc"
        );
        assert_eq!(token_from_url("/h?disburse_token=abc").unwrap(), "abc");
        assert_eq!(
            token_from_url("/h?a=1"),
            Err(WebhookError::MissingSignature(
                "query parameter disburse_token".into()
            ))
        );
        assert!(matches!(
            token_from_url("/h?disburse_token=a&disburse_token=b"),
            Err(WebhookError::MalformedHeader(_))
        ));
        // Encoded queries go through form decoding; plain ones are read as they are.
        assert!(matches!(
            token_from_url("/h?disburse%5Ftoken=a&disburse_token=b"),
            Err(WebhookError::MalformedHeader(_))
        ));
        assert_eq!(token_from_url("/h?disburse_token=a%62c").unwrap(), "abc");
        assert_eq!(
            token_from_url("/h?x=1+2&disburse_token=abc").unwrap(),
            "abc"
        );
        assert_eq!(token_from_url("/h?&&disburse_token&x").unwrap(), "");
        assert_eq!(
            token_from_url("/h?disburse_tokenx=1&disburse_token=abc").unwrap(),
            "abc"
        );
    }
}
