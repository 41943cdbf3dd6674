//! Every Payonify decoder, selected by the first byte; the rest is the answer's body (for
//! `map_error`, two more bytes give the HTTP status).
#![no_main]

use disburse::internals::decode as d;
use disburse::{Error, Reference};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let reference = Reference::new("po-2024-0001").expect("a valid reference");
    let result: Result<(), Error> = match selector % 7 {
        0 => d::payonify_create_payout(&reference, body).map(drop),
        1 => d::payonify_get_payout(body).map(drop),
        2 => d::payonify_list_page(body).map(drop),
        3 => d::payonify_validate(body).map(drop),
        4 => d::payonify_webhook_body(body).map(drop),
        5 => d::payonify_signature_header(&String::from_utf8_lossy(body)).map(drop),
        _ => {
            let Some((status, body)) = body.split_first_chunk::<2>() else {
                return;
            };
            d::payonify_map_error(u16::from_be_bytes(*status), body).map(drop)
        }
    };
    if let Err(e) = result {
        if selector % 7 == 0 {
            assert!(e.is_outcome_unknown(), "{e:?}");
        }
    }
});
