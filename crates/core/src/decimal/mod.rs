//! Exact decimal conversion of large naturals: a scaled remainder tree (Bernstein, "Scaled
//! remainder trees", 2004) over malachite's multiplication.
//!
//! Malachite's own conversion, like GMP's, divides by powers of ten at every level of its
//! recursion; this one divides once, at the root, through a Newton reciprocal, and only
//! multiplies below it. Below about 32,000
//! digits malachite's is faster, and [`decimal`] uses it there.
//!
//! # How
//!
//! The value x < 10^N is given N = c·2^L digits (c digits per leaf, L levels; leading zeros are
//! stripped at the end). A node of d digits holds a fraction f = F / 2^(64 k(d)) in [0, 1),
//! F of k(d) limbs, f ≈ (its digits) / 10^d. With d = 2h, one multiplication splits it:
//! f·10^h = F·5^h / 2^(64k - h) has the node's high h digits as integer part and its low half's
//! fraction as fractional part.
//!
//! - The root (`root.rs`) splits x = A·10^M + r exactly (M = N/2), by one Newton reciprocal of
//!   5^M (`reciprocal.rs`), and hands its children ≈ x / 10^N and ≈ r / 10^M.
//! - A node (`tree.rs`) hands its high child the top k(h) limbs of F, and its low child the
//!   k(h) limbs of F·5^h just below the integer part; of the integer part it keeps only the
//!   low 64 bits.
//!   Only that window of the product matters: small nodes compute just its columns (a schoolbook
//!   *middle product*), mid-size nodes one malachite product each, of F cut to the limbs that
//!   reach the window, and the levels of large nodes are *batched*: their fractions packed
//!   3 zero limbs apart into products of a bounded size, one multiplication by 5^h each.
//! - A leaf (`digits.rs`) multiplies its fraction by 10^19 again and again: each limb carried
//!   out is the next 19 digits. It drops low limbs as the digits still to come need fewer.
//! - Each node returns its digits mod 2^64. A node compares its high child's with the low
//!   64 bits of its integer part and corrects the child's digits by ±1 in place; the root
//!   finally compares the whole with x mod 2^64 (`Fixups` counts the corrections).
//!
//! # Why the result is exact
//!
//! Notation: G guard bits, bits(d) = ⌈3.321929·d⌉ >= d·log2(10), so 10^d <= 2^bits(d), and
//! k(d) = ⌈(bits(d) + G) / 64⌉. Truncating a fraction to k(d) limbs lowers it by less than
//! 2^-64k(d) <= 2^-G·10^-d: by less than 2^-G once scaled by 10^d.
//!
//! **Invariant.** A node of d digits, given a fraction f in [0, 1) (exactly the value it holds),
//! writes d digits, of a value 0 <= D' < 10^d, returns D' mod 2^64, and for some r' in [0, 1)
//!
//! ```text
//!     -e <= f·10^d - (D' + r') < E,
//! ```
//!
//! where, with j levels below the node, E < (k(c) - 1 + j·(1 + 2^-32))·2^-G and
//! e < j·2^-(G+127). (So D' may be one off floor(f·10^d); that is allowed.)
//!
//! - *Leaf* (j = 0, e = 0). Each step computes floor(φ·10^w) of the current fraction φ exactly
//!   (the carry-out limb, < 10^w as φ < 1), so the chunks written and the final fraction r' add
//!   up to f·10^d less what the dropped limbs held. A limb goes only while at least
//!   bits(r) + G bits remain, r the digits still to come, so it held less than 2^-(bits(r) + G),
//!   less than 2^-G once scaled by the 10^r still to be multiplied in; there are fewer than k(c)
//!   drops.
//! - *Node* (d = 2h). Let y = A~ + g~ be the value of f·10^h that the node's product gives,
//!   A~ = floor(y) (the 64 bits read are exactly its low ones), g~ in [0, 1), and
//!   ε = (f·10^h - y)·10^h:
//!   - a malachite product is exact, ε = 0 (cutting F to its low limbs changes F·5^h by a
//!     multiple of 2^(64·limbs kept), above every bit read);
//!   - the middle product leaves out columns that sum to less than len(5^h)·2^-64 units of
//!     the low child's last bit, so 0 <= ε < 2^-(G+32) (len(5^h) < 2^32 limbs);
//!   - in a batched product, the nodes packed below reach into this node's window: with 3 zero
//!     limbs between, they are below 5^h·2^-192 of its base, while the low child's bits start at
//!     bit b0 >= h·log2(5) - 64 (as 64 k(2h) >= bits(2h) + G and 64 k(h) < bits(h) + G + 64);
//!     so y is larger by less than 2^-127 of the low child's last unit, -2^-(G+127) < ε <= 0.
//!     The nodes packed above start beyond every bit read.
//!
//!   In every case 0 <= A~ < 10^h: f·10^h falls short of 10^h by at least 10^h·2^-64k(2h),
//!   far more than any batching excess.
//!   - *High child.* Its fraction is f cut to its top k(h) limbs, at most 2^-G too low after
//!     scaling; by its invariant, D'_h + r'_h is within (-E_h - 2^-G - 2^-(G+127),
//!     e_h + 2^-(G+32)) of y = A~ + g~. As r'_h and g~ are in [0, 1), D'_h is A~ - 1, A~ or
//!     A~ + 1, and comparing the low 64 bits tells which. Corrected, the child's digits are
//!     exactly A~ (which fits in h digits, so the ±1 never runs off their end).
//!   - *Low child.* Its fraction g_l is g~ cut to k(h) limbs, 0 <= (g~ - g_l)·10^h < 2^-G.
//!     With D' = A~·10^h + D'_l and r' = r'_l,
//!     f·10^d - (D' + r') = ε + (g~ - g_l)·10^h + (g_l·10^h - D'_l - r'_l),
//!     so the invariant holds with E = E_l + 2^-G + 2^-(G+32), e = e_l + 2^-(G+127).
//! - *Root.* A and r are exact (`root.rs` checks the remainder). Scaled by 10^M, the children's
//!   fractions are within 2^-G + 2^-54 of A + r/10^M and of r (their truncation, the
//!   reciprocal's relative error below 2^-(bits(M) + 56), and the high one's use of r/10^M to
//!   64 bits only). So the high child's digits are within one of A and are corrected to A as
//!   above, and the low child's D'_l is r - 1 or r: D'_l + r'_l lies in
//!   (r - 2^-G - 2^-54 - E, r + 2^-54 + e]. The whole is x - 1 or x, and comparing with
//!   x mod 2^64 settles it (a decrement is handled too, though the bound rules it out).
//!
//! Every "within one" step above needs the errors along one path, E + 2^-G + 2^-54, below 1;
//! they stay below (k(c) + L + 1)·2^-G + 2^-54, and `Tree::plan` asserts that
//! (k(c) + L + 2)·2^-G <= 1/2. With the defaults (G = 16, k(c) <= 22) that holds for any size
//! memory allows. The tests lower G to 8, where the corrections become frequent, to prove those
//! paths.

mod digits;
mod reciprocal;
mod root;
#[cfg(test)]
mod tests;
mod tree;

use malachite_base::num::conversion::traits::Digits;
use malachite_base::num::logic::traits::SignificantBits;
use malachite_nz::natural::Natural;

use digits::Correction;
use root::{RootSplit, split_root};
use tree::{Scratch, Tree, settle_high_half};

/// Below about this many digits malachite's own conversion is faster: the reciprocal and the
/// root's four large products do not pay off yet.
const MALACHITE_BELOW_DIGITS: usize = 32_000;

/// `value` in decimal, the usual notation ("0" for zero).
pub fn decimal(value: &Natural) -> String {
    if max_digits(value) < MALACHITE_BELOW_DIGITS {
        malachite_decimal(value)
    } else {
        convert(value, &Params::DEFAULT).0
    }
}

/// Malachite's conversion, straight from its digits: `to_string` would go through a formatter
/// that copies all of them once more.
fn malachite_decimal(value: &Natural) -> String {
    let mut digits: Vec<u8> = value.to_digits_desc(&10u8);
    if digits.is_empty() {
        // Zero has no digits.
        digits.push(0);
    }
    for digit in &mut digits {
        *digit += b'0';
    }
    String::from_utf8(digits).expect("ASCII digits")
}

/// The conversion's tuning, and the guard bits its exactness rests on (module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Params {
    /// The most digits a leaf writes; the leaves of a tree write more than half as many.
    /// At least 40, so that every node's low child has room below its integer part.
    leaf_digits: usize,
    /// Nodes whose fraction has at least this many limbs multiply with malachite, smaller ones
    /// by the schoolbook middle product.
    malachite_product_limbs: usize,
    /// Levels whose nodes' fractions have at least this many limbs are split in batched
    /// products (below the root, which always splits alone).
    batch_node_limbs: usize,
    /// The most limbs of packed fractions in one batched product (at least one node's).
    batch_group_limbs: usize,
    /// The bits every fraction carries beyond those its digits need; 1 to 64.
    guard_bits: usize,
}

impl Params {
    /// Measured on F(10^6) and F(10^7).
    const DEFAULT: Params = Params {
        leaf_digits: 400,
        malachite_product_limbs: 48,
        batch_node_limbs: 600,
        batch_group_limbs: 1 << 16,
        guard_bits: 16,
    };

    fn assert_usable(&self) {
        assert!(
            self.leaf_digits >= 40,
            "leaves of fewer than 40 digits leave a node's low child no room below its integer part"
        );
        assert!(
            (1..=64).contains(&self.guard_bits),
            "guard bits must be 1 to 64"
        );
    }
}

/// The ±1 corrections a conversion made (module doc), for the tests to prove they ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Fixups {
    node_increments: u64,
    node_decrements: u64,
    root_increments: u64,
    root_decrements: u64,
}

impl Fixups {
    fn count_node(&mut self, correction: Correction) {
        match correction {
            Correction::None => {}
            Correction::Incremented => self.node_increments += 1,
            Correction::Decremented => self.node_decrements += 1,
        }
    }

    fn count_root(&mut self, correction: Correction) {
        match correction {
            Correction::None => {}
            Correction::Incremented => self.root_increments += 1,
            Correction::Decremented => self.root_decrements += 1,
        }
    }
}

/// `value` in decimal by the remainder tree (or malachite's conversion if one leaf would hold
/// it), and the corrections made on the way.
fn convert(value: &Natural, params: &Params) -> (String, Fixups) {
    params.assert_usable();
    let Some(tree) = Tree::plan(max_digits(value), params) else {
        return (malachite_decimal(value), Fixups::default());
    };
    let mut fixups = Fixups::default();
    let mut out = vec![b'0'; tree.digits()];
    let computed_low = write_digits(value, &tree, params, &mut out, &mut fixups);
    let value_low = value.limbs().next().unwrap_or(0);
    let correction = digits::correct(value_low, computed_low, &mut out)
        .expect("the tree's digits are within one of the value");
    fixups.count_root(correction);
    let leading_zeros = out.iter().take_while(|&&digit| digit == b'0').count();
    out.drain(..leading_zeros.min(out.len() - 1));
    (String::from_utf8(out).expect("ASCII digits"), fixups)
}

/// Writes all the tree's digits of `value` into `out` and returns them mod 2^64: every high
/// half settled, the whole `value` or one less.
fn write_digits(
    value: &Natural,
    tree: &Tree,
    params: &Params,
    out: &mut [u8],
    fixups: &mut Fixups,
) -> u64 {
    let root = tree.split(0);
    let half = root.half_digits();
    let RootSplit {
        quotient_low,
        high,
        low,
    } = split_root(value, half, root.five_power(), tree.guard_bits());

    // The fractions of all the nodes at `depth`, side by side.
    let mut fractions = high;
    fractions.extend_from_slice(&low);
    drop(low);
    let mut depth = 1;
    let mut batched_integer_lows = Vec::new();
    while depth < tree.levels() && tree.node_limbs(depth) >= params.batch_node_limbs {
        let level = tree.split_level(depth, &fractions, params.batch_group_limbs);
        batched_integer_lows.push(level.integer_lows);
        fractions = level.children;
        depth += 1;
    }

    let mut scratch = Scratch::new(tree, depth);
    let mut lows: Vec<u64> = fractions
        .chunks_exact(tree.node_limbs(depth))
        .zip(out.chunks_exact_mut(tree.node_digits(depth)))
        .map(|(fraction, digits)| tree.node(depth, fraction, digits, &mut scratch, fixups))
        .collect();
    drop(fractions);

    // Back up through the batched levels: settle each node's high half, join the halves.
    for (index, integer_lows) in batched_integer_lows.iter().enumerate().rev() {
        let split = tree.split(index + 1);
        let half = split.half_digits();
        lows = integer_lows
            .iter()
            .zip(lows.chunks_exact(2))
            .zip(out.chunks_exact_mut(2 * half))
            .map(|((&integer_low, halves), digits)| {
                settle_high_half(integer_low, halves[0], &mut digits[..half], fixups);
                split.join(integer_low, halves[1])
            })
            .collect();
    }
    settle_high_half(quotient_low, lows[0], &mut out[..half], fixups);
    root.join(quotient_low, lows[1])
}

/// An upper bound on the digits of `value`: floor(bits·log10(2)) + 1, log10(2) < 0.30103.
fn max_digits(value: &Natural) -> usize {
    (value.significant_bits() * 30_103 / 100_000) as usize + 1
}

/// An upper bound on log2(10^`digits`): log2(10) < 3.321929.
fn bits_for_digits(digits: usize) -> usize {
    (digits as u64 * 3_321_929).div_ceil(1_000_000) as usize
}

/// k(d): the limbs of the fraction of a node of `digits` digits.
fn fraction_limbs(digits: usize, guard_bits: usize) -> usize {
    (bits_for_digits(digits) + guard_bits).div_ceil(64)
}
