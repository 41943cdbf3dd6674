//! Money: an exact decimal amount in an ISO 4217 currency.
//!
//! The three providers encode amounts three ways, and each conversion here is exact or refuses:
//!
//! | provider | wire form | method |
//! |---|---|---|
//! | Vesicash | JSON number in major units (`1000.50`) | [`Money::to_json_number`] |
//! | JPay | string with exactly two decimals (`"1000.50"`) | [`Money::to_fixed_2`] |
//! | Payonify | integer minor units (`100050`) | [`Money::to_minor_units`] |
//!
//! No binary floating point is involved anywhere: amounts are [`rust_decimal::Decimal`], JSON
//! numbers are written from the decimal's own digits (through `serde_json`'s `RawValue`, so the
//! `arbitrary_precision` feature stays off) and read back from the raw JSON text.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

/// An ISO 4217 currency with its minor unit (the number of decimals it allows).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    /// Kenyan shilling (2).
    KES,
    /// Nigerian naira (2).
    NGN,
    /// Zambian kwacha (2).
    ZMW,
    /// Ghanaian cedi (2).
    GHS,
    /// Tanzanian shilling (2).
    TZS,
    /// Ugandan shilling (0).
    UGX,
    /// Rwandan franc (0).
    RWF,
    /// West African CFA franc (0).
    XOF,
    /// Central African CFA franc (0).
    XAF,
    /// South African rand (2).
    ZAR,
    /// US dollar (2).
    USD,
    /// Zimbabwe Gold, numeric code 924 (2).
    ZWG,
    /// Euro (2): MTN MoMo's sandbox currency.
    EUR,
    /// Eswatini lilangeni (2).
    SZL,
    /// Guinean franc (0).
    GNF,
    /// Liberian dollar (2).
    LRD,
}

impl Currency {
    /// Every currency this crate knows.
    pub const ALL: [Currency; 16] = [
        Currency::KES,
        Currency::NGN,
        Currency::ZMW,
        Currency::GHS,
        Currency::TZS,
        Currency::UGX,
        Currency::RWF,
        Currency::XOF,
        Currency::XAF,
        Currency::ZAR,
        Currency::USD,
        Currency::ZWG,
        Currency::EUR,
        Currency::SZL,
        Currency::GNF,
        Currency::LRD,
    ];

    /// The alphabetic code, upper case (`"KES"`).
    pub const fn code(self) -> &'static str {
        match self {
            Currency::KES => "KES",
            Currency::NGN => "NGN",
            Currency::ZMW => "ZMW",
            Currency::GHS => "GHS",
            Currency::TZS => "TZS",
            Currency::UGX => "UGX",
            Currency::RWF => "RWF",
            Currency::XOF => "XOF",
            Currency::XAF => "XAF",
            Currency::ZAR => "ZAR",
            Currency::USD => "USD",
            Currency::ZWG => "ZWG",
            Currency::EUR => "EUR",
            Currency::SZL => "SZL",
            Currency::GNF => "GNF",
            Currency::LRD => "LRD",
        }
    }

    /// The ISO 4217 numeric code (`404` for KES).
    pub const fn numeric(self) -> u16 {
        match self {
            Currency::KES => 404,
            Currency::NGN => 566,
            Currency::ZMW => 967,
            Currency::GHS => 936,
            Currency::TZS => 834,
            Currency::UGX => 800,
            Currency::RWF => 646,
            Currency::XOF => 952,
            Currency::XAF => 950,
            Currency::ZAR => 710,
            Currency::USD => 840,
            Currency::ZWG => 924,
            Currency::EUR => 978,
            Currency::SZL => 748,
            Currency::GNF => 324,
            Currency::LRD => 430,
        }
    }

    /// How many decimals the currency has (its ISO 4217 minor unit).
    pub const fn minor_units(self) -> u32 {
        match self {
            Currency::UGX | Currency::RWF | Currency::XOF | Currency::XAF | Currency::GNF => 0,
            _ => 2,
        }
    }

    /// Looks a currency up by its alphabetic code, in any case (`"usd"`, `"USD"`).
    ///
    /// ```
    /// use disburse::Currency;
    ///
    /// assert_eq!(Currency::from_code("kes"), Some(Currency::KES));
    /// assert_eq!(Currency::from_code("XYZ"), None);
    /// assert_eq!(Currency::UGX.minor_units(), 0);
    /// ```
    pub fn from_code(code: &str) -> Option<Currency> {
        Currency::ALL
            .into_iter()
            .find(|c| c.code().eq_ignore_ascii_case(code))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s).ok_or_else(|| MoneyError::UnknownCurrency(truncate(s, 8)))
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(de::Error::custom)
    }
}

/// Why an amount was refused.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The amount is below zero.
    #[error("amount must not be negative")]
    Negative,
    /// The amount has more decimals than the currency allows (`UGX 1.5`).
    #[error("{currency} allows {allowed} decimal places, the amount has {actual}")]
    TooManyDecimals {
        /// The currency.
        currency: Currency,
        /// Decimals the currency allows.
        allowed: u32,
        /// Decimals the amount has.
        actual: u32,
    },
    /// The amount does not fit the target representation.
    #[error("amount is too large to represent")]
    Overflow,
    /// The text is not a decimal number.
    #[error("not a decimal amount: {0:?}")]
    NotANumber(String),
    /// The currency code is not one this crate knows.
    #[error("unknown currency code {0:?}")]
    UnknownCurrency(String),
    /// A wire format needs fewer decimals than the currency has.
    #[error("{currency} cannot be written with {places} decimal places")]
    NotRepresentable {
        /// The currency.
        currency: Currency,
        /// The decimal places the wire format has.
        places: u32,
    },
}

/// An exact, non-negative amount of a currency.
///
/// # Example
///
/// ```
/// use disburse::{Currency, Money, MoneyError};
///
/// let salary = Money::parse("1500.50", Currency::KES)?;
/// assert_eq!(salary.to_string(), "1500.50 KES");
/// assert_eq!(salary.to_minor_units()?, 150_050); // cents, exactly
/// assert_eq!(salary.to_fixed_2()?, "1500.50"); // JPay's two-decimal string
///
/// // UGX has no minor unit: a fraction is refused, never rounded.
/// assert!(matches!(Money::parse("1.5", Currency::UGX), Err(MoneyError::TooManyDecimals { .. })));
/// assert!(Money::parse("-1", Currency::KES).is_err());
/// # Ok::<(), MoneyError>(())
/// ```
///
/// The amount keeps the digits it was given (`150` stays `150`, `1000.50` stays `1000.50`), but
/// never more decimals than the currency has: trailing zeros beyond the minor unit are dropped
/// (`UGX 1.0` is `UGX 1`) and non-zero ones are an error (`UGX 1.5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Builds an amount, refusing negative values and more decimals than the currency has.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(MoneyError::Negative);
        }
        let allowed = currency.minor_units();
        let mut amount = amount;
        if amount.scale() > allowed {
            let normalized = amount.normalize();
            if normalized.scale() > allowed {
                return Err(MoneyError::TooManyDecimals {
                    currency,
                    allowed,
                    actual: normalized.scale(),
                });
            }
            amount.rescale(allowed);
        }
        // `-0` is zero: store it without the sign.
        amount.set_sign_positive(true);
        Ok(Money { amount, currency })
    }

    /// Parses a decimal text (`"1000.50"`) in `currency`. Exponents and signs other than none
    /// are refused.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let amount = parse_decimal(text)?;
        Money::new(amount, currency)
    }

    /// Builds an amount from integer minor units (`100050` cents is `1000.50`).
    ///
    /// ```
    /// use disburse::{Currency, Money};
    ///
    /// let amount = Money::from_minor_units(100_050, Currency::USD)?;
    /// assert_eq!(amount, Money::parse("1000.50", Currency::USD)?);
    /// assert!(Money::from_minor_units(-1, Currency::USD).is_err());
    /// # Ok::<(), disburse::MoneyError>(())
    /// ```
    pub fn from_minor_units(minor: i64, currency: Currency) -> Result<Money, MoneyError> {
        if minor < 0 {
            return Err(MoneyError::Negative);
        }
        let amount = Decimal::try_from_i128_with_scale(i128::from(minor), currency.minor_units())
            .map_err(|_| MoneyError::Overflow)?;
        Money::new(amount, currency)
    }

    /// The amount in major units, with the digits it was given.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// True when the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// The amount in integer minor units (`1000.50 KES` is `100050`), checked for overflow.
    pub fn to_minor_units(&self) -> Result<i64, MoneyError> {
        let mut scaled = self.amount;
        scaled.rescale(self.currency.minor_units());
        if scaled.scale() != self.currency.minor_units() {
            return Err(MoneyError::Overflow);
        }
        let mantissa = scaled.mantissa();
        i64::try_from(mantissa).map_err(|_| MoneyError::Overflow)
    }

    /// The amount as text with exactly `places` decimals (`1000` → `"1000.00"` for 2). Refuses
    /// when the amount has more decimals than `places`.
    ///
    /// ```
    /// use disburse::{Currency, Money, MoneyError};
    ///
    /// assert_eq!(Money::parse("1000", Currency::KES)?.to_fixed(2)?, "1000.00");
    /// // Never rounded: a wire format with fewer decimals than the amount is refused.
    /// assert!(matches!(
    ///     Money::parse("10.25", Currency::KES)?.to_fixed(1),
    ///     Err(MoneyError::NotRepresentable { .. })
    /// ));
    /// # Ok::<(), MoneyError>(())
    /// ```
    pub fn to_fixed(&self, places: u32) -> Result<String, MoneyError> {
        let normalized = self.amount.normalize();
        if normalized.scale() > places {
            return Err(MoneyError::NotRepresentable {
                currency: self.currency,
                places,
            });
        }
        let mut fixed = self.amount;
        fixed.rescale(places);
        if fixed.scale() != places {
            return Err(MoneyError::Overflow);
        }
        Ok(fixed.to_string())
    }

    /// The amount as text with exactly two decimals (`"1000.00"`), the form JPay expects.
    /// Every supported currency has at most two decimals, so this only fails on overflow.
    pub fn to_fixed_2(&self) -> Result<String, MoneyError> {
        self.to_fixed(2)
    }

    /// The amount as a JSON number in major units with exactly its own digits (`0.29`,
    /// `1000.50`, `150`), never passing through binary floating point.
    pub fn to_json_number(&self) -> JsonDecimal {
        JsonDecimal(self.amount)
    }

    /// `self + other`, when both have the same currency.
    ///
    /// ```
    /// use disburse::{Currency, Money};
    ///
    /// let a = Money::parse("0.10", Currency::USD)?;
    /// let b = Money::parse("0.20", Currency::USD)?;
    /// assert_eq!(a.checked_add(&b), Some(Money::parse("0.30", Currency::USD)?)); // exact
    /// assert_eq!(a.checked_add(&Money::parse("1", Currency::KES)?), None);
    /// # Ok::<(), disburse::MoneyError>(())
    /// ```
    pub fn checked_add(&self, other: &Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        let sum = self.amount.checked_add(other.amount)?;
        Money::new(sum, self.currency).ok()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// A decimal that serializes as a JSON *number* with exactly its own digits, and deserializes
/// from a JSON number or a numeric string without passing through binary floating point.
///
/// Serializing works with `serde_json`'s serializer only (it goes through [`RawValue`]): put it in
/// a typed struct and call `serde_json::to_vec`, never `json!`/`to_value`, which turn it into a
/// binary float. Deserializing a number likewise needs `serde_json::from_slice`/`from_str` (not
/// `from_value`, which has already lost the digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JsonDecimal(pub Decimal);

impl Serialize for JsonDecimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // `Decimal`'s Display never uses exponents, so this is always a valid JSON number.
        let raw = RawValue::from_string(self.0.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

impl<'de> Deserialize<'de> for JsonDecimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <Box<RawValue>>::deserialize(d)?;
        let text = raw.get().trim();
        let inner = if text.starts_with('"') {
            serde_json::from_str::<String>(text).map_err(de::Error::custom)?
        } else {
            text.to_owned()
        };
        parse_decimal_lenient(inner.trim())
            .map(JsonDecimal)
            .map_err(de::Error::custom)
    }
}

/// Parses a plain decimal text: optional sign, digits, optional fraction. No exponent.
pub(crate) fn parse_decimal(text: &str) -> Result<Decimal, MoneyError> {
    let t = text.trim();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    let valid = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|&b| b == b'.').count() <= 1
        && digits.bytes().any(|b| b.is_ascii_digit());
    if !valid {
        return Err(MoneyError::NotANumber(truncate(text, 32)));
    }
    // The syntax is valid, so the only failure left is a value or scale beyond what a decimal
    // holds (28 digits of scale, 96 bits of mantissa).
    Decimal::from_str_exact(t).map_err(|_| MoneyError::Overflow)
}

/// Like [`parse_decimal`], and also accepts the exponent form a JSON number may take (`1e3`).
fn parse_decimal_lenient(text: &str) -> Result<Decimal, MoneyError> {
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).map_err(|_| MoneyError::NotANumber(truncate(text, 32)))
    } else {
        parse_decimal(text)
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_decimal_reads_strings_numbers_and_exponents_exactly() {
        let cases = [
            ("0.29", "0.29"),
            ("\"1000.50\"", "1000.50"),
            ("150", "150"),
            ("1e3", "1000"),
            ("\" 12.5 \"", "12.5"),
        ];
        for (json, expected) in cases {
            let JsonDecimal(d) = serde_json::from_str(json).unwrap();
            assert_eq!(d.to_string(), expected, "{json}");
        }
        for bad in ["true", "\"abc\"", "null", "{}", "\"\"", "\"1.2.3\""] {
            assert!(serde_json::from_str::<JsonDecimal>(bad).is_err(), "{bad}");
        }
    }
}
