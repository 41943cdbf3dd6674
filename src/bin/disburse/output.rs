//! How payouts and errors are printed: JSON on stdout for one payout, flat words for CSV.

use disburse::{Error, Payout, Status};
use serde_json::{Value, json};

/// The status as one word, and the failure reason and detail where there are any.
pub fn status_words(status: &Status) -> (&'static str, String) {
    (status.word(), status.detail().unwrap_or_default())
}

/// A payout as a JSON object (the provider's raw JSON is left out: it holds the recipient).
pub fn payout_json(payout: &Payout) -> Value {
    let (status, detail) = status_words(&payout.status);
    json!({
        "provider": payout.provider.to_string(),
        "id": payout.id,
        "reference": payout.reference.as_ref().map(|r| r.as_str().to_owned()),
        "provider_reference": payout.provider_reference,
        "amount": payout.amount.as_ref().map(|m| m.amount().to_string()),
        "currency": payout.amount.as_ref().map(|m| m.currency().to_string()),
        "status": status,
        "detail": (!detail.is_empty()).then_some(detail),
        "created_at": payout.created_at.map(|t| t.to_rfc3339()),
    })
}

/// An error, with what it means for the money.
pub fn error_line(error: &Error) -> String {
    if error.is_outcome_unknown() {
        format!("OUTCOME UNKNOWN (money may have moved; reconcile before re-sending): {error}")
    } else {
        error.to_string()
    }
}

/// An error and its innermost cause, when the message does not already say it: a connection
/// failure says why it failed (`Connection refused (os error 111)`).
pub fn with_cause(error: &Error) -> String {
    let mut root: Option<&dyn std::error::Error> = None;
    let mut next = std::error::Error::source(error);
    while let Some(cause) = next {
        root = Some(cause);
        next = cause.source();
    }
    let message = error_line(error);
    match root.map(|r| r.to_string()) {
        Some(cause) if !message.contains(&cause) => format!("{message}: {cause}"),
        _ => message,
    }
}
