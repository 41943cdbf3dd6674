//! `SecurityCredential`: the initiator password encrypted with RSA PKCS#1 v1.5 under Safaricom's
//! public key for the environment, base64-encoded.
//!
//! The encryption is `aws-lc-rs` (already in the tree through rustls), not the `rsa` crate
//! (RUSTSEC-2023-0071). The key comes from a PEM `CERTIFICATE` (what the Daraja portal hands out)
//! or a PEM `PUBLIC KEY` (SubjectPublicKeyInfo); the certificate's `SubjectPublicKeyInfo` is cut
//! out by a small DER walk (only the key matters: Safaricom's certificates have long expired and
//! are still the ones in use, so their dates and issuers are not checked).
//!
//! PKCS#1 v1.5 padding is random: the credential differs on every call. It is computed once
//! when the client is built and reused for every request.

use aws_lc_rs::rsa::{Pkcs1PublicEncryptingKey, PublicEncryptingKey};
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};

use crate::error::Error;

/// Safaricom's sandbox certificate (`CN=sandbox.safaricom.co.ke`), as the Daraja portal gives it.
pub const SANDBOX_CERTIFICATE: &str = include_str!("certs/sandbox.cer");
/// Safaricom's production certificate (`CN=apigee.apicaller.safaricom.co.ke`).
pub const PRODUCTION_CERTIFICATE: &str = include_str!("certs/production.cer");

/// A public key read from a PEM certificate or public key.
pub(crate) fn public_key(pem: &str) -> Result<Pkcs1PublicEncryptingKey, Error> {
    let (label, der) = pem_block(pem)?;
    let spki = match label.as_str() {
        "CERTIFICATE" => certificate_spki(&der).ok_or_else(|| {
            Error::config("mpesa_daraja: the certificate's public key could not be read")
        })?,
        "PUBLIC KEY" => der.as_slice(),
        other => {
            return Err(Error::config(format!(
                "mpesa_daraja: expected a PEM CERTIFICATE or PUBLIC KEY, got {other:?}"
            )));
        }
    };
    let key = PublicEncryptingKey::from_der(spki).map_err(|e| Error::Config {
        message: "mpesa_daraja: the public key is not an RSA key aws-lc accepts".into(),
        source: Some(Box::new(e)),
    })?;
    Pkcs1PublicEncryptingKey::new(key).map_err(|e| Error::Config {
        message: "mpesa_daraja: the key cannot encrypt with PKCS#1 v1.5".into(),
        source: Some(Box::new(e)),
    })
}

/// base64(RSA-PKCS#1-v1.5(key, password bytes)).
pub(crate) fn security_credential(
    key: &Pkcs1PublicEncryptingKey,
    password: &SecretString,
) -> Result<SecretString, Error> {
    let plain = password.expose_secret().as_bytes();
    if plain.is_empty() {
        return Err(Error::config(
            "mpesa_daraja: the initiator password is empty",
        ));
    }
    if plain.len() > key.max_plaintext_size() {
        return Err(Error::config(
            "mpesa_daraja: the initiator password is too long for the key",
        ));
    }
    let mut out = vec![0u8; key.ciphertext_size()];
    let sealed = key.encrypt(plain, &mut out).map_err(|e| Error::Config {
        message: "mpesa_daraja: the initiator password could not be encrypted".into(),
        source: Some(Box::new(e)),
    })?;
    Ok(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode(sealed),
    ))
}

/// The label and bytes of the first PEM block.
fn pem_block(pem: &str) -> Result<(String, Vec<u8>), Error> {
    let bad = |why: &str| Error::config(format!("mpesa_daraja: not a PEM block: {why}"));
    let start = pem
        .find("-----BEGIN ")
        .ok_or_else(|| bad("no BEGIN line"))?;
    let rest = &pem[start + "-----BEGIN ".len()..];
    let label_end = rest
        .find("-----")
        .ok_or_else(|| bad("unterminated BEGIN line"))?;
    let label = rest[..label_end].to_owned();
    let body_start = &rest[label_end + 5..];
    let end_marker = format!("-----END {label}-----");
    let body_end = body_start
        .find(&end_marker)
        .ok_or_else(|| bad("no matching END line"))?;
    let text: String = body_start[..body_end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| bad("the body is not base64"))?;
    Ok((label, der))
}

/// One DER element read from the front of some bytes.
struct Element<'a> {
    tag: u8,
    /// The content octets.
    content: &'a [u8],
    /// The whole element: tag, length and content.
    whole: &'a [u8],
    /// The bytes after it.
    rest: &'a [u8],
}

fn der_element(input: &[u8]) -> Option<Element<'_>> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    let header_len = input.len() - rest.len();
    Some(Element {
        tag,
        content: &rest[..len],
        whole: &input[..header_len + len],
        rest: &rest[len..],
    })
}

/// The `SubjectPublicKeyInfo` (whole element) of an X.509 certificate: the seventh field of
/// `tbsCertificate`, or the sixth when the optional `[0] version` is absent.
fn certificate_spki(der: &[u8]) -> Option<&[u8]> {
    const SEQUENCE: u8 = 0x30;
    let cert = der_element(der).filter(|e| e.tag == SEQUENCE)?;
    let tbs = der_element(cert.content).filter(|e| e.tag == SEQUENCE)?;
    let mut rest = tbs.content;
    if der_element(rest)?.tag == 0xa0 {
        rest = der_element(rest)?.rest; // [0] version
    }
    // serialNumber, signature, issuer, validity, subject
    for _ in 0..5 {
        rest = der_element(rest)?.rest;
    }
    let spki = der_element(rest).filter(|e| e.tag == SEQUENCE)?;
    Some(spki.whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shipped_certificates_give_2048_bit_keys() {
        for pem in [SANDBOX_CERTIFICATE, PRODUCTION_CERTIFICATE] {
            let key = public_key(pem).unwrap();
            assert_eq!(key.key_size_bits(), 2048);
            let credential =
                security_credential(&key, &SecretString::from("Safaricom999!*!")).unwrap();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(credential.expose_secret())
                .unwrap();
            assert_eq!(bytes.len(), 256);
        }
    }

    #[test]
    fn garbage_is_a_config_error() {
        for pem in [
            "",
            "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----",
            "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----",
            "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----",
        ] {
            assert!(
                matches!(public_key(pem), Err(Error::Config { .. })),
                "{pem}"
            );
        }
    }
}
