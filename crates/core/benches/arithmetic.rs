//! The pure work of a request and a job: parsing an index, computing F(n) in decimal (and the
//! decimal conversion alone, against malachite's), and shortening a long value for lists.
//! `cargo bench -p fibstack-core`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use fibstack_core::IndexPolicy;
use fibstack_core::decimal::decimal;
use fibstack_core::fib::{fibonacci, fibonacci_decimal};
use fibstack_core::summary::preview;
use malachite_base::num::conversion::traits::Digits;
use malachite_nz::natural::Natural;

fn index(n: u64) -> fibstack_core::FibIndex {
    fibstack_core::FibIndex::try_from(n).expect("a valid index")
}

fn arithmetic(c: &mut Criterion) {
    let mut group = c.benchmark_group("fibonacci_decimal");
    for n in [40, 10_000, 100_000, 1_000_000] {
        group.bench_with_input(BenchmarkId::from_parameter(n), &index(n), |b, &n| {
            b.iter(|| fibonacci_decimal(black_box(n)));
        });
    }
    group.finish();
}

/// Malachite's own conversion, as `decimal` did before it had its own.
fn malachite_decimal(value: &Natural) -> String {
    let digits: Vec<u8> = value.to_digits_desc(&10u8);
    String::from_utf8(digits.into_iter().map(|digit| digit + b'0').collect()).expect("ASCII digits")
}

fn conversion(c: &mut Criterion) {
    let value = fibonacci(index(1_000_000));
    assert_eq!(decimal(&value), malachite_decimal(&value));
    let mut group = c.benchmark_group("decimal conversion");
    group.bench_function("F(10^6), remainder tree", |b| {
        b.iter(|| decimal(black_box(&value)));
    });
    group.bench_function("F(10^6), malachite to_digits_desc", |b| {
        b.iter(|| malachite_decimal(black_box(&value)));
    });
    group.finish();
}

fn edges(c: &mut Criterion) {
    let policy = IndexPolicy::default();
    let body: serde_json::Value = serde_json::json!({"index": "123456"});
    c.bench_function("parse a submitted JSON index", |b| {
        b.iter(|| policy.parse_json(black_box(body.get("index"))));
    });
    c.bench_function("parse an index from a path", |b| {
        b.iter(|| policy.parse_str(black_box("123456")));
    });
    let million = fibonacci_decimal(index(1_000_000));
    c.bench_function("preview of F(10^6)", |b| {
        b.iter(|| preview(black_box(&million)));
    });
}

criterion_group!(benches, arithmetic, conversion, edges);
criterion_main!(benches);
