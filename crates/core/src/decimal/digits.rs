//! Digit strings: the leaves that print them, 19 digits per limb, and the ±1 corrections made
//! in place.

use super::bits_for_digits;

/// The most decimal digits one limb holds: 10^19 < 2^64 < 10^20.
const CHUNK_DIGITS: usize = 19;

/// `POWERS_OF_TEN[i]` = 10^i, for every chunk width.
const POWERS_OF_TEN: [u64; CHUNK_DIGITS + 1] = {
    let mut table = [1u64; CHUNK_DIGITS + 1];
    let mut i = 1;
    while i <= CHUNK_DIGITS {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// "00", "01", ..., "99": two digits per division.
const DIGIT_PAIRS: [u8; 200] = {
    let mut table = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        table[2 * i] = b'0' + (i / 10) as u8;
        table[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    table
};

/// Writes the `out.len()` digits of `fraction` · 10^`out.len()` (`fraction` = its limbs / 2^(64 k),
/// in [0, 1)) and returns them mod 2^64.
///
/// Each step multiplies the fraction by 10^w; the limb that carries out is the next w digits,
/// exactly. Once fewer digits remain, the low limbs can no longer reach them and are dropped,
/// as long as `bits_for_digits(remaining) + guard_bits` bits stay: each drop then loses less
/// than 2^-guard_bits of a final unit (module doc).
pub(super) fn leaf(
    fraction: &[u64],
    out: &mut [u8],
    guard_bits: usize,
    work: &mut Vec<u64>,
) -> u64 {
    work.clear();
    work.extend_from_slice(fraction);
    let limbs = work.len();
    let mut lowest = 0;
    let mut written = 0;
    let mut remaining = out.len();
    let mut value = 0u64;
    while remaining > 0 {
        // The first chunk takes the odd digits, so that every later one is a full 19.
        let width = match remaining % CHUNK_DIGITS {
            0 => CHUNK_DIGITS,
            odd => odd,
        };
        let multiplier = POWERS_OF_TEN[width];
        let mut carry = 0u64;
        for limb in &mut work[lowest..] {
            let product = u128::from(*limb) * u128::from(multiplier) + u128::from(carry);
            *limb = product as u64;
            carry = (product >> 64) as u64;
        }
        write_chunk(carry, &mut out[written..written + width]);
        written += width;
        remaining -= width;
        value = value.wrapping_mul(multiplier).wrapping_add(carry);
        let needed_bits = bits_for_digits(remaining) + guard_bits;
        while lowest + 1 < limbs && 64 * (limbs - lowest - 1) >= needed_bits {
            lowest += 1;
        }
    }
    value
}

/// Writes `value` (< 10^`out.len()`, `out.len()` ≤ 19) as exactly `out.len()` digits.
fn write_chunk(mut value: u64, out: &mut [u8]) {
    let mut end = out.len();
    // Eight digits at a time, so that the inner loop divides u32s.
    while end >= 8 {
        let mut eight = (value % 100_000_000) as u32;
        value /= 100_000_000;
        for _ in 0..4 {
            end -= 2;
            write_pair(eight % 100, &mut out[end..end + 2]);
            eight /= 100;
        }
    }
    let mut rest = value as u32;
    while end >= 2 {
        end -= 2;
        write_pair(rest % 100, &mut out[end..end + 2]);
        rest /= 100;
    }
    if end == 1 {
        out[0] = b'0' + rest as u8;
    }
}

fn write_pair(pair: u32, out: &mut [u8]) {
    let at = 2 * pair as usize;
    out.copy_from_slice(&DIGIT_PAIRS[at..at + 2]);
}

/// Adds one to a string of digits, carrying through trailing 9s.
fn increment(digits: &mut [u8]) {
    for digit in digits.iter_mut().rev() {
        if *digit == b'9' {
            *digit = b'0';
        } else {
            *digit += 1;
            return;
        }
    }
    unreachable!("a correction incremented all 9s: its target does not fit the node's digits");
}

/// Subtracts one from a string of digits, borrowing through trailing 0s.
fn decrement(digits: &mut [u8]) {
    for digit in digits.iter_mut().rev() {
        if *digit == b'0' {
            *digit = b'9';
        } else {
            *digit -= 1;
            return;
        }
    }
    unreachable!("a correction decremented all 0s: its target would be negative");
}

/// How a string of digits was brought to its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Correction {
    None,
    Incremented,
    Decremented,
}

/// Brings `digits`, whose value is `computed` mod 2^64, to the value `target` mod 2^64, if the
/// two are within one; `None` if they are not.
pub(super) fn correct(target: u64, computed: u64, digits: &mut [u8]) -> Option<Correction> {
    match target.wrapping_sub(computed) {
        0 => Some(Correction::None),
        1 => {
            increment(digits);
            Some(Correction::Incremented)
        }
        u64::MAX => {
            decrement(digits);
            Some(Correction::Decremented)
        }
        _ => None,
    }
}
