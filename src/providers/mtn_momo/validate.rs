//! Checks MTN would otherwise fail with a 400 after the request left: the payer message and
//! payee note, the payee's number, the amount.

use super::config::TargetEnvironment;
use crate::error::Error;
use crate::model::Destination;
use crate::money::{Currency, Money};

/// The longest payer message or payee note MTN takes, in characters (longer: 400).
pub const MAX_NOTE_CHARS: usize = 160;

/// Characters MTN refuses in a body. MTN names the apostrophe; the typographic apostrophes and
/// quotes are refused with it (a word processor turns one into the other), and so are `"`, `<`,
/// `>`, `\` and control characters, which no payment text needs and which are the usual suspects
/// of an API gateway's injection filter. MTN's full character set is not documented.
fn refused(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2018}' | '\u{2019}' | '\u{201C}' | '\u{201D}' | '"' | '<' | '>' | '\\'
    ) || c.is_control()
}

/// A payer message or payee note: not blank, at most [`MAX_NOTE_CHARS`] characters, none that
/// MTN refuses.
pub(super) fn note(field: &'static str, text: &str) -> Result<String, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(field, "must not be blank"));
    }
    let count = text.chars().count();
    if count > MAX_NOTE_CHARS {
        return Err(Error::invalid(
            field,
            format!("must be at most {MAX_NOTE_CHARS} characters for MTN MoMo, got {count}"),
        ));
    }
    if let Some(bad) = text.chars().find(|c| refused(*c)) {
        return Err(Error::invalid(
            field,
            format!("MTN MoMo refuses the character {bad:?} (apostrophes and quotes included)"),
        ));
    }
    Ok(text.to_owned())
}

/// The payee's `partyId`: the number's digits with the country code, no `+` (MTN's form), from a
/// mobile wallet whose calling code is the target market's.
pub(super) fn payee_msisdn(
    destination: &Destination,
    target: &TargetEnvironment,
) -> Result<String, Error> {
    let Destination::MobileWallet { msisdn, .. } = destination else {
        return Err(Error::invalid(
            "destination",
            "MTN MoMo pays mobile-money wallets only",
        ));
    };
    if let Some(code) = target.calling_code()
        && !msisdn.digits().starts_with(code)
    {
        return Err(Error::invalid(
            "destination.msisdn",
            format!(
                "the target environment {target} pays +{code} numbers only, got {}",
                msisdn.masked()
            ),
        ));
    }
    Ok(msisdn.digits().to_owned())
}

/// The amount as MTN's string: in the account's currency, above zero, with the currency's
/// decimals (`"5000"` UGX, `"5.00"` EUR), no exponent and no separator.
pub(super) fn amount(money: &Money, currency: Currency) -> Result<String, Error> {
    if money.currency() != currency {
        return Err(Error::invalid(
            "amount",
            format!(
                "this MTN MoMo account pays out in {currency}, got {}",
                money.currency()
            ),
        ));
    }
    if money.is_zero() {
        return Err(Error::invalid("amount", "must be above zero"));
    }
    Ok(money.to_fixed(currency.minor_units())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::Msisdn;

    #[test]
    fn notes_are_bounded_and_apostrophes_refused() {
        assert_eq!(note("narration", " Salary June ").unwrap(), "Salary June");
        assert_eq!(
            note("narration", &"é".repeat(160)).unwrap(),
            "é".repeat(160)
        );
        for (text, why) in [
            ("", "must not be blank"),
            ("   ", "must not be blank"),
            (
                &"a".repeat(161),
                "must be at most 160 characters for MTN MoMo, got 161",
            ),
            (
                "Jane's pay",
                "MTN MoMo refuses the character '\\'' (apostrophes and quotes included)",
            ),
            (
                "Jane\u{2019}s pay",
                "MTN MoMo refuses the character '\u{2019}' (apostrophes and quotes included)",
            ),
            (
                "a\nb",
                "MTN MoMo refuses the character '\\n' (apostrophes and quotes included)",
            ),
        ] {
            match note("narration", text) {
                Err(Error::InvalidRequest {
                    field: "narration",
                    reason,
                    ..
                }) => {
                    assert_eq!(reason, why, "{text:?}")
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn payees_are_digits_of_the_target_market() {
        let ug = Destination::mobile(Msisdn::parse("+256 772 123456").unwrap());
        assert_eq!(
            payee_msisdn(&ug, &TargetEnvironment::Uganda).unwrap(),
            "256772123456"
        );
        assert!(matches!(
            payee_msisdn(&ug, &TargetEnvironment::Ghana),
            Err(Error::InvalidRequest {
                field: "destination.msisdn",
                ..
            })
        ));
        let sandbox = Destination::mobile(Msisdn::parse("+46733123450").unwrap());
        assert_eq!(
            payee_msisdn(&sandbox, &TargetEnvironment::Sandbox).unwrap(),
            "46733123450"
        );
        let bank = Destination::bank(crate::phone::Country::Uganda, "01", "12345").unwrap();
        assert!(matches!(
            payee_msisdn(&bank, &TargetEnvironment::Uganda),
            Err(Error::InvalidRequest {
                field: "destination",
                ..
            })
        ));
    }

    #[test]
    fn amounts_are_strings_in_the_account_currency() {
        let ugx = Money::parse("5000", Currency::UGX).unwrap();
        assert_eq!(amount(&ugx, Currency::UGX).unwrap(), "5000");
        let eur = Money::parse("5", Currency::EUR).unwrap();
        assert_eq!(amount(&eur, Currency::EUR).unwrap(), "5.00");
        assert!(matches!(
            amount(&eur, Currency::UGX),
            Err(Error::InvalidRequest {
                field: "amount",
                ..
            })
        ));
        let zero = Money::parse("0", Currency::UGX).unwrap();
        assert!(matches!(
            amount(&zero, Currency::UGX),
            Err(Error::InvalidRequest {
                field: "amount",
                ..
            })
        ));
    }
}
