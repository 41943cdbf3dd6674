//! `Msisdn` parsing, in the forms people write numbers in.
//!
//! `cargo bench --all-features --bench phone`

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use disburse::{Country, Msisdn};

fn phone(c: &mut Criterion) {
    let mut group = c.benchmark_group("msisdn");
    group.throughput(Throughput::Elements(1));
    let international = [
        ("parse E.164 +254712345678", "+254712345678"),
        ("parse spaced +254 712 345 678", "+254 712 345 678"),
        ("parse 00 prefix 00254712345678", "00254712345678"),
        ("parse digits 254712345678", "254712345678"),
        (
            "parse trunk in parens +254 (0)712 345678",
            "+254 (0)712 345678",
        ),
    ];
    for (name, input) in international {
        // Every form must parse: a bench of an error path would measure the wrong thing.
        assert!(Msisdn::parse(input).is_ok(), "{input}");
        group.bench_function(name, |b| b.iter(|| Msisdn::parse(black_box(input))));
    }
    let national = [
        ("parse_with_default KE 0712345678", "0712345678"),
        ("parse_with_default KE (0712) 345-678", "(0712) 345-678"),
        ("parse_with_default KE 712345678", "712345678"),
    ];
    for (name, input) in national {
        assert!(
            Msisdn::parse_with_default(input, Country::Kenya).is_ok(),
            "{input}"
        );
        group.bench_function(name, |b| {
            b.iter(|| Msisdn::parse_with_default(black_box(input), Country::Kenya))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = phone
}
criterion_main!(benches);
