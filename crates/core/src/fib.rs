//! Exact Fibonacci numbers: F(0)=0, F(1)=1, F(n)=F(n-1)+F(n-2) (OEIS A000045).
//!
//! The work is malachite's `Natural::fibonacci`, pure Rust, chosen on measurement: it computes
//! F(10^6) in about 1 ms, faster than GMP's `mpz_fib_ui` (its FFT multiplication beats GMP's),
//! and it needs no C library, so a fresh machine builds it with cargo alone.
//!
//! The decimal conversion, which dominates for large indexes, is the project's own
//! ([`crate::decimal`]): a scaled remainder tree over malachite's multiplication. Measured on
//! F(10^6)'s 208,988 digits, malachite's own conversion takes about 10 ms, slower than GMP's
//! `mpz_get_str` (about 9 ms); this one takes about 7 ms. Whole process, `fibstack fib` against
//! GMP's C (`mpz_fib_ui` + `mpz_get_str`): level at 10^6 (9.5 ms each on a quiet machine, despite
//! a heavier binary to start), 1.2 to 1.7 times as fast at 10^7.

use malachite_base::num::arithmetic::traits::Fibonacci;
use malachite_nz::natural::Natural;

use crate::FibIndex;
pub use crate::decimal::decimal;

/// F(n), exact.
pub fn fibonacci(index: FibIndex) -> Natural {
    Natural::fibonacci(index.get())
}

/// F(n) in decimal, as stored, sent and printed.
pub fn fibonacci_decimal(index: FibIndex) -> String {
    decimal(&fibonacci(index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn index(n: u64) -> FibIndex {
        FibIndex::try_from(n).expect("within limit")
    }

    fn natural(n: u32) -> Natural {
        Natural::from(n)
    }

    /// The seed's own algorithm, as the oracle for small n.
    fn by_iteration(n: u64) -> Natural {
        let (mut a, mut b) = (natural(0), natural(1));
        for _ in 0..n {
            let next = &a + &b;
            a = std::mem::replace(&mut b, next);
        }
        a
    }

    #[test]
    fn starts_like_the_seed_program() {
        let firsts: Vec<String> = (0..10).map(|n| fibonacci_decimal(index(n))).collect();
        assert_eq!(
            firsts,
            ["0", "1", "1", "2", "3", "5", "8", "13", "21", "34"]
        );
        assert_eq!(fibonacci_decimal(index(7)), "13");
    }

    #[test]
    fn known_large_values() {
        assert_eq!(fibonacci_decimal(index(40)), "102334155");
        assert_eq!(fibonacci_decimal(index(93)), "12200160415121876738");
        assert_eq!(fibonacci_decimal(index(100)), "354224848179261915075");
        // F(10^6) has 208988 digits and these ends (OEIS b-files, Project Euler folklore).
        let million = fibonacci_decimal(index(1_000_000));
        assert_eq!(million.len(), 208_988);
        assert!(
            million.starts_with("19532821287077577316"),
            "{}",
            &million[..20]
        );
        assert!(
            million.ends_with("68996526838242546875"),
            "{}",
            &million[million.len() - 20..]
        );
    }

    #[test]
    fn agrees_with_plain_iteration_for_the_first_thousand() {
        let (mut a, mut b) = (natural(0), natural(1));
        for n in 0..1000 {
            assert_eq!(fibonacci(index(n)), a, "F({n})");
            let next = &a + &b;
            a = std::mem::replace(&mut b, next);
        }
    }

    #[test]
    fn decimal_is_the_usual_notation_at_digit_boundaries() {
        // Runs of 9s and 0s are where a conversion's carries go wrong.
        let mut power = natural(1);
        for digits in 1..=60 {
            power *= natural(10);
            let one_less = &power - natural(1);
            assert_eq!(decimal(&one_less), "9".repeat(digits));
            assert_eq!(decimal(&power), format!("1{}", "0".repeat(digits)));
            assert_eq!(
                decimal(&(&power + natural(1))),
                format!("1{}1", "0".repeat(digits - 1))
            );
        }
        assert_eq!(decimal(&natural(0)), "0");
    }

    proptest! {
        #[test]
        fn doubling_identity_holds(n in 1u64..20_000) {
            // F(2n) = F(n) * (2 F(n+1) - F(n))
            let f_n = fibonacci(index(n));
            let f_n1 = fibonacci(index(n + 1));
            let expected = &f_n * (&f_n1 * natural(2) - &f_n);
            prop_assert_eq!(fibonacci(index(2 * n)), expected);
        }

        #[test]
        fn addition_identity_holds(m in 1u64..5_000, n in 0u64..5_000) {
            // F(m+n) = F(m) F(n+1) + F(m-1) F(n)
            let left = fibonacci(index(m + n));
            let right = &fibonacci(index(m)) * &fibonacci(index(n + 1))
                + &fibonacci(index(m - 1)) * &fibonacci(index(n));
            prop_assert_eq!(left, right);
        }

        #[test]
        fn agrees_with_iteration_at_random_small_indexes(n in 0u64..3_000) {
            prop_assert_eq!(fibonacci(index(n)), by_iteration(n));
        }

        #[test]
        fn decimal_agrees_with_the_formatter(n in 0u64..200_000) {
            let value = fibonacci(index(n));
            prop_assert_eq!(decimal(&value), value.to_string());
        }
    }
}
