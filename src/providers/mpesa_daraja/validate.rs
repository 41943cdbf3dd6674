//! What a B2C payout must satisfy before anything is sent, and the `OriginatorConversationID`.

use rust_decimal::Decimal;

use crate::error::Error;
use crate::model::{Destination, PayoutRequest, Reference};
use crate::money::Currency;
use crate::phone::{Country, Network};

/// The smallest amount sent, in shillings (Safaricom's own minimum, result code 2, is not
/// published: a smaller amount it refuses arrives as that result code).
pub const MIN_AMOUNT: u64 = 1;
/// The largest amount sent, in shillings: M-Pesa's per-transaction ceiling (KES 150,000).
pub const MAX_AMOUNT: u64 = 150_000;
/// `Remarks`: 2–100 characters.
pub const REMARKS_CHARS: (usize, usize) = (2, 100);
/// `Occassion`: 1–100 characters.
pub const OCCASION_CHARS: (usize, usize) = (1, 100);
/// The metadata key whose value is sent as the `Occassion`.
pub const OCCASION_METADATA_KEY: &str = "occasion";

/// A payout's B2C fields, checked.
#[derive(Debug)]
pub(crate) struct Checked {
    pub amount: u64,
    pub party_b: String,
    pub remarks: String,
    pub occasion: Option<String>,
}

/// `{shortcode}_{reference}`: the same reference always gives the same id, so a re-sent payout
/// is refused by Daraja as a duplicate instead of paying twice. The form of the documented
/// sample (`600997_Test_32et3241ed8yu`); at most 9 + 1 + 50 characters of `[A-Za-z0-9_-]`.
pub(crate) fn originator_conversation_id(shortcode: &str, reference: &Reference) -> String {
    format!("{shortcode}_{}", reference.as_str())
}

/// The reference an `OriginatorConversationID` of this shortcode was made from.
pub(crate) fn reference_of(shortcode: &str, id: &str) -> Option<Reference> {
    let rest = id.trim().strip_prefix(shortcode)?.strip_prefix('_')?;
    Reference::new(rest).ok()
}

/// A shortcode: 5–9 digits.
pub(crate) fn check_shortcode(shortcode: &str) -> Result<(), Error> {
    if (5..=9).contains(&shortcode.len()) && shortcode.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::config(format!(
            "mpesa_daraja: the shortcode must be 5-9 digits, got {shortcode:?}"
        )))
    }
}

/// Text of `min..=max` characters.
pub(crate) fn check_length(
    field: &'static str,
    text: &str,
    (min, max): (usize, usize),
) -> Result<(), Error> {
    let n = text.chars().count();
    if n < min || n > max || text.trim().is_empty() {
        return Err(Error::invalid(
            field,
            format!("must be {min}-{max} characters (not blank), got {n}"),
        ));
    }
    Ok(())
}

/// Checks a payout: KES in whole shillings within the limits, a Safaricom number in Kenya,
/// `Remarks` (the narration, else `default_remarks`) and `Occassion` (metadata `occasion`)
/// within their lengths.
pub(crate) fn check_payout(
    request: &PayoutRequest,
    default_remarks: &str,
) -> Result<Checked, Error> {
    let money = request.amount;
    if money.currency() != Currency::KES {
        return Err(Error::invalid(
            "amount",
            format!("M-Pesa pays out in KES only, got {}", money.currency()),
        ));
    }
    let amount = money.amount();
    if amount.fract() != Decimal::ZERO {
        return Err(Error::invalid(
            "amount",
            format!("M-Pesa B2C pays whole shillings only, got {amount}"),
        ));
    }
    let whole = amount
        .normalize()
        .to_string()
        .parse::<u64>()
        .ok()
        .filter(|a| (MIN_AMOUNT..=MAX_AMOUNT).contains(a))
        .ok_or_else(|| {
            Error::invalid(
                "amount",
                format!("must be {MIN_AMOUNT}-{MAX_AMOUNT} KES, got {amount}"),
            )
        })?;
    let party_b = match &request.destination {
        Destination::MobileWallet { msisdn, .. } => {
            if msisdn.country() != Some(Country::Kenya) {
                return Err(Error::invalid(
                    "destination.msisdn",
                    "M-Pesa B2C pays Kenyan (+254) numbers only",
                ));
            }
            match request.destination.network() {
                Some(Network::Safaricom) => {}
                Some(other) => {
                    return Err(Error::invalid(
                        "destination.network",
                        format!("M-Pesa B2C pays Safaricom numbers only, not {other:?}"),
                    ));
                }
                None => {
                    return Err(Error::invalid(
                        "destination.network",
                        "the number's network could not be determined: name it \
                         (Destination::mobile_on) if it is a Safaricom number",
                    ));
                }
            }
            // 2547XXXXXXXX: calling code and national number, no `+`, no trunk 0.
            msisdn.digits().to_owned()
        }
        Destination::BankAccount { .. } => {
            return Err(Error::invalid(
                "destination",
                "M-Pesa B2C pays mobile wallets only",
            ));
        }
    };
    let remarks = request
        .narration
        .clone()
        .unwrap_or_else(|| default_remarks.to_owned());
    check_length("narration", &remarks, REMARKS_CHARS)?;
    let occasion = request.metadata.get(OCCASION_METADATA_KEY).cloned();
    if let Some(occasion) = &occasion {
        check_length("metadata.occasion", occasion, OCCASION_CHARS)?;
    }
    Ok(Checked {
        amount: whole,
        party_b,
        remarks,
        occasion,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_the_shortcode() {
        let reference = Reference::new("Test_32et3241ed8yu").unwrap();
        let id = originator_conversation_id("600997", &reference);
        assert_eq!(id, "600997_Test_32et3241ed8yu");
        assert_eq!(reference_of("600997", &id), Some(reference));
        assert_eq!(reference_of("600998", &id), None);
        assert_eq!(reference_of("600997", "600997_"), None);
        assert_eq!(reference_of("600997", "600997x_a"), None);
    }

    #[test]
    fn shortcodes_are_5_to_9_digits() {
        assert!(check_shortcode("600997").is_ok());
        for bad in ["1234", "1234567890", "60099a", ""] {
            assert!(check_shortcode(bad).is_err(), "{bad}");
        }
    }
}
