//! Every conversion is compared with malachite's `to_string`. Besides the defaults, the values
//! are converted with other shapes of tree, so that small values exercise deep trees, each
//! product path on its own and batching; with 8 guard bits, so that the corrections run often.

use std::str::FromStr;

use malachite_base::num::arithmetic::traits::{Fibonacci, Pow};
use malachite_base::num::logic::traits::SignificantBits;
use malachite_nz::natural::Natural;
use proptest::prelude::*;

use super::reciprocal::reciprocal;
use super::*;

const fn shape(
    leaf_digits: usize,
    malachite_product_limbs: usize,
    batch_node_limbs: usize,
) -> Params {
    Params {
        leaf_digits,
        malachite_product_limbs,
        batch_node_limbs,
        ..Params::DEFAULT
    }
}

/// Small leaves with schoolbook or malachite products throughout, mixed ones, large leaves,
/// batching from small nodes on.
const SHAPES: [Params; 7] = [
    shape(40, 1000, 600),
    shape(40, 4, 600),
    shape(64, 24, 600),
    shape(1000, 8, 600),
    shape(64, 24, 8),
    shape(40, 1000, 1),
    shape(400, 48, 30),
];

const fn with_guard_bits(params: Params, guard_bits: usize) -> Params {
    Params {
        guard_bits,
        ..params
    }
}

/// 8 guard bits: a correction is due at about one node in 2^8.
const LOW_GUARD_SHAPES: [Params; 6] = [
    with_guard_bits(Params::DEFAULT, 8),
    with_guard_bits(shape(64, 4, 600), 8),
    with_guard_bits(shape(64, 100_000, 600), 8),
    with_guard_bits(shape(200, 24, 600), 8),
    with_guard_bits(shape(64, 24, 8), 8),
    with_guard_bits(shape(200, 48, 1), 8),
];

/// Converts `x` with the public function and the default parameters, and, while that stays
/// quick, with every other shape.
fn check(x: &Natural) {
    let expected = x.to_string();
    assert!(
        decimal(x) == expected,
        "decimal of a {}-digit value",
        expected.len()
    );
    assert!(
        convert(x, &Params::DEFAULT).0 == expected,
        "default tree for a {}-digit value",
        expected.len()
    );
    if expected.len() < 100_000 {
        for params in &SHAPES {
            assert!(
                convert(x, params).0 == expected,
                "{params:?} for a {}-digit value",
                expected.len()
            );
        }
    }
}

/// The public function alone, for the largest values.
fn check_default(x: &Natural) {
    let expected = x.to_string();
    assert!(
        decimal(x) == expected,
        "decimal of a {}-digit value",
        expected.len()
    );
}

/// xorshift64*: deterministic values without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A natural of exactly `limbs` limbs, its top limb of any width.
    fn natural(&mut self, limbs: usize) -> Natural {
        let mut values: Vec<u64> = (0..limbs).map(|_| self.next()).collect();
        if let Some(top) = values.last_mut() {
            *top = (*top >> self.below(64)).max(1);
        }
        Natural::from_owned_limbs_asc(values)
    }
}

fn ten_to_the(k: u64) -> Natural {
    Natural::from(10u32).pow(k)
}

fn one() -> Natural {
    Natural::from(1u32)
}

#[test]
fn small_values_are_the_usual_notation() {
    for v in [0u64, 1, 9, 10, 99, 100, u64::MAX - 1, u64::MAX] {
        check(&Natural::from(v));
    }
    let max = Natural::from(u64::MAX);
    check(&(&max + one()));
    check(&(&max * &max));
}

#[test]
fn the_first_fibonacci_numbers_convert_with_every_shape() {
    for n in 0..3000 {
        check(&Natural::fibonacci(n));
    }
}

#[test]
fn large_fibonacci_numbers_convert_exactly() {
    check(&Natural::fibonacci(1_000_000));
    check_default(&Natural::fibonacci(10_000_000));
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for _ in 0..16 {
        check_default(&Natural::fibonacci(rng.below(2_000_000) + 1));
    }
}

/// Digit counts at and beside the leaf and level boundaries up to about 100,000 digits, where
/// the tree changes shape, and geometrically spaced ones up to 300,000.
fn boundary_digit_counts() -> Vec<u64> {
    let mut counts: Vec<u64> = (1..=1500).collect();
    let mut k = 1500.0f64;
    while k < 300_000.0 {
        k *= 1.15;
        counts.push(k as u64);
    }
    for level in 0..9 {
        for leaf in [200u64, 201, 256, 300, 399, 400] {
            let boundary = leaf << level;
            counts.extend([boundary - 1, boundary, boundary + 1]);
        }
    }
    counts.sort_unstable();
    counts.dedup();
    counts
}

#[test]
fn powers_of_ten_and_their_neighbours_convert_exactly() {
    // Runs of 9s and 0s all the way down: every correction carries through a whole half.
    for k in boundary_digit_counts() {
        let power = ten_to_the(k);
        for x in [&power - one(), &power + one(), power] {
            if k <= 1500 {
                check(&x);
            } else {
                check_default(&x);
            }
        }
    }
}

#[test]
fn powers_of_two_less_one_convert_exactly() {
    let bit_counts = (1..=4000u64)
        .chain((4000..1_000_000).step_by(37_123))
        .chain([1_000_000, 2_000_000]);
    for k in bit_counts {
        let x = (one() << k) - one();
        if k <= 4000 {
            check(&x);
        } else {
            check_default(&x);
        }
    }
}

#[test]
fn random_naturals_convert_exactly() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    for limbs in 1..=300 {
        for _ in 0..3 {
            check(&rng.natural(limbs));
        }
    }
    let mut limbs = 300.0f64;
    while limbs <= 100_000.0 {
        check(&rng.natural(limbs as usize));
        limbs *= 1.3;
    }
}

/// Decimal strings of random blocks, many of them long runs of 9s or 0s, so that halves full of
/// them fall at every level.
#[test]
fn runs_of_nines_and_zeros_convert_exactly() {
    let mut rng = Rng(0x0bad_5eed_1234_0001);
    for round in 0..330 {
        let length = if round < 300 {
            20 + rng.below(5000) as usize
        } else {
            5000 + rng.below(300_000) as usize
        };
        let mut text = String::with_capacity(length + 3000);
        text.push(char::from(b'1' + rng.below(9) as u8));
        while text.len() < length {
            let longest = if rng.below(4) == 0 { 3000 } else { 60 };
            let run = 1 + rng.below(longest);
            let kind = rng.below(4);
            for _ in 0..run {
                let digit = match kind {
                    0 => 9,
                    1 => 0,
                    _ => rng.below(10) as u8,
                };
                text.push(char::from(b'0' + digit));
            }
        }
        let x = Natural::from_str(&text).expect("a decimal string");
        check(&x);
        assert_eq!(decimal(&x), text);
    }
}

fn add(total: &mut Fixups, more: Fixups) {
    total.node_increments += more.node_increments;
    total.node_decrements += more.node_decrements;
    total.root_increments += more.root_increments;
    total.root_decrements += more.root_decrements;
}

#[test]
fn with_8_guard_bits_corrections_run_and_the_digits_stay_exact() {
    let mut rng = Rng(77);
    let mut values: Vec<Natural> = (0..3000)
        .chain([10_000, 54_321, 100_000, 333_333, 1_000_000, 2_000_000])
        .map(Natural::fibonacci)
        .collect();
    for limbs in [2, 3, 10, 50, 100, 500, 1000, 5000, 20_000] {
        values.extend((0..5).map(|_| rng.natural(limbs)));
    }
    for k in [50, 100, 1000, 4096, 10_000, 65_536, 100_000] {
        let power = ten_to_the(k);
        values.extend([&power - one(), &power + one(), power]);
    }
    let mut fixups = Fixups::default();
    for x in &values {
        let expected = x.to_string();
        for params in &LOW_GUARD_SHAPES {
            let (digits, made) = convert(x, params);
            assert!(
                digits == expected,
                "{params:?} for a {}-digit value",
                expected.len()
            );
            add(&mut fixups, made);
        }
    }
    assert!(fixups.node_increments > 0, "{fixups:?}");
    assert!(fixups.root_increments > 0, "{fixups:?}");
}

#[test]
fn batched_levels_convert_exactly_in_groups_of_any_size() {
    let mut rng = Rng(4242);
    let values = [
        Natural::fibonacci(100_000),
        Natural::fibonacci(654_321),
        rng.natural(3000),
        ten_to_the(50_000) - one(),
        ten_to_the(50_000),
    ];
    for batch_group_limbs in [1, 50, 300, 5000] {
        for x in &values {
            let expected = x.to_string();
            for batched in [shape(400, 48, 8), shape(64, 24, 30), shape(200, 48, 1)] {
                let params = Params {
                    batch_group_limbs,
                    ..batched
                };
                assert!(convert(x, &params).0 == expected, "{params:?}");
            }
        }
    }
}

#[test]
fn corrections_carry_through_runs_of_nines_and_zeros() {
    let mut number = *b"0999";
    assert_eq!(
        digits::correct(1000, 999, &mut number),
        Some(Correction::Incremented)
    );
    assert_eq!(&number, b"1000");
    assert_eq!(
        digits::correct(999, 1000, &mut number),
        Some(Correction::Decremented)
    );
    assert_eq!(&number, b"0999");
    assert_eq!(
        digits::correct(999, 999, &mut number),
        Some(Correction::None)
    );
    assert_eq!(digits::correct(1001, 999, &mut number), None);
}

#[test]
#[should_panic(expected = "guard bits are too few")]
fn too_few_guard_bits_for_the_tree_are_refused() {
    convert(&ten_to_the(100_000), &with_guard_bits(Params::DEFAULT, 4));
}

#[test]
fn the_reciprocal_is_within_64_units_of_exact_division() {
    let mut rng = Rng(99);
    for bits in [70u64, 200, 1000, 5000, 40_000, 300_000] {
        for precision in [bits / 2 + 7, bits, bits + 100, 2 * bits] {
            for trial in 0..3 {
                let divisor = if trial == 0 {
                    Natural::from(5u32).pow(bits * 100 / 232)
                } else {
                    rng.natural(bits.div_ceil(64) as usize) | (one() << (bits - 1))
                };
                let divisor_bits = divisor.significant_bits();
                let got = reciprocal(&divisor, divisor_bits, precision);
                let exact = (one() << (precision + divisor_bits)) / &divisor;
                let error = if got >= exact {
                    &got - &exact
                } else {
                    &exact - &got
                };
                assert!(
                    error <= 64u32,
                    "error {error} for {bits} bits at precision {precision}"
                );
            }
        }
    }
}

proptest! {
    #[test]
    fn decimal_agrees_with_the_formatter_across_the_cutoff(
        limbs in proptest::collection::vec(any::<u64>(), 1000..2500),
    ) {
        // 1000 to 2500 limbs: 19,000 to 48,000 digits, the cutoff near 1,660 limbs.
        let x = Natural::from_owned_limbs_asc(limbs);
        prop_assert_eq!(decimal(&x), x.to_string());
    }
}
