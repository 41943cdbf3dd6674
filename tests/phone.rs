//! Table-driven tests for `disburse::phone`.

use disburse::phone::*;
use proptest::prelude::*;

use Country::*;

/// (input, default country, e164, digits, national_number, country)
type ValidRow = (
    &'static str,
    Option<Country>,
    &'static str,
    &'static str,
    &'static str,
    Country,
);

const VALID: &[ValidRow] = &[
    // Kenya, every written form.
    (
        "+254 712 345 678",
        None,
        "+254712345678",
        "254712345678",
        "712345678",
        Kenya,
    ),
    (
        "254712345678",
        None,
        "+254712345678",
        "254712345678",
        "712345678",
        Kenya,
    ),
    (
        "00254712345678",
        None,
        "+254712345678",
        "254712345678",
        "712345678",
        Kenya,
    ),
    (
        "+254 (0)712 345 678",
        None,
        "+254712345678",
        "254712345678",
        "712345678",
        Kenya,
    ),
    (
        "+254 (0)712 345678",
        None,
        "+254712345678",
        "254712345678",
        "712345678",
        Kenya,
    ),
    (
        "+254 0712 345 678",
        None,
        "+254712345678",
        "254712345678",
        "712345678",
        Kenya,
    ),
    (
        "+254-712-345-678",
        None,
        "+254712345678",
        "254712345678",
        "712345678",
        Kenya,
    ),
    (
        "+254.712.345.678",
        None,
        "+254712345678",
        "254712345678",
        "712345678",
        Kenya,
    ),
    (
        "(+254) 712 345678",
        None,
        "+254712345678",
        "254712345678",
        "712345678",
        Kenya,
    ),
    (
        "0712345678",
        Some(Kenya),
        "+254712345678",
        "254712345678",
        "712345678",
        Kenya,
    ),
    (
        "(0712) 345-678",
        Some(Kenya),
        "+254712345678",
        "254712345678",
        "712345678",
        Kenya,
    ),
    (
        "712345678",
        Some(Kenya),
        "+254712345678",
        "254712345678",
        "712345678",
        Kenya,
    ),
    (
        "(0)712 345678",
        Some(Kenya),
        "+254712345678",
        "254712345678",
        "712345678",
        Kenya,
    ),
    (
        "254712345678",
        Some(Kenya),
        "+254712345678",
        "254712345678",
        "712345678",
        Kenya,
    ),
    (
        "+254712345678",
        Some(Zimbabwe),
        "+254712345678",
        "254712345678",
        "712345678",
        Kenya,
    ),
    (
        "0110 123 456",
        Some(Kenya),
        "+254110123456",
        "254110123456",
        "110123456",
        Kenya,
    ),
    (
        "0100123456",
        Some(Kenya),
        "+254100123456",
        "254100123456",
        "100123456",
        Kenya,
    ),
    // Zimbabwe.
    (
        "771111111",
        Some(Zimbabwe),
        "+263771111111",
        "263771111111",
        "771111111",
        Zimbabwe,
    ),
    (
        "0771 111 111",
        Some(Zimbabwe),
        "+263771111111",
        "263771111111",
        "771111111",
        Zimbabwe,
    ),
    (
        "+263 77 111 1111",
        None,
        "+263771111111",
        "263771111111",
        "771111111",
        Zimbabwe,
    ),
    (
        "00263 712 345 678",
        None,
        "+263712345678",
        "263712345678",
        "712345678",
        Zimbabwe,
    ),
    (
        "263733123456",
        None,
        "+263733123456",
        "263733123456",
        "733123456",
        Zimbabwe,
    ),
    (
        "+263 (0)78 123 4567",
        None,
        "+263781234567",
        "263781234567",
        "781234567",
        Zimbabwe,
    ),
    (
        "263771111111",
        Some(Kenya),
        "+263771111111",
        "263771111111",
        "771111111",
        Zimbabwe,
    ),
    (
        "0733 123 456",
        Some(Zimbabwe),
        "+263733123456",
        "263733123456",
        "733123456",
        Zimbabwe,
    ),
    // Zambia, including Vesicash's sandbox number in the 99 range.
    (
        "260999993000",
        None,
        "+260999993000",
        "260999993000",
        "999993000",
        Zambia,
    ),
    (
        "+260 999 993 000",
        None,
        "+260999993000",
        "260999993000",
        "999993000",
        Zambia,
    ),
    (
        "0971234567",
        Some(Zambia),
        "+260971234567",
        "260971234567",
        "971234567",
        Zambia,
    ),
    (
        "+260 76 123 4567",
        None,
        "+260761234567",
        "260761234567",
        "761234567",
        Zambia,
    ),
    (
        "0955123456",
        Some(Zambia),
        "+260955123456",
        "260955123456",
        "955123456",
        Zambia,
    ),
    // Nigeria (10-digit national numbers).
    (
        "+234 803 123 4567",
        None,
        "+2348031234567",
        "2348031234567",
        "8031234567",
        Nigeria,
    ),
    (
        "08031234567",
        Some(Nigeria),
        "+2348031234567",
        "2348031234567",
        "8031234567",
        Nigeria,
    ),
    (
        "+234 (0)803 123 4567",
        None,
        "+2348031234567",
        "2348031234567",
        "8031234567",
        Nigeria,
    ),
    (
        "+234 0803 123 4567",
        None,
        "+2348031234567",
        "2348031234567",
        "8031234567",
        Nigeria,
    ),
    (
        "2349012345678",
        None,
        "+2349012345678",
        "2349012345678",
        "9012345678",
        Nigeria,
    ),
    (
        "0701 234 5678",
        Some(Nigeria),
        "+2347012345678",
        "2347012345678",
        "7012345678",
        Nigeria,
    ),
    // Ghana.
    (
        "+233 24 123 4567",
        None,
        "+233241234567",
        "233241234567",
        "241234567",
        Ghana,
    ),
    (
        "0551234567",
        Some(Ghana),
        "+233551234567",
        "233551234567",
        "551234567",
        Ghana,
    ),
    (
        "00233 20 123 4567",
        None,
        "+233201234567",
        "233201234567",
        "201234567",
        Ghana,
    ),
    (
        "0257123456",
        Some(Ghana),
        "+233257123456",
        "233257123456",
        "257123456",
        Ghana,
    ),
    (
        "233 59 123 4567",
        Some(Ghana),
        "+233591234567",
        "233591234567",
        "591234567",
        Ghana,
    ),
    // Uganda.
    (
        "+256 772 123456",
        None,
        "+256772123456",
        "256772123456",
        "772123456",
        Uganda,
    ),
    (
        "0701234567",
        Some(Uganda),
        "+256701234567",
        "256701234567",
        "701234567",
        Uganda,
    ),
    (
        "256 752 123 456",
        None,
        "+256752123456",
        "256752123456",
        "752123456",
        Uganda,
    ),
    (
        "+256 (0)772 123 456",
        None,
        "+256772123456",
        "256772123456",
        "772123456",
        Uganda,
    ),
    // Tanzania.
    (
        "+255 754 123 456",
        None,
        "+255754123456",
        "255754123456",
        "754123456",
        Tanzania,
    ),
    (
        "0621234567",
        Some(Tanzania),
        "+255621234567",
        "255621234567",
        "621234567",
        Tanzania,
    ),
    (
        "255713123456",
        None,
        "+255713123456",
        "255713123456",
        "713123456",
        Tanzania,
    ),
    (
        "00255 68 123 4567",
        Some(Kenya),
        "+255681234567",
        "255681234567",
        "681234567",
        Tanzania,
    ),
    // Rwanda.
    (
        "+250 788 123 456",
        None,
        "+250788123456",
        "250788123456",
        "788123456",
        Rwanda,
    ),
    (
        "0722123456",
        Some(Rwanda),
        "+250722123456",
        "250722123456",
        "722123456",
        Rwanda,
    ),
    (
        "250 79 012 3456",
        None,
        "+250790123456",
        "250790123456",
        "790123456",
        Rwanda,
    ),
    (
        "+250 (0)73 012 3456",
        None,
        "+250730123456",
        "250730123456",
        "730123456",
        Rwanda,
    ),
];

/// Generic E.164 numbers of unsupported countries: (input, default, e164).
const GENERIC: &[(&str, Option<Country>, &str)] = &[
    ("+44 7911 123456", None, "+447911123456"),
    ("+1 (415) 555-2671", None, "+14155552671"),
    ("0044 20 7946 0958", None, "+442079460958"),
    ("+44 (0)20 7946 0958", None, "+442079460958"),
    ("+27 82 123 4567", Some(Kenya), "+27821234567"),
    ("+4912345678", None, "+4912345678"),
    ("+123456789012345", None, "+123456789012345"),
];

/// (input, default country, expected error)
fn invalid_rows() -> Vec<(&'static str, Option<Country>, PhoneError)> {
    use PhoneError::*;
    vec![
        ("", None, Empty),
        ("", Some(Kenya), Empty),
        ("   ", None, Empty),
        ("+", None, Empty),
        ("()-. ", Some(Kenya), Empty),
        (
            "0712abc678",
            Some(Kenya),
            InvalidCharacter {
                character: 'a',
                position: 4,
            },
        ),
        (
            "+254 712 345 67x",
            None,
            InvalidCharacter {
                character: 'x',
                position: 15,
            },
        ),
        (
            "254+712345678",
            None,
            InvalidCharacter {
                character: '+',
                position: 3,
            },
        ),
        (
            "++254712345678",
            None,
            InvalidCharacter {
                character: '+',
                position: 1,
            },
        ),
        (
            "+254\t712345678",
            None,
            InvalidCharacter {
                character: '\t',
                position: 4,
            },
        ),
        (
            "+254 ٧١٢",
            None,
            InvalidCharacter {
                character: '٧',
                position: 5,
            },
        ),
        (
            "tel:+254712345678",
            None,
            InvalidCharacter {
                character: 't',
                position: 0,
            },
        ),
        ("0712345678", None, MissingCountryCode),
        ("(0712) 345-678", None, MissingCountryCode),
        ("712345678", None, MissingCountryCode),
        ("771111111", None, MissingCountryCode),
        // Too short / too long.
        (
            "+254 712 345 67",
            None,
            WrongLength {
                country: Kenya,
                expected: 9,
                actual: 8,
            },
        ),
        (
            "071234567",
            Some(Kenya),
            WrongLength {
                country: Kenya,
                expected: 9,
                actual: 8,
            },
        ),
        (
            "+254 712 345 6789",
            None,
            WrongLength {
                country: Kenya,
                expected: 9,
                actual: 10,
            },
        ),
        (
            "07123456789",
            Some(Kenya),
            WrongLength {
                country: Kenya,
                expected: 9,
                actual: 10,
            },
        ),
        (
            "+263 77 111 111",
            None,
            WrongLength {
                country: Zimbabwe,
                expected: 9,
                actual: 8,
            },
        ),
        (
            "0803123456",
            Some(Nigeria),
            WrongLength {
                country: Nigeria,
                expected: 10,
                actual: 9,
            },
        ),
        (
            "+260 97 123 45",
            None,
            WrongLength {
                country: Zambia,
                expected: 9,
                actual: 7,
            },
        ),
        (
            "+254",
            None,
            WrongLength {
                country: Kenya,
                expected: 9,
                actual: 0,
            },
        ),
        (
            "0",
            Some(Rwanda),
            WrongLength {
                country: Rwanda,
                expected: 9,
                actual: 0,
            },
        ),
        // Landlines and other non-mobile ranges.
        (
            "+254 20 2345678",
            None,
            NotMobile {
                country: Kenya,
                prefix: "20".into(),
            },
        ),
        (
            "020 234 5678",
            Some(Kenya),
            NotMobile {
                country: Kenya,
                prefix: "20".into(),
            },
        ),
        (
            "+263 64 212 3456",
            None,
            NotMobile {
                country: Zimbabwe,
                prefix: "64".into(),
            },
        ),
        (
            "0242123456",
            Some(Zimbabwe),
            NotMobile {
                country: Zimbabwe,
                prefix: "24".into(),
            },
        ),
        (
            "+260 211 234567",
            None,
            NotMobile {
                country: Zambia,
                prefix: "21".into(),
            },
        ),
        (
            "+234 201 234 5678",
            None,
            NotMobile {
                country: Nigeria,
                prefix: "20".into(),
            },
        ),
        (
            "+233 30 234 5678",
            None,
            NotMobile {
                country: Ghana,
                prefix: "30".into(),
            },
        ),
        (
            "+233 25 123 4567",
            None,
            NotMobile {
                country: Ghana,
                prefix: "25".into(),
            },
        ),
        (
            "+256 41 234 5678",
            None,
            NotMobile {
                country: Uganda,
                prefix: "41".into(),
            },
        ),
        (
            "+255 22 234 5678",
            None,
            NotMobile {
                country: Tanzania,
                prefix: "22".into(),
            },
        ),
        (
            "+255 70 234 5678",
            None,
            NotMobile {
                country: Tanzania,
                prefix: "70".into(),
            },
        ),
        (
            "+250 25 012 3456",
            None,
            NotMobile {
                country: Rwanda,
                prefix: "25".into(),
            },
        ),
        (
            "+250 74 012 3456",
            None,
            NotMobile {
                country: Rwanda,
                prefix: "74".into(),
            },
        ),
        // Generic E.164 rule violations.
        (
            "+0712345678",
            None,
            InvalidE164 {
                reason: "the country code cannot start with 0",
            },
        ),
        (
            "000254712345678",
            None,
            InvalidE164 {
                reason: "the country code cannot start with 0",
            },
        ),
        (
            "+44 1234",
            None,
            InvalidE164 {
                reason: "fewer than 8 digits",
            },
        ),
        (
            "00",
            Some(Kenya),
            InvalidE164 {
                reason: "fewer than 8 digits",
            },
        ),
        (
            "+1234567890123456",
            None,
            InvalidE164 {
                reason: "more than 15 digits",
            },
        ),
        (
            "+4479111234567890",
            None,
            InvalidE164 {
                reason: "more than 15 digits",
            },
        ),
    ]
}

fn parse_row(input: &str, default: Option<Country>) -> Result<Msisdn, PhoneError> {
    match default {
        Some(country) => Msisdn::parse_with_default(input, country),
        None => Msisdn::parse(input),
    }
}

fn check(ok: bool, failures: &mut Vec<String>, msg: String) {
    if !ok {
        failures.push(msg);
    }
}

#[test]
fn valid_inputs_in_every_form() {
    assert!(VALID.len() >= 50, "only {} valid rows", VALID.len());
    let mut failures = Vec::new();
    for &(input, default, e164, digits, national, country) in VALID {
        match parse_row(input, default) {
            Ok(m) => {
                check(
                    m.e164() == e164,
                    &mut failures,
                    format!("{input:?}: e164 {}", m.e164()),
                );
                check(
                    m.digits() == digits,
                    &mut failures,
                    format!("{input:?}: digits {}", m.digits()),
                );
                check(
                    m.national_number() == national,
                    &mut failures,
                    format!("{input:?}: national {}", m.national_number()),
                );
                check(
                    m.country() == Some(country),
                    &mut failures,
                    format!("{input:?}: country {:?}", m.country()),
                );
                check(
                    m.calling_code() == country.calling_code(),
                    &mut failures,
                    format!("{input:?}: calling code {}", m.calling_code()),
                );
            }
            Err(e) => failures.push(format!("{input:?} ({default:?}): {e:?}")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_country_has_valid_rows() {
    for country in Country::ALL {
        assert!(
            VALID.iter().filter(|row| row.5 == country).count() >= 3,
            "{country:?}"
        );
    }
}

#[test]
fn generic_e164_numbers() {
    let mut failures = Vec::new();
    for &(input, default, e164) in GENERIC {
        match parse_row(input, default) {
            Ok(m) => {
                check(
                    m.e164() == e164,
                    &mut failures,
                    format!("{input:?}: e164 {}", m.e164()),
                );
                check(
                    m.digits() == &e164[1..],
                    &mut failures,
                    format!("{input:?}: digits"),
                );
                check(
                    m.national_number() == &e164[1..],
                    &mut failures,
                    format!("{input:?}: national"),
                );
                check(
                    m.calling_code().is_empty(),
                    &mut failures,
                    format!("{input:?}: cc"),
                );
                check(
                    m.country().is_none(),
                    &mut failures,
                    format!("{input:?}: country"),
                );
                check(
                    m.network().is_none(),
                    &mut failures,
                    format!("{input:?}: network"),
                );
            }
            Err(e) => failures.push(format!("{input:?}: {e:?}")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn invalid_inputs_give_exact_errors() {
    let rows = invalid_rows();
    let mut failures = Vec::new();
    for (input, default, expected) in &rows {
        let got = parse_row(input, *default);
        if got.as_ref() != Err(expected) {
            failures.push(format!(
                "{input:?} ({default:?}): expected {expected:?}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn bare_foreign_digits_need_a_plus() {
    assert_eq!(
        Msisdn::parse("447911123456"),
        Err(PhoneError::MissingCountryCode)
    );
    assert_eq!(
        Msisdn::parse_with_default("447911123456", Kenya),
        Err(PhoneError::WrongLength {
            country: Kenya,
            expected: 9,
            actual: 12
        })
    );
}

#[test]
fn provider_renderings() {
    // Vesicash: digits without '+'; its sandbox number is Zambian (99 range).
    let vesicash = Msisdn::parse("260999993000").unwrap();
    assert_eq!(vesicash.digits(), "260999993000");
    assert_eq!(vesicash.country(), Some(Zambia));
    // JPay (Kenya): E.164 with '+'.
    let jpay = Msisdn::parse_with_default("0712 345 678", Kenya).unwrap();
    assert_eq!(jpay.e164(), "+254712345678");
    // Payonify (EcoCash): national significant number, no trunk 0.
    let payonify = Msisdn::parse_with_default("771111111", Zimbabwe).unwrap();
    assert_eq!(payonify.national_number(), "771111111");
    assert_eq!(payonify.network(), Some(Network::Econet));
}

/// (national number, country, expected network)
const NETWORKS: &[(&str, Country, Option<Network>)] = &[
    // Kenya, one row per range of the table.
    ("701234567", Kenya, Some(Network::Safaricom)),
    ("712345678", Kenya, Some(Network::Safaricom)),
    ("722000111", Kenya, Some(Network::Safaricom)),
    ("740123456", Kenya, Some(Network::Safaricom)),
    ("741123456", Kenya, Some(Network::Safaricom)),
    ("742123456", Kenya, Some(Network::Safaricom)),
    ("743123456", Kenya, Some(Network::Safaricom)),
    ("745123456", Kenya, Some(Network::Safaricom)),
    ("746123456", Kenya, Some(Network::Safaricom)),
    ("748123456", Kenya, Some(Network::Safaricom)),
    ("757123456", Kenya, Some(Network::Safaricom)),
    ("758123456", Kenya, Some(Network::Safaricom)),
    ("759123456", Kenya, Some(Network::Safaricom)),
    ("768123456", Kenya, Some(Network::Safaricom)),
    ("769123456", Kenya, Some(Network::Safaricom)),
    ("790123456", Kenya, Some(Network::Safaricom)),
    ("110123456", Kenya, Some(Network::Safaricom)),
    ("111123456", Kenya, Some(Network::Safaricom)),
    ("112123456", Kenya, Some(Network::Safaricom)),
    ("113123456", Kenya, Some(Network::Safaricom)),
    ("114123456", Kenya, Some(Network::Safaricom)),
    ("115123456", Kenya, Some(Network::Safaricom)),
    ("733123456", Kenya, Some(Network::Airtel)),
    ("750123456", Kenya, Some(Network::Airtel)),
    ("751123456", Kenya, Some(Network::Airtel)),
    ("752123456", Kenya, Some(Network::Airtel)),
    ("753123456", Kenya, Some(Network::Airtel)),
    ("754123456", Kenya, Some(Network::Airtel)),
    ("755123456", Kenya, Some(Network::Airtel)),
    ("756123456", Kenya, Some(Network::Airtel)),
    ("761123456", Kenya, Some(Network::Airtel)),
    ("762123456", Kenya, Some(Network::Airtel)),
    ("780123456", Kenya, Some(Network::Airtel)),
    ("781123456", Kenya, Some(Network::Airtel)),
    ("782123456", Kenya, Some(Network::Airtel)),
    ("785123456", Kenya, Some(Network::Airtel)),
    ("786123456", Kenya, Some(Network::Airtel)),
    ("787123456", Kenya, Some(Network::Airtel)),
    ("788123456", Kenya, Some(Network::Airtel)),
    ("789123456", Kenya, Some(Network::Airtel)),
    ("100123456", Kenya, Some(Network::Airtel)),
    ("101123456", Kenya, Some(Network::Airtel)),
    ("102123456", Kenya, Some(Network::Airtel)),
    ("770123456", Kenya, Some(Network::Telkom)),
    ("779123456", Kenya, Some(Network::Telkom)),
    // Kenya ranges of operators without a `Network` variant, or unassigned.
    ("744123456", Kenya, None),
    ("747123456", Kenya, None),
    ("763123456", Kenya, None),
    ("783123456", Kenya, None),
    ("120123456", Kenya, None),
    // Zimbabwe.
    ("712345678", Zimbabwe, Some(Network::NetOne)),
    ("722345678", Zimbabwe, Some(Network::NetOne)),
    ("733123456", Zimbabwe, Some(Network::Telecel)),
    ("771111111", Zimbabwe, Some(Network::Econet)),
    ("781234567", Zimbabwe, Some(Network::Econet)),
    ("791234567", Zimbabwe, Some(Network::Econet)),
    // Countries without network detection.
    ("971234567", Zambia, None),
    ("999993000", Zambia, None),
    ("8031234567", Nigeria, None),
    ("241234567", Ghana, None),
    ("772123456", Uganda, None),
    ("754123456", Tanzania, None),
    ("788123456", Rwanda, None),
];

#[test]
fn network_detection() {
    let mut failures = Vec::new();
    for &(national, country, expected) in NETWORKS {
        match Msisdn::parse_with_default(national, country) {
            Ok(m) if m.network() == expected => {}
            other => failures.push(format!(
                "{national} {country:?}: expected {expected:?}, got {:?}",
                other.map(|m| m.network())
            )),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn network_names() {
    let names: Vec<_> = [
        Network::Safaricom,
        Network::Airtel,
        Network::Telkom,
        Network::Econet,
        Network::NetOne,
        Network::Telecel,
    ]
    .into_iter()
    .map(|n| (n.name(), n.to_string()))
    .collect();
    assert_eq!(
        names,
        [
            ("Safaricom", "Safaricom".to_string()),
            ("Airtel", "Airtel".to_string()),
            ("Telkom", "Telkom".to_string()),
            ("Econet", "Econet".to_string()),
            ("NetOne", "NetOne".to_string()),
            ("Telecel", "Telecel".to_string()),
        ]
    );
}

#[test]
fn countries() {
    let table: Vec<_> = Country::ALL
        .into_iter()
        .map(|c| {
            (
                c.calling_code(),
                c.iso_alpha2(),
                c.name(),
                c.national_number_len(),
            )
        })
        .collect();
    assert_eq!(
        table,
        [
            ("254", "KE", "Kenya", 9),
            ("263", "ZW", "Zimbabwe", 9),
            ("260", "ZM", "Zambia", 9),
            ("234", "NG", "Nigeria", 10),
            ("233", "GH", "Ghana", 9),
            ("256", "UG", "Uganda", 9),
            ("255", "TZ", "Tanzania", 9),
            ("250", "RW", "Rwanda", 9),
        ]
    );
    for c in Country::ALL {
        assert_eq!(Country::from_iso_alpha2(c.iso_alpha2()), Some(c));
        assert_eq!(
            Country::from_iso_alpha2(&c.iso_alpha2().to_lowercase()),
            Some(c)
        );
        assert_eq!(c.to_string(), c.name());
    }
    assert_eq!(Country::from_iso_alpha2("zW"), Some(Zimbabwe));
    assert_eq!(Country::from_iso_alpha2("ZA"), None);
    assert_eq!(Country::from_iso_alpha2("KEN"), None);
    assert_eq!(Country::from_iso_alpha2(""), None);
    assert_eq!(Country::from_iso_alpha2("ké"), None);
}

#[test]
fn masked_debug_and_display() {
    let rows = [
        ("+254712345678", "+2547*****678"),
        ("+263771111111", "+2637*****111"),
        ("+2348031234567", "+2348******567"),
        ("+260999993000", "+2609*****000"),
        ("+447911123456", "+4479*****456"),
    ];
    for (input, masked) in rows {
        let m = Msisdn::parse(input).unwrap();
        assert_eq!(m.masked(), masked, "{input}");
        assert_eq!(format!("{m:?}"), format!("Msisdn({masked})"), "{input}");
        assert_eq!(m.to_string(), input);
        assert!(!format!("{m:?}").contains(m.national_number()), "{input}");
        assert!(!format!("{m:#?}").contains(&input[1..]), "{input}");
    }
    // Shortest generic number: 8 digits, 1 hidden.
    let short = Msisdn::parse("+49123456").unwrap();
    assert_eq!(short.masked(), "+4912*456");
}

#[test]
fn error_messages_are_human_and_hide_the_number() {
    let e = Msisdn::parse("+254 712 345 67").unwrap_err();
    assert_eq!(
        e.to_string(),
        "Kenya mobile numbers have 9 digits after +254, got 8"
    );
    let e = Msisdn::parse("+263 64 212 3456").unwrap_err();
    assert_eq!(
        e.to_string(),
        "+263 64… is not a Zimbabwe mobile number (mobile prefixes: 71, 72, 73, 77, 78, 79)"
    );
    let e = Msisdn::parse("+254 20 2345678").unwrap_err();
    assert_eq!(
        e.to_string(),
        "+254 20… is not a Kenya mobile number (mobile prefixes: 1, 7)"
    );
    let e = Msisdn::parse("0712abc678").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid character 'a' at position 4 in phone number"
    );
    assert_eq!(PhoneError::Empty.to_string(), "phone number is empty");
    assert_eq!(
        PhoneError::MissingCountryCode.to_string(),
        "phone number has no country code: write it as +<country code> <number>"
    );
    assert_eq!(
        Msisdn::parse("+0712345678").unwrap_err().to_string(),
        "not a valid international (E.164) number: the country code cannot start with 0"
    );
    for (input, default, _) in invalid_rows() {
        let message = parse_row(input, default).unwrap_err().to_string();
        let digits: String = input.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 6 {
            assert!(
                !message.contains(&digits),
                "{input:?} leaked in {message:?}"
            );
            assert!(
                !message.contains(&digits[digits.len() - 6..]),
                "{input:?} leaked in {message:?}"
            );
        }
    }
}

#[test]
fn from_str_is_parse() {
    let m: Msisdn = "+254 712 345 678".parse().unwrap();
    assert_eq!(m, Msisdn::parse("254712345678").unwrap());
    assert_eq!(
        "0712345678".parse::<Msisdn>(),
        Err(PhoneError::MissingCountryCode)
    );
}

#[test]
fn serde_round_trip() {
    let m = Msisdn::parse_with_default("0712 345 678", Kenya).unwrap();
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(json, "\"+254712345678\"");
    assert_eq!(serde_json::from_str::<Msisdn>(&json).unwrap(), m);
    let generic = Msisdn::parse("+447911123456").unwrap();
    let json = serde_json::to_string(&vec![generic.clone()]).unwrap();
    assert_eq!(json, "[\"+447911123456\"]");
    assert_eq!(
        serde_json::from_str::<Vec<Msisdn>>(&json).unwrap(),
        vec![generic]
    );
    // Deserialization goes through `parse`: national forms are rejected.
    let err = serde_json::from_str::<Msisdn>("\"0712345678\"").unwrap_err();
    assert!(err.to_string().contains("no country code"), "{err}");
    assert!(serde_json::from_str::<Msisdn>("254712345678").is_err());
    assert!(serde_json::from_str::<Msisdn>("\"+254 20 2345678\"").is_err());
}

fn country() -> impl Strategy<Value = Country> {
    proptest::sample::select(Country::ALL.to_vec())
}

/// Everything a valid parse must satisfy.
fn check_valid(m: &Msisdn) -> Result<(), TestCaseError> {
    prop_assert_eq!(Msisdn::parse(&m.e164()), Ok(m.clone()));
    prop_assert_eq!(m.to_string(), m.e164());
    prop_assert_eq!(
        format!("{}{}", m.calling_code(), m.national_number()),
        m.digits()
    );
    prop_assert_eq!(m.masked().len(), m.e164().len());
    let debug = format!("{:?}", m);
    prop_assert!(!debug.contains(m.national_number()), "{}", debug);
    prop_assert!((8..=15).contains(&m.digits().len()));
    if let Some(c) = m.country() {
        prop_assert_eq!(Msisdn::parse(m.digits()), Ok(m.clone()));
        prop_assert_eq!(
            Msisdn::parse_with_default(m.national_number(), c),
            Ok(m.clone())
        );
        prop_assert_eq!(m.national_number().len(), c.national_number_len());
    }
    let json = serde_json::to_string(m).unwrap();
    prop_assert_eq!(serde_json::from_str::<Msisdn>(&json).unwrap(), m.clone());
    Ok(())
}

/// Found by fuzz/msisdn_parse: a "(0)" after a one-digit prefix left the digits of a supported
/// country (`+2(0)33…` is `+233…`) as a generic number, so the number and its own E.164 form
/// parsed to different values.
#[test]
fn a_dropped_paren_zero_yields_the_same_number_as_its_e164_form() {
    let odd = Msisdn::parse("+2(0)332 0213 3407").unwrap();
    let plain = Msisdn::parse("+233202133407").unwrap();
    assert_eq!(odd, plain);
    assert_eq!(odd.country(), Some(Country::Ghana));
    assert_eq!(Msisdn::parse(&odd.e164()), Ok(odd));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn arbitrary_strings_never_panic(input in ".*", c in country()) {
        if let Ok(m) = Msisdn::parse(&input) {
            check_valid(&m)?;
        }
        if let Ok(m) = Msisdn::parse_with_default(&input, c) {
            check_valid(&m)?;
        }
    }

    #[test]
    fn digit_heavy_strings_never_panic(input in "[+0-9 ()-]{0,20}", c in country()) {
        if let Ok(m) = Msisdn::parse(&input) {
            check_valid(&m)?;
        }
        if let Ok(m) = Msisdn::parse_with_default(&input, c) {
            check_valid(&m)?;
        }
    }

    #[test]
    fn plausible_numbers_round_trip(
        input in "(\\+|00)?(\\(0\\))?(254|263|260|234|233|256|255|250|44|1)( ?\\(0\\))? ?0?[0-9]{7,11}",
        c in country(),
    ) {
        if let Ok(m) = Msisdn::parse(&input) {
            check_valid(&m)?;
        }
        if let Ok(m) = Msisdn::parse_with_default(&input, c) {
            check_valid(&m)?;
        }
    }

    #[test]
    fn national_mobile_numbers_parse(c in country(), tail in "[0-9]{8}") {
        for prefix in c.mobile_prefixes() {
            let len = c.national_number_len();
            let national = format!("{prefix}{tail}")[..len].to_string();
            let m = Msisdn::parse_with_default(&format!("0{national}"), c).unwrap();
            prop_assert_eq!(m.national_number(), national.as_str());
            prop_assert_eq!(m.country(), Some(c));
            check_valid(&m)?;
        }
    }

    #[test]
    fn huge_inputs_never_panic(digits in "[0-9]{100,400}", junk in "\\PC{0,50}") {
        let _ = Msisdn::parse(&format!("+{digits}"));
        let _ = Msisdn::parse_with_default(&format!("{digits}{junk}"), Country::Kenya);
        let _ = Msisdn::parse(&format!("{junk}{digits}"));
    }
}
