//! RFC 6962 tree arithmetic over stored perfect-subtree hashes (§5.3, §5.6, RFC 9162 §2.1).
//!
//! Every node the algorithms need is the root of a *perfect* subtree: leaves
//! `[index·2^level, (index+1)·2^level)`, named by a [`NodeKey`]. The root of any prefix
//! `[0, n)`, an inclusion path and a consistency proof each need O(log n) of them, fetched
//! through `Nodes`. `Frontier` is the compact tree (one perfect subtree per set bit of
//! the size) that makes appends O(1) amortised and reports each subtree it completes.

use serde::{Deserialize, Serialize};

use crate::error::LedgerError;
use crate::hash::Hash;

/// Names the perfect subtree over leaves `[index·2^level, (index+1)·2^level)`; level 0 = a leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeKey {
    /// Height of the subtree (0 = leaf).
    pub level: u32,
    /// Position among the subtrees of that height, from the left (0-based).
    pub index: u64,
}

impl NodeKey {
    /// The key of the perfect subtree of `2^level` leaves starting at leaf `start`
    /// (`start` must be a multiple of `2^level`).
    pub(crate) fn at(start: u64, level: u32) -> NodeKey {
        NodeKey {
            level,
            index: start.checked_shr(level).unwrap_or(0),
        }
    }
}

/// Source of perfect-subtree hashes (a store, or a store plus in-memory leaves).
pub(crate) trait Nodes {
    fn node(&self, key: NodeKey) -> Result<Hash, LedgerError>;
}

/// Largest power of two strictly less than `n` (`n >= 2`; returns 1 for smaller `n`).
pub(crate) fn split(n: u64) -> u64 {
    if n < 2 {
        return 1;
    }
    1u64 << (63 - (n - 1).leading_zeros())
}

/// MTH of leaves `[lo, lo+n)`, `n >= 1`, where `lo` is aligned as in the RFC recursion
/// (a multiple of the largest power of two not above `n`). O(log n) lookups.
pub(crate) fn range_root<N: Nodes + ?Sized>(
    nodes: &N,
    lo: u64,
    n: u64,
) -> Result<Hash, LedgerError> {
    // Perfect subtrees of the binary decomposition of n, left to right, folded right to left.
    let mut parts = Vec::with_capacity(n.count_ones() as usize);
    let mut start = lo;
    for level in (0..64u32).rev() {
        if n & (1u64 << level) != 0 {
            parts.push(nodes.node(NodeKey::at(start, level))?);
            start = start.saturating_add(1u64 << level);
        }
    }
    let mut iter = parts.into_iter().rev();
    let Some(mut acc) = iter.next() else {
        return Ok(Hash::empty());
    };
    for left in iter {
        acc = Hash::children(&left, &acc);
    }
    Ok(acc)
}

/// MTH of the prefix `[0, n)`; the empty tree hashes to SHA256("").
pub(crate) fn root<N: Nodes + ?Sized>(nodes: &N, n: u64) -> Result<Hash, LedgerError> {
    if n == 0 {
        Ok(Hash::empty())
    } else {
        range_root(nodes, 0, n)
    }
}

/// PATH(m, D[0:n]) of §5.6, bottom-up. Caller guarantees `m < n`. O(log n) lookups.
pub(crate) fn inclusion_path<N: Nodes + ?Sized>(
    nodes: &N,
    m: u64,
    n: u64,
) -> Result<Vec<Hash>, LedgerError> {
    let (mut lo, mut m, mut n) = (0u64, m, n);
    let mut top_down = Vec::new();
    while n > 1 {
        let k = split(n);
        if m < k {
            top_down.push(range_root(nodes, lo + k, n - k)?);
            n = k;
        } else {
            top_down.push(range_root(nodes, lo, k)?);
            lo += k;
            m -= k;
            n -= k;
        }
    }
    top_down.reverse();
    Ok(top_down)
}

/// PROOF(m, D[0:n]) of RFC 9162 §2.1.4.1 (SUBPROOF with b = true), bottom-up.
/// Caller guarantees `0 < m <= n`; `m == n` gives the empty proof. O(log n) lookups.
pub(crate) fn consistency_path<N: Nodes + ?Sized>(
    nodes: &N,
    m: u64,
    n: u64,
) -> Result<Vec<Hash>, LedgerError> {
    let (mut lo, mut m, mut n, mut whole) = (0u64, m, n, true);
    let mut top_down = Vec::new();
    while m != n && m > 0 {
        let k = split(n);
        if m <= k {
            top_down.push(range_root(nodes, lo + k, n - k)?);
            n = k;
        } else {
            top_down.push(range_root(nodes, lo, k)?);
            lo += k;
            m -= k;
            n -= k;
            whole = false;
        }
    }
    if m == n && m > 0 && !whole {
        top_down.push(range_root(nodes, lo, m)?);
    }
    top_down.reverse();
    Ok(top_down)
}

/// The compact Merkle tree: for each set bit of `size`, the root of that perfect subtree,
/// largest (leftmost) first. Enough to append and to compute the root without any lookup.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct Frontier {
    size: u64,
    /// `(level, hash)` with strictly decreasing levels.
    stack: Vec<(u32, Hash)>,
}

impl Frontier {
    /// Loads the frontier of a tree of `size` leaves from stored subtree hashes.
    pub(crate) fn load<N: Nodes + ?Sized>(nodes: &N, size: u64) -> Result<Frontier, LedgerError> {
        let mut stack = Vec::with_capacity(size.count_ones() as usize);
        let mut start = 0u64;
        for level in (0..64u32).rev() {
            if size & (1u64 << level) != 0 {
                stack.push((level, nodes.node(NodeKey::at(start, level))?));
                start += 1u64 << level;
            }
        }
        Ok(Frontier { size, stack })
    }

    /// Number of leaves.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf; `completed` receives the leaf's own key and every perfect subtree the
    /// leaf completes, in increasing level. O(1) amortised.
    pub(crate) fn push(&mut self, leaf: Hash, mut completed: impl FnMut(NodeKey, Hash)) {
        let position = self.size;
        completed(
            NodeKey {
                level: 0,
                index: position,
            },
            leaf,
        );
        let mut level = 0u32;
        let mut hash = leaf;
        while let Some(&(top_level, left)) = self.stack.last() {
            if top_level != level {
                break;
            }
            self.stack.pop();
            hash = Hash::children(&left, &hash);
            level += 1;
            completed(NodeKey::at(position >> level << level, level), hash);
        }
        self.stack.push((level, hash));
        self.size += 1;
    }

    /// MTH of all leaves (SHA256("") when empty).
    pub(crate) fn root(&self) -> Hash {
        let mut iter = self.stack.iter().rev();
        let Some(&(_, mut acc)) = iter.next() else {
            return Hash::empty();
        };
        for (_, left) in iter {
            acc = Hash::children(left, &acc);
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn split_is_largest_power_of_two_strictly_below() {
        assert_eq!(split(2), 1);
        assert_eq!(split(3), 2);
        assert_eq!(split(4), 2);
        assert_eq!(split(5), 4);
        assert_eq!(split(8), 4);
        assert_eq!(split(9), 8);
        assert_eq!(split(u64::MAX), 1 << 63);
        assert_eq!(split(1), 1);
    }

    struct Map(HashMap<NodeKey, Hash>);
    impl Nodes for Map {
        fn node(&self, key: NodeKey) -> Result<Hash, LedgerError> {
            self.0
                .get(&key)
                .copied()
                .ok_or_else(|| crate::StoreError::Corrupt(format!("{key:?}")).into())
        }
    }

    #[test]
    fn frontier_reports_every_perfect_subtree() {
        let mut f = Frontier::default();
        let mut seen = HashMap::new();
        for i in 0..13u8 {
            f.push(Hash::leaf(&[i]), |k, h| {
                assert!(seen.insert(k, h).is_none());
            });
        }
        // 13 leaves: 13 + 6 + 3 + 1 perfect subtrees.
        assert_eq!(seen.len(), 23);
        let nodes = Map(seen);
        assert_eq!(Frontier::load(&nodes, 13).unwrap(), f);
        assert_eq!(root(&nodes, 13).unwrap(), f.root());
        assert_eq!(Frontier::default().root(), Hash::empty());
    }
}
