//! Input checks made before anything is sent.

use crate::error::Error;
use crate::model::{Destination, ProviderId};
use crate::money::Money;
use crate::phone::{Country, Msisdn};

/// Where a payout or refund goes, checked and in Vesicash's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// `transfer_to: "mobile_number"` with the E.164 digits, no `+`.
    Mobile { country: Country, digits: String },
    /// `transfer_to: "bank"`.
    Bank {
        country: Country,
        bank_id: String,
        account_number: String,
    },
}

impl Target {
    pub fn country(&self) -> Country {
        match self {
            Target::Mobile { country, .. } | Target::Bank { country, .. } => *country,
        }
    }
}

/// A positive amount.
pub(crate) fn amount(amount: &Money) -> Result<(), Error> {
    if amount.is_zero() {
        return Err(Error::invalid("amount", "must be greater than zero"));
    }
    Ok(())
}

/// A payout destination.
pub(crate) fn destination(destination: &Destination) -> Result<Target, Error> {
    match destination {
        Destination::MobileWallet { msisdn, .. } => mobile(msisdn),
        // `BankAccount::new` checked the bank code and account number once (non-blank, trimmed,
        // letters and digits); the account's fields cannot be set around it.
        Destination::BankAccount(account) => Ok(Target::Bank {
            country: account.country(),
            bank_id: account.bank_code().to_owned(),
            account_number: account.account_number().to_owned(),
        }),
        // `Destination` may grow; inside this crate the arm is unreachable today.
        #[allow(unreachable_patterns)]
        _ => Err(Error::unsupported(
            ProviderId::VESICASH,
            "payout to this kind of destination",
        )),
    }
}

/// A refund destination: Vesicash refunds to mobile-money wallets only.
pub(crate) fn refund_destination(destination: &Destination) -> Result<Target, Error> {
    match destination {
        Destination::MobileWallet { msisdn, .. } => mobile(msisdn),
        _ => Err(Error::unsupported(
            ProviderId::VESICASH,
            "refund to a destination other than a mobile-money wallet",
        )),
    }
}

/// Free text (narration, reason): trimmed, blank means none, no control characters.
pub(crate) fn free_text<'a>(
    field: &'static str,
    text: Option<&'a str>,
) -> Result<Option<&'a str>, Error> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not hold control characters"));
    }
    Ok(Some(text))
}

fn mobile(msisdn: &Msisdn) -> Result<Target, Error> {
    let Some(country) = msisdn.country() else {
        return Err(Error::invalid(
            "destination.msisdn",
            "has no country Vesicash can pay (write it with its country code)",
        ));
    };
    // `Msisdn` only parses mobile ranges for the countries it knows, so a number with a
    // country is a mobile number; one without (generic E.164) was refused above.
    let digits = msisdn.digits();
    Ok(Target::Mobile {
        country,
        digits: digits.to_owned(),
    })
}
