//! The tree below the root: how a node splits its fraction between its two halves, one node at
//! a time or a whole level in batched products, and how a high half is settled.

use malachite_base::num::arithmetic::traits::{Pow, Square};
use malachite_nz::natural::Natural;

use super::{Fixups, Params, digits, fraction_limbs};

/// Zero limbs between the nodes of a batched product, so that one node's product reaches the
/// next node's window only 2^-127 of a unit below its lowest bit (module doc).
const BATCH_PADDING_LIMBS: usize = 3;

/// The shape of the conversion: `leaf_digits` · 2^levels digits, leading zeros included.
#[derive(Debug)]
pub(super) struct Tree {
    leaf_digits: usize,
    /// `splits[depth]`: how each node at that depth splits (depth 0 is the root).
    splits: Vec<Split>,
    guard_bits: usize,
    malachite_product_limbs: usize,
}

/// How every node at one depth splits: 2h digits into two halves of h.
///
/// Its fraction f = F / 2^(64k) (k = `node_limbs`) times 10^h is F·5^h / 2^(64k - h): the integer
/// part is the high half's digits, the fractional part the low half's fraction.
#[derive(Debug)]
pub(super) struct Split {
    half_digits: usize,
    /// 5^h.
    five_power: Natural,
    /// 5^h's limbs, for the schoolbook product (empty where malachite multiplies).
    five_power_limbs: Vec<u64>,
    /// 10^h mod 2^64, to join the halves' low words.
    ten_power_low: u64,
    /// k(2h): the limbs of a node's fraction.
    node_limbs: usize,
    /// k(h): the limbs of each half's fraction.
    child_limbs: usize,
}

/// A whole level, split.
#[derive(Debug)]
pub(super) struct LevelSplit {
    /// The next level's fractions side by side: high and low child of each node in turn.
    pub(super) children: Vec<u64>,
    /// Each node's integer part mod 2^64, to settle its high child against.
    pub(super) integer_lows: Vec<u64>,
}

/// Reused buffers of the depth-first recursion.
#[derive(Debug)]
pub(super) struct Scratch {
    /// `low_children[depth]`: the low child's fraction of the node being split at that depth.
    low_children: Vec<Vec<u64>>,
    window: Vec<u64>,
    leaf: Vec<u64>,
}

impl Tree {
    /// The tree for a value of at most `max_digits` digits, or `None` if one leaf would do.
    pub(super) fn plan(max_digits: usize, params: &Params) -> Option<Tree> {
        let mut levels = 0;
        let mut leaf_digits = max_digits;
        while leaf_digits > params.leaf_digits {
            levels += 1;
            leaf_digits = max_digits.div_ceil(1 << levels);
        }
        if levels == 0 {
            return None;
        }
        let guard_bits = params.guard_bits;
        // Errors add up along a path from the root to a leaf, one 2^-guard_bits per level and per
        // leaf limb; they must stay below 1/2 (module doc).
        let error_units = (fraction_limbs(leaf_digits, guard_bits) + levels + 2) as u128;
        assert!(
            2 * error_units <= 1u128 << guard_bits,
            "{guard_bits} guard bits are too few for {levels} levels of {leaf_digits}-digit leaves"
        );
        // From the leaves up: 5^(c·2^i) by squaring, 10^(c·2^i) mod 2^64 likewise.
        let mut splits = Vec::with_capacity(levels);
        let mut five_power = Natural::from(5u32).pow(leaf_digits as u64);
        let mut ten_power_low = 10u64.wrapping_pow(leaf_digits as u32);
        for depth in (0..levels).rev() {
            let half_digits = leaf_digits << (levels - depth - 1);
            let node_limbs = fraction_limbs(2 * half_digits, guard_bits);
            let five_power_limbs = if node_limbs < params.malachite_product_limbs {
                five_power.to_limbs_asc()
            } else {
                Vec::new()
            };
            // The root's power is the last one needed.
            let next_power = if depth > 0 {
                (&five_power).square()
            } else {
                Natural::from(0u32)
            };
            splits.push(Split {
                half_digits,
                five_power: std::mem::replace(&mut five_power, next_power),
                five_power_limbs,
                ten_power_low,
                node_limbs,
                child_limbs: fraction_limbs(half_digits, guard_bits),
            });
            ten_power_low = ten_power_low.wrapping_mul(ten_power_low);
        }
        splits.reverse();
        Some(Tree {
            leaf_digits,
            splits,
            guard_bits,
            malachite_product_limbs: params.malachite_product_limbs,
        })
    }

    pub(super) fn levels(&self) -> usize {
        self.splits.len()
    }

    /// All the digits the tree writes, leading zeros included.
    pub(super) fn digits(&self) -> usize {
        self.node_digits(0)
    }

    pub(super) fn node_digits(&self, depth: usize) -> usize {
        self.leaf_digits << (self.levels() - depth)
    }

    /// The limbs of the fraction a node at `depth` is given.
    pub(super) fn node_limbs(&self, depth: usize) -> usize {
        fraction_limbs(self.node_digits(depth), self.guard_bits)
    }

    pub(super) fn split(&self, depth: usize) -> &Split {
        &self.splits[depth]
    }

    pub(super) fn guard_bits(&self) -> usize {
        self.guard_bits
    }

    /// Writes the digits of the node at `depth` with `fraction` into `out` and returns them
    /// mod 2^64, splitting depth first down to the leaves.
    pub(super) fn node(
        &self,
        depth: usize,
        fraction: &[u64],
        out: &mut [u8],
        scratch: &mut Scratch,
        fixups: &mut Fixups,
    ) -> u64 {
        if depth == self.levels() {
            return digits::leaf(fraction, out, self.guard_bits, &mut scratch.leaf);
        }
        let split = &self.splits[depth];
        let mut low_child = std::mem::take(&mut scratch.low_children[depth]);
        low_child.resize(split.child_limbs, 0);
        let integer_low = self.split_product(split, fraction, &mut low_child, &mut scratch.window);
        let (high_out, low_out) = out.split_at_mut(split.half_digits);
        let high_child = &fraction[fraction.len() - split.child_limbs..];
        let high = self.node(depth + 1, high_child, high_out, scratch, fixups);
        settle_high_half(integer_low, high, high_out, fixups);
        let low = self.node(depth + 1, &low_child, low_out, scratch, fixups);
        scratch.low_children[depth] = low_child;
        split.join(integer_low, low)
    }

    /// Puts the low child's fraction into `low_child` and returns the integer part mod 2^64.
    fn split_product(
        &self,
        split: &Split,
        fraction: &[u64],
        low_child: &mut [u64],
        window: &mut Vec<u64>,
    ) -> u64 {
        let integer_bit = split.integer_bit();
        let low_bit = split.low_child_bit();
        if fraction.len() >= self.malachite_product_limbs {
            let influencing = &fraction[..split.influencing_limbs()];
            let product =
                (Natural::from_limbs_asc(influencing) * &split.five_power).into_limbs_asc();
            copy_bits(&product, low_bit, low_child);
            word_at(&product, integer_bit)
        } else {
            // Two limbs below the low child's bits: the columns left out then sum to less than
            // 2^-(64 - log2 len(5^h)) of its lowest unit.
            let first = (low_bit / 64).saturating_sub(2);
            let last = integer_bit.div_ceil(64);
            middle_product(fraction, &split.five_power_limbs, first, last, window);
            copy_bits(window, low_bit - 64 * first, low_child);
            word_at(window, integer_bit - 64 * first)
        }
    }

    /// Splits every node at `depth` (their fractions side by side in `fractions`) with products
    /// of many nodes at once, of at most `group_limbs` limbs each (but at least one node).
    pub(super) fn split_level(
        &self,
        depth: usize,
        fractions: &[u64],
        group_limbs: usize,
    ) -> LevelSplit {
        let split = &self.splits[depth];
        let (limbs, child_limbs) = (split.node_limbs, split.child_limbs);
        let (low_bit, integer_bit) = (split.low_child_bit(), split.integer_bit());
        let influencing = split.influencing_limbs();
        let stride = influencing + BATCH_PADDING_LIMBS;
        let nodes = fractions.len() / limbs;
        let mut children = vec![0u64; 2 * nodes * child_limbs];
        let mut integer_lows = vec![0u64; nodes];
        // Bounded products keep their scratch small enough for the allocator to recycle.
        let group = (group_limbs / stride).max(1);
        let mut packed: Vec<u64> = Vec::with_capacity(group.min(nodes) * stride);
        let groups = fractions
            .chunks(group * limbs)
            .zip(children.chunks_mut(2 * group * child_limbs))
            .zip(integer_lows.chunks_mut(group));
        for ((group_fractions, group_children), group_integer_lows) in groups {
            packed.clear();
            packed.resize(group_integer_lows.len() * stride, 0);
            let nodes = group_fractions
                .chunks_exact(limbs)
                .zip(packed.chunks_exact_mut(stride))
                .zip(group_children.chunks_exact_mut(2 * child_limbs));
            for ((fraction, slot), pair) in nodes {
                slot[..influencing].copy_from_slice(&fraction[..influencing]);
                pair[..child_limbs].copy_from_slice(&fraction[limbs - child_limbs..]);
            }
            let packed_value = Natural::from_owned_limbs_asc(std::mem::take(&mut packed));
            let product = (packed_value * &split.five_power).into_limbs_asc();
            let nodes = group_children
                .chunks_exact_mut(2 * child_limbs)
                .zip(group_integer_lows.iter_mut())
                .enumerate();
            for (at, (pair, integer_low)) in nodes {
                let base = 64 * stride * at;
                copy_bits(&product, base + low_bit, &mut pair[child_limbs..]);
                *integer_low = word_at(&product, base + integer_bit);
            }
            // Reuse the product's allocation for the next group.
            packed = product;
        }
        LevelSplit {
            children,
            integer_lows,
        }
    }
}

impl Split {
    pub(super) fn half_digits(&self) -> usize {
        self.half_digits
    }

    pub(super) fn five_power(&self) -> &Natural {
        &self.five_power
    }

    /// The node's digits mod 2^64, from its high half (settled) and its low half's.
    pub(super) fn join(&self, high: u64, low: u64) -> u64 {
        high.wrapping_mul(self.ten_power_low).wrapping_add(low)
    }

    /// The bit of F·5^h where the integer part starts: f·10^h = F·5^h / 2^(64k - h).
    fn integer_bit(&self) -> usize {
        64 * self.node_limbs - self.half_digits
    }

    /// The lowest bit of F·5^h that the low child's fraction keeps.
    fn low_child_bit(&self) -> usize {
        self.integer_bit()
            .checked_sub(64 * self.child_limbs)
            .expect("leaves of at least 20 digits leave room for the low child's fraction")
    }

    /// The low limbs of F that reach the bits read, up to 64 above the integer bit: F·P mod 2^n
    /// depends on F mod 2^n alone.
    fn influencing_limbs(&self) -> usize {
        self.node_limbs.min(self.integer_bit().div_ceil(64) + 1)
    }
}

impl Scratch {
    /// Buffers for nodes split depth first from `first_depth` down.
    pub(super) fn new(tree: &Tree, first_depth: usize) -> Self {
        Scratch {
            low_children: (0..tree.levels())
                .map(|depth| {
                    if depth < first_depth {
                        Vec::new()
                    } else {
                        vec![0; tree.splits[depth].child_limbs]
                    }
                })
                .collect(),
            window: Vec::new(),
            leaf: Vec::with_capacity(fraction_limbs(tree.leaf_digits, tree.guard_bits)),
        }
    }
}

/// Settles a high half, computed from a truncated fraction, on its node's integer part, which
/// it is within one of (module doc); both mod 2^64.
pub(super) fn settle_high_half(
    integer_low: u64,
    computed: u64,
    half: &mut [u8],
    fixups: &mut Fixups,
) {
    let correction = digits::correct(integer_low, computed, half)
        .expect("a high half is within one of its node's integer part");
    fixups.count_node(correction);
}

/// Columns `first..=last` of `f`·`p` (mod 2^(64 (last - first + 1))) into `window`, leaving
/// out the columns below `first`. Those sum to less than min(first, len p)·2^(64 (first + 1)).
fn middle_product(f: &[u64], p: &[u64], first: usize, last: usize, window: &mut Vec<u64>) {
    let len = last - first + 1;
    window.clear();
    window.resize(len, 0);
    for (b, &pb) in p.iter().enumerate().take_while(|&(b, _)| b <= last) {
        let a_first = first.saturating_sub(b);
        let a_last = (last - b).min(f.len() - 1);
        if a_first > a_last {
            continue;
        }
        let start = a_first + b - first;
        let mut carry = 0u64;
        for (w, &fa) in window[start..].iter_mut().zip(&f[a_first..=a_last]) {
            let product = u128::from(fa) * u128::from(pb) + u128::from(*w) + u128::from(carry);
            *w = product as u64;
            carry = (product >> 64) as u64;
        }
        for w in &mut window[start + a_last - a_first + 1..] {
            if carry == 0 {
                break;
            }
            let (sum, overflow) = w.overflowing_add(carry);
            *w = sum;
            carry = u64::from(overflow);
        }
    }
}

/// `dst` = bits [`offset`, `offset` + 64·`dst.len()`) of the number with limbs `src` (zeros beyond).
fn copy_bits(src: &[u64], offset: usize, dst: &mut [u64]) {
    let (first, shift) = (offset / 64, offset % 64);
    let limb = |i: usize| src.get(i).copied().unwrap_or(0);
    if shift == 0 {
        for (j, d) in dst.iter_mut().enumerate() {
            *d = limb(first + j);
        }
    } else {
        for (j, d) in dst.iter_mut().enumerate() {
            *d = (limb(first + j) >> shift) | (limb(first + j + 1) << (64 - shift));
        }
    }
}

/// The 64 bits of `src` from bit `offset` on.
fn word_at(src: &[u64], offset: usize) -> u64 {
    let mut word = [0u64];
    copy_bits(src, offset, &mut word);
    word[0]
}
