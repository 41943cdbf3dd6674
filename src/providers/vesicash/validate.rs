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
        Destination::BankAccount {
            country,
            bank_code,
            account_number,
        } => {
            let bank_id = bank_code.trim();
            if bank_id.is_empty() {
                return Err(Error::invalid(
                    "destination.bank_code",
                    "must hold the Vesicash bank_id (see banks())",
                ));
            }
            let account_number = account_number.trim();
            if account_number.is_empty() {
                return Err(Error::invalid(
                    "destination.account_number",
                    "must not be empty",
                ));
            }
            if !account_number.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(Error::invalid(
                    "destination.account_number",
                    "may hold only letters and digits",
                ));
            }
            Ok(Target::Bank {
                country: *country,
                bank_id: bank_id.to_owned(),
                account_number: account_number.to_owned(),
            })
        }
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
    let digits = msisdn.digits();
    let national = digits.strip_prefix(country.calling_code()).unwrap_or("");
    if !is_mobile_number(country, national) {
        return Err(Error::invalid(
            "destination.msisdn",
            format!(
                "{} is not a mobile-money number in {}",
                msisdn.masked(),
                country.iso_alpha2()
            ),
        ));
    }
    Ok(Target::Mobile {
        country,
        digits: digits.to_owned(),
    })
}

/// Whether a national number (without the trunk `0`) is in a mobile range of its country: the
/// leading digits and the length of mobile numbers there. Landlines (Nairobi `20…`, Lusaka
/// `211…`, Lagos `1…`, Accra `30…`) are not.
///
/// Kept in the adapter until the phone module says whether a number is mobile; a country this
/// table does not know is let through (Vesicash refuses a bad number with "Payout Provider
/// service returned an error", mapped to an invalid recipient).
fn is_mobile_number(country: Country, national: &str) -> bool {
    if national.is_empty() || !national.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (prefixes, length): (&[&str], usize) = match country {
        Country::Kenya => (&["7", "1"], 9),
        Country::Zimbabwe => (&["7"], 9),
        Country::Zambia => (&["7", "9"], 9),
        Country::Nigeria => (&["70", "80", "81", "90", "91"], 10),
        Country::Ghana => (&["2", "5"], 9),
        Country::Uganda => (&["7"], 9),
        Country::Tanzania => (&["6", "7"], 9),
        Country::Rwanda => (&["7"], 9),
        #[allow(unreachable_patterns)]
        _ => return true,
    };
    national.len() == length && prefixes.iter().any(|p| national.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_ranges_and_landlines() {
        let mobile = [
            (Country::Kenya, "712345678"),
            (Country::Kenya, "110123456"),
            (Country::Zambia, "999993000"),
            (Country::Zambia, "971234567"),
            (Country::Zimbabwe, "771234567"),
            (Country::Nigeria, "8031234567"),
            (Country::Ghana, "241234567"),
        ];
        for (country, national) in mobile {
            assert!(
                is_mobile_number(country, national),
                "{country:?} {national}"
            );
        }
        let landline = [
            (Country::Kenya, "202222222"),
            (Country::Zambia, "211234567"),
            (Country::Nigeria, "12345678"),
            (Country::Ghana, "302123456"),
            (Country::Kenya, "71234567"),
            (Country::Kenya, ""),
        ];
        for (country, national) in landline {
            assert!(
                !is_mobile_number(country, national),
                "{country:?} {national}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn mobile_check_never_panics(national in "\\PC{0,14}") {
            for country in [Country::Kenya, Country::Zambia, Country::Nigeria, Country::Ghana] {
                let _ = is_mobile_number(country, &national);
            }
        }
    }
}
