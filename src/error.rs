//! One error type for every provider and every phase.
//!
//! Each variant says which phase failed and what the caller may do next:
//!
//! | variant | phase | sent? | what to do |
//! |---|---|---|---|
//! | [`Error::InvalidRequest`] | before sending | no | fix the input |
//! | [`Error::Config`] | building a client | no | fix the configuration |
//! | [`Error::NotSent`] | connecting | no | retry freely |
//! | [`Error::Auth`] | provider refused credentials or access | yes, not processed | fix credentials/account |
//! | [`Error::Rejected`] | provider refused the request | yes, not processed | read [`RejectCode`] |
//! | [`Error::RateLimited`] | provider throttled | yes, not processed | retry after `retry_after` |
//! | [`Error::ServerError`] | provider failed a read | yes | retry later |
//! | [`Error::Network`] | a read failed after sending | yes | retry freely (reads only) |
//! | [`Error::OutcomeUnknown`] | a money-moving call may have gone through | **maybe** | reconcile with `PayoutProvider::reconcile` before anything else |
//! | [`Error::Decode`] | the provider's answer made no sense | yes | report; retry a read later |
//! | [`Error::Webhook`] | a webhook delivery was refused | — | answer 4xx; 2xx when [`WebhookError::should_acknowledge`] (authentic, not about a payout) |
//! | [`Error::Unsupported`] | the provider has no such operation | no | use another provider |
//! | [`Error::ReferenceConflict`] | a reference already stored for another payout | no | a changed payout needs a new reference |
//! | [`Error::Store`] | reading or writing the payout store (SQLite, PostgreSQL) | no (nothing is sent without its durable intent) | fix the database, then run again |

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use crate::ids::{ProviderId, Reference};
use crate::webhook::signature::WebhookError;

/// A boxed error cause, kept whole so `source()` chains reach it.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Shorthand for results with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, by phase.
///
/// Ask the predicates rather than matching every variant: [`is_retryable`](Error::is_retryable)
/// (the same call may simply be made again), [`may_have_been_sent`](Error::may_have_been_sent)
/// (the request may have reached the provider), [`is_outcome_unknown`](Error::is_outcome_unknown)
/// (money may have moved: reconcile with `find_payout`, never re-send blindly) and
/// [`http_status`](Error::http_status).
///
/// # Example
///
/// ```
/// use disburse::{Error, ProviderId, Reference, RejectCode, error::Refusal};
///
/// // Bad input: refused before anything is sent.
/// let invalid = Reference::new("").unwrap_err();
/// assert!(!invalid.may_have_been_sent() && !invalid.is_retryable());
///
/// // A provider's answer, classified by the shared status table.
/// let refused = Error::from_status(
///     ProviderId::JPAY,
///     400,
///     RejectCode::InvalidAmount,
///     Refusal::new("amount out of range"),
/// );
/// assert_eq!(refused.http_status(), Some(400));
/// assert_eq!(refused.reject_code(), Some(&RejectCode::InvalidAmount));
/// assert!(!refused.is_retryable());
///
/// let busy = Error::from_status(ProviderId::JPAY, 503, RejectCode::Other, Refusal::new("busy"));
/// assert!(busy.is_retryable() && busy.may_have_been_sent());
/// // A 5xx to a read; to an unkeyed payout the adapter answers `OutcomeUnknown` instead.
/// assert!(!busy.is_outcome_unknown());
/// ```
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request was refused before anything was sent.
    #[error("invalid request: `{field}` {reason}")]
    InvalidRequest {
        /// The offending field (`amount`, `destination.msisdn`, …).
        field: &'static str,
        /// Why it was refused.
        reason: String,
        /// The underlying validation error, where there is one.
        #[source]
        source: Option<BoxError>,
    },

    /// A client could not be built from its configuration.
    #[error("configuration error: {message}")]
    Config {
        /// What is wrong.
        message: String,
        /// The underlying error, where there is one.
        #[source]
        source: Option<BoxError>,
    },

    /// The provider refused the credentials, or the account may not do this.
    #[error("{provider}: not authorized ({kind:?}): {message}")]
    Auth {
        /// The provider.
        provider: ProviderId,
        /// The HTTP status, when the provider answered.
        status: Option<u16>,
        /// The normalized kind.
        kind: AuthFailure,
        /// The provider's message.
        message: String,
    },

    /// The provider understood the request and refused it; nothing was processed.
    #[error("{provider}: rejected with HTTP {status} ({code:?}): {message}")]
    Rejected {
        /// The provider.
        provider: ProviderId,
        /// The HTTP status.
        status: u16,
        /// The normalized reason.
        code: RejectCode,
        /// The provider's own error code, where it gives one.
        provider_code: Option<String>,
        /// The provider's message, word for word.
        message: String,
        /// The request parameter the provider blamed, where it names one.
        param: Option<String>,
    },

    /// The provider throttled the request; it was not processed.
    #[error("{provider}: rate limited{}", retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The provider.
        provider: ProviderId,
        /// How long the provider asked to wait.
        retry_after: Option<Duration>,
        /// The provider's message.
        message: String,
    },

    /// The request never left: the connection could not be made. Safe to retry.
    #[error("{provider}: {operation} was not sent: could not connect")]
    NotSent {
        /// The provider.
        provider: ProviderId,
        /// The operation (`create_payout`, `get_payout`, …).
        operation: &'static str,
        /// The transport error.
        #[source]
        source: BoxError,
    },

    /// A read (not a money-moving call) failed after it was sent: timeout or connection lost.
    #[error("{provider}: {operation} failed in transit")]
    Network {
        /// The provider.
        provider: ProviderId,
        /// The operation.
        operation: &'static str,
        /// The transport error.
        #[source]
        source: BoxError,
    },

    /// A money-moving request may have reached the provider, and its outcome is not known.
    ///
    /// Do not send a new payout: reconcile with
    /// [`PayoutProvider::reconcile`](crate::PayoutProvider::reconcile), which answers found, not
    /// found or cannot tell on every provider (or retry with the same reference on a provider
    /// that deduplicates).
    #[error("{provider}: outcome of {operation} for reference {} is unknown ({cause})", reference.as_ref().map(Reference::as_str).unwrap_or("-"))]
    OutcomeUnknown {
        /// The provider.
        provider: ProviderId,
        /// The operation.
        operation: &'static str,
        /// The merchant reference, to reconcile with.
        reference: Option<Reference>,
        /// What made it ambiguous.
        cause: Ambiguity,
        /// The underlying error, where there is one.
        #[source]
        source: Option<BoxError>,
    },

    /// The provider failed a read with a server error, after the allowed retries.
    #[error("{provider}: server error HTTP {status}: {message}")]
    ServerError {
        /// The provider.
        provider: ProviderId,
        /// The HTTP status.
        status: u16,
        /// The provider's message or a body snippet.
        message: String,
    },

    /// The provider's answer could not be understood (bad JSON, wrong types, an HTML page, empty).
    #[error("{provider}: undecodable response (HTTP {status}): {snippet:?}")]
    Decode {
        /// The provider.
        provider: ProviderId,
        /// The HTTP status of the answer.
        status: u16,
        /// The first bytes of the body, for diagnosis.
        snippet: String,
        /// The decoding error.
        #[source]
        source: BoxError,
    },

    /// A webhook delivery was refused.
    #[error("webhook rejected: {0}")]
    Webhook(#[from] WebhookError),

    /// The provider has no such operation.
    #[error("{provider} does not support {operation}")]
    Unsupported {
        /// The provider.
        provider: ProviderId,
        /// The operation.
        operation: &'static str,
    },

    /// The payout store ([`crate::store`]) could not be opened, read or written; the message
    /// names the database.
    #[error("payout store: {message}")]
    Store {
        /// What failed, naming the database (its file, or its host and name).
        message: String,
        /// The driver's error, where there is one.
        #[source]
        source: Option<BoxError>,
    },

    /// The reference is already stored for a payout with another amount, currency or
    /// destination: nothing was sent, and a changed payout needs a new reference.
    #[error(
        "{provider} reference {reference} is already stored for another payout ({stored}); a changed payout needs a new reference"
    )]
    ReferenceConflict {
        /// The provider the reference is stored under.
        provider: ProviderId,
        /// The reference.
        reference: Reference,
        /// What the stored payout moves (amount, currency), for the operator.
        stored: String,
    },
}

/// What made a money-moving call's outcome unknown.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ambiguity {
    /// No answer within the timeout after the request was sent.
    Timeout,
    /// The connection broke after the request was sent.
    ConnectionLost,
    /// The provider answered with a server error (5xx).
    ServerError {
        /// The HTTP status.
        status: u16,
    },
    /// The provider answered 2xx with a body that could not be understood.
    UndecodableResponse {
        /// The HTTP status.
        status: u16,
    },
}

impl fmt::Display for Ambiguity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ambiguity::Timeout => f.write_str("timed out after sending"),
            Ambiguity::ConnectionLost => f.write_str("connection lost after sending"),
            Ambiguity::ServerError { status } => write!(f, "server error HTTP {status}"),
            Ambiguity::UndecodableResponse { status } => {
                write!(f, "undecodable answer with HTTP {status}")
            }
        }
    }
}

/// Why the provider refused credentials or access.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// The keys or secrets are wrong.
    InvalidCredentials,
    /// The access token expired or was revoked, and renewing it did not help.
    TokenExpired,
    /// The merchant account is not approved for this.
    MerchantNotApproved,
    /// The app or integration is inactive.
    AppInactive,
    /// The product (payouts) is not enabled for the account.
    ProductNotEnabled,
    /// The caller's IP address is not on the allow-list.
    IpNotAllowed,
    /// Forbidden for another reason.
    Forbidden,
}

/// The normalized reason a provider rejected a request.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectCode {
    /// The amount is invalid (zero, negative, out of range, wrong format).
    InvalidAmount,
    /// The merchant's wallet cannot cover it.
    InsufficientBalance,
    /// The original payment does not exist.
    PaymentNotFound,
    /// The object asked for does not exist.
    NotFound,
    /// The refund is more than what is left to refund.
    RefundExceedsRefundableBalance,
    /// The recipient is not valid (number, account).
    InvalidRecipient,
    /// The channel code is not valid.
    InvalidChannel,
    /// The merchant reference was used before.
    DuplicateReference,
    /// The idempotency key was reused with a different request.
    IdempotencyConflict,
    /// Another parameter is invalid.
    InvalidRequest,
    /// Anything else.
    Other,
}

impl Error {
    /// An [`Error::InvalidRequest`] for `field`.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
        Error::InvalidRequest {
            field,
            reason: reason.into(),
            source: None,
        }
    }

    /// An [`Error::InvalidRequest`] for `field` with its cause.
    pub fn invalid_with_source(
        field: &'static str,
        reason: impl Into<String>,
        source: impl Into<BoxError>,
    ) -> Error {
        Error::InvalidRequest {
            field,
            reason: reason.into(),
            source: Some(source.into()),
        }
    }

    /// An [`Error::Config`].
    pub fn config(message: impl Into<String>) -> Error {
        Error::Config {
            message: message.into(),
            source: None,
        }
    }

    /// An [`Error::Store`].
    pub fn store(message: impl Into<String>) -> Error {
        Error::Store {
            message: message.into(),
            source: None,
        }
    }

    /// An [`Error::Store`] with its cause.
    pub fn store_with_source(message: impl Into<String>, source: impl Into<BoxError>) -> Error {
        Error::Store {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// An [`Error::Auth`]: `provider` refused the credentials (`status` is `None` when the
    /// refusal happened before any request was sent).
    ///
    /// ```
    /// use disburse::{AuthFailure, Error, ProviderId};
    ///
    /// let err = Error::auth(ProviderId::JPAY, Some(401), AuthFailure::TokenExpired, "expired");
    /// assert_eq!(err.http_status(), Some(401));
    /// assert!(!Error::auth(ProviderId::JPAY, None, AuthFailure::InvalidCredentials, "").may_have_been_sent());
    /// ```
    pub fn auth(
        provider: ProviderId,
        status: Option<u16>,
        kind: AuthFailure,
        message: impl Into<String>,
    ) -> Error {
        Error::Auth {
            provider,
            status,
            kind,
            message: message.into(),
        }
    }

    /// An [`Error::Unsupported`].
    pub fn unsupported(provider: ProviderId, operation: &'static str) -> Error {
        Error::Unsupported {
            provider,
            operation,
        }
    }

    /// True when the same call may simply be made again (after `retry_after` for
    /// [`Error::RateLimited`]). False for [`Error::OutcomeUnknown`]: reconcile first.
    ///
    /// ```
    /// use disburse::{Error, ProviderId, RejectCode, error::Refusal};
    ///
    /// let limited = Error::from_status(ProviderId::PAYONIFY, 429, RejectCode::Other, Refusal::new("slow down"));
    /// assert!(limited.is_retryable());
    /// let refused = Error::from_status(ProviderId::PAYONIFY, 422, RejectCode::InvalidRecipient, Refusal::new("no wallet"));
    /// assert!(!refused.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::NotSent { .. }
                | Error::Network { .. }
                | Error::RateLimited { .. }
                | Error::ServerError { .. }
        )
    }

    /// True when the request may have reached the provider. False only when it certainly did
    /// not: invalid input, configuration, a failed connect, an unsupported operation.
    ///
    /// ```
    /// use disburse::{Error, ProviderId};
    ///
    /// assert!(!Error::invalid("amount", "must be positive").may_have_been_sent());
    /// assert!(!Error::unsupported(ProviderId::VESICASH, "find_payout").may_have_been_sent());
    /// assert!(!Error::config("VESICASH_SECRET_KEY is not set").may_have_been_sent());
    /// ```
    pub fn may_have_been_sent(&self) -> bool {
        !matches!(
            self,
            Error::InvalidRequest { .. }
                | Error::Config { .. }
                | Error::NotSent { .. }
                | Error::Unsupported { .. }
                | Error::Webhook(_)
                // The engine sends nothing whose intent it could not store.
                | Error::Store { .. }
                | Error::ReferenceConflict { .. }
                // An authorization refused before any request (e.g. a token without the product).
                | Error::Auth { status: None, .. }
        )
    }

    /// True for [`Error::OutcomeUnknown`]: money may have moved.
    ///
    /// ```
    /// use disburse::{Ambiguity, Error, ProviderId, Reference};
    ///
    /// let unknown = Error::OutcomeUnknown {
    ///     provider: ProviderId::VESICASH,
    ///     operation: "create_payout",
    ///     reference: Some(Reference::new("order-42")?),
    ///     cause: Ambiguity::Timeout,
    ///     source: None,
    /// };
    /// assert!(unknown.is_outcome_unknown());
    /// assert!(unknown.may_have_been_sent() && !unknown.is_retryable()); // reconcile, never re-send
    /// assert_eq!(unknown.reference().map(Reference::as_str), Some("order-42"));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Error::OutcomeUnknown { .. })
    }

    /// The HTTP status the provider answered with, where it answered.
    ///
    /// ```
    /// use disburse::{Error, ProviderId, RejectCode, error::Refusal};
    ///
    /// let err = Error::from_status(ProviderId::JPAY, 502, RejectCode::Other, Refusal::new("bad gateway"));
    /// assert_eq!(err.http_status(), Some(502));
    /// assert_eq!(Error::invalid("reference", "must not be empty").http_status(), None);
    /// ```
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Auth { status, .. } => *status,
            Error::Rejected { status, .. }
            | Error::ServerError { status, .. }
            | Error::Decode { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            Error::OutcomeUnknown {
                cause: Ambiguity::ServerError { status } | Ambiguity::UndecodableResponse { status },
                ..
            } => Some(*status),
            _ => None,
        }
    }

    /// The normalized rejection code, for [`Error::Rejected`].
    pub fn reject_code(&self) -> Option<&RejectCode> {
        match self {
            Error::Rejected { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The error an HTTP status alone says, for a refusal whose body names nothing more
    /// specific: 401 [`AuthFailure::InvalidCredentials`], 403 [`AuthFailure::Forbidden`], 429
    /// [`Error::RateLimited`], 5xx [`Error::ServerError`], and any other status
    /// [`Error::Rejected`] with `reject` (the adapter's reading of the message, or its default
    /// for the status). The one status table every adapter falls back on.
    pub fn from_status(
        provider: ProviderId,
        status: u16,
        reject: RejectCode,
        refusal: Refusal,
    ) -> Error {
        let Refusal {
            message,
            provider_code,
            param,
        } = refusal;
        match status {
            401 | 403 => Error::auth(
                provider,
                Some(status),
                if status == 401 {
                    AuthFailure::InvalidCredentials
                } else {
                    AuthFailure::Forbidden
                },
                message,
            ),
            429 => Error::RateLimited {
                provider,
                retry_after: None,
                message,
            },
            500..=599 => Error::ServerError {
                provider,
                status,
                message,
            },
            _ => Error::Rejected {
                provider,
                status,
                code: reject,
                provider_code,
                message,
                param,
            },
        }
    }

    /// The provider's last answer behind this error: for an [`Error::OutcomeUnknown`] whose
    /// source is the error the last attempt ended in (a refusal after an earlier attempt timed
    /// out, say), that error; otherwise the error itself.
    pub fn last_answer(&self) -> &Error {
        match self {
            Error::OutcomeUnknown {
                source: Some(source),
                ..
            } => source
                .downcast_ref::<Error>()
                .map_or(self, Error::last_answer),
            other => other,
        }
    }

    /// The merchant reference of an [`Error::OutcomeUnknown`].
    pub fn reference(&self) -> Option<&Reference> {
        match self {
            Error::OutcomeUnknown { reference, .. } => reference.as_ref(),
            _ => None,
        }
    }
}

/// What a provider's refusal says, for [`Error::from_status`].
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refusal {
    /// The provider's message.
    pub message: String,
    /// The provider's own error code, when it gives one.
    pub provider_code: Option<String>,
    /// The request field the refusal names, when it names one.
    pub param: Option<String>,
}

impl Refusal {
    /// A refusal with `message` and nothing else.
    pub fn new(message: impl Into<String>) -> Refusal {
        Refusal {
            message: message.into(),
            provider_code: None,
            param: None,
        }
    }

    /// Sets the provider's error code.
    #[must_use]
    pub fn with_provider_code(mut self, code: Option<String>) -> Self {
        self.provider_code = code;
        self
    }

    /// Sets the request field named.
    #[must_use]
    pub fn with_param(mut self, param: Option<String>) -> Self {
        self.param = param;
        self
    }
}

impl From<crate::phone::PhoneError> for Error {
    /// A phone number that did not parse is invalid input for the `msisdn` field.
    fn from(e: crate::phone::PhoneError) -> Error {
        Error::InvalidRequest {
            field: "msisdn",
            reason: e.to_string(),
            source: Some(Box::new(e)),
        }
    }
}

impl From<crate::money::MoneyError> for Error {
    /// An amount that was refused is invalid input for the `amount` field.
    fn from(e: crate::money::MoneyError) -> Error {
        Error::InvalidRequest {
            field: "amount",
            reason: e.to_string(),
            source: Some(Box::new(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicate() -> Error {
        Error::Rejected {
            provider: ProviderId::JPAY,
            status: 400,
            code: RejectCode::DuplicateReference,
            provider_code: None,
            message: "ref_no exists".into(),
            param: None,
        }
    }

    #[test]
    fn last_answer_is_the_refusal_behind_an_unknown_outcome_or_the_error_itself() {
        let unknown = Error::OutcomeUnknown {
            provider: ProviderId::JPAY,
            operation: "create_payout",
            reference: None,
            cause: Ambiguity::Timeout,
            source: Some(Box::new(duplicate())),
        };
        assert_eq!(
            unknown.last_answer().reject_code(),
            Some(&RejectCode::DuplicateReference)
        );
        assert_eq!(
            duplicate().last_answer().reject_code(),
            Some(&RejectCode::DuplicateReference)
        );
        let bare = Error::OutcomeUnknown {
            provider: ProviderId::JPAY,
            operation: "create_payout",
            reference: None,
            cause: Ambiguity::Timeout,
            source: None,
        };
        assert!(bare.last_answer().is_outcome_unknown());
    }
}
