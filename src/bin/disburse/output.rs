//! How payouts and errors are printed: JSON on stdout for one payout, flat words for CSV.

use disburse::{Error, FailureReason, Payout, Status};
use serde_json::{Value, json};

/// The status as one word, and the failure reason and detail where there are any.
pub fn status_words(status: &Status) -> (&'static str, String) {
    match status {
        Status::Pending => ("pending", String::new()),
        Status::Succeeded => ("succeeded", String::new()),
        Status::Failed { reason, detail } => {
            let reason = reason_word(reason);
            let text = match detail {
                Some(detail) => format!("{reason}: {detail}"),
                None => reason,
            };
            ("failed", text)
        }
        Status::Unknown(word) => ("unknown", word.clone()),
        _ => ("unknown", format!("{status:?}")),
    }
}

fn reason_word(reason: &FailureReason) -> String {
    match reason {
        FailureReason::InsufficientFunds => "insufficient_funds".into(),
        FailureReason::InvalidRecipient => "invalid_recipient".into(),
        FailureReason::RecipientBlocked => "recipient_blocked".into(),
        FailureReason::LimitExceeded => "limit_exceeded".into(),
        FailureReason::Declined => "declined".into(),
        FailureReason::ProviderTimeout => "provider_timeout".into(),
        FailureReason::Other(text) => format!("other ({text})"),
        _ => format!("{reason:?}"),
    }
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
