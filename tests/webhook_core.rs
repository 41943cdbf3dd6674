//! The shared webhook verification core.

use std::sync::Arc;
use std::time::Duration;

use disburse::WebhookError;
use disburse::webhook::{FixedClock, HmacVerifier, SignatureEncoding, sign};
use secrecy::SecretString;

const GITHUB_SECRET: &str = "It's a Secret to Everybody";
const GITHUB_BODY: &[u8] = b"Hello, World!";
const GITHUB_SIGNATURE: &str = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

fn verifier(secret: &str) -> HmacVerifier {
    HmacVerifier::new(SecretString::from(secret))
}

#[test]
fn github_public_vector_verifies() {
    let header = format!("sha256={GITHUB_SIGNATURE}");
    let signature = header.strip_prefix("sha256=").unwrap();
    assert_eq!(
        verifier(GITHUB_SECRET).verify(GITHUB_BODY, &[signature], SignatureEncoding::Hex),
        Ok(())
    );
    // Upper-case hex is the same signature.
    assert_eq!(
        verifier(GITHUB_SECRET).verify(
            GITHUB_BODY,
            &[&GITHUB_SIGNATURE.to_uppercase()],
            SignatureEncoding::Hex
        ),
        Ok(())
    );
    assert_eq!(
        sign(
            GITHUB_SECRET.as_bytes(),
            GITHUB_BODY,
            SignatureEncoding::Hex
        ),
        GITHUB_SIGNATURE
    );
}

#[test]
fn one_flipped_body_byte_is_rejected() {
    for i in 0..GITHUB_BODY.len() {
        let mut body = GITHUB_BODY.to_vec();
        body[i] ^= 0x01;
        assert_eq!(
            verifier(GITHUB_SECRET).verify(&body, &[GITHUB_SIGNATURE], SignatureEncoding::Hex),
            Err(WebhookError::SignatureMismatch),
            "byte {i}"
        );
    }
}

#[test]
fn wrong_secret_is_rejected() {
    assert_eq!(
        verifier("It's a secret to everybody").verify(
            GITHUB_BODY,
            &[GITHUB_SIGNATURE],
            SignatureEncoding::Hex
        ),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn empty_secret_is_rejected_even_with_a_matching_signature() {
    let signature = sign(b"", GITHUB_BODY, SignatureEncoding::Hex);
    assert_eq!(
        verifier("").verify(GITHUB_BODY, &[&signature], SignatureEncoding::Hex),
        Err(WebhookError::EmptySecret)
    );
}

#[test]
fn blank_secret_is_refused_like_an_empty_one_and_skipped_in_a_rotation() {
    for blank in [" ", "   ", "\t\n"] {
        let signature = sign(blank.as_bytes(), GITHUB_BODY, SignatureEncoding::Hex);
        assert_eq!(
            verifier(blank).verify(GITHUB_BODY, &[&signature], SignatureEncoding::Hex),
            Err(WebhookError::EmptySecret),
            "{blank:?}"
        );
        let rotating = verifier(GITHUB_SECRET).with_secret(SecretString::from(blank));
        assert_eq!(
            rotating.verify(GITHUB_BODY, &[&signature], SignatureEncoding::Hex),
            Err(WebhookError::SignatureMismatch),
            "{blank:?}"
        );
        assert_eq!(
            rotating.verify(GITHUB_BODY, &[GITHUB_SIGNATURE], SignatureEncoding::Hex),
            Ok(())
        );
    }
}

#[test]
fn empty_signature_is_rejected() {
    for candidates in [&[][..], &[""][..], &["   "][..]] {
        assert_eq!(
            verifier(GITHUB_SECRET).verify(GITHUB_BODY, candidates, SignatureEncoding::Hex),
            Err(WebhookError::EmptySignature)
        );
    }
}

#[test]
fn truncated_and_overlong_signatures_are_rejected() {
    let truncated = &GITHUB_SIGNATURE[..62];
    let overlong = format!("{GITHUB_SIGNATURE}00");
    for candidate in [truncated, overlong.as_str(), &GITHUB_SIGNATURE[..2]] {
        assert_eq!(
            verifier(GITHUB_SECRET).verify(GITHUB_BODY, &[candidate], SignatureEncoding::Hex),
            Err(WebhookError::SignatureMismatch),
            "{candidate}"
        );
    }
    // An odd number of hex digits is not hex at all.
    assert_eq!(
        verifier(GITHUB_SECRET).verify(
            GITHUB_BODY,
            &[&GITHUB_SIGNATURE[..63]],
            SignatureEncoding::Hex
        ),
        Err(WebhookError::BadEncoding("hex"))
    );
}

#[test]
fn non_hex_signature_is_rejected() {
    let not_hex = GITHUB_SIGNATURE.replace('a', "g");
    assert_eq!(
        verifier(GITHUB_SECRET).verify(GITHUB_BODY, &[&not_hex], SignatureEncoding::Hex),
        Err(WebhookError::BadEncoding("hex"))
    );
}

#[test]
fn timestamp_window_is_symmetric_300_seconds() {
    let now = 1_700_000_000;
    let v = verifier(GITHUB_SECRET).with_clock(Arc::new(FixedClock(now)));
    assert_eq!(v.check_timestamp(&(now - 300).to_string()), Ok(now - 300));
    assert_eq!(v.check_timestamp(&(now + 300).to_string()), Ok(now + 300));
    assert_eq!(
        v.check_timestamp(&(now - 301).to_string()),
        Err(WebhookError::TimestampOutOfWindow {
            skew_secs: -301,
            tolerance_secs: 300
        })
    );
    assert_eq!(
        v.check_timestamp(&(now + 301).to_string()),
        Err(WebhookError::TimestampOutOfWindow {
            skew_secs: 301,
            tolerance_secs: 300
        })
    );
    for bad in ["", "abc", "1.5", "99999999999999999999999", "0x10"] {
        assert_eq!(
            v.check_timestamp(bad),
            Err(WebhookError::InvalidTimestamp),
            "{bad}"
        );
    }
    assert!(matches!(
        v.check_timestamp(&i64::MIN.to_string()),
        Err(WebhookError::TimestampOutOfWindow { .. })
    ));
    let wide = verifier(GITHUB_SECRET)
        .with_clock(Arc::new(FixedClock(now)))
        .with_tolerance(Duration::from_secs(600));
    assert_eq!(
        wide.check_timestamp(&(now - 599).to_string()),
        Ok(now - 599)
    );
}

#[test]
fn rotation_accepts_old_and_new_secret_and_any_candidate() {
    let v = verifier("old-secret").with_secret(SecretString::from("new-secret"));
    let by_old = sign(b"old-secret", GITHUB_BODY, SignatureEncoding::Hex);
    let by_new = sign(b"new-secret", GITHUB_BODY, SignatureEncoding::Hex);
    let by_other = sign(b"other", GITHUB_BODY, SignatureEncoding::Hex);
    assert_eq!(
        v.verify(GITHUB_BODY, &[&by_old], SignatureEncoding::Hex),
        Ok(())
    );
    assert_eq!(
        v.verify(GITHUB_BODY, &[&by_new], SignatureEncoding::Hex),
        Ok(())
    );
    assert_eq!(
        v.verify(GITHUB_BODY, &[&by_other, &by_new], SignatureEncoding::Hex),
        Ok(())
    );
    assert_eq!(
        v.verify(GITHUB_BODY, &[&by_other], SignatureEncoding::Hex),
        Err(WebhookError::SignatureMismatch)
    );
    // A junk candidate beside a good one does not spoil it.
    assert_eq!(
        v.verify(GITHUB_BODY, &["zz", &by_new], SignatureEncoding::Hex),
        Ok(())
    );
}

#[test]
fn base64_signatures_verify() {
    let signature = sign(
        GITHUB_SECRET.as_bytes(),
        GITHUB_BODY,
        SignatureEncoding::Base64,
    );
    assert_eq!(signature, "dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIsEPhc=");
    assert_eq!(
        verifier(GITHUB_SECRET).verify(GITHUB_BODY, &[&signature], SignatureEncoding::Base64),
        Ok(())
    );
    assert_eq!(
        verifier(GITHUB_SECRET).verify(GITHUB_BODY, &["***"], SignatureEncoding::Base64),
        Err(WebhookError::BadEncoding("base64"))
    );
}

#[test]
fn verifier_debug_shows_no_secret() {
    let v = verifier("whsec_super_secret_value");
    let shown = format!("{v:?}");
    assert!(!shown.contains("super_secret"), "{shown}");
    assert!(shown.contains("[1 redacted]"), "{shown}");
}
