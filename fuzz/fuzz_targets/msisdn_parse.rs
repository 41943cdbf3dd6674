//! `Msisdn::parse` and `Msisdn::parse_with_default` on any text: no panic, and every number
//! accepted re-parses from its E.164 form to the same number.
#![no_main]

use disburse::{Country, Msisdn};
use libfuzzer_sys::fuzz_target;

fn check(parsed: &Msisdn) {
    let again = Msisdn::parse(&parsed.e164()).expect("an accepted number re-parses from E.164");
    assert_eq!(&again, parsed);
    assert_eq!(again.digits(), parsed.digits());
}

fuzz_target!(|text: &str| {
    if let Ok(m) = Msisdn::parse(text) {
        check(&m);
    }
    for country in Country::ALL {
        if let Ok(m) = Msisdn::parse_with_default(text, country) {
            check(&m);
        }
    }
});
