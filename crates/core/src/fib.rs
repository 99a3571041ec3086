//! Exact Fibonacci numbers: F(0)=0, F(1)=1, F(n)=F(n-1)+F(n-2) (OEIS A000045).
//!
//! The work is GMP's `mpz_fib_ui` (through `rug`), which beats a hand-written fast doubling on the
//! same integers: it starts from a table, steps with two squarings per bit instead of a
//! multiplication and a squaring, and GMP's multiplication is the fastest available to Rust.
//! The decimal conversion (`mpz_get_str`, subquadratic) is what dominates for large indexes.

use rug::Integer;

use crate::FibIndex;

/// F(n), exact.
pub fn fibonacci(index: FibIndex) -> Integer {
    Integer::from(Integer::fibonacci(index.as_u32()))
}

/// F(n) in decimal, as stored, sent and printed.
pub fn fibonacci_decimal(index: FibIndex) -> String {
    fibonacci(index).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IndexPolicy;
    use proptest::prelude::*;

    fn index(n: u64) -> FibIndex {
        IndexPolicy::new(u64::MAX)
            .parse_str(&n.to_string())
            .expect("within limit")
    }

    /// The seed's own algorithm, as the oracle for small n.
    fn by_iteration(n: u64) -> Integer {
        let (mut a, mut b) = (Integer::from(0), Integer::from(1));
        for _ in 0..n {
            let next = Integer::from(&a + &b);
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
        let (mut a, mut b) = (Integer::from(0), Integer::from(1));
        for n in 0..1000 {
            assert_eq!(fibonacci(index(n)), a, "F({n})");
            let next = Integer::from(&a + &b);
            a = std::mem::replace(&mut b, next);
        }
    }

    proptest! {
        #[test]
        fn doubling_identity_holds(n in 1u64..20_000) {
            // F(2n) = F(n) * (2 F(n+1) - F(n))
            let f_n = fibonacci(index(n));
            let f_n1 = fibonacci(index(n + 1));
            let expected = &f_n * (Integer::from(&f_n1 * 2) - &f_n);
            prop_assert_eq!(fibonacci(index(2 * n)), expected);
        }

        #[test]
        fn addition_identity_holds(m in 1u64..5_000, n in 0u64..5_000) {
            // F(m+n) = F(m) F(n+1) + F(m-1) F(n)
            let left = fibonacci(index(m + n));
            let right = Integer::from(&fibonacci(index(m)) * &fibonacci(index(n + 1)))
                + Integer::from(&fibonacci(index(m - 1)) * &fibonacci(index(n)));
            prop_assert_eq!(left, right);
        }

        #[test]
        fn agrees_with_iteration_at_random_small_indexes(n in 0u64..3_000) {
            prop_assert_eq!(fibonacci(index(n)), by_iteration(n));
        }
    }
}
