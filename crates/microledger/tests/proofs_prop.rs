//! Property tests: for random sizes the O(log n) roots, paths and consistency proofs equal the
//! naive recursive definitions; proofs verify; and every tampering (a byte of a path entry or
//! root, the leaf, the index, the sizes, a missing or extra entry) is rejected — except where
//! the tampered claim is *structurally identical* to the true one (e.g. leaf 0 of 3 vs of 4
//! leaves fold the same way), which the tests decide with an independent symbolic model built
//! from the spec's recursive definitions.

mod common;

use common::*;
use proptest::prelude::*;
use tmtm_microledger::{
    leaf_hash, verify_consistency, verify_inclusion, Hash, MemoryStore, Microledger,
};

/// Builds a ledger of `n` transactions through random append/commit chunks; returns it with
/// the leaf hashes.
fn build(n: u64, chunks: &[u64], salt: u64) -> (Microledger<MemoryStore>, Vec<Hash>) {
    let genesis_len = chunks.first().copied().unwrap_or(1).min(n);
    let genesis = (1..=genesis_len).map(|i| numbered(i, salt)).collect();
    let (mut l, g) = Microledger::create("prop", genesis, MemoryStore::new()).unwrap();
    let mut leaves: Vec<Hash> = g.iter().map(|t| leaf_hash(t).unwrap()).collect();
    let mut next = genesis_len + 1;
    let mut i = 1;
    while next <= n {
        let c = chunks
            .get(i % chunks.len().max(1))
            .copied()
            .unwrap_or(7)
            .max(1);
        let end = (next + c - 1).min(n);
        let a = l
            .append((next..=end).map(|j| numbered(j, salt)).collect(), None)
            .unwrap();
        leaves.extend(a.txns.iter().map(|t| leaf_hash(t).unwrap()));
        l.commit(end - next + 1).unwrap();
        next = end + 1;
        i += 1;
    }
    (l, leaves)
}

/// Symbolic fold: which proof entries combine with which, in which order.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Sym {
    Leaf,
    OldRoot,
    Entry(usize),
    Node(Box<Sym>, Box<Sym>),
}

fn node(l: Sym, r: Sym) -> Sym {
    Sym::Node(Box::new(l), Box::new(r))
}

fn split(n: u64) -> u64 {
    let mut k: u64 = 1;
    while k < n - k {
        k *= 2;
    }
    k
}

/// §5.6 `root_from_path(m, n, leaf, p)` as a symbolic expression; entries numbered bottom-up.
fn sym_inclusion(m: u64, n: u64) -> (Sym, usize) {
    if n == 1 {
        return (Sym::Leaf, 0);
    }
    let k = split(n);
    if m < k {
        let (e, c) = sym_inclusion(m, k);
        (node(e, Sym::Entry(c)), c + 1)
    } else {
        let (e, c) = sym_inclusion(m - k, n - k);
        (node(Sym::Entry(c), e), c + 1)
    }
}

/// RFC 9162 SUBPROOF(m, D[n], b) as symbolic (old root, new root, entries used).
fn sym_consistency(m: u64, n: u64, whole: bool) -> (Sym, Sym, usize) {
    if m == n {
        return if whole {
            (Sym::OldRoot, Sym::OldRoot, 0)
        } else {
            (Sym::Entry(0), Sym::Entry(0), 1)
        };
    }
    let k = split(n);
    if m <= k {
        let (o, w, c) = sym_consistency(m, k, whole);
        (o, node(w, Sym::Entry(c)), c + 1)
    } else {
        let (o, w, c) = sym_consistency(m - k, n - k, false);
        (node(Sym::Entry(c), o), node(Sym::Entry(c), w), c + 1)
    }
}

fn flip(h: &Hash, byte: usize, bit: u8) -> Hash {
    let mut b = *h.as_bytes();
    b[byte % 32] ^= 1 << (bit % 8);
    Hash::from_bytes(b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn roots_and_paths_equal_the_naive_definitions(
        n in 1u64..300,
        chunks in prop::collection::vec(1u64..40, 1..6),
        salt in any::<u64>(),
        picks in prop::collection::vec(any::<u64>(), 4),
        pending in 0u64..20,
    ) {
        let (mut l, leaves) = build(n, &chunks, salt);
        prop_assert_eq!(l.root_hash(), naive_mth(&leaves));
        prop_assert_eq!(l.uncommitted_root_hash(), l.root_hash());
        for p in &picks {
            let m = p % n + 1;
            let prefix = &leaves[..usize::try_from(m).unwrap()];
            prop_assert_eq!(l.root_hash_at(m).unwrap(), naive_mth(prefix));
            let idx = usize::try_from(m - 1).unwrap();
            prop_assert_eq!(l.audit_proof(m).unwrap().audit_path, naive_path(idx, &leaves));
            prop_assert_eq!(l.merkle_info(m).unwrap().audit_path, naive_path(idx, prefix));
        }
        // Uncommitted root = naive root of committed + uncommitted leaves.
        let a = l.append((0..pending).map(|j| numbered(10_000 + j, salt)).collect(), None).unwrap();
        let mut all = leaves.clone();
        all.extend(a.txns.iter().map(|t| leaf_hash(t).unwrap()));
        prop_assert_eq!(l.uncommitted_root_hash(), naive_mth(&all));
        prop_assert_eq!(l.root_hash(), naive_mth(&leaves));
    }

    #[test]
    fn inclusion_proofs_verify_and_tampering_fails(
        n in 1u64..300,
        salt in any::<u64>(),
        pick in any::<u64>(),
        which in any::<usize>(),
        byte in 0usize..32,
        bit in 0u8..8,
        other in any::<u64>(),
    ) {
        let (l, leaves) = build(n, &[n], salt);
        let seq = pick % n + 1;
        let index = seq - 1;
        let leaf = leaves[usize::try_from(index).unwrap()];
        let proof = l.audit_proof(seq).unwrap();
        let (root, path) = (proof.root_hash, proof.audit_path);
        prop_assert!(verify_inclusion(&leaf, index, n, &path, &root).is_ok());

        // A flipped bit in a path entry, the root or the leaf.
        if !path.is_empty() {
            let mut bad = path.clone();
            let i = which % bad.len();
            bad[i] = flip(&bad[i], byte, bit);
            prop_assert!(verify_inclusion(&leaf, index, n, &bad, &root).is_err());
            let mut short = path.clone();
            short.remove(which % path.len());
            prop_assert!(verify_inclusion(&leaf, index, n, &short, &root).is_err());
        }
        prop_assert!(verify_inclusion(&leaf, index, n, &path, &flip(&root, byte, bit)).is_err());
        prop_assert!(verify_inclusion(&flip(&leaf, byte, bit), index, n, &path, &root).is_err());
        // Extra entries, at either end.
        let mut long = path.clone();
        long.push(leaf);
        prop_assert!(verify_inclusion(&leaf, index, n, &long, &root).is_err());
        let mut long = vec![leaf];
        long.extend_from_slice(&path);
        prop_assert!(verify_inclusion(&leaf, index, n, &long, &root).is_err());

        // Another index or size: rejected unless it folds identically (symbolic model).
        let truth = sym_inclusion(index, n);
        let candidates = [
            (index ^ 1, n), (index + 1, n), (index.wrapping_sub(1), n), (other % 400, n),
            (index, n + 1), (index, n - 1), (index, other % 600), (index, u64::MAX),
            (other, other), (u64::MAX, u64::MAX), (u64::MAX - 1, u64::MAX), (0, 0),
        ];
        for (i2, n2) in candidates {
            if (i2, n2) == (index, n) { continue; }
            let ok = verify_inclusion(&leaf, i2, n2, &path, &root).is_ok();
            let same = i2 < n2 && sym_inclusion(i2, n2) == truth;
            prop_assert_eq!(ok, same, "index {} size {} (true {} {})", i2, n2, index, n);
            if i2 != index && i2 < n2 && n2 == n {
                prop_assert!(!ok, "another leaf of the same tree never verifies");
            }
        }
    }

    #[test]
    fn consistency_proofs_verify_and_tampering_fails(
        n in 1u64..300,
        salt in any::<u64>(),
        pick in any::<u64>(),
        which in any::<usize>(),
        byte in 0usize..32,
        bit in 0u8..8,
        other in any::<u64>(),
    ) {
        let (l, leaves) = build(n, &[1, n], salt);
        let m = pick % (n + 1);
        let proof = l.consistency_proof(m, n).unwrap();
        let old_root = naive_mth(&leaves[..usize::try_from(m).unwrap()]);
        let new_root = naive_mth(&leaves);
        prop_assert!(verify_consistency(m, n, &old_root, &new_root, &proof).is_ok());
        // Against an independent generator: every intermediate size too.
        for mid in [m, (m + n) / 2, n] {
            let p = l.consistency_proof(m, mid).unwrap();
            let mid_root = naive_mth(&leaves[..usize::try_from(mid).unwrap()]);
            prop_assert!(verify_consistency(m, mid, &old_root, &mid_root, &p).is_ok());
        }
        prop_assert!(verify_consistency(m, n, &flip(&old_root, byte, bit), &new_root, &proof).is_err());
        if m > 0 || n == 0 {
            prop_assert!(verify_consistency(m, n, &old_root, &flip(&new_root, byte, bit), &proof).is_err());
        }
        let mut long = proof.clone();
        long.push(old_root);
        prop_assert!(verify_consistency(m, n, &old_root, &new_root, &long).is_err());
        if !proof.is_empty() {
            let i = which % proof.len();
            let mut bad = proof.clone();
            bad[i] = flip(&bad[i], byte, bit);
            prop_assert!(verify_consistency(m, n, &old_root, &new_root, &bad).is_err());
            let mut short = proof.clone();
            short.remove(i);
            prop_assert!(verify_consistency(m, n, &old_root, &new_root, &short).is_err());
            let mut long = vec![old_root];
            long.extend_from_slice(&proof);
            prop_assert!(verify_consistency(m, n, &old_root, &new_root, &long).is_err());

            // Other sizes: rejected unless the symbolic fold is identical.
            let truth = sym_consistency(m, n, true);
            let candidates = [
                (m + 1, n), (m - 1, n), (m, n + 1), (m, n - 1), (other % 300, n),
                (m, other % 600), (other % 300, other % 600), (n, m), (0, n), (m, m),
                (u64::MAX - 1, u64::MAX), (1 << 63, u64::MAX),
            ];
            for (m2, n2) in candidates {
                if (m2, n2) == (m, n) { continue; }
                let ok = verify_consistency(m2, n2, &old_root, &new_root, &proof).is_ok();
                let same = 0 < m2 && m2 < n2 && sym_consistency(m2, n2, true) == truth;
                prop_assert_eq!(ok, same, "sizes {} {} (true {} {})", m2, n2, m, n);
            }
        }
    }
}
