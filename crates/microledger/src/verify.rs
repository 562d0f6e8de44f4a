//! Proof verifiers (RFC 9162 §2.1.3.2 and §2.1.4.2) for the bottom-up paths of §5.6.
//!
//! Pure functions of their inputs: they never panic, whatever the sizes, index or path
//! (only right shifts and comparisons on the numbers), and reject every input that does not
//! fold to exactly the expected root(s) — wrong index or size, altered, missing or extra entries.

use crate::error::ProofError;
use crate::hash::Hash;

/// Folds an inclusion path (§5.6, bottom-up) of leaf `index` (0-based, = seqNo − 1) in a tree
/// of `size` leaves back to the root it proves.
pub fn root_from_inclusion_path(
    leaf: &Hash,
    index: u64,
    size: u64,
    path: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut acc = *leaf;
    for sibling in path {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            acc = Hash::children(sibling, &acc);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            acc = Hash::children(&acc, sibling);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    Ok(acc)
}

/// Checks that `path` proves `leaf` at `index` (0-based, = seqNo − 1) in the tree of `size`
/// leaves whose root is `root`. For `audit_proof` the size is `ledgerSize`; for
/// `merkle_info(seqNo)` it is `seqNo`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    path: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if root_from_inclusion_path(leaf, index, size, path)? == *root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// Checks that the tree of `new_size` leaves with root `new_root` extends the tree of
/// `old_size` leaves with root `old_root`, given the RFC 9162 consistency `proof`.
///
/// Edge cases: equal sizes need an empty proof and equal roots; `old_size == 0` needs an
/// empty proof and `old_root` = the empty-tree root (every tree extends the empty one).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::InvalidSizes { old_size, new_size });
    }
    if old_size == new_size || old_size == 0 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        let old_ok = if old_size == 0 {
            *old_root == Hash::empty()
        } else {
            old_root == new_root
        };
        let new_ok = new_size != 0 || *new_root == Hash::empty();
        return if old_ok && new_ok {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    // 0 < old_size < new_size.
    let Some((first, rest)) = proof.split_first() else {
        return Err(ProofError::WrongLength);
    };
    // When the old tree is a perfect subtree of the new one, its root is the proof's implicit
    // first entry.
    let (start, rest) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        (first, rest)
    };
    let (mut fnode, mut snode) = (old_size - 1, new_size - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*start, *start);
    for c in rest {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = Hash::children(c, &fr);
            sr = Hash::children(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = Hash::children(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr == *old_root && sr == *new_root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let h = Hash::leaf(b"x");
        assert_eq!(
            verify_inclusion(&h, 0, 0, &[], &h),
            Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
        );
        assert!(verify_inclusion(&h, u64::MAX, u64::MAX, &[h; 70], &h).is_err());
        assert!(verify_inclusion(&h, u64::MAX - 1, u64::MAX, &[h; 64], &h).is_err());
        assert_eq!(verify_inclusion(&h, 0, 1, &[], &h), Ok(()));
        assert_eq!(
            verify_inclusion(&h, 0, 1, &[h], &h),
            Err(ProofError::WrongLength)
        );
        assert!(verify_consistency(u64::MAX, u64::MAX - 1, &h, &h, &[]).is_err());
        assert!(verify_consistency(u64::MAX - 1, u64::MAX, &h, &h, &[h; 130]).is_err());
        assert!(verify_consistency(1 << 63, u64::MAX, &h, &h, &[h; 64]).is_err());
        assert_eq!(verify_consistency(5, 5, &h, &h, &[]), Ok(()));
        assert_eq!(
            verify_consistency(5, 5, &h, &h, &[h]),
            Err(ProofError::WrongLength)
        );
        assert_eq!(verify_consistency(0, 5, &Hash::empty(), &h, &[]), Ok(()));
        assert_eq!(
            verify_consistency(0, 5, &h, &h, &[]),
            Err(ProofError::RootMismatch)
        );
        assert_eq!(
            verify_consistency(0, 0, &h, &h, &[]),
            Err(ProofError::RootMismatch)
        );
        let e = Hash::empty();
        assert_eq!(
            verify_consistency(0, 0, &e, &h, &[]),
            Err(ProofError::RootMismatch)
        );
        assert_eq!(verify_consistency(0, 0, &e, &e, &[]), Ok(()));
        assert_eq!(
            verify_consistency(3, 5, &h, &h, &[]),
            Err(ProofError::WrongLength)
        );
    }
}
