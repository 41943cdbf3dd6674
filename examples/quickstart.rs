//! Offline tour of the core: phone numbers and amounts, parsed once and rendered exactly the way
//! each provider wants them, and bad input refused before anything could be sent.
//!
//! Run: `cargo run --example quickstart`. Exits non-zero if any step does not behave as documented.

use disburse::{CallbackUrl, Country, Currency, Money, Msisdn, Reference};

fn main() {
    let mut failures = 0;
    let mut check = |step: &str, ok: bool, shown: String| {
        println!("{} {step:<55} {shown}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            failures += 1;
        }
    };

    println!("Phone numbers: one parse, each provider's form");
    for (input, default) in [
        ("+254 712 345 678", None),
        ("(0712) 345-678", Some(Country::Kenya)),
        ("260999993000", None),
        ("0771 111 111", Some(Country::Zimbabwe)),
    ] {
        let parsed = match default {
            Some(c) => Msisdn::parse_with_default(input, c),
            None => Msisdn::parse(input),
        };
        match parsed {
            Ok(m) => check(
                &format!("parse {input:?}"),
                true,
                format!(
                    "vesicash={} jpay={} payonify={} network={:?}",
                    m.digits(),
                    m.e164(),
                    m.national_number(),
                    m.network()
                ),
            ),
            Err(e) => check(&format!("parse {input:?}"), false, e.to_string()),
        }
    }
    for bad in ["+254 20 123 4567", "07123", "not a number"] {
        let r = Msisdn::parse_with_default(bad, Country::Kenya);
        check(
            &format!("refuse {bad:?}"),
            r.is_err(),
            r.err().map(|e| e.to_string()).unwrap_or_default(),
        );
    }

    println!("\nAmounts: exact, in each wire form");
    for (text, currency) in [
        ("1000.50", Currency::KES),
        ("0.29", Currency::USD),
        ("150", Currency::ZMW),
    ] {
        match Money::parse(text, currency) {
            Ok(m) => {
                let json = serde_json::to_string(&m.to_json_number()).unwrap_or_default();
                check(
                    &format!("{text} {currency}"),
                    json == text,
                    format!(
                        "vesicash={json} jpay={:?} payonify={:?}",
                        m.to_fixed_2().map_err(|e| e.to_string()),
                        m.to_minor_units().map_err(|e| e.to_string())
                    ),
                );
            }
            Err(e) => check(&format!("{text} {currency}"), false, e.to_string()),
        }
    }
    for (text, currency) in [
        ("1.5", Currency::UGX),
        ("-1", Currency::KES),
        ("12.345", Currency::USD),
    ] {
        let r = Money::parse(text, currency);
        check(
            &format!("refuse {text} {currency}"),
            r.is_err(),
            r.err().map(|e| e.to_string()).unwrap_or_default(),
        );
    }

    println!("\nReferences and callback URLs");
    let r = Reference::new("order 42");
    check(
        "refuse reference with a space",
        r.is_err(),
        r.err().map(|e| e.to_string()).unwrap_or_default(),
    );
    let r = CallbackUrl::parse("http://example.com/hook");
    check(
        "refuse plain-http callback",
        r.is_err(),
        r.err().map(|e| e.to_string()).unwrap_or_default(),
    );
    let r = CallbackUrl::parse("http://127.0.0.1:8080/hook");
    check("allow loopback http callback", r.is_ok(), String::new());

    if failures > 0 {
        eprintln!("\n{failures} step(s) did not behave as documented");
        std::process::exit(1);
    }
    println!("\nall steps behaved as documented");
}
