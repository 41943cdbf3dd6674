//! The `X-Reference-Id` of a payout or refund, derived from the client's identity and the
//! merchant reference.
//!
//! MTN deduplicates money-moving POSTs on the `X-Reference-Id` header, a client-chosen UUID that
//! also names the resource (`GET …/transfer/{X-Reference-Id}`): a second POST with an id already
//! used is refused with `409 RESOURCE_ALREADY_EXIST`, and a GET of an id never used is `404`.
//! A random id would make that protection useless across processes: after a timeout or a crash
//! the id would be lost, and a re-send would carry a new one and pay twice. So the id is a pure
//! function of what the merchant already keeps:
//!
//! ```text
//! digest = SHA-256( "disburse/mtn-momo/x-reference-id/v1" 0x00
//!                   len‖api user ‖ len‖target environment ‖ len‖kind ‖ len‖merchant reference )
//! id     = digest[0..16], version nibble set to 4, variant bits set to 10 (RFC 9562),
//!          written lower-case 8-4-4-4-12
//! ```
//!
//! (`len‖x` is the length of `x` as 4 big-endian bytes, then its UTF-8 bytes, so no two inputs
//! run into each other.)
//!
//! - **Why a version-4-form UUID from SHA-256, not a name-based v5 UUID.** MTN refuses an
//!   `X-Reference-Id` that is not a version-4 UUID (400; community SDKs check the version nibble
//!   `4` and the variant `8`-`b`). A v5 UUID carries version nibble `5` and would be refused.
//!   The 122 free bits come from SHA-256 (already a dependency), so ids are as unlikely to
//!   collide as random v4 ids; no UUID crate is needed for twelve lines.
//! - **Why these inputs.** The API user (one per MTN partner account and environment) keeps two
//!   merchants' equal references apart; the target environment keeps a sandbox id apart from a
//!   production one; the kind (`payout`, `refund`) keeps a refund and a payout under the same
//!   merchant reference apart. The API key is left out on purpose: rotating it must not change
//!   the id of a payout already sent. The payout mode (transfer or deposit) is left out too, so
//!   a re-send after switching modes still carries the same id.
//! - **What it implies.** The merchant reference is the idempotency key, as for every provider:
//!   a reference used once is never paid twice through the same API user, from any process.

use sha2::{Digest, Sha256};

use crate::model::Reference;

/// The domain-separation tag; bump the version only with a migration plan (old ids would no
/// longer be found).
const TAG: &[u8] = b"disburse/mtn-momo/x-reference-id/v1";

/// What an id is derived for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdKind {
    /// A transfer or deposit.
    Payout,
    /// A refund.
    Refund,
}

impl IdKind {
    fn as_str(self) -> &'static str {
        match self {
            IdKind::Payout => "payout",
            IdKind::Refund => "refund",
        }
    }
}

/// The `X-Reference-Id` for `reference`, for the API user `api_user` in `target_environment`.
pub(crate) fn derive(
    api_user: &str,
    target_environment: &str,
    kind: IdKind,
    reference: &Reference,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(TAG);
    hasher.update([0u8]);
    for part in [
        api_user.trim().to_ascii_lowercase().as_str(),
        target_environment,
        kind.as_str(),
        reference.as_str(),
    ] {
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        hasher.update(len.to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    format_uuid(&bytes)
}

fn format_uuid(bytes: &[u8; 16]) -> String {
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// True for a UUID in the hyphenated 8-4-4-4-12 form (any version, either case): the shape of
/// every MTN resource id this crate sends or reads.
pub(crate) fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// True for a version-4-form UUID, as MTN requires for `X-Reference-Id` (version nibble `4`,
/// variant `8`, `9`, `a` or `b`).
#[cfg(any(test, feature = "sandbox"))]
pub(crate) fn is_v4_form(text: &str) -> bool {
    let bytes = text.as_bytes();
    is_uuid(text) && bytes[14] == b'4' && matches!(bytes[19].to_ascii_lowercase(), b'8'..=b'b')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(text: &str) -> Reference {
        Reference::new(text).unwrap()
    }

    #[test]
    fn the_id_is_a_pinned_v4_form_uuid() {
        let id = derive(
            "0c8a8e3a-5b6f-4f0e-9d43-1b2c3d4e5f60",
            "sandbox",
            IdKind::Payout,
            &reference("payout-000123"),
        );
        // Pinned: a change of derivation would orphan every payout already sent.
        assert_eq!(id, "19c3261d-cb03-4cad-a758-ebebe00b4610");
        assert!(is_v4_form(&id), "{id}");
        assert_eq!(id, id.to_ascii_lowercase());
    }

    #[test]
    fn every_input_changes_the_id_and_case_of_the_api_user_does_not() {
        let user = "0c8a8e3a-5b6f-4f0e-9d43-1b2c3d4e5f60";
        let base = derive(user, "sandbox", IdKind::Payout, &reference("r-1"));
        assert_eq!(
            base,
            derive(
                &user.to_uppercase(),
                "sandbox",
                IdKind::Payout,
                &reference("r-1")
            )
        );
        for other in [
            derive(
                "1c8a8e3a-5b6f-4f0e-9d43-1b2c3d4e5f60",
                "sandbox",
                IdKind::Payout,
                &reference("r-1"),
            ),
            derive(user, "mtnuganda", IdKind::Payout, &reference("r-1")),
            derive(user, "sandbox", IdKind::Refund, &reference("r-1")),
            derive(user, "sandbox", IdKind::Payout, &reference("r-2")),
            // Length prefixes: moving a character from one part to the next changes the id.
            derive(user, "sandboxr", IdKind::Payout, &reference("-1")),
        ] {
            assert_ne!(base, other);
            assert!(is_v4_form(&other), "{other}");
        }
    }

    #[test]
    fn uuid_shapes() {
        assert!(is_v4_form("5cecb5a7-8bd0-4f49-87b1-8eb9ecc7b7bc"));
        assert!(is_uuid("5CECB5A7-8BD0-1F49-87B1-8EB9ECC7B7BC"));
        assert!(!is_v4_form("5cecb5a7-8bd0-1f49-87b1-8eb9ecc7b7bc"));
        assert!(!is_v4_form("5cecb5a7-8bd0-4f49-c7b1-8eb9ecc7b7bc"));
        assert!(!is_uuid("5cecb5a78bd04f4987b18eb9ecc7b7bc"));
        assert!(!is_uuid("5cecb5a7-8bd0-4f49-87b1-8eb9ecc7b7b/"));
        assert!(!is_uuid(""));
    }
}
