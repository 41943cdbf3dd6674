//! Every documented Daraja `ResultCode` and what it means for a payout, in one table.
//!
//! The code arrives as a JSON number or string (`0`, `"0"`, `"SFC_IC0003"`) and is compared as
//! text. Two documented codes are deliberately **not** final failures:
//!
//! - `15` "Duplicate Detected": the request reused an `OriginatorConversationID`. This crate
//!   derives that id from the merchant reference, so the result of the duplicate shares the id
//!   of the original, which may well have paid. It reads as [`Status::Unknown`]: the payout's
//!   outcome comes from the original's callback or from a Transaction Status query.
//! - `100000000` "request cached, awaiting resend": not processed yet, [`Status::Pending`].
//!
//! A code outside the table is [`Status::Unknown`] with the code: never read as a failure (the
//! merchant could pay again) nor as a success.

use crate::model::{FailureReason, Status};

/// One row: the code, the reason it fails with (`None` for success), Safaricom's meaning.
pub(crate) struct Row {
    pub code: &'static str,
    pub outcome: Outcome,
    pub meaning: &'static str,
}

/// What a code says of the payout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Paid,
    Failed(Reason),
    NotFinal,
    Ambiguous,
}

/// A reason, as a constant (mapped to [`FailureReason`] by [`Reason::failure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    InsufficientFunds,
    InvalidRecipient,
    LimitExceeded,
    ProviderTimeout,
    /// The merchant's own setup (initiator, roles, credential, shortcode): `Other(tag)`.
    Setup(&'static str),
    /// Another reason: `Other(tag)`.
    Other(&'static str),
}

impl Reason {
    pub fn failure(self) -> FailureReason {
        match self {
            Reason::InsufficientFunds => FailureReason::InsufficientFunds,
            Reason::InvalidRecipient => FailureReason::InvalidRecipient,
            Reason::LimitExceeded => FailureReason::LimitExceeded,
            Reason::ProviderTimeout => FailureReason::ProviderTimeout,
            Reason::Setup(tag) | Reason::Other(tag) => FailureReason::Other(tag.to_owned()),
        }
    }
}

use Outcome::{Ambiguous, Failed, NotFinal, Paid};
use Reason::*;

/// The documented B2C result codes and the generic M-Pesa API result codes.
pub(crate) const TABLE: &[Row] = &[
    row("0", Paid, "processed successfully"),
    row(
        "1",
        Failed(InsufficientFunds),
        "insufficient balance in the B2C utility account",
    ),
    row("2", Failed(LimitExceeded), "amount below the B2C minimum"),
    row(
        "3",
        Failed(LimitExceeded),
        "amount above the per-transaction maximum",
    ),
    row(
        "4",
        Failed(LimitExceeded),
        "would exceed the customer's daily transfer limit",
    ),
    row(
        "8",
        Failed(LimitExceeded),
        "would exceed the customer's maximum balance",
    ),
    row(
        "11",
        Failed(Setup("debit_party_invalid_state")),
        "the B2C account is in an invalid state",
    ),
    row(
        "15",
        Ambiguous,
        "duplicate detected: the OriginatorConversationID was seen before",
    ),
    row("17", Failed(Other("internal_failure")), "internal failure"),
    row(
        "18",
        Failed(Setup("initiator_credential_check_failed")),
        "initiator credential check failure",
    ),
    row(
        "19",
        Failed(Other("message_sequencing_failure")),
        "message sequencing failure",
    ),
    row(
        "20",
        Failed(Setup("unresolved_initiator")),
        "unresolved initiator",
    ),
    row(
        "21",
        Failed(Setup("initiator_not_allowed")),
        "the initiator lacks the ORG B2C API initiator role",
    ),
    row(
        "22",
        Failed(Setup("initiator_not_active")),
        "the initiator is not active",
    ),
    row(
        "24",
        Failed(Other("missing_mandatory_fields")),
        "missing mandatory fields",
    ),
    row(
        "25",
        Failed(Other("invalid_request_parameters")),
        "invalid request parameters",
    ),
    row(
        "26",
        Failed(ProviderTimeout),
        "traffic blocking: the system is busy",
    ),
    row("29", Failed(Other("invalid_command")), "invalid command"),
    row(
        "2001",
        Failed(Setup("initiator_information_invalid")),
        "the initiator information is invalid",
    ),
    row(
        "2006",
        Failed(Setup("account_status_disallows")),
        "the account status does not allow the transaction",
    ),
    row(
        "2028",
        Failed(Setup("shortcode_not_permitted")),
        "the shortcode is not permitted to do B2C",
    ),
    row(
        "2040",
        Failed(InvalidRecipient),
        "the recipient is not a registered M-Pesa customer",
    ),
    row(
        "8006",
        Failed(Setup("security_credential_locked")),
        "the security credential is locked",
    ),
    row(
        "SFC_IC0003",
        Failed(InvalidRecipient),
        "the recipient number does not exist",
    ),
    row("100000000", NotFinal, "request cached, awaiting resend"),
    row("100000001", Failed(ProviderTimeout), "system overload"),
    row("100000002", Failed(ProviderTimeout), "throttling"),
    row(
        "100000004",
        Failed(Other("internal_error")),
        "internal error",
    ),
    row(
        "100000005",
        Failed(Other("invalid_input_value")),
        "invalid input value",
    ),
    row(
        "100000007",
        Failed(Other("service_abnormal")),
        "service status abnormal",
    ),
    row(
        "100000009",
        Failed(Other("api_abnormal")),
        "API status abnormal",
    ),
    row(
        "100000010",
        Failed(Setup("insufficient_permissions")),
        "insufficient permissions",
    ),
    row(
        "100000011",
        Failed(ProviderTimeout),
        "request rate exceeded",
    ),
];

const fn row(code: &'static str, outcome: Outcome, meaning: &'static str) -> Row {
    Row {
        code,
        outcome,
        meaning,
    }
}

/// The row of `code`, if documented.
pub(crate) fn lookup(code: &str) -> Option<&'static Row> {
    let code = code.trim();
    TABLE.iter().find(|r| r.code.eq_ignore_ascii_case(code))
}

/// The status a B2C `ResultCode` (with its `ResultDesc`) reports.
pub(crate) fn status(code: &str, desc: Option<&str>) -> Status {
    let code = code.trim();
    let row = lookup(code);
    // Safaricom's words when it gave some, else the table's.
    let detail = || {
        let words = desc
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .or(row.map(|r| r.meaning));
        Some(match words {
            Some(words) => format!("{code}: {words}"),
            None => code.to_owned(),
        })
    };
    match row.map(|r| r.outcome) {
        Some(Paid) => Status::Succeeded,
        Some(Failed(reason)) => Status::failed(reason.failure(), detail()),
        Some(NotFinal) => Status::Pending,
        Some(Ambiguous) => Status::Unknown(format!("result code {code} (duplicate detected)")),
        None => Status::Unknown(format!("result code {code}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_looked_up_trimmed() {
        for (i, a) in TABLE.iter().enumerate() {
            for b in &TABLE[i + 1..] {
                assert_ne!(a.code, b.code);
            }
            assert!(!a.meaning.is_empty());
        }
        assert_eq!(lookup(" 2001 ").map(|r| r.code), Some("2001"));
        assert_eq!(lookup("sfc_ic0003").map(|r| r.code), Some("SFC_IC0003"));
        assert!(lookup("9999").is_none());
    }
}
