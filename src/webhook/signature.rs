//! Webhook authentication, shared by every adapter: the leaf that knows signatures and nothing
//! of payouts.
//!
//! Each adapter states its scheme as a value, a [`WebhookScheme`] (which headers, which bytes
//! are signed, how the signature is encoded), and [`WebhookScheme::verify`] checks a delivery
//! with an [`HmacVerifier`], which does the part that must be right everywhere: HMAC-SHA256
//! over the raw bytes, compared in constant time (`Mac::verify_slice`), an optional symmetric
//! timestamp window with an injectable clock, several secrets (rotation) and several candidate
//! signatures, and empty (or blank) secrets and empty signatures refused.
//!
//! This module imports nothing of the crate's model or error, so the crate's [`Error`] can wrap
//! a [`WebhookError`] without an import circle.
//!
//! [`Error`]: crate::Error

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The default timestamp tolerance: 300 seconds either way.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Why a delivery was not turned into an event: refused (every reason but one), or authentic
/// but not about a payout or refund ([`WebhookError::UnhandledEvent`], to be answered 2xx).
/// Each reason is precise so a log says what was wrong.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The signature header (or token parameter) is absent.
    #[error("missing {0}")]
    MissingSignature(String),
    /// The signature header appears more than once.
    #[error("header {0} appears more than once")]
    DuplicateHeader(String),
    /// The signature header could not be parsed.
    #[error("malformed signature header: {0}")]
    MalformedHeader(String),
    /// The header carries no signature in a scheme this crate accepts.
    #[error("no signature with a supported scheme")]
    NoSupportedScheme,
    /// No secret is configured (or it is empty or blank): nothing can be verified.
    #[error("the webhook secret is empty")]
    EmptySecret,
    /// The signature is empty.
    #[error("the signature is empty")]
    EmptySignature,
    /// The signature is not valid hex or base64.
    #[error("the signature is not valid {0}")]
    BadEncoding(&'static str),
    /// No signature matched the message under any configured secret.
    #[error("signature mismatch")]
    SignatureMismatch,
    /// The timestamp is not a whole number of seconds.
    #[error("invalid timestamp")]
    InvalidTimestamp,
    /// The timestamp is outside the tolerance window.
    #[error("timestamp is {skew_secs}s away from now, more than the {tolerance_secs}s allowed")]
    TimestampOutOfWindow {
        /// Signed distance from now, in seconds (positive: in the future).
        skew_secs: i64,
        /// The window, in seconds.
        tolerance_secs: u64,
    },
    /// The body is not what the provider sends.
    #[error("invalid body: {0}")]
    InvalidBody(String),
    /// The delivery is authentic (its signature verified) but is about something this crate
    /// does not handle, such as a Payonify `charge.*` event sent to the same endpoint. Answer it
    /// 2xx and drop it: a 4xx only makes the provider deliver it again
    /// ([`WebhookError::should_acknowledge`]).
    #[error("authentic event of a type this crate does not handle: {0}")]
    UnhandledEvent(String),
}

impl WebhookError {
    /// True when the delivery should still be answered 2xx (and ignored): it is authentic, only
    /// not about a payout or refund. Every other webhook error is a refusal (answer 4xx).
    pub fn should_acknowledge(&self) -> bool {
        matches!(self, WebhookError::UnhandledEvent(_))
    }
}

/// A source of the current time, so tests can pin it.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Seconds since the Unix epoch.
    fn now_unix(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock stopped at one instant, for tests.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now_unix(&self) -> i64 {
        self.0
    }
}

/// How a signature is written.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureEncoding {
    /// Hexadecimal, either case.
    Hex,
    /// Standard base64, with padding.
    Base64,
}

impl SignatureEncoding {
    fn decode(self, text: &str) -> Result<Vec<u8>, WebhookError> {
        match self {
            SignatureEncoding::Hex => {
                hex::decode(text).map_err(|_| WebhookError::BadEncoding("hex"))
            }
            SignatureEncoding::Base64 => base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| WebhookError::BadEncoding("base64")),
        }
    }

    /// Decodes into `buf` when it fits (every HMAC-SHA256 signature does), else on the heap.
    fn decode_into<'b>(
        self,
        text: &str,
        buf: &'b mut [u8; 64],
    ) -> Result<Cow<'b, [u8]>, WebhookError> {
        match self {
            SignatureEncoding::Hex
                if text.len().is_multiple_of(2) && text.len() / 2 <= buf.len() =>
            {
                let out = &mut buf[..text.len() / 2];
                hex::decode_to_slice(text, out).map_err(|_| WebhookError::BadEncoding("hex"))?;
                Ok(Cow::Borrowed(out))
            }
            SignatureEncoding::Base64 => {
                match base64::engine::general_purpose::STANDARD.decode_slice(text, &mut buf[..]) {
                    Ok(len) => Ok(Cow::Borrowed(&buf[..len])),
                    Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
                        self.decode(text).map(Cow::Owned)
                    }
                    Err(base64::DecodeSliceError::DecodeError(_)) => {
                        Err(WebhookError::BadEncoding("base64"))
                    }
                }
            }
            _ => self.decode(text).map(Cow::Owned),
        }
    }

    fn encode(self, bytes: &[u8]) -> String {
        match self {
            SignatureEncoding::Hex => hex::encode(bytes),
            SignatureEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }
}

/// HMAC-SHA256 verification with secret rotation, candidates and a timestamp window.
///
/// Each usable secret is keyed into an HMAC state once, when it is added; a verification
/// clones that state instead of hashing the key again.
#[derive(Clone)]
pub struct HmacVerifier {
    secrets: Vec<SecretString>,
    keys: Vec<HmacSha256>,
    tolerance: Duration,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for HmacVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacVerifier")
            .field(
                "secrets",
                &format_args!("[{} redacted]", self.secrets.len()),
            )
            .field("tolerance", &self.tolerance)
            .field("clock", &self.clock)
            .finish()
    }
}

impl HmacVerifier {
    /// A verifier with one secret, the default tolerance and the system clock.
    pub fn new(secret: SecretString) -> HmacVerifier {
        HmacVerifier {
            keys: keyed(&secret).into_iter().collect(),
            secrets: vec![secret],
            tolerance: DEFAULT_TOLERANCE,
            clock: Arc::new(SystemClock),
        }
    }

    /// Adds a further accepted secret (during a rotation both old and new verify).
    #[must_use]
    pub fn with_secret(mut self, secret: SecretString) -> Self {
        self.keys.extend(keyed(&secret));
        self.secrets.push(secret);
        self
    }

    /// Sets the timestamp tolerance (symmetric).
    #[must_use]
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Sets the clock (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The timestamp tolerance.
    pub fn tolerance(&self) -> Duration {
        self.tolerance
    }

    /// Checks that `timestamp` (Unix seconds, as text) is within the window.
    pub fn check_timestamp(&self, timestamp: &str) -> Result<i64, WebhookError> {
        let ts = timestamp
            .trim()
            .parse::<i64>()
            .map_err(|_| WebhookError::InvalidTimestamp)?;
        let skew = ts.saturating_sub(self.clock.now_unix());
        let tolerance_secs = self.tolerance.as_secs();
        if skew.unsigned_abs() > tolerance_secs {
            return Err(WebhookError::TimestampOutOfWindow {
                skew_secs: skew,
                tolerance_secs,
            });
        }
        Ok(ts)
    }

    /// Verifies that one of `candidates` is HMAC-SHA256(`message`) under one of the secrets.
    ///
    /// Candidates that do not decode are skipped when another candidate decodes; if none decodes
    /// the decoding error is returned. Comparison is constant-time per candidate.
    pub fn verify(
        &self,
        message: &[u8],
        candidates: &[&str],
        encoding: SignatureEncoding,
    ) -> Result<(), WebhookError> {
        self.verify_parts(&[message], candidates, encoding)
    }

    /// Like [`HmacVerifier::verify`], for a message made of `parts` one after the other (e.g.
    /// timestamp, `.`, body), without building it.
    pub fn verify_parts(
        &self,
        parts: &[&[u8]],
        candidates: &[&str],
        encoding: SignatureEncoding,
    ) -> Result<(), WebhookError> {
        if self.keys.is_empty() {
            return Err(WebhookError::EmptySecret);
        }
        if candidates.is_empty() || candidates.iter().all(|c| c.trim().is_empty()) {
            return Err(WebhookError::EmptySignature);
        }
        let mut decoded_any = false;
        let mut decode_error = None;
        for candidate in candidates {
            let candidate = candidate.trim();
            if candidate.is_empty() {
                continue;
            }
            let mut buf = [0u8; 64];
            let signature = match encoding.decode_into(candidate, &mut buf) {
                Ok(signature) => signature,
                Err(e) => {
                    decode_error = Some(e);
                    continue;
                }
            };
            decoded_any = true;
            for key in &self.keys {
                let mut mac = key.clone();
                for part in parts {
                    mac.update(part);
                }
                if mac.verify_slice(&signature).is_ok() {
                    return Ok(());
                }
            }
        }
        if !decoded_any {
            return Err(decode_error.unwrap_or(WebhookError::EmptySignature));
        }
        Err(WebhookError::SignatureMismatch)
    }
}

/// The HMAC state keyed with `secret`, or none for an empty or blank secret: either is as public
/// as no secret at all, so it authenticates nothing.
fn keyed(secret: &SecretString) -> Option<HmacSha256> {
    let key = secret.expose_secret();
    (!key.trim().is_empty()).then(|| mac_for(key.as_bytes()))
}

fn mac_for(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

/// HMAC-SHA256 of `message` under `secret`, encoded: what a provider (or the sandbox) sends.
pub fn sign(secret: &[u8], message: &[u8], encoding: SignatureEncoding) -> String {
    finish(mac_for(secret), message, encoding)
}

fn finish(mut mac: HmacSha256, message: &[u8], encoding: SignatureEncoding) -> String {
    mac.update(message);
    encoding.encode(&mac.finalize().into_bytes())
}

/// [`sign`] with the key hashed once, when the signer is made, instead of for every message
/// (two SHA-256 blocks of the four an HMAC of a short message takes): for a client that signs
/// something on every request, such as JPay's callback token.
#[derive(Clone)]
pub(crate) struct HmacSigner {
    key: HmacSha256,
}

impl HmacSigner {
    /// A signer keyed with `secret`.
    pub(crate) fn new(secret: &SecretString) -> HmacSigner {
        HmacSigner {
            key: mac_for(secret.expose_secret().as_bytes()),
        }
    }

    /// What [`sign`] gives for this signer's secret.
    pub(crate) fn sign(&self, message: &[u8], encoding: SignatureEncoding) -> String {
        finish(self.key.clone(), message, encoding)
    }
}

impl fmt::Debug for HmacSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacSigner(** redacted **)")
    }
}

/// One webhook delivery as the merchant's HTTP server received it.
///
/// `Debug` shows the method, the URL with its query values withheld (JPay's callback token is
/// one), the header names and the body's size: never a signature, token or payload.
#[derive(Clone, Copy)]
pub struct WebhookRequest<'a> {
    /// The HTTP method (`POST`).
    pub method: &'a str,
    /// The full URL the provider called, including the query string.
    pub url: &'a str,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The raw body bytes, exactly as received.
    pub body: &'a [u8],
}

impl fmt::Debug for WebhookRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(|k| k.as_str()).collect();
        f.debug_struct("WebhookRequest")
            .field("method", &self.method)
            .field("url", &crate::redact::Url(self.url))
            .field("header_names", &names)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl<'a> WebhookRequest<'a> {
    /// A POST delivery.
    pub fn post(url: &'a str, headers: &'a HeaderMap, body: &'a [u8]) -> WebhookRequest<'a> {
        WebhookRequest {
            method: "POST",
            url,
            headers,
            body,
        }
    }

    /// The single value of one of `names` (case-insensitive), trying them in order.
    ///
    /// Refuses a header that appears more than once or is not text, and reports the first name
    /// when none is present.
    pub fn single_header(&self, names: &[&str]) -> Result<&'a str, WebhookError> {
        for name in names {
            let mut values = self.headers.get_all(*name).iter();
            if let Some(first) = values.next() {
                if values.next().is_some() {
                    return Err(WebhookError::DuplicateHeader((*name).to_owned()));
                }
                return first
                    .to_str()
                    .map_err(|_| WebhookError::MalformedHeader(format!("{name} is not text")));
            }
        }
        Err(WebhookError::MissingSignature(format!(
            "header {}",
            names.first().copied().unwrap_or("signature")
        )))
    }
}

/// The bytes a webhook signature covers.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedMessage {
    /// The raw body.
    Body,
    /// `timestamp + "." + raw body`, the timestamp read from `header` and checked against a
    /// symmetric window of `tolerance`.
    TimestampDotBody {
        /// The header holding the Unix timestamp.
        header: String,
        /// How far the timestamp may be from now, either way.
        tolerance: Duration,
    },
}

impl SignedMessage {
    /// `timestamp.body`, the timestamp in `header`, with the default 300 s window.
    pub fn timestamp_dot_body(header: impl Into<String>) -> SignedMessage {
        SignedMessage::TimestampDotBody {
            header: header.into(),
            tolerance: DEFAULT_TOLERANCE,
        }
    }
}

/// How webhook deliveries are authenticated, as a value: which headers carry the signature,
/// which bytes are signed and how the signature is written. A provider's "hex HMAC-SHA256 of
/// the raw body in header X" is `WebhookScheme::hmac_body(["X"], SignatureEncoding::Hex)`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookScheme {
    /// Signature headers, tried in order (names are case-insensitive).
    pub signature_headers: Vec<String>,
    /// What is signed.
    pub signed_message: SignedMessage,
    /// How the signature is written.
    pub encoding: SignatureEncoding,
}

impl WebhookScheme {
    /// An HMAC-SHA256 of the raw body, written in `encoding`, in the first of `headers` present.
    pub fn hmac_body<I, S>(headers: I, encoding: SignatureEncoding) -> WebhookScheme
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        WebhookScheme {
            signature_headers: headers.into_iter().map(Into::into).collect(),
            signed_message: SignedMessage::Body,
            encoding,
        }
    }

    /// Sets the signature headers, tried in order.
    #[must_use]
    pub fn with_signature_headers<I, S>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.signature_headers = headers.into_iter().map(Into::into).collect();
        self
    }

    /// Sets what is signed.
    #[must_use]
    pub fn with_signed_message(mut self, message: SignedMessage) -> Self {
        self.signed_message = message;
        self
    }

    /// Sets the signature encoding.
    #[must_use]
    pub fn with_encoding(mut self, encoding: SignatureEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// A verifier for `secret` and the `previous` secrets still accepted during a rotation,
    /// with this scheme's timestamp window.
    pub fn verifier<'a>(
        &self,
        secret: SecretString,
        previous: impl IntoIterator<Item = &'a SecretString>,
    ) -> HmacVerifier {
        let mut verifier = HmacVerifier::new(secret);
        for secret in previous {
            verifier = verifier.with_secret(secret.clone());
        }
        if let SignedMessage::TimestampDotBody { tolerance, .. } = &self.signed_message {
            verifier = verifier.with_tolerance(*tolerance);
        }
        verifier
    }

    /// Checks the signature of `delivery` under this scheme, before anything in the body is
    /// read. A `sha256=` prefix some senders put before the digest is accepted.
    pub fn verify(
        &self,
        verifier: &HmacVerifier,
        delivery: &WebhookRequest<'_>,
    ) -> Result<(), WebhookError> {
        let names: Vec<&str> = self.signature_headers.iter().map(String::as_str).collect();
        let header = delivery.single_header(&names)?;
        let signature = header
            .trim()
            .strip_prefix("sha256=")
            .unwrap_or(header.trim());
        match &self.signed_message {
            SignedMessage::Body => verifier.verify(delivery.body, &[signature], self.encoding),
            SignedMessage::TimestampDotBody { header, .. } => {
                let timestamp =
                    delivery
                        .single_header(&[header.as_str()])
                        .map_err(|e| match e {
                            WebhookError::MissingSignature(_) => {
                                WebhookError::MissingSignature(format!("header {header}"))
                            }
                            other => other,
                        })?;
                verifier.check_timestamp(timestamp)?;
                // Sign over the timestamp as sent, not as re-printed: `+1720000000` or
                // `01720000000` must not borrow the signature of `1720000000`.
                let message = [timestamp.trim().as_bytes(), b".", delivery.body];
                verifier.verify_parts(&message, &[signature], self.encoding)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier() -> HmacVerifier {
        HmacVerifier::new(SecretString::from("old")).with_secret(SecretString::from("new"))
    }

    #[test]
    fn a_pre_keyed_signer_signs_as_sign_does() {
        let long_key = "k".repeat(100); // longer than a SHA-256 block: HMAC hashes it first
        for key in ["s", "callback-secret", long_key.as_str()] {
            let signer = HmacSigner::new(&SecretString::from(key));
            for message in [&b""[..], b"PAYOUT-2024-001", &[0xff; 200]] {
                for encoding in [SignatureEncoding::Hex, SignatureEncoding::Base64] {
                    assert_eq!(
                        signer.sign(message, encoding),
                        sign(key.as_bytes(), message, encoding),
                        "{key} {message:?}"
                    );
                }
            }
            // Signing leaves the keyed state as it was.
            assert_eq!(
                signer.sign(b"again", SignatureEncoding::Hex),
                sign(key.as_bytes(), b"again", SignatureEncoding::Hex)
            );
        }
        assert_eq!(
            format!("{:?}", HmacSigner::new(&SecretString::from("s"))),
            "HmacSigner(** redacted **)"
        );
    }

    #[test]
    fn signatures_of_any_length_and_encoding_are_judged_as_before() {
        let v = verifier();
        let good_hex = sign(b"new", b"msg", SignatureEncoding::Hex);
        let good_b64 = sign(b"old", b"msg", SignatureEncoding::Base64);
        assert_eq!(
            v.verify(b"msg", &[&good_hex], SignatureEncoding::Hex),
            Ok(())
        );
        assert_eq!(
            v.verify(b"msg", &[&good_hex.to_uppercase()], SignatureEncoding::Hex),
            Ok(())
        );
        assert_eq!(
            v.verify(b"msg", &[&good_b64], SignatureEncoding::Base64),
            Ok(())
        );
        // Longer than the inline buffer: decoded on the heap, then a plain mismatch.
        let long_hex = "ab".repeat(65);
        let long_b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 100]);
        assert_eq!(
            v.verify(b"msg", &[&long_hex], SignatureEncoding::Hex),
            Err(WebhookError::SignatureMismatch)
        );
        assert_eq!(
            v.verify(b"msg", &[&long_b64], SignatureEncoding::Base64),
            Err(WebhookError::SignatureMismatch)
        );
        // Undecodable text, odd or not, is an encoding error unless another candidate decodes.
        for bad in ["abc", "zz", &"g".repeat(64)] {
            assert_eq!(
                v.verify(b"msg", &[bad], SignatureEncoding::Hex),
                Err(WebhookError::BadEncoding("hex")),
                "{bad}"
            );
        }
        assert_eq!(
            v.verify(b"msg", &["!!!!"], SignatureEncoding::Base64),
            Err(WebhookError::BadEncoding("base64"))
        );
        assert_eq!(
            v.verify(b"msg", &["zz", &good_hex], SignatureEncoding::Hex),
            Ok(())
        );
        // An empty secret verifies nothing; only empty secrets is an error.
        let empty = HmacVerifier::new(SecretString::from(""));
        assert_eq!(
            empty.verify(b"msg", &[&good_hex], SignatureEncoding::Hex),
            Err(WebhookError::EmptySecret)
        );
        let rotated = empty.with_secret(SecretString::from("new"));
        assert_eq!(
            rotated.verify(b"msg", &[&good_hex], SignatureEncoding::Hex),
            Ok(())
        );
    }

    #[test]
    fn a_new_providers_hex_hmac_of_the_body_in_a_header_is_a_value() {
        let scheme = WebhookScheme::hmac_body(["X-Acme-Signature"], SignatureEncoding::Hex);
        let verifier = scheme.verifier(SecretString::from("whsec"), &[]);
        let body = br#"{"id":"po_1","status":"paid"}"#;
        let mut headers = HeaderMap::new();
        let good = sign(b"whsec", body, SignatureEncoding::Hex);
        headers.insert("x-acme-signature", good.parse().unwrap());
        let delivery = WebhookRequest::post("https://m.example/hook", &headers, body);
        assert_eq!(scheme.verify(&verifier, &delivery), Ok(()));

        let mut forged = HeaderMap::new();
        let bad = sign(b"other", body, SignatureEncoding::Hex);
        forged.insert("x-acme-signature", bad.parse().unwrap());
        let delivery = WebhookRequest::post("https://m.example/hook", &forged, body);
        assert_eq!(
            scheme.verify(&verifier, &delivery),
            Err(WebhookError::SignatureMismatch)
        );
        let empty = HeaderMap::new();
        let delivery = WebhookRequest::post("https://m.example/hook", &empty, body);
        assert_eq!(
            scheme.verify(&verifier, &delivery),
            Err(WebhookError::MissingSignature(
                "header X-Acme-Signature".into()
            ))
        );
    }
}
