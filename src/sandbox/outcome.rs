//! Scripted outcomes: recipients and amounts that make a payout end a known way, like card-network
//! test numbers. The table is in the [module docs](crate::sandbox#scripted-outcomes).

use rust_decimal::Decimal;

/// What the sandbox does with a payout (or refund) whose recipient or amount is scripted.
///
/// Any other recipient succeeds after the configured settle delay.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScriptedOutcome {
    /// Recipient ending in `0001`: accepted, then fails for insufficient funds.
    InsufficientFunds,
    /// Recipient ending in `0002`: accepted, then fails because the account does not exist.
    InvalidAccount,
    /// Recipient ending in `0003`: accepted, then fails because the account is blocked.
    AccountBlocked,
    /// Recipient ending in `0004`: accepted and never leaves the pending state.
    StaysPending,
    /// Recipient ending in `0005`: accepted, then declined by the recipient's provider.
    Declined,
    /// Amount `666.66` (major units): the provider answers HTTP 500 and records nothing.
    ProviderError,
}

impl ScriptedOutcome {
    /// Every scripted outcome, in table order.
    pub const ALL: [ScriptedOutcome; 6] = [
        ScriptedOutcome::InsufficientFunds,
        ScriptedOutcome::InvalidAccount,
        ScriptedOutcome::AccountBlocked,
        ScriptedOutcome::StaysPending,
        ScriptedOutcome::Declined,
        ScriptedOutcome::ProviderError,
    ];

    /// The amount (major units) that triggers [`ScriptedOutcome::ProviderError`].
    pub const PROVIDER_ERROR_AMOUNT: &'static str = "666.66";

    /// The last four digits of a recipient that trigger this outcome (`None` for the amount one).
    pub const fn suffix(self) -> Option<&'static str> {
        match self {
            ScriptedOutcome::InsufficientFunds => Some("0001"),
            ScriptedOutcome::InvalidAccount => Some("0002"),
            ScriptedOutcome::AccountBlocked => Some("0003"),
            ScriptedOutcome::StaysPending => Some("0004"),
            ScriptedOutcome::Declined => Some("0005"),
            ScriptedOutcome::ProviderError => None,
        }
    }

    /// The outcome scripted for a recipient (phone number or account number, in any format: only
    /// its digits count).
    pub fn for_recipient(recipient: &str) -> Option<ScriptedOutcome> {
        let digits: String = recipient.chars().filter(char::is_ascii_digit).collect();
        ScriptedOutcome::ALL
            .into_iter()
            .find(|o| o.suffix().is_some_and(|s| digits.ends_with(s)))
    }

    /// Whether an amount in major units is the provider-error amount.
    pub fn is_provider_error_amount(amount: Decimal) -> bool {
        amount.normalize() == Decimal::new(66666, 2)
    }

    /// True for the outcomes that end in a failed payout.
    pub(crate) fn fails(self) -> bool {
        matches!(
            self,
            ScriptedOutcome::InsufficientFunds
                | ScriptedOutcome::InvalidAccount
                | ScriptedOutcome::AccountBlocked
                | ScriptedOutcome::Declined
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_pick_outcomes_in_any_number_format() {
        assert_eq!(
            ScriptedOutcome::for_recipient("+254 712 340 001"),
            Some(ScriptedOutcome::InsufficientFunds)
        );
        assert_eq!(
            ScriptedOutcome::for_recipient("771110004"),
            Some(ScriptedOutcome::StaysPending)
        );
        assert_eq!(ScriptedOutcome::for_recipient("260999993000"), None);
        assert!(ScriptedOutcome::is_provider_error_amount(Decimal::new(
            666660, 3
        )));
        assert!(!ScriptedOutcome::is_provider_error_amount(Decimal::new(
            66666, 3
        )));
    }
}
