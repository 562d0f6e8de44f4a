//! Placeholder lists for multi-row statements: one `INSERT … VALUES (…), (…)` or
//! `DELETE … WHERE x IN (…)` per chunk of rows instead of one statement per row. On SQLite
//! every statement is a round trip to the connection's worker thread, so a consensus step
//! that writes a transaction, its subtree hashes, its outbox rows and its engine rows one by
//! one paid a thread hand-off for each (`docs/BENCHMARKS.md`, "What was tried").

/// Parameters per statement at most (SQLite allows 32,766, PostgreSQL 65,535).
const MAX_PARAMS: usize = 960;

/// Rows per statement for rows of `cols` parameters.
pub(crate) fn chunk_rows(cols: usize) -> usize {
    (MAX_PARAMS / cols.max(1)).max(1)
}

/// `($1, $2), ($3, $4)` for `rows` rows of `cols` parameters.
pub(crate) fn values(rows: usize, cols: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(r * cols + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

/// `$1, $2, $3` for `n` parameters.
pub(crate) fn list(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_row_by_row() {
        assert_eq!(values(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values(1, 1), "($1)");
        assert_eq!(list(3), "$1, $2, $3");
        assert_eq!(chunk_rows(4), 240);
        assert_eq!(chunk_rows(0), 960);
        assert!(chunk_rows(4000) >= 1);
    }
}
