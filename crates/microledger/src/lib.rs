//! `tmtm-microledger`: one append-only transaction log per container, an RFC 6962 Merkle tree
//! hashed exactly as Sirius/Indy Plenum do, with committed/uncommitted staging and proofs.
//! Pure: storage sits behind a small trait.
