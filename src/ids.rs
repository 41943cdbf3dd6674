//! The identity types every other module names: which provider, and the merchant's reference.
//!
//! A leaf: it imports nothing of the crate, so `error` and `model` can both use it without
//! importing each other. The checks that build a [`Reference`] live in `model` (they answer
//! with an [`Error`](crate::Error)); both types are re-exported from `model` and the crate root.

use std::fmt;

/// Which provider a record, event or error comes from.
///
/// A newtype over a static name rather than an enum, so an adapter outside this crate can name
/// itself too.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderId(&'static str);

impl ProviderId {
    /// Vesicash.
    pub const VESICASH: ProviderId = ProviderId("vesicash");
    /// JPay (Kenya).
    pub const JPAY: ProviderId = ProviderId("jpay");
    /// Payonify (Zimbabwe).
    pub const PAYONIFY: ProviderId = ProviderId("payonify");
    /// MTN MoMo (the MTN Open API's Disbursement product).
    pub const MTN_MOMO: ProviderId = ProviderId("mtn_momo");
    /// Safaricom M-Pesa, directly through the Daraja API (Kenya).
    pub const MPESA_DARAJA: ProviderId = ProviderId("mpesa_daraja");

    /// A provider id for an adapter outside this crate.
    pub const fn custom(name: &'static str) -> ProviderId {
        ProviderId(name)
    }

    /// The provider's name in lower case (`"jpay"`).
    pub const fn as_str(&self) -> &'static str {
        self.0
    }
}

impl fmt::Debug for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The merchant's own reference for a payout or refund: the idempotency key.
///
/// # Example
///
/// ```
/// use disburse::{Error, Reference};
///
/// let reference = Reference::new("salary-2026-11-0042")?;
/// assert_eq!(reference.as_str(), "salary-2026-11-0042");
///
/// // Refused before anything is sent, with the field named.
/// let err = Reference::new("salary 42/11").unwrap_err();
/// assert!(matches!(err, Error::InvalidRequest { field: "reference", .. }));
/// assert!(!err.may_have_been_sent());
/// assert!(Reference::new("").is_err());
/// assert!(Reference::new("x".repeat(Reference::MAX_LEN + 1)).is_err());
/// # Ok::<(), Error>(())
/// ```
///
/// 1–50 characters of `[A-Za-z0-9_-]`, which every provider accepts unchanged (JPay's `ref_no`
/// allows 50, Payonify's `Idempotency-Key` and metadata values more).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Reference(pub(crate) String);

impl Reference {
    /// The reference text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
