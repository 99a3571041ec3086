//! The root split: x = A·10^M + r exactly, and the fractions the root's children start from.

use malachite_base::num::arithmetic::traits::PowerOf2;
use malachite_base::num::logic::traits::SignificantBits;
use malachite_nz::integer::Integer;
use malachite_nz::natural::Natural;

use super::reciprocal::{extract_bits, reciprocal};
use super::{bits_for_digits, fraction_limbs};

/// What the root hands its two children.
#[derive(Debug)]
pub(super) struct RootSplit {
    /// A mod 2^64, A = floor(x / 10^M) exactly: the high half's digits are settled against it.
    pub(super) quotient_low: u64,
    /// ≈ x / 10^(2M), the high child's fraction, in k(M) limbs.
    pub(super) high: Vec<u64>,
    /// ≈ r / 10^M, the low child's fraction, in k(M) limbs.
    pub(super) low: Vec<u64>,
}

/// Splits `x` (< 10^(2M)) at `half_digits` = M, given `five_power` = 5^M.
///
/// One reciprocal of 10^M serves three quotients: A (made exact by its remainder), r / 10^M, and
/// (A + r / 10^M) / 10^M. Scaled by 10^M, each fraction is then within 2^-guard_bits + 2^-54 of
/// its true value (module doc).
pub(super) fn split_root(
    x: &Natural,
    half_digits: usize,
    five_power: &Natural,
    guard_bits: usize,
) -> RootSplit {
    let ten_power = TenPower::new(five_power, half_digits);
    let (quotient, remainder) = ten_power.divide_exactly(x);
    let quotient_low = quotient.limbs().next().unwrap_or(0);

    let fraction_bits = 64 * fraction_limbs(half_digits, guard_bits) as u64;
    let low = clamped_fraction(
        ten_power.approx_quotient(&remainder, fraction_bits),
        fraction_bits,
    );
    drop(remainder);

    // A + r / 10^M to 64 fractional bits (the top limb of `low`) is all that the high child's
    // k(M) limbs can tell apart once divided by 10^M.
    let top = low.last().copied().unwrap_or(0);
    let scaled = (quotient << 64u64) + Natural::from(top);
    let high = clamped_fraction(
        ten_power.approx_quotient(&scaled, fraction_bits - 64),
        fraction_bits,
    );
    RootSplit {
        quotient_low,
        high,
        low,
    }
}

/// 10^M = 5^M·2^M, and the reciprocal that divides by it.
struct TenPower<'a> {
    five_power: &'a Natural,
    m: u64,
    /// 10^M < 2^bits.
    bits: u64,
    /// ≈ 2^unscale / 10^M, to a relative error below 2^-(bits + 56).
    inverse: Natural,
    unscale: u64,
}

impl<'a> TenPower<'a> {
    fn new(five_power: &'a Natural, half_digits: usize) -> Self {
        let bits = bits_for_digits(half_digits) as u64;
        let precision = bits + 64;
        let five_bits = five_power.significant_bits();
        let m = half_digits as u64;
        TenPower {
            five_power,
            m,
            bits,
            inverse: reciprocal(five_power, five_bits, precision),
            unscale: precision + five_bits + m,
        }
    }

    /// floor of ≈ y·2^`gain` / 10^M, from above or below by less than 2^-(bits + 56) relative.
    fn approx_quotient(&self, y: &Natural, gain: u64) -> Natural {
        (y * &self.inverse) >> (self.unscale - gain)
    }

    /// A = floor(x / 10^M) and r = x - A·10^M, exactly.
    ///
    /// The estimate from x's top bits is within one of A (x is truncated by less than 2^-(bits + 15)
    /// relative, the reciprocal errs by less than 2^-(bits + 56), and A < 2^bits), so its
    /// remainder lies in (-10^M, 2·10^M): the low `bits + 64` bits of x and of estimate·10^M
    /// determine it, and one correction makes 0 <= r < 10^M.
    fn divide_exactly(&self, x: &Natural) -> (Natural, Natural) {
        let x_bits = x.significant_bits();
        let dropped = x_bits.saturating_sub(self.bits + 64 + 16);
        let top = extract_bits(x, dropped as i64, x_bits - dropped);
        let estimate = self.approx_quotient(&top, dropped);
        drop(top);

        let width = self.bits + 64;
        let low_x = extract_bits(x, 0, width);
        let low_product = extract_bits(&(&estimate * self.five_power), -(self.m as i64), width);
        let mut remainder = Integer::from(low_x) - Integer::from(low_product);
        // The representative in [-2^(width-1), 2^(width-1)) is the true remainder.
        let half_range = Integer::from(Natural::power_of_2(width - 1));
        if remainder >= half_range {
            remainder -= Integer::from(Natural::power_of_2(width));
        } else if remainder < -half_range {
            remainder += Integer::from(Natural::power_of_2(width));
        }

        let mut quotient = Integer::from(estimate);
        // 10^M = 5^M·2^M >= 2^(bits(5^M) - 1 + M): a remainder with fewer bits is below 10^M.
        let surely_below = self.five_power.significant_bits() + self.m;
        if remainder < 0u32 || remainder.significant_bits() >= surely_below {
            let ten_power = Integer::from(self.five_power << self.m);
            if remainder < 0u32 {
                remainder += &ten_power;
                quotient -= Integer::from(1u32);
            } else if remainder >= ten_power {
                remainder -= &ten_power;
                quotient += Integer::from(1u32);
            }
            assert!(
                remainder >= 0u32 && remainder < ten_power,
                "the root's quotient estimate is off by more than one"
            );
        }
        (
            Natural::try_from(quotient).expect("A·10^M = x - r > -10^M, so A >= 0"),
            Natural::try_from(remainder).expect("corrected to 0 <= r < 10^M above"),
        )
    }
}

/// The limbs of `value`, zero-padded to `bits` / 64. A value of 2^`bits` or more (the estimate
/// of a fraction just below one, rounded up) becomes the largest fraction, the nearer one.
fn clamped_fraction(value: Natural, bits: u64) -> Vec<u64> {
    let count = (bits / 64) as usize;
    let mut limbs = value.into_limbs_asc();
    if limbs.len() > count {
        return vec![u64::MAX; count];
    }
    limbs.resize(count, 0);
    limbs
}
