//! Every JPay decoder, selected by the first byte; the rest is the answer's body (for
//! `map_error`, two more bytes give the HTTP status).
#![no_main]

use disburse::internals::decode as d;
use disburse::webhook::{SignatureEncoding, sign};
use disburse::{Error, Reference};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "cb-fuzz";

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let reference = Reference::new("PAYOUT-2024-001").expect("a valid reference");
    let result: Result<(), Error> = match selector % 7 {
        0 => d::jpay_create_payout(&reference, body).map(drop),
        1 => d::jpay_get_payout(body).map(drop),
        2 => d::jpay_find_page(&reference, u64::from(selector / 7) + 1, body).map(drop),
        3 => d::jpay_create_refund(&reference, "PAY-1", body).map(drop),
        4 => d::jpay_token(body).map(drop),
        5 => {
            // The token of the fixtures' ref_no, so a callback naming it reaches the body.
            let token = sign(
                SECRET.as_bytes(),
                reference.as_str().as_bytes(),
                SignatureEncoding::Hex,
            );
            let url = format!("https://merchant.example/cb?disburse_token={token}");
            d::jpay_callback(SECRET, &url, body).map(drop)
        }
        _ => {
            let Some((status, body)) = body.split_first_chunk::<2>() else {
                return;
            };
            d::jpay_map_error(u16::from_be_bytes(*status), body).map(drop)
        }
    };
    if let Err(e) = result {
        if selector % 7 == 0 || selector % 7 == 3 {
            assert!(e.is_outcome_unknown(), "{e:?}");
        }
    }
});
