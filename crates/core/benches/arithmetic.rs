//! The pure work of a request and a job: parsing an index, computing F(n) in decimal, and
//! shortening a long value for lists. `cargo bench -p fibstack-core`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use fibstack_core::IndexPolicy;
use fibstack_core::fib::fibonacci_decimal;
use fibstack_core::summary::preview;

fn index(n: u64) -> fibstack_core::FibIndex {
    IndexPolicy::new(fibstack_core::index::MAX_SUPPORTED_INDEX)
        .parse_str(&n.to_string())
        .expect("a valid index")
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

criterion_group!(benches, arithmetic, edges);
criterion_main!(benches);
