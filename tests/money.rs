//! Money: minor units per currency, exact conversions, refusals, and the JSON number on the wire.

use disburse::money::JsonDecimal;
use disburse::{Currency, Money, MoneyError};
use proptest::prelude::*;
use rust_decimal::Decimal;

#[test]
fn every_currency_has_its_iso_minor_unit_and_numeric_code() {
    let table = [
        (Currency::KES, "KES", 404, 2),
        (Currency::NGN, "NGN", 566, 2),
        (Currency::ZMW, "ZMW", 967, 2),
        (Currency::GHS, "GHS", 936, 2),
        (Currency::TZS, "TZS", 834, 2),
        (Currency::UGX, "UGX", 800, 0),
        (Currency::RWF, "RWF", 646, 0),
        (Currency::XOF, "XOF", 952, 0),
        (Currency::XAF, "XAF", 950, 0),
        (Currency::ZAR, "ZAR", 710, 2),
        (Currency::USD, "USD", 840, 2),
        (Currency::ZWG, "ZWG", 924, 2),
        (Currency::EUR, "EUR", 978, 2),
        (Currency::SZL, "SZL", 748, 2),
        (Currency::GNF, "GNF", 324, 0),
        (Currency::LRD, "LRD", 430, 2),
    ];
    assert_eq!(table.len(), Currency::ALL.len());
    for (currency, code, numeric, minor) in table {
        assert_eq!(currency.code(), code);
        assert_eq!(currency.numeric(), numeric, "{code}");
        assert_eq!(currency.minor_units(), minor, "{code}");
        assert_eq!(Currency::from_code(&code.to_lowercase()), Some(currency));
        assert_eq!(
            serde_json::to_string(&currency).unwrap(),
            format!("\"{code}\"")
        );
    }
    assert_eq!(Currency::from_code("GBP"), None);
    assert_eq!(
        "GBP".parse::<Currency>(),
        Err(MoneyError::UnknownCurrency("GBP".into()))
    );
}

#[test]
fn minor_unit_conversions_are_exact_both_ways() {
    let table = [
        ("1000.50", Currency::KES, 100_050),
        ("0.29", Currency::USD, 29),
        ("1", Currency::USD, 100),
        ("0", Currency::ZWG, 0),
        ("999999.99", Currency::KES, 99_999_999),
        ("1500", Currency::UGX, 1500),
        ("25000", Currency::XOF, 25_000),
        ("92233720368547758.07", Currency::USD, i64::MAX),
    ];
    for (text, currency, minor) in table {
        let money = Money::parse(text, currency).unwrap();
        assert_eq!(money.to_minor_units(), Ok(minor), "{text} {currency}");
        let back = Money::from_minor_units(minor, currency).unwrap();
        assert_eq!(back, money, "{minor} {currency}");
    }
}

#[test]
fn fixed_two_decimal_strings_are_exact() {
    let table = [
        ("1000", Currency::KES, "1000.00"),
        ("1000.5", Currency::KES, "1000.50"),
        ("0.29", Currency::KES, "0.29"),
        ("999999.99", Currency::KES, "999999.99"),
        ("1500", Currency::UGX, "1500.00"),
        ("1.0", Currency::UGX, "1.00"),
    ];
    for (text, currency, fixed) in table {
        assert_eq!(
            Money::parse(text, currency)
                .unwrap()
                .to_fixed_2()
                .as_deref(),
            Ok(fixed),
            "{text}"
        );
    }
}

#[test]
fn negative_over_precise_and_malformed_amounts_are_refused() {
    assert_eq!(Money::parse("-1", Currency::KES), Err(MoneyError::Negative));
    assert_eq!(
        Money::parse("-0.01", Currency::USD),
        Err(MoneyError::Negative)
    );
    assert_eq!(
        Money::from_minor_units(-5, Currency::USD),
        Err(MoneyError::Negative)
    );
    assert_eq!(
        Money::parse("1.5", Currency::UGX),
        Err(MoneyError::TooManyDecimals {
            currency: Currency::UGX,
            allowed: 0,
            actual: 1
        })
    );
    assert_eq!(
        Money::parse("12.345", Currency::USD),
        Err(MoneyError::TooManyDecimals {
            currency: Currency::USD,
            allowed: 2,
            actual: 3
        })
    );
    for bad in [
        "", " ", "abc", "1,000", "1.2.3", "1e3", "0x10", ".", "--1", "NaN", "inf",
    ] {
        assert!(
            matches!(
                Money::parse(bad, Currency::KES),
                Err(MoneyError::NotANumber(_))
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn trailing_zeros_beyond_the_minor_unit_are_dropped_not_refused() {
    let ugx = Money::parse("1.0", Currency::UGX).unwrap();
    assert_eq!(ugx.amount().to_string(), "1");
    let kes = Money::parse("10.500", Currency::KES).unwrap();
    assert_eq!(kes.amount().to_string(), "10.50");
    assert_eq!(
        Money::parse("-0", Currency::KES)
            .unwrap()
            .amount()
            .to_string(),
        "0"
    );
}

#[test]
fn overflowing_amounts_are_refused_not_wrapped() {
    let huge = Money::new(Decimal::MAX, Currency::USD).unwrap();
    assert_eq!(huge.to_minor_units(), Err(MoneyError::Overflow));
    assert_eq!(huge.to_fixed_2(), Err(MoneyError::Overflow));
    let just_over = Money::parse("92233720368547758.08", Currency::USD).unwrap();
    assert_eq!(just_over.to_minor_units(), Err(MoneyError::Overflow));
    assert_eq!(
        Money::parse("792281625142643375935439503350", Currency::KES),
        Err(MoneyError::Overflow)
    );
}

#[test]
fn json_number_carries_exactly_the_decimal_digits() {
    for (text, currency) in [
        ("0.29", Currency::USD),
        ("1000.50", Currency::KES),
        ("999999.99", Currency::KES),
        ("150", Currency::ZMW),
        ("0.01", Currency::NGN),
        ("12345678901234567.89", Currency::NGN),
    ] {
        let money = Money::parse(text, currency).unwrap();
        #[derive(serde::Serialize)]
        struct Wire {
            amount: JsonDecimal,
        }
        let wire = serde_json::to_string(&Wire {
            amount: money.to_json_number(),
        })
        .unwrap();
        assert_eq!(wire, format!("{{\"amount\":{text}}}"));
    }
}

#[test]
fn checked_add_refuses_mixed_currencies() {
    let a = Money::parse("1.10", Currency::KES).unwrap();
    let b = Money::parse("2.20", Currency::KES).unwrap();
    assert_eq!(
        a.checked_add(&b),
        Some(Money::parse("3.30", Currency::KES).unwrap())
    );
    assert_eq!(
        a.checked_add(&Money::parse("1", Currency::USD).unwrap()),
        None
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn minor_units_round_trip(minor in 0i64..=i64::MAX, idx in 0usize..Currency::ALL.len()) {
        let currency = Currency::ALL[idx];
        let money = Money::from_minor_units(minor, currency).unwrap();
        prop_assert_eq!(money.to_minor_units(), Ok(minor));
        let text = money.amount().to_string();
        prop_assert_eq!(Money::parse(&text, currency), Ok(money));
        let json = serde_json::to_string(&money.to_json_number()).unwrap();
        prop_assert_eq!(&json, &text);
        let JsonDecimal(back) = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, money.amount());
    }

    #[test]
    fn parse_never_panics(text in ".*", idx in 0usize..Currency::ALL.len()) {
        let _ = Money::parse(&text, Currency::ALL[idx]);
        let _ = serde_json::from_str::<JsonDecimal>(&text);
    }

    #[test]
    fn accepted_text_round_trips(
        text in " ?[0-9]{1,15}(\\.[0-9]{0,5})? ?",
        idx in 0usize..Currency::ALL.len(),
    ) {
        let currency = Currency::ALL[idx];
        if let Ok(money) = Money::parse(&text, currency) {
            prop_assert_eq!(Money::parse(&money.amount().to_string(), currency), Ok(money));
            let minor = money.to_minor_units();
            prop_assert!(minor.is_ok(), "{:?} has no minor units: {:?}", money, minor);
            prop_assert_eq!(Money::from_minor_units(minor.unwrap(), currency), Ok(money));
            let json = serde_json::to_string(&money.to_json_number()).unwrap();
            let JsonDecimal(back) = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, money.amount());
        }
    }

    #[test]
    fn parse_never_panics_on_numeric_looking_text(text in "[-+0-9.eE ]{0,40}") {
        if let Ok(m) = Money::parse(&text, Currency::KES) {
            let _ = m.to_minor_units();
            let _ = m.to_fixed_2();
        }
    }
}
