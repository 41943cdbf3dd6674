//! `Money`: parsing a decimal text and the three wire conversions.
//!
//! `cargo bench --all-features --bench money`

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use disburse::{Currency, Money};

fn money(c: &mut Criterion) {
    let mut group = c.benchmark_group("money");
    group.throughput(Throughput::Elements(1));
    let amount = Money::parse("1000.50", Currency::KES).expect("valid amount");
    let whole = Money::parse("150", Currency::ZMW).expect("valid amount");

    group.bench_function("parse 1000.50 KES", |b| {
        b.iter(|| Money::parse(black_box("1000.50"), Currency::KES))
    });
    group.bench_function("to_minor_units 1000.50 KES", |b| {
        b.iter(|| black_box(&amount).to_minor_units())
    });
    group.bench_function("to_fixed_2 150 ZMW", |b| {
        b.iter(|| black_box(&whole).to_fixed_2())
    });
    group.bench_function("to_fixed_2 1000.50 KES", |b| {
        b.iter(|| black_box(&amount).to_fixed_2())
    });
    // What Vesicash's body carries: the number written from the decimal's digits into JSON.
    group.bench_function("to_json_number serialized 1000.50 KES", |b| {
        b.iter(|| serde_json::to_vec(&black_box(&amount).to_json_number()))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = money
}
criterion_main!(benches);
