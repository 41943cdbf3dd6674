//! Every Vesicash decoder, selected by the first byte; the rest is the answer's body (for
//! `map_error`, two more bytes give the HTTP status).
#![no_main]

use disburse::internals::decode as d;
use disburse::{Currency, Error, Reference};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let reference = Reference::new("fuzz-ref").expect("a valid reference");
    let result: Result<(), Error> = match selector % 6 {
        0 => d::vesicash_create_payout(&reference, Currency::ZMW, body).map(drop),
        1 => d::vesicash_get_payout(body).map(drop),
        2 => d::vesicash_create_refund(&reference, Currency::NGN, "PAY_1", body).map(drop),
        3 => d::vesicash_countries(body).map(drop),
        4 => d::vesicash_webhook_body(body).map(drop),
        _ => {
            let Some((status, body)) = body.split_first_chunk::<2>() else {
                return;
            };
            d::vesicash_map_error(u16::from_be_bytes(*status), body).map(drop)
        }
    };
    if let Err(e) = result {
        // Any failure is a typed error of this crate, never a panic; an undecodable answer to a
        // money-moving call is never a plain decode error.
        if selector % 6 == 0 || selector % 6 == 2 {
            assert!(!matches!(e, Error::Decode { .. }), "{e:?}");
        }
    }
});
