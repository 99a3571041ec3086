//! A Newton reciprocal, by multiplications only, and bit windows of a `Natural`.
//!
//! Only the root split divides (by 5^M, through this reciprocal); everything below it multiplies.

use malachite_base::num::arithmetic::traits::PowerOf2;
use malachite_nz::natural::Natural;

/// Below this precision (bits) one malachite division is faster than Newton's iteration.
const DIVISION_BELOW_BITS: u64 = 8000;

/// R ≈ 2^(`precision` + `divisor_bits`) / D, with `divisor_bits` = bits(D), to a relative error
/// below 2^-(`precision` - 8). The tests check it against exact division.
///
/// Newton's step R' = R + R (1 - D R) doubles the precision. It needs the error term
/// E = 2^(t + rh) - Dt·Rh only to the precision sought: its high bits are known (|E| is small,
/// below 2^(t + 8)) and its low bits move R' by less than 2^-(precision + 60) relative, so only a
/// window of the product is read, and E is recovered from it as a signed residue.
pub(super) fn reciprocal(divisor: &Natural, divisor_bits: u64, precision: u64) -> Natural {
    if precision <= DIVISION_BELOW_BITS {
        let width = precision + 64;
        let truncated = shift_to_bits(divisor, divisor_bits, width);
        return Natural::power_of_2(precision + width) / truncated;
    }
    let half = precision / 2 + 32;
    let estimate = reciprocal(divisor, divisor_bits, half);
    // Dt = D scaled to t bits; Dt·Rh ≈ 2^(t + half).
    let t = precision + 32;
    let (product, product_shift) = if divisor_bits > t {
        (&(divisor >> (divisor_bits - t)) * &estimate, 0)
    } else {
        (divisor * &estimate, t - divisor_bits)
    };
    // Bits [low, high) of Dt·Rh, which hold -E mod 2^(high - low): high = t + 32 exceeds bits(|E|) + 1.
    let high = t + 32;
    let low = t + half - precision - 64;
    let width = high - low;
    let window = extract_bits(&product, low as i64 - product_shift as i64, width);
    drop(product);
    let (error, error_is_negative) = if window >= Natural::power_of_2(width - 1) {
        (Natural::power_of_2(width) - window, false)
    } else {
        (window, true)
    };
    let mut correction = &estimate * &error;
    drop(error);
    correction >>= t + 2 * half - precision - low;
    let mut refined = estimate << (precision - half);
    if error_is_negative {
        refined -= correction;
    } else {
        refined += correction;
    }
    refined
}

/// D·2^(width - bits), truncated: D with exactly `width` significant bits.
fn shift_to_bits(divisor: &Natural, divisor_bits: u64, width: u64) -> Natural {
    if divisor_bits > width {
        divisor >> (divisor_bits - width)
    } else {
        divisor << (width - divisor_bits)
    }
}

/// floor(x / 2^`offset`) mod 2^`bits`; a negative `offset` shifts left.
pub(super) fn extract_bits(x: &Natural, offset: i64, bits: u64) -> Natural {
    let limbs = x.limbs();
    let len = limbs.len() as i64;
    let limb = |index: i64| -> u64 {
        if (0..len).contains(&index) {
            limbs[index as usize]
        } else {
            0
        }
    };
    // The 64 bits of x from bit `position` on (zeros outside x).
    let word = |position: i64| -> u64 {
        let (index, shift) = (position.div_euclid(64), position.rem_euclid(64) as u32);
        if shift == 0 {
            limb(index)
        } else {
            (limb(index) >> shift) | (limb(index + 1) << (64 - shift))
        }
    };
    let count = bits.div_ceil(64) as usize;
    let mut window: Vec<u64> = (0..count as i64).map(|j| word(offset + 64 * j)).collect();
    if !bits.is_multiple_of(64)
        && let Some(top) = window.last_mut()
    {
        *top &= (1u64 << (bits % 64)) - 1;
    }
    Natural::from_owned_limbs_asc(window)
}
